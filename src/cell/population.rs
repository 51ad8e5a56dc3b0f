//! Cells drawn from a calibration's mismatch population (`[cells] mismatch = "population"`).
//!
//! A chip has far more cells than a calibration has Monte Carlo samples (thousands against
//! tens), so each cell draws its parameters from the population's fitted joint normal law
//! rather than by resampling: resampling would give every calibrated device about a hundred
//! identical copies and make the offsets discrete. The deviations of a p-bit are sums of many
//! small, independent Pelgrom deviations propagated almost linearly, so their joint law is
//! close to normal; the variables are V0, Vs and ln tau at every calibrated temperature
//! ([`crate::calibration::population`]), so a cell keeps its correlations between offset,
//! width and speed, and its identity across temperatures. At the operating temperature the
//! cell's V0 and Vs are interpolated linearly in T, ln tau linearly in 1/T (as the nominal
//! cell is). Cell i draws from stream (seed, Parameters, i).

use nalgebra::{DMatrix, SymmetricEigen};
use rand_distr::{Distribution, StandardNormal};

use super::CellError;
use super::interpolate::{arrhenius, bracket, linear};
use crate::calibration::Population;
use crate::rng::{Domain, Seed};

/// One cell's parameters at the operating temperature.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellParameters {
    /// Balance point V0 (V).
    pub v0: f64,
    /// Logistic width Vs (V).
    pub vs: f64,
    /// Correlation time at V0 (s).
    pub tau0: f64,
}

/// The joint normal law of a population, factored for sampling.
pub struct PopulationLaw {
    mean: Vec<f64>,
    /// Columns scaled by the square roots of the covariance's eigenvalues: x = mean + L z.
    factor: DMatrix<f64>,
    temperatures: Vec<f64>,
}

impl PopulationLaw {
    /// The law of `population` calibrated at `temperatures`. A covariance with negative
    /// eigenvalues (rounding, or fewer samples than variables) is clipped at zero.
    pub fn new(population: &Population, temperatures: &[f64]) -> Self {
        let d = population.mean.len();
        let cov =
            DMatrix::from_fn(d, d, |i, j| 0.5 * (population.covariance[i][j] + population.covariance[j][i]));
        let eigen = SymmetricEigen::new(cov);
        let mut factor = eigen.eigenvectors;
        for (j, lambda) in eigen.eigenvalues.iter().enumerate() {
            let s = lambda.max(0.0).sqrt();
            factor.column_mut(j).iter_mut().for_each(|x| *x *= s);
        }
        PopulationLaw { mean: population.mean.clone(), factor, temperatures: temperatures.to_vec() }
    }

    /// One draw of the joint variables from standard normals `z`.
    fn variables(&self, z: &[f64]) -> Vec<f64> {
        let d = self.mean.len();
        (0..d).map(|i| self.mean[i] + (0..d).map(|j| self.factor[(i, j)] * z[j]).sum::<f64>()).collect()
    }

    /// Parameters of `cells` cells at `temperature`, cell i from stream (seed, Parameters, i);
    /// `source` names the calibration in errors.
    pub fn draw(
        &self,
        cells: usize,
        temperature: f64,
        seed: Seed,
        source: &str,
    ) -> Result<Vec<CellParameters>, CellError> {
        let (i, w) = bracket(&self.temperatures, temperature, source)?;
        let j = (i + 1).min(self.temperatures.len() - 1);
        let d = self.mean.len();
        let floor_vs = 0.1 * linear(self.mean[3 * i + 1], self.mean[3 * j + 1], w);
        Ok((0..cells)
            .map(|c| {
                let mut rng = seed.stream(Domain::Parameters, c as u64);
                let z: Vec<f64> = (0..d).map(|_| StandardNormal.sample(&mut rng)).collect();
                let x = self.variables(&z);
                CellParameters {
                    v0: linear(x[3 * i], x[3 * j], w),
                    vs: linear(x[3 * i + 1], x[3 * j + 1], w).max(floor_vs),
                    tau0: arrhenius(
                        self.temperatures[i],
                        x[3 * i + 2].exp(),
                        self.temperatures[j],
                        x[3 * j + 2].exp(),
                        temperature,
                    ),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibration::{PopulationSample, SampleFit};

    /// Draws reproduce the population's mean and covariance (5 standard errors, 20000 cells)
    /// and a correlation between V0 at two temperatures.
    #[test]
    fn draws_have_the_population_moments() {
        let temps = [250.0, 350.0];
        let samples = (0..40)
            .map(|k| {
                let a = ((k * 37 % 40) as f64 - 19.5) * 1e-4;
                let b = ((k * 11 % 40) as f64 - 19.5) * 2e-5;
                let fit = |t: f64, s: f64| SampleFit {
                    temperature_k: t,
                    v0: a * s,
                    v0_se: 0.0,
                    vs: 0.02 + b,
                    vs_se: 0.0,
                    correlation_time_s: 1e-7 * (10.0 * a).exp(),
                    energy_per_sample_j: 0.0,
                };
                PopulationSample { index: k + 1, fits: vec![fit(250.0, 1.0), fit(350.0, 1.2)] }
            })
            .collect();
        let population = Population::new(1, "test".into(), samples, &temps);
        let law = PopulationLaw::new(&population, &temps);
        let n = 20_000;
        let cells = law.draw(n, 250.0, Seed(3), "test").unwrap();
        let mean = cells.iter().map(|c| c.v0).sum::<f64>() / n as f64;
        let var = cells.iter().map(|c| (c.v0 - mean).powi(2)).sum::<f64>() / n as f64;
        let (m, v) = (population.mean[0], population.covariance[0][0]);
        assert!((mean - m).abs() < 5.0 * (v / n as f64).sqrt());
        assert!((var / v - 1.0).abs() < 5.0 * (2.0 / n as f64).sqrt());
        // At 350 K the same cells have V0 scaled by 1.2 exactly (perfect correlation).
        let hot = law.draw(n, 350.0, Seed(3), "test").unwrap();
        for (c, h) in cells.iter().zip(&hot).take(100) {
            assert!((h.v0 - m * 1.2 - 1.2 * (c.v0 - m)).abs() < 1e-9);
        }
    }
}
