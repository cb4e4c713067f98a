//! End-to-end behaviour of the table through its public API: the reference scenario, every
//! edit type, views and paging, restart.
#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

mod common;

use common::*;
use proptest::prelude::*;
use weightslab_table::{
    Counts, Edit, Intent, MetaValue, SampleRef, SampleTable, TableError, TagMode,
};

#[test]
fn reference_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let table = reference(dir.path());
    assert_eq!(table.splits(), vec!["test"]);
    table
        .apply_edit(tag(&["1"], "focus", TagMode::Add))
        .unwrap();
    assert_eq!(table.tags(), vec!["focus"]);
    table
        .apply_edit(Edit::Discard {
            targets: ids(&["2"]),
            discarded: true,
        })
        .unwrap();
    let c = table.counts();
    assert_eq!((c.total, c.in_loop, c.discarded), (3, 2, 1));
    assert_eq!(query(&table, "sortby loss desc"), vec!["2", "3", "1"]);
    assert!(!table.is_subview());
    table.apply_query(&weightslab_query::Query::Reset).unwrap();
    assert_eq!(query(&table, "loss > 0.4"), vec!["2", "3"]);
    assert!(table.is_subview());
    assert_eq!(table.counts().in_view, 2);
    assert_eq!(&*table.in_loop_rows("test"), &[0, 2]);
}

#[test]
fn tag_add_is_idempotent_never_a_toggle() {
    let dir = tempfile::tempdir().unwrap();
    let table = reference(dir.path());
    let first = table
        .apply_edit(tag(&["1", "2"], "focus", TagMode::Add))
        .unwrap();
    let again = table
        .apply_edit(tag(&["1", "2"], "focus", TagMode::Add))
        .unwrap();
    assert_eq!((first.rows_changed, again.rows_changed), (2, 0));
    assert_eq!(table.rows_with_tags(&["focus".into()]), vec![0, 1]);
}

