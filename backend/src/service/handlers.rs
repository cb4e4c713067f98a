//! One function per RPC. Each decodes and validates its request, calls the experiment, and
//! audits what the spec marks "Audit Logged: Yes".

use serde_json::json;
use tonic::{Request, Response, Status};
use weightslab_proto::*;

use super::{Call, ExperimentApi};
use crate::error::{ServiceError, ServiceResult};

type RpcResult<T> = Result<Response<T>, Status>;

fn outcome_text<T>(result: &ServiceResult<T>) -> Result<(), String> {
    result
        .as_ref()
        .map(|_| ())
        .map_err(|error| error.to_string())
}

impl ExperimentApi {
    fn audited<T>(
        &self,
        call: &Call,
        action: &str,
        details: serde_json::Value,
        result: ServiceResult<T>,
    ) -> ServiceResult<T> {
        let outcome = outcome_text(&result);
        self.audit(
            call,
            action,
            outcome.as_ref().map(|_| ()).map_err(String::as_str),
            details,
        );
        result
    }

    async fn experiment_command_body(
        &self,
        call: Call,
        command: TrainerCommand,
    ) -> ServiceResult<CommandResponse> {
        let mut messages: Vec<String> = Vec::new();

        if let Some(hyper) = command
            .hyper_parameter_change
            .as_ref()
            .and_then(|change| change.hyper_parameters.clone())
        {
            let plan = crate::experiment::HyperPlan::from_request(&hyper)?;
            if plan.has_value_changes() {
                let details = json!(plan.describe());
                let resumes = plan.resume.is_some();
                let result = self
                    .blocking(&call, None, move |experiment| {
                        experiment.change_hyper_parameters(&plan, !resumes)
                    })
                    .await;
                messages.push(self.audited(&call, "hp_change", details, result)?);
            }
            if let Some(audit_mode) = hyper.auditor_mode.or(hyper.evaluation_mode.map(|_| false)) {
                let changed = self
                    .blocking(&call, None, move |experiment| {
                        experiment.set_audit_mode(audit_mode)
                    })
                    .await;
                let changed = self.audited(
                    &call,
                    "mode_switch",
                    json!({"auditor_mode": audit_mode}),
                    changed,
                )?;
                if let Some(message) = changed {
                    messages.push(message);
                }
            }
            match hyper.is_training {
                Some(false) => {
                    let result = self
                        .blocking(&call, None, |experiment| experiment.pause())
                        .await;
                    let age = self.audited(&call, "pause", json!({}), result)?;
                    messages.push(format!("Training paused at step {age}."));
                }
                Some(true) => {
                    let steps = match hyper.nb_steps {
                        Some(steps) if steps < 0 => {
                            return Err(ServiceError::invalid(format!(
                                "nb_steps must be positive, got {steps}"
                            )));
                        }
                        Some(0) | None => None,
                        Some(steps) => Some(steps as u64),
                    };
                    let result = self
                        .blocking(&call, None, move |experiment| experiment.resume(steps))
                        .await;
                    messages.push(self.audited(
                        &call,
                        "resume",
                        json!({"nb_steps": steps}),
                        result,
                    )?);
                }
                None => {}
            }
        }

        for (operation, discard, origin) in [
            (&command.deny_samples_operation, true, "train"),
            (&command.remove_from_denylist_operation, false, "train"),
            (&command.deny_eval_samples_operation, true, "val"),
            (&command.remove_eval_from_denylist_operation, false, "val"),
        ] {
            if let Some(operation) = operation {
                let ids = operation.sample_ids.clone();
                let accumulate = operation.accumulate;
                let details = json!({"count": ids.len(), "origin": origin, "legacy": true});
                let result = self
                    .blocking(&call, Some(&self.context.limits.edits), move |experiment| {
                        experiment.legacy_deny(origin, ids, discard, accumulate)
                    })
                    .await;
                let action = if discard {
                    "sample_discard"
                } else {
                    "sample_restore"
                };
                messages.push(self.audited(&call, action, details, result)?);
            }
        }

        if let Some(note) = command.plot_note_operation.clone() {
            let details = json!({"metric": note.metric_name, "experiment_hash": note.experiment_hash, "step": note.model_age, "note": note.note});
            let result = self
                .blocking(&call, None, move |experiment| {
                    experiment.set_plot_note(&note)
                })
                .await;
            messages.push(self.audited(&call, "note_edit", details, result)?);
        }

        if let Some(save) = command.save_checkpoint_operation {
            let result = self
                .blocking(&call, None, move |experiment| {
                    experiment.save_checkpoint_now(save.save_optimizer)
                })
                .await;
            messages.push(self.audited(&call, "checkpoint_save", json!({}), result)?);
        }

        if let Some(load) = command.load_checkpoint_operation {
            let id = load.checkpoint_id;
            let result = self
                .blocking(&call, None, move |experiment| {
                    experiment.load_checkpoint_id(id)
                })
                .await;
            messages.push(self.audited(
                &call,
                "checkpoint_restore",
                json!({"checkpoint_id": id}),
                result,
            )?);
        }

        if command.restart_operation.is_some() {
            return Ok(CommandResponse {
                success: false,
                message: "Restarting the backend from the Studio is not supported; restart the weightslab process (its state is kept on disk).".into(),
                ..Default::default()
            });
        }

        let mut response = CommandResponse {
            success: true,
            ..Default::default()
        };
        if command.get_hyper_parameters {
            response.hyper_parameters_descs = self.experiment.hyper_parameter_descs();
        }
        if command.get_interactive_layers {
            let single = command.get_single_layer_info_id;
            response.layer_representations = self
                .blocking(&call, None, move |experiment| {
                    experiment.layer_representations(single)
                })
                .await?;
        }
        if let Some(origin) = command
            .get_data_records
            .clone()
            .filter(|origin| !origin.is_empty())
        {
            response.sample_statistics = Some(
                self.blocking(&call, None, move |experiment| {
                    experiment.sample_statistics(&origin)
                })
                .await?,
            );
        }
        response.message = if messages.is_empty() {
            "OK".to_string()
        } else {
            messages.join(" ")
        };
        Ok(response)
    }
}

