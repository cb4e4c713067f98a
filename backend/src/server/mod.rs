//! One listener for everything: gRPC (HTTP/2), gRPC-Web (HTTP/1.1, text and binary), health,
//! reflection, `/metrics` and the Studio, with TLS, auth, CORS and graceful shutdown.

pub mod access;
pub mod limits;
pub mod metrics;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use http::{HeaderName, HeaderValue, Method};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tonic::service::Routes;
use tonic::transport::server::TcpIncoming;
use tonic::transport::{Certificate, Identity, ServerTlsConfig};
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::{ServerConfig, TlsConfig};
use crate::service::{ExperimentApi, ServiceContext};
use crate::studio;
use access::AccessPolicy;

/// Start-up failures, each with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(
        "port {port} on {host} is already in use (another weightslab or another program is listening there); stop it or choose another port with --port / GRPC_BACKEND_PORT"
    )]
    PortInUse { host: String, port: u16 },
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read TLS file {path}: {source}")]
    TlsFile {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("server stopped with an error: {0}")]
    Serve(String),
}

/// A running server: its bound addresses and a way to stop it gracefully.
pub struct RunningServer {
    addr: SocketAddr,
    web_addr: Option<SocketAddr>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<Result<(), ServerError>>>,
    grace: Duration,
}

impl RunningServer {
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn web_addr(&self) -> Option<SocketAddr> {
        self.web_addr
    }

    /// Stops accepting, lets in-flight calls finish within the grace period, then returns.
    pub async fn shutdown(self) -> Result<(), ServerError> {
        let _ = self.shutdown.send(true);
        self.join().await
    }

    /// A future that resolves when a shutdown was requested elsewhere and the listeners drained.
    pub async fn join(self) -> Result<(), ServerError> {
        let grace = self.grace;
        let mut stop = self.shutdown.subscribe();
        let mut result = Ok(());
        for mut task in self.tasks {
            let outcome = tokio::select! {
                outcome = &mut task => Some(outcome),
                _ = async {
                    let _ = stop.wait_for(|stopping| *stopping).await;
                    tokio::time::sleep(grace).await;
                } => None,
            };
            match outcome {
                Some(Ok(Ok(()))) => {}
                Some(Ok(Err(error))) => result = Err(error),
                Some(Err(join_error)) => result = Err(ServerError::Serve(join_error.to_string())),
                None => {
                    tracing::warn!(grace = ?grace, "in-flight calls did not finish within the grace period; closing them");
                    task.abort();
                }
            }
        }
        result
    }

    /// The sender that triggers a graceful stop (for signal handlers).
    pub fn stopper(&self) -> watch::Sender<bool> {
        self.shutdown.clone()
    }
}

async fn bind(host: std::net::IpAddr, port: u16) -> Result<TcpListener, ServerError> {
    let addr = SocketAddr::new(host, port);
    TcpListener::bind(addr).await.map_err(|source| {
        if source.kind() == std::io::ErrorKind::AddrInUse {
            ServerError::PortInUse {
                host: host.to_string(),
                port,
            }
        } else {
            ServerError::Bind { addr, source }
        }
    })
}

fn tls_config(tls: &TlsConfig) -> Result<ServerTlsConfig, ServerError> {
    let read = |path: &std::path::Path| {
        std::fs::read(path).map_err(|source| ServerError::TlsFile {
            path: path.to_path_buf(),
            source,
        })
    };
    let identity = Identity::from_pem(read(&tls.cert)?, read(&tls.key)?);
    let mut config = ServerTlsConfig::new().identity(identity);
    if let Some(ca) = &tls.client_ca {
        config = config
            .client_ca_root(Certificate::from_pem(read(ca)?))
            .client_auth_optional(false);
    }
    Ok(config)
}

fn cors_layer(policy: Arc<AccessPolicy>) -> CorsLayer {
    let allow = AllowOrigin::predicate(move |origin, parts| {
        policy.origin_allowed(origin, parts.headers.get(http::header::HOST))
    });
    let header = HeaderName::from_static;
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::POST, Method::GET, Method::OPTIONS])
        .allow_headers([
            header("content-type"),
            header("x-grpc-web"),
            header("x-user-agent"),
            header("grpc-timeout"),
            header("authorization"),
            header("x-grpc-token"),
            header("x-api-key"),
            header("x-wl-client-id"),
        ])
        .expose_headers([
            header("grpc-status"),
            header("grpc-message"),
            header("grpc-status-details-bin"),
        ])
        .max_age(Duration::from_secs(3600))
}

