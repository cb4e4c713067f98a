//! The pandas subset: `df[mask]` / `df.loc[mask]` / `df.query("...")` filters chained with
//! `.sort_values`, `.head`, `.tail`, `.nlargest`, `.nsmallest`, and the Studio's highlight
//! form `sample_id.astype('str').isin([...])`.

use crate::ast::{Expr, Limit, SortKey, Value, ViewSpec};
use crate::cursor::Cursor;
use crate::error::QueryError;
use crate::expr::{parse_expr, parse_value, parse_value_list};
use crate::lexer::Tok;

const EXAMPLE: &str = "df[df['loss'] > 0.5].sort_values('loss', ascending=False).head(10)";
const HIGHLIGHT_EXAMPLE: &str = "sample_id.astype('str').isin(['id1', 'id2'])";

/// What the pandas subset understands after `df`.
const SUPPORTED_CHAIN: &str = "df[mask], df.loc[mask], df.query(\"...\"), .sort_values(by, \
                               ascending=...), .head(n), .tail(n), .nlargest(n, 'col'), \
                               .nsmallest(n, 'col')";

/// Whether `text` is the highlight form (`sample_id.astype(...)`, also via `df[...]`).
pub(crate) fn is_highlight(text: &str) -> bool {
    // Cheap prefix test first: most queries are neither, and lexing a long one twice is waste.
    if !(text.starts_with("sample_id") || text.starts_with("df")) {
        return false;
    }
    let Ok(c) = Cursor::new(text) else {
        return false;
    };
    let after_column = match c.peek() {
        Tok::Ident(w) if w == "sample_id" => 1,
        Tok::Ident(w) if w == "df" => match (c.peek_at(1), c.peek_at(2), c.peek_at(3)) {
            (Tok::Dot, Tok::Ident(s), _) if s == "sample_id" => 3,
            (Tok::LBracket, Tok::Str(s), Tok::RBracket) if s == "sample_id" => 4,
            _ => return false,
        },
        _ => return false,
    };
    matches!(c.peek_at(after_column), Tok::Dot) && c.is_word_at(after_column + 1, "astype")
}

/// Whether `text` is a pandas expression on `df` (`df[`, `df.`).
pub(crate) fn is_pandas(text: &str) -> bool {
    text.strip_prefix("df")
        .is_some_and(|rest| rest.trim_start().starts_with(['[', '.']))
}

/// `sample_id.astype('str').isin(['id1', 'id2'])` → the ids.
pub(crate) fn parse_highlight(text: &str) -> Result<Vec<String>, QueryError> {
    let mut c = Cursor::new(text)?;
    // The column: `sample_id`, `df.sample_id` or `df['sample_id']` (checked by is_highlight).
    while !matches!(c.peek(), Tok::Dot) || !c.is_word_at(1, "astype") {
        if c.at_eof() {
            return Err(c.error("expected .astype('str') after sample_id", HIGHLIGHT_EXAMPLE));
        }
        c.bump();
    }
    c.bump();
    c.bump();
    c.expect(&Tok::LParen, "'(' after astype", HIGHLIGHT_EXAMPLE)?;
    let is_str = match c.peek() {
        Tok::Str(s) | Tok::Ident(s) => s == "str" || s == "string",
        _ => false,
    };
    if !is_str {
        return Err(c.error(
            format!(
                "only astype('str') is supported before isin, found {}",
                c.describe()
            ),
            HIGHLIGHT_EXAMPLE,
        ));
    }
    c.bump();
    c.expect(&Tok::RParen, "')' after astype('str'", HIGHLIGHT_EXAMPLE)?;
    c.expect(&Tok::Dot, "'.isin(' after astype('str')", HIGHLIGHT_EXAMPLE)?;
    if !c.eat_word("isin") {
        return Err(c.error(
            format!("expected isin after astype('str'), found {}", c.describe()),
            HIGHLIGHT_EXAMPLE,
        ));
    }
    c.expect(&Tok::LParen, "'(' after isin", HIGHLIGHT_EXAMPLE)?;
    let values = parse_value_list(&mut c)?;
    c.expect(&Tok::RParen, "')' to close isin(", HIGHLIGHT_EXAMPLE)?;
    if !c.at_eof() {
        return Err(c.error(
            format!("unexpected {} after the highlight list", c.describe()),
            HIGHLIGHT_EXAMPLE,
        ));
    }
    values
        .into_iter()
        .map(|v| match v {
            Value::Str(s) => Ok(s),
            Value::Int(i) => Ok(i.to_string()),
            other => Err(QueryError::new(
                format!("sample ids must be text or whole numbers, found {other}"),
                HIGHLIGHT_EXAMPLE,
            )),
        })
        .collect()
}

