//! Chooses which points of a step-sorted curve a reader gets: each step bucket's lowest and
//! highest point, plus the points that must never be hidden (first, last, markers, notes).

use std::ops::Range;

/// Lanes of the min/max scan; eight f32 lanes fill one AVX register, so the loop vectorises.
const LANES: usize = 8;

/// Positions of the lowest and highest non-NaN value (earliest on ties), or `None` when every
/// value is NaN or the slice is empty.
pub(crate) fn min_max_index(values: &[f32]) -> Option<(usize, usize)> {
    if values.len() < LANES * 2 {
        return min_max_index_scalar(values, 0);
    }
    // Each lane keeps its own running extreme so the compiler can keep all lanes in one
    // register; a NaN extreme (only possible from the seed chunk) is replaced by anything.
    let (seed, rest) = values.split_at(LANES);
    let mut lo = [0f32; LANES];
    let mut hi = [0f32; LANES];
    lo.copy_from_slice(seed);
    hi.copy_from_slice(seed);
    let mut lo_at: [u32; LANES] = std::array::from_fn(|l| l as u32);
    let mut hi_at = lo_at;
    let chunks = rest.chunks_exact(LANES);
    let tail = chunks.remainder();
    for (c, chunk) in chunks.enumerate() {
        let base = (LANES + c * LANES) as u32;
        for l in 0..LANES {
            let v = chunk[l];
            let at = base + l as u32;
            if v < lo[l] || lo[l].is_nan() {
                lo[l] = v;
                lo_at[l] = at;
            }
            if v > hi[l] || hi[l].is_nan() {
                hi[l] = v;
                hi_at[l] = at;
            }
        }
    }
    let tail_start = values.len() - tail.len();
    let mut best: Option<(f32, usize, f32, usize)> = None;
    let candidates = (0..LANES)
        .map(|l| (lo[l], lo_at[l] as usize, hi[l], hi_at[l] as usize))
        .chain(
            tail.iter()
                .enumerate()
                .map(|(i, &v)| (v, tail_start + i, v, tail_start + i)),
        );
    for (lv, li, hv, hi_i) in candidates {
        best = Some(match best {
            None => (lv, li, hv, hi_i),
            Some((bl, bli, bh, bhi)) => {
                let (nl, nli) = pick_lower(bl, bli, lv, li);
                let (nh, nhi) = pick_higher(bh, bhi, hv, hi_i);
                (nl, nli, nh, nhi)
            }
        });
    }
    match best {
        Some((l, li, h, hi_i)) if !l.is_nan() && !h.is_nan() => Some((li, hi_i)),
        _ => None,
    }
}

/// The lower of two candidates; NaN loses, ties go to the earlier position.
fn pick_lower(a: f32, ai: usize, b: f32, bi: usize) -> (f32, usize) {
    if a.is_nan() || b < a || (b == a && bi < ai) {
        (b, bi)
    } else {
        (a, ai)
    }
}

/// The higher of two candidates; NaN loses, ties go to the earlier position.
fn pick_higher(a: f32, ai: usize, b: f32, bi: usize) -> (f32, usize) {
    if a.is_nan() || b > a || (b == a && bi < ai) {
        (b, bi)
    } else {
        (a, ai)
    }
}

fn min_max_index_scalar(values: &[f32], offset: usize) -> Option<(usize, usize)> {
    let mut best: Option<(f32, usize, f32, usize)> = None;
    for (i, &v) in values.iter().enumerate() {
        if v.is_nan() {
            continue;
        }
        best = Some(match best {
            None => (v, i, v, i),
            Some((l, li, h, hi)) => {
                let (l, li) = if v < l { (v, i) } else { (l, li) };
                let (h, hi) = if v > h { (v, i) } else { (h, hi) };
                (l, li, h, hi)
            }
        });
    }
    best.map(|(_, li, _, hi)| (li + offset, hi + offset))
}

/// Index bounds of `buckets` equal-width step buckets over `steps` (sorted, non-empty):
/// bucket `k` is `bounds[k]..bounds[k + 1]`. The cost depends on the bucket count, not on how
/// many points a bucket holds.
pub(crate) fn bucket_bounds(steps: &[i64], buckets: usize) -> Vec<usize> {
    let buckets = buckets.max(1);
    let n = steps.len();
    let mut bounds = Vec::with_capacity(buckets + 1);
    bounds.push(0);
    if let (Some(&first), Some(&last)) = (steps.first(), steps.last()) {
        let first = i128::from(first);
        let span = i128::from(last) - first + 1;
        let mut at = 0;
        for k in 1..buckets {
            let edge = first + span * k as i128 / buckets as i128;
            at = lower_bound_from(steps, at, edge);
            bounds.push(at);
        }
    } else {
        bounds.extend(std::iter::repeat_n(0, buckets - 1));
    }
    bounds.push(n);
    bounds
}

