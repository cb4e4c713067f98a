//! Per-sample values behind each plotted point: who was in the batch at a step and what each
//! sample scored, bounded in total and indexed both by step and by sample.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::ops::Bound;
use std::sync::Arc;

use crate::intern::Interner;
use crate::types::StepSamples;

/// Values recorded together for one (metric, run, step).
#[derive(Debug)]
struct Batch {
    id: u64,
    run: u32,
    timestamp: i64,
    samples: Vec<u32>,
    values: Vec<f32>,
}

/// One value of one sample, as found through the per-sample index.
#[derive(Debug, Clone, Copy)]
struct Entry {
    step: i64,
    value: f32,
    run: u32,
}

#[derive(Debug, Default)]
struct MetricSamples {
    by_step: BTreeMap<i64, Vec<Batch>>,
    /// Each sample's values sorted by step (ties in record order), for trajectories.
    by_sample: HashMap<u32, Vec<Entry>>,
}

/// Where a batch lives, in record order, so the oldest can be evicted first.
#[derive(Debug)]
struct Recorded {
    metric: u32,
    step: i64,
    batch: u64,
}

/// Step means of one run, for sliced curves: `(step, mean, newest timestamp)`.
pub(crate) type MeanSeries = Vec<(i64, f32, i64)>;

#[derive(Debug)]
pub(crate) struct SampleStore {
    max_entries: usize,
    entries: usize,
    next_batch: u64,
    samples: Interner,
    runs: Interner,
    metric_names: Interner,
    metrics: Vec<MetricSamples>,
    fifo: VecDeque<Recorded>,
}

impl SampleStore {
    pub fn new(max_entries: usize) -> Self {
        Self {
            max_entries,
            entries: 0,
            next_batch: 0,
            samples: Interner::default(),
            runs: Interner::default(),
            metric_names: Interner::default(),
            metrics: Vec::new(),
            fifo: VecDeque::new(),
        }
    }

    pub fn entries(&self) -> usize {
        self.entries
    }

    fn metric(&self, metric: &str) -> Option<&MetricSamples> {
        self.metrics.get(self.metric_names.get(metric)? as usize)
    }

    /// Records one batch; the caller has checked that ids and values pair up.
    pub fn record(
        &mut self,
        metric: &str,
        run: &str,
        step: i64,
        sample_ids: &[&str],
        values: &[f32],
        timestamp: i64,
    ) {
        if sample_ids.is_empty() {
            return;
        }
        let metric_id = self.metric_names.intern(metric);
        if self.metrics.len() <= metric_id as usize {
            self.metrics
                .resize_with(metric_id as usize + 1, MetricSamples::default);
        }
        let run = self.runs.intern(run);
        let samples: Vec<u32> = sample_ids.iter().map(|s| self.samples.intern(s)).collect();
        let batch = self.next_batch;
        self.next_batch += 1;
        let store = &mut self.metrics[metric_id as usize];
        for (&sample, &value) in samples.iter().zip(values) {
            let list = store.by_sample.entry(sample).or_default();
            let entry = Entry { step, value, run };
            match list.last() {
                Some(last) if last.step > step => {
                    let at = list.partition_point(|e| e.step <= step);
                    list.insert(at, entry);
                }
                _ => list.push(entry),
            }
        }
        self.entries += samples.len();
        store.by_step.entry(step).or_default().push(Batch {
            id: batch,
            run,
            timestamp,
            samples,
            values: values.to_vec(),
        });
        self.fifo.push_back(Recorded {
            metric: metric_id,
            step,
            batch,
        });
        let mut evicted = 0usize;
        while self.entries > self.max_entries {
            match self.fifo.pop_front() {
                Some(oldest) => evicted += self.evict(&oldest),
                None => break,
            }
        }
        if evicted > 0 {
            tracing::debug!(
                evicted,
                kept = self.entries,
                "dropped the oldest per-sample values to stay within max_sample_entries"
            );
        }
    }

