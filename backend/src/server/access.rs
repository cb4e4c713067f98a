//! Who may call: bearer-token auth for ExperimentService calls and the browser-origin policy.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode};
use subtle::ConstantTimeEq;

/// Access rules shared by every request.
pub struct AccessPolicy {
    tokens: Vec<Vec<u8>>,
    allowed_origins: Vec<String>,
    allow_any_origin: bool,
}

/// The path prefixes of every guarded method: the ExperimentService and our StudioService.
pub const GUARDED_PREFIXES: [&str; 2] =
    ["/ExperimentService/", "/weightslab.studio.StudioService/"];

impl AccessPolicy {
    pub fn new(tokens: &[String], allowed_origins: &[String]) -> Self {
        Self {
            tokens: tokens
                .iter()
                .map(|token| token.as_bytes().to_vec())
                .collect(),
            allow_any_origin: allowed_origins.iter().any(|origin| origin == "*"),
            allowed_origins: allowed_origins
                .iter()
                .filter(|origin| origin.as_str() != "*")
                .map(|origin| origin.trim_end_matches('/').to_ascii_lowercase())
                .collect(),
        }
    }

    pub fn auth_enabled(&self) -> bool {
        !self.tokens.is_empty()
    }

    /// True when a presented credential matches one of the tokens. Every token is compared
    /// in constant time, and all of them are always compared.
    pub fn token_accepted(&self, headers: &HeaderMap) -> bool {
        if self.tokens.is_empty() {
            return true;
        }
        let mut accepted = subtle::Choice::from(0u8);
        for presented in presented_tokens(headers) {
            for token in &self.tokens {
                accepted |= presented.as_bytes().ct_eq(token);
            }
        }
        accepted.into()
    }

    /// Browser origins allowed to drive the server: its own origin, loopback origins (any
    /// port), the desktop shell, and the configured list.
    pub fn origin_allowed(&self, origin: &HeaderValue, host: Option<&HeaderValue>) -> bool {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.allow_any_origin || self.allowed_origins.contains(&origin) {
            return true;
        }
        if matches!(
            origin.as_str(),
            "tauri://localhost" | "http://tauri.localhost" | "https://tauri.localhost"
        ) {
            return true;
        }
        let Some((scheme, authority)) = origin.split_once("://") else {
            return false;
        };
        if scheme != "http" && scheme != "https" {
            return false;
        }
        if let Some(host) = host.and_then(|host| host.to_str().ok())
            && authority == host.to_ascii_lowercase()
        {
            return true;
        }
        let hostname = if let Some(rest) = authority.strip_prefix('[') {
            rest.split(']').next().unwrap_or_default()
        } else {
            authority.split(':').next().unwrap_or_default()
        };
        matches!(hostname, "localhost" | "127.0.0.1" | "::1")
    }
}

/// Every credential a client may have sent: `authorization: Bearer <t>` or the bare value,
/// `x-grpc-token`, `x-api-key` and `x-grpc-auth-token`.
fn presented_tokens(headers: &HeaderMap) -> Vec<String> {
    let mut found = Vec::new();
    for value in headers.get_all(http::header::AUTHORIZATION) {
        if let Ok(text) = value.to_str() {
            let text = text.trim();
            let token = match text.split_once(' ') {
                Some((scheme, rest)) if scheme.eq_ignore_ascii_case("bearer") => rest.trim(),
                _ => text,
            };
            found.push(token.to_string());
        }
    }
    for name in ["x-grpc-token", "x-api-key", "x-grpc-auth-token"] {
        for value in headers.get_all(name) {
            if let Ok(text) = value.to_str() {
                found.push(text.trim().to_string());
            }
        }
    }
    found
}

/// Middleware: refuses ExperimentService and StudioService calls without a valid token
/// (UNAUTHENTICATED, no detail) and calls from a browser origin outside the policy (403).
/// Health, reflection, the Studio's files and /metrics are not guarded by tokens.
pub async fn guard(
    State(policy): State<Arc<AccessPolicy>>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if !GUARDED_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
    {
        return next.run(request).await;
    }
    if let Some(origin) = request.headers().get(http::header::ORIGIN)
        && !policy.origin_allowed(origin, request.headers().get(http::header::HOST))
    {
        return (
            StatusCode::FORBIDDEN,
            "this origin is not allowed to call the WeightsLab server; add it to WL_ALLOWED_ORIGINS",
        )
            .into_response();
    }
    if !policy.token_accepted(request.headers()) {
        let (parts, ()) = tonic::Status::unauthenticated("")
            .into_http::<()>()
            .into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        map
    }

    #[test]
    fn token_forms() {
        let policy = AccessPolicy::new(&["alpha".into(), "beta".into()], &[]);
        assert!(policy.auth_enabled());
        for accepted in [
            &[("authorization", "Bearer alpha")][..],
            &[("authorization", "bearer beta")],
            &[("authorization", "alpha")],
            &[("x-grpc-token", "beta")],
            &[("x-api-key", "alpha")],
            &[("x-grpc-auth-token", "alpha")],
        ] {
            assert!(policy.token_accepted(&headers(accepted)), "{accepted:?}");
        }
        for refused in [
            &[][..],
            &[("authorization", "Bearer gamma")],
            &[("authorization", "Bearer alph")],
            &[("x-grpc-token", "alphaa")],
            &[("authorization", "Basic alpha")],
        ] {
            assert!(!policy.token_accepted(&headers(refused)), "{refused:?}");
        }
    }

    #[test]
    fn no_tokens_means_open() {
        let policy = AccessPolicy::new(&[], &[]);
        assert!(!policy.auth_enabled());
        assert!(policy.token_accepted(&HeaderMap::new()));
    }

    #[test]
    fn origins() {
        let policy = AccessPolicy::new(&[], &["https://studio.example.org".into()]);
        let host = HeaderValue::from_static("10.0.0.5:50051");
        let allowed = |origin: &str| {
            policy.origin_allowed(&HeaderValue::from_str(origin).unwrap(), Some(&host))
        };
        assert!(allowed("http://localhost:5173"));
        assert!(allowed("http://127.0.0.1"));
        assert!(allowed("http://[::1]:8080"));
        assert!(allowed("http://10.0.0.5:50051"), "own origin");
        assert!(allowed("https://studio.example.org/"));
        assert!(allowed("tauri://localhost"));
        assert!(!allowed("https://evil.example.com"));
        assert!(!allowed("http://localhost.evil.com"));
        assert!(!allowed("http://10.0.0.5:9999"));
        assert!(!allowed("null"));
        let open = AccessPolicy::new(&[], &["*".into()]);
        assert!(open.origin_allowed(&HeaderValue::from_static("https://any.where"), None));
    }
}
