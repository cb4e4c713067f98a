//! The plain data types that go in and out of a `SignalLog`: configuration, points, queries.

/// Limits of a [`crate::SignalLog`]. Every limit bounds memory; none changes what a reader sees
/// for a run that stays under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalLogConfig {
    /// Stored points per curve before its older half is thinned (values below 16 are raised to 16).
    pub max_points_per_curve: usize,
    /// Per-sample values kept over all metrics; the oldest recorded batches go first.
    pub max_sample_entries: usize,
    /// Client cursors kept for incremental polls; the least recently used goes first.
    pub max_clients: usize,
}

impl Default for SignalLogConfig {
    fn default() -> Self {
        Self {
            max_points_per_curve: 4_000_000,
            max_sample_entries: 20_000_000,
            max_clients: 1024,
        }
    }
}

/// An evaluation result drawn as a marker on its curve.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EvalMarker {
    pub split_name: String,
    pub tags: Vec<String>,
}

/// One value logged by the trainer.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPoint {
    pub metric: String,
    pub experiment_hash: String,
    pub step: i64,
    pub value: f32,
    /// Unix seconds.
    pub timestamp: i64,
    pub audit_mode: bool,
    /// Lowest and highest per-sample value of the batch at this step.
    pub band: Option<(f32, f32)>,
    pub marker: Option<EvalMarker>,
}

/// A stored point as readers get it.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalPoint {
    pub metric: String,
    pub experiment_hash: String,
    pub step: i64,
    pub value: f32,
    /// Unix seconds.
    pub timestamp: i64,
    pub audit_mode: bool,
    pub band: Option<(f32, f32)>,
    pub marker: Option<EvalMarker>,
    /// "" when the point has no note.
    pub note: String,
    /// Append sequence number (unique over the log, see [`crate::SignalLog::position`]);
    /// 0 for derived points such as sliced means.
    pub seq: u64,
}

/// Summary of one curve, for run discovery without points.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveIndex {
    pub metric: String,
    pub experiment_hash: String,
    pub first_step: i64,
    pub last_step: i64,
    pub point_count: usize,
    /// Extent over the non-NaN values; NaN when every value is NaN.
    pub value_min: f32,
    pub value_max: f32,
}

/// What a full-history read asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HistoryQuery {
    /// Ordinary points per curve; 0 means [`DEFAULT_MAX_POINTS`].
    pub max_points: usize,
    /// Inclusive step range `[lo, hi]`; a reversed pair is read as `[hi, lo]`.
    pub x_range: Option<(i64, i64)>,
    /// Metrics to read; empty reads all.
    pub metrics: Vec<String>,
    /// Runs to read; empty reads all.
    pub experiment_hashes: Vec<String>,
}

/// Point budget used when a query asks for 0.
pub const DEFAULT_MAX_POINTS: usize = 1000;

/// The per-sample values behind one plotted point, highest value first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StepSamples {
    pub sample_ids: Vec<String>,
    pub values: Vec<f32>,
    /// How many values exist at that step before the `max_samples` cap.
    pub total_available: usize,
}

/// Whether `name` passes a filter list where an empty list passes everything.
pub(crate) fn passes(filter: &[String], name: &str) -> bool {
    filter.is_empty() || filter.iter().any(|f| f == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_limits() {
        let c = SignalLogConfig::default();
        assert_eq!(c.max_points_per_curve, 4_000_000);
        assert_eq!(c.max_sample_entries, 20_000_000);
        assert_eq!(c.max_clients, 1024);
        assert_eq!(HistoryQuery::default().max_points, 0);
    }

    #[test]
    fn empty_filter_passes_all() {
        assert!(passes(&[], "x"));
        assert!(passes(&["x".into()], "x"));
        assert!(!passes(&["y".into()], "x"));
    }
}
