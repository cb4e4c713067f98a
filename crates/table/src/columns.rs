//! The mutable columns held as plain Vecs: trainer signals, discards, tags, user metadata,
//! and how a column name maps onto them.

use std::collections::BTreeMap;

use crate::error::TableError;
use crate::keys::Keys;
use crate::types::{MetaValue, SignalUpdate};

/// Per-row training signals. A row is "unseen" (its signals null) while `encounters` is 0.
#[derive(Debug, Clone)]
pub(crate) struct Signals {
    pub prediction: Vec<i64>,
    pub loss: Vec<f32>,
    pub confidence: Vec<f32>,
    pub label_probability: Vec<f32>,
    pub label_issue: Vec<f32>,
    pub encounters: Vec<i64>,
    pub last_seen_age: Vec<i64>,
}

impl Signals {
    pub fn unseen(n: usize) -> Self {
        Self {
            prediction: vec![-1; n],
            loss: vec![f32::NAN; n],
            confidence: vec![f32::NAN; n],
            label_probability: vec![f32::NAN; n],
            label_issue: vec![f32::NAN; n],
            encounters: vec![0; n],
            last_seen_age: vec![-1; n],
        }
    }

    pub fn seen(&self, row: usize) -> bool {
        self.encounters[row] > 0
    }

    /// Applies a batch; rows past the end are skipped (the caller logs them).
    pub fn record(&mut self, updates: &[SignalUpdate]) -> usize {
        let n = self.encounters.len();
        let mut skipped = 0;
        for u in updates {
            let r = u.row as usize;
            if r >= n {
                skipped += 1;
                continue;
            }
            self.prediction[r] = u.prediction;
            self.loss[r] = u.loss;
            self.confidence[r] = u.confidence;
            self.label_probability[r] = u.label_probability;
            self.label_issue[r] = u.label_issue;
            self.encounters[r] += 1;
            self.last_seen_age[r] = u.model_age;
        }
        skipped
    }
}

/// The kind of a user metadata column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MetaKind {
    Float,
    Int,
    Str,
    Bool,
}

impl MetaKind {
    pub fn name(self) -> &'static str {
        match self {
            MetaKind::Float => "float",
            MetaKind::Int => "int",
            MetaKind::Str => "str",
            MetaKind::Bool => "bool",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "float" => MetaKind::Float,
            "int" => MetaKind::Int,
            "str" => MetaKind::Str,
            "bool" => MetaKind::Bool,
            _ => return None,
        })
    }
}

/// A user metadata column; `None` is a null cell.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum MetaColumn {
    Float(Vec<Option<f64>>),
    Int(Vec<Option<i64>>),
    Str(Vec<Option<String>>),
    Bool(Vec<Option<bool>>),
}

impl MetaColumn {
    pub fn nulls(kind: MetaKind, n: usize) -> Self {
        match kind {
            MetaKind::Float => MetaColumn::Float(vec![None; n]),
            MetaKind::Int => MetaColumn::Int(vec![None; n]),
            MetaKind::Str => MetaColumn::Str(vec![None; n]),
            MetaKind::Bool => MetaColumn::Bool(vec![None; n]),
        }
    }

    pub fn kind(&self) -> MetaKind {
        match self {
            MetaColumn::Float(_) => MetaKind::Float,
            MetaColumn::Int(_) => MetaKind::Int,
            MetaColumn::Str(_) => MetaKind::Str,
            MetaColumn::Bool(_) => MetaKind::Bool,
        }
    }

    pub fn get(&self, row: usize) -> MetaValue {
        match self {
            MetaColumn::Float(v) => v[row].map_or(MetaValue::Null, MetaValue::Float),
            MetaColumn::Int(v) => v[row].map_or(MetaValue::Null, MetaValue::Int),
            MetaColumn::Str(v) => v[row].clone().map_or(MetaValue::Null, MetaValue::Str),
            MetaColumn::Bool(v) => v[row].map_or(MetaValue::Null, MetaValue::Bool),
        }
    }

    /// Whether `value` can be stored here as it is (`Int` into `Float` converts losslessly
    /// enough for metadata; anything else needs a different column).
    pub fn accepts(kind: MetaKind, value: &MetaValue) -> bool {
        matches!(
            (kind, value),
            (_, MetaValue::Null)
                | (MetaKind::Float, MetaValue::Float(_) | MetaValue::Int(_))
                | (MetaKind::Int, MetaValue::Int(_))
                | (MetaKind::Str, MetaValue::Str(_))
                | (MetaKind::Bool, MetaValue::Bool(_))
        )
    }

