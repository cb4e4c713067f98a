//! The leanest gRPC client the latency bench has: HTTP/2 frames written and read on one blocking
//! socket by the calling thread, with no runtime and no connection task. Each call writes its
//! HEADERS and DATA frames in one `write` and reads until the trailers; the reply wakes exactly
//! the thread that waits for it, as in the TCP echo baseline. HPACK is `loona-hpack`'s.
//! It speaks just enough HTTP/2 for sequential unary calls: it acknowledges SETTINGS, answers
//! PING, keeps both flow-control windows and fails loudly on anything else a call can meet
//! (GOAWAY, RST_STREAM, a non-200 status, a missing or non-zero `grpc-status`).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use anyhow::{Context as _, bail, ensure};
use weightslab_e2e::{WebFrame, parse_web_frames, web_frame};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
const FRAME_HEADER_LEN: usize = 9;

const DATA: u8 = 0x0;
const HEADERS: u8 = 0x1;
const RST_STREAM: u8 = 0x3;
const SETTINGS: u8 = 0x4;
const PING: u8 = 0x6;
const GOAWAY: u8 = 0x7;
const WINDOW_UPDATE: u8 = 0x8;
const CONTINUATION: u8 = 0x9;

const END_STREAM: u8 = 0x1;
const ACK: u8 = 0x1;
const END_HEADERS: u8 = 0x4;
const PADDED: u8 = 0x8;
const PRIORITY: u8 = 0x20;

const SETTINGS_ENABLE_PUSH: u16 = 0x2;
const SETTINGS_INITIAL_WINDOW_SIZE: u16 = 0x4;
/// The window this client grants for each stream and for the connection: the largest allowed.
const RECEIVE_WINDOW: u32 = (1 << 31) - 1;
/// Every window starts at this size (RFC 9113 §6.9.2).
const DEFAULT_WINDOW: i64 = 65_535;

/// One frame as read: its type, flags, stream and payload.
struct Frame {
    kind: u8,
    flags: u8,
    stream: u32,
    payload: Vec<u8>,
}

/// One HTTP/2 connection that makes sequential gRPC calls from the calling thread.
pub struct BlockingGrpcClient {
    stream: TcpStream,
    authority: String,
    encoder: loona_hpack::Encoder<'static>,
    decoder: loona_hpack::Decoder<'static>,
    next_stream: u32,
    /// What the server lets this client send on the connection, and per new stream.
    send_window: i64,
    stream_send_window: i64,
    /// DATA bytes received since this client last handed the connection window back.
    unacknowledged: u32,
    buffer: Vec<u8>,
}

