//! The real `pressroom` binary: built through Cargo once per test run, and spawned as a server,
//! a scheduler or a one-shot CLI command.
//!
//! The binary is never taken from whatever `target/<profile>/pressroom` happens to exist, which
//! could be a stale build: the first test that needs it runs `$CARGO build -p pressroom --bin
//! pressroom --message-format=json-render-diagnostics` (a no-op when the build is current) and
//! uses the executable Cargo reports. That also respects `CARGO_TARGET_DIR` and the target
//! directory configured in `.cargo/config.toml`. `PRESSROOM_BIN=/path/to/pressroom` points the
//! tests at any other build (a release build, an installed copy) instead.

use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// Environment variable that points the tests at a `pressroom` binary other than the one Cargo
/// builds from this workspace.
pub const BINARY_VAR: &str = "PRESSROOM_BIN";

/// How long a `pressroom` process may take to announce itself.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How long one CLI command (`token create`, `audit verify`) may take.
pub const CLI_TIMEOUT: Duration = Duration::from_secs(60);

/// The `pressroom` binary, built (or found current) through Cargo once per test run; panics
/// with Cargo's message when the build fails.
pub fn pressroom_binary() -> &'static Path {
    static BINARY: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BINARY.get_or_init(build_binary) {
        Ok(path) => path,
        Err(message) => panic!("{message}"),
    }
}

fn build_binary() -> Result<PathBuf, String> {
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
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    // This crate lives in crates/test-support/ of the workspace.
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .ok_or("the test-support crate is not inside the workspace")?;
    let mut command = std::process::Command::new(&cargo);
    command
        .args(["build", "-p", "pressroom", "--bin", "pressroom"])
        .arg("--message-format=json-render-diagnostics")
        .current_dir(workspace)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if test_profile_is_release() {
        command.arg("--release");
    }
    eprintln!("building the pressroom binary: {command:?}");
    let output = command
        .output()
        .map_err(|error| format!("running {cargo} build: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{cargo} build -p pressroom` failed ({}); its messages are above",
            output.status
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let binary = executable_of(&stdout, "pressroom").ok_or_else(|| {
        format!("`{cargo} build -p pressroom` reported no executable named pressroom")
    })?;
    if binary.is_file() {
        Ok(binary)
    } else {
        Err(format!(
            "`{cargo} build -p pressroom` reported {}, which does not exist",
            binary.display()
        ))
    }
}

/// Whether the running test binary was built with `--release` (it lives in
/// `<target>/release/deps/`), so that the server is built with the same profile.
fn test_profile_is_release() -> bool {
    std::env::current_exe().is_ok_and(|exe| {
        exe.parent()
            .and_then(Path::parent)
            .and_then(Path::file_name)
            .is_some_and(|name| name == "release")
    })
}

/// The `executable` of the binary target `name` in Cargo's JSON messages, one per line.
fn executable_of(messages: &str, name: &str) -> Option<PathBuf> {
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter(|message| message["target"]["name"] == name)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
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

/// A running `pressroom serve`: the process (killed when dropped), its address and its log.
pub struct ServerProcess {
    /// The server process.
    pub child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    /// Everything the server printed so far (stderr and the rest of stdout), each line
    /// prefixed with its stream.
    pub log: Arc<Mutex<String>>,
}

/// Starts `pressroom --database-url URL serve --listen 127.0.0.1:0 SERVE_ARGS…` and waits for
/// its `listening on` line; on failure, panics with everything the server printed. `backend`
/// only labels the messages.
pub async fn start_server(backend: &str, database_url: &str, serve_args: &[&str]) -> ServerProcess {
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
    let Some(stderr) = child.stderr.take() else {
        panic!("[{backend}] the server's stderr is piped")
    };
    let stderr_task = tokio::spawn(copy_lines(stderr, Arc::clone(&log), "stderr"));
    let Some(stdout) = child.stdout.take() else {
        panic!("[{backend}] the server's stdout is piped")
    };
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
                    return ServerProcess {
                        child,
                        base_url,
                        log,
                    };
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

/// Starts `pressroom --database-url URL scheduler ARGS…` and waits until it says it runs. The
/// process is killed when the returned child is dropped. `backend` only labels the messages.
pub async fn start_scheduler(backend: &str, database_url: &str, args: &[&str]) -> Child {
    let binary = pressroom_binary();
    let mut child = Command::new(binary)
        .arg("--database-url")
        .arg(database_url)
        .arg("scheduler")
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|error| panic!("[{backend}] starting the scheduler: {error}"));
    let Some(stdout) = child.stdout.take() else {
        panic!("[{backend}] the scheduler's stdout is piped")
    };
    let mut lines = BufReader::new(stdout).lines();
    // Lines before it (`metrics on …` with `--metrics-listen`) are not the signal.
    let running = tokio::time::timeout(STARTUP_TIMEOUT, async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.trim() == "scheduler running" {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or_else(|_| panic!("[{backend}] the scheduler did not start in time"));
    assert!(running, "[{backend}] the scheduler did not say it runs");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
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

/// The last `max_chars` characters of `text`, with a leading `…` when some were cut.
pub fn tail(text: &str, max_chars: usize) -> String {
    let count = text.chars().count();
    if count <= max_chars {
        text.to_owned()
    } else {
        let skipped: String = text.chars().skip(count - max_chars).collect();
        format!("…{skipped}")
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{CliOutput, executable_of};

    #[test]
    fn the_executable_is_read_from_cargos_artifact_message() {
        let messages = concat!(
            r#"{"reason":"compiler-artifact","target":{"name":"pressroom_api","kind":["lib"]},"executable":null}"#,
            "\n",
            r#"{"reason":"compiler-artifact","target":{"name":"pressroom","kind":["bin"]},"executable":"/t/debug/pressroom"}"#,
            "\n",
            r#"{"reason":"build-finished","success":true}"#,
        );
        assert_eq!(
            executable_of(messages, "pressroom"),
            Some(PathBuf::from("/t/debug/pressroom"))
        );
        assert_eq!(executable_of(messages, "pressroom-bench"), None);
    }

    #[cfg(unix)]
    #[test]
    fn the_last_line_of_cli_output_ignores_trailing_blank_lines() {
        use std::os::unix::process::ExitStatusExt;
        let output = CliOutput {
            status: std::process::ExitStatus::from_raw(0),
            stdout: "migrations applied\nprs_abc123\n\n".to_owned(),
            stderr: String::new(),
        };
        assert_eq!(output.last_line(), "prs_abc123");
    }
}
