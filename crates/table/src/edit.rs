//! Edits: validation of a user `Edit` into a resolved, journal-ready `Op`, and applying an
//! `Op` to the state (the same code runs live and on journal replay).

use serde::{Deserialize, Serialize};

use crate::columns::{
    ColumnId, MetaColumn, MetaKind, Signals, State, TAG_PREFIX, check_new_meta_name, normalize_tag,
    suggest,
};
use crate::error::TableError;
use crate::keys::Keys;
use crate::types::{Edit, MetaValue, TagMode};

/// A metadata value as the journal stores it: floats travel as bit patterns because JSON has
/// no NaN or infinity, and a replayed edit must restore exactly what was acknowledged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum JVal {
    F(u64),
    I(i64),
    S(String),
    B(bool),
    N,
}

impl From<&MetaValue> for JVal {
    fn from(v: &MetaValue) -> Self {
        match v {
            MetaValue::Float(x) => JVal::F(x.to_bits()),
            MetaValue::Int(x) => JVal::I(*x),
            MetaValue::Str(x) => JVal::S(x.clone()),
            MetaValue::Bool(x) => JVal::B(*x),
            MetaValue::Null => JVal::N,
        }
    }
}

impl From<&JVal> for MetaValue {
    fn from(v: &JVal) -> Self {
        match v {
            JVal::F(bits) => MetaValue::Float(f64::from_bits(*bits)),
            JVal::I(x) => MetaValue::Int(*x),
            JVal::S(x) => MetaValue::Str(x.clone()),
            JVal::B(x) => MetaValue::Bool(*x),
            JVal::N => MetaValue::Null,
        }
    }
}

/// A whole metadata column in journal form (see `JVal` for why floats are bits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum StoredColumn {
    Float(Vec<Option<u64>>),
    Int(Vec<Option<i64>>),
    Str(Vec<Option<String>>),
    Bool(Vec<Option<bool>>),
}

impl From<&MetaColumn> for StoredColumn {
    fn from(c: &MetaColumn) -> Self {
        match c {
            MetaColumn::Float(v) => {
                StoredColumn::Float(v.iter().map(|x| x.map(f64::to_bits)).collect())
            }
            MetaColumn::Int(v) => StoredColumn::Int(v.clone()),
            MetaColumn::Str(v) => StoredColumn::Str(v.clone()),
            MetaColumn::Bool(v) => StoredColumn::Bool(v.clone()),
        }
    }
}

impl From<StoredColumn> for MetaColumn {
    fn from(c: StoredColumn) -> Self {
        match c {
            StoredColumn::Float(v) => {
                MetaColumn::Float(v.into_iter().map(|x| x.map(f64::from_bits)).collect())
            }
            StoredColumn::Int(v) => MetaColumn::Int(v),
            StoredColumn::Str(v) => MetaColumn::Str(v),
            StoredColumn::Bool(v) => MetaColumn::Bool(v),
        }
    }
}

/// A validated edit with every sample resolved to rows: what the journal records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Op {
    SetTag {
        tag: String,
        rows: Vec<u32>,
        value: bool,
    },
    SetDiscarded {
        rows: Vec<u32>,
        value: bool,
    },
    RegisterTag {
        tag: String,
    },
    DeleteTag {
        tag: String,
    },
    /// Copy of a metadata or tag column: replay sees the same source, so no values travel.
    CopyColumn {
        from: String,
        to: String,
    },
    /// Copy of a built-in column: signals are not journaled, so the values travel.
    CreateColumn {
        name: String,
        column: StoredColumn,
    },
    DeleteColumn {
        name: String,
    },
    SetValues {
        column: String,
        rows: Vec<u32>,
        values: Vec<JVal>,
    },
    /// Replaces tags, discards and metadata wholesale (checkpoint restore).
    ImportState {
        tags: Vec<(String, Vec<u32>)>,
        discarded: Vec<u32>,
        metadata: Vec<(String, StoredColumn)>,
    },
}

