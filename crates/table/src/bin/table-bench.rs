//! Prints the table's hot-path timings on a synthetic table (default 1,000,000 rows; run in
//! release): filter + sort, a 64-row page of a sorted view, a durable 10,000-id tag edit,
//! restart load of the HDF5 file, a 64-row record_signals batch.
//!
//! Usage: cargo run --release -p weightslab-table --bin table-bench [rows]

use std::time::{Duration, Instant};

use weightslab_query::{CmpOp, Expr, Query, SortKey, Value, ViewSpec};
use weightslab_table::{
    Edit, SampleRef, SampleSeed, SampleTable, SignalUpdate, TableOptions, TagMode,
};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

fn seeds(n: usize) -> Vec<SampleSeed> {
    (0..n)
        .map(|i| SampleSeed {
            sample_id: format!("s{i}"),
            origin: match i % 10 {
                0 => "val",
                1 => "test",
                _ => "train",
            }
            .into(),
            label: (i % 10) as i64,
        })
        .collect()
}

fn report(name: &str, mut samples: Vec<Duration>, target: Option<&str>) {
    samples.sort();
    let p50 = samples[samples.len() / 2];
    let max = samples[samples.len() - 1];
    let target = target
        .map(|t| format!("  (target {t})"))
        .unwrap_or_default();
    println!(
        "{name:<44} p50 {:>10.3} ms   max {:>10.3} ms   n={}{target}",
        p50.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
        samples.len()
    );
}

fn time<T>(f: impl FnOnce() -> T) -> (Duration, T) {
    let start = Instant::now();
    let out = f();
    (start.elapsed(), out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("weightslab-table-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = TableOptions::new(&dir, "bench");
    println!("table-bench: {n} rows in {}", dir.display());
    let (open_empty, table) = time(|| SampleTable::open(seeds(n), options.clone()));
    let table = table?;
    println!(
        "open (no stored file)                        {:>10.3} ms",
        open_empty.as_secs_f64() * 1e3
    );

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut record = Vec::new();
    for start in (0..n).step_by(64) {
        let batch: Vec<SignalUpdate> = (start..(start + 64).min(n))
            .map(|r| SignalUpdate {
                row: r as u32,
                prediction: (r % 10) as i64,
                loss: rng.unit() * 3.0,
                confidence: rng.unit(),
                label_probability: rng.unit(),
                label_issue: rng.unit(),
                model_age: 1,
            })
            .collect();
        let (d, ()) = time(|| table.record_signals(&batch));
        record.push(d);
    }
    report("record_signals, 64-row batch", record, None);

    let filter = Expr::col("loss")
        .cmp(CmpOp::Gt, Expr::lit(Value::Float(1.5)))
        .and(Expr::col("origin").cmp(CmpOp::Eq, Expr::lit("train")));
    let sorted = Query::View(ViewSpec {
        filter: Some(filter),
        sort: vec![SortKey {
            column: "loss".into(),
            descending: true,
        }],
        ..ViewSpec::default()
    });
    let (cold, _) = time(|| table.apply_query(&sorted));
    println!(
        "filter + sort, first run (columns built)     {:>10.3} ms",
        cold.as_secs_f64() * 1e3
    );
    let mut fs = Vec::new();
    for _ in 0..15 {
        table.apply_query(&Query::Reset)?;
        let (d, out) = time(|| table.apply_query(&sorted));
        out?;
        fs.push(d);
    }
    println!("  view holds {} rows", table.counts().in_view);
    report(
        "filter + sort (loss>1.5 & train, loss desc)",
        fs,
        Some("<= 50 ms"),
    );

    let sort_only = Query::View(ViewSpec {
        sort: vec![SortKey {
            column: "confidence".into(),
            descending: false,
        }],
        ..ViewSpec::default()
    });
    table.apply_query(&Query::Reset)?;
    let mut so = Vec::new();
    for _ in 0..10 {
        let (d, out) = time(|| table.apply_query(&sort_only));
        out?;
        so.push(d);
    }
    report("sort only, all rows (confidence asc)", so, None);

    let mut pages = Vec::new();
    let in_view = table.counts().in_view;
    for _ in 0..200 {
        let start = (rng.next() as usize) % in_view.saturating_sub(64).max(1);
        let (d, page) = time(|| table.page(start, 64));
        assert_eq!(page.len(), 64.min(in_view));
        pages.push(d);
    }
    report("64-row page of a sorted view", pages, Some("<= 1 ms"));

    let mut edits = Vec::new();
    for k in 0..20 {
        let targets: Vec<SampleRef> = (0..10_000)
            .map(|_| SampleRef::new("", format!("s{}", rng.next() as usize % n)))
            .collect();
        let edit = Edit::Tag {
            targets,
            tag: format!("bench{}", k % 3),
            mode: TagMode::Add,
        };
        let (d, out) = time(|| table.apply_edit(edit));
        out?;
        edits.push(d);
    }
    report("durable tag edit, 10,000 ids", edits, Some("<= 20 ms"));

    let (compact, out) = time(|| table.compact());
    out?;
    println!(
        "compact into HDF5                            {:>10.3} ms",
        compact.as_secs_f64() * 1e3
    );
    drop(table);

    let mut loads = Vec::new();
    for _ in 0..3 {
        let s = seeds(n);
        let (d, t) = time(|| SampleTable::open(s, options.clone()));
        let t = t?;
        assert_eq!(t.tags().len(), 3);
        loads.push(d);
    }
    report("restart: open + load samples.h5", loads, Some("<= 1 s"));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
