//! The webhook address guard on the real binary: by default `pressroom serve` refuses to deliver
//! to a loopback address (the attempt is recorded as failed and the receiver hears nothing), and
//! `--webhook-allow-private-addresses`, the documented switch for development, delivers to it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

use crate::fixture::approved_release;
use crate::harness::{TestApp, for_each_backend, spawn_app_with};

/// A receiver on loopback that answers every request `204` and counts them.
struct Receiver {
    url: String,
    hits: Arc<AtomicUsize>,
}

impl Receiver {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a receiver");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&hits);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut length = 0usize;
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line == "\r\n" {
                        break;
                    }
                    if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap_or(0);
                    }
                    line.clear();
                }
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = stream.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
            }
        });
        Self { url, hits }
    }
}

/// Registers `url` for `release.published`, publishes a release, and returns the endpoint's
/// first delivery attempt once there is one.
async fn publish_and_wait_for_an_attempt(app: &TestApp, url: &str) -> Value {
    let ministry = app.setup_ministry().await;
    let created = app
        .data(
            Some(&app.admin_token),
            "mutation($url: String!) { createWebhookEndpoint(input: { url: $url, \
             eventTypes: [\"release.published\"] }) { endpoint { id } } }",
            json!({ "url": url }),
        )
        .await;
    let endpoint = created["createWebhookEndpoint"]["endpoint"]["id"].clone();
    let input = ministry.release_input();
    let approved = approved_release(app, &ministry, &input).await;
    app.publish_now(&ministry.editor, &approved).await;
    for _ in 0..150 {
        let data = app
            .data(
                Some(&app.admin_token),
                "query($id: ID!) { webhookDeliveries(endpointId: $id, first: 10) \
                 { attempt status succeeded } }",
                json!({ "id": endpoint }),
            )
            .await;
        if let Some(first) = data["webhookDeliveries"].as_array().and_then(|d| d.last()) {
            return first.clone();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "[{}] no delivery attempt within 15 s\n{}",
        app.backend,
        app.server_log_tail()
    );
}

#[tokio::test]
async fn serve_refuses_loopback_endpoints_unless_private_addresses_are_allowed() {
    for_each_backend(|backend| async move {
        let refusing = spawn_app_with(backend.clone(), &["--no-scheduler"]).await;
        let receiver = Receiver::start();
        let attempt = publish_and_wait_for_an_attempt(&refusing, &receiver.url).await;
        assert_eq!(attempt["succeeded"], false, "{attempt}");
        assert_eq!(
            attempt["status"],
            Value::Null,
            "no answer: refused\n{attempt}"
        );
        assert_eq!(
            receiver.hits.load(Ordering::SeqCst),
            0,
            "the receiver was reached"
        );

        let allowing = spawn_app_with(
            backend,
            &["--no-scheduler", "--webhook-allow-private-addresses"],
        )
        .await;
        let receiver = Receiver::start();
        let attempt = publish_and_wait_for_an_attempt(&allowing, &receiver.url).await;
        assert_eq!(attempt["succeeded"], true, "{attempt}");
        assert_eq!(attempt["status"], 204, "{attempt}");
        assert!(receiver.hits.load(Ordering::SeqCst) >= 1);
    })
    .await;
}
