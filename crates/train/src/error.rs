//! `TrainError`: every way a trainer request can fail, phrased for the person who has to act on it.

use std::path::PathBuf;

/// Errors returned by the trainer handle, the models and the checkpoint files.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Another operation of the same kind is queued or running.
    #[error("busy: {0}; wait for it to finish (or cancel it) and try again")]
    Busy(String),
    /// A named thing (layer, sample, file) does not exist.
    #[error("{what} not found; available: {}", available.join(", "))]
    NotFound {
        what: String,
        available: Vec<String>,
    },
    /// A value is outside what the trainer accepts.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// The trainer thread is gone (shut down or crashed); start a new trainer.
    #[error("the trainer thread has stopped; start a new trainer to continue")]
    Stopped,
    /// A tensor operation failed inside candle.
    #[error("tensor operation failed: {0}")]
    Candle(#[from] candle_core::Error),
    /// Reading or writing a file failed.
    #[error("cannot access {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A checkpoint file exists but its content is not what the live model needs.
    #[error("checkpoint file {path} is unusable: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

impl TrainError {
    /// An `Io` error that names the path it happened on.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// A `Corrupt` error for `path`.
    pub(crate) fn corrupt(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Self::Corrupt {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_lists_what_is_available() {
        let err = TrainError::NotFound {
            what: "layer \"conv9\"".into(),
            available: vec!["conv1".into(), "fc1".into()],
        };
        assert_eq!(
            err.to_string(),
            "layer \"conv9\" not found; available: conv1, fc1"
        );
    }

    #[test]
    fn corrupt_names_the_file() {
        let err = TrainError::corrupt("/tmp/x/weights.safetensors", "truncated");
        assert!(err.to_string().contains("/tmp/x/weights.safetensors"));
        assert!(err.to_string().contains("truncated"));
    }
}
