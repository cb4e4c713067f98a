//! train-bench: steps/s of the CNN and MLP at batch 64 on the built-in digits, the overhead of
//! the full trainer (no-op observer) against a bare candle loop on the same model and batches,
//! and pause latency while training.
//!
//! Run: `cargo run --release -p weightslab-train --bin train-bench -- [--steps N] [--repeats R]
//! [--model cnn|mlp]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use candle_core::{D, Device, Tensor};
use crossbeam_channel::{Receiver, Sender};
use weightslab_data::{BuiltinDigits, Dataset, DigitsOptions, indices_of, origin};
use weightslab_train::model::Tap;
use weightslab_train::optim::{Optimizer, Sgd};
use weightslab_train::sampler::BatchSampler;
use weightslab_train::{
    EvalReport, HyperParams, Model, ModelKind, OptimizerKind, StepReport, TrainError, Trainer,
    TrainerConfig, TrainerHandle, TrainingObserver,
};

const BATCH: usize = 64;
const SEED: u64 = 17;

/// Hands the trainer its in-loop set and reports each step's model age, so the bench waits
/// on a channel instead of polling (a polling thread steals CPU from a 2-core machine).
struct NoOp {
    train: Arc<[u32]>,
    steps: Sender<u64>,
}

impl TrainingObserver for NoOp {
    fn in_loop(&self, origin: &str) -> Arc<[u32]> {
        if origin == origin::TRAIN {
            Arc::clone(&self.train)
        } else {
            Arc::from(Vec::new())
        }
    }
    fn on_step(&self, report: &StepReport) {
        let _ = self.steps.send(report.model_age);
    }
    fn on_evaluation(&self, _report: &EvalReport) {}
    fn on_checkpoint_due(&self, _model_age: u64) {}
}

fn hyper() -> HyperParams {
    HyperParams {
        learning_rate: 0.01,
        batch_size: BATCH,
        ..HyperParams::default()
    }
}

/// The loop a user would write by hand: gather, forward, cross-entropy, backward, SGD step.
/// Same model, seed, sampler and batches as the trainer. Returns seconds for `steps`.
fn bare_loop(
    ds: &dyn Dataset,
    kind: ModelKind,
    train: &Arc<[u32]>,
    steps: usize,
) -> Result<f64, TrainError> {
    let model = Model::new(kind, ds.input_shape(), ds.num_classes(), SEED, &Device::Cpu)?;
    let h = hyper();
    let mut opt = Sgd::new(
        model.named_vars(),
        h.learning_rate,
        h.momentum,
        h.weight_decay,
    )?;
    let mut sampler = BatchSampler::new(SEED);
    let width = ds.input_shape().len();
    let started = Instant::now();
    for _ in 0..steps {
        let idx = sampler.draw(train, BATCH, ds.len());
        let mut features = vec![0f32; idx.len() * width];
        let mut labels = Vec::with_capacity(idx.len());
        for (&i, row) in idx.iter().zip(features.chunks_exact_mut(width)) {
            ds.write_features(i as usize, row);
            labels.push(ds.label(i as usize) as u32);
        }
        let x = model.batch_tensor(features, idx.len())?;
        let y = Tensor::from_vec(labels, idx.len(), &Device::Cpu)?;
        let (logits, _) = model.forward(&x, Tap::None)?;
        let loss = candle_nn::loss::cross_entropy(&logits, &y)?;
        let grads = loss.backward()?;
        opt.step(&grads)?;
    }
    // Keep the optimiser's work observable so nothing is optimised away.
    let _ = candle_nn::ops::log_softmax(
        &model
            .forward(&model.batch_tensor(vec![0.0; width], 1)?, Tap::None)?
            .0,
        D::Minus1,
    )?;
    Ok(started.elapsed().as_secs_f64())
}

fn spawn(
    ds: Arc<dyn Dataset>,
    kind: ModelKind,
    train: &Arc<[u32]>,
) -> Result<(TrainerHandle, Receiver<u64>), TrainError> {
    let (tx, rx) = crossbeam_channel::unbounded();
    let config = TrainerConfig {
        model: kind,
        optimizer: OptimizerKind::Sgd,
        hyper: hyper(),
        seed: SEED,
        start_paused: true,
    };
    let handle = Trainer::spawn(
        ds,
        config,
        Arc::new(NoOp {
            train: Arc::clone(train),
            steps: tx,
        }),
    )?;
    Ok((handle, rx))
}

