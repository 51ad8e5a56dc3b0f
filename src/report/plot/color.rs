//! Colours: a categorical palette for unrelated series and a sequential one for ordered
//! series such as temperatures.

/// An sRGB colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Black.
    pub const BLACK: Rgb = Rgb(0, 0, 0);
    /// White.
    pub const WHITE: Rgb = Rgb(255, 255, 255);

    /// Linear interpolation towards `other` (`t` = 0 gives `self`, 1 gives `other`).
    pub fn mix(self, other: Rgb, t: f64) -> Rgb {
        let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
        let lerp = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
        Rgb(lerp(self.0, other.0), lerp(self.1, other.1), lerp(self.2, other.2))
    }
}

/// The ten "Tableau 10" colours (matplotlib's default cycle).
const CATEGORICAL: [Rgb; 10] = [
    Rgb(0x1f, 0x77, 0xb4),
    Rgb(0xff, 0x7f, 0x0e),
    Rgb(0x2c, 0xa0, 0x2c),
    Rgb(0xd6, 0x27, 0x28),
    Rgb(0x94, 0x67, 0xbd),
    Rgb(0x8c, 0x56, 0x4b),
    Rgb(0xe3, 0x77, 0xc2),
    Rgb(0x7f, 0x7f, 0x7f),
    Rgb(0xbc, 0xbd, 0x22),
    Rgb(0x17, 0xbe, 0xcf),
];

/// The `i`-th of ten distinct colours, repeating after ten. For more than ten ordered series
/// (e.g. a long temperature sweep) use [`sequential`].
pub fn categorical(i: usize) -> Rgb {
    CATEGORICAL[i % CATEGORICAL.len()]
}

/// Anchors of the viridis colour map (dark purple to yellow), evenly spaced in `t`.
const VIRIDIS: [Rgb; 9] = [
    Rgb(0x44, 0x01, 0x54),
    Rgb(0x47, 0x2c, 0x7a),
    Rgb(0x3b, 0x52, 0x8b),
    Rgb(0x2c, 0x72, 0x8e),
    Rgb(0x21, 0x90, 0x8d),
    Rgb(0x27, 0xad, 0x81),
    Rgb(0x5c, 0xc8, 0x63),
    Rgb(0xaa, 0xdc, 0x32),
    Rgb(0xfd, 0xe7, 0x25),
];

/// A colour from the viridis map for `t` in [0, 1] (clamped): dark purple at 0, yellow at 1.
/// Perceptually ordered, so cold-to-hot sweeps read naturally.
pub fn sequential(t: f64) -> Rgb {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    VIRIDIS[i].mix(VIRIDIS[i + 1], pos - i as f64)
}

/// `n` colours for `n` ordered series: [`categorical`] for up to ten, otherwise evenly
/// spaced [`sequential`] colours (stopping short of the pale yellow end).
pub fn spread(n: usize) -> Vec<Rgb> {
    if n <= CATEGORICAL.len() {
        (0..n).map(categorical).collect()
    } else {
        (0..n).map(|i| sequential(0.9 * i as f64 / (n - 1) as f64)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn palettes_give_distinct_colours() {
        for n in [1, 3, 10, 11, 40] {
            let colours = spread(n);
            let mut unique = colours.clone();
            unique.sort_by_key(|c| (c.0, c.1, c.2));
            unique.dedup();
            assert_eq!(unique.len(), n, "spread({n}) repeats a colour");
        }
        assert_eq!(sequential(0.0), VIRIDIS[0]);
        assert_eq!(sequential(1.0), VIRIDIS[8]);
        assert_eq!(sequential(f64::NAN), VIRIDIS[0]);
    }
}
