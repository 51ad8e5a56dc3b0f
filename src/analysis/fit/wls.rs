//! Linear weighted least squares and the inversion of normal matrices, shared by the fits.
//!
//! Minimise chi2 = sum_i ((y_i - sum_j X_ij c_j) / se_i)^2. The weighted design A_ij = X_ij/se_i
//! is scaled to unit column norms (A = B D) and decomposed by SVD, B = U S V^T; then
//! c = D^-1 V S^-1 U^T (y/se) and cov(c) = D^-1 V S^-2 V^T D^-1. The problem is declared
//! singular when a column is zero or the scaled condition number exceeds 1/[`RCOND`].

use nalgebra::{DMatrix, DVector, SymmetricEigen};

/// Smallest accepted ratio of the smallest to the largest singular value (or eigenvalue,
/// for normal matrices) after scaling to unit diagonal.
pub(crate) const RCOND: f64 = 1e-12;

/// Solution of a linear weighted least-squares problem (covariance not yet scaled).
#[derive(Debug, Clone)]
pub(crate) struct Wls {
    pub coefficients: Vec<f64>,
    pub covariance: DMatrix<f64>,
    /// (y_i - model_i) / se_i.
    pub residuals: Vec<f64>,
}

/// Solve the weighted least-squares problem with design rows `design` (n x p). The error
/// is the reason the problem is singular.
pub(crate) fn solve(design: &DMatrix<f64>, y: &[f64], se: &[f64]) -> Result<Wls, String> {
    let (n, p) = design.shape();
    let mut a = DMatrix::from_fn(n, p, |i, j| design[(i, j)] / se[i]);
    let b = DVector::from_fn(n, |i, _| y[i] / se[i]);
    let mut scale = vec![0.0; p];
    for j in 0..p {
        let norm = a.column(j).norm();
        if norm == 0.0 || !norm.is_finite() {
            return Err(format!("regressor {j} is zero at every point"));
        }
        scale[j] = norm;
        a.column_mut(j).scale_mut(1.0 / norm);
    }
    let svd = a.svd(true, true);
    let s = &svd.singular_values;
    let (smin, smax) = s.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    if smin.is_nan() || smin <= RCOND * smax {
        return Err(format!(
            "singular normal matrix (regressors linearly dependent: condition number {})",
            super::error::num(smax / smin)
        ));
    }
    let (u, vt) = (svd.u.expect("u requested"), svd.v_t.expect("v_t requested"));
    let v = vt.transpose();
    let ub = u.transpose() * &b;
    let mut coefficients = vec![0.0; p];
    let mut covariance = DMatrix::zeros(p, p);
    for j in 0..p {
        for k in 0..s.len() {
            coefficients[j] += v[(j, k)] * ub[k] / s[k];
        }
        for l in 0..p {
            let c: f64 = (0..s.len()).map(|k| v[(j, k)] * v[(l, k)] / (s[k] * s[k])).sum();
            covariance[(j, l)] = c / (scale[j] * scale[l]);
        }
        coefficients[j] /= scale[j];
    }
    let residuals = (0..n)
        .map(|i| (y[i] - (0..p).map(|j| design[(i, j)] * coefficients[j]).sum::<f64>()) / se[i])
        .collect();
    Ok(Wls { coefficients, covariance, residuals })
}

/// Inverse of a symmetric positive-definite normal matrix, or the reason it is singular:
/// a non-positive or non-finite diagonal element, or a condition number of the matrix scaled
/// to unit diagonal above 1/[`RCOND`].
pub(crate) fn spd_inverse(m: &DMatrix<f64>) -> Result<DMatrix<f64>, String> {
    let p = m.nrows();
    let mut d = vec![0.0; p];
    for i in 0..p {
        let v = m[(i, i)];
        if !(v > 0.0 && v.is_finite()) {
            return Err(format!(
                "singular normal matrix (parameter {i} has information {})",
                super::error::num(v)
            ));
        }
        d[i] = v.sqrt();
    }
    let scaled = DMatrix::from_fn(p, p, |i, j| m[(i, j)] / (d[i] * d[j]));
    let eig = SymmetricEigen::new(scaled);
    let (lmin, lmax) =
        eig.eigenvalues.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    if lmin.is_nan() || lmin <= RCOND * lmax {
        return Err(format!(
            "singular normal matrix (smallest/largest eigenvalue of the correlation matrix {})",
            super::error::num(lmin / lmax)
        ));
    }
    let q = &eig.eigenvectors;
    Ok(DMatrix::from_fn(p, p, |i, j| {
        (0..p).map(|k| q[(i, k)] * q[(j, k)] / eig.eigenvalues[k]).sum::<f64>() / (d[i] * d[j])
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn straight_line_matches_closed_form() {
        let x = [0.0, 1.0, 2.0, 3.0];
        let y = [1.1, 2.9, 5.2, 6.8];
        let se = [0.1, 0.2, 0.1, 0.3];
        let design = DMatrix::from_fn(4, 2, |i, j| if j == 0 { 1.0 } else { x[i] });
        let fit = solve(&design, &y, &se).unwrap();
        let w: Vec<f64> = se.iter().map(|s| 1.0 / (s * s)).collect();
        let (s, sx, sxx, sy, sxy) = (0..4).fold((0.0, 0.0, 0.0, 0.0, 0.0), |a, i| {
            (
                a.0 + w[i],
                a.1 + w[i] * x[i],
                a.2 + w[i] * x[i] * x[i],
                a.3 + w[i] * y[i],
                a.4 + w[i] * x[i] * y[i],
            )
        });
        let det = s * sxx - sx * sx;
        assert!((fit.coefficients[0] - (sxx * sy - sx * sxy) / det).abs() < 1e-12);
        assert!((fit.coefficients[1] - (s * sxy - sx * sy) / det).abs() < 1e-12);
        assert!((fit.covariance[(1, 1)] - s / det).abs() < 1e-12);
        assert!((fit.covariance[(0, 1)] + sx / det).abs() < 1e-12);
        let inv = spd_inverse(&DMatrix::from_row_slice(2, 2, &[s, sx, sx, sxx])).unwrap();
        assert!((inv - &fit.covariance).abs().max() < 1e-12);
    }

    #[test]
    fn collinear_regressors_are_singular() {
        let design = DMatrix::from_fn(3, 2, |i, j| (i as f64 + 1.0) * (j as f64 + 1.0));
        assert!(solve(&design, &[1.0, 2.0, 3.0], &[1.0; 3]).unwrap_err().contains("singular"));
        assert!(spd_inverse(&DMatrix::from_row_slice(2, 2, &[1.0, 1.0, 1.0, 1.0])).is_err());
    }
}