    /// Stores a value the caller checked with `accepts`; returns whether the cell changed.
    pub fn set(&mut self, row: usize, value: &MetaValue) -> bool {
        fn put<T: PartialEq>(slot: &mut Option<T>, new: Option<T>) -> bool {
            if *slot == new {
                return false;
            }
            *slot = new;
            true
        }
        match (self, value) {
            (MetaColumn::Float(v), MetaValue::Float(x)) => {
                // NaN != NaN would count every NaN write as a change; compare bits instead.
                let changed = v[row].is_none_or(|old| old.to_bits() != x.to_bits());
                v[row] = Some(*x);
                changed
            }
            (MetaColumn::Float(v), MetaValue::Int(x)) => put(&mut v[row], Some(*x as f64)),
            (MetaColumn::Float(v), MetaValue::Null) => put(&mut v[row], None),
            (MetaColumn::Int(v), MetaValue::Int(x)) => put(&mut v[row], Some(*x)),
            (MetaColumn::Int(v), MetaValue::Null) => put(&mut v[row], None),
            (MetaColumn::Str(v), MetaValue::Str(x)) => put(&mut v[row], Some(x.clone())),
            (MetaColumn::Str(v), MetaValue::Null) => put(&mut v[row], None),
            (MetaColumn::Bool(v), MetaValue::Bool(x)) => put(&mut v[row], Some(*x)),
            (MetaColumn::Bool(v), MetaValue::Null) => put(&mut v[row], None),
            _ => false,
        }
    }

    /// Converts an int column to float in place, so a float value can join it.
    pub fn promote_to_float(&mut self) {
        if let MetaColumn::Int(v) = self {
            *self = MetaColumn::Float(v.iter().map(|x| x.map(|x| x as f64)).collect());
        }
    }
}

/// What user edits change: discards, tags and metadata.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub discarded: Vec<bool>,
    pub discarded_count: usize,
    /// Tag name (without `tag:`) → membership; sorted by name.
    pub tags: BTreeMap<String, Vec<bool>>,
    /// User metadata in column order.
    pub metadata: Vec<(String, MetaColumn)>,
}

impl State {
    pub fn empty(n: usize) -> Self {
        Self {
            discarded: vec![false; n],
            discarded_count: 0,
            tags: BTreeMap::new(),
            metadata: Vec::new(),
        }
    }

    pub fn meta(&self, name: &str) -> Option<&MetaColumn> {
        self.metadata
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
    }

    pub fn meta_mut(&mut self, name: &str) -> Option<&mut MetaColumn> {
        self.metadata
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
    }

    pub fn recount_discarded(&mut self) {
        self.discarded_count = self.discarded.iter().filter(|&&d| d).count();
    }
}

/// Prefix of tag columns.
pub(crate) const TAG_PREFIX: &str = "tag:";

/// Built-in columns in display order (`index` is a pseudo-column and not listed).
pub(crate) const BUILTIN_COLUMNS: [&str; 11] = [
    "sample_id",
    "origin",
    "label",
    "prediction",
    "loss",
    "confidence",
    "label_probability",
    "label_issue",
    "encounters",
    "last_seen_age",
    "discarded",
];

/// A resolved column name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum ColumnId {
    Index,
    SampleId,
    Origin,
    Label,
    Prediction,
    Loss,
    Confidence,
    LabelProbability,
    LabelIssue,
    Encounters,
    LastSeenAge,
    Discarded,
    Tag(String),
    Meta(String),
}

/// The type a column has in queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ValueKind {
    Num,
    Str,
    Bool,
}

impl ValueKind {
    pub fn describe(self) -> &'static str {
        match self {
            ValueKind::Num => "a number",
            ValueKind::Str => "text",
            ValueKind::Bool => "a boolean",
        }
    }
}

impl ColumnId {
    /// Resolves a name, accepting the Studio's aliases (`target`, `pred`, `deny_listed`).
    pub fn resolve(name: &str, state: &State) -> Result<Self, TableError> {
        Self::lookup(name, state).ok_or_else(|| TableError::UnknownColumn {
            name: name.to_string(),
            suggestions: suggest(name, &all_names(state)),
        })
    }

