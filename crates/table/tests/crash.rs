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
    for (round, wanted_acks) in [(1u64, 25usize), (2, 3), (3, 60), (4, 12)] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_table-crash-child"))
            .arg(dir.path())
            .arg((round * 7919).to_string())
            .arg(ROWS.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn crash child");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut pending: Option<(u64, String)> = None;
        let mut acks = 0;
        while acks < wanted_acks {
            let line = lines.next().expect("child ended early").unwrap();
            if let Some(rest) = line.strip_prefix("try ") {
                let (i, edit) = rest.split_once(' ').unwrap();
                pending = Some((i.parse().unwrap(), edit.to_string()));
            } else if let Some(i) = line.strip_prefix("ack ") {
                let (p, edit) = pending.take().expect("ack without try");
                assert_eq!(p, i.parse::<u64>().unwrap());
                for (key, value) in parse_edit(&edit) {
                    model.values.insert(key, value);
                }
                acks += 1;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // Lines already printed past our last read may hold one more try (never a later ack
        // we did not see, since we stopped reading): it may or may not have become durable.
        let mut in_flight = pending.map(|(_, e)| parse_edit(&e)).unwrap_or_default();
        for line in lines.map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("try ") {
                in_flight.extend(parse_edit(rest.split_once(' ').unwrap().1));
            } else if line.starts_with("ack ") {
                // Acked after we stopped reading: durable, so it must be there too.
                for (key, value) in std::mem::take(&mut in_flight) {
                    model.values.insert(key, value);
                }
            }
        }

        let seeds = (0..ROWS)
            .map(|i| SampleSeed {
                sample_id: i.to_string(),
                origin: "train".into(),
                label: (i % 10) as i64,
            })
            .collect();
        let table = SampleTable::open(seeds, TableOptions::new(dir.path(), "crash-test"))
            .expect("reopen after kill");
        let flight: HashMap<_, _> = in_flight.into_iter().collect();
        for row in 0..ROWS {
            for key in ["tag:focus", "tag:hard", "tag:noisy", "discarded", "score"] {
                let k = (key.to_string(), row);
                let want = model.values.get(&k).copied().unwrap_or(default_of(key));
                let got = actual(&table, key, row);
                if got != want {
                    assert_eq!(
                        flight.get(&k),
                        Some(&got),
                        "round {round}: {key} of row {row} is {got}, acknowledged {want}"
                    );
                    model.values.insert(k, got);
                }
            }
        }
    }
}
