//! The trainer thread: owns model, optimizer and sampler; runs steps, applies commands between
//! them and publishes a snapshot after each.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use candle_core::{D, Tensor};
use crossbeam_channel::{Receiver, RecvTimeoutError, TryRecvError};
use weightslab_data::{Dataset, origin};

use super::command::Command;
use super::shared::{NeuronActivity, Shared};
use super::types::{
    EvalRequest, EvalStatus, Mode, StepReport, StepSummary, TrainerConfig, TrainerSnapshot,
    TrainingObserver,
};
use crate::checkpoint::{self, SaveInput};
use crate::model::{Model, Tap};
use crate::optim::{Optimizer, build_optimizer};
use crate::sampler::BatchSampler;
use crate::signals::{batch_stats, sample_signals};
use crate::{CheckpointMeta, HyperChanges, HyperParams, TrainError};

/// Layer activity is sampled every this many steps: cheap enough to be invisible in the step
/// rate, frequent enough for a live view.
const ACTIVITY_EVERY: u64 = 16;
/// Weight of a new activity sample in the running average.
const ACTIVITY_ALPHA: f32 = 0.2;
/// Weight of a new step time in the steps/s average.
const RATE_ALPHA: f32 = 0.1;
/// A held trainer looks at the hold again at least this often.
const HOLD_RECHECK: Duration = Duration::from_millis(50);

/// Whether the loop goes on after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    Continue,
    Stop,
}

pub(crate) struct Worker {
    pub(super) dataset: Arc<dyn Dataset>,
    pub(super) observer: Arc<dyn TrainingObserver>,
    pub(super) shared: Arc<Shared>,
    pub(super) rx: Receiver<Command>,
    pub(super) model: Model,
    optimizer: Box<dyn Optimizer>,
    sampler: BatchSampler,
    pub(super) hyper: HyperParams,
    seed: u64,
    mode: Mode,
    pub(super) is_training: bool,
    steps_until_pause: Option<u64>,
    pub(super) model_age: u64,
    samples_seen: u64,
    steps_taken: u64,
    last_step: Option<StepSummary>,
    steps_per_second: f32,
    message: String,
    pub(super) evaluating: bool,
    pub(super) pending_evals: VecDeque<(u64, EvalRequest)>,
    pub(super) activity: NeuronActivity,
    features: Vec<f32>,
    /// Computed once: it is part of every snapshot.
    signature: String,
}

impl Worker {
    pub fn new(
        dataset: Arc<dyn Dataset>,
        config: &TrainerConfig,
        observer: Arc<dyn TrainingObserver>,
        shared: Arc<Shared>,
        rx: Receiver<Command>,
        model: Model,
    ) -> Result<Self, TrainError> {
        let optimizer = build_optimizer(config.optimizer, model.named_vars(), &config.hyper)?;
        let activity = NeuronActivity {
            train: model
                .layers()
                .iter()
                .map(|l| vec![0.0; l.neurons()])
                .collect(),
            eval: model
                .layers()
                .iter()
                .map(|l| vec![0.0; l.neurons()])
                .collect(),
        };
        let signature = model.architecture_signature();
        Ok(Self {
            dataset,
            observer,
            shared,
            rx,
            model,
            optimizer,
            sampler: BatchSampler::new(config.seed),
            hyper: config.hyper.clone(),
            seed: config.seed,
            mode: Mode::Train,
            is_training: !config.start_paused,
            steps_until_pause: None,
            model_age: 0,
            samples_seen: 0,
            steps_taken: 0,
            last_step: None,
            steps_per_second: 0.0,
            message: String::new(),
            evaluating: false,
            pending_evals: VecDeque::new(),
            activity,
            features: Vec::new(),
            signature,
        })
    }

    /// The snapshot handles see (evaluation status is filled in by `Shared`).
    pub fn snapshot(&self) -> TrainerSnapshot {
        TrainerSnapshot {
            model_age: self.model_age,
            is_training: self.is_training && !self.evaluating,
            mode: self.mode,
            model: self.model.kind(),
            optimizer: self.optimizer.kind(),
            hyper: self.hyper.clone(),
            steps_until_pause: self.steps_until_pause,
            last_step: self.last_step,
            steps_per_second: self.steps_per_second,
            samples_seen: self.samples_seen,
            architecture_signature: self.signature.clone(),
            parameter_count: self.model.parameter_count(),
            evaluation: EvalStatus::default(),
            message: self.message.clone(),
        }
    }

