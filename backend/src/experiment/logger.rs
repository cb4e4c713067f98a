//! The signal-history side: full and incremental logger reads, sliced means, per-step samples,
//! trajectories and plot notes.

use std::collections::HashSet;

use weightslab_proto::*;
use weightslab_signals::{HistoryQuery, SignalPoint};

use super::Experiment;
use super::observer::metric;
use crate::error::{ServiceError, ServiceResult};

fn wire_point(point: SignalPoint) -> LoggerDataPoint {
    let (value_min, value_max, has_value_range) = match point.band {
        Some((low, high)) => (low, high, true),
        None => (0.0, 0.0, false),
    };
    let (is_evaluation_marker, split_name, evaluation_tags) = match point.marker {
        Some(marker) => (true, marker.split_name, marker.tags),
        None => (false, String::new(), Vec::new()),
    };
    LoggerDataPoint {
        metric_name: point.metric,
        model_age: point.step.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32,
        metric_value: point.value,
        experiment_hash: point.experiment_hash,
        timestamp: point.timestamp,
        is_evaluation_marker,
        split_name,
        evaluation_tags,
        point_note: point.note,
        audit_mode: point.audit_mode,
        value_min,
        value_max,
        has_value_range,
        ..Default::default()
    }
}

impl Experiment {
    pub fn logger_data(
        &self,
        client: &str,
        request: &GetLatestLoggerDataRequest,
    ) -> ServiceResult<GetLatestLoggerDataResponse> {
        let curves = || {
            self.signals
                .curves()
                .into_iter()
                .filter(|curve| {
                    request.metric_names.is_empty() || request.metric_names.contains(&curve.metric)
                })
                .filter(|curve| {
                    request.experiment_hashes.is_empty()
                        || request.experiment_hashes.contains(&curve.experiment_hash)
                })
                .map(|curve| SignalCurveIndex {
                    metric_name: curve.metric,
                    experiment_hash: curve.experiment_hash,
                    first_step: curve.first_step,
                    last_step: curve.last_step,
                    point_count: curve.point_count as i64,
                    value_min: f64::from(curve.value_min),
                    value_max: f64::from(curve.value_max),
                })
                .collect::<Vec<_>>()
        };
        let max_points = if request.max_points > 0 {
            request.max_points as usize
        } else {
            weightslab_signals::DEFAULT_MAX_POINTS
        };
        let mut response = GetLatestLoggerDataResponse {
            weightslab_version: env!("CARGO_PKG_VERSION").to_string(),
            ..Default::default()
        };
        if request.index_only {
            response.curves = curves();
            return Ok(response);
        }
        if request.break_by_slices {
            if request.graph_name.is_empty() {
                return Err(ServiceError::invalid(
                    "break_by_slices needs graph_name (the signal to slice), e.g. \"train/loss\"",
                ));
            }
            let members: HashSet<String> = self
                .table
                .rows_with_tags(&request.tags)
                .into_iter()
                .map(|row| self.dataset.sample_id(row as usize).to_string())
                .collect();
            let points = self.signals.sliced_mean(
                &request.graph_name,
                None,
                &|id: &str| members.contains(id),
                max_points,
            );
            response.points = points
                .into_iter()
                .map(|mut point| {
                    point.metric = format!("{} [{}]", request.graph_name, request.tags.join(" & "));
                    wire_point(point)
                })
                .collect();
            response.applied_max_points = max_points as i32;
            return Ok(response);
        }
        if request.request_full_history {
            let query = HistoryQuery {
                max_points,
                x_range: request
                    .has_x_range
                    .then_some((request.x_min, request.x_max)),
                metrics: request.metric_names.clone(),
                experiment_hashes: request.experiment_hashes.clone(),
            };
            let points = if request.has_x_range {
                self.signals.history(&query)
            } else {
                self.signals.history_and_catch_up(client, &query)
            };
            response.points = points.into_iter().map(wire_point).collect();
            response.curves = curves();
            response.applied_max_points = max_points as i32;
            return Ok(response);
        }
        response.points = self
            .signals
            .poll_new(client, &request.metric_names, &request.experiment_hashes)
            .into_iter()
            .map(wire_point)
            .collect();
        Ok(response)
    }

    pub fn step_samples(&self, request: &StepSamplesRequest) -> ServiceResult<StepSamplesResponse> {
        if request.max_samples < 0 {
            return Err(ServiceError::invalid(
                "max_samples must be 0 (no cap) or positive",
            ));
        }
        let found = self.signals.step_samples(
            &request.metric_name,
            &request.experiment_hash,
            i64::from(request.model_age),
            request.max_samples as usize,
        );
        Ok(StepSamplesResponse {
            success: found.total_available > 0,
            message: if found.total_available == 0 {
                format!(
                    "no per-sample values of {} at step {}",
                    request.metric_name, request.model_age
                )
            } else {
                String::new()
            },
            sample_ids: found.sample_ids,
            total_available: found.total_available as i32,
            sample_values: found.values,
        })
    }

    pub fn signal_trajectory(
        &self,
        request: &GetSignalTrajectoryRequest,
    ) -> ServiceResult<GetSignalTrajectoryResponse> {
        // The Studio asks for bare names ("loss"); our curves are "train/loss", "val/loss", ….
        let signal = match request.signal_name.trim() {
            "" | "loss" => metric::TRAIN_LOSS.to_string(),
            name if !name.contains('/') => format!("train/{name}"),
            name => name.to_string(),
        };
        let max_points = if request.max_points > 0 {
            request.max_points as usize
        } else {
            0
        };
        let trajectories = self
            .signals
            .trajectories(&signal, &request.sample_ids, max_points)
            .into_iter()
            .map(|(sample_id, value)| SignalTrajectory { sample_id, value })
            .collect();
        Ok(GetSignalTrajectoryResponse {
            success: true,
            message: String::new(),
            signal_name: signal,
            trajectories,
        })
    }

    pub fn set_plot_note(&self, note: &PlotNoteOperation) -> ServiceResult<String> {
        if note.metric_name.is_empty() {
            return Err(ServiceError::invalid(
                "plot_note_operation needs metric_name",
            ));
        }
        let hash = if note.experiment_hash.is_empty() {
            self.current_hash()
        } else {
            note.experiment_hash.clone()
        };
        self.signals.set_note(
            &note.metric_name,
            &hash,
            i64::from(note.model_age),
            &note.note,
        )?;
        Ok(if note.note.is_empty() {
            format!("Note cleared at step {}.", note.model_age)
        } else {
            format!("Note saved at step {}.", note.model_age)
        })
    }
}