/// Every edit type: the edit, the rows it should change, and a check of the result.
#[test]
fn every_edit_type() {
    type Check = fn(&SampleTable);
    /// Name, setup edits, the edit, rows it changes or the error variant, a check after.
    type Case = (
        &'static str,
        Vec<Edit>,
        Edit,
        Result<usize, &'static str>,
        Check,
    );
    let cases: Vec<Case> = vec![
        (
            "tag add",
            vec![],
            tag(&["1", "3"], "a", TagMode::Add),
            Ok(2),
            |t| {
                assert_eq!(t.rows_with_tags(&["a".into()]), vec![0, 2]);
            },
        ),
        (
            "tag remove",
            vec![tag(&["1", "3"], "a", TagMode::Add)],
            tag(&["1", "2"], "a", TagMode::Remove),
            Ok(1),
            |t| {
                assert_eq!(t.rows_with_tags(&["a".into()]), vec![2]);
            },
        ),
        (
            "tag set false",
            vec![tag(&["1"], "a", TagMode::Add)],
            tag(&["1"], "a", TagMode::Set(false)),
            Ok(1),
            |t| {
                assert!(t.rows_with_tags(&["a".into()]).is_empty());
                assert_eq!(t.tags(), vec!["a"]);
            },
        ),
        (
            "tag bad id changes nothing",
            vec![],
            tag(&["1", "nope"], "a", TagMode::Add),
            Err("UnknownSamples"),
            |t| {
                assert!(t.tags().is_empty());
            },
        ),
        (
            "discard",
            vec![],
            Edit::Discard {
                targets: ids(&["2", "3"]),
                discarded: true,
            },
            Ok(2),
            |t| {
                assert_eq!(t.counts().discarded, 2);
                assert_eq!(&*t.in_loop_rows(""), &[0]);
            },
        ),
        (
            "restore",
            vec![Edit::Discard {
                targets: ids(&["2"]),
                discarded: true,
            }],
            Edit::Discard {
                targets: ids(&["2", "3"]),
                discarded: false,
            },
            Ok(1),
            |t| {
                assert_eq!(t.counts().discarded, 0);
            },
        ),
        (
            "discard bad id changes nothing",
            vec![],
            Edit::Discard {
                targets: ids(&["2", "x"]),
                discarded: true,
            },
            Err("UnknownSamples"),
            |t| {
                assert_eq!(t.counts().discarded, 0);
            },
        ),
        (
            "register tag",
            vec![],
            Edit::RegisterTag("empty".into()),
            Ok(0),
            |t| {
                assert_eq!(t.tags(), vec!["empty"]);
                assert!(t.columns().contains(&"tag:empty".to_string()));
            },
        ),
        (
            "delete tag",
            vec![tag(&["1"], "a", TagMode::Add)],
            Edit::DeleteTag("a".into()),
            Ok(1),
            |t| {
                assert!(t.tags().is_empty());
            },
        ),
        (
            "delete unknown tag",
            vec![],
            Edit::DeleteTag("ghost".into()),
            Err("UnknownColumn"),
            |_| {},
        ),
        (
            "discard by tag",
            vec![tag(&["1", "3"], "a", TagMode::Add)],
            Edit::DiscardByTag {
                tag: "a".into(),
                discarded: true,
            },
            Ok(2),
            |t| {
                assert_eq!(&*t.in_loop_rows("test"), &[1]);
            },
        ),
        (
            "copy builtin",
            vec![],
            Edit::CopyColumn {
                from: "loss".into(),
                to: None,
            },
            Ok(3),
            |t| {
                assert_eq!(t.metadata_columns(), vec!["loss_copy"]);
                assert_eq!(
                    t.row(1).unwrap().metadata[0].1,
                    MetaValue::Float(f64::from(0.8f32))
                );
            },
        ),
        (
            "copy metadata twice",
            vec![
                Edit::CopyColumn {
                    from: "loss".into(),
                    to: Some("l".into()),
                },
                Edit::CopyColumn {
                    from: "l".into(),
                    to: None,
                },
            ],
            Edit::CopyColumn {
                from: "l".into(),
                to: None,
            },
            Ok(3),
            |t| {
                assert_eq!(t.metadata_columns(), vec!["l", "l_copy", "l_copy2"]);
            },
        ),
        (
            "copy onto existing",
            vec![Edit::CopyColumn {
                from: "loss".into(),
                to: Some("l".into()),
            }],
            Edit::CopyColumn {
                from: "label".into(),
                to: Some("l".into()),
            },
            Err("AlreadyExists"),
            |_| {},
        ),
        (
            "copy tag",
            vec![tag(&["2"], "a", TagMode::Add)],
            Edit::CopyColumn {
                from: "tag:a".into(),
                to: None,
            },
            Ok(1),
            |t| {
                assert_eq!(t.rows_with_tags(&["a_copy".into()]), vec![1]);
            },
        ),
        (
            "delete metadata",
            vec![Edit::CopyColumn {
                from: "loss".into(),
                to: Some("l".into()),
            }],
            Edit::DeleteColumn("l".into()),
            Ok(0),
            |t| {
                assert!(t.metadata_columns().is_empty());
            },
        ),
        (
            "delete builtin refused",
            vec![],
            Edit::DeleteColumn("loss".into()),
            Err("InvalidEdit"),
            |_| {},
        ),
        (
            "set values",
            vec![],
            Edit::SetValues {
                column: "note".into(),
                targets: ids(&["1", "3"]),
                values: vec![MetaValue::Str("a".into()), MetaValue::Str("b".into())],
            },
            Ok(2),
            |t| {
                assert_eq!(
                    t.row(2).unwrap().metadata,
                    vec![("note".to_string(), MetaValue::Str("b".into()))]
                );
                assert_eq!(
                    t.row(1).unwrap().metadata,
                    vec![("note".to_string(), MetaValue::Null)]
                );
            },
        ),
        (
            "set values bad id",
            vec![],
            Edit::SetValues {
                column: "n".into(),
                targets: ids(&["1", "zz"]),
                values: vec![MetaValue::Int(1)],
            },
            Err("UnknownSamples"),
            |t| {
                assert!(t.metadata_columns().is_empty());
            },
        ),
    ];
    for (name, setup, edit, expected, check) in cases {
        let dir = tempfile::tempdir().unwrap();
        let table = reference(dir.path());
        for s in setup {
            table
                .apply_edit(s)
                .unwrap_or_else(|e| panic!("{name}: setup failed: {e}"));
        }
        match (table.apply_edit(edit), expected) {
            (Ok(outcome), Ok(rows)) => {
                assert_eq!(outcome.rows_changed, rows, "{name}: {}", outcome.message)
            }
            (Err(e), Err(variant)) => {
                assert!(format!("{e:?}").starts_with(variant), "{name}: got {e:?}")
            }
            (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
        }
        check(&table);
    }
}

#[test]
fn unknown_ids_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    let table = reference(dir.path());
    let many: Vec<String> = (100..130).map(|i| i.to_string()).collect();
    let refs: Vec<&str> = many.iter().map(String::as_str).collect();
    let err = table.apply_edit(tag(&refs, "x", TagMode::Add)).unwrap_err();
    let TableError::UnknownSamples { ids, total } = err else {
        panic!("wrong error")
    };
    assert_eq!((ids.len(), total), (10, 30));
}

