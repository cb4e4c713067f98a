//! `DataError`: every way opening or reading a dataset can fail, phrased for the person who has to fix it.

use std::path::PathBuf;

/// Errors from the dataset loaders.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file or folder the loader needs is not there.
    #[error(
        "missing file {path}: {source}; check the path and that the file exists and is readable"
    )]
    MissingFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file exists but could not be read or written.
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The content does not have the expected layout.
    #[error("bad format in {location}: {what}")]
    BadFormat {
        /// Where: a path, optionally with a row or byte offset.
        location: String,
        /// What was wrong and what was expected.
        what: String,
    },
    /// The source had no usable samples.
    #[error("empty dataset: {what}")]
    Empty { what: String },
    /// A column named in the options does not exist in the CSV header.
    #[error("unknown column {name:?}; available columns are: {}", available.join(", "))]
    UnknownColumn {
        name: String,
        available: Vec<String>,
    },
    /// The dataset has no picture for its samples (tabular data); show a placeholder instead.
    #[error("dataset {dataset:?} has no images (its samples are {task_type} rows)")]
    NoImage { dataset: String, task_type: String },
    /// An option value is outside its valid range.
    #[error("invalid option {name} = {value}: {expected}")]
    InvalidOption {
        name: &'static str,
        value: String,
        expected: &'static str,
    },
    /// An image file could not be decoded.
    #[error("cannot decode image {location}: {source}")]
    Image {
        location: String,
        #[source]
        source: image::ImageError,
    },
}

impl DataError {
    /// Maps an I/O error on `path` to `MissingFile` when the file is absent, `Io` otherwise.
    pub(crate) fn from_io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            Self::MissingFile { path, source }
        } else {
            Self::Io { path, source }
        }
    }

    pub(crate) fn bad_format(location: impl Into<String>, what: impl Into<String>) -> Self {
        Self::BadFormat {
            location: location.into(),
            what: what.into(),
        }
    }
}
