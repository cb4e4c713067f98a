//! Chooses which points of a step-sorted curve a reader gets: each step bucket's lowest and
//! highest point, plus the points that must never be hidden (first, last, markers, notes).

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
/// bucket `k` is `bounds[k]..bounds[k + 1]`. Found by binary search, so the cost does not
/// depend on how many points a bucket holds.
pub(crate) fn bucket_bounds(steps: &[i64], buckets: usize) -> Vec<usize> {
    let buckets = buckets.max(1);
    let n = steps.len();
    let mut bounds = Vec::with_capacity(buckets + 1);
    bounds.push(0);
    if let (Some(&first), Some(&last)) = (steps.first(), steps.last()) {
        let first = i128::from(first);
        let span = i128::from(last) - first + 1;
        for k in 1..buckets {
            let edge = first + span * k as i128 / buckets as i128;
            bounds.push(steps.partition_point(|&s| i128::from(s) < edge));
        }
    } else {
        bounds.extend(std::iter::repeat_n(0, buckets - 1));
    }
    bounds.push(n);
    bounds
}

/// Smallest budget honoured: a line needs two points.
pub(crate) const MIN_BUDGET: usize = 2;

/// Indices (ascending) of the points to show out of a step-sorted range.
///
/// At most `max_points` ordinary points (two per bucket over `max_points / 2` buckets) plus
/// the first and last point and every index in `specials` (ascending). A range that already
/// fits the budget is returned whole. A bucket whose values are all NaN is represented by its
/// first point so that the gap stays visible.
pub(crate) fn select(
    steps: &[i64],
    values: &[f32],
    specials: &[usize],
    max_points: usize,
) -> Vec<usize> {
    let n = steps.len().min(values.len());
    let max_points = max_points.max(MIN_BUDGET);
    if n <= max_points {
        return (0..n).collect();
    }
    let bounds = bucket_bounds(&steps[..n], max_points / 2);
    let mut picked = Vec::with_capacity(max_points + 2);
    picked.push(0);
    for w in bounds.windows(2) {
        let (start, end) = (w[0], w[1]);
        if start == end {
            continue;
        }
        match min_max_index(&values[start..end]) {
            Some((a, b)) => {
                let (a, b) = (start + a.min(b), start + a.max(b));
                picked.push(a);
                if b != a {
                    picked.push(b);
                }
            }
            None => picked.push(start),
        }
    }
    picked.push(n - 1);
    merge_sorted_unique(&picked, specials)
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
        assert_eq!(select(&steps, &[1.0, 2.0, 3.0], &[], 10), vec![0, 1, 2]);
    }

    #[test]
    fn select_keeps_bucket_extremes_and_ends() {
        let steps: Vec<i64> = (0..100).collect();
        let mut values = vec![0.0f32; 100];
        values[30] = 10.0;
        values[70] = -10.0;
        let picked = select(&steps, &values, &[55], 4);
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
            let picked = select(&steps, values, &[], max_points);
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