#[test]
fn queries_report_unknown_columns_and_type_errors() {
    let dir = tempfile::tempdir().unwrap();
    let table = reference(dir.path());
    let q = weightslab_query::parse("los > 1", false).unwrap();
    let TableError::UnknownColumn { suggestions, .. } = table.apply_query(&q).unwrap_err() else {
        panic!("wrong error")
    };
    assert!(suggestions.contains(&"loss".to_string()));
    let q = weightslab_query::parse("origin > 3", false).unwrap();
    assert!(matches!(
        table.apply_query(&q),
        Err(TableError::InvalidQuery { .. })
    ));
    // A failed query leaves the view alone.
    assert_eq!(table.counts().in_view, 3);
}

#[test]
fn query_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let table = reference(dir.path());
    table
        .apply_edit(tag(&["3"], "focus", TagMode::Add))
        .unwrap();
    let out = table
        .apply_query(&weightslab_query::parse("", false).unwrap())
        .unwrap();
    assert_eq!(
        out.counts,
        Counts {
            in_view: 3,
            total: 3,
            in_loop: 3,
            discarded: 0
        }
    );
    let out = table
        .apply_query(&weightslab_query::parse("@overview", true).unwrap())
        .unwrap();
    let Intent::Analysis(text) = out.intent else {
        panic!("overview is an analysis")
    };
    assert!(text.contains("1. test/2 loss 0.8"), "{text}");
    let out = table
        .apply_query(
            &weightslab_query::parse("sample_id.astype('str').isin(['1', '9'])", false).unwrap(),
        )
        .unwrap();
    assert_eq!(out.highlight, vec!["1"]);
    assert_eq!(query(&table, "tag:focus"), vec!["3"]);
    // A tag nobody carries selects nothing, rather than failing as an unknown column.
    assert!(query(&table, "tag:nobody").is_empty());
    assert_eq!(query(&table, "not tag:nobody").len(), 3);
    table.apply_query(&weightslab_query::Query::Reset).unwrap();
    assert_eq!(
        query(&table, "sample_id contains \"2\" or loss < 0.3"),
        vec!["1", "2"]
    );
    table.apply_query(&weightslab_query::Query::Reset).unwrap();
    assert_eq!(
        query(&table, "label.isin([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])").len(),
        3
    );
}

#[test]
fn the_view_summary_names_what_each_query_left_in_force() {
    let dir = tempfile::tempdir().unwrap();
    let table = reference(dir.path());
    assert_eq!(table.view_summary().filters, Vec::<String>::new());
    assert_eq!(query(&table, "loss > 0.3"), vec!["2", "3"]);
    // A sort alone re-sorts the filtered rows: the filter stays in force, and says so.
    assert_eq!(query(&table, "sortby loss desc"), vec!["2", "3"]);
    let summary = table.view_summary();
    assert_eq!(summary.filters, vec!["loss > 0.3"]);
    assert_eq!(summary.sort, vec![("loss".to_string(), true)]);
    assert_eq!(summary.limit, None);
    assert_eq!(summary.counts.in_view, 2);
    assert_eq!(query(&table, "sortby loss asc head:1"), vec!["3"]);
    assert_eq!(table.view_summary().limit.as_deref(), Some("head:1"));
    // A new filter replaces the view: its sort and limit go with the old filter.
    assert_eq!(query(&table, "loss < 0.6"), vec!["1", "3"]);
    let summary = table.view_summary();
    assert_eq!(summary.filters, vec!["loss < 0.6"]);
    assert!(summary.sort.is_empty() && summary.limit.is_none());
    table.apply_query(&weightslab_query::Query::Reset).unwrap();
    assert_eq!(table.view_summary().counts.in_view, 3);
}

