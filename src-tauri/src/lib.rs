//! WeightsLab desktop: starts the ExperimentService from the `weightslab` library on a tokio
//! runtime inside the app process and shows its Studio in a native window.
//!
//! The pure pieces (arguments, log folders, the quit decision, network exposure, metrics
//! parsing) live here as a library so they are unit-tested without a display; [`app`] is the
//! thin Tauri shell around them.

pub mod app;
pub mod args;
pub mod backend;
pub mod error;
pub mod exposure;
pub mod logdirs;
pub mod metrics_text;
pub mod page_script;
pub mod paint;
pub mod procstat;
pub mod quit;
pub mod system_open;
