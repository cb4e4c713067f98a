//! The current view: filters, sort keys, limit and window sorts, and the row order they
//! produce (computed with polars, cached as a row list so paging never re-sorts).

use std::cmp::Ordering;
use std::sync::Arc;

use polars::prelude::*;

use weightslab_query::{Expr as Pred, Limit, SortKey};

use crate::columns::{ColumnId, Signals, State};
use crate::error::TableError;
use crate::filter::Compiler;
use crate::frame::{ColumnCache, Versions};
use crate::keys::Keys;
use crate::types::MetaValue;

/// Reorders positions `[start, start + count)` of the view only (scope `view` with a window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WindowSort {
    pub start: usize,
    pub count: usize,
    pub keys: Vec<SortKey>,
}

/// What defines the view; re-run on refresh.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ViewSpec {
    /// All must hold.
    pub filters: Vec<Pred>,
    pub sort: Vec<SortKey>,
    pub limit: Option<Limit>,
    pub window_sorts: Vec<WindowSort>,
}

impl ViewSpec {
    pub fn is_subview(&self) -> bool {
        !self.filters.is_empty() || self.limit.is_some()
    }

    fn is_identity(&self) -> bool {
        self.filters.is_empty()
            && self.sort.is_empty()
            && self.limit.is_none()
            && self.window_sorts.is_empty()
    }
}

/// Rows of the view in view order.
#[derive(Debug, Clone)]
pub(crate) enum Order {
    /// Every row in row order (the common case, kept implicit).
    All(usize),
    Rows(Arc<[u32]>),
}

impl Order {
    pub fn len(&self) -> usize {
        match self {
            Order::All(n) => *n,
            Order::Rows(rows) => rows.len(),
        }
    }

    pub fn slice(&self, start: usize, count: usize) -> Vec<u32> {
        let end = start.saturating_add(count).min(self.len());
        if start >= end {
            return Vec::new();
        }
        match self {
            Order::All(_) => (start as u32..end as u32).collect(),
            Order::Rows(rows) => rows[start..end].to_vec(),
        }
    }
}

/// The data a view is computed from, borrowed under the table's read locks.
pub(crate) struct Source<'a> {
    pub keys: &'a Keys,
    pub signals: &'a Signals,
    pub state: &'a State,
    pub versions: Versions,
}

/// The frame to query, its filter, and its sort keys with their direction.
struct Plan {
    frame: DataFrame,
    filter: Option<Expr>,
    sort: Vec<(Expr, bool)>,
}

/// A query plan ready to run without any table lock held.
pub(crate) struct Prepared {
    frame: Option<Plan>,
    limit: Option<Limit>,
    n: usize,
}

/// Checks the spec against the data and gathers the polars columns it needs.
pub(crate) fn prepare(
    spec: &ViewSpec,
    src: &Source,
    cache: &mut ColumnCache,
) -> Result<Prepared, TableError> {
    let n = src.keys.len();
    for w in &spec.window_sorts {
        Compiler::sort_columns(&w.keys, src.state)?;
    }
    if spec.filters.is_empty() && spec.sort.is_empty() {
        return Ok(Prepared {
            frame: None,
            limit: spec.limit,
            n,
        });
    }
    let compiled = Compiler::new(src.keys, src.state).filters(&spec.filters)?;
    let mut needed = compiled.columns;
    let filter = (!spec.filters.is_empty()).then_some(compiled.expr);
    let sort = Compiler::sort_columns(&spec.sort, src.state)?;
    needed.extend(sort.iter().map(|(id, _)| id.clone()));
    needed.insert(ColumnId::Index);
    let mut columns: Vec<Column> = needed
        .iter()
        .map(|id| cache.get(id, src.versions, src.keys, src.signals, src.state))
        .collect();
    columns.extend(compiled.masks);
    let frame = DataFrame::new(n, columns)?;
    let sort_exprs = sort
        .into_iter()
        .map(|(id, desc)| (col(id.name()), desc))
        .collect();
    Ok(Prepared {
        frame: Some(Plan {
            frame,
            filter,
            sort: sort_exprs,
        }),
        limit: spec.limit,
        n,
    })
}

