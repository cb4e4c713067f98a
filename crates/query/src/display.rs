//! `Display` for the AST: prints the canonical direct grammar, which parses back to the
//! same AST (`parse(&q.to_string(), false) == Ok(q)`).

use std::fmt::{self, Write as _};

use crate::ast::{ArithOp, CmpOp, Expr, Limit, Query, Scope, SortKey, Value, ViewSpec};
use crate::expr::is_reserved;
use crate::lexer::{is_ident_char, is_ident_start, is_tag_char};
use crate::view::OPTIONS;

/// Binding strength, loosest first; a child binding looser than its slot gets parentheses.
const OR: u8 = 1;
const AND: u8 = 2;
const NOT: u8 = 3;
const PREDICATE: u8 = 4;
const SUM: u8 = 5;
const PRODUCT: u8 = 6;
const ATOM: u8 = 7;

fn strength(e: &Expr) -> u8 {
    match e {
        Expr::Or(..) => OR,
        Expr::And(..) => AND,
        Expr::Not(_) => NOT,
        Expr::Compare(..)
        | Expr::IsIn(..)
        | Expr::Between(..)
        | Expr::Contains(..)
        | Expr::StartsWith(..)
        | Expr::EndsWith(..)
        | Expr::IsNull(_) => PREDICATE,
        Expr::Arith(ArithOp::Add | ArithOp::Sub, ..) => SUM,
        Expr::Arith(ArithOp::Mul | ArithOp::Div, ..) => PRODUCT,
        Expr::Column(_) | Expr::Tag(_) | Expr::Literal(_) => ATOM,
    }
}

/// Writes `e`, in parentheses when it binds looser than `min`.
fn child(f: &mut fmt::Formatter<'_>, e: &Expr, min: u8) -> fmt::Result {
    if strength(e) < min {
        write!(f, "({e})")
    } else {
        write!(f, "{e}")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Column(name) => write_column(f, name),
            Expr::Literal(v) => write!(f, "{v}"),
            Expr::Tag(name) => {
                if name.chars().all(is_tag_char) && !name.is_empty() {
                    write!(f, "tag:{name}")
                } else {
                    f.write_str("tag:")?;
                    write_str_literal(f, name)
                }
            }
            // Same-strength children on the left need no parentheses because chains are
            // left-associative; on the right they do.
            Expr::Or(l, r) => {
                child(f, l, OR)?;
                f.write_str(" or ")?;
                child(f, r, AND)
            }
            Expr::And(l, r) => {
                child(f, l, AND)?;
                f.write_str(" and ")?;
                child(f, r, NOT)
            }
            Expr::Not(e) => {
                f.write_str("not ")?;
                child(f, e, NOT)
            }
            // Predicates do not chain, so both sides must bind tighter.
            Expr::Compare(op, l, r) => {
                child(f, l, SUM)?;
                write!(f, " {op} ")?;
                child(f, r, SUM)
            }
            Expr::IsIn(e, values) => {
                child(f, e, SUM)?;
                f.write_str(" in [")?;
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_char(']')
            }
            Expr::Between(e, low, high) => {
                child(f, e, SUM)?;
                write!(f, " between {low} and {high}")
            }
            Expr::Contains(e, s) => text_predicate(f, e, "contains", s),
            Expr::StartsWith(e, s) => text_predicate(f, e, "startswith", s),
            Expr::EndsWith(e, s) => text_predicate(f, e, "endswith", s),
            Expr::IsNull(e) => {
                child(f, e, SUM)?;
                f.write_str(" is null")
            }
            Expr::Arith(op, l, r) => {
                let own = strength(self);
                child(f, l, own)?;
                write!(f, " {op} ")?;
                child(f, r, own + 1)
            }
        }
    }
}

fn text_predicate(f: &mut fmt::Formatter<'_>, e: &Expr, word: &str, s: &str) -> fmt::Result {
    child(f, e, SUM)?;
    write!(f, " {word} ")?;
    write_str_literal(f, s)
}

/// Whether `name` can be written bare: an identifier that no grammar reads as anything else.
fn is_bare_name(name: &str) -> bool {
    let mut chars = name.chars();
    let starts_well = chars.next().is_some_and(is_ident_start);
    starts_well
        && chars.all(is_ident_char)
        && !is_reserved(name)
        && ![
            "asc",
            "desc",
            "ascending",
            "descending",
            "tag",
            "tags",
            "df",
            "sort",
            "by",
        ]
        .iter()
        .chain(OPTIONS)
        .any(|w| w.eq_ignore_ascii_case(name))
}

