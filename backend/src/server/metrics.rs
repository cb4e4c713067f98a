//! Per-RPC call counts and latency histograms, rendered at `GET /metrics` (Prometheus text).

use std::time::Duration;

use parking_lot::Mutex;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: &'static str,
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: &'static str,
}

type LatencyFamily = Family<MethodLabels, Histogram, fn() -> Histogram>;

/// The service's metrics registry.
pub struct RpcMetrics {
    registry: Mutex<Registry>,
    calls: Family<CallLabels, Counter>,
    latency: LatencyFamily,
    slow_calls: Family<MethodLabels, Counter>,
}

fn latency_histogram() -> Histogram {
    // 50 µs .. ~26 s
    Histogram::new(exponential_buckets(0.000_05, 2.0, 20))
}

impl Default for RpcMetrics {
    fn default() -> Self {
        let calls = Family::<CallLabels, Counter>::default();
        let latency: LatencyFamily = Family::new_with_constructor(latency_histogram);
        let slow_calls = Family::<MethodLabels, Counter>::default();
        let mut registry = Registry::with_prefix("weightslab");
        registry.register(
            "rpc_calls",
            "ExperimentService calls by method and gRPC status code",
            calls.clone(),
        );
        registry.register(
            "rpc_latency_seconds",
            "ExperimentService handler latency by method",
            latency.clone(),
        );
        registry.register(
            "rpc_slow_calls",
            "Calls slower than the watchdog threshold, by method",
            slow_calls.clone(),
        );
        Self {
            registry: Mutex::new(registry),
            calls,
            latency,
            slow_calls,
        }
    }
}

impl RpcMetrics {
    /// Counts one call. Labels are static strings, so a call allocates nothing here.
    pub fn observe(&self, method: &'static str, code: tonic::Code, elapsed: Duration, slow: bool) {
        self.calls
            .get_or_create(&CallLabels {
                method,
                code: code_label(code),
            })
            .inc();
        let labels = MethodLabels { method };
        self.latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if slow {
            self.slow_calls.get_or_create(&labels).inc();
        }
    }

    /// Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if prometheus_client::encoding::text::encode(&mut text, &self.registry.lock()).is_err() {
            text.clear();
        }
        text
    }
}

/// The status code's name as `/metrics` shows it (its Rust name: `Ok`, `NotFound`, ...).
fn code_label(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "Ok",
        Cancelled => "Cancelled",
        Unknown => "Unknown",
        InvalidArgument => "InvalidArgument",
        DeadlineExceeded => "DeadlineExceeded",
        NotFound => "NotFound",
        AlreadyExists => "AlreadyExists",
        PermissionDenied => "PermissionDenied",
        ResourceExhausted => "ResourceExhausted",
        FailedPrecondition => "FailedPrecondition",
        Aborted => "Aborted",
        OutOfRange => "OutOfRange",
        Unimplemented => "Unimplemented",
        Internal => "Internal",
        Unavailable => "Unavailable",
        DataLoss => "DataLoss",
        Unauthenticated => "Unauthenticated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_latencies_are_rendered() {
        let metrics = RpcMetrics::default();
        metrics.observe(
            "GetDataSplits",
            tonic::Code::Ok,
            Duration::from_millis(1),
            false,
        );
        metrics.observe(
            "GetDataSplits",
            tonic::Code::NotFound,
            Duration::from_secs(3),
            true,
        );
        let text = metrics.render();
        assert!(
            text.contains(r#"weightslab_rpc_calls_total{method="GetDataSplits",code="Ok"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"code="NotFound""#), "{text}");
        for code in (0..=16).map(tonic::Code::from) {
            assert_eq!(code_label(code), format!("{code:?}"));
        }
        assert!(
            text.contains(r#"weightslab_rpc_latency_seconds_count{method="GetDataSplits"} 2"#),
            "{text}"
        );
        assert!(
            text.contains(r#"weightslab_rpc_slow_calls_total{method="GetDataSplits"} 1"#),
            "{text}"
        );
    }
}