    pub fn lookup(name: &str, state: &State) -> Option<Self> {
        Some(match name {
            "index" => ColumnId::Index,
            "sample_id" => ColumnId::SampleId,
            "origin" => ColumnId::Origin,
            "label" | "target" => ColumnId::Label,
            "prediction" | "pred" => ColumnId::Prediction,
            "loss" => ColumnId::Loss,
            "confidence" => ColumnId::Confidence,
            "label_probability" => ColumnId::LabelProbability,
            "label_issue" => ColumnId::LabelIssue,
            "encounters" => ColumnId::Encounters,
            "last_seen_age" => ColumnId::LastSeenAge,
            "discarded" | "deny_listed" => ColumnId::Discarded,
            _ => {
                if let Some(tag) = name.strip_prefix(TAG_PREFIX) {
                    return state
                        .tags
                        .contains_key(tag)
                        .then(|| ColumnId::Tag(tag.to_string()));
                }
                return state.meta(name).map(|_| ColumnId::Meta(name.to_string()));
            }
        })
    }

    /// The canonical column name (the DataFrame column name).
    pub fn name(&self) -> String {
        match self {
            ColumnId::Index => "index".into(),
            ColumnId::SampleId => "sample_id".into(),
            ColumnId::Origin => "origin".into(),
            ColumnId::Label => "label".into(),
            ColumnId::Prediction => "prediction".into(),
            ColumnId::Loss => "loss".into(),
            ColumnId::Confidence => "confidence".into(),
            ColumnId::LabelProbability => "label_probability".into(),
            ColumnId::LabelIssue => "label_issue".into(),
            ColumnId::Encounters => "encounters".into(),
            ColumnId::LastSeenAge => "last_seen_age".into(),
            ColumnId::Discarded => "discarded".into(),
            ColumnId::Tag(t) => format!("{TAG_PREFIX}{t}"),
            ColumnId::Meta(m) => m.clone(),
        }
    }

    pub fn kind(&self, state: &State) -> ValueKind {
        match self {
            ColumnId::SampleId | ColumnId::Origin => ValueKind::Str,
            ColumnId::Discarded | ColumnId::Tag(_) => ValueKind::Bool,
            ColumnId::Meta(m) => match state.meta(m).map(MetaColumn::kind) {
                Some(MetaKind::Str) => ValueKind::Str,
                Some(MetaKind::Bool) => ValueKind::Bool,
                _ => ValueKind::Num,
            },
            _ => ValueKind::Num,
        }
    }

    /// Whether the trainer's signals feed this column (so it goes stale when they change).
    pub fn is_signal(&self) -> bool {
        matches!(
            self,
            ColumnId::Prediction
                | ColumnId::Loss
                | ColumnId::Confidence
                | ColumnId::LabelProbability
                | ColumnId::LabelIssue
                | ColumnId::Encounters
                | ColumnId::LastSeenAge
        )
    }

    /// Whether the column never changes after open.
    pub fn is_fixed(&self) -> bool {
        matches!(
            self,
            ColumnId::Index | ColumnId::SampleId | ColumnId::Origin | ColumnId::Label
        )
    }

    /// Reads one cell generically.
    pub fn value(&self, row: u32, keys: &Keys, signals: &Signals, state: &State) -> MetaValue {
        let r = row as usize;
        let seen = signals.seen(r);
        let f32v = |v: f32| {
            if seen {
                MetaValue::Float(f64::from(v))
            } else {
                MetaValue::Null
            }
        };
        match self {
            ColumnId::Index => MetaValue::Int(i64::from(row)),
            ColumnId::SampleId => MetaValue::Str(keys.sample_ids[r].clone()),
            ColumnId::Origin => MetaValue::Str(keys.origin(row).to_string()),
            ColumnId::Label => MetaValue::Int(keys.labels[r]),
            ColumnId::Prediction => {
                if seen {
                    MetaValue::Int(signals.prediction[r])
                } else {
                    MetaValue::Null
                }
            }
            ColumnId::Loss => f32v(signals.loss[r]),
            ColumnId::Confidence => f32v(signals.confidence[r]),
            ColumnId::LabelProbability => f32v(signals.label_probability[r]),
            ColumnId::LabelIssue => f32v(signals.label_issue[r]),
            ColumnId::Encounters => MetaValue::Int(signals.encounters[r]),
            ColumnId::LastSeenAge => {
                if seen {
                    MetaValue::Int(signals.last_seen_age[r])
                } else {
                    MetaValue::Null
                }
            }
            ColumnId::Discarded => MetaValue::Bool(state.discarded[r]),
            ColumnId::Tag(t) => MetaValue::Bool(state.tags.get(t).is_some_and(|v| v[r])),
            ColumnId::Meta(m) => state.meta(m).map_or(MetaValue::Null, |c| c.get(r)),
        }
    }
}

