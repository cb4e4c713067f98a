//! The one error type of the crate (`QueryError`) and the grammar help text shown with it.

use std::fmt;

/// A short help text listing the grammar, shown when a query is not understood.
pub const SUPPORTED: &str = "\
Supported queries:
  filters     loss > 0.7 and label == 3 | origin == 'val' | prediction != label
              loss between 0.2 and 0.5 | label in [1, 2, 3] | label not in (4, 5)
              sample_id contains '12' | tag:hard | not discarded | loss * 2 > 1 | x is null
              and/or/not, &&/||/!, &/|/~, parentheses, `quoted col` > 1, true/false/null
  sorting     [filter] [|] sortby loss desc, label asc [scope:global|subset|view]
              [head:<n>|tail:<n>] [start:<i> count:<n>]   (sortby index asc = original order)
  commands    @reset | @overview | @projection_selection <token>
  pandas      df[(df['loss'] > 0.5) & ~df['discarded']].sort_values('loss', ascending=False).head(10)
              .isin([..]) .between(a, b) .str.contains('x') .isna() .notna()
              .nlargest(n, 'col') .nsmallest(n, 'col') .tail(n) df.query(\"loss > 0.5\")
  highlight   sample_id.astype('str').isin(['id1', 'id2'])
  plain text  show the 100 highest-loss samples | misclassified from val | tagged hard
              hide discarded | loss above 0.5 | sort by confidence | likely mislabeled | reset";

/// A query that could not be parsed: what was wrong, where, and a query that would work.
///
/// `position` is a 0-based character offset into the text given to [`crate::parse`]; it is
/// shown 1-based as "column N".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct QueryError {
    /// What was wrong, in words a person can act on.
    pub message: String,
    /// A similar query that is accepted.
    pub example: String,
    /// Where in the text the problem was found, if it is at one place.
    pub position: Option<usize>,
}

impl QueryError {
    /// An error with no position.
    pub fn new(message: impl Into<String>, example: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            example: example.into(),
            position: None,
        }
    }

    /// The same error, located at character offset `position`.
    pub fn at(mut self, position: usize) -> Self {
        self.position = Some(position);
        self
    }

    /// The same error with its position moved by `offset` characters (for errors found in a
    /// piece of a larger text, such as the inside of `df.query("...")`).
    pub(crate) fn shifted(mut self, offset: usize) -> Self {
        self.position = self.position.map(|p| p + offset);
        self
    }
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(p) = self.position {
            write!(f, " (at column {})", p + 1)?;
        }
        write!(f, ". Example: {}", self.example)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_has_message_column_and_example() {
        let e = QueryError::new("expected a value after '>'", "loss > 0.5").at(6);
        assert_eq!(
            e.to_string(),
            "expected a value after '>' (at column 7). Example: loss > 0.5"
        );
    }

    #[test]
    fn display_without_position_omits_column() {
        let e = QueryError::new("empty tag name", "tag:hard");
        assert_eq!(e.to_string(), "empty tag name. Example: tag:hard");
        assert_eq!(e.shifted(3).position, None);
    }
}
