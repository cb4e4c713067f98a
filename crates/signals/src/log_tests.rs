//! Unit and property tests of `SignalLog` through its public methods.

use std::collections::HashSet;
use std::sync::Arc;

use proptest::prelude::*;

use super::*;
use crate::types::EvalMarker;

fn pt(metric: &str, run: &str, step: i64, value: f32) -> NewPoint {
    NewPoint {
        metric: metric.into(),
        experiment_hash: run.into(),
        step,
        value,
        timestamp: 1_700_000_000 + step,
        audit_mode: false,
        band: None,
        marker: None,
    }
}

fn marker(mut p: NewPoint) -> NewPoint {
    p.marker = Some(EvalMarker {
        split_name: "val".into(),
        tags: vec!["hard".into()],
    });
    p
}

fn query(max_points: usize) -> HistoryQuery {
    HistoryQuery {
        max_points,
        ..HistoryQuery::default()
    }
}

fn small_log() -> SignalLog {
    SignalLog::new(SignalLogConfig {
        max_points_per_curve: 16,
        max_sample_entries: 100,
        max_clients: 2,
    })
}

#[test]
fn signal_log_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<SignalLog>();
}

#[test]
fn curves_are_sorted_and_summarised() {
    let log = SignalLog::default();
    log.append_many(vec![
        pt("loss", "b", 1, 2.0),
        pt("acc", "a", 1, 0.5),
        pt("loss", "a", 3, f32::NAN),
        pt("loss", "a", 2, 4.0),
        pt("loss", "a", 5, 1.0),
    ]);
    let idx = log.curves();
    let names: Vec<_> = idx
        .iter()
        .map(|c| (c.metric.as_str(), c.experiment_hash.as_str()))
        .collect();
    assert_eq!(names, vec![("acc", "a"), ("loss", "a"), ("loss", "b")]);
    let la = &idx[1];
    assert_eq!((la.first_step, la.last_step, la.point_count), (2, 5, 3));
    assert_eq!((la.value_min, la.value_max), (1.0, 4.0));
    assert_eq!(log.position(), 5);
}

#[test]
fn history_returns_small_curves_whole_in_step_order() {
    let log = SignalLog::default();
    for s in [1, 2, 4, 3, 3] {
        log.append(pt("loss", "a", s, s as f32));
    }
    let h = log.history(&query(0));
    let steps: Vec<_> = h.iter().map(|p| p.step).collect();
    assert_eq!(steps, vec![1, 2, 3, 3, 4]);
    // Ties keep append order.
    assert!(h[2].seq < h[3].seq);
    assert_eq!(h[0].timestamp, 1_700_000_001);
}

#[test]
fn history_downsamples_and_keeps_specials() {
    let log = SignalLog::default();
    let mut batch = Vec::new();
    for s in 0..10_000 {
        let p = pt("loss", "a", s, (s % 97) as f32);
        batch.push(if s == 4321 { marker(p) } else { p });
    }
    log.append_many(batch);
    log.set_note("loss", "a", 777, "spike").unwrap();
    let h = log.history(&query(100));
    assert!(h.len() <= 100 + 4, "{}", h.len());
    assert_eq!(h.first().map(|p| p.step), Some(0));
    assert_eq!(h.last().map(|p| p.step), Some(9_999));
    let m = h.iter().find(|p| p.step == 4321).unwrap();
    assert_eq!(
        m.marker.as_ref().map(|m| m.split_name.as_str()),
        Some("val")
    );
    assert!(h.iter().any(|p| p.step == 777 && p.note == "spike"));
    assert!(h.iter().any(|p| p.value == 96.0) && h.iter().any(|p| p.value == 0.0));
}

#[test]
fn history_zoom_and_filters() {
    let log = SignalLog::default();
    for s in 0..100 {
        log.append_many(vec![
            pt("loss", "a", s, 1.0),
            pt("loss", "b", s, 2.0),
            pt("acc", "a", s, 3.0),
        ]);
    }
    let q = HistoryQuery {
        max_points: 1000,
        x_range: Some((60, 50)),
        metrics: vec!["loss".into()],
        experiment_hashes: vec!["b".into()],
    };
    let h = log.history(&q);
    assert_eq!(h.len(), 11);
    assert!(
        h.iter()
            .all(|p| p.metric == "loss" && p.experiment_hash == "b")
    );
    assert_eq!((h[0].step, h[10].step), (50, 60));
    let none = HistoryQuery {
        x_range: Some((500, 600)),
        ..query(10)
    };
    assert!(log.history(&none).is_empty());
}

