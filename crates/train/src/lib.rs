//! Training for WeightsLab on candle: two small models, two optimizers, and a trainer thread
//! that the service drives while it trains.
//!
//! [`Trainer::spawn`] builds a [`ModelKind`] for a [`weightslab_data::Dataset`] and starts the
//! trainer thread, which owns the model and the [`Optimizer`]. Everyone else holds a
//! [`TrainerHandle`]: commands (pause, resume, hyperparameter edits, evaluations, checkpoints)
//! travel over a bounded channel and are applied between steps; reads ([`TrainerHandle::snapshot`],
//! weights, layers) come from state the thread publishes, so they never wait on a step. What
//! each step and evaluation produced reaches the service through a [`TrainingObserver`].
//!
//! CPU threads: candle 0.11 runs large element-wise ops on its own thread pool, one thread per
//! core, whose workers spin while they wait. On a machine shared with other busy processes
//! that spinning costs more than it gains; set `CANDLE_NUM_THREADS` (1 or 2) in the process
//! environment before the first tensor operation to bound it. Binaries call
//! [`threads::pin_thread_count`] first thing in `main`.

// Tests may unwrap: a panic there is a failed test, not a crash on user input.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod checkpoint;
mod conv;
mod error;
mod hyper;
pub mod model;
pub mod optim;
mod pool;
pub mod sampler;
pub mod signals;
pub mod threads;
mod trainer;

pub use checkpoint::{CheckpointMeta, FORMAT_VERSION, OPTIMIZER_FILE, TRAINER_FILE, WEIGHTS_FILE};
pub use error::TrainError;
pub use hyper::{DEFAULT_STEP_BUDGET, HyperChanges, HyperParams, MAX_BATCH_SIZE};
pub use model::{Model, ModelKind};
pub use optim::{Optimizer, OptimizerKind};
pub use signals::SampleSignal;
pub use trainer::types::{
    EvalReport, EvalRequest, EvalState, EvalStatus, LayerInfo, LayerRef, Mode, NeuronStats,
    StepReport, StepSummary, TensorDump, TrainerConfig, TrainerSnapshot, TrainingObserver,
};
pub use trainer::{HoldTotals, Trainer, TrainerHandle};
