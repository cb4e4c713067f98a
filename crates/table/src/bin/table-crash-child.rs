//! Crash-test helper: opens a table in the given directory and applies a storm of random
//! edits forever, printing `try <i> <edit>` before and `ack <i>` after each acknowledged edit
//! (flushed), so a test can SIGKILL it at any moment and check what survived.
//!
//! Usage: table-crash-child <dir> <seed> [rows] [compact_every_edits]

use std::io::Write;

use weightslab_table::{
    Edit, MetaValue, SampleRef, SampleSeed, SampleTable, TableOptions, TagMode,
};

/// xorshift64*: enough randomness for a storm, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(dir), Some(seed)) = (args.get(1), args.get(2).and_then(|s| s.parse::<u64>().ok()))
    else {
        eprintln!("usage: table-crash-child <dir> <seed> [rows]");
        std::process::exit(2);
    };
    let rows: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200);
    let compact_every: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(5);
    let seeds = (0..rows)
        .map(|i| SampleSeed {
            sample_id: i.to_string(),
            origin: "train".into(),
            label: (i % 10) as i64,
        })
        .collect();
    let mut options = TableOptions::new(dir, "crash-test");
    // A small value makes kills land inside compactions; a large one leaves a long journal.
    options.compact_every_edits = compact_every;
    let table = match SampleTable::open(seeds, options) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("open failed: {e}");
            std::process::exit(1);
        }
    };
    let mut rng = Rng(seed.max(1));
    let stdout = std::io::stdout();
    let tags = ["focus", "hard", "noisy"];
    for i in 0u64.. {
        let count = 1 + rng.below(20);
        let picked: Vec<u64> = (0..count).map(|_| rng.below(rows)).collect();
        let ids = picked
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let targets: Vec<SampleRef> = picked
            .iter()
            .map(|r| SampleRef::new("train", r.to_string()))
            .collect();
        let flag = rng.below(2) == 1;
        let (line, edit) = match rng.below(3) {
            0 => {
                let tag = tags[rng.below(3) as usize];
                (
                    format!("tag {tag} {} {ids}", u8::from(flag)),
                    Edit::Tag {
                        targets,
                        tag: tag.into(),
                        mode: TagMode::Set(flag),
                    },
                )
            }
            1 => (
                format!("discard {} {ids}", u8::from(flag)),
                Edit::Discard {
                    targets,
                    discarded: flag,
                },
            ),
            _ => {
                let value = rng.below(1000) as i64;
                (
                    format!("score {value} {ids}"),
                    Edit::SetValues {
                        column: "score".into(),
                        targets,
                        values: vec![MetaValue::Int(value)],
                    },
                )
            }
        };
        {
            let mut out = stdout.lock();
            let _ = writeln!(out, "try {i} {line}");
            let _ = out.flush();
        }
        if let Err(e) = table.apply_edit(edit) {
            eprintln!("edit {i} failed: {e}");
            std::process::exit(1);
        }
        let mut out = stdout.lock();
        let _ = writeln!(out, "ack {i}");
        let _ = out.flush();
    }
}