#[test]
fn set_note_errors_name_what_exists() {
    let log = SignalLog::default();
    log.append(pt("loss", "a", 10, 1.0));
    log.append(pt("loss", "a", 20, 1.0));
    match log.set_note("loss", "a", 15, "x") {
        Err(SignalError::StepNotFound { before, after, .. }) => {
            assert_eq!((before, after), (Some(10), Some(20)));
        }
        other => panic!("unexpected {other:?}"),
    }
    match log.set_note("loss", "zz", 10, "x") {
        Err(SignalError::CurveNotFound { known_runs, .. }) => assert_eq!(known_runs, vec!["a"]),
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        log.set_note("nope", "a", 10, "x"),
        Err(SignalError::CurveNotFound { .. })
    ));
    log.set_note("loss", "a", 20, "hi").unwrap();
    assert_eq!(log.history(&query(0))[1].note, "hi");
    log.set_note("loss", "a", 20, "").unwrap();
    assert_eq!(log.history(&query(0))[1].note, "");
}

#[test]
fn poll_new_gives_each_client_each_point_once() {
    let log = SignalLog::default();
    log.append(pt("loss", "a", 0, 1.0));
    // First poll: nothing, cursor at the head.
    assert!(log.poll_new("c1", &[], &[]).is_empty());
    assert!(log.poll_new("c2", &[], &[]).is_empty());
    log.append(pt("loss", "a", 1, 1.0));
    log.append(pt("acc", "a", 1, 1.0));
    let c1 = log.poll_new("c1", &[], &[]);
    assert_eq!(c1.len(), 2);
    assert!(log.poll_new("c1", &[], &[]).is_empty());
    // c1 draining did not take c2's points.
    let c2 = log.poll_new("c2", &["acc".into()], &[]);
    assert_eq!(c2.len(), 1);
    assert_eq!(c2[0].metric, "acc");
    assert!(log.poll_new("c2", &[], &[]).is_empty());
}

#[test]
fn catch_up_moves_cursor_to_head() {
    let log = SignalLog::default();
    log.append(pt("loss", "a", 0, 1.0));
    log.mark_caught_up("c");
    assert!(log.poll_new("c", &[], &[]).is_empty());
    log.append(pt("loss", "a", 1, 1.0));
    let full = log.history_and_catch_up("d", &query(0));
    assert_eq!(full.len(), 2);
    log.append(pt("loss", "a", 2, 1.0));
    assert_eq!(log.poll_new("d", &[], &[]).len(), 1);
    assert_eq!(log.poll_new("c", &[], &[]).len(), 2);
}

#[test]
fn least_recently_used_client_is_forgotten() {
    let log = small_log();
    log.poll_new("a", &[], &[]);
    log.poll_new("b", &[], &[]);
    log.poll_new("a", &[], &[]);
    log.poll_new("c", &[], &[]); // evicts b
    log.append(pt("loss", "r", 0, 1.0));
    assert_eq!(log.poll_new("a", &[], &[]).len(), 1);
    // b is new again: nothing, then it is tracked.
    assert!(log.poll_new("b", &[], &[]).is_empty());
    assert_eq!(log.stats().clients, 2);
}

#[test]
fn over_cap_curves_thin_but_keep_ends_markers_and_extent() {
    let log = small_log();
    for s in 0..200 {
        let p = pt("loss", "a", s, ((s * 37) % 101) as f32);
        log.append(if s == 3 { marker(p) } else { p });
    }
    let c = &log.curves()[0];
    assert!(c.point_count <= 16 + 8, "{}", c.point_count);
    assert_eq!((c.first_step, c.last_step), (0, 199));
    assert_eq!((c.value_min, c.value_max), (0.0, 100.0));
    let h = log.history(&query(0));
    assert!(h.iter().any(|p| p.step == 3 && p.marker.is_some()));
}

#[test]
fn truncate_after_drops_later_points_and_values() {
    let log = SignalLog::default();
    for s in 0..10 {
        log.append_many(vec![pt("loss", "a", s, 1.0), pt("loss", "b", s, 1.0)]);
        log.record_sample_values("loss", "a", s, &["x", "y"], &[1.0, 2.0]);
    }
    log.append(pt("only_late", "a", 8, 1.0));
    log.mark_caught_up("c");
    log.truncate_after("a", 4);
    let idx = log.curves();
    assert_eq!(idx.len(), 2, "the curve with only late points is gone");
    assert_eq!(idx[0].last_step, 4);
    assert_eq!(idx[1].last_step, 9);
    assert_eq!(log.step_samples("loss", "a", 7, 0).total_available, 0);
    assert_eq!(log.step_samples("loss", "a", 4, 0).total_available, 2);
    // The run logs those steps again and pollers get the new points.
    log.append(pt("loss", "a", 5, 0.5));
    let new = log.poll_new("c", &[], &[]);
    assert_eq!(new.len(), 1);
    assert_eq!((new[0].step, new[0].value), (5, 0.5));
}

