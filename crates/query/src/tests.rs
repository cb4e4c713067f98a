//! Table-driven tests of `parse` over every grammar, good and bad queries.

use crate::ast::{ArithOp, CmpOp, Expr, Limit, Query, Scope, SortKey, Value, ViewSpec};
use crate::parse;

fn col(name: &str) -> Expr {
    Expr::col(name)
}

fn filter(e: Expr) -> Query {
    Query::View(ViewSpec {
        filter: Some(e),
        ..ViewSpec::default()
    })
}

fn key(column: &str, descending: bool) -> SortKey {
    SortKey {
        column: column.into(),
        descending,
    }
}

fn ints(v: &[i64]) -> Vec<Value> {
    v.iter().map(|i| Value::Int(*i)).collect()
}

fn check(cases: Vec<(&str, Query)>, natural_language: bool) {
    for (text, expected) in cases {
        assert_eq!(
            parse(text, natural_language).as_ref(),
            Ok(&expected),
            "{text}"
        );
    }
}

#[test]
fn direct_filters() {
    let loss_gt = |x: f64| col("loss").cmp(CmpOp::Gt, Expr::lit(x));
    let label3 = col("label").cmp(CmpOp::Eq, Expr::lit(3i64));
    check(
        vec![
            (
                "loss > 0.7 and label == 3",
                filter(loss_gt(0.7).and(label3.clone())),
            ),
            (
                "loss > 0.7 && label = 3",
                filter(loss_gt(0.7).and(label3.clone())),
            ),
            (
                "loss >= 0.2 & loss <= 0.8",
                filter(
                    col("loss")
                        .cmp(CmpOp::Ge, Expr::lit(0.2))
                        .and(col("loss").cmp(CmpOp::Le, Expr::lit(0.8))),
                ),
            ),
            ("tag:hard", filter(Expr::Tag("hard".into()))),
            ("tags:hard", filter(Expr::Tag("hard".into()))),
            ("not tag:hard", filter(Expr::Tag("hard".into()).negate())),
            ("not discarded", filter(col("discarded").negate())),
            ("!discarded", filter(col("discarded").negate())),
            ("~discarded", filter(col("discarded").negate())),
            ("discarded", filter(col("discarded"))),
            (
                "origin == \"val\"",
                filter(col("origin").cmp(CmpOp::Eq, Expr::lit("val"))),
            ),
            (
                "origin == 'val'",
                filter(col("origin").cmp(CmpOp::Eq, Expr::lit("val"))),
            ),
            (
                "prediction != label",
                filter(col("prediction").cmp(CmpOp::Ne, col("label"))),
            ),
            (
                "prediction <> label",
                filter(col("prediction").cmp(CmpOp::Ne, col("label"))),
            ),
            (
                "loss between 0.2 and 0.5",
                filter(Expr::Between(
                    Box::new(col("loss")),
                    Value::Float(0.2),
                    Value::Float(0.5),
                )),
            ),
            (
                "loss not between -1 and 1 and label == 3",
                filter(
                    Expr::Between(Box::new(col("loss")), Value::Int(-1), Value::Int(1))
                        .negate()
                        .and(label3.clone()),
                ),
            ),
            (
                "label in [1, 2, 3]",
                filter(Expr::IsIn(Box::new(col("label")), ints(&[1, 2, 3]))),
            ),
            (
                "label in (1,2,3,)",
                filter(Expr::IsIn(Box::new(col("label")), ints(&[1, 2, 3]))),
            ),
            (
                "label in []",
                filter(Expr::IsIn(Box::new(col("label")), vec![])),
            ),
            (
                "label not in [1, 2]",
                filter(Expr::IsIn(Box::new(col("label")), ints(&[1, 2])).negate()),
            ),
            (
                "sample_id contains \"12\"",
                filter(Expr::Contains(Box::new(col("sample_id")), "12".into())),
            ),
            (
                "sample_id contains 12",
                filter(Expr::Contains(Box::new(col("sample_id")), "12".into())),
            ),
            (
                "sample_id startswith 'a'",
                filter(Expr::StartsWith(Box::new(col("sample_id")), "a".into())),
            ),
            (
                "sample_id endswith 'z'",
                filter(Expr::EndsWith(Box::new(col("sample_id")), "z".into())),
            ),
            (
                "`my col` > 1",
                filter(col("my col").cmp(CmpOp::Gt, Expr::lit(1i64))),
            ),
            ("`loss` > 0.5", filter(loss_gt(0.5))),
            ("loss > 1e-3", filter(loss_gt(0.001))),
            ("loss > 2E+2", filter(loss_gt(200.0))),
            ("loss > -0.5", filter(loss_gt(-0.5))),
            ("x == -3", filter(col("x").cmp(CmpOp::Eq, Expr::lit(-3i64)))),
            (
                "flag == true",
                filter(col("flag").cmp(CmpOp::Eq, Expr::lit(true))),
            ),
            (
                "flag == False",
                filter(col("flag").cmp(CmpOp::Eq, Expr::lit(false))),
            ),
            (
                "x == null",
                filter(col("x").cmp(CmpOp::Eq, Expr::Literal(Value::Null))),
            ),
            ("x is null", filter(Expr::IsNull(Box::new(col("x"))))),
            (
                "x is not None",
                filter(Expr::IsNull(Box::new(col("x"))).negate()),
            ),
            (
                "loss * 2 > 1",
                filter(
                    Expr::Arith(
                        ArithOp::Mul,
                        Box::new(col("loss")),
                        Box::new(Expr::lit(2i64)),
                    )
                    .cmp(CmpOp::Gt, Expr::lit(1i64)),
                ),
            ),
            (
                "a + b * c < 1",
                filter(
                    Expr::Arith(
                        ArithOp::Add,
                        Box::new(col("a")),
                        Box::new(Expr::Arith(
                            ArithOp::Mul,
                            Box::new(col("b")),
                            Box::new(col("c")),
                        )),
                    )
                    .cmp(CmpOp::Lt, Expr::lit(1i64)),
                ),
            ),
            (
                "-loss < 0",
                filter(
                    Expr::Arith(
                        ArithOp::Sub,
                        Box::new(Expr::lit(0i64)),
                        Box::new(col("loss")),
                    )
                    .cmp(CmpOp::Lt, Expr::lit(0i64)),
                ),
            ),
            // not > and > or
            (
                "a or b and not c",
                filter(col("a").or(col("b").and(col("c").negate()))),
            ),
            (
                "(a or b) and c",
                filter(col("a").or(col("b")).and(col("c"))),
            ),
            ("a || b | c", filter(col("a").or(col("b")).or(col("c")))),
            ("NOT a AND b", filter(col("a").negate().and(col("b")))),
            // pandas-style references and methods without df, as the column popover sends
            (
                "label.isin([1, 2])",
                filter(Expr::IsIn(Box::new(col("label")), ints(&[1, 2]))),
            ),
            (
                "`loss`.between(0.1, 0.2)",
                filter(Expr::Between(
                    Box::new(col("loss")),
                    Value::Float(0.1),
                    Value::Float(0.2),
                )),
            ),
            (
                "prediction.isna()",
                filter(Expr::IsNull(Box::new(col("prediction")))),
            ),
        ],
        false,
    );
}

