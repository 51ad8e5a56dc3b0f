//! Colourings: the checkerboard is proper on every lattice degree (torus and open), the
//! greedy colouring is proper on random graphs, and an improper colouring is detected.

mod chip_common;

use pbitsim::chip::description::colouring::{check_proper, checkerboard, greedy};
use pbitsim::chip::{Boundary, ChipError, Graph, Lattice, Topology};

#[test]
fn checkerboard_is_proper_on_every_degree() {
    for degree in [4, 8, 12, 16, 20] {
        for (l, b) in
            [(70, Boundary::Torus), (64, Boundary::Torus), (50, Boundary::Open), (51, Boundary::Open)]
        {
            let lat = Lattice::new(l, b, degree).unwrap();
            let col = checkerboard(&lat);
            let adj = Topology::Lattice(lat).adjacency();
            check_proper(&adj, &col).unwrap_or_else(|e| panic!("L {l} {b:?} degree {degree}: {e}"));
        }
    }
}

#[test]
fn greedy_is_proper_on_random_graphs() {
    for seed in 0..5 {
        let edges = chip_common::random_graph(300, 900 + 100 * seed as usize, seed);
        let adj = Topology::Graph(Graph::new(300, edges).unwrap()).adjacency();
        let col = greedy(&adj).unwrap();
        check_proper(&adj, &col).unwrap();
        let max_deg = (0..300).map(|i| adj.start[i + 1] - adj.start[i]).max().unwrap();
        assert!(col.count <= max_deg + 1);
    }
}

#[test]
fn improper_colouring_is_detected() {
    let lat = Lattice::new(8, Boundary::Torus, 4).unwrap();
    let mut col = checkerboard(&lat);
    let adj = Topology::Lattice(lat).adjacency();
    col.colour[9] ^= 1; // cell (1, 1) now has the colour of its neighbours
    match check_proper(&adj, &col) {
        Err(ChipError::ImproperColouring { i, j, colour }) => {
            assert!(i == 9 || j == 9, "{i} {j}");
            assert_eq!(colour, col.colour[9]);
        }
        other => panic!("expected an improper colouring error, got {other:?}"),
    }
    // a colour outside the declared range is rejected too
    let mut col = checkerboard(&Lattice::new(8, Boundary::Torus, 4).unwrap());
    col.colour[0] = 5;
    assert!(check_proper(&adj, &col).is_err());
}
