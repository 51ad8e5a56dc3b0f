//! Learning on the simulated chip: Boltzmann machines and a small denoising thermodynamic
//! model (DTM) trained with the chip's own samplers and cells (PHYSICS.md 11).
//!
//! `pbitsim train TRAIN.toml --out-dir DIR [--resume]` reads a training file ([`config`]): the
//! chip's own sections (`[lattice]` or `[graph]`, `[model]`, `[cells]`, `[schedule]` method)
//! describe the chip and the cells both phases run on; `[train]`, `[data]`, `[placement]` and
//! `[evaluation]` describe the learning; a `[study]` or `[dtm]` section turns the run into the
//! ideal-versus-in-the-loop study ([`study`]) or the DTM demo ([`dtm`]).
//!
//! | file | role |
//! |---|---|
//! | [`data`], [`digits`] | data sets that ship: bars and stripes, 8 x 8 digits |
//! | [`placement`] | where the visible (and input) cells sit on the chip |
//! | [`machine`] | the Boltzmann machine: parameters <-> chip model, moments |
//! | [`cells`] | the cells both phases run on (the chip's `[cells]`) |
//! | [`pcd`] | gradient estimation by persistent contrastive divergence on chip samplers |
//! | [`optimizer`] | Adam, SGD with momentum, weight decay |
//! | [`exact`] | enumeration: ln Z, moments, log-likelihood, KL, exact gradients |
//! | [`ais`] | annealed importance sampling of ln Z with its error |
//! | [`evaluate`] | the evaluations a run reports |
//! | [`checkpoint`] | the resumable state, written atomically |
//! | [`run`] | the training loop: updates, schedule, checkpoints |
//! | [`plain`] | a plain run: one machine, its evaluation and output files |
//! | [`outputs`] | weights, placement, history; output directory checks |
//! | [`dtm`] | the denoising thermodynamic model |
//! | [`study`] | train ideal, deploy on calibrated cells, compare with training in the loop |
//! | [`report`] | the HTML report and figures |

pub mod ais;
pub mod cells;
pub mod checkpoint;
pub mod config;
pub mod data;
pub mod digits;
pub mod dtm;
pub mod evaluate;
pub mod exact;
pub mod machine;
pub mod optimizer;
pub mod outputs;
pub mod pcd;
pub mod placement;
pub mod plain;
pub mod report;
pub mod run;
pub mod study;

pub use config::TrainFile;
pub use plain::train_file;
pub use run::RunOptions;

/// An error of a training run.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The training file: `location` is `file:line`, or a section name.
    #[error("{location}: {message}")]
    Config { location: String, message: String },
    #[error(transparent)]
    Chip(#[from] crate::chip::ChipError),
    #[error("{0}")]
    Io(String),
    /// The output directory is not in a state the command can use.
    #[error("{0}")]
    Directory(String),
    /// A diverging run, a non-finite estimate: with advice, never written out as data.
    #[error("{0}")]
    Numerical(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Plot(#[from] crate::report::plot::PlotError),
}

impl From<crate::io::IoError> for TrainError {
    fn from(e: crate::io::IoError) -> Self {
        TrainError::Io(e.to_string())
    }
}
