//! A small binarized digits set, rendered in code: 8 x 8 images of the digits 0-9.
//!
//! Provenance and licence: the two 5 x 7 bitmap styles below were drawn by hand for pbitsim
//! (no font file or outside data set was copied) and are distributed with pbitsim under its
//! licence (MIT OR Apache-2.0). Each image is one glyph in one of the two styles, drawn plain
//! or bold (every ink pixel also inks its right neighbour), with its top left corner at column
//! 1, row 0 of the 8 x 8 frame (four variants per digit, the same place every time, so that a
//! small machine can learn the shapes), then each pixel flipped with probability `noise`. Image k of a split draws all its choices from stream (seed, Other, k) (held-out
//! images from indices 2^32 + k), so a set is reproducible from its seed and sizes.
//! Classes come in order 0, 1, ..., 9, 0, 1, ... so every class has the same count.

use super::data::{DataSet, Example};
use crate::rng::{Domain, Seed};
use rand::Rng;

/// Image side.
pub const SIDE: usize = 8;

/// Style A (plain hand-drawn shapes), 5 x 7, '#' ink.
const STYLE_A: [[&str; 7]; 10] = [
    [".###.", "#...#", "#...#", "#...#", "#...#", "#...#", ".###."],
    ["..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."],
    [".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"],
    ["####.", "....#", "....#", ".###.", "....#", "....#", "####."],
    ["...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."],
    ["#####", "#....", "####.", "....#", "....#", "#...#", ".###."],
    ["..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."],
    ["#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."],
    [".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."],
    [".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."],
];

/// Style B (alternative hand-drawn shapes: pointed 0, flagged 1, open 4, crossed 7, ...).
const STYLE_B: [[&str; 7]; 10] = [
    ["..#..", ".#.#.", "#...#", "#...#", "#...#", ".#.#.", "..#.."],
    ["..#..", ".##..", "#.#..", "..#..", "..#..", "..#..", "..#.."],
    [".##..", "#..#.", "...#.", "..#..", ".#...", "#....", "####."],
    [".###.", "#...#", "....#", "..##.", "....#", "#...#", ".###."],
    ["#...#", "#...#", "#...#", "#####", "....#", "....#", "....#"],
    ["#####", "#....", "#....", ".###.", "....#", "....#", "####."],
    [".###.", "#....", "#....", "####.", "#...#", "#...#", ".###."],
    ["#####", "....#", "...#.", ".###.", "..#..", ".#...", ".#..."],
    [".###.", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", ".###."],
    [".###.", "#...#", "#...#", ".####", "....#", "....#", "....#"],
];

/// The glyph of `digit` in `style` (0: A, 1: B), bold or not, as rows of booleans.
fn glyph(digit: usize, style: usize, bold: bool) -> Vec<Vec<bool>> {
    let rows = if style == 0 { &STYLE_A[digit] } else { &STYLE_B[digit] };
    rows.iter()
        .map(|r| {
            let plain: Vec<bool> = r.chars().map(|c| c == '#').collect();
            if !bold {
                return plain;
            }
            (0..=plain.len()).map(|x| (x < plain.len() && plain[x]) || (x > 0 && plain[x - 1])).collect()
        })
        .collect()
}

/// A uniform integer in 0..n.
fn below(rng: &mut impl Rng, n: usize) -> usize {
    ((rng.next_u64() as u128 * n as u128) >> 64) as usize
}

/// Image `index` of class `digit`: a random style and boldness, then noise.
pub fn render(digit: usize, noise: f64, seed: Seed, index: u64) -> Example {
    let mut rng = seed.stream(Domain::Other, index);
    let g = glyph(digit, below(&mut rng, 2), below(&mut rng, 2) == 1);
    let (y0, x0) = (0, 1);
    let mut pixels = vec![-1i8; SIDE * SIDE];
    for (y, row) in g.iter().enumerate() {
        for (x, &ink) in row.iter().enumerate() {
            if ink {
                pixels[(y0 + y) * SIDE + x0 + x] = 1;
            }
        }
    }
    for p in pixels.iter_mut() {
        if ((rng.next_u64() >> 11) as f64) * (1.0 / 9_007_199_254_740_992.0) < noise {
            *p = -*p;
        }
    }
    Example { pixels, label: digit }
}

/// The digits set: `train` and `test` images (classes in turn), flip noise `noise`.
pub fn digits(train: usize, test: usize, noise: f64, seed: u64) -> DataSet {
    let seed = Seed(seed);
    let split = |count: usize, base: u64| -> Vec<Example> {
        (0..count).map(|k| render(k % 10, noise, seed, base + k as u64)).collect()
    };
    DataSet {
        name: format!("digits 8 x 8 ({train} + {test} images, noise {noise})"),
        rows: SIDE,
        cols: SIDE,
        classes: 10,
        train: split(train, 0),
        test: split(test, 1 << 32),
        exact: false,
        provenance: "rendered in code from two 5 x 7 bitmap styles drawn by hand for pbitsim \
                     (MIT OR Apache-2.0), plain or bold, at random positions, with pixel-flip noise"
            .into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glyphs_are_well_formed_and_distinct() {
        for style in [&STYLE_A, &STYLE_B] {
            for (d, rows) in style.iter().enumerate() {
                assert!(rows.iter().all(|r| r.len() == 5), "digit {d}");
            }
        }
        let mut all = vec![];
        for s in 0..2 {
            for d in 0..10 {
                all.push(glyph(d, s, false));
            }
        }
        for a in 0..all.len() {
            for b in 0..a {
                assert_ne!(all[a], all[b], "glyphs {a} and {b} are equal");
            }
        }
        assert_eq!(glyph(1, 0, true)[0].len(), 6);
    }

    /// Without noise every image is a glyph in the frame; the split is reproducible and the
    /// nearest-centroid classifier separates the classes far above chance (independent of
    /// any training code: the truth is the label the image was drawn with).
    #[test]
    fn digits_are_reproducible_and_separable() {
        let d = digits(400, 200, 0.03, 4);
        assert_eq!(d, digits(400, 200, 0.03, 4));
        assert_eq!(d.train.iter().filter(|e| e.label == 3).count(), 40);
        let clean = digits(50, 0, 0.0, 4);
        for e in &clean.train {
            let ink = e.pixels.iter().filter(|&&p| p > 0).count();
            assert!((9..=40).contains(&ink), "{ink}");
        }
        let acc = d.centroids().accuracy(&d.test);
        assert!(acc > 0.8, "nearest-centroid accuracy {acc}");
    }
}
