//! The pandas subset: `df[mask]` chains with sort/head/tail, and the highlight form.

use crate::ast::ViewSpec;
use crate::error::{QueryError, SUPPORTED};

pub(crate) fn is_highlight(text: &str) -> bool {
    text.starts_with("sample_id.astype")
}

pub(crate) fn is_pandas(text: &str) -> bool {
    text.starts_with("df[") || text.starts_with("df.")
}

pub(crate) fn parse_highlight(_text: &str) -> Result<Vec<String>, QueryError> {
    Err(QueryError::new(
        format!("highlight queries are being implemented; {SUPPORTED}"),
        "@reset",
    ))
}

pub(crate) fn parse_pandas(_text: &str) -> Result<ViewSpec, QueryError> {
    Err(QueryError::new(
        "pandas queries are being implemented",
        "loss > 0.5",
    ))
}
