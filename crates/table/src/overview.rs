//! The `@overview` text: counts, per-split and per-tag summaries, the highest losses.

use std::fmt::Write;

use crate::columns::{Signals, State};
use crate::keys::Keys;
use crate::types::Counts;

const TOP_LOSSES: usize = 10;

pub(crate) fn render(keys: &Keys, signals: &Signals, state: &State, counts: Counts) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} samples: {} in the loop, {} discarded; the current view shows {}.",
        counts.total, counts.in_loop, counts.discarded, counts.in_view
    );
    let splits = keys.splits.len();
    let mut per_split = vec![(0usize, 0usize, 0usize, 0f64); splits];
    for row in 0..keys.len() {
        let entry = &mut per_split[keys.origin_of[row] as usize];
        entry.0 += 1;
        entry.1 += usize::from(state.discarded[row]);
        if signals.seen(row) && signals.loss[row].is_finite() {
            entry.2 += 1;
            entry.3 += f64::from(signals.loss[row]);
        }
    }
    let _ = writeln!(out, "Splits:");
    for (name, (rows, discarded, seen, loss_sum)) in keys.splits.iter().zip(&per_split) {
        let mean = if *seen > 0 {
            format!("mean loss {:.4} over {seen} seen", loss_sum / *seen as f64)
        } else {
            "not seen yet".into()
        };
        let _ = writeln!(
            out,
            "  {}: {rows} samples, {discarded} discarded, {mean}",
            if name.is_empty() { "(none)" } else { name }
        );
    }
    if state.tags.is_empty() {
        let _ = writeln!(out, "Tags: none.");
    } else {
        let _ = writeln!(out, "Tags:");
        for (tag, flags) in &state.tags {
            let members = flags.iter().filter(|&&f| f).count();
            let discarded = flags
                .iter()
                .zip(&state.discarded)
                .filter(|(f, d)| **f && **d)
                .count();
            let _ = writeln!(out, "  {tag}: {members} samples ({discarded} discarded)");
        }
    }
    let mut seen: Vec<usize> = (0..keys.len())
        .filter(|&r| signals.seen(r) && !signals.loss[r].is_nan())
        .collect();
    let top = TOP_LOSSES.min(seen.len());
    if top == 0 {
        let _ = write!(out, "Highest losses: no sample has a loss yet.");
        return out;
    }
    let by_loss_desc =
        |a: &usize, b: &usize| signals.loss[*b].total_cmp(&signals.loss[*a]).then(a.cmp(b));
    seen.select_nth_unstable_by(top - 1, by_loss_desc);
    seen.truncate(top);
    seen.sort_by(by_loss_desc);
    let _ = writeln!(out, "Highest losses:");
    for (rank, row) in seen.iter().enumerate() {
        let _ = writeln!(
            out,
            "  {}. {}/{} loss {:.4} (label {}, prediction {})",
            rank + 1,
            keys.origin(*row as u32),
            keys.sample_ids[*row],
            signals.loss[*row],
            keys.labels[*row],
            signals.prediction[*row]
        );
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{SampleSeed, SignalUpdate};

    #[test]
    fn overview_lists_top_losses_in_order() {
        let keys = Keys::build(
            (0..12)
                .map(|i| SampleSeed {
                    sample_id: format!("s{i}"),
                    origin: "train".into(),
                    label: 0,
                })
                .collect(),
        )
        .unwrap();
        let mut signals = Signals::unseen(12);
        let updates: Vec<SignalUpdate> = (0..12)
            .map(|i| SignalUpdate {
                row: i,
                prediction: 1,
                loss: i as f32,
                confidence: 0.0,
                label_probability: 0.0,
                label_issue: 0.0,
                model_age: 0,
            })
            .collect();
        signals.record(&updates);
        let mut state = State::empty(12);
        state
            .tags
            .insert("focus".into(), (0..12).map(|i| i < 3).collect());
        let text = render(
            &keys,
            &signals,
            &state,
            Counts {
                in_view: 12,
                total: 12,
                in_loop: 12,
                discarded: 0,
            },
        );
        assert!(text.contains("focus: 3 samples"));
        let first = text.find("1. train/s11").unwrap();
        let second = text.find("2. train/s10").unwrap();
        assert!(first < second);
        assert!(text.contains("10. train/s2"));
        assert!(!text.contains("train/s1 "));
    }
}
