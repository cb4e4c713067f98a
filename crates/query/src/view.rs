//! The direct grammar: `[filter] [|] [sortby <col> [asc|desc], ...] [options]`, where the
//! options are `scope:`, `head:`/`tail:` and the paging hints `start:`/`count:`.

use crate::ast::{Limit, Scope, SortKey, ViewSpec};
use crate::cursor::Cursor;
use crate::error::QueryError;
use crate::expr::{at_view_tail, parse_expr};
use crate::lexer::Tok;

/// Option names written `name:value` after a filter or a sort.
pub(crate) const OPTIONS: &[&str] = &["scope", "start", "count", "head", "tail"];

const SORT_EXAMPLE: &str = "sortby loss desc, label asc scope:global start:0 count:50";

/// Parses a whole text in the direct grammar.
pub(crate) fn parse_view_text(text: &str) -> Result<ViewSpec, QueryError> {
    let mut c = Cursor::new(text)?;
    let view = parse_view(&mut c)?;
    if !c.at_eof() {
        return Err(c.error(
            format!(
                "unexpected {} after a complete query; join conditions with and/or, and put \
                 sortby last",
                c.describe()
            ),
            "loss > 0.5 and label == 3 sortby loss desc",
        ));
    }
    Ok(view)
}

/// A filter (unless the text starts with `sortby` or an option), then the view tail.
pub(crate) fn parse_view(c: &mut Cursor) -> Result<ViewSpec, QueryError> {
    let mut view = ViewSpec::default();
    if !at_view_tail(c, 0) {
        view.filter = Some(parse_expr(c)?);
        if matches!(c.peek(), Tok::Pipe) && at_view_tail(c, 1) {
            c.bump();
        }
    }
    let sort_at = c.pos();
    if c.eat_word("sortby") || (c.eat_word("sort") && c.eat_word("by")) {
        view.sort = parse_sort_keys(c)?;
        let options_follow = OPTIONS.iter().any(|o| c.is_word(o));
        if view.sort.is_empty() && !options_follow {
            return Err(QueryError::new(
                "sortby needs at least one column (sortby index asc keeps the original order)",
                SORT_EXAMPLE,
            )
            .at(sort_at));
        }
    }
    parse_options(c, &mut view)?;
    Ok(view)
}

fn parse_sort_keys(c: &mut Cursor) -> Result<Vec<SortKey>, QueryError> {
    let mut keys = Vec::new();
    loop {
        let column = match c.peek().clone() {
            Tok::Ident(w)
                if !(OPTIONS.iter().any(|o| w.eq_ignore_ascii_case(o))
                    && matches!(c.peek_at(1), Tok::Colon)) =>
            {
                w
            }
            Tok::Quoted(w) | Tok::Str(w) => w,
            Tok::Tag(t) => format!("tag:{t}"),
            _ if keys.is_empty() => return Ok(keys),
            _ => {
                return Err(c.error(
                    format!("expected a column name after ',', found {}", c.describe()),
                    SORT_EXAMPLE,
                ));
            }
        };
        c.bump();
        let descending = if c.eat_word("desc") || c.eat_word("descending") {
            true
        } else {
            // asc is the default, so the word is optional.
            let _ = c.eat_word("asc") || c.eat_word("ascending");
            false
        };
        if keys.iter().any(|k: &SortKey| k.column == column) {
            return Err(c.error(
                format!("'{column}' is listed twice in sortby"),
                SORT_EXAMPLE,
            ));
        }
        keys.push(SortKey { column, descending });
        if !c.eat(&Tok::Comma) {
            return Ok(keys);
        }
    }
}

fn parse_options(c: &mut Cursor, view: &mut ViewSpec) -> Result<(), QueryError> {
    let mut seen: Vec<String> = Vec::new();
    let mut start = None;
    let mut count = None;
    while let Tok::Ident(word) = c.peek().clone() {
        let name = word.to_ascii_lowercase();
        if !OPTIONS.contains(&name.as_str()) || !matches!(c.peek_at(1), Tok::Colon) {
            break;
        }
        let at = c.pos();
        if seen.contains(&name) {
            return Err(QueryError::new(format!("{name}: is given twice"), SORT_EXAMPLE).at(at));
        }
        seen.push(name.clone());
        c.bump();
        c.bump();
        if name == "scope" {
            view.scope = parse_scope(c)?;
            continue;
        }
        let n = parse_count(c, &name)?;
        match name.as_str() {
            "start" => start = Some(n),
            "count" => count = Some(n),
            "head" | "tail" => {
                if view.limit.is_some() {
                    return Err(QueryError::new(
                        "use either head: or tail:, not both",
                        "loss > 0.5 sortby loss desc head:10",
                    )
                    .at(at));
                }
                view.limit = Some(if name == "head" {
                    Limit::Head(n)
                } else {
                    Limit::Tail(n)
                });
            }
            _ => {}
        }
    }
    view.window = match (start, count) {
        (None, None) => None,
        (Some(s), Some(n)) => Some((s, n)),
        (None, Some(n)) => Some((0, n)),
        (Some(_), None) => {
            return Err(c.error(
                "start: needs count: too (the page size)",
                "sortby loss desc start:100 count:50",
            ));
        }
    };
    Ok(())
}

fn parse_scope(c: &mut Cursor) -> Result<Scope, QueryError> {
    let scope = match c.peek() {
        Tok::Ident(w) => match w.to_ascii_lowercase().as_str() {
            "global" => Some(Scope::Global),
            "subset" => Some(Scope::Subset),
            "view" => Some(Scope::View),
            _ => None,
        },
        _ => None,
    };
    match scope {
        Some(s) => {
            c.bump();
            Ok(s)
        }
        None => Err(c.error(
            format!(
                "scope: must be global, subset or view, not {}",
                c.describe()
            ),
            "sortby loss desc scope:subset",
        )),
    }
}

fn parse_count(c: &mut Cursor, name: &str) -> Result<usize, QueryError> {
    if let Tok::Number(n) = c.peek()
        && let Ok(v) = n.parse::<usize>()
    {
        c.bump();
        return Ok(v);
    }
    Err(c.error(
        format!(
            "{name}: needs a whole number of rows, found {}",
            c.describe()
        ),
        "sortby loss desc start:0 count:50",
    ))
}
