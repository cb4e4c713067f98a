//! Table-driven tests of the intent parser.

use super::parse_intent;
use crate::ast::{CmpOp, Expr, Limit, Query, SortKey, Value, ViewSpec};

fn wrong() -> Expr {
    Expr::col("prediction").cmp(CmpOp::Ne, Expr::col("label"))
}

fn origin(v: &str) -> Expr {
    Expr::col("origin").cmp(CmpOp::Eq, Expr::lit(v))
}

fn key(column: &str, descending: bool) -> SortKey {
    SortKey {
        column: column.into(),
        descending,
    }
}

fn view(filter: Option<Expr>, sort: Vec<SortKey>, limit: Option<Limit>) -> Query {
    Query::View(ViewSpec {
        filter,
        sort,
        limit,
        ..ViewSpec::default()
    })
}

#[test]
fn understands_the_documented_phrases() {
    let not_discarded = Expr::col("discarded").negate();
    let cases: Vec<(&str, Query)> = vec![
        (
            "show the 100 highest-loss samples",
            view(None, vec![key("loss", true)], Some(Limit::Head(100))),
        ),
        ("lowest loss", view(None, vec![key("loss", false)], None)),
        (
            "top 20 by confidence",
            view(None, vec![key("confidence", true)], Some(Limit::Head(20))),
        ),
        (
            "hide discarded",
            view(Some(not_discarded.clone()), vec![], None),
        ),
        (
            "only samples in the loop",
            view(Some(not_discarded.clone()), vec![], None),
        ),
        (
            "show discarded",
            view(Some(Expr::col("discarded")), vec![], None),
        ),
        (
            "only digit 7 from val",
            view(
                Some(
                    Expr::col("label")
                        .cmp(CmpOp::Eq, Expr::lit(7i64))
                        .and(origin("val")),
                ),
                vec![],
                None,
            ),
        ),
        (
            "label 7",
            view(
                Some(Expr::col("label").cmp(CmpOp::Eq, Expr::lit(7i64))),
                vec![],
                None,
            ),
        ),
        (
            "class 3",
            view(
                Some(Expr::col("label").cmp(CmpOp::Eq, Expr::lit(3i64))),
                vec![],
                None,
            ),
        ),
        (
            "samples the model gets wrong",
            view(Some(wrong()), vec![], None),
        ),
        ("misclassified", view(Some(wrong()), vec![], None)),
        ("Errors", view(Some(wrong()), vec![], None)),
        (
            "correct ones",
            view(
                Some(Expr::col("prediction").cmp(CmpOp::Eq, Expr::col("label"))),
                vec![],
                None,
            ),
        ),
        (
            "sort by confidence",
            view(None, vec![key("confidence", false)], None),
        ),
        (
            "sort by loss descending",
            view(None, vec![key("loss", true)], None),
        ),
        (
            "most confident",
            view(None, vec![key("confidence", true)], None),
        ),
        (
            "least confident",
            view(None, vec![key("confidence", false)], None),
        ),
        (
            "tagged hard",
            view(Some(Expr::Tag("hard".into())), vec![], None),
        ),
        (
            "with tag hard",
            view(Some(Expr::Tag("hard".into())), vec![], None),
        ),
        (
            "not tagged hard",
            view(Some(Expr::Tag("hard".into()).negate()), vec![], None),
        ),
        (
            "loss above 0.5",
            view(
                Some(Expr::col("loss").cmp(CmpOp::Gt, Expr::lit(0.5))),
                vec![],
                None,
            ),
        ),
        (
            "loss below 0.1",
            view(
                Some(Expr::col("loss").cmp(CmpOp::Lt, Expr::lit(0.1))),
                vec![],
                None,
            ),
        ),
        (
            "loss greater than 2",
            view(
                Some(Expr::col("loss").cmp(CmpOp::Gt, Expr::lit(2i64))),
                vec![],
                None,
            ),
        ),
        (
            "confidence of at least 0.9",
            view(
                Some(Expr::col("confidence").cmp(CmpOp::Ge, Expr::lit(0.9))),
                vec![],
                None,
            ),
        ),
        (
            "more than 5 encounters",
            view(
                Some(Expr::col("encounters").cmp(CmpOp::Gt, Expr::lit(5i64))),
                vec![],
                None,
            ),
        ),
        (
            "loss between 0.2 and 0.5",
            view(
                Some(Expr::Between(
                    Box::new(Expr::col("loss")),
                    Value::Float(0.2),
                    Value::Float(0.5),
                )),
                vec![],
                None,
            ),
        ),
        (
            "digits 3 or 5",
            view(
                Some(Expr::IsIn(
                    Box::new(Expr::col("label")),
                    vec![Value::Int(3), Value::Int(5)],
                )),
                vec![],
                None,
            ),
        ),
        ("from train", view(Some(origin("train")), vec![], None)),
        (
            "in the validation set",
            view(Some(origin("val")), vec![], None),
        ),
        (
            "not from test",
            view(Some(origin("test").negate()), vec![], None),
        ),
        (
            "likely mislabeled",
            view(None, vec![key("label_issue", true)], None),
        ),
        (
            "label issues",
            view(None, vec![key("label_issue", true)], None),
        ),
        (
            "misclassified from val sorted by loss desc",
            view(
                Some(wrong().and(origin("val"))),
                vec![key("loss", true)],
                None,
            ),
        ),
        ("first 10", view(None, vec![], Some(Limit::Head(10)))),
        ("show 50 samples", view(None, vec![], Some(Limit::Head(50)))),
        (
            "hardest 10",
            view(None, vec![key("loss", true)], Some(Limit::Head(10))),
        ),
        ("reset", Query::Reset),
        ("show all", Query::Reset),
        ("Clear filters", Query::Reset),
        ("overview", Query::Overview),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_intent(text).as_ref(), Ok(&expected), "{text}");
    }
}

#[test]
fn refuses_what_it_cannot_map_and_says_where() {
    for text in [
        "make me a sandwich",
        "loss",
        "highest",
        "tagged",
        "or",
        "show me",
        "not",
    ] {
        let e = parse_intent(text).unwrap_err();
        assert!(e.message.starts_with("could not understand"), "{text}: {e}");
        assert_eq!(e.example, "show the 100 highest-loss samples");
    }
    // An operator is not understood, rather than silently dropped.
    let e = parse_intent("misclassified > 3").unwrap_err();
    assert!(e.message.contains("'>'"), "{e}");
    assert!(parse_intent("label > 3 misclassified").is_err());
    let e = parse_intent("misclassified banana").unwrap_err();
    assert!(e.message.contains("'banana'"), "{e}");
    assert_eq!(e.position, Some(14));
}
