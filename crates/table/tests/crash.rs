//! Kill -9 durability: a child process storms the table with edits and is SIGKILLed at a
//! random moment; every edit it acknowledged must be there after reopening.
#![allow(clippy::unwrap_used)] // a panic in a test is a failed test

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use weightslab_table::{MetaValue, SampleSeed, SampleTable, TableOptions};

const ROWS: usize = 200;

/// What the acknowledged edits say each (kind, row) should hold.
#[derive(Default, Clone)]
struct Model {
    values: HashMap<(String, usize), i64>,
}

/// One `try` line: the key/value pairs it sets.
fn parse_edit(line: &str) -> Vec<((String, usize), i64)> {
    let parts: Vec<&str> = line.split(' ').collect();
    let (key, value, rows) = match parts[0] {
        "tag" => (
            format!("tag:{}", parts[1]),
            parts[2].parse::<i64>().unwrap(),
            parts[3],
        ),
        "discard" => (
            "discarded".to_string(),
            parts[1].parse::<i64>().unwrap(),
            parts[2],
        ),
        "score" => (
            "score".to_string(),
            parts[1].parse::<i64>().unwrap(),
            parts[2],
        ),
        other => panic!("unknown edit {other}"),
    };
    rows.split(',')
        .map(|r| ((key.clone(), r.parse::<usize>().unwrap()), value))
        .collect()
}

fn actual(table: &SampleTable, key: &str, row: usize) -> i64 {
    let snap = table.row(row as u32).unwrap();
    match key {
        "discarded" => i64::from(snap.discarded),
        "score" => match snap
            .metadata
            .iter()
            .find(|(n, _)| n == "score")
            .map(|(_, v)| v.clone())
        {
            Some(MetaValue::Int(v)) => v,
            _ => -1,
        },
        tag => i64::from(snap.tags.iter().any(|t| format!("tag:{t}") == tag)),
    }
}

fn default_of(key: &str) -> i64 {
    if key == "score" { -1 } else { 0 }
}

#[test]
fn acknowledged_edits_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let mut model = Model::default();
    // (seed, ms before the kill, compact_every_edits): kills inside compactions and kills
    // with a long journal; the directory carries over, so later rounds replay earlier ones.
    for (round, delay_ms, compact_every) in [
        (1u64, 150u64, 5usize),
        (2, 60, 1000),
        (3, 300, 5),
        (4, 200, 1000),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_table-crash-child"))
            .arg(dir.path())
            .arg((round * 7919).to_string())
            .arg(ROWS.to_string())
            .arg(compact_every.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn crash child");
        // Drain stdout continuously so the child never blocks on a full pipe: the kill must
        // land while it is busy editing, not while it waits for us. The clock starts at the
        // first acknowledgement, so a slow start on a loaded machine does not matter.
        let stdout = child.stdout.take().unwrap();
        let (first_ack, started) = std::sync::mpsc::channel::<()>();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            let mut first_ack = Some(first_ack);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.starts_with("ack ")
                    && let Some(tx) = first_ack.take()
                {
                    let _ = tx.send(());
                }
                lines.push(line);
            }
            lines
        });
        let _ = started.recv_timeout(std::time::Duration::from_secs(60));
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        let lines = reader.join().unwrap();

        let mut pending: Option<String> = None;
        let mut acks = 0;
        for line in &lines {
            if let Some(rest) = line.strip_prefix("try ") {
                pending = Some(rest.split_once(' ').unwrap().1.to_string());
            } else if line.starts_with("ack ") {
                for (key, value) in parse_edit(&pending.take().expect("ack without try")) {
                    model.values.insert(key, value);
                }
                acks += 1;
            }
        }
        assert!(
            acks > 0,
            "round {round}: the child acknowledged nothing in {delay_ms} ms"
        );
        // The edit in flight at the kill may or may not have become durable.
        let flight: HashMap<_, _> = pending
            .map(|e| parse_edit(&e))
            .unwrap_or_default()
            .into_iter()
            .collect();

        let seeds = (0..ROWS)
            .map(|i| SampleSeed {
                sample_id: i.to_string(),
                origin: "train".into(),
                label: (i % 10) as i64,
            })
            .collect();
        let table = SampleTable::open(seeds, TableOptions::new(dir.path(), "crash-test"))
            .expect("reopen after kill");
        for row in 0..ROWS {
            for key in ["tag:focus", "tag:hard", "tag:noisy", "discarded", "score"] {
                let k = (key.to_string(), row);
                let want = model.values.get(&k).copied().unwrap_or(default_of(key));
                let got = actual(&table, key, row);
                if got != want {
                    assert_eq!(
                        flight.get(&k),
                        Some(&got),
                        "round {round} ({acks} acks): {key} of row {row} is {got}, acknowledged {want}"
                    );
                    model.values.insert(k, got);
                }
            }
        }
    }
}
