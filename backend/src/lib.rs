//! WeightsLab backend: the ExperimentService over gRPC and gRPC-Web on one port, the
//! `Experiment` that glues trainer, sample table, signal history and thumbnails together,
//! and the CLI.
//!
//! Principal types: [`config::Config`] (every setting, one typed struct), [`server::start`]
//! (binds the listener and serves), [`service::ExperimentApi`] (thin RPC handlers) and
//! [`experiment::Experiment`] (the state they act on).

pub mod agent;
pub mod audit;
pub mod cli;
pub mod config;
pub mod error;
pub mod experiment;
pub mod progress;
pub mod server;
pub mod service;
pub mod studio;

/// Call first thing in `main` (see its safety note).
pub use cli::init_tracing;
pub use weightslab_train::threads::pin_thread_count;
