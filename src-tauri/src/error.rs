//! The desktop app's error type: every failure says what went wrong and what to do instead.

use std::path::PathBuf;

/// Failures of the desktop shell around the service.
#[derive(Debug, thiserror::Error)]
pub enum DesktopError {
    #[error("invalid settings: {0:#}")]
    Config(anyhow::Error),
    #[error("cannot start the async runtime for the service: {0}")]
    Runtime(std::io::Error),
    #[error("cannot create the log folder {path}: {source}; choose a writable one with --log-dir")]
    LogDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot start the experiment: {0}")]
    Experiment(#[from] weightslab::experiment::StartError),
    #[error("cannot open the audit log: {0}")]
    Audit(#[from] weightslab::audit::AuditError),
    #[error("cannot start the server: {0}")]
    Server(#[from] weightslab::server::ServerError),
    #[error("{path} is not a folder; pick a folder that holds one sub-folder of images per class")]
    NotADatasetFolder { path: PathBuf },
    #[error("{path} is not a run config; pick a .toml file with [data], [model], [train] sections")]
    NotARunConfig { path: PathBuf },
    #[error("cannot open {path} in the file manager: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the service is not running (it is starting, switching runs, or stopping); try again in a moment"
    )]
    NotRunning,
}