/// What applying an op did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Applied {
    pub rows_changed: usize,
    pub message: String,
    pub discards_changed: bool,
}

fn need_targets(n: usize, what: &str) -> Result<(), TableError> {
    if n == 0 {
        return Err(TableError::InvalidEdit(format!(
            "{what} needs at least one sample id"
        )));
    }
    Ok(())
}

fn unknown_tag(tag: &str, state: &State) -> TableError {
    let known: Vec<String> = state
        .tags
        .keys()
        .map(|t| format!("{TAG_PREFIX}{t}"))
        .collect();
    TableError::UnknownColumn {
        name: format!("{TAG_PREFIX}{tag}"),
        suggestions: suggest(&format!("{TAG_PREFIX}{tag}"), &known),
    }
}

/// First free name among `<base>_copy`, `<base>_copy2`, …
fn free_copy_name(base: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut k = 1usize;
    loop {
        let candidate = if k == 1 {
            format!("{base}_copy")
        } else {
            format!("{base}_copy{k}")
        };
        if !taken(&candidate) {
            return candidate;
        }
        k += 1;
    }
}

/// Checks an edit against the current state and resolves it; nothing changes here.
pub(crate) fn validate(
    edit: Edit,
    keys: &Keys,
    signals: &Signals,
    state: &State,
) -> Result<Op, TableError> {
    match edit {
        Edit::Tag { targets, tag, mode } => {
            need_targets(targets.len(), "a tag edit")?;
            let tag = normalize_tag(&tag)?;
            let rows = keys.resolve(&targets)?;
            let value = match mode {
                TagMode::Add => true,
                TagMode::Remove => false,
                TagMode::Set(v) => v,
            };
            Ok(Op::SetTag { tag, rows, value })
        }
        Edit::Discard { targets, discarded } => {
            need_targets(targets.len(), "a discard edit")?;
            Ok(Op::SetDiscarded {
                rows: keys.resolve(&targets)?,
                value: discarded,
            })
        }
        Edit::RegisterTag(tag) => Ok(Op::RegisterTag {
            tag: normalize_tag(&tag)?,
        }),
        Edit::DeleteTag(tag) => {
            let tag = normalize_tag(&tag)?;
            if !state.tags.contains_key(&tag) {
                return Err(unknown_tag(&tag, state));
            }
            Ok(Op::DeleteTag { tag })
        }
        Edit::DiscardByTag { tag, discarded } => {
            let tag = normalize_tag(&tag)?;
            let members = state
                .tags
                .get(&tag)
                .ok_or_else(|| unknown_tag(&tag, state))?;
            let rows = members
                .iter()
                .enumerate()
                .filter(|(_, m)| **m)
                .map(|(r, _)| r as u32)
                .collect();
            Ok(Op::SetDiscarded {
                rows,
                value: discarded,
            })
        }
        Edit::CopyColumn { from, to } => validate_copy(&from, to, keys, signals, state),
        Edit::DeleteColumn(name) => match ColumnId::resolve(&name, state)? {
            ColumnId::Tag(tag) => Ok(Op::DeleteTag { tag }),
            ColumnId::Meta(name) => Ok(Op::DeleteColumn { name }),
            builtin => Err(TableError::InvalidEdit(format!(
                "'{}' is a built-in column and cannot be deleted; only user metadata and tag columns can",
                builtin.name()
            ))),
        },
        Edit::SetValues {
            column,
            targets,
            values,
        } => validate_set_values(column, &targets, values, keys, state),
    }
}

