use std::ops::ControlFlow;
use std::sync::Arc;
use pbitsim::analysis::{BitReadout, Dwell};
use pbitsim::circuit::{Circuit, CircuitSde, Spec, SpecElement, SpecKind};
use pbitsim::device::{Geometry, load_card};
use pbitsim::rng::Seed;
use pbitsim::sde::{EulerMaruyama, Schedule, ensemble, integrate};

fn el(name: &str, kind: SpecKind) -> SpecElement { SpecElement { name: name.into(), origin: name.into(), kind } }

fn pbit(t: f64, vin: f64, c: f64, rail: f64, weak: f64, vb: f64) -> Circuit {
    let n = Arc::new(load_card(std::path::Path::new("models/ideal_n.toml")).unwrap());
    let p = Arc::new(load_card(std::path::Path::new("models/ideal_p.toml")).unwrap());
    let g = Geometry { w: 1e-6, l: 1e-6, m: 1.0 };
    let gw = Geometry { w: weak * 1e-6, l: 1e-6, m: 1.0 };
    let s = |x: &str| x.to_string();
    let m = |name: &str, d: &str, gate: &str, src: &str, b: &str, card: &Arc<_>, geo| el(name, SpecKind::Mosfet { drain: s(d), gate: s(gate), source: s(src), bulk: s(b), card: Arc::clone(card), geometry: geo, vt_offset: 0.0 });
    let spec = Spec { title: "pbit".into(), temperature: t, elements: vec![
        el("vdd", SpecKind::VoltageSource { plus: s("vdd"), minus: s("0"), volts: rail }),
        el("vss", SpecKind::VoltageSource { plus: s("vss"), minus: s("0"), volts: -rail }),
        el("vina", SpecKind::VoltageSource { plus: s("ina"), minus: s("0"), volts: vb + vin / 2.0 }),
        el("vinb", SpecKind::VoltageSource { plus: s("inb"), minus: s("0"), volts: vb - vin / 2.0 }),
        m("mp1", "a", "b", "vdd", "vdd", &p, g), m("mn1", "a", "b", "vss", "vss", &n, g),
        m("mp2", "b", "a", "vdd", "vdd", &p, g), m("mn2", "b", "a", "vss", "vss", &n, g),
        // bias: weak NMOS pulling a toward vdd with gate vin; b toward vdd with gate 0
        m("mb1", "vdd", "ina", "a", "vss", &n, gw), m("mb2", "vdd", "inb", "b", "vss", &n, gw),
        el("ca", SpecKind::Capacitor { a: s("a"), b: s("0"), farads: c }),
        el("cb", SpecKind::Capacitor { a: s("b"), b: s("0"), farads: c }),
    ], ..Spec::default() };
    Circuit::build(&spec).unwrap()
}

fn measure(c: &Circuit, jump: bool, tend: f64, dt: f64, runs: usize, hyst: f64) -> (f64, f64, f64) {
    let res = ensemble(runs, Seed(5), 0, |_, rng| {
        let mut ro = BitReadout::new(hyst);
        let mut dw = Dwell::new(2);
        let mut obs = |t: f64, x: &[f64]| { let s = ro.update(x[0] - x[1]); dw.observe(t, s as usize); ControlFlow::Continue(()) };
        if jump { pbitsim::jump::gillespie(c, tend, dt, rng, &mut obs).map_err(|e| e.to_string())?; }
        else { let sys = CircuitSde::new(c); let mut x = sys.initial_state(); integrate(&sys, &EulerMaruyama, &Schedule::fixed(tend, dt, dt), &mut x, rng, &mut obs).map_err(|e| e.to_string())?; }
        Ok::<_, String>(dw)
    }).unwrap();
    let mut all = Dwell::new(2);
    for d in &res { all.merge(d); }
    let p = all.probabilities()[1];
    let md = all.mean_dwell();
    let tau = 1.0 / (1.0 / md[0] + 1.0 / md[1]);
    (p, tau, all.switches as f64 / all.duration())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let a = |i: usize, d: f64| args.get(i).map(|s| s.parse().unwrap()).unwrap_or(d);
    let (rail, weak, c, vb, tend, hyst) = (a(1, 0.0284), a(2, 0.1), a(3, 50e-18), a(4, 0.0), a(5, 20e-6), a(7, 0.02));
    let jump = args.get(6).map(|s| s == "jump").unwrap_or(true);
    let mut widths = vec![];
    for t in [250.0, 300.0, 350.0] {
        let mut xs = vec![]; let mut ys = vec![]; let mut ws = vec![]; let mut taus = vec![];
        let t0 = std::time::Instant::now();
        let scale = (300.0f64 / t).powi(6);
        for vin in [-0.03, -0.02, -0.01, 0.0, 0.01, 0.02, 0.03] {
            let circ = pbit(t, vin, c, rail, weak, vb);
            let (p, tau, rate) = measure(&circ, jump, tend * scale, 2e-11, 8, hyst);
            let n_sw = rate * tend * scale * 8.0;
            if p > 0.02 && p < 0.98 && n_sw > 50.0 { xs.push(vin); ys.push((p / (1.0 - p)).ln()); ws.push(n_sw * p * (1.0 - p)); }
            taus.push(tau);
            print!(" {p:.3}({:.0})", n_sw);
        }
        let sw: f64 = ws.iter().sum(); let mx = xs.iter().zip(&ws).map(|(x,w)| x*w).sum::<f64>()/sw; let my = ys.iter().zip(&ws).map(|(y,w)| y*w).sum::<f64>()/sw;
        let slope = xs.iter().zip(&ys).zip(&ws).map(|((x,y),w)| w*(x-mx)*(y-my)).sum::<f64>() / xs.iter().zip(&ws).map(|(x,w)| w*(x-mx)*(x-mx)).sum::<f64>();
        let v0 = mx - my/slope;
        widths.push(1.0/slope/t);
        println!("\nT={t} Vs={:.2}mV Vs/T={:.4}mV/K V0={:.2}mV tau(vin=0)={:.1}ns ({:.1}s)", 1e3/slope, 1e3/slope/t, v0*1e3, taus[3]*1e9, t0.elapsed().as_secs_f64());
    }
    println!("Vs/T relative to 300 K: {:.3} {:.3}", widths[0]/widths[1], widths[2]/widths[1]);
}
