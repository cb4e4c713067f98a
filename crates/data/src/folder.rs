//! `ImageFolder`: a directory with one sub-folder per class (optionally under `train/`,
//! `val/`, `test/`), decoded eagerly at open into fixed-size model inputs.

mod decode;
mod scan;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use decode::ColorMode;

use crate::dataset::{origin, task};
use crate::normalise::PixelNormaliser;
use crate::split::{check_val_fraction, stratified_val_mask};
use crate::{DataError, Dataset, ImageSource, InputShape};

/// Size every image is resized to for the model input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputSize {
    /// A fixed width and height.
    Fixed { width: u32, height: u32 },
    /// The size of the first image that decodes (in id order).
    FirstImage,
}

/// Options of [`ImageFolder::open`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ImageFolderOptions {
    /// Model input size. Default 28×28.
    pub size: InputSize,
    /// Grey or RGB model input. Default grey.
    pub color: ColorMode,
    /// Share held out as "val" when the tree has no split folders. Default 0.2.
    pub val_fraction: f64,
    /// Seed of that split. Default 42.
    pub seed: u64,
}

impl Default for ImageFolderOptions {
    fn default() -> Self {
        Self {
            size: InputSize::Fixed {
                width: 28,
                height: 28,
            },
            color: ColorMode::Gray,
            val_fraction: 0.2,
            seed: 42,
        }
    }
}

/// A file left out at open because it could not be read or decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    pub path: PathBuf,
    pub reason: String,
}

/// Images from a class-per-folder tree.
///
/// All files are decoded once at open (on all cores), resized and kept as 8-bit planar
/// pixels, so unreadable files are found up front and training never touches the disk;
/// `image()` re-reads the original file so thumbnails show the full-resolution picture.
/// Ids are paths relative to the root (`"cat/001.png"`, `"train/cat/001.png"`).
pub struct ImageFolder {
    name: String,
    ids: Vec<String>,
    paths: Vec<PathBuf>,
    origins: Vec<&'static str>,
    labels: Vec<i64>,
    pixels: Vec<u8>,
    channels: usize,
    width: u32,
    height: u32,
    class_names: Vec<String>,
    skipped: Vec<SkippedFile>,
    normaliser: PixelNormaliser,
}

impl ImageFolder {
    /// Scans `root`, decodes every image and splits them (by folder, or seeded).
    pub fn open(root: impl AsRef<Path>, options: ImageFolderOptions) -> Result<Self, DataError> {
        let root = root.as_ref();
        check_val_fraction(options.val_fraction)?;
        if let InputSize::Fixed { width, height } = options.size
            && (width == 0 || height == 0)
        {
            return Err(DataError::InvalidOption {
                name: "size",
                value: format!("{width}x{height}"),
                expected: "a width and height of at least 1 pixel, e.g. 28x28",
            });
        }
        let scan = scan::scan(root)?;
        let paths: Vec<&Path> = scan.files.iter().map(|f| f.path.as_path()).collect();
        let (width, height) = match options.size {
            InputSize::Fixed { width, height } => (width, height),
            InputSize::FirstImage => paths
                .iter()
                .find_map(|p| decode::decode_file(p).ok())
                .map(|img| (img.width(), img.height()))
                .ok_or_else(|| no_images(root, scan.files.len()))?,
        };
        // Converting inside the workers keeps only the small planar copies in memory,
        // never every full-size decoded picture at once.
        let color = options.color;
        let images = decode::decode_all(&paths, |p| {
            decode::decode_file(p).map(|img| decode::to_planar(&img, width, height, color))
        });
        let mut kept = Vec::with_capacity(scan.files.len());
        let mut pixels = Vec::new();
        let mut skipped = Vec::new();
        for (file, decoded) in scan.files.into_iter().zip(images) {
            match decoded {
                Ok(planar) => {
                    pixels.extend_from_slice(&planar);
                    kept.push(file);
                }
                Err(reason) => {
                    tracing::warn!(path = %file.path.display(), %reason, "skipping image file");
                    skipped.push(SkippedFile {
                        path: file.path,
                        reason,
                    });
                }
            }
        }
        if kept.is_empty() {
            return Err(no_images(root, skipped.len()));
        }
        let origins: Vec<&'static str> = if kept.iter().any(|f| f.origin.is_some()) {
            kept.iter()
                .map(|f| f.origin.unwrap_or(origin::TRAIN))
                .collect()
        } else {
            let classes: Vec<usize> = kept.iter().map(|f| f.class).collect();
            stratified_val_mask(
                &classes,
                scan.class_names.len(),
                options.val_fraction,
                options.seed,
            )
            .into_iter()
            .map(|v| if v { origin::VAL } else { origin::TRAIN })
            .collect()
        };
        let channels = options.color.channels();
        let plane = (width * height) as usize;
        let has_train = origins.contains(&origin::TRAIN);
        let normaliser = PixelNormaliser::fit(
            pixels
                .chunks_exact(plane * channels)
                .zip(&origins)
                .filter(|(_, o)| !has_train || **o == origin::TRAIN)
                .map(|(image, _)| image),
            channels,
            plane,
        );
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "images".to_owned());
        tracing::debug!(
            name,
            samples = kept.len(),
            skipped = skipped.len(),
            "opened image folder"
        );
        Ok(Self {
            name,
            ids: kept.iter().map(|f| f.id.clone()).collect(),
            labels: kept.iter().map(|f| f.class as i64).collect(),
            paths: kept.into_iter().map(|f| f.path).collect(),
            origins,
            pixels,
            channels,
            width,
            height,
            class_names: scan.class_names,
            skipped,
            normaliser,
        })
    }

    /// Files left out at open, with the reason.
    pub fn skipped(&self) -> &[SkippedFile] {
        &self.skipped
    }

    /// Path on disk of a sample's original file.
    pub fn path(&self, index: usize) -> &Path {
        &self.paths[index]
    }

    fn sample_len(&self) -> usize {
        self.channels * (self.width * self.height) as usize
    }
}

fn no_images(root: &Path, unreadable: usize) -> DataError {
    DataError::Empty {
        what: format!(
            "no readable png/jpg/jpeg/webp/bmp/gif images under {} ({unreadable} file(s) could not be decoded)",
            root.display()
        ),
    }
}

impl Dataset for ImageFolder {
    sample_table_accessors!();
    fn input_shape(&self) -> InputShape {
        InputShape::Image {
            channels: self.channels,
            height: self.height as usize,
            width: self.width as usize,
        }
    }
    fn write_features(&self, index: usize, out: &mut [f32]) {
        let len = self.sample_len();
        let plane = (self.width * self.height) as usize;
        self.normaliser
            .write(&self.pixels[index * len..(index + 1) * len], plane, out);
    }
    fn image(&self, index: usize) -> Result<ImageSource, DataError> {
        let path = &self.paths[index];
        let bytes = std::fs::read(path).map_err(|e| DataError::from_io(path, e))?;
        Ok(ImageSource::Encoded(Arc::from(bytes)))
    }
    fn task_type(&self) -> &str {
        task::CLASSIFICATION
    }
}

#[cfg(test)]
mod tests;
