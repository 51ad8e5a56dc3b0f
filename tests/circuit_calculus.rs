//! Zero supply: every method accepted for circuits gives the equilibrium law of a node, mean 0
//! and variance kT/C (PHYSICS.md 2.2), through the circuit code: a netlist node with a
//! resistor to ground and a zero-supply inverter (transistor and resistor fluxes together),
//! default settings (method-specific step chosen for 0.5 % accuracy). Heun without the
//! Ito-Stratonovich correction would put the mean about 0.1 mV off zero here (the correction
//! is of order q/C), twice the tolerance; the methods that cannot integrate circuit noise are
//! refused with the reason and working alternatives.

mod scratch;

use pbitsim::simulate::{self, Engine, SimulateConfig};
use pbitsim::units::BOLTZMANN;
use scratch::Scratch;

const C: f64 = 0.25e-15;
const T: f64 = 300.0;

/// Node mean and std pooled over runs, and their standard errors from the spread of the
/// per-run values.
fn measure(config: &SimulateConfig) -> [(f64, f64); 2] {
    let prepared = simulate::prepare(config).unwrap();
    let outcome = simulate::run(config, prepared, &|_| {}).unwrap();
    let n = outcome.records.len() as f64;
    let spread = |values: Vec<f64>| {
        let m = values.iter().sum::<f64>() / n;
        (m, (values.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) / n).sqrt())
    };
    [
        spread(outcome.records.iter().map(|r| r.nodes[0].mean).collect()),
        spread(outcome.records.iter().map(|r| r.nodes[0].std()).collect()),
    ]
}

#[test]
fn zero_supply_every_accepted_method_is_boltzmann() {
    let dir = Scratch::new("calculus", "zero");
    let netlist = dir.path("zero.cir");
    let models = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    std::fs::write(
        &netlist,
        format!(
            "Zero-supply node: a resistor and an inverter on one capacitor\n.include {}\n.include {}\n\
             Vdd vdd 0 0\nVin in 0 30m\nR1 out 0 1meg\nMn out in 0 0 zvt_n W=1u L=1u\n\
             Mp out in vdd vdd zvt_p W=1u L=1u\nCout out 0 {C:e}\n.tran 1n 1u\n.output analog v V(out)\n.end\n",
            models.join("zvt_n.toml").display(),
            models.join("zvt_p.toml").display()
        ),
    )
    .unwrap();
    let sigma = (BOLTZMANN * T / C).sqrt();
    let base =
        SimulateConfig { circuit: netlist.clone(), temperature: Some(T), runs: 16, ..Default::default() };
    // The fastest node time constant is about 80 ps (R and both channels in parallel).
    let tau = simulate::prepare(&SimulateConfig { tstop: Some(1e-6), ..base.clone() })
        .unwrap()
        .step
        .fastest_time_constant_s;
    eprintln!("sqrt(kT/C) = {:.4} mV, tau = {:.1} ps", sigma * 1e3, tau * 1e12);
    for (i, (engine, method)) in [
        ("sde", "lm"),
        ("sde", "heun"),
        ("sde", "em"),
        ("sde", "implicit"),
        ("sde", "trapezoidal"),
        ("jump", "gillespie"),
        ("jump", "tau"),
    ]
    .into_iter()
    .enumerate()
    {
        // 7e5 time constants: the mean to 0.01 mV and the std to 0.1 % (one standard error),
        // so that four of them fit beside the 0.5 % step error every method is allowed.
        let config = SimulateConfig {
            engine: Engine::parse(engine, Some(method)).unwrap(),
            tstop: Some(7e5 * tau / 16.0),
            warmup: 20.0 * tau,
            seed: 60 + i as u64,
            ..base.clone()
        };
        let [(mean, se_mean), (std, se_std)] = measure(&config);
        eprintln!(
            "{method:11}: mean {:+.4} +- {:.4} mV, std/sqrt(kT/C) - 1 = {:+.3} +- {:.3} %",
            mean * 1e3,
            se_mean * 1e3,
            100.0 * (std / sigma - 1.0),
            100.0 * se_std / sigma
        );
        // The SDE methods may err by their 0.5 % step accuracy; the jump engines have no step
        // error here (every tau-leap falls back to exact events at this capacitance).
        let allowed = if engine == "sde" { 0.005 } else { 0.0 };
        assert!(
            4.0 * se_mean < 0.05e-3 && 4.0 * se_std < (0.01 - allowed) * sigma,
            "{method}: too few samples"
        );
        assert!(mean.abs() < 0.05e-3, "{method}: mean {mean} V");
        assert!((std / sigma - 1.0).abs() < 0.01, "{method}: std {std} V vs {sigma} V");
    }
    for method in ["milstein", "sri"] {
        let config = SimulateConfig { engine: Engine::parse("sde", Some(method)).unwrap(), ..base.clone() };
        let err = simulate::prepare(&config).unwrap_err().to_string();
        assert!(
            err.contains("cannot integrate General noise")
                && err.contains("use em, heun, implicit or trapezoidal"),
            "{err}"
        );
    }
}