#[tonic::async_trait]
impl ExperimentService for ExperimentApi {
    async fn experiment_command(
        &self,
        request: Request<TrainerCommand>,
    ) -> RpcResult<CommandResponse> {
        self.observe("ExperimentCommand", request, |call, command| {
            self.experiment_command_body(call, command)
        })
        .await
    }

    async fn get_latest_logger_data(
        &self,
        request: Request<GetLatestLoggerDataRequest>,
    ) -> RpcResult<GetLatestLoggerDataResponse> {
        self.observe("GetLatestLoggerData", request, |call, request| async move {
            let _slot = self.context.limits.logger_slot()?;
            if let Some(gate) = &self.context.logger_gate {
                gate.pass().await;
            }
            if request.max_points < 0 {
                return Err(ServiceError::invalid(format!(
                    "max_points must be 0 (server default) or positive, got {}",
                    request.max_points
                )));
            }
            if request.has_x_range && request.x_min > request.x_max {
                return Err(ServiceError::invalid(format!(
                    "x_min ({}) is greater than x_max ({})",
                    request.x_min, request.x_max
                )));
            }
            let client = call.client_id();
            self.blocking(&call, None, move |experiment| {
                experiment.logger_data(&client, &request)
            })
            .await
        })
        .await
    }

    async fn get_step_samples(
        &self,
        request: Request<StepSamplesRequest>,
    ) -> RpcResult<StepSamplesResponse> {
        self.observe("GetStepSamples", request, |call, request| async move {
            if request.metric_name.is_empty() {
                return Err(ServiceError::invalid("metric_name is required"));
            }
            self.blocking(&call, None, move |experiment| {
                experiment.step_samples(&request)
            })
            .await
        })
        .await
    }

    async fn get_signal_trajectory(
        &self,
        request: Request<GetSignalTrajectoryRequest>,
    ) -> RpcResult<GetSignalTrajectoryResponse> {
        self.observe("GetSignalTrajectory", request, |call, request| async move {
            if request.sample_ids.len() > 10_000 {
                return Err(ServiceError::invalid(format!(
                    "at most 10000 sample ids per call, got {}",
                    request.sample_ids.len()
                )));
            }
            self.blocking(&call, None, move |experiment| {
                experiment.signal_trajectory(&request)
            })
            .await
        })
        .await
    }

    async fn restore_checkpoint(
        &self,
        request: Request<RestoreCheckpointRequest>,
    ) -> RpcResult<RestoreCheckpointResponse> {
        self.observe("RestoreCheckpoint", request, |call, request| async move {
            let spec = crate::experiment::RestoreSpec::parse(&request.experiment_hash)?;
            let details = json!({"experiment_hash": request.experiment_hash});
            let result = self
                .blocking(&call, None, move |experiment| {
                    experiment.restore_checkpoint(&spec)
                })
                .await;
            let message = self.audited(&call, "checkpoint_restore", details, result)?;
            Ok(RestoreCheckpointResponse {
                success: true,
                message,
            })
        })
        .await
    }

