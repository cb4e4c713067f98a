//! Property tests: no input makes `parse` panic, and printing any AST then parsing it gives
//! the same AST back.

use proptest::prelude::*;

use crate::ast::{ArithOp, CmpOp, Expr, Limit, Query, Scope, SortKey, Value, ViewSpec};
use crate::parse;

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_][a-z0-9_]{0,8}",
        // Names that must be quoted: spaces, keywords, punctuation, backticks, unicode.
        Just("and".to_owned()),
        Just("index".to_owned()),
        Just("head".to_owned()),
        Just("True".to_owned()),
        Just("df".to_owned()),
        ".{0,10}",
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::Int),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Value::Float),
        ".{0,10}".prop_map(Value::Str),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ]
}

fn cmp_op() -> impl Strategy<Value = CmpOp> {
    prop_oneof![
        Just(CmpOp::Eq),
        Just(CmpOp::Ne),
        Just(CmpOp::Lt),
        Just(CmpOp::Le),
        Just(CmpOp::Gt),
        Just(CmpOp::Ge),
    ]
}

fn arith_op() -> impl Strategy<Value = ArithOp> {
    prop_oneof![
        Just(ArithOp::Add),
        Just(ArithOp::Sub),
        Just(ArithOp::Mul),
        Just(ArithOp::Div),
    ]
}

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        name().prop_map(Expr::Column),
        value().prop_map(Expr::Literal),
        ".{1,8}".prop_map(Expr::Tag),
    ];
    leaf.prop_recursive(5, 48, 4, |inner| {
        let b = || inner.clone().prop_map(Box::new);
        prop_oneof![
            (cmp_op(), b(), b()).prop_map(|(op, l, r)| Expr::Compare(op, l, r)),
            (b(), b()).prop_map(|(l, r)| Expr::And(l, r)),
            (b(), b()).prop_map(|(l, r)| Expr::Or(l, r)),
            b().prop_map(Expr::Not),
            (b(), prop::collection::vec(value(), 0..4)).prop_map(|(e, v)| Expr::IsIn(e, v)),
            (b(), value(), value()).prop_map(|(e, lo, hi)| Expr::Between(e, lo, hi)),
            (b(), ".{0,6}").prop_map(|(e, s)| Expr::Contains(e, s)),
            (b(), ".{0,6}").prop_map(|(e, s)| Expr::StartsWith(e, s)),
            (b(), ".{0,6}").prop_map(|(e, s)| Expr::EndsWith(e, s)),
            (arith_op(), b(), b()).prop_map(|(op, l, r)| Expr::Arith(op, l, r)),
            b().prop_map(Expr::IsNull),
        ]
    })
}

fn view() -> impl Strategy<Value = ViewSpec> {
    let sort = prop::collection::vec((name(), any::<bool>()), 0..4).prop_map(|keys| {
        let mut out: Vec<SortKey> = Vec::new();
        for (column, descending) in keys {
            if !out.iter().any(|k| k.column == column) {
                out.push(SortKey { column, descending });
            }
        }
        out
    });
    let limit = prop_oneof![
        Just(None),
        any::<usize>().prop_map(|n| Some(Limit::Head(n))),
        any::<usize>().prop_map(|n| Some(Limit::Tail(n))),
    ];
    let scope = prop_oneof![Just(Scope::Global), Just(Scope::Subset), Just(Scope::View)];
    (
        prop::option::of(expr()),
        sort,
        limit,
        scope,
        prop::option::of((any::<usize>(), any::<usize>())),
    )
        .prop_map(|(filter, sort, limit, scope, window)| ViewSpec {
            filter,
            sort,
            limit,
            scope,
            window,
        })
}

fn query() -> impl Strategy<Value = Query> {
    prop_oneof![
        Just(Query::CountOnly),
        Just(Query::Reset),
        Just(Query::Overview),
        view().prop_map(Query::View),
        prop::collection::vec(".{0,8}", 0..5).prop_map(Query::Highlight),
        "[A-Za-z0-9_-]{1,12}".prop_map(Query::ProjectionSelection),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_text_parses_or_errors_without_panicking(text in ".{0,80}", nl in any::<bool>()) {
        if let Err(e) = parse(&text, nl) {
            prop_assert!(!e.message.is_empty());
            prop_assert!(e.position.is_none_or(|p| p <= text.chars().count()));
        }
    }

    #[test]
    fn query_like_text_parses_or_errors_without_panicking(
        text in "([a-z_]{1,6}|[0-9.e-]{1,4}|[ ()\\[\\]'\"`.,:=<>!&|~@*/+-]|and|or|not|in|sortby|df|tag:|scope:|count:|between|is|null|@reset| ){0,24}",
        nl in any::<bool>(),
    ) {
        if let Err(e) = parse(&text, nl) {
            prop_assert!(e.position.is_none_or(|p| p <= text.chars().count()));
        }
    }

    #[test]
    fn printed_queries_parse_back_to_the_same_query(q in query()) {
        let text = q.to_string();
        prop_assert_eq!(parse(&text, false), Ok(q), "printed as {}", text);
    }

    #[test]
    fn columns_are_unique(q in query()) {
        let cols = q.columns();
        for (i, c) in cols.iter().enumerate() {
            prop_assert!(!cols[..i].contains(c));
        }
    }
}
