//! Column distributions for the Studio's histogram panel: numeric bins or categorical bars,
//! each broken down by (origin, discarded).

use std::collections::HashMap;

use crate::columns::{ColumnId, Signals, State, ValueKind};
use crate::keys::Keys;
use crate::types::{CategoricalBar, Histogram, HistogramBin, HistogramSubBar, MetaValue};

pub(crate) const DEFAULT_BINS: usize = 512;

/// Counts per (origin index, discarded).
#[derive(Default, Clone)]
struct Breakdown(HashMap<(u32, bool), u64>);

impl Breakdown {
    fn add(&mut self, origin: u32, discarded: bool) {
        *self.0.entry((origin, discarded)).or_default() += 1;
    }

    fn bars(&self, keys: &Keys) -> Vec<HistogramSubBar> {
        let mut entries: Vec<_> = self.0.iter().map(|(&(o, d), &c)| (o, d, c)).collect();
        entries.sort_unstable();
        entries
            .into_iter()
            .map(|(o, discarded, count)| HistogramSubBar {
                origin: keys.splits[o as usize].clone(),
                discarded,
                count,
            })
            .collect()
    }
}

pub(crate) fn build(
    id: &ColumnId,
    max_bins: usize,
    keys: &Keys,
    signals: &Signals,
    state: &State,
) -> Histogram {
    let max_bins = if max_bins == 0 {
        DEFAULT_BINS
    } else {
        max_bins
    };
    match id.kind(state) {
        ValueKind::Num => numeric(id, max_bins, keys, signals, state),
        ValueKind::Str | ValueKind::Bool => categorical(id, max_bins, keys, signals, state),
    }
}

fn numeric(
    id: &ColumnId,
    max_bins: usize,
    keys: &Keys,
    signals: &Signals,
    state: &State,
) -> Histogram {
    let mut values: Vec<(f64, u32)> = Vec::with_capacity(keys.len());
    for row in 0..keys.len() as u32 {
        let v = match id.value(row, keys, signals, state) {
            MetaValue::Float(x) if x.is_finite() => x,
            MetaValue::Int(x) => x as f64,
            _ => continue,
        };
        values.push((v, row));
    }
    let mut hist = Histogram {
        total_rows: values.len() as u64,
        ..Histogram::default()
    };
    if values.is_empty() {
        return hist;
    }
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (v, _)| {
            (lo.min(*v), hi.max(*v))
        });
    let integral = values.iter().all(|(v, _)| v.fract() == 0.0);
    // Integer columns with a small range (labels, predictions) get one bin per value.
    let (bins, width) = if integral && hi - lo < max_bins as f64 {
        ((hi - lo) as usize + 1, 1.0)
    } else if hi > lo {
        (max_bins, (hi - lo) / max_bins as f64)
    } else {
        (1, 0.0)
    };
    let mut sums = vec![0.0f64; bins];
    let mut counts = vec![0u64; bins];
    let mut breakdowns = vec![Breakdown::default(); bins];
    for (v, row) in &values {
        let b = if width > 0.0 {
            (((v - lo) / width) as usize).min(bins - 1)
        } else {
            0
        };
        sums[b] += v;
        counts[b] += 1;
        breakdowns[b].add(
            keys.origin_of[*row as usize],
            state.discarded[*row as usize],
        );
    }
    hist.bins = (0..bins)
        .map(|b| {
            let min = lo + b as f64 * width;
            let max = if integral && width == 1.0 {
                min
            } else if b + 1 == bins {
                hi
            } else {
                min + width
            };
            let avg = if counts[b] > 0 {
                sums[b] / counts[b] as f64
            } else {
                (min + max) / 2.0
            };
            HistogramBin {
                min,
                max,
                avg,
                count: counts[b],
                sub_bars: breakdowns[b].bars(keys),
            }
        })
        .collect();
    hist
}

