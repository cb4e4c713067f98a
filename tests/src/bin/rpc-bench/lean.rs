//! Lean clients for the latency bench: they add as little of their own time as a client can,
//! so the figures show the server and the loopback round trip rather than a client stack.
//! gRPC-Web: HTTP/1.1 written and read on a blocking socket. gRPC: one HTTP/2 connection driven
//! with the `h2` crate, each request written in one go.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use anyhow::{Context as _, bail, ensure};
use hyper::body::Bytes;
use weightslab_e2e::{WebFrame, parse_web_frames, web_frame};

/// One keep-alive HTTP/1.1 connection that sends gRPC-Web (binary) calls and reads each reply
/// to its trailer frame.
pub struct WebClient {
    stream: TcpStream,
    host: String,
    buffer: Vec<u8>,
}

impl WebClient {
    pub fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            host: addr.to_string(),
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Calls `/ExperimentService/{method}` with an encoded message; returns the reply message.
    pub fn call(&mut self, method: &str, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        let frame = web_frame(message);
        let mut request = format!(
            "POST /ExperimentService/{method} HTTP/1.1\r\nhost: {}\r\ncontent-type: application/grpc-web+proto\r\nx-grpc-web: 1\r\ncontent-length: {}\r\n\r\n",
            self.host,
            frame.len()
        )
        .into_bytes();
        request.extend_from_slice(&frame);
        self.stream.write_all(&request)?;
        let body = self.read_reply()?;
        let mut reply = None;
        let mut status = None;
        for frame in parse_web_frames(&body) {
            match frame {
                WebFrame::Data(data) => reply = Some(data),
                WebFrame::Trailers(trailers) => {
                    status = trailers
                        .into_iter()
                        .find(|(name, _)| name == "grpc-status")
                        .map(|(_, value)| value)
                }
            }
        }
        ensure!(
            status.as_deref() == Some("0"),
            "{method} answered grpc-status {status:?}"
        );
        reply.with_context(|| format!("{method} sent no message"))
    }

    /// Reads one response (status line, headers, then a sized or chunked body); returns the
    /// body. Bytes past the response stay buffered for the next one.
    fn read_reply(&mut self) -> anyhow::Result<Vec<u8>> {
        let (head_len, status, length, chunked) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut response = httparse::Response::new(&mut headers);
            if let httparse::Status::Complete(head_len) = response.parse(&self.buffer)? {
                let header = |name: &str| {
                    response
                        .headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).to_ascii_lowercase())
                };
                let length = header("content-length")
                    .map(|v| v.parse::<usize>())
                    .transpose()?;
                let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
                break (head_len, response.code.unwrap_or(0), length, chunked);
            }
            self.fill()?;
        };
        ensure!(status == 200, "HTTP status {status}");
        self.buffer.drain(..head_len);
        if let Some(length) = length {
            while self.buffer.len() < length {
                self.fill()?;
            }
            return Ok(self.buffer.drain(..length).collect());
        }
        ensure!(chunked, "a reply with neither content-length nor chunks");
        let mut body = Vec::new();
        loop {
            let line_end = loop {
                if let Some(at) = self.buffer.windows(2).position(|w| w == b"\r\n") {
                    break at;
                }
                self.fill()?;
            };
            let size_text = std::str::from_utf8(&self.buffer[..line_end])?;
            let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                .with_context(|| format!("bad chunk size {size_text:?}"))?;
            // The chunk, then its CRLF (the last, empty chunk ends with a blank line instead).
            let needed = line_end + 2 + size + 2;
            while self.buffer.len() < needed {
                self.fill()?;
            }
            body.extend_from_slice(&self.buffer[line_end + 2..line_end + 2 + size]);
            self.buffer.drain(..needed);
            if size == 0 {
                return Ok(body);
            }
        }
    }

    fn fill(&mut self) -> anyhow::Result<()> {
        let mut chunk = [0u8; 4096];
        let read = self.stream.read(&mut chunk)?;
        if read == 0 {
            bail!("the server closed the connection");
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }
}

/// One HTTP/2 connection (the `h2` crate) that sends each unary call's HEADERS and DATA frames
/// in one write, as grpc-go and gRPC's C core do. (hyper's client writes the request body from
/// a task of its own, so the two frames often leave in two writes and wake the server twice.)
pub struct GrpcClient {
    sender: h2::client::SendRequest<Bytes>,
    origin: String,
}

impl GrpcClient {
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = h2::client::handshake(stream).await?;
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                eprintln!("HTTP/2 connection ended: {error}");
            }
        });
        Ok(Self {
            sender,
            origin: format!("http://{addr}"),
        })
    }

    /// Calls `/ExperimentService/{method}` with an encoded message; returns the reply message.
    pub async fn call(&self, method: &str, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        let request = http::Request::post(format!("{}/ExperimentService/{method}", self.origin))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(())?;
        let mut sender = self.sender.clone().ready().await?;
        let (response, mut outgoing) = sender.send_request(request, false)?;
        outgoing.send_data(Bytes::from(web_frame(message)), true)?;
        let response = response.await?;
        ensure!(
            response.status() == 200,
            "HTTP status {}",
            response.status()
        );
        let mut body = response.into_body();
        let mut framed = Vec::new();
        while let Some(chunk) = body.data().await {
            let chunk = chunk?;
            body.flow_control().release_capacity(chunk.len())?;
            framed.extend_from_slice(&chunk);
        }
        let trailers = body.trailers().await?.unwrap_or_default();
        let status = trailers
            .get("grpc-status")
            .and_then(|value| value.to_str().ok());
        ensure!(
            status == Some("0"),
            "{method} answered grpc-status {status:?}"
        );
        // A gRPC message frame has the same layout as a gRPC-Web data frame.
        match parse_web_frames(&framed).into_iter().next() {
            Some(WebFrame::Data(reply)) => Ok(reply),
            _ => bail!("{method} sent no message"),
        }
    }
}
