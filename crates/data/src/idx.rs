//! `IdxDataset`: images and labels in the IDX format of the original MNIST files
//! (`*-images-idx3-ubyte` / `*-labels-idx1-ubyte`, optionally gzip-compressed).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::dataset::{origin, task};
use crate::normalise::PixelNormaliser;
use crate::{DataError, Dataset, ImageSource, InputShape};

/// IDX magic: two zero bytes, the element type (0x08 = unsigned byte), the number of dimensions.
const IMAGES_MAGIC: [u8; 4] = [0, 0, 0x08, 3];
const LABELS_MAGIC: [u8; 4] = [0, 0, 0x08, 1];
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// One images/labels file pair and the split it belongs to.
struct Part {
    origin: &'static str,
    pixels: Vec<u8>,
    labels: Vec<u8>,
}

/// Images and labels from IDX files. Ids are `"<origin>/<n>"`, `n` counting from 0 within
/// each file, so they are unique across the train and test parts of a pair.
pub struct IdxDataset {
    name: String,
    height: usize,
    width: usize,
    ids: Vec<String>,
    origins: Vec<&'static str>,
    labels: Vec<i64>,
    pixels: Vec<u8>,
    class_names: Vec<String>,
    normaliser: PixelNormaliser,
}

impl IdxDataset {
    /// Opens one images file and its labels file as split `origin` ("train", "val" or "test").
    pub fn open(
        images_path: impl AsRef<Path>,
        labels_path: impl AsRef<Path>,
        origin: &str,
    ) -> Result<Self, DataError> {
        let origin = parse_origin(origin)?;
        let (part, dims) = read_part(images_path.as_ref(), labels_path.as_ref(), origin)?;
        Self::assemble(dataset_name(images_path.as_ref()), dims, vec![part])
    }

    /// Opens the classic pair: train images/labels as "train" and test images/labels as "test".
    pub fn open_pair(
        train_images: impl AsRef<Path>,
        train_labels: impl AsRef<Path>,
        test_images: impl AsRef<Path>,
        test_labels: impl AsRef<Path>,
    ) -> Result<Self, DataError> {
        let (train, dims) = read_part(train_images.as_ref(), train_labels.as_ref(), origin::TRAIN)?;
        let (test, test_dims) =
            read_part(test_images.as_ref(), test_labels.as_ref(), origin::TEST)?;
        if dims != test_dims {
            return Err(DataError::bad_format(
                test_images.as_ref().display().to_string(),
                format!(
                    "test images are {}x{} but train images are {}x{}; both files must hold images of one size",
                    test_dims.1, test_dims.0, dims.1, dims.0
                ),
            ));
        }
        Self::assemble(dataset_name(train_images.as_ref()), dims, vec![train, test])
    }

    fn assemble(
        name: String,
        (height, width): (usize, usize),
        parts: Vec<Part>,
    ) -> Result<Self, DataError> {
        let total: usize = parts.iter().map(|p| p.labels.len()).sum();
        if total == 0 {
            return Err(DataError::Empty {
                what: "the IDX files hold no images".to_owned(),
            });
        }
        let plane = height * width;
        let mut ids = Vec::with_capacity(total);
        let mut origins = Vec::with_capacity(total);
        let mut labels = Vec::with_capacity(total);
        let mut pixels = Vec::with_capacity(total * plane);
        for part in parts {
            ids.extend((0..part.labels.len()).map(|n| format!("{}/{n}", part.origin)));
            origins.extend(std::iter::repeat_n(part.origin, part.labels.len()));
            labels.extend(part.labels.iter().map(|&l| i64::from(l)));
            pixels.extend_from_slice(&part.pixels);
        }
        let num_classes = labels.iter().copied().max().map_or(0, |m| m as usize + 1);
        // Statistics from the train part when there is one, so val/test never leak into them.
        let has_train = origins.contains(&origin::TRAIN);
        let fit_images = pixels
            .chunks_exact(plane)
            .zip(&origins)
            .filter(|(_, o)| !has_train || **o == origin::TRAIN)
            .map(|(image, _)| image);
        let normaliser = PixelNormaliser::fit(fit_images, 1, plane);
        tracing::debug!(name, samples = total, num_classes, "opened IDX dataset");
        Ok(Self {
            name,
            height,
            width,
            ids,
            origins,
            labels,
            pixels,
            class_names: (0..num_classes).map(|c| c.to_string()).collect(),
            normaliser,
        })
    }

    fn pixels_of(&self, index: usize) -> &[u8] {
        let plane = self.height * self.width;
        &self.pixels[index * plane..(index + 1) * plane]
    }
}

