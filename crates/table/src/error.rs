//! The crate's one error type, with variants the backend maps onto gRPC status codes.

use std::path::PathBuf;

/// Everything that can go wrong in the sample table.
///
/// The backend maps `UnknownSamples` to NOT_FOUND, `UnknownColumn`, `InvalidQuery`,
/// `InvalidEdit` and `DuplicateSample` to INVALID_ARGUMENT, `AlreadyExists` to
/// ALREADY_EXISTS and the storage variants to INTERNAL.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error(
        "{total} sample(s) are not in the table: {}{}; nothing was changed. Pass ids exactly as GetDataSamples returns them, with their origin or an empty origin",
        ids.join(", "),
        if *total > ids.len() { ", …" } else { "" }
    )]
    UnknownSamples { ids: Vec<String>, total: usize },

    #[error(
        "unknown column '{name}'{}",
        if suggestions.is_empty() { String::from("; see the column list for valid names") } else { format!("; did you mean {}?", suggestions.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(" or ")) }
    )]
    UnknownColumn {
        name: String,
        suggestions: Vec<String>,
    },

    #[error("invalid query: {message} (for example: {example})")]
    InvalidQuery { message: String, example: String },

    #[error("invalid edit: {0}")]
    InvalidEdit(String),

    #[error("{0} already exists; choose another name or delete it first")]
    AlreadyExists(String),

    #[error(
        "the dataset lists sample '{sample_id}' of origin '{origin}' twice (rows {first} and {second}); every (origin, sample_id) pair must be unique"
    )]
    DuplicateSample {
        origin: String,
        sample_id: String,
        first: u32,
        second: u32,
    },

    #[error("I/O error on {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error("HDF5 error on {}: {message}", path.display())]
    Hdf5 { path: PathBuf, message: String },

    #[error("edit journal {} is corrupt at byte {offset}: {message}; move the file aside to start from the last compacted state", path.display())]
    Journal {
        path: PathBuf,
        offset: u64,
        message: String,
    },

    #[error("polars error: {0}")]
    Polars(String),
}

impl TableError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn hdf5(path: impl Into<PathBuf>, err: impl std::fmt::Display) -> Self {
        Self::Hdf5 {
            path: path.into(),
            message: err.to_string(),
        }
    }

    pub(crate) fn invalid_query(message: impl Into<String>, example: impl Into<String>) -> Self {
        Self::InvalidQuery {
            message: message.into(),
            example: example.into(),
        }
    }

    /// Builds `UnknownSamples` keeping at most ten ids, so a huge bad batch stays readable.
    pub(crate) fn unknown_samples(mut ids: Vec<String>) -> Self {
        let total = ids.len();
        ids.truncate(10);
        Self::UnknownSamples { ids, total }
    }
}

impl From<polars::error::PolarsError> for TableError {
    fn from(err: polars::error::PolarsError) -> Self {
        Self::Polars(err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_samples_keeps_ten_and_counts_all() {
        let ids: Vec<String> = (0..25).map(|i| i.to_string()).collect();
        let err = TableError::unknown_samples(ids);
        let TableError::UnknownSamples { ids, total } = &err else {
            panic!("wrong variant")
        };
        assert_eq!(ids.len(), 10);
        assert_eq!(*total, 25);
        assert!(err.to_string().contains("25 sample(s)"));
        assert!(err.to_string().contains('…'));
    }

    #[test]
    fn unknown_column_lists_suggestions() {
        let err = TableError::UnknownColumn {
            name: "los".into(),
            suggestions: vec!["loss".into()],
        };
        assert_eq!(
            err.to_string(),
            "unknown column 'los'; did you mean 'loss'?"
        );
    }
}
