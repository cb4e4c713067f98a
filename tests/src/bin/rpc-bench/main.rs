//! Issue 2's numbers: sequential unary latency (p50 / p99) of a small RPC over loopback, by
//! gRPC (HTTP/2) and gRPC-Web (HTTP/1.1, binary), and throughput with 64 calls in flight.
//! Each latency is measured with lean clients, which show the server and the loopback round
//! trip (HTTP/1.1 and HTTP/2 frames on blocking sockets, `lean.rs` and `blocking_h2.rs`, and the
//! `h2` crate's client), and with the usual Rust client stack, which adds its own time. Each
//! line also gives the server's CPU time per call (`server_cpu.rs`), steadier than latency on a
//! noisy VM. The same lean clients also call a bare hyper server (`floor.rs`). Measured twice: against a server in this process, and against the real binary in its own
//! process (`wl-e2e-server`, built beside this bench), as a Studio or a Python client would
//! see it. The sequential calls come from a client thread with a single-threaded runtime; the
//! throughput calls from the multi-threaded runtime's workers.
//! Run: `cargo build --release -p weightslab-e2e --bins && target/release/rpc-bench`
//! (`RPC_BENCH_CALLS` sets the number of sequential calls, default 5000; `RPC_BENCH_ADDR=host:port`
//! measures a server that is already running instead, for example one under `strace` or `perf`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::Child;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use prost::Message;
use weightslab_e2e::proto::*;
use weightslab_e2e::{TestServer, web_frame};

mod blocking_h2;
mod floor;
mod lean;
mod server_cpu;

use server_cpu::ServerThreads;

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

/// Prints p50 / p99, the p50's ratio to the baseline's when given, and the server's CPU time
/// per call when known; returns the p50.
fn report(name: &str, measured: Measured, baseline_p50: Option<Duration>) -> Duration {
    let Measured {
        mut samples,
        server_cpu_per_call,
    } = measured;
    samples.sort();
    let p50 = percentile(&samples, 0.5);
    let ratio = baseline_p50
        .map(|b| {
            format!(
                "  = {:.2}x the TCP echo p50",
                p50.as_secs_f64() / b.as_secs_f64()
            )
        })
        .unwrap_or_default();
    let cpu = server_cpu_per_call
        .map(|cpu| format!("  server CPU {:.1} µs/call", cpu.as_secs_f64() * 1e6))
        .unwrap_or_default();
    println!(
        "{name:<60} n={:<6} p50={:>8.1} µs  p99={:>8.1} µs{ratio}{cpu}",
        samples.len(),
        p50.as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6
    );
    p50
}

/// One run's latencies, and what each call cost the server.
struct Measured {
    samples: Vec<Duration>,
    server_cpu_per_call: Option<Duration>,
}

/// A server to measure: where it listens, which threads are its own, and how to label and
/// compare its figures.
#[derive(Clone)]
struct Target {
    label: &'static str,
    addr: SocketAddr,
    threads: ServerThreads,
    calls: usize,
    baseline: Duration,
}

/// The floor under any RPC here: a 32-byte echo over loopback TCP between two threads with
/// blocking sockets and TCP_NODELAY, no framing, no HTTP. On a VM each wake-up of an idle
/// vCPU costs tens to hundreds of µs, and this shows how much.
fn tcp_echo_baseline(calls: usize) -> anyhow::Result<Vec<Duration>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let echo = std::thread::spawn(move || -> std::io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        stream.set_nodelay(true)?;
        let mut buf = [0u8; 64];
        loop {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            stream.write_all(&buf[..n])?;
        }
    });
    let mut stream = TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    let message = [7u8; 32];
    let mut reply = [0u8; 32];
    let mut samples = Vec::with_capacity(calls);
    for i in 0..calls + 500 {
        let started = Instant::now();
        stream.write_all(&message)?;
        stream.read_exact(&mut reply)?;
        if i >= 500 {
            samples.push(started.elapsed());
        }
    }
    drop(stream);
    echo.join()
        .map_err(|_| anyhow::anyhow!("echo thread panicked"))??;
    Ok(samples)
}

/// The real server binary in its own process, paused, on a free loopback port.
struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    _log_dir: tempfile::TempDir,
}

