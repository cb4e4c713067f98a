//! Issue 2's numbers: sequential unary latency (p50 / p99) of a small RPC over loopback, by
//! gRPC (HTTP/2) and gRPC-Web (HTTP/1.1, binary), and throughput with 64 calls in flight.
//! Run: `cargo run --release -p weightslab-e2e --bin rpc-bench`

use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use prost::Message;
use weightslab_e2e::proto::*;
use weightslab_e2e::{TestServer, web_frame};

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<34} n={:<6} p50={:>8.1} µs  p99={:>8.1} µs",
        samples.len(),
        percentile(&samples, 0.5).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6
    );
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let calls: usize = std::env::var("RPC_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let server = TestServer::start().await;
    let mut client = server.client().await;

    for _ in 0..500 {
        client
            .get_evaluation_status(GetEvaluationStatusRequest {})
            .await?;
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        client
            .get_evaluation_status(GetEvaluationStatusRequest {})
            .await?;
        samples.push(started.elapsed());
    }
    report("gRPC unary (GetEvaluationStatus)", samples);

    let http = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let body = Bytes::from(web_frame(&GetEvaluationStatusRequest {}.encode_to_vec()));
    let url = format!(
        "http://{}/ExperimentService/GetEvaluationStatus",
        server.addr
    );
    let web_call = || {
        let request = http::Request::post(&url)
            .header("content-type", "application/grpc-web+proto")
            .header("x-grpc-web", "1")
            .body(Full::new(body.clone()))
            .expect("request");
        let http = http.clone();
        async move {
            let response = http.request(request).await?;
            let bytes = response.into_body().collect().await?.to_bytes();
            anyhow::ensure!(bytes.len() > 5, "empty gRPC-Web reply");
            Ok::<_, anyhow::Error>(())
        }
    };
    for _ in 0..500 {
        web_call().await?;
    }
    let mut samples = Vec::with_capacity(calls);
    for _ in 0..calls {
        let started = Instant::now();
        web_call().await?;
        samples.push(started.elapsed());
    }
    report("gRPC-Web unary (HTTP/1.1, binary)", samples);

    let in_flight = 64;
    let window = Duration::from_secs(3);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..in_flight {
        let mut client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut done = 0u64;
            while started.elapsed() < window {
                if client
                    .get_evaluation_status(GetEvaluationStatusRequest {})
                    .await
                    .is_ok()
                {
                    done += 1;
                }
            }
            done
        }));
    }
    let mut total = 0;
    for task in tasks {
        total += task.await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "gRPC throughput, {in_flight} in flight        {:.0} calls/s ({total} calls in {seconds:.1} s)",
        total as f64 / seconds
    );
    server.shutdown().await;
    Ok(())
}
