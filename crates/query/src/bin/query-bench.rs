//! Parse-time benchmark: parses a corpus of typical Studio queries many times and prints the
//! mean time per query for each grammar. Run with
//! `cargo run -p weightslab-query --release --bin query-bench`.

use std::time::Instant;

const CORPUS: &[(&str, &str, bool)] = &[
    ("count", "", false),
    (
        "sortby",
        "sortby loss desc, label asc scope:global start:0 count:50",
        false,
    ),
    (
        "filter",
        "(loss > 0.5 or prediction != label) and not discarded and tag:hard",
        false,
    ),
    ("popover", "`loss` >= 0.2 & `loss` <= 0.8", false),
    (
        "pandas",
        "df[(df['loss'] > 0.5) & ~df['discarded']].sort_values('loss', ascending=False).head(10)",
        false,
    ),
    (
        "sentence",
        "show the 100 highest-loss samples from val",
        true,
    ),
    ("error", "loss > > 1", false),
];

fn main() {
    let rounds = 20_000u32;
    let highlight = format!(
        "sample_id.astype('str').isin([{}])",
        (0..1000)
            .map(|i| format!("'id{i}'"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut corpus: Vec<(&str, &str, bool)> = CORPUS.to_vec();
    corpus.push(("highlight1000", &highlight, false));
    for (name, text, nl) in corpus {
        let rounds = if name == "highlight1000" {
            rounds / 100
        } else {
            rounds
        };
        let start = Instant::now();
        let mut ok = 0u32;
        for _ in 0..rounds {
            ok += u32::from(weightslab_query::parse(std::hint::black_box(text), nl).is_ok());
        }
        let per = start.elapsed().as_secs_f64() / f64::from(rounds) * 1e6;
        let outcome = match weightslab_query::parse(text, nl) {
            Ok(_) => "ok".to_owned(),
            Err(e) => format!("error: {e}"),
        };
        println!("{name:>14}: {per:8.2} µs/query ({ok}/{rounds} ok) {outcome}");
    }
}
