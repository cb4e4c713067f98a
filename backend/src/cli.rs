//! The command line: `serve` (the default: train the configured run and serve everything on
//! one port), `train --config run.toml`, and `audit --tail N`.

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Parser, Subcommand};

use crate::config::{Config, RunConfig, ServerConfig, TlsConfig, split_list};
use crate::experiment::Experiment;
use crate::service::{ExperimentApi, ServiceContext};

/// WeightsLab: interactive neural-network training. With no arguments it trains a small CNN
/// on the built-in MNIST digits and serves gRPC, gRPC-Web and the Studio on port 50051.
#[derive(Debug, Parser)]
#[command(name = "weightslab", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train the configured run and serve it (the default).
    Serve(ServeArgs),
    /// Like `serve`, with a run config file required.
    Train(ServeArgs),
    /// Print the last entries of the audit log.
    Audit {
        /// How many entries to print.
        #[arg(long, default_value_t = 20)]
        tail: usize,
        /// Log directory holding audit.jsonl.
        #[arg(long, env = "WL_LOG_DIR", default_value = "weightslab-logs")]
        log_dir: PathBuf,
    },
}

/// Server and run options. Precedence: flag > environment variable > config file > default.
#[derive(Debug, Clone, Args, Default)]
pub struct ServeArgs {
    /// Run config file (TOML): [data], [model], [optimizer], [train], [edits], [thumbnails], [server].
    #[arg(long, env = "WL_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on [default: 0.0.0.0].
    #[arg(long, env = "GRPC_BACKEND_HOST")]
    pub host: Option<IpAddr>,
    /// Port for gRPC, gRPC-Web and the Studio [default: 50051; 0 picks a free one].
    #[arg(long, env = "GRPC_BACKEND_PORT")]
    pub port: Option<u16>,
    /// Optional second port with the same routes (for Studio builds that expect 8080).
    #[arg(long, env = "WL_WEB_PORT")]
    pub web_port: Option<u16>,
    /// Largest message accepted or sent, both directions [default: 268435456].
    #[arg(long, env = "GRPC_MAX_MESSAGE_BYTES")]
    pub max_message_bytes: Option<usize>,
    /// Directory for the sample table, journal, checkpoints and audit log [default: weightslab-logs].
    #[arg(long, env = "WL_LOG_DIR")]
    pub log_dir: Option<PathBuf>,
    /// Serve TLS (needs --tls-cert and --tls-key).
    #[arg(long, env = "GRPC_TLS_ENABLED", value_parser = clap::builder::BoolishValueParser::new())]
    pub tls: Option<bool>,
    /// PEM certificate chain.
    #[arg(long, env = "GRPC_TLS_CERT_FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, env = "GRPC_TLS_KEY_FILE")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle: when set, clients must present a certificate signed by it (mTLS).
    #[arg(long, env = "GRPC_TLS_CA_FILE")]
    pub tls_client_ca: Option<PathBuf>,
    /// A token clients must send (authorization: Bearer <t>, x-grpc-token or x-api-key).
    #[arg(long, env = "GRPC_AUTH_TOKEN", hide_env_values = true)]
    pub auth_token: Option<String>,
    /// Several accepted tokens, comma-separated.
    #[arg(long, env = "GRPC_AUTH_TOKENS", hide_env_values = true)]
    pub auth_tokens: Option<String>,
    /// Extra browser origins allowed to call (comma-separated; `*` allows any).
    #[arg(long, env = "WL_ALLOWED_ORIGINS")]
    pub allowed_origins: Option<String>,
    /// Seconds to wait for the edit or query lock before answering ABORTED [default: 180].
    #[arg(long, env = "WL_LOCK_TIMEOUT_SECS")]
    pub lock_timeout_secs: Option<u64>,
    /// Calls slower than this are logged with a request summary [default: 2000].
    #[arg(long, env = "WL_SLOW_CALL_MS")]
    pub slow_call_ms: Option<u64>,
    /// Serve a prebuilt Weights Studio from this folder instead of the embedded Studio.
    #[arg(long, env = "WL_STUDIO_DIR")]
    pub studio_dir: Option<PathBuf>,
    /// Let the Studio hold training for a moment while a person scrolls its sample grid, so
    /// a machine with few cores draws it smoothly [default: on].
    #[arg(long, env = "WL_STUDIO_HOLD", value_parser = clap::builder::BoolishValueParser::new())]
    pub studio_hold: Option<bool>,
    /// Start with training paused.
    #[arg(long)]
    pub start_paused: bool,
    /// Apply edits at the next batch without pausing training first.
    #[arg(long, env = "WL_EDITS_LIVE", value_parser = clap::builder::BoolishValueParser::new())]
    pub edits_live: Option<bool>,
    /// Thumbnail resizing: auto, gpu or cpu.
    #[arg(long, env = "WL_THUMBNAILS")]
    pub thumbnails: Option<String>,
    /// Thumbnail cache size in MiB [default: 256].
    #[arg(long, env = "WL_THUMB_CACHE_MB")]
    pub thumb_cache_mb: Option<usize>,
    /// OpenAI-compatible endpoint that turns natural-language requests the built-in parser does
    /// not understand into queries (e.g. http://localhost:11434/v1). Off when unset.
    #[arg(long, env = "WL_AGENT_URL")]
    pub agent_url: Option<String>,
    /// Model name sent to the assistant endpoint.
    #[arg(long, env = "WL_AGENT_MODEL")]
    pub agent_model: Option<String>,
    /// API key for the assistant endpoint (environment only, never a flag or a file).
    #[arg(skip = std::env::var("WL_AGENT_API_KEY").ok())]
    pub agent_api_key: Option<String>,
    /// No terminal progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

impl ServeArgs {
    /// Resolves every source into one typed config.
    pub fn resolve(&self) -> anyhow::Result<Config> {
        let mut run = match &self.config {
            Some(path) => RunConfig::from_file(path)?,
            None => RunConfig::default(),
        };
        let file = run.server.clone();
        let host = self
            .host
            .or(file.host)
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let port = self.port.or(file.port).unwrap_or(50051);
        let log_dir = self
            .log_dir
            .clone()
            .or(file.log_dir)
            .unwrap_or_else(|| PathBuf::from("weightslab-logs"));
        let mut server = ServerConfig::new(host, port, log_dir);
        server.web_port = self.web_port.or(file.web_port);
        server.max_message_bytes = self
            .max_message_bytes
            .or(file.max_message_bytes)
            .unwrap_or(server.max_message_bytes);
        if server.max_message_bytes < 1024 {
            bail!(
                "GRPC_MAX_MESSAGE_BYTES = {} is too small: use at least 1024",
                server.max_message_bytes
            );
        }
        let mut tokens = Vec::new();
        tokens.extend(
            self.auth_token
                .iter()
                .filter(|token| !token.trim().is_empty())
                .map(|token| token.trim().to_string()),
        );
        tokens.extend(
            self.auth_tokens
                .as_deref()
                .map(split_list)
                .unwrap_or_default(),
        );
        server.auth_tokens = tokens;
        server.allowed_origins = self
            .allowed_origins
            .as_deref()
            .map(split_list)
            .or(file.allowed_origins)
            .unwrap_or_default();
        server.lock_timeout = Duration::from_secs(
            self.lock_timeout_secs
                .or(file.lock_timeout_secs)
                .unwrap_or(180),
        );
        server.slow_call =
            Duration::from_millis(self.slow_call_ms.or(file.slow_call_ms).unwrap_or(2000));
        server.studio_dir = self.studio_dir.clone();
        server.studio_hold = self.studio_hold.unwrap_or(true);
        let tls_wanted = self.tls.unwrap_or(false);
        server.tls = match (tls_wanted, &self.tls_cert, &self.tls_key) {
            (false, _, _) => None,
            (true, Some(cert), Some(key)) => Some(TlsConfig {
                cert: cert.clone(),
                key: key.clone(),
                client_ca: self.tls_client_ca.clone(),
            }),
            (true, _, _) => bail!(
                "GRPC_TLS_ENABLED is on but the certificate or key is missing: set GRPC_TLS_CERT_FILE and GRPC_TLS_KEY_FILE (or --tls-cert / --tls-key)"
            ),
        };
        if self.start_paused {
            run.train.start_paused = true;
        }
        if let Some(live) = self.edits_live {
            run.edits.live = live;
        }
        if let Some(backend) = &self.thumbnails {
            if !["auto", "gpu", "cpu"].contains(&backend.as_str()) {
                bail!("WL_THUMBNAILS = {backend:?} is not valid: use auto, gpu or cpu");
            }
            run.thumbnails.backend = backend.clone();
        }
        if let Some(megabytes) = self.thumb_cache_mb {
            run.thumbnails.cache_mb = megabytes;
        }
        let agent = self
            .agent_url
            .as_ref()
            .filter(|url| !url.trim().is_empty())
            .map(|url| crate::agent::AgentConfig {
                url: url.trim().to_string(),
                model: self
                    .agent_model
                    .clone()
                    .unwrap_or_else(|| "default".to_string()),
                api_key: self.agent_api_key.clone().filter(|key| !key.is_empty()),
                timeout: Duration::from_secs(30),
            });
        Ok(Config { server, run, agent })
    }
}

/// Logs to stderr at the level `WL_LOG` names (an `EnvFilter`, default `info`); the CLI and
/// the desktop app share it. A second call is a no-op. A closed stderr loses the log, nothing
/// more: by default the subscriber reports a failed write with `eprintln!`, which panics when
/// stderr is a pipe whose reader has gone.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("WL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .log_internal_errors(false)
        .try_init();
}

