//! The sample table of a WeightsLab run: one row per (origin, sample_id), row r being the
//! dataset's index r.
//!
//! [`SampleTable`] keeps hot per-sample columns as plain Vecs (the trainer writes signals
//! every step with [`SampleTable::record_signals`]), answers queries through polars over a
//! cached frame of the columns a query reads ([`SampleTable::apply_query`] with a
//! `weightslab_query::Query`), keeps one shared view that [`SampleTable::page`] reads
//! without re-sorting, and makes every acknowledged [`Edit`] durable: edits are journaled
//! with a checksum and fsync'd before [`SampleTable::apply_edit`] returns, and the journal
//! is folded into `samples.h5` (an h5py-readable file, written to a temp file and renamed)
//! by [`SampleTable::compact`] or in the background.

mod columns;
mod edit;
mod error;
mod filter;
mod frame;
mod h5store;
mod histogram;
mod journal;
mod keys;
mod overview;
mod state_file;
mod table;
mod types;
mod view;

pub use error::TableError;
pub use table::SampleTable;
pub use types::{
    CategoricalBar, Counts, Edit, EditOutcome, Histogram, HistogramBin, HistogramSubBar, Intent,
    MetaValue, QueryOutcome, RowSnapshot, SampleRef, SampleSeed, SignalUpdate, TableOptions,
    TagMode, ViewSummary,
};
