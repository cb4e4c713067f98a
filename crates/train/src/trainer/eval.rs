//! Evaluation passes on the trainer thread: batches over the requested indices, progress on
//! the shared board, cancellation between batches, and the final report.

use std::time::Instant;

use candle_core::D;

use super::types::{EvalReport, EvalRequest};
use super::worker::{Flow, Worker};
use crate::TrainError;
use crate::model::{Model, Tap};
use crate::signals::{SampleSignal, batch_stats, sample_signals};

/// How an evaluation ended.
enum Outcome {
    Finished(EvalReport),
    Canceled,
    Shutdown,
}

impl Worker {
    /// Runs evaluation `id` unless it was canceled before it started. Training waits; commands
    /// are still served between batches.
    pub(super) fn run_evaluation(&mut self, id: u64, request: EvalRequest) -> Flow {
        // Published before the status says Running, so no reader sees Running next to a
        // snapshot that still claims training.
        self.evaluating = true;
        self.publish();
        if !self.shared.eval_begin(id) {
            tracing::info!(split = %request.split_name, "evaluation canceled before it started");
            self.evaluating = false;
            self.publish();
            return Flow::Continue;
        }
        let result = self.evaluate(id, &request);
        self.evaluating = false;
        let flow = match result {
            Ok(Outcome::Finished(report)) => {
                tracing::info!(
                    split = %report.split_name,
                    loss = report.mean_loss,
                    accuracy = report.accuracy,
                    "evaluation done"
                );
                let message = format!(
                    "{} samples: loss {:.4}, accuracy {:.4}",
                    report.samples.len(),
                    report.mean_loss,
                    report.accuracy
                );
                self.observer.on_evaluation(&report);
                self.shared.eval_finish(id, Ok(message));
                Flow::Continue
            }
            Ok(Outcome::Canceled) => {
                tracing::info!(split = %request.split_name, "evaluation canceled");
                Flow::Continue
            }
            Ok(Outcome::Shutdown) => Flow::Stop,
            Err(e) => {
                tracing::error!(error = %e, "evaluation failed");
                self.shared.eval_finish(id, Err(e.to_string()));
                Flow::Continue
            }
        };
        self.publish();
        flow
    }

    fn evaluate(&mut self, id: u64, request: &EvalRequest) -> Result<Outcome, TrainError> {
        let started = Instant::now();
        let total = request.indices.len();
        let mut samples: Vec<SampleSignal> = Vec::with_capacity(total);
        let mut labels_all: Vec<i64> = Vec::with_capacity(total);
        let mut rate_sums: Vec<Vec<f64>> = self
            .model
            .layers()
            .iter()
            .map(|l| vec![0.0; l.neurons()])
            .collect();
        let classes = self.model.num_classes();
        let mut done = 0usize;
        for chunk in request.indices.chunks(self.hyper.eval_batch_size.max(1)) {
            if self.drain_commands() == Flow::Stop {
                return Ok(Outcome::Shutdown);
            }
            while let Some(flow) = self.wait_out_hold() {
                if flow == Flow::Stop {
                    return Ok(Outcome::Shutdown);
                }
                if !self.shared.eval_running(id) {
                    return Ok(Outcome::Canceled);
                }
            }
            if !self.shared.eval_running(id) {
                return Ok(Outcome::Canceled);
            }
            let (x, labels) = self.gather(chunk)?;
            let (logits, taps) = self.model.forward(&x, Tap::All)?;
            let log_probs = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
            let host = log_probs.flatten_all()?.to_vec1::<f32>()?;
            samples.extend(sample_signals(chunk, &labels, &host, classes));
            labels_all.extend_from_slice(&labels);
            for (out, sums) in taps.iter().zip(rate_sums.iter_mut()) {
                for (s, r) in sums.iter_mut().zip(Model::trigger_rates(out)?) {
                    *s += f64::from(r) * chunk.len() as f64;
                }
            }
            done += chunk.len();
            if !self.shared.eval_progress(id, done) {
                return Ok(Outcome::Canceled);
            }
        }
        if total > 0 {
            self.activity.eval = rate_sums
                .into_iter()
                .map(|sums| {
                    sums.into_iter()
                        .map(|s| (s / total as f64) as f32)
                        .collect()
                })
                .collect();
            self.shared.set_activity(self.activity.clone());
        }
        let stats = batch_stats(&samples, &labels_all);
        Ok(Outcome::Finished(EvalReport {
            model_age: self.model_age,
            split_name: request.split_name.clone(),
            tags: request.tags.clone(),
            mean_loss: stats.mean_loss,
            min_loss: stats.min_loss,
            max_loss: stats.max_loss,
            accuracy: stats.accuracy,
            seconds: started.elapsed().as_secs_f32(),
            samples,
        }))
    }
}
