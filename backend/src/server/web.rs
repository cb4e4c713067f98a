//! Sends gRPC-Web requests through tonic-web's translation and everything else (the Studio's
//! files, /metrics, plain gRPC) straight to the routes. tonic-web alone answers 400 to any
//! HTTP/1.1 request that is not gRPC-Web, which would hide the Studio.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes_body::BoxError;
use http::{Request, Response};
use tonic::body::Body;
use tonic_web::{GrpcWebLayer, GrpcWebService};
use tower::{Layer, Service};

mod bytes_body {
    pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
}

/// Layer that installs [`GrpcWebOrPlain`].
#[derive(Clone, Copy, Default)]
pub struct GrpcWebOrPlainLayer;

impl<S: Clone> Layer<S> for GrpcWebOrPlainLayer {
    type Service = GrpcWebOrPlain<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcWebOrPlain {
            web: GrpcWebLayer::new().layer(inner.clone()),
            plain: inner,
        }
    }
}

/// Routes by content type: gRPC-Web is translated, the rest passes through untouched.
#[derive(Clone)]
pub struct GrpcWebOrPlain<S> {
    web: GrpcWebService<S>,
    plain: S,
}

fn is_grpc_web<B>(request: &Request<B>) -> bool {
    request
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc-web"))
}

type BoxedFuture<E> = Pin<Box<dyn Future<Output = Result<Response<Body>, E>> + Send>>;

impl<S, ResBody> Service<Request<Body>> for GrpcWebOrPlain<S>
where
    S: Service<Request<Body>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    ResBody: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError> + std::fmt::Display,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxedFuture<S::Error>;

    fn poll_ready(&mut self, context: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        match Service::<Request<Body>>::poll_ready(&mut self.web, context) {
            Poll::Ready(Ok(())) => self.plain.poll_ready(context),
            other => other,
        }
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        if is_grpc_web(&request) {
            Box::pin(self.web.call(request))
        } else {
            let future = self.plain.call(request);
            Box::pin(async move { future.await.map(|response| response.map(Body::new)) })
        }
    }
}
