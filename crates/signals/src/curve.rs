//! One metric series of one run, stored column by column and kept sorted by step.

use std::collections::{BTreeSet, HashMap};

use crate::summary::Summaries;
use crate::types::{CurveIndex, EvalMarker, SignalPoint};

pub(crate) const AUDIT: u8 = 1;
pub(crate) const BAND: u8 = 1 << 1;
pub(crate) const MARKER: u8 = 1 << 2;
pub(crate) const NOTE: u8 = 1 << 3;
/// Points that downsampling and compaction must never drop.
pub(crate) const SPECIAL: u8 = MARKER | NOTE;

/// The fields of one appended point that a curve stores (its identity lives in the map key).
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub step: i64,
    pub value: f32,
    pub timestamp: i64,
    pub seq: u64,
    pub audit_mode: bool,
    pub band: Option<(f32, f32)>,
    pub marker: Option<EvalMarker>,
}

/// Columns of one curve. Invariant: `steps` is non-decreasing and points with equal steps are
/// in append order; every column has the same length.
#[derive(Debug)]
pub(crate) struct Curve {
    pub steps: Vec<i64>,
    pub values: Vec<f32>,
    pub timestamps: Vec<i64>,
    pub seqs: Vec<u64>,
    pub flags: Vec<u8>,
    pub band_lo: Vec<f32>,
    pub band_hi: Vec<f32>,
    /// Block extremes of `values`, kept in step with it.
    pub summary: Summaries,
    /// Sparse columns, keyed by sequence number because indices move on insert and compaction.
    pub markers: HashMap<u64, EvalMarker>,
    pub notes: HashMap<u64, String>,
    /// `(step, seq)` of every point carrying [`SPECIAL`]. Within one step, index order is seq
    /// order (a point always lands after the others of its step), so this set finds the
    /// specials of a range without scanning the range's flags.
    pub specials: BTreeSet<(i64, u64)>,
    /// Highest sequence number stored; lets a poll skip a curve with nothing new in O(1).
    pub max_seq: u64,
    /// Whether `seqs` is ascending, i.e. no point was inserted before a later-appended one;
    /// a poll then finds its new points by binary search instead of a scan.
    pub seqs_ascending: bool,
    pub value_min: f32,
    pub value_max: f32,
    /// Length below which compaction is not retried after a pass that could not shrink the
    /// curve (all remaining old points special).
    pub compact_floor: usize,
}

impl Default for Curve {
    fn default() -> Self {
        Self {
            steps: Vec::new(),
            values: Vec::new(),
            timestamps: Vec::new(),
            seqs: Vec::new(),
            flags: Vec::new(),
            band_lo: Vec::new(),
            band_hi: Vec::new(),
            summary: Summaries::default(),
            markers: HashMap::new(),
            notes: HashMap::new(),
            specials: BTreeSet::new(),
            max_seq: 0,
            seqs_ascending: true,
            value_min: f32::NAN,
            value_max: f32::NAN,
            compact_floor: 0,
        }
    }
}

