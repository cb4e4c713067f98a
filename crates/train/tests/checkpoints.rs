//! Checkpoint save and restore through the handle: bit-exact round trips, model age reset,
//! and refusal of damaged folders without touching the running model.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, OnceLock};

use common::{Blobs, Recorder, wait_for, weight_bits};
use parking_lot::Mutex;
use weightslab_train::{
    EvalReport, HyperChanges, HyperParams, ModelKind, OPTIMIZER_FILE, OptimizerKind, StepReport,
    TRAINER_FILE, TrainError, Trainer, TrainerConfig, TrainerHandle, TrainingObserver,
    WEIGHTS_FILE,
};

fn start(optimizer: OptimizerKind) -> (Arc<Recorder>, TrainerHandle) {
    let ds = Arc::new(Blobs::new(120, 40, 3));
    let rec = Recorder::for_dataset(&ds);
    let config = TrainerConfig {
        model: ModelKind::Cnn,
        optimizer,
        hyper: HyperParams {
            learning_rate: 0.02,
            batch_size: 8,
            ..HyperParams::default()
        },
        seed: 5,
        start_paused: true,
    };
    let h = Trainer::spawn(ds, config, rec.clone()).unwrap();
    (rec, h)
}

fn train(h: &TrainerHandle, n: u64) {
    h.resume(Some(n)).unwrap();
    wait_for("training to pause", 60, || !h.snapshot().is_training);
}

#[test]
fn save_train_load_restores_weights_age_and_hyper() {
    for opt in [OptimizerKind::Sgd, OptimizerKind::AdamW] {
        let (_rec, h) = start(opt);
        train(&h, 5);
        let dir = tempfile::tempdir().unwrap();
        let meta = h.save_checkpoint(dir.path()).unwrap();
        assert_eq!(meta.model_age, 5);
        assert_eq!(meta.optimizer, opt);
        for f in [WEIGHTS_FILE, OPTIMIZER_FILE, TRAINER_FILE] {
            assert!(dir.path().join(f).is_file(), "{f} missing");
        }
        let saved = weight_bits(&h);
        h.update_hyper(HyperChanges {
            learning_rate: Some(0.5),
            ..Default::default()
        })
        .unwrap();
        train(&h, 4);
        assert_ne!(weight_bits(&h), saved);
        assert_eq!(h.snapshot().model_age, 9);

        let loaded = h.load_checkpoint(dir.path(), false).unwrap();
        assert_eq!(loaded.model_age, 5);
        assert_eq!(weight_bits(&h), saved, "{opt:?}: weights differ after load");
        let snap = h.snapshot();
        assert_eq!(snap.model_age, 5);
        assert_eq!(
            snap.hyper.learning_rate, 0.02,
            "full restore brings back hyper"
        );
        assert!(!snap.is_training);

        // Training goes on from the restored state.
        train(&h, 2);
        assert_eq!(h.snapshot().model_age, 7);
    }
}

#[test]
fn restored_state_continues_deterministically() {
    let (_rec, h) = start(OptimizerKind::AdamW);
    train(&h, 3);
    let dir = tempfile::tempdir().unwrap();
    h.save_checkpoint(dir.path()).unwrap();
    h.load_checkpoint(dir.path(), false).unwrap();
    train(&h, 3);
    let first = weight_bits(&h);
    h.load_checkpoint(dir.path(), false).unwrap();
    train(&h, 3);
    assert_eq!(weight_bits(&h), first);
}

#[test]
fn weights_only_load_keeps_live_hyper() {
    let (_rec, h) = start(OptimizerKind::Sgd);
    train(&h, 3);
    let dir = tempfile::tempdir().unwrap();
    h.save_checkpoint(dir.path()).unwrap();
    let saved = weight_bits(&h);
    h.update_hyper(HyperChanges {
        learning_rate: Some(0.1),
        ..Default::default()
    })
    .unwrap();
    train(&h, 3);
    let meta = h.load_checkpoint(dir.path(), true).unwrap();
    assert_eq!(meta.model_age, 3);
    assert_eq!(weight_bits(&h), saved);
    let snap = h.snapshot();
    assert_eq!(snap.model_age, 3);
    assert_eq!(snap.hyper.learning_rate, 0.1);
}

