//! Natural-language intents: plain sentences mapped deterministically onto views.

use crate::ast::Query;
use crate::error::QueryError;

pub(crate) fn looks_like_sentence(text: &str) -> bool {
    !text.contains([
        '=', '<', '>', '(', ')', '[', ']', '`', '\'', '"', '&', '|', '~', '!', '@', '*', '/', '+',
    ])
}

pub(crate) fn parse_intent(_text: &str) -> Result<Query, QueryError> {
    Err(QueryError::new(
        "could not understand the request",
        "show the 100 highest-loss samples",
    ))
}