/// A pandas chain on `df` → a view.
pub(crate) fn parse_pandas(text: &str) -> Result<ViewSpec, QueryError> {
    let mut c = Cursor::new(text)?;
    if !c.eat_word("df") {
        return Err(c.error("a pandas query starts with df", EXAMPLE));
    }
    let mut chain = Chain::default();
    loop {
        match c.peek() {
            Tok::Eof => break,
            Tok::LBracket => {
                let mask = parse_mask(&mut c)?;
                chain.filter(mask, c.pos())?;
            }
            Tok::Dot => {
                c.bump();
                let at = c.pos();
                let Tok::Ident(method) = c.bump() else {
                    return Err(QueryError::new(
                        format!("expected a method name after '.'; supported: {SUPPORTED_CHAIN}"),
                        EXAMPLE,
                    )
                    .at(at));
                };
                parse_method(&mut c, &mut chain, &method, at)?;
            }
            _ => {
                return Err(c.error(
                    format!(
                        "unexpected {} in a pandas query; supported: {SUPPORTED_CHAIN}",
                        c.describe()
                    ),
                    EXAMPLE,
                ));
            }
        }
    }
    Ok(chain.view)
}

/// The view built so far, with the order rules pandas implies.
#[derive(Default)]
struct Chain {
    view: ViewSpec,
}

impl Chain {
    fn filter(&mut self, mask: Expr, at: usize) -> Result<(), QueryError> {
        if self.view.limit.is_some() {
            // head/tail then filter keeps fewer rows than filter then head/tail.
            return Err(QueryError::new(
                "filtering after .head()/.tail() is not supported; filter first",
                EXAMPLE,
            )
            .at(at));
        }
        self.view.filter = Some(match self.view.filter.take() {
            Some(previous) => previous.and(mask),
            None => mask,
        });
        Ok(())
    }

    /// A later sort wins; the earlier keys remain as tie-breakers because sorts are stable.
    fn sort(&mut self, keys: Vec<SortKey>, at: usize) -> Result<(), QueryError> {
        if self.view.limit.is_some() {
            return Err(QueryError::new(
                "sorting after .head()/.tail() is not supported; sort first",
                EXAMPLE,
            )
            .at(at));
        }
        let old = std::mem::take(&mut self.view.sort);
        self.view.sort = keys;
        for key in old {
            if !self.view.sort.iter().any(|k| k.column == key.column) {
                self.view.sort.push(key);
            }
        }
        Ok(())
    }

    fn limit(&mut self, limit: Limit, at: usize) -> Result<(), QueryError> {
        self.view.limit = match (self.view.limit, limit) {
            (None, l) => Some(l),
            (Some(Limit::Head(a)), Limit::Head(b)) => Some(Limit::Head(a.min(b))),
            (Some(Limit::Tail(a)), Limit::Tail(b)) => Some(Limit::Tail(a.min(b))),
            _ => {
                return Err(QueryError::new(
                    "mixing .head() and .tail() is not supported; use one of them",
                    EXAMPLE,
                )
                .at(at));
            }
        };
        Ok(())
    }
}

/// `[mask]` with the cursor at `[`.
fn parse_mask(c: &mut Cursor) -> Result<Expr, QueryError> {
    c.bump();
    if matches!(c.peek(), Tok::LBracket) {
        return Err(c.error(
            "selecting columns (df[['a', 'b']]) is not supported; only row filters are",
            EXAMPLE,
        ));
    }
    let at = c.pos();
    let mask = parse_expr(c)?;
    if let Expr::Literal(Value::Str(col)) = &mask {
        return Err(QueryError::new(
            format!(
                "df['{col}'] alone selects a column; to filter rows write a condition, \
                 e.g. df[df['{col}'] > 0.5]"
            ),
            EXAMPLE,
        )
        .at(at));
    }
    c.expect(&Tok::RBracket, "']' to close df[", EXAMPLE)?;
    Ok(mask)
}

