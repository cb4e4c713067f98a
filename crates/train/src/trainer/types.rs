//! The plain data types the trainer handle speaks: configuration, modes, step and evaluation
//! reports, evaluation status, snapshots, layer descriptions and tensor dumps.

use std::sync::Arc;

use crate::{HyperParams, ModelKind, OptimizerKind, SampleSignal};

/// How a trainer starts.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainerConfig {
    pub model: ModelKind,
    pub optimizer: OptimizerKind,
    pub hyper: HyperParams,
    /// Seeds weight initialisation and batch shuffling.
    pub seed: u64,
    /// Wait for `resume` before the first step.
    pub start_paused: bool,
}

impl Default for TrainerConfig {
    fn default() -> Self {
        Self {
            model: ModelKind::Cnn,
            optimizer: OptimizerKind::Sgd,
            hyper: HyperParams::default(),
            seed: 0,
            start_paused: true,
        }
    }
}

/// What the trainer does with a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Forward, backward, optimizer step.
    Train,
    /// Forward only on training batches: statistics recorded, weights untouched, model age
    /// unchanged.
    Audit,
    /// An evaluation pass (only in reports; `set_mode` refuses it, use `start_evaluation`).
    Eval,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Train => "train",
            Mode::Audit => "audit",
            Mode::Eval => "eval",
        }
    }
}

/// Everything about one training or audit step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    /// Optimizer steps taken after this step.
    pub model_age: u64,
    pub mode: Mode,
    pub mean_loss: f32,
    pub min_loss: f32,
    pub max_loss: f32,
    pub accuracy: f32,
    /// Learning rate the step used.
    pub learning_rate: f64,
    pub samples_per_second: f32,
    /// Wall time of the whole step: batch gathering, forward, backward, update.
    pub step_seconds: f32,
    pub samples: Vec<SampleSignal>,
}

/// A [`StepReport`] without its per-sample part, kept in snapshots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepSummary {
    pub model_age: u64,
    pub mode: Mode,
    pub mean_loss: f32,
    pub min_loss: f32,
    pub max_loss: f32,
    pub accuracy: f32,
    pub learning_rate: f64,
    pub samples_per_second: f32,
    pub step_seconds: f32,
    pub batch_size: usize,
}

impl From<&StepReport> for StepSummary {
    fn from(r: &StepReport) -> Self {
        Self {
            model_age: r.model_age,
            mode: r.mode,
            mean_loss: r.mean_loss,
            min_loss: r.min_loss,
            max_loss: r.max_loss,
            accuracy: r.accuracy,
            learning_rate: r.learning_rate,
            samples_per_second: r.samples_per_second,
            step_seconds: r.step_seconds,
            batch_size: r.samples.len(),
        }
    }
}

/// The result of a finished evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalReport {
    pub model_age: u64,
    pub split_name: String,
    pub tags: Vec<String>,
    pub mean_loss: f32,
    pub min_loss: f32,
    pub max_loss: f32,
    pub accuracy: f32,
    pub seconds: f32,
    /// One signal per evaluated index, in request order.
    pub samples: Vec<SampleSignal>,
}

/// What to evaluate.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EvalRequest {
    /// Dataset indices, evaluated in this order.
    pub indices: Vec<u32>,
    pub split_name: String,
    /// Carried into the report (the tags that selected the indices).
    pub tags: Vec<String>,
}

/// Where the evaluation machinery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EvalState {
    #[default]
    Idle,
    Requested,
    Running,
    Done,
    Canceled,
    Error,
}

impl EvalState {
    /// The status words Studio 2.x understands (`done`, never `completed`).
    pub fn as_str(self) -> &'static str {
        match self {
            EvalState::Idle => "idle",
            EvalState::Requested => "requested",
            EvalState::Running => "running",
            EvalState::Done => "done",
            EvalState::Canceled => "canceled",
            EvalState::Error => "error",
        }
    }

    /// Queued or running.
    pub fn is_active(self) -> bool {
        matches!(self, EvalState::Requested | EvalState::Running)
    }
}

