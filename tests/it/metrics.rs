//! The metrics are not public: `GET /metrics` on the API's listener is `404`, and with
//! `--metrics-listen` a second listener serves the Prometheus text alone, counting what the API
//! served (docs/operations.md, "Monitoring").

use crate::harness::{for_each_backend, spawn_app, spawn_app_with};

#[tokio::test]
async fn metrics_are_served_only_on_the_metrics_listener() {
    for_each_backend(|backend| async move {
        let app = spawn_app_with(
            backend,
            &["--no-scheduler", "--metrics-listen", "127.0.0.1:0"],
        )
        .await;
        let metrics_url = app.metrics_url().unwrap_or_else(|| {
            panic!(
                "[{}] no `metrics on` line\n{}",
                app.backend,
                app.server_log_tail()
            )
        });
        assert_ne!(
            metrics_url,
            format!("{}/metrics", app.base_url),
            "a listener of its own"
        );

        let public = app
            .client
            .get(format!("{}/metrics", app.base_url))
            .send()
            .await
            .expect("GET /metrics on the API");
        assert_eq!(public.status(), reqwest::StatusCode::NOT_FOUND);

        app.data(None, "{ departments { slug } }", serde_json::json!({}))
            .await;
        let scraped = app
            .client
            .get(&metrics_url)
            .send()
            .await
            .expect("GET the metrics listener");
        assert_eq!(scraped.status(), reqwest::StatusCode::OK);
        let content_type = scraped
            .headers()
            .get("content-type")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(
            content_type.starts_with("text/plain; version=0.0.4"),
            "{content_type}"
        );
        let text = scraped.text().await.expect("the metrics");
        assert!(
            text.lines().any(|line| line.starts_with(
                "pressroom_graphql_operations_total{field=\"departments\",outcome=\"ok\",type=\"query\"} "
            )),
            "the API's operations are counted\n{text}"
        );
        assert!(
            text.contains("pressroom_db_pool_max_connections"),
            "{text}"
        );

        // The metrics listener serves nothing else.
        let metrics_base = metrics_url.trim_end_matches("/metrics");
        for path in ["/graphql", "/healthz", "/"] {
            let other = app
                .client
                .get(format!("{metrics_base}{path}"))
                .send()
                .await
                .expect("GET on the metrics listener");
            assert_eq!(other.status(), reqwest::StatusCode::NOT_FOUND, "{path}");
        }
    })
    .await;
}

#[tokio::test]
async fn without_metrics_listen_no_metrics_are_served() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        assert_eq!(app.metrics_url(), None);
        let response = app
            .client
            .get(format!("{}/metrics", app.base_url))
            .send()
            .await
            .expect("GET /metrics");
        assert_eq!(response.status(), reqwest::StatusCode::NOT_FOUND);
    })
    .await;
}
