//! Behaviour of the trainer thread through its handle: learning, pause/resume, live
//! hyperparameters, the in-loop contract, audit mode and layer inspection.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Blobs, Recorder, wait_for, weight_bits};
use weightslab_train::{
    EvalRequest, EvalState, HyperChanges, HyperParams, LayerRef, Mode, ModelKind, OptimizerKind,
    TrainError, Trainer, TrainerConfig, TrainerHandle,
};

fn config(model: ModelKind, optimizer: OptimizerKind, lr: f64) -> TrainerConfig {
    TrainerConfig {
        model,
        optimizer,
        hyper: HyperParams {
            learning_rate: lr,
            batch_size: 16,
            eval_batch_size: 64,
            ..HyperParams::default()
        },
        seed: 42,
        start_paused: true,
    }
}

fn start(
    model: ModelKind,
    optimizer: OptimizerKind,
    lr: f64,
) -> (Arc<Blobs>, Arc<Recorder>, TrainerHandle) {
    let ds = Arc::new(Blobs::new(200, 100, 7));
    let rec = Recorder::for_dataset(&ds);
    let h = Trainer::spawn(ds.clone(), config(model, optimizer, lr), rec.clone()).unwrap();
    (ds, rec, h)
}

fn wait_paused(h: &TrainerHandle) {
    wait_for("training to pause", 60, || !h.snapshot().is_training);
}

fn evaluate_val(h: &TrainerHandle, ds: &Blobs, rec: &Recorder) -> (f32, f32) {
    let before = rec.evals.lock().len();
    h.start_evaluation(EvalRequest {
        indices: ds.indices("val"),
        split_name: "val".into(),
        tags: vec![],
    })
    .unwrap();
    wait_for("evaluation", 60, || {
        h.evaluation_status().state == EvalState::Done
    });
    let evals = rec.evals.lock();
    assert_eq!(evals.len(), before + 1);
    let r = evals.last().unwrap();
    (r.mean_loss, r.accuracy)
}

#[test]
fn validation_loss_falls_for_every_model_and_optimizer() {
    for (model, opt, lr) in [
        (ModelKind::Cnn, OptimizerKind::Sgd, 0.05),
        (ModelKind::Mlp, OptimizerKind::AdamW, 0.003),
    ] {
        let (ds, rec, h) = start(model, opt, lr);
        let (loss0, _) = evaluate_val(&h, &ds, &rec);
        h.resume(Some(60)).unwrap();
        wait_paused(&h);
        assert_eq!(h.snapshot().model_age, 60);
        let (loss1, acc1) = evaluate_val(&h, &ds, &rec);
        assert!(
            loss1 < loss0 * 0.5 && acc1 > 0.9,
            "{model:?}/{opt:?}: loss {loss0} -> {loss1}, accuracy {acc1}"
        );
        h.shutdown();
    }
}

#[test]
fn pause_stops_the_age_and_nb_steps_is_exact() {
    let (_ds, rec, h) = start(ModelKind::Mlp, OptimizerKind::Sgd, 0.01);
    h.resume(Some(7)).unwrap();
    wait_paused(&h);
    assert_eq!(h.snapshot().model_age, 7);
    assert_eq!(rec.step_count(), 7);

    h.resume(None).unwrap();
    wait_for("steps after resume", 30, || h.snapshot().model_age > 12);
    let age = h.pause().unwrap();
    assert!(age > 12);
    std::thread::sleep(Duration::from_millis(50));
    let snap = h.snapshot();
    assert_eq!(snap.model_age, age);
    assert!(!snap.is_training);
    assert_eq!(rec.step_count() as u64, age);

    h.resume(None).unwrap();
    wait_for("age to grow again", 30, || h.snapshot().model_age > age);
    h.pause().unwrap();
}

