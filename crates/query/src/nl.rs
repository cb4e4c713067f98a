//! Natural-language intents: a deterministic, case-insensitive reading of plain sentences
//! ("show the 100 highest-loss samples", "misclassified from val", "tagged hard") into views.
//!
//! The sentence is split into words, filler words are dropped, and a fixed list of rules
//! each claims the words it understands. Every remaining word must be claimed, so a sentence
//! is either understood completely or refused with the first word that was not.

mod vocab;
mod words;

use crate::ast::{CmpOp, Expr, Limit, Query, SortKey, Value, ViewSpec};
use crate::error::QueryError;
use vocab::{
    Direction, column_word, comparison_word, direction_word, is_negation, origin_word,
    reset_or_overview,
};
use words::{Word, split_words};

const EXAMPLE: &str = "show the 100 highest-loss samples";

const UNDERSTOOD: &str = "highest/lowest <column>, top <n> by <column>, <column> above/below \
                          <number>, label <n>, misclassified, correct, tagged <tag>, from \
                          train/val/test, hide discarded, show discarded, sort by <column>, \
                          likely mislabeled, reset";

/// Whether `text` reads as a sentence rather than a formal query: no operators, brackets or
/// quotes (digits, dots and hyphens are fine: "top 20", "0.5", "highest-loss").
pub(crate) fn looks_like_sentence(text: &str) -> bool {
    !text.contains([
        '=', '<', '>', '(', ')', '[', ']', '`', '\'', '"', '&', '|', '~', '!', '@', '*', '/', '+',
    ])
}

/// Maps a sentence onto a query, or explains which word was not understood.
pub(crate) fn parse_intent(text: &str) -> Result<Query, QueryError> {
    let all = split_words(text);
    if let Some(q) = reset_or_overview(&all) {
        return Ok(q);
    }
    let mut intent = Intent {
        words: all
            .into_iter()
            .filter(|w| !vocab::is_filler(&w.text))
            .collect(),
        filters: Vec::new(),
        sort: Vec::new(),
        limit: None,
    };
    intent.tags();
    intent.sort_phrases();
    intent.thresholds();
    intent.extremes();
    intent.keywords();
    intent.counts();
    intent.finish(text)
}

struct Intent {
    words: Vec<Word>,
    /// Filters and sort keys keep the word index they came from, so the result follows the
    /// sentence's order whatever order the rules ran in.
    filters: Vec<(usize, Expr)>,
    sort: Vec<(usize, SortKey)>,
    limit: Option<Limit>,
}

impl Intent {
    fn free(&self, i: usize) -> bool {
        self.words.get(i).is_some_and(|w| !w.used)
    }

    fn text(&self, i: usize) -> &str {
        self.words.get(i).map_or("", |w| w.text.as_str())
    }

    fn number(&self, i: usize) -> Option<Value> {
        if self.free(i) {
            self.words[i].number()
        } else {
            None
        }
    }

    fn count(&self, i: usize) -> Option<usize> {
        match self.number(i) {
            Some(Value::Int(n)) => usize::try_from(n).ok(),
            _ => None,
        }
    }

