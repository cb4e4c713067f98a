//! Polars columns built from the Vec store for queries, cached per column and version so a
//! repeated query does not copy a million rows again.

use std::collections::HashMap;

use polars::prelude::*;

use crate::columns::{ColumnId, MetaColumn, Signals, State};
use crate::keys::Keys;

/// Data versions a cached column is valid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Versions {
    pub signals: u64,
    pub state: u64,
}

impl Versions {
    fn of(self, id: &ColumnId) -> u64 {
        if id.is_fixed() {
            0
        } else if id.is_signal() {
            self.signals
        } else {
            self.state
        }
    }
}

#[derive(Default)]
pub(crate) struct ColumnCache {
    columns: HashMap<ColumnId, (u64, Column)>,
}

impl ColumnCache {
    /// The polars column for `id`, rebuilt only when its data version moved.
    pub fn get(
        &mut self,
        id: &ColumnId,
        versions: Versions,
        keys: &Keys,
        signals: &Signals,
        state: &State,
    ) -> Column {
        let version = versions.of(id);
        if let Some((v, column)) = self.columns.get(id)
            && *v == version
        {
            return column.clone();
        }
        let column = build(id, keys, signals, state);
        self.columns.insert(id.clone(), (version, column.clone()));
        column
    }

    /// Drops columns that no longer exist (deleted tags and metadata).
    pub fn retain_existing(&mut self, state: &State) {
        self.columns.retain(|id, _| match id {
            ColumnId::Tag(t) => state.tags.contains_key(t),
            ColumnId::Meta(m) => state.meta(m).is_some(),
            _ => true,
        });
    }
}

fn seen_mask<'a, T: Copy + 'a>(
    values: &'a [T],
    signals: &'a Signals,
) -> impl Iterator<Item = Option<T>> + 'a {
    values
        .iter()
        .zip(&signals.encounters)
        .map(|(v, e)| (*e > 0).then_some(*v))
}

/// Builds one column from the store.
pub(crate) fn build(id: &ColumnId, keys: &Keys, signals: &Signals, state: &State) -> Column {
    let name: PlSmallStr = id.name().into();
    let n = keys.len();
    let f32col = |v: &[f32]| {
        Float32Chunked::from_iter_options(name.clone(), seen_mask(v, signals)).into_column()
    };
    match id {
        ColumnId::Index => UInt32Chunked::from_vec(name, (0..n as u32).collect()).into_column(),
        ColumnId::SampleId => {
            StringChunked::from_iter_values(name, keys.sample_ids.iter().map(String::as_str))
                .into_column()
        }
        ColumnId::Origin => StringChunked::from_iter_values(
            name,
            keys.origin_of
                .iter()
                .map(|&o| keys.splits[o as usize].as_str()),
        )
        .into_column(),
        ColumnId::Label => Int64Chunked::from_vec(name, keys.labels.clone()).into_column(),
        ColumnId::Prediction => {
            Int64Chunked::from_iter_options(name, seen_mask(&signals.prediction, signals))
                .into_column()
        }
        ColumnId::Loss => f32col(&signals.loss),
        ColumnId::Confidence => f32col(&signals.confidence),
        ColumnId::LabelProbability => f32col(&signals.label_probability),
        ColumnId::LabelIssue => f32col(&signals.label_issue),
        ColumnId::Encounters => {
            Int64Chunked::from_vec(name, signals.encounters.clone()).into_column()
        }
        ColumnId::LastSeenAge => {
            Int64Chunked::from_iter_options(name, seen_mask(&signals.last_seen_age, signals))
                .into_column()
        }
        ColumnId::Discarded => BooleanChunked::from_slice(name, &state.discarded).into_column(),
        ColumnId::Tag(t) => match state.tags.get(t) {
            Some(flags) => BooleanChunked::from_slice(name, flags).into_column(),
            None => {
                BooleanChunked::from_iter_values(name, std::iter::repeat_n(false, n)).into_column()
            }
        },
        ColumnId::Meta(m) => match state.meta(m) {
            Some(MetaColumn::Float(v)) => {
                Float64Chunked::from_iter_options(name, v.iter().copied()).into_column()
            }
            Some(MetaColumn::Int(v)) => {
                Int64Chunked::from_iter_options(name, v.iter().copied()).into_column()
            }
            Some(MetaColumn::Str(v)) => {
                StringChunked::from_iter_options(name, v.iter().map(|s| s.as_deref())).into_column()
            }
            Some(MetaColumn::Bool(v)) => {
                BooleanChunked::from_iter_options(name, v.iter().copied()).into_column()
            }
            None => Float64Chunked::full_null(name, n).into_column(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{SampleSeed, SignalUpdate};

    #[test]
    fn unseen_signals_are_null_and_cache_follows_versions() {
        let keys = Keys::build(
            (0..2)
                .map(|i| SampleSeed {
                    sample_id: i.to_string(),
                    origin: "t".into(),
                    label: 0,
                })
                .collect(),
        )
        .unwrap();
        let mut signals = Signals::unseen(2);
        let state = State::empty(2);
        let mut cache = ColumnCache::default();
        let v0 = Versions::default();
        let loss = cache.get(&ColumnId::Loss, v0, &keys, &signals, &state);
        assert_eq!(loss.null_count(), 2);
        signals.record(&[SignalUpdate {
            row: 0,
            prediction: 1,
            loss: 0.5,
            confidence: 1.0,
            label_probability: 1.0,
            label_issue: 0.0,
            model_age: 1,
        }]);
        // Same version: the stale cached column comes back (the caller bumps versions).
        assert_eq!(
            cache
                .get(&ColumnId::Loss, v0, &keys, &signals, &state)
                .null_count(),
            2
        );
        let v1 = Versions {
            signals: 1,
            state: 0,
        };
        let loss = cache.get(&ColumnId::Loss, v1, &keys, &signals, &state);
        assert_eq!(loss.null_count(), 1);
        assert_eq!(loss.f32().unwrap().get(0), Some(0.5));
    }
}
