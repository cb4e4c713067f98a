//! Issue 6's numbers on the demo CNN: checkpoint save and restore time, and a full evaluation
//! of the 2,000 validation digits. Also prints training steps/s of the whole experiment.
//! Run: `cargo run --release -p weightslab-e2e --bin experiment-bench`

use std::time::{Duration, Instant};

use weightslab::experiment::{Experiment, RestoreSpec};
use weightslab_e2e::paused_demo;
use weightslab_e2e::proto::TriggerEvaluationRequest;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut run = paused_demo();
    run.train.eval_frequency = 0;
    run.train.checkpoint_frequency = 0;
    let experiment =
        Experiment::start(run, dir.path()).map_err(|error| anyhow::anyhow!("{error}"))?;

    let steps = 200;
    let started = Instant::now();
    experiment
        .resume(Some(steps))
        .map_err(|error| anyhow::anyhow!("{error}"))?;
    while experiment.trainer_snapshot().is_training
        || experiment.trainer_snapshot().model_age < steps
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    println!(
        "training, demo CNN, batch 64        {:.1} steps/s ({steps} steps in {:.2} s)",
        steps as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );

    let mut saves = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        experiment
            .save_checkpoint(true)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        saves.push(started.elapsed());
    }
    println!(
        "checkpoint save (atomic, fsync'd)   median {:.1} ms",
        median(saves).as_secs_f64() * 1e3
    );

    let spec = RestoreSpec {
        experiment_hash: experiment.current_hash(),
        weights_step: None,
    };
    let mut restores = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        experiment
            .restore_checkpoint(&spec)
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        restores.push(started.elapsed());
    }
    println!(
        "checkpoint restore (full)           median {:.1} ms",
        median(restores).as_secs_f64() * 1e3
    );

    let mut evaluations = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        experiment
            .trigger_evaluation(&TriggerEvaluationRequest {
                split_name: "val".into(),
                tags: vec![],
                use_full_set: true,
            })
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        loop {
            let status = experiment.evaluation_status();
            if status.status == "done" {
                anyhow::ensure!(status.total == 2000, "evaluated {} samples", status.total);
                break;
            }
            anyhow::ensure!(
                status.status != "error",
                "evaluation failed: {}",
                status.error
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        evaluations.push(started.elapsed());
    }
    println!(
        "evaluation of 2,000 val samples     median {:.0} ms",
        median(evaluations).as_secs_f64() * 1e3
    );
    experiment.shutdown();
    Ok(())
}
