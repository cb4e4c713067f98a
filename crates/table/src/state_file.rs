//! Export and import of the user's work (tags, discards, metadata) as a JSON file that a
//! checkpoint carries; rows are matched by (origin, sample_id), not by position.

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::columns::{MetaColumn, State};
use crate::edit::{Op, StoredColumn};
use crate::error::TableError;
use crate::keys::Keys;

const FORMAT: &str = "weightslab-table-state";
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct StateFile {
    format: String,
    version: u32,
    dataset_fingerprint: String,
    /// (origin, sample_id) of every row at export time, in row order.
    samples: Vec<(String, String)>,
    tags: Vec<(String, Vec<u32>)>,
    discarded: Vec<u32>,
    metadata: Vec<(String, StoredColumn)>,
}

fn rows_where(flags: &[bool]) -> Vec<u32> {
    flags
        .iter()
        .enumerate()
        .filter(|(_, f)| **f)
        .map(|(r, _)| r as u32)
        .collect()
}

pub(crate) fn export(
    path: &Path,
    keys: &Keys,
    state: &State,
    fingerprint: &str,
) -> Result<(), TableError> {
    let file = StateFile {
        format: FORMAT.into(),
        version: VERSION,
        dataset_fingerprint: fingerprint.into(),
        samples: (0..keys.len() as u32)
            .map(|r| {
                (
                    keys.origin(r).to_string(),
                    keys.sample_ids[r as usize].clone(),
                )
            })
            .collect(),
        tags: state
            .tags
            .iter()
            .map(|(t, f)| (t.clone(), rows_where(f)))
            .collect(),
        discarded: rows_where(&state.discarded),
        metadata: state
            .metadata
            .iter()
            .map(|(n, c)| (n.clone(), StoredColumn::from(c)))
            .collect(),
    };
    let bytes =
        serde_json::to_vec(&file).map_err(|e| TableError::io(path, std::io::Error::other(e)))?;
    let tmp = crate::h5store::tmp_path(path);
    let mut f = std::fs::File::create(&tmp).map_err(|e| TableError::io(&tmp, e))?;
    f.write_all(&bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| TableError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| TableError::io(path, e))
}

/// Reads a state file and maps it onto this table's rows; samples that are gone are dropped.
pub(crate) fn import(path: &Path, keys: &Keys) -> Result<(Op, usize), TableError> {
    let bytes = std::fs::read(path).map_err(|e| TableError::io(path, e))?;
    let file: StateFile = serde_json::from_slice(&bytes).map_err(|e| {
        TableError::InvalidEdit(format!(
            "{} is not a table state file ({e}); pass a file written by export_state",
            path.display()
        ))
    })?;
    if file.format != FORMAT || file.version != VERSION {
        return Err(TableError::InvalidEdit(format!(
            "{} is format '{}' version {}, expected '{FORMAT}' version {VERSION}",
            path.display(),
            file.format,
            file.version
        )));
    }
    let map: Vec<Option<u32>> = file
        .samples
        .iter()
        .map(|(o, id)| keys.row_of(o, id))
        .collect();
    let missing = map.iter().filter(|m| m.is_none()).count();
    let remap = |rows: Vec<u32>| -> Vec<u32> {
        rows.into_iter()
            .filter_map(|r| map.get(r as usize).copied().flatten())
            .collect()
    };
    let n = keys.len();
    let metadata = file
        .metadata
        .into_iter()
        .map(|(name, column)| {
            let old = MetaColumn::from(column);
            let mut new = MetaColumn::nulls(old.kind(), n);
            for (old_row, new_row) in map.iter().enumerate() {
                if let Some(new_row) = new_row
                    && old_row < meta_len(&old)
                {
                    new.set(*new_row as usize, &old.get(old_row));
                }
            }
            (name, StoredColumn::from(&new))
        })
        .collect();
    let op = Op::ImportState {
        tags: file
            .tags
            .into_iter()
            .map(|(t, rows)| (t, remap(rows)))
            .collect(),
        discarded: remap(file.discarded),
        metadata,
    };
    Ok((op, missing))
}

fn meta_len(c: &MetaColumn) -> usize {
    match c {
        MetaColumn::Float(v) => v.len(),
        MetaColumn::Int(v) => v.len(),
        MetaColumn::Str(v) => v.len(),
        MetaColumn::Bool(v) => v.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;
    use crate::types::{MetaValue, SampleSeed};

    fn keys(ids: &[&str]) -> Keys {
        Keys::build(
            ids.iter()
                .map(|i| SampleSeed {
                    sample_id: i.to_string(),
                    origin: "t".into(),
                    label: 0,
                })
                .collect(),
        )
        .unwrap()
    }

    #[test]
    fn import_matches_rows_by_identity() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let old = keys(&["a", "b", "c"]);
        let mut state = State::empty(3);
        state.tags.insert("x".into(), vec![false, true, true]);
        state.discarded[2] = true;
        state
            .metadata
            .push(("m".into(), MetaColumn::Int(vec![Some(1), Some(2), Some(3)])));
        export(&path, &old, &state, "fp").unwrap();

        // The new dataset lost "b" and reordered the rest.
        let new = keys(&["c", "d", "a"]);
        let (op, missing) = import(&path, &new).unwrap();
        assert_eq!(missing, 1);
        let mut fresh = State::empty(3);
        apply(op, 3, &mut fresh);
        assert_eq!(fresh.tags["x"], vec![true, false, false]);
        assert_eq!(fresh.discarded, vec![true, false, false]);
        assert_eq!(fresh.discarded_count, 1);
        assert_eq!(fresh.meta("m").unwrap().get(0), MetaValue::Int(3));
        assert_eq!(fresh.meta("m").unwrap().get(1), MetaValue::Null);
        assert_eq!(fresh.meta("m").unwrap().get(2), MetaValue::Int(1));
    }

    #[test]
    fn garbage_is_rejected_readably() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.json");
        std::fs::write(&path, b"{}").unwrap();
        let err = import(&path, &keys(&["a"])).err().unwrap();
        assert!(err.to_string().contains("not a table state file"), "{err}");
    }
}
