//! The optional assistant: a natural-language request the built-in parser does not know is
//! sent to an OpenAI-compatible endpoint, and its answer is validated like a typed query.
//! The endpoint here is a small HTTP server on loopback that answers like a chat model.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use weightslab::agent::AgentConfig;
use weightslab_e2e::proto::*;
use weightslab_e2e::*;

/// (request body, authorization header) of each call the endpoint received.
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// Serves chat completions with a fixed answer; records each request body and auth header.
fn chat_endpoint(answer: &'static str) -> (String, Received) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut length, mut auth) = (0usize, String::new());
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap_or(0);
                }
                if lower.starts_with("authorization:") {
                    auth = line["authorization:".len()..].trim().to_string();
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            record
                .lock()
                .unwrap()
                .push((String::from_utf8_lossy(&body).to_string(), auth));
            let reply = serde_json::json!({"choices": [{"message": {"role": "assistant", "content": answer}}]}).to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                reply.len()
            );
        }
    });
    (url, seen)
}

fn agent(url: String) -> Option<AgentConfig> {
    Some(AgentConfig {
        url,
        model: "test-model".into(),
        api_key: Some("sk-test".into()),
        timeout: Duration::from_secs(20),
    })
}

#[tokio::test]
async fn an_unknown_request_goes_to_the_assistant_and_its_query_runs() {
    let server = TestServer::start().await;
    let (url, seen) = chat_endpoint("```\norigin == 'val'\n```");
    server.experiment.set_agent(agent(url));
    let mut client = server.client().await;
    let health = client
        .check_agent_health(Empty {})
        .await
        .unwrap()
        .into_inner();
    assert!(health.available);
    assert_eq!(health.current_model, "test-model");
    let reply = client
        .apply_data_query(DataQueryRequest {
            query: "the held-out digits please".into(),
            is_natural_language: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(reply.success, "{reply:?}");
    assert_eq!(reply.number_of_all_samples, 2000, "only the val split");
    assert!(
        reply.message.contains("origin == 'val'"),
        "{}",
        reply.message
    );
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].0.contains("the held-out digits please"));
    assert!(
        requests[0].0.contains("loss"),
        "the prompt lists the columns"
    );
    assert_eq!(requests[0].1, "Bearer sk-test");
    // What the built-in parser understands never reaches the assistant.
    let reply = client
        .apply_data_query(DataQueryRequest {
            query: "hide discarded".into(),
            is_natural_language: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(reply.success);
    assert_eq!(seen.lock().unwrap().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn an_answer_outside_the_grammar_is_refused_with_its_text() {
    let server = TestServer::start().await;
    let (url, _) = chat_endpoint("DROP TABLE samples;");
    server.experiment.set_agent(agent(url));
    let mut client = server.client().await;
    let reply = client
        .apply_data_query(DataQueryRequest {
            query: "make it fun".into(),
            is_natural_language: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!reply.success);
    assert!(
        reply.message.contains("DROP TABLE samples;"),
        "{}",
        reply.message
    );
    assert_eq!(reply.number_of_all_samples, 10_000, "the view is untouched");
    server.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_assistant_is_a_readable_failure() {
    let server = TestServer::start().await;
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    server
        .experiment
        .set_agent(agent(format!("http://{closed}/v1")));
    let mut client = server.client().await;
    let reply = client
        .apply_data_query(DataQueryRequest {
            query: "something vague".into(),
            is_natural_language: true,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(!reply.success);
    assert!(
        reply.message.contains("could not be reached"),
        "{}",
        reply.message
    );
    server.shutdown().await;
}
