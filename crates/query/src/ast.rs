//! The typed query AST that every grammar parses into, and the column walk over it.

/// The pseudo-column that stands for the original row order (`sortby index asc`).
pub const INDEX_COLUMN: &str = "index";

/// One parsed ApplyDataQuery request.
#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    /// Empty or whitespace-only text: only report the counts and tags.
    CountOnly,
    /// `@reset` (or a natural-language "clear filters"): drop filter and sort.
    Reset,
    /// `@overview`: a summary of the table, no change to the view.
    Overview,
    /// A filtered and/or sorted view of the sample table.
    View(ViewSpec),
    /// `sample_id.astype('str').isin([...])`: the ids to highlight (select), not a filter.
    Highlight(Vec<String>),
    /// `@projection_selection <token>`: the token names a lasso selection made in the projection.
    ProjectionSelection(String),
}

/// A view: filter first, then sort, then limit. `window` is a paging hint for the grid.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ViewSpec {
    /// Rows to keep; `None` keeps every row.
    pub filter: Option<Expr>,
    /// Sort keys, most significant first. The sort is stable, so ties keep their order.
    pub sort: Vec<SortKey>,
    /// Keep only the first or last rows after sorting.
    pub limit: Option<Limit>,
    /// Which rows the sort applies to (`scope:` in `sortby`).
    pub scope: Scope,
    /// `start:<i> count:<n>` as `(start, count)`: the page the grid asked for, not a limit.
    pub window: Option<(usize, usize)>,
}

/// What a `sortby` reorders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    /// The whole table (the default).
    #[default]
    Global,
    /// Only the rows of the current filtered subset.
    Subset,
    /// Only the rows currently shown in the grid.
    View,
}

/// One sort key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    /// Column name; [`INDEX_COLUMN`] means the original row order.
    pub column: String,
    /// `true` for descending order.
    pub descending: bool,
}

/// How many rows a view keeps after sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// The first `n` rows.
    Head(usize),
    /// The last `n` rows.
    Tail(usize),
}

/// A filter (or value) expression. Boolean-valued nodes are used as row masks.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A column by name (a boolean column used alone is a mask, e.g. `discarded`).
    Column(String),
    /// A constant.
    Literal(Value),
    /// `left <op> right`.
    Compare(CmpOp, Box<Expr>, Box<Expr>),
    /// Both hold.
    And(Box<Expr>, Box<Expr>),
    /// Either holds.
    Or(Box<Expr>, Box<Expr>),
    /// Negation.
    Not(Box<Expr>),
    /// The value is one of the listed values.
    IsIn(Box<Expr>, Vec<Value>),
    /// `low <= value <= high` (inclusive on both ends).
    Between(Box<Expr>, Value, Value),
    /// The value, as text, contains the substring.
    Contains(Box<Expr>, String),
    /// The value, as text, starts with the prefix.
    StartsWith(Box<Expr>, String),
    /// The value, as text, ends with the suffix.
    EndsWith(Box<Expr>, String),
    /// The sample carries the tag (the table's boolean column `tag:<name>`).
    Tag(String),
    /// Arithmetic between two values.
    Arith(ArithOp, Box<Expr>, Box<Expr>),
    /// The value is missing (null / NaN).
    IsNull(Box<Expr>),
}

/// A literal value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
}

impl Query {
    /// Every column the query references, each once, in order of first appearance.
    ///
    /// Includes sort columns and [`INDEX_COLUMN`] when it is used (the caller treats it as
    /// the original row order, not as a stored column). Tags are not listed here; see
    /// [`Query::tags`].
    pub fn columns(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            Query::View(view) => {
                if let Some(filter) = &view.filter {
                    filter.collect_columns(&mut out);
                }
                for key in &view.sort {
                    push_unique(&mut out, &key.column);
                }
            }
            Query::Highlight(_) => push_unique(&mut out, "sample_id"),
            Query::CountOnly | Query::Reset | Query::Overview | Query::ProjectionSelection(_) => {}
        }
        out
    }

    /// Every tag the query tests for (`tag:<name>`), each once, in order of first appearance.
    pub fn tags(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Query::View(ViewSpec {
            filter: Some(filter),
            ..
        }) = self
        {
            filter.collect_tags(&mut out);
        }
        out
    }
}

