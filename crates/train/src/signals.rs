//! Per-sample signals (loss, prediction, confidence, label probability, label-issue score)
//! computed on the host from a batch's log-probabilities, and the batch summary built from them.

/// What one forward pass says about one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleSignal {
    /// Dataset index.
    pub index: u32,
    /// Cross-entropy loss against the dataset label.
    pub loss: f32,
    /// Arg-max class.
    pub prediction: i64,
    /// Max softmax probability.
    pub confidence: f32,
    /// Softmax probability of the dataset label.
    pub label_probability: f32,
    /// Mistakenness in [0, 1]: `confidence · (1 − p_label)` when the prediction differs from
    /// the label, else 0. High when the model confidently disagrees with the label.
    pub label_issue: f32,
}

/// Mean/min/max loss and accuracy of a set of signals.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BatchStats {
    pub mean_loss: f32,
    pub min_loss: f32,
    pub max_loss: f32,
    pub accuracy: f32,
}

/// Builds the signal of each row of `log_probs` (row-major `[indices.len(), classes]`).
/// Labels outside `0..classes` get probability 0 and an infinite loss.
pub fn sample_signals(
    indices: &[u32],
    labels: &[i64],
    log_probs: &[f32],
    classes: usize,
) -> Vec<SampleSignal> {
    indices
        .iter()
        .zip(labels)
        .zip(log_probs.chunks_exact(classes.max(1)))
        .map(|((&index, &label), row)| {
            let (best, best_lp) = row.iter().copied().enumerate().fold(
                (0usize, f32::NEG_INFINITY),
                |acc, (i, lp)| {
                    if lp > acc.1 { (i, lp) } else { acc }
                },
            );
            let label_lp = usize::try_from(label)
                .ok()
                .and_then(|l| row.get(l).copied())
                .unwrap_or(f32::NEG_INFINITY);
            let confidence = best_lp.exp().clamp(0.0, 1.0);
            let label_probability = label_lp.exp().clamp(0.0, 1.0);
            let prediction = best as i64;
            let label_issue = if prediction == label {
                0.0
            } else {
                (confidence * (1.0 - label_probability)).clamp(0.0, 1.0)
            };
            SampleSignal {
                index,
                loss: -label_lp,
                prediction,
                confidence,
                label_probability,
                label_issue,
            }
        })
        .collect()
}

/// Loss summary and accuracy of `signals` against `labels` (same order).
pub fn batch_stats(signals: &[SampleSignal], labels: &[i64]) -> BatchStats {
    if signals.is_empty() {
        return BatchStats::default();
    }
    let mut sum = 0f64;
    let mut min = f32::INFINITY;
    let mut max = f32::NEG_INFINITY;
    let mut correct = 0usize;
    for (s, &label) in signals.iter().zip(labels) {
        sum += f64::from(s.loss);
        min = min.min(s.loss);
        max = max.max(s.loss);
        if s.prediction == label {
            correct += 1;
        }
    }
    let n = signals.len();
    BatchStats {
        mean_loss: (sum / n as f64) as f32,
        min_loss: min,
        max_loss: max,
        accuracy: correct as f32 / n as f32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn log_softmax(logits: &[f32]) -> Vec<f32> {
        let m = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let lse = m + logits.iter().map(|l| (l - m).exp()).sum::<f32>().ln();
        logits.iter().map(|l| l - lse).collect()
    }

    #[test]
    fn confident_wrong_prediction_scores_high() {
        let lp = log_softmax(&[0.0, 8.0, 0.0]);
        let s = sample_signals(&[5], &[0], &lp, 3)[0];
        assert_eq!(s.index, 5);
        assert_eq!(s.prediction, 1);
        assert!(s.confidence > 0.99);
        assert!(s.label_issue > 0.98);
        assert!(s.loss > 7.0);
        let right = sample_signals(&[5], &[1], &lp, 3)[0];
        assert_eq!(right.label_issue, 0.0);
        assert!(right.loss < 0.01);
    }

    #[test]
    fn stats_of_a_batch() {
        let rows: Vec<f32> = [[0.0, 5.0], [5.0, 0.0]]
            .iter()
            .flat_map(|r| log_softmax(r))
            .collect();
        let sig = sample_signals(&[0, 1], &[1, 1], &rows, 2);
        let st = batch_stats(&sig, &[1, 1]);
        assert_eq!(st.accuracy, 0.5);
        assert!(st.min_loss < 0.01 && st.max_loss > 4.9);
        assert!((st.mean_loss - (st.min_loss + st.max_loss) / 2.0).abs() < 1e-5);
    }

    proptest! {
        #[test]
        fn signals_stay_in_range(
            logits in proptest::collection::vec(-30f32..30.0, 4),
            label in 0i64..4,
        ) {
            let lp = log_softmax(&logits);
            let s = sample_signals(&[0], &[label], &lp, 4)[0];
            prop_assert!((0.0..=1.0).contains(&s.confidence));
            prop_assert!((0.0..=1.0).contains(&s.label_probability));
            prop_assert!((0.0..=1.0).contains(&s.label_issue));
            prop_assert!(s.loss >= -1e-5);
            prop_assert!(s.confidence + 1e-6 >= s.label_probability);
            prop_assert!((0..4).contains(&s.prediction));
        }
    }
}
