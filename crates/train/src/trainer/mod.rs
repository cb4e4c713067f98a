//! The trainer: `Trainer::spawn` starts the trainer thread, `TrainerHandle` is how everyone
//! else talks to it (commands over a bounded channel, reads from published snapshots).

mod command;
mod eval;
mod hold;
mod shared;
pub mod types;
mod worker;

use std::path::Path;
use std::sync::Arc;
use std::thread::{JoinHandle, ThreadId};
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, bounded};
use parking_lot::Mutex;
use weightslab_data::Dataset;

use crate::model::{Model, Tap, default_device};
use crate::{CheckpointMeta, HyperChanges, HyperParams, TrainError};
use command::{Command, Reply};
use shared::Shared;
use types::{
    EvalRequest, EvalStatus, LayerInfo, LayerRef, Mode, NeuronStats, TensorDump, TrainerConfig,
    TrainerSnapshot, TrainingObserver,
};
use worker::Worker;

pub use hold::HoldTotals;

/// Commands queued beyond this make senders wait: backpressure instead of unbounded memory.
const COMMAND_QUEUE: usize = 64;

/// Starts trainers.
pub struct Trainer;

impl Trainer {
    /// Builds the model for `dataset`, starts the trainer thread and returns its handle.
    /// Fails when the config is invalid or the model does not fit the dataset.
    pub fn spawn(
        dataset: Arc<dyn Dataset>,
        config: TrainerConfig,
        observer: Arc<dyn TrainingObserver>,
    ) -> Result<TrainerHandle, TrainError> {
        config.hyper.validate()?;
        if dataset.is_empty() {
            return Err(TrainError::InvalidArgument(format!(
                "dataset {:?} has no samples; load a dataset with at least one sample",
                dataset.name()
            )));
        }
        if u32::try_from(dataset.len()).is_err() {
            return Err(TrainError::InvalidArgument(format!(
                "dataset {:?} has {} samples; at most {} are supported",
                dataset.name(),
                dataset.len(),
                u32::MAX
            )));
        }
        let device = default_device();
        let model = Model::new(
            config.model,
            dataset.input_shape(),
            dataset.num_classes(),
            config.seed,
            &device,
        )?;
        let (tx, rx) = bounded(COMMAND_QUEUE);
        let placeholder = TrainerSnapshot {
            model_age: 0,
            is_training: false,
            mode: Mode::Train,
            model: config.model,
            optimizer: config.optimizer,
            hyper: config.hyper.clone(),
            steps_until_pause: None,
            last_step: None,
            steps_per_second: 0.0,
            samples_seen: 0,
            architecture_signature: model.architecture_signature(),
            parameter_count: model.parameter_count(),
            evaluation: EvalStatus::default(),
            message: String::new(),
        };
        let shared = Arc::new(Shared::new(placeholder, Default::default()));
        let worker = Worker::new(
            Arc::clone(&dataset),
            &config,
            observer,
            Arc::clone(&shared),
            rx,
            model.clone(),
        )?;
        // The first snapshot is published before spawn returns so readers never see the
        // placeholder's is_training.
        shared.publish(worker.snapshot());
        let thread = std::thread::Builder::new()
            .name("weightslab-trainer".into())
            .spawn(move || {
                crate::threads::yield_to_interactive_work();
                worker.run()
            })
            .map_err(|e| TrainError::io("<trainer thread>", e))?;
        let thread_id = thread.thread().id();
        tracing::info!(
            model = config.model.as_str(),
            optimizer = config.optimizer.as_str(),
            parameters = model.parameter_count(),
            "trainer started"
        );
        Ok(TrainerHandle {
            inner: Arc::new(Inner {
                tx,
                shared,
                model,
                dataset,
                thread: Mutex::new(Some(thread)),
                thread_id,
            }),
        })
    }
}

struct Inner {
    tx: Sender<Command>,
    shared: Arc<Shared>,
    /// Shares weight storage with the trainer's model: reads see live values.
    model: Model,
    dataset: Arc<dyn Dataset>,
    thread: Mutex<Option<JoinHandle<()>>>,
    thread_id: ThreadId,
}

