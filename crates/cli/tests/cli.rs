//! The `pressroom` binary as a user runs it: exit codes, what goes to stdout, and the demo.
//!
//! Every test gets its own SQLite database in a temporary directory.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use tempfile::TempDir;

/// Users the demo creates a token for, in the order it lists them.
const DEMO_USERS: [&str; 6] = [
    "demo-drafter",
    "demo-editor",
    "demo-office",
    "demo-integrator",
    "demo-agency",
    "demo-admin",
];

/// Users the demo prints a newsroom sign-in link for, in the order it lists them.
const SIGNIN_USERS: [&str; 4] = ["demo-drafter", "demo-editor", "demo-office", "demo-admin"];

/// The sign-in URL printed for `user` in the demo's list of links (`  user  ROLE  url`).
fn demo_signin_url(run: &Run, user: &str) -> String {
    run.stdout
        .lines()
        .find_map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            (columns.len() == 3 && columns[0] == user && columns[2].contains("/newsroom/signin/"))
                .then(|| columns[2].to_owned())
        })
        .unwrap_or_else(|| panic!("no sign-in link for {user}\n{run}"))
}

/// A fresh SQLite database in its own temporary directory.
struct Database {
    _dir: TempDir,
    url: String,
}

impl Database {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("pressroom-cli-")
            .tempdir()
            .expect("create a temp dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("pressroom.db").display()
        );
        Self { _dir: dir, url }
    }

    /// Runs `pressroom ARGS… --database-url URL` (the global option after the subcommand).
    fn run(&self, args: &[&str]) -> Run {
        let output = pressroom()
            .args(args)
            .arg("--database-url")
            .arg(&self.url)
            .output()
            .expect("run pressroom");
        Run::from(output)
    }

    fn audit_verify(&self) -> (u64, String) {
        let run = self.run(&["audit", "verify"]);
        assert!(run.success(), "audit verify failed\n{run}");
        parse_audit_ok(run.last_line())
    }
}

/// The binary under test, with an environment that cannot point it elsewhere.
fn pressroom() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pressroom"));
    for (name, _) in std::env::vars() {
        if name.starts_with("PRESSROOM_") {
            command.env_remove(name);
        }
    }
    command.env("RUST_LOG", "warn").stdin(Stdio::null());
    command
}

/// What one run printed and how it ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code(),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is UTF-8"),
        }
    }
}

impl Run {
    fn success(&self) -> bool {
        self.code == Some(0)
    }

    fn last_line(&self) -> &str {
        self.stdout.lines().last().unwrap_or_default()
    }

