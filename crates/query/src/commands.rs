//! The `@` commands: `@reset`, `@overview`, `@projection_selection <token>`, and the
//! `@"""<pandas>"""` wrapper.

use crate::ast::Query;
use crate::error::QueryError;
use crate::{pandas, view};

const EXAMPLE: &str = "@reset";

/// Parses a text that starts with `@` (already trimmed).
pub(crate) fn parse_command(text: &str) -> Result<Query, QueryError> {
    let body = &text[1..];
    if let Some(inner) = unwrap_quoted(body) {
        return parse_wrapped(inner.text).map_err(|e| e.shifted(1 + inner.offset));
    }
    let name_len = body.find(|c: char| c.is_whitespace()).unwrap_or(body.len());
    let (name, rest) = body.split_at(name_len);
    let rest = rest.trim();
    match name.to_ascii_lowercase().as_str() {
        "reset" | "overview" if !rest.is_empty() => Err(QueryError::new(
            format!("@{name} takes nothing after it, found '{rest}'"),
            format!("@{}", name.to_ascii_lowercase()),
        )
        .at(1 + name.chars().count())),
        "reset" => Ok(Query::Reset),
        "overview" => Ok(Query::Overview),
        "projection_selection" if rest.is_empty() => Err(QueryError::new(
            "@projection_selection needs the selection token after it",
            "@projection_selection 3f2a9c",
        )
        .at(1 + name.chars().count())),
        "projection_selection" => Ok(Query::ProjectionSelection(rest.to_owned())),
        _ => Err(QueryError::new(
            format!(
                "unknown command '@{name}'; the commands are @reset, @overview, \
                 @projection_selection <token> and @\"\"\"df[...]\"\"\""
            ),
            EXAMPLE,
        )
        .at(0)),
    }
}

/// The inside of `"""..."""`, `'''...'''`, `"..."` or `'...'`, and where it starts.
struct Quoted<'a> {
    text: &'a str,
    offset: usize,
}

fn unwrap_quoted(body: &str) -> Option<Quoted<'_>> {
    for quote in ["\"\"\"", "'''", "\"", "'"] {
        if let Some(rest) = body.strip_prefix(quote)
            && let Some(inner) = rest.strip_suffix(quote)
        {
            return Some(Quoted {
                text: inner,
                offset: quote.len(),
            });
        }
    }
    None
}

/// The wrapped text: pandas when it starts with `df`, the direct grammar otherwise.
fn parse_wrapped(inner: &str) -> Result<Query, QueryError> {
    let trimmed = inner.trim();
    let lead = inner.chars().take_while(|c| c.is_whitespace()).count();
    if trimmed.is_empty() {
        return Err(QueryError::new(
            "the quoted query is empty",
            "@\"\"\"df[df['loss'] > 0.5]\"\"\"",
        ));
    }
    let parsed = if pandas::is_highlight(trimmed) {
        pandas::parse_highlight(trimmed).map(Query::Highlight)
    } else if pandas::is_pandas(trimmed) {
        pandas::parse_pandas(trimmed).map(Query::View)
    } else {
        view::parse_view_text(trimmed).map(Query::View)
    };
    parsed.map_err(|e| e.shifted(lead))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_case_insensitive() {
        assert_eq!(parse_command("@RESET").unwrap(), Query::Reset);
        assert_eq!(parse_command("@Overview").unwrap(), Query::Overview);
        assert_eq!(
            parse_command("@projection_selection  abc-123 ").unwrap(),
            Query::ProjectionSelection("abc-123".into())
        );
    }

    #[test]
    fn bad_commands_are_explained() {
        let e = parse_command("@resett").unwrap_err();
        assert!(e.message.contains("unknown command '@resett'"));
        assert!(parse_command("@reset now").is_err());
        assert!(parse_command("@projection_selection").is_err());
        assert!(parse_command("@\"\"\"  \"\"\"").is_err());
    }
}