    /// Removes one recorded batch (if a truncate has not already) and returns its size.
    fn evict(&mut self, rec: &Recorded) -> usize {
        let Some(store) = self.metrics.get_mut(rec.metric as usize) else {
            return 0;
        };
        let Some(batches) = store.by_step.get_mut(&rec.step) else {
            return 0;
        };
        let Some(pos) = batches.iter().position(|b| b.id == rec.batch) else {
            return 0;
        };
        let batch = batches.remove(pos);
        if batches.is_empty() {
            store.by_step.remove(&rec.step);
        }
        for (&sample, &value) in batch.samples.iter().zip(&batch.values) {
            if let Some(list) = store.by_sample.get_mut(&sample) {
                if let Some(at) = list.iter().position(|e| {
                    e.step == rec.step && e.run == batch.run && e.value.to_bits() == value.to_bits()
                }) {
                    list.remove(at);
                }
                if list.is_empty() {
                    store.by_sample.remove(&sample);
                }
            }
        }
        self.entries -= batch.samples.len();
        batch.samples.len()
    }

    /// Drops the values of `run` recorded at steps after `step`.
    pub fn truncate_after(&mut self, run: &str, step: i64) -> usize {
        let Some(run) = self.runs.get(run) else {
            return 0;
        };
        let mut removed = 0;
        for store in &mut self.metrics {
            let later: Vec<i64> = store
                .by_step
                .range((Bound::Excluded(step), Bound::Unbounded))
                .map(|(&s, _)| s)
                .collect();
            let mut touched: HashSet<u32> = HashSet::new();
            for s in later {
                let Some(batches) = store.by_step.get_mut(&s) else {
                    continue;
                };
                batches.retain(|b| {
                    if b.run != run {
                        return true;
                    }
                    removed += b.samples.len();
                    touched.extend(b.samples.iter().copied());
                    false
                });
                if batches.is_empty() {
                    store.by_step.remove(&s);
                }
            }
            for sample in touched {
                if let Some(list) = store.by_sample.get_mut(&sample) {
                    list.retain(|e| e.run != run || e.step <= step);
                    if list.is_empty() {
                        store.by_sample.remove(&sample);
                    }
                }
            }
        }
        // Their FIFO records stay; eviction skips batches that are already gone.
        self.entries -= removed;
        removed
    }

    /// Values at one step, highest first (NaN last); `run` "" matches every run.
    pub fn step_samples(&self, metric: &str, run: &str, step: i64, max: usize) -> StepSamples {
        let run = if run.is_empty() {
            None
        } else {
            match self.runs.get(run) {
                Some(id) => Some(id),
                None => return StepSamples::default(),
            }
        };
        let Some(batches) = self.metric(metric).and_then(|m| m.by_step.get(&step)) else {
            return StepSamples::default();
        };
        let mut pairs: Vec<(u32, f32)> = batches
            .iter()
            .filter(|b| run.is_none_or(|r| b.run == r))
            .flat_map(|b| b.samples.iter().copied().zip(b.values.iter().copied()))
            .collect();
        let total_available = pairs.len();
        pairs.sort_by(|a, b| match (a.1.is_nan(), b.1.is_nan()) {
            (false, false) => b.1.total_cmp(&a.1),
            (na, nb) => na.cmp(&nb),
        });
        if max > 0 {
            pairs.truncate(max);
        }
        StepSamples {
            sample_ids: pairs
                .iter()
                .map(|(s, _)| self.samples.name(*s).to_owned())
                .collect(),
            values: pairs.iter().map(|(_, v)| *v).collect(),
            total_available,
        }
    }

    /// Each listed sample's values in step order, thinned to `max_points` evenly spaced
    /// values (first and last kept); samples with fewer than 3 values are left out.
    pub fn trajectories(
        &self,
        metric: &str,
        sample_ids: &[String],
        max_points: usize,
    ) -> Vec<(String, Vec<f32>)> {
        let Some(store) = self.metric(metric) else {
            return Vec::new();
        };
        let max_points = max_points.max(MIN_TRAJECTORY);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for id in sample_ids {
            if !seen.insert(id.as_str()) {
                continue;
            }
            let Some(list) = self.samples.get(id).and_then(|s| store.by_sample.get(&s)) else {
                continue;
            };
            if list.len() < MIN_TRAJECTORY {
                continue;
            }
            out.push((id.clone(), even_pick(list, max_points)));
        }
        out
    }

