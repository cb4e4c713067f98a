//! Harness for the black-box tests: start the real server on an ephemeral loopback port and
//! talk to it over real sockets (tonic for gRPC, raw HTTP/1.1 for gRPC-Web).

use std::net::SocketAddr;
use std::sync::Arc;

use base64::Engine;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use weightslab::config::{RunConfig, ServerConfig};
use weightslab::experiment::Experiment;
use weightslab::server::RunningServer;
use weightslab::service::{CallGate, ExperimentApi, ServiceContext};

pub use weightslab_proto as proto;

/// A server running in this process on 127.0.0.1:<ephemeral>.
pub struct TestServer {
    pub server: Option<RunningServer>,
    pub addr: SocketAddr,
    pub log_dir: tempfile::TempDir,
    pub experiment: Arc<Experiment>,
    pub context: Arc<ServiceContext>,
}

/// Knobs a test may turn before the server starts.
#[derive(Default)]
pub struct TestOptions {
    pub tokens: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub max_message_bytes: Option<usize>,
    pub tls: Option<weightslab::config::TlsConfig>,
    pub logger_gate: Option<Arc<CallGate>>,
    pub run: Option<RunConfig>,
    /// Also listen on a second (ephemeral) port with the same routes.
    pub second_listener: bool,
    /// `WL_STUDIO_HOLD=off` when false.
    pub studio_hold: Option<bool>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(TestOptions::default()).await
    }

    pub async fn start_with(options: TestOptions) -> Self {
        let log_dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServerConfig::new([127, 0, 0, 1].into(), 0, log_dir.path().to_path_buf());
        config.auth_tokens = options.tokens;
        config.allowed_origins = options.allowed_origins;
        config.tls = options.tls;
        if options.second_listener {
            config.web_port = Some(0);
        }
        if let Some(bytes) = options.max_message_bytes {
            config.max_message_bytes = bytes;
        }
        if let Some(hold) = options.studio_hold {
            config.studio_hold = hold;
        }
        let mut context = ServiceContext::new(config).expect("service context");
        context.logger_gate = options.logger_gate;
        let context = Arc::new(context);
        let run = options.run.unwrap_or_else(paused_demo);
        let experiment = Experiment::start(run, log_dir.path()).expect("experiment starts");
        let api = ExperimentApi::new(experiment.clone(), context.clone());
        let server = weightslab::server::start(api, context.clone())
            .await
            .expect("server starts");
        let addr = server.local_addr();
        Self {
            server: Some(server),
            addr,
            log_dir,
            experiment,
            context,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub async fn client(&self) -> proto::ExperimentServiceClient<tonic::transport::Channel> {
        proto::ExperimentServiceClient::connect(self.url())
            .await
            .expect("gRPC client connects")
    }

    pub async fn studio_client(
        &self,
    ) -> proto::studio::studio_service_client::StudioServiceClient<tonic::transport::Channel> {
        proto::studio::studio_service_client::StudioServiceClient::connect(self.url())
            .await
            .expect("gRPC client connects")
    }

    pub async fn shutdown(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }
}

/// The demo run, paused, so that tests that do not train use no CPU for it.
pub fn paused_demo() -> RunConfig {
    let mut run = RunConfig::default();
    run.train.start_paused = true;
    run.thumbnails.backend = "cpu".into();
    run
}

/// Starts the `weightslab` binary at `binary` as a user would: `serve` on a free loopback port,
/// training paused, CPU thumbnails, no progress bar, logging to `log_dir`, then `extra` flags.
/// Returns the child once it printed its address; its stdout keeps being drained in the
/// background so it never blocks on a full pipe.
pub fn spawn_server_process(
    binary: &std::path::Path,
    log_dir: &std::path::Path,
    extra: &[&str],
) -> std::io::Result<(std::process::Child, SocketAddr)> {
    use std::io::{BufRead, BufReader, Error};
    use std::process::{Command, Stdio};
    let mut child = Command::new(binary)
        .args([
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--start-paused",
        ])
        .args(["--no-progress", "--thumbnails", "cpu", "--log-dir"])
        .arg(log_dir)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::other("the server's stdout is not piped"))?;
    let mut lines = BufReader::new(stdout).lines();
    let addr = loop {
        let line = lines
            .next()
            .ok_or_else(|| Error::other("the server exited before printing its address"))??;
        if let Some(rest) = line.split("listening on http://").nth(1) {
            let address = rest.split_whitespace().next().unwrap_or_default();
            break address
                .parse()
                .map_err(|e| Error::other(format!("bad address {address:?}: {e}")))?;
        }
    };
    std::thread::spawn(move || lines.for_each(drop));
    Ok((child, addr))
}