#[test]
fn learning_rate_edits_reach_the_optimizer() {
    let (_ds, rec, h) = start(ModelKind::Cnn, OptimizerKind::Sgd, 0.05);
    h.resume(Some(3)).unwrap();
    wait_paused(&h);
    let hyper = h
        .update_hyper(HyperChanges {
            learning_rate: Some(0.0),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(hyper.learning_rate, 0.0);
    assert_eq!(h.snapshot().hyper.learning_rate, 0.0);
    let before = weight_bits(&h);
    h.resume(Some(5)).unwrap();
    wait_paused(&h);
    assert_eq!(weight_bits(&h), before, "weights moved with lr 0");
    let steps = rec.steps.lock();
    assert!(steps[..3].iter().all(|s| s.learning_rate == 0.05));
    assert!(steps[3..].iter().all(|s| s.learning_rate == 0.0));
    assert_eq!(steps.len(), 8);
    assert_eq!(h.snapshot().last_step.unwrap().learning_rate, 0.0);
}

#[test]
fn invalid_hyper_edit_changes_nothing() {
    let (_ds, _rec, h) = start(ModelKind::Mlp, OptimizerKind::Sgd, 0.05);
    let err = h
        .update_hyper(HyperChanges {
            learning_rate: Some(0.2),
            batch_size: Some(0),
            ..Default::default()
        })
        .unwrap_err();
    assert!(matches!(err, TrainError::InvalidArgument(_)), "{err}");
    assert_eq!(h.snapshot().hyper.learning_rate, 0.05);
}

#[test]
fn removed_samples_never_appear_in_later_batches() {
    let (ds, rec, h) = start(ModelKind::Mlp, OptimizerKind::Sgd, 0.01);
    h.resume(Some(5)).unwrap();
    wait_paused(&h);
    let kept: Vec<u32> = ds
        .indices("train")
        .into_iter()
        .filter(|i| i % 3 == 0)
        .collect();
    rec.set_train(kept.clone());
    h.resume(Some(30)).unwrap();
    wait_paused(&h);
    let steps = rec.steps.lock();
    assert_eq!(steps.len(), 35);
    for s in &steps[5..] {
        assert_eq!(s.samples.len(), 16);
        for sample in &s.samples {
            assert!(kept.contains(&sample.index), "{} was removed", sample.index);
        }
    }
}

#[test]
fn removal_while_training_is_respected_from_the_next_draw() {
    let (ds, rec, h) = start(ModelKind::Mlp, OptimizerKind::Sgd, 0.01);
    h.resume(None).unwrap();
    wait_for("some steps", 30, || rec.step_count() > 3);
    let kept: Vec<u32> = ds
        .indices("train")
        .into_iter()
        .filter(|i| i % 2 == 0)
        .collect();
    rec.set_train(kept);
    // Any step that starts after the swap must respect it; at most the step in flight
    // may still carry old indices.
    let seen = rec.step_count();
    wait_for("more steps", 30, || rec.step_count() > seen + 10);
    h.pause().unwrap();
    let steps = rec.steps.lock();
    for s in &steps[seen + 1..] {
        assert!(s.samples.iter().all(|x| x.index % 2 == 0));
    }
}

#[test]
fn emptied_loop_pauses_with_a_message() {
    let (_ds, rec, h) = start(ModelKind::Mlp, OptimizerKind::Sgd, 0.01);
    rec.set_train(vec![]);
    h.resume(None).unwrap();
    wait_paused(&h);
    let snap = h.snapshot();
    assert_eq!(snap.model_age, 0);
    assert!(
        snap.message.contains("no training samples"),
        "{}",
        snap.message
    );
}

#[test]
fn audit_mode_changes_no_weight_and_no_age() {
    let (_ds, rec, h) = start(ModelKind::Cnn, OptimizerKind::AdamW, 0.01);
    h.resume(Some(2)).unwrap();
    wait_paused(&h);
    h.set_mode(Mode::Audit).unwrap();
    let before = weight_bits(&h);
    h.resume(Some(6)).unwrap();
    wait_paused(&h);
    assert_eq!(weight_bits(&h), before);
    let snap = h.snapshot();
    assert_eq!(snap.model_age, 2);
    assert_eq!(snap.mode, Mode::Audit);
    let steps = rec.steps.lock();
    assert_eq!(steps.len(), 8);
    assert!(
        steps[2..]
            .iter()
            .all(|s| s.mode == Mode::Audit && s.model_age == 2)
    );
    assert!(matches!(
        h.set_mode(Mode::Eval),
        Err(TrainError::InvalidArgument(_))
    ));
}

#[test]
fn step_budget_pauses_training_and_resume_needs_more() {
    let (_ds, _rec, h) = start(ModelKind::Mlp, OptimizerKind::Sgd, 0.01);
    h.update_hyper(HyperChanges {
        training_steps_to_do: Some(4),
        ..Default::default()
    })
    .unwrap();
    h.resume(None).unwrap();
    wait_paused(&h);
    let snap = h.snapshot();
    assert_eq!(snap.model_age, 4);
    assert_eq!(snap.hyper.training_steps_to_do, 0);
    assert!(snap.message.contains("training_steps_to_do"));
    assert!(matches!(
        h.resume(None),
        Err(TrainError::InvalidArgument(_))
    ));
    h.resume(Some(2)).unwrap();
    wait_paused(&h);
    assert_eq!(h.snapshot().model_age, 6);
}

#[test]
fn step_reports_carry_sane_signals() {
    let (_ds, rec, h) = start(ModelKind::Cnn, OptimizerKind::Sgd, 0.05);
    h.resume(Some(4)).unwrap();
    wait_paused(&h);
    for s in rec.steps.lock().iter() {
        assert!(s.min_loss <= s.mean_loss && s.mean_loss <= s.max_loss);
        assert!((0.0..=1.0).contains(&s.accuracy));
        assert!(s.step_seconds > 0.0 && s.samples_per_second > 0.0);
        for x in &s.samples {
            assert!((0.0..=1.0).contains(&x.label_issue));
            assert!(x.confidence >= x.label_probability - 1e-6);
        }
    }
    let snap = h.snapshot();
    assert!(snap.steps_per_second > 0.0);
    assert_eq!(snap.samples_seen, 64);
}

#[test]
fn layers_weights_and_activations_agree() {
    let (_ds, _rec, h) = start(ModelKind::Cnn, OptimizerKind::Sgd, 0.05);
    h.resume(Some(20)).unwrap();
    wait_paused(&h);
    let layers = h.layers();
    let names: Vec<_> = layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["conv1", "conv2", "fc1", "fc2"]);
    for l in &layers {
        let w = h.weights(LayerRef::Id(l.id)).unwrap();
        assert_eq!(w.shape[0], l.neurons);
        assert_eq!(w.shape[1], l.incoming);
        if let Some(k) = l.kernel_size {
            assert_eq!(w.shape, vec![l.neurons, l.incoming, k, k]);
        }
        assert_eq!(w.data.len(), w.shape.iter().product::<usize>());
        assert_eq!(w.data.len() + l.neurons, l.parameter_count);
        let by_name = h.weights(LayerRef::Name(l.name.clone())).unwrap();
        assert_eq!(by_name, w);
        let a = h.activations(LayerRef::Id(l.id), 3).unwrap();
        assert_eq!(a.shape, l.output_shape);
        assert_eq!(a.data.len(), a.shape.iter().product::<usize>());
        assert_eq!(l.neuron_stats.len(), l.neurons);
        assert!(
            l.neuron_stats
                .iter()
                .all(|n| n.weight_norm > 0.0 && n.age == 320)
        );
        assert!(l.neuron_stats.iter().any(|n| n.train_trigger_rate > 0.0));
    }
    assert_eq!(layers[0].output_shape, vec![8, 8, 8]);
    assert_eq!(layers[3].output_shape, vec![2]);
    for bad in [
        LayerRef::Id(99),
        LayerRef::Id(-1),
        LayerRef::Name("nope".into()),
    ] {
        let err = h.weights(bad.clone()).unwrap_err();
        assert!(matches!(err, TrainError::NotFound { .. }), "{err}");
        assert!(err.to_string().contains("conv1"));
        assert!(matches!(
            h.activations(bad, 0),
            Err(TrainError::NotFound { .. })
        ));
    }
    assert!(matches!(
        h.activations(LayerRef::Id(0), 1_000_000),
        Err(TrainError::NotFound { .. })
    ));
}

#[test]
fn snapshot_describes_the_architecture() {
    let (_ds, _rec, h) = start(ModelKind::Cnn, OptimizerKind::Sgd, 0.05);
    let s = h.snapshot();
    assert!(
        s.architecture_signature
            .starts_with("cnn|in=1x8x8|classes=2|conv1:Conv2d")
    );
    assert_eq!(s.model, ModelKind::Cnn);
    assert_eq!(s.optimizer, OptimizerKind::Sgd);
    assert!(!s.is_training);
    assert_eq!(
        s.parameter_count,
        h.layers().iter().map(|l| l.parameter_count).sum::<usize>()
    );
}

#[test]
fn checkpoint_due_is_signalled_at_the_frequency() {
    let (_ds, rec, h) = start(ModelKind::Mlp, OptimizerKind::Sgd, 0.01);
    h.update_hyper(HyperChanges {
        checkpoint_frequency: Some(3),
        ..Default::default()
    })
    .unwrap();
    h.resume(Some(7)).unwrap();
    wait_paused(&h);
    assert_eq!(*rec.checkpoints_due.lock(), vec![3, 6]);
}

#[test]
fn shutdown_makes_calls_fail_with_stopped() {
    let (_ds, _rec, h) = start(ModelKind::Mlp, OptimizerKind::Sgd, 0.01);
    let other = h.clone();
    h.shutdown();
    h.shutdown();
    assert!(matches!(other.pause(), Err(TrainError::Stopped)));
    assert!(matches!(other.resume(None), Err(TrainError::Stopped)));
    // Reads keep working on the last published state.
    assert_eq!(other.snapshot().model_age, 0);
}

/// Waits until the trainer has waited on the hold for longer than it had at `before`.
fn wait_held_past(h: &TrainerHandle, before: Duration) {
    wait_for("the trainer to wait on the hold", 60, || {
        h.hold_totals().held > before
    });
}

#[test]
fn a_hold_stops_steps_but_not_commands_and_releasing_it_resumes() {
    let (_ds, _rec, h) = start(ModelKind::Mlp, OptimizerKind::Sgd, 0.05);
    h.hold_for(Duration::from_secs(600));
    h.resume(None).unwrap();
    wait_held_past(&h, Duration::ZERO);
    let held = h.hold_totals().held;
    wait_held_past(&h, held);
    assert_eq!(h.snapshot().model_age, 0, "no step while held");
    assert!(h.snapshot().is_training, "a hold is not a pause");

    // Commands still apply while held.
    h.pause().unwrap();
    assert!(!h.snapshot().is_training);
    h.resume(Some(5)).unwrap();
    h.hold_for(Duration::ZERO);
    wait_paused(&h);
    assert_eq!(h.snapshot().model_age, 5);
    assert_eq!(h.hold_totals().requests, 2);
    h.shutdown();
}

#[test]
fn a_hold_delays_an_evaluation_which_can_still_be_canceled() {
    let (ds, rec, h) = start(ModelKind::Mlp, OptimizerKind::Sgd, 0.05);
    let request = || EvalRequest {
        indices: ds.indices("val"),
        split_name: "val".into(),
        tags: vec![],
    };
    h.hold_for(Duration::from_secs(600));
    h.start_evaluation(request()).unwrap();
    wait_held_past(&h, Duration::ZERO);
    assert_eq!(h.evaluation_status().current, 0, "no batch while held");
    assert!(h.cancel_evaluation("scrolled away").unwrap());
    wait_for("the canceled evaluation to end", 60, || {
        h.evaluation_status().state == EvalState::Canceled
    });
    assert!(rec.evals.lock().is_empty());

    let held = h.hold_totals().held;
    h.start_evaluation(request()).unwrap();
    wait_held_past(&h, held);
    h.hold_for(Duration::ZERO);
    wait_for("the evaluation after the hold", 60, || {
        h.evaluation_status().state == EvalState::Done
    });
    assert_eq!(rec.evals.lock().len(), 1);
    h.shutdown();
}
