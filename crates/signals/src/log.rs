//! `SignalLog`: the thread-safe front that owns the curves, the per-sample values and the
//! client cursors, and decides which lock each operation takes and for how long.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::{Mutex, RwLock};

use crate::compact::enforce_cap;
use crate::cursors::CursorTable;
use crate::curve::{Curve, Row};
use crate::downsample::{self, MIN_BUDGET};
use crate::error::SignalError;
use crate::samples::SampleStore;
use crate::types::{
    CurveIndex, DEFAULT_MAX_POINTS, HistoryQuery, NewPoint, SignalLogConfig, SignalPoint,
    StepSamples, passes,
};

/// Smallest per-curve cap honoured; thinning needs room for whole groups in the older half.
const MIN_CURVE_CAP: usize = 16;

/// Metric series per (metric, run), per-sample values per step, and per-client poll cursors.
///
/// Writers (the trainer) take the curve lock for the few microseconds an append needs;
/// readers share it. No lock is held while calling back into caller code.
pub struct SignalLog {
    config: SignalLogConfig,
    curves: RwLock<CurveSet>,
    /// Mirror of `CurveSet::head`, readable without the lock. It is stored after the points
    /// it counts are in place, so every sequence number up to it is visible to readers.
    head: AtomicU64,
    cursors: Mutex<CursorTable>,
    samples: RwLock<SampleStore>,
}

/// Counts for monitoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SignalStats {
    pub curves: usize,
    pub points: usize,
    pub sample_entries: usize,
    pub clients: usize,
}

#[derive(Debug, Default)]
struct CurveSet {
    /// metric → run → curve; ordered, so every read comes out sorted by (metric, run).
    by_metric: BTreeMap<String, BTreeMap<String, Curve>>,
    head: u64,
}

impl CurveSet {
    fn append(&mut self, p: NewPoint, cap: usize) {
        self.head += 1;
        let curve = self
            .by_metric
            .entry(p.metric)
            .or_default()
            .entry(p.experiment_hash)
            .or_default();
        curve.push(Row {
            step: p.step,
            value: p.value,
            timestamp: p.timestamp,
            seq: self.head,
            audit_mode: p.audit_mode,
            band: p.band,
            marker: p.marker,
        });
        enforce_cap(curve, cap);
    }

    fn matching<'a>(
        &'a self,
        metrics: &'a [String],
        runs: &'a [String],
    ) -> impl Iterator<Item = (&'a str, &'a str, &'a Curve)> + 'a {
        self.by_metric
            .iter()
            .filter(move |(m, _)| passes(metrics, m))
            .flat_map(move |(m, by_run)| {
                by_run
                    .iter()
                    .filter(move |(r, _)| passes(runs, r))
                    .map(move |(r, c)| (m.as_str(), r.as_str(), c))
            })
    }

    fn history(&self, query: &HistoryQuery) -> Vec<SignalPoint> {
        let budget = effective_budget(query.max_points);
        let (lo, hi) = match query.x_range {
            Some((a, b)) => (a.min(b), a.max(b)),
            None => (i64::MIN, i64::MAX),
        };
        let mut out = Vec::new();
        for (metric, run, curve) in self.matching(&query.metrics, &query.experiment_hashes) {
            let range = curve.range(lo, hi);
            if range.is_empty() {
                continue;
            }
            let specials = curve.specials_in(range.clone());
            let start = range.start;
            let picked = downsample::select(&curve.steps[range.clone()], &specials, budget, |r| {
                curve
                    .summary
                    .min_max(&curve.values, start + r.start..start + r.end)
                    .map(|(l, h)| (l - start, h - start))
            });
            let at: Vec<usize> = picked.into_iter().map(|i| start + i).collect();
            curve.points_at(metric, run, &at, &mut out);
        }
        out
    }
}

