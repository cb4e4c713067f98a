//! The HDF5 file: one 1-D dataset per column under `/samples` (layout readable by h5py),
//! written to a temp file and renamed, and read back at open.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use hdf5::types::VarLenUnicode;
use hdf5_metno as hdf5;

use crate::columns::{MetaColumn, MetaKind, Signals, State, TAG_PREFIX};
use crate::error::TableError;
use crate::keys::Keys;

pub(crate) const FORMAT_VERSION: i64 = 1;
const GROUP: &str = "samples";
const VALIDITY: &str = "validity";

/// What `load` found at a path.
pub(crate) enum Stored {
    Missing,
    /// Another dataset's file (or one whose rows are not ours); `why` says which.
    Foreign {
        why: String,
    },
    Loaded(Box<Loaded>),
}

/// A stored table of this dataset.
pub(crate) struct Loaded {
    pub journal_seq: u64,
    pub signals: Signals,
    pub state: State,
}

/// Dataset names cannot hold `/`, and `.` alone means the group itself.
fn escape(name: &str) -> String {
    let escaped = name.replace('%', "%25").replace('/', "%2F");
    if escaped == "." {
        "%2E".into()
    } else {
        escaped
    }
}

fn unescape(name: &str) -> String {
    name.replace("%2F", "/")
        .replace("%2E", ".")
        .replace("%25", "%")
}

fn vlu(path: &Path, text: &str) -> Result<VarLenUnicode, TableError> {
    VarLenUnicode::from_str(text)
        .map_err(|e| TableError::hdf5(path, format!("cannot store text {text:?}: {e}")))
}

struct Writer<'a> {
    path: &'a Path,
    group: hdf5::Group,
}

impl Writer<'_> {
    fn err(&self, e: impl std::fmt::Display) -> TableError {
        TableError::hdf5(self.path, e)
    }

    fn attr_str(&self, loc: &hdf5::Location, name: &str, value: &str) -> Result<(), TableError> {
        let value = vlu(self.path, value)?;
        loc.new_attr::<VarLenUnicode>()
            .shape(())
            .create(name)
            .and_then(|a| a.write_scalar(&value))
            .map_err(|e| self.err(e))
    }

    fn numeric<T: hdf5::H5Type>(
        &self,
        name: &str,
        data: &[T],
    ) -> Result<hdf5::Dataset, TableError> {
        self.group
            .new_dataset_builder()
            .with_data(data)
            .create(name)
            .map_err(|e| self.err(e))
    }

    fn strings<'s>(
        &self,
        name: &str,
        data: impl Iterator<Item = &'s str>,
    ) -> Result<hdf5::Dataset, TableError> {
        let values = data
            .map(|s| vlu(self.path, s))
            .collect::<Result<Vec<_>, _>>()?;
        self.numeric(name, &values)
    }

    fn bools(
        &self,
        group: &hdf5::Group,
        name: &str,
        data: impl Iterator<Item = bool>,
    ) -> Result<(), TableError> {
        let bytes: Vec<u8> = data.map(u8::from).collect();
        let ds = group
            .new_dataset_builder()
            .with_data(&bytes)
            .create(name)
            .map_err(|e| self.err(e))?;
        self.attr_str(&ds, "dtype", "bool")
    }
}

/// Writes the whole table to `path` atomically: `<path>.tmp`, fsync, rename, fsync the dir.
pub(crate) fn write(
    path: &Path,
    keys: &Keys,
    signals: &Signals,
    state: &State,
    fingerprint: &str,
    journal_seq: u64,
) -> Result<(), TableError> {
    let tmp = tmp_path(path);
    write_file(&tmp, keys, signals, state, fingerprint, journal_seq)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| TableError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| TableError::io(path, e))?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| TableError::io(dir, e))?;
    }
    Ok(())
}

pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".tmp");
    PathBuf::from(name)
}