#[test]
fn sample_values_step_samples_and_trajectories() {
    let log = SignalLog::default();
    log.record_sample_values("loss", "a", 1, &["x", "y", "z"], &[0.1, 0.9, 0.5]);
    log.record_sample_values("loss", "a", 2, &["x", "y"], &[0.2, 0.8]);
    log.record_sample_values("loss", "a", 3, &["x"], &[0.3]);
    log.record_sample_values("loss", "a", 4, &["x", "y"], &[0.3]); // refused: lengths differ
    let s = log.step_samples("loss", "", 1, 2);
    assert_eq!(s.sample_ids, vec!["y", "z"]);
    assert_eq!(s.total_available, 3);
    let t = log.trajectories("loss", &["y".into(), "x".into()], 0);
    assert_eq!(t, vec![("x".to_owned(), vec![0.1, 0.2, 0.3])]);
    assert_eq!(log.stats().sample_entries, 6);
}

#[test]
fn sliced_mean_averages_members_per_step() {
    let log = SignalLog::default();
    log.record_sample_values("loss", "a", 1, &["x", "y", "z"], &[1.0, 3.0, 100.0]);
    log.record_sample_values("loss", "a", 2, &["x", "z"], &[2.0, 100.0]);
    log.record_sample_values("loss", "b", 2, &["y"], &[5.0]);
    log.record_sample_values("loss", "a", 3, &["z"], &[100.0]);
    let slice = |id: &str| id != "z";
    let pts = log.sliced_mean("loss", Some("a"), &slice, 0);
    let got: Vec<_> = pts.iter().map(|p| (p.step, p.value)).collect();
    assert_eq!(got, vec![(1, 2.0), (2, 2.0)]);
    assert!(
        pts.iter()
            .all(|p| p.metric == "loss [slice]" && p.experiment_hash == "a")
    );
    let all = log.sliced_mean("loss", None, &slice, 0);
    assert_eq!(all.len(), 3);
    assert_eq!(all[2].experiment_hash, "b");
    assert!(log.sliced_mean("acc", None, &slice, 0).is_empty());
}