fn effective_budget(max_points: usize) -> usize {
    if max_points == 0 {
        DEFAULT_MAX_POINTS
    } else {
        max_points.max(MIN_BUDGET)
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl SignalLog {
    pub fn new(config: SignalLogConfig) -> Self {
        let config = SignalLogConfig {
            max_points_per_curve: config.max_points_per_curve.max(MIN_CURVE_CAP),
            max_sample_entries: config.max_sample_entries,
            max_clients: config.max_clients.max(1),
        };
        Self {
            curves: RwLock::new(CurveSet::default()),
            head: AtomicU64::new(0),
            cursors: Mutex::new(CursorTable::new(config.max_clients)),
            samples: RwLock::new(SampleStore::new(config.max_sample_entries)),
            config,
        }
    }

    /// The limits in force (after raising values below the minimums).
    pub fn config(&self) -> &SignalLogConfig {
        &self.config
    }

    pub fn append(&self, point: NewPoint) {
        let mut set = self.curves.write();
        set.append(point, self.config.max_points_per_curve);
        self.head.store(set.head, Ordering::Release);
    }

    /// Appends under one lock acquisition; preferred for a step's worth of metrics.
    pub fn append_many(&self, points: Vec<NewPoint>) {
        if points.is_empty() {
            return;
        }
        let mut set = self.curves.write();
        for p in points {
            set.append(p, self.config.max_points_per_curve);
        }
        self.head.store(set.head, Ordering::Release);
    }

    /// Attaches `note` to the point(s) at `step` of one curve; "" removes the note.
    pub fn set_note(
        &self,
        metric: &str,
        experiment_hash: &str,
        step: i64,
        note: &str,
    ) -> Result<(), SignalError> {
        let mut set = self.curves.write();
        let Some(by_run) = set.by_metric.get_mut(metric) else {
            return Err(SignalError::CurveNotFound {
                metric: metric.to_owned(),
                experiment_hash: experiment_hash.to_owned(),
                known_runs: Vec::new(),
            });
        };
        let Some(curve) = by_run.get_mut(experiment_hash) else {
            return Err(SignalError::CurveNotFound {
                metric: metric.to_owned(),
                experiment_hash: experiment_hash.to_owned(),
                known_runs: by_run.keys().cloned().collect(),
            });
        };
        curve
            .set_note(step, note)
            .map(|_| ())
            .map_err(|(before, after)| SignalError::StepNotFound {
                metric: metric.to_owned(),
                experiment_hash: experiment_hash.to_owned(),
                step,
                before,
                after,
            })
    }

    /// One summary per curve, sorted by (metric, run).
    pub fn curves(&self) -> Vec<CurveIndex> {
        let set = self.curves.read();
        set.matching(&[], &[])
            .filter_map(|(m, r, c)| c.index(m, r))
            .collect()
    }

    /// Reduced history: per curve at most `max_points` ordinary points plus the first and last
    /// point in range, every marker and every noted point, in step order.
    pub fn history(&self, query: &HistoryQuery) -> Vec<SignalPoint> {
        self.curves.read().history(query)
    }

    /// [`Self::history`] and [`Self::mark_caught_up`] in one step: the cursor lands exactly
    /// at the newest point the returned history could contain, so a point appended between
    /// the two is neither lost nor sent twice. Use it for the startup full-history read only:
    /// a zoom or filtered refetch should call [`Self::history`], because moving the cursor
    /// there would skip new points outside the zoom for this client.
    pub fn history_and_catch_up(&self, client_id: &str, query: &HistoryQuery) -> Vec<SignalPoint> {
        let cursor = self
            .cursors
            .lock()
            .get_or_insert(client_id, self.position());
        let mut pos = cursor.lock();
        let set = self.curves.read();
        let points = set.history(query);
        *pos = (*pos).max(set.head);
        points
    }

    /// Points appended since this client's last poll, each exactly once per client. A client
    /// seen for the first time (or evicted since) gets nothing and starts at the newest point:
    /// it is expected to read full history first. Points outside the filters count as seen.
    pub fn poll_new(
        &self,
        client_id: &str,
        metrics: &[String],
        experiment_hashes: &[String],
    ) -> Vec<SignalPoint> {
        let cursor = {
            let mut table = self.cursors.lock();
            match table.get(client_id) {
                Some(c) => c,
                None => {
                    table.get_or_insert(client_id, self.position());
                    return Vec::new();
                }
            }
        };
        let mut pos = cursor.lock();
        let set = self.curves.read();
        let after = *pos;
        let mut out = Vec::new();
        for (metric, run, curve) in set.matching(metrics, experiment_hashes) {
            curve.points_at(metric, run, &curve.appended_after(after), &mut out);
        }
        *pos = after.max(set.head);
        out
    }

    /// Puts the client's cursor at the newest point (after a full-history read).
    pub fn mark_caught_up(&self, client_id: &str) {
        let head = self.position();
        let cursor = self.cursors.lock().get_or_insert(client_id, head);
        let mut pos = cursor.lock();
        *pos = (*pos).max(head);
    }

    /// Records each sample's value at one step. Ids and values pair up by position; a call
    /// where their lengths differ is refused (logged) rather than half-recorded.
    pub fn record_sample_values(
        &self,
        metric: &str,
        experiment_hash: &str,
        step: i64,
        sample_ids: &[&str],
        values: &[f32],
    ) {
        if sample_ids.len() != values.len() {
            tracing::warn!(
                metric,
                experiment_hash,
                step,
                ids = sample_ids.len(),
                values = values.len(),
                "per-sample values ignored: one value per sample id is needed"
            );
            return;
        }
        let now = unix_now();
        self.samples
            .write()
            .record(metric, experiment_hash, step, sample_ids, values, now);
    }

    /// The per-sample values behind one point, highest first; `experiment_hash` "" means any
    /// run, `max_samples` 0 means no cap.
    pub fn step_samples(
        &self,
        metric: &str,
        experiment_hash: &str,
        step: i64,
        max_samples: usize,
    ) -> StepSamples {
        self.samples
            .read()
            .step_samples(metric, experiment_hash, step, max_samples)
    }

    /// Per-sample curves (values in step order, at most `max_points`, 0 = 1000) for the given
    /// samples, in request order; samples with fewer than 3 values are left out.
    pub fn trajectories(
        &self,
        metric: &str,
        sample_ids: &[String],
        max_points: usize,
    ) -> Vec<(String, Vec<f32>)> {
        let max_points = if max_points == 0 {
            DEFAULT_MAX_POINTS
        } else {
            max_points
        };
        self.samples
            .read()
            .trajectories(metric, sample_ids, max_points)
    }

    /// Per step, the mean per-sample value of the samples for which `is_member` holds, one
    /// curve per run (or only `experiment_hash`), named `"<metric> [slice]"` and downsampled
    /// like [`Self::history`]. `is_member` runs once per distinct sample with no lock held.
    pub fn sliced_mean(
        &self,
        metric: &str,
        experiment_hash: Option<&str>,
        is_member: &dyn Fn(&str) -> bool,
        max_points: usize,
    ) -> Vec<SignalPoint> {
        let known = self.samples.read().samples_of(metric);
        let size = known
            .iter()
            .map(|(id, _)| *id as usize + 1)
            .max()
            .unwrap_or(0);
        let mut members = vec![false; size];
        for (id, name) in &known {
            members[*id as usize] = is_member(name);
        }
        let means = self
            .samples
            .read()
            .member_means(metric, experiment_hash, &members);
        let name = format!("{metric} [slice]");
        let budget = effective_budget(max_points);
        let mut out = Vec::new();
        for (run, series) in means {
            let steps: Vec<i64> = series.iter().map(|p| p.0).collect();
            let values: Vec<f32> = series.iter().map(|p| p.1).collect();
            for i in downsample::select_values(&steps, &values, &[], budget) {
                let (step, value, timestamp) = series[i];
                out.push(SignalPoint {
                    metric: name.clone(),
                    experiment_hash: run.clone(),
                    step,
                    value,
                    timestamp,
                    audit_mode: false,
                    band: None,
                    marker: None,
                    note: String::new(),
                    seq: 0,
                });
            }
        }
        out
    }

    /// Forgets the points and per-sample values of one run after `step` (checkpoint restore),
    /// so the run can log those steps again.
    pub fn truncate_after(&self, experiment_hash: &str, step: i64) {
        let mut dropped = 0;
        {
            let mut set = self.curves.write();
            for by_run in set.by_metric.values_mut() {
                if let Some(curve) = by_run.get_mut(experiment_hash) {
                    dropped += curve.truncate_after(step);
                    if curve.is_empty() {
                        by_run.remove(experiment_hash);
                    }
                }
            }
            set.by_metric.retain(|_, by_run| !by_run.is_empty());
        }
        let sample_values = self.samples.write().truncate_after(experiment_hash, step);
        tracing::info!(
            experiment_hash,
            step,
            points = dropped,
            sample_values,
            "dropped signal history after a restored step"
        );
    }

    /// Sequence number of the newest point appended (0 before the first).
    pub fn position(&self) -> u64 {
        self.head.load(Ordering::Acquire)
    }

    pub fn stats(&self) -> SignalStats {
        let (curves, points) = {
            let set = self.curves.read();
            set.matching(&[], &[])
                .fold((0, 0), |(c, p), (_, _, curve)| (c + 1, p + curve.len()))
        };
        SignalStats {
            curves,
            points,
            sample_entries: self.samples.read().entries(),
            clients: self.cursors.lock().len(),
        }
    }
}

impl Default for SignalLog {
    fn default() -> Self {
        Self::new(SignalLogConfig::default())
    }
}

impl std::fmt::Debug for SignalLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignalLog")
            .field("config", &self.config)
            .field("position", &self.position())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "log_tests.rs"]
mod tests;
