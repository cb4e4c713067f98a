//! The filter-expression grammar: comparisons, boolean logic, membership, ranges, text
//! matching, tags, arithmetic, and the pandas-style column references and methods.
//!
//! Precedence, loosest first: `or` < `and` < `not` < predicates (comparisons, `in`,
//! `between`, `contains`, `is null`) < `+ -` < `* /` < unary minus < `.method()` < atoms.
//! `&`/`|`/`~` are the same as `and`/`or`/`not` (the Studio's column filter sends them),
//! even though Python would bind them tighter than comparisons.

use crate::ast::{ArithOp, CmpOp, Expr, Value};
use crate::cursor::Cursor;
use crate::error::QueryError;
use crate::lexer::Tok;

pub(crate) const EXAMPLE: &str = "loss > 0.5 and origin == 'val'";

/// Words that cannot be bare column names in a filter (quote such a column with backticks).
pub(crate) const RESERVED: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "between",
    "contains",
    "startswith",
    "endswith",
    "is",
    "null",
    "none",
    "nan",
    "true",
    "false",
    "sortby",
];

/// `.method(...)` names understood after a column.
const METHODS: &str = ".isin([..]), .between(a, b), .str.contains('x'), .str.startswith('x'), \
                       .str.endswith('x'), .isna(), .isnull(), .notna(), .notnull()";