/// Builds every route: the ExperimentService, our StudioService, health, reflection,
/// /metrics, /healthz and the Studio as the fallback.
async fn routes(
    api: ExperimentApi,
    context: Arc<ServiceContext>,
    policy: Arc<AccessPolicy>,
) -> Result<Routes, ServerError> {
    let config = &context.config;
    let service = weightslab_proto::ExperimentServiceServer::new(api.clone())
        .max_decoding_message_size(config.max_message_bytes)
        .max_encoding_message_size(config.max_message_bytes);
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_serving::<weightslab_proto::ExperimentServiceServer<ExperimentApi>>()
        .await;
    let reflection_v1 = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(weightslab_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()
        .map_err(|error| ServerError::Serve(error.to_string()))?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(weightslab_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()
        .map_err(|error| ServerError::Serve(error.to_string()))?;

    let metrics_context = context.clone();
    let studio = studio::Studio::new(config.studio_dir.clone(), !config.auth_tokens.is_empty());
    let studio_service =
        weightslab_proto::studio::studio_service_server::StudioServiceServer::new(api);
    let mut routes = Routes::new(service)
        .add_service(studio_service)
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);
    let router = std::mem::take(routes.axum_router_mut())
        .route(
            "/metrics",
            get(move || {
                let context = metrics_context.clone();
                async move {
                    (
                        [(http::header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                        context.metrics.render(),
                    )
                }
            }),
        )
        .route("/healthz", get(|| async { "ok\n" }))
        .route(
            "/version.json",
            get(|| async {
                (
                    [(http::header::CONTENT_TYPE, "application/json")],
                    format!("{{\"version\":\"{}\"}}", env!("CARGO_PKG_VERSION")),
                )
            }),
        )
        .fallback(move |request: axum::extract::Request| {
            let studio = studio.clone();
            async move { studio.serve(request).await }
        })
        .layer(axum::middleware::from_fn_with_state(policy, access::guard));
    *routes.axum_router_mut() = router;
    Ok(routes)
}

/// Binds the listener(s) and starts serving in the background.
pub async fn start(
    api: ExperimentApi,
    context: Arc<ServiceContext>,
) -> Result<RunningServer, ServerError> {
    let config: &ServerConfig = &context.config;
    if !config.is_loopback() && config.auth_tokens.is_empty() {
        tracing::warn!(
            host = %config.host,
            "listening on a non-loopback address without authentication: anyone who can reach this port can control training. Set GRPC_AUTH_TOKEN to require a token."
        );
    }
    let listener = bind(config.host, config.port).await?;
    let addr = listener.local_addr().map_err(|source| ServerError::Bind {
        addr: SocketAddr::new(config.host, config.port),
        source,
    })?;
    let web_listener = match config.web_port {
        Some(port) => Some(bind(config.host, port).await?),
        None => None,
    };
    let web_addr = web_listener
        .as_ref()
        .and_then(|listener| listener.local_addr().ok());

    // One policy for the route guard and the CORS layer.
    let policy = Arc::new(AccessPolicy::new(
        &config.auth_tokens,
        &config.allowed_origins,
    ));
    let routes = routes(api, context.clone(), policy.clone()).await?;
    let tls = config.tls.as_ref().map(tls_config).transpose()?;
    let (shutdown, _) = watch::channel(false);

    let mut tasks = Vec::new();
    for listener in std::iter::once(listener).chain(web_listener) {
        let mut builder = tonic::transport::Server::builder()
            .accept_http1(true)
            .tcp_nodelay(true)
            .http2_keepalive_interval(Some(Duration::from_secs(30)));
        if let Some(tls) = tls.clone() {
            builder = builder
                .tls_config(tls)
                .map_err(|error| ServerError::Tls(error.to_string()))?;
        }
        let layers = tower::ServiceBuilder::new()
            .layer(cors_layer(policy.clone()))
            .layer(web::GrpcWebOrPlainLayer)
            .into_inner();
        let router = builder.layer(layers).add_routes(routes.clone());
        let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
        let mut stop = shutdown.subscribe();
        tasks.push(tokio::spawn(async move {
            router
                .serve_with_incoming_shutdown(incoming, async move {
                    let _ = stop.wait_for(|stopping| *stopping).await;
                })
                .await
                .map_err(|error| ServerError::Serve(error.to_string()))
        }));
    }
    tracing::info!(%addr, ?web_addr, tls = context.config.tls.is_some(), "serving gRPC, gRPC-Web and the Studio");
    Ok(RunningServer {
        addr,
        web_addr,
        shutdown,
        tasks,
        grace: context.config.shutdown_grace,
    })
}

/// Header value helper for static responses.
pub(crate) fn header_value(text: &str) -> HeaderValue {
    HeaderValue::from_str(text)
        .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
}
