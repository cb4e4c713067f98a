//! The trainer's observer: every step's per-sample signals go into the sample table and the
//! signal history; evaluations become markers; due checkpoints are handed to a saver thread.

use std::sync::Arc;

use parking_lot::RwLock;
use weightslab_data::Dataset;
use weightslab_signals::{EvalMarker, NewPoint, SignalLog};
use weightslab_table::{SampleTable, SignalUpdate};
use weightslab_train::{EvalReport, Mode, StepReport, TrainingObserver};

/// Metric names, one chart each in the Studio.
pub mod metric {
    pub const TRAIN_LOSS: &str = "train/loss";
    pub const TRAIN_ACCURACY: &str = "train/accuracy";
    pub const LEARNING_RATE: &str = "train/lr";
    pub const THROUGHPUT: &str = "train/samples_per_second";

    pub fn eval_loss(split: &str) -> String {
        format!("{split}/loss")
    }

    pub fn eval_accuracy(split: &str) -> String {
        format!("{split}/accuracy")
    }
}

/// State shared by the observer and the experiment: which run the points belong to.
pub struct RunState {
    pub current_hash: RwLock<String>,
}

pub struct Observer {
    pub table: Arc<SampleTable>,
    pub signals: Arc<SignalLog>,
    pub dataset: Arc<dyn Dataset>,
    pub run: Arc<RunState>,
    pub checkpoints: crossbeam_channel::Sender<u64>,
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}

impl Observer {
    fn record_samples(&self, model_age: u64, samples: &[weightslab_train::SampleSignal]) {
        let updates: Vec<SignalUpdate> = samples
            .iter()
            .map(|sample| SignalUpdate {
                row: sample.index,
                prediction: sample.prediction,
                loss: sample.loss,
                confidence: sample.confidence,
                label_probability: sample.label_probability,
                label_issue: sample.label_issue,
                model_age: model_age as i64,
            })
            .collect();
        self.table.record_signals(&updates);
    }
}

impl TrainingObserver for Observer {
    fn in_loop(&self, origin: &str) -> Arc<[u32]> {
        self.table.in_loop_rows(origin)
    }

    fn on_step(&self, report: &StepReport) {
        self.record_samples(report.model_age, &report.samples);
        let hash = self.run.current_hash.read().clone();
        let step = report.model_age as i64;
        let timestamp = unix_now();
        let audit_mode = report.mode == Mode::Audit;
        let point = |metric: &str, value: f32, band: Option<(f32, f32)>| NewPoint {
            metric: metric.to_string(),
            experiment_hash: hash.clone(),
            step,
            value,
            timestamp,
            audit_mode,
            band,
            marker: None,
        };
        self.signals.append_many(vec![
            point(
                metric::TRAIN_LOSS,
                report.mean_loss,
                Some((report.min_loss, report.max_loss)),
            ),
            point(metric::TRAIN_ACCURACY, report.accuracy, None),
            point(metric::LEARNING_RATE, report.learning_rate as f32, None),
            point(metric::THROUGHPUT, report.samples_per_second, None),
        ]);
        let ids: Vec<&str> = report
            .samples
            .iter()
            .map(|sample| self.dataset.sample_id(sample.index as usize))
            .collect();
        let losses: Vec<f32> = report.samples.iter().map(|sample| sample.loss).collect();
        self.signals
            .record_sample_values(metric::TRAIN_LOSS, &hash, step, &ids, &losses);
    }

    fn on_evaluation(&self, report: &EvalReport) {
        self.record_samples(report.model_age, &report.samples);
        let hash = self.run.current_hash.read().clone();
        let marker = Some(EvalMarker {
            split_name: report.split_name.clone(),
            tags: report.tags.clone(),
        });
        let point = |metric: String, value: f32, band: Option<(f32, f32)>| NewPoint {
            metric,
            experiment_hash: hash.clone(),
            step: report.model_age as i64,
            value,
            timestamp: unix_now(),
            audit_mode: false,
            band,
            marker: marker.clone(),
        };
        self.signals.append_many(vec![
            point(
                metric::eval_loss(&report.split_name),
                report.mean_loss,
                Some((report.min_loss, report.max_loss)),
            ),
            point(
                metric::eval_accuracy(&report.split_name),
                report.accuracy,
                None,
            ),
        ]);
        let ids: Vec<&str> = report
            .samples
            .iter()
            .map(|sample| self.dataset.sample_id(sample.index as usize))
            .collect();
        let losses: Vec<f32> = report.samples.iter().map(|sample| sample.loss).collect();
        self.signals.record_sample_values(
            &metric::eval_loss(&report.split_name),
            &hash,
            report.model_age as i64,
            &ids,
            &losses,
        );
    }

    fn on_checkpoint_due(&self, model_age: u64) {
        // The saver thread calls back into the trainer; never block the training thread here.
        if self.checkpoints.try_send(model_age).is_err() {
            tracing::warn!(
                model_age,
                "a checkpoint is still being written; skipping this one"
            );
        }
    }
}