fn parse_method(
    c: &mut Cursor,
    chain: &mut Chain,
    method: &str,
    at: usize,
) -> Result<(), QueryError> {
    match method {
        "loc" => {
            if !matches!(c.peek(), Tok::LBracket) {
                return Err(c.error("expected '[' after .loc", "df.loc[df['loss'] > 0.5]"));
            }
            let mask = parse_mask(c)?;
            chain.filter(mask, at)
        }
        "query" => {
            c.expect(&Tok::LParen, "'(' after query", "df.query(\"loss > 0.5\")")?;
            let text_at = c.pos();
            let Tok::Str(inner) = c.bump() else {
                return Err(QueryError::new(
                    "df.query() needs the condition as a quoted string",
                    "df.query(\"loss > 0.5\")",
                )
                .at(text_at));
            };
            c.expect(
                &Tok::RParen,
                "')' to close query(",
                "df.query(\"loss > 0.5\")",
            )?;
            let mask = parse_query_string(&inner).map_err(|e| e.shifted(text_at + 1))?;
            chain.filter(mask, at)
        }
        "sort_values" => {
            let keys = parse_sort_values(c)?;
            chain.sort(keys, at)
        }
        "head" | "tail" => {
            let n = parse_row_count(c, method)?;
            chain.limit(
                if method == "head" {
                    Limit::Head(n)
                } else {
                    Limit::Tail(n)
                },
                at,
            )
        }
        "nlargest" | "nsmallest" => {
            let (n, column) = parse_n_extreme(c, method)?;
            chain.sort(
                vec![SortKey {
                    column,
                    descending: method == "nlargest",
                }],
                at,
            )?;
            chain.limit(Limit::Head(n), at)
        }
        other => Err(QueryError::new(
            format!(
                "'.{other}' is not supported in the pandas subset; supported: {SUPPORTED_CHAIN}"
            ),
            EXAMPLE,
        )
        .at(at)),
    }
}

/// The condition inside `df.query("...")`, in the direct filter grammar.
fn parse_query_string(inner: &str) -> Result<Expr, QueryError> {
    let mut c = Cursor::new(inner)?;
    let e = parse_expr(&mut c)?;
    if !c.at_eof() {
        return Err(c.error(
            format!("unexpected {} in df.query(...)", c.describe()),
            "df.query(\"loss > 0.5 and label == 3\")",
        ));
    }
    Ok(e)
}

/// One call argument: its keyword (if any) and value (a single value or a list).
struct Arg {
    name: Option<String>,
    values: Vec<Value>,
    list: bool,
    at: usize,
}

/// `(a, [b, c], name=value, ...)`; the cursor is at `(`.
fn parse_args(c: &mut Cursor, example: &str) -> Result<Vec<Arg>, QueryError> {
    c.expect(&Tok::LParen, "'('", example)?;
    let mut args = Vec::new();
    while !c.eat(&Tok::RParen) {
        let at = c.pos();
        let name = match (c.peek().clone(), c.peek_at(1)) {
            (Tok::Ident(n), Tok::Assign) => {
                c.bump();
                c.bump();
                Some(n)
            }
            _ => None,
        };
        let (values, list) = if matches!(c.peek(), Tok::LBracket) {
            (parse_value_list(c)?, true)
        } else {
            (vec![parse_value(c, example)?], false)
        };
        args.push(Arg {
            name,
            values,
            list,
            at,
        });
        if !c.eat(&Tok::Comma) {
            c.expect(&Tok::RParen, "',' or ')'", example)?;
            break;
        }
    }
    Ok(args)
}

fn unsupported_arg(method: &str, arg: &Arg, example: &str) -> QueryError {
    let what = arg.name.as_deref().map_or_else(
        || "this extra positional argument".to_owned(),
        |n| format!("the argument {n}="),
    );
    QueryError::new(format!("{what} of .{method}() is not supported"), example).at(arg.at)
}

