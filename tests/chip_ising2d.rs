//! 2D Ising model, J = 1, h = 0, on a 64 x 64 torus (degree 4), against PHYSICS.md section 6:
//! mean |m| about 0.0334 at beta = 0.3 and 0.9113 at beta = 0.5 (64 x 64 torus values);
//! energy per site -0.70450 at beta = 0.3 and -1.74556 at beta = 0.5 (infinite lattice,
//! Onsager's solution). Finite-size corrections to the energy are of order exp(-L / xi) with
//! the exact correlation length xi^-1 = 2 |beta - beta*|, tanh beta* = exp(-2 beta):
//! xi = 1.6 at beta = 0.3 and 4.4 at beta = 0.5, so exp(-L/xi) < 1e-6 at L = 64: negligible.
//! Energy per site is E/N with E = -sum_edges s_i s_j (-2 at beta -> infinity).
//!
//! Tolerance: 3 standard errors, SE = sqrt(2 tau_int Var / n) with tau_int from Sokal's
//! automatic windowing (autocorrelation accounted for), plus the rounding of the reference
//! values (5e-5 for 0.0334, 5e-6 for the others). The beta = 0.5 run starts ordered.

use pbitsim::chip::{
    Boundary, Chip, Couplings, IdealCell, Initial, Lattice, Model, ModelKind, RunOptions, Schedule, Topology,
    run_chip,
};

fn ising64(beta: f64, initial: Initial, sweeps: u64, seed: u64) -> pbitsim::chip::ChipStats {
    let lat = Lattice::new(64, Boundary::Torus, 4).unwrap();
    let model = Model {
        kind: ModelKind::Ising,
        beta,
        couplings: Couplings::Uniform(1.0),
        fields: vec![0.0; 4096],
        diagonal: vec![],
    };
    let chip = Chip::new(Topology::Lattice(lat), model).unwrap();
    let schedule = Schedule { warmup: 2000, sweeps, thin: 1, initial, ..Default::default() };
    let opts = RunOptions { seed, threads: 2, ..Default::default() };
    run_chip(&chip, IdealCell::new(beta), &schedule, &opts, &mut []).unwrap()
}

fn check(name: &str, got: f64, se: f64, reference: f64, rounding: f64) {
    let tol = 3.0 * se + rounding;
    eprintln!(
        "{name}: {got:.5} +- {se:.5} (reference {reference}), |diff| {:.5} vs tol {tol:.5}",
        (got - reference).abs()
    );
    assert!((got - reference).abs() < tol, "{name}: {got} vs {reference} (3 SE + rounding = {tol})");
}

#[test]
fn ising64_beta_0_3() {
    let st = ising64(0.3, Initial::Random, 80_000, 11);
    assert!(st.autocorrelation_reliable);
    check("<|m|> beta 0.3", st.mean_abs_magnetization, st.mean_abs_magnetization_se, 0.0334, 5e-5);
    check("E/N beta 0.3", st.energy_per_cell_mean, st.energy_per_cell_se, -0.70450, 5e-6);
}

#[test]
fn ising64_beta_0_5_ordered_start() {
    let st = ising64(0.5, Initial::Up, 80_000, 12);
    assert!(st.autocorrelation_reliable);
    check("<|m|> beta 0.5", st.mean_abs_magnetization, st.mean_abs_magnetization_se, 0.9113, 5e-5);
    check("E/N beta 0.5", st.energy_per_cell_mean, st.energy_per_cell_se, -1.74556, 5e-6);
}
