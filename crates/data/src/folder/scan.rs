//! Walks an image-folder tree and lists its image files with class and split, before any
//! decoding happens.

use std::path::{Path, PathBuf};

use crate::DataError;
use crate::dataset::origin;

const IMAGE_EXTENSIONS: [&str; 6] = ["png", "jpg", "jpeg", "webp", "bmp", "gif"];
const SPLITS: [&str; 3] = [origin::TRAIN, origin::VAL, origin::TEST];

/// An image file found in the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundFile {
    /// Path relative to the root, '/'-separated: doubles as the sample id.
    pub id: String,
    pub path: PathBuf,
    pub class: usize,
    /// The split folder it came from, or `None` when the tree has no split folders.
    pub origin: Option<&'static str>,
}

/// What a scan found: the class names (sorted) and the files, in a stable order (split,
/// then class, then file name).
#[derive(Debug)]
pub(crate) struct Scan {
    pub class_names: Vec<String>,
    pub files: Vec<FoundFile>,
}

pub(crate) fn scan(root: &Path) -> Result<Scan, DataError> {
    let meta = std::fs::metadata(root).map_err(|e| DataError::from_io(root, e))?;
    if !meta.is_dir() {
        return Err(DataError::bad_format(
            root.display().to_string(),
            "this is a file; an image folder is a directory with one sub-folder per class",
        ));
    }
    let top = sub_dirs(root)?;
    let split_dirs: Vec<(&'static str, PathBuf)> = SPLITS
        .iter()
        .filter_map(|&s| {
            top.iter()
                .find(|(name, _)| name == s)
                .map(|(_, p)| (s, p.clone()))
        })
        .collect();
    // (split, class name, class dir)
    let mut class_dirs: Vec<(Option<&'static str>, String, PathBuf)> = Vec::new();
    if split_dirs.is_empty() {
        class_dirs.extend(top.into_iter().map(|(name, path)| (None, name, path)));
    } else {
        for (name, path) in &top {
            if !SPLITS.contains(&name.as_str()) {
                tracing::warn!(
                    folder = %path.display(),
                    "ignoring a folder beside train/val/test; in a split tree classes live inside the split folders"
                );
            }
        }
        for (split, dir) in &split_dirs {
            class_dirs.extend(
                sub_dirs(dir)?
                    .into_iter()
                    .map(|(name, path)| (Some(*split), name, path)),
            );
        }
    }
    let mut class_names: Vec<String> = class_dirs.iter().map(|(_, n, _)| n.clone()).collect();
    class_names.sort();
    class_names.dedup();
    if class_names.is_empty() {
        return Err(DataError::Empty {
            what: format!(
                "{} has no class sub-folders; expected <root>/<class>/<image> or <root>/train/<class>/<image>",
                root.display()
            ),
        });
    }
    let mut files = Vec::new();
    for (split, class_name, dir) in class_dirs {
        // Always found: class_names was built from these very folders.
        let class = class_names.binary_search(&class_name).unwrap_or_else(|i| i);
        for (file_name, path) in image_files(&dir)? {
            let id = match split {
                Some(s) => format!("{s}/{class_name}/{file_name}"),
                None => format!("{class_name}/{file_name}"),
            };
            files.push(FoundFile {
                id,
                path,
                class,
                origin: split,
            });
        }
    }
    Ok(Scan { class_names, files })
}

fn visible_entries(dir: &Path) -> Result<Vec<(String, PathBuf, bool)>, DataError> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| DataError::from_io(dir, e))? {
        let entry = entry.map_err(|e| DataError::from_io(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        // Follow symlinks, which is how people often assemble datasets.
        let is_dir = std::fs::metadata(&path)
            .map(|m| m.is_dir())
            .unwrap_or(false);
        out.push((name, path, is_dir));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

fn sub_dirs(dir: &Path) -> Result<Vec<(String, PathBuf)>, DataError> {
    Ok(visible_entries(dir)?
        .into_iter()
        .filter(|(_, _, is_dir)| *is_dir)
        .map(|(name, path, _)| (name, path))
        .collect())
}

fn image_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, DataError> {
    Ok(visible_entries(dir)?
        .into_iter()
        .filter(|(name, _, is_dir)| !is_dir && has_image_extension(name))
        .map(|(name, path, _)| (name, path))
        .collect())
}

fn has_image_extension(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| IMAGE_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"x").unwrap();
    }

    #[test]
    fn flat_tree_lists_classes_sorted_and_ignores_other_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("dog/b.PNG"));
        touch(&root.join("dog/a.jpg"));
        touch(&root.join("dog/notes.txt"));
        touch(&root.join("cat/.hidden.png"));
        touch(&root.join("cat/c.webp"));
        touch(&root.join("README.md"));
        let scan = scan(root).unwrap();
        assert_eq!(scan.class_names, vec!["cat", "dog"]);
        let ids: Vec<_> = scan.files.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, vec!["cat/c.webp", "dog/a.jpg", "dog/b.PNG"]);
        assert_eq!(scan.files[1].class, 1);
        assert!(scan.files.iter().all(|f| f.origin.is_none()));
    }

    #[test]
    fn split_tree_uses_split_folders_as_origins() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        touch(&root.join("train/b/1.png"));
        touch(&root.join("test/a/2.png"));
        let scan = scan(root).unwrap();
        assert_eq!(scan.class_names, vec!["a", "b"]);
        assert_eq!(scan.files[0].id, "train/b/1.png");
        assert_eq!(scan.files[0].origin, Some("train"));
        assert_eq!(scan.files[0].class, 1);
        assert_eq!(scan.files[1].origin, Some("test"));
    }

    #[test]
    fn missing_root_file_root_and_no_classes_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            scan(&dir.path().join("nope")),
            Err(DataError::MissingFile { .. })
        ));
        touch(&dir.path().join("file.png"));
        assert!(matches!(
            scan(&dir.path().join("file.png")),
            Err(DataError::BadFormat { .. })
        ));
        assert!(matches!(scan(dir.path()), Err(DataError::Empty { .. })));
    }
}
