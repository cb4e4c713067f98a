//! The query language of ApplyDataQuery: text in, a typed [`Query`] out. Pure parsing, no
//! table access; `weightslab-table` translates the AST and checks column names.
//!
//! [`parse`] tries the forms in this order:
//! 1. empty text → [`Query::CountOnly`];
//! 2. `@reset`, `@overview`, `@projection_selection <token>`, `@"""<pandas>"""` (any mode);
//! 3. `sample_id.astype('str').isin([...])` → [`Query::Highlight`];
//! 4. text starting with `df[` / `df.` → the pandas subset (module `pandas`);
//! 5. the direct grammar (filters, `sortby`, options; modules `view` and `expr`);
//! 6. with `natural_language`, plain sentences → intents (module `nl`). A sentence with no
//!    operators is tried as an intent first, so that `errors` means misclassified samples
//!    rather than a column named `errors`.
//!
//! Errors are [`QueryError`]s with a position and an example; [`SUPPORTED`] is the help text.

mod ast;
mod commands;
mod cursor;
mod display;
mod error;
mod expr;
mod lexer;
mod nl;
mod pandas;
#[cfg(test)]
mod proptests;
mod suggest;
#[cfg(test)]
mod tests;
mod view;

pub use ast::{ArithOp, CmpOp, Expr, INDEX_COLUMN, Limit, Query, Scope, SortKey, Value, ViewSpec};
pub use error::{QueryError, SUPPORTED};
pub use suggest::suggest;

/// Queries longer than this are refused before any parsing (the Studio sends a few hundred
/// characters at most; a highlight of a few thousand ids fits comfortably).
pub const MAX_QUERY_CHARS: usize = 1 << 20;

/// Parses one ApplyDataQuery text. `natural_language` is the request's
/// `is_natural_language` flag: it enables plain-sentence intents on top of the formal
/// grammars (which are accepted either way).
pub fn parse(text: &str, natural_language: bool) -> Result<Query, QueryError> {
    let result = parse_inner(text, natural_language);
    match &result {
        Ok(q) => tracing::debug!(query = text, natural_language, parsed = ?q, "query parsed"),
        Err(e) => tracing::debug!(query = text, natural_language, error = %e, "query rejected"),
    }
    result
}

fn parse_inner(text: &str, natural_language: bool) -> Result<Query, QueryError> {
    if text.len() > MAX_QUERY_CHARS {
        return Err(QueryError::new(
            format!(
                "the query is {} bytes long; at most {MAX_QUERY_CHARS} are accepted",
                text.len()
            ),
            "loss > 0.5",
        ));
    }
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(Query::CountOnly);
    }
    // Offsets in errors count from the start of `text`, not of `trimmed`.
    let lead = text.chars().take_while(|c| c.is_whitespace()).count();
    let shift = |e: QueryError| e.shifted(lead);

    if trimmed.starts_with('@') {
        return commands::parse_command(trimmed).map_err(shift);
    }
    if pandas::is_highlight(trimmed) {
        return pandas::parse_highlight(trimmed)
            .map(Query::Highlight)
            .map_err(shift);
    }
    if pandas::is_pandas(trimmed) {
        return pandas::parse_pandas(trimmed)
            .map(Query::View)
            .map_err(shift);
    }
    if !natural_language {
        return view::parse_view_text(trimmed)
            .map(Query::View)
            .map_err(shift);
    }
    if nl::looks_like_sentence(trimmed) {
        match nl::parse_intent(trimmed) {
            Ok(q) => Ok(q),
            Err(intent_error) => view::parse_view_text(trimmed)
                .map(Query::View)
                .map_err(|_| intent_error),
        }
    } else {
        match view::parse_view_text(trimmed) {
            Ok(v) => Ok(Query::View(v)),
            Err(formal_error) => nl::parse_intent(trimmed).map_err(|_| shift(formal_error)),
        }
    }
}
