//! Datasets for WeightsLab: the [`Dataset`] trait the trainer and the service read samples
//! through, and the loaders that implement it (built-in digits, image folders, IDX, CSV).

mod dataset;
mod error;

pub use dataset::{Dataset, ImageSource, InputShape, fingerprint_of, indices_of, origin, task};
pub use error::DataError;
