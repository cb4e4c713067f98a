//! Datasets for WeightsLab: the [`Dataset`] trait the trainer and the service read samples
//! through, and the loaders that implement it.
//!
//! - [`BuiltinDigits`]: 10,000 MNIST digits embedded in the binary, seeded split and label noise.
//! - [`ImageFolder`]: one sub-folder per class, optionally under `train/`, `val/`, `test/`.
//! - [`IdxDataset`]: the classic MNIST IDX (ubyte) files.
//! - [`CsvDataset`]: tabular rows with a label column.
//!
//! Every loader returns [`DataError`] with a message that names the file and what was
//! expected; [`indices_of`] lists a split's samples and [`fingerprint_of`] is the hash all
//! loaders use for [`Dataset::fingerprint`].

#[macro_use]
mod dataset;
mod digits;
mod error;
mod folder;
mod idx;
mod noise;
mod normalise;
mod split;
mod tabular;

pub use dataset::{Dataset, ImageSource, InputShape, fingerprint_of, indices_of, origin, task};
pub use digits::{BuiltinDigits, DigitsOptions};
pub use error::DataError;
pub use folder::{ColorMode, ImageFolder, ImageFolderOptions, InputSize, SkippedFile};
pub use idx::IdxDataset;
pub use tabular::{CsvDataset, CsvOptions};
