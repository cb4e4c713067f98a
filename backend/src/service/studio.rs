//! The StudioService handlers: our Studio asks the trainer to hold while a person scrolls, and
//! reads back the shared sample view's filters, sort and limit.

use std::time::Duration;

use tonic::{Request, Response, Status};
use weightslab_proto::studio::studio_service_server::StudioService;
use weightslab_proto::studio::{
    GetViewRequest, GetViewResponse, HoldTrainingRequest, HoldTrainingResponse, ViewSortKey,
};

use super::ExperimentApi;
use crate::error::ServiceError;

/// The longest hold one request may ask for; the Studio renews its hold while scrolling goes on.
pub const MAX_HOLD_MS: u32 = 2000;

#[tonic::async_trait]
impl StudioService for ExperimentApi {
    async fn hold_training(
        &self,
        request: Request<HoldTrainingRequest>,
    ) -> Result<Response<HoldTrainingResponse>, Status> {
        self.observe("HoldTraining", request, |_, request| async move {
            if request.hold_ms > MAX_HOLD_MS {
                return Err(ServiceError::invalid(format!(
                    "hold_ms = {} is too long: ask for at most {MAX_HOLD_MS} ms and renew the \
                     hold while the interaction goes on (0 ends it)",
                    request.hold_ms
                )));
            }
            let enabled = self.context.config.studio_hold;
            if enabled {
                self.experiment
                    .hold_training(Duration::from_millis(u64::from(request.hold_ms)));
            }
            let message = if !enabled {
                "this server does not hold training for the Studio (WL_STUDIO_HOLD=off)"
            } else if request.hold_ms == 0 {
                "hold released"
            } else {
                ""
            };
            Ok(HoldTrainingResponse {
                held: enabled && request.hold_ms > 0,
                message: message.to_string(),
                held_seconds_total: self.experiment.training_held().as_secs_f64(),
            })
        })
        .await
    }

    async fn get_view(
        &self,
        request: Request<GetViewRequest>,
    ) -> Result<Response<GetViewResponse>, Status> {
        self.observe("GetView", request, |call, _| async move {
            let summary = self
                .blocking(&call, None, |experiment| Ok(experiment.view_summary()))
                .await?;
            let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            Ok(GetViewResponse {
                filters: summary.filters,
                sort: summary
                    .sort
                    .into_iter()
                    .map(|(column, descending)| ViewSortKey { column, descending })
                    .collect(),
                limit: summary.limit.unwrap_or_default(),
                window_sorts: count(summary.window_sorts),
                in_view: count(summary.counts.in_view),
                total: count(summary.counts.total),
            })
        })
        .await
    }
}
