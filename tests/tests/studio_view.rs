//! The Studio reads the shared sample view back over real sockets: the filters a query left,
//! the sort a later `sortby` added on top of them, the limit, and the counts; a new filter
//! replaces them all, `@reset` clears them, and the call needs the token when auth is on.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use tonic::transport::Channel;
use weightslab_e2e::proto::studio::{GetViewRequest, ViewSortKey};
use weightslab_e2e::proto::{DataQueryRequest, ExperimentServiceClient};
use weightslab_e2e::*;

async fn query(client: &mut ExperimentServiceClient<Channel>, text: &str, natural: bool) {
    let reply = client
        .apply_data_query(DataQueryRequest {
            query: text.into(),
            is_natural_language: natural,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(reply.success, "{text}: {reply:?}");
}

fn key(column: &str, descending: bool) -> ViewSortKey {
    ViewSortKey {
        column: column.into(),
        descending,
    }
}

#[tokio::test]
async fn the_view_says_which_filters_sort_and_limit_are_in_force() {
    let server = TestServer::start_with(TestOptions {
        run: Some(paused_mlp()),
        ..Default::default()
    })
    .await;
    let mut client = server.client().await;
    let mut studio = server.studio_client().await;

    let view = studio
        .get_view(GetViewRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(view.filters.is_empty() && view.sort.is_empty(), "{view:?}");
    assert_eq!(view.in_view, view.total);

    query(&mut client, "label == 3", false).await;
    query(&mut client, "top 5 by loss", true).await;
    let view = studio
        .get_view(GetViewRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(view.filters, vec!["label == 3"], "{view:?}");
    assert_eq!(view.sort, vec![key("loss", true)], "{view:?}");
    assert_eq!(view.limit, "head:5");
    assert_eq!(view.in_view, 5);

    query(&mut client, "origin == 'val'", false).await;
    let view = studio
        .get_view(GetViewRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(view.filters, vec![r#"origin == "val""#], "{view:?}");
    assert!(view.sort.is_empty() && view.limit.is_empty(), "{view:?}");

    query(&mut client, "@reset", true).await;
    let view = studio
        .get_view(GetViewRequest {})
        .await
        .unwrap()
        .into_inner();
    assert!(view.filters.is_empty(), "{view:?}");
    assert_eq!(view.in_view, view.total);
    server.shutdown().await;
}

#[tokio::test]
async fn reading_the_view_needs_the_token_when_auth_is_on() {
    let server = TestServer::start_with(TestOptions {
        tokens: vec!["secret".into()],
        ..Default::default()
    })
    .await;
    let mut studio = server.studio_client().await;
    let status = studio.get_view(GetViewRequest {}).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    let request = with_bearer(GetViewRequest {}, "secret");
    assert!(studio.get_view(request).await.is_ok());
    server.shutdown().await;
}
