//! Graceful shutdown: on SIGTERM `pressroom serve` stops accepting connections, answers the
//! requests already in flight, and exits with status 0.
//!
//! The request in flight is held open from the client side: a `POST /graphql` whose headers and
//! half of whose body are sent before SIGTERM, and the other half only after the server has
//! visibly begun to shut down (a new connection is refused). The request carries
//! `Expect: 100-continue`, so the server's `100 Continue` proves that it has read the headers
//! and that the handler is reading the body before the signal is sent; without that, a signal
//! arriving before the server had read the first bytes would meet an idle connection, which a
//! graceful shutdown may rightly close.
//!
//! A server that did not drain (no SIGTERM handler, no grace period, or one that drops open
//! connections when it stops accepting) would close the connection without a response or die
//! by the signal; one that kept accepting connections would never refuse the probe.

use std::io::ErrorKind;
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::harness::{Backend, TestApp, for_each_backend, spawn_app};

/// Generous bound for every wait of this scenario (the machine running the tests may be busy);
/// a healthy server takes milliseconds for each.
const PATIENCE: Duration = Duration::from_secs(20);

/// Pause between seeing the server shut down and sending the rest of the body, so that the
/// request stays in flight for a while after the shutdown began.
const PAUSE: Duration = Duration::from_millis(300);

const CREATE_DEPARTMENT: &str = "mutation Drained($input: DepartmentInput!) { \
     createDepartment(input: $input) { slug name } }";

#[tokio::test(flavor = "multi_thread")]
async fn a_request_in_flight_on_sigterm_is_answered_before_the_server_exits() {
    for_each_backend(|backend: Backend| async move {
        let mut app = spawn_app(backend).await;
        let address = app
            .base_url
            .strip_prefix("http://")
            .expect("an http:// base URL")
            .to_owned();
        let slug = format!("drained-{}", uuid::Uuid::new_v4().simple());
        let body = serde_json::to_vec(&json!({
            "query": CREATE_DEPARTMENT,
            "variables": { "input": { "slug": slug, "name": "Drained" } },
        }))
        .expect("serialize the request");
        let (first_half, second_half) = body.split_at(body.len() / 2);

        let mut stream = timeout(&app, "connecting", TcpStream::connect(&address))
            .await
            .unwrap_or_else(|error| panic!("[{}] connect to {address}: {error}", app.backend));
        let head = format!(
            "POST /graphql HTTP/1.1\r\n\
             Host: {address}\r\n\
             Authorization: Bearer {}\r\n\
             Content-Type: application/json\r\n\
             Accept: application/json\r\n\
             Content-Length: {}\r\n\
             Expect: 100-continue\r\n\
             \r\n",
            app.admin_token,
            body.len()
        );
        stream
            .write_all(head.as_bytes())
            .await
            .expect("send the headers");
        let interim = read_interim_response(&app, &mut stream).await;
        assert!(
            interim.starts_with("HTTP/1.1 100"),
            "[{}] expected `100 Continue` once the server reads the body, got {interim:?}",
            app.backend
        );
        stream
            .write_all(first_half)
            .await
            .expect("send half the body");
        stream.flush().await.expect("flush");

        app.terminate_server();
        wait_until_refused(&app, &address).await;
        tokio::time::sleep(PAUSE).await;

        stream.write_all(second_half).await.unwrap_or_else(|error| {
            panic!(
                "[{}] the server closed the connection of a request in flight on SIGTERM \
                     (sending the rest of the body failed: {error})\n--- server log (tail):\n{}",
                app.backend,
                app.server_log_tail()
            )
        });
        let mut raw = Vec::new();
        let read = timeout(&app, "reading the response", stream.read_to_end(&mut raw)).await;
        let response = String::from_utf8_lossy(&raw).into_owned();
        assert!(
            read.is_ok() && !raw.is_empty(),
            "[{}] the request in flight on SIGTERM got no response ({read:?}, {} bytes: \
             {response:?})\n--- server log (tail):\n{}",
            app.backend,
            raw.len(),
            app.server_log_tail()
        );
        let (status_line, json) = parse_response(&response);
        assert_eq!(
            status_line, "HTTP/1.1 200 OK",
            "[{}] the request in flight on SIGTERM was not answered 200\n{response}",
            app.backend
        );
        assert_eq!(
            json["data"]["createDepartment"],
            json!({ "slug": slug, "name": "Drained" }),
            "[{}] the request in flight on SIGTERM did not complete\n{response}",
            app.backend
        );
        assert!(
            json.get("errors").is_none_or(Value::is_null),
            "[{}] the request in flight on SIGTERM answered errors\n{response}",
            app.backend
        );

        let status = app.wait_for_server_exit(PATIENCE).await.unwrap_or_else(|| {
            panic!(
                "[{}] the server did not exit within {PATIENCE:?} of SIGTERM, though its only \
                 request was answered\n--- server log (tail):\n{}",
                app.backend,
                app.server_log_tail()
            )
        });
        assert_eq!(
            status.code(),
            Some(0),
            "[{}] the server exited with {status} after SIGTERM\n--- server log (tail):\n{}",
            app.backend,
            app.server_log_tail()
        );
        assert_department_stored(&app, &slug).await;
    })
    .await;
}

