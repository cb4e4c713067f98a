//! Reads call counts out of the server's Prometheus text (`GET /metrics`): the smoke test and
//! the bench use it to see the Studio's start-up calls arrive.

use std::collections::BTreeMap;

/// The counter family the server exposes per ExperimentService method and status code.
pub const CALLS_FAMILY: &str = "weightslab_rpc_calls_total";

/// Calls per method, summed over status codes.
pub fn calls_by_method(text: &str) -> BTreeMap<String, u64> {
    let mut calls = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix(CALLS_FAMILY) else {
            continue;
        };
        let Some((labels, value)) = rest
            .strip_prefix('{')
            .and_then(|rest| rest.rsplit_once('}'))
        else {
            continue;
        };
        let Some(method) = label(labels, "method") else {
            continue;
        };
        let Some(count) = value.split_whitespace().next().and_then(parse_count) else {
            continue;
        };
        *calls.entry(method.to_string()).or_insert(0) += count;
    }
    calls
}

/// Calls of one method (0 when it was never called).
pub fn calls_of(text: &str, method: &str) -> u64 {
    calls_by_method(text).get(method).copied().unwrap_or(0)
}

fn label<'a>(labels: &'a str, name: &str) -> Option<&'a str> {
    labels.split(',').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key.trim() == name).then(|| value.trim().trim_matches('"'))
    })
}

/// Counters are integers, but the text format may print them as floats (`3.0`, `1e3`).
fn parse_count(text: &str) -> Option<u64> {
    if let Ok(count) = text.parse::<u64>() {
        return Some(count);
    }
    let value = text.parse::<f64>().ok()?;
    (value.is_finite() && value >= 0.0).then(|| value.round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &str = "# HELP weightslab_rpc_calls ExperimentService calls by method and gRPC status code.\n\
# TYPE weightslab_rpc_calls counter\n\
weightslab_rpc_calls_total{method=\"GetDataSamples\",code=\"Ok\"} 3\n\
weightslab_rpc_calls_total{method=\"GetDataSamples\",code=\"Aborted\"} 1\n\
weightslab_rpc_calls_total{method=\"GetLatestLoggerData\",code=\"Ok\"} 12.0\n\
weightslab_rpc_latency_seconds_count{method=\"GetDataSamples\"} 4\n\
# EOF\n";

    #[test]
    fn counts_are_summed_over_codes() {
        let calls = calls_by_method(SAMPLE);
        assert_eq!(calls.get("GetDataSamples"), Some(&4));
        assert_eq!(calls.get("GetLatestLoggerData"), Some(&12));
        assert_eq!(calls.len(), 2, "histogram lines are not calls");
        assert_eq!(calls_of(SAMPLE, "ExperimentCommand"), 0);
    }

    #[test]
    fn junk_lines_are_skipped() {
        let text = "weightslab_rpc_calls_total{code=\"Ok\"} 3\nweightslab_rpc_calls_total{method=\"A\"} x\nweightslab_rpc_calls_total{method=\"B\"} -2\n";
        assert!(calls_by_method(text).is_empty());
    }

    proptest! {
        #[test]
        fn rendered_counts_read_back(counts in proptest::collection::btree_map("[A-Z][a-zA-Z]{0,20}", 0u64..1_000_000, 0..10)) {
            let text: String = counts
                .iter()
                .map(|(method, count)| format!("{CALLS_FAMILY}{{method=\"{method}\",code=\"Ok\"}} {count}\n"))
                .collect();
            prop_assert_eq!(calls_by_method(&text), counts);
        }
    }
}