#[test]
fn sortby_and_options() {
    let view = |filter: Option<Expr>, sort: Vec<SortKey>, scope: Scope, window| {
        Query::View(ViewSpec {
            filter,
            sort,
            limit: None,
            scope,
            window,
        })
    };
    let loss_gt = col("loss").cmp(CmpOp::Gt, Expr::lit(0.5));
    check(
        vec![
            (
                "sortby loss desc",
                view(None, vec![key("loss", true)], Scope::Global, None),
            ),
            (
                "sortby loss",
                view(None, vec![key("loss", false)], Scope::Global, None),
            ),
            (
                "sortby loss desc, label asc scope:subset start:20 count:10",
                view(
                    None,
                    vec![key("loss", true), key("label", false)],
                    Scope::Subset,
                    Some((20, 10)),
                ),
            ),
            (
                "sortby index asc scope:global start:0 count:50",
                view(
                    None,
                    vec![key("index", false)],
                    Scope::Global,
                    Some((0, 50)),
                ),
            ),
            (
                "SORTBY `my col` DESC scope:VIEW",
                view(None, vec![key("my col", true)], Scope::View, None),
            ),
            (
                "sortby target asc, prediction desc",
                view(
                    None,
                    vec![key("target", false), key("prediction", true)],
                    Scope::Global,
                    None,
                ),
            ),
            (
                "loss > 0.5 sortby loss desc",
                view(
                    Some(loss_gt.clone()),
                    vec![key("loss", true)],
                    Scope::Global,
                    None,
                ),
            ),
            (
                "loss > 0.5 | sortby loss desc",
                view(
                    Some(loss_gt.clone()),
                    vec![key("loss", true)],
                    Scope::Global,
                    None,
                ),
            ),
            (
                "loss > 0.5 sort by loss descending",
                view(Some(loss_gt), vec![key("loss", true)], Scope::Global, None),
            ),
            (
                "sortby scope:view start:0 count:5",
                view(None, vec![], Scope::View, Some((0, 5))),
            ),
            ("count:5", view(None, vec![], Scope::Global, Some((0, 5)))),
            (
                "a | b sortby a",
                view(
                    Some(col("a").or(col("b"))),
                    vec![key("a", false)],
                    Scope::Global,
                    None,
                ),
            ),
        ],
        false,
    );
    assert_eq!(
        parse("sortby loss desc head:10", false),
        Ok(Query::View(ViewSpec {
            sort: vec![key("loss", true)],
            limit: Some(Limit::Head(10)),
            ..ViewSpec::default()
        }))
    );
}

