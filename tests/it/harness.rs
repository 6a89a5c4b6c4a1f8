//! Starting the real `pressroom` binary against a fresh database, and talking to it.
//!
//! Every scenario gets an app of its own ([`spawn_app`]): a new SQLite file in a temporary
//! directory, or a newly created PostgreSQL database, an admin token made with the CLI before
//! the server starts, and a `pressroom serve` child process on a random port. Nothing is shared
//! between scenarios, so they can run in parallel and in any order.
//!
//! The GraphQL helpers ([`TestApp::gql`], [`TestApp::data`], [`TestApp::expect_error`]) put the
//! backend, the operation, its variables, the whole response and the tail of the server's log
//! into every failure message, so that a red test says what was asked, what was expected and
//! what came back without re-running anything.
//!
//! The databases and the processes come from `pressroom-test-support` (`database`, `binary`),
//! which every crate's tests share; this module adds the typed helpers of an app.

use std::future::Future;
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use pressroom_test_support::binary::CliOutput;
use pressroom_test_support::binary::{run_cli, start_scheduler, start_server, tail};
use pressroom_test_support::database::EmptyDatabase;
pub use pressroom_test_support::database::{Backend, POSTGRES_URL_VAR, backends};
use serde_json::{Value, json};
use tokio::process::Child;

/// How much of the server's log a failure message quotes (its end, where the cause usually is).
const LOG_TAIL_CHARS: usize = 4_000;

/// Runs `scenario` once per available backend, each time on a task of its own, and fails
/// afterwards naming every backend on which it failed (a failure on SQLite does not hide the
/// PostgreSQL result).
pub async fn for_each_backend<F, Fut>(scenario: F)
where
    F: Fn(Backend) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let mut failures = Vec::new();
    for backend in backends() {
        let name = backend.name();
        eprintln!("=== running on {name}");
        match tokio::spawn(scenario(backend)).await {
            Ok(()) => eprintln!("=== passed on {name}"),
            Err(error) if error.is_panic() => {
                failures.push(format!("on {name}: {}", panic_message(error.into_panic())));
            }
            Err(error) => failures.push(format!("on {name}: {error}")),
        }
    }
    assert!(
        failures.is_empty(),
        "scenario failed {}",
        failures.join("\n\nand failed ")
    );
}

/// The text of a panic payload (the assertion message, in practice).
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(message) = payload.downcast_ref::<String>() {
        message.clone()
    } else if let Some(message) = payload.downcast_ref::<&str>() {
        (*message).to_owned()
    } else {
        "a panic without a message".to_owned()
    }
}

/// A token issued by `createToken`: its id (for `revokeToken`) and the secret itself.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    /// The token's id.
    pub id: String,
    /// The bearer secret.
    pub token: String,
}

/// One running `pressroom serve` with its own database.
///
/// Field order matters: the server is killed (dropped) before the database is removed.
pub struct TestApp {
    /// Which backend this app runs on, for messages.
    pub backend: &'static str,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// The URL the server and the CLI were given with `--database-url`.
    pub database_url: String,
    /// An admin token made with `pressroom token create` before the server started.
    pub admin_token: String,
    /// HTTP client for the server.
    pub client: reqwest::Client,
    /// The server process; killed when the app is dropped.
    _server: Child,
    /// Everything the server printed so far (stderr and the rest of stdout).
    server_log: Arc<Mutex<String>>,
    /// Keeps the database alive; removes it when dropped.
    _database: EmptyDatabase,
}

/// Starts a fresh app on `backend`: a new database, an admin token, a server on a random port,
/// with no embedded scheduler (so tests see the read-time embargo rule on its own).
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &["--no-scheduler"]).await
}

