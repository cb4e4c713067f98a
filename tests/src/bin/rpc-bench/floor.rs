//! The floor under our server: a bare hyper server on one port (HTTP/2 and HTTP/1.1, like
//! ours) that answers every POST with the same canned gRPC or gRPC-Web reply, with no routing,
//! no tonic, no middleware and no handler. The bench calls it with the same lean clients as our
//! server, so the difference between the two is what our service stack adds to a call.

use std::convert::Infallible;
use std::net::SocketAddr;

use http_body_util::StreamBody;
use hyper::body::{Bytes, Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use weightslab_e2e::web_frame;

/// The body of every reply: its frames, ending with the trailers (HTTP trailers for gRPC, a
/// trailer frame in the body for gRPC-Web).
type ReplyBody =
    StreamBody<tokio_stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>>;

fn reply(request: &http::Request<Incoming>, message: &[u8]) -> http::Response<ReplyBody> {
    let web = request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/grpc-web"));
    let mut frames = vec![Ok(Frame::data(Bytes::from(web_frame(message))))];
    let content_type = if web {
        let trailers = b"grpc-status:0\r\ngrpc-message:\r\n";
        let mut frame = vec![0x80];
        frame.extend_from_slice(&(trailers.len() as u32).to_be_bytes());
        frame.extend_from_slice(trailers);
        frames.push(Ok(Frame::data(Bytes::from(frame))));
        "application/grpc-web+proto"
    } else {
        let mut trailers = http::HeaderMap::new();
        trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
        frames.push(Ok(Frame::trailers(trailers)));
        "application/grpc"
    };
    http::Response::builder()
        .header(http::header::CONTENT_TYPE, content_type)
        .body(StreamBody::new(tokio_stream::iter(frames)))
        .expect("a static response")
}

/// The floor server's worker threads are named this, so the bench can read their CPU time.
pub const THREAD_NAME: &str = "rpc-floor";

/// Starts the floor server on a free loopback port, on a runtime of its own with two workers
/// (as many as our server uses here); returns its address.
pub fn start(message: Vec<u8>) -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(THREAD_NAME)
        .enable_all()
        .build()?;
    std::thread::spawn(move || {
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let message = message.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let response = reply(&request, &message);
                        async move {
                            // Read the request to its end, as a real handler would.
                            use http_body_util::BodyExt;
                            let _ = request.into_body().collect().await;
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    Ok(addr)
}