impl ServerProcess {
    fn spawn() -> anyhow::Result<Self> {
        let exe = std::env::current_exe()?;
        let server = exe.with_file_name("wl-e2e-server");
        anyhow::ensure!(
            server.is_file(),
            "{} is missing: build it with `cargo build --release -p weightslab-e2e --bins`",
            server.display()
        );
        let log_dir = tempfile::tempdir()?;
        let (child, addr) = weightslab_e2e::spawn_server_process(&server, log_dir.path(), &[])?;
        Ok(Self {
            child,
            addr,
            _log_dir: log_dir,
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether this run measures `part` (one of `floor`, `h2-blocking`, `h2`, `tonic`, `web-hyper`,
/// `web`, `throughput`):
/// `RPC_BENCH_PARTS` lists the parts to run, comma-separated; unset runs them all. One part at a
/// time is what a profiler attached to the server wants.
fn wanted(part: &str) -> bool {
    std::env::var("RPC_BENCH_PARTS")
        .map(|parts| parts.split(',').any(|p| p.trim() == part))
        .unwrap_or(true)
}

/// `target.calls` timed calls of `call` after 500 untimed ones, with the server's CPU time over
/// the timed ones.
async fn time_calls<F, Fut>(target: &Target, mut call: F) -> anyhow::Result<Measured>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for _ in 0..500 {
        call().await?;
    }
    let mut samples = Vec::with_capacity(target.calls);
    let cpu_before = target.threads.cpu_time();
    for _ in 0..target.calls {
        let started = Instant::now();
        call().await?;
        samples.push(started.elapsed());
    }
    let server_cpu_per_call =
        server_cpu::per_call(cpu_before, target.threads.cpu_time(), target.calls);
    Ok(Measured {
        samples,
        server_cpu_per_call,
    })
}

/// Prints one latency line for `target`.
fn report_latency(target: &Target, what: &str, measured: Measured) {
    report(
        &format!("{}: {what}", target.label),
        measured,
        Some(target.baseline),
    );
}

/// Sequential gRPC and gRPC-Web latency against the target, each with lean clients (the
/// server's own latency) and with the usual Rust client stack (tonic's `Channel`, hyper's
/// pooled client).
async fn measure_latency(target: Target) -> anyhow::Result<()> {
    let addr = target.addr;
    let request = GetEvaluationStatusRequest {};
    if wanted("h2-blocking") {
        blocking_grpc_latency(&target).await?;
    }
    if wanted("h2") {
        lean_grpc_latency(&target).await?;
    }

    if wanted("tonic") {
        let channel = ExperimentServiceClient::connect(format!("http://{addr}")).await?;
        let measured = time_calls(&target, || {
            let mut client = channel.clone();
            async move {
                client.get_evaluation_status(request).await?;
                Ok(())
            }
        })
        .await?;
        report_latency(&target, "gRPC unary, tonic Channel", measured);
    }

    if wanted("web-hyper") {
        let http = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let body = Bytes::from(web_frame(&request.encode_to_vec()));
        let url = format!("http://{addr}/ExperimentService/GetEvaluationStatus");
        let measured = time_calls(&target, || {
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
                Ok(())
            }
        })
        .await?;
        report_latency(&target, "gRPC-Web unary, hyper pooled client", measured);
    }

    if wanted("web") {
        lean_web_latency(&target).await?;
    }
    Ok(())
}

/// Sequential gRPC latency with the lean h2 client.
async fn lean_grpc_latency(target: &Target) -> anyhow::Result<()> {
    let message = GetEvaluationStatusRequest {}.encode_to_vec();
    let lean = lean::GrpcClient::connect(target.addr).await?;
    let measured = time_calls(target, || async {
        let reply = lean.call("GetEvaluationStatus", &message).await?;
        GetEvaluationStatusResponse::decode(reply.as_slice())?;
        Ok(())
    })
    .await?;
    report_latency(
        target,
        "gRPC unary, h2 client, one write per request",
        measured,
    );
    Ok(())
}

/// Sequential gRPC latency with HTTP/2 frames on a blocking socket (`blocking_h2.rs`): no
/// client runtime at all, like the gRPC-Web client below.
async fn blocking_grpc_latency(target: &Target) -> anyhow::Result<()> {
    let mut client = blocking_h2::BlockingGrpcClient::connect(target.addr)?;
    blocking_latency(
        target,
        "gRPC unary, HTTP/2 frames on a blocking socket",
        |method, message| client.call(method, message),
    )
    .await
}

/// Sequential gRPC-Web latency with the lean HTTP/1.1 client, blocking like the one above.
async fn lean_web_latency(target: &Target) -> anyhow::Result<()> {
    let mut client = lean::WebClient::connect(target.addr)?;
    blocking_latency(
        target,
        "gRPC-Web unary, HTTP/1.1 on a blocking socket",
        |method, message| client.call(method, message),
    )
    .await
}

/// Sequential latency with a client that blocks the calling thread. Each call runs inside the
/// timed future: the client thread's runtime has nothing else to do.
async fn blocking_latency(
    target: &Target,
    what: &str,
    mut call: impl FnMut(&str, &[u8]) -> anyhow::Result<Vec<u8>>,
) -> anyhow::Result<()> {
    let message = GetEvaluationStatusRequest {}.encode_to_vec();
    let measured = time_calls(target, || {
        let reply = call("GetEvaluationStatus", &message)
            .and_then(|reply| Ok(GetEvaluationStatusResponse::decode(reply.as_slice())?));
        std::future::ready(reply.map(drop))
    })
    .await?;
    report_latency(target, what, measured);
    Ok(())
}

/// gRPC throughput against `addr`: 64 calls in flight for 3 s, from this runtime's workers.
async fn measure_throughput(label: &str, addr: SocketAddr) -> anyhow::Result<()> {
    let client = ExperimentServiceClient::connect(format!("http://{addr}")).await?;
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
        "{label}: gRPC throughput, {in_flight} in flight {:.0} calls/s ({total} calls in {seconds:.1} s)",
        total as f64 / seconds
    );
    Ok(())
}

/// The lean clients against the bare hyper server of `floor.rs`: what HTTP/2 or HTTP/1.1 and
/// the loopback cost with no service stack at all, measured the way our server is.
async fn floor_latency(calls: usize, baseline: Duration) -> anyhow::Result<()> {
    let addr = floor::start(GetEvaluationStatusResponse::default().encode_to_vec())?;
    let target = Target {
        label: "floor (bare hyper, canned reply)",
        addr,
        threads: ServerThreads::Of {
            pid: std::process::id(),
            name_prefix: floor::THREAD_NAME,
        },
        calls,
        baseline,
    };
    on_client_thread(move || async move {
        blocking_grpc_latency(&target).await?;
        lean_grpc_latency(&target).await?;
        lean_web_latency(&target).await
    })
    .await
}

/// Runs `work` on a client thread of its own with a single-threaded runtime, the way a lean
/// client (or the Studio's one JavaScript thread) waits for each reply: the reply wakes exactly
/// one thread. (Polled from `#[tokio::main]`'s own thread instead, every reply also crosses
/// from a runtime worker to the main thread, which on this VM alone costs more than 100 µs.)
async fn on_client_thread<F, Fut>(work: F) -> anyhow::Result<()>
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let outcome = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(work()));
        let _ = done.send(outcome);
    });
    result
        .await
        .map_err(|_| anyhow::anyhow!("the client thread panicked"))?
}

