//! What a graceful quit does: whether a checkpoint is due (training advanced since the last
//! one), how the policy turns that into save / skip / ask, and how to tell that the edit
//! journal was folded into the HDF5 file.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::SystemTime;

/// What to do at quit when training has advanced since the last checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointPolicy {
    /// Ask in a dialog (the default for people).
    Ask,
    /// Save without asking.
    Save,
    /// Quit without saving.
    Skip,
}

impl FromStr for CheckpointPolicy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ask" => Ok(Self::Ask),
            "save" | "yes" => Ok(Self::Save),
            "skip" | "no" => Ok(Self::Skip),
            other => Err(format!(
                "{other:?} is not a checkpoint-on-quit policy: use ask, save or skip"
            )),
        }
    }
}

/// The decision once the policy met the run's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckpointDecision {
    Save,
    Skip,
    /// The person decides (a dialog).
    Ask,
}

/// True when the model has taken steps that no checkpoint holds. `latest_step` is the newest
/// saved step of the current run (`ListExperimentRuns` reports -1 for none).
pub fn advanced_since_checkpoint(model_age: u64, latest_step: i64) -> bool {
    match u64::try_from(latest_step) {
        Ok(latest) => model_age > latest,
        Err(_) => model_age > 0,
    }
}

/// Combines the policy with the run's state: nothing to offer when nothing advanced.
pub fn decide(policy: CheckpointPolicy, advanced: bool) -> CheckpointDecision {
    match (advanced, policy) {
        (false, _) | (true, CheckpointPolicy::Skip) => CheckpointDecision::Skip,
        (true, CheckpointPolicy::Save) => CheckpointDecision::Save,
        (true, CheckpointPolicy::Ask) => CheckpointDecision::Ask,
    }
}

/// The sample table's HDF5 file inside a log folder (written when the journal is folded).
pub fn table_file(log_dir: &Path) -> PathBuf {
    log_dir.join("samples.h5")
}

/// Identifies one version of the table file: folding rewrites it (a new file renamed into
/// place), so a different stamp after shutdown means the fold happened. Compared by identity
/// rather than against a clock, because file times come from a coarser clock than `now()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableStamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

/// The current stamp of the table file, `None` when there is none yet.
pub fn table_stamp(log_dir: &Path) -> Option<TableStamp> {
    let meta = std::fs::metadata(table_file(log_dir)).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some(TableStamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode,
    })
}

/// True when the table file exists now and differs from the one seen before shutdown.
pub fn folded(before: Option<TableStamp>, after: Option<TableStamp>) -> bool {
    after.is_some() && after != before
}

/// What a graceful stop did, printed at exit and checked by the smoke test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    pub journal_folded: bool,
    pub checkpoint: Option<PathBuf>,
    /// Why a wanted checkpoint could not be written.
    pub checkpoint_error: Option<String>,
    pub model_age: u64,
}

impl ShutdownReport {
    pub fn clean(&self) -> bool {
        self.journal_folded && self.checkpoint_error.is_none()
    }

    /// One line for stdout.
    pub fn describe(&self) -> String {
        let checkpoint = match (&self.checkpoint, &self.checkpoint_error) {
            (Some(path), _) => format!("checkpoint saved at {}", path.display()),
            (None, Some(error)) => format!("checkpoint FAILED: {error}"),
            (None, None) => "no checkpoint written".to_string(),
        };
        format!(
            "stopped at step {}: journal {}, {checkpoint}",
            self.model_age,
            if self.journal_folded {
                "folded into samples.h5"
            } else {
                "NOT folded (it is replayed at the next start)"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn policies_parse() {
        assert_eq!("ask".parse(), Ok(CheckpointPolicy::Ask));
        assert_eq!(" Save ".parse(), Ok(CheckpointPolicy::Save));
        assert_eq!("no".parse(), Ok(CheckpointPolicy::Skip));
        let error = "later".parse::<CheckpointPolicy>().unwrap_err();
        assert!(error.contains("ask, save or skip"), "{error}");
    }

    #[test]
    fn advance_is_measured_against_the_newest_checkpoint() {
        assert!(!advanced_since_checkpoint(0, -1));
        assert!(advanced_since_checkpoint(1, -1));
        assert!(!advanced_since_checkpoint(200, 200));
        assert!(advanced_since_checkpoint(201, 200));
        // A restored older checkpoint leaves the model behind the newest one.
        assert!(!advanced_since_checkpoint(100, 200));
    }

    #[test]
    fn nothing_is_offered_when_nothing_advanced() {
        for policy in [
            CheckpointPolicy::Ask,
            CheckpointPolicy::Save,
            CheckpointPolicy::Skip,
        ] {
            assert_eq!(decide(policy, false), CheckpointDecision::Skip);
        }
        assert_eq!(decide(CheckpointPolicy::Ask, true), CheckpointDecision::Ask);
        assert_eq!(
            decide(CheckpointPolicy::Save, true),
            CheckpointDecision::Save
        );
        assert_eq!(
            decide(CheckpointPolicy::Skip, true),
            CheckpointDecision::Skip
        );
    }

    #[test]
    fn fold_is_seen_as_a_new_table_file() {
        let dir = tempfile::tempdir().unwrap();
        let none = table_stamp(dir.path());
        assert!(none.is_none());
        assert!(!folded(none, none), "no file: not folded");
        let scratch = dir.path().join("samples.h5.tmp");
        std::fs::write(&scratch, b"first").unwrap();
        std::fs::rename(&scratch, table_file(dir.path())).unwrap();
        let first = table_stamp(dir.path());
        assert!(folded(none, first));
        assert!(!folded(first, first), "an untouched file is not a fold");
        std::fs::write(&scratch, b"second version").unwrap();
        std::fs::rename(&scratch, table_file(dir.path())).unwrap();
        assert!(folded(first, table_stamp(dir.path())));
    }

    #[test]
    fn report_lines_say_what_happened() {
        let report = ShutdownReport {
            journal_folded: true,
            checkpoint: Some(PathBuf::from("/x/ckpt")),
            checkpoint_error: None,
            model_age: 12,
        };
        assert!(report.clean());
        assert_eq!(
            report.describe(),
            "stopped at step 12: journal folded into samples.h5, checkpoint saved at /x/ckpt"
        );
        let failed = ShutdownReport {
            journal_folded: false,
            checkpoint: None,
            checkpoint_error: Some("disk full".into()),
            model_age: 3,
        };
        assert!(!failed.clean());
        assert!(failed.describe().contains("NOT folded"));
        assert!(failed.describe().contains("FAILED: disk full"));
    }

    proptest! {
        #[test]
        fn a_checkpoint_is_never_offered_for_steps_already_saved(age in 0u64..1_000_000, latest in -1i64..1_000_000) {
            let advanced = advanced_since_checkpoint(age, latest);
            prop_assert_eq!(advanced, i64::try_from(age).unwrap() > latest);
            if !advanced {
                prop_assert_eq!(decide(CheckpointPolicy::Save, advanced), CheckpointDecision::Skip);
            }
        }
    }
}
