//! The Studio's files: our embedded UI (ui-shim/dist, compiled into the binary), or a
//! prebuilt Weights Studio from a folder (`--studio-dir`) with its runtime configuration
//! injected, served at `/` on the same port as the API.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../ui-shim/dist"]
#[allow_missing = true]
struct EmbeddedStudio;

/// Serves the Studio's files.
#[derive(Clone)]
pub struct Studio {
    folder: Option<Arc<PathBuf>>,
    auth_required: bool,
}

const MISSING_UI: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>WeightsLab</title></head>\
<body style=\"font-family:sans-serif;background:#111;color:#ddd;padding:2em\"><h1>WeightsLab is running</h1>\
<p>This build has no Studio assets (ui-shim/dist was empty when it was compiled). The gRPC and gRPC-Web API \
is served on this port at /ExperimentService/*.</p></body></html>";

impl Studio {
    pub fn new(folder: Option<PathBuf>, auth_required: bool) -> Self {
        Self {
            folder: folder.map(Arc::new),
            auth_required,
        }
    }

    pub async fn serve(&self, request: Request) -> Response {
        if request.method() != Method::GET && request.method() != Method::HEAD {
            return (StatusCode::NOT_FOUND, "not found\n").into_response();
        }
        let path = request.uri().path().trim_start_matches('/').to_string();
        let host = request
            .headers()
            .get(header::HOST)
            .and_then(|host| host.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let gzip = accepts_gzip(request.headers());
        drop(request);
        match &self.folder {
            Some(folder) => self.serve_folder(folder, &path, &host).await,
            None => serve_embedded(&path, gzip),
        }
    }

    async fn serve_folder(&self, folder: &Path, path: &str, host: &str) -> Response {
        let Some(relative) = safe_relative(path) else {
            return (StatusCode::NOT_FOUND, "not found\n").into_response();
        };
        let candidate = folder.join(&relative);
        let is_file = tokio::fs::metadata(&candidate)
            .await
            .map(|meta| meta.is_file())
            .unwrap_or(false);
        let (file, is_index) = if !relative.as_os_str().is_empty() && is_file {
            (candidate, relative == Path::new("index.html"))
        } else if looks_like_asset(path) {
            return (StatusCode::NOT_FOUND, "not found\n").into_response();
        } else {
            (folder.join("index.html"), true)
        };
        match tokio::fs::read(&file).await {
            Ok(bytes) if is_index => {
                let html = String::from_utf8_lossy(&bytes);
                let page = inject_runtime_config(&html, host, self.auth_required);
                file_response("index.html", page.into_bytes(), true)
            }
            Ok(bytes) => file_response(&file.to_string_lossy(), bytes, false),
            Err(error) => (
                StatusCode::NOT_FOUND,
                format!("cannot read {}: {error}\n", file.display()),
            )
                .into_response(),
        }
    }
}

/// An embedded file, or its gzip copy (made by the build, see ui-shim/vite.config.ts) for a
/// browser that accepts gzip.
fn serve_embedded(path: &str, gzip: bool) -> Response {
    if !path.is_empty()
        && let Some(file) = EmbeddedStudio::get(path)
    {
        let no_cache = path == "index.html";
        let copy = EmbeddedStudio::get(&format!("{path}.gz"));
        let has_copy = copy.is_some();
        let mut response = match copy.filter(|_| gzip) {
            Some(gzipped) => {
                let mut response = file_response(path, gzipped.data.into_owned(), no_cache);
                response
                    .headers_mut()
                    .insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
                response
            }
            None => file_response(path, file.data.into_owned(), no_cache),
        };
        if has_copy {
            // A cache between us and the browser must keep the two apart.
            response
                .headers_mut()
                .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        }
        return response;
    }
    if looks_like_asset(path) && path != "index.html" {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    match EmbeddedStudio::get("index.html") {
        Some(file) => file_response("index.html", file.data.into_owned(), true),
        None => file_response("index.html", MISSING_UI.as_bytes().to_vec(), true),
    }
}

/// Whether the request's Accept-Encoding allows gzip: a `gzip` (or `*`) entry whose weight is
/// not zero, where no `gzip` entry refuses it.
fn accepts_gzip(headers: &HeaderMap) -> bool {
    let mut gzip = None;
    let mut any = None;
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for entry in value.split(',') {
            let mut parts = entry.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            let weight = parts
                .filter_map(|parameter| parameter.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if coding.eq_ignore_ascii_case("gzip") {
                gzip = Some(weight > 0.0);
            } else if coding == "*" {
                any = Some(weight > 0.0);
            }
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// True for paths that name a file (so a missing one is a 404, not the app's page).
fn looks_like_asset(path: &str) -> bool {
    path.rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'))
}

/// A request path as a relative path inside the folder, refusing `..` and absolute parts.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let candidate = Path::new(path);
    let mut clean = PathBuf::new();
    for component in candidate.components() {
        match component {
            Component::Normal(part) => clean.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(clean)
}

fn content_type(path: &str) -> HeaderValue {
    // Module scripts must be text/javascript or browsers refuse them.
    let extension = path.rsplit('.').next().unwrap_or_default();
    let mime = match extension {
        "js" | "mjs" => "text/javascript; charset=utf-8".to_string(),
        "html" => "text/html; charset=utf-8".to_string(),
        "css" => "text/css; charset=utf-8".to_string(),
        "wasm" => "application/wasm".to_string(),
        _ => mime_guess::from_path(path)
            .first_or_octet_stream()
            .essence_str()
            .to_string(),
    };
    crate::server::header_value(&mime)
}

fn file_response(path: &str, bytes: Vec<u8>, no_cache: bool) -> Response {
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, content_type(path));
    let cache = if no_cache {
        "no-cache"
    } else if path.contains("/assets/") || path.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// The runtime globals a stock Weights Studio reads at load time: the API is on this same
/// origin with no `/api` prefix, and the port is always explicit (a page on :80/:443 would
/// otherwise fall back to :8080).
pub fn inject_runtime_config(html: &str, host_header: &str, auth_required: bool) -> String {
    let script = format!(
        "<script>(function(){{var p=location.port||(location.protocol==='https:'?'443':'80');\
window.WS_SERVER_HOST=location.hostname;\
window.WS_SERVER_PORT=p;window.WS_SERVER_PROTOCOL=location.protocol.replace(':','');\
window.WS_ENABLE_GRPC_AUTH_TOKEN='{}';}})();</script><!-- served by weightslab for {} -->",
        if auth_required { "1" } else { "0" },
        escape_comment(host_header)
    );
    match html.find("</head>") {
        Some(index) => format!("{}{}{}", &html[..index], script, &html[index..]),
        None => format!("{script}{html}"),
    }
}

fn escape_comment(text: &str) -> String {
    text.chars()
        .filter(|character| character.is_ascii_alphanumeric() || ".:-[]".contains(*character))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversal_is_refused() {
        assert!(safe_relative("../etc/passwd").is_none());
        assert!(safe_relative("assets/../../x").is_none());
        assert_eq!(
            safe_relative("assets/a.js").unwrap(),
            PathBuf::from("assets/a.js")
        );
        assert_eq!(safe_relative("").unwrap(), PathBuf::new());
    }

    #[test]
    fn scripts_are_text_javascript() {
        assert_eq!(
            content_type("assets/index-1.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("a.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("f.woff2"), "font/woff2");
    }

    #[test]
    fn config_goes_before_head_end() {
        let page = inject_runtime_config(
            "<html><head><title>x</title></head><body></body></html>",
            "h:1",
            true,
        );
        let script = page.find("WS_SERVER_PORT").unwrap();
        assert!(script < page.find("</head>").unwrap());
        assert!(page.contains("WS_ENABLE_GRPC_AUTH_TOKEN='1'"));
    }

    #[test]
    fn gzip_is_accepted_unless_refused() {
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::ACCEPT_ENCODING,
                HeaderValue::from_str(value).unwrap(),
            );
            accepts_gzip(&headers)
        };
        assert!(with("gzip, deflate, br, zstd"));
        assert!(with("br;q=1.0, GZIP;q=0.5"));
        assert!(with("*"));
        assert!(!with("gzip;q=0"));
        assert!(!with("*, gzip;q=0.0"));
        assert!(!with("br, identity"));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[tokio::test]
    async fn embedded_scripts_go_gzipped_to_browsers_that_accept_it() {
        let Some(script) = EmbeddedStudio::iter().find(|name| {
            name.ends_with(".js") && EmbeddedStudio::get(&format!("{name}.gz")).is_some()
        }) else {
            panic!(
                "the embedded Studio has no script with a gzip copy: run 'npm run build' in ui-shim"
            );
        };
        let plain = EmbeddedStudio::get(&script).unwrap().data;
        let studio = Studio::new(None, false);
        let get = |encoding: &str| {
            Request::builder()
                .uri(format!("/{script}"))
                .header(header::ACCEPT_ENCODING, encoding)
                .body(Body::empty())
                .unwrap()
        };
        let gzipped = studio.serve(get("gzip, deflate")).await;
        assert_eq!(gzipped.headers()[header::CONTENT_ENCODING], "gzip");
        assert_eq!(gzipped.headers()[header::VARY], "accept-encoding");
        assert_eq!(
            gzipped.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let body = axum::body::to_bytes(gzipped.into_body(), 1 << 24)
            .await
            .unwrap();
        assert!(body.len() < plain.len(), "the copy should be smaller");
        let mut unpacked = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut unpacked)
            .unwrap();
        assert_eq!(unpacked, plain.as_ref(), "the copy unpacks to the script");
        let identity = studio.serve(get("identity")).await;
        assert!(identity.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(identity.headers()[header::VARY], "accept-encoding");
        let body = axum::body::to_bytes(identity.into_body(), 1 << 24)
            .await
            .unwrap();
        assert_eq!(body.as_ref(), plain.as_ref());
    }

    #[tokio::test]
    async fn folder_mode_serves_files_and_falls_back_to_index() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("assets")).unwrap();
        std::fs::write(
            dir.path().join("index.html"),
            "<html><head></head><body>studio</body></html>",
        )
        .unwrap();
        std::fs::write(dir.path().join("assets/app.js"), "console.log(1)").unwrap();
        let studio = Studio::new(Some(dir.path().to_path_buf()), false);
        let get = |uri: &str| Request::builder().uri(uri).body(Body::empty()).unwrap();
        let script = studio.serve(get("/assets/app.js")).await;
        assert_eq!(script.status(), StatusCode::OK);
        assert_eq!(
            script.headers()[header::CONTENT_TYPE],
            "text/javascript; charset=utf-8"
        );
        let page = studio.serve(get("/some/route")).await;
        assert_eq!(page.status(), StatusCode::OK);
        let body = axum::body::to_bytes(page.into_body(), 1 << 20)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&body).contains("WS_SERVER_HOST"));
        assert_eq!(
            studio.serve(get("/assets/missing.js")).await.status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            studio.serve(get("/../secret.txt")).await.status(),
            StatusCode::NOT_FOUND
        );
    }
}