/// Entry point of the `weightslab` binary.
pub fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Audit { tail, log_dir }) => print_audit(&log_dir, tail),
        Some(Command::Train(args)) => {
            if args.config.is_none() {
                bail!(
                    "`weightslab train` needs --config <run.toml>; run `weightslab serve` for the built-in demo"
                );
            }
            run_server(args)
        }
        Some(Command::Serve(args)) => run_server(args),
        None => run_server(cli.serve),
    }
}

fn print_audit(log_dir: &std::path::Path, count: usize) -> anyhow::Result<()> {
    use std::io::Write;
    let path = log_dir.join(crate::audit::AuditLog::FILE_NAME);
    let entries = crate::audit::tail(&path, count)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let mut stdout = std::io::stdout().lock();
    for entry in entries {
        match writeln!(stdout, "{}", serde_json::to_string(&entry)?) {
            // The reader left (`weightslab audit | head`): nothing more to print.
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            result => result?,
        }
    }
    Ok(())
}

fn run_server(args: ServeArgs) -> anyhow::Result<()> {
    init_tracing();
    let config = args.resolve()?;
    tracing::info!(config = %config.server.describe(), "starting");
    tracing::info!(run = ?config.run, "run configuration");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("weightslab-rpc")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve_until_signal(config, !args.no_progress))
}

