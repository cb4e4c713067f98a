//! `SampleTable`: the locks, the edit path (validate → journal → apply), the shared view,
//! background compaction, and the read API the backend serves from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use parking_lot::{Mutex, MutexGuard, RwLock};
use weightslab_query::{Query, Scope};

use crate::columns::{ColumnId, Signals, State, all_names};
use crate::edit::{self, Op};
use crate::error::TableError;
use crate::frame::{ColumnCache, Versions};
use crate::h5store::{self, Stored};
use crate::journal::Journal;
use crate::keys::Keys;
use crate::types::{
    Counts, Edit, EditOutcome, Histogram, Intent, QueryOutcome, RowSnapshot, SampleSeed,
    SignalUpdate, TableOptions, ViewSummary,
};
use crate::view::{self, Order, Source, ViewSpec, WindowSort};
use crate::{histogram, overview, state_file};

const H5_NAME: &str = "samples.h5";
const JOURNAL_NAME: &str = "samples.journal";
/// A journal this large is folded even before `compact_every_edits` entries (big imports).
const COMPACT_JOURNAL_BYTES: u64 = 64 << 20;

struct SignalsCell {
    data: Signals,
    version: u64,
}

struct StateCell {
    data: State,
    version: u64,
    /// Moves only when discards change, so the in-loop lists survive tag edits.
    discard_version: u64,
}

struct Writer {
    journal: Journal,
    next_seq: u64,
    since_compaction: usize,
}

struct ViewState {
    spec: ViewSpec,
    order: Order,
    dirty: bool,
}

#[derive(Default)]
struct InLoopCache {
    discard_version: u64,
    by_origin: HashMap<String, Arc<[u32]>>,
}

struct Inner {
    options: TableOptions,
    h5_path: PathBuf,
    keys: Keys,
    signals: RwLock<SignalsCell>,
    state: RwLock<StateCell>,
    /// Serializes edits: validation, journal append and apply happen as one step.
    writer: Mutex<Writer>,
    /// One compaction at a time.
    compaction: Mutex<()>,
    compacting: AtomicBool,
    view: Mutex<ViewState>,
    cache: Mutex<ColumnCache>,
    in_loop: Mutex<InLoopCache>,
}

/// The sample table: one row per (origin, sample_id), row r being dataset index r.
///
/// Lock order, everywhere: writer → view → signals → state → cache.
pub struct SampleTable {
    inner: Arc<Inner>,
    compactor: Mutex<Option<JoinHandle<()>>>,
}

