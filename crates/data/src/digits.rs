//! `BuiltinDigits`: the 10,000 MNIST digits embedded in the binary, with a seeded
//! train/val split and seeded label noise whose ground truth can be written for tests.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::dataset::{origin, task};
use crate::noise::{Flip, check_label_noise, flip_labels};
use crate::normalise::PixelNormaliser;
use crate::split::{check_val_fraction, stratified_val_mask};
use crate::{DataError, Dataset, ImageSource, InputShape};

const SIDE: usize = 28;
const PLANE: usize = SIDE * SIDE;
const NUM_CLASSES: usize = 10;
/// The usual MNIST statistics, so features match what MNIST models expect.
const MNIST_MEAN: f32 = 0.1307;
const MNIST_STD: f32 = 0.3081;

const MANIFEST: &str = include_str!("../assets/digits/manifest.json");
const SHEETS: [&[u8]; NUM_CLASSES] = [
    include_bytes!("../assets/digits/digit_0.png"),
    include_bytes!("../assets/digits/digit_1.png"),
    include_bytes!("../assets/digits/digit_2.png"),
    include_bytes!("../assets/digits/digit_3.png"),
    include_bytes!("../assets/digits/digit_4.png"),
    include_bytes!("../assets/digits/digit_5.png"),
    include_bytes!("../assets/digits/digit_6.png"),
    include_bytes!("../assets/digits/digit_7.png"),
    include_bytes!("../assets/digits/digit_8.png"),
    include_bytes!("../assets/digits/digit_9.png"),
];

/// Options of [`BuiltinDigits::load`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DigitsOptions {
    /// Share of the train labels flipped to a different class (0 disables). Default 0.03.
    pub label_noise: f64,
    /// Seed of the split and of the noise. Default 42.
    pub seed: u64,
    /// Share of the samples held out as "val". Default 0.2.
    pub val_fraction: f64,
}

impl Default for DigitsOptions {
    fn default() -> Self {
        Self {
            label_noise: 0.03,
            seed: 42,
            val_fraction: 0.2,
        }
    }
}

#[derive(Deserialize)]
struct Manifest {
    tile: usize,
    columns: usize,
    counts: Vec<usize>,
    #[cfg_attr(not(test), allow(dead_code))]
    pixels_sha256: Vec<String>,
}

/// Decoded grey levels of all digits, `PLANE` bytes per image, digit 0's images first.
struct Decoded {
    pixels: Arc<[u8]>,
    labels: Vec<u8>,
}

/// The built-in digits dataset. Sample `i` has id `i.to_string()`; ids run through the
/// digits in order (all 0s, then all 1s, …) and are stable across runs and options.
pub struct BuiltinDigits {
    ids: Vec<String>,
    origins: Vec<&'static str>,
    labels: Vec<i64>,
    true_labels: Vec<i64>,
    pixels: Arc<[u8]>,
    flips: Vec<Flip>,
    flipped_ids: Vec<String>,
    class_names: Vec<String>,
    normaliser: PixelNormaliser,
}

#[derive(Serialize)]
struct GroundTruth<'a> {
    flipped: Vec<FlipRecord<'a>>,
}

#[derive(Serialize)]
struct FlipRecord<'a> {
    sample_id: &'a str,
    true_label: i64,
    noisy_label: i64,
}

impl BuiltinDigits {
    /// Decodes the embedded digits (once per process; later loads reuse the pixels), splits
    /// them and applies the label noise.
    pub fn load(options: DigitsOptions) -> Result<Self, DataError> {
        check_label_noise(options.label_noise)?;
        check_val_fraction(options.val_fraction)?;
        let decoded = decoded()?;
        let len = decoded.labels.len();
        let classes: Vec<usize> = decoded.labels.iter().map(|&l| usize::from(l)).collect();
        let is_val = stratified_val_mask(&classes, NUM_CLASSES, options.val_fraction, options.seed);
        let origins: Vec<&'static str> = is_val
            .iter()
            .map(|&v| if v { origin::VAL } else { origin::TRAIN })
            .collect();
        let true_labels: Vec<i64> = decoded.labels.iter().map(|&l| i64::from(l)).collect();
        let mut labels = true_labels.clone();
        let train: Vec<usize> = (0..len).filter(|&i| !is_val[i]).collect();
        let flips = flip_labels(
            &mut labels,
            &train,
            options.label_noise,
            NUM_CLASSES,
            options.seed,
        );
        let ids: Vec<String> = (0..len).map(|i| i.to_string()).collect();
        let flipped_ids = flips.iter().map(|f| ids[f.index].clone()).collect();
        tracing::debug!(
            samples = len,
            val = len - train.len(),
            flipped = flips.len(),
            "loaded built-in digits"
        );
        Ok(Self {
            ids,
            origins,
            labels,
            true_labels,
            pixels: Arc::clone(&decoded.pixels),
            flips,
            flipped_ids,
            class_names: (0..NUM_CLASSES).map(|d| d.to_string()).collect(),
            normaliser: PixelNormaliser::new(&[MNIST_MEAN], &[MNIST_STD]),
        })
    }

