//! Seeded, stratified train/val splitting shared by the loaders that have no split on disk.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::DataError;

/// RNG stream for the split, kept apart from other seeded draws (label noise) so that
/// changing one option never reshuffles the other.
const SPLIT_STREAM: u64 = 0;

/// Checks that a fraction option lies in `[0, 1)`.
pub(crate) fn check_val_fraction(value: f64) -> Result<(), DataError> {
    if (0.0..1.0).contains(&value) {
        Ok(())
    } else {
        Err(DataError::InvalidOption {
            name: "val_fraction",
            value: value.to_string(),
            expected: "a number in [0, 1), e.g. 0.2 for a 80/20 train/val split",
        })
    }
}

/// Marks which samples go to validation: exactly `round(len * val_fraction)` of them, spread
/// over the classes in proportion to their sizes (largest remainder), the members of each
/// class chosen by a shuffle seeded with `seed`.
///
/// `labels[i]` must be below `num_classes`.
pub(crate) fn stratified_val_mask(
    labels: &[usize],
    num_classes: usize,
    val_fraction: f64,
    seed: u64,
) -> Vec<bool> {
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); num_classes];
    for (index, &label) in labels.iter().enumerate() {
        members[label].push(index);
    }
    let quotas = apportion(
        &members.iter().map(Vec::len).collect::<Vec<_>>(),
        val_fraction,
    );
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(SPLIT_STREAM);
    let mut is_val = vec![false; labels.len()];
    for (class_members, quota) in members.iter_mut().zip(quotas) {
        class_members.shuffle(&mut rng);
        for &index in &class_members[..quota] {
            is_val[index] = true;
        }
    }
    is_val
}

/// Splits `round(total * fraction)` over groups of the given sizes by the largest-remainder
/// method, so the per-group shares add up exactly and each is within one of its ideal.
fn apportion(sizes: &[usize], fraction: f64) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    let target = ((total as f64) * fraction).round() as usize;
    let ideal: Vec<f64> = sizes.iter().map(|&n| n as f64 * fraction).collect();
    let mut quotas: Vec<usize> = sizes
        .iter()
        .zip(&ideal)
        .map(|(&n, &q)| (q.floor() as usize).min(n))
        .collect();
    let mut by_remainder: Vec<usize> = (0..sizes.len()).collect();
    // Stable sort: equal remainders go to the lower class index, which keeps it deterministic.
    by_remainder.sort_by(|&a, &b| {
        let ra = ideal[a] - ideal[a].floor();
        let rb = ideal[b] - ideal[b].floor();
        rb.total_cmp(&ra)
    });
    // One pass is enough: the shortfall is at most the number of groups with a fractional
    // share, and those always have room below their size because fraction < 1.
    let mut missing = target.saturating_sub(quotas.iter().sum());
    for &group in &by_remainder {
        if missing == 0 {
            break;
        }
        if quotas[group] < sizes[group] {
            quotas[group] += 1;
            missing -= 1;
        }
    }
    quotas
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_fractions_outside_unit_interval() {
        assert!(check_val_fraction(0.0).is_ok());
        assert!(check_val_fraction(0.5).is_ok());
        assert!(check_val_fraction(1.0).is_err());
        assert!(check_val_fraction(-0.1).is_err());
        assert!(check_val_fraction(f64::NAN).is_err());
    }

    #[test]
    fn apportions_exact_total() {
        assert_eq!(apportion(&[5, 5], 0.5), vec![3, 2]);
        assert_eq!(apportion(&[10, 0, 10], 0.2), vec![2, 0, 2]);
        assert_eq!(apportion(&[1, 1, 1], 0.5), vec![1, 1, 0]);
    }

    proptest! {
        #[test]
        fn split_is_exact_stratified_and_deterministic(
            labels in proptest::collection::vec(0usize..5, 0..300),
            fraction in 0.0f64..0.95,
            seed in any::<u64>(),
        ) {
            let mask = stratified_val_mask(&labels, 5, fraction, seed);
            prop_assert_eq!(mask.len(), labels.len());
            let val = mask.iter().filter(|&&v| v).count();
            prop_assert_eq!(val, (labels.len() as f64 * fraction).round() as usize);
            for class in 0..5 {
                let n = labels.iter().filter(|&&l| l == class).count();
                let v = labels.iter().zip(&mask).filter(|&(&l, &m)| l == class && m).count();
                prop_assert!((v as f64 - n as f64 * fraction).abs() < 1.0 + 1e-9);
            }
            prop_assert_eq!(stratified_val_mask(&labels, 5, fraction, seed), mask);
        }
    }
}
