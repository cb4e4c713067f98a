//! Sample identity: ids, origins (splits) and labels fixed at open, and id → row lookup.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};

use crate::error::TableError;
use crate::types::{SampleRef, SampleSeed};

/// Rows that share one sample id (one per origin it appears in).
#[derive(Debug, Clone)]
enum RowSet {
    One(u32),
    Many(Vec<u32>),
}

impl RowSet {
    fn as_slice(&self) -> &[u32] {
        match self {
            RowSet::One(row) => std::slice::from_ref(row),
            RowSet::Many(rows) => rows,
        }
    }
}

/// The immutable part of the table: who each row is.
#[derive(Debug)]
pub(crate) struct Keys {
    pub sample_ids: Vec<String>,
    /// Index into `splits` for every row.
    pub origin_of: Vec<u32>,
    /// Distinct origins in first-appearance order.
    pub splits: Vec<String>,
    pub labels: Vec<i64>,
    /// Hash of a sample id → rows with an id of that hash. Keyed by hash rather than by the
    /// id itself so a million ids are not stored twice; lookups compare the real id.
    by_hash: HashMap<u64, RowSet>,
    hasher: RandomState,
    /// CRC32 over every (origin, sample_id) in row order; proves a stored file has our rows
    /// without reading its string columns back.
    pub checksum: u32,
}

impl Keys {
    pub fn build(seeds: Vec<SampleSeed>) -> Result<Self, TableError> {
        let n = seeds.len();
        if u32::try_from(n).is_err() {
            return Err(TableError::InvalidEdit(format!(
                "the dataset has {n} samples; the table holds at most {}",
                u32::MAX
            )));
        }
        let hasher = RandomState::new();
        let mut sample_ids = Vec::with_capacity(n);
        let mut origin_of = Vec::with_capacity(n);
        let mut labels = Vec::with_capacity(n);
        let mut splits: Vec<String> = Vec::new();
        let mut by_hash: HashMap<u64, RowSet> = HashMap::with_capacity(n);
        let mut crc = crc32fast::Hasher::new();
        for (row, seed) in seeds.into_iter().enumerate() {
            let row = row as u32;
            let origin = match splits.iter().position(|s| *s == seed.origin) {
                Some(index) => index as u32,
                None => {
                    splits.push(seed.origin.clone());
                    (splits.len() - 1) as u32
                }
            };
            crc.update(seed.origin.as_bytes());
            crc.update(&[0]);
            crc.update(seed.sample_id.as_bytes());
            crc.update(&[0]);
            let hash = hasher.hash_one(seed.sample_id.as_str());
            match by_hash.get_mut(&hash) {
                None => {
                    by_hash.insert(hash, RowSet::One(row));
                }
                Some(set) => {
                    let clash = set.as_slice().iter().copied().find(|&r| {
                        origin_of[r as usize] == origin && sample_ids[r as usize] == seed.sample_id
                    });
                    if let Some(first) = clash {
                        return Err(TableError::DuplicateSample {
                            origin: seed.origin,
                            sample_id: seed.sample_id,
                            first,
                            second: row,
                        });
                    }
                    let mut rows = set.as_slice().to_vec();
                    rows.push(row);
                    *set = RowSet::Many(rows);
                }
            }
            sample_ids.push(seed.sample_id);
            origin_of.push(origin);
            labels.push(seed.label);
        }
        Ok(Self {
            sample_ids,
            origin_of,
            splits,
            labels,
            by_hash,
            hasher,
            checksum: crc.finalize(),
        })
    }

    pub fn len(&self) -> usize {
        self.sample_ids.len()
    }

    pub fn origin(&self, row: u32) -> &str {
        &self.splits[self.origin_of[row as usize] as usize]
    }

    pub fn split_index(&self, origin: &str) -> Option<u32> {
        self.splits
            .iter()
            .position(|s| s == origin)
            .map(|i| i as u32)
    }

