//! Special functions shared by every stage, each written once.

/// The logistic function σ(x) = 1/(1 + e^{-x}), stable for any x (no overflow of e^{-x} for
/// large negative x: there it is evaluated as e^x/(1 + e^x)).
///
/// The chip's inner kernels use their own single-precision approximation
/// (`chip::cells::cell::logistic`), checked against this one.
pub fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logistic_values_and_tails() {
        assert_eq!(logistic(0.0), 0.5);
        // σ(ln 3) = 3/4 exactly in real arithmetic.
        assert!((logistic(3f64.ln()) - 0.75).abs() < 1e-15);
        assert!((logistic(-3f64.ln()) - 0.25).abs() < 1e-15);
        assert_eq!(logistic(800.0), 1.0);
        assert!(logistic(-800.0) >= 0.0 && logistic(-800.0) < 1e-300);
        assert!(!logistic(-800.0).is_nan());
    }
}