    /// Ids of the train samples whose label was flipped, in index order.
    pub fn flipped_ids(&self) -> &[String] {
        &self.flipped_ids
    }

    /// The label before noise was applied.
    pub fn true_label(&self, index: usize) -> i64 {
        self.true_labels[index]
    }

    /// Writes `{"flipped": [{"sample_id", "true_label", "noisy_label"}, …]}` to `path`.
    /// For tests and demos only: the service must never expose it to clients.
    pub fn write_ground_truth(&self, path: impl AsRef<Path>) -> Result<(), DataError> {
        let path = path.as_ref();
        let truth = GroundTruth {
            flipped: self
                .flips
                .iter()
                .map(|f| FlipRecord {
                    sample_id: &self.ids[f.index],
                    true_label: f.true_label,
                    noisy_label: f.noisy_label,
                })
                .collect(),
        };
        let bytes = serde_json::to_vec_pretty(&truth).map_err(|e| DataError::Io {
            path: path.to_path_buf(),
            source: e.into(),
        })?;
        std::fs::write(path, bytes).map_err(|e| DataError::from_io(path, e))
    }

    fn pixels_of(&self, index: usize) -> &[u8] {
        &self.pixels[index * PLANE..(index + 1) * PLANE]
    }
}

impl Dataset for BuiltinDigits {
    fn name(&self) -> &str {
        "digits"
    }

    fn len(&self) -> usize {
        self.ids.len()
    }

    fn sample_id(&self, index: usize) -> &str {
        &self.ids[index]
    }

    fn origin(&self, index: usize) -> &str {
        self.origins[index]
    }

    fn label(&self, index: usize) -> i64 {
        self.labels[index]
    }

    fn num_classes(&self) -> usize {
        NUM_CLASSES
    }

    fn class_names(&self) -> &[String] {
        &self.class_names
    }

    fn input_shape(&self) -> InputShape {
        InputShape::Image {
            channels: 1,
            height: SIDE,
            width: SIDE,
        }
    }

    fn write_features(&self, index: usize, out: &mut [f32]) {
        self.normaliser.write(self.pixels_of(index), PLANE, out);
    }

    fn image(&self, index: usize) -> Result<ImageSource, DataError> {
        Ok(ImageSource::Gray8 {
            width: SIDE as u32,
            height: SIDE as u32,
            pixels: Arc::from(self.pixels_of(index)),
        })
    }

    fn task_type(&self) -> &str {
        task::CLASSIFICATION
    }
}

/// The decoded sheets, shared by every load in the process.
fn decoded() -> Result<&'static Decoded, DataError> {
    static CELL: OnceLock<Decoded> = OnceLock::new();
    if let Some(d) = CELL.get() {
        return Ok(d);
    }
    let fresh = decode_sheets()?;
    // A concurrent loader may have won the race; either result is identical.
    Ok(CELL.get_or_init(|| fresh))
}

fn manifest() -> Result<Manifest, DataError> {
    let manifest: Manifest = serde_json::from_str(MANIFEST)
        .map_err(|e| DataError::bad_format("embedded digits manifest.json", e.to_string()))?;
    if manifest.tile != SIDE || manifest.columns == 0 || manifest.counts.len() != NUM_CLASSES {
        return Err(DataError::bad_format(
            "embedded digits manifest.json",
            format!(
                "expected 28-pixel tiles, a non-zero column count and 10 counts, got tile {}, columns {}, {} counts",
                manifest.tile,
                manifest.columns,
                manifest.counts.len()
            ),
        ));
    }
    Ok(manifest)
}