impl Dataset for IdxDataset {
    sample_table_accessors!();
    fn input_shape(&self) -> InputShape {
        InputShape::Image {
            channels: 1,
            height: self.height,
            width: self.width,
        }
    }
    fn write_features(&self, index: usize, out: &mut [f32]) {
        self.normaliser
            .write(self.pixels_of(index), self.height * self.width, out);
    }
    fn image(&self, index: usize) -> Result<ImageSource, DataError> {
        Ok(ImageSource::Gray8 {
            width: self.width as u32,
            height: self.height as u32,
            pixels: Arc::from(self.pixels_of(index)),
        })
    }
    fn task_type(&self) -> &str {
        task::CLASSIFICATION
    }
}

fn parse_origin(value: &str) -> Result<&'static str, DataError> {
    match value {
        origin::TRAIN => Ok(origin::TRAIN),
        origin::VAL => Ok(origin::VAL),
        origin::TEST => Ok(origin::TEST),
        other => Err(DataError::InvalidOption {
            name: "origin",
            value: other.to_owned(),
            expected: "one of \"train\", \"val\", \"test\"",
        }),
    }
}

/// The folder the files live in names the dataset ("mnist" for `data/mnist/train-images…`).
fn dataset_name(images_path: &Path) -> String {
    images_path
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty())
        .unwrap_or("idx")
        .to_owned()
}

/// Reads a whole file, transparently gunzipping it when it starts with the gzip magic.
fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::from_io(path, e))?;
    if !raw.starts_with(&GZIP_MAGIC) {
        return Ok(raw);
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(raw.as_slice())
        .read_to_end(&mut out)
        .map_err(|e| {
            DataError::bad_format(
                path.display().to_string(),
                format!("the file starts like gzip but does not decompress: {e}"),
            )
        })?;
    Ok(out)
}

fn read_u32(bytes: &[u8], offset: usize) -> usize {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[offset..offset + 4]);
    u32::from_be_bytes(word) as usize
}

/// Parses an IDX header: checks the magic, reads `dims` sizes, and checks that the payload
/// length is exactly their product. Returns the sizes and the payload.
fn parse_idx<'a>(
    path: &Path,
    bytes: &'a [u8],
    magic: [u8; 4],
    kind: &str,
) -> Result<(Vec<usize>, &'a [u8]), DataError> {
    let location = path.display().to_string();
    let dims = usize::from(magic[3]);
    let header = 4 + 4 * dims;
    if bytes.len() < 4 || bytes[..4] != magic {
        let found = bytes.get(..4).map_or_else(
            || "a file shorter than 4 bytes".to_owned(),
            |m| format!("magic {}", hex::encode(m)),
        );
        return Err(DataError::bad_format(
            location,
            format!(
                "expected an IDX {kind} file (magic {}: unsigned bytes, {dims} dimension(s)), found {found}",
                hex::encode(magic)
            ),
        ));
    }
    if bytes.len() < header {
        return Err(DataError::bad_format(
            location,
            format!(
                "the header needs {header} bytes but the file has {}",
                bytes.len()
            ),
        ));
    }
    let sizes: Vec<usize> = (0..dims).map(|d| read_u32(bytes, 4 + 4 * d)).collect();
    let expected = sizes
        .iter()
        .try_fold(1usize, |acc, &s| acc.checked_mul(s))
        .ok_or_else(|| {
            DataError::bad_format(location.clone(), format!("sizes {sizes:?} overflow"))
        })?;
    let payload = &bytes[header..];
    if payload.len() != expected {
        return Err(DataError::bad_format(
            location,
            format!(
                "the header declares sizes {sizes:?} = {expected} bytes of data but {} bytes follow it (truncated or wrong file?)",
                payload.len()
            ),
        ));
    }
    Ok((sizes, payload))
}