    pub(super) fn publish(&self) {
        self.shared.publish(self.snapshot());
    }

    /// Runs until shutdown or until every handle is gone.
    pub fn run(mut self) {
        self.publish();
        loop {
            let flow = if self.is_training || !self.pending_evals.is_empty() {
                self.drain_commands()
            } else {
                match self.rx.recv() {
                    Ok(cmd) => self.handle(cmd),
                    Err(_) => Flow::Stop,
                }
            };
            if flow == Flow::Stop {
                break;
            }
            if let Some((id, request)) = self.pending_evals.pop_front() {
                if self.run_evaluation(id, request) == Flow::Stop {
                    break;
                }
                continue;
            }
            if self.is_training {
                match self.wait_out_hold() {
                    Some(Flow::Stop) => break,
                    Some(Flow::Continue) => continue,
                    None => self.train_once(),
                }
            }
        }
        tracing::info!(model_age = self.model_age, "trainer thread stopped");
    }

    /// While a hold lasts, waits for a command (and applies it) or for the hold to run out,
    /// at most `HOLD_RECHECK`; `None` when there is no hold.
    pub(super) fn wait_out_hold(&mut self) -> Option<Flow> {
        let left = self.shared.hold.remaining(Instant::now())?;
        let started = Instant::now();
        let flow = match self.rx.recv_timeout(left.min(HOLD_RECHECK)) {
            Ok(cmd) => self.handle(cmd),
            Err(RecvTimeoutError::Timeout) => Flow::Continue,
            Err(RecvTimeoutError::Disconnected) => Flow::Stop,
        };
        self.shared.hold.add_held(started.elapsed());
        Some(flow)
    }

    /// Applies every queued command without blocking.
    pub(super) fn drain_commands(&mut self) -> Flow {
        loop {
            match self.rx.try_recv() {
                Ok(cmd) => {
                    if self.handle(cmd) == Flow::Stop {
                        return Flow::Stop;
                    }
                }
                Err(TryRecvError::Empty) => return Flow::Continue,
                Err(TryRecvError::Disconnected) => return Flow::Stop,
            }
        }
    }

    pub(super) fn handle(&mut self, cmd: Command) -> Flow {
        // A handle that stopped waiting for its reply is not an error worth reporting.
        match cmd {
            Command::Pause(reply) => {
                self.is_training = false;
                self.steps_until_pause = None;
                self.publish();
                let _ = reply.send(Ok(self.model_age));
            }
            Command::Resume { nb_steps, reply } => {
                let _ = reply.send(self.resume(nb_steps));
            }
            Command::SetMode(mode, reply) => {
                self.mode = mode;
                self.publish();
                let _ = reply.send(Ok(()));
            }
            Command::UpdateHyper(changes, reply) => {
                let _ = reply.send(self.update_hyper(&changes));
            }
            Command::Evaluate { id, request } => self.pending_evals.push_back((id, request)),
            Command::Save { dir, reply } => {
                let _ = reply.send(self.save(&dir));
            }
            Command::Load {
                dir,
                weights_only,
                reply,
            } => {
                let result = if self.evaluating {
                    Err(TrainError::Busy(
                        "an evaluation is running, and a checkpoint cannot be loaded under it"
                            .into(),
                    ))
                } else {
                    self.load(&dir, weights_only)
                };
                let _ = reply.send(result);
            }
            Command::Shutdown => return Flow::Stop,
        }
        Flow::Continue
    }

    fn resume(&mut self, nb_steps: Option<u64>) -> Result<(), TrainError> {
        if nb_steps == Some(0) {
            return Err(TrainError::InvalidArgument(
                "nb_steps = 0; pass at least 1, or None to train until paused".into(),
            ));
        }
        if self.mode == Mode::Train && self.hyper.training_steps_to_do == 0 {
            match nb_steps {
                // An explicit step count refills a spent budget: the user asked for exactly
                // that many steps.
                Some(n) => self.hyper.training_steps_to_do = n,
                None => {
                    return Err(TrainError::InvalidArgument(
                        "training_steps_to_do is 0; raise it with update_hyper or resume with \
                         nb_steps"
                            .into(),
                    ));
                }
            }
        }
        self.is_training = true;
        self.steps_until_pause = nb_steps;
        self.message.clear();
        self.publish();
        Ok(())
    }

