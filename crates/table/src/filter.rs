//! Compilation of a query filter (`weightslab_query::Expr`) to a polars expression, with
//! type checks and Rust-computed masks for text predicates (polars' string kernels are not
//! in our lean feature set).

use std::collections::BTreeSet;

use polars::prelude::*;

use weightslab_query::{ArithOp, CmpOp, Expr as Pred, SortKey, Value};

use crate::columns::{ColumnId, MetaColumn, State, ValueKind};
use crate::error::TableError;
use crate::keys::Keys;

/// A compiled filter: the polars expression, the columns it reads and the masks it needs.
pub(crate) struct Compiled {
    pub expr: Expr,
    pub columns: BTreeSet<ColumnId>,
    pub masks: Vec<Column>,
}

/// Kind of a compiled expression; `None` for a null literal (compatible with anything).
type Kind = Option<ValueKind>;

const EXAMPLE: &str = "loss > 0.4 and origin == 'train'";

pub(crate) struct Compiler<'a> {
    keys: &'a Keys,
    state: &'a State,
    columns: BTreeSet<ColumnId>,
    masks: Vec<Column>,
}

fn lit_kind(v: &Value) -> Kind {
    match v {
        Value::Float(_) | Value::Int(_) => Some(ValueKind::Num),
        Value::Str(_) => Some(ValueKind::Str),
        Value::Bool(_) => Some(ValueKind::Bool),
        Value::Null => None,
    }
}

fn lit_expr(v: &Value) -> Expr {
    match v {
        Value::Float(x) => lit(*x),
        Value::Int(x) => lit(*x),
        Value::Str(x) => lit(x.clone()),
        Value::Bool(x) => lit(*x),
        Value::Null => lit(Null {}),
    }
}

fn show_value(v: &Value) -> String {
    match v {
        Value::Str(s) => format!("text '{s}'"),
        Value::Float(x) => format!("number {x}"),
        Value::Int(x) => format!("number {x}"),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Null => "null".into(),
    }
}

fn show(p: &Pred) -> String {
    match p {
        Pred::Column(c) => format!("column '{c}'"),
        Pred::Literal(v) => show_value(v),
        Pred::Tag(t) => format!("tag '{t}'"),
        _ => "an expression".into(),
    }
}

