//! The terminal progress bar of the main job: step, loss, steps/s and the paused state.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::experiment::Experiment;

/// A running progress bar; `stop` clears it.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Progress {
    pub fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Draws the bar on stderr (indicatif hides it when stderr is not a terminal).
pub fn spawn(experiment: Arc<Experiment>) -> Progress {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let thread = std::thread::Builder::new()
        .name("weightslab-progress".into())
        .spawn(move || {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template("{spinner} step {pos}/{len} {wide_bar} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            while !flag.load(Ordering::Relaxed) {
                let snapshot = experiment.trainer_snapshot();
                let left = snapshot
                    .steps_until_pause
                    .unwrap_or(snapshot.hyper.training_steps_to_do);
                bar.set_length(snapshot.model_age + left);
                bar.set_position(snapshot.model_age);
                let loss = snapshot
                    .last_step
                    .map(|step| format!("loss {:.4}", step.mean_loss))
                    .unwrap_or_else(|| "loss -".into());
                let state = if snapshot.is_training {
                    snapshot.mode.as_str()
                } else {
                    "paused"
                };
                bar.set_message(format!(
                    "{loss} | {:.1} steps/s | {state}",
                    snapshot.steps_per_second
                ));
                bar.tick();
                std::thread::sleep(Duration::from_millis(250));
            }
            bar.finish_and_clear();
        })
        .ok();
    Progress { stop, thread }
}