/// First index at or after `from` whose step is `>= edge` (`steps[from..]` sorted).
///
/// Starts from an interpolated guess and gallops to the answer: with evenly logged steps the
/// guess is within a probe or two, and every probe stays near the previous bound. A plain
/// binary search over a million-point curve costs ~20 cache misses per bucket edge, which
/// dominated a full-history read.
pub(crate) fn lower_bound_from(steps: &[i64], from: usize, edge: i128) -> usize {
    let n = steps.len();
    let (Some(&start), Some(&end)) = (steps.get(from), steps.last()) else {
        return from.min(n);
    };
    let (start, end) = (i128::from(start), i128::from(end));
    if start >= edge {
        return from;
    }
    if end < edge {
        return n;
    }
    // Here start < edge <= end, so the answer lies in (from, n - 1] and end > start.
    let below = |i: usize| i128::from(steps[i]) < edge;
    let guess = from + ((edge - start) * (n - 1 - from) as i128 / (end - start)) as usize;
    let guess = guess.clamp(from + 1, n - 1);
    let (mut lo, mut hi) = (guess, guess);
    let mut stride = 1;
    if below(guess) {
        // Gallop up; steps[n - 1] >= edge stops it.
        loop {
            let probe = (lo + stride).min(n - 1);
            if !below(probe) {
                hi = probe;
                break;
            }
            lo = probe;
            stride *= 2;
        }
    } else {
        // Gallop down; steps[from] < edge stops it.
        loop {
            let probe = hi.saturating_sub(stride).max(from);
            if below(probe) {
                lo = probe;
                break;
            }
            hi = probe;
            stride *= 2;
        }
    }
    // steps[lo] < edge <= steps[hi], lo < hi.
    lo + 1 + steps[lo + 1..hi].partition_point(|&s| i128::from(s) < edge)
}

/// Smallest budget honoured: a line needs two points.
pub(crate) const MIN_BUDGET: usize = 2;

/// Indices (ascending) of the points to show out of a step-sorted range.
///
/// At most `max_points` ordinary points (two per bucket over `max_points / 2` buckets) plus
/// the first and last point and every index in `specials` (ascending). A range that already
/// fits the budget is returned whole. `extremes` gives the positions of the lowest and
/// highest non-NaN value of an index range (as [`min_max_index`] does for a plain slice); a
/// bucket whose values are all NaN is represented by its first point so the gap stays visible.
pub(crate) fn select(
    steps: &[i64],
    specials: &[usize],
    max_points: usize,
    extremes: impl Fn(Range<usize>) -> Option<(usize, usize)>,
) -> Vec<usize> {
    let n = steps.len();
    let max_points = max_points.max(MIN_BUDGET);
    if n <= max_points {
        return (0..n).collect();
    }
    let bounds = bucket_bounds(steps, max_points / 2);
    let mut picked = Vec::with_capacity(max_points + 2);
    picked.push(0);
    for w in bounds.windows(2) {
        let (start, end) = (w[0], w[1]);
        if start == end {
            continue;
        }
        match extremes(start..end) {
            Some((a, b)) => {
                picked.push(a.min(b));
                if b != a {
                    picked.push(a.max(b));
                }
            }
            None => picked.push(start),
        }
    }
    picked.push(n - 1);
    merge_sorted_unique(&picked, specials)
}

/// [`select`] over a plain value column.
pub(crate) fn select_values(
    steps: &[i64],
    values: &[f32],
    specials: &[usize],
    max_points: usize,
) -> Vec<usize> {
    select(steps, specials, max_points, |r| {
        let start = r.start;
        min_max_index(&values[r]).map(|(l, h)| (start + l, start + h))
    })
}

