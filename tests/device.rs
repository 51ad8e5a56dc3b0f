//! Device physics checks (PHYSICS.md sections 1 and 2): each compares the EKV evaluation with
//! an independent law (Johnson-Nyquist, Schottky, the subthreshold swing, finite differences,
//! the published sky130 ranges).

use std::path::Path;

use pbitsim::device::{Geometry, ModelCard, Terminals, load_card};
use pbitsim::units::{BOLTZMANN, ELEMENTARY_CHARGE, thermal_voltage};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

fn card(name: &str) -> ModelCard {
    load_card(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(format!("{name}.toml"))).unwrap()
}

const ALL_CARDS: [&str; 4] = ["nlvt", "plvt", "ideal_n", "ideal_p"];

fn unit_geometry() -> Geometry {
    Geometry { w: 1e-6, l: 1e-6, m: 1.0 }
}

/// Terminal voltages for an NMOS-frame bias (gate, source, drain above bulk), mapped to the
/// device's polarity: a PMOS gets every bulk-referenced voltage negated (bulk at 0.5 V).
fn bias(card: &ModelCard, vg: f64, vs: f64, vd: f64) -> Terminals {
    let s = card.polarity.sign();
    let b = if s > 0.0 { 0.0 } else { 0.5 };
    Terminals { d: b + s * vd, g: b + s * vg, s: b + s * vs, b }
}

fn seeded_runner(cases: u32) -> TestRunner {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]))
}

#[test]
fn no_current_at_zero_drain_source_voltage() {
    for name in ALL_CARDS {
        let c = card(name);
        let t = c.at(unit_geometry(), 300.0, 0.0);
        for vg in [-0.2, 0.0, 0.2, 0.42, 0.8, 1.5] {
            for vs in [0.0, 0.1, 0.3] {
                let op = t.evaluate(&bias(&c, vg, vs, vs));
                assert_eq!(op.i_d, 0.0, "{name} vg={vg} vs={vs}");
            }
        }
    }
}

/// Johnson-Nyquist at equilibrium: S_I(V_DS = 0) = 4 k T g_ds, to 1e-9 relative, from weak
/// into strong inversion (the detailed-balance flux split makes this hold in every region).
#[test]
fn shot_noise_at_equilibrium_is_johnson_nyquist() {
    for name in ALL_CARDS {
        let c = card(name);
        for temp in [250.0, 300.0, 350.0] {
            let t = c.at(unit_geometry(), temp, 0.0);
            for vg in [0.0, 0.2, 0.4, 0.6, 1.0, 1.8] {
                let op = t.evaluate(&bias(&c, vg, 0.05, 0.05));
                let johnson = 4.0 * BOLTZMANN * temp * op.g.d.abs();
                let rel = (op.channel_noise_psd() - johnson).abs() / johnson;
                assert!(rel < 1e-9, "{name} T={temp} vg={vg}: S_I/4kTg = {}", 1.0 + rel);
            }
        }
    }
}

/// Weak inversion: shot noise 2q I_D coth(V_DS / 2U_T) at any V_DS, tending to Schottky's
/// 2q I_D in saturation (V_DS of many U_T). Exact for the exponential (weak-only) law; the
/// EKV law's noise charge falls below one transfer per electron by about e^{x/2}/2 as
/// inversion sets in (x = (V_P - V_S)/U_T), so it is held to 1 % at x below -9.
#[test]
fn shot_noise_tends_to_schottky_in_weak_inversion() {
    let ut = thermal_voltage(300.0);
    for name in ALL_CARDS {
        let c = card(name);
        let t = c.at(unit_geometry(), 300.0, 0.0);
        let (vgs, tol): (&[f64], f64) =
            if name.starts_with("ideal") { (&[0.1, 0.3, 0.9], 1e-9) } else { (&[0.0, 0.1], 1e-2) };
        for vds_over_ut in [0.5, 2.0, 5.0, 20.0, 30.0] {
            for &vg in vgs {
                let op = t.evaluate(&bias(&c, vg, 0.0, vds_over_ut * ut));
                let schottky = 2.0 * ELEMENTARY_CHARGE * op.i_d.abs();
                let coth = 1.0 / (0.5 * vds_over_ut).tanh();
                let rel = (op.channel_noise_psd() / (schottky * coth) - 1.0).abs();
                assert!(rel < tol, "{name} vds={vds_over_ut} U_T vg={vg}: {rel}");
            }
        }
    }
}

