//! Per-block extremes of a curve's values, so a bucket's lowest and highest point are found by
//! reading one summary per 64 points instead of every point.

use std::ops::Range;

use crate::downsample::min_max_index;

/// Points per block. 64 keeps the summaries under 2% of the value column while a bucket of a
/// 1M-point curve at a 1000-point budget reads ~30 summaries and at most ~126 raw values.
pub(crate) const BLOCK: usize = 64;

/// Marks a block whose values are all NaN (no extreme).
const NONE: u8 = u8::MAX;

/// Lowest and highest value of each block of `BLOCK` consecutive points and where in the
/// block it sits (earliest on ties; NaN ignored).
#[derive(Debug, Default, Clone)]
pub(crate) struct Summaries {
    lo: Vec<f32>,
    lo_at: Vec<u8>,
    hi: Vec<f32>,
    hi_at: Vec<u8>,
}

impl Summaries {
    /// Accounts for `values[len - 1]`, just appended at the end of `values`.
    pub fn push(&mut self, values: &[f32]) {
        let Some(&v) = values.last() else {
            return;
        };
        let at = values.len() - 1;
        let block = at / BLOCK;
        let offset = (at % BLOCK) as u8;
        if block == self.lo.len() {
            let at = if v.is_nan() { NONE } else { offset };
            self.lo.push(v);
            self.lo_at.push(at);
            self.hi.push(v);
            self.hi_at.push(at);
            return;
        }
        if v.is_nan() {
            return;
        }
        if self.lo_at[block] == NONE || v < self.lo[block] {
            self.lo[block] = v;
            self.lo_at[block] = offset;
        }
        if self.hi_at[block] == NONE || v > self.hi[block] {
            self.hi[block] = v;
            self.hi_at[block] = offset;
        }
    }

    /// Recomputes every block; used after a change in the middle (insert, thinning).
    pub fn rebuild(&mut self, values: &[f32]) {
        self.lo.clear();
        self.lo_at.clear();
        self.hi.clear();
        self.hi_at.clear();
        for chunk in values.chunks(BLOCK) {
            self.push_block(chunk);
        }
    }

    /// Recomputes after `values` lost its tail.
    pub fn truncate(&mut self, values: &[f32]) {
        let full = values.len() / BLOCK;
        self.lo.truncate(full);
        self.lo_at.truncate(full);
        self.hi.truncate(full);
        self.hi_at.truncate(full);
        let rest = &values[full * BLOCK..];
        if !rest.is_empty() {
            self.push_block(rest);
        }
    }

    fn push_block(&mut self, chunk: &[f32]) {
        let (lo, lo_at, hi, hi_at) = match min_max_index(chunk) {
            Some((l, h)) => (chunk[l], l as u8, chunk[h], h as u8),
            None => (f32::NAN, NONE, f32::NAN, NONE),
        };
        self.lo.push(lo);
        self.lo_at.push(lo_at);
        self.hi.push(hi);
        self.hi_at.push(hi_at);
    }

    /// Positions (in `values`) of the lowest and highest non-NaN value in `range`, earliest on
    /// ties; `None` when the range holds only NaN. `values` is the column summarised.
    pub fn min_max(&self, values: &[f32], range: Range<usize>) -> Option<(usize, usize)> {
        let Range { start, end } = range;
        let first_full = start.div_ceil(BLOCK);
        let last_full = end / BLOCK;
        if first_full >= last_full {
            return min_max_index(&values[start..end]).map(|(l, h)| (start + l, start + h));
        }
        let mut best = Extremes::default();
        let head_block = start / BLOCK;
        if start < first_full * BLOCK {
            self.offer_part(values, head_block, start..first_full * BLOCK, &mut best);
        }
        for b in first_full..last_full {
            if self.lo_at[b] != NONE {
                let base = b * BLOCK;
                best.offer(
                    self.lo[b],
                    base + self.lo_at[b] as usize,
                    self.hi[b],
                    base + self.hi_at[b] as usize,
                );
            }
        }
        if last_full * BLOCK < end {
            self.offer_part(values, last_full, last_full * BLOCK..end, &mut best);
        }
        best.found()
    }
}

impl Summaries {
    /// Offers the extremes of `part`, a piece of block `b`. A block extreme that falls inside
    /// the piece is also the piece's extreme (earliest on ties, as the block's is), so only a
    /// side whose block extreme lies outside needs a scan.
    fn offer_part(&self, values: &[f32], b: usize, part: Range<usize>, best: &mut Extremes) {
        let base = b * BLOCK;
        let inside = |offset: u8| offset != NONE && part.contains(&(base + offset as usize));
        let (lo_in, hi_in) = (inside(self.lo_at[b]), inside(self.hi_at[b]));
        let scanned = if lo_in && hi_in {
            None
        } else {
            min_max_index(&values[part.clone()]).map(|(l, h)| (part.start + l, part.start + h))
        };
        let lo_at = if lo_in {
            Some(base + self.lo_at[b] as usize)
        } else {
            scanned.map(|(l, _)| l)
        };
        let hi_at = if hi_in {
            Some(base + self.hi_at[b] as usize)
        } else {
            scanned.map(|(_, h)| h)
        };
        if let (Some(l), Some(h)) = (lo_at, hi_at) {
            best.offer(values[l], l, values[h], h);
        }
    }
}

/// Running extremes over pieces visited in index order, so strict comparisons keep the
/// earliest position on ties.
#[derive(Default)]
struct Extremes {
    lo: Option<(f32, usize)>,
    hi: Option<(f32, usize)>,
}

impl Extremes {
    fn offer(&mut self, lo: f32, lo_at: usize, hi: f32, hi_at: usize) {
        if self.lo.is_none_or(|(v, _)| lo < v) {
            self.lo = Some((lo, lo_at));
        }
        if self.hi.is_none_or(|(v, _)| hi > v) {
            self.hi = Some((hi, hi_at));
        }
    }

    fn found(&self) -> Option<(usize, usize)> {
        Some((self.lo?.1, self.hi?.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn built(values: &[f32]) -> Summaries {
        let mut s = Summaries::default();
        for n in 1..=values.len() {
            s.push(&values[..n]);
        }
        s
    }

    #[test]
    fn nan_blocks_are_skipped() {
        let mut values = vec![f32::NAN; 200];
        values[150] = 2.0;
        values[10] = 2.0;
        let s = built(&values);
        assert_eq!(s.min_max(&values, 0..200), Some((10, 10)));
        assert_eq!(s.min_max(&values, 64..128), None);
        assert_eq!(s.min_max(&values, 11..200), Some((150, 150)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn summary_query_matches_a_full_scan(
            values in proptest::collection::vec(
                prop_oneof![1 => Just(f32::NAN), 8 => -20.0f32..20.0, 1 => Just(3.0f32)], 0..700),
            cuts in proptest::collection::vec((0usize..700, 0usize..700), 1..20),
            shrink in 0usize..700,
        ) {
            let mut s = built(&values);
            let mut rebuilt = Summaries::default();
            rebuilt.rebuild(&values);
            let mut vals = values.clone();
            for round in 0..2 {
                for &(a, b) in &cuts {
                    let (a, b) = (a.min(b).min(vals.len()), a.max(b).min(vals.len()));
                    let want = min_max_index(&vals[a..b]).map(|(l, h)| (a + l, a + h));
                    prop_assert_eq!(s.min_max(&vals, a..b), want);
                    if round == 0 {
                        prop_assert_eq!(rebuilt.min_max(&vals, a..b), want);
                    }
                }
                vals.truncate(shrink.min(vals.len()));
                s.truncate(&vals);
            }
        }
    }
}
