//! Tokens shared by the filter, `sortby` and pandas grammars, and the lexer that makes them.

use crate::error::QueryError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// A bare name: letters, digits and `_`, not starting with a digit.
    Ident(String),
    /// A backtick-quoted name (`` `my col` ``; a doubled backtick stands for one backtick).
    Quoted(String),
    /// A single- or double-quoted string, escapes resolved.
    Str(String),
    /// A number as written (sign excluded); the parser decides integer or float.
    Number(String),
    /// `tag:<name>` / `tags:<name>`.
    Tag(String),
    EqEq,
    Assign,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    AndAnd,
    OrOr,
    Amp,
    Pipe,
    Bang,
    Tilde,
    Plus,
    Minus,
    Star,
    Slash,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Dot,
    At,
    Eof,
}

/// A token and the character offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub tok: Tok,
    pub pos: usize,
}

const FILTER_EXAMPLE: &str = "loss > 0.5 and origin == 'val'";

/// Characters allowed in an unquoted tag name (`tag:hard-case/v2`).
pub(crate) fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':')
}

pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

pub(crate) fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `text` into tokens; the last one is always [`Tok::Eof`].
pub(crate) fn lex(text: &str) -> Result<Vec<Token>, QueryError> {
    Lexer {
        chars: text.chars().collect(),
        i: 0,
        out: Vec::new(),
    }
    .run()
}

struct Lexer {
    chars: Vec<char>,
    i: usize,
    out: Vec<Token>,
}

