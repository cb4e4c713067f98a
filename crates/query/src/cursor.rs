//! A cursor over lexed tokens with the look-ahead, keyword and nesting-depth helpers the
//! grammars share.

use crate::error::QueryError;
use crate::lexer::{Tok, Token, lex};

/// Deeper nesting (parentheses, `not`, unary minus) is refused, so that hostile input cannot
/// overflow the stack while parsing.
pub(crate) const MAX_DEPTH: usize = 64;

/// At most this many operator nodes per query. Printing, translating and dropping the AST
/// recurse, and a long `a and b and ...` chain is as deep as it is long, so this bounds the
/// tree depth too.
pub(crate) const MAX_NODES: usize = 1000;

pub(crate) struct Cursor {
    toks: Vec<Token>,
    i: usize,
    depth: usize,
    nodes: usize,
}

impl Cursor {
    pub(crate) fn new(text: &str) -> Result<Self, QueryError> {
        Ok(Self {
            toks: lex(text)?,
            i: 0,
            depth: 0,
            nodes: 0,
        })
    }

    pub(crate) fn peek(&self) -> &Tok {
        self.peek_at(0)
    }

    pub(crate) fn peek_at(&self, ahead: usize) -> &Tok {
        // The last token is always Eof, so clamping keeps look-ahead past the end at Eof.
        let last = self.toks.len().saturating_sub(1);
        self.toks
            .get((self.i + ahead).min(last))
            .map_or(&Tok::Eof, |t| &t.tok)
    }

    /// Character offset of the current token.
    pub(crate) fn pos(&self) -> usize {
        self.pos_at(0)
    }

    pub(crate) fn pos_at(&self, ahead: usize) -> usize {
        let last = self.toks.len().saturating_sub(1);
        self.toks
            .get((self.i + ahead).min(last))
            .map_or(0, |t| t.pos)
    }

    pub(crate) fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.i + 1 < self.toks.len() {
            self.i += 1;
        }
        t
    }

    pub(crate) fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    pub(crate) fn at_eof(&self) -> bool {
        matches!(self.peek(), Tok::Eof)
    }

    /// Whether the token `ahead` is the bare word `word` (ASCII case-insensitive).
    pub(crate) fn is_word_at(&self, ahead: usize, word: &str) -> bool {
        matches!(self.peek_at(ahead), Tok::Ident(w) if w.eq_ignore_ascii_case(word))
    }

    pub(crate) fn is_word(&self, word: &str) -> bool {
        self.is_word_at(0, word)
    }

    pub(crate) fn eat_word(&mut self, word: &str) -> bool {
        if self.is_word(word) {
            self.bump();
            true
        } else {
            false
        }
    }

    /// Consumes `tok` or fails with "expected <what>".
    pub(crate) fn expect(
        &mut self,
        tok: &Tok,
        what: &str,
        example: &str,
    ) -> Result<(), QueryError> {
        if self.eat(tok) {
            Ok(())
        } else {
            Err(self.error(
                format!("expected {what}, found {}", self.describe()),
                example,
            ))
        }
    }

    /// An error at the current token.
    pub(crate) fn error(&self, message: impl Into<String>, example: &str) -> QueryError {
        QueryError::new(message, example).at(self.pos())
    }

    /// The current token in words, for error messages.
    pub(crate) fn describe(&self) -> String {
        describe(self.peek())
    }

    /// Enters one level of nesting; pair with [`Cursor::leave`].
    pub(crate) fn enter(&mut self, example: &str) -> Result<(), QueryError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(
                format!("the query nests deeper than {MAX_DEPTH} levels; simplify it"),
                example,
            ));
        }
        Ok(())
    }

    /// Counts one more operator node; fails past [`MAX_NODES`].
    pub(crate) fn grow(&mut self) -> Result<(), QueryError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(self.error(
                format!(
                    "the query has more than {MAX_NODES} operators; shorten it \
                     (a long list of alternatives fits in `col in [..]`)"
                ),
                "label in [1, 2, 3]",
            ));
        }
        Ok(())
    }

    pub(crate) fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// A token in words, for error messages.
pub(crate) fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(w) => format!("'{w}'"),
        Tok::Quoted(w) => format!("`{w}`"),
        Tok::Str(s) => format!("the text '{s}'"),
        Tok::Number(n) => format!("the number {n}"),
        Tok::Tag(t) => format!("tag:{t}"),
        Tok::Eof => "the end of the query".to_owned(),
        other => format!("'{}'", symbol(other)),
    }
}

fn symbol(tok: &Tok) -> &'static str {
    match tok {
        Tok::EqEq => "==",
        Tok::Assign => "=",
        Tok::Ne => "!=",
        Tok::Lt => "<",
        Tok::Le => "<=",
        Tok::Gt => ">",
        Tok::Ge => ">=",
        Tok::AndAnd => "&&",
        Tok::OrOr => "||",
        Tok::Amp => "&",
        Tok::Pipe => "|",
        Tok::Bang => "!",
        Tok::Tilde => "~",
        Tok::Plus => "+",
        Tok::Minus => "-",
        Tok::Star => "*",
        Tok::Slash => "/",
        Tok::LParen => "(",
        Tok::RParen => ")",
        Tok::LBracket => "[",
        Tok::RBracket => "]",
        Tok::Comma => ",",
        Tok::Colon => ":",
        Tok::Dot => ".",
        Tok::At => "@",
        Tok::Ident(_) | Tok::Quoted(_) | Tok::Str(_) | Tok::Number(_) | Tok::Tag(_) | Tok::Eof => {
            "?"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_ahead_past_the_end_stays_at_eof() {
        let mut c = Cursor::new("a").unwrap();
        assert_eq!(c.peek_at(5), &Tok::Eof);
        c.bump();
        c.bump();
        assert!(c.at_eof());
        assert_eq!(c.pos(), 1);
    }

    #[test]
    fn depth_is_limited() {
        let mut c = Cursor::new("").unwrap();
        for _ in 0..MAX_DEPTH {
            c.enter("x").unwrap();
        }
        assert!(c.enter("x").is_err());
    }
}
