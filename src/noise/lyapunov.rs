//! The continuous Lyapunov equation A S + S A^T + D = 0, solved vectorised:
//! (I (x) A + A (x) I) vec(S) = -vec(D) (Kronecker products; n^2 unknowns, fine for the few
//! nodes of a noise analysis). The solution is symmetrised against rounding.

use nalgebra::{DMatrix, DVector};

/// Largest dimension solved (n^2 = 3600 unknowns, a dense LU of about 0.4 GB of flops).
pub const MAX_NODES: usize = 60;

/// The stationary covariance S of dx = A x dt + B dW with D = B B^T, or None when A is
/// singular or not stable enough for the equation to have one solution.
pub fn solve(a: &DMatrix<f64>, d: &DMatrix<f64>) -> Option<DMatrix<f64>> {
    let n = a.nrows();
    if n == 0 {
        return Some(DMatrix::zeros(0, 0));
    }
    // vec stacks columns: S_ij at j*n + i. (A S)_ij = sum_k A_ik S_kj; (S A^T)_ij = sum_k S_ik A_jk.
    let mut m = DMatrix::zeros(n * n, n * n);
    for j in 0..n {
        for i in 0..n {
            let row = j * n + i;
            for k in 0..n {
                m[(row, j * n + k)] += a[(i, k)];
                m[(row, k * n + i)] += a[(j, k)];
            }
        }
    }
    let rhs = DVector::from_fn(n * n, |r, _| -d[(r % n, r / n)]);
    let x = m.lu().solve(&rhs)?;
    let s = DMatrix::from_fn(n, n, |i, j| 0.5 * (x[j * n + i] + x[i * n + j]));
    s.iter().all(|v| v.is_finite()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ornstein_uhlenbeck_and_residual() {
        // One node: S = D tau / 2.
        let s = solve(&DMatrix::from_element(1, 1, -2.0), &DMatrix::from_element(1, 1, 3.0)).unwrap();
        assert!((s[(0, 0)] - 0.75).abs() < 1e-15);
        // A non-normal 3 x 3 case: the residual vanishes.
        let a = DMatrix::from_row_slice(3, 3, &[-3.0, 1.0, 0.5, 0.2, -2.0, 0.7, 0.0, 0.4, -1.0]);
        let b = DMatrix::from_row_slice(3, 2, &[1.0, 0.0, 0.3, 2.0, 0.0, 0.5]);
        let d = &b * b.transpose();
        let s = solve(&a, &d).unwrap();
        let r = &a * &s + &s * a.transpose() + &d;
        assert!(r.amax() < 1e-12, "{r}");
    }
}