impl BlockingGrpcClient {
    pub fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let mut stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let mut hello = PREFACE.to_vec();
        let mut settings = Vec::new();
        for (id, value) in [
            (SETTINGS_ENABLE_PUSH, 0),
            (SETTINGS_INITIAL_WINDOW_SIZE, RECEIVE_WINDOW),
        ] {
            settings.extend_from_slice(&id.to_be_bytes());
            settings.extend_from_slice(&value.to_be_bytes());
        }
        push_frame(&mut hello, SETTINGS, 0, 0, &settings);
        let connection_increment = RECEIVE_WINDOW - DEFAULT_WINDOW as u32;
        push_frame(
            &mut hello,
            WINDOW_UPDATE,
            0,
            0,
            &connection_increment.to_be_bytes(),
        );
        stream.write_all(&hello)?;
        Ok(Self {
            stream,
            authority: addr.to_string(),
            encoder: loona_hpack::Encoder::new(),
            decoder: loona_hpack::Decoder::new(),
            next_stream: 1,
            send_window: DEFAULT_WINDOW,
            stream_send_window: DEFAULT_WINDOW,
            unacknowledged: 0,
            buffer: Vec::with_capacity(16 * 1024),
        })
    }

    /// Calls `/ExperimentService/{method}` with an encoded message; returns the reply message.
    pub fn call(&mut self, method: &str, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        let stream_id = self.next_stream;
        ensure!(
            stream_id < 1 << 31,
            "this connection has used up its stream ids"
        );
        self.next_stream += 2;
        let body = web_frame(message);
        let needed = body.len() as i64;
        ensure!(
            needed <= self.send_window && needed <= self.stream_send_window,
            "the server's flow-control window ({} / {}) is too small for a {needed}-byte request",
            self.send_window,
            self.stream_send_window
        );
        self.send_window -= needed;

        let path = format!("/ExperimentService/{method}");
        let block = self.encoder.encode([
            (&b":method"[..], &b"POST"[..]),
            (b":scheme", b"http"),
            (b":path", path.as_bytes()),
            (b":authority", self.authority.as_bytes()),
            (b"content-type", b"application/grpc"),
            (b"te", b"trailers"),
        ]);
        let mut request = Vec::with_capacity(2 * FRAME_HEADER_LEN + block.len() + body.len());
        push_frame(&mut request, HEADERS, END_HEADERS, stream_id, &block);
        push_frame(&mut request, DATA, END_STREAM, stream_id, &body);
        self.stream.write_all(&request)?;

        let mut headers: Option<Vec<(Vec<u8>, Vec<u8>)>> = None;
        let mut framed = Vec::new();
        let trailers = loop {
            let frame = self.read_frame()?;
            match frame.kind {
                SETTINGS => self.on_settings(&frame)?,
                PING if frame.flags & ACK == 0 => {
                    let mut pong = Vec::new();
                    push_frame(&mut pong, PING, ACK, 0, &frame.payload);
                    self.stream.write_all(&pong)?;
                }
                WINDOW_UPDATE => self.on_window_update(&frame)?,
                GOAWAY => bail!("the server sent GOAWAY: {}", goaway_text(&frame.payload)),
                RST_STREAM if frame.stream == stream_id => {
                    bail!("the server reset the stream: {:?}", frame.payload)
                }
                HEADERS => {
                    let end_stream = frame.flags & END_STREAM != 0;
                    let on_this_call = frame.stream == stream_id;
                    let fields = self.read_header_block(frame)?;
                    ensure!(on_this_call, "HEADERS on another stream");
                    if end_stream {
                        // Trailers, or a trailers-only reply that carries the status alone.
                        break fields;
                    }
                    headers = Some(fields);
                }
                DATA if frame.stream == stream_id => {
                    let data = strip_padding(&frame)?;
                    framed.extend_from_slice(data);
                    self.on_data_received(frame.payload.len() as u32)?;
                    ensure!(
                        frame.flags & END_STREAM == 0,
                        "{method}: the reply ended without trailers"
                    );
                }
                _ => {}
            }
        };

        if let Some(headers) = &headers {
            let status = field(headers, b":status");
            ensure!(
                status == Some(&b"200"[..]),
                "{method}: HTTP status {:?}",
                status.map(String::from_utf8_lossy)
            );
        }
        let grpc_status = field(&trailers, b"grpc-status");
        ensure!(
            grpc_status == Some(&b"0"[..]),
            "{method} answered grpc-status {:?}: {:?}",
            grpc_status.map(String::from_utf8_lossy),
            field(&trailers, b"grpc-message").map(String::from_utf8_lossy)
        );
        // A gRPC message frame has the same layout as a gRPC-Web data frame.
        match parse_web_frames(&framed).into_iter().next() {
            Some(WebFrame::Data(reply)) => Ok(reply),
            _ => bail!("{method} sent no message"),
        }
    }

    /// Acknowledges the server's SETTINGS and takes its initial stream window.
    fn on_settings(&mut self, frame: &Frame) -> anyhow::Result<()> {
        if frame.flags & ACK != 0 {
            return Ok(());
        }
        ensure!(
            frame.payload.len().is_multiple_of(6),
            "a malformed SETTINGS frame"
        );
        for setting in frame.payload.chunks_exact(6) {
            let id = u16::from_be_bytes([setting[0], setting[1]]);
            let value = u32::from_be_bytes([setting[2], setting[3], setting[4], setting[5]]);
            if id == SETTINGS_INITIAL_WINDOW_SIZE {
                self.stream_send_window = i64::from(value);
            }
        }
        let mut ack = Vec::new();
        push_frame(&mut ack, SETTINGS, ACK, 0, &[]);
        self.stream.write_all(&ack)?;
        Ok(())
    }

    fn on_window_update(&mut self, frame: &Frame) -> anyhow::Result<()> {
        ensure!(frame.payload.len() == 4, "a malformed WINDOW_UPDATE frame");
        let increment = u32::from_be_bytes([
            frame.payload[0],
            frame.payload[1],
            frame.payload[2],
            frame.payload[3],
        ]) & 0x7fff_ffff;
        // Each call opens a new stream with a full window, so only the connection's counts.
        if frame.stream == 0 {
            self.send_window += i64::from(increment);
        }
        Ok(())
    }

    /// Hands received DATA bytes back to the connection window once half of it is used.
    fn on_data_received(&mut self, length: u32) -> anyhow::Result<()> {
        self.unacknowledged += length;
        if self.unacknowledged >= RECEIVE_WINDOW / 2 {
            let mut update = Vec::new();
            push_frame(
                &mut update,
                WINDOW_UPDATE,
                0,
                0,
                &self.unacknowledged.to_be_bytes(),
            );
            self.stream.write_all(&update)?;
            self.unacknowledged = 0;
        }
        Ok(())
    }

    /// Decodes a HEADERS frame's block, with its CONTINUATION frames when it has them.
    fn read_header_block(&mut self, first: Frame) -> anyhow::Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut block = header_fragment(&first)?.to_vec();
        let mut ended = first.flags & END_HEADERS != 0;
        while !ended {
            let next = self.read_frame()?;
            ensure!(
                next.kind == CONTINUATION && next.stream == first.stream,
                "a header block broken by frame type {}",
                next.kind
            );
            block.extend_from_slice(&next.payload);
            ended = next.flags & END_HEADERS != 0;
        }
        self.decoder
            .decode(&block)
            .map_err(|error| anyhow::anyhow!("HPACK: {error:?}"))
    }

    /// Reads the next whole frame, from the buffer or the socket.
    fn read_frame(&mut self) -> anyhow::Result<Frame> {
        while self.buffer.len() < FRAME_HEADER_LEN {
            self.fill()?;
        }
        let length = u32::from_be_bytes([0, self.buffer[0], self.buffer[1], self.buffer[2]]);
        let length = length as usize;
        while self.buffer.len() < FRAME_HEADER_LEN + length {
            self.fill()?;
        }
        let kind = self.buffer[3];
        let flags = self.buffer[4];
        let stream = u32::from_be_bytes([
            self.buffer[5],
            self.buffer[6],
            self.buffer[7],
            self.buffer[8],
        ]) & 0x7fff_ffff;
        let payload = self.buffer[FRAME_HEADER_LEN..FRAME_HEADER_LEN + length].to_vec();
        self.buffer.drain(..FRAME_HEADER_LEN + length);
        Ok(Frame {
            kind,
            flags,
            stream,
            payload,
        })
    }

    fn fill(&mut self) -> anyhow::Result<()> {
        let mut chunk = [0u8; 16 * 1024];
        let read = self.stream.read(&mut chunk)?;
        if read == 0 {
            bail!("the server closed the connection");
        }
        self.buffer.extend_from_slice(&chunk[..read]);
        Ok(())
    }
}