/// A list of literals of one kind as a polars Series (numbers become f64 unless all ints).
fn values_series(values: &[&Value], kind: Kind) -> Result<Series, TableError> {
    let name = PlSmallStr::from_static("values");
    Ok(match kind {
        Some(ValueKind::Str) => Series::new(
            name,
            values
                .iter()
                .filter_map(|v| {
                    if let Value::Str(s) = v {
                        Some(s.as_str())
                    } else {
                        None
                    }
                })
                .collect::<Vec<_>>(),
        ),
        Some(ValueKind::Bool) => Series::new(
            name,
            values
                .iter()
                .filter_map(|v| {
                    if let Value::Bool(b) = v {
                        Some(*b)
                    } else {
                        None
                    }
                })
                .collect::<Vec<_>>(),
        ),
        _ if values.iter().all(|v| matches!(v, Value::Int(_))) => Series::new(
            name,
            values
                .iter()
                .filter_map(|v| {
                    if let Value::Int(i) = v {
                        Some(*i)
                    } else {
                        None
                    }
                })
                .collect::<Vec<_>>(),
        ),
        _ => Series::new(
            name,
            values
                .iter()
                .filter_map(|v| match v {
                    Value::Int(i) => Some(*i as f64),
                    Value::Float(f) => Some(*f),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        ),
    })
}

/// How a text predicate matches.
#[derive(Clone, Copy)]
enum TextOp {
    Contains,
    StartsWith,
    EndsWith,
}

impl TextOp {
    fn test(self, haystack: &str, needle: &str) -> bool {
        match self {
            TextOp::Contains => haystack.contains(needle),
            TextOp::StartsWith => haystack.starts_with(needle),
            TextOp::EndsWith => haystack.ends_with(needle),
        }
    }
}

impl<'a> Compiler<'a> {
    pub fn new(keys: &'a Keys, state: &'a State) -> Self {
        Self {
            keys,
            state,
            columns: BTreeSet::new(),
            masks: Vec::new(),
        }
    }

    /// Compiles a filter, which must be boolean.
    #[cfg(test)]
    pub fn filter(self, pred: &Pred) -> Result<Compiled, TableError> {
        self.filters(std::slice::from_ref(pred))
    }

    /// Compiles filters that must all hold into one expression (`lit(true)` for none).
    pub fn filters(mut self, preds: &[Pred]) -> Result<Compiled, TableError> {
        let mut all: Option<Expr> = None;
        for pred in preds {
            let (expr, kind) = self.expr(pred)?;
            if kind != Some(ValueKind::Bool) {
                return Err(TableError::invalid_query(
                    format!(
                        "a filter must be a condition that is true or false, but {} is {}",
                        show(pred),
                        kind.map_or("null", ValueKind::describe)
                    ),
                    EXAMPLE,
                ));
            }
            all = Some(match all {
                None => expr,
                Some(a) => a.and(expr),
            });
        }
        Ok(Compiled {
            expr: all.unwrap_or_else(|| lit(true)),
            columns: self.columns,
            masks: self.masks,
        })
    }

    /// Resolves sort keys to column ids (the caller also needs them in the frame).
    pub fn sort_columns(
        keys: &[SortKey],
        state: &State,
    ) -> Result<Vec<(ColumnId, bool)>, TableError> {
        keys.iter()
            .map(|k| Ok((ColumnId::resolve(&k.column, state)?, k.descending)))
            .collect()
    }

    fn column(&mut self, name: &str) -> Result<(Expr, Kind), TableError> {
        let id = ColumnId::resolve(name, self.state)?;
        let kind = id.kind(self.state);
        let expr = col(id.name());
        self.columns.insert(id);
        Ok((expr, Some(kind)))
    }

    fn expect(
        &self,
        p: &Pred,
        got: Kind,
        want: ValueKind,
        context: &str,
    ) -> Result<(), TableError> {
        match got {
            Some(k) if k != want => Err(TableError::invalid_query(
                format!(
                    "{context} needs {}, but {} is {}",
                    want.describe(),
                    show(p),
                    k.describe()
                ),
                EXAMPLE,
            )),
            _ => Ok(()),
        }
    }

    fn expr(&mut self, p: &Pred) -> Result<(Expr, Kind), TableError> {
        match p {
            Pred::Column(name) => self.column(name),
            Pred::Tag(tag) => {
                let name = format!("tag:{tag}");
                // No sample carries this tag (yet): the answer to "tagged x" is no rows, not an
                // unknown-column error. The view is compiled again on refresh, so once samples
                // are tagged x they show.
                if ColumnId::lookup(&name, self.state).is_none() {
                    return Ok((lit(false), Some(ValueKind::Bool)));
                }
                self.column(&name)
            }
            Pred::Literal(v) => Ok((lit_expr(v), lit_kind(v))),
            Pred::Compare(op, a, b) => self.compare(*op, a, b),
            Pred::And(a, b) | Pred::Or(a, b) => {
                let (ea, ka) = self.expr(a)?;
                let (eb, kb) = self.expr(b)?;
                self.expect(a, ka, ValueKind::Bool, "'and'/'or'")?;
                self.expect(b, kb, ValueKind::Bool, "'and'/'or'")?;
                let e = if matches!(p, Pred::And(..)) {
                    ea.and(eb)
                } else {
                    ea.or(eb)
                };
                Ok((e, Some(ValueKind::Bool)))
            }
            Pred::Not(a) => {
                let (ea, ka) = self.expr(a)?;
                self.expect(a, ka, ValueKind::Bool, "'not'")?;
                Ok((ea.not(), Some(ValueKind::Bool)))
            }
            Pred::IsNull(a) => {
                let (ea, _) = self.expr(a)?;
                Ok((ea.is_null(), Some(ValueKind::Bool)))
            }
            Pred::Between(a, lo, hi) => {
                let (ea, ka) = self.expr(a)?;
                for bound in [lo, hi] {
                    if let (Some(k), Some(kb)) = (ka, lit_kind(bound))
                        && k != kb
                    {
                        return Err(TableError::invalid_query(
                            format!(
                                "cannot compare {} ({}) with {}",
                                show(a),
                                k.describe(),
                                show_value(bound)
                            ),
                            "loss.between(0.2, 0.5)",
                        ));
                    }
                }
                Ok((
                    ea.clone().gt_eq(lit_expr(lo)).and(ea.lt_eq(lit_expr(hi))),
                    Some(ValueKind::Bool),
                ))
            }
            Pred::IsIn(a, values) => self.is_in(a, values),
            Pred::Contains(a, needle) => self.text(a, needle, TextOp::Contains),
            Pred::StartsWith(a, needle) => self.text(a, needle, TextOp::StartsWith),
            Pred::EndsWith(a, needle) => self.text(a, needle, TextOp::EndsWith),
            Pred::Arith(op, a, b) => {
                let (ea, ka) = self.expr(a)?;
                let (eb, kb) = self.expr(b)?;
                self.expect(a, ka, ValueKind::Num, "arithmetic")?;
                self.expect(b, kb, ValueKind::Num, "arithmetic")?;
                let e = match op {
                    ArithOp::Add => ea + eb,
                    ArithOp::Sub => ea - eb,
                    ArithOp::Mul => ea * eb,
                    // Integer columns divide as real numbers, as pandas does.
                    ArithOp::Div => ea.cast(DataType::Float64) / eb.cast(DataType::Float64),
                };
                Ok((e, Some(ValueKind::Num)))
            }
        }
    }

    fn compare(&mut self, op: CmpOp, a: &Pred, b: &Pred) -> Result<(Expr, Kind), TableError> {
        let (mut ea, ka) = self.expr(a)?;
        let (mut eb, kb) = self.expr(b)?;
        let bool_result = Some(ValueKind::Bool);
        // `x == null` asks for missing values; polars would answer null for every row.
        if ka.is_none() || kb.is_none() {
            let other = if ka.is_none() { eb } else { ea };
            return match op {
                CmpOp::Eq => Ok((other.is_null(), bool_result)),
                CmpOp::Ne => Ok((other.is_not_null(), bool_result)),
                _ => Err(TableError::invalid_query(
                    "null can only be compared with == or !=",
                    "prediction == null",
                )),
            };
        }
        match (ka, kb) {
            (Some(x), Some(y)) if x == y => {}
            // `discarded == 1` and `tag:x == 0` are common; compare booleans as 0/1.
            (Some(ValueKind::Bool), Some(ValueKind::Num))
                if matches!(op, CmpOp::Eq | CmpOp::Ne) =>
            {
                ea = ea.cast(DataType::Int32);
            }
            (Some(ValueKind::Num), Some(ValueKind::Bool))
                if matches!(op, CmpOp::Eq | CmpOp::Ne) =>
            {
                eb = eb.cast(DataType::Int32);
            }
            (Some(x), Some(y)) => {
                return Err(TableError::invalid_query(
                    format!(
                        "cannot compare {} ({}) with {} ({})",
                        show(a),
                        x.describe(),
                        show(b),
                        y.describe()
                    ),
                    if x == ValueKind::Str || y == ValueKind::Str {
                        "origin == 'train'"
                    } else {
                        "loss > 0.5"
                    },
                ));
            }
            _ => {}
        }
        let e = match op {
            CmpOp::Eq => ea.eq(eb),
            CmpOp::Ne => ea.neq(eb),
            CmpOp::Lt => ea.lt(eb),
            CmpOp::Le => ea.lt_eq(eb),
            CmpOp::Gt => ea.gt(eb),
            CmpOp::Ge => ea.gt_eq(eb),
        };
        Ok((e, bool_result))
    }

    fn is_in(&mut self, a: &Pred, values: &[Value]) -> Result<(Expr, Kind), TableError> {
        let (ea, ka) = self.expr(a)?;
        let typed: Vec<&Value> = values.iter().filter(|v| lit_kind(v).is_some()).collect();
        for v in &typed {
            if let (Some(k), Some(kv)) = (ka, lit_kind(v))
                && k != kv
            {
                return Err(TableError::invalid_query(
                    format!(
                        "{} is {}, but the list holds {}",
                        show(a),
                        k.describe(),
                        show_value(v)
                    ),
                    "label.isin([1, 2, 3])",
                ));
            }
        }
        let null_wanted = typed.len() < values.len();
        // Long lists go through polars' hash-based is_in; an or-chain would nest too deep.
        if typed.len() > 8 {
            let list = values_series(&typed, ka)?;
            let mut e = ea.clone().is_in(lit(list).implode(false), false);
            if null_wanted {
                e = e.or(ea.is_null());
            }
            return Ok((e, Some(ValueKind::Bool)));
        }
        let mut any = lit(false);
        for v in typed {
            any = any.or(ea.clone().eq(lit_expr(v)));
        }
        if null_wanted {
            any = any.or(ea.is_null());
        }
        Ok((any, Some(ValueKind::Bool)))
    }

    /// Text predicates run in Rust over the stored strings of a text column.
    fn text(&mut self, a: &Pred, needle: &str, op: TextOp) -> Result<(Expr, Kind), TableError> {
        let Pred::Column(name) = a else {
            return Err(TableError::invalid_query(
                "text matching ('contains', 'startswith', 'endswith') applies to a column",
                "sample_id.str.contains('cat')",
            ));
        };
        let id = ColumnId::resolve(name, self.state)?;
        let mask_name = format!("__mask{}", self.masks.len());
        let name: PlSmallStr = mask_name.as_str().into();
        let keys = self.keys;
        let mask: BooleanChunked = match &id {
            ColumnId::SampleId => BooleanChunked::from_iter_values(
                name,
                keys.sample_ids.iter().map(|s| op.test(s, needle)),
            ),
            ColumnId::Origin => {
                let hits: Vec<bool> = keys.splits.iter().map(|s| op.test(s, needle)).collect();
                BooleanChunked::from_iter_values(
                    name,
                    keys.origin_of.iter().map(|&o| hits[o as usize]),
                )
            }
            ColumnId::Meta(m) => match self.state.meta(m) {
                Some(MetaColumn::Str(v)) => BooleanChunked::from_iter(
                    v.iter().map(|s| s.as_ref().map(|s| op.test(s, needle))),
                )
                .with_name(name),
                _ => return Err(self.not_text(&id)),
            },
            _ => return Err(self.not_text(&id)),
        };
        self.masks.push(mask.into_column());
        Ok((col(mask_name), Some(ValueKind::Bool)))
    }

    fn not_text(&self, id: &ColumnId) -> TableError {
        TableError::invalid_query(
            format!(
                "text matching needs a text column, but column '{}' is {}; compare it with ==, <, > instead",
                id.name(),
                id.kind(self.state).describe()
            ),
            "sample_id.str.contains('cat')",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::MetaKind;
    use crate::types::SampleSeed;

    fn fixture() -> (Keys, State) {
        let seeds = (0..3)
            .map(|i| SampleSeed {
                sample_id: format!("id{i}"),
                origin: "t".into(),
                label: i,
            })
            .collect();
        let mut state = State::empty(3);
        state
            .metadata
            .push(("note".into(), MetaColumn::nulls(MetaKind::Str, 3)));
        (Keys::build(seeds).unwrap(), state)
    }

    fn col_(n: &str) -> Box<Pred> {
        Box::new(Pred::Column(n.into()))
    }

    #[test]
    fn type_errors_are_readable() {
        let (keys, state) = fixture();
        let bad = Pred::Compare(
            CmpOp::Gt,
            col_("origin"),
            Box::new(Pred::Literal(Value::Int(3))),
        );
        let err = Compiler::new(&keys, &state).filter(&bad).err().unwrap();
        assert!(
            err.to_string()
                .contains("cannot compare column 'origin' (text) with number 3"),
            "{err}"
        );
        let not_bool = Pred::Column("loss".into());
        assert!(matches!(
            Compiler::new(&keys, &state).filter(&not_bool),
            Err(TableError::InvalidQuery { .. })
        ));
        let contains_num = Pred::Contains(col_("loss"), "x".into());
        assert!(matches!(
            Compiler::new(&keys, &state).filter(&contains_num),
            Err(TableError::InvalidQuery { .. })
        ));
        let unknown = Pred::Compare(
            CmpOp::Gt,
            col_("lss"),
            Box::new(Pred::Literal(Value::Int(3))),
        );
        assert!(matches!(
            Compiler::new(&keys, &state).filter(&unknown),
            Err(TableError::UnknownColumn { .. })
        ));
    }

    #[test]
    fn contains_builds_a_mask_and_records_columns() {
        let (keys, state) = fixture();
        let p = Pred::And(
            Box::new(Pred::Contains(col_("sample_id"), "1".into())),
            Box::new(Pred::Compare(
                CmpOp::Ge,
                col_("label"),
                Box::new(Pred::Literal(Value::Float(0.5))),
            )),
        );
        let compiled = Compiler::new(&keys, &state).filter(&p).unwrap();
        assert_eq!(compiled.masks.len(), 1);
        let mask = compiled.masks[0].bool().unwrap();
        assert_eq!(
            (0..3).map(|i| mask.get(i)).collect::<Vec<_>>(),
            vec![Some(false), Some(true), Some(false)]
        );
        assert!(compiled.columns.contains(&ColumnId::Label));
    }
}
