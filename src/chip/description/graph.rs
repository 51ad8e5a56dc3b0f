//! Chip connectivity: Extropic-style jump-vector lattices and arbitrary sparse graphs.
//!
//! Cells are numbered in natural order: on a lattice, cell (x, y) is `y * L + x`.
//!
//! **Lattices** (PHYSICS.md section 6). A jump vector (a, b) with a + b odd adds the four
//! directions (a, b), (-b, a), (-a, -b), (b, -a). Degree 4 uses {(0,1)}; 8 adds (4,1); 12 adds
//! (10,9); 16 adds (11,14); 20 adds (23,6). Every direction changes the parity of x + y, so the
//! checkerboard is a proper 2-colouring.
//! - `torus`: L must be even (so the checkerboard survives the wrap). On a small torus two
//!   directions can land on the same neighbour (e.g. (4,1) and (-4,-1) when L = 8 would not,
//!   but (0,1) and (0,-1) do when L = 2). That would silently lower the degree, so it is an
//!   error naming the two directions. A self loop cannot occur (a direction congruent to (0,0)
//!   mod an even L would need a and b both even).
//! - `open`: directions that leave the lattice are absent, so cells near the edge have fewer
//!   neighbours; the bulk degree is the requested one, which needs L > 2 max(|a|, |b|) (else an
//!   error). L may be odd (such lattices use the generic graph sampler).
//!
//! Edge ids on a lattice are `cell * (D/2) + f`, f indexing the "forward" directions (the first
//! two of each jump; the other two are their opposites). On an open lattice some ids are
//! absent edges (their coupling is never used).
//!
//! **Graphs** come from CSV (see [`crate::chip::description::csv`]); duplicate edges and self loops are
//! rejected there with the file and line.

use crate::chip::error::ChipError;

/// The jump vectors of Extropic's local lattices, in the order they are added.
pub const JUMPS: [(i64, i64); 5] = [(0, 1), (4, 1), (10, 9), (11, 14), (23, 6)];

/// Lattice boundary condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Boundary {
    Torus,
    Open,
}

/// An L x L lattice with jump-vector connectivity.
#[derive(Debug, Clone, PartialEq)]
pub struct Lattice {
    pub l: usize,
    pub boundary: Boundary,
    dirs: Vec<(i64, i64)>,
}

impl Lattice {
    /// A lattice of side `l`, bulk degree `degree` (4, 8, 12, 16 or 20).
    pub fn new(l: usize, boundary: Boundary, degree: usize) -> Result<Self, ChipError> {
        if !matches!(degree, 4 | 8 | 12 | 16 | 20) {
            return Err(ChipError::value(
                "lattice.degree",
                format!("got {degree}, expected one of 4, 8, 12, 16, 20"),
            ));
        }
        if l < 2 {
            return Err(ChipError::value("lattice.size", format!("got {l}, expected at least 2")));
        }
        if l > 1 << 15 {
            return Err(ChipError::value("lattice.size", format!("got {l}, expected at most 32768")));
        }
        if boundary == Boundary::Torus && !l.is_multiple_of(2) {
            return Err(ChipError::value(
                "lattice.size",
                format!("got {l}, a torus needs an even side so that the checkerboard colouring is proper"),
            ));
        }
        let jumps = &JUMPS[..degree / 4];
        let mut dirs = Vec::with_capacity(degree);
        for &(a, b) in jumps {
            // forward pair first, then their opposites: dir f + D/2 is the opposite of dir f
            dirs.push((a, b));
            dirs.push((-b, a));
        }
        for &(a, b) in jumps {
            dirs.push((-a, -b));
            dirs.push((b, -a));
        }
        let li = l as i64;
        match boundary {
            Boundary::Torus => {
                for p in 0..dirs.len() {
                    for q in 0..p {
                        let (dp, dq) = (dirs[p], dirs[q]);
                        if (dp.0 - dq.0).rem_euclid(li) == 0 && (dp.1 - dq.1).rem_euclid(li) == 0 {
                            return Err(ChipError::Lattice(format!(
                                "on a {l} x {l} torus the directions {dq:?} and {dp:?} reach the same \
                                 neighbour, so degree {degree} cannot be realised; use a larger L or a lower degree"
                            )));
                        }
                    }
                }
            }
            Boundary::Open => {
                let reach = jumps.iter().map(|&(a, b)| a.max(b)).max().unwrap_or(1);
                if li <= 2 * reach {
                    return Err(ChipError::Lattice(format!(
                        "an open {l} x {l} lattice has no cell with all {degree} neighbours; \
                         degree {degree} needs L > {}",
                        2 * reach
                    )));
                }
            }
        }
        Ok(Lattice { l, boundary, dirs })
    }

