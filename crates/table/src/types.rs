//! Plain public types that cross the crate boundary: seeds, options, edits, snapshots, counts.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// One dataset sample as the data loader knows it; its position in the seed list is its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleSeed {
    pub sample_id: String,
    pub origin: String,
    pub label: i64,
}

/// Where the table lives and how it keeps its files.
#[derive(Debug, Clone)]
pub struct TableOptions {
    /// Log directory: `samples.h5` and `samples.journal` live here.
    pub dir: PathBuf,
    /// Identifies the dataset; a stored file made for another dataset is moved aside.
    pub dataset_fingerprint: String,
    /// Fold the journal into HDF5 in the background after this many journal entries.
    pub compact_every_edits: usize,
}

impl TableOptions {
    pub const DEFAULT_COMPACT_EVERY_EDITS: usize = 10_000;

    pub fn new(dir: impl Into<PathBuf>, dataset_fingerprint: impl Into<String>) -> Self {
        Self {
            dir: dir.into(),
            dataset_fingerprint: dataset_fingerprint.into(),
            compact_every_edits: Self::DEFAULT_COMPACT_EVERY_EDITS,
        }
    }
}

/// What the trainer learned about one row in one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SignalUpdate {
    pub row: u32,
    pub prediction: i64,
    pub loss: f32,
    pub confidence: f32,
    pub label_probability: f32,
    pub label_issue: f32,
    pub model_age: i64,
}

/// Names a sample from the outside; an empty origin matches the id in every origin.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SampleRef {
    pub origin: String,
    pub sample_id: String,
}

impl SampleRef {
    pub fn new(origin: impl Into<String>, sample_id: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            sample_id: sample_id.into(),
        }
    }

    /// A reference by id alone (the Studio sends "" when it does not know the origin).
    pub fn by_id(sample_id: impl Into<String>) -> Self {
        Self::new("", sample_id)
    }
}

/// How a tag edit changes membership. Adding a tag twice is a no-op, never a toggle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagMode {
    Add,
    Remove,
    Set(bool),
}

/// A user edit of the table. Every variant is validated as a whole before anything changes.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    Tag {
        targets: Vec<SampleRef>,
        tag: String,
        mode: TagMode,
    },
    Discard {
        targets: Vec<SampleRef>,
        discarded: bool,
    },
    RegisterTag(String),
    DeleteTag(String),
    DiscardByTag {
        tag: String,
        discarded: bool,
    },
    /// `to: None` picks `<from>_copy`, then `<from>_copy2`, … whichever is free.
    CopyColumn {
        from: String,
        to: Option<String>,
    },
    DeleteColumn(String),
    SetValues {
        column: String,
        targets: Vec<SampleRef>,
        values: Vec<MetaValue>,
    },
}

/// What an acknowledged edit did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditOutcome {
    pub rows_changed: usize,
    pub message: String,
}

/// A cell of a user metadata column (or any column, when read generically).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MetaValue {
    Float(f64),
    Int(i64),
    Str(String),
    Bool(bool),
    Null,
}

impl MetaValue {
    /// The value as text, the way GetMetaData sends metadata stats.
    pub fn to_text(&self) -> String {
        match self {
            MetaValue::Float(v) => v.to_string(),
            MetaValue::Int(v) => v.to_string(),
            MetaValue::Str(v) => v.clone(),
            MetaValue::Bool(v) => if *v { "1" } else { "0" }.to_string(),
            MetaValue::Null => String::new(),
        }
    }
}

/// Everything about one row at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct RowSnapshot {
    pub row: u32,
    pub sample_id: String,
    pub origin: String,
    pub label: i64,
    pub prediction: Option<i64>,
    pub loss: Option<f32>,
    pub confidence: Option<f32>,
    pub label_probability: Option<f32>,
    pub label_issue: Option<f32>,
    pub encounters: i64,
    pub last_seen_age: Option<i64>,
    pub discarded: bool,
    /// Tags this row carries, sorted.
    pub tags: Vec<String>,
    /// Every user metadata column in column order, nulls included.
    pub metadata: Vec<(String, MetaValue)>,
}

/// Row counts: `in_view` over the current view, the rest over the whole table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub in_view: usize,
    pub total: usize,
    pub in_loop: usize,
    pub discarded: usize,
}

/// What defines the current view, in words a person can read back: the Studio shows it beside
/// the query box, so a sort typed after a filter is seen to apply to the filtered rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ViewSummary {
    /// Each filter in force, as query text; all of them must hold.
    pub filters: Vec<String>,
    /// Sort keys, most significant first: (column, descending). Empty: row order.
    pub sort: Vec<(String, bool)>,
    /// `head:N` or `tail:N` when the view keeps only the first or last rows.
    pub limit: Option<String>,
    /// Windows of the view re-sorted in place (`sortby … scope:view start:… count:…`).
    pub window_sorts: usize,
    /// Counts at the moment of the summary.
    pub counts: Counts,
}

/// What the Studio should do with a query's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    /// The view changed (or was only counted): refresh the grid.
    Filter,
    /// Show this text and leave the grid alone.
    Analysis(String),
}

/// The answer to `apply_query`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryOutcome {
    pub message: String,
    pub counts: Counts,
    pub intent: Intent,
    /// Sample ids to highlight (only for highlight queries); ids not in the table are dropped.
    pub highlight: Vec<String>,
}

/// Count of rows of one (origin, discarded) pair inside a bin or bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistogramSubBar {
    pub origin: String,
    pub discarded: bool,
    pub count: u64,
}

/// One numeric bin: `[min, max)` (the last bin includes its max).
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramBin {
    pub min: f64,
    pub max: f64,
    pub avg: f64,
    pub count: u64,
    pub sub_bars: Vec<HistogramSubBar>,
}

/// One category of a categorical column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoricalBar {
    pub label: String,
    pub count: u64,
    pub sub_bars: Vec<HistogramSubBar>,
}

/// A column's distribution over the whole table; numeric or categorical, never both.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Histogram {
    /// Rows that were binned (nulls and NaN are left out).
    pub total_rows: u64,
    pub is_categorical: bool,
    pub bins: Vec<HistogramBin>,
    pub categorical_bars: Vec<CategoricalBar>,
}