/// Awaits `future` for at most [`PATIENCE`], failing with `what` and the server's log.
async fn timeout<F: Future>(app: &TestApp, what: &str, future: F) -> F::Output {
    tokio::time::timeout(PATIENCE, future)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "[{}] {what} took more than {PATIENCE:?}\n--- server log (tail):\n{}",
                app.backend,
                app.server_log_tail()
            )
        })
}

/// Reads an interim response (`HTTP/1.1 100 Continue` and its blank line). The server sends
/// nothing else before it has the whole body, so nothing beyond it is consumed.
async fn read_interim_response(app: &TestApp, stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    while !received.ends_with(b"\r\n\r\n") {
        let mut byte = [0_u8; 1];
        let read = timeout(app, "waiting for `100 Continue`", stream.read(&mut byte))
            .await
            .unwrap_or_else(|error| panic!("[{}] reading `100 Continue`: {error}", app.backend));
        assert!(
            read == 1,
            "[{}] the connection closed before `100 Continue`; received {:?}\n--- server log \
             (tail):\n{}",
            app.backend,
            String::from_utf8_lossy(&received),
            app.server_log_tail()
        );
        received.push(byte[0]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

/// Waits until a new connection to `address` is refused: the server has stopped accepting.
/// Connections made before that (the signal is handled asynchronously) are closed unused. A
/// connection that the kernel had queued when the listener closed is reset instead of refused:
/// that too means the server stopped accepting.
async fn wait_until_refused(app: &TestApp, address: &str) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match TcpStream::connect(address).await {
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
                ) =>
            {
                return;
            }
            Err(error) => panic!(
                "[{}] a new connection after SIGTERM failed otherwise than refused: {error}",
                app.backend
            ),
            Ok(unused) => drop(unused),
        }
        assert!(
            Instant::now() < deadline,
            "[{}] the server still accepted new connections {PATIENCE:?} after SIGTERM\n--- \
             server log (tail):\n{}",
            app.backend,
            app.server_log_tail()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The status line and the JSON body of an HTTP/1.1 response read to its end.
fn parse_response(response: &str) -> (&str, Value) {
    let (head, body) = response
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("a response without a blank line after its head:\n{response}"));
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let chunked = lines.any(|line| {
        line.to_ascii_lowercase()
            .replace(' ', "")
            .starts_with("transfer-encoding:chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    let json = serde_json::from_str(&body)
        .unwrap_or_else(|error| panic!("the response body is not JSON ({error}):\n{response}"));
    (status_line, json)
}

/// The payload of a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &str) -> String {
    let mut payload = String::new();
    loop {
        let (size, rest) = body
            .split_once("\r\n")
            .unwrap_or_else(|| panic!("a chunk without a size line in {body:?}"));
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .unwrap_or_else(|error| panic!("chunk size {size:?}: {error}"));
        if size == 0 {
            return payload;
        }
        payload.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
}

/// The department made by the drained request is in the database.
async fn assert_department_stored(app: &TestApp, slug: &str) {
    let db = Database::connect(&app.database_url)
        .await
        .unwrap_or_else(|error| panic!("[{}] connect to the database: {error}", app.backend));
    let backend = db.get_database_backend();
    let row = db
        .query_one_raw(Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM departments WHERE slug = '{slug}'"),
        ))
        .await
        .unwrap_or_else(|error| panic!("[{}] count departments: {error}", app.backend))
        .expect("a count");
    let count: i64 = row.try_get("", "n").expect("the count");
    let _ = db.close().await;
    assert_eq!(
        count, 1,
        "[{}] the department created by the drained request is not in the database",
        app.backend
    );
}