    /// Number of cells L^2.
    pub fn cells(&self) -> usize {
        self.l * self.l
    }

    /// Bulk degree D.
    pub fn degree(&self) -> usize {
        self.dirs.len()
    }

    /// The D direction vectors (dx, dy); direction `d + D/2` is the opposite of `d`.
    pub fn directions(&self) -> &[(i64, i64)] {
        &self.dirs
    }

    /// The neighbour of cell (x, y) in direction `d`, if it exists.
    pub fn neighbour_xy(&self, x: usize, y: usize, d: usize) -> Option<(usize, usize)> {
        let (dx, dy) = self.dirs[d];
        let li = self.l as i64;
        let (nx, ny) = (x as i64 + dx, y as i64 + dy);
        match self.boundary {
            Boundary::Torus => Some((nx.rem_euclid(li) as usize, ny.rem_euclid(li) as usize)),
            Boundary::Open => {
                ((0..li).contains(&nx) && (0..li).contains(&ny)).then_some((nx as usize, ny as usize))
            }
        }
    }

    /// The neighbour of cell `i` in direction `d`, if it exists.
    pub fn neighbour(&self, i: usize, d: usize) -> Option<usize> {
        self.neighbour_xy(i % self.l, i / self.l, d).map(|(x, y)| y * self.l + x)
    }

    /// Edge id of the edge leaving cell `i` in direction `d` (present or not).
    pub fn edge_id(&self, i: usize, d: usize) -> usize {
        let half = self.dirs.len() / 2;
        if d < half {
            i * half + d
        } else {
            // the opposite direction seen from the neighbour; on an open lattice an absent
            // edge has no neighbour, and its id is never used
            let j = self.neighbour(i, d).unwrap_or(i);
            j * half + (d - half)
        }
    }
}

/// An arbitrary undirected graph without self loops or duplicate edges.
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    n: usize,
    edges: Vec<(u32, u32)>,
}

impl Graph {
    /// A graph of `n` cells with the given edges. Rejects self loops, duplicates and indices
    /// out of range (the CSV reader reports these earlier, with line numbers).
    pub fn new(n: usize, edges: Vec<(u32, u32)>) -> Result<Self, ChipError> {
        let mut seen = std::collections::HashSet::with_capacity(edges.len());
        for &(i, j) in &edges {
            if i == j {
                return Err(ChipError::Unsupported(format!("self loop on cell {i}")));
            }
            if i as usize >= n || j as usize >= n {
                return Err(ChipError::Unsupported(format!("edge {i},{j} names a cell outside 0..{n}")));
            }
            if !seen.insert((i.min(j), i.max(j))) {
                return Err(ChipError::Unsupported(format!("duplicate edge {i},{j}")));
            }
        }
        Ok(Graph { n, edges })
    }

    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.n
    }

    /// The edges; edge id = position in this list.
    pub fn edges(&self) -> &[(u32, u32)] {
        &self.edges
    }
}

/// Where the cells sit and who talks to whom.
#[derive(Debug, Clone, PartialEq)]
pub enum Topology {
    Lattice(Lattice),
    Graph(Graph),
}

/// Compressed adjacency in natural order: neighbours of `i` are
/// `nbr[start[i]..start[i+1]]`, with the edge id of each in `edge`.
#[derive(Debug, Clone)]
pub struct Adjacency {
    pub start: Vec<usize>,
    pub nbr: Vec<u32>,
    pub edge: Vec<u32>,
}

impl Adjacency {
    /// Neighbours of cell `i` with their edge ids.
    pub fn of(&self, i: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let r = self.start[i]..self.start[i + 1];
        self.nbr[r.clone()].iter().zip(&self.edge[r]).map(|(&j, &e)| (j as usize, e as usize))
    }
}