/// Builds the experiment, serves until SIGINT/SIGTERM, then drains and flushes.
pub async fn serve_until_signal(config: Config, progress: bool) -> anyhow::Result<()> {
    // Listened for from here on: a SIGTERM while the experiment starts stops the server as soon
    // as it runs, instead of killing the process with nothing flushed.
    let stop_requested = stop_signals();
    std::fs::create_dir_all(&config.server.log_dir)
        .with_context(|| format!("cannot create log dir {}", config.server.log_dir.display()))?;
    let log_dir = config.server.log_dir.clone();
    let run = config.run.clone();
    let experiment = tokio::task::spawn_blocking(move || Experiment::start(run, &log_dir))
        .await?
        .context("cannot start the experiment")?;
    experiment.set_agent(config.agent.clone());
    let context = Arc::new(ServiceContext::new(config.server.clone())?);
    let api = ExperimentApi::new(experiment.clone(), context.clone());
    let server = crate::server::start(api, context).await?;
    let scheme = if config.server.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let shown_host = if config.server.host.is_unspecified() {
        "localhost".to_string()
    } else {
        config.server.host.to_string()
    };
    announce(&format!(
        "weightslab listening on {scheme}://{shown_host}:{} (gRPC, gRPC-Web and the Studio)",
        server.local_addr().port()
    ));
    let progress_bar = progress.then(|| crate::progress::spawn(experiment.clone()));
    let stopper = server.stopper();
    tokio::spawn(async move {
        stop_requested.await;
        tracing::info!("shutdown requested: draining in-flight calls");
        let _ = stopper.send(true);
    });
    server.join().await?;
    if let Some(bar) = progress_bar {
        bar.stop();
    }
    let flush = experiment.clone();
    tokio::task::spawn_blocking(move || flush.shutdown()).await?;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Resolves on the first SIGINT or SIGTERM sent after this call (Ctrl-C where there are no Unix
/// signals). The handlers are registered when it is called, not when it is first polled.
fn stop_signals() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (terminate, interrupt) {
                (Ok(mut terminate), Ok(mut interrupt)) => {
                    tokio::select! {
                        _ = terminate.recv() => {}
                        _ = interrupt.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Prints one line for the person or program that started the server. Their stdout may be
/// gone (a launcher that closed it, a pipe whose reader left): the server goes on regardless,
/// and the line goes to the log instead.
fn announce(line: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(error) = writeln!(stdout, "{line}").and_then(|()| stdout.flush()) {
        tracing::info!(stdout = %error, "{line}");
    }
}
