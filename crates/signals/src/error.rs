//! The crate's error type: what a caller asked for that the signal log could not do.

use thiserror::Error;

/// Why a signal-log operation was refused. Messages name the curve and say what would work.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SignalError {
    /// No curve exists for this (metric, run) pair.
    #[error(
        "no curve '{metric}' for run '{experiment_hash}'; {}",
        known_runs_hint(known_runs)
    )]
    CurveNotFound {
        metric: String,
        experiment_hash: String,
        /// Runs that do log this metric (empty when the metric is unknown).
        known_runs: Vec<String>,
    },
    /// The curve exists but has no point at the requested step.
    #[error(
        "curve '{metric}' of run '{experiment_hash}' has no point at step {step}; {}",
        nearest_hint(*before, *after)
    )]
    StepNotFound {
        metric: String,
        experiment_hash: String,
        step: i64,
        /// Closest stored step below the requested one.
        before: Option<i64>,
        /// Closest stored step above the requested one.
        after: Option<i64>,
    },
}

fn known_runs_hint(known: &[String]) -> String {
    if known.is_empty() {
        "no run logs this metric yet (check the metric name)".to_owned()
    } else {
        format!("runs that log it: {}", known.join(", "))
    }
}

fn nearest_hint(before: Option<i64>, after: Option<i64>) -> String {
    match (before, after) {
        (Some(b), Some(a)) => format!("the nearest steps are {b} and {a}"),
        (Some(b), None) => format!("the last stored step is {b}"),
        (None, Some(a)) => format!("the first stored step is {a}"),
        (None, None) => "the curve is empty".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_not_found_names_curve_and_neighbours() {
        let e = SignalError::StepNotFound {
            metric: "loss".into(),
            experiment_hash: "abc".into(),
            step: 15,
            before: Some(10),
            after: Some(20),
        };
        let msg = e.to_string();
        assert!(msg.contains("'loss'") && msg.contains("'abc'") && msg.contains("step 15"));
        assert!(msg.contains("10 and 20"), "{msg}");
    }

    #[test]
    fn curve_not_found_lists_known_runs() {
        let e = SignalError::CurveNotFound {
            metric: "loss".into(),
            experiment_hash: "zzz".into(),
            known_runs: vec!["a".into(), "b".into()],
        };
        assert!(e.to_string().contains("runs that log it: a, b"));
        let e = SignalError::CurveNotFound {
            metric: "lss".into(),
            experiment_hash: "a".into(),
            known_runs: vec![],
        };
        assert!(e.to_string().contains("check the metric name"));
    }
}