impl Lexer {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.i + ahead).copied()
    }

    fn push(&mut self, tok: Tok, pos: usize) {
        self.out.push(Token { tok, pos });
    }

    fn run(mut self) -> Result<Vec<Token>, QueryError> {
        while let Some(c) = self.peek(0) {
            let start = self.i;
            if c.is_whitespace() {
                self.i += 1;
                continue;
            }
            if c.is_ascii_digit() || (c == '.' && self.peek(1).is_some_and(|d| d.is_ascii_digit()))
            {
                let n = self.number();
                self.push(Tok::Number(n), start);
                continue;
            }
            if is_ident_start(c) {
                let word = self.take_while(is_ident_char);
                if self.peek(0) == Some(':')
                    && (word.eq_ignore_ascii_case("tag") || word.eq_ignore_ascii_case("tags"))
                {
                    self.i += 1;
                    let name = self.tag_name(start)?;
                    self.push(Tok::Tag(name), start);
                } else {
                    self.push(Tok::Ident(word), start);
                }
                continue;
            }
            let (tok, len) = match (c, self.peek(1)) {
                ('`', _) => {
                    let name = self.quoted('`', start)?;
                    self.push(Tok::Quoted(name), start);
                    continue;
                }
                ('\'' | '"', _) => {
                    let s = self.quoted(c, start)?;
                    self.push(Tok::Str(s), start);
                    continue;
                }
                ('=', Some('=')) => (Tok::EqEq, 2),
                ('=', _) => (Tok::Assign, 1),
                ('!', Some('=')) => (Tok::Ne, 2),
                ('<', Some('>')) => (Tok::Ne, 2),
                ('<', Some('=')) => (Tok::Le, 2),
                ('>', Some('=')) => (Tok::Ge, 2),
                ('<', _) => (Tok::Lt, 1),
                ('>', _) => (Tok::Gt, 1),
                ('&', Some('&')) => (Tok::AndAnd, 2),
                ('|', Some('|')) => (Tok::OrOr, 2),
                ('&', _) => (Tok::Amp, 1),
                ('|', _) => (Tok::Pipe, 1),
                ('!', _) => (Tok::Bang, 1),
                ('~', _) => (Tok::Tilde, 1),
                ('+', _) => (Tok::Plus, 1),
                ('-', _) => (Tok::Minus, 1),
                ('*', _) => (Tok::Star, 1),
                ('/', _) => (Tok::Slash, 1),
                ('(', _) => (Tok::LParen, 1),
                (')', _) => (Tok::RParen, 1),
                ('[', _) => (Tok::LBracket, 1),
                (']', _) => (Tok::RBracket, 1),
                (',', _) => (Tok::Comma, 1),
                (':', _) => (Tok::Colon, 1),
                ('.', _) => (Tok::Dot, 1),
                ('@', _) => (Tok::At, 1),
                _ => {
                    return Err(QueryError::new(
                        format!(
                            "unexpected character '{c}'; use a comparison (== != < <= > >=), \
                             and/or/not, quotes for text and backticks for column names"
                        ),
                        FILTER_EXAMPLE,
                    )
                    .at(start));
                }
            };
            self.i += len;
            self.push(tok, start);
        }
        let end = self.chars.len();
        self.push(Tok::Eof, end);
        Ok(self.out)
    }

    fn take_while(&mut self, keep: fn(char) -> bool) -> String {
        let start = self.i;
        while self.peek(0).is_some_and(keep) {
            self.i += 1;
        }
        self.chars[start..self.i].iter().collect()
    }

    /// Digits, an optional fraction and an optional exponent (`1`, `0.5`, `.5`, `2e-3`).
    fn number(&mut self) -> String {
        let mut s = self.take_while(|c| c.is_ascii_digit());
        if self.peek(0) == Some('.')
            && self
                .peek(1)
                .is_none_or(|c| c.is_ascii_digit() || !is_ident_start(c))
        {
            // `1.` is a float, but `x.isin` after a number is not our business: only take the
            // dot when it cannot start a method call.
            self.i += 1;
            s.push('.');
            s.push_str(&self.take_while(|c| c.is_ascii_digit()));
        }
        if matches!(self.peek(0), Some('e' | 'E')) {
            let sign = matches!(self.peek(1), Some('+' | '-'));
            let digit_at = if sign { 2 } else { 1 };
            if self.peek(digit_at).is_some_and(|c| c.is_ascii_digit()) {
                s.push('e');
                if sign {
                    s.push(self.chars[self.i + 1]);
                }
                self.i += digit_at;
                s.push_str(&self.take_while(|c| c.is_ascii_digit()));
            }
        }
        s
    }

    /// The body of a quoted string or backtick name; the opening quote is at `self.i`.
    fn quoted(&mut self, quote: char, start: usize) -> Result<String, QueryError> {
        self.i += 1;
        let mut s = String::new();
        loop {
            let Some(c) = self.peek(0) else {
                let what = if quote == '`' { "column name" } else { "text" };
                return Err(QueryError::new(
                    format!("the {what} starting here is missing its closing {quote}"),
                    if quote == '`' {
                        "`my col` > 1"
                    } else {
                        "origin == 'val'"
                    },
                )
                .at(start));
            };
            self.i += 1;
            if c == quote {
                if quote == '`' && self.peek(0) == Some('`') {
                    self.i += 1;
                    s.push('`');
                    continue;
                }
                return Ok(s);
            }
            if c == '\\' && quote != '`' {
                let Some(e) = self.peek(0) else { continue };
                self.i += 1;
                match e {
                    'n' => s.push('\n'),
                    't' => s.push('\t'),
                    'r' => s.push('\r'),
                    '0' => s.push('\0'),
                    '\\' | '\'' | '"' => s.push(e),
                    other => {
                        // Unknown escapes stay as written, like Python does.
                        s.push('\\');
                        s.push(other);
                    }
                }
                continue;
            }
            s.push(c);
        }
    }

    /// The name after `tag:`: quoted, backticked, or a run of [`is_tag_char`].
    fn tag_name(&mut self, start: usize) -> Result<String, QueryError> {
        let name = match self.peek(0) {
            Some(q @ ('\'' | '"' | '`')) => {
                let at = self.i;
                self.quoted(q, at)?
            }
            _ => self.take_while(is_tag_char),
        };
        if name.is_empty() {
            return Err(QueryError::new(
                "a tag name must follow 'tag:'",
                "tag:hard or tag:\"needs review\"",
            )
            .at(start));
        }
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(text: &str) -> Vec<Tok> {
        lex(text).unwrap().into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn lexes_operators_and_names() {
        assert_eq!(
            toks("loss>=0.5&&`my col`!='a\\'b'"),
            vec![
                Tok::Ident("loss".into()),
                Tok::Ge,
                Tok::Number("0.5".into()),
                Tok::AndAnd,
                Tok::Quoted("my col".into()),
                Tok::Ne,
                Tok::Str("a'b".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn lexes_numbers() {
        assert_eq!(toks("1e-3")[0], Tok::Number("1e-3".into()));
        assert_eq!(toks(".5")[0], Tok::Number(".5".into()));
        assert_eq!(toks("2E5")[0], Tok::Number("2e5".into()));
        // `1e` is a number followed by a name, not an exponent.
        assert_eq!(
            toks("1e"),
            vec![Tok::Number("1".into()), Tok::Ident("e".into()), Tok::Eof]
        );
    }

    #[test]
    fn lexes_tags() {
        assert_eq!(toks("tag:hard-case")[0], Tok::Tag("hard-case".into()));
        assert_eq!(toks("TAGS:'a b'")[0], Tok::Tag("a b".into()));
        assert!(lex("tag: x").is_err());
    }

    #[test]
    fn positions_are_character_offsets() {
        let t = lex("é > 1").unwrap();
        assert_eq!(t[1].pos, 2);
        assert_eq!(t[3].pos, 5);
    }

    #[test]
    fn reports_unterminated_quotes_and_stray_characters() {
        assert_eq!(lex("x == 'abc").unwrap_err().position, Some(5));
        assert_eq!(lex("`abc").unwrap_err().position, Some(0));
        assert_eq!(lex("x # 1").unwrap_err().position, Some(2));
    }
}
