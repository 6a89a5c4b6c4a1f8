//! `releasePublished` over WebSocket (graphql-transport-ws at /graphql/ws): it fires once per
//! release as it becomes public, never before the embargo instant, and only for what the
//! subscriber may see.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::fixture::approved_release;
use crate::graphql::id;
use crate::harness::{Backend, TestApp, for_each_backend, spawn_app_with};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Connects, authenticates with `token` (none: anonymous) and subscribes.
async fn subscribe(app: &TestApp, token: Option<&str>, department: &str) -> Socket {
    let mut socket = connect(app).await;
    let payload = match token {
        Some(token) => json!({ "Authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let ack = next_message(&mut socket, Duration::from_secs(10))
        .await
        .expect("connection_ack");
    assert_eq!(ack["type"], "connection_ack", "[{}] {ack}", app.backend);
    let query =
        "subscription($d: String) { releasePublished(department: $d) { id state publishedAt } }";
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query, "variables": { "d": department } } }),
    )
    .await;
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("send");
}

/// The next protocol message within `within`, skipping pings; `None` on time-out.
async fn next_message(socket: &mut Socket, within: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let frame = tokio::time::timeout_at(deadline, socket.next())
            .await
            .ok()??
            .ok()?;
        if let Message::Text(text) = frame {
            let value: Value = serde_json::from_str(&text).expect("JSON");
            if value["type"] == "ping" {
                send(socket, json!({ "type": "pong" })).await;
                continue;
            }
            return Some(value);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn release_published_fires_once_at_the_instant_and_never_before() {
    for_each_backend(|backend: Backend| async move {
        let app = spawn_app_with(backend, &[]).await;
        let ministry = app.setup_ministry().await;
        let department = "miljodepartementet";
        let mut anonymous = subscribe(&app, None, department).await;
        let mut elsewhere = subscribe(&app, None, "another-department").await;
        let release = approved_release(&app, &ministry, &ministry.release_input()).await;
        let instant = Utc::now() + chrono::Duration::seconds(3);
        let instant = DateTime::from_timestamp_millis(instant.timestamp_millis()).expect("instant");
        app.schedule(
            &ministry.drafter,
            &release,
            &instant.to_rfc3339_opts(SecondsFormat::Millis, true),
        )
        .await;

        // Nothing before the instant.
        let quiet = (instant - Utc::now())
            .to_std()
            .unwrap_or_default()
            .saturating_sub(Duration::from_millis(300));
        assert!(
            next_message(&mut anonymous, quiet).await.is_none(),
            "[{}] an event arrived before the embargo instant",
            app.backend
        );
        // Exactly one event after it.
        let event = next_message(&mut anonymous, Duration::from_secs(15))
            .await
            .expect("an event");
        assert_eq!(event["type"], "next", "[{}] {event}", app.backend);
        let published = &event["payload"]["data"]["releasePublished"];
        assert_eq!(
            published["id"].as_str(),
            Some(id(&release)),
            "[{}] {event}",
            app.backend
        );
        assert_eq!(published["state"], "PUBLISHED");
        let at =
            DateTime::parse_from_rfc3339(published["publishedAt"].as_str().expect("publishedAt"))
                .expect("time");
        assert_eq!(at.with_timezone(&Utc), instant);
        assert!(
            next_message(&mut anonymous, Duration::from_millis(1_500))
                .await
                .is_none(),
            "[{}] a second event for one publication",
            app.backend
        );
        // Another department's subscriber heard nothing.
        assert!(
            next_message(&mut elsewhere, Duration::from_millis(200))
                .await
                .is_none()
        );
    })
    .await;
}

/// Opens a graphql-transport-ws connection (nothing sent yet).
async fn connect(app: &TestApp) -> Socket {
    let url = format!(
        "{}/graphql/ws",
        app.base_url.replacen("http://", "ws://", 1)
    );
    let mut request = url.into_client_request().expect("a request");
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    socket
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_per_address_and_subscriptions_per_connection_are_capped() {
    for_each_backend(|backend: Backend| async move {
        let config = std::env::temp_dir().join(format!(
            "pressroom-websocket-{}.toml",
            uuid::Uuid::new_v4()
        ));
        std::fs::write(
            &config,
            "websocket_connections_per_address = 2\nsubscriptions_per_connection = 2\n",
        )
        .expect("write the configuration file");
        let config = config.to_str().expect("a UTF-8 path").to_owned();
        let app = spawn_app_with(backend, &["--no-scheduler", "--config", &config]).await;

        // Two subscriptions on one connection run; a third is refused, and the two go on.
        let mut first = subscribe(&app, None, "miljodepartementet").await;
        send(
            &mut first,
            json!({ "id": "2", "type": "subscribe", "payload": { "query": "subscription { releasePublished { id } }" } }),
        )
        .await;
        send(
            &mut first,
            json!({ "id": "3", "type": "subscribe", "payload": { "query": "subscription { releasePublished { id } }" } }),
        )
        .await;
        let refused = next_message(&mut first, Duration::from_secs(10))
            .await
            .expect("an answer to the third");
        assert_eq!(refused["id"], "3", "[{}] {refused}", app.backend);
        assert_eq!(refused["type"], "next", "[{}] {refused}", app.backend);
        let error = &refused["payload"]["errors"][0];
        assert_eq!(error["extensions"]["code"], "FORBIDDEN", "[{}] {refused}", app.backend);
        assert!(
            error["message"]
                .as_str()
                .is_some_and(|m| m.contains("at most 2")),
            "[{}] {refused}",
            app.backend
        );
        let complete = next_message(&mut first, Duration::from_secs(10))
            .await
            .expect("complete");
        assert_eq!(complete["type"], "complete", "[{}] {complete}", app.backend);
        assert_eq!(complete["id"], "3");
        // Completing one frees its place.
        send(&mut first, json!({ "id": "2", "type": "complete" })).await;
        send(
            &mut first,
            json!({ "id": "4", "type": "subscribe", "payload": { "query": "subscription { releasePublished { id } }" } }),
        )
        .await;
        let completed = next_message(&mut first, Duration::from_secs(10))
            .await
            .expect("the second's complete");
        assert_eq!(completed["type"], "complete", "[{}] {completed}", app.backend);
        assert_eq!(completed["id"], "2", "[{}] {completed}", app.backend);
        let after = next_message(&mut first, Duration::from_millis(500)).await;
        assert!(
            after.is_none(),
            "[{}] the fourth was answered after the second completed: {after:?}",
            app.backend
        );

        // A second connection from this address is accepted; a third is closed with 1013.
        let mut second = connect(&app).await;
        send(&mut second, json!({ "type": "connection_init" })).await;
        let ack = next_message(&mut second, Duration::from_secs(10))
            .await
            .expect("connection_ack");
        assert_eq!(ack["type"], "connection_ack", "[{}] {ack}", app.backend);
        let mut third = connect(&app).await;
        let frame = tokio::time::timeout(Duration::from_secs(10), third.next())
            .await
            .expect("a frame in time")
            .expect("a frame")
            .expect("a valid frame");
        match frame {
            Message::Close(Some(close)) => {
                assert_eq!(u16::from(close.code), 1013, "[{}]", app.backend);
                assert!(
                    close.reason.contains("at most 2"),
                    "[{}] {}",
                    app.backend,
                    close.reason
                );
            }
            other => panic!("[{}] not a close frame: {other:?}", app.backend),
        }
        // Once one closes, the address may connect again.
        drop(second);
        let mut again = None;
        for _ in 0..50 {
            let mut socket = connect(&app).await;
            send(&mut socket, json!({ "type": "connection_init" })).await;
            if let Some(ack) = next_message(&mut socket, Duration::from_secs(2)).await
                && ack["type"] == "connection_ack"
            {
                again = Some(socket);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(again.is_some(), "[{}] the freed place was not given again", app.backend);
        drop(first);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_silent_for_the_idle_timeout_is_closed_and_one_that_pings_is_not() {
    for_each_backend(|backend: Backend| async move {
        let config = std::env::temp_dir().join(format!(
            "pressroom-websocket-idle-{}.toml",
            uuid::Uuid::new_v4()
        ));
        std::fs::write(&config, "websocket_idle_timeout_secs = 2\n")
            .expect("write the configuration file");
        let config = config.to_str().expect("a UTF-8 path").to_owned();
        let app = spawn_app_with(backend, &["--no-scheduler", "--config", &config]).await;

        let mut silent = subscribe(&app, None, "miljodepartementet").await;
        let mut pinging = connect(&app).await;
        send(&mut pinging, json!({ "type": "connection_init" })).await;
        let ack = next_message(&mut pinging, Duration::from_secs(10))
            .await
            .expect("connection_ack");
        assert_eq!(ack["type"], "connection_ack", "[{}] {ack}", app.backend);

        // Pinging every quarter second for three times the timeout keeps a connection open.
        for _ in 0..24 {
            send(&mut pinging, json!({ "type": "ping" })).await;
            let pong = next_message(&mut pinging, Duration::from_secs(10))
                .await
                .expect("a pong: the connection that pings stays open");
            assert_eq!(pong["type"], "pong", "[{}] {pong}", app.backend);
            tokio::time::sleep(Duration::from_millis(250)).await;
        }

        // The silent one was closed with graphql-transport-ws's 3008 (timeout).
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let close = loop {
            let frame = tokio::time::timeout_at(deadline, silent.next())
                .await
                .expect("the silent connection is closed in time")
                .expect("a frame")
                .expect("a valid frame");
            if let Message::Close(close) = frame {
                break close;
            }
        };
        let close = close.expect("a close code");
        assert_eq!(u16::from(close.code), 3008, "[{}] {close:?}", app.backend);
    })
    .await;
}
