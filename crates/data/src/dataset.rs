//! The `Dataset` trait every loader implements, its value types, and helpers shared by all datasets.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use crate::DataError;

/// The `Dataset` accessors a loader answers straight from its fields `name`, `ids`,
/// `origins`, `labels` and `class_names` (every file-backed loader keeps them that way).
macro_rules! sample_table_accessors {
    () => {
        fn name(&self) -> &str {
            &self.name
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
            self.class_names.len()
        }
        fn class_names(&self) -> &[String] {
            &self.class_names
        }
    };
}

/// The shape of one model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputShape {
    /// An image tensor laid out row-major as C, H, W.
    Image {
        channels: usize,
        height: usize,
        width: usize,
    },
    /// A flat feature vector (tabular data).
    Vector { features: usize },
}

impl InputShape {
    /// Number of `f32` values one sample fills in `Dataset::write_features`.
    pub fn len(&self) -> usize {
        match *self {
            InputShape::Image {
                channels,
                height,
                width,
            } => channels * height * width,
            InputShape::Vector { features } => features,
        }
    }

    /// True when a sample has no values at all (never the case for a loaded dataset).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dimensions as a list, e.g. `[1, 28, 28]` or `[13]`, for building tensors.
    pub fn dims(&self) -> Vec<usize> {
        match *self {
            InputShape::Image {
                channels,
                height,
                width,
            } => vec![channels, height, width],
            InputShape::Vector { features } => vec![features],
        }
    }
}

/// The raw picture of a sample, for thumbnails in the Studio grid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSource {
    /// 8-bit grey pixels, row-major, `width * height` bytes.
    Gray8 {
        width: u32,
        height: u32,
        pixels: Arc<[u8]>,
    },
    /// 8-bit RGB pixels, row-major, `width * height * 3` bytes.
    Rgb8 {
        width: u32,
        height: u32,
        pixels: Arc<[u8]>,
    },
    /// The original file bytes (png, jpeg, webp, bmp); the caller decodes them.
    Encoded(Arc<[u8]>),
}

/// A labelled set of samples the trainer can train on and the Studio can browse.
///
/// Indices run from `0` to `len() - 1`; methods taking an index panic when it is out of
/// range, like slice indexing, because a bad index is a bug in the caller, not bad input.
pub trait Dataset: Send + Sync {
    /// Short name, e.g. `"digits"`.
    fn name(&self) -> &str;
    /// Number of samples over all splits.
    fn len(&self) -> usize;
    /// True when there are no samples.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// String id of a sample, unique across the dataset and stable across loads.
    fn sample_id(&self, index: usize) -> &str;
    /// Split of a sample: `"train"`, `"val"` or `"test"`.
    fn origin(&self, index: usize) -> &str;
    /// The label the model trains on (may be noisy).
    fn label(&self, index: usize) -> i64;
    /// Number of classes (labels are `0..num_classes`).
    fn num_classes(&self) -> usize;
    /// Class names in label order.
    fn class_names(&self) -> &[String];
    /// Shape of one model input.
    fn input_shape(&self) -> InputShape;
    /// Writes the normalised model input of a sample, row-major C, H, W.
    /// `out.len()` must equal `input_shape().len()`; loaders panic otherwise, like
    /// `copy_from_slice`, because a wrongly sized buffer is a bug in the caller.
    fn write_features(&self, index: usize, out: &mut [f32]);
    /// The raw picture of a sample for thumbnails.
    fn image(&self, index: usize) -> Result<ImageSource, DataError>;
    /// `"classification"` or `"tabular"`.
    fn task_type(&self) -> &str;
    /// Hex SHA-256 over ids, origins and labels: identifies the data state.
    fn fingerprint(&self) -> String {
        fingerprint_of(self)
    }
}

/// Indices (as `u32`, what tensors index with) of the samples whose origin is `origin`, in order.
pub fn indices_of(dataset: &dyn Dataset, origin: &str) -> Vec<u32> {
    (0..dataset.len())
        .filter(|&i| dataset.origin(i) == origin)
        .filter_map(|i| u32::try_from(i).ok())
        .collect()
}