/// Every queryable column name: built-ins, tags, metadata.
pub(crate) fn all_names(state: &State) -> Vec<String> {
    let mut names: Vec<String> = BUILTIN_COLUMNS.iter().map(|s| s.to_string()).collect();
    names.extend(state.tags.keys().map(|t| format!("{TAG_PREFIX}{t}")));
    names.extend(state.metadata.iter().map(|(n, _)| n.clone()));
    names
}

/// Known names close to an unknown one (the query crate's ranking, so hints match).
pub(crate) fn suggest(unknown: &str, known: &[String]) -> Vec<String> {
    weightslab_query::suggest(unknown, known)
}

/// Checks a name for a new user metadata column.
pub(crate) fn check_new_meta_name(name: &str, state: &State) -> Result<(), TableError> {
    if name.trim().is_empty() {
        return Err(TableError::InvalidEdit(
            "a column name must not be empty".into(),
        ));
    }
    if name.starts_with(TAG_PREFIX) {
        return Err(TableError::InvalidEdit(format!(
            "'{name}' starts with '{TAG_PREFIX}', which is reserved for tags; register a tag instead or pick another name"
        )));
    }
    if ColumnId::lookup(name, state).is_some() {
        return Err(TableError::AlreadyExists(format!("column '{name}'")));
    }
    Ok(())
}

/// Checks and normalizes a tag name (an accidental `tag:` prefix is dropped).
pub(crate) fn normalize_tag(tag: &str) -> Result<String, TableError> {
    let tag = tag.strip_prefix(TAG_PREFIX).unwrap_or(tag);
    if tag.trim().is_empty() {
        return Err(TableError::InvalidEdit(
            "a tag name must not be empty, e.g. 'focus'".into(),
        ));
    }
    Ok(tag.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_suggestions() {
        let mut state = State::empty(2);
        state.tags.insert("focus".into(), vec![false; 2]);
        state
            .metadata
            .push(("score".into(), MetaColumn::nulls(MetaKind::Float, 2)));
        assert_eq!(
            ColumnId::resolve("target", &state).unwrap(),
            ColumnId::Label
        );
        assert_eq!(
            ColumnId::resolve("tag:focus", &state).unwrap(),
            ColumnId::Tag("focus".into())
        );
        assert_eq!(
            ColumnId::resolve("score", &state).unwrap(),
            ColumnId::Meta("score".into())
        );
        let TableError::UnknownColumn { suggestions, .. } =
            ColumnId::resolve("los", &state).unwrap_err()
        else {
            panic!("wrong variant")
        };
        assert_eq!(suggestions.first().map(String::as_str), Some("loss"));
        assert!(ColumnId::resolve("tag:nope", &state).is_err());
    }

    #[test]
    fn meta_set_reports_changes_only() {
        let mut col = MetaColumn::nulls(MetaKind::Float, 2);
        assert!(col.set(0, &MetaValue::Float(f64::NAN)));
        assert!(!col.set(0, &MetaValue::Float(f64::NAN)));
        assert!(col.set(0, &MetaValue::Int(3)));
        assert_eq!(col.get(0), MetaValue::Float(3.0));
        assert!(!MetaColumn::accepts(MetaKind::Int, &MetaValue::Float(1.0)));
        let mut ints = MetaColumn::Int(vec![Some(2), None]);
        ints.promote_to_float();
        assert_eq!(ints, MetaColumn::Float(vec![Some(2.0), None]));
    }

    #[test]
    fn signals_count_encounters() {
        let mut s = Signals::unseen(2);
        let u = SignalUpdate {
            row: 1,
            prediction: 3,
            loss: 0.5,
            confidence: 0.9,
            label_probability: 0.1,
            label_issue: 0.2,
            model_age: 7,
        };
        assert_eq!(s.record(&[u, u, SignalUpdate { row: 9, ..u }]), 1);
        assert_eq!(s.encounters, vec![0, 2]);
        assert!(!s.seen(0));
        assert_eq!(s.last_seen_age[1], 7);
    }
}