fn validate_copy(
    from: &str,
    to: Option<String>,
    keys: &Keys,
    signals: &Signals,
    state: &State,
) -> Result<Op, TableError> {
    let source = ColumnId::resolve(from, state)?;
    match source {
        ColumnId::Tag(tag) => {
            let target = match to {
                Some(to) => normalize_tag(&to)?,
                None => free_copy_name(&tag, |t| state.tags.contains_key(t)),
            };
            if state.tags.contains_key(&target) {
                return Err(TableError::AlreadyExists(format!("tag '{target}'")));
            }
            Ok(Op::CopyColumn {
                from: format!("{TAG_PREFIX}{tag}"),
                to: format!("{TAG_PREFIX}{target}"),
            })
        }
        source => {
            let base = source.name();
            let target = match to {
                Some(to) => to,
                None => free_copy_name(&base, |n| ColumnId::lookup(n, state).is_some()),
            };
            check_new_meta_name(&target, state)?;
            match source {
                ColumnId::Meta(name) => Ok(Op::CopyColumn {
                    from: name,
                    to: target,
                }),
                builtin => {
                    let column = snapshot_builtin(&builtin, keys, signals, state);
                    Ok(Op::CreateColumn {
                        name: target,
                        column: StoredColumn::from(&column),
                    })
                }
            }
        }
    }
}

