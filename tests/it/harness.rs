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

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DbErr};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// Environment variable naming a PostgreSQL server (any database on it); when set, every
/// scenario also runs on a fresh database created on that server.
pub const POSTGRES_URL_VAR: &str = "PRESSROOM_TEST_POSTGRES_URL";

/// Environment variable that points the tests at a `pressroom` binary other than the one in
/// this workspace's `target/<profile>/` (a release build, an installed copy).
pub const BINARY_VAR: &str = "PRESSROOM_BIN";

/// How long the server may take to print its `listening on` line.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one CLI command (`token create`, `audit verify`) may take.
const CLI_TIMEOUT: Duration = Duration::from_secs(60);

/// How much of the server's log a failure message quotes (its end, where the cause usually is).
const LOG_TAIL_CHARS: usize = 4_000;

/// A database engine a scenario runs against.
#[derive(Clone, Debug)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server at this URL.
    Postgres(String),
}

impl Backend {
    /// `"sqlite"` or `"postgres"`, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// The backends available in this environment: SQLite always, PostgreSQL when
/// [`POSTGRES_URL_VAR`] is set.
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if let Ok(url) = std::env::var(POSTGRES_URL_VAR)
        && !url.trim().is_empty()
    {
        backends.push(Backend::Postgres(url.trim().to_owned()));
    }
    backends
}

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

/// What a CLI command did.
#[derive(Debug)]
pub struct CliOutput {
    /// Its exit status.
    pub status: ExitStatus,
    /// Everything it printed on stdout.
    pub stdout: String,
    /// Everything it printed on stderr.
    pub stderr: String,
}

impl CliOutput {
    /// The last non-empty line of stdout, trimmed.
    pub fn last_line(&self) -> &str {
        self.stdout
            .lines()
            .map(str::trim)
            .rfind(|line| !line.is_empty())
            .unwrap_or("")
    }
}

impl std::fmt::Display for CliOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit status: {}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.status, self.stdout, self.stderr
        )
    }
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
    _database: DatabaseGuard,
}

/// Starts a fresh app on `backend`: a new database, an admin token, a server on a random port,
/// with no embedded scheduler (so tests see the read-time embargo rule on its own).
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, &["--no-scheduler"]).await
}

/// Like [`spawn_app`], with extra `serve` arguments (none: the embedded scheduler runs).
pub async fn spawn_app_with(backend: Backend, serve_args: &[&str]) -> TestApp {
    let backend_name = backend.name();
    let (database_url, database) = match backend {
        Backend::Sqlite => sqlite_database(),
        Backend::Postgres(server_url) => postgres_database(&server_url).await,
    };

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

    let (server, base_url, server_log) =
        start_server(backend_name, &database_url, serve_args).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("build an HTTP client");
    TestApp {
        backend: backend_name,
        base_url,
        database_url,
        admin_token,
        client,
        _server: server,
        server_log,
        _database: database,
    }
}