#[test]
fn commands_highlight_and_projection() {
    check(
        vec![
            ("", Query::CountOnly),
            ("   \n\t", Query::CountOnly),
            ("@reset", Query::Reset),
            ("  @RESET  ", Query::Reset),
            ("@overview", Query::Overview),
            (
                "@projection_selection abc123",
                Query::ProjectionSelection("abc123".into()),
            ),
            (
                "sample_id.astype('str').isin(['id1', 'id2'])",
                Query::Highlight(vec!["id1".into(), "id2".into()]),
            ),
            (
                "sample_id.astype(str).isin([3, \"x\"])",
                Query::Highlight(vec!["3".into(), "x".into()]),
            ),
            ("sample_id.astype('str').isin([])", Query::Highlight(vec![])),
        ],
        false,
    );
    assert_eq!(parse("@reset", true), Ok(Query::Reset));
    assert_eq!(parse("@overview", true), Ok(Query::Overview));
}

#[test]
fn pandas_subset() {
    let loss_gt = col("loss").cmp(CmpOp::Gt, Expr::lit(0.5));
    let view = |filter: Option<Expr>, sort: Vec<SortKey>, limit: Option<Limit>| {
        Query::View(ViewSpec {
            filter,
            sort,
            limit,
            ..ViewSpec::default()
        })
    };
    check(
        vec![
            (
                "@\"\"\"df[df['loss'] > 0.5]\"\"\"",
                view(Some(loss_gt.clone()), vec![], None),
            ),
            (
                "df[df['loss'] > 0.5]",
                view(Some(loss_gt.clone()), vec![], None),
            ),
            (
                "df[df.loss > 0.5]",
                view(Some(loss_gt.clone()), vec![], None),
            ),
            (
                "df.loc[df[\"loss\"] > 0.5]",
                view(Some(loss_gt.clone()), vec![], None),
            ),
            (
                "df.query(\"loss > 0.5\")",
                view(Some(loss_gt.clone()), vec![], None),
            ),
            (
                "df[(df['loss'] > 0.5) & ~df['discarded']]",
                view(
                    Some(loss_gt.clone().and(col("discarded").negate())),
                    vec![],
                    None,
                ),
            ),
            (
                "df[(df['a'] == 1) | (df['b'] == 2)]",
                view(
                    Some(
                        col("a")
                            .cmp(CmpOp::Eq, Expr::lit(1i64))
                            .or(col("b").cmp(CmpOp::Eq, Expr::lit(2i64))),
                    ),
                    vec![],
                    None,
                ),
            ),
            (
                "df[df['label'].isin([1, 2])]",
                view(
                    Some(Expr::IsIn(Box::new(col("label")), ints(&[1, 2]))),
                    vec![],
                    None,
                ),
            ),
            (
                "df[df['loss'].between(0.2, 0.5)]",
                view(
                    Some(Expr::Between(
                        Box::new(col("loss")),
                        Value::Float(0.2),
                        Value::Float(0.5),
                    )),
                    vec![],
                    None,
                ),
            ),
            (
                "df[df['sample_id'].str.contains('12', regex=False)]",
                view(
                    Some(Expr::Contains(Box::new(col("sample_id")), "12".into())),
                    vec![],
                    None,
                ),
            ),
            (
                "df[df['x'].isna()]",
                view(Some(Expr::IsNull(Box::new(col("x")))), vec![], None),
            ),
            (
                "df[df['x'].notna()]",
                view(
                    Some(Expr::IsNull(Box::new(col("x"))).negate()),
                    vec![],
                    None,
                ),
            ),
            (
                "df[df['loss'] > 0.5].sort_values('loss', ascending=False).head(10)",
                view(
                    Some(loss_gt.clone()),
                    vec![key("loss", true)],
                    Some(Limit::Head(10)),
                ),
            ),
            (
                "df.sort_values(by=['a', 'b'], ascending=[True, False])",
                view(None, vec![key("a", false), key("b", true)], None),
            ),
            (
                "df.sort_values(['a', 'b'], ascending=False)",
                view(None, vec![key("a", true), key("b", true)], None),
            ),
            (
                "df.sort_values('a').sort_values('b')",
                view(None, vec![key("b", false), key("a", false)], None),
            ),
            ("df.tail(3)", view(None, vec![], Some(Limit::Tail(3)))),
            ("df.head()", view(None, vec![], Some(Limit::Head(5)))),
            (
                "df.head(10).head(n=4)",
                view(None, vec![], Some(Limit::Head(4))),
            ),
            (
                "df.nlargest(10, 'loss')",
                view(None, vec![key("loss", true)], Some(Limit::Head(10))),
            ),
            (
                "df[df.loss > 0.5].nsmallest(n=3, columns='confidence')",
                view(
                    Some(loss_gt.clone()),
                    vec![key("confidence", false)],
                    Some(Limit::Head(3)),
                ),
            ),
            (
                "df[df['loss'] > 0.5][df['label'] == 3]",
                view(
                    Some(
                        loss_gt
                            .clone()
                            .and(col("label").cmp(CmpOp::Eq, Expr::lit(3i64))),
                    ),
                    vec![],
                    None,
                ),
            ),
        ],
        false,
    );
}