    fn update_hyper(&mut self, changes: &HyperChanges) -> Result<HyperParams, TrainError> {
        let next = self.hyper.with_changes(changes)?;
        self.optimizer.set_learning_rate(next.learning_rate);
        self.optimizer.set_momentum(next.momentum);
        self.optimizer.set_weight_decay(next.weight_decay);
        self.hyper = next;
        self.publish();
        Ok(self.hyper.clone())
    }

    fn save(&self, dir: &std::path::Path) -> Result<CheckpointMeta, TrainError> {
        let meta = checkpoint::write(
            dir,
            SaveInput {
                model: &self.model,
                optimizer_kind: self.optimizer.kind(),
                optimizer_state: self.optimizer.export_state()?,
                hyper: &self.hyper,
                model_age: self.model_age,
                seed: self.seed,
                samples_seen: self.samples_seen,
            },
        )?;
        tracing::info!(dir = %dir.display(), model_age = self.model_age, "checkpoint saved");
        Ok(meta)
    }

    fn load(
        &mut self,
        dir: &std::path::Path,
        weights_only: bool,
    ) -> Result<CheckpointMeta, TrainError> {
        let loaded = checkpoint::read(dir, &self.model, !weights_only)?;
        let meta = loaded.meta;
        // A fresh optimizer takes the state, so the live one stays untouched until every
        // check has passed.
        let (kind, hyper) = if weights_only {
            (self.optimizer.kind(), self.hyper.clone())
        } else {
            (meta.optimizer, meta.hyper.clone())
        };
        let mut optimizer = build_optimizer(kind, self.model.named_vars(), &hyper)?;
        if let Some(state) = &loaded.optimizer {
            let path = dir.join(checkpoint::OPTIMIZER_FILE);
            optimizer
                .check_state(state)
                .map_err(|reason| TrainError::corrupt(&path, reason))?;
            optimizer.import_state(state)?;
        }
        checkpoint::apply_weights(&self.model, &loaded.weights)?;
        self.optimizer = optimizer;
        self.hyper = hyper;
        self.model_age = meta.model_age;
        if !weights_only {
            self.samples_seen = meta.samples_seen;
        }
        self.sampler
            .reseed(self.seed ^ meta.model_age.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        self.is_training = false;
        self.steps_until_pause = None;
        self.message = format!(
            "restored {} checkpoint from step {}",
            if weights_only { "weights-only" } else { "full" },
            meta.model_age
        );
        self.publish();
        tracing::info!(dir = %dir.display(), model_age = meta.model_age, weights_only, "checkpoint loaded");
        Ok(meta)
    }

    fn pause_with(&mut self, message: String) {
        self.is_training = false;
        self.steps_until_pause = None;
        self.message = message;
    }

    /// One step in the current mode, then bookkeeping, observer calls and a publish.
    fn train_once(&mut self) {
        if self.mode == Mode::Train && self.hyper.training_steps_to_do == 0 {
            self.pause_with("training_steps_to_do reached 0; training paused".into());
            self.publish();
            return;
        }
        let mode = self.mode;
        match self.step(mode) {
            Ok(Some(report)) => self.after_step(report),
            Ok(None) => {
                self.pause_with(
                    "no training samples are in the loop (all discarded?); training paused".into(),
                );
                tracing::warn!("{}", self.message);
            }
            Err(e) => {
                tracing::error!(error = %e, "training step failed; training paused");
                self.pause_with(format!("training step failed: {e}"));
            }
        }
        self.publish();
    }

    fn after_step(&mut self, report: StepReport) {
        self.steps_taken += 1;
        let rate = if report.step_seconds > 0.0 {
            1.0 / report.step_seconds
        } else {
            0.0
        };
        self.steps_per_second = if self.steps_per_second == 0.0 {
            rate
        } else {
            self.steps_per_second + RATE_ALPHA * (rate - self.steps_per_second)
        };
        self.last_step = Some(StepSummary::from(&report));
        self.observer.on_step(&report);
        if let Some(left) = self.steps_until_pause.as_mut() {
            *left = left.saturating_sub(1);
            if *left == 0 {
                self.pause_with(String::new());
            }
        }
        if report.mode != Mode::Train {
            return;
        }
        self.hyper.training_steps_to_do = self.hyper.training_steps_to_do.saturating_sub(1);
        if self.hyper.training_steps_to_do == 0 {
            self.pause_with("training_steps_to_do reached 0; training paused".into());
        }
        let age = self.model_age;
        if self.hyper.checkpoint_frequency > 0
            && age.is_multiple_of(self.hyper.checkpoint_frequency)
        {
            self.observer.on_checkpoint_due(age);
        }
        if self.hyper.eval_frequency > 0 && age.is_multiple_of(self.hyper.eval_frequency) {
            self.queue_periodic_evaluation();
        }
    }

    /// Evaluates the in-loop validation split (or test split when there is no validation).
    fn queue_periodic_evaluation(&mut self) {
        for split in [origin::VAL, origin::TEST] {
            let indices = self.observer.in_loop(split);
            if indices.is_empty() {
                continue;
            }
            match self.shared.eval_request(split, indices.len()) {
                Ok(id) => self.pending_evals.push_back((
                    id,
                    EvalRequest {
                        indices: indices.to_vec(),
                        split_name: split.to_owned(),
                        tags: Vec::new(),
                    },
                )),
                Err(e) => tracing::debug!("periodic evaluation skipped: {e}"),
            }
            return;
        }
    }

    /// Fills the feature buffer for `indices` and returns the input tensor and labels.
    pub(super) fn gather(&mut self, indices: &[u32]) -> Result<(Tensor, Vec<i64>), TrainError> {
        let width = self.model.input_shape().len();
        let classes = self.model.num_classes();
        self.features.clear();
        self.features.resize(indices.len() * width, 0.0);
        let mut labels = Vec::with_capacity(indices.len());
        for (&i, row) in indices.iter().zip(self.features.chunks_exact_mut(width)) {
            let i = i as usize;
            self.dataset.write_features(i, row);
            let label = self.dataset.label(i);
            if usize::try_from(label).map_or(true, |l| l >= classes) {
                return Err(TrainError::InvalidArgument(format!(
                    "sample {} has label {label}; labels must be in 0..{classes}",
                    self.dataset.sample_id(i)
                )));
            }
            labels.push(label);
        }
        let x = self
            .model
            .batch_tensor(self.features.clone(), indices.len())?;
        Ok((x, labels))
    }

    /// One training (or audit) step. `None` when no sample is in the loop.
    fn step(&mut self, mode: Mode) -> Result<Option<StepReport>, TrainError> {
        let started = Instant::now();
        let in_loop = self.observer.in_loop(origin::TRAIN);
        let indices = self
            .sampler
            .draw(&in_loop, self.hyper.batch_size, self.dataset.len());
        if indices.is_empty() {
            return Ok(None);
        }
        let (x, labels) = self.gather(&indices)?;
        let want_activity = self.steps_taken.is_multiple_of(ACTIVITY_EVERY);
        let tap = if want_activity { Tap::All } else { Tap::None };
        let (logits, taps) = self.model.forward(&x, tap)?;
        let log_probs = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
        let learning_rate = self.optimizer.learning_rate();
        if mode == Mode::Train {
            let targets: Vec<u32> = labels.iter().map(|&l| l as u32).collect();
            let targets = Tensor::from_vec(targets, (labels.len(), 1), self.model.device())?;
            let loss = log_probs.gather(&targets, 1)?.mean_all()?.neg()?;
            let grads = loss.backward()?;
            self.optimizer.step(&grads)?;
            self.model_age += 1;
            self.samples_seen += indices.len() as u64;
        }
        if want_activity {
            self.record_activity(&taps)?;
        }
        let host = log_probs.flatten_all()?.to_vec1::<f32>()?;
        let samples = sample_signals(&indices, &labels, &host, self.model.num_classes());
        let stats = batch_stats(&samples, &labels);
        let step_seconds = started.elapsed().as_secs_f32();
        Ok(Some(StepReport {
            model_age: self.model_age,
            mode,
            mean_loss: stats.mean_loss,
            min_loss: stats.min_loss,
            max_loss: stats.max_loss,
            accuracy: stats.accuracy,
            learning_rate,
            samples_per_second: if step_seconds > 0.0 {
                indices.len() as f32 / step_seconds
            } else {
                0.0
            },
            step_seconds,
            samples,
        }))
    }

    /// Folds tapped layer outputs into the running average of training activity.
    fn record_activity(&mut self, taps: &[Tensor]) -> Result<(), TrainError> {
        for (out, target) in taps.iter().zip(self.activity.train.iter_mut()) {
            let rates = Model::trigger_rates(out)?;
            for (t, r) in target.iter_mut().zip(rates) {
                *t += ACTIVITY_ALPHA * (r - *t);
            }
        }
        self.shared.set_activity(self.activity.clone());
        Ok(())
    }
}
