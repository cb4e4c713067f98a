//! Evaluation through the handle: status transitions, monotonic progress, Busy, cancel, and
//! training returning to its previous state afterwards.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Blobs, Recorder, wait_for};
use weightslab_train::{
    EvalRequest, EvalState, HyperChanges, HyperParams, ModelKind, OptimizerKind, TrainError,
    Trainer, TrainerConfig, TrainerHandle,
};

fn start(n_val: usize, eval_batch: usize) -> (Arc<Blobs>, Arc<Recorder>, TrainerHandle) {
    let ds = Arc::new(Blobs::new(100, n_val, 11));
    let rec = Recorder::for_dataset(&ds);
    let config = TrainerConfig {
        model: ModelKind::Cnn,
        optimizer: OptimizerKind::Sgd,
        hyper: HyperParams {
            batch_size: 16,
            eval_batch_size: eval_batch,
            ..HyperParams::default()
        },
        seed: 1,
        start_paused: true,
    };
    let h = Trainer::spawn(ds.clone(), config, rec.clone()).unwrap();
    (ds, rec, h)
}

fn request(ds: &Blobs) -> EvalRequest {
    EvalRequest {
        indices: ds.indices("val"),
        split_name: "val".into(),
        tags: vec!["all".into()],
    }
}

#[test]
fn progress_rises_to_total_and_the_report_covers_every_sample() {
    let (ds, rec, h) = start(3000, 50);
    h.start_evaluation(request(&ds)).unwrap();
    let first = h.evaluation_status();
    assert!(first.state.is_active(), "{first:?}");
    assert_eq!(first.total, 3000);
    assert_eq!(first.split_name, "val");
    let mut seen = vec![];
    loop {
        let s = h.evaluation_status();
        seen.push(s.current);
        if s.state == EvalState::Done {
            break;
        }
        assert!(s.state.is_active(), "{s:?}");
        std::thread::sleep(Duration::from_micros(200));
    }
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress went backwards"
    );
    assert_eq!(*seen.last().unwrap(), 3000);
    let evals = rec.evals.lock();
    assert_eq!(evals.len(), 1);
    let r = &evals[0];
    assert_eq!(r.samples.len(), 3000);
    assert_eq!(r.tags, vec!["all".to_string()]);
    assert_eq!(r.samples[0].index, ds.indices("val")[0]);
    assert!(r.min_loss <= r.mean_loss && r.mean_loss <= r.max_loss);
    assert!(
        h.layers()[0]
            .neuron_stats
            .iter()
            .any(|n| n.eval_trigger_rate > 0.0)
    );
}

#[test]
fn a_second_start_is_busy_and_cancel_stops_within_a_batch() {
    let (ds, rec, h) = start(20_000, 10);
    h.start_evaluation(request(&ds)).unwrap();
    let err = h.start_evaluation(request(&ds)).unwrap_err();
    assert!(matches!(err, TrainError::Busy(_)), "{err}");
    wait_for("evaluation to make progress", 60, || {
        h.evaluation_status().current > 0
    });
    assert!(h.cancel_evaluation("Canceled by user from Studio").unwrap());
    let at_cancel = h.evaluation_status();
    assert_eq!(at_cancel.state, EvalState::Canceled);
    assert_eq!(at_cancel.error, "Canceled by user from Studio");
    std::thread::sleep(Duration::from_millis(100));
    let later = h.evaluation_status();
    assert_eq!(later.state, EvalState::Canceled);
    assert!(later.current <= at_cancel.current + 10);
    assert!(later.current < later.total);
    assert!(
        rec.evals.lock().is_empty(),
        "a canceled evaluation reported results"
    );
    assert!(!h.cancel_evaluation("again").unwrap());
    // A new evaluation is accepted once the old one is canceled.
    h.start_evaluation(EvalRequest {
        indices: vec![0, 1, 2],
        split_name: "train".into(),
        tags: vec![],
    })
    .unwrap();
    wait_for("second evaluation", 60, || {
        h.evaluation_status().state == EvalState::Done
    });
    assert_eq!(rec.evals.lock().len(), 1);
}

#[test]
fn training_pauses_during_evaluation_and_resumes_after() {
    let (ds, rec, h) = start(20_000, 20);
    h.resume(None).unwrap();
    wait_for("training", 30, || h.snapshot().model_age > 2);
    h.start_evaluation(request(&ds)).unwrap();
    wait_for("evaluation to run", 30, || {
        h.evaluation_status().state == EvalState::Running
    });
    let snap = h.snapshot();
    let age = snap.model_age;
    if h.evaluation_status().state == EvalState::Running {
        assert!(!snap.is_training);
    }
    std::thread::sleep(Duration::from_millis(30));
    if h.evaluation_status().state == EvalState::Running {
        assert_eq!(h.snapshot().model_age, age, "trained during evaluation");
    }
    wait_for("evaluation", 60, || {
        h.evaluation_status().state == EvalState::Done
    });
    wait_for("training to resume", 30, || {
        h.snapshot().model_age > age + 2
    });
    assert!(h.snapshot().is_training);
    h.pause().unwrap();
    assert_eq!(rec.evals.lock()[0].model_age, age);
}

#[test]
fn paused_before_evaluation_stays_paused_after() {
    let (ds, _rec, h) = start(50, 16);
    h.start_evaluation(request(&ds)).unwrap();
    wait_for("evaluation", 30, || {
        h.evaluation_status().state == EvalState::Done
    });
    std::thread::sleep(Duration::from_millis(20));
    let s = h.snapshot();
    assert!(!s.is_training);
    assert_eq!(s.model_age, 0);
}

#[test]
fn bad_requests_are_rejected_up_front() {
    let (_ds, _rec, h) = start(10, 16);
    let empty = h.start_evaluation(EvalRequest::default()).unwrap_err();
    assert!(matches!(empty, TrainError::InvalidArgument(_)));
    let out_of_range = h
        .start_evaluation(EvalRequest {
            indices: vec![5, 1_000_000],
            split_name: "val".into(),
            tags: vec![],
        })
        .unwrap_err();
    assert!(out_of_range.to_string().contains("1000000"));
    assert_eq!(h.evaluation_status().state, EvalState::Idle);
}

#[test]
fn periodic_evaluation_runs_on_the_validation_split() {
    let (_ds, rec, h) = start(30, 16);
    h.update_hyper(HyperChanges {
        eval_frequency: Some(4),
        ..Default::default()
    })
    .unwrap();
    h.resume(Some(9)).unwrap();
    wait_for("two evaluations", 60, || rec.evals.lock().len() == 2);
    wait_for("pause", 60, || !h.snapshot().is_training);
    let evals = rec.evals.lock();
    assert_eq!(evals[0].model_age, 4);
    assert_eq!(evals[1].model_age, 8);
    assert!(
        evals
            .iter()
            .all(|e| e.split_name == "val" && e.samples.len() == 30)
    );
}