impl Inner {
    fn stop(&self) {
        if std::thread::current().id() == self.thread_id {
            // From an observer callback: the loop ends after the current callback returns;
            // waiting here would wait on ourselves.
            let _ = self.tx.try_send(Command::Shutdown);
            return;
        }
        // Blocking send: a full queue drains as the trainer works through it. A gone trainer
        // (disconnected channel) needs no message.
        let _ = self.tx.send(Command::Shutdown);
        if let Some(thread) = self.thread.lock().take()
            && thread.join().is_err()
        {
            tracing::error!("the trainer thread panicked");
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A cloneable, thread-safe handle on a running trainer.
#[derive(Clone)]
pub struct TrainerHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for TrainerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TrainerHandle")
            .field("model", &self.inner.model.kind())
            .finish_non_exhaustive()
    }
}

impl TrainerHandle {
    /// Sends a command and waits for its reply.
    fn call<T>(&self, make: impl FnOnce(Reply<T>) -> Command) -> Result<T, TrainError> {
        if std::thread::current().id() == self.inner.thread_id {
            return Err(TrainError::InvalidArgument(
                "this trainer call was made on the trainer thread (inside an observer \
                 callback) and would wait for itself; make it from another thread"
                    .into(),
            ));
        }
        let (reply, answer) = bounded(1);
        self.inner
            .tx
            .send(make(reply))
            .map_err(|_| TrainError::Stopped)?;
        answer.recv().map_err(|_| TrainError::Stopped)?
    }

    /// Stops training; replies with the model age once the step in flight has ended.
    pub fn pause(&self) -> Result<u64, TrainError> {
        self.call(Command::Pause)
    }

    /// Resumes training; with `nb_steps`, trains exactly that many steps, then pauses.
    pub fn resume(&self, nb_steps: Option<u64>) -> Result<(), TrainError> {
        self.call(|reply| Command::Resume { nb_steps, reply })
    }

    /// Chooses what steps do: `Train` or `Audit` (evaluations go through `start_evaluation`).
    pub fn set_mode(&self, mode: Mode) -> Result<(), TrainError> {
        if mode == Mode::Eval {
            return Err(TrainError::InvalidArgument(
                "Eval is not a step mode; use start_evaluation to evaluate a split".into(),
            ));
        }
        self.call(|reply| Command::SetMode(mode, reply))
    }

    /// Applies hyperparameter edits before the next step (learning-rate edits reach the
    /// optimizer). Returns the parameters now in force.
    pub fn update_hyper(&self, changes: HyperChanges) -> Result<HyperParams, TrainError> {
        self.call(|reply| Command::UpdateHyper(changes, reply))
    }

    /// Holds training for `duration` from now, replacing any earlier hold: the trainer
    /// finishes the step in flight, then waits (still taking commands) instead of stepping,
    /// and evaluations wait between batches. A zero duration ends the hold. For a user
    /// interface that wants the CPU while a person interacts with it; never waits itself.
    pub fn hold_for(&self, duration: Duration) {
        self.inner.shared.hold.hold_for(Instant::now(), duration);
    }

    /// What holds have cost training so far.
    pub fn hold_totals(&self) -> HoldTotals {
        self.inner.shared.hold.totals()
    }

    /// The latest published state. Never waits on a step.
    pub fn snapshot(&self) -> TrainerSnapshot {
        self.inner.shared.snapshot()
    }

    /// Queues an evaluation of `request.indices`. The status reads Requested when this
    /// returns; `Busy` when another is queued or running.
    pub fn start_evaluation(&self, request: EvalRequest) -> Result<(), TrainError> {
        if request.indices.is_empty() {
            return Err(TrainError::InvalidArgument(format!(
                "the evaluation of {:?} has no samples; pass at least one index",
                request.split_name
            )));
        }
        let len = self.inner.dataset.len();
        if let Some(bad) = request.indices.iter().find(|&&i| i as usize >= len) {
            return Err(TrainError::InvalidArgument(format!(
                "evaluation index {bad} is out of range; the dataset has {len} samples"
            )));
        }
        let id = self
            .inner
            .shared
            .eval_request(&request.split_name, request.indices.len())?;
        if self
            .inner
            .tx
            .send(Command::Evaluate { id, request })
            .is_err()
        {
            self.inner
                .shared
                .eval_finish(id, Err("the trainer thread has stopped".into()));
            return Err(TrainError::Stopped);
        }
        Ok(())
    }

    pub fn evaluation_status(&self) -> EvalStatus {
        self.inner.shared.eval_status()
    }

    /// Cancels the queued or running evaluation (it stops before its next batch). False when
    /// there was nothing to cancel.
    pub fn cancel_evaluation(&self, reason: &str) -> Result<bool, TrainError> {
        Ok(self.inner.shared.eval_cancel(reason))
    }

    /// Writes `weights.safetensors`, `optimizer.safetensors` and `trainer.json` into `dir`.
    pub fn save_checkpoint(&self, dir: &Path) -> Result<CheckpointMeta, TrainError> {
        let dir = dir.to_path_buf();
        self.call(|reply| Command::Save { dir, reply })
    }

