//! Gaussian model (GMRF): sampled means and covariances against the exact law
//! x ~ N(Q^-1 b, (beta Q)^-1) (Rue and Held 2005, section 2.2), Q_ii = d, Q_ij = -J_ij,
//! computed with nalgebra's Cholesky factorisation. Samples are thinned by 5 sweeps; the
//! tolerance is 5 standard errors with SE = sqrt(2 tau Var / n), tau <= 1 allowed for any
//! correlation left after thinning (so SE = sqrt(2 Var / n)).

mod chip_common;

use nalgebra::{DMatrix, DVector};
use pbitsim::chip::{Chip, IdealCell, Method, ModelKind, RunOptions, Schedule, run_chip};

#[test]
fn gaussian_means_and_covariances_match_exact() {
    let n = 10;
    let edges = chip_common::random_graph(n, 6, 5);
    let j = chip_common::normals(edges.len(), 0.0, 0.4, 6);
    let b = chip_common::normals(n, 0.0, 1.0, 7);
    let (beta, d) = (2.0, 3.0f32);
    let (t, mut model) =
        chip_common::graph_model(n, edges.clone(), ModelKind::Gaussian, beta, j.clone(), b.clone());
    model.diagonal = vec![d; n];
    let chip = Chip::new(t, model).unwrap();
    let mut q = DMatrix::<f64>::identity(n, n) * d as f64;
    for (&(a, c), &jv) in edges.iter().zip(&j) {
        q[(a as usize, c as usize)] = -jv as f64;
        q[(c as usize, a as usize)] = -jv as f64;
    }
    let chol = q.clone().cholesky().expect("Q positive definite");
    let mean = chol.solve(&DVector::from_iterator(n, b.iter().map(|&x| x as f64)));
    let cov = chol.inverse() / beta;
    let pairs: Vec<(usize, usize)> =
        edges.iter().map(|&(a, c)| (a as usize, c as usize)).chain((0..n).map(|i| (i, i))).collect();
    let samples = 200_000u64;
    for method in [Method::BlockGibbs, Method::FreeRunning] {
        let schedule =
            Schedule { method, warmup: 100, sweeps: samples * 5, thin: 5, tau: 0.5, ..Default::default() };
        let opts = RunOptions { seed: 6, threads: 2, pairs: Some(pairs.clone()), ..Default::default() };
        let st = run_chip(&chip, IdealCell::new(beta), &schedule, &opts, &mut []).unwrap();
        for i in 0..n {
            let se = (2.0 * cov[(i, i)] / samples as f64).sqrt();
            assert!(
                (st.marginals[i] - mean[i]).abs() < 5.0 * se,
                "{method:?} mean {i}: {} vs {}",
                st.marginals[i],
                mean[i]
            );
        }
        for pv in st.pair_correlations.unwrap() {
            let (i, k) = (pv.i, pv.j);
            let exact = cov[(i, k)] + mean[i] * mean[k];
            // Var(x_i x_k) bounded via E[(x_i x_k)^2] <= sqrt(E x_i^4 E x_k^4)
            let m4 =
                |a: usize| 3.0 * cov[(a, a)].powi(2) + 6.0 * cov[(a, a)] * mean[a].powi(2) + mean[a].powi(4);
            let se = (2.0 * (m4(i) * m4(k)).sqrt() / samples as f64).sqrt();
            assert!((pv.value - exact).abs() < 5.0 * se, "{method:?} <x{i} x{k}>: {} vs {exact}", pv.value);
        }
    }
}
