//! State the trainer thread publishes and handles read without waiting on a step: the
//! snapshot cell, the evaluation board and the per-neuron activity rates.

use std::sync::Arc;

use parking_lot::{Mutex, RwLock};

use super::hold::TrainingHold;
use super::types::{EvalState, EvalStatus, TrainerSnapshot};
use crate::TrainError;

/// Everything shared between the trainer thread and its handles. Every lock here is held for
/// a copy or a swap only, never across a step.
pub(crate) struct Shared {
    snapshot: RwLock<Arc<TrainerSnapshot>>,
    eval: Mutex<EvalBoard>,
    activity: RwLock<Arc<NeuronActivity>>,
    pub hold: TrainingHold,
}

/// Per-layer, per-neuron fractions of outputs > 0.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct NeuronActivity {
    pub train: Vec<Vec<f32>>,
    pub eval: Vec<Vec<f32>>,
}

/// The evaluation status plus the id of the request it belongs to, so a late message about
/// an old (canceled) request never overwrites a newer one.
#[derive(Debug, Default)]
struct EvalBoard {
    id: u64,
    status: EvalStatus,
}

impl Shared {
    pub fn new(snapshot: TrainerSnapshot, activity: NeuronActivity) -> Self {
        Self {
            snapshot: RwLock::new(Arc::new(snapshot)),
            eval: Mutex::new(EvalBoard::default()),
            activity: RwLock::new(Arc::new(activity)),
            hold: TrainingHold::default(),
        }
    }

    pub fn publish(&self, snapshot: TrainerSnapshot) {
        *self.snapshot.write() = Arc::new(snapshot);
    }

    /// The latest snapshot with the current evaluation status filled in.
    pub fn snapshot(&self) -> TrainerSnapshot {
        let core = Arc::clone(&self.snapshot.read());
        let mut snap = (*core).clone();
        snap.evaluation = self.eval_status();
        snap
    }

    pub fn activity(&self) -> Arc<NeuronActivity> {
        Arc::clone(&self.activity.read())
    }

    pub fn set_activity(&self, activity: NeuronActivity) {
        *self.activity.write() = Arc::new(activity);
    }

    pub fn eval_status(&self) -> EvalStatus {
        self.eval.lock().status.clone()
    }

    /// Marks a new evaluation as requested and returns its id, or `Busy` when one is queued
    /// or running.
    pub fn eval_request(&self, split_name: &str, total: usize) -> Result<u64, TrainError> {
        let mut board = self.eval.lock();
        if board.status.state.is_active() {
            return Err(TrainError::Busy(format!(
                "an evaluation of {:?} is {} ({}/{})",
                board.status.split_name,
                board.status.state.as_str(),
                board.status.current,
                board.status.total
            )));
        }
        board.id += 1;
        board.status = EvalStatus {
            state: EvalState::Requested,
            current: 0,
            total,
            message: format!("evaluation of {split_name:?} queued"),
            error: String::new(),
            split_name: split_name.to_owned(),
        };
        Ok(board.id)
    }

    /// Cancels the queued or running evaluation. False when there is none, or when it has
    /// already evaluated every sample and is only reporting.
    pub fn eval_cancel(&self, reason: &str) -> bool {
        let mut board = self.eval.lock();
        let s = &mut board.status;
        let cancelable = s.state == EvalState::Requested
            || (s.state == EvalState::Running && s.current < s.total);
        if cancelable {
            s.state = EvalState::Canceled;
            s.message = format!("evaluation canceled at {}/{}", s.current, s.total);
            s.error = if reason.is_empty() {
                "canceled".to_owned()
            } else {
                reason.to_owned()
            };
        }
        cancelable
    }

    /// Moves request `id` from Requested to Running; false when it was canceled meanwhile.
    pub fn eval_begin(&self, id: u64) -> bool {
        let mut board = self.eval.lock();
        if board.id != id || board.status.state != EvalState::Requested {
            return false;
        }
        board.status.state = EvalState::Running;
        board.status.message = format!("evaluating {:?}", board.status.split_name);
        true
    }

    /// Records progress of request `id`; false when it is no longer running (canceled or
    /// superseded), which tells the trainer to stop.
    pub fn eval_progress(&self, id: u64, current: usize) -> bool {
        let mut board = self.eval.lock();
        if board.id != id || board.status.state != EvalState::Running {
            return false;
        }
        board.status.current = current.max(board.status.current);
        true
    }

    /// Whether request `id` is still running.
    pub fn eval_running(&self, id: u64) -> bool {
        let board = self.eval.lock();
        board.id == id && board.status.state == EvalState::Running
    }

    /// Ends request `id` as Done, or as Error with `error`.
    pub fn eval_finish(&self, id: u64, outcome: Result<String, String>) {
        let mut board = self.eval.lock();
        if board.id != id || !board.status.state.is_active() {
            return;
        }
        match outcome {
            Ok(message) => {
                board.status.state = EvalState::Done;
                board.status.current = board.status.total;
                board.status.message = message;
            }
            Err(error) => {
                board.status.state = EvalState::Error;
                board.status.message = "evaluation failed".to_owned();
                board.status.error = error;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trainer::types::Mode;
    use crate::{HyperParams, ModelKind, OptimizerKind};

    fn shared() -> Shared {
        Shared::new(
            TrainerSnapshot {
                model_age: 0,
                is_training: false,
                mode: Mode::Train,
                model: ModelKind::Mlp,
                optimizer: OptimizerKind::Sgd,
                hyper: HyperParams::default(),
                steps_until_pause: None,
                last_step: None,
                steps_per_second: 0.0,
                samples_seen: 0,
                architecture_signature: String::new(),
                parameter_count: 0,
                evaluation: EvalStatus::default(),
                message: String::new(),
            },
            NeuronActivity::default(),
        )
    }

    #[test]
    fn second_request_is_busy_until_the_first_ends() {
        let s = shared();
        let id = s.eval_request("val", 10).unwrap();
        assert!(matches!(s.eval_request("val", 3), Err(TrainError::Busy(_))));
        assert!(s.eval_begin(id));
        assert!(s.eval_progress(id, 4));
        s.eval_finish(id, Ok("done".into()));
        assert_eq!(s.eval_status().state, EvalState::Done);
        assert_eq!(s.eval_status().current, 10);
        assert!(s.eval_request("val", 3).is_ok());
    }

    #[test]
    fn cancel_stops_progress_and_stale_ids_cannot_write() {
        let s = shared();
        let first = s.eval_request("val", 10).unwrap();
        assert!(s.eval_begin(first));
        assert!(s.eval_cancel("user"));
        assert!(!s.eval_progress(first, 5));
        assert_eq!(s.eval_status().error, "user");
        let second = s.eval_request("test", 2).unwrap();
        s.eval_finish(first, Ok("late".into()));
        assert_eq!(s.eval_status().state, EvalState::Requested);
        assert!(!s.eval_begin(first));
        assert!(s.eval_begin(second));
        assert!(!s.eval_cancel("x") || s.eval_status().state == EvalState::Canceled);
    }

    #[test]
    fn nothing_to_cancel_when_idle_or_reporting() {
        let s = shared();
        assert!(!s.eval_cancel("x"));
        let id = s.eval_request("val", 2).unwrap();
        s.eval_begin(id);
        s.eval_progress(id, 2);
        assert!(!s.eval_cancel("x"));
    }
}