/// Runs the plan: filter, stable multi-key sort (nulls last), limit.
pub(crate) fn run(prepared: Prepared) -> Result<Vec<u32>, TableError> {
    let mut rows: Vec<u32> = match prepared.frame {
        None => (0..prepared.n as u32).collect(),
        Some(Plan {
            frame,
            filter,
            sort,
        }) => {
            let mut lf = frame.lazy();
            if let Some(f) = filter {
                lf = lf.filter(f);
            }
            if !sort.is_empty() {
                let descending = sort.iter().map(|(_, d)| *d).collect::<Vec<_>>();
                let options = SortMultipleOptions::default()
                    .with_order_descending_multi(descending)
                    .with_nulls_last(true)
                    .with_maintain_order(true);
                let exprs: Vec<Expr> = sort.into_iter().map(|(e, _)| e).collect();
                lf = lf.sort_by_exprs(exprs, options);
            }
            let out = lf.select([col("index")]).collect()?;
            let index = out.column("index")?.u32()?.rechunk();
            index.into_no_null_iter().collect()
        }
    };
    match prepared.limit {
        Some(Limit::Head(k)) => rows.truncate(k),
        Some(Limit::Tail(k)) => {
            let skip = rows.len().saturating_sub(k);
            rows.drain(..skip);
        }
        None => {}
    }
    Ok(rows)
}

/// Orders values with nulls (and NaN) last whatever the direction.
fn compare_values(a: &MetaValue, b: &MetaValue, descending: bool) -> Ordering {
    let num = |v: &MetaValue| match v {
        MetaValue::Float(x) if !x.is_nan() => Some(*x),
        MetaValue::Int(x) => Some(*x as f64),
        MetaValue::Bool(x) => Some(f64::from(u8::from(*x))),
        _ => None,
    };
    let ord = match (a, b) {
        (MetaValue::Str(x), MetaValue::Str(y)) => Some(x.cmp(y)),
        _ => match (num(a), num(b)) {
            (Some(x), Some(y)) => Some(x.total_cmp(&y)),
            (Some(_), None) => return Ordering::Less,
            (None, Some(_)) => return Ordering::Greater,
            (None, None) => None,
        },
    };
    match ord {
        Some(o) if descending => o.reverse(),
        Some(o) => o,
        None => Ordering::Equal,
    }
}

/// Applies window sorts to a computed order (the windows are small: a page or two).
pub(crate) fn apply_window_sorts(
    rows: &mut [u32],
    windows: &[WindowSort],
    src: &Source,
) -> Result<(), TableError> {
    for w in windows {
        let keys = Compiler::sort_columns(&w.keys, src.state)?;
        let end = w.start.saturating_add(w.count).min(rows.len());
        if w.start >= end {
            continue;
        }
        let window = &mut rows[w.start..end];
        let mut keyed: Vec<(Vec<MetaValue>, u32)> = window
            .iter()
            .map(|&r| {
                (
                    keys.iter()
                        .map(|(id, _)| id.value(r, src.keys, src.signals, src.state))
                        .collect(),
                    r,
                )
            })
            .collect();
        keyed.sort_by(|(a, _), (b, _)| {
            keys.iter()
                .zip(a.iter().zip(b))
                .map(|((_, desc), (x, y))| compare_values(x, y, *desc))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        for (slot, (_, r)) in window.iter_mut().zip(keyed) {
            *slot = r;
        }
    }
    Ok(())
}

/// Whether a spec can skip polars altogether.
pub(crate) fn identity(spec: &ViewSpec) -> bool {
    spec.is_identity()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_slices_clamp() {
        let all = Order::All(5);
        assert_eq!(all.slice(3, 10), vec![3, 4]);
        assert!(all.slice(7, 2).is_empty());
        let rows = Order::Rows(Arc::from(vec![4u32, 2, 0]));
        assert_eq!(rows.slice(1, 1), vec![2]);
        assert_eq!(rows.slice(0, rows.len()), vec![4, 2, 0]);
    }

    #[test]
    fn nulls_sort_last_both_ways() {
        let mut v = [
            MetaValue::Null,
            MetaValue::Float(1.0),
            MetaValue::Float(f64::NAN),
            MetaValue::Int(3),
        ];
        v.sort_by(|a, b| compare_values(a, b, true));
        assert_eq!(v[0], MetaValue::Int(3));
        assert_eq!(v[1], MetaValue::Float(1.0));
        v.sort_by(|a, b| compare_values(a, b, false));
        assert_eq!(v[0], MetaValue::Float(1.0));
        assert!(matches!(v[2], MetaValue::Null | MetaValue::Float(_)));
    }
}
