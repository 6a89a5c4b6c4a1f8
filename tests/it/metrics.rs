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

#[tokio::test]
async fn a_scheduler_process_serves_its_metrics_on_the_metrics_listener() {
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, BufReader};

    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let mut scheduler =
            tokio::process::Command::new(pressroom_test_support::binary::pressroom_binary())
                .args(["--database-url", &app.database_url])
                .args(["scheduler", "--metrics-listen", "127.0.0.1:0"])
                .env("RUST_LOG", "warn")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .kill_on_drop(true)
                .spawn()
                .expect("start the scheduler");
        let stdout = scheduler.stdout.take().expect("piped");
        let mut lines = BufReader::new(stdout).lines();
        let mut next = async || {
            tokio::time::timeout(std::time::Duration::from_secs(60), lines.next_line())
                .await
                .expect("a line in time")
                .expect("stdout")
                .unwrap_or_default()
        };
        let first = next().await;
        let metrics_url = first
            .strip_prefix("metrics on ")
            .unwrap_or_else(|| panic!("the first line names the metrics: {first}"))
            .to_owned();
        assert_eq!(next().await, "scheduler running");

        // The scheduler's own metrics appear once it has looked at the schedule.
        let mut text = String::new();
        for _ in 0..100 {
            let response = app
                .client
                .get(&metrics_url)
                .send()
                .await
                .expect("GET the scheduler's metrics");
            assert_eq!(response.status(), reqwest::StatusCode::OK);
            text = response.text().await.expect("the metrics");
            if text.contains("pressroom_scheduler_last_success_timestamp_seconds") {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no scheduler metrics within 10 s:\n{text}");
    })
    .await;
}