#[test]
fn edits_refresh_the_view_and_deleted_columns_reset_it() {
    let dir = tempfile::tempdir().unwrap();
    let table = reference(dir.path());
    table
        .apply_edit(tag(&["1", "2"], "focus", TagMode::Add))
        .unwrap();
    assert_eq!(query(&table, "tag:focus"), vec!["1", "2"]);
    table
        .apply_edit(tag(&["1"], "focus", TagMode::Remove))
        .unwrap();
    assert_eq!(table.counts().in_view, 1);
    table.apply_edit(Edit::DeleteTag("focus".into())).unwrap();
    assert_eq!(table.counts().in_view, 3);
    assert!(!table.is_subview());
}

#[test]
fn refresh_view_picks_up_new_losses() {
    let dir = tempfile::tempdir().unwrap();
    let table = reference(dir.path());
    assert_eq!(query(&table, "sortby loss desc"), vec!["2", "3", "1"]);
    table.record_signals(&[signal(0, 9.0)]);
    assert_eq!(table.page(0, 1)[0].sample_id, "2");
    table.refresh_view();
    assert_eq!(table.page(0, 1)[0].sample_id, "1");
    assert_eq!(table.row(0).unwrap().encounters, 2);
    assert!(table.row(3).is_none());
}

#[test]
fn restart_restores_tags_discards_metadata_and_signals() {
    let dir = tempfile::tempdir().unwrap();
    {
        let table = reference(dir.path());
        table
            .apply_edit(tag(&["1"], "focus", TagMode::Add))
            .unwrap();
        table.apply_edit(Edit::RegisterTag("later".into())).unwrap();
        table.compact().unwrap();
        // After the compaction: these live only in the journal.
        table
            .apply_edit(Edit::Discard {
                targets: ids(&["2"]),
                discarded: true,
            })
            .unwrap();
        table
            .apply_edit(Edit::SetValues {
                column: "score".into(),
                targets: ids(&["3"]),
                values: vec![MetaValue::Float(f64::NAN)],
            })
            .unwrap();
        table
            .apply_edit(Edit::CopyColumn {
                from: "score".into(),
                to: None,
            })
            .unwrap();
    }
    let table = open(dir.path(), seeds(&["1", "2", "3"], "test"));
    assert_eq!(table.tags(), vec!["focus", "later"]);
    assert_eq!(table.rows_with_tags(&["focus".into()]), vec![0]);
    assert_eq!(table.counts().discarded, 1);
    assert_eq!(table.metadata_columns(), vec!["score", "score_copy"]);
    assert!(matches!(table.row(2).unwrap().metadata[0].1, MetaValue::Float(x) if x.is_nan()));
    // Signals were saved by the compaction.
    assert_eq!(table.row(1).unwrap().loss, Some(0.8));
    // A second restart after compacting everything reads the same.
    table.compact().unwrap();
    drop(table);
    let table = open(dir.path(), seeds(&["1", "2", "3"], "test"));
    assert_eq!(table.counts().discarded, 1);
    assert_eq!(table.metadata_columns(), vec!["score", "score_copy"]);
}

#[test]
fn foreign_files_are_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    {
        let table = reference(dir.path());
        table
            .apply_edit(tag(&["1"], "focus", TagMode::Add))
            .unwrap();
        table.compact().unwrap();
    }
    let other = SampleTable::open(
        seeds(&["1", "2", "3"], "test"),
        weightslab_table::TableOptions::new(dir.path(), "another"),
    )
    .unwrap();
    assert!(other.tags().is_empty());
    let moved = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".old"))
        .count();
    assert_eq!(moved, 2);
}