fn write_file(
    path: &Path,
    keys: &Keys,
    signals: &Signals,
    state: &State,
    fingerprint: &str,
    journal_seq: u64,
) -> Result<(), TableError> {
    let file = hdf5::File::create(path).map_err(|e| TableError::hdf5(path, e))?;
    let group = file
        .create_group(GROUP)
        .map_err(|e| TableError::hdf5(path, e))?;
    let validity = file
        .create_group(VALIDITY)
        .map_err(|e| TableError::hdf5(path, e))?;
    let w = Writer { path, group };
    let err = |e: hdf5::Error| TableError::hdf5(path, e);

    w.attr_str(&w.group, "dataset_fingerprint", fingerprint)?;
    w.group
        .new_attr::<i64>()
        .shape(())
        .create("journal_seq")
        .and_then(|a| a.write_scalar(&(journal_seq as i64)))
        .map_err(err)?;
    w.group
        .new_attr::<i64>()
        .shape(())
        .create("format_version")
        .and_then(|a| a.write_scalar(&FORMAT_VERSION))
        .map_err(err)?;
    w.group
        .new_attr::<i64>()
        .shape(())
        .create("keys_crc32")
        .and_then(|a| a.write_scalar(&i64::from(keys.checksum)))
        .map_err(err)?;
    w.group
        .new_attr::<i64>()
        .shape(())
        .create("rows")
        .and_then(|a| a.write_scalar(&(keys.len() as i64)))
        .map_err(err)?;
    let order: Vec<&str> = state.metadata.iter().map(|(n, _)| n.as_str()).collect();
    let order = serde_json::to_string(&order).map_err(|e| TableError::hdf5(path, e))?;
    w.attr_str(&w.group, "metadata_columns", &order)?;

    w.strings("sample_id", keys.sample_ids.iter().map(String::as_str))?;
    w.strings(
        "origin",
        keys.origin_of
            .iter()
            .map(|&o| keys.splits[o as usize].as_str()),
    )?;
    w.numeric("label", &keys.labels)?;
    w.numeric("prediction", &signals.prediction)?;
    w.numeric("loss", &signals.loss)?;
    w.numeric("confidence", &signals.confidence)?;
    w.numeric("label_probability", &signals.label_probability)?;
    w.numeric("label_issue", &signals.label_issue)?;
    w.numeric("encounters", &signals.encounters)?;
    w.numeric("last_seen_age", &signals.last_seen_age)?;
    w.bools(&w.group, "discarded", state.discarded.iter().copied())?;
    for (tag, flags) in &state.tags {
        w.bools(
            &w.group,
            &format!("{TAG_PREFIX}{}", escape(tag)),
            flags.iter().copied(),
        )?;
    }
    for (name, column) in &state.metadata {
        let ds_name = escape(name);
        let (ds, valid): (hdf5::Dataset, Vec<bool>) = match column {
            MetaColumn::Float(v) => (
                w.numeric(
                    &ds_name,
                    &v.iter().map(|x| x.unwrap_or(f64::NAN)).collect::<Vec<_>>(),
                )?,
                v.iter().map(Option::is_some).collect(),
            ),
            MetaColumn::Int(v) => (
                w.numeric(
                    &ds_name,
                    &v.iter().map(|x| x.unwrap_or(0)).collect::<Vec<_>>(),
                )?,
                v.iter().map(Option::is_some).collect(),
            ),
            MetaColumn::Str(v) => (
                w.strings(&ds_name, v.iter().map(|x| x.as_deref().unwrap_or("")))?,
                v.iter().map(Option::is_some).collect(),
            ),
            MetaColumn::Bool(v) => {
                let bytes: Vec<u8> = v.iter().map(|x| u8::from(x.unwrap_or(false))).collect();
                let ds = w.numeric(&ds_name, &bytes)?;
                w.attr_str(&ds, "dtype", "bool")?;
                (ds, v.iter().map(Option::is_some).collect())
            }
        };
        w.attr_str(&ds, "kind", column.kind().name())?;
        w.attr_str(&ds, "column", name)?;
        if valid.iter().any(|v| !v) {
            w.bools(&validity, &ds_name, valid.into_iter())?;
        }
    }
    file.flush().map_err(err)?;
    file.close().map_err(err)
}

fn read_attr_str(path: &Path, loc: &hdf5::Location, name: &str) -> Result<String, TableError> {
    loc.attr(name)
        .and_then(|a| a.read_scalar::<VarLenUnicode>())
        .map(|s| s.as_str().to_string())
        .map_err(|e| TableError::hdf5(path, format!("attribute '{name}': {e}")))
}

fn read_attr_i64(path: &Path, loc: &hdf5::Location, name: &str) -> Result<i64, TableError> {
    loc.attr(name)
        .and_then(|a| a.read_scalar::<i64>())
        .map_err(|e| TableError::hdf5(path, format!("attribute '{name}': {e}")))
}

