//! Runs and their checkpoints: the 24-hex experiment hash, the run registry (`runs.json`) and
//! atomic checkpoint folders under `<log dir>/checkpoints/<hash>/step_<N>/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{ServiceError, ServiceResult};

/// 8 hex of the hyperparameters + 8 of the architecture + 8 of the data state: changing any of
/// them starts a new run.
pub fn experiment_hash(hyper_key: &str, architecture: &str, data_state: &str) -> String {
    let part = |text: &str| hex::encode(&Sha256::digest(text.as_bytes())[..4]);
    format!(
        "{}{}{}",
        part(hyper_key),
        part(architecture),
        part(data_state)
    )
}

/// What is stored about one run.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
pub struct RunRecord {
    pub name: String,
    pub notes: String,
    pub created: String,
    pub last_used: String,
}

/// The run registry, persisted as `runs.json` (written to a temp file, then renamed).
pub struct Runs {
    path: PathBuf,
    checkpoints: PathBuf,
    records: Mutex<BTreeMap<String, RunRecord>>,
}

fn now_text() -> String {
    let now = time::OffsetDateTime::now_utc();
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    now.format(&format).unwrap_or_default()
}

/// Writes a file durably: temp file, fsync, rename, fsync the folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let temp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name()
            .and_then(|name| name.to_str())
            .unwrap_or("file"),
        std::process::id()
    ));
    {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&temp, path)?;
    sync_dir(dir)
}

pub fn sync_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

impl Runs {
    pub fn open(log_dir: &Path) -> Self {
        let path = log_dir.join("runs.json");
        let records = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self {
            path,
            checkpoints: log_dir.join("checkpoints"),
            records: Mutex::new(records),
        }
    }

    fn save(&self, records: &BTreeMap<String, RunRecord>) -> ServiceResult<()> {
        let bytes = serde_json::to_vec_pretty(records).map_err(ServiceError::internal)?;
        write_atomic(&self.path, &bytes).map_err(|error| {
            ServiceError::internal(format!("cannot write {}: {error}", self.path.display()))
        })
    }

    /// Registers the run if new and marks it used now.
    pub fn touch(&self, hash: &str, name: &str) -> ServiceResult<()> {
        let mut records = self.records.lock();
        let now = now_text();
        let record = records
            .entry(hash.to_string())
            .or_insert_with(|| RunRecord {
                name: name.to_string(),
                notes: String::new(),
                created: now.clone(),
                last_used: now.clone(),
            });
        record.last_used = now;
        let snapshot = records.clone();
        drop(records);
        self.save(&snapshot)
    }

    pub fn update(&self, hash: &str, change: impl FnOnce(&mut RunRecord)) -> ServiceResult<()> {
        let mut records = self.records.lock();
        let record = records.get_mut(hash).ok_or_else(|| {
            ServiceError::not_found(format!(
                "no run with hash {hash:?}; ListExperimentRuns lists the known runs"
            ))
        })?;
        change(record);
        let snapshot = records.clone();
        drop(records);
        self.save(&snapshot)
    }

    pub fn records(&self) -> BTreeMap<String, RunRecord> {
        self.records.lock().clone()
    }

    pub fn contains(&self, hash: &str) -> bool {
        self.records.lock().contains_key(hash) || self.checkpoints.join(hash).is_dir()
    }

    pub fn checkpoint_root(&self) -> &Path {
        &self.checkpoints
    }

    /// Saved steps of a run, ascending (only complete folders: temp folders never match).
    pub fn steps(&self, hash: &str) -> Vec<u64> {
        let mut steps: Vec<u64> = std::fs::read_dir(self.checkpoints.join(hash))
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter_map(|entry| {
                        entry
                            .file_name()
                            .to_str()
                            .and_then(|name| name.strip_prefix("step_"))
                            .and_then(|step| step.parse().ok())
                    })
                    .collect()
            })
            .unwrap_or_default();
        steps.sort_unstable();
        steps
    }

    pub fn step_dir(&self, hash: &str, step: u64) -> PathBuf {
        self.checkpoints.join(hash).join(format!("step_{step}"))
    }

    /// A fresh temp folder next to where `step_<N>` will be renamed to.
    pub fn temp_dir(&self, hash: &str, step: u64) -> std::io::Result<PathBuf> {
        let parent = self.checkpoints.join(hash);
        std::fs::create_dir_all(&parent)?;
        let dir = parent.join(format!(
            ".tmp-step_{step}-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    /// Moves a finished temp folder into place (replacing an older save of the same step).
    pub fn publish(&self, temp: &Path, hash: &str, step: u64) -> std::io::Result<PathBuf> {
        for entry in std::fs::read_dir(temp)? {
            std::fs::File::open(entry?.path())?.sync_all()?;
        }
        sync_dir(temp)?;
        let target = self.step_dir(hash, step);
        if target.exists() {
            let old = temp.with_extension("old");
            std::fs::rename(&target, &old)?;
            std::fs::rename(temp, &target)?;
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(temp, &target)?;
        }
        sync_dir(target.parent().unwrap_or(Path::new(".")))?;
        Ok(target)
    }

    /// The saved step closest to `step`; ties go to the higher step.
    pub fn nearest_step(&self, hash: &str, step: u64) -> Option<u64> {
        nearest(&self.steps(hash), step)
    }
}

pub fn nearest(steps: &[u64], wanted: u64) -> Option<u64> {
    steps
        .iter()
        .copied()
        .min_by_key(|step| (step.abs_diff(wanted), u64::MAX - step))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_has_three_parts_that_move_independently() {
        let base = experiment_hash("lr=0.1", "cnn", "data");
        assert_eq!(base.len(), 24);
        assert!(base.chars().all(|c| c.is_ascii_hexdigit()));
        let other_lr = experiment_hash("lr=0.2", "cnn", "data");
        assert_ne!(base[..8], other_lr[..8]);
        assert_eq!(base[8..], other_lr[8..]);
        let other_data = experiment_hash("lr=0.1", "cnn", "data2");
        assert_eq!(base[..16], other_data[..16]);
        assert_ne!(base[16..], other_data[16..]);
    }

    #[test]
    fn nearest_step_ties_go_up() {
        assert_eq!(nearest(&[100, 200, 300], 150), Some(200));
        assert_eq!(nearest(&[100, 200, 300], 140), Some(100));
        assert_eq!(nearest(&[100, 200, 300], 1000), Some(300));
        assert_eq!(nearest(&[], 5), None);
    }

    #[test]
    fn registry_round_trips_and_checkpoints_publish_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let runs = Runs::open(dir.path());
        runs.touch("a", "demo").unwrap();
        runs.update("a", |record| record.notes = "first".into())
            .unwrap();
        assert!(runs.update("zz", |_| {}).is_err());
        let reopened = Runs::open(dir.path());
        assert_eq!(reopened.records()["a"].notes, "first");
        let temp = runs.temp_dir("a", 10).unwrap();
        std::fs::write(temp.join("weights.safetensors"), b"x").unwrap();
        assert!(
            runs.steps("a").is_empty(),
            "a temp folder is not a checkpoint"
        );
        runs.publish(&temp, "a", 10).unwrap();
        assert_eq!(runs.steps("a"), [10]);
    }
}