    /// Every sample id that has a value for `metric`, with its interned id.
    pub fn samples_of(&self, metric: &str) -> Vec<(u32, Arc<str>)> {
        let Some(store) = self.metric(metric) else {
            return Vec::new();
        };
        store
            .by_sample
            .keys()
            .filter_map(|&s| Some((s, self.samples.shared(s)?)))
            .collect()
    }

    /// Per run and step, the mean of the non-NaN values of member samples (`members[id]`).
    pub fn member_means(
        &self,
        metric: &str,
        run: Option<&str>,
        members: &[bool],
    ) -> Vec<(String, MeanSeries)> {
        let Some(store) = self.metric(metric) else {
            return Vec::new();
        };
        let run = match run {
            Some(r) => match self.runs.get(r) {
                Some(id) => Some(id),
                None => return Vec::new(),
            },
            None => None,
        };
        let mut per_run: BTreeMap<&str, MeanSeries> = BTreeMap::new();
        let mut acc: HashMap<u32, (f64, usize, i64)> = HashMap::new();
        for (&step, batches) in &store.by_step {
            acc.clear();
            for b in batches.iter().filter(|b| run.is_none_or(|r| b.run == r)) {
                let slot = acc.entry(b.run).or_insert((0.0, 0, i64::MIN));
                slot.2 = slot.2.max(b.timestamp);
                for (&s, &v) in b.samples.iter().zip(&b.values) {
                    if !v.is_nan() && members.get(s as usize).copied().unwrap_or(false) {
                        slot.0 += f64::from(v);
                        slot.1 += 1;
                    }
                }
            }
            for (&r, &(sum, count, ts)) in &acc {
                if count > 0 {
                    per_run.entry(self.runs.name(r)).or_default().push((
                        step,
                        (sum / count as f64) as f32,
                        ts,
                    ));
                }
            }
        }
        per_run
            .into_iter()
            .map(|(r, series)| (r.to_owned(), series))
            .collect()
    }
}

/// Fewest values that make a trajectory worth drawing.
const MIN_TRAJECTORY: usize = 3;

