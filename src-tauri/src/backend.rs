//! The in-process service: a tokio runtime, the `Experiment`, the window's loopback server
//! and, when exposed, a second token-guarded server on every interface. Everything here
//! blocks (loading data, draining calls, folding the journal); callers keep it off the UI
//! thread.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use weightslab::config::Config;
use weightslab::experiment::Experiment;
use weightslab::server::{RunningServer, ServerError};
use weightslab::service::{ExperimentApi, ServiceContext};

use crate::error::DesktopError;
use crate::exposure::{ExposureInfo, fresh_token, reachable_addresses};
use crate::quit::{self, ShutdownReport};

/// Worker threads for RPCs: the Studio's calls are short, and the trainer and thumbnail
/// workers need the cores more.
const RPC_WORKERS: usize = 2;

struct Exposure {
    server: RunningServer,
    info: ExposureInfo,
}

/// A running service. Dropping it without [`Backend::shutdown`] skips the journal fold (it is
/// replayed at the next start), so the app always shuts down explicitly.
pub struct Backend {
    runtime: tokio::runtime::Runtime,
    config: Config,
    experiment: Arc<Experiment>,
    context: Arc<ServiceContext>,
    local: Option<RunningServer>,
    exposure: Option<Exposure>,
}

impl Backend {
    /// Loads the data, starts the trainer and serves on the configured loopback address.
    pub fn start(config: Config) -> Result<Self, DesktopError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RPC_WORKERS)
            .enable_all()
            .thread_name("weightslab-rpc")
            .build()
            .map_err(DesktopError::Runtime)?;
        let log_dir = config.server.log_dir.clone();
        std::fs::create_dir_all(&log_dir).map_err(|source| DesktopError::LogDir {
            path: log_dir.clone(),
            source,
        })?;
        tracing::info!(config = %config.server.describe(), "starting the service");
        let experiment = Experiment::start(config.run.clone(), &log_dir)?;
        let context = Arc::new(ServiceContext::new(config.server.clone())?);
        let api = ExperimentApi::new(experiment.clone(), context.clone());
        let local = match runtime.block_on(weightslab::server::start(api, context.clone())) {
            Ok(server) => server,
            Err(error) => {
                // Nothing serves yet, but the trainer runs: stop it before reporting.
                experiment.shutdown();
                return Err(error.into());
            }
        };
        Ok(Self {
            runtime,
            config,
            experiment,
            context,
            local: Some(local),
            exposure: None,
        })
    }

    /// The window's address (loopback).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local.as_ref().map(RunningServer::local_addr)
    }

    /// The Studio's URL for the window.
    pub fn studio_url(&self) -> Option<String> {
        self.local_addr()
            .map(|addr| format!("http://{}:{}/", addr.ip(), addr.port()))
    }

    pub fn log_dir(&self) -> &Path {
        &self.config.server.log_dir
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn experiment(&self) -> &Arc<Experiment> {
        &self.experiment
    }

    /// Prometheus text of the window's listener (the same as `GET /metrics` there).
    pub fn metrics_text(&self) -> String {
        self.context.metrics.render()
    }

    pub fn exposure(&self) -> Option<&ExposureInfo> {
        self.exposure.as_ref().map(|exposure| &exposure.info)
    }

    /// Opens a token-guarded listener on every interface. `port` 0 picks a free one; when
    /// the wanted port is taken a free one is used instead (the dialog names the real one).
    /// Tokens configured with `--auth-token(s)` are accepted too.
    pub fn expose(
        &mut self,
        port: u16,
        extra_tokens: &[String],
    ) -> Result<ExposureInfo, DesktopError> {
        if let Some(exposure) = &self.exposure {
            return Ok(exposure.info.clone());
        }
        let token = fresh_token();
        let mut server_config = self.config.server.clone();
        server_config.host = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
        server_config.web_port = None;
        server_config.auth_tokens = std::iter::once(token.clone())
            .chain(extra_tokens.iter().cloned())
            .collect();
        let server = match self.start_network(server_config.clone(), port) {
            Err(DesktopError::Server(ServerError::PortInUse { .. })) if port != 0 => {
                tracing::warn!(port, "the port is taken; exposing on a free one instead");
                self.start_network(server_config, 0)?
            }
            other => other?,
        };
        let info = ExposureInfo {
            port: server.local_addr().port(),
            token,
            addresses: reachable_addresses(),
        };
        tracing::info!(port = info.port, urls = ?info.urls(), "exposed on the network");
        self.exposure = Some(Exposure {
            server,
            info: info.clone(),
        });
        Ok(info)
    }

    fn start_network(
        &self,
        mut server_config: weightslab::config::ServerConfig,
        port: u16,
    ) -> Result<RunningServer, DesktopError> {
        server_config.port = port;
        // Its own context: its own token policy; the audit log is shared through the file,
        // which every context opens for appending whole lines.
        let context = Arc::new(ServiceContext::new(server_config)?);
        let api = ExperimentApi::new(self.experiment.clone(), context.clone());
        Ok(self
            .runtime
            .block_on(weightslab::server::start(api, context))?)
    }

    /// Closes the network listener; in-flight remote calls get the grace period.
    pub fn unexpose(&mut self) -> Result<(), DesktopError> {
        if let Some(exposure) = self.exposure.take() {
            self.runtime.block_on(exposure.server.shutdown())?;
            tracing::info!(port = exposure.info.port, "network port closed");
        }
        Ok(())
    }

    /// True when the model took steps no checkpoint holds.
    pub fn advanced_since_checkpoint(&self) -> bool {
        let model_age = self.experiment.trainer_snapshot().model_age;
        let latest = self
            .experiment
            .list_runs()
            .ok()
            .and_then(|runs| {
                runs.runs
                    .into_iter()
                    .find(|run| run.is_current)
                    .map(|run| i64::from(run.latest_weight_step))
            })
            .unwrap_or(-1);
        quit::advanced_since_checkpoint(model_age, latest)
    }

    /// Graceful stop: both listeners drain, an optional checkpoint is written while the
    /// trainer still runs, then the trainer stops and the journal is folded into HDF5.
    pub fn shutdown(mut self, save_checkpoint: bool) -> ShutdownReport {
        if let Err(error) = self.unexpose() {
            tracing::warn!(%error, "the network listener did not stop cleanly");
        }
        if let Some(local) = self.local.take()
            && let Err(error) = self.runtime.block_on(local.shutdown())
        {
            tracing::warn!(%error, "the window's listener did not stop cleanly");
        }
        let (checkpoint, checkpoint_error) = if save_checkpoint {
            match self.experiment.save_checkpoint(true) {
                Ok(path) => (Some(path), None),
                Err(error) => (None, Some(error.to_string())),
            }
        } else {
            (None, None)
        };
        let model_age = self.experiment.trainer_snapshot().model_age;
        let before = quit::table_stamp(self.log_dir());
        self.experiment.shutdown();
        let journal_folded = quit::folded(before, quit::table_stamp(self.log_dir()));
        self.runtime.shutdown_timeout(Duration::from_secs(2));
        ShutdownReport {
            journal_folded,
            checkpoint,
            checkpoint_error,
            model_age,
        }
    }

    /// The folder holding the table, journal, checkpoints and audit log.
    pub fn log_dir_buf(&self) -> PathBuf {
        self.config.server.log_dir.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    fn http_get(addr: SocketAddr, path: &str) -> String {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        text
    }

    /// The whole lifecycle on a tiny built-in run: serve, expose, unexpose, fold at stop.
    #[test]
    fn serves_exposes_and_folds_the_journal_at_stop() {
        let dir = tempfile::tempdir().unwrap();
        let args = <crate::args::DesktopArgs as clap::Parser>::parse_from([
            "weightslab-desktop",
            "--start-paused",
            "--thumbnails",
            "cpu",
            "--log-dir",
            dir.path().to_str().unwrap(),
        ]);
        let config = args.resolve().unwrap();
        let mut backend = Backend::start(config).unwrap();
        let addr = backend.local_addr().unwrap();
        assert!(addr.ip().is_loopback());
        assert!(http_get(addr, "/metrics").starts_with("HTTP/1.1 200"));
        assert!(!backend.advanced_since_checkpoint(), "paused at step 0");

        let info = backend.expose(0, &[]).unwrap();
        assert_ne!(info.port, addr.port());
        assert_eq!(info.token.len(), 64);
        let network = SocketAddr::from(([127, 0, 0, 1], info.port));
        assert!(http_get(network, "/healthz").starts_with("HTTP/1.1 200"));
        assert_eq!(
            backend.expose(0, &[]).unwrap(),
            info,
            "exposing twice keeps the token"
        );
        backend.unexpose().unwrap();
        assert!(backend.exposure().is_none());
        assert!(
            std::net::TcpStream::connect(network).is_err(),
            "port closed"
        );

        let log_dir = backend.log_dir_buf();
        let report = backend.shutdown(false);
        assert!(report.journal_folded, "{}", report.describe());
        assert!(report.clean());
        assert!(quit::table_file(&log_dir).exists());
        assert!(
            std::net::TcpStream::connect(addr).is_err(),
            "window port closed"
        );
    }
}