fn read_part(
    images_path: &Path,
    labels_path: &Path,
    origin: &'static str,
) -> Result<(Part, (usize, usize)), DataError> {
    let image_bytes = read_maybe_gzip(images_path)?;
    let label_bytes = read_maybe_gzip(labels_path)?;
    let (sizes, pixels) = parse_idx(images_path, &image_bytes, IMAGES_MAGIC, "images")?;
    let (label_sizes, labels) = parse_idx(labels_path, &label_bytes, LABELS_MAGIC, "labels")?;
    let (count, height, width) = (sizes[0], sizes[1], sizes[2]);
    if height == 0 || width == 0 {
        return Err(DataError::bad_format(
            images_path.display().to_string(),
            format!("images are {width}x{height}; both sides must be at least 1"),
        ));
    }
    if label_sizes[0] != count {
        return Err(DataError::bad_format(
            labels_path.display().to_string(),
            format!(
                "{} labels for {count} images in {}; the two files must have the same count",
                label_sizes[0],
                images_path.display()
            ),
        ));
    }
    Ok((
        Part {
            origin,
            pixels: pixels.to_vec(),
            labels: labels.to_vec(),
        },
        (height, width),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::path::PathBuf;

    fn images_file(count: u32, h: u32, w: u32) -> Vec<u8> {
        let mut b = IMAGES_MAGIC.to_vec();
        for v in [count, h, w] {
            b.extend_from_slice(&v.to_be_bytes());
        }
        b.extend((0..count * h * w).map(|i| (i * 37 % 256) as u8));
        b
    }

    fn labels_file(labels: &[u8]) -> Vec<u8> {
        let mut b = LABELS_MAGIC.to_vec();
        b.extend_from_slice(&(labels.len() as u32).to_be_bytes());
        b.extend_from_slice(labels);
        b
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    #[test]
    fn opens_a_single_part() {
        let dir = tempfile::tempdir().unwrap();
        let img = write(dir.path(), "imgs", &images_file(3, 2, 4));
        let lab = write(dir.path(), "labs", &labels_file(&[2, 0, 1]));
        let d = IdxDataset::open(&img, &lab, "val").unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(d.num_classes(), 3);
        assert_eq!(d.label(0), 2);
        assert_eq!(d.origin(2), "val");
        assert_eq!(d.sample_id(1), "val/1");
        assert_eq!(
            d.input_shape(),
            InputShape::Image {
                channels: 1,
                height: 2,
                width: 4
            }
        );
        let ImageSource::Gray8 {
            width,
            height,
            pixels,
        } = d.image(1).unwrap()
        else {
            panic!("IDX images are Gray8");
        };
        assert_eq!((width, height), (4, 2));
        let expected: Vec<u8> = (8..16u32).map(|i| (i * 37 % 256) as u8).collect();
        assert_eq!(&pixels[..], &expected[..]);
        let mut out = vec![0f32; 8];
        d.write_features(1, &mut out);
        assert!(out.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn opens_a_gzipped_pair_with_distinct_ids() {
        let dir = tempfile::tempdir().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&images_file(2, 3, 3)).unwrap();
        let train_img = write(dir.path(), "train-images.gz", &gz.finish().unwrap());
        let train_lab = write(dir.path(), "train-labels", &labels_file(&[1, 1]));
        let test_img = write(dir.path(), "test-images", &images_file(1, 3, 3));
        let test_lab = write(dir.path(), "test-labels", &labels_file(&[0]));
        let d = IdxDataset::open_pair(&train_img, &train_lab, &test_img, &test_lab).unwrap();
        assert_eq!(d.len(), 3);
        assert_eq!(crate::indices_of(&d, "train"), vec![0, 1]);
        assert_eq!(crate::indices_of(&d, "test"), vec![2]);
        assert_eq!(d.sample_id(2), "test/0");
        assert_ne!(d.sample_id(0), d.sample_id(2));
    }

    #[test]
    fn reports_wrong_magic_truncation_count_mismatch_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let img = write(dir.path(), "imgs", &images_file(3, 2, 2));
        let lab = write(dir.path(), "labs", &labels_file(&[0, 1, 2]));

        let err = IdxDataset::open(&lab, &img, "train").err().unwrap();
        assert!(
            err.to_string().contains("expected an IDX images file"),
            "{err}"
        );

        let mut short = images_file(3, 2, 2);
        short.pop();
        let short = write(dir.path(), "short", &short);
        let err = IdxDataset::open(&short, &lab, "train").err().unwrap();
        assert!(err.to_string().contains("truncated"), "{err}");

        let two = write(dir.path(), "two", &labels_file(&[0, 1]));
        let err = IdxDataset::open(&img, &two, "train").err().unwrap();
        assert!(err.to_string().contains("2 labels for 3 images"), "{err}");

        let err = IdxDataset::open(dir.path().join("nope"), &lab, "train")
            .err()
            .unwrap();
        assert!(matches!(err, DataError::MissingFile { .. }), "{err}");

        let err = IdxDataset::open(&img, &lab, "training").err().unwrap();
        assert!(
            matches!(err, DataError::InvalidOption { name: "origin", .. }),
            "{err}"
        );

        let empty_img = write(dir.path(), "e-img", &images_file(0, 2, 2));
        let empty_lab = write(dir.path(), "e-lab", &labels_file(&[]));
        let err = IdxDataset::open(&empty_img, &empty_lab, "train")
            .err()
            .unwrap();
        assert!(matches!(err, DataError::Empty { .. }), "{err}");
    }
}