    /// Restores the checkpoint in `dir` after checking every file; on any error the running
    /// state is untouched. Training is paused afterwards. `weights_only` keeps the live
    /// hyperparameters and starts a fresh optimizer state.
    pub fn load_checkpoint(
        &self,
        dir: &Path,
        weights_only: bool,
    ) -> Result<CheckpointMeta, TrainError> {
        let dir = dir.to_path_buf();
        self.call(|reply| Command::Load {
            dir,
            weights_only,
            reply,
        })
    }

    /// The parameterised layers with per-neuron statistics.
    pub fn layers(&self) -> Vec<LayerInfo> {
        let activity = self.inner.shared.activity();
        let snap = self.inner.shared.snapshot();
        let lr = snap.hyper.learning_rate as f32;
        self.inner
            .model
            .layers()
            .iter()
            .map(|spec| {
                let norms = self.inner.model.weight_norms(spec.id).unwrap_or_default();
                let train = activity.train.get(spec.id);
                let eval = activity.eval.get(spec.id);
                let neuron_stats = (0..spec.neurons())
                    .map(|n| NeuronStats {
                        neuron: n,
                        age: snap.samples_seen,
                        weight_norm: norms.get(n).copied().unwrap_or(0.0),
                        train_trigger_rate: train.and_then(|t| t.get(n)).copied().unwrap_or(0.0),
                        eval_trigger_rate: eval.and_then(|t| t.get(n)).copied().unwrap_or(0.0),
                        learning_rate: lr,
                    })
                    .collect();
                LayerInfo {
                    id: i32::try_from(spec.id).unwrap_or(i32::MAX),
                    name: spec.name.clone(),
                    layer_type: spec.type_name().to_owned(),
                    incoming: spec.incoming(),
                    neurons: spec.neurons(),
                    kernel_size: spec.kernel_size(),
                    stride: spec.stride(),
                    parameter_count: spec.parameter_count(),
                    output_shape: spec.output_dims.clone(),
                    neuron_stats,
                }
            })
            .collect()
    }

    fn resolve(&self, layer: &LayerRef) -> Result<usize, TrainError> {
        let specs = self.inner.model.layers();
        let found = match layer {
            LayerRef::Id(id) => specs
                .iter()
                .find(|s| i64::try_from(s.id).ok() == Some(i64::from(*id))),
            LayerRef::Name(name) => specs.iter().find(|s| &s.name == name),
        };
        found.map(|s| s.id).ok_or_else(|| TrainError::NotFound {
            what: match layer {
                LayerRef::Id(id) => format!("layer id {id}"),
                LayerRef::Name(name) => format!("layer {name:?}"),
            },
            available: specs
                .iter()
                .map(|s| format!("{} ({})", s.id, s.name))
                .collect(),
        })
    }

    /// The weight tensor of a layer (PyTorch layout), read live.
    pub fn weights(&self, layer: LayerRef) -> Result<TensorDump, TrainError> {
        let id = self.resolve(&layer)?;
        let (w, _) = self
            .inner
            .model
            .layer_vars(id)
            .ok_or_else(|| TrainError::InvalidArgument(format!("layer {id} has no weights")))?;
        Ok(TensorDump {
            shape: w.dims().to_vec(),
            data: w.as_tensor().flatten_all()?.to_vec1::<f32>()?,
        })
    }

    /// The raw output of a layer for one dataset sample, computed on the calling thread from
    /// the live weights.
    pub fn activations(&self, layer: LayerRef, index: u32) -> Result<TensorDump, TrainError> {
        let id = self.resolve(&layer)?;
        let dataset = &self.inner.dataset;
        if index as usize >= dataset.len() {
            return Err(TrainError::NotFound {
                what: format!("sample index {index}"),
                available: vec![format!("0..{}", dataset.len())],
            });
        }
        let model = &self.inner.model;
        let mut features = vec![0.0f32; model.input_shape().len()];
        dataset.write_features(index as usize, &mut features);
        let x = model.batch_tensor(features, 1)?;
        let (out, _) = model.forward(&x, Tap::Layer(id))?;
        let out = out.squeeze(0)?;
        Ok(TensorDump {
            shape: out.dims().to_vec(),
            data: out.flatten_all()?.to_vec1::<f32>()?,
        })
    }

    /// Stops the trainer thread and waits for it (after the step in flight). Idempotent.
    pub fn shutdown(&self) {
        self.inner.stop();
    }
}