impl Curve {
    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Adds a point at its step position; a step lower than the last one (a run that went back
    /// after a restore without a truncate) is inserted after the points of equal step.
    pub fn push(&mut self, row: Row) {
        let mut flags = 0u8;
        if row.audit_mode {
            flags |= AUDIT;
        }
        let (lo, hi) = match row.band {
            Some((lo, hi)) => {
                flags |= BAND;
                (lo, hi)
            }
            None => (f32::NAN, f32::NAN),
        };
        if let Some(marker) = row.marker {
            flags |= MARKER;
            self.specials.insert((row.step, row.seq));
            self.markers.insert(row.seq, marker);
        }
        self.widen_extent(row.value);
        if row.seq < self.max_seq {
            self.seqs_ascending = false;
        }
        self.max_seq = self.max_seq.max(row.seq);
        let at = match self.steps.last() {
            Some(&last) if row.step < last => self.steps.partition_point(|&s| s <= row.step),
            _ => self.steps.len(),
        };
        if at == self.steps.len() {
            self.steps.push(row.step);
            self.values.push(row.value);
            self.timestamps.push(row.timestamp);
            self.seqs.push(row.seq);
            self.flags.push(flags);
            self.band_lo.push(lo);
            self.band_hi.push(hi);
            self.summary.push(&self.values);
        } else {
            self.steps.insert(at, row.step);
            self.values.insert(at, row.value);
            self.timestamps.insert(at, row.timestamp);
            self.seqs.insert(at, row.seq);
            self.flags.insert(at, flags);
            self.band_lo.insert(at, lo);
            self.band_hi.insert(at, hi);
            self.summary.rebuild(&self.values);
            // The inserted point has the newest seq but sits before older ones.
            self.seqs_ascending = false;
        }
    }

    fn widen_extent(&mut self, v: f32) {
        if v.is_nan() {
            return;
        }
        if self.value_min.is_nan() || v < self.value_min {
            self.value_min = v;
        }
        if self.value_max.is_nan() || v > self.value_max {
            self.value_max = v;
        }
    }

    /// Recomputes the value extent and the cached sequence facts after points were removed.
    pub fn refresh_summary(&mut self) {
        self.value_min = f32::NAN;
        self.value_max = f32::NAN;
        for i in 0..self.values.len() {
            self.widen_extent(self.values[i]);
        }
        self.max_seq = self.seqs.iter().copied().max().unwrap_or(0);
        self.seqs_ascending = self.seqs.windows(2).all(|w| w[0] < w[1]);
    }

    /// Index range of the points with `lo <= step <= hi`.
    pub fn range(&self, lo: i64, hi: i64) -> std::ops::Range<usize> {
        let start = self.steps.partition_point(|&s| s < lo);
        let end = self.steps.partition_point(|&s| s <= hi);
        start..end.max(start)
    }

    /// Indices (relative to `range.start`) of special points inside `range`, ascending.
    pub fn specials_in(&self, range: std::ops::Range<usize>) -> Vec<usize> {
        if range.is_empty() || self.specials.is_empty() {
            return Vec::new();
        }
        let (lo, hi) = (self.steps[range.start], self.steps[range.end - 1]);
        self.specials
            .range((lo, 0)..=(hi, u64::MAX))
            .filter_map(|&(step, seq)| {
                let same_step = self.range(step, step);
                let within = self.seqs[same_step.clone()].partition_point(|&s| s < seq);
                let at = same_step.start + within;
                (self.seqs.get(at) == Some(&seq) && range.contains(&at)).then(|| at - range.start)
            })
            .collect()
    }

    /// Drops every point with step > `step`. Returns how many were dropped.
    pub fn truncate_after(&mut self, step: i64) -> usize {
        let keep = self.steps.partition_point(|&s| s <= step);
        let dropped = self.len() - keep;
        if dropped == 0 {
            return 0;
        }
        for &seq in &self.seqs[keep..] {
            self.markers.remove(&seq);
            self.notes.remove(&seq);
        }
        self.specials.retain(|&(s, _)| s <= step);
        self.steps.truncate(keep);
        self.values.truncate(keep);
        self.timestamps.truncate(keep);
        self.seqs.truncate(keep);
        self.flags.truncate(keep);
        self.band_lo.truncate(keep);
        self.band_hi.truncate(keep);
        self.summary.truncate(&self.values);
        self.refresh_summary();
        dropped
    }

    /// Sets (or with "" clears) the note of every point at `step`. Returns how many points
    /// carry the step, or the nearest steps below and above when none does.
    pub fn set_note(&mut self, step: i64, note: &str) -> Result<usize, (Option<i64>, Option<i64>)> {
        let range = self.range(step, step);
        if range.is_empty() {
            let before = range.start.checked_sub(1).map(|i| self.steps[i]);
            let after = self.steps.get(range.start).copied();
            return Err((before, after));
        }
        let count = range.len();
        for i in range {
            let seq = self.seqs[i];
            let was_special = self.flags[i] & SPECIAL != 0;
            if note.is_empty() {
                self.notes.remove(&seq);
                self.flags[i] &= !NOTE;
            } else {
                self.notes.insert(seq, note.to_owned());
                self.flags[i] |= NOTE;
            }
            let is_special = self.flags[i] & SPECIAL != 0;
            match (was_special, is_special) {
                (false, true) => {
                    self.specials.insert((step, seq));
                }
                (true, false) => {
                    self.specials.remove(&(step, seq));
                }
                _ => {}
            }
        }
        Ok(count)
    }

    /// The reader's view of the point at index `i`.
    #[cfg(test)]
    pub fn point(&self, metric: &str, experiment_hash: &str, i: usize) -> SignalPoint {
        let mut out = Vec::with_capacity(1);
        self.points_at(metric, experiment_hash, &[i], &mut out);
        out.remove(0)
    }

    /// Appends the reader's view of the points at indices `at` to `out`.
    ///
    /// Gathers column by column: each loop issues independent loads, so the cache misses of a
    /// sparse pick over a large curve overlap instead of queueing behind each point's
    /// allocations.
    pub fn points_at(
        &self,
        metric: &str,
        experiment_hash: &str,
        at: &[usize],
        out: &mut Vec<SignalPoint>,
    ) {
        let steps: Vec<i64> = at.iter().map(|&i| self.steps[i]).collect();
        let values: Vec<f32> = at.iter().map(|&i| self.values[i]).collect();
        let timestamps: Vec<i64> = at.iter().map(|&i| self.timestamps[i]).collect();
        let seqs: Vec<u64> = at.iter().map(|&i| self.seqs[i]).collect();
        let flags: Vec<u8> = at.iter().map(|&i| self.flags[i]).collect();
        let band_lo: Vec<f32> = at.iter().map(|&i| self.band_lo[i]).collect();
        let band_hi: Vec<f32> = at.iter().map(|&i| self.band_hi[i]).collect();
        out.reserve(at.len());
        for k in 0..at.len() {
            let (flags, seq) = (flags[k], seqs[k]);
            out.push(SignalPoint {
                metric: metric.to_owned(),
                experiment_hash: experiment_hash.to_owned(),
                step: steps[k],
                value: values[k],
                timestamp: timestamps[k],
                audit_mode: flags & AUDIT != 0,
                band: (flags & BAND != 0).then(|| (band_lo[k], band_hi[k])),
                marker: if flags & MARKER != 0 {
                    self.markers.get(&seq).cloned()
                } else {
                    None
                },
                note: if flags & NOTE != 0 {
                    self.notes.get(&seq).cloned().unwrap_or_default()
                } else {
                    String::new()
                },
                seq,
            });
        }
    }

    /// Indices of the points appended after sequence number `after`, in step order.
    pub fn appended_after(&self, after: u64) -> Vec<usize> {
        if self.max_seq <= after {
            return Vec::new();
        }
        if self.seqs_ascending {
            let start = self.seqs.partition_point(|&s| s <= after);
            (start..self.len()).collect()
        } else {
            (0..self.len()).filter(|&i| self.seqs[i] > after).collect()
        }
    }

    pub fn index(&self, metric: &str, experiment_hash: &str) -> Option<CurveIndex> {
        Some(CurveIndex {
            metric: metric.to_owned(),
            experiment_hash: experiment_hash.to_owned(),
            first_step: *self.steps.first()?,
            last_step: *self.steps.last()?,
            point_count: self.len(),
            value_min: self.value_min,
            value_max: self.value_max,
        })
    }

    /// Keeps only the points whose `keep` entry is true (same length as the curve).
    pub fn retain_mask(&mut self, keep: &[bool]) {
        fn apply<T>(col: &mut Vec<T>, keep: &[bool]) {
            let mut i = 0;
            col.retain(|_| {
                let k = keep[i];
                i += 1;
                k
            });
        }
        apply(&mut self.steps, keep);
        apply(&mut self.values, keep);
        apply(&mut self.timestamps, keep);
        apply(&mut self.seqs, keep);
        apply(&mut self.flags, keep);
        apply(&mut self.band_lo, keep);
        apply(&mut self.band_hi, keep);
        self.summary.rebuild(&self.values);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn row(step: i64, value: f32, seq: u64) -> Row {
        Row {
            step,
            value,
            timestamp: 1000 + step,
            seq,
            audit_mode: false,
            band: None,
            marker: None,
        }
    }

    #[test]
    fn push_keeps_step_order_and_append_order_on_ties() {
        let mut c = Curve::default();
        c.push(row(1, 1.0, 1));
        c.push(row(3, 3.0, 2));
        c.push(row(3, 3.5, 3));
        c.push(row(2, 2.0, 4)); // went back: lands between 1 and 3
        c.push(row(3, 3.7, 5)); // tie with 3s: after them
        assert_eq!(c.steps, vec![1, 2, 3, 3, 3]);
        assert_eq!(c.seqs, vec![1, 4, 2, 3, 5]);
        assert!(!c.seqs_ascending);
        assert_eq!(c.appended_after(3), vec![1, 4]);
        assert_eq!((c.value_min, c.value_max), (1.0, 3.7));
    }

    #[test]
    fn band_audit_and_marker_round_trip() {
        let mut c = Curve::default();
        c.push(Row {
            audit_mode: true,
            band: Some((0.5, 2.0)),
            marker: Some(EvalMarker {
                split_name: "val".into(),
                tags: vec!["t".into()],
            }),
            ..row(7, 1.0, 9)
        });
        let p = c.point("m", "h", 0);
        assert!(p.audit_mode);
        assert_eq!(p.band, Some((0.5, 2.0)));
        assert_eq!(p.marker.map(|m| m.split_name), Some("val".to_owned()));
        assert_eq!(c.specials.len(), 1);
        assert_eq!(p.seq, 9);
    }

    #[test]
    fn set_note_reports_neighbours_and_clears() {
        let mut c = Curve::default();
        for (i, s) in [10, 20, 30].into_iter().enumerate() {
            c.push(row(s, 0.0, i as u64 + 1));
        }
        assert_eq!(c.set_note(25, "x"), Err((Some(20), Some(30))));
        assert_eq!(c.set_note(5, "x"), Err((None, Some(10))));
        assert_eq!(c.set_note(20, "look"), Ok(1));
        assert_eq!(c.point("m", "h", 1).note, "look");
        assert_eq!(c.specials_in(0..3), vec![1]);
        assert_eq!(c.set_note(20, ""), Ok(1));
        assert_eq!(c.point("m", "h", 1).note, "");
        assert!(c.specials.is_empty());
    }

    #[test]
    fn truncate_drops_tail_and_recomputes_extent() {
        let mut c = Curve::default();
        for s in 0..10 {
            c.push(row(s, s as f32, s as u64 + 1));
        }
        c.set_note(8, "gone").ok();
        assert_eq!(c.truncate_after(4), 5);
        assert_eq!(c.len(), 5);
        assert_eq!(c.value_max, 4.0);
        assert!(c.notes.is_empty());
        assert!(c.specials.is_empty());
        assert_eq!(c.truncate_after(100), 0);
    }

    #[test]
    fn specials_are_found_by_step_and_seq() {
        let mut c = Curve::default();
        let marked = |mut r: Row| {
            r.marker = Some(EvalMarker::default());
            r
        };
        c.push(row(1, 0.0, 1));
        c.push(row(3, 0.0, 2));
        c.push(marked(row(3, 0.0, 3)));
        c.push(marked(row(2, 0.0, 4))); // inserted before the 3s
        c.push(row(3, 0.0, 5));
        c.set_note(1, "n").ok();
        assert_eq!(c.steps, vec![1, 2, 3, 3, 3]);
        assert_eq!(c.specials_in(0..5), vec![0, 1, 3]);
        assert_eq!(c.specials_in(2..5), vec![1]);
        assert_eq!(c.specials_in(1..3), vec![0]);
        assert_eq!(c.specials_in(4..5), Vec::<usize>::new());
        c.truncate_after(2);
        assert_eq!(c.specials_in(0..2), vec![0, 1]);
        assert_eq!(c.specials.len(), 2);
    }

    #[test]
    fn range_is_inclusive() {
        let mut c = Curve::default();
        for s in [1, 2, 2, 3, 5] {
            c.push(row(s, 0.0, c.len() as u64 + 1));
        }
        assert_eq!(c.range(2, 3), 1..4);
        assert_eq!(c.range(4, 4), 4..4);
        assert_eq!(c.range(6, 9), 5..5);
    }
}
