//! `/metrics` counts HTTP requests by route pattern, GraphQL operations by type, first root field
//! and outcome, and shows the database pool. It is served by `metrics_app` (the metrics
//! listener), never by the API's routes. The registry is per process, so this file holds a
//! single test: no other test in its process moves the counters it reads.

use poem::http::StatusCode;
use poem::test::TestClient;
use pressroom_api::http::{HttpConfig, app_with, metrics_app};
use pressroom_storage::Store;
use pressroom_test_support::database::{Backend, EmptyDatabase};
use serde_json::json;

/// The value of the sample `name{labels}` in a Prometheus text exposition (0 when absent).
fn sample(text: &str, name: &str, labels: &str) -> f64 {
    let prefix = if labels.is_empty() {
        format!("{name} ")
    } else {
        format!("{name}{{{labels}}} ")
    };
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0.0, |value| value.trim().parse().expect("a number"))
}

#[tokio::test]
async fn metrics_count_http_requests_graphql_operations_and_show_the_pool() {
    let database = EmptyDatabase::create(&Backend::Sqlite).await;
    let store = Store::connect(&database.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    let client = TestClient::new(app_with(store.clone(), HttpConfig::default()));
    let metrics = TestClient::new(metrics_app(store));
    // Before the first scrape, so that the counters below do not see this request.
    client
        .get("/metrics")
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);
    let scrape = || async {
        let response = metrics.get("/metrics").send().await;
        response.assert_status_is_ok();
        response.0.into_body().into_string().await.expect("text")
    };
    let before = scrape().await;

    let post = |body: serde_json::Value| {
        let body = body.to_string();
        client
            .post("/graphql")
            .header("content-type", "application/json")
            .header("content-length", body.len())
            .body(body)
    };
    for _ in 0..3 {
        post(json!({ "query": "{ departments { slug } }" }))
            .send()
            .await
            .assert_status_is_ok();
    }
    post(json!({ "query": "{ departments { slug }" }))
        .send()
        .await
        .assert_status_is_ok();
    post(json!({ "query": "mutation { revokeToken(id: \"x\") }" }))
        .send()
        .await
        .assert_status_is_ok();
    client
        .get("/releases/no-such-release")
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);

    client
        .get("/no/such/path")
        .send()
        .await
        .assert_status(StatusCode::NOT_FOUND);

    let after = scrape().await;
    let delta =
        |name: &str, labels: &str| sample(&after, name, labels) - sample(&before, name, labels);
    assert_eq!(
        delta(
            "pressroom_http_requests_total",
            r#"method="POST",route="/graphql",status="200""#
        ),
        5.0,
        "{after}"
    );
    assert_eq!(
        delta(
            "pressroom_http_requests_total",
            r#"method="GET",route="/releases/:slug",status="404""#
        ),
        1.0,
        "{after}"
    );
    assert_eq!(
        delta(
            "pressroom_http_requests_total",
            r#"method="GET",route="unmatched",status="404""#
        ),
        1.0,
        "{after}"
    );
    assert_eq!(
        delta(
            "pressroom_http_request_duration_seconds_count",
            r#"method="POST",route="/graphql""#
        ),
        5.0
    );
    assert_eq!(
        delta(
            "pressroom_graphql_operations_total",
            r#"field="departments",outcome="ok",type="query""#
        ),
        1.0,
        "{after}"
    );
    assert_eq!(
        delta(
            "pressroom_graphql_operations_total",
            r#"field="departments",outcome="cached",type="query""#
        ),
        2.0,
        "the same anonymous read twice more comes from the response cache\n{after}"
    );
    assert_eq!(
        delta("pressroom_graphql_response_cache_total", r#"result="hit""#),
        2.0,
        "{after}"
    );
    assert_eq!(
        delta(
            "pressroom_graphql_operations_total",
            r#"field="-",outcome="refused",type="unknown""#
        ),
        1.0,
        "a syntax error is refused before the engine\n{after}"
    );
    assert_eq!(
        delta(
            "pressroom_graphql_operations_total",
            r#"field="revokeToken",outcome="error",type="mutation""#
        ),
        1.0,
        "an anonymous mutation runs and fails\n{after}"
    );
    assert!(
        sample(&after, "pressroom_db_pool_max_connections", "") >= 1.0,
        "{after}"
    );
    let open = sample(&after, "pressroom_db_pool_connections", r#"state="idle""#)
        + sample(&after, "pressroom_db_pool_connections", r#"state="in_use""#);
    assert!(open >= 1.0, "the pool has a connection open\n{after}");
}