/// Strong inversion in saturation: the long-channel thermal noise 4kT (2/3) g_ms (Tsividis;
/// Enz and Vittoz: 4kT gamma n g_m), with the source transconductance g_ms = -dI_D/dV_S
/// taken by finite differences of the current. The charge-based law approaches 2/3 as
/// (3/4 + q)/(1 + q) with the inversion charge q, 1.2 % below at V_GS = 1.8 V on the
/// sky130-like card (q about 20), so the tolerance is 2 %. In between the noise lies between
/// the weak (2q I_D) and strong (thermal) laws and never exceeds shot noise.
#[test]
fn channel_noise_is_thermal_in_strong_inversion() {
    let k_t = BOLTZMANN * 300.0;
    for name in ["nlvt", "plvt"] {
        let c = card(name);
        let t = c.at(unit_geometry(), 300.0, 0.0);
        let h = 1e-6;
        let current = |vs: f64| t.evaluate(&bias(&c, 1.8, vs, 1.8)).i_d.abs();
        let gms = (current(-h) - current(h)) / (2.0 * h);
        let op = t.evaluate(&bias(&c, 1.8, 0.0, 1.8));
        let law = 4.0 * k_t * (2.0 / 3.0) * gms;
        let ratio = op.channel_noise_psd() / law;
        assert!((ratio - 1.0).abs() < 0.02, "{name}: S_I / 4kT(2/3)g_ms = {ratio}");
        assert!(
            op.channel_noise_psd() < 0.2 * 2.0 * ELEMENTARY_CHARGE * op.i_d.abs(),
            "{name}: sub-Poissonian"
        );
        for vg in [0.2, 0.4, 0.6, 0.9, 1.2] {
            let op = t.evaluate(&bias(&c, vg, 0.0, 1.5));
            let shot = 2.0 * ELEMENTARY_CHARGE * op.i_d.abs();
            assert!(op.channel_noise_psd() <= shot * (1.0 + 1e-9), "{name} vg={vg}");
        }
    }
}

/// Subthreshold swing S = dV_G / dlog10(I_D) = n U_T ln 10 in weak-inversion saturation.
/// Exact for the exponential law; the ln^2 law deviates by e^{x/2}/2 (about 2e-5 at x = -20).
#[test]
fn subthreshold_swing_is_n_ut_ln10() {
    for (name, vg, tol) in
        [("ideal_n", -0.2, 1e-12), ("ideal_p", -0.2, 1e-12), ("nlvt", -0.2, 1e-4), ("plvt", -0.2, 1e-4)]
    {
        let c = card(name);
        let t = c.at(unit_geometry(), 300.0, 0.0);
        let op = t.evaluate(&bias(&c, vg, 0.0, 0.3));
        let swing = std::f64::consts::LN_10 * op.i_d.abs() / op.g.g.abs();
        let expected = op.n * thermal_voltage(300.0) * std::f64::consts::LN_10;
        assert!((swing / expected - 1.0).abs() < tol, "{name}: {swing} vs {expected}");
    }
    // Published range for sky130 (PHYSICS.md section 1): 70-85 mV/decade.
    let c = card("nlvt");
    let op = c.at(unit_geometry(), 300.0, 0.0).evaluate(&bias(&c, 0.1, 0.0, 0.3));
    let swing_mv = 1e3 * std::f64::consts::LN_10 * op.i_d / op.g.g;
    assert!((70.0..=85.0).contains(&swing_mv), "nlvt swing {swing_mv} mV/dec");
}

/// Analytic conductances equal central finite differences (step 1 uV: truncation error about
/// (h/U_T)^2/6 ~ 3e-10 and rounding about 1e-11 relative), over random biases from weak into
/// strong inversion, for every card. Proptest with a fixed seed.
#[test]
fn derivatives_match_finite_differences() {
    let mut runner = seeded_runner(400);
    let strategy = (0usize..4, -0.3f64..1.5, 0.0f64..0.6, 0.0f64..0.6, 230.0f64..380.0);
    runner
        .run(&strategy, |(which, vg, vs, vd, temp)| {
            let c = card(ALL_CARDS[which]);
            let t = c.at(unit_geometry(), temp, 0.0);
            let v = bias(&c, vg, vs, vd);
            let op = t.evaluate(&v);
            let h = 1e-6;
            let scale = (op.flux_f + op.flux_r) / t.thermal_voltage();
            let fd = |dv: Terminals| -> f64 {
                let plus = Terminals { d: v.d + dv.d, g: v.g + dv.g, s: v.s + dv.s, b: v.b + dv.b };
                let minus = Terminals { d: v.d - dv.d, g: v.g - dv.g, s: v.s - dv.s, b: v.b - dv.b };
                (t.evaluate(&plus).i_d - t.evaluate(&minus).i_d) / (2.0 * h)
            };
            let zero = Terminals::default();
            for (analytic, numeric, terminal) in [
                (op.g.d, fd(Terminals { d: h, ..zero }), "drain"),
                (op.g.g, fd(Terminals { g: h, ..zero }), "gate"),
                (op.g.s, fd(Terminals { s: h, ..zero }), "source"),
                (op.g.b, fd(Terminals { b: h, ..zero }), "bulk"),
            ] {
                prop_assert!(
                    (analytic - numeric).abs() <= 1e-6 * scale,
                    "{} {terminal}: analytic {analytic} numeric {numeric} scale {scale}",
                    ALL_CARDS[which]
                );
            }
            Ok(())
        })
        .unwrap();
}