/// The fingerprint every loader uses: SHA-256 over `id \0 origin \0 label \n` per sample.
///
/// Separators keep `("ab","c")` and `("a","bc")` apart so that distinct states never collide
/// by concatenation.
pub fn fingerprint_of<D: Dataset + ?Sized>(dataset: &D) -> String {
    let mut hasher = Sha256::new();
    for i in 0..dataset.len() {
        hasher.update(dataset.sample_id(i).as_bytes());
        hasher.update([0u8]);
        hasher.update(dataset.origin(i).as_bytes());
        hasher.update([0u8]);
        hasher.update(dataset.label(i).to_le_bytes());
        hasher.update([b'\n']);
    }
    hex::encode(hasher.finalize())
}

/// Split names used by the loaders.
pub mod origin {
    pub const TRAIN: &str = "train";
    pub const VAL: &str = "val";
    pub const TEST: &str = "test";
}

/// Task type names used by the loaders.
pub mod task {
    pub const CLASSIFICATION: &str = "classification";
    pub const TABULAR: &str = "tabular";
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A dataset defined by its rows, to test the shared helpers without any loader.
    struct Rows(Vec<(String, &'static str, i64)>);

    impl Dataset for Rows {
        fn name(&self) -> &str {
            "rows"
        }
        fn len(&self) -> usize {
            self.0.len()
        }
        fn sample_id(&self, index: usize) -> &str {
            &self.0[index].0
        }
        fn origin(&self, index: usize) -> &str {
            self.0[index].1
        }
        fn label(&self, index: usize) -> i64 {
            self.0[index].2
        }
        fn num_classes(&self) -> usize {
            2
        }
        fn class_names(&self) -> &[String] {
            &[]
        }
        fn input_shape(&self) -> InputShape {
            InputShape::Vector { features: 1 }
        }
        fn write_features(&self, _index: usize, out: &mut [f32]) {
            out.fill(0.0);
        }
        fn image(&self, _index: usize) -> Result<ImageSource, DataError> {
            Err(DataError::NoImage {
                dataset: "rows".to_owned(),
                task_type: task::TABULAR.to_owned(),
            })
        }
        fn task_type(&self) -> &str {
            task::TABULAR
        }
    }

    fn rows(spec: &[(&str, &'static str, i64)]) -> Rows {
        Rows(
            spec.iter()
                .map(|&(id, o, l)| (id.to_owned(), o, l))
                .collect(),
        )
    }

    #[test]
    fn indices_of_lists_one_split_in_order() {
        let d = rows(&[("a", "train", 0), ("b", "val", 1), ("c", "train", 1)]);
        assert_eq!(indices_of(&d, "train"), vec![0, 2]);
        assert_eq!(indices_of(&d, "val"), vec![1]);
        assert!(indices_of(&d, "test").is_empty());
    }

    #[test]
    fn fingerprint_tracks_ids_origins_and_labels() {
        let base = rows(&[("a", "train", 0), ("b", "val", 1)]);
        let same = rows(&[("a", "train", 0), ("b", "val", 1)]);
        assert_eq!(base.fingerprint(), same.fingerprint());
        assert_eq!(base.fingerprint().len(), 64);
        for changed in [
            rows(&[("a", "train", 1), ("b", "val", 1)]),
            rows(&[("a", "val", 0), ("b", "val", 1)]),
            rows(&[("a", "train", 0), ("c", "val", 1)]),
            rows(&[("b", "val", 1), ("a", "train", 0)]),
        ] {
            assert_ne!(base.fingerprint(), changed.fingerprint());
        }
        // Separators keep shifted boundaries apart.
        let one = rows(&[("ab", "train", 0)]);
        let two = rows(&[("a", "btrain", 0)]);
        assert_ne!(one.fingerprint(), two.fingerprint());
    }

    #[test]
    fn input_shape_len_and_dims() {
        let image = InputShape::Image {
            channels: 3,
            height: 4,
            width: 5,
        };
        assert_eq!(image.len(), 60);
        assert_eq!(image.dims(), vec![3, 4, 5]);
        assert_eq!(InputShape::Vector { features: 7 }.dims(), vec![7]);
        assert!(InputShape::Vector { features: 0 }.is_empty());
    }
}
