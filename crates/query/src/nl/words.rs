//! Splitting a sentence into lower-case words with their positions, and joining the
//! two-word names ("label issues", "sample id") into one.

use crate::ast::Value;

/// One word of the sentence.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Word {
    /// Lower-cased text.
    pub text: String,
    /// Character offset in the original text.
    pub pos: usize,
    /// Claimed by a rule.
    pub used: bool,
}

impl Word {
    /// The word as a number: an integer, or a float when it has a fraction or exponent.
    pub(crate) fn number(&self) -> Option<Value> {
        let t = self.text.as_str();
        let first = t.chars().next()?;
        if !(first.is_ascii_digit() || first == '-' || first == '.') {
            return None;
        }
        if t.contains(['.', 'e']) {
            t.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite())
                .map(Value::Float)
        } else {
            t.parse::<i64>().ok().map(Value::Int)
        }
    }
}

/// Characters that belong to a word; everything else separates words. `-` separates too
/// ("highest-loss"), except as the sign of a number.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | ':')
}

/// Punctuation that may appear in a sentence without meaning anything.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '-' | ',' | ';' | '?' | '!' | '\'' | '"' | '(' | ')' | '.' | ':'
    )
}

/// Pairs of words that name one thing.
const JOINED: &[(&str, &[&str], &str)] = &[
    (
        "label",
        &[
            "issue", "issues", "problem", "problems", "errors", "noise", "mistakes",
        ],
        "label_issue",
    ),
    (
        "labels",
        &[
            "issue", "issues", "problem", "problems", "errors", "noise", "mistakes",
        ],
        "label_issue",
    ),
    ("labeling", &["errors", "issues", "mistakes"], "label_issue"),
    (
        "labelling",
        &["errors", "issues", "mistakes"],
        "label_issue",
    ),
    ("noisy", &["label", "labels"], "label_issue"),
    ("bad", &["label", "labels"], "label_issue"),
    ("wrong", &["label", "labels"], "label_issue"),
    ("incorrect", &["label", "labels"], "label_issue"),
    ("sample", &["id", "ids"], "sample_id"),
    ("training", &["loop"], "loop"),
];

/// Lower-case words with their character offsets, two-word names joined.
pub(crate) fn split_words(text: &str) -> Vec<Word> {
    let chars: Vec<char> = text.chars().collect();
    let mut words: Vec<Word> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let signed = c == '-'
            && chars
                .get(i + 1)
                .is_some_and(|d| d.is_ascii_digit() || *d == '.');
        let starts_after_gap = i == 0 || !is_word_char(chars[i - 1]);
        if !(is_word_char(c) || (signed && starts_after_gap)) {
            // Operators are kept as words of their own so that no rule claims them and the
            // sentence is refused: dropping the '>' of "label > 3 misclassified" would
            // silently turn it into "label 3".
            if !(c.is_whitespace() || is_separator(c)) {
                words.push(Word {
                    text: c.to_string(),
                    pos: i,
                    used: false,
                });
            }
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        let numeric = c.is_ascii_digit() || signed;
        while i < chars.len() {
            // The sign of an exponent ("1e-3") stays inside a number.
            let exponent_sign = numeric
                && matches!(chars[i], '-' | '+')
                && matches!(chars[i - 1], 'e' | 'E')
                && chars.get(i + 1).is_some_and(char::is_ascii_digit);
            if !(is_word_char(chars[i]) || exponent_sign) {
                break;
            }
            i += 1;
        }
        let raw: String = chars[start..i].iter().collect();
        // Sentence punctuation ("samples.", "val:") is not part of the word.
        let trimmed = raw.trim_end_matches(['.', ':']);
        if trimmed.is_empty() || trimmed == "-" {
            continue;
        }
        words.push(Word {
            text: trimmed.to_lowercase(),
            pos: start,
            used: false,
        });
    }
    join_pairs(words)
}

fn join_pairs(words: Vec<Word>) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::with_capacity(words.len());
    for w in words {
        if let Some(prev) = out.last_mut()
            && let Some((_, _, joined)) = JOINED.iter().find(|(first, seconds, _)| {
                prev.text == *first && seconds.contains(&w.text.as_str())
            })
        {
            prev.text = (*joined).to_owned();
            continue;
        }
        out.push(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<String> {
        split_words(s).into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn splits_on_hyphens_and_punctuation_but_keeps_numbers() {
        assert_eq!(
            texts("Show the 100 highest-loss samples."),
            ["show", "the", "100", "highest", "loss", "samples"]
        );
        assert_eq!(
            texts("loss above 0.5, below -1e-3"),
            ["loss", "above", "0.5", "below", "-1e-3"]
        );
        assert_eq!(texts("tag:hard"), ["tag:hard"]);
    }

    #[test]
    fn keeps_operators_as_words() {
        assert_eq!(texts("label > 3, please!"), ["label", ">", "3", "please"]);
        assert_eq!(
            texts("the model's errors?"),
            ["the", "model", "s", "errors"]
        );
    }

    #[test]
    fn joins_two_word_names() {
        assert_eq!(texts("likely label issues"), ["likely", "label_issue"]);
        assert_eq!(texts("in the training loop"), ["in", "the", "loop"]);
    }

    #[test]
    fn records_character_positions() {
        let w = split_words("é loss");
        assert_eq!(w[1].pos, 2);
    }

    #[test]
    fn reads_numbers() {
        let w = split_words("7 0.5 -2 x 1e3");
        assert_eq!(w[0].number(), Some(Value::Int(7)));
        assert_eq!(w[1].number(), Some(Value::Float(0.5)));
        assert_eq!(w[2].number(), Some(Value::Int(-2)));
        assert_eq!(w[3].number(), None);
        assert_eq!(w[4].number(), Some(Value::Float(1000.0)));
    }
}