#[test]
fn natural_language_mode_prefers_formal_grammar_when_it_parses() {
    let loss_gt = col("loss").cmp(CmpOp::Gt, Expr::lit(0.5));
    assert_eq!(parse("loss > 0.5", true), Ok(filter(loss_gt)));
    assert_eq!(
        parse("sortby loss desc", true),
        Ok(Query::View(ViewSpec {
            sort: vec![key("loss", true)],
            ..ViewSpec::default()
        }))
    );
    // A plain word that is an intent wins over a column of that name...
    assert_eq!(
        parse("errors", true),
        Ok(filter(col("prediction").cmp(CmpOp::Ne, col("label"))))
    );
    // ...but an unknown plain word is still a boolean column.
    assert_eq!(parse("is_blurry", true), Ok(filter(col("is_blurry"))));
    // Without the flag, sentences are not intents.
    assert!(parse("show the 100 highest-loss samples", false).is_err());
    assert!(parse("show the 100 highest-loss samples", true).is_ok());
}

#[test]
fn bad_queries_are_explained_with_positions() {
    let cases: Vec<(&str, bool, &str, Option<usize>)> = vec![
        ("loss >", false, "ends where a column or value", Some(6)),
        (
            "loss > > 1",
            false,
            "expected a column or a value, found '>'",
            Some(7),
        ),
        ("(loss > 1", false, "expected ')'", Some(9)),
        ("loss > 1)", false, "unexpected ')'", Some(8)),
        ("a < b < c", false, "cannot be chained", Some(6)),
        (
            "loss between 1",
            false,
            "expected 'and' between the two bounds",
            Some(14),
        ),
        ("label in 1, 2", false, "expected a list", Some(9)),
        ("origin in [val]", false, "put text in quotes", Some(11)),
        ("x == 'abc", false, "missing its closing '", Some(5)),
        ("`abc > 1", false, "missing its closing `", Some(0)),
        ("and > 1", false, "keyword 'and'", Some(0)),
        ("loss # 1", false, "unexpected character '#'", Some(5)),
        ("x > 99999999999999999999", false, "out of range", Some(4)),
        ("tag:", false, "a tag name must follow", Some(0)),
        ("sortby", false, "sortby needs at least one column", Some(0)),
        (
            "sortby loss, ",
            false,
            "expected a column name after ','",
            Some(12),
        ),
        (
            "sortby loss scope:everywhere",
            false,
            "scope: must be global, subset or view",
            Some(18),
        ),
        (
            "sortby loss start:5",
            false,
            "start: needs count:",
            Some(19),
        ),
        (
            "sortby loss count:-1",
            false,
            "needs a whole number",
            Some(18),
        ),
        (
            "sortby loss head:1 tail:2",
            false,
            "either head: or tail:",
            Some(19),
        ),
        ("sortby a, a", false, "listed twice", Some(11)),
        ("@resett", false, "unknown command '@resett'", Some(0)),
        (
            "x.groupby('a')",
            false,
            "'.groupby' is not supported",
            Some(1),
        ),
        (
            "df.groupby('a')",
            false,
            "'.groupby' is not supported in the pandas subset",
            Some(3),
        ),
        ("df[['a', 'b']]", false, "selecting columns", Some(3)),
        ("df['loss']", false, "selects a column", Some(3)),
        (
            "df.head(3).sort_values('a')",
            false,
            "sorting after .head()",
            Some(11),
        ),
        (
            "df.head(3)[df.a > 1]",
            false,
            "filtering after .head()",
            Some(20),
        ),
        (
            "df.head(3).tail(2)",
            false,
            "mixing .head() and .tail()",
            Some(11),
        ),
        (
            "df.sort_values('a', key=abs)",
            false,
            "expected a value",
            Some(24),
        ),
        (
            "df.sort_values('a', na_position='first')",
            false,
            "na_position= of .sort_values()",
            Some(20),
        ),
        (
            "df.sort_values(['a', 'b'], ascending=[True])",
            false,
            "ascending has 1 values for 2 columns",
            Some(27),
        ),
        (
            "df.query(\"loss >\")",
            false,
            "ends where a column or value",
            Some(16),
        ),
        (
            "df[df['s'].str.contains('x', case=False)]",
            false,
            "case= of .str.contains",
            Some(29),
        ),
        (
            "df[df['s'].str.lower()]",
            false,
            "'.str.lower' is not supported",
            Some(15),
        ),
        (
            "sample_id.astype('int').isin([1])",
            false,
            "only astype('str')",
            Some(17),
        ),
        (
            "sample_id.astype('str').isin([1.5])",
            false,
            "sample ids must be text",
            None,
        ),
        (
            "make me a sandwich",
            true,
            "could not understand 'make'",
            Some(0),
        ),
        ("  loss >", false, "ends where a column or value", Some(8)),
    ];
    let mut wrong = Vec::new();
    for (text, nl, needle, position) in cases {
        match parse(text, nl) {
            Ok(q) => wrong.push(format!("{text}: accepted as {q:?}")),
            Err(e) => {
                if !e.message.contains(needle) || e.position != position {
                    wrong.push(format!("{text}: got {e} at {:?}", e.position));
                }
                // Every example offered must itself parse.
                if parse(&e.example, true).is_err() {
                    wrong.push(format!("{text}: example {} does not parse", e.example));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn hostile_input_is_refused_not_crashed() {
    let deep = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(
        parse(&deep, false)
            .unwrap_err()
            .message
            .contains("nests deeper")
    );
    let nots = format!("{}a", "not ".repeat(10_000));
    assert!(parse(&nots, false).is_err());
    let chain = vec!["a"; 5_000].join(" and ");
    assert!(
        parse(&chain, false)
            .unwrap_err()
            .message
            .contains("operators")
    );
    let minus = format!("{}1", "- ".repeat(10_000));
    assert!(parse(&minus, false).is_err());
}

#[test]
fn columns_lists_everything_referenced() {
    let q = parse(
        "(loss > 0.5 or prediction != label) and tag:hard | sortby confidence desc, index asc",
        false,
    )
    .unwrap();
    assert_eq!(
        q.columns(),
        vec!["loss", "prediction", "label", "confidence", "index"]
    );
    assert_eq!(q.tags(), vec!["hard"]);
}