/// Like [`spawn_app`], with extra `serve` arguments (none: the embedded scheduler runs).
pub async fn spawn_app_with(backend: Backend, serve_args: &[&str]) -> TestApp {
    let backend_name = backend.name();
    let database = EmptyDatabase::create(&backend).await;
    let database_url = database.url.clone();

    // The CLI runs the migrations itself, so the admin token can exist before the server does.
    let created = run_cli(
        &database_url,
        &["token", "create", "--name", "admin", "--role", "admin"],
    )
    .await;
    assert!(
        created.status.success(),
        "[{backend_name}] `pressroom token create --name admin --role admin` failed\n{created}"
    );
    let admin_token = created.last_line().to_owned();
    assert!(
        !admin_token.is_empty(),
        "[{backend_name}] `pressroom token create` printed no token\n{created}"
    );

    let server = start_server(backend_name, &database_url, serve_args).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("build an HTTP client");
    TestApp {
        backend: backend_name,
        base_url: server.base_url,
        database_url,
        admin_token,
        client,
        _server: server.child,
        server_log: server.log,
        _database: database,
    }
}

impl TestApp {
    /// Starts `pressroom scheduler` with `args` on this app's database and waits until it runs.
    /// The process is killed when the returned child is dropped.
    pub async fn spawn_scheduler(&self, args: &[&str]) -> Child {
        start_scheduler(self.backend, &self.database_url, args).await
    }

    /// Runs a `pressroom` subcommand against this app's database.
    pub async fn cli(&self, args: &[&str]) -> CliOutput {
        run_cli(&self.database_url, args).await
    }

    /// Runs `pressroom audit verify` against this app's database.
    pub async fn audit_verify(&self) -> CliOutput {
        self.cli(&["audit", "verify"]).await
    }

    /// The end of what the server printed so far.
    pub fn server_log_tail(&self) -> String {
        let log = self
            .server_log
            .lock()
            .map(|log| log.clone())
            .unwrap_or_default();
        tail(&log, LOG_TAIL_CHARS)
    }

    /// The URL of the metrics listener (`http://127.0.0.1:PORT/metrics`) when the server was
    /// started with `--metrics-listen`: it prints `metrics on <url>` before `listening on`.
    pub fn metrics_url(&self) -> Option<String> {
        let log = self.server_log.lock().map(|log| log.clone()).ok()?;
        log.lines()
            .find_map(|line| line.strip_prefix("stdout: metrics on "))
            .map(|url| url.trim().to_owned())
    }

    /// Fails unless `GET /healthz`, sent as a load balancer sends it (no body, no
    /// `Content-Length`), answers 200.
    pub async fn assert_healthy(&self) {
        let url = format!("{}/healthz", self.base_url);
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .unwrap_or_else(|error| panic!("[{}] GET {url}: {error}", self.backend));
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert_eq!(
            status,
            reqwest::StatusCode::OK,
            "[{}] GET /healthz (no body, no Content-Length) should answer 200; it answered \
             {status} with {body:?}\n--- server log (tail):\n{}",
            self.backend,
            self.server_log_tail()
        );
    }

    /// Posts a GraphQL request and returns the whole response (`data` and `errors`), whatever
    /// the HTTP status, as long as the body is JSON.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let url = format!("{}/graphql", self.base_url);
        let mut request = self
            .client
            .post(&url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.unwrap_or_else(|error| {
            panic!(
                "[{}] POST /graphql failed: {error}\n{}",
                self.backend,
                self.describe(query, &variables, None)
            )
        });
        let status = response.status();
        let body = response.text().await.unwrap_or_else(|error| {
            panic!(
                "[{}] reading the /graphql response ({status}) failed: {error}",
                self.backend
            )
        });
        serde_json::from_str(&body).unwrap_or_else(|error| {
            panic!(
                "[{}] POST /graphql answered {status} with a body that is not JSON ({error}):\n{body}\n{}",
                self.backend,
                self.describe(query, &variables, None)
            )
        })
    }

    /// Like [`TestApp::gql`], but fails unless the response has `data` and no `errors`; returns
    /// `data`.
    pub async fn data(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = self.gql(token, query, variables.clone()).await;
        let has_errors = response
            .get("errors")
            .is_some_and(|errors| !errors.is_null());
        let data = response.get("data").cloned().unwrap_or(Value::Null);
        assert!(
            !has_errors && !data.is_null(),
            "[{}] expected data and no errors, got {}\n{}",
            self.backend,
            if has_errors { "errors" } else { "no data" },
            self.describe(query, &variables, Some(&response))
        );
        data
    }

