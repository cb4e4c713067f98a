//! Where each opened run keeps its sample table, journal, checkpoints and audit log: one
//! sub-folder per dataset folder or run config, so that switching runs never makes one run's
//! table move another's aside.

use std::path::{Path, PathBuf};

use weightslab::config::{DataKind, RunConfig};

use crate::error::DesktopError;

/// A stable, readable folder name for `source`: its last component (sanitised) plus a short
/// hash of the whole path, so two folders called `train` in different places stay apart.
pub fn folder_name(source: &Path) -> String {
    let stem = source
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(48)
        .collect();
    if clean.trim_matches('_').is_empty() {
        clean = "run".to_string();
    }
    format!(
        "{clean}-{:08x}",
        fnv1a(source.to_string_lossy().as_bytes()) as u32
    )
}

/// FNV-1a: stable across builds and platforms (std's hasher is randomly seeded).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The run that trains on an image folder, keeping the rest of `current` (model, optimizer,
/// training settings), logging under `base/datasets/<name>`.
pub fn dataset_folder_run(
    current: &RunConfig,
    folder: &Path,
    base: &Path,
) -> Result<(RunConfig, PathBuf), DesktopError> {
    if !folder.is_dir() {
        return Err(DesktopError::NotADatasetFolder {
            path: folder.to_path_buf(),
        });
    }
    let mut run = current.clone();
    run.data.kind = DataKind::ImageFolder;
    run.data.path = Some(folder.to_path_buf());
    run.data.labels_path = None;
    run.data.label_column = None;
    run.server.log_dir = None;
    Ok((run, base.join("datasets").join(folder_name(folder))))
}

/// The run a config file describes and its log folder: the file's own `[server] log_dir`
/// (relative to the file) when it has one, else `base/runs/<name>`.
pub fn run_config_run(file: &Path, base: &Path) -> Result<(RunConfig, PathBuf), DesktopError> {
    if !file.is_file() {
        return Err(DesktopError::NotARunConfig {
            path: file.to_path_buf(),
        });
    }
    let mut run = RunConfig::from_file(file).map_err(|error| DesktopError::Config(error.into()))?;
    let parent = file.parent().unwrap_or_else(|| Path::new("."));
    for path in [&mut run.data.path, &mut run.data.labels_path]
        .into_iter()
        .flatten()
    {
        if path.is_relative() {
            *path = parent.join(&*path);
        }
    }
    let log_dir = match run.server.log_dir.take() {
        Some(dir) if dir.is_relative() => parent.join(dir),
        Some(dir) => dir,
        None => base.join("runs").join(folder_name(file)),
    };
    Ok((run, log_dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_are_readable_and_distinct() {
        let a = folder_name(Path::new("/data/cats/train"));
        let b = folder_name(Path::new("/other/train"));
        assert!(a.starts_with("train-"), "{a}");
        assert_ne!(a, b);
        assert_eq!(a, folder_name(Path::new("/data/cats/train")));
        assert!(folder_name(Path::new("/x/my run.toml")).starts_with("my_run-"));
        assert!(folder_name(Path::new("/")).starts_with("run-"));
    }

    #[test]
    fn dataset_folder_keeps_the_training_settings() {
        let base = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let mut current = RunConfig::default();
        current.train.batch_size = 7;
        let (run, dir) = dataset_folder_run(&current, data.path(), base.path()).unwrap();
        assert_eq!(run.data.kind, DataKind::ImageFolder);
        assert_eq!(run.data.path.as_deref(), Some(data.path()));
        assert_eq!(run.train.batch_size, 7);
        assert!(dir.starts_with(base.path().join("datasets")));
        let missing = dataset_folder_run(&current, &data.path().join("nope"), base.path());
        assert!(matches!(
            missing,
            Err(DesktopError::NotADatasetFolder { .. })
        ));
    }

    #[test]
    fn run_config_paths_are_relative_to_the_file() {
        let base = tempfile::tempdir().unwrap();
        let folder = tempfile::tempdir().unwrap();
        let file = folder.path().join("run.toml");
        std::fs::write(&file, "[data]\nkind = \"csv\"\npath = \"table.csv\"\n").unwrap();
        let (run, dir) = run_config_run(&file, base.path()).unwrap();
        assert_eq!(run.data.path, Some(folder.path().join("table.csv")));
        assert!(dir.starts_with(base.path().join("runs")));

        std::fs::write(&file, "[server]\nlog_dir = \"logs\"\n").unwrap();
        let (_, dir) = run_config_run(&file, base.path()).unwrap();
        assert_eq!(dir, folder.path().join("logs"));

        std::fs::write(&file, "[nonsense]\n").unwrap();
        let error = run_config_run(&file, base.path()).unwrap_err();
        assert!(matches!(error, DesktopError::Config(_)), "{error}");
        let missing = run_config_run(&folder.path().join("none.toml"), base.path());
        assert!(matches!(missing, Err(DesktopError::NotARunConfig { .. })));
    }

    proptest! {
        #[test]
        fn names_are_safe_folder_names(path in ".{0,80}") {
            let name = folder_name(Path::new(&path));
            prop_assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
            prop_assert!(name.len() <= 48 + 9);
        }
    }
}
