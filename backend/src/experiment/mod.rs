//! `Experiment`: the one shared handle that ties the trainer, the sample table, the signal
//! history, checkpoints, evaluation and thumbnails together. Handlers call its methods.

mod plans;

pub use plans::{EditPlan, HyperPlan, LayerKey, RestoreSpec, Targets};

use weightslab_proto::*;

use crate::config::RunConfig;
use crate::error::{ServiceError, ServiceResult};

const TRAINING: &str = "the training engine (issue 3)";
const TABLE: &str = "the sample table (issue 4)";
const CHECKPOINTS: &str = "checkpoints, evaluation and inspection (issue 6)";

fn unavailable<T>(capability: &str) -> ServiceResult<T> {
    Err(ServiceError::Unimplemented(capability.to_string()))
}

/// The experiment: what is trained, on what, and everything recorded about it.
pub struct Experiment {
    run: RunConfig,
}

impl Experiment {
    pub fn new(run: RunConfig) -> Self {
        Self { run }
    }

    pub fn run_config(&self) -> &RunConfig {
        &self.run
    }

    /// Must never wait on a training step: the Studio's heartbeat has a 1.5 s deadline.
    pub fn hyper_parameter_descs(&self) -> Vec<HyperParameterDesc> {
        let train = &self.run.train;
        let number = |name: &str, label: &str, value: f64| HyperParameterDesc {
            label: label.into(),
            name: name.into(),
            r#type: "number".into(),
            numerical_value: Some(value as f32),
            string_value: None,
        };
        vec![
            HyperParameterDesc {
                label: "Experiment Name".into(),
                name: "experiment_name".into(),
                r#type: "text".into(),
                numerical_value: None,
                string_value: Some(train.experiment_name.clone()),
            },
            number("is_training", "Is Training", 0.0),
            number(
                "learning_rate",
                "Learning Rate",
                self.run.optimizer.learning_rate,
            ),
            number("batch_size", "Batch Size", train.batch_size as f64),
        ]
    }

    pub fn change_hyper_parameters(
        &self,
        _plan: &HyperPlan,
        _pause_first: bool,
    ) -> ServiceResult<String> {
        unavailable(TRAINING)
    }

    pub fn set_audit_mode(&self, _audit: bool) -> ServiceResult<Option<String>> {
        unavailable(TRAINING)
    }

    pub fn pause(&self) -> ServiceResult<u64> {
        unavailable(TRAINING)
    }

    pub fn resume(&self, _steps: Option<u64>) -> ServiceResult<String> {
        unavailable(TRAINING)
    }

    pub fn legacy_deny(
        &self,
        _origin: &str,
        _ids: Vec<String>,
        _discard: bool,
        _accumulate: bool,
    ) -> ServiceResult<String> {
        unavailable(TABLE)
    }

    pub fn set_plot_note(&self, _note: &PlotNoteOperation) -> ServiceResult<String> {
        unavailable(TRAINING)
    }

    pub fn save_checkpoint_now(&self, _with_optimizer: bool) -> ServiceResult<String> {
        unavailable(CHECKPOINTS)
    }

    pub fn load_checkpoint_id(&self, _id: i32) -> ServiceResult<String> {
        unavailable(CHECKPOINTS)
    }

    pub fn layer_representations(
        &self,
        _single: Option<i32>,
    ) -> ServiceResult<Vec<LayerRepresentation>> {
        unavailable(CHECKPOINTS)
    }

    pub fn sample_statistics(&self, _origin: &str) -> ServiceResult<SampleStatistics> {
        unavailable(TABLE)
    }

    pub fn logger_data(
        &self,
        _client: &str,
        _request: &GetLatestLoggerDataRequest,
    ) -> ServiceResult<GetLatestLoggerDataResponse> {
        Ok(GetLatestLoggerDataResponse {
            weightslab_version: env!("CARGO_PKG_VERSION").into(),
            ..Default::default()
        })
    }

    pub fn step_samples(
        &self,
        _request: &StepSamplesRequest,
    ) -> ServiceResult<StepSamplesResponse> {
        unavailable(TRAINING)
    }

    pub fn signal_trajectory(
        &self,
        _request: &GetSignalTrajectoryRequest,
    ) -> ServiceResult<GetSignalTrajectoryResponse> {
        unavailable(TRAINING)
    }

    pub fn restore_checkpoint(&self, _spec: &RestoreSpec) -> ServiceResult<String> {
        unavailable(CHECKPOINTS)
    }

    pub fn list_runs(&self) -> ServiceResult<ListExperimentRunsResponse> {
        unavailable(CHECKPOINTS)
    }

    pub fn rename_run(&self, _hash: &str, _name: &str) -> ServiceResult<String> {
        unavailable(CHECKPOINTS)
    }

    pub fn set_run_notes(&self, _hash: &str, _notes: &str) -> ServiceResult<String> {
        unavailable(CHECKPOINTS)
    }

    pub fn trigger_evaluation(&self, _request: &TriggerEvaluationRequest) -> ServiceResult<String> {
        unavailable(CHECKPOINTS)
    }

    pub fn evaluation_status(&self) -> GetEvaluationStatusResponse {
        GetEvaluationStatusResponse {
            status: "idle".into(),
            ..Default::default()
        }
    }

    pub fn cancel_evaluation(&self, _reason: &str) -> ServiceResult<(bool, String)> {
        unavailable(CHECKPOINTS)
    }

    pub fn data_samples(
        &self,
        _request: &DataSamplesRequest,
    ) -> ServiceResult<DataSamplesResponse> {
        unavailable(TABLE)
    }

    pub fn metadata(&self, _request: &GetMetaDataRequest) -> ServiceResult<GetMetaDataResponse> {
        unavailable(TABLE)
    }

    pub fn apply_query(&self, _request: &DataQueryRequest) -> ServiceResult<DataQueryResponse> {
        unavailable(TABLE)
    }

    pub fn edit(&self, _plan: EditPlan) -> ServiceResult<String> {
        unavailable(TABLE)
    }

    pub fn data_splits(&self) -> ServiceResult<DataSplitsResponse> {
        unavailable(TABLE)
    }

    pub fn histogram(&self, _request: &HistogramRequest) -> ServiceResult<HistogramResponse> {
        unavailable(TABLE)
    }

    pub fn weights(
        &self,
        _layer: &LayerKey,
        _request: &WeightsRequest,
    ) -> ServiceResult<WeightsResponse> {
        unavailable(CHECKPOINTS)
    }

    pub fn activations(
        &self,
        _layer: &LayerKey,
        _request: &ActivationRequest,
    ) -> ServiceResult<ActivationResponse> {
        unavailable(CHECKPOINTS)
    }

    pub fn samples(&self, _request: &BatchSampleRequest) -> ServiceResult<BatchSampleResponse> {
        unavailable(TABLE)
    }

    pub fn agent_health(&self) -> AgentHealthResponse {
        AgentHealthResponse {
            available: false,
            message: "No assistant is configured; natural-language queries use the built-in intent parser.".into(),
            current_model: String::new(),
        }
    }

    /// Flushes durable state before exit.
    pub fn shutdown(&self) {}
}