fn move_aside(path: &Path, why: &str) -> Result<(), TableError> {
    if !path.exists() {
        return Ok(());
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut target = PathBuf::from(format!("{}.{stamp}.old", path.display()));
    let mut k = 1;
    while target.exists() {
        target = PathBuf::from(format!("{}.{stamp}-{k}.old", path.display()));
        k += 1;
    }
    tracing::warn!(from = %path.display(), to = %target.display(), "moving a stored table file aside: {why}");
    std::fs::rename(path, &target).map_err(|e| TableError::io(path, e))
}

impl SampleTable {
    /// Opens (or creates) the table in `options.dir`: loads `samples.h5`, replays the journal.
    pub fn open(seeds: Vec<SampleSeed>, options: TableOptions) -> Result<Self, TableError> {
        std::fs::create_dir_all(&options.dir).map_err(|e| TableError::io(&options.dir, e))?;
        let h5_path = options.dir.join(H5_NAME);
        let journal_path = options.dir.join(JOURNAL_NAME);
        let keys = Keys::build(seeds)?;
        let n = keys.len();
        let fingerprint = options.dataset_fingerprint.clone();
        let tmp = h5store::tmp_path(&h5_path);
        if tmp.exists() {
            std::fs::remove_file(&tmp).map_err(|e| TableError::io(&tmp, e))?;
        }

        let (signals, mut state, base_seq, foreign) =
            match h5store::load(&h5_path, &fingerprint, &keys)? {
                Stored::Loaded(loaded) => (loaded.signals, loaded.state, loaded.journal_seq, false),
                Stored::Missing => (Signals::unseen(n), State::empty(n), 0, false),
                Stored::Foreign { why } => {
                    move_aside(&h5_path, &why)?;
                    (Signals::unseen(n), State::empty(n), 0, true)
                }
            };
        let mut last_seq = base_seq;
        let mut replayed = 0usize;
        let journal = match Journal::read(&journal_path)? {
            Some((replay, _))
                if foreign
                    || replay
                        .fingerprint
                        .as_deref()
                        .is_some_and(|f| f != fingerprint) =>
            {
                move_aside(
                    &journal_path,
                    "it belongs to another dataset or another file",
                )?;
                Journal::create(&journal_path, &fingerprint)?
            }
            // Only a torn header: nothing was ever acknowledged into it.
            Some((replay, _)) if replay.fingerprint.is_none() => {
                tracing::warn!(
                    bytes = replay.torn_bytes,
                    "the edit journal holds no complete header; starting it afresh"
                );
                Journal::create(&journal_path, &fingerprint)?
            }
            Some((replay, valid_len)) => {
                if replay.torn_bytes > 0 {
                    tracing::warn!(
                        bytes = replay.torn_bytes,
                        "dropping a torn record at the end of the edit journal"
                    );
                }
                for (seq, op) in replay.edits {
                    if seq <= base_seq {
                        continue;
                    }
                    edit::apply(op, n, &mut state);
                    last_seq = last_seq.max(seq);
                    replayed += 1;
                }
                Journal::open_existing(&journal_path, valid_len, &fingerprint)?
            }
            None => Journal::create(&journal_path, &fingerprint)?,
        };
        state.recount_discarded();
        tracing::info!(rows = n, replayed, seq = last_seq, dir = %options.dir.display(), "sample table opened");

        let inner = Inner {
            h5_path,
            keys,
            signals: RwLock::new(SignalsCell {
                data: signals,
                version: 1,
            }),
            state: RwLock::new(StateCell {
                data: state,
                version: 1,
                discard_version: 1,
            }),
            writer: Mutex::new(Writer {
                journal,
                next_seq: last_seq + 1,
                since_compaction: replayed,
            }),
            compaction: Mutex::new(()),
            compacting: AtomicBool::new(false),
            view: Mutex::new(ViewState {
                spec: ViewSpec::default(),
                order: Order::All(n),
                dirty: false,
            }),
            cache: Mutex::new(ColumnCache::default()),
            in_loop: Mutex::new(InLoopCache::default()),
            options,
        };
        Ok(Self {
            inner: Arc::new(inner),
            compactor: Mutex::new(None),
        })
    }

    pub fn len(&self) -> usize {
        self.inner.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Distinct origins in first-appearance order.
    pub fn splits(&self) -> Vec<String> {
        self.inner.keys.splits.clone()
    }

    /// The row of a sample; an empty origin matches the first row with that id.
    pub fn row_of(&self, origin: &str, sample_id: &str) -> Option<u32> {
        self.inner.keys.row_of(origin, sample_id)
    }

    /// Trainer side: stores a batch of signals (no I/O; saved at the next compaction).
    pub fn record_signals(&self, updates: &[SignalUpdate]) {
        let mut cell = self.inner.signals.write();
        let skipped = cell.data.record(updates);
        cell.version += 1;
        drop(cell);
        if skipped > 0 {
            tracing::warn!(
                skipped,
                rows = self.len(),
                "signal updates for rows past the end of the table were ignored"
            );
        }
    }

    /// Rows of `origin` ("" = every origin) that are not discarded, in row order.
    pub fn in_loop_rows(&self, origin: &str) -> Arc<[u32]> {
        let inner = &self.inner;
        let state = inner.state.read();
        let mut cache = inner.in_loop.lock();
        if cache.discard_version != state.discard_version {
            cache.by_origin.clear();
            cache.discard_version = state.discard_version;
        }
        if let Some(rows) = cache.by_origin.get(origin) {
            return rows.clone();
        }
        let wanted = if origin.is_empty() {
            None
        } else {
            inner.keys.split_index(origin).or(Some(u32::MAX))
        };
        let rows: Arc<[u32]> = (0..inner.keys.len())
            .filter(|&r| {
                !state.data.discarded[r] && wanted.is_none_or(|o| inner.keys.origin_of[r] == o)
            })
            .map(|r| r as u32)
            .collect();
        cache.by_origin.insert(origin.to_string(), rows.clone());
        rows
    }

    /// Validates, journals (fsync) and applies one edit; all or nothing.
    pub fn apply_edit(&self, edit: Edit) -> Result<EditOutcome, TableError> {
        let inner = &self.inner;
        let mut writer = inner.writer.lock();
        let op = {
            let signals = inner.signals.read();
            let state = inner.state.read();
            edit::validate(edit, &inner.keys, &signals.data, &state.data)?
        };
        let applied = inner.commit(&mut writer, op)?;
        let trigger = writer.since_compaction >= inner.options.compact_every_edits.max(1)
            || writer.journal.len() >= COMPACT_JOURNAL_BYTES;
        drop(writer);
        if trigger {
            self.spawn_compaction();
        }
        Ok(EditOutcome {
            rows_changed: applied.rows_changed,
            message: applied.message,
        })
    }

    fn spawn_compaction(&self) {
        if self.inner.compacting.swap(true, Ordering::AcqRel) {
            return;
        }
        let inner = self.inner.clone();
        let spawned = std::thread::Builder::new().name("table-compaction".into()).spawn(move || {
            if let Err(e) = inner.compact() {
                tracing::error!(error = %e, "background compaction of the sample table failed; the journal keeps every edit");
            }
            inner.compacting.store(false, Ordering::Release);
        });
        match spawned {
            Ok(handle) => {
                let previous = self.compactor.lock().replace(handle);
                if let Some(previous) = previous {
                    let _ = previous.join();
                }
            }
            Err(e) => {
                self.inner.compacting.store(false, Ordering::Release);
                tracing::error!(error = %e, "could not start the compaction thread");
            }
        }
    }

    /// Applies a parsed query to the shared view.
    pub fn apply_query(&self, query: &Query) -> Result<QueryOutcome, TableError> {
        let inner = &self.inner;
        let outcome = |message: String, intent: Intent, highlight: Vec<String>| QueryOutcome {
            message,
            counts: self.counts(),
            intent,
            highlight,
        };
        match query {
            Query::CountOnly => Ok(outcome(String::new(), Intent::Filter, Vec::new())),
            Query::Reset => {
                let mut view = inner.view.lock();
                *view = ViewState {
                    spec: ViewSpec::default(),
                    order: Order::All(inner.keys.len()),
                    dirty: false,
                };
                drop(view);
                Ok(outcome(
                    format!("View reset: showing all {} samples.", inner.keys.len()),
                    Intent::Filter,
                    Vec::new(),
                ))
            }
            Query::Overview => {
                let text = self.overview();
                Ok(outcome(
                    "Overview of the sample table.".into(),
                    Intent::Analysis(text),
                    Vec::new(),
                ))
            }
            Query::Highlight(ids) => {
                let found: Vec<String> = ids
                    .iter()
                    .filter(|id| inner.keys.row_of("", id).is_some())
                    .cloned()
                    .collect();
                let message = format!("Highlighted {} of {} sample(s).", found.len(), ids.len());
                Ok(outcome(message, Intent::Filter, found))
            }
            Query::ProjectionSelection(token) => Err(TableError::invalid_query(
                format!(
                    "projection selection '{token}' is unknown: this backend computes no projection to select from"
                ),
                "loss > 0.5",
            )),
            Query::View(spec) => {
                let mut view = inner.view.lock();
                inner.ensure_fresh(&mut view);
                let next = combine(&view.spec, spec);
                let order = inner.compute(&next)?;
                let shown = order.len();
                *view = ViewState {
                    spec: next,
                    order,
                    dirty: false,
                };
                let is_subview = view.spec.is_subview();
                drop(view);
                let message = if is_subview {
                    format!("Showing {shown} of {} samples.", inner.keys.len())
                } else {
                    format!("Showing all {shown} samples.")
                };
                Ok(outcome(message, Intent::Filter, Vec::new()))
            }
        }
    }

    /// Row counts; `in_view` is the current view, the rest the whole table.
    pub fn counts(&self) -> Counts {
        let inner = &self.inner;
        let in_view = {
            let mut view = inner.view.lock();
            inner.ensure_fresh(&mut view);
            view.order.len()
        };
        let total = inner.keys.len();
        let discarded = inner.state.read().data.discarded_count;
        Counts {
            in_view,
            total,
            in_loop: total - discarded,
            discarded,
        }
    }

    /// The filters, sort and limit of the current view, and its counts.
    pub fn view_summary(&self) -> ViewSummary {
        let spec = self.inner.view.lock().spec.clone();
        ViewSummary {
            filters: spec.filters.iter().map(ToString::to_string).collect(),
            sort: spec
                .sort
                .iter()
                .map(|key| (key.column.clone(), key.descending))
                .collect(),
            limit: spec.limit.map(|limit| limit.to_string()),
            window_sorts: spec.window_sorts.len(),
            counts: self.counts(),
        }
    }

    /// Whether the view is filtered or limited (the Studio shows its subview banner).
    pub fn is_subview(&self) -> bool {
        self.inner.view.lock().spec.is_subview()
    }

    /// Re-runs the current filter and sort over the latest data.
    pub fn refresh_view(&self) {
        let mut view = self.inner.view.lock();
        view.dirty = true;
        self.inner.ensure_fresh(&mut view);
    }

    /// Rows `[start, start + count)` of the view, in view order.
    pub fn page(&self, start: usize, count: usize) -> Vec<RowSnapshot> {
        let inner = &self.inner;
        let rows = {
            let mut view = inner.view.lock();
            inner.ensure_fresh(&mut view);
            view.order.slice(start, count)
        };
        inner.snapshots(&rows)
    }

    /// One row by row number, or `None` past the end.
    pub fn row(&self, row: u32) -> Option<RowSnapshot> {
        ((row as usize) < self.len())
            .then(|| self.inner.snapshots(&[row]).pop())
            .flatten()
    }

    /// Tag names, sorted; registered tags without members included.
    pub fn tags(&self) -> Vec<String> {
        self.inner.state.read().data.tags.keys().cloned().collect()
    }

    /// Every column: built-ins, then `tag:<name>` columns, then user metadata.
    pub fn columns(&self) -> Vec<String> {
        all_names(&self.inner.state.read().data)
    }

    /// User metadata columns only, in creation order.
    pub fn metadata_columns(&self) -> Vec<String> {
        self.inner
            .state
            .read()
            .data
            .metadata
            .iter()
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Rows carrying every one of `tags` (all rows for an empty list; none for an unknown tag).
    pub fn rows_with_tags(&self, tags: &[String]) -> Vec<u32> {
        let state = self.inner.state.read();
        let mut columns = Vec::with_capacity(tags.len());
        for tag in tags {
            let name = tag.strip_prefix(crate::columns::TAG_PREFIX).unwrap_or(tag);
            match state.data.tags.get(name) {
                Some(flags) => columns.push(flags),
                None => return Vec::new(),
            }
        }
        (0..self.len())
            .filter(|&r| columns.iter().all(|c| c[r]))
            .map(|r| r as u32)
            .collect()
    }

    /// The distribution of one column over the whole table (`max_bins` 0 = 512).
    pub fn histogram(&self, column: &str, max_bins: usize) -> Result<Histogram, TableError> {
        let inner = &self.inner;
        let signals = inner.signals.read();
        let state = inner.state.read();
        let id = ColumnId::resolve(column, &state.data)?;
        Ok(histogram::build(
            &id,
            max_bins,
            &inner.keys,
            &signals.data,
            &state.data,
        ))
    }

    /// A text summary: counts, splits, tags, the highest losses.
    pub fn overview(&self) -> String {
        let counts = self.counts();
        let inner = &self.inner;
        let signals = inner.signals.read();
        let state = inner.state.read();
        overview::render(&inner.keys, &signals.data, &state.data, counts)
    }

    /// Folds the journal into `samples.h5` now (waits for a background compaction first).
    pub fn compact(&self) -> Result<(), TableError> {
        self.inner.compact()
    }

    /// Writes tags, discards and metadata to `path` (for a checkpoint).
    pub fn export_state(&self, path: &Path) -> Result<(), TableError> {
        let state = self.inner.state.read().data.clone();
        state_file::export(
            path,
            &self.inner.keys,
            &state,
            &self.inner.options.dataset_fingerprint,
        )
    }

    /// Replaces tags, discards and metadata with those in `path`; durable before it returns.
    pub fn import_state(&self, path: &Path) -> Result<(), TableError> {
        let (op, missing) = state_file::import(path, &self.inner.keys)?;
        if missing > 0 {
            tracing::warn!(missing, path = %path.display(), "samples in the state file are not in this dataset; their state was dropped");
        }
        let mut writer = self.inner.writer.lock();
        self.inner.commit(&mut writer, op)?;
        Ok(())
    }
}

impl Inner {
    /// Journals then applies a validated op; the caller holds the writer.
    fn commit(
        &self,
        writer: &mut MutexGuard<'_, Writer>,
        op: Op,
    ) -> Result<edit::Applied, TableError> {
        let seq = writer.next_seq;
        writer.journal.append(seq, &op)?;
        let deleted_tag = match &op {
            Op::DeleteTag { tag } => Some(tag.clone()),
            _ => None,
        };
        writer.next_seq += 1;
        writer.since_compaction += 1;
        let applied = {
            let mut state = self.state.write();
            let applied = edit::apply(op, self.keys.len(), &mut state.data);
            state.version += 1;
            if applied.discards_changed {
                state.discard_version += 1;
            }
            self.cache.lock().retain_existing(&state.data);
            applied
        };
        let mut view = self.view.lock();
        view.dirty = true;
        // A view that selected by the deleted tag has lost what it was about: back to every
        // row (a tag nobody carries would otherwise leave it showing nothing).
        if let Some(tag) = deleted_tag
            && view
                .spec
                .filters
                .iter()
                .any(|filter| mentions_tag(filter, &tag))
        {
            view.spec = ViewSpec::default();
        }
        drop(view);
        tracing::debug!(seq, rows = applied.rows_changed, "edit applied");
        Ok(applied)
    }

    fn compact(&self) -> Result<(), TableError> {
        let _one_at_a_time = self.compaction.lock();
        let (signals, state, seq, mark, counted) = {
            let writer = self.writer.lock();
            let signals = self.signals.read().data.clone();
            let state = self.state.read().data.clone();
            (
                signals,
                state,
                writer.next_seq - 1,
                writer.journal.len(),
                writer.since_compaction,
            )
        };
        let started = std::time::Instant::now();
        h5store::write(
            &self.h5_path,
            &self.keys,
            &signals,
            &state,
            &self.options.dataset_fingerprint,
            seq,
        )?;
        let mut writer = self.writer.lock();
        writer.journal.truncate_before(mark)?;
        writer.since_compaction -= counted.min(writer.since_compaction);
        tracing::info!(
            seq,
            ms = started.elapsed().as_millis() as u64,
            "sample table compacted into HDF5"
        );
        Ok(())
    }

    /// Recomputes a stale view; a view that no longer compiles (its column was deleted)
    /// falls back to all rows rather than failing every later page.
    fn ensure_fresh(&self, view: &mut ViewState) {
        if !view.dirty {
            return;
        }
        view.dirty = false;
        match self.compute(&view.spec) {
            Ok(order) => view.order = order,
            Err(e) => {
                tracing::warn!(error = %e, "the current view no longer applies; showing all rows");
                view.spec = ViewSpec::default();
                view.order = Order::All(self.keys.len());
            }
        }
    }

    fn compute(&self, spec: &ViewSpec) -> Result<Order, TableError> {
        if view::identity(spec) {
            return Ok(Order::All(self.keys.len()));
        }
        let prepared = {
            let signals = self.signals.read();
            let state = self.state.read();
            let src = Source {
                keys: &self.keys,
                signals: &signals.data,
                state: &state.data,
                versions: Versions {
                    signals: signals.version,
                    state: state.version,
                },
            };
            view::prepare(spec, &src, &mut self.cache.lock())?
        };
        let mut rows = view::run(prepared)?;
        if !spec.window_sorts.is_empty() {
            let signals = self.signals.read();
            let state = self.state.read();
            let src = Source {
                keys: &self.keys,
                signals: &signals.data,
                state: &state.data,
                versions: Versions::default(),
            };
            view::apply_window_sorts(&mut rows, &spec.window_sorts, &src)?;
        }
        Ok(Order::Rows(rows.into()))
    }

    fn snapshots(&self, rows: &[u32]) -> Vec<RowSnapshot> {
        let signals = self.signals.read();
        let state = self.state.read();
        let (s, st, keys) = (&signals.data, &state.data, &self.keys);
        rows.iter()
            .map(|&row| {
                let r = row as usize;
                let seen = s.seen(r);
                let opt = |v: f32| seen.then_some(v);
                RowSnapshot {
                    row,
                    sample_id: keys.sample_ids[r].clone(),
                    origin: keys.origin(row).to_string(),
                    label: keys.labels[r],
                    prediction: seen.then_some(s.prediction[r]),
                    loss: opt(s.loss[r]),
                    confidence: opt(s.confidence[r]),
                    label_probability: opt(s.label_probability[r]),
                    label_issue: opt(s.label_issue[r]),
                    encounters: s.encounters[r],
                    last_seen_age: seen.then_some(s.last_seen_age[r]),
                    discarded: st.discarded[r],
                    tags: st
                        .tags
                        .iter()
                        .filter(|(_, f)| f[r])
                        .map(|(t, _)| t.clone())
                        .collect(),
                    metadata: st
                        .metadata
                        .iter()
                        .map(|(n, c)| (n.clone(), c.get(r)))
                        .collect(),
                }
            })
            .collect()
    }
}

/// Merges a new view request into the current view (see `Scope`).
/// Whether a filter selects by `tag` (`tag:x`, or the column `tag:x` by name).
fn mentions_tag(filter: &weightslab_query::Expr, tag: &str) -> bool {
    let column = format!("tag:{tag}");
    let mut found = false;
    filter.walk(&mut |node| match node {
        weightslab_query::Expr::Tag(name) => found |= name == tag,
        weightslab_query::Expr::Column(name) => found |= *name == column,
        _ => {}
    });
    found
}

fn combine(current: &ViewSpec, request: &weightslab_query::ViewSpec) -> ViewSpec {
    let mut next = current.clone();
    let changes_rows =
        request.filter.is_some() || !request.sort.is_empty() || request.limit.is_some();
    if let Some(filter) = &request.filter {
        match request.scope {
            // A new query replaces the whole view: its filter, its sort and its limit.
            Scope::Global => {
                next = ViewSpec::default();
                next.filters = vec![filter.clone()];
            }
            Scope::Subset | Scope::View => next.filters.push(filter.clone()),
        }
    }
    // `sortby index asc` is how the Studio says "no sort".
    let sort: Vec<_> = if request.sort.len() == 1
        && request.sort[0].column == "index"
        && !request.sort[0].descending
    {
        Vec::new()
    } else {
        request.sort.clone()
    };
    match (request.scope, request.window) {
        (Scope::View, Some((start, count))) if !request.sort.is_empty() => {
            next.window_sorts.push(WindowSort {
                start,
                count,
                keys: sort,
            });
        }
        _ if !request.sort.is_empty() => {
            next.sort = sort;
            next.window_sorts.clear();
            // A limit kept the first rows of the old order; under a new order it would pick
            // different rows, so it goes unless the request sets one.
            next.limit = None;
        }
        _ => {}
    }
    if request.limit.is_some() {
        next.limit = request.limit;
    }
    if changes_rows && request.filter.is_some() {
        next.window_sorts.clear();
    }
    next
}

impl Drop for SampleTable {
    fn drop(&mut self) {
        if let Some(handle) = self.compactor.lock().take() {
            let _ = handle.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use weightslab_query::SortKey;

    #[test]
    fn a_new_query_replaces_the_previous_limit_and_sort() {
        let top = weightslab_query::parse("show the 100 highest-loss samples", true).unwrap();
        let weightslab_query::Query::View(top) = top else {
            panic!("a view")
        };
        let after_top = combine(&ViewSpec::default(), &top);
        assert!(after_top.limit.is_some());
        let filter = weightslab_query::parse("label == 7", false).unwrap();
        let weightslab_query::Query::View(filter) = filter else {
            panic!("a view")
        };
        let next = combine(&after_top, &filter);
        assert_eq!(next.limit, None, "the old head:100 is gone");
        assert!(next.sort.is_empty(), "the old sort is gone");
        let resort = weightslab_query::parse("sortby label asc", false).unwrap();
        let weightslab_query::Query::View(resort) = resort else {
            panic!("a view")
        };
        let sorted = combine(&after_top, &resort);
        assert_eq!(sorted.limit, None);
        assert_eq!(
            sorted.filters, after_top.filters,
            "a sort alone keeps the filter"
        );
    }

    #[test]
    fn combine_replaces_or_narrows_by_scope() {
        let f1 = weightslab_query::Expr::col("loss");
        let f2 = weightslab_query::Expr::col("discarded");
        let global = weightslab_query::ViewSpec {
            filter: Some(f1.clone()),
            ..Default::default()
        };
        let next = combine(&ViewSpec::default(), &global);
        assert_eq!(next.filters, vec![f1.clone()]);
        let subset = weightslab_query::ViewSpec {
            filter: Some(f2.clone()),
            scope: Scope::Subset,
            ..Default::default()
        };
        let narrowed = combine(&next, &subset);
        assert_eq!(narrowed.filters, vec![f1.clone(), f2.clone()]);
        let sort_index = weightslab_query::ViewSpec {
            sort: vec![SortKey {
                column: "index".into(),
                descending: false,
            }],
            ..Default::default()
        };
        assert!(combine(&narrowed, &sort_index).sort.is_empty());
        let window = weightslab_query::ViewSpec {
            sort: vec![SortKey {
                column: "loss".into(),
                descending: true,
            }],
            scope: Scope::View,
            window: Some((16, 16)),
            ..Default::default()
        };
        let windowed = combine(&narrowed, &window);
        assert!(windowed.sort.is_empty());
        assert_eq!(windowed.window_sorts.len(), 1);
        assert_eq!(windowed.filters.len(), 2);
    }
}