/// Seconds for `steps` steps of the full trainer, from `resume` to its last step's report.
fn trainer_run(h: &TrainerHandle, ages: &Receiver<u64>, steps: u64) -> Result<f64, TrainError> {
    while ages.try_recv().is_ok() {}
    let target = h.snapshot().model_age + steps;
    let started = Instant::now();
    h.resume(Some(steps))?;
    loop {
        let age = ages
            .recv()
            .map_err(|_| TrainError::InvalidArgument("the trainer stopped".into()))?;
        if age >= target {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    while h.snapshot().is_training {
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(elapsed)
}

/// CPU seconds (user + system, all threads) this process has used, from /proc/self/stat;
/// on a shared machine this is steadier than wall time. None off Linux.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every mainstream Linux configuration.
    Some((utime + stime) / 100.0)
}

/// Runs `f` on a fresh thread (as the trainer runs on its own thread, so both sides get the
/// same allocator arena behaviour) and returns (wall seconds, CPU seconds).
fn measure(f: impl FnOnce() -> Result<f64, TrainError> + Send) -> Result<(f64, f64), TrainError> {
    let cpu0 = cpu_seconds().unwrap_or(0.0);
    let wall = std::thread::scope(|s| s.spawn(f).join())
        .map_err(|_| TrainError::InvalidArgument("benchmark thread panicked".into()))??;
    Ok((wall, cpu_seconds().unwrap_or(0.0) - cpu0))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[allow(unsafe_code)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    // SAFETY: first statement of main; no other thread exists yet.
    unsafe { weightslab_train::threads::pin_thread_count() };
    let steps = arg("--steps", 300);
    let repeats = arg("--repeats", 3).max(1);
    let ds: Arc<dyn Dataset> = Arc::new(BuiltinDigits::load(DigitsOptions::default())?);
    let train: Arc<[u32]> = indices_of(ds.as_ref(), origin::TRAIN).into();
    println!(
        "dataset {} ({} samples, {} train), batch {BATCH}, {steps} steps x {repeats} repeats, best run counts, CANDLE_NUM_THREADS={}",
        ds.name(),
        ds.len(),
        train.len(),
        std::env::var("CANDLE_NUM_THREADS").unwrap_or_else(|_| "(unset: one per core)".into())
    );
    let only = std::env::args()
        .skip_while(|a| a != "--model")
        .nth(1)
        .unwrap_or_default();
    for kind in [ModelKind::Cnn, ModelKind::Mlp] {
        if !only.is_empty() && only != kind.as_str() {
            continue;
        }
        let (h, ages) = spawn(Arc::clone(&ds), kind, &train)?;
        // Warm-up: allocator, thread pools, caches.
        bare_loop(ds.as_ref(), kind, &train, 20)?;
        trainer_run(&h, &ages, 20)?;
        let (mut bare, mut bare_cpu) = (f64::INFINITY, f64::INFINITY);
        let (mut full, mut full_cpu) = (f64::INFINITY, f64::INFINITY);
        // Interleaved so that load from other processes hits both sides alike.
        for _ in 0..repeats {
            let (w, c) = measure(|| bare_loop(ds.as_ref(), kind, &train, steps))?;
            bare = bare.min(w);
            bare_cpu = bare_cpu.min(c);
            let (w, c) = measure(|| trainer_run(&h, &ages, steps as u64))?;
            full = full.min(w);
            full_cpu = full_cpu.min(c);
        }
        println!(
            "{:<4} bare candle loop: {:7.1} steps/s ({:6.2} CPU-ms/step) | full trainer: {:7.1} steps/s ({:6.2} CPU-ms/step) | overhead wall {:+.1}%, CPU {:+.1}%",
            kind.as_str(),
            steps as f64 / bare,
            bare_cpu / steps as f64 * 1e3,
            steps as f64 / full,
            full_cpu / steps as f64 * 1e3,
            (full - bare) / bare * 100.0,
            (full_cpu - bare_cpu) / bare_cpu * 100.0
        );
        if kind == ModelKind::Cnn {
            let mut lat = Vec::new();
            h.resume(None)?;
            for i in 0..60 {
                // Land the pause at varied points inside a step.
                std::thread::sleep(Duration::from_micros(3_000 + (i * 997) % 9_000));
                let t = Instant::now();
                h.pause()?;
                lat.push(t.elapsed().as_secs_f64() * 1e3);
                h.resume(None)?;
            }
            h.pause()?;
            lat.sort_by(f64::total_cmp);
            println!(
                "cnn  pause latency over {} pauses: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (step time {:.2} ms)",
                lat.len(),
                percentile(&lat, 0.5),
                percentile(&lat, 0.99),
                lat.last().copied().unwrap_or(0.0),
                full / steps as f64 * 1e3
            );
        }
        h.shutdown();
    }
    Ok(())
}