impl Expr {
    /// Shorthand for `Expr::Column(name)`.
    pub fn col(name: impl Into<String>) -> Expr {
        Expr::Column(name.into())
    }

    /// Shorthand for `Expr::Literal(value)`.
    pub fn lit(value: impl Into<Value>) -> Expr {
        Expr::Literal(value.into())
    }

    /// `self <op> other`.
    pub fn cmp(self, op: CmpOp, other: Expr) -> Expr {
        Expr::Compare(op, Box::new(self), Box::new(other))
    }

    /// `self and other`.
    pub fn and(self, other: Expr) -> Expr {
        Expr::And(Box::new(self), Box::new(other))
    }

    /// `self or other`.
    pub fn or(self, other: Expr) -> Expr {
        Expr::Or(Box::new(self), Box::new(other))
    }

    /// `not self`. (Named `negate` because `Not::not` would clash with `std::ops::Not`.)
    pub fn negate(self) -> Expr {
        Expr::Not(Box::new(self))
    }

    fn collect_columns(&self, out: &mut Vec<String>) {
        self.walk(&mut |e| {
            if let Expr::Column(name) = e {
                push_unique(out, name);
            }
        });
    }

    fn collect_tags(&self, out: &mut Vec<String>) {
        self.walk(&mut |e| {
            if let Expr::Tag(name) = e {
                push_unique(out, name);
            }
        });
    }

    /// Visits every node, parents before children, left before right.
    pub fn walk(&self, visit: &mut dyn FnMut(&Expr)) {
        visit(self);
        match self {
            Expr::Column(_) | Expr::Literal(_) | Expr::Tag(_) => {}
            Expr::Compare(_, l, r) | Expr::And(l, r) | Expr::Or(l, r) | Expr::Arith(_, l, r) => {
                l.walk(visit);
                r.walk(visit);
            }
            Expr::Not(e)
            | Expr::IsIn(e, _)
            | Expr::Between(e, _, _)
            | Expr::Contains(e, _)
            | Expr::StartsWith(e, _)
            | Expr::EndsWith(e, _)
            | Expr::IsNull(e) => e.walk(visit),
        }
    }
}

fn push_unique(out: &mut Vec<String>, name: &str) {
    if !out.iter().any(|n| n == name) {
        out.push(name.to_owned());
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Float(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Str(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Str(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_unique_and_in_order() {
        let filter = Expr::col("loss")
            .cmp(CmpOp::Gt, Expr::lit(0.5))
            .and(Expr::Tag("hard".into()))
            .or(Expr::col("label").cmp(CmpOp::Ne, Expr::col("prediction")))
            .and(Expr::col("loss").cmp(CmpOp::Lt, Expr::lit(2i64)));
        let q = Query::View(ViewSpec {
            filter: Some(filter),
            sort: vec![
                SortKey {
                    column: "confidence".into(),
                    descending: true,
                },
                SortKey {
                    column: "label".into(),
                    descending: false,
                },
            ],
            ..ViewSpec::default()
        });
        assert_eq!(
            q.columns(),
            vec!["loss", "label", "prediction", "confidence"]
        );
        assert_eq!(q.tags(), vec!["hard"]);
    }

    #[test]
    fn non_view_queries_reference_no_columns_except_highlight() {
        assert!(Query::Reset.columns().is_empty());
        assert!(Query::CountOnly.columns().is_empty());
        assert_eq!(
            Query::Highlight(vec!["a".into()]).columns(),
            vec!["sample_id"]
        );
    }
}