pub(crate) fn is_reserved(word: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

/// Whether the token `ahead` starts what follows a filter in a view:
/// `sortby`, `sort by`, or an option such as `scope:view`.
pub(crate) fn at_view_tail(c: &Cursor, ahead: usize) -> bool {
    c.is_word_at(ahead, "sortby")
        || (c.is_word_at(ahead, "sort") && c.is_word_at(ahead + 1, "by"))
        || (crate::view::OPTIONS.iter().any(|o| c.is_word_at(ahead, o))
            && matches!(c.peek_at(ahead + 1), Tok::Colon))
}

/// Parses one full expression (an `or` chain). Stops before anything it does not understand.
pub(crate) fn parse_expr(c: &mut Cursor) -> Result<Expr, QueryError> {
    c.enter(EXAMPLE)?;
    let result = parse_or(c);
    c.leave();
    result
}

fn parse_or(c: &mut Cursor) -> Result<Expr, QueryError> {
    let mut left = parse_and(c)?;
    loop {
        let is_or = match c.peek() {
            Tok::OrOr => true,
            // `filter | sortby ...` separates the filter from the sort, it is not an `or`.
            Tok::Pipe => !at_view_tail(c, 1),
            Tok::Ident(w) => w.eq_ignore_ascii_case("or"),
            _ => false,
        };
        if !is_or {
            return Ok(left);
        }
        c.bump();
        c.grow()?;
        let right = parse_and(c)?;
        left = Expr::Or(Box::new(left), Box::new(right));
    }
}

fn parse_and(c: &mut Cursor) -> Result<Expr, QueryError> {
    let mut left = parse_not(c)?;
    while matches!(c.peek(), Tok::AndAnd | Tok::Amp) || c.is_word("and") {
        c.bump();
        c.grow()?;
        let right = parse_not(c)?;
        left = Expr::And(Box::new(left), Box::new(right));
    }
    Ok(left)
}

fn parse_not(c: &mut Cursor) -> Result<Expr, QueryError> {
    if matches!(c.peek(), Tok::Bang | Tok::Tilde) || c.is_word("not") {
        c.bump();
        c.grow()?;
        c.enter(EXAMPLE)?;
        let inner = parse_not(c);
        c.leave();
        return Ok(Expr::Not(Box::new(inner?)));
    }
    parse_predicate(c)
}

fn cmp_op(tok: &Tok) -> Option<CmpOp> {
    Some(match tok {
        Tok::EqEq | Tok::Assign => CmpOp::Eq,
        Tok::Ne => CmpOp::Ne,
        Tok::Lt => CmpOp::Lt,
        Tok::Le => CmpOp::Le,
        Tok::Gt => CmpOp::Gt,
        Tok::Ge => CmpOp::Ge,
        _ => return None,
    })
}

fn parse_predicate(c: &mut Cursor) -> Result<Expr, QueryError> {
    let left = parse_arith(c)?;
    if let Some(op) = cmp_op(c.peek()) {
        c.bump();
        c.grow()?;
        let right = parse_arith(c)?;
        if cmp_op(c.peek()).is_some() {
            return Err(c.error(
                "comparisons cannot be chained; join them with 'and'",
                "loss > 0.2 and loss < 0.5",
            ));
        }
        return Ok(Expr::Compare(op, Box::new(left), Box::new(right)));
    }
    let negated = c.is_word("not")
        && ["in", "between", "contains", "startswith", "endswith"]
            .iter()
            .any(|w| c.is_word_at(1, w));
    if negated {
        c.bump();
        c.grow()?;
    }
    let is_predicate = ["in", "between", "contains", "startswith", "endswith", "is"]
        .iter()
        .any(|w| c.is_word(w));
    if is_predicate {
        c.grow()?;
    }
    let pred = if c.eat_word("in") {
        let values = parse_value_list(c)?;
        Expr::IsIn(Box::new(left), values)
    } else if c.eat_word("between") {
        let low = parse_value(c, "loss between 0.2 and 0.5")?;
        if !c.eat_word("and") {
            return Err(c.error(
                format!(
                    "expected 'and' between the two bounds, found {}",
                    c.describe()
                ),
                "loss between 0.2 and 0.5",
            ));
        }
        let high = parse_value(c, "loss between 0.2 and 0.5")?;
        Expr::Between(Box::new(left), low, high)
    } else if c.eat_word("contains") {
        Expr::Contains(Box::new(left), parse_text(c, "sample_id contains '12'")?)
    } else if c.eat_word("startswith") {
        Expr::StartsWith(
            Box::new(left),
            parse_text(c, "sample_id startswith 'img_'")?,
        )
    } else if c.eat_word("endswith") {
        Expr::EndsWith(Box::new(left), parse_text(c, "sample_id endswith '.png'")?)
    } else if c.eat_word("is") {
        let not = c.eat_word("not");
        if !(c.eat_word("null") || c.eat_word("none") || c.eat_word("nan")) {
            return Err(c.error(
                format!("expected 'null' after 'is', found {}", c.describe()),
                "prediction is not null",
            ));
        }
        let e = Expr::IsNull(Box::new(left));
        if not { Expr::Not(Box::new(e)) } else { e }
    } else {
        return Ok(left);
    };
    Ok(if negated {
        Expr::Not(Box::new(pred))
    } else {
        pred
    })
}

fn parse_arith(c: &mut Cursor) -> Result<Expr, QueryError> {
    let mut left = parse_term(c)?;
    loop {
        let op = match c.peek() {
            Tok::Plus => ArithOp::Add,
            Tok::Minus => ArithOp::Sub,
            _ => return Ok(left),
        };
        c.bump();
        c.grow()?;
        let right = parse_term(c)?;
        left = Expr::Arith(op, Box::new(left), Box::new(right));
    }
}

fn parse_term(c: &mut Cursor) -> Result<Expr, QueryError> {
    let mut left = parse_unary(c)?;
    loop {
        let op = match c.peek() {
            Tok::Star => ArithOp::Mul,
            Tok::Slash => ArithOp::Div,
            _ => return Ok(left),
        };
        c.bump();
        c.grow()?;
        let right = parse_unary(c)?;
        left = Expr::Arith(op, Box::new(left), Box::new(right));
    }
}

fn parse_unary(c: &mut Cursor) -> Result<Expr, QueryError> {
    if matches!(c.peek(), Tok::Minus) {
        if let Tok::Number(n) = c.peek_at(1).clone() {
            let pos = c.pos();
            c.bump();
            c.bump();
            let value = number(&format!("-{n}"), pos)?;
            return parse_postfix(c, Expr::Literal(value));
        }
        c.bump();
        c.grow()?;
        c.enter(EXAMPLE)?;
        let inner = parse_unary(c);
        c.leave();
        // There is no negation node: `-x` is `0 - x`, which every backend can evaluate.
        return Ok(Expr::Arith(
            ArithOp::Sub,
            Box::new(Expr::Literal(Value::Int(0))),
            Box::new(inner?),
        ));
    }
    let atom = parse_atom(c)?;
    parse_postfix(c, atom)
}

fn parse_atom(c: &mut Cursor) -> Result<Expr, QueryError> {
    let pos = c.pos();
    match c.peek().clone() {
        Tok::Number(n) => {
            c.bump();
            Ok(Expr::Literal(number(&n, pos)?))
        }
        Tok::Str(s) => {
            c.bump();
            Ok(Expr::Literal(Value::Str(s)))
        }
        Tok::Quoted(name) => {
            c.bump();
            Ok(Expr::Column(name))
        }
        Tok::Tag(name) => {
            c.bump();
            Ok(Expr::Tag(name))
        }
        Tok::LParen => {
            c.bump();
            let inner = parse_expr(c)?;
            c.expect(
                &Tok::RParen,
                "')' to close the '(' opened earlier",
                "(loss > 0.5 or label == 3) and not discarded",
            )?;
            Ok(inner)
        }
        Tok::Ident(word) => {
            if let Some(v) = keyword_value(&word) {
                c.bump();
                return Ok(Expr::Literal(v));
            }
            if word == "df" && matches!(c.peek_at(1), Tok::LBracket | Tok::Dot) {
                return parse_df_column(c);
            }
            if is_reserved(&word) {
                return Err(c.error(
                    format!(
                        "expected a column or a value, found the keyword '{word}' \
                         (quote a column with that name in backticks: `{word}`)"
                    ),
                    EXAMPLE,
                ));
            }
            c.bump();
            Ok(Expr::Column(word))
        }
        Tok::Eof => Err(c.error(
            "the query ends where a column or value was expected",
            EXAMPLE,
        )),
        _ => Err(c.error(
            format!("expected a column or a value, found {}", c.describe()),
            EXAMPLE,
        )),
    }
}

/// `df['col']`, `df["col"]`, `` df[`col`] `` or `df.col`; the cursor is at `df`.
fn parse_df_column(c: &mut Cursor) -> Result<Expr, QueryError> {
    c.bump();
    let example = "df[df['loss'] > 0.5]";
    if c.eat(&Tok::Dot) {
        return match c.bump() {
            Tok::Ident(name) => Ok(Expr::Column(name)),
            other => Err(QueryError::new(
                format!(
                    "expected a column name after 'df.', found {}",
                    crate::cursor::describe(&other)
                ),
                example,
            )
            .at(c.pos())),
        };
    }
    c.expect(&Tok::LBracket, "'['", example)?;
    let name = match c.peek().clone() {
        Tok::Str(s) | Tok::Quoted(s) => {
            c.bump();
            s
        }
        _ => {
            return Err(c.error(
                format!(
                    "expected a quoted column name inside df[...], found {}; a row filter \
                     df[mask] can only wrap the whole query",
                    c.describe()
                ),
                example,
            ));
        }
    };
    c.expect(&Tok::RBracket, "']' after the column name", example)?;
    Ok(Expr::Column(name))
}

/// `.isin(...)`, `.between(...)`, `.str.contains(...)`, `.isna()` ... after an atom.
fn parse_postfix(c: &mut Cursor, mut e: Expr) -> Result<Expr, QueryError> {
    while matches!(c.peek(), Tok::Dot) {
        let dot = c.pos();
        c.bump();
        c.grow()?;
        let Tok::Ident(method) = c.bump() else {
            return Err(QueryError::new(
                format!("expected a method name after '.'; supported: {METHODS}"),
                "df[df['label'].isin([1, 2])]",
            )
            .at(dot));
        };
        e = match method.as_str() {
            "isin" => {
                c.expect(
                    &Tok::LParen,
                    "'(' after isin",
                    "df[df['label'].isin([1, 2])]",
                )?;
                let values = parse_value_list(c)?;
                c.expect(
                    &Tok::RParen,
                    "')' to close isin(",
                    "df[df['label'].isin([1, 2])]",
                )?;
                Expr::IsIn(Box::new(e), values)
            }
            "between" => {
                let ex = "df[df['loss'].between(0.2, 0.5)]";
                c.expect(&Tok::LParen, "'(' after between", ex)?;
                let low = parse_value(c, ex)?;
                c.expect(&Tok::Comma, "',' between the two bounds", ex)?;
                let high = parse_value(c, ex)?;
                if c.eat(&Tok::Comma) {
                    let at = c.pos();
                    let kw = keyword_arg(c, ex)?;
                    if kw.0 != "inclusive" || kw.1 != Value::Str("both".into()) {
                        return Err(QueryError::new(
                            "only inclusive='both' (the default) is supported by between()",
                            ex,
                        )
                        .at(at));
                    }
                }
                c.expect(&Tok::RParen, "')' to close between(", ex)?;
                Expr::Between(Box::new(e), low, high)
            }
            "isna" | "isnull" | "notna" | "notnull" => {
                let ex = "df[df['prediction'].isna()]";
                c.expect(&Tok::LParen, "'('", ex)?;
                c.expect(&Tok::RParen, "')' (isna takes no arguments)", ex)?;
                let null = Expr::IsNull(Box::new(e));
                if method.starts_with("not") {
                    Expr::Not(Box::new(null))
                } else {
                    null
                }
            }
            "str" => parse_str_method(c, e)?,
            other => {
                return Err(QueryError::new(
                    format!(
                        "'.{other}' is not supported here; supported methods: {METHODS} \
                         (if '{other}' is part of a column name, quote the name in backticks)"
                    ),
                    "df[df['label'].isin([1, 2])]",
                )
                .at(dot));
            }
        };
    }
    Ok(e)
}

/// `.str.contains('x')`, `.str.startswith('x')`, `.str.endswith('x')`; cursor after `str`.
fn parse_str_method(c: &mut Cursor, e: Expr) -> Result<Expr, QueryError> {
    let ex = "df[df['sample_id'].str.contains('12')]";
    c.expect(&Tok::Dot, "'.' after .str", ex)?;
    let at = c.pos();
    let method = match c.bump() {
        Tok::Ident(m) => m,
        _ => String::new(),
    };
    if !matches!(method.as_str(), "contains" | "startswith" | "endswith") {
        return Err(QueryError::new(
            format!(
                "'.str.{method}' is not supported; use .str.contains, .str.startswith or \
                 .str.endswith"
            ),
            ex,
        )
        .at(at));
    }
    c.expect(&Tok::LParen, "'('", ex)?;
    let text = parse_text(c, ex)?;
    while c.eat(&Tok::Comma) {
        let at = c.pos();
        let (name, value) = keyword_arg(c, ex)?;
        // regex=False and na=False do not change what a plain substring test selects.
        let harmless = matches!(
            (name.as_str(), &value),
            ("regex", Value::Bool(false))
                | ("na", Value::Bool(false))
                | ("case", Value::Bool(true))
        );
        if !harmless {
            return Err(QueryError::new(
                format!(
                    "the argument {name}= of .str.{method} is not supported; only a plain, \
                     case-sensitive substring is"
                ),
                ex,
            )
            .at(at));
        }
    }
    c.expect(&Tok::RParen, "')'", ex)?;
    let e = Box::new(e);
    Ok(match method.as_str() {
        "contains" => Expr::Contains(e, text),
        "startswith" => Expr::StartsWith(e, text),
        _ => Expr::EndsWith(e, text),
    })
}

/// `name=value` inside a call.
pub(crate) fn keyword_arg(c: &mut Cursor, example: &str) -> Result<(String, Value), QueryError> {
    let Tok::Ident(name) = c.peek().clone() else {
        return Err(c.error(
            format!("expected name=value, found {}", c.describe()),
            example,
        ));
    };
    c.bump();
    c.expect(&Tok::Assign, &format!("'=' after {name}"), example)?;
    Ok((name, parse_value(c, example)?))
}

/// `true`, `false`, `null`, `none`, `nan`: their values, any case (Python's `True` too).
fn keyword_value(word: &str) -> Option<Value> {
    match word.to_ascii_lowercase().as_str() {
        "true" => Some(Value::Bool(true)),
        "false" => Some(Value::Bool(false)),
        "null" | "none" => Some(Value::Null),
        _ => None,
    }
}

/// A number's text (sign included) as an integer or, with a fraction or exponent, a float.
pub(crate) fn number(text: &str, pos: usize) -> Result<Value, QueryError> {
    if text.contains(['.', 'e', 'E']) {
        return text.parse::<f64>().map(Value::Float).map_err(|_| {
            QueryError::new(format!("'{text}' is not a number"), "loss > 0.5").at(pos)
        });
    }
    text.parse::<i64>().map(Value::Int).map_err(|_| {
        QueryError::new(
            format!("the integer {text} is out of range (at most 19 digits)"),
            "encounters > 100",
        )
        .at(pos)
    })
}

/// One literal value: a number (optionally negative), text, true/false/null.
pub(crate) fn parse_value(c: &mut Cursor, example: &str) -> Result<Value, QueryError> {
    let pos = c.pos();
    let negative = c.eat(&Tok::Minus);
    match c.peek().clone() {
        Tok::Number(n) => {
            c.bump();
            number(&if negative { format!("-{n}") } else { n }, pos)
        }
        Tok::Str(s) if !negative => {
            c.bump();
            Ok(Value::Str(s))
        }
        Tok::Ident(w) if !negative => match keyword_value(&w) {
            Some(v) => {
                c.bump();
                Ok(v)
            }
            None => Err(c.error(
                format!("expected a value, found '{w}' (put text in quotes: '{w}')"),
                example,
            )),
        },
        _ => Err(c.error(
            format!(
                "expected a value (a number, 'text', true, false or null), found {}",
                c.describe()
            ),
            example,
        )),
    }
}

/// `'text'` (a number is accepted and used as its written text).
fn parse_text(c: &mut Cursor, example: &str) -> Result<String, QueryError> {
    match c.peek().clone() {
        Tok::Str(s) => {
            c.bump();
            Ok(s)
        }
        Tok::Number(n) => {
            c.bump();
            Ok(n)
        }
        _ => Err(c.error(
            format!("expected text in quotes, found {}", c.describe()),
            example,
        )),
    }
}

/// `[v, ...]` or `(v, ...)`; a trailing comma is fine.
pub(crate) fn parse_value_list(c: &mut Cursor) -> Result<Vec<Value>, QueryError> {
    let example = "label in [1, 2, 3]";
    let close = match c.peek() {
        Tok::LBracket => Tok::RBracket,
        Tok::LParen => Tok::RParen,
        _ => {
            return Err(c.error(
                format!("expected a list like [1, 2, 3], found {}", c.describe()),
                example,
            ));
        }
    };
    c.bump();
    let mut values = Vec::new();
    while !c.eat(&close) {
        values.push(parse_value(c, example)?);
        if !c.eat(&Tok::Comma) {
            let what = if close == Tok::RBracket {
                "',' or ']'"
            } else {
                "',' or ')'"
            };
            c.expect(&close, what, example)?;
            break;
        }
    }
    Ok(values)
}