    async fn list_experiment_runs(
        &self,
        request: Request<ListExperimentRunsRequest>,
    ) -> RpcResult<ListExperimentRunsResponse> {
        self.observe("ListExperimentRuns", request, |call, _| async move {
            self.blocking(&call, None, |experiment| experiment.list_runs())
                .await
        })
        .await
    }

    async fn rename_experiment_run(
        &self,
        request: Request<RenameExperimentRunRequest>,
    ) -> RpcResult<RenameExperimentRunResponse> {
        self.observe("RenameExperimentRun", request, |call, request| async move {
            let details =
                json!({"experiment_hash": request.experiment_hash, "new_name": request.new_name});
            let result = self
                .blocking(&call, None, move |experiment| {
                    experiment.rename_run(&request.experiment_hash, &request.new_name)
                })
                .await;
            let message = self.audited(&call, "run_rename", details, result)?;
            Ok(RenameExperimentRunResponse {
                success: true,
                message,
            })
        })
        .await
    }

    async fn set_experiment_run_notes(
        &self,
        request: Request<SetExperimentRunNotesRequest>,
    ) -> RpcResult<SetExperimentRunNotesResponse> {
        self.observe(
            "SetExperimentRunNotes",
            request,
            |call, request| async move {
                let details = json!({"experiment_hash": request.experiment_hash});
                let result = self
                    .blocking(&call, None, move |experiment| {
                        experiment.set_run_notes(&request.experiment_hash, &request.notes)
                    })
                    .await;
                let message = self.audited(&call, "note_edit", details, result)?;
                Ok(SetExperimentRunNotesResponse {
                    success: true,
                    message,
                })
            },
        )
        .await
    }

    async fn trigger_evaluation(
        &self,
        request: Request<TriggerEvaluationRequest>,
    ) -> RpcResult<TriggerEvaluationResponse> {
        self.observe("TriggerEvaluation", request, |call, request| async move {
            let details = json!({"split_name": request.split_name, "tags": request.tags, "use_full_set": request.use_full_set});
            let result = self
                .blocking(&call, None, move |experiment| experiment.trigger_evaluation(&request))
                .await;
            let message = self.audited(&call, "evaluation_start", details, result)?;
            Ok(TriggerEvaluationResponse { success: true, message })
        })
        .await
    }

    async fn get_evaluation_status(
        &self,
        request: Request<GetEvaluationStatusRequest>,
    ) -> RpcResult<GetEvaluationStatusResponse> {
        self.observe("GetEvaluationStatus", request, |_, _| async move {
            Ok(self.experiment.evaluation_status())
        })
        .await
    }

    async fn cancel_evaluation(
        &self,
        request: Request<CancelEvaluationRequest>,
    ) -> RpcResult<CancelEvaluationResponse> {
        self.observe("CancelEvaluation", request, |call, request| async move {
            let (success, message) = self
                .blocking(&call, None, move |experiment| {
                    experiment.cancel_evaluation(&request.reason)
                })
                .await?;
            Ok(CancelEvaluationResponse { success, message })
        })
        .await
    }

    async fn get_data_samples(
        &self,
        request: Request<DataSamplesRequest>,
    ) -> RpcResult<DataSamplesResponse> {
        self.observe("GetDataSamples", request, |call, request| async move {
            if request.start_index < 0 {
                return Err(ServiceError::invalid(format!(
                    "start_index must be >= 0, got {}",
                    request.start_index
                )));
            }
            if !(0..=10_000).contains(&request.records_cnt) {
                return Err(ServiceError::invalid(format!(
                    "records_cnt must be between 0 and 10000, got {}",
                    request.records_cnt
                )));
            }
            self.blocking(&call, None, move |experiment| {
                experiment.data_samples(&request)
            })
            .await
        })
        .await
    }

    async fn get_meta_data(
        &self,
        request: Request<GetMetaDataRequest>,
    ) -> RpcResult<GetMetaDataResponse> {
        self.observe("GetMetaData", request, |call, request| async move {
            if request.start_index < 0 || !(0..=10_000).contains(&request.records_cnt) {
                return Err(ServiceError::invalid(format!(
                    "start_index must be >= 0 and records_cnt between 0 and 10000, got {} and {}",
                    request.start_index, request.records_cnt
                )));
            }
            self.blocking(&call, None, move |experiment| experiment.metadata(&request))
                .await
        })
        .await
    }