    /// The `extensions.code` of the first error of the response; fails when the response has
    /// no error or the error has no code.
    pub async fn error_code(&self, token: Option<&str>, query: &str, variables: Value) -> String {
        let response = self.gql(token, query, variables.clone()).await;
        match first_error_code(&response) {
            Some(code) => code,
            None => panic!(
                "[{}] expected an error with extensions.code, got none\n{}",
                self.backend,
                self.describe(query, &variables, Some(&response))
            ),
        }
    }

    /// Fails unless the first error's `extensions.code` is one of `codes`; returns the response.
    pub async fn expect_error(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
        codes: &[&str],
    ) -> Value {
        let response = self.gql(token, query, variables.clone()).await;
        let code = first_error_code(&response);
        assert!(
            code.as_deref().is_some_and(|code| codes.contains(&code)),
            "[{}] expected an error with extensions.code {}, got {}\n{}",
            self.backend,
            codes.join(" or "),
            code.unwrap_or_else(|| "no error code".to_owned()),
            self.describe(query, &variables, Some(&response))
        );
        response
    }

    /// A failure report: the operation, its variables, the response and the server's log tail.
    pub fn describe(&self, query: &str, variables: &Value, response: Option<&Value>) -> String {
        let response = response.map_or_else(
            || "(none)".to_owned(),
            |response| serde_json::to_string_pretty(response).unwrap_or_default(),
        );
        format!(
            "--- operation:\n{}\n--- variables:\n{}\n--- response:\n{response}\n--- server log (tail):\n{}",
            operation_head(query),
            tail(
                &serde_json::to_string_pretty(variables).unwrap_or_default(),
                3_000
            ),
            self.server_log_tail()
        )
    }
}

/// The first error's `extensions.code`, if the response has one.
pub fn first_error_code(response: &Value) -> Option<String> {
    response
        .get("errors")?
        .get(0)?
        .get("extensions")?
        .get("code")?
        .as_str()
        .map(str::to_owned)
}

/// The operation without the shared fragments appended to it, which would only be noise.
fn operation_head(query: &str) -> &str {
    match query.find("fragment ") {
        Some(index) if index > 0 => query[..index].trim_end(),
        _ => query,
    }
}

/// Whether `text` names `seq N` (and not merely `seq N0`, `seq N1`, …).
pub fn names_seq(text: &str, seq: i64) -> bool {
    let needle = format!("seq {seq}");
    text.match_indices(&needle).any(|(index, _)| {
        !text[index + needle.len()..]
            .chars()
            .next()
            .is_some_and(|next| next.is_ascii_digit())
    })
}

#[test]
fn names_seq_does_not_confuse_seq_2_with_seq_20() {
    assert!(names_seq("error: seq 2: stored hash does not match", 2));
    assert!(names_seq("first bad entry is seq 2", 2));
    assert!(!names_seq("seq 20: stored hash does not match", 2));
    assert!(!names_seq("seq 12 is bad", 2));
}

// ---------------------------------------------------------------------------------------------
// Stopping the server.

impl TestApp {
    /// Sends SIGTERM to the server process, as systemd or a container runtime does to stop it.
    pub fn terminate_server(&self) {
        let pid = self
            ._server
            .id()
            .unwrap_or_else(|| panic!("[{}] the server has already exited", self.backend));
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(
            sent.success(),
            "[{}] `kill -TERM {pid}` failed: {sent}",
            self.backend
        );
    }

    /// Waits up to `within` for the server process to exit; `None` when it is still running.
    pub async fn wait_for_server_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let backend = self.backend;
        tokio::time::timeout(within, self._server.wait())
            .await
            .ok()
            .map(|status| {
                status.unwrap_or_else(|error| panic!("[{backend}] waiting for the server: {error}"))
            })
    }
}
