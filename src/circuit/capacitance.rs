//! The Maxwell capacitance matrix of the free nodes.
//!
//! Charges and voltages are related by Q_f = C_ff V_f + C_fx V_x, where f are the free nodes
//! and x the nodes fixed by sources (ground included). A capacitor c between nodes a and b
//! adds c to C_aa and C_bb and subtracts c from C_ab and C_ba. The free-node block is
//! factorised once (Cholesky): V_f = C_ff^{-1} (Q_f - C_fx V_x) (PHYSICS.md section 2.1).

use nalgebra::DMatrix;

use super::model::NodeRef;

/// Why a capacitance matrix cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum CapacitanceProblem {
    /// This free node has no capacitance to anything.
    Unconnected(usize),
    /// These free nodes only connect to each other: together they float.
    Floating(Vec<usize>),
}

/// The assembled and factorised capacitance matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct Capacitance {
    /// C_ff, free x free (F).
    pub c_ff: DMatrix<f64>,
    /// C_fx, free x fixed (F); non-positive entries.
    pub c_fx: DMatrix<f64>,
    /// C_ff^{-1} (1/F).
    pub c_inv: DMatrix<f64>,
}

impl Capacitance {
    /// Stamp the capacitors (node, node, farads) between `free` free nodes and `fixed` fixed
    /// nodes, then factorise.
    pub fn assemble(
        free: usize,
        fixed: usize,
        capacitors: &[(NodeRef, NodeRef, f64)],
    ) -> Result<Self, CapacitanceProblem> {
        let mut c_ff = DMatrix::zeros(free, free);
        let mut c_fx = DMatrix::zeros(free, fixed);
        for &(a, b, c) in capacitors {
            for (p, q) in [(a, b), (b, a)] {
                if let NodeRef::Free(i) = p {
                    c_ff[(i, i)] += c;
                    match q {
                        NodeRef::Free(j) => c_ff[(i, j)] -= c,
                        NodeRef::Fixed(j) => c_fx[(i, j)] -= c,
                    }
                }
            }
        }
        if let Some(i) = (0..free).find(|&i| c_ff[(i, i)] <= 0.0) {
            return Err(CapacitanceProblem::Unconnected(i));
        }
        // A group of free nodes with no capacitance to any fixed node floats.
        let grounded: Vec<bool> = (0..free).map(|i| (0..fixed).any(|j| c_fx[(i, j)] != 0.0)).collect();
        let mut reach = grounded.clone();
        loop {
            let mut changed = false;
            for i in 0..free {
                if !reach[i] && (0..free).any(|j| reach[j] && c_ff[(i, j)] != 0.0) {
                    reach[i] = true;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let floating: Vec<usize> = (0..free).filter(|&i| !reach[i]).collect();
        if !floating.is_empty() {
            return Err(CapacitanceProblem::Floating(floating));
        }
        let cholesky =
            c_ff.clone().cholesky().ok_or_else(|| CapacitanceProblem::Floating((0..free).collect()))?;
        Ok(Capacitance { c_inv: cholesky.inverse(), c_ff, c_fx })
    }

    /// Free-node voltages for free-node charges `q` and fixed voltages `vx`:
    /// V_f = C_ff^{-1} (Q_f - C_fx V_x).
    pub fn voltages(&self, q: &[f64], vx: &[f64], out: &mut [f64]) {
        let n = self.c_ff.nrows();
        for i in 0..n {
            out[i] = (0..n)
                .map(|j| {
                    self.c_inv[(i, j)]
                        * (q[j] - (0..vx.len()).map(|k| self.c_fx[(j, k)] * vx[k]).sum::<f64>())
                })
                .sum();
        }
    }

    /// Free-node charges that give voltages `v`: Q_f = C_ff V_f + C_fx V_x.
    pub fn charges(&self, v: &[f64], vx: &[f64], out: &mut [f64]) {
        let n = self.c_ff.nrows();
        for i in 0..n {
            out[i] = (0..n).map(|j| self.c_ff[(i, j)] * v[j]).sum::<f64>()
                + (0..vx.len()).map(|k| self.c_fx[(i, k)] * vx[k]).sum::<f64>();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_nodes_with_coupling() {
        // a--1fF--ground, a--2fF--b, b--3fF--source(1 V).
        let caps = [
            (NodeRef::Free(0), NodeRef::Fixed(0), 1e-15),
            (NodeRef::Free(0), NodeRef::Free(1), 2e-15),
            (NodeRef::Free(1), NodeRef::Fixed(1), 3e-15),
        ];
        let c = Capacitance::assemble(2, 2, &caps).unwrap();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-30;
        assert!(close(c.c_ff[(0, 0)], 3e-15) && close(c.c_ff[(1, 1)], 5e-15));
        assert!(close(c.c_ff[(0, 1)], -2e-15) && close(c.c_ff[(1, 0)], -2e-15));
        assert!(close(c.c_fx[(0, 0)], -1e-15) && close(c.c_fx[(1, 1)], -3e-15));
        // Zero charge: a capacitive divider of the 1 V source.
        let mut v = [0.0; 2];
        c.voltages(&[0.0, 0.0], &[0.0, 1.0], &mut v);
        // Series chain ground-1fF-a-2fF-b-3fF-1V: nodal equations 3a - 2b = 0, -2a + 5b = 3.
        assert!((v[0] - 6.0 / 11.0).abs() < 1e-12 && (v[1] - 9.0 / 11.0).abs() < 1e-12);
        let mut q = [0.0; 2];
        c.charges(&v, &[0.0, 1.0], &mut q);
        assert!(q.iter().all(|x| x.abs() < 1e-27));
    }

    #[test]
    fn detects_unconnected_and_floating_nodes() {
        let caps = [(NodeRef::Free(0), NodeRef::Fixed(0), 1e-15)];
        assert_eq!(Capacitance::assemble(2, 1, &caps), Err(CapacitanceProblem::Unconnected(1)));
        let caps =
            [(NodeRef::Free(0), NodeRef::Fixed(0), 1e-15), (NodeRef::Free(1), NodeRef::Free(2), 1e-15)];
        assert_eq!(Capacitance::assemble(3, 1, &caps), Err(CapacitanceProblem::Floating(vec![1, 2])));
    }
}