fn decode_sheets() -> Result<Decoded, DataError> {
    let manifest = manifest()?;
    let total: usize = manifest.counts.iter().sum();
    let mut pixels = vec![0u8; total * PLANE];
    let mut labels = Vec::with_capacity(total);
    let mut next = 0usize;
    for (digit, (&sheet, &count)) in SHEETS.iter().zip(&manifest.counts).enumerate() {
        let location = format!("embedded digit_{digit}.png");
        let image = image::load_from_memory_with_format(sheet, image::ImageFormat::Png)
            .map_err(|source| DataError::Image {
                location: location.clone(),
                source,
            })?
            .into_luma8();
        let width = image.width() as usize;
        let rows = count.div_ceil(manifest.columns);
        if width != manifest.columns * SIDE || image.height() as usize != rows * SIDE {
            return Err(DataError::bad_format(
                location,
                format!(
                    "sheet is {}x{}, expected {}x{} for {count} tiles",
                    width,
                    image.height(),
                    manifest.columns * SIDE,
                    rows * SIDE
                ),
            ));
        }
        let sheet = image.as_raw();
        for n in 0..count {
            let (tx, ty) = (n % manifest.columns * SIDE, n / manifest.columns * SIDE);
            let dst = &mut pixels[(next + n) * PLANE..(next + n + 1) * PLANE];
            for (y, row) in dst.chunks_exact_mut(SIDE).enumerate() {
                let start = (ty + y) * width + tx;
                row.copy_from_slice(&sheet[start..start + SIDE]);
            }
        }
        labels.extend(std::iter::repeat_n(digit as u8, count));
        next += count;
    }
    Ok(Decoded {
        pixels: pixels.into(),
        labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::collections::HashSet;

    fn load_default() -> BuiltinDigits {
        BuiltinDigits::load(DigitsOptions::default()).expect("digits load")
    }

    #[test]
    fn decoded_pixels_match_the_source_package() {
        let manifest = manifest().unwrap();
        let digits = load_default();
        let mut start = 0;
        for (digit, &count) in manifest.counts.iter().enumerate() {
            let bytes = &digits.pixels[start * PLANE..(start + count) * PLANE];
            assert_eq!(
                hex::encode(Sha256::digest(bytes)),
                manifest.pixels_sha256[digit],
                "digit {digit}"
            );
            start += count;
        }
    }

    #[test]
    fn has_ten_thousand_samples_split_eight_to_two() {
        let d = load_default();
        assert_eq!(d.len(), 10_000);
        assert_eq!(crate::indices_of(&d, "train").len(), 8_000);
        assert_eq!(crate::indices_of(&d, "val").len(), 2_000);
        assert!(crate::indices_of(&d, "test").is_empty());
        let ids: HashSet<&str> = (0..d.len()).map(|i| d.sample_id(i)).collect();
        assert_eq!(ids.len(), 10_000);
        assert_eq!(d.sample_id(0), "0");
        assert_eq!(d.sample_id(9_999), "9999");
        for class in 0..10 {
            let n = (0..d.len()).filter(|&i| d.true_label(i) == class).count();
            assert!((850..=1150).contains(&n), "class {class} has {n}");
        }
        assert_eq!(d.input_shape().len(), 784);
        assert_eq!(d.class_names().len(), 10);
    }

    #[test]
    fn flips_exactly_three_percent_of_train_and_nothing_else() {
        let d = load_default();
        assert_eq!(d.flipped_ids().len(), 240);
        let flipped: HashSet<&str> = d.flipped_ids().iter().map(String::as_str).collect();
        for i in 0..d.len() {
            let changed = d.label(i) != d.true_label(i);
            assert_eq!(changed, flipped.contains(d.sample_id(i)), "sample {i}");
            if changed {
                assert_eq!(d.origin(i), "train");
            }
        }
    }

    #[test]
    fn loads_are_deterministic_and_seed_sensitive() {
        let a = load_default();
        let b = load_default();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.flipped_ids(), b.flipped_ids());
        let other = BuiltinDigits::load(DigitsOptions {
            seed: 7,
            ..DigitsOptions::default()
        })
        .unwrap();
        assert_ne!(a.fingerprint(), other.fingerprint());
        let clean = BuiltinDigits::load(DigitsOptions {
            label_noise: 0.0,
            ..DigitsOptions::default()
        })
        .unwrap();
        assert!(clean.flipped_ids().is_empty());
        // Noise must not move the split.
        assert!((0..a.len()).all(|i| a.origin(i) == clean.origin(i)));
    }

    #[test]
    fn ground_truth_file_lists_the_flips() {
        let d = load_default();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("truth.json");
        d.write_ground_truth(&path).unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let flipped = json["flipped"].as_array().unwrap();
        assert_eq!(flipped.len(), d.flipped_ids().len());
        for (entry, id) in flipped.iter().zip(d.flipped_ids()) {
            assert_eq!(entry["sample_id"].as_str().unwrap(), id);
            let index: usize = id.parse().unwrap();
            assert_eq!(entry["true_label"].as_i64().unwrap(), d.true_label(index));
            assert_eq!(entry["noisy_label"].as_i64().unwrap(), d.label(index));
            assert_ne!(d.label(index), d.true_label(index));
        }
    }

    #[test]
    fn features_and_image_agree() {
        let d = load_default();
        let mut out = vec![0f32; 784];
        d.write_features(123, &mut out);
        let ImageSource::Gray8 {
            width,
            height,
            pixels,
        } = d.image(123).unwrap()
        else {
            panic!("digits images are Gray8");
        };
        assert_eq!((width, height), (28, 28));
        for (f, &p) in out.iter().zip(pixels.iter()) {
            assert!((f - (p as f32 / 255.0 - MNIST_MEAN) / MNIST_STD).abs() < 1e-5);
        }
        assert!(pixels.iter().any(|&p| p > 200), "a digit has ink");
    }

    #[test]
    fn rejects_bad_options() {
        let bad_noise = DigitsOptions {
            label_noise: 2.0,
            ..DigitsOptions::default()
        };
        assert!(matches!(
            BuiltinDigits::load(bad_noise),
            Err(DataError::InvalidOption {
                name: "label_noise",
                ..
            })
        ));
        let bad_split = DigitsOptions {
            val_fraction: 1.0,
            ..DigitsOptions::default()
        };
        assert!(matches!(
            BuiltinDigits::load(bad_split),
            Err(DataError::InvalidOption {
                name: "val_fraction",
                ..
            })
        ));
    }
}
