//! Fixtures shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::Path;

use weightslab_table::{
    Edit, SampleRef, SampleSeed, SampleTable, SignalUpdate, TableOptions, TagMode,
};

pub fn seeds(ids: &[&str], origin: &str) -> Vec<SampleSeed> {
    ids.iter()
        .map(|id| SampleSeed {
            sample_id: id.to_string(),
            origin: origin.into(),
            label: 0,
        })
        .collect()
}

pub fn open(dir: &Path, seeds: Vec<SampleSeed>) -> SampleTable {
    SampleTable::open(seeds, TableOptions::new(dir, "fixture")).expect("open table")
}

pub fn signal(row: u32, loss: f32) -> SignalUpdate {
    SignalUpdate {
        row,
        prediction: 1,
        loss,
        confidence: 0.5,
        label_probability: 0.5,
        label_issue: 0.0,
        model_age: 3,
    }
}

/// The reference scenario: ids "1", "2", "3" of origin "test" with losses 0.2, 0.8, 0.5.
pub fn reference(dir: &Path) -> SampleTable {
    let table = open(dir, seeds(&["1", "2", "3"], "test"));
    table.record_signals(&[signal(0, 0.2), signal(1, 0.8), signal(2, 0.5)]);
    table
}

pub fn ids(refs: &[&str]) -> Vec<SampleRef> {
    refs.iter().map(|id| SampleRef::by_id(*id)).collect()
}

pub fn tag(refs: &[&str], name: &str, mode: TagMode) -> Edit {
    Edit::Tag {
        targets: ids(refs),
        tag: name.into(),
        mode,
    }
}

pub fn query(table: &SampleTable, text: &str) -> Vec<String> {
    let q = weightslab_query::parse(text, false).expect("query parses");
    table.apply_query(&q).expect("query applies");
    table
        .page(0, usize::MAX)
        .into_iter()
        .map(|r| r.sample_id)
        .collect()
}