fn categorical(
    id: &ColumnId,
    max_bins: usize,
    keys: &Keys,
    signals: &Signals,
    state: &State,
) -> Histogram {
    let mut groups: HashMap<String, (u64, Breakdown)> = HashMap::new();
    let mut total = 0u64;
    for row in 0..keys.len() as u32 {
        let label = match id.value(row, keys, signals, state) {
            MetaValue::Null => continue,
            MetaValue::Bool(b) => if b { "true" } else { "false" }.to_string(),
            other => other.to_text(),
        };
        let entry = groups.entry(label).or_default();
        entry.0 += 1;
        entry
            .1
            .add(keys.origin_of[row as usize], state.discarded[row as usize]);
        total += 1;
    }
    let mut bars: Vec<(String, u64, Breakdown)> =
        groups.into_iter().map(|(l, (c, b))| (l, c, b)).collect();
    bars.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    // Past the bar budget, the long tail folds into one "(other)" bar.
    if bars.len() > max_bins && max_bins > 1 {
        let tail = bars.split_off(max_bins - 1);
        let mut other = Breakdown::default();
        let mut count = 0;
        for (_, c, b) in tail {
            count += c;
            for (k, v) in b.0 {
                *other.0.entry(k).or_default() += v;
            }
        }
        bars.push(("(other)".into(), count, other));
    }
    Histogram {
        total_rows: total,
        is_categorical: true,
        bins: Vec::new(),
        categorical_bars: bars
            .into_iter()
            .map(|(label, count, b)| CategoricalBar {
                label,
                count,
                sub_bars: b.bars(keys),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{SampleSeed, SignalUpdate};

    fn fixture() -> (Keys, Signals, State) {
        let seeds = (0..10)
            .map(|i| SampleSeed {
                sample_id: i.to_string(),
                origin: if i % 2 == 0 { "train" } else { "val" }.into(),
                label: i % 3,
            })
            .collect();
        let keys = Keys::build(seeds).unwrap();
        let mut signals = Signals::unseen(10);
        let updates: Vec<SignalUpdate> = (0..8)
            .map(|i| SignalUpdate {
                row: i,
                prediction: 0,
                loss: i as f32 / 8.0,
                confidence: 0.5,
                label_probability: 0.5,
                label_issue: 0.0,
                model_age: 1,
            })
            .collect();
        signals.record(&updates);
        let mut state = State::empty(10);
        state.discarded[0] = true;
        (keys, signals, state)
    }

    #[test]
    fn numeric_bins_cover_every_value_once() {
        let (keys, signals, state) = fixture();
        let h = build(&ColumnId::Loss, 4, &keys, &signals, &state);
        assert!(!h.is_categorical);
        assert_eq!(h.total_rows, 8);
        assert_eq!(h.bins.len(), 4);
        assert_eq!(h.bins.iter().map(|b| b.count).sum::<u64>(), 8);
        let sub: u64 = h
            .bins
            .iter()
            .flat_map(|b| &b.sub_bars)
            .map(|s| s.count)
            .sum();
        assert_eq!(sub, 8);
        assert!(
            h.bins[0]
                .sub_bars
                .iter()
                .any(|s| s.discarded && s.origin == "train")
        );
    }

    #[test]
    fn small_integer_range_gets_one_bin_per_value() {
        let (keys, signals, state) = fixture();
        let h = build(&ColumnId::Label, 0, &keys, &signals, &state);
        assert_eq!(
            h.bins.iter().map(|b| (b.min, b.count)).collect::<Vec<_>>(),
            vec![(0.0, 4), (1.0, 3), (2.0, 3)]
        );
    }

    #[test]
    fn categorical_bars_sorted_and_capped() {
        let (keys, signals, state) = fixture();
        let h = build(&ColumnId::Origin, 0, &keys, &signals, &state);
        assert!(h.is_categorical);
        assert_eq!(
            h.categorical_bars
                .iter()
                .map(|b| (b.label.as_str(), b.count))
                .collect::<Vec<_>>(),
            vec![("train", 5), ("val", 5)]
        );
        let h = build(&ColumnId::SampleId, 3, &keys, &signals, &state);
        assert_eq!(h.categorical_bars.len(), 3);
        assert_eq!(h.categorical_bars[2].label, "(other)");
        assert_eq!(h.categorical_bars[2].count, 8);
    }
}
