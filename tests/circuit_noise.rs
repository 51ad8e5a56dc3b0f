//! Shot noise of a biased transistor (PHYSICS.md section 2): the one-sided power spectral
//! density of its current is 2q(I_F + I_R), flat in frequency, on both engines. The current is
//! read from the charge the drain source delivers (the supply-energy accumulator divided by
//! the drain voltage), binned every `dt`, and its spectrum estimated by Welch's method.

use std::ops::ControlFlow;
use std::path::Path;

use pbitsim::analysis::welch;
use pbitsim::circuit::elaborate::elaborate;
use pbitsim::circuit::netlist::Netlist;
use pbitsim::circuit::{Circuit, CircuitSde};
use pbitsim::device::Terminals;
use pbitsim::rng::{Domain, Seed};
use pbitsim::sde::{EulerMaruyama, Schedule, integrate};
use pbitsim::units::ELEMENTARY_CHARGE;

const VD: f64 = 0.05;

fn biased_transistor() -> Circuit {
    let text = format!(
        "biased transistor\n.include models/ideal_n.toml\nVd d 0 {VD}\nVg g 0 60m\nM1 d g 0 0 ideal_n W=1u L=1u\n.temp 26.85\n"
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("shot.cir");
    let netlist = Netlist::parse_str(&text, path, &[]).unwrap();
    Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap()
}

/// Mean PSD level over all frequency bins from charge samples every `dt`, and its relative
/// standard error. The current binned over dt and sampled every dt is exactly white for white
/// shot noise (the aliases of the binning filter sinc^2(f dt) sum to one), with one-sided
/// level S. Each Welch bin is chi-square with 2 x segments degrees of freedom; bins of a white
/// spectrum are independent, and 50 % overlap of Hann segments keeps about 90 % of the
/// information.
fn psd_level(charges: &[f64], dt: f64) -> (f64, f64) {
    let current: Vec<f64> = charges.windows(2).map(|w| (w[1] - w[0]) / dt).collect();
    let segment = 256;
    let (_, s) = welch(&current, dt, segment);
    let level = s.iter().sum::<f64>() / s.len() as f64;
    let segments = 2.0 * current.len() as f64 / segment as f64;
    let rel_se = 1.0 / (0.9 * segments * s.len() as f64).sqrt();
    (level, rel_se)
}

#[test]
fn current_psd_is_shot_noise_on_both_engines() {
    let circuit = biased_transistor();
    let device = &circuit.devices[0];
    let pbitsim::circuit::DeviceKind::Mosfet(t) = &device.kind else { panic!() };
    let op = t.evaluate(&Terminals { d: VD, g: 0.06, s: 0.0, b: 0.0 });
    let expected = op.shot_noise_psd();
    let dt = 1e-9;
    let t_end = 400e-6;
    for engine in ["jump", "sde"] {
        let mut rng = Seed(80).stream(Domain::Trajectory, 0);
        let mut charges = Vec::with_capacity((t_end / dt) as usize + 1);
        let mut record = |_t: f64, x: &[f64]| {
            charges.push(x[0] / VD);
            ControlFlow::Continue(())
        };
        if engine == "jump" {
            pbitsim::jump::gillespie(&circuit, t_end, dt, &mut rng, &mut record).unwrap();
        } else {
            let sys = CircuitSde::new(&circuit);
            let mut x = sys.initial_state();
            integrate(&sys, &EulerMaruyama, &Schedule::fixed(t_end, dt, dt), &mut x, &mut rng, &mut record)
                .unwrap();
        }
        let (level, rel_se) = psd_level(&charges, dt);
        let mean_current = (charges.last().unwrap() - charges[0]) / t_end;
        eprintln!(
            "{engine}: S_I = {level:.4e} A^2/Hz, 2q(I_F+I_R) = {expected:.4e} ({:+.2} %, se {:.2} %); I = {mean_current:.4e} A (I_D {:.4e})",
            100.0 * (level / expected - 1.0),
            100.0 * rel_se,
            op.i_d
        );
        assert!(3.0 * rel_se < 0.05, "too few samples to test 5 %");
        assert!((level / expected - 1.0).abs() < 0.05, "{engine}: {level} vs {expected}");
        assert!((mean_current / op.i_d - 1.0).abs() < 0.01);
        // Shot noise, not Johnson noise: well above 4kT g_ds for V_DS = 2 U_T.
        assert!(expected > 1.2 * 2.0 * ELEMENTARY_CHARGE * op.i_d);
    }
}