/// Damages a saved checkpoint with `damage`, then checks that loading fails cleanly and the
/// live model is untouched.
fn assert_refused(damage: impl Fn(&std::path::Path), expect: &str) {
    let (_rec, h) = start(OptimizerKind::Sgd);
    train(&h, 2);
    let dir = tempfile::tempdir().unwrap();
    h.save_checkpoint(dir.path()).unwrap();
    train(&h, 2);
    let live = weight_bits(&h);
    damage(dir.path());
    for weights_only in [false, true] {
        let err = h.load_checkpoint(dir.path(), weights_only);
        let err = match err {
            Err(e) => e,
            Ok(_) if weights_only && expect == OPTIMIZER_FILE => continue,
            Ok(m) => panic!("damaged checkpoint ({expect}) loaded: {m:?}"),
        };
        assert!(
            matches!(err, TrainError::Corrupt { .. }),
            "{expect}: expected Corrupt, got {err}"
        );
        assert!(err.to_string().contains(expect), "{err}");
        assert_eq!(weight_bits(&h), live);
        assert_eq!(h.snapshot().model_age, 4);
    }
    // The trainer still works (a weights-only load of a checkpoint whose optimizer file is
    // damaged succeeds, and sets the age back to 2).
    let age = h.snapshot().model_age;
    train(&h, 1);
    assert_eq!(h.snapshot().model_age, age + 1);
}

#[test]
fn truncated_weights_are_refused() {
    assert_refused(
        |dir| {
            let p = dir.join(WEIGHTS_FILE);
            let bytes = std::fs::read(&p).unwrap();
            std::fs::write(&p, &bytes[..bytes.len() / 2]).unwrap();
        },
        WEIGHTS_FILE,
    );
}

#[test]
fn truncated_weights_with_a_matching_checksum_are_refused() {
    // The checksum is updated too, so the safetensors parser itself must catch it.
    assert_refused(
        |dir| {
            let p = dir.join(WEIGHTS_FILE);
            let bytes = std::fs::read(&p).unwrap();
            let cut = &bytes[..bytes.len() - 100];
            std::fs::write(&p, cut).unwrap();
            let tp = dir.join(TRAINER_FILE);
            let mut json: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&tp).unwrap()).unwrap();
            json["weights_crc32"] = crc32fast::hash(cut).into();
            std::fs::write(&tp, serde_json::to_vec(&json).unwrap()).unwrap();
        },
        WEIGHTS_FILE,
    );
}

#[test]
fn flipped_optimizer_byte_is_refused() {
    assert_refused(
        |dir| {
            let p = dir.join(OPTIMIZER_FILE);
            let mut bytes = std::fs::read(&p).unwrap();
            let n = bytes.len();
            bytes[n - 3] ^= 0x10;
            std::fs::write(&p, bytes).unwrap();
        },
        OPTIMIZER_FILE,
    );
}

#[test]
fn garbage_trainer_file_is_refused() {
    assert_refused(
        |dir| std::fs::write(dir.join(TRAINER_FILE), b"{ not json").unwrap(),
        TRAINER_FILE,
    );
}

#[test]
fn missing_folder_is_an_io_error() {
    let (_rec, h) = start(OptimizerKind::Sgd);
    let err = h
        .load_checkpoint(std::path::Path::new("/nonexistent/ckpt"), false)
        .unwrap_err();
    assert!(matches!(err, TrainError::Io { .. }), "{err}");
}

/// Calls `save_checkpoint` from inside `on_step`, i.e. on the trainer thread.
struct Reentrant {
    inner: Arc<Recorder>,
    handle: OnceLock<TrainerHandle>,
    result: Mutex<Option<String>>,
    dir: std::path::PathBuf,
}

impl TrainingObserver for Reentrant {
    fn in_loop(&self, origin: &str) -> Arc<[u32]> {
        self.inner.in_loop(origin)
    }
    fn on_step(&self, _report: &StepReport) {
        if let Some(h) = self.handle.get() {
            let r = h.save_checkpoint(&self.dir);
            *self.result.lock() = Some(format!("{r:?}"));
        }
    }
    fn on_evaluation(&self, _report: &EvalReport) {}
    fn on_checkpoint_due(&self, _model_age: u64) {}
}

#[test]
fn a_call_from_inside_a_callback_fails_instead_of_deadlocking() {
    let ds = Arc::new(Blobs::new(40, 10, 1));
    let dir = tempfile::tempdir().unwrap();
    let obs = Arc::new(Reentrant {
        inner: Recorder::for_dataset(&ds),
        handle: OnceLock::new(),
        result: Mutex::new(None),
        dir: dir.path().to_path_buf(),
    });
    let config = TrainerConfig {
        model: ModelKind::Mlp,
        ..TrainerConfig::default()
    };
    let h = Trainer::spawn(ds, config, obs.clone()).unwrap();
    obs.handle.set(h.clone()).unwrap();
    train(&h, 1);
    let result = obs.result.lock().clone().unwrap();
    assert!(result.contains("trainer thread"), "{result}");
    h.shutdown();
}
