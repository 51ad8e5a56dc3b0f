//! Errors of the chip module. Every message names the file, line, key or token at fault and
//! says what was expected.

use std::path::PathBuf;

/// An error of the chip module (a value, never a panic on user input).
#[derive(Debug, thiserror::Error)]
pub enum ChipError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An output file could not be written (the message names it).
    #[error(transparent)]
    Output(#[from] crate::io::IoError),
    /// The TOML chip description is malformed or has an unknown key.
    #[error("{file}: {message}")]
    Config { file: String, message: String },
    /// A key has a value out of range.
    #[error("{key}: {message}")]
    Value { key: String, message: String },
    /// A CSV line could not be read.
    #[error("{file}:{line}: {message} (token `{token}`)")]
    Csv { file: String, line: usize, token: String, message: String },
    /// A lattice cannot realise the requested connectivity.
    #[error("lattice: {0}")]
    Lattice(String),
    /// A colouring has two neighbours of the same colour.
    #[error("improper colouring: cells {i} and {j} are neighbours and both have colour {colour}")]
    ImproperColouring { i: usize, j: usize, colour: u8 },
    /// The requested cell kind is not available to the chip runner.
    #[error(
        "cell kind `{0}` is not available on the chip: use [cells] kind = \"ideal\" or \"pbit\" \
         (calibrated p-bits on an Ising model)"
    )]
    CellKind(String),
    /// A combination that the chosen model or sampler does not support.
    #[error("{0}")]
    Unsupported(String),
}

impl ChipError {
    /// A [`ChipError::Value`] for `key`.
    pub fn value(key: &str, message: impl Into<String>) -> Self {
        ChipError::Value { key: key.to_string(), message: message.into() }
    }

    /// A [`ChipError::Io`] for `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ChipError::Io { path: path.into(), source }
    }
}