/// Appends one frame: the 9-byte header, then the payload.
fn push_frame(out: &mut Vec<u8>, kind: u8, flags: u8, stream: u32, payload: &[u8]) {
    let length = payload.len() as u32;
    out.extend_from_slice(&length.to_be_bytes()[1..]);
    out.push(kind);
    out.push(flags);
    out.extend_from_slice(&stream.to_be_bytes());
    out.extend_from_slice(payload);
}

/// A DATA frame's data without its padding.
fn strip_padding(frame: &Frame) -> anyhow::Result<&[u8]> {
    if frame.flags & PADDED == 0 {
        return Ok(&frame.payload);
    }
    let (&pad, rest) = frame
        .payload
        .split_first()
        .context("a PADDED frame without its pad length")?;
    ensure!(
        usize::from(pad) <= rest.len(),
        "padding longer than the frame"
    );
    Ok(&rest[..rest.len() - usize::from(pad)])
}

/// A HEADERS frame's header block fragment, without padding and priority fields.
fn header_fragment(frame: &Frame) -> anyhow::Result<&[u8]> {
    let mut fragment = strip_padding(frame)?;
    if frame.flags & PRIORITY != 0 {
        ensure!(fragment.len() >= 5, "a short PRIORITY field");
        fragment = &fragment[5..];
    }
    Ok(fragment)
}

fn field<'a>(fields: &'a [(Vec<u8>, Vec<u8>)], name: &[u8]) -> Option<&'a [u8]> {
    fields
        .iter()
        .find(|(n, _)| n.as_slice() == name)
        .map(|(_, v)| v.as_slice())
}

/// GOAWAY's error code and debug text, for the error message.
fn goaway_text(payload: &[u8]) -> String {
    if payload.len() < 8 {
        return "(a malformed GOAWAY frame)".into();
    }
    let code = u32::from_be_bytes([payload[4], payload[5], payload[6], payload[7]]);
    format!(
        "error code {code}, {:?}",
        String::from_utf8_lossy(&payload[8..])
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_return_the_servers_message() {
        let canned = b"\x0a\x04idle".to_vec();
        let addr = crate::floor::start(canned.clone()).expect("floor server starts");
        let mut client = BlockingGrpcClient::connect(addr).expect("connects");
        // Enough calls to use many streams and send the server's SETTINGS ACK on the way.
        for _ in 0..50 {
            assert_eq!(
                client.call("GetEvaluationStatus", b"").expect("call"),
                canned
            );
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_failed_call_reports_its_grpc_status() {
        let server = weightslab_e2e::TestServer::start().await;
        let addr = server.addr;
        let outcome = tokio::task::spawn_blocking(move || {
            let mut client = BlockingGrpcClient::connect(addr)?;
            // A real call first, so the failure below is the method's, not the connection's.
            client.call("GetEvaluationStatus", b"")?;
            anyhow::Ok(client.call("NoSuchMethod", b"").unwrap_err().to_string())
        })
        .await
        .expect("client thread")
        .expect("the first call succeeds");
        assert!(outcome.contains("grpc-status Some(\"12\")"), "{outcome}");
        server.shutdown().await;
    }
}
