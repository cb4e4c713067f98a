//! The ExperimentService handlers: decode, validate, call one `Experiment` method, encode.
//! Every call is timed, counted, and logged when slow (the watchdog).

mod handlers;
mod studio;
mod summary;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tonic::{Request, Response, Status};

use crate::audit::AuditLog;
use crate::config::ServerConfig;
use crate::error::{ServiceError, ServiceResult};
use crate::experiment::Experiment;
use crate::server::limits::{Limits, NamedLock};
use crate::server::metrics::RpcMetrics;

/// Shared by every handler: configuration, limits, metrics and the audit log.
pub struct ServiceContext {
    pub config: ServerConfig,
    pub limits: Limits,
    pub metrics: RpcMetrics,
    pub audit: AuditLog,
    /// Holds logger calls inside their slot until released (tests of the concurrency limit
    /// and of graceful shutdown use it to keep calls in flight without timing).
    pub logger_gate: Option<Arc<CallGate>>,
}

impl ServiceContext {
    pub fn new(config: ServerConfig) -> Result<Self, crate::audit::AuditError> {
        let audit = AuditLog::open(&config.log_dir)?;
        Ok(Self {
            limits: Limits::new(config.logger_max_concurrent, config.lock_timeout),
            metrics: RpcMetrics::default(),
            audit,
            logger_gate: None,
            config,
        })
    }
}

/// A gate that counts the calls that reached it and holds them until permits are added.
pub struct CallGate {
    entered: tokio::sync::Semaphore,
    release: tokio::sync::Semaphore,
}

impl Default for CallGate {
    fn default() -> Self {
        Self::new()
    }
}

impl CallGate {
    pub fn new() -> Self {
        Self {
            entered: tokio::sync::Semaphore::new(0),
            release: tokio::sync::Semaphore::new(0),
        }
    }

    /// Waits until `count` calls have reached the gate.
    pub async fn wait_entered(&self, count: u32) {
        if let Ok(permits) = self.entered.acquire_many(count).await {
            permits.forget();
        }
    }

    /// Lets `count` held calls continue.
    pub fn release(&self, count: usize) {
        self.release.add_permits(count);
    }

    async fn pass(&self) {
        self.entered.add_permits(1);
        if let Ok(permit) = self.release.acquire().await {
            permit.forget();
        }
    }
}

/// Who is calling: used for audit entries, slow-call logs, lock holders and logger cursors.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: &'static str,
    pub peer: Option<SocketAddr>,
    /// `x-wl-client-id` when sent.
    pub client_header: Option<String>,
}

impl Call {
    /// Who this caller is across calls: `x-wl-client-id` when sent, else the connection's
    /// address. (Made on demand: most calls never need it.)
    pub fn client_id(&self) -> String {
        match (&self.client_header, self.peer) {
            (Some(id), _) => id.clone(),
            (None, Some(peer)) => peer.to_string(),
            (None, None) => "anonymous".to_string(),
        }
    }

    pub fn peer_text(&self) -> Option<String> {
        self.peer.map(|peer| peer.to_string())
    }

    pub fn describe(&self) -> String {
        match self.peer {
            Some(peer) => format!("{} from {peer}", self.method),
            None => self.method.to_string(),
        }
    }
}

/// The tonic service: a cheap clone of two handles.
#[derive(Clone)]
pub struct ExperimentApi {
    experiment: Arc<Experiment>,
    context: Arc<ServiceContext>,
}

impl ExperimentApi {
    pub fn new(experiment: Arc<Experiment>, context: Arc<ServiceContext>) -> Self {
        Self {
            experiment,
            context,
        }
    }

    fn call_of<T>(method: &'static str, request: &Request<T>) -> Call {
        let client_header = request
            .metadata()
            .get("x-wl-client-id")
            .and_then(|value| value.to_str().ok())
            .filter(|value| !value.is_empty() && value.len() <= 128)
            .map(str::to_string);
        Call {
            method,
            peer: request.remote_addr(),
            client_header,
        }
    }

    /// Runs a handler body with timing, metrics and the slow-call watchdog.
    async fn observe<Req, Resp, Fut>(
        &self,
        method: &'static str,
        request: Request<Req>,
        body: impl FnOnce(Call, Req) -> Fut,
    ) -> Result<Response<Resp>, Status>
    where
        Req: std::fmt::Debug,
        Fut: Future<Output = ServiceResult<Resp>>,
    {
        let call = Self::call_of(method, &request);
        let request = request.into_inner();
        let summary = summary::bounded_debug(&request, 400);
        let started = Instant::now();
        let outcome = body(call.clone(), request).await;
        let elapsed = started.elapsed();
        let slow = elapsed >= self.context.config.slow_call;
        let code = match &outcome {
            Ok(_) => tonic::Code::Ok,
            Err(error) => error.code(),
        };
        self.context.metrics.observe(method, code, elapsed, slow);
        if slow {
            tracing::warn!(
                method,
                peer = ?call.peer,
                duration_ms = elapsed.as_millis() as u64,
                ?code,
                request = %summary,
                "slow call"
            );
        }
        if let Err(error) = &outcome
            && error.code() == tonic::Code::Internal
        {
            tracing::error!(method, %error, request = %summary, "call failed");
        }
        outcome.map(Response::new).map_err(Status::from)
    }

    /// Runs blocking experiment work off the async threads, optionally under a named lock.
    async fn blocking<T: Send + 'static>(
        &self,
        call: &Call,
        lock: Option<&NamedLock>,
        work: impl FnOnce(&Experiment) -> ServiceResult<T> + Send + 'static,
    ) -> ServiceResult<T> {
        let _guard = match lock {
            Some(lock) => Some(
                lock.acquire(call.describe(), self.context.limits.lock_timeout)
                    .await?,
            ),
            None => None,
        };
        let experiment = self.experiment.clone();
        tokio::task::spawn_blocking(move || work(&experiment))
            .await
            .map_err(|error| ServiceError::internal(format!("handler task failed: {error}")))?
    }

    /// Records a user action in the audit log (never fails the call).
    fn audit(
        &self,
        call: &Call,
        action: &str,
        outcome: Result<(), &str>,
        details: serde_json::Value,
    ) {
        self.context
            .audit
            .record_or_warn(action, outcome, details, call.peer_text());
    }
}