#[test]
fn export_import_round_trip_is_durable() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    {
        let table = reference(dir.path());
        table
            .apply_edit(tag(&["2"], "focus", TagMode::Add))
            .unwrap();
        table
            .apply_edit(Edit::Discard {
                targets: ids(&["3"]),
                discarded: true,
            })
            .unwrap();
        table.export_state(&state).unwrap();
        table.apply_edit(Edit::DeleteTag("focus".into())).unwrap();
        table
            .apply_edit(Edit::Discard {
                targets: ids(&["3"]),
                discarded: false,
            })
            .unwrap();
        table.import_state(&state).unwrap();
    }
    let table = open(dir.path(), seeds(&["1", "2", "3"], "test"));
    assert_eq!(table.rows_with_tags(&["focus".into()]), vec![1]);
    assert_eq!(&*table.in_loop_rows(""), &[0, 1]);
}

#[test]
fn histogram_of_origin_and_loss() {
    let dir = tempfile::tempdir().unwrap();
    let table = reference(dir.path());
    let h = table.histogram("origin", 0).unwrap();
    assert!(h.is_categorical);
    assert_eq!(h.categorical_bars[0].count, 3);
    let h = table.histogram("loss", 3).unwrap();
    assert_eq!(
        h.bins.iter().map(|b| b.count).collect::<Vec<_>>(),
        vec![1, 1, 1]
    );
    assert!(matches!(
        table.histogram("nope", 0),
        Err(TableError::UnknownColumn { .. })
    ));
}

#[test]
fn ids_shared_across_origins() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = seeds(&["1", "2"], "train");
    s.extend(seeds(&["1"], "val"));
    let table = open(dir.path(), s);
    assert_eq!(table.splits(), vec!["train", "val"]);
    assert_eq!(table.row_of("val", "1"), Some(2));
    assert_eq!(table.row_of("", "1"), Some(0));
    table
        .apply_edit(Edit::Tag {
            targets: vec![SampleRef::new("val", "1")],
            tag: "v".into(),
            mode: TagMode::Add,
        })
        .unwrap();
    assert_eq!(table.rows_with_tags(&["v".into()]), vec![2]);
    assert_eq!(&*table.in_loop_rows("val"), &[2]);
    assert!(table.in_loop_rows("nope").is_empty());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Pages of any size concatenate to the full sorted view, whatever the losses.
    #[test]
    fn pages_concatenate_to_the_view(losses in proptest::collection::vec(proptest::option::of(0.0f32..10.0), 1..60), page in 1usize..17, desc in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let names: Vec<String> = (0..losses.len()).map(|i| i.to_string()).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let table = open(dir.path(), seeds(&refs, "train"));
        let updates: Vec<_> = losses.iter().enumerate().filter_map(|(i, l)| l.map(|l| signal(i as u32, l))).collect();
        table.record_signals(&updates);
        let order = if desc { "desc" } else { "asc" };
        let full = query(&table, &format!("sortby loss {order}"));
        let mut paged = Vec::new();
        let mut start = 0;
        loop {
            let chunk = table.page(start, page);
            if chunk.is_empty() { break; }
            start += chunk.len();
            paged.extend(chunk.into_iter().map(|r| r.sample_id));
        }
        prop_assert_eq!(&paged, &full);
        prop_assert_eq!(paged.len(), losses.len());
        // Seen rows come sorted (stable: ties by row), unseen rows last.
        let key = |id: &String| losses[id.parse::<usize>().unwrap()];
        let seen: Vec<f32> = paged.iter().filter_map(key).collect();
        let mut sorted = seen.clone();
        sorted.sort_by(|a, b| if desc { b.total_cmp(a) } else { a.total_cmp(b) });
        prop_assert_eq!(seen, sorted);
        let first_unseen = paged.iter().position(|id| key(id).is_none()).unwrap_or(paged.len());
        prop_assert!(paged[first_unseen..].iter().all(|id| key(id).is_none()));
    }
}

#[test]
fn the_table_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SampleTable>();
    let dir = tempfile::tempdir().unwrap();
    let table = std::sync::Arc::new(reference(dir.path()));
    let writers: Vec<_> = (0..4)
        .map(|k| {
            let table = table.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    table.record_signals(&[signal((i % 3) as u32, k as f32)]);
                    let id = ((i % 3) + 1).to_string();
                    table
                        .apply_edit(tag(&[id.as_str()], &format!("t{k}"), TagMode::Add))
                        .unwrap();
                    let _ = table.page(0, 2);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(table.tags(), vec!["t0", "t1", "t2", "t3"]);
    assert_eq!(table.row(0).unwrap().encounters, 1 + 4 * 4);
}