impl TestApp {
    /// Starts `pressroom scheduler` with `args` on this app's database and waits until it runs.
    /// The process is killed when the returned child is dropped.
    pub async fn spawn_scheduler(&self, args: &[&str]) -> Child {
        let binary = pressroom_binary();
        let mut child = Command::new(binary)
            .arg("--database-url")
            .arg(&self.database_url)
            .arg("scheduler")
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|error| panic!("[{}] starting the scheduler: {error}", self.backend));
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(STARTUP_TIMEOUT, lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("[{}] the scheduler did not start in time", self.backend));
        assert_eq!(
            line.ok().flatten().as_deref(),
            Some("scheduler running"),
            "[{}] the scheduler did not say it runs",
            self.backend
        );
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        child
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

/// The last `max_chars` characters of `text`.
fn tail(text: &str, max_chars: usize) -> String {
    let count = text.chars().count();
    if count <= max_chars {
        text.to_owned()
    } else {
        let skipped: String = text.chars().skip(count - max_chars).collect();
        format!("…{skipped}")
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

// ---------------------------------------------------------------------------------------------
// The binary.

/// The `pressroom` binary, built once per test run when it does not exist yet.
fn pressroom_binary() -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(locate_or_build_binary) {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

fn locate_or_build_binary() -> Result<PathBuf, String> {
    if let Ok(path) = std::env::var(BINARY_VAR)
        && !path.trim().is_empty()
    {
        let path = PathBuf::from(path.trim());
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("{BINARY_VAR}={} is not a file", path.display()))
        };
    }
    // Test binaries live in target/<profile>/deps/, the server in target/<profile>/.
    let exe = std::env::current_exe().map_err(|error| format!("current_exe: {error}"))?;
    let deps = exe
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", exe.display()))?;
    let profile_dir = deps
        .parent()
        .ok_or_else(|| format!("{} has no parent directory", deps.display()))?;
    let binary = profile_dir.join(format!("pressroom{}", std::env::consts::EXE_SUFFIX));
    if binary.is_file() {
        return Ok(binary);
    }

    // This package does not depend on the CLI crate, so `cargo test -p pressroom-tests` does not
    // build it; build it here, once, with the same cargo that runs the tests.
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("the tests package has no parent directory")?;
    let mut command = std::process::Command::new(&cargo);
    command
        .args(["build", "-p", "pressroom", "--bin", "pressroom"])
        .current_dir(workspace);
    if profile_dir
        .file_name()
        .is_some_and(|name| name == "release")
    {
        command.arg("--release");
    }
    eprintln!("building the pressroom binary: {command:?}");
    let status = command
        .status()
        .map_err(|error| format!("running {cargo} build: {error}"))?;
    if !status.success() {
        return Err(format!("`{cargo} build -p pressroom` failed: {status}"));
    }
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!(
            "`{cargo} build -p pressroom` succeeded but {} does not exist",
            binary.display()
        ))
    }
}

/// Runs `pressroom --database-url URL ARGS…` and collects its output.
pub async fn run_cli(database_url: &str, args: &[&str]) -> CliOutput {
    let binary = pressroom_binary();
    let mut command = Command::new(binary);
    command
        .arg("--database-url")
        .arg(database_url)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(CLI_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "`pressroom {}` did not finish within {CLI_TIMEOUT:?}",
                args.join(" ")
            )
        })
        .unwrap_or_else(|error| panic!("running {}: {error}", binary.display()));
    CliOutput {
        status: output.status,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Starts `pressroom serve --listen 127.0.0.1:0` and waits for its `listening on` line.
async fn start_server(
    backend: &str,
    database_url: &str,
    serve_args: &[&str],
) -> (Child, String, Arc<Mutex<String>>) {
    let binary = pressroom_binary();
    let mut child = Command::new(binary)
        .arg("--database-url")
        .arg(database_url)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(serve_args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| panic!("[{backend}] starting {}: {error}", binary.display()));

    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr is piped");
    let stderr_task = tokio::spawn(copy_lines(stderr, Arc::clone(&log), "stderr"));
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut stdout_lines = BufReader::new(stdout).lines();

    let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
    let failure = loop {
        match tokio::time::timeout_at(deadline, stdout_lines.next_line()).await {
            Err(_) => {
                break format!("did not print `listening on http://…` within {STARTUP_TIMEOUT:?}");
            }
            Ok(Err(error)) => break format!("reading its stdout failed: {error}"),
            Ok(Ok(None)) => break "closed its stdout without printing `listening on`".to_owned(),
            Ok(Ok(Some(line))) => {
                if let Some(address) = line.trim().strip_prefix("listening on ") {
                    let base_url = address.trim().trim_end_matches('/').to_owned();
                    // Keep draining stdout so that a chatty server never blocks on a full pipe.
                    let stdout_log = Arc::clone(&log);
                    tokio::spawn(async move {
                        while let Ok(Some(line)) = stdout_lines.next_line().await {
                            append(&stdout_log, "stdout", &line);
                        }
                    });
                    return (child, base_url, log);
                }
                append(&log, "stdout", &line);
            }
        }
    };

    // Collect everything the server said before giving up, so that the failure shows why.
    let _ = child.start_kill();
    let status = match tokio::time::timeout(Duration::from_secs(10), child.wait()).await {
        Ok(Ok(status)) => status.to_string(),
        Ok(Err(error)) => format!("unknown ({error})"),
        Err(_) => "still running after kill".to_owned(),
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), stderr_task).await;
    let output = log.lock().map(|log| log.clone()).unwrap_or_default();
    panic!(
        "[{backend}] `pressroom serve --listen 127.0.0.1:0` {failure} ({status})\n--- its output:\n{}",
        tail(&output, 20_000)
    );
}

