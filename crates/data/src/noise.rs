//! Seeded label noise: flips an exact share of chosen labels to a different class, so that
//! tests and demos know which samples are mislabelled.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::DataError;

/// RNG stream for label noise, distinct from the split's stream.
const NOISE_STREAM: u64 = 1;

/// One flipped label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flip {
    pub index: usize,
    pub true_label: i64,
    pub noisy_label: i64,
}

/// Checks that a noise fraction lies in `[0, 1]`.
pub(crate) fn check_label_noise(value: f64) -> Result<(), DataError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(DataError::InvalidOption {
            name: "label_noise",
            value: value.to_string(),
            expected: "a fraction of the train labels in [0, 1], e.g. 0.03; 0 disables noise",
        })
    }
}

/// Flips `round(candidates.len() * fraction)` of the labels at `candidates` to a different,
/// uniformly drawn class. Returns the flips sorted by index.
///
/// With fewer than two classes there is no other class to flip to, so nothing changes.
pub(crate) fn flip_labels(
    labels: &mut [i64],
    candidates: &[usize],
    fraction: f64,
    num_classes: usize,
    seed: u64,
) -> Vec<Flip> {
    if num_classes < 2 {
        return Vec::new();
    }
    let count = ((candidates.len() as f64) * fraction).round() as usize;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(NOISE_STREAM);
    let mut chosen = candidates.to_vec();
    chosen.shuffle(&mut rng);
    chosen.truncate(count);
    chosen.sort_unstable();
    let classes = num_classes as i64;
    chosen
        .into_iter()
        .map(|index| {
            let true_label = labels[index];
            // An offset in 1..classes lands on every other class with equal probability and
            // never on the true one.
            let offset = rng.random_range(1..classes);
            let noisy_label = (true_label + offset).rem_euclid(classes);
            labels[index] = noisy_label;
            Flip {
                index,
                true_label,
                noisy_label,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_noise_outside_unit_interval() {
        assert!(check_label_noise(0.0).is_ok());
        assert!(check_label_noise(1.0).is_ok());
        assert!(check_label_noise(1.5).is_err());
        assert!(check_label_noise(f64::NAN).is_err());
    }

    #[test]
    fn single_class_is_never_flipped() {
        let mut labels = vec![0i64; 10];
        assert!(flip_labels(&mut labels, &[0, 1, 2], 1.0, 1, 7).is_empty());
        assert!(labels.iter().all(|&l| l == 0));
    }

    proptest! {
        #[test]
        fn flips_exact_share_to_other_classes(
            labels in proptest::collection::vec(0i64..4, 1..200),
            fraction in 0.0f64..=1.0,
            seed in any::<u64>(),
        ) {
            let original = labels.clone();
            let candidates: Vec<usize> = (0..labels.len()).step_by(2).collect();
            let mut noisy = labels.clone();
            let flips = flip_labels(&mut noisy, &candidates, fraction, 4, seed);
            prop_assert_eq!(flips.len(), (candidates.len() as f64 * fraction).round() as usize);
            for flip in &flips {
                prop_assert!(candidates.contains(&flip.index));
                prop_assert_eq!(flip.true_label, original[flip.index]);
                prop_assert_ne!(flip.noisy_label, flip.true_label);
                prop_assert_eq!(noisy[flip.index], flip.noisy_label);
            }
            let changed = noisy.iter().zip(&original).filter(|(a, b)| a != b).count();
            prop_assert_eq!(changed, flips.len());
        }
    }
}