/// The current values of a built-in column as a metadata column.
fn snapshot_builtin(id: &ColumnId, keys: &Keys, signals: &Signals, state: &State) -> MetaColumn {
    let n = keys.len() as u32;
    let values = (0..n).map(|r| id.value(r, keys, signals, state));
    match id {
        ColumnId::SampleId | ColumnId::Origin => MetaColumn::Str(
            values
                .map(|v| {
                    if let MetaValue::Str(s) = v {
                        Some(s)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
        ColumnId::Discarded => MetaColumn::Bool(
            values
                .map(|v| {
                    if let MetaValue::Bool(b) = v {
                        Some(b)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
        ColumnId::Loss
        | ColumnId::Confidence
        | ColumnId::LabelProbability
        | ColumnId::LabelIssue => MetaColumn::Float(
            values
                .map(|v| {
                    if let MetaValue::Float(x) = v {
                        Some(x)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
        _ => MetaColumn::Int(
            values
                .map(|v| {
                    if let MetaValue::Int(x) = v {
                        Some(x)
                    } else {
                        None
                    }
                })
                .collect(),
        ),
    }
}

fn infer_kind(values: &[MetaValue]) -> Result<MetaKind, TableError> {
    let mut kind: Option<MetaKind> = None;
    for v in values {
        let k = match v {
            MetaValue::Float(_) => MetaKind::Float,
            MetaValue::Int(_) => MetaKind::Int,
            MetaValue::Str(_) => MetaKind::Str,
            MetaValue::Bool(_) => MetaKind::Bool,
            MetaValue::Null => continue,
        };
        kind = Some(match (kind, k) {
            (None, k) => k,
            (Some(a), b) if a == b => a,
            (Some(MetaKind::Int), MetaKind::Float) | (Some(MetaKind::Float), MetaKind::Int) => {
                MetaKind::Float
            }
            (Some(a), b) => {
                return Err(TableError::InvalidEdit(format!(
                    "values mix {} and {}; one column holds one kind of value",
                    a.name(),
                    b.name()
                )));
            }
        });
    }
    Ok(kind.unwrap_or(MetaKind::Float))
}

fn validate_set_values(
    column: String,
    targets: &[crate::types::SampleRef],
    values: Vec<MetaValue>,
    keys: &Keys,
    state: &State,
) -> Result<Op, TableError> {
    need_targets(targets.len(), "setting values")?;
    if values.len() != targets.len() && values.len() != 1 {
        return Err(TableError::InvalidEdit(format!(
            "got {} value(s) for {} sample(s); send one value per sample, or a single value for all",
            values.len(),
            targets.len()
        )));
    }
    match ColumnId::lookup(&column, state) {
        Some(ColumnId::Meta(_)) => {
            let kind = state
                .meta(&column)
                .map_or(MetaKind::Float, MetaColumn::kind);
            let promotable = kind == MetaKind::Int && infer_kind(&values)? == MetaKind::Float;
            if let Some(bad) = values
                .iter()
                .find(|v| !MetaColumn::accepts(kind, v) && !promotable)
            {
                return Err(TableError::InvalidEdit(format!(
                    "column '{column}' holds {} values and cannot store {bad:?}",
                    kind.name()
                )));
            }
        }
        Some(other) => {
            return Err(TableError::InvalidEdit(format!(
                "'{}' is not a user metadata column; values can only be set on metadata columns (use tag or discard edits for those)",
                other.name()
            )));
        }
        None => {
            check_new_meta_name(&column, state)?;
            infer_kind(&values)?;
        }
    }
    let per_target = keys.resolve_each(targets)?;
    let mut rows = Vec::with_capacity(targets.len());
    let mut out = Vec::with_capacity(targets.len());
    for (i, target_rows) in per_target.into_iter().enumerate() {
        let value = JVal::from(&values[if values.len() == 1 { 0 } else { i }]);
        for row in target_rows {
            rows.push(row);
            out.push(value.clone());
        }
    }
    Ok(Op::SetValues {
        column,
        rows,
        values: out,
    })
}

fn set_flags(flags: &mut [bool], rows: &[u32], value: bool) -> usize {
    let mut changed = 0;
    for &row in rows {
        if let Some(slot) = flags.get_mut(row as usize)
            && *slot != value
        {
            *slot = value;
            changed += 1;
        }
    }
    changed
}

/// Applies a validated op. Infallible by design: replay must never stop half way, so a
/// replayed op whose premise no longer holds changes nothing and says so.
pub(crate) fn apply(op: Op, n: usize, state: &mut State) -> Applied {
    let plain = |rows_changed, message| Applied {
        rows_changed,
        message,
        discards_changed: false,
    };
    match op {
        Op::SetTag { tag, rows, value } => {
            if !value && !state.tags.contains_key(&tag) {
                return plain(
                    0,
                    format!("No sample carries tag '{tag}'; nothing to remove."),
                );
            }
            let flags = state
                .tags
                .entry(tag.clone())
                .or_insert_with(|| vec![false; n]);
            let changed = set_flags(flags, &rows, value);
            let message = if value {
                format!(
                    "Tagged {changed} sample(s) with '{tag}' ({} already had it).",
                    rows.len() - changed
                )
            } else {
                format!("Removed tag '{tag}' from {changed} sample(s).")
            };
            plain(changed, message)
        }
        Op::SetDiscarded { rows, value } => {
            let changed = set_flags(&mut state.discarded, &rows, value);
            if value {
                state.discarded_count += changed;
            } else {
                state.discarded_count -= changed;
            }
            let verb = if value { "Discarded" } else { "Restored" };
            Applied {
                rows_changed: changed,
                message: format!(
                    "{verb} {changed} sample(s) ({} unchanged).",
                    rows.len() - changed
                ),
                discards_changed: changed > 0,
            }
        }
        Op::RegisterTag { tag } => {
            if state.tags.contains_key(&tag) {
                return plain(0, format!("Tag '{tag}' already exists."));
            }
            state.tags.insert(tag.clone(), vec![false; n]);
            plain(0, format!("Registered tag '{tag}'."))
        }
        Op::DeleteTag { tag } => match state.tags.remove(&tag) {
            Some(flags) => {
                let had = flags.iter().filter(|&&f| f).count();
                plain(
                    had,
                    format!("Deleted tag '{tag}' ({had} sample(s) carried it)."),
                )
            }
            None => plain(0, format!("Tag '{tag}' does not exist; nothing deleted.")),
        },
        Op::CopyColumn { from, to } => apply_copy(&from, &to, state),
        Op::CreateColumn { name, column } => {
            if state.meta(&name).is_some() {
                return plain(
                    0,
                    format!("Column '{name}' already exists; nothing copied."),
                );
            }
            state.metadata.push((name.clone(), column.into()));
            plain(n, format!("Saved a copy as '{name}'."))
        }
        Op::DeleteColumn { name } => {
            let before = state.metadata.len();
            state.metadata.retain(|(n, _)| *n != name);
            let removed = before - state.metadata.len();
            plain(
                0,
                if removed > 0 {
                    format!("Deleted column '{name}'.")
                } else {
                    format!("Column '{name}' does not exist; nothing deleted.")
                },
            )
        }
        Op::SetValues {
            column,
            rows,
            values,
        } => {
            let values: Vec<MetaValue> = values.iter().map(MetaValue::from).collect();
            if state.meta(&column).is_none() {
                let kind = infer_kind(&values).unwrap_or(MetaKind::Float);
                state
                    .metadata
                    .push((column.clone(), MetaColumn::nulls(kind, n)));
            }
            let mut changed = 0;
            if let Some(col) = state.meta_mut(&column) {
                if col.kind() == MetaKind::Int
                    && values.iter().any(|v| matches!(v, MetaValue::Float(_)))
                {
                    col.promote_to_float();
                }
                for (row, value) in rows.iter().zip(&values) {
                    if (*row as usize) < n
                        && MetaColumn::accepts(col.kind(), value)
                        && col.set(*row as usize, value)
                    {
                        changed += 1;
                    }
                }
            }
            plain(
                changed,
                format!("Saved {} value(s) as '{column}'.", rows.len()),
            )
        }
        Op::ImportState {
            tags,
            discarded,
            metadata,
        } => {
            let mut fresh = State::empty(n);
            for (tag, rows) in tags {
                let mut flags = vec![false; n];
                set_flags(&mut flags, &rows, true);
                fresh.tags.insert(tag, flags);
            }
            set_flags(&mut fresh.discarded, &discarded, true);
            fresh.recount_discarded();
            fresh.metadata = metadata
                .into_iter()
                .map(|(name, column)| (name, MetaColumn::from(column)))
                .filter(|(_, c)| meta_len(c) == n)
                .collect();
            let message = format!(
                "Imported {} tag(s), {} discard(s) and {} metadata column(s).",
                fresh.tags.len(),
                fresh.discarded_count,
                fresh.metadata.len()
            );
            let discards_changed = fresh.discarded != state.discarded;
            *state = fresh;
            Applied {
                rows_changed: n,
                message,
                discards_changed,
            }
        }
    }
}

fn meta_len(c: &MetaColumn) -> usize {
    match c {
        MetaColumn::Float(v) => v.len(),
        MetaColumn::Int(v) => v.len(),
        MetaColumn::Str(v) => v.len(),
        MetaColumn::Bool(v) => v.len(),
    }
}

fn apply_copy(from: &str, to: &str, state: &mut State) -> Applied {
    let plain = |rows_changed, message| Applied {
        rows_changed,
        message,
        discards_changed: false,
    };
    if let (Some(src), Some(dst)) = (from.strip_prefix(TAG_PREFIX), to.strip_prefix(TAG_PREFIX)) {
        let Some(flags) = state.tags.get(src).cloned() else {
            return plain(0, format!("Tag '{src}' does not exist; nothing copied."));
        };
        if state.tags.contains_key(dst) {
            return plain(0, format!("Tag '{dst}' already exists; nothing copied."));
        }
        let carried = flags.iter().filter(|&&f| f).count();
        state.tags.insert(dst.to_string(), flags);
        return plain(carried, format!("Saved '{from}' as '{to}'."));
    }
    let Some(column) = state.meta(from).cloned() else {
        return plain(
            0,
            format!("Column '{from}' does not exist; nothing copied."),
        );
    };
    if state.meta(to).is_some() {
        return plain(0, format!("Column '{to}' already exists; nothing copied."));
    }
    let n = meta_len(&column);
    state.metadata.push((to.to_string(), column));
    plain(n, format!("Saved '{from}' as '{to}'."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{SampleRef, SampleSeed};

    fn fixture() -> (Keys, Signals, State) {
        let seeds = ["a", "b", "c"]
            .iter()
            .map(|id| SampleSeed {
                sample_id: id.to_string(),
                origin: "t".into(),
                label: 1,
            })
            .collect();
        (
            Keys::build(seeds).unwrap(),
            Signals::unseen(3),
            State::empty(3),
        )
    }

    #[test]
    fn journal_values_keep_nan_and_infinity() {
        let op = Op::SetValues {
            column: "x".into(),
            rows: vec![0, 1, 2],
            values: vec![
                JVal::from(&MetaValue::Float(f64::NAN)),
                JVal::from(&MetaValue::Float(f64::NEG_INFINITY)),
                JVal::N,
            ],
        };
        let text = serde_json::to_string(&op).unwrap();
        let back: Op = serde_json::from_str(&text).unwrap();
        let Op::SetValues { values, .. } = back else {
            panic!("wrong op")
        };
        assert!(matches!(MetaValue::from(&values[0]), MetaValue::Float(x) if x.is_nan()));
        assert_eq!(
            MetaValue::from(&values[1]),
            MetaValue::Float(f64::NEG_INFINITY)
        );
    }

    #[test]
    fn copy_names_count_up() {
        let (keys, signals, mut state) = fixture();
        for expected in ["loss_copy", "loss_copy2", "loss_copy3"] {
            let op = validate(
                Edit::CopyColumn {
                    from: "loss".into(),
                    to: None,
                },
                &keys,
                &signals,
                &state,
            )
            .unwrap();
            let Op::CreateColumn { name, .. } = &op else {
                panic!("wrong op")
            };
            assert_eq!(name, expected);
            apply(op, 3, &mut state);
        }
        let err = validate(
            Edit::CopyColumn {
                from: "loss".into(),
                to: Some("loss_copy".into()),
            },
            &keys,
            &signals,
            &state,
        );
        assert!(matches!(err, Err(TableError::AlreadyExists(_))));
    }

    #[test]
    fn set_values_checks_kinds_and_lengths() {
        let (keys, signals, mut state) = fixture();
        let targets = vec![SampleRef::by_id("a"), SampleRef::by_id("b")];
        let set = |column: &str, values: Vec<MetaValue>| Edit::SetValues {
            column: column.into(),
            targets: targets.clone(),
            values,
        };
        let op = validate(
            set("n", vec![MetaValue::Int(1), MetaValue::Int(2)]),
            &keys,
            &signals,
            &state,
        )
        .unwrap();
        apply(op, 3, &mut state);
        assert_eq!(state.meta("n").map(MetaColumn::kind), Some(MetaKind::Int));
        // A float joining an int column promotes it rather than failing.
        let op = validate(
            set("n", vec![MetaValue::Float(0.5)]),
            &keys,
            &signals,
            &state,
        )
        .unwrap();
        assert_eq!(apply(op, 3, &mut state).rows_changed, 2);
        assert_eq!(
            state.meta("n").map(|c| c.get(1)),
            Some(MetaValue::Float(0.5))
        );
        assert!(
            validate(
                set("n", vec![MetaValue::Str("x".into())]),
                &keys,
                &signals,
                &state
            )
            .is_err()
        );
        assert!(
            validate(
                set("n", vec![MetaValue::Int(1); 3]),
                &keys,
                &signals,
                &state
            )
            .is_err()
        );
        assert!(
            validate(
                set("loss", vec![MetaValue::Int(1)]),
                &keys,
                &signals,
                &state
            )
            .is_err()
        );
        assert!(
            validate(
                set("m", vec![MetaValue::Int(1), MetaValue::Bool(true)]),
                &keys,
                &signals,
                &state
            )
            .is_err()
        );
    }

    #[test]
    fn discard_counts_track_changes() {
        let (keys, signals, mut state) = fixture();
        let discard = |ids: &[&str], d| Edit::Discard {
            targets: ids.iter().map(|i| SampleRef::by_id(*i)).collect(),
            discarded: d,
        };
        let op = validate(discard(&["a", "b"], true), &keys, &signals, &state).unwrap();
        assert!(apply(op.clone(), 3, &mut state).discards_changed);
        assert!(!apply(op, 3, &mut state).discards_changed);
        assert_eq!(state.discarded_count, 2);
        let op = validate(discard(&["b", "c"], false), &keys, &signals, &state).unwrap();
        assert_eq!(apply(op, 3, &mut state).rows_changed, 1);
        assert_eq!(state.discarded_count, 1);
    }
}