/// Appends every line of `stream` to `log`, prefixed with `label`.
async fn copy_lines(stream: impl AsyncRead + Unpin, log: Arc<Mutex<String>>, label: &str) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        append(&log, label, &line);
    }
}

fn append(log: &Mutex<String>, label: &str, line: &str) {
    if let Ok(mut log) = log.lock() {
        log.push_str(label);
        log.push_str(": ");
        log.push_str(line);
        log.push('\n');
    }
}

// ---------------------------------------------------------------------------------------------
// Databases.

/// What keeps an app's database alive, and removes it when dropped.
enum DatabaseGuard {
    /// The temporary directory holding the SQLite file, deleted on drop.
    Sqlite { _dir: tempfile::TempDir },
    /// A PostgreSQL database created for this app.
    Postgres { server_url: String, name: String },
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        let DatabaseGuard::Postgres { server_url, name } = self else {
            return;
        };
        let server_url = server_url.clone();
        let name = name.clone();
        // Drop cannot await and runs inside the test's runtime, where blocking on a future would
        // panic; so the DROP runs on a fresh runtime on a thread of its own. Best effort: a
        // leftover database is named pressroom_it_* and harmless.
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime
                .block_on(drop_postgres_database(&server_url, &name))
                .map_err(|error| format!("drop database {name}: {error}"))
        })
        .join();
        if let Ok(Err(error)) = outcome {
            eprintln!("{error}");
        }
    }
}

fn sqlite_database() -> (String, DatabaseGuard) {
    let dir = tempfile::Builder::new()
        .prefix("pressroom-it-")
        .tempdir()
        .expect("create a temporary directory for SQLite");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("pressroom.db").display()
    );
    (url, DatabaseGuard::Sqlite { _dir: dir })
}

async fn postgres_database(server_url: &str) -> (String, DatabaseGuard) {
    let name = format!("pressroom_it_{}", uuid::Uuid::new_v4().simple());
    let admin = Database::connect(server_url)
        .await
        .unwrap_or_else(|error| panic!("connect to {POSTGRES_URL_VAR}={server_url}: {error}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|error| panic!("create database {name}: {error}"));
    let _ = admin.close().await;
    let url = url_with_database(server_url, &name);
    (
        url,
        DatabaseGuard::Postgres {
            server_url: server_url.to_owned(),
            name,
        },
    )
}

async fn drop_postgres_database(server_url: &str, name: &str) -> Result<(), DbErr> {
    let admin = Database::connect(server_url).await?;
    // FORCE (PostgreSQL 13+) ends the sessions a just-killed server may still hold.
    let result = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await;
    let _ = admin.close().await;
    result.map(|_| ())
}

/// `server_url` with its database (the path) replaced by `database`, keeping any query string.
pub fn url_with_database(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let authority_start = base.find("://").map_or(0, |index| index + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

#[test]
fn url_with_database_replaces_only_the_path() {
    assert_eq!(
        url_with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        url_with_database("postgres://u:p@db/test?sslmode=disable", "x"),
        "postgres://u:p@db/x?sslmode=disable"
    );
    assert_eq!(
        url_with_database("postgres://db:5432", "x"),
        "postgres://db:5432/x"
    );
}

#[test]
fn names_seq_does_not_confuse_seq_2_with_seq_20() {
    assert!(names_seq("error: seq 2: stored hash does not match", 2));
    assert!(names_seq("first bad entry is seq 2", 2));
    assert!(!names_seq("seq 20: stored hash does not match", 2));
    assert!(!names_seq("seq 12 is bad", 2));
}

#[cfg(unix)]
#[test]
fn the_last_line_of_cli_output_ignores_trailing_blank_lines() {
    use std::os::unix::process::ExitStatusExt;
    let output = CliOutput {
        status: ExitStatus::from_raw(0),
        stdout: "migrations applied\nprs_abc123\n\n".to_owned(),
        stderr: String::new(),
    };
    assert_eq!(output.last_line(), "prs_abc123");
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
