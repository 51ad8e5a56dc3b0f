//! Where the visible cells of a Boltzmann machine sit on the chip (the placement rule).
//!
//! An image of `rows x cols` pixels (pixel (r, c) row-major) needs one visible cell per pixel;
//! a conditional machine (a DTM step, sampling x_{t-1} given x_t) needs one more *input* cell
//! per pixel, holding x_t. Every other cell is hidden.
//!
//! - **Lattice** (`[lattice]`, side L): the pixels are spread evenly with a stride s, pixel
//!   (r, c) at lattice cell (x, y) = (o_x + s c, o_y + s r), so that hidden cells lie between
//!   them; its input cell, if any, is the right neighbour (x + 1, y), which every jump-vector
//!   lattice couples to it (the jump (0, 1) gives the four nearest neighbours). The stride is
//!   the largest that fits, s = floor((L - 1 - e) / (max(rows, cols) - 1)) with e = 1 when
//!   there are inputs (else 0), and at least 2 with inputs (1 without); `[placement] stride`
//!   sets it. The block is centred: o_x = floor((L - (s (cols - 1) + 1 + e)) / 2),
//!   o_y = floor((L - (s (rows - 1) + 1)) / 2). Cell (x, y) has index y L + x.
//! - **Graph** (`[graph]`): pixel k is cell k; input k is cell rows cols + k.
//! - Either: `[placement] visible = [...]` (and `inputs = [...]`) list the cells explicitly,
//!   one per pixel in row-major order.

use super::TrainError;
use crate::chip::Topology;

/// The cells of the visible (and input) pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub visible: Vec<usize>,
    pub inputs: Vec<usize>,
    /// The stride used on a lattice (None on a graph or for explicit lists).
    pub stride: Option<usize>,
}

/// What the configuration asks for.
#[derive(Debug, Clone, Default, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlacementSection {
    pub stride: Option<usize>,
    pub visible: Option<Vec<usize>>,
    pub inputs: Option<Vec<usize>>,
}

fn err(message: String) -> TrainError {
    TrainError::Config { location: "[placement]".into(), message }
}

/// Places a `rows x cols` image (with input cells if `conditional`) on `topology`.
pub fn place(
    topology: &Topology,
    rows: usize,
    cols: usize,
    conditional: bool,
    section: &PlacementSection,
) -> Result<Placement, TrainError> {
    let pixels = rows * cols;
    let n = topology.cells();
    let placement = if let Some(v) = &section.visible {
        if section.stride.is_some() {
            return Err(err("give either stride or visible = [...], not both".into()));
        }
        let inputs = section.inputs.clone().unwrap_or_default();
        Placement { visible: v.clone(), inputs, stride: None }
    } else if section.inputs.is_some() {
        return Err(err("inputs = [...] needs visible = [...] as well".into()));
    } else {
        match topology {
            Topology::Graph(_) => Placement {
                visible: (0..pixels).collect(),
                inputs: if conditional { (pixels..2 * pixels).collect() } else { vec![] },
                stride: None,
            },
            Topology::Lattice(lat) => spread(lat.l, rows, cols, conditional, section.stride)?,
        }
    };
    if placement.visible.len() != pixels {
        return Err(err(format!(
            "{} visible cells for {pixels} pixels ({rows} x {cols})",
            placement.visible.len()
        )));
    }
    if placement.inputs.len() != if conditional { pixels } else { 0 } {
        return Err(err(format!(
            "{} input cells; a {} machine needs {}",
            placement.inputs.len(),
            if conditional { "conditional" } else { "plain" },
            if conditional { pixels } else { 0 }
        )));
    }
    let mut used = vec![false; n];
    for &c in placement.visible.iter().chain(&placement.inputs) {
        if c >= n {
            return Err(err(format!("cell {c} is outside the chip's 0..{n}")));
        }
        if std::mem::replace(&mut used[c], true) {
            return Err(err(format!("cell {c} is placed twice")));
        }
    }
    Ok(placement)
}

/// The lattice rule of the module documentation.
fn spread(
    l: usize,
    rows: usize,
    cols: usize,
    conditional: bool,
    stride: Option<usize>,
) -> Result<Placement, TrainError> {
    let e = usize::from(conditional);
    let span = rows.max(cols);
    let min = 1 + e;
    let s = match stride {
        Some(s) => s,
        None if span <= 1 => min,
        None => (l.saturating_sub(1 + e)) / (span - 1),
    };
    let width = s * (cols - 1) + 1 + e;
    let height = s * (rows - 1) + 1;
    if s < min || width > l || height > l {
        return Err(err(format!(
            "a {rows} x {cols} image{} does not fit a {l} x {l} lattice at stride {s} (needs stride >= {min} and \
             {width} x {height} cells); use a larger lattice",
            if conditional { " with its input cells" } else { "" }
        )));
    }
    let (ox, oy) = ((l - width) / 2, (l - height) / 2);
    let cell = |r: usize, c: usize, dx: usize| (oy + s * r) * l + ox + s * c + dx;
    let visible = (0..rows * cols).map(|k| cell(k / cols, k % cols, 0)).collect();
    let inputs =
        if conditional { (0..rows * cols).map(|k| cell(k / cols, k % cols, 1)).collect() } else { vec![] };
    Ok(Placement { visible, inputs, stride: Some(s) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::{Boundary, Lattice};

    #[test]
    fn lattice_spread_is_centred_and_inputs_are_neighbours() {
        let lat = Lattice::new(24, Boundary::Torus, 12).unwrap();
        let t = Topology::Lattice(lat.clone());
        let p = place(&t, 8, 8, true, &PlacementSection::default()).unwrap();
        assert_eq!(p.stride, Some(3));
        // width 3 * 7 + 2 = 23: offset 0; height 22: offset 1
        assert_eq!(p.visible[0], 24);
        assert_eq!(p.inputs[0], 25);
        for (&v, &i) in p.visible.iter().zip(&p.inputs) {
            assert!((0..12).any(|d| lat.neighbour(v, d) == Some(i)));
        }
        let q = place(&t, 3, 3, false, &PlacementSection::default()).unwrap();
        assert_eq!(q.stride, Some(11));
        let e = place(&t, 8, 8, true, &PlacementSection { stride: Some(4), ..Default::default() });
        assert!(e.unwrap_err().to_string().contains("does not fit"));
    }

    #[test]
    fn explicit_lists_are_checked() {
        let t = Topology::Graph(crate::chip::Graph::new(5, vec![(0, 1)]).unwrap());
        let s = PlacementSection { visible: Some(vec![0, 0]), ..Default::default() };
        assert!(place(&t, 1, 2, false, &s).unwrap_err().to_string().contains("twice"));
        let s = PlacementSection { visible: Some(vec![0, 9]), ..Default::default() };
        assert!(place(&t, 1, 2, false, &s).unwrap_err().to_string().contains("outside"));
        let p = place(&t, 1, 2, true, &PlacementSection::default()).unwrap();
        assert_eq!((p.visible, p.inputs), (vec![0, 1], vec![2, 3]));
    }
}
