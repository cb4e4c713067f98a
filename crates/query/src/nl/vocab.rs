//! The words the intent parser knows: fillers, column names and their synonyms, directions,
//! comparisons, negations, dataset splits, and the reset / overview phrases.

use super::words::Word;
use crate::ast::{CmpOp, Query};

/// Words that carry no meaning for the intent ("show me the ... samples").
const FILLERS: &[&str] = &[
    "a",
    "all",
    "also",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "being",
    "by",
    "can",
    "classified",
    "could",
    "currently",
    "data",
    "dataset",
    "datapoints",
    "did",
    "display",
    "do",
    "does",
    "entire",
    "entries",
    "every",
    "example",
    "examples",
    "filter",
    "find",
    "for",
    "from",
    "get",
    "gets",
    "getting",
    "give",
    "got",
    "has",
    "have",
    "having",
    "i",
    "image",
    "images",
    "in",
    "instances",
    "into",
    "is",
    "it",
    "item",
    "items",
    "its",
    "just",
    "let",
    "lets",
    "likely",
    "list",
    "look",
    "many",
    "maybe",
    "me",
    "model",
    "models",
    "my",
    "now",
    "of",
    "on",
    "one",
    "ones",
    "only",
    "our",
    "please",
    "points",
    "possibly",
    "potentially",
    "probably",
    "records",
    "row",
    "rows",
    "s",
    "sample",
    "samples",
    "see",
    "show",
    "showing",
    "shown",
    "set",
    "should",
    "so",
    "some",
    "split",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "this",
    "those",
    "to",
    "very",
    "want",
    "was",
    "were",
    "what",
    "where",
    "which",
    "whole",
    "whose",
    "will",
    "with",
    "would",
    "you",
];

pub(crate) fn is_filler(word: &str) -> bool {
    FILLERS.contains(&word)
}

/// "not tagged hard", "hide discarded", "exclude val": the next filter is negated.
pub(crate) fn is_negation(word: &str) -> bool {
    matches!(
        word,
        "not"
            | "no"
            | "non"
            | "without"
            | "exclude"
            | "excluding"
            | "except"
            | "hide"
            | "hiding"
            | "drop"
            | "omit"
            | "out"
            | "outside"
            | "isn't"
            | "aren't"
            | "but"
    )
}

/// The column a word names, for the known vocabulary.
pub(crate) fn column_word(word: &str) -> Option<&'static str> {
    Some(match word {
        "loss" | "losses" => "loss",
        "confidence" | "confident" | "certainty" | "certain" | "confidences" => "confidence",
        "label" | "labels" | "labeled" | "labelled" | "class" | "classes" | "digit" | "digits"
        | "target" | "targets" | "truth" => "label",
        "prediction" | "predictions" | "predicted" | "pred" | "preds" | "predict" => "prediction",
        "label_issue" => "label_issue",
        "encounters" | "encounter" | "encountered" | "seen" => "encounters",
        "origin" | "origins" | "splits" => "origin",
        "sample_id" | "id" | "ids" => "sample_id",
        _ => return None,
    })
}

/// A sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Ascending,
    Descending,
}

/// The direction word after "sort by <column>".
pub(crate) fn direction_word(word: &str) -> Option<Direction> {
    match word {
        "asc" | "ascending" | "increasing" | "up" | "smallest" | "lowest" => {
            Some(Direction::Ascending)
        }
        "desc" | "descending" | "decreasing" | "down" | "reverse" | "reversed" | "largest"
        | "highest" => Some(Direction::Descending),
        _ => None,
    }
}

/// "highest", "top", "most", "lowest", "bottom", "least"... before a column.
pub(crate) fn extreme_word(word: &str) -> Option<Direction> {
    match word {
        "highest" | "largest" | "biggest" | "greatest" | "most" | "top" | "max" | "maximum"
        | "high" | "large" | "big" | "first" => Some(Direction::Descending),
        "lowest" | "smallest" | "least" | "bottom" | "min" | "minimum" | "low" | "small"
        | "fewest" | "last" => Some(Direction::Ascending),
        _ => None,
    }
}

/// "above", "below", "over", "at least"... between a column and a number.
pub(crate) fn comparison_word(word: &str) -> Option<CmpOp> {
    Some(match word {
        "above" | "over" | "greater" | "more" | "higher" | "exceeds" | "exceeding" | "exceed"
        | "bigger" | "larger" | "gt" => CmpOp::Gt,
        "below" | "under" | "less" | "lower" | "smaller" | "fewer" | "lt" => CmpOp::Lt,
        "least" | "minimum" | "min" | "ge" => CmpOp::Ge,
        "most" | "maximum" | "max" | "le" => CmpOp::Le,
        "equal" | "equals" | "exactly" | "eq" => CmpOp::Eq,
        "not_equal" | "ne" => CmpOp::Ne,
        _ => return None,
    })
}

/// The split a word names, as the `origin` value the table stores.
pub(crate) fn origin_word(word: &str) -> Option<&'static str> {
    Some(match word {
        "train" | "training" | "trainset" | "train_set" => "train",
        "val" | "valid" | "validation" | "valset" | "val_set" | "eval" | "evaluation" | "dev" => {
            "val"
        }
        "test" | "testing" | "testset" | "test_set" | "holdout" => "test",
        _ => return None,
    })
}

/// Words that make up "reset" / "clear filters" / "show all" sentences.
const RESET_WORDS: &[&str] = &[
    "reset",
    "clear",
    "clean",
    "remove",
    "undo",
    "filters",
    "filter",
    "filtering",
    "sorting",
    "sort",
    "view",
    "everything",
    "all",
    "unfiltered",
    "start",
    "over",
    "again",
    "show",
    "me",
    "the",
    "samples",
    "please",
    "back",
    "to",
    "original",
    "default",
];

/// Words that must be present for a sentence made of RESET_WORDS to mean reset.
const RESET_TRIGGERS: &[&str] = &[
    "reset",
    "clear",
    "clean",
    "remove",
    "undo",
    "everything",
    "all",
    "unfiltered",
    "over",
    "original",
    "default",
];

/// "reset", "clear filters", "show all" → Reset; "overview", "summary" → Overview.
pub(crate) fn reset_or_overview(words: &[Word]) -> Option<Query> {
    if words.is_empty() {
        return None;
    }
    let texts = || words.iter().map(|w| w.text.as_str());
    if texts().all(|w| RESET_WORDS.contains(&w)) && texts().any(|w| RESET_TRIGGERS.contains(&w)) {
        return Some(Query::Reset);
    }
    let overview = [
        "overview",
        "summary",
        "summarize",
        "summarise",
        "describe",
        "stats",
        "statistics",
    ];
    let has_overview = texts().any(|w| overview.contains(&w));
    let rest_is_filler =
        texts().all(|w| overview.contains(&w) || is_filler(w) || w == "give" || w == "show");
    (has_overview && rest_is_filler).then_some(Query::Overview)
}