impl Topology {
    /// Number of cells.
    pub fn cells(&self) -> usize {
        match self {
            Topology::Lattice(l) => l.cells(),
            Topology::Graph(g) => g.cells(),
        }
    }

    /// Size of the edge id space (per-edge couplings have this length).
    pub fn edge_slots(&self) -> usize {
        match self {
            Topology::Lattice(l) => l.cells() * l.degree() / 2,
            Topology::Graph(g) => g.edges.len(),
        }
    }

    /// Calls `f(edge_id, i, j)` once per present undirected edge.
    pub fn for_each_edge(&self, mut f: impl FnMut(usize, usize, usize)) {
        match self {
            Topology::Lattice(l) => {
                let half = l.degree() / 2;
                for i in 0..l.cells() {
                    for d in 0..half {
                        if let Some(j) = l.neighbour(i, d) {
                            f(i * half + d, i, j);
                        }
                    }
                }
            }
            Topology::Graph(g) => {
                for (e, &(i, j)) in g.edges.iter().enumerate() {
                    f(e, i as usize, j as usize);
                }
            }
        }
    }

    /// The adjacency lists (both directions of every edge).
    pub fn adjacency(&self) -> Adjacency {
        let n = self.cells();
        let mut deg = vec![0usize; n + 1];
        self.for_each_edge(|_, i, j| {
            deg[i] += 1;
            deg[j] += 1;
        });
        let mut start = vec![0usize; n + 1];
        for i in 0..n {
            start[i + 1] = start[i] + deg[i];
        }
        let mut fill = start.clone();
        let mut nbr = vec![0u32; start[n]];
        let mut edge = vec![0u32; start[n]];
        self.for_each_edge(|e, i, j| {
            nbr[fill[i]] = j as u32;
            edge[fill[i]] = e as u32;
            fill[i] += 1;
            nbr[fill[j]] = i as u32;
            edge[fill[j]] = e as u32;
            fill[j] += 1;
        });
        Adjacency { start, nbr, edge }
    }

    /// Side and height of a lattice, for snapshots.
    pub fn lattice_side(&self) -> Option<usize> {
        match self {
            Topology::Lattice(l) => Some(l.l),
            Topology::Graph(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every bulk cell of a large torus has exactly D distinct neighbours, and the relation
    /// is symmetric.
    #[test]
    fn torus_degrees_are_exact_and_symmetric() {
        for degree in [4, 8, 12, 16, 20] {
            let lat = Lattice::new(70, Boundary::Torus, degree).unwrap();
            let adj = Topology::Lattice(lat.clone()).adjacency();
            for i in [0, 1, 71, 4899] {
                let mut ns: Vec<_> = adj.of(i).map(|(j, _)| j).collect();
                ns.sort();
                ns.dedup();
                assert_eq!(ns.len(), degree);
                for &j in &ns {
                    assert!(adj.of(j).any(|(k, _)| k == i));
                }
            }
        }
    }

    #[test]
    fn small_torus_wrapping_is_an_error() {
        assert!(Lattice::new(2, Boundary::Torus, 4).is_err());
        assert!(Lattice::new(4, Boundary::Torus, 4).is_ok());
        // on L = 4 the jump (4,1) lands where (0,1) does: degree 8 would really be 6
        let e = Lattice::new(4, Boundary::Torus, 8).unwrap_err().to_string();
        assert!(e.contains("reach the same neighbour"), "{e}");
        assert!(Lattice::new(8, Boundary::Torus, 8).is_ok());
        assert!(Lattice::new(7, Boundary::Torus, 4).is_err());
        assert!(Lattice::new(7, Boundary::Open, 4).is_ok());
        assert!(Lattice::new(20, Boundary::Open, 12).is_err());
    }

    #[test]
    fn edge_ids_agree_from_both_ends() {
        let lat = Lattice::new(16, Boundary::Torus, 8).unwrap();
        for i in 0..lat.cells() {
            for d in 0..8 {
                let j = lat.neighbour(i, d).unwrap();
                let back = (d + 4) % 8;
                assert_eq!(lat.neighbour(j, back), Some(i));
                assert_eq!(lat.edge_id(i, d), lat.edge_id(j, back));
            }
        }
    }
}