/// Union of two ascending index lists, ascending and without repeats.
fn merge_sorted_unique(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let next = match (a.get(i), b.get(j)) {
            (Some(&x), Some(&y)) if x <= y => {
                i += 1;
                if x == y {
                    j += 1;
                }
                x
            }
            (Some(_), Some(&y)) => {
                j += 1;
                y
            }
            (Some(&x), None) => {
                i += 1;
                x
            }
            (None, Some(&y)) => {
                j += 1;
                y
            }
            (None, None) => break,
        };
        if out.last() != Some(&next) {
            out.push(next);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn min_max_finds_earliest_extremes_and_skips_nan() {
        let v = [3.0, f32::NAN, 1.0, 5.0, 1.0, 5.0];
        assert_eq!(min_max_index(&v), Some((2, 3)));
        assert_eq!(min_max_index(&[f32::NAN, f32::NAN]), None);
        assert_eq!(min_max_index(&[]), None);
        let mut long: Vec<f32> = (0..100).map(|i| (i % 7) as f32).collect();
        long[0] = f32::NAN;
        long[57] = -1.0;
        long[93] = 9.0;
        assert_eq!(min_max_index(&long), Some((57, 93)));
        let inf = vec![f32::INFINITY; 40];
        assert_eq!(min_max_index(&inf), Some((0, 0)));
    }

    #[test]
    fn buckets_split_the_step_span_evenly() {
        let steps: Vec<i64> = (0..10).collect();
        assert_eq!(bucket_bounds(&steps, 2), vec![0, 5, 10]);
        assert_eq!(bucket_bounds(&steps, 1), vec![0, 10]);
        // Sparse steps: the second half of the span holds one point.
        let steps = [0, 1, 2, 3, 100];
        assert_eq!(bucket_bounds(&steps, 2), vec![0, 4, 5]);
    }

    #[test]
    fn small_ranges_come_back_whole() {
        let steps = [1, 2, 3];
        assert_eq!(
            select_values(&steps, &[1.0, 2.0, 3.0], &[], 10),
            vec![0, 1, 2]
        );
    }

    #[test]
    fn select_keeps_bucket_extremes_and_ends() {
        let steps: Vec<i64> = (0..100).collect();
        let mut values = vec![0.0f32; 100];
        values[30] = 10.0;
        values[70] = -10.0;
        let picked = select_values(&steps, &values, &[55], 4);
        assert!(picked.contains(&0) && picked.contains(&99));
        assert!(picked.contains(&30) && picked.contains(&70) && picked.contains(&55));
        assert!(picked.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn merge_dedupes() {
        assert_eq!(
            merge_sorted_unique(&[0, 2, 4], &[1, 2, 5]),
            vec![0, 1, 2, 4, 5]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(96))]

        #[test]
        fn galloping_search_matches_binary_search(
            deltas in proptest::collection::vec(prop_oneof![4 => 0i64..3, 1 => 0i64..1000], 0..300),
            from in 0usize..310,
            edge in -10i128..20_000,
        ) {
            let steps: Vec<i64> = deltas.iter().scan(0i64, |s, d| { *s += d; Some(*s) }).collect();
            let from = from.min(steps.len());
            let want = from + steps[from..].partition_point(|&s| i128::from(s) < edge);
            prop_assert_eq!(lower_bound_from(&steps, from, edge), want);
        }

        #[test]
        fn lane_scan_matches_scalar(values in proptest::collection::vec(
            prop_oneof![Just(f32::NAN), -5.0f32..5.0, Just(1.0f32)], 0..200)) {
            prop_assert_eq!(min_max_index(&values), min_max_index_scalar(&values, 0));
        }

        #[test]
        fn every_bucket_keeps_its_extremes(
            deltas in proptest::collection::vec(0i64..4, 1..400),
            seed in proptest::collection::vec(-100.0f32..100.0, 400),
            max_points in 2usize..60,
        ) {
            let steps: Vec<i64> = deltas.iter().scan(0i64, |s, d| { *s += d; Some(*s) }).collect();
            let values = &seed[..steps.len()];
            let picked = select_values(&steps, values, &[], max_points);
            prop_assert!(picked.windows(2).all(|w| w[0] < w[1]));
            if steps.len() > max_points {
                prop_assert!(picked.len() <= max_points + 2);
                let bounds = bucket_bounds(&steps, max_points / 2);
                for w in bounds.windows(2) {
                    if w[0] == w[1] { continue; }
                    let bucket = &values[w[0]..w[1]];
                    let lo = bucket.iter().copied().fold(f32::INFINITY, f32::min);
                    let hi = bucket.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let kept: Vec<f32> = picked.iter().filter(|&&i| i >= w[0] && i < w[1]).map(|&i| values[i]).collect();
                    prop_assert!(kept.contains(&lo) && kept.contains(&hi));
                }
            } else {
                prop_assert_eq!(picked.len(), steps.len());
            }
        }
    }
}