    /// Rows matching a reference: the one row of (origin, id), or every row with that id when
    /// the origin is empty (ids repeat across splits, and the Studio may not know the split).
    pub fn rows_of<'a>(
        &'a self,
        origin: &str,
        sample_id: &'a str,
    ) -> impl Iterator<Item = u32> + 'a {
        // None: any origin; Some(None): an origin this table does not have.
        let wanted = (!origin.is_empty()).then(|| self.split_index(origin));
        let hash = self.hasher.hash_one(sample_id);
        let candidates = self.by_hash.get(&hash).map_or(&[][..], RowSet::as_slice);
        candidates.iter().copied().filter(move |&r| {
            wanted.is_none_or(|w| w == Some(self.origin_of[r as usize]))
                && self.sample_ids[r as usize] == sample_id
        })
    }

    pub fn row_of(&self, origin: &str, sample_id: &str) -> Option<u32> {
        self.rows_of(origin, sample_id).next()
    }

    /// Resolves references to sorted, distinct rows; any unknown reference fails the whole call.
    pub fn resolve(&self, targets: &[SampleRef]) -> Result<Vec<u32>, TableError> {
        let mut rows = Vec::with_capacity(targets.len());
        let mut unknown = Vec::new();
        for target in targets {
            let before = rows.len();
            rows.extend(self.rows_of(&target.origin, &target.sample_id));
            if rows.len() == before {
                unknown.push(describe(target));
            }
        }
        if !unknown.is_empty() {
            return Err(TableError::unknown_samples(unknown));
        }
        rows.sort_unstable();
        rows.dedup();
        Ok(rows)
    }

    /// Resolves references one by one (keeping their order), for per-target values.
    pub fn resolve_each(&self, targets: &[SampleRef]) -> Result<Vec<Vec<u32>>, TableError> {
        let mut out = Vec::with_capacity(targets.len());
        let mut unknown = Vec::new();
        for target in targets {
            let found: Vec<u32> = self.rows_of(&target.origin, &target.sample_id).collect();
            if found.is_empty() {
                unknown.push(describe(target));
            }
            out.push(found);
        }
        if !unknown.is_empty() {
            return Err(TableError::unknown_samples(unknown));
        }
        Ok(out)
    }
}

fn describe(target: &SampleRef) -> String {
    if target.origin.is_empty() {
        target.sample_id.clone()
    } else {
        format!("{}/{}", target.origin, target.sample_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed(origin: &str, id: &str) -> SampleSeed {
        SampleSeed {
            sample_id: id.into(),
            origin: origin.into(),
            label: 0,
        }
    }

    #[test]
    fn ids_repeat_across_origins_but_not_within_one() {
        let keys = Keys::build(vec![
            seed("train", "1"),
            seed("test", "1"),
            seed("train", "2"),
        ])
        .unwrap();
        assert_eq!(keys.splits, vec!["train", "test"]);
        assert_eq!(keys.rows_of("", "1").collect::<Vec<_>>(), vec![0, 1]);
        assert_eq!(keys.rows_of("test", "1").collect::<Vec<_>>(), vec![1]);
        assert_eq!(keys.rows_of("nope", "1").count(), 0);
        assert_eq!(keys.row_of("", "2"), Some(2));
        assert_eq!(keys.row_of("test", "2"), None);
        let err = Keys::build(vec![seed("a", "1"), seed("a", "1")]).unwrap_err();
        assert!(matches!(
            err,
            TableError::DuplicateSample {
                first: 0,
                second: 1,
                ..
            }
        ));
    }

    #[test]
    fn resolve_reports_every_unknown_and_dedups() {
        let keys = Keys::build(vec![seed("t", "1"), seed("t", "2")]).unwrap();
        let rows = keys
            .resolve(&[
                SampleRef::by_id("2"),
                SampleRef::new("t", "2"),
                SampleRef::by_id("1"),
            ])
            .unwrap();
        assert_eq!(rows, vec![0, 1]);
        let err = keys
            .resolve(&[SampleRef::by_id("9"), SampleRef::new("x", "1")])
            .unwrap_err();
        let TableError::UnknownSamples { ids, total } = err else {
            panic!("wrong variant")
        };
        assert_eq!(ids, vec!["9", "x/1"]);
        assert_eq!(total, 2);
    }

    #[test]
    fn checksum_depends_on_order_and_origin() {
        let a = Keys::build(vec![seed("t", "1"), seed("t", "2")])
            .unwrap()
            .checksum;
        let b = Keys::build(vec![seed("t", "2"), seed("t", "1")])
            .unwrap()
            .checksum;
        let c = Keys::build(vec![seed("u", "1"), seed("t", "2")])
            .unwrap()
            .checksum;
        assert_ne!(a, b);
        assert_ne!(a, c);
    }
}