    /// The token printed for `user` in the demo's table (`  user  ROLE  token`).
    fn demo_token(&self, user: &str) -> String {
        self.stdout
            .lines()
            .find_map(|line| {
                let columns: Vec<&str> = line.split_whitespace().collect();
                (columns.len() == 3 && columns[0] == user).then(|| columns[2].to_owned())
            })
            .unwrap_or_else(|| panic!("no token line for {user}\n{self}"))
    }
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit code: {:?}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// `ok: N entries, head <64 lowercase hex>` → (N, head).
fn parse_audit_ok(line: &str) -> (u64, String) {
    let rest = line
        .strip_prefix("ok: ")
        .unwrap_or_else(|| panic!("not an ok line: {line:?}"));
    let (count, head) = rest
        .split_once(" entries, head ")
        .unwrap_or_else(|| panic!("malformed ok line: {line:?}"));
    let count: u64 = count
        .parse()
        .unwrap_or_else(|_| panic!("entry count is not a number: {line:?}"));
    assert_eq!(head.len(), 64, "head is not 64 characters: {line:?}");
    assert!(
        head.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
        "head is not lowercase hex: {line:?}"
    );
    (count, head.to_owned())
}

fn assert_is_a_token(candidate: &str, run: &Run) {
    assert!(
        candidate.len() >= 32 && !candidate.contains(char::is_whitespace),
        "the last line is not a token: {candidate:?}\n{run}"
    );
}

#[test]
fn token_create_prints_the_token_alone_on_the_last_line_and_role_names_are_case_insensitive() {
    let db = Database::new();
    let run = db.run(&["token", "create", "--name", "admin", "--role", "Admin"]);
    assert!(run.success(), "{run}");
    assert_is_a_token(run.last_line(), &run);
    assert!(
        !run.stderr.contains(run.last_line()),
        "the token must not be logged\n{run}"
    );

    let again = db.run(&[
        "token",
        "create",
        "--name",
        "ivar",
        "--role",
        "integrator",
        "--embargo-access",
    ]);
    assert!(again.success(), "{again}");
    assert_ne!(again.last_line(), run.last_line(), "every token is new");
}

#[test]
fn an_unknown_role_is_a_usage_error() {
    let db = Database::new();
    let run = db.run(&["token", "create", "--name", "root", "--role", "superuser"]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("superuser"), "{run}");
    assert!(run.stdout.is_empty(), "{run}");
}

#[test]
fn a_grant_the_rules_refuse_exits_1_with_the_reason() {
    let db = Database::new();
    let run = db.run(&["token", "create", "--name", "dana", "--role", "drafter"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr
            .contains("drafters and editors belong to a department"),
        "{run}"
    );
    assert!(run.stdout.is_empty(), "no token may be printed\n{run}");

    let run = db.run(&[
        "token",
        "create",
        "--name",
        "dana",
        "--role",
        "drafter",
        "--department",
        "nowhere",
    ]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("no department has this slug"), "{run}");
}

#[test]
fn audit_verify_counts_every_token_creation() {
    let db = Database::new();
    for name in ["anna", "bo", "cecilia"] {
        let run = db.run(&["token", "create", "--name", name, "--role", "admin"]);
        assert!(run.success(), "{run}");
    }
    let (entries, first_head) = db.audit_verify();
    assert_eq!(entries, 3);

    let run = db.run(&["token", "create", "--name", "dag", "--role", "admin"]);
    assert!(run.success(), "{run}");
    let (entries, head) = db.audit_verify();
    assert_eq!(entries, 4);
    assert_ne!(head, first_head, "the head moves with every entry");
}

#[test]
fn the_database_url_can_come_from_the_environment() {
    let db = Database::new();
    let run = Run::from(
        pressroom()
            .args(["migrate"])
            .env("PRESSROOM_DATABASE_URL", &db.url)
            .output()
            .expect("run pressroom"),
    );
    assert!(run.success(), "{run}");
    assert_eq!(run.last_line(), "migrations applied");
    assert_eq!(db.audit_verify().0, 0);
}

#[test]
fn demo_loads_once_and_creates_fresh_tokens_on_every_run() {
    let db = Database::new();
    let first = db.run(&["demo", "--load-only"]);
    assert!(first.success(), "{first}");
    assert!(
        first
            .stdout
            .contains("Loaded department Miljödepartementet"),
        "{first}"
    );
    assert!(first.stdout.contains("PUBLISHED"), "{first}");
    assert!(first.stdout.contains("IN_REVIEW"), "{first}");
    for user in DEMO_USERS {
        assert_is_a_token(&first.demo_token(user), &first);
    }
    let editor = first.demo_token("demo-editor");
    assert!(
        first
            .stdout
            .contains(&format!(r#"{{"Authorization": "Bearer {editor}"}}"#)),
        "{first}"
    );
    assert!(
        first.stdout.contains("http://127.0.0.1:8080/graphql"),
        "{first}"
    );
    for user in SIGNIN_USERS {
        let url = demo_signin_url(&first, user);
        assert!(
            url.starts_with("http://127.0.0.1:8080/newsroom/signin/psi_") && url.len() == 106,
            "{user}: {url}"
        );
    }
    let (after_first, _) = db.audit_verify();

    let second = db.run(&["demo", "--load-only"]);
    assert!(second.success(), "{second}");
    assert!(second.stdout.contains("already loaded"), "{second}");
    assert!(!second.stdout.contains("Loaded department"), "{second}");
    for user in DEMO_USERS {
        let token = second.demo_token(user);
        assert_is_a_token(&token, &second);
        assert_ne!(token, first.demo_token(user), "{user} gets a fresh token");
    }
    let (after_second, _) = db.audit_verify();
    assert_eq!(
        after_second,
        after_first + (DEMO_USERS.len() + SIGNIN_USERS.len()) as u64,
        "the second run only adds the tokens and the sign-in links"
    );
}

#[test]
fn schema_prints_the_sdl_without_a_database() {
    let dir = tempfile::tempdir().expect("create a temp dir");
    let output = pressroom()
        .arg("schema")
        .current_dir(dir.path())
        .output()
        .expect("run pressroom");
    let run = Run::from(output);
    assert!(run.success(), "{run}");
    assert!(run.stdout.contains("type Query"), "{run}");
    assert!(
        !dir.path().join("pressroom.db").exists(),
        "schema must not create a database"
    );
}

/// A running server whose stdout lines arrive on a channel.
struct Server {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Server {
    fn start(db: &Database, args: &[&str]) -> Self {
        Self::start_with(db, args, &[])
    }

    /// Starts `pressroom ARGS…` with these `PRESSROOM_*` variables set.
    fn start_with(db: &Database, args: &[&str], env: &[(&str, &str)]) -> Self {
        let mut child = pressroom()
            .envs(env.iter().copied())
            .args(args)
            .args(["--listen", "127.0.0.1:0", "--database-url", &db.url])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start pressroom");
        let stdout = child.stdout.take().expect("stdout is piped");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        Self { child, lines }
    }

    /// Every line up to and including `listening on http://…`, and that URL.
    fn wait_until_listening(&self) -> (Vec<String>, String) {
        let mut seen = Vec::new();
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|_| {
                    panic!(
                        "no `listening on` line; stdout so far:\n{}",
                        seen.join("\n")
                    )
                });
            if let Some(url) = line.strip_prefix("listening on ") {
                let url = url.to_owned();
                seen.push(line);
                return (seen, url);
            }
            seen.push(line);
        }
    }

    /// Sends SIGTERM and waits for the exit code.
    #[cfg(unix)]
    fn terminate(mut self) -> Option<i32> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM failed");
        for _ in 0..300 {
            if let Some(status) = self.child.try_wait().expect("wait for pressroom") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("pressroom did not stop within 15 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Only reached after a failed assertion: never leave a server running behind a test.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET path` over plain HTTP/1.1; returns the status line.
fn get_status_line(base_url: &str, path: &str) -> String {
    let authority = base_url.strip_prefix("http://").expect("an http URL");
    let mut stream = TcpStream::connect(authority).expect("connect to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    response.lines().next().unwrap_or_default().to_owned()
}

/// `GET path` over plain HTTP/1.1; returns the whole response, status line to body.
fn get_response(base_url: &str, path: &str) -> String {
    let authority = base_url.strip_prefix("http://").expect("an http URL");
    let mut stream = TcpStream::connect(authority).expect("connect to the server");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .expect("send the request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("read the response");
    response
}

#[cfg(unix)]
#[test]
fn the_country_calling_code_setting_reaches_the_phone_links_of_public_pages() {
    let db = Database::new();
    let server = Server::start_with(&db, &["demo"], &[("PRESSROOM_COUNTRY_CALLING_CODE", "358")]);
    let (_, url) = server.wait_until_listening();
    let feed = get_response(&url, "/feeds/releases.atom");
    assert!(feed.starts_with("HTTP/1.1 200"), "{feed}");
    assert!(
        feed.contains("tel:+358738425059") && feed.contains("073-842 50 59"),
        "the number as written, linked with the configured country: {feed}"
    );
    assert_eq!(server.terminate(), Some(0));
}

#[cfg(unix)]
#[test]
fn serve_announces_the_real_port_answers_and_stops_cleanly_on_sigterm() {
    let db = Database::new();
    let server = Server::start(&db, &["serve"]);
    let (lines, url) = server.wait_until_listening();
    assert_eq!(lines.len(), 1, "`listening on` is the only line: {lines:?}");
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("a port in the URL");
    assert_ne!(port, 0, "the real port is announced, not 0");
    assert_eq!(get_status_line(&url, "/healthz"), "HTTP/1.1 200 OK");
    assert_eq!(server.terminate(), Some(0));
}

#[cfg(unix)]
#[test]
fn demo_prints_its_welcome_with_the_real_url_then_serves() {
    let db = Database::new();
    let server = Server::start(&db, &["demo"]);
    let (lines, url) = server.wait_until_listening();
    let welcome = lines.join("\n");
    assert!(welcome.contains(&format!("{url}/graphql")), "{welcome}");
    assert!(
        welcome.contains(r#"{"Authorization": "Bearer "#),
        "{welcome}"
    );
    assert!(welcome.contains(&format!("{url}/departments")), "{welcome}");
    assert_eq!(get_status_line(&url, "/healthz"), "HTTP/1.1 200 OK");
    assert_eq!(get_status_line(&url, "/"), "HTTP/1.1 200 OK");
    assert_eq!(get_status_line(&url, "/departments"), "HTTP/1.1 200 OK");
    assert_eq!(server.terminate(), Some(0));
    assert!(db.audit_verify().0 > DEMO_USERS.len() as u64);
}

#[test]
fn the_embedded_fixture_is_byte_identical_to_the_shared_one() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ours =
        std::fs::read(crate_dir.join("fixtures/leadit-2022.json")).expect("read our fixture");
    // The shared fixtures sit beside the workspace (../shared from its root) in the project's
    // layout; a checkout without them has only our copy, and there is nothing to compare.
    let shared_dir: PathBuf = crate_dir.join("../../../shared");
    if !shared_dir.is_dir() {
        eprintln!("skipped: {} does not exist", shared_dir.display());
        return;
    }
    let shared = shared_dir.join("fixtures/leadit-2022.json");
    let theirs = std::fs::read(&shared).expect("read the shared fixture");
    assert!(
        ours == theirs,
        "crates/cli/fixtures/leadit-2022.json differs from {}",
        shared.display()
    );
}

#[tokio::test]
async fn the_demo_s_published_copy_keeps_the_example_s_publication_time_and_the_audit_log_the_loading_time()
 {
    use sea_orm::{ConnectionTrait, Statement};

    let before = chrono::Utc::now().timestamp_micros();
    let db = Database::new();
    let run = db.run(&["demo", "--load-only"]);
    assert!(run.success(), "{run}");
    let connection = sea_orm::Database::connect(db.url.as_str())
        .await
        .expect("open the database");
    let backend = connection.get_database_backend();
    let row = connection
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT published_at FROM releases WHERE state = 'PUBLISHED'",
        ))
        .await
        .expect("query")
        .expect("a published release");
    let published_at: i64 = row.try_get("", "published_at").expect("published_at");
    // 2 June 2022, 09.00 in Stockholm (UTC+2).
    let example = chrono::DateTime::parse_from_rfc3339("2022-06-02T09:00:00+02:00")
        .expect("instant")
        .timestamp_micros();
    assert_eq!(published_at, example);
    let row = connection
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT at, details FROM audit_log WHERE action = 'importPublication'",
        ))
        .await
        .expect("query")
        .expect("the publication is audited");
    let at: i64 = row.try_get("", "at").expect("at");
    let details: String = row.try_get("", "details").expect("details");
    assert!(at >= before, "the audit entry says when the demo loaded it");
    assert!(
        details.contains(r#""publishedAt":"2022-06-02T07:00:00Z""#),
        "{details}"
    );
    let _ = connection.close().await;
    assert!(db.audit_verify().0 > DEMO_USERS.len() as u64);
}

#[tokio::test]
async fn audit_verify_names_the_first_altered_entry_and_exits_1() {
    use sea_orm::ConnectionTrait;

    let db = Database::new();
    for name in ["anna", "bo", "cecilia"] {
        let run = db.run(&["token", "create", "--name", name, "--role", "admin"]);
        assert!(run.success(), "{run}");
    }
    // The database refuses updates of the audit log; only someone who drops the trigger first
    // can alter an entry, which is exactly the tampering `audit verify` exists to find.
    let connection = sea_orm::Database::connect(db.url.as_str())
        .await
        .expect("open the database");
    connection
        .execute_unprepared("DROP TRIGGER audit_log_refuse_update")
        .await
        .expect("drop the trigger");
    connection
        .execute_unprepared("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        .await
        .expect("alter an entry");
    connection.close().await.expect("close the database");

    let run = db.run(&["audit", "verify"]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(
        run.stderr.contains("error: audit chain broken at seq 2: "),
        "{run}"
    );
    assert!(!run.stdout.contains("ok:"), "{run}");
}

#[test]
fn backup_writes_a_consistent_copy_whose_audit_chain_verifies() {
    let db = Database::new();
    let run = db.run(&["demo", "--load-only"]);
    assert!(run.success(), "demo failed\n{run}");
    let (entries, head) = db.audit_verify();
    let copy_dir = tempfile::tempdir().expect("temp dir");
    let copy = copy_dir.path().join("copy.db");
    let copy_arg = copy.to_str().expect("utf-8 path");
    let run = db.run(&["backup", "--to", copy_arg]);
    assert!(run.success(), "backup failed\n{run}");
    // The copy is a working database with the same chain.
    let copy_url = format!("sqlite://{copy_arg}?mode=rwc");
    let verify = Run::from(
        pressroom()
            .args(["audit", "verify", "--database-url", &copy_url])
            .output()
            .expect("run pressroom"),
    );
    assert!(verify.success(), "{verify}");
    assert_eq!(parse_audit_ok(verify.last_line()), (entries, head));
    // An existing file is never overwritten.
    let again = db.run(&["backup", "--to", copy_arg]);
    assert_eq!(again.code, Some(1), "{again}");
}

#[test]
fn a_token_can_expire_and_an_expiry_in_the_past_is_refused() {
    let db = Database::new();
    let run = db.run(&[
        "token",
        "create",
        "--name",
        "ivar",
        "--role",
        "integrator",
        "--expires-at",
        "2000-01-01T00:00:00+01:00",
    ]);
    assert_eq!(run.code, Some(1), "{run}");
    assert!(run.stderr.contains("expiresAt"), "{run}");
    let run = db.run(&[
        "token",
        "create",
        "--name",
        "ivar",
        "--role",
        "integrator",
        "--expires-at",
        "2999-01-01T00:00:00",
    ]);
    assert_eq!(
        run.code,
        Some(2),
        "a time without offset is a usage error\n{run}"
    );
    let run = db.run(&[
        "token",
        "create",
        "--name",
        "ivar",
        "--role",
        "integrator",
        "--expires-at",
        "2999-01-01T00:00:00+01:00",
    ]);
    assert!(run.success(), "{run}");
}

#[test]
fn settings_come_from_the_file_then_the_environment_then_the_flags() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("pressroom.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:9001\"\nrequest_timeout_secs = 5\nscheduler_batch_size = 100\n",
    )
    .expect("write the configuration file");
    let run = Run::from(
        pressroom()
            .args(["--config", file.to_str().expect("a UTF-8 path"), "config"])
            .env("PRESSROOM_REQUEST_TIMEOUT_SECS", "7")
            .env(
                "PRESSROOM_DATABASE_URL",
                "postgres://press:secret@db.example/pr",
            )
            .args(["--log-format", "json"])
            .output()
            .expect("run pressroom config"),
    );
    assert!(run.success(), "{run}");
    for line in [
        "listen = \"127.0.0.1:9001\"",
        "request_timeout_secs = 7",
        "scheduler_batch_size = 100",
        "log_format = \"json\"",
        "database_url = \"postgres://press:***@db.example/pr\"",
    ] {
        assert!(run.stdout.lines().any(|l| l == line), "no `{line}`\n{run}");
    }
    assert!(!run.stdout.contains("secret"), "{run}");

    // A misspelt key or a value out of bounds stops every command before it touches anything.
    std::fs::write(&file, "request_timeout = 5\n").expect("rewrite the file");
    let run = Run::from(
        pressroom()
            .args(["--config", file.to_str().expect("a UTF-8 path"), "migrate"])
            .output()
            .expect("run pressroom migrate"),
    );
    assert_eq!(run.code, Some(2), "{run}");
    assert!(
        run.stderr.contains("unknown field `request_timeout`"),
        "{run}"
    );
    let run = Run::from(
        pressroom()
            .args(["config"])
            .env("PRESSROOM_SCHEDULER_BATCH_SIZE", "0")
            .output()
            .expect("run pressroom config"),
    );
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("scheduler_batch_size is 0"), "{run}");
}