fn even_pick(list: &[Entry], max_points: usize) -> Vec<f32> {
    let n = list.len();
    if n <= max_points {
        return list.iter().map(|e| e.value).collect();
    }
    // Rounded positions over [0, n - 1]: strictly increasing because n > max_points.
    (0..max_points)
        .map(|i| {
            let at = (i * (n - 1) + (max_points - 1) / 2) / (max_points - 1);
            list[at].value
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn store() -> SampleStore {
        let mut s = SampleStore::new(1000);
        s.record("loss", "r1", 1, &["a", "b", "c"], &[0.5, 2.0, 1.0], 10);
        s.record("loss", "r1", 2, &["a", "b"], &[0.4, 1.5], 11);
        s.record("loss", "r2", 2, &["c"], &[9.0], 12);
        s.record("loss", "r1", 3, &["a", "b"], &[0.3, f32::NAN], 13);
        s
    }

    #[test]
    fn step_samples_sorted_descending_with_cap() {
        let s = store();
        let got = s.step_samples("loss", "r1", 1, 2);
        assert_eq!(got.sample_ids, vec!["b", "c"]);
        assert_eq!(got.values, vec![2.0, 1.0]);
        assert_eq!(got.total_available, 3);
        let any = s.step_samples("loss", "", 2, 0);
        assert_eq!(any.sample_ids, vec!["c", "b", "a"]);
        let nan_last = s.step_samples("loss", "r1", 3, 0);
        assert_eq!(nan_last.sample_ids, vec!["a", "b"]);
        assert_eq!(s.step_samples("loss", "nope", 1, 0), StepSamples::default());
        assert_eq!(s.step_samples("acc", "r1", 1, 0), StepSamples::default());
    }

    #[test]
    fn trajectories_need_three_points() {
        let s = store();
        let t = s.trajectories(
            "loss",
            &["a".into(), "c".into(), "a".into(), "zz".into()],
            0,
        );
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].0, "a");
        assert_eq!(t[0].1, vec![0.5, 0.4, 0.3]);
    }

    #[test]
    fn trajectories_thin_evenly_keeping_ends() {
        let mut s = SampleStore::new(1000);
        for step in 0..100 {
            s.record("m", "r", step, &["x"], &[step as f32], 0);
        }
        let t = s.trajectories("m", &["x".into()], 5);
        assert_eq!(t[0].1.len(), 5);
        assert_eq!(t[0].1.first(), Some(&0.0));
        assert_eq!(t[0].1.last(), Some(&99.0));
        assert!(t[0].1.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn out_of_order_steps_stay_sorted_per_sample() {
        let mut s = SampleStore::new(100);
        for step in [5, 1, 3] {
            s.record("m", "r", step, &["x"], &[step as f32], 0);
        }
        assert_eq!(
            s.trajectories("m", &["x".into()], 0)[0].1,
            vec![1.0, 3.0, 5.0]
        );
    }

    #[test]
    fn eviction_drops_oldest_batches() {
        let mut s = SampleStore::new(4);
        s.record("m", "r", 1, &["a", "b"], &[1.0, 2.0], 0);
        s.record("m", "r", 2, &["a", "b"], &[1.0, 2.0], 0);
        s.record("m", "r", 3, &["a"], &[1.0], 0);
        assert_eq!(s.entries(), 3);
        assert_eq!(s.step_samples("m", "r", 1, 0).total_available, 0);
        assert_eq!(s.step_samples("m", "r", 2, 0).total_available, 2);
    }

    #[test]
    fn member_means_per_run() {
        let s = store();
        let mut members = vec![false; 3];
        let ids = s.samples_of("loss");
        for (id, name) in ids {
            members[id as usize] = &*name != "b";
        }
        let means = s.member_means("loss", None, &members);
        assert_eq!(means.len(), 2);
        assert_eq!(means[0].0, "r1");
        assert_eq!(means[0].1, vec![(1, 0.75, 10), (2, 0.4, 11), (3, 0.3, 13)]);
        assert_eq!(means[1], ("r2".to_owned(), vec![(2, 9.0, 12)]));
        assert_eq!(s.member_means("loss", Some("r2"), &members).len(), 1);
        assert!(s.member_means("loss", Some("zz"), &members).is_empty());
    }

    #[test]
    fn truncate_after_drops_later_values_of_that_run() {
        let mut s = store();
        assert_eq!(s.truncate_after("r1", 1), 4);
        assert_eq!(s.entries(), 4);
        assert_eq!(s.step_samples("loss", "", 2, 0).sample_ids, vec!["c"]);
        assert!(s.trajectories("loss", &["a".into()], 0).is_empty());
        // Eviction after a truncate must not count the removed batches twice.
        for i in 0..2000 {
            s.record("loss", "r1", 10 + i, &["z"], &[0.0], 0);
        }
        assert_eq!(s.entries(), 1000);
    }

    proptest! {
        #[test]
        fn entry_count_stays_bounded_and_consistent(
            batches in proptest::collection::vec((0i64..20, 1usize..6, 0u8..2), 1..80),
            cap in 1usize..30,
            cut in proptest::option::of((0u8..2, 0i64..20)),
        ) {
            let names = ["s0", "s1", "s2", "s3", "s4", "s5"];
            let mut s = SampleStore::new(cap);
            for (step, n, run) in &batches {
                let run = if *run == 0 { "r0" } else { "r1" };
                s.record("m", run, *step, &names[..*n], &vec![1.0; *n], 0);
                prop_assert!(s.entries() <= cap);
            }
            if let Some((run, step)) = cut {
                s.truncate_after(if run == 0 { "r0" } else { "r1" }, step);
            }
            let store = s.metric("m").unwrap();
            let by_step: usize = store.by_step.values().flatten().map(|b| b.samples.len()).sum();
            let by_sample: usize = store.by_sample.values().map(Vec::len).sum();
            prop_assert_eq!(by_step, s.entries());
            prop_assert_eq!(by_sample, s.entries());
        }
    }
}