fn parse_sort_values(c: &mut Cursor) -> Result<Vec<SortKey>, QueryError> {
    let ex = "df.sort_values(by=['loss', 'label'], ascending=[False, True])";
    let args = parse_args(c, ex)?;
    let mut by: Option<&Arg> = None;
    let mut ascending: Option<&Arg> = None;
    for (i, arg) in args.iter().enumerate() {
        match (arg.name.as_deref(), i) {
            (None, 0) | (Some("by"), _) => by = Some(arg),
            (None, 1) | (Some("ascending"), _) => ascending = Some(arg),
            (Some("inplace" | "ignore_index"), _) if arg.values == [Value::Bool(false)] => {}
            (Some("na_position"), _) if arg.values == [Value::Str("last".into())] => {}
            (Some("kind"), _) => {}
            _ => return Err(unsupported_arg("sort_values", arg, ex)),
        }
    }
    let Some(by) = by else {
        return Err(c.error("sort_values needs the column(s) to sort by", ex));
    };
    let columns = by
        .values
        .iter()
        .map(|v| match v {
            Value::Str(s) => Ok(s.clone()),
            other => Err(QueryError::new(
                format!("sort_values takes column names in quotes, found {other}"),
                ex,
            )
            .at(by.at)),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if columns.is_empty() {
        return Err(QueryError::new("sort_values needs at least one column", ex).at(by.at));
    }
    let directions: Vec<bool> = match ascending {
        None => vec![true; columns.len()],
        Some(arg) => {
            let flags = arg
                .values
                .iter()
                .map(|v| match v {
                    Value::Bool(b) => Ok(*b),
                    other => Err(QueryError::new(
                        format!("ascending takes True or False, found {other}"),
                        ex,
                    )
                    .at(arg.at)),
                })
                .collect::<Result<Vec<_>, _>>()?;
            if !arg.list {
                vec![flags.first().copied().unwrap_or(true); columns.len()]
            } else if flags.len() == columns.len() {
                flags
            } else {
                return Err(QueryError::new(
                    format!(
                        "ascending has {} values for {} columns; give one per column",
                        flags.len(),
                        columns.len()
                    ),
                    ex,
                )
                .at(arg.at));
            }
        }
    };
    Ok(columns
        .into_iter()
        .zip(directions)
        .map(|(column, asc)| SortKey {
            column,
            descending: !asc,
        })
        .collect())
}

/// `(n)` / `(n=n)` / `()` (pandas' default of 5).
fn parse_row_count(c: &mut Cursor, method: &str) -> Result<usize, QueryError> {
    let ex = "df.sort_values('loss').head(10)";
    let args = parse_args(c, ex)?;
    match args.as_slice() {
        [] => Ok(5),
        [arg] if matches!(arg.name.as_deref(), None | Some("n")) && !arg.list => {
            count_value(&arg.values[0], method, arg.at, ex)
        }
        [arg, ..] => Err(unsupported_arg(method, arg, ex)),
    }
}

/// `(n, 'col')` / `(n=n, columns='col')` for nlargest / nsmallest.
fn parse_n_extreme(c: &mut Cursor, method: &str) -> Result<(usize, String), QueryError> {
    let ex = "df.nlargest(10, 'loss')";
    let args = parse_args(c, ex)?;
    let mut n = None;
    let mut column = None;
    for (i, arg) in args.iter().enumerate() {
        match (arg.name.as_deref(), i) {
            (None, 0) | (Some("n"), _) if !arg.list => {
                n = Some(count_value(&arg.values[0], method, arg.at, ex)?);
            }
            (None, 1) | (Some("columns"), _) => match arg.values.as_slice() {
                [Value::Str(s)] => column = Some(s.clone()),
                _ => {
                    return Err(QueryError::new(
                        format!(".{method}() takes one column name in quotes"),
                        ex,
                    )
                    .at(arg.at));
                }
            },
            (Some("keep"), _) if arg.values == [Value::Str("first".into())] => {}
            _ => return Err(unsupported_arg(method, arg, ex)),
        }
    }
    match (n, column) {
        (Some(n), Some(col)) => Ok((n, col)),
        _ => Err(c.error(format!(".{method}() needs a row count and a column"), ex)),
    }
}

fn count_value(v: &Value, method: &str, at: usize, ex: &str) -> Result<usize, QueryError> {
    match v {
        Value::Int(i) if *i >= 0 => usize::try_from(*i).map_err(|_| {
            QueryError::new(format!("{i} rows is too many for .{method}()"), ex).at(at)
        }),
        other => Err(QueryError::new(
            format!(".{method}() needs a row count of 0 or more, found {other}"),
            ex,
        )
        .at(at)),
    }
}
