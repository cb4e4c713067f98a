//! `Experiment`: the one shared handle that ties the trainer, the sample table, the signal
//! history, checkpoints, evaluation and thumbnails together. Handlers call its methods; it
//! answers in wire types so that handlers stay thin.

mod data;
mod errors;
mod inspect;
pub mod loading;
mod logger;
pub mod observer;
mod plans;
pub mod runs;

pub use plans::{EditPlan, HyperPlan, LayerKey, RestoreSpec, Targets};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::Mutex;
use sha2::{Digest, Sha256};
use weightslab_data::Dataset;
use weightslab_media::{ResizeBackend, Thumbnailer, ThumbnailerConfig};
use weightslab_proto::*;
use weightslab_signals::{SignalLog, SignalLogConfig};
use weightslab_table::{SampleSeed, SampleTable, TableOptions};
use weightslab_train::{
    EvalRequest, EvalState, HyperChanges, Mode, Trainer, TrainerHandle, TrainerSnapshot,
};

use crate::config::RunConfig;
use crate::error::{ServiceError, ServiceResult};
use observer::{Observer, RunState};
use runs::Runs;

/// Start-up failures of an experiment.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Load(#[from] loading::LoadError),
    #[error("sample table: {0}")]
    Table(#[from] weightslab_table::TableError),
    #[error("trainer: {0}")]
    Train(#[from] weightslab_train::TrainError),
    #[error("thumbnails: {0}")]
    Media(#[from] weightslab_media::MediaError),
    #[error("{0}")]
    Other(String),
}

/// The experiment: what is trained, on what, and everything recorded about it.
pub struct Experiment {
    run: RunConfig,
    log_dir: PathBuf,
    dataset: Arc<dyn Dataset>,
    table: Arc<SampleTable>,
    signals: Arc<SignalLog>,
    thumbnails: Thumbnailer,
    trainer: TrainerHandle,
    runs: Runs,
    state: Arc<RunState>,
    /// One checkpoint save or restore at a time.
    checkpoint_lock: Mutex<()>,
    agent: parking_lot::RwLock<Option<crate::agent::AgentConfig>>,
}

impl Experiment {
    /// Loads the data, opens the table, starts the trainer thread and the checkpoint saver.
    pub fn start(run: RunConfig, log_dir: &Path) -> Result<Arc<Self>, StartError> {
        std::fs::create_dir_all(log_dir).map_err(|error| {
            StartError::Other(format!("cannot create {}: {error}", log_dir.display()))
        })?;
        let dataset = loading::load_dataset(&run, log_dir)?;
        let seeds = (0..dataset.len())
            .map(|index| SampleSeed {
                sample_id: dataset.sample_id(index).to_string(),
                origin: dataset.origin(index).to_string(),
                label: dataset.label(index),
            })
            .collect();
        let table = Arc::new(SampleTable::open(
            seeds,
            TableOptions::new(log_dir, dataset.fingerprint()),
        )?);
        let signals = Arc::new(SignalLog::new(SignalLogConfig::default()));
        let backend: ResizeBackend = run.thumbnails.backend.parse()?;
        let thumbnails = Thumbnailer::new(ThumbnailerConfig {
            backend,
            cache_bytes: run.thumbnails.cache_mb.saturating_mul(1024 * 1024),
            workers: run.thumbnails.workers.max(1),
        })?;
        tracing::info!(backend = %thumbnails.backend_name(), "thumbnails");
        let state = Arc::new(RunState {
            current_hash: parking_lot::RwLock::new(String::new()),
        });
        let (checkpoint_sender, checkpoint_requests) = crossbeam_channel::bounded::<u64>(1);
        let observer = Arc::new(Observer {
            table: table.clone(),
            signals: signals.clone(),
            dataset: dataset.clone(),
            run: state.clone(),
            checkpoints: checkpoint_sender,
        });
        let mut trainer_config = loading::trainer_config(&run);
        let start_paused = trainer_config.start_paused;
        // Start paused so the run hash is known before the first point is logged.
        trainer_config.start_paused = true;
        let trainer = Trainer::spawn(dataset.clone(), trainer_config, observer)?;
        let experiment = Arc::new(Self {
            runs: Runs::open(log_dir),
            run,
            log_dir: log_dir.to_path_buf(),
            dataset,
            table,
            signals,
            thumbnails,
            trainer,
            state,
            checkpoint_lock: Mutex::new(()),
            agent: parking_lot::RwLock::new(None),
        });
        experiment
            .refresh_run_hash()
            .map_err(|error| StartError::Other(error.to_string()))?;
        let weak = Arc::downgrade(&experiment);
        std::thread::Builder::new()
            .name("weightslab-checkpoints".into())
            .spawn(move || {
                for model_age in checkpoint_requests {
                    let Some(experiment) = weak.upgrade() else {
                        break;
                    };
                    match experiment.save_checkpoint(false) {
                        Ok(dir) => {
                            tracing::info!(model_age, dir = %dir.display(), "checkpoint saved")
                        }
                        Err(error) => {
                            tracing::error!(model_age, %error, "automatic checkpoint failed")
                        }
                    }
                }
            })
            .map_err(|error| {
                StartError::Other(format!("cannot start the checkpoint thread: {error}"))
            })?;
        if !start_paused {
            experiment.trainer.resume(None)?;
        }
        Ok(experiment)
    }

    pub fn run_config(&self) -> &RunConfig {
        &self.run
    }

    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    pub fn trainer_snapshot(&self) -> TrainerSnapshot {
        self.trainer.snapshot()
    }

    pub fn current_hash(&self) -> String {
        self.state.current_hash.read().clone()
    }

    /// Hash of the data state: which samples are in the loop.
    fn data_state_key(&self) -> String {
        let mut digest = Sha256::new();
        digest.update(self.dataset.fingerprint().as_bytes());
        for split in self.table.splits() {
            digest.update(split.as_bytes());
            for row in self.table.in_loop_rows(&split).iter() {
                digest.update(row.to_le_bytes());
            }
        }
        hex::encode(digest.finalize())
    }

    fn hyper_key(snapshot: &TrainerSnapshot) -> String {
        let hyper = &snapshot.hyper;
        format!(
            "{:?}|lr={}|batch={}|momentum={}|wd={}",
            snapshot.optimizer,
            hyper.learning_rate,
            hyper.batch_size,
            hyper.momentum,
            hyper.weight_decay
        )
    }

    /// Recomputes the experiment hash after a change of hyperparameters, model or data state;
    /// a new hash starts a new run in the registry.
    fn refresh_run_hash(&self) -> ServiceResult<String> {
        let snapshot = self.trainer.snapshot();
        let hash = runs::experiment_hash(
            &Self::hyper_key(&snapshot),
            &snapshot.architecture_signature,
            &self.data_state_key(),
        );
        let previous = std::mem::replace(&mut *self.state.current_hash.write(), hash.clone());
        if previous != hash {
            self.runs.touch(&hash, &snapshot.hyper.experiment_name)?;
            if !previous.is_empty() {
                tracing::info!(from = %previous, to = %hash, "a new run starts");
            }
        }
        Ok(hash)
    }

    // ------------------------------------------------------------------ training control

    /// Must never wait on a training step: the Studio's heartbeat has a 1.5 s deadline.
    pub fn hyper_parameter_descs(&self) -> Vec<HyperParameterDesc> {
        let snapshot = self.trainer.snapshot();
        let hyper = &snapshot.hyper;
        let text = |name: &str, label: &str, value: String| HyperParameterDesc {
            label: label.into(),
            name: name.into(),
            r#type: "text".into(),
            numerical_value: None,
            string_value: Some(value),
        };
        let number = |name: &str, label: &str, value: f64| HyperParameterDesc {
            label: label.into(),
            name: name.into(),
            r#type: "number".into(),
            numerical_value: Some(value as f32),
            string_value: None,
        };
        let left = snapshot
            .steps_until_pause
            .unwrap_or(hyper.training_steps_to_do);
        vec![
            text(
                "experiment_name",
                "Experiment Name",
                hyper.experiment_name.clone(),
            ),
            text("last_hash", "Last Hash", self.current_hash()),
            number("model_age", "Model Age", snapshot.model_age as f64),
            number(
                "is_training",
                "Is Training",
                if snapshot.is_training { 1.0 } else { 0.0 },
            ),
            number(
                "auditor_mode",
                "Auditor Mode",
                if snapshot.mode == Mode::Audit {
                    1.0
                } else {
                    0.0
                },
            ),
            number("learning_rate", "Learning Rate", hyper.learning_rate),
            number("batch_size", "Batch Size", hyper.batch_size as f64),
            number(
                "val_batch_size",
                "Val Batch Size",
                hyper.eval_batch_size as f64,
            ),
            number("training_steps_to_do", "Left Training Steps", left as f64),
            number(
                "total_training_steps",
                "Total Training Steps",
                (snapshot.model_age + left) as f64,
            ),
            number(
                "full_eval_frequency",
                "Eval Frequency",
                hyper.eval_frequency as f64,
            ),
            number(
                "checkpont_frequency",
                "Checkpoint Frequency",
                hyper.checkpoint_frequency as f64,
            ),
            number("momentum", "Momentum", hyper.momentum),
            number("weight_decay", "Weight Decay", hyper.weight_decay),
            number(
                "steps_per_second",
                "Steps per Second",
                f64::from(snapshot.steps_per_second),
            ),
        ]
    }

    pub fn change_hyper_parameters(
        &self,
        plan: &HyperPlan,
        pause_first: bool,
    ) -> ServiceResult<String> {
        if pause_first && self.trainer.snapshot().is_training {
            self.trainer.pause()?;
        }
        let changes = HyperChanges {
            experiment_name: plan.experiment_name.clone(),
            learning_rate: plan.learning_rate,
            batch_size: plan.batch_size,
            training_steps_to_do: plan.training_steps_to_do,
            eval_frequency: plan.eval_frequency,
            checkpoint_frequency: plan.checkpoint_frequency,
            eval_batch_size: plan.eval_batch_size,
            ..HyperChanges::default()
        };
        let applied = self.trainer.update_hyper(changes)?;
        let hash = self.refresh_run_hash()?;
        if let Some(name) = &plan.experiment_name {
            self.runs
                .update(&hash, |record| record.name = name.clone())?;
        }
        Ok(format!(
            "Hyperparameters updated (learning rate {}, batch size {}){}.",
            applied.learning_rate,
            applied.batch_size,
            if pause_first { "; training paused" } else { "" }
        ))
    }

    pub fn set_audit_mode(&self, audit: bool) -> ServiceResult<Option<String>> {
        let wanted = if audit { Mode::Audit } else { Mode::Train };
        if self.trainer.snapshot().mode == wanted {
            return Ok(None);
        }
        self.trainer.set_mode(wanted)?;
        Ok(Some(format!("Mode set to {}.", wanted.as_str())))
    }

    /// Holds training for `duration` (zero releases it); see `TrainerHandle::hold_for`.
    pub fn hold_training(&self, duration: std::time::Duration) {
        self.trainer.hold_for(duration);
    }

    /// Time training has waited on holds since start.
    pub fn training_held(&self) -> std::time::Duration {
        self.trainer.hold_totals().held
    }

    pub fn pause(&self) -> ServiceResult<u64> {
        Ok(self.trainer.pause()?)
    }

    pub fn resume(&self, steps: Option<u64>) -> ServiceResult<String> {
        self.refresh_run_hash()?;
        self.trainer.resume(steps)?;
        Ok(match steps {
            Some(steps) => format!("Training resumed for {steps} steps."),
            None => "Training resumed.".to_string(),
        })
    }

    /// Pauses before an edit unless edits are configured to apply live.
    fn pause_for_edit(&self) -> ServiceResult<()> {
        if !self.run.edits.live && self.trainer.snapshot().is_training {
            self.trainer.pause()?;
        }
        Ok(())
    }

    // ------------------------------------------------------------------ checkpoints and runs

    /// Writes a checkpoint of the current run at the current model age, atomically.
    pub fn save_checkpoint(&self, pause_first: bool) -> ServiceResult<PathBuf> {
        let _guard = self.checkpoint_lock.lock();
        if pause_first && self.trainer.snapshot().is_training {
            self.trainer.pause()?;
        }
        let hash = self.current_hash();
        let age = self.trainer.snapshot().model_age;
        let temp = self.runs.temp_dir(&hash, age).map_err(|error| {
            ServiceError::internal(format!("cannot create a checkpoint folder: {error}"))
        })?;
        let result = (|| -> ServiceResult<PathBuf> {
            let meta = self.trainer.save_checkpoint(&temp)?;
            self.table.export_state(&temp.join("table_state.json"))?;
            let extra = serde_json::json!({
                "experiment_hash": hash,
                "signal_position": self.signals.position(),
                "model_age": meta.model_age,
            });
            std::fs::write(
                temp.join("run.json"),
                serde_json::to_vec_pretty(&extra).map_err(ServiceError::internal)?,
            )
            .map_err(|error| ServiceError::internal(format!("cannot write run.json: {error}")))?;
            self.runs
                .publish(&temp, &hash, meta.model_age)
                .map_err(|error| {
                    ServiceError::internal(format!("cannot publish the checkpoint: {error}"))
                })
        })();
        if result.is_err() {
            let _ = std::fs::remove_dir_all(&temp);
        }
        result
    }

    pub fn save_checkpoint_now(&self, _with_optimizer: bool) -> ServiceResult<String> {
        let dir = self.save_checkpoint(true)?;
        Ok(format!(
            "Checkpoint saved at step {} ({}).",
            self.trainer.snapshot().model_age,
            dir.display()
        ))
    }

    pub fn load_checkpoint_id(&self, id: i32) -> ServiceResult<String> {
        let step = u64::try_from(id)
            .map_err(|_| ServiceError::invalid(format!("checkpoint_id must be >= 0, got {id}")))?;
        let spec = RestoreSpec {
            experiment_hash: self.current_hash(),
            weights_step: Some(step),
        };
        self.restore_checkpoint(&spec)
    }

    pub fn restore_checkpoint(&self, spec: &RestoreSpec) -> ServiceResult<String> {
        let _guard = self.checkpoint_lock.lock();
        if !self.runs.contains(&spec.experiment_hash) {
            return Err(ServiceError::not_found(format!(
                "no run with hash {}; ListExperimentRuns lists the known runs",
                spec.experiment_hash
            )));
        }
        let steps = self.runs.steps(&spec.experiment_hash);
        let step = match spec.weights_step {
            Some(wanted) => runs::nearest(&steps, wanted),
            None => steps.last().copied(),
        }
        .ok_or_else(|| {
            ServiceError::not_found(format!(
                "run {} has no saved checkpoint yet",
                spec.experiment_hash
            ))
        })?;
        let dir = self.runs.step_dir(&spec.experiment_hash, step);
        if self.trainer.snapshot().is_training {
            self.trainer.pause()?;
        }
        let weights_only = spec.weights_step.is_some();
        let meta = self.trainer.load_checkpoint(&dir, weights_only)?;
        if !weights_only {
            self.table.import_state(&dir.join("table_state.json"))?;
            self.signals
                .truncate_after(&spec.experiment_hash, meta.model_age as i64);
            *self.state.current_hash.write() = spec.experiment_hash.clone();
        }
        self.refresh_run_hash()?;
        Ok(format!(
            "Restored {} of run {} at step {} (training paused).",
            if weights_only {
                "the weights"
            } else {
                "weights, optimizer, data state and hyperparameters"
            },
            spec.experiment_hash,
            meta.model_age
        ))
    }

    pub fn list_runs(&self) -> ServiceResult<ListExperimentRunsResponse> {
        let current = self.current_hash();
        let mut runs: Vec<ExperimentRunInfo> = self
            .runs
            .records()
            .into_iter()
            .map(|(hash, record)| {
                let checkpoint_steps: Vec<i32> = self
                    .runs
                    .steps(&hash)
                    .iter()
                    .map(|step| i32::try_from(*step).unwrap_or(i32::MAX))
                    .collect();
                ExperimentRunInfo {
                    latest_weight_step: checkpoint_steps.last().copied().unwrap_or(-1),
                    checkpoint_steps,
                    is_current: hash == current,
                    experiment_hash: hash,
                    experiment_name: record.name,
                    notes: record.notes,
                    created: record.created,
                    last_used: record.last_used,
                }
            })
            .collect();
        runs.sort_by(|a, b| {
            b.is_current
                .cmp(&a.is_current)
                .then(b.last_used.cmp(&a.last_used))
        });
        Ok(ListExperimentRunsResponse { runs })
    }

    pub fn rename_run(&self, hash: &str, name: &str) -> ServiceResult<String> {
        let name = name.trim();
        if name.is_empty() || name.len() > 200 {
            return Err(ServiceError::invalid(
                "new_name must be 1 to 200 characters",
            ));
        }
        self.runs
            .update(hash, |record| record.name = name.to_string())?;
        Ok(format!("Run {hash} renamed to {name:?}."))
    }

    pub fn set_run_notes(&self, hash: &str, notes: &str) -> ServiceResult<String> {
        if notes.len() > 100_000 {
            return Err(ServiceError::invalid("notes are limited to 100000 bytes"));
        }
        self.runs
            .update(hash, |record| record.notes = notes.to_string())?;
        Ok(format!("Notes of run {hash} saved."))
    }

    // ------------------------------------------------------------------ evaluation

    /// Accepts split names and the Studio's loader-name fallbacks (`test_loader`, …).
    fn resolve_split(&self, name: &str) -> ServiceResult<String> {
        let splits = self.table.splits();
        let name = name.trim();
        let candidate = name.strip_suffix("_loader").unwrap_or(name);
        let candidate = match candidate {
            "" => "val",
            "validation" | "eval" => "val",
            other => other,
        };
        if splits.iter().any(|split| split == candidate) {
            return Ok(candidate.to_string());
        }
        if candidate == "test" && splits.iter().any(|split| split == "val") {
            return Ok("val".to_string());
        }
        Err(ServiceError::not_found(format!(
            "no split named {name:?}; this dataset has {}",
            splits.join(", ")
        )))
    }

    pub fn trigger_evaluation(&self, request: &TriggerEvaluationRequest) -> ServiceResult<String> {
        let split = self.resolve_split(&request.split_name)?;
        let mut rows: Vec<u32> = self.table.in_loop_rows(&split).to_vec();
        if !request.use_full_set && !request.tags.is_empty() {
            let tagged: std::collections::HashSet<u32> = self
                .table
                .rows_with_tags(&request.tags)
                .into_iter()
                .collect();
            rows.retain(|row| tagged.contains(row));
        }
        if rows.is_empty() {
            return Err(ServiceError::FailedPrecondition(format!(
                "nothing to evaluate: split {split} has no in-loop samples{}",
                if request.tags.is_empty() {
                    String::new()
                } else {
                    format!(" carrying tags {:?}", request.tags)
                }
            )));
        }
        let total = rows.len();
        self.trainer.start_evaluation(EvalRequest {
            indices: rows,
            split_name: split.clone(),
            tags: if request.use_full_set {
                Vec::new()
            } else {
                request.tags.clone()
            },
        })?;
        Ok(format!("Evaluation of {total} samples of {split} queued."))
    }

    pub fn evaluation_status(&self) -> GetEvaluationStatusResponse {
        let status = self.trainer.evaluation_status();
        GetEvaluationStatusResponse {
            status: status.state.as_str().to_string(),
            current: status.current as i32,
            total: status.total as i32,
            message: status.message,
            error: status.error,
            split_name: status.split_name,
        }
    }

    pub fn cancel_evaluation(&self, reason: &str) -> ServiceResult<(bool, String)> {
        let reason = if reason.trim().is_empty() {
            "canceled"
        } else {
            reason
        };
        let active = self.trainer.evaluation_status().state;
        if !matches!(active, EvalState::Requested | EvalState::Running) {
            return Ok((false, "No evaluation is running.".into()));
        }
        let canceled = self.trainer.cancel_evaluation(reason)?;
        Ok((
            canceled,
            if canceled {
                "Evaluation canceled.".into()
            } else {
                "The evaluation had already finished.".into()
            },
        ))
    }

    /// Turns on (or off) the natural-language assistant.
    pub fn set_agent(&self, agent: Option<crate::agent::AgentConfig>) {
        *self.agent.write() = agent;
    }

    pub(crate) fn agent(&self) -> Option<crate::agent::AgentConfig> {
        self.agent.read().clone()
    }

    pub fn agent_health(&self) -> AgentHealthResponse {
        match self.agent() {
            Some(agent) => AgentHealthResponse {
                available: true,
                message: format!("Assistant at {} translates requests the built-in parser does not understand.", agent.url),
                current_model: agent.model,
            },
            None => AgentHealthResponse {
                available: false,
                message: "No assistant is configured; natural-language queries use the built-in intent parser.".into(),
                current_model: String::new(),
            },
        }
    }

    /// Stops training and folds the journal into the HDF5 file before exit.
    pub fn shutdown(&self) {
        self.trainer.shutdown();
        if let Err(error) = self.table.compact() {
            tracing::error!(%error, "could not fold the edit journal at shutdown (it is replayed at the next start)");
        }
    }
}