fn read_vec<T: hdf5::H5Type>(
    path: &Path,
    group: &hdf5::Group,
    name: &str,
    n: usize,
) -> Result<Vec<T>, TableError> {
    let data = group
        .dataset(name)
        .and_then(|d| d.read_raw::<T>())
        .map_err(|e| TableError::hdf5(path, format!("dataset '{name}': {e}")))?;
    if data.len() != n {
        return Err(TableError::hdf5(
            path,
            format!("dataset '{name}' has {} rows, expected {n}", data.len()),
        ));
    }
    Ok(data)
}

fn read_bools(
    path: &Path,
    group: &hdf5::Group,
    name: &str,
    n: usize,
) -> Result<Vec<bool>, TableError> {
    Ok(read_vec::<u8>(path, group, name, n)?
        .into_iter()
        .map(|b| b != 0)
        .collect())
}

/// Loads the file at `path` if it belongs to this dataset and these rows.
pub(crate) fn load(path: &Path, fingerprint: &str, keys: &Keys) -> Result<Stored, TableError> {
    if !path.exists() {
        return Ok(Stored::Missing);
    }
    let file = match hdf5::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return Ok(Stored::Foreign {
                why: format!("it cannot be opened as HDF5 ({e})"),
            });
        }
    };
    let group = match file.group(GROUP) {
        Ok(g) => g,
        Err(_) => {
            return Ok(Stored::Foreign {
                why: format!("it has no '/{GROUP}' group"),
            });
        }
    };
    let stored_fp = read_attr_str(path, &group, "dataset_fingerprint").unwrap_or_default();
    if stored_fp != fingerprint {
        return Ok(Stored::Foreign {
            why: format!("it belongs to dataset '{stored_fp}', not '{fingerprint}'"),
        });
    }
    let version = read_attr_i64(path, &group, "format_version")?;
    if version != FORMAT_VERSION {
        return Ok(Stored::Foreign {
            why: format!("it has format version {version}, this build reads {FORMAT_VERSION}"),
        });
    }
    let n = keys.len();
    let rows = read_attr_i64(path, &group, "rows")?;
    let crc = read_attr_i64(path, &group, "keys_crc32")?;
    if rows != n as i64 || crc != i64::from(keys.checksum) {
        return Ok(Stored::Foreign {
            why: format!("its {rows} rows are not the dataset's {n} samples in the same order"),
        });
    }
    let journal_seq = read_attr_i64(path, &group, "journal_seq")?.max(0) as u64;
    let signals = Signals {
        prediction: read_vec(path, &group, "prediction", n)?,
        loss: read_vec(path, &group, "loss", n)?,
        confidence: read_vec(path, &group, "confidence", n)?,
        label_probability: read_vec(path, &group, "label_probability", n)?,
        label_issue: read_vec(path, &group, "label_issue", n)?,
        encounters: read_vec(path, &group, "encounters", n)?,
        last_seen_age: read_vec(path, &group, "last_seen_age", n)?,
    };
    let mut state = State::empty(n);
    state.discarded = read_bools(path, &group, "discarded", n)?;
    state.recount_discarded();
    let members = group
        .member_names()
        .map_err(|e| TableError::hdf5(path, e))?;
    for member in &members {
        if let Some(tag) = member.strip_prefix(TAG_PREFIX) {
            state
                .tags
                .insert(unescape(tag), read_bools(path, &group, member, n)?);
        }
    }
    let order: Vec<String> =
        serde_json::from_str(&read_attr_str(path, &group, "metadata_columns")?)
            .map_err(|e| TableError::hdf5(path, format!("attribute 'metadata_columns': {e}")))?;
    let validity = file.group(VALIDITY).ok();
    for name in order {
        let ds_name = escape(&name);
        let ds = group
            .dataset(&ds_name)
            .map_err(|e| TableError::hdf5(path, format!("dataset '{ds_name}': {e}")))?;
        let kind_text = read_attr_str(path, &ds, "kind")?;
        let kind = MetaKind::parse(&kind_text).ok_or_else(|| {
            TableError::hdf5(
                path,
                format!("dataset '{ds_name}' has unknown kind '{kind_text}'"),
            )
        })?;
        let valid: Vec<bool> = match &validity {
            Some(v) if v.link_exists(&ds_name) => read_bools(path, v, &ds_name, n)?,
            _ => vec![true; n],
        };
        let mask = |i: usize| valid[i];
        let column = match kind {
            MetaKind::Float => MetaColumn::Float(
                read_vec::<f64>(path, &group, &ds_name, n)?
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| mask(i).then_some(x))
                    .collect(),
            ),
            MetaKind::Int => MetaColumn::Int(
                read_vec::<i64>(path, &group, &ds_name, n)?
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| mask(i).then_some(x))
                    .collect(),
            ),
            MetaKind::Str => MetaColumn::Str(
                read_vec::<VarLenUnicode>(path, &group, &ds_name, n)?
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| mask(i).then(|| x.as_str().to_string()))
                    .collect(),
            ),
            MetaKind::Bool => MetaColumn::Bool(
                read_vec::<u8>(path, &group, &ds_name, n)?
                    .into_iter()
                    .enumerate()
                    .map(|(i, x)| mask(i).then_some(x != 0))
                    .collect(),
            ),
        };
        state.metadata.push((name, column));
    }
    Ok(Stored::Loaded(Box::new(Loaded {
        journal_seq,
        signals,
        state,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{SampleSeed, SignalUpdate};

    #[test]
    fn escape_round_trips() {
        for name in ["a/b", "50%", ".", "%2F", "plain"] {
            assert!(!escape(name).contains('/'));
            assert_eq!(unescape(&escape(name)), name);
        }
    }

    #[test]
    fn write_then_load_round_trips_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("samples.h5");
        let seeds = (0..4)
            .map(|i| SampleSeed {
                sample_id: format!("s{i}"),
                origin: if i < 2 { "train" } else { "val" }.into(),
                label: i,
            })
            .collect();
        let keys = Keys::build(seeds).unwrap();
        let mut signals = Signals::unseen(4);
        signals.record(&[SignalUpdate {
            row: 2,
            prediction: 1,
            loss: 0.25,
            confidence: 0.5,
            label_probability: 0.5,
            label_issue: 0.1,
            model_age: 9,
        }]);
        let mut state = State::empty(4);
        state.discarded[1] = true;
        state.recount_discarded();
        state
            .tags
            .insert("a/b".into(), vec![true, false, false, true]);
        state.tags.insert("empty".into(), vec![false; 4]);
        state.metadata.push((
            "z".into(),
            MetaColumn::Float(vec![Some(1.5), None, Some(f64::NAN), Some(-2.0)]),
        ));
        state.metadata.push((
            "a".into(),
            MetaColumn::Str(vec![
                Some("x".into()),
                None,
                Some(String::new()),
                Some("ü".into()),
            ]),
        ));
        state.metadata.push((
            "i".into(),
            MetaColumn::Int(vec![Some(1), Some(2), Some(3), Some(4)]),
        ));
        state.metadata.push((
            "b".into(),
            MetaColumn::Bool(vec![Some(true), None, Some(false), Some(true)]),
        ));
        write(&path, &keys, &signals, &state, "fp", 42).unwrap();
        assert!(!tmp_path(&path).exists());

        let Stored::Loaded(loaded) = load(&path, "fp", &keys).unwrap() else {
            panic!("not loaded")
        };
        let (journal_seq, s2, st2) = (loaded.journal_seq, loaded.signals, loaded.state);
        assert_eq!(journal_seq, 42);
        assert_eq!(s2.encounters, signals.encounters);
        assert_eq!(s2.loss[2], 0.25);
        assert_eq!(st2.discarded, state.discarded);
        assert_eq!(st2.discarded_count, 1);
        assert_eq!(st2.tags, state.tags);
        let names: Vec<&str> = st2.metadata.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, vec!["z", "a", "i", "b"]);
        assert_eq!(st2.metadata[1], state.metadata[1]);
        assert_eq!(st2.metadata[2], state.metadata[2]);
        assert_eq!(st2.metadata[3], state.metadata[3]);
        let MetaColumn::Float(z) = &st2.metadata[0].1 else {
            panic!("kind")
        };
        assert_eq!((z[0], z[1], z[3]), (Some(1.5), None, Some(-2.0)));
        assert!(z[2].is_some_and(f64::is_nan));

        assert!(matches!(
            load(&path, "other", &keys).unwrap(),
            Stored::Foreign { .. }
        ));
        let other_keys = Keys::build(vec![SampleSeed {
            sample_id: "q".into(),
            origin: "t".into(),
            label: 0,
        }])
        .unwrap();
        assert!(matches!(
            load(&path, "fp", &other_keys).unwrap(),
            Stored::Foreign { .. }
        ));
        assert!(matches!(
            load(&dir.path().join("none.h5"), "fp", &keys).unwrap(),
            Stored::Missing
        ));
    }
}
