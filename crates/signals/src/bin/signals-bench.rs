//! Measures the numbers the signal log promises: full-history and zoomed `history` latency on
//! 10 curves × 1,000,000 points, and append throughput. Run it in release:
//! `cargo run --release -p weightslab-signals --bin signals-bench`.

use std::time::{Duration, Instant};

use weightslab_signals::{EvalMarker, HistoryQuery, NewPoint, SignalLog, SignalLogConfig};

const CURVES: usize = 10;
const STEPS: i64 = 1_000_000;
const READS: usize = 60;

fn main() {
    let log = SignalLog::new(SignalLogConfig::default());
    let metrics: Vec<String> = (0..CURVES).map(|i| format!("metric_{i}")).collect();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng >> 40) as f32 / (1u64 << 24) as f32
    };

    // One trainer step logs every metric at once, so the fill goes through append_many.
    let start = Instant::now();
    for step in 0..STEPS {
        let points = metrics
            .iter()
            .enumerate()
            .map(|(i, m)| NewPoint {
                metric: m.clone(),
                experiment_hash: "run-a".to_owned(),
                step,
                value: 1.0 / (1.0 + step as f32 * 1e-4) + noise() * 0.1 + i as f32,
                timestamp: 1_700_000_000 + step / 10,
                audit_mode: false,
                band: Some((0.0, 2.0)),
                marker: (step % 50_000 == 0).then(|| EvalMarker {
                    split_name: "val".to_owned(),
                    tags: Vec::new(),
                }),
            })
            .collect();
        log.append_many(points);
    }
    let fill = start.elapsed();
    let total = CURVES as f64 * STEPS as f64;
    println!(
        "append_many (10 points per call): {total:.0} points in {:.2} s = {:.2} M points/s",
        fill.as_secs_f64(),
        total / fill.as_secs_f64() / 1e6
    );

    let single = SignalLog::new(SignalLogConfig::default());
    let n = 2_000_000i64;
    let start = Instant::now();
    for step in 0..n {
        single.append(NewPoint {
            metric: "loss".to_owned(),
            experiment_hash: "run-a".to_owned(),
            step,
            value: noise(),
            timestamp: 0,
            audit_mode: false,
            band: None,
            marker: None,
        });
    }
    let el = start.elapsed();
    println!(
        "append (one point per call): {n} points in {:.2} s = {:.2} M points/s",
        el.as_secs_f64(),
        n as f64 / el.as_secs_f64() / 1e6
    );
    drop(single);

    let full = HistoryQuery {
        max_points: 1000,
        ..HistoryQuery::default()
    };
    report(&log, "history 10 x 1M, max_points=1000", &full);
    let zoom = HistoryQuery {
        max_points: 1000,
        x_range: Some((400_000, 600_000)),
        ..HistoryQuery::default()
    };
    report(&log, "history zoom [400k, 600k], max_points=1000", &zoom);
    let narrow = HistoryQuery {
        max_points: 1000,
        x_range: Some((500_000, 500_800)),
        ..HistoryQuery::default()
    };
    report(&log, "history zoom [500000, 500800] (fits budget)", &narrow);

    log.poll_new("bench", &[], &[]);
    let mut lat = Vec::with_capacity(READS);
    for step in STEPS..STEPS + READS as i64 {
        log.append_many(
            metrics
                .iter()
                .map(|m| NewPoint {
                    metric: m.clone(),
                    experiment_hash: "run-a".to_owned(),
                    step,
                    value: 1.0,
                    timestamp: 0,
                    audit_mode: false,
                    band: None,
                    marker: None,
                })
                .collect(),
        );
        let t = Instant::now();
        let got = log.poll_new("bench", &[], &[]);
        lat.push(t.elapsed());
        assert_eq!(got.len(), CURVES);
    }
    print_percentiles("poll_new after one step (10 new points)", &mut lat, CURVES);
}

fn report(log: &SignalLog, label: &str, q: &HistoryQuery) {
    let mut lat = Vec::with_capacity(READS);
    let mut points = 0;
    let cpu_before = process_cpu_seconds();
    for _ in 0..READS {
        let t = Instant::now();
        let out = log.history(q);
        lat.push(t.elapsed());
        points = out.len();
    }
    print_percentiles(label, &mut lat, points);
    if let (Some(a), Some(b)) = (cpu_before, process_cpu_seconds()) {
        println!(
            "  CPU time per read: {:.2} ms (wall-clock above includes waiting for a core on a busy machine)",
            (b - a) / READS as f64 * 1e3
        );
    }
}

/// User + system CPU seconds of this process from /proc (Linux; 10 ms resolution, so it is
/// read around a whole batch of calls). Lets the report separate work from time spent waiting
/// for a core when other processes load the machine.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // USER_HZ is 100 on every mainstream Linux configuration.
    Some((utime + stime) / 100.0)
}

fn print_percentiles(label: &str, lat: &mut [Duration], points: usize) {
    lat.sort();
    let at = |q: f64| lat[((lat.len() - 1) as f64 * q).round() as usize];
    println!(
        "{label}: p50 {:.2} ms, p99 {:.2} ms ({} runs, {points} points returned)",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        lat.len()
    );
}
