//! The Studio's training hold over real sockets: a hold makes the trainer wait (and says how
//! long it has waited), releasing it lets training finish, bad lengths and missing tokens are
//! refused, and `WL_STUDIO_HOLD=off` turns holds into a polite no.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use weightslab_e2e::proto::studio::HoldTrainingRequest;
use weightslab_e2e::*;

fn hold(hold_ms: u32) -> HoldTrainingRequest {
    HoldTrainingRequest { hold_ms }
}

#[tokio::test]
async fn a_held_trainer_waits_and_a_released_one_finishes_its_steps() {
    let server = TestServer::start_with(TestOptions {
        run: Some(paused_mlp()),
        ..Default::default()
    })
    .await;
    let mut client = server.client().await;
    let mut studio = server.studio_client().await;

    let first = studio.hold_training(hold(2000)).await.unwrap().into_inner();
    assert!(first.held, "{first:?}");
    assert!(first.message.is_empty(), "{first:?}");
    resume_for(&mut client, 3).await;
    // Renewed the way the Studio renews it while scrolling goes on, until the trainer reports
    // time spent waiting on it.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let reply = studio.hold_training(hold(2000)).await.unwrap().into_inner();
        if reply.held_seconds_total > 0.0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the trainer never waited on the hold"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let values = hyper_values(&mut client).await;
    assert_eq!(
        values["is_training"], 1.0,
        "a hold is not a pause: {values:?}"
    );

    let released = studio.hold_training(hold(0)).await.unwrap().into_inner();
    assert!(!released.held);
    assert_eq!(released.message, "hold released");
    assert_eq!(wait_for_pause_at(&mut client, 3.0).await, 3.0);
    server.shutdown().await;
}

#[tokio::test]
async fn too_long_a_hold_is_refused_with_the_limit() {
    let server = TestServer::start().await;
    let mut studio = server.studio_client().await;
    let status = studio.hold_training(hold(2001)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::InvalidArgument);
    assert!(status.message().contains("at most 2000 ms"), "{status:?}");
    server.shutdown().await;
}

#[tokio::test]
async fn holds_need_the_token_when_auth_is_on() {
    let server = TestServer::start_with(TestOptions {
        tokens: vec!["secret".into()],
        ..Default::default()
    })
    .await;
    let mut studio = server.studio_client().await;
    let status = studio.hold_training(hold(100)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let request = with_bearer(hold(100), "secret");
    assert!(
        studio
            .hold_training(request)
            .await
            .unwrap()
            .into_inner()
            .held
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_server_with_holds_off_says_so_and_never_waits() {
    let server = TestServer::start_with(TestOptions {
        run: Some(paused_mlp()),
        studio_hold: Some(false),
        ..Default::default()
    })
    .await;
    let mut studio = server.studio_client().await;
    let reply = studio.hold_training(hold(2000)).await.unwrap().into_inner();
    assert!(!reply.held);
    assert!(reply.message.contains("WL_STUDIO_HOLD=off"), "{reply:?}");
    let mut client = server.client().await;
    let age = train_steps(&mut client, 2).await;
    assert_eq!(age, 2.0);
    let reply = studio.hold_training(hold(2000)).await.unwrap().into_inner();
    assert_eq!(reply.held_seconds_total, 0.0);
    server.shutdown().await;
}