/// One frame of a gRPC-Web body.
#[derive(Debug, Clone, PartialEq)]
pub enum WebFrame {
    Data(Vec<u8>),
    Trailers(Vec<(String, String)>),
}

/// Frames a protobuf message as gRPC-Web (flag 0, big-endian length).
pub fn web_frame(message: &[u8]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(message.len() + 5);
    frame.push(0);
    frame.extend_from_slice(&(message.len() as u32).to_be_bytes());
    frame.extend_from_slice(message);
    frame
}

/// Splits a gRPC-Web body into data and trailer frames.
pub fn parse_web_frames(mut body: &[u8]) -> Vec<WebFrame> {
    let mut frames = Vec::new();
    while body.len() >= 5 {
        let flag = body[0];
        let length = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        let payload = body[5..5 + length].to_vec();
        body = &body[5 + length..];
        if flag & 0x80 != 0 {
            let text = String::from_utf8_lossy(&payload).to_string();
            let trailers = text
                .split("\r\n")
                .filter(|line| !line.is_empty())
                .filter_map(|line| line.split_once(':'))
                .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
                .collect();
            frames.push(WebFrame::Trailers(trailers));
        } else {
            frames.push(WebFrame::Data(payload));
        }
    }
    frames
}

/// An HTTP/1.1 response, body fully read.
#[derive(Debug)]
pub struct HttpReply {
    pub status: u16,
    pub headers: http::HeaderMap,
    pub body: Vec<u8>,
}

/// Sends one HTTP/1.1 request (never HTTP/2) and reads the whole reply.
pub async fn http1(request: http::Request<Full<Bytes>>) -> HttpReply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.request(request).await.expect("HTTP/1.1 request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes()
        .to_vec();
    HttpReply {
        status,
        headers,
        body,
    }
}

/// Calls a method with gRPC-Web over HTTP/1.1: `text` selects grpc-web-text (base64).
pub async fn grpc_web_call(
    addr: SocketAddr,
    method: &str,
    message: &[u8],
    text: bool,
    extra_headers: &[(&str, &str)],
) -> HttpReply {
    let frame = web_frame(message);
    let (content_type, body) = if text {
        (
            "application/grpc-web-text",
            base64::engine::general_purpose::STANDARD
                .encode(&frame)
                .into_bytes(),
        )
    } else {
        ("application/grpc-web+proto", frame)
    };
    let mut builder = http::Request::post(format!("http://{addr}/ExperimentService/{method}"))
        .version(http::Version::HTTP_11)
        .header("content-type", content_type)
        .header("accept", content_type)
        .header("x-grpc-web", "1");
    for (name, value) in extra_headers {
        builder = builder.header(*name, *value);
    }
    let mut reply = http1(builder.body(Full::new(Bytes::from(body))).expect("request")).await;
    if text && reply.status == 200 {
        reply.body = decode_text_body(&reply.body);
    }
    reply
}

/// Decodes a grpc-web-text body, which may be several padded base64 segments.
pub fn decode_text_body(body: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(body);
    let mut out = Vec::new();
    let mut segment = String::new();
    for character in text.chars().filter(|c| !c.is_whitespace()) {
        segment.push(character);
        if character == '=' && segment.len().is_multiple_of(4) {
            out.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(&segment)
                    .expect("base64 segment"),
            );
            segment.clear();
        }
    }
    if !segment.is_empty() {
        out.extend(
            base64::engine::general_purpose::STANDARD
                .decode(&segment)
                .expect("base64 tail"),
        );
    }
    out
}

