//! Checkpoint files: `weights.safetensors`, `optimizer.safetensors` and `trainer.json` in one
//! folder, written with checksums and read back with every check done before anything live
//! is touched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::{HyperParams, ModelKind, OptimizerKind, TrainError};

pub const WEIGHTS_FILE: &str = "weights.safetensors";
pub const OPTIMIZER_FILE: &str = "optimizer.safetensors";
pub const TRAINER_FILE: &str = "trainer.json";
/// Bumped whenever the folder layout or `trainer.json` changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

/// What a checkpoint holds besides tensors.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointMeta {
    /// The folder the files are in.
    pub dir: PathBuf,
    pub model_age: u64,
    pub model: ModelKind,
    pub optimizer: OptimizerKind,
    pub hyper: HyperParams,
    pub seed: u64,
    pub architecture_signature: String,
    /// Training samples seen when it was written.
    pub samples_seen: u64,
}

/// The content of `trainer.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct TrainerFile {
    format_version: u32,
    model: ModelKind,
    optimizer: OptimizerKind,
    hyper: HyperParams,
    model_age: u64,
    seed: u64,
    architecture_signature: String,
    samples_seen: u64,
    weights_crc32: u32,
    optimizer_crc32: u32,
}

/// The state a checkpoint is written from.
pub struct SaveInput<'a> {
    pub model: &'a Model,
    pub optimizer_kind: OptimizerKind,
    pub optimizer_state: Vec<(String, Tensor)>,
    pub hyper: &'a HyperParams,
    pub model_age: u64,
    pub seed: u64,
    pub samples_seen: u64,
}

/// Writes the three files into `dir` (created when missing). `trainer.json` goes last, so a
/// folder without it is an interrupted write.
pub fn write(dir: &Path, input: SaveInput<'_>) -> Result<CheckpointMeta, TrainError> {
    std::fs::create_dir_all(dir).map_err(|e| TrainError::io(dir, e))?;
    let weights: Vec<(String, Tensor)> = input
        .model
        .named_vars()
        .iter()
        .map(|(n, v)| (n.clone(), v.as_tensor().clone()))
        .collect();
    let weights_crc32 = write_tensors(&dir.join(WEIGHTS_FILE), &weights)?;
    let optimizer_crc32 = write_tensors(&dir.join(OPTIMIZER_FILE), &input.optimizer_state)?;
    let file = TrainerFile {
        format_version: FORMAT_VERSION,
        model: input.model.kind(),
        optimizer: input.optimizer_kind,
        hyper: input.hyper.clone(),
        model_age: input.model_age,
        seed: input.seed,
        architecture_signature: input.model.architecture_signature(),
        samples_seen: input.samples_seen,
        weights_crc32,
        optimizer_crc32,
    };
    let path = dir.join(TRAINER_FILE);
    let json = serde_json::to_vec_pretty(&file)
        .map_err(|e| TrainError::corrupt(&path, format!("cannot encode: {e}")))?;
    std::fs::write(&path, json).map_err(|e| TrainError::io(&path, e))?;
    Ok(meta_of(dir, &file))
}

fn write_tensors(path: &Path, tensors: &[(String, Tensor)]) -> Result<u32, TrainError> {
    let views = tensors.iter().map(|(n, t)| (n.as_str(), t));
    let bytes = safetensors::serialize(views, None)
        .map_err(|e| TrainError::corrupt(path, format!("cannot encode tensors: {e}")))?;
    std::fs::write(path, &bytes).map_err(|e| TrainError::io(path, e))?;
    Ok(crc32fast::hash(&bytes))
}

fn meta_of(dir: &Path, f: &TrainerFile) -> CheckpointMeta {
    CheckpointMeta {
        dir: dir.to_path_buf(),
        model_age: f.model_age,
        model: f.model,
        optimizer: f.optimizer,
        hyper: f.hyper.clone(),
        seed: f.seed,
        architecture_signature: f.architecture_signature.clone(),
        samples_seen: f.samples_seen,
    }
}

/// A checkpoint read and checked against a live model, not yet applied.
pub struct Loaded {
    pub meta: CheckpointMeta,
    /// Weight tensors by var name, on the model's device, shapes already checked.
    pub weights: HashMap<String, Tensor>,
    /// Optimizer tensors (names not yet checked: the optimizer does that), when asked for.
    pub optimizer: Option<HashMap<String, Tensor>>,
}

/// Reads the checkpoint in `dir` and checks that it fits `model`: format, architecture,
/// checksums, tensor names, shapes, dtypes and finite values.
pub fn read(dir: &Path, model: &Model, with_optimizer: bool) -> Result<Loaded, TrainError> {
    let path = dir.join(TRAINER_FILE);
    let raw = std::fs::read(&path).map_err(|e| TrainError::io(&path, e))?;
    let file: TrainerFile = serde_json::from_slice(&raw)
        .map_err(|e| TrainError::corrupt(&path, format!("not a valid trainer.json: {e}")))?;
    if file.format_version != FORMAT_VERSION {
        return Err(TrainError::corrupt(
            &path,
            format!(
                "format version {} is not supported; this build reads version {FORMAT_VERSION}",
                file.format_version
            ),
        ));
    }
    let live = model.architecture_signature();
    if file.architecture_signature != live {
        return Err(TrainError::corrupt(
            &path,
            format!(
                "it was written for the model {:?} but the running model is {live:?}",
                file.architecture_signature
            ),
        ));
    }
    file.hyper
        .validate()
        .map_err(|e| TrainError::corrupt(&path, format!("its hyperparameters are invalid: {e}")))?;

    let weights_path = dir.join(WEIGHTS_FILE);
    let weights = read_tensors(&weights_path, file.weights_crc32, model.device())?;
    check_weights(&weights_path, &weights, model)?;

    let optimizer = if with_optimizer {
        let p = dir.join(OPTIMIZER_FILE);
        Some(read_tensors(&p, file.optimizer_crc32, &Device::Cpu)?)
    } else {
        None
    };
    Ok(Loaded {
        meta: meta_of(dir, &file),
        weights,
        optimizer,
    })
}