    fn column(&self, i: usize) -> Option<&'static str> {
        if self.free(i) {
            column_word(self.text(i))
        } else {
            None
        }
    }

    fn take(&mut self, range: std::ops::Range<usize>) {
        for w in &mut self.words[range] {
            w.used = true;
        }
    }

    /// Adds a filter found at words `at..end`, negated when the word before is "not",
    /// "without", "hide"... (which is then claimed too).
    fn filter(&mut self, at: usize, end: usize, e: Expr) {
        self.take(at..end);
        let negated = at > 0 && self.free(at - 1) && is_negation(self.text(at - 1));
        let (at, e) = if negated {
            self.take(at - 1..at);
            let e = match e {
                Expr::Not(inner) => *inner,
                other => other.negate(),
            };
            (at - 1, e)
        } else {
            (at, e)
        };
        self.filters.push((at, e));
    }

    fn sort_key(&mut self, at: usize, column: &str, descending: bool) {
        if !self.sort.iter().any(|(_, k)| k.column == column) {
            self.sort.push((
                at,
                SortKey {
                    column: column.to_owned(),
                    descending,
                },
            ));
        }
    }

    /// "tagged hard", "with tag hard", "tag:hard", "not tagged hard".
    fn tags(&mut self) {
        for i in 0..self.words.len() {
            if !self.free(i) {
                continue;
            }
            let word = self.text(i).to_owned();
            if let Some(name) = word
                .strip_prefix("tag:")
                .or_else(|| word.strip_prefix("tags:"))
            {
                if !name.is_empty() {
                    self.filter(i, i + 1, Expr::Tag(name.to_owned()));
                }
            } else if matches!(word.as_str(), "tag" | "tags" | "tagged") && self.free(i + 1) {
                let name = self.text(i + 1).to_owned();
                self.filter(i, i + 2, Expr::Tag(name));
            }
        }
    }

    /// "sort by confidence", "order by loss descending", "sorted by encounters".
    fn sort_phrases(&mut self) {
        for i in 0..self.words.len() {
            let is_sort = matches!(
                self.text(i),
                "sort" | "sorted" | "order" | "ordered" | "rank" | "ranked" | "sorting"
            );
            if !is_sort || !self.free(i) {
                continue;
            }
            let Some(column) = self.column(i + 1) else {
                continue;
            };
            let (descending, len) = match direction_word(self.text(i + 2)) {
                Some(d) if self.free(i + 2) => (d == Direction::Descending, 3),
                _ => (false, 2),
            };
            self.take(i..i + len);
            self.sort_key(i, column, descending);
        }
    }

    /// "loss above 0.5", "confidence between 0.2 and 0.4", "more than 5 encounters",
    /// "label 7", "digits 3 or 5".
    fn thresholds(&mut self) {
        for i in 0..self.words.len() {
            let Some(column) = self.column(i) else {
                continue;
            };
            // column between a b
            if self.text(i + 1) == "between" && self.free(i + 1) {
                if let (Some(lo), Some(hi)) = (self.number(i + 2), self.number(i + 3)) {
                    self.filter(i, i + 4, Expr::Between(Box::new(Expr::col(column)), lo, hi));
                }
                continue;
            }
            // column <cmp> number
            if let Some(op) = comparison_word(self.text(i + 1)).filter(|_| self.free(i + 1))
                && let Some(v) = self.number(i + 2)
            {
                self.filter(i, i + 3, Expr::col(column).cmp(op, Expr::Literal(v)));
                continue;
            }
            // <cmp> number column
            if i >= 2
                && self.free(i - 2)
                && let Some(op) = comparison_word(self.text(i - 2))
                && let Some(v) = self.number(i - 1)
            {
                self.filter(i - 2, i + 1, Expr::col(column).cmp(op, Expr::Literal(v)));
                continue;
            }
            // column number [or number ...], for the columns that hold class ids or counts.
            if matches!(column, "label" | "prediction" | "encounters") {
                let mut values = Vec::new();
                let mut end = i + 1;
                while let Some(v) = self.number(end) {
                    values.push(v);
                    end += 1;
                    if self.free(end) && self.text(end) == "or" && self.number(end + 1).is_some() {
                        end += 1;
                    }
                }
                let e = match values.len() {
                    0 => continue,
                    1 => Expr::col(column).cmp(CmpOp::Eq, Expr::Literal(values.remove(0))),
                    _ => Expr::IsIn(Box::new(Expr::col(column)), values),
                };
                self.filter(i, end, e);
            }
        }
    }

    /// "100 highest loss", "top 20 by confidence", "most confident", "lowest loss",
    /// "bottom 10", "hardest".
    fn extremes(&mut self) {
        for i in 0..self.words.len() {
            if !self.free(i) {
                continue;
            }
            let word = self.text(i).to_owned();
            let (direction, implied) = match word.as_str() {
                "hardest" => (Direction::Descending, Some("loss")),
                "easiest" => (Direction::Ascending, Some("loss")),
                "uncertain" | "unsure" => (Direction::Ascending, Some("confidence")),
                w => match vocab::extreme_word(w) {
                    Some(d) => (d, None),
                    None => continue,
                },
            };
            let mut start = i;
            let mut end = i + 1;
            let mut n = None;
            if i > 0
                && self.free(i - 1)
                && let Some(c) = self.count(i - 1)
            {
                n = Some(c);
                start = i - 1;
            } else if let Some(c) = self.count(end) {
                n = Some(c);
                end += 1;
            }
            let column = match implied {
                Some(c) => {
                    // "most uncertain" / "hardest loss" add nothing beyond the implied column.
                    if self.column(end) == Some(c) {
                        end += 1;
                    }
                    Some(c)
                }
                None => {
                    let c = self.column(end);
                    if c.is_some() {
                        end += 1;
                    }
                    c
                }
            };
            match (column, n) {
                (Some(column), n) => {
                    self.take(start..end);
                    self.sort_key(start, column, direction == Direction::Descending);
                    if let Some(n) = n {
                        self.limit.get_or_insert(Limit::Head(n));
                    }
                }
                // "top 10" / "bottom 10" with no column: the first or last rows as they are.
                (None, Some(n)) if matches!(word.as_str(), "top" | "first" | "bottom" | "last") => {
                    self.take(start..end);
                    let limit = if matches!(word.as_str(), "top" | "first") {
                        Limit::Head(n)
                    } else {
                        Limit::Tail(n)
                    };
                    self.limit.get_or_insert(limit);
                }
                (None, _) => {}
            }
        }
    }

    /// Single words: misclassified / correct, discarded / in the loop, train / val / test,
    /// mislabeled / label issues.
    fn keywords(&mut self) {
        let wrong = || Expr::col("prediction").cmp(CmpOp::Ne, Expr::col("label"));
        let right = || Expr::col("prediction").cmp(CmpOp::Eq, Expr::col("label"));
        let discarded = || Expr::col("discarded");
        for i in 0..self.words.len() {
            if !self.free(i) {
                continue;
            }
            let word = self.text(i).to_owned();
            match word.as_str() {
                "wrong" | "wrongly" | "misclassified" | "misclassifications"
                | "misclassification" | "errors" | "error" | "mistakes" | "mistake"
                | "incorrect" | "incorrectly" | "mispredicted" | "mispredictions" | "failures"
                | "failed" | "fails" => {
                    self.filter(i, i + 1, wrong());
                }
                "correct" | "correctly" | "right" | "accurate" | "accurately" => {
                    self.filter(i, i + 1, right());
                }
                "discarded" | "discard" | "removed" | "rejected" | "ignored" => {
                    self.filter(i, i + 1, discarded());
                }
                "loop" | "active" | "kept" | "undiscarded" | "remaining" => {
                    self.filter(i, i + 1, discarded().negate());
                }
                "mislabeled" | "mislabelled" | "mislabel" | "mislabels" | "mislabeling"
                | "mislabelling" | "label_issue" => {
                    self.take(i..i + 1);
                    self.sort_key(i, "label_issue", true);
                }
                w => {
                    if let Some(origin) = origin_word(w) {
                        self.filter(
                            i,
                            i + 1,
                            Expr::col("origin").cmp(CmpOp::Eq, Expr::lit(origin)),
                        );
                    }
                }
            }
        }
    }

    /// A number left on its own ("show 50 samples") is how many rows to show.
    fn counts(&mut self) {
        for i in 0..self.words.len() {
            if self.limit.is_none()
                && let Some(n) = self.count(i)
            {
                self.take(i..i + 1);
                self.limit = Some(Limit::Head(n));
            }
        }
    }

    fn finish(mut self, text: &str) -> Result<Query, QueryError> {
        if let Some(w) = self.words.iter().find(|w| !w.used) {
            return Err(QueryError::new(
                format!(
                    "could not understand '{}' in \"{}\"; phrases understood: {UNDERSTOOD}",
                    w.text,
                    text.trim()
                ),
                EXAMPLE,
            )
            .at(w.pos));
        }
        if self.filters.is_empty() && self.sort.is_empty() && self.limit.is_none() {
            return Err(QueryError::new(
                format!(
                    "could not understand \"{}\"; phrases understood: {UNDERSTOOD}",
                    text.trim()
                ),
                EXAMPLE,
            ));
        }
        self.filters.sort_by_key(|(at, _)| *at);
        self.sort.sort_by_key(|(at, _)| *at);
        let filter = self.filters.into_iter().map(|(_, e)| e).reduce(Expr::and);
        Ok(Query::View(ViewSpec {
            filter,
            sort: self.sort.into_iter().map(|(_, k)| k).collect(),
            limit: self.limit,
            ..ViewSpec::default()
        }))
    }
}

#[cfg(test)]
mod tests;