/// The gRPC status of a gRPC-Web reply: from the trailer frame, or trailers-only headers.
pub fn web_status(reply: &HttpReply) -> Option<String> {
    for frame in parse_web_frames(&reply.body) {
        if let WebFrame::Trailers(trailers) = frame
            && let Some((_, value)) = trailers.iter().find(|(name, _)| name == "grpc-status")
        {
            return Some(value.clone());
        }
    }
    reply
        .headers
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .map(str::to_string)
}

/// A paused demo run with the small MLP, for tests that train a few steps.
pub fn paused_mlp() -> RunConfig {
    let mut run = paused_demo();
    run.model.kind = weightslab::config::ModelKindConfig::Mlp;
    run.train.batch_size = 32;
    run.train.eval_frequency = 0;
    run.train.checkpoint_frequency = 0;
    run
}

/// Builds an ExperimentCommand carrying only hyperparameters.
/// `message` as a request that carries `authorization: Bearer <token>`.
pub fn with_bearer<T>(message: T, token: &str) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    let value = format!("Bearer {token}")
        .parse()
        .expect("a token is a valid header value");
    request.metadata_mut().insert("authorization", value);
    request
}

pub fn hyper_command(hyper: proto::HyperParameters) -> proto::TrainerCommand {
    proto::TrainerCommand {
        hyper_parameter_change: Some(proto::HyperParameterCommand {
            hyper_parameters: Some(hyper),
        }),
        ..Default::default()
    }
}

/// The numeric hyperparameter descriptors by name.
pub async fn hyper_values(
    client: &mut proto::ExperimentServiceClient<tonic::transport::Channel>,
) -> std::collections::HashMap<String, f64> {
    let reply = client
        .experiment_command(proto::TrainerCommand {
            get_hyper_parameters: true,
            ..Default::default()
        })
        .await
        .expect("heartbeat")
        .into_inner();
    reply
        .hyper_parameters_descs
        .into_iter()
        .filter_map(|desc| {
            desc.numerical_value
                .map(|value| (desc.name, f64::from(value)))
        })
        .collect()
}

/// The current run hash.
pub async fn current_hash(
    client: &mut proto::ExperimentServiceClient<tonic::transport::Channel>,
) -> String {
    let reply = client
        .experiment_command(proto::TrainerCommand {
            get_hyper_parameters: true,
            ..Default::default()
        })
        .await
        .expect("heartbeat")
        .into_inner();
    reply
        .hyper_parameters_descs
        .into_iter()
        .find(|desc| desc.name == "last_hash")
        .and_then(|desc| desc.string_value)
        .expect("last_hash descriptor")
}

/// Resumes for exactly `steps` steps and waits until the trainer has paused itself again.
/// The wait is bounded generously; the outcome never depends on how long a step takes.
pub async fn train_steps(
    client: &mut proto::ExperimentServiceClient<tonic::transport::Channel>,
    steps: i32,
) -> f64 {
    let before = hyper_values(client).await["model_age"];
    resume_for(client, steps).await;
    wait_for_pause_at(client, before + f64::from(steps)).await
}

/// Resumes training for exactly `steps` steps (it pauses itself afterwards); returns at once.
pub async fn resume_for(
    client: &mut proto::ExperimentServiceClient<tonic::transport::Channel>,
    steps: i32,
) {
    client
        .experiment_command(hyper_command(proto::HyperParameters {
            is_training: Some(true),
            nb_steps: Some(steps),
            ..Default::default()
        }))
        .await
        .expect("resume");
}

/// Waits (bounded generously) until training has paused with a model age of at least
/// `model_age`; returns the model age then.
pub async fn wait_for_pause_at(
    client: &mut proto::ExperimentServiceClient<tonic::transport::Channel>,
    model_age: f64,
) -> f64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(600);
    loop {
        let values = hyper_values(client).await;
        if values["is_training"] == 0.0 && values["model_age"] >= model_age {
            return values["model_age"];
        }
        assert!(
            std::time::Instant::now() < deadline,
            "training to step {model_age} did not finish: {values:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