/// dI_D/dT at fixed terminal voltages: analytic against a central difference in T (step
/// 10 mK, truncation about 1e-9 relative), and the sky130-like card's subthreshold current
/// rising 4-8 % per kelvin at fixed V_GS (PHYSICS.md section 1).
#[test]
fn temperature_coefficient_matches_analytic_derivative() {
    let mut runner = seeded_runner(200);
    let strategy = (0usize..4, -0.2f64..1.2, 0.0f64..0.3, 0.05f64..0.6, 240.0f64..370.0);
    runner
        .run(&strategy, |(which, vg, vs, vd, temp)| {
            let c = card(ALL_CARDS[which]);
            let g = unit_geometry();
            let v = bias(&c, vg, vs, vd);
            let (i, slope) = c.current_temperature_slope(g, temp, &v);
            let h = 0.01;
            let numeric = (c.current_temperature_slope(g, temp + h, &v).0
                - c.current_temperature_slope(g, temp - h, &v).0)
                / (2.0 * h);
            prop_assert!(
                (slope - numeric).abs() <= 1e-6 * (slope.abs() + i.abs() / temp),
                "{}: {slope} vs {numeric}",
                ALL_CARDS[which]
            );
            Ok(())
        })
        .unwrap();
    let c = card("nlvt");
    for vg in [0.0, 0.1, 0.2] {
        let v = bias(&c, vg, 0.0, 0.3);
        let (i, slope) = c.current_temperature_slope(unit_geometry(), 300.0, &v);
        let per_kelvin = slope / i;
        assert!((0.04..=0.08).contains(&per_kelvin), "vg={vg}: {per_kelvin}/K");
    }
}

/// PMOS by symmetry: negating every bulk-referenced voltage of an NMOS with the same
/// parameters gives the negated current.
#[test]
fn pmos_mirrors_nmos() {
    let n = card("ideal_n");
    let p = card("ideal_p");
    let g = unit_geometry();
    let (tn, tp) = (n.at(g, 300.0, 0.0), p.at(g, 300.0, 0.0));
    for (vg, vs, vd) in [(0.1, 0.0, 0.05), (0.2, 0.03, 0.0), (-0.1, 0.02, 0.08)] {
        let on = tn.evaluate(&Terminals { d: vd, g: vg, s: vs, b: 0.0 });
        let op = tp.evaluate(&Terminals { d: 1.0 - vd, g: 1.0 - vg, s: 1.0 - vs, b: 1.0 });
        assert!((on.i_d + op.i_d).abs() <= 1e-12 * on.i_d.abs().max(1e-30));
        assert!((on.flux_f - op.flux_f).abs() <= 1e-12 * on.flux_f);
    }
}

/// The flux split obeys local detailed balance for the charge of one transfer F q,
/// Phi_F / Phi_R = e^{F V_DS/U_T}, with Phi_F - Phi_R = I_D, in every region; F = 1 in weak
/// inversion.
#[test]
fn fluxes_obey_local_detailed_balance() {
    let c = card("nlvt");
    let t = c.at(unit_geometry(), 300.0, 0.0);
    let ut = thermal_voltage(300.0);
    for vg in [0.0, 0.4, 1.0, 1.8] {
        for vds in [-0.05, 0.001, 0.02, 0.1] {
            let op = t.evaluate(&bias(&c, vg, 0.1, 0.1 + vds));
            let ratio = op.flux_f / op.flux_r;
            let f = op.transfer_charge;
            assert!(f > 0.0 && f <= 1.0);
            assert!((ratio.ln() - f * vds / ut).abs() < 1e-9, "vg={vg} vds={vds}");
            assert!((op.flux_f - op.flux_r - op.i_d).abs() <= 1e-12 * op.flux_f);
        }
    }
    let op = t.evaluate(&bias(&c, -0.1, 0.0, 0.05));
    assert!((op.transfer_charge - 1.0).abs() < 1e-3, "weak inversion F = {}", op.transfer_charge);
}