/// Latency (on a client thread of its own, see `on_client_thread`), then throughput, against
/// the target.
async fn measure(target: Target) -> anyhow::Result<()> {
    let (label, addr) = (target.label, target.addr);
    on_client_thread(move || measure_latency(target)).await?;
    if wanted("throughput") {
        measure_throughput(label, addr).await?;
    }
    Ok(())
}

/// The bench's own runtime's threads, where the in-process server runs.
const RUNTIME_THREAD_NAME: &str = "bench-runtime";

fn main() -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(RUNTIME_THREAD_NAME)
        .build()?
        .block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let calls: usize = std::env::var("RPC_BENCH_CALLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let echo = tokio::task::spawn_blocking(move || tcp_echo_baseline(calls)).await??;
    let baseline = report(
        "baseline: raw TCP echo, two threads",
        Measured {
            samples: echo,
            server_cpu_per_call: None,
        },
        None,
    );
    if wanted("floor") {
        floor_latency(calls, baseline).await?;
    }
    if let Ok(addr) = std::env::var("RPC_BENCH_ADDR") {
        let addr: SocketAddr = addr
            .parse()
            .map_err(|e| anyhow::anyhow!("RPC_BENCH_ADDR {addr:?} is not host:port: {e}"))?;
        return measure(Target {
            label: "given server",
            addr,
            threads: ServerThreads::Unknown,
            calls,
            baseline,
        })
        .await;
    }
    let server = TestServer::start().await;
    measure(Target {
        label: "in-process",
        addr: server.addr,
        // The test server runs on this runtime's workers; the clients run on threads of their
        // own (`on_client_thread`) or, for throughput, after the latency figures are taken.
        threads: ServerThreads::Of {
            pid: std::process::id(),
            name_prefix: RUNTIME_THREAD_NAME,
        },
        calls,
        baseline,
    })
    .await?;
    server.shutdown().await;
    let process = ServerProcess::spawn()?;
    measure(Target {
        label: "separate process",
        addr: process.addr,
        threads: ServerThreads::Of {
            pid: process.child.id(),
            name_prefix: "",
        },
        calls,
        baseline,
    })
    .await?;
    Ok(())
}