fn read_tensors(
    path: &Path,
    crc: u32,
    device: &Device,
) -> Result<HashMap<String, Tensor>, TrainError> {
    let bytes = std::fs::read(path).map_err(|e| TrainError::io(path, e))?;
    let found = crc32fast::hash(&bytes);
    if found != crc {
        return Err(TrainError::corrupt(
            path,
            format!(
                "checksum {found:08x} does not match {crc:08x} recorded in {TRAINER_FILE}; \
                 the file was truncated or modified after it was written"
            ),
        ));
    }
    candle_core::safetensors::load_buffer(&bytes, device)
        .map_err(|e| TrainError::corrupt(path, format!("not a readable safetensors file: {e}")))
}

fn check_weights(
    path: &Path,
    found: &HashMap<String, Tensor>,
    model: &Model,
) -> Result<(), TrainError> {
    let bad = |reason: String| Err(TrainError::corrupt(path, reason));
    for (name, var) in model.named_vars() {
        let Some(t) = found.get(name) else {
            return bad(format!("tensor {name} is missing"));
        };
        if t.dtype() != DType::F32 {
            return bad(format!(
                "tensor {name} has dtype {:?}, expected F32",
                t.dtype()
            ));
        }
        if t.dims() != var.dims() {
            return bad(format!(
                "tensor {name} has shape {:?}, the model needs {:?}",
                t.dims(),
                var.dims()
            ));
        }
        let values = t.flatten_all()?.to_vec1::<f32>()?;
        if let Some(pos) = values.iter().position(|v| !v.is_finite()) {
            return bad(format!(
                "tensor {name} holds a non-finite value at element {pos}"
            ));
        }
    }
    if found.len() != model.named_vars().len() {
        let mut extra: Vec<&String> = found
            .keys()
            .filter(|k| !model.named_vars().iter().any(|(n, _)| n == *k))
            .collect();
        extra.sort();
        return bad(format!(
            "unexpected tensors {extra:?} that the model does not have"
        ));
    }
    Ok(())
}

/// Copies checked weights into the live model's variables.
pub fn apply_weights(model: &Model, weights: &HashMap<String, Tensor>) -> Result<(), TrainError> {
    for (name, var) in model.named_vars() {
        if let Some(t) = weights.get(name) {
            var.set(t)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use weightslab_data::InputShape;

    fn model(seed: u64) -> Model {
        let input = InputShape::Image {
            channels: 1,
            height: 8,
            width: 8,
        };
        Model::new(ModelKind::Cnn, input, 2, seed, &Device::Cpu).unwrap()
    }

    fn save(dir: &Path, m: &Model) -> CheckpointMeta {
        write(
            dir,
            SaveInput {
                model: m,
                optimizer_kind: OptimizerKind::Sgd,
                optimizer_state: vec![],
                hyper: &HyperParams::default(),
                model_age: 12,
                seed: 3,
                samples_seen: 99,
            },
        )
        .unwrap()
    }

    #[test]
    fn round_trip_restores_weights_bit_for_bit() {
        let dir = tempfile::tempdir().unwrap();
        let a = model(1);
        let meta = save(dir.path(), &a);
        assert_eq!(meta.model_age, 12);
        let b = model(2);
        let loaded = read(dir.path(), &b, true).unwrap();
        assert_eq!(loaded.meta.samples_seen, 99);
        apply_weights(&b, &loaded.weights).unwrap();
        for ((_, va), (_, vb)) in a.named_vars().iter().zip(b.named_vars()) {
            let x = va.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let y = vb.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            assert_eq!(
                x.iter().map(|f| f.to_bits()).collect::<Vec<_>>(),
                y.iter().map(|f| f.to_bits()).collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn flipped_byte_and_other_architecture_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let a = model(1);
        save(dir.path(), &a);
        let wp = dir.path().join(WEIGHTS_FILE);
        let mut bytes = std::fs::read(&wp).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        std::fs::write(&wp, &bytes).unwrap();
        let err = read(dir.path(), &a, false).err().unwrap();
        assert!(matches!(err, TrainError::Corrupt { .. }), "{err}");

        let dir2 = tempfile::tempdir().unwrap();
        save(dir2.path(), &a);
        let mlp = Model::new(ModelKind::Mlp, a.input_shape(), 2, 1, &Device::Cpu).unwrap();
        let err = read(dir2.path(), &mlp, false).err().unwrap().to_string();
        assert!(err.contains("running model"), "{err}");
    }

    #[test]
    fn missing_trainer_file_is_an_io_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path(), &model(1), false).err().unwrap();
        assert!(matches!(err, TrainError::Io { .. }));
    }
}
