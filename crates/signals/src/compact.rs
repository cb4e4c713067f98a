//! Keeps a curve inside its point budget by thinning its older half, so a long run stays
//! visible end to end while its recent part keeps full resolution.

use crate::curve::{Curve, SPECIAL};

/// Ordinary points merged per group; each group keeps its lowest and highest point, so the
/// older half shrinks by half and the envelope of the data is unchanged.
const GROUP: usize = 4;

/// Thins `curve` when it holds more than `cap` points. Markers, noted points and the very
/// first point are kept as they are. Returns how many points were dropped.
pub(crate) fn enforce_cap(curve: &mut Curve, cap: usize) -> usize {
    if curve.len() <= cap || curve.len() < curve.compact_floor {
        return 0;
    }
    // One pass leaves about 3/4 of the points; repeat until under the cap. When a pass frees
    // little (the old half is mostly markers and notes), stop and wait for real growth
    // before scanning again instead of rescanning on every append.
    let mut dropped = 0;
    loop {
        let freed = thin_older_half(curve);
        dropped += freed;
        if curve.len() <= cap {
            curve.compact_floor = 0;
            break;
        }
        if freed < curve.len() / 16 {
            curve.compact_floor = curve.len() + cap / 4 + 1;
            break;
        }
    }
    tracing::debug!(
        dropped,
        remaining = curve.len(),
        cap,
        "thinned the older half of a curve"
    );
    dropped
}

fn thin_older_half(curve: &mut Curve) -> usize {
    let n = curve.len();
    let half = n / 2;
    let mut keep = vec![true; n];
    let mut group: [usize; GROUP] = [0; GROUP];
    let mut filled = 0;
    for i in 1..half {
        if curve.flags[i] & SPECIAL != 0 {
            continue;
        }
        group[filled] = i;
        filled += 1;
        if filled == GROUP {
            let (lo, hi) = group_extremes(&curve.values, &group);
            for &g in &group {
                keep[g] = g == lo || g == hi;
            }
            filled = 0;
        }
    }
    let dropped = keep.iter().filter(|k| !**k).count();
    if dropped > 0 {
        curve.retain_mask(&keep);
    }
    dropped
}

/// Indices (from `group`) of the lowest and highest value; NaN never wins unless all are NaN,
/// in which case the first point stands for the group.
fn group_extremes(values: &[f32], group: &[usize; GROUP]) -> (usize, usize) {
    let mut lo: Option<usize> = None;
    let mut hi: Option<usize> = None;
    for &g in group {
        let v = values[g];
        if v.is_nan() {
            continue;
        }
        if lo.is_none_or(|l| v < values[l]) {
            lo = Some(g);
        }
        if hi.is_none_or(|h| v > values[h]) {
            hi = Some(g);
        }
    }
    let first = group[0];
    (lo.unwrap_or(first), hi.unwrap_or(first))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::Row;
    use crate::types::EvalMarker;
    use proptest::prelude::*;

    fn row(step: i64, value: f32, seq: u64, marker: bool) -> Row {
        Row {
            step,
            value,
            timestamp: 0,
            seq,
            audit_mode: false,
            band: None,
            marker: marker.then(EvalMarker::default),
        }
    }

    #[test]
    fn under_cap_is_untouched() {
        let mut c = Curve::default();
        for s in 0..10 {
            c.push(row(s, s as f32, s as u64 + 1, false));
        }
        assert_eq!(enforce_cap(&mut c, 10), 0);
        assert_eq!(c.len(), 10);
    }

    #[test]
    fn thinning_halves_the_old_half_and_keeps_the_new_half() {
        let mut c = Curve::default();
        for s in 0..101 {
            c.push(row(s, (s % 5) as f32, s as u64 + 1, false));
        }
        let dropped = enforce_cap(&mut c, 100);
        assert!(dropped >= 20, "dropped {dropped}");
        assert_eq!(c.steps[0], 0);
        assert!(c.steps.ends_with(&(50..101).collect::<Vec<_>>()));
        assert_eq!(c.compact_floor, 0);
    }

    #[test]
    fn all_special_old_half_backs_off() {
        let mut c = Curve::default();
        for s in 0..40 {
            c.push(row(s, 0.0, s as u64 + 1, true));
        }
        assert_eq!(enforce_cap(&mut c, 16), 0);
        assert!(c.compact_floor > 40);
        c.push(row(40, 0.0, 41, false));
        // Below the floor: no rescan.
        assert_eq!(enforce_cap(&mut c, 16), 0);
    }

    proptest! {
        #[test]
        fn thinning_preserves_envelope_specials_and_order(
            values in proptest::collection::vec(-50.0f32..50.0, 20..300),
            markers in proptest::collection::vec(proptest::bool::weighted(0.1), 300),
            cap in 16usize..64,
        ) {
            let mut c = Curve::default();
            for (i, &v) in values.iter().enumerate() {
                c.push(row(i as i64 / 2, v, i as u64 + 1, markers[i]));
                enforce_cap(&mut c, cap);
            }
            let lo = values.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            prop_assert!(c.values.contains(&lo) && c.values.contains(&hi));
            prop_assert_eq!(c.value_min, lo);
            prop_assert_eq!(c.value_max, hi);
            prop_assert_eq!(c.steps[0], 0);
            prop_assert_eq!(c.seqs[0], 1);
            prop_assert!(c.steps.windows(2).all(|w| w[0] <= w[1]));
            prop_assert!(c.seqs.windows(2).all(|w| w[0] < w[1]));
            let marked = markers[..values.len()].iter().filter(|m| **m).count();
            prop_assert_eq!(c.markers.len(), marked);
            prop_assert_eq!(c.flags.iter().filter(|f| **f & SPECIAL != 0).count(), marked);
            prop_assert_eq!(
                c.summary.min_max(&c.values, 0..c.len()),
                crate::downsample::min_max_index(&c.values)
            );
            let specials = c.specials.len();
            prop_assert_eq!(specials, marked);
            prop_assert!(c.len() <= cap.max(3 * specials + 3) + cap / 4 + 2,
                "len {} cap {} specials {}", c.len(), cap, specials);
        }
    }
}
