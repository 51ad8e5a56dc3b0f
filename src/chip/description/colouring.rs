//! Graph colourings for block (chromatic) Gibbs sampling: cells of one colour share no edge,
//! so they are conditionally independent given the others and can be updated in parallel.
//!
//! - [`checkerboard`]: colour (x + y) mod 2 on a lattice; every jump vector (a, b) has a + b
//!   odd, so it changes the parity of x + y (on a torus L is even, so the wrap keeps parity).
//! - [`greedy`]: Welsh-Powell greedy colouring (cells by decreasing degree, ties by index,
//!   each takes the smallest colour unused by its coloured neighbours); at most
//!   max degree + 1 colours, deterministic.
//! - [`check_proper`]: verifies a colouring; a sampler asserts it when it is built.

use crate::chip::description::graph::{Adjacency, Lattice};
use crate::chip::error::ChipError;

/// A colouring: `colour[i]` for every cell, colours `0..count`.
#[derive(Debug, Clone, PartialEq)]
pub struct Colouring {
    pub colour: Vec<u8>,
    pub count: usize,
}

/// The checkerboard colouring (x + y) mod 2 of a lattice.
pub fn checkerboard(lattice: &Lattice) -> Colouring {
    let l = lattice.l;
    Colouring { colour: (0..l * l).map(|i| ((i % l + i / l) % 2) as u8).collect(), count: 2 }
}

/// Greedy (Welsh-Powell) colouring of an arbitrary graph.
pub fn greedy(adj: &Adjacency) -> Result<Colouring, ChipError> {
    let n = adj.start.len() - 1;
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by_key(|&i| (std::cmp::Reverse(adj.start[i + 1] - adj.start[i]), i));
    const NONE: u16 = u16::MAX;
    let mut colour = vec![NONE; n];
    let mut used: Vec<bool> = vec![];
    let mut count = 0usize;
    for &i in &order {
        used.clear();
        used.resize(count + 1, false);
        for (j, _) in adj.of(i) {
            if colour[j] != NONE {
                used[colour[j] as usize] = true;
            }
        }
        let c = used.iter().position(|&u| !u).unwrap_or(count);
        colour[i] = c as u16;
        count = count.max(c + 1);
    }
    if count > 255 {
        return Err(ChipError::Unsupported(format!(
            "greedy colouring needs {count} colours; at most 255 are supported"
        )));
    }
    Ok(Colouring { colour: colour.into_iter().map(|c| c as u8).collect(), count: count.max(1) })
}

/// Checks that no edge joins two cells of the same colour and that every colour is in range.
pub fn check_proper(adj: &Adjacency, colouring: &Colouring) -> Result<(), ChipError> {
    let n = adj.start.len() - 1;
    if colouring.colour.len() != n {
        return Err(ChipError::Unsupported(format!(
            "colouring has {} entries for {n} cells",
            colouring.colour.len()
        )));
    }
    for i in 0..n {
        let ci = colouring.colour[i];
        if ci as usize >= colouring.count {
            return Err(ChipError::Unsupported(format!(
                "cell {i} has colour {ci}, outside 0..{}",
                colouring.count
            )));
        }
        for (j, _) in adj.of(i) {
            if colouring.colour[j] == ci {
                return Err(ChipError::ImproperColouring { i: i.min(j), j: i.max(j), colour: ci });
            }
        }
    }
    Ok(())
}
