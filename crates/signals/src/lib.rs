//! Signal history for WeightsLab: metric curves per (metric, run), the per-sample values behind
//! each point, per-client cursors for incremental polls, and downsampling for plots.
//!
//! [`SignalLog`] is the one type to hold (share it in an `Arc`; it is `Send + Sync`):
//! - the trainer calls [`SignalLog::append`] / [`SignalLog::append_many`] with [`NewPoint`]s
//!   and [`SignalLog::record_sample_values`] with each batch's per-sample values;
//! - `GetLatestLoggerData` maps to [`SignalLog::curves`] (index only),
//!   [`SignalLog::history`] / [`SignalLog::history_and_catch_up`] (full history, zoom),
//!   [`SignalLog::poll_new`] (incremental) and [`SignalLog::sliced_mean`] (break by slices);
//! - `GetStepSamples` and `GetSignalTrajectory` map to [`SignalLog::step_samples`] and
//!   [`SignalLog::trajectories`];
//! - a checkpoint restore calls [`SignalLog::truncate_after`].
//!
//! Curves are stored column by column, sorted by step. Memory is bounded: a curve over its cap
//! thins its older half (keeping every group's extremes, markers and notes), and per-sample
//! values beyond their cap are dropped oldest first.

// Tests may unwrap: a panic there is a failed test, not a crashed server.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod compact;
mod cursors;
mod curve;
mod downsample;
mod error;
mod intern;
mod log;
mod samples;
mod summary;
mod types;

pub use error::SignalError;
pub use log::{SignalLog, SignalStats};
pub use types::{
    CurveIndex, DEFAULT_MAX_POINTS, EvalMarker, HistoryQuery, NewPoint, SignalLogConfig,
    SignalPoint, StepSamples,
};