/// A curve description for property tests: (step delta, value, marker?, note?).
fn arb_curve() -> impl Strategy<Value = Vec<(i64, f32, bool, bool)>> {
    proptest::collection::vec(
        (
            // Mostly forward, sometimes back (a run resumed at an earlier step).
            prop_oneof![8 => 0i64..3, 1 => -3i64..0],
            -1000.0f32..1000.0,
            proptest::bool::weighted(0.02),
            proptest::bool::weighted(0.02),
        ),
        1..600,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn downsampling_invariants(
        curve in arb_curve(),
        max_points in 2usize..80,
        zoom in proptest::option::of((0i64..700, 0i64..700)),
    ) {
        let log = SignalLog::default();
        let mut step = 0;
        let mut input = Vec::new();
        for (d, v, m, _) in &curve {
            step += d;
            let p = pt("loss", "a", step, *v);
            log.append(if *m { marker(p) } else { p });
            input.push((step, *v));
        }
        for (i, (_, _, _, n)) in curve.iter().enumerate() {
            if *n {
                log.set_note("loss", "a", input[i].0, "n").unwrap();
            }
        }
        let (lo, hi) = zoom.map_or((i64::MIN, i64::MAX), |(a, b)| (a.min(b), a.max(b)));
        let in_range: Vec<(i64, f32)> = input.iter().copied().filter(|(s, _)| *s >= lo && *s <= hi).collect();
        let mut sorted = in_range.clone();
        sorted.sort_by_key(|p| p.0);
        let q = HistoryQuery { max_points, x_range: zoom, ..HistoryQuery::default() };
        let out = log.history(&q);
        let stored = log.history(&HistoryQuery { max_points: usize::MAX, x_range: zoom, ..HistoryQuery::default() });
        prop_assert_eq!(stored.len(), in_range.len());
        let specials = stored.iter().filter(|p| p.marker.is_some() || !p.note.is_empty()).count();
        prop_assert!(out.len() <= max_points + specials + 2, "{} > {} + {}", out.len(), max_points, specials);
        if in_range.len() <= max_points {
            prop_assert_eq!(out.len(), in_range.len());
        }
        if let (Some(first), Some(last)) = (stored.first(), stored.last()) {
            prop_assert_eq!(out.first().map(|p| p.seq), Some(first.seq));
            prop_assert_eq!(out.last().map(|p| p.seq), Some(last.seq));
        } else {
            prop_assert!(out.is_empty());
        }
        prop_assert!(out.windows(2).all(|w| w[0].step < w[1].step || (w[0].step == w[1].step && w[0].seq < w[1].seq)));
        let seqs: HashSet<u64> = out.iter().map(|p| p.seq).collect();
        for p in &stored {
            if p.marker.is_some() || !p.note.is_empty() {
                prop_assert!(seqs.contains(&p.seq), "special point at step {} missing", p.step);
            }
        }
        let by_seq: std::collections::HashMap<u64, &SignalPoint> = stored.iter().map(|p| (p.seq, p)).collect();
        for p in &out {
            prop_assert_eq!(Some(&p), by_seq.get(&p.seq));
        }
        let env = |ps: &[SignalPoint]| ps.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), p| (a.min(p.value), b.max(p.value)));
        prop_assert_eq!(env(&out), env(&stored));
        // The summary-backed selection picks exactly what a plain scan of the range would.
        let steps: Vec<i64> = stored.iter().map(|p| p.step).collect();
        let values: Vec<f32> = stored.iter().map(|p| p.value).collect();
        let special_at: Vec<usize> = (0..stored.len())
            .filter(|&i| stored[i].marker.is_some() || !stored[i].note.is_empty())
            .collect();
        let plain: Vec<u64> = downsample::select_values(&steps, &values, &special_at, max_points)
            .into_iter()
            .map(|i| stored[i].seq)
            .collect();
        prop_assert_eq!(out.iter().map(|p| p.seq).collect::<Vec<_>>(), plain);
        let stored_pairs: Vec<(i64, f32)> = stored.iter().map(|p| (p.step, p.value)).collect();
        prop_assert_eq!(sorted, stored_pairs);
    }

    #[test]
    fn truncate_after_keeps_exactly_the_earlier_points(
        points in proptest::collection::vec((0u8..2, 0i64..50, -5.0f32..5.0), 1..200),
        cut in 0i64..50,
    ) {
        let log = SignalLog::default();
        for (run, step, v) in &points {
            log.append(pt("m", if *run == 0 { "a" } else { "b" }, *step, *v));
        }
        log.truncate_after("a", cut);
        let out = log.history(&query(usize::MAX));
        let mut expected: Vec<(String, i64, f32)> = points.iter()
            .map(|(r, s, v)| (if *r == 0 { "a" } else { "b" }.to_owned(), *s, *v))
            .filter(|(r, s, _)| r != "a" || *s <= cut)
            .collect();
        // Stable sort: ties keep append order, as the log does.
        expected.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)));
        let got: Vec<(String, i64, f32)> = out.iter().map(|p| (p.experiment_hash.clone(), p.step, p.value)).collect();
        prop_assert_eq!(got, expected);
        for c in log.curves() {
            prop_assert!(c.experiment_hash != "a" || c.last_step <= cut);
        }
    }

    #[test]
    fn concurrent_pollers_each_get_every_point_once(
        writers in 1usize..4,
        per_writer in 1usize..300,
    ) {
        let log = Arc::new(SignalLog::default());
        prop_assert!(log.poll_new("one", &[], &[]).is_empty());
        prop_assert!(log.poll_new("two", &[], &[]).is_empty());
        let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let pollers: Vec<_> = ["one", "two"].into_iter().map(|id| {
            let log = Arc::clone(&log);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut got = Vec::new();
                loop {
                    let finished = done.load(Ordering::Acquire) == writers;
                    got.extend(log.poll_new(id, &[], &[]).into_iter().map(|p| p.seq));
                    if finished {
                        return got;
                    }
                    std::thread::yield_now();
                }
            })
        }).collect();
        let handles: Vec<_> = (0..writers).map(|w| {
            let log = Arc::clone(&log);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                for i in 0..per_writer {
                    let metric = if i % 2 == 0 { "loss" } else { "acc" };
                    log.append(pt(metric, &format!("r{w}"), i as i64, i as f32));
                }
                done.fetch_add(1, Ordering::AcqRel);
            })
        }).collect();
        for h in handles {
            h.join().unwrap();
        }
        let total = writers * per_writer;
        for p in pollers {
            let got = p.join().unwrap();
            let unique: HashSet<u64> = got.iter().copied().collect();
            prop_assert_eq!(unique.len(), got.len(), "a point was delivered twice");
            prop_assert_eq!(unique, (1..=total as u64).collect::<HashSet<_>>());
        }
    }
}
