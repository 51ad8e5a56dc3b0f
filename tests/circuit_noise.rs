//! Channel noise of a biased transistor (PHYSICS.md sections 2 and 10): the one-sided power
//! spectral density of its current is 2q(I_F + I_R) in weak inversion and the long-channel
//! thermal noise 4kT (2/3) g_m in strong-inversion saturation, flat in frequency, on both
//! engines. The current is
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
    circuit(&format!(
        "biased transistor\n.include models/ideal_n.toml\nVd d 0 {VD}\nVg g 0 60m\nM1 d g 0 0 ideal_n W=1u L=1u\n.temp 26.85\n"
    ))
}

fn circuit(text: &str) -> Circuit {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("shot.cir");
    let netlist = Netlist::parse_str(text, path, &[]).unwrap();
    Circuit::build(&elaborate(&netlist, None, &Default::default()).unwrap()).unwrap()
}

/// The charge delivered by the drain source (the supply energy over the drain voltage),
/// every `dt` over `t_end`, from one engine.
fn drain_charges(circuit: &Circuit, engine: &str, vd: f64, dt: f64, t_end: f64, seed: u64) -> Vec<f64> {
    let mut rng = Seed(seed).stream(Domain::Trajectory, 0);
    let mut charges = Vec::with_capacity((t_end / dt) as usize + 1);
    let mut record = |_t: f64, x: &[f64]| {
        charges.push(x[0] / vd);
        ControlFlow::Continue(())
    };
    if engine == "jump" {
        pbitsim::jump::gillespie(circuit, t_end, dt, &mut rng, &mut record).unwrap();
    } else {
        let sys = CircuitSde::new(circuit);
        let mut x = sys.initial_state();
        integrate(&sys, &EulerMaruyama, &Schedule::fixed(t_end, dt, dt), &mut x, &mut rng, &mut record)
            .unwrap();
    }
    charges
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
    let expected = op.channel_noise_psd();
    let dt = 1e-9;
    let t_end = 400e-6;
    for engine in ["jump", "sde"] {
        let charges = drain_charges(&circuit, engine, VD, dt, t_end, 80);
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

/// Across inversion levels on the sky130-like EKV law, both engines: in weak inversion
/// (nlvt, V_GS = 0.1 V, x = (V_P - V_S)/U_T about -9.5, saturated at V_DS = 0.3 V) the PSD is
/// Schottky's 2q I_D; in strong-inversion saturation (an n = 1 EKV card with V_T0 = 0 and a
/// small KP, so the current stays at 0.5 nA and the jump engine affordable; V_GS = 1 V,
/// V_DS = 1.8 V) it is the long-channel thermal noise 4kT (2/3) g_m (Tsividis; Enz and Vittoz),
/// well below 2q I_D. g_m is a finite difference of the drain current, computed here. The
/// model's charge-based law sits (3/4 + q)/(1 + q) below 2/3 (1.3 % at the inversion charge
/// q = 19 of this bias), inside the 5 % the test allows beside 4 standard errors.
#[test]
fn channel_noise_psd_across_inversion_on_both_engines() {
    let strong_card = "name = \"strong_n\"\npolarity = \"nmos\"\nsource = \"test card\"\n[ekv]\nvt0_v = 0.0\nkp_ua_per_v2 = 0.001\nn = 1.0\ninterpolation = \"ekv\"\n[temperature]\ntnom_k = 300.15\ntcv_mv_per_k = 0\nbex = 0\n";
    let dir = std::env::temp_dir().join(format!("pbitsim_noise_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let card_path = dir.join("strong_n.toml");
    std::fs::write(&card_path, strong_card).unwrap();
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    let k_t = pbitsim::units::BOLTZMANN * 300.15;
    let cases = [
        (
            format!(
                "weak\n.include {}/nlvt.toml\nVd d 0 0.3\nVg g 0 0.1\nM1 d g 0 0 nlvt W=10u L=1u\n",
                models.display()
            ),
            0.3,
            0.1,
            "weak",
        ),
        (
            format!(
                "strong\n.include {}\nVd d 0 1.8\nVg g 0 1.0\nM1 d g 0 0 strong_n W=1u L=1u\n",
                card_path.display()
            ),
            1.8,
            1.0,
            "strong",
        ),
    ];
    for (text, vd, vg, region) in cases {
        let circuit = circuit(&text);
        let pbitsim::circuit::DeviceKind::Mosfet(t) = &circuit.devices[0].kind else { panic!() };
        let current = |vs: f64| t.evaluate(&Terminals { d: vd, g: vg, s: vs, b: 0.0 }).i_d;
        let i_d = current(0.0);
        let h = 1e-6;
        let g_m = (t.evaluate(&Terminals { d: vd, g: vg + h, s: 0.0, b: 0.0 }).i_d
            - t.evaluate(&Terminals { d: vd, g: vg - h, s: 0.0, b: 0.0 }).i_d)
            / (2.0 * h);
        let law =
            if region == "weak" { 2.0 * ELEMENTARY_CHARGE * i_d } else { 4.0 * k_t * (2.0 / 3.0) * g_m };
        let dt = 1e-9;
        let t_end = 60e-6;
        for engine in ["jump", "sde"] {
            let charges = drain_charges(&circuit, engine, vd, dt, t_end, 81);
            let (level, rel_se) = psd_level(&charges, dt);
            let mean_current = (charges.last().unwrap() - charges[0]) / t_end;
            eprintln!(
                "{region} {engine}: S_I = {level:.4e} A^2/Hz, law {law:.4e} ({:+.2} %, se {:.2} %), 2qI_D = {:.4e}; I = {mean_current:.4e} A (I_D {i_d:.4e})",
                100.0 * (level / law - 1.0),
                100.0 * rel_se,
                2.0 * ELEMENTARY_CHARGE * i_d
            );
            assert!(4.0 * rel_se < 0.02, "too few samples to test 5 %");
            assert!((level / law - 1.0).abs() < 0.05, "{region} {engine}: {level} vs {law}");
            // The mean current over t_end has variance S_I / (2 t_end).
            let current_se = (law / (2.0 * t_end)).sqrt() / i_d;
            assert!(
                (mean_current / i_d - 1.0).abs() < 5.0 * current_se,
                "{region} {engine}: current {mean_current} vs {i_d} (se {current_se})"
            );
        }
        if region == "strong" {
            assert!(law < 0.2 * 2.0 * ELEMENTARY_CHARGE * i_d, "strong-inversion noise is sub-Poissonian");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}
