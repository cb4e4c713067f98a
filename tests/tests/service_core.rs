//! Issue 2, over real sockets: gRPC and gRPC-Web on one port, CORS, reflection, health, auth,
//! the logger concurrency limit, the message size limit, audit lines and graceful shutdown.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use prost::Message;
use weightslab::service::CallGate;
use weightslab_e2e::proto::*;
use weightslab_e2e::*;

fn heartbeat() -> TrainerCommand {
    TrainerCommand {
        get_hyper_parameters: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn grpc_round_trip_returns_hyper_parameters() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let reply = client
        .experiment_command(heartbeat())
        .await
        .unwrap()
        .into_inner();
    assert!(reply.success);
    let names: Vec<_> = reply
        .hyper_parameters_descs
        .iter()
        .map(|desc| desc.name.as_str())
        .collect();
    assert!(names.contains(&"is_training"), "{names:?}");
    assert!(names.contains(&"learning_rate"), "{names:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn grpc_web_text_and_binary_over_http1_end_with_a_trailer_frame() {
    let server = TestServer::start().await;
    let request = heartbeat().encode_to_vec();
    for text in [true, false] {
        let reply = grpc_web_call(server.addr, "ExperimentCommand", &request, text, &[]).await;
        assert_eq!(reply.status, 200, "text={text}");
        let content_type = reply.headers["content-type"].to_str().unwrap();
        assert!(
            content_type.starts_with("application/grpc-web"),
            "{content_type}"
        );
        let frames = parse_web_frames(&reply.body);
        assert_eq!(
            frames.len(),
            2,
            "one data frame and one trailer frame: {frames:?}"
        );
        let WebFrame::Data(message) = &frames[0] else {
            panic!("first frame is data: {frames:?}")
        };
        let decoded = CommandResponse::decode(message.as_slice()).unwrap();
        assert!(decoded.success);
        assert!(!decoded.hyper_parameters_descs.is_empty());
        let WebFrame::Trailers(trailers) = &frames[1] else {
            panic!("second frame is the trailer: {frames:?}")
        };
        assert!(
            trailers.contains(&("grpc-status".to_string(), "0".to_string())),
            "{trailers:?}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn contract_request_vector_is_answered_over_grpc_web_text() {
    // The exact body the Studio sends for its heartbeat (wire contract, vector 4c).
    let server = TestServer::start().await;
    let reply = http1(
        http::Request::post(format!(
            "http://{}/ExperimentService/ExperimentCommand",
            server.addr
        ))
        .header("content-type", "application/grpc-web-text")
        .header("accept", "application/grpc-web-text")
        .header("x-grpc-web", "1")
        .body(Full::new(Bytes::from_static(b"AAAAAAIgAQ==")))
        .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 200);
    let body = decode_text_body(&reply.body);
    assert_eq!(
        web_status(&HttpReply {
            body: body.clone(),
            ..reply
        })
        .as_deref(),
        Some("0")
    );
    server.shutdown().await;
}

async fn preflight(server: &TestServer, origin: &str) -> HttpReply {
    http1(
        http::Request::builder()
            .method("OPTIONS")
            .uri(format!(
                "http://{}/ExperimentService/GetDataSplits",
                server.addr
            ))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "content-type,x-grpc-web,authorization",
            )
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn cors_allows_loopback_and_configured_origins_only() {
    let server = TestServer::start_with(TestOptions {
        allowed_origins: vec!["https://studio.example.org".into()],
        ..Default::default()
    })
    .await;
    for origin in [
        "http://localhost:5173",
        "http://127.0.0.1:8080",
        "https://studio.example.org",
    ] {
        let reply = preflight(&server, origin).await;
        assert!(reply.status < 300, "{origin}: {}", reply.status);
        assert_eq!(
            reply
                .headers
                .get("access-control-allow-origin")
                .map(|value| value.to_str().unwrap()),
            Some(origin),
            "{origin}"
        );
        let allowed = reply.headers["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase();
        for header in [
            "content-type",
            "x-grpc-web",
            "authorization",
            "x-grpc-token",
        ] {
            assert!(allowed.contains(header), "{header} in {allowed}");
        }
    }
    let refused = preflight(&server, "https://evil.example.com").await;
    assert!(refused.headers.get("access-control-allow-origin").is_none());

    // A real call from a foreign page is refused even without a preflight.
    let reply = grpc_web_call(
        server.addr,
        "ExperimentCommand",
        &heartbeat().encode_to_vec(),
        true,
        &[("origin", "https://evil.example.com")],
    )
    .await;
    assert_eq!(reply.status, 403);
    // The same call from a loopback page works and exposes the status headers.
    let reply = grpc_web_call(
        server.addr,
        "ExperimentCommand",
        &heartbeat().encode_to_vec(),
        true,
        &[("origin", "http://localhost:3000")],
    )
    .await;
    assert_eq!(reply.status, 200);
    let exposed = reply.headers["access-control-expose-headers"]
        .to_str()
        .unwrap();
    assert!(exposed.contains("grpc-status"), "{exposed}");
    server.shutdown().await;
}

#[tokio::test]
async fn reflection_lists_the_service_and_health_answers() {
    use tokio_stream::StreamExt;
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let server = TestServer::start_with(TestOptions {
        tokens: vec!["secret".into()],
        ..Default::default()
    })
    .await;
    let channel = tonic::transport::Endpoint::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut reflection = ServerReflectionClient::new(channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = stream.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("list services answered: {response:?}")
    };
    let names: Vec<_> = list
        .service
        .iter()
        .map(|service| service.name.as_str())
        .collect();
    assert!(names.contains(&"ExperimentService"), "{names:?}");
    assert!(
        names.contains(&"weightslab.studio.StudioService"),
        "{names:?}"
    );

    // Health stays open with auth on.
    let mut health = tonic_health::pb::health_client::HealthClient::new(channel);
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "ExperimentService".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
    server.shutdown().await;
}

#[tokio::test]
async fn auth_matrix() {
    let server = TestServer::start_with(TestOptions {
        tokens: vec!["alpha".into(), "beta".into()],
        ..Default::default()
    })
    .await;
    let channel = tonic::transport::Endpoint::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let cases: [(&[(&str, &str)], bool); 8] = [
        (&[], false),
        (&[("authorization", "Bearer wrong")], false),
        (&[("x-grpc-token", "alph")], false),
        (&[("authorization", "Bearer alpha")], true),
        (&[("authorization", "beta")], true),
        (&[("x-grpc-token", "alpha")], true),
        (&[("x-api-key", "beta")], true),
        (&[("authorization", "Basic alpha")], false),
    ];
    for (headers, accepted) in cases {
        let mut client = ExperimentServiceClient::new(channel.clone());
        let mut request = tonic::Request::new(heartbeat());
        for (name, value) in headers {
            request.metadata_mut().insert(*name, value.parse().unwrap());
        }
        let result = client.experiment_command(request).await;
        match (result, accepted) {
            (Ok(_), true) => {}
            (Err(status), false) => {
                assert_eq!(status.code(), tonic::Code::Unauthenticated, "{headers:?}");
                assert!(
                    status.message().is_empty(),
                    "no detail for a refused token: {status:?}"
                );
            }
            (outcome, _) => panic!("{headers:?}: expected accepted={accepted}, got {outcome:?}"),
        }
        // The same over gRPC-Web.
        let reply = grpc_web_call(
            server.addr,
            "ExperimentCommand",
            &heartbeat().encode_to_vec(),
            true,
            headers,
        )
        .await;
        let expected = if accepted { "0" } else { "16" };
        assert_eq!(
            web_status(&reply).as_deref(),
            Some(expected),
            "grpc-web {headers:?}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn the_fourth_concurrent_logger_call_is_refused_at_once() {
    let gate = Arc::new(CallGate::new());
    let server = TestServer::start_with(TestOptions {
        logger_gate: Some(gate.clone()),
        ..Default::default()
    })
    .await;
    let channel = tonic::transport::Endpoint::from_shared(server.url())
        .unwrap()
        .connect()
        .await
        .unwrap();
    let call = |channel: tonic::transport::Channel| async move {
        ExperimentServiceClient::new(channel)
            .get_latest_logger_data(GetLatestLoggerDataRequest::default())
            .await
    };
    let held: Vec<_> = (0..3)
        .map(|_| tokio::spawn(call(channel.clone())))
        .collect();
    gate.wait_entered(3).await;
    let fourth = call(channel.clone()).await;
    assert_eq!(fourth.unwrap_err().code(), tonic::Code::ResourceExhausted);
    gate.release(3);
    let mut succeeded = 0;
    for task in held {
        if task.await.unwrap().is_ok() {
            succeeded += 1;
        }
    }
    assert_eq!(succeeded, 3);
    // Slots are free again.
    gate.release(1);
    assert!(call(channel).await.is_ok());
    server.shutdown().await;
}

#[tokio::test]
async fn oversized_messages_are_refused() {
    let server = TestServer::start_with(TestOptions {
        max_message_bytes: Some(4096),
        ..Default::default()
    })
    .await;
    let mut client = server.client().await;
    let big = DataEditsRequest {
        stat_name: "tags".into(),
        string_value: "x".into(),
        samples_ids: (0..2000).map(|id| id.to_string()).collect(),
        ..Default::default()
    };
    assert!(big.encoded_len() > 4096);
    let status = client.edit_data_sample(big).await.unwrap_err();
    assert!(
        matches!(
            status.code(),
            tonic::Code::ResourceExhausted | tonic::Code::OutOfRange
        ),
        "{status:?}"
    );
    // Small calls still work on the same server.
    assert!(client.experiment_command(heartbeat()).await.is_ok());
    server.shutdown().await;
}

#[tokio::test]
async fn audited_actions_are_written_as_json_lines() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    let pause = TrainerCommand {
        hyper_parameter_change: Some(HyperParameterCommand {
            hyper_parameters: Some(HyperParameters {
                is_training: Some(false),
                ..Default::default()
            }),
        }),
        ..Default::default()
    };
    let _ = client.experiment_command(pause).await;
    // Read-only calls are not audited.
    let _ = client.experiment_command(heartbeat()).await;
    let _ = client.get_data_splits(Empty {}).await;
    let text = std::fs::read_to_string(server.log_dir.path().join("audit.jsonl")).unwrap();
    let entries: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(entries.len(), 1, "{text}");
    let entry = &entries[0];
    assert_eq!(entry["action_type"], "pause");
    assert!(entry["status"] == "success" || entry["status"] == "error");
    let timestamp = entry["timestamp"].as_str().unwrap();
    assert!(
        timestamp.ends_with('Z') && timestamp.contains('.'),
        "{timestamp}"
    );
    assert!(entry["peer"].as_str().unwrap().starts_with("127.0.0.1:"));
    server.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_lets_the_call_in_flight_finish() {
    let gate = Arc::new(CallGate::new());
    let mut server = TestServer::start_with(TestOptions {
        logger_gate: Some(gate.clone()),
        ..Default::default()
    })
    .await;
    let mut client = server.client().await;
    let in_flight = tokio::spawn(async move {
        client
            .get_latest_logger_data(GetLatestLoggerDataRequest::default())
            .await
    });
    gate.wait_entered(1).await;
    let running = server.server.take().unwrap();
    let stopper = running.stopper();
    let join = tokio::spawn(running.join());
    stopper.send(true).unwrap();
    // New connections are refused once the listener stops accepting.
    let addr = server.addr;
    let mut refused = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    gate.release(1);
    let reply = in_flight.await.unwrap();
    assert!(reply.is_ok(), "the in-flight call completes: {reply:?}");
    join.await.unwrap().unwrap();
    assert!(refused, "listener closed after shutdown");
}

#[tokio::test]
async fn a_port_in_use_is_a_clear_error() {
    let server = TestServer::start().await;
    let log_dir = tempfile::tempdir().unwrap();
    let config = weightslab::config::ServerConfig::new(
        [127, 0, 0, 1].into(),
        server.addr.port(),
        log_dir.path().into(),
    );
    let context = Arc::new(weightslab::service::ServiceContext::new(config).unwrap());
    let api = weightslab::service::ExperimentApi::new(server.experiment.clone(), context.clone());
    let error = match weightslab::server::start(api, context).await {
        Err(error) => error,
        Ok(_) => panic!("a second bind on the same port must fail"),
    };
    let text = error.to_string();
    assert!(
        text.contains("already in use") && text.contains(&server.addr.port().to_string()),
        "{text}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_count_calls_per_method() {
    let server = TestServer::start().await;
    let mut client = server.client().await;
    client.experiment_command(heartbeat()).await.unwrap();
    let reply = http1(
        http::Request::get(format!("http://{}/metrics", server.addr))
            .body(Full::new(Bytes::new()))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, 200);
    let text = String::from_utf8(reply.body).unwrap();
    assert!(
        text.contains(r#"weightslab_rpc_calls_total{method="ExperimentCommand",code="Ok"} 1"#),
        "{text}"
    );
    assert!(
        text.contains("weightslab_rpc_latency_seconds_bucket"),
        "{text}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn the_second_listener_serves_the_same_routes() {
    let server = TestServer::start_with(TestOptions {
        second_listener: true,
        ..Default::default()
    })
    .await;
    let web = server
        .server
        .as_ref()
        .unwrap()
        .web_addr()
        .expect("second listener bound");
    assert_ne!(web.port(), server.addr.port());
    let reply = grpc_web_call(
        web,
        "ExperimentCommand",
        &heartbeat().encode_to_vec(),
        true,
        &[],
    )
    .await;
    assert_eq!(web_status(&reply).as_deref(), Some("0"));
    let mut client = ExperimentServiceClient::connect(format!("http://{web}"))
        .await
        .unwrap();
    assert!(client.experiment_command(heartbeat()).await.is_ok());
    server.shutdown().await;
}