    async fn apply_data_query(
        &self,
        request: Request<DataQueryRequest>,
    ) -> RpcResult<DataQueryResponse> {
        self.observe("ApplyDataQuery", request, |call, request| async move {
            let is_count_poll = request.query.trim().is_empty();
            let details =
                json!({"query": request.query, "natural_language": request.is_natural_language});
            let result = self
                .blocking(
                    &call,
                    Some(&self.context.limits.queries),
                    move |experiment| experiment.apply_query(&request),
                )
                .await;
            if is_count_poll {
                result
            } else {
                let outcome = match &result {
                    Ok(response) if !response.success => Err(response.message.clone()),
                    Ok(_) => Ok(()),
                    Err(error) => Err(error.to_string()),
                };
                self.audit(
                    &call,
                    "query_execute",
                    outcome.as_ref().map(|_| ()).map_err(String::as_str),
                    details,
                );
                result
            }
        })
        .await
    }

    async fn edit_data_sample(
        &self,
        request: Request<DataEditsRequest>,
    ) -> RpcResult<DataEditsResponse> {
        self.observe("EditDataSample", request, |call, request| async move {
            let edit = crate::experiment::EditPlan::from_request(&request)?;
            let action = edit.audit_action();
            let details = edit.describe();
            let result = self
                .blocking(&call, Some(&self.context.limits.edits), move |experiment| {
                    experiment.edit(edit)
                })
                .await;
            let message = self.audited(&call, action, details, result)?;
            Ok(DataEditsResponse {
                success: true,
                message,
            })
        })
        .await
    }

    async fn get_data_splits(&self, request: Request<Empty>) -> RpcResult<DataSplitsResponse> {
        self.observe("GetDataSplits", request, |call, _| async move {
            self.blocking(&call, None, |experiment| experiment.data_splits())
                .await
        })
        .await
    }

    async fn get_histogram(
        &self,
        request: Request<HistogramRequest>,
    ) -> RpcResult<HistogramResponse> {
        self.observe("GetHistogram", request, |call, request| async move {
            if request.column.is_empty() {
                return Err(ServiceError::invalid(
                    "column is required, e.g. \"loss\" or \"origin\"",
                ));
            }
            if request.max_bins < 0 || request.max_bins > 100_000 {
                return Err(ServiceError::invalid(format!(
                    "max_bins must be between 0 (default 512) and 100000, got {}",
                    request.max_bins
                )));
            }
            self.blocking(&call, None, move |experiment| {
                experiment.histogram(&request)
            })
            .await
        })
        .await
    }

    async fn get_projection(
        &self,
        request: Request<ProjectionRequest>,
    ) -> RpcResult<ProjectionResponse> {
        self.observe("GetProjection", request, |_, _| async move {
            Ok(ProjectionResponse {
                success: false,
                message: "Embedding projections are not computed by this server.".into(),
                ..Default::default()
            })
        })
        .await
    }

    async fn get_weights(&self, request: Request<WeightsRequest>) -> RpcResult<WeightsResponse> {
        self.observe("GetWeights", request, |call, request| async move {
            let layer = crate::experiment::LayerKey::from_weights_request(&request)?;
            self.blocking(&call, None, move |experiment| {
                experiment.weights(&layer, &request)
            })
            .await
        })
        .await
    }

    async fn get_activations(
        &self,
        request: Request<ActivationRequest>,
    ) -> RpcResult<ActivationResponse> {
        self.observe("GetActivations", request, |call, request| async move {
            if request.sample_id.is_empty() {
                return Err(ServiceError::invalid("sample_id is required"));
            }
            let layer = crate::experiment::LayerKey::from_activation_request(&request);
            self.blocking(&call, None, move |experiment| {
                experiment.activations(&layer, &request)
            })
            .await
        })
        .await
    }

    async fn get_samples(
        &self,
        request: Request<BatchSampleRequest>,
    ) -> RpcResult<BatchSampleResponse> {
        self.observe("GetSamples", request, |call, request| async move {
            if request.sample_ids.len() > 1024 {
                return Err(ServiceError::invalid(format!(
                    "at most 1024 samples per call, got {}",
                    request.sample_ids.len()
                )));
            }
            self.blocking(&call, None, move |experiment| experiment.samples(&request))
                .await
        })
        .await
    }

    async fn check_agent_health(&self, request: Request<Empty>) -> RpcResult<AgentHealthResponse> {
        self.observe("CheckAgentHealth", request, |_, _| async move {
            Ok(self.experiment.agent_health())
        })
        .await
    }
}