/// Progress of the current or last evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EvalStatus {
    pub state: EvalState,
    /// Samples evaluated so far.
    pub current: usize,
    pub total: usize,
    pub message: String,
    /// Why it was canceled or failed.
    pub error: String,
    pub split_name: String,
}

/// A cheap, consistent picture of the trainer, refreshed after every step and command.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainerSnapshot {
    pub model_age: u64,
    pub is_training: bool,
    /// Train or Audit: what steps do while training runs.
    pub mode: Mode,
    pub model: ModelKind,
    pub optimizer: OptimizerKind,
    pub hyper: HyperParams,
    /// Steps left before a `resume(Some(n))` pauses again.
    pub steps_until_pause: Option<u64>,
    pub last_step: Option<StepSummary>,
    /// Recent step rate (exponential average over step times).
    pub steps_per_second: f32,
    /// Training samples seen (sum of batch sizes of optimizer steps).
    pub samples_seen: u64,
    pub architecture_signature: String,
    pub parameter_count: usize,
    pub evaluation: EvalStatus,
    /// Why training last stopped by itself (budget spent, no samples, an error); empty
    /// otherwise.
    pub message: String,
}

/// Statistics of one output neuron (channel or feature) of a layer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NeuronStats {
    pub neuron: usize,
    /// Training samples this neuron has been trained on.
    pub age: u64,
    /// L2 norm of its incoming weights.
    pub weight_norm: f32,
    /// Recent fraction of its training outputs that were > 0.
    pub train_trigger_rate: f32,
    /// Fraction of its outputs > 0 over the last evaluation.
    pub eval_trigger_rate: f32,
    /// Learning rate that applies to it.
    pub learning_rate: f32,
}

/// A parameterised layer as the Studio sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerInfo {
    pub id: i32,
    pub name: String,
    /// "Conv2d" or "Linear".
    pub layer_type: String,
    /// Incoming neurons: input channels or features.
    pub incoming: usize,
    /// Output neurons: output channels or features.
    pub neurons: usize,
    pub kernel_size: Option<usize>,
    pub stride: Option<usize>,
    pub parameter_count: usize,
    /// Output shape of one sample, e.g. `[8, 28, 28]`.
    pub output_shape: Vec<usize>,
    pub neuron_stats: Vec<NeuronStats>,
}

/// A layer named by id or by name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LayerRef {
    Id(i32),
    Name(String),
}

impl LayerRef {
    /// A numeric string is an id, anything else a name.
    pub fn parse(text: &str) -> Self {
        match text.trim().parse::<i32>() {
            Ok(id) => LayerRef::Id(id),
            Err(_) => LayerRef::Name(text.trim().to_owned()),
        }
    }
}

/// A tensor copied out as flat row-major floats.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorDump {
    pub shape: Vec<usize>,
    pub data: Vec<f32>,
}

/// Receives what the trainer produces, on the trainer thread. Keep each call short: the next
/// step waits for it.
pub trait TrainingObserver: Send + Sync {
    /// Dataset indices of `origin` that may be sampled now (the non-discarded rows). Called
    /// before every batch draw.
    fn in_loop(&self, origin: &str) -> Arc<[u32]>;
    /// After every training or audit step.
    fn on_step(&self, report: &StepReport);
    /// After an evaluation finishes (not when canceled).
    fn on_evaluation(&self, report: &EvalReport);
    /// `checkpoint_frequency` was reached; call `save_checkpoint` from another thread.
    fn on_checkpoint_due(&self, model_age: u64);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_refs_parse_ids_and_names() {
        assert_eq!(LayerRef::parse("2"), LayerRef::Id(2));
        assert_eq!(LayerRef::parse(" conv1 "), LayerRef::Name("conv1".into()));
        assert_eq!(LayerRef::parse("-1"), LayerRef::Id(-1));
    }

    #[test]
    fn status_words_match_the_studio() {
        assert_eq!(EvalState::Done.as_str(), "done");
        assert_eq!(EvalState::Requested.as_str(), "requested");
        assert!(EvalState::Running.is_active());
        assert!(!EvalState::Canceled.is_active());
    }
}