fn write_column(f: &mut fmt::Formatter<'_>, name: &str) -> fmt::Result {
    if is_bare_name(name) {
        f.write_str(name)
    } else {
        f.write_char('`')?;
        f.write_str(&name.replace('`', "``"))?;
        f.write_char('`')
    }
}

fn write_str_literal(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\0' => f.write_str("\\0")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Int(i) => write!(f, "{i}"),
            // `{:?}` prints the shortest text that reads back as the same f64, and always
            // with a `.` or an exponent, so it stays a float when parsed again.
            Value::Float(x) => write!(f, "{x:?}"),
            Value::Str(s) => write_str_literal(f, s),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Null => f.write_str("null"),
        }
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        })
    }
}

impl fmt::Display for ArithOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        })
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scope::Global => "global",
            Scope::Subset => "subset",
            Scope::View => "view",
        })
    }
}

impl fmt::Display for SortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_column(f, &self.column)?;
        f.write_str(if self.descending { " desc" } else { " asc" })
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Head(n) => write!(f, "head:{n}"),
            Limit::Tail(n) => write!(f, "tail:{n}"),
        }
    }
}

impl fmt::Display for ViewSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(filter) = &self.filter {
            parts.push(filter.to_string());
        }
        if !self.sort.is_empty() {
            let keys: Vec<String> = self.sort.iter().map(ToString::to_string).collect();
            parts.push(format!("sortby {}", keys.join(", ")));
        }
        // An empty view still needs some text, or it would read back as CountOnly.
        if self.scope != Scope::Global
            || parts.is_empty() && self.limit.is_none() && self.window.is_none()
        {
            parts.push(format!("scope:{}", self.scope));
        }
        if let Some(limit) = self.limit {
            parts.push(limit.to_string());
        }
        if let Some((start, count)) = self.window {
            parts.push(format!("start:{start} count:{count}"));
        }
        f.write_str(&parts.join(" "))
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Query::CountOnly => Ok(()),
            Query::Reset => f.write_str("@reset"),
            Query::Overview => f.write_str("@overview"),
            Query::View(view) => write!(f, "{view}"),
            Query::Highlight(ids) => {
                f.write_str("sample_id.astype('str').isin([")?;
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write_str_literal(f, id)?;
                }
                f.write_str("])")
            }
            Query::ProjectionSelection(token) => write!(f, "@projection_selection {token}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_minimal_parentheses() {
        let e = Expr::col("a")
            .or(Expr::col("b"))
            .and(Expr::col("c").or(Expr::col("d")).negate());
        assert_eq!(e.to_string(), "(a or b) and not (c or d)");
        let sum = Expr::Arith(
            ArithOp::Sub,
            Box::new(Expr::col("a")),
            Box::new(Expr::Arith(
                ArithOp::Sub,
                Box::new(Expr::col("b")),
                Box::new(Expr::lit(1i64)),
            )),
        );
        assert_eq!(sum.to_string(), "a - (b - 1)");
    }

    #[test]
    fn quotes_names_that_are_not_plain() {
        assert_eq!(Expr::col("my col").to_string(), "`my col`");
        assert_eq!(Expr::col("and").to_string(), "`and`");
        assert_eq!(Expr::col("a`b").to_string(), "`a``b`");
        assert_eq!(
            Expr::Tag("needs review".into()).to_string(),
            "tag:\"needs review\""
        );
        assert_eq!(Expr::lit("say \"hi\"").to_string(), "\"say \\\"hi\\\"\"");
        assert_eq!(Expr::lit(1.0).to_string(), "1.0");
    }

    #[test]
    fn prints_views() {
        let v = ViewSpec {
            filter: Some(Expr::col("loss").cmp(CmpOp::Gt, Expr::lit(0.5))),
            sort: vec![SortKey {
                column: "loss".into(),
                descending: true,
            }],
            limit: Some(Limit::Head(10)),
            scope: Scope::Subset,
            window: Some((0, 50)),
        };
        assert_eq!(
            Query::View(v).to_string(),
            "loss > 0.5 sortby loss desc scope:subset head:10 start:0 count:50"
        );
        assert_eq!(Query::View(ViewSpec::default()).to_string(), "scope:global");
    }
}
