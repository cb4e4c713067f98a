//! Turns the run config into a dataset and a trainer configuration.

use std::path::Path;
use std::sync::Arc;

use weightslab_data::{
    BuiltinDigits, CsvDataset, CsvOptions, Dataset, DigitsOptions, IdxDataset, ImageFolder,
    ImageFolderOptions,
};
use weightslab_train::{HyperParams, ModelKind, OptimizerKind, TrainerConfig};

use crate::config::{DataKind, ModelKindConfig, OptimizerKindConfig, RunConfig};

/// The file the built-in demo writes with the ids whose labels it flipped. Tests read it to
/// measure how well loss and label-issue sorting find them; no RPC exposes it.
pub const GROUND_TRUTH_FILE: &str = "ground_truth_flips.json";

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("[data] {0}")]
    Data(#[from] weightslab_data::DataError),
    #[error("[data] kind = {kind:?} needs `{key}` in the run config")]
    Missing {
        kind: &'static str,
        key: &'static str,
    },
}

/// Loads the configured dataset; the built-in digits also write their ground-truth file.
pub fn load_dataset(run: &RunConfig, log_dir: &Path) -> Result<Arc<dyn Dataset>, LoadError> {
    let data = &run.data;
    let dataset: Arc<dyn Dataset> = match data.kind {
        DataKind::Digits => {
            let digits = BuiltinDigits::load(DigitsOptions {
                label_noise: data.label_noise,
                seed: data.seed,
                val_fraction: data.val_fraction,
            })?;
            digits.write_ground_truth(log_dir.join(GROUND_TRUTH_FILE))?;
            Arc::new(digits)
        }
        DataKind::ImageFolder => {
            let path = data.path.as_ref().ok_or(LoadError::Missing {
                kind: "image-folder",
                key: "path",
            })?;
            Arc::new(ImageFolder::open(
                path,
                ImageFolderOptions {
                    val_fraction: data.val_fraction,
                    seed: data.seed,
                    ..ImageFolderOptions::default()
                },
            )?)
        }
        DataKind::Idx => {
            let images = data.path.as_ref().ok_or(LoadError::Missing {
                kind: "idx",
                key: "path",
            })?;
            let labels = data.labels_path.as_ref().ok_or(LoadError::Missing {
                kind: "idx",
                key: "labels_path",
            })?;
            Arc::new(IdxDataset::open(images, labels, "train")?)
        }
        DataKind::Csv => {
            let path = data.path.as_ref().ok_or(LoadError::Missing {
                kind: "csv",
                key: "path",
            })?;
            let mut options = CsvOptions {
                val_fraction: data.val_fraction,
                seed: data.seed,
                ..CsvOptions::default()
            };
            if let Some(column) = &data.label_column {
                options.label_column = column.clone();
            }
            Arc::new(CsvDataset::open(path, options)?)
        }
    };
    Ok(dataset)
}

/// The trainer configuration for a run config.
pub fn trainer_config(run: &RunConfig) -> TrainerConfig {
    TrainerConfig {
        model: match run.model.kind {
            ModelKindConfig::Cnn => ModelKind::Cnn,
            ModelKindConfig::Mlp => ModelKind::Mlp,
        },
        optimizer: match run.optimizer.kind {
            OptimizerKindConfig::Sgd => OptimizerKind::Sgd,
            OptimizerKindConfig::Adamw => OptimizerKind::AdamW,
        },
        hyper: HyperParams {
            experiment_name: run.train.experiment_name.clone(),
            learning_rate: run.optimizer.learning_rate,
            batch_size: run.train.batch_size,
            momentum: run.optimizer.momentum,
            weight_decay: run.optimizer.weight_decay,
            training_steps_to_do: run.train.steps,
            eval_frequency: run.train.eval_frequency,
            checkpoint_frequency: run.train.checkpoint_frequency,
            eval_batch_size: run.train.eval_batch_size,
        },
        seed: run.train.seed,
        start_paused: run.train.start_paused,
    }
}
