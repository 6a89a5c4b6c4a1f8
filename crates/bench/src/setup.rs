//! The environment of a benchmark: where the databases live, the `pressroom` binary, the server
//! and scheduler processes it starts, and their resident memory.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use sea_orm::{ConnectionTrait, Database};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};

/// The PostgreSQL server used when `PRESSROOM_BENCH_POSTGRES_URL` is not set: the local one.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// How long a `pressroom` process may take to announce itself.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// How long `pressroom serve` and `pressroom scheduler` get to stop after SIGTERM.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Which database engine a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendKind {
    /// A SQLite file in the data directory.
    Sqlite,
    /// A database on the PostgreSQL server named by `--postgres-url`.
    Postgres,
}

impl BackendKind {
    /// `sqlite` or `postgres`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// What every scenario needs to know about its surroundings.
#[derive(Debug, Clone)]
pub struct Env {
    /// The database engine.
    pub backend: BackendKind,
    /// The PostgreSQL server (any database on it).
    pub postgres_url: String,
    /// Where SQLite files are kept between runs.
    pub data_dir: PathBuf,
    /// The `pressroom` binary.
    pub pressroom: PathBuf,
    /// Throwaway databases only: nothing is reused, everything is removed afterwards.
    pub scratch: bool,
}

/// A database a scenario runs on. A scratch database is removed by [`BenchDb::remove`].
#[derive(Debug)]
pub struct BenchDb {
    /// The URL given to `pressroom --database-url` and to `Store::connect`.
    pub url: String,
    /// The backend.
    pub backend: BackendKind,
    /// What to remove afterwards, if anything.
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    Keep,
    SqliteDir(PathBuf),
    Postgres { server_url: String, name: String },
}

impl Env {
    /// A database named `name` that later runs may reuse (or, with `--scratch`, a fresh one that
    /// is removed afterwards). `existed` tells whether it was there before.
    pub async fn persistent_db(&self, name: &str) -> anyhow::Result<(BenchDb, bool)> {
        if self.scratch {
            return Ok((self.scratch_db(name).await?, false));
        }
        match self.backend {
            BackendKind::Sqlite => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!(
                        "cannot create the data directory {}",
                        self.data_dir.display()
                    )
                })?;
                let path = self.data_dir.join(format!("{name}.db"));
                let existed = path.is_file();
                Ok((
                    BenchDb {
                        url: sqlite_url(&path),
                        backend: self.backend,
                        cleanup: Cleanup::Keep,
                    },
                    existed,
                ))
            }
            BackendKind::Postgres => {
                let admin = Database::connect(&self.postgres_url)
                    .await
                    .with_context(|| format!("cannot connect to {}", self.postgres_url))?;
                let name = format!("pressroom_bench_{name}");
                let existing = admin
                    .query_one_raw(sea_orm::Statement::from_sql_and_values(
                        sea_orm::DbBackend::Postgres,
                        "SELECT 1 FROM pg_database WHERE datname = $1",
                        [name.clone().into()],
                    ))
                    .await?;
                if existing.is_none() {
                    admin
                        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                        .await
                        .with_context(|| format!("cannot create database {name}"))?;
                }
                let _ = admin.close().await;
                Ok((
                    BenchDb {
                        url: url_with_database(&self.postgres_url, &name)?,
                        backend: self.backend,
                        cleanup: Cleanup::Keep,
                    },
                    existing.is_some(),
                ))
            }
        }
    }

    /// Empties a persistent database so that it can be seeded afresh.
    pub async fn reset_db(&self, db: &BenchDb) -> anyhow::Result<()> {
        match self.backend {
            BackendKind::Sqlite => {
                let path = sqlite_path(&db.url);
                for suffix in ["", "-wal", "-shm"] {
                    let file = PathBuf::from(format!("{}{suffix}", path.display()));
                    if file.exists() {
                        std::fs::remove_file(&file)
                            .with_context(|| format!("cannot remove {}", file.display()))?;
                    }
                }
                Ok(())
            }
            BackendKind::Postgres => {
                let name = database_name(&db.url);
                let admin = Database::connect(&self.postgres_url).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await?;
                let _ = admin.close().await;
                Ok(())
            }
        }
    }

    /// A fresh database for one run, removed by [`BenchDb::remove`].
    pub async fn scratch_db(&self, label: &str) -> anyhow::Result<BenchDb> {
        let unique = uuid::Uuid::new_v4().simple().to_string();
        match self.backend {
            BackendKind::Sqlite => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!(
                        "cannot create the data directory {}",
                        self.data_dir.display()
                    )
                })?;
                let dir = self.data_dir.join(format!("scratch-{label}-{unique}"));
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
                Ok(BenchDb {
                    url: sqlite_url(&dir.join("pressroom.db")),
                    backend: self.backend,
                    cleanup: Cleanup::SqliteDir(dir),
                })
            }
            BackendKind::Postgres => {
                let name = format!("pressroom_bench_{label}_{unique}").replace('-', "_");
                let admin = Database::connect(&self.postgres_url)
                    .await
                    .with_context(|| format!("cannot connect to {}", self.postgres_url))?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .with_context(|| format!("cannot create database {name}"))?;
                let _ = admin.close().await;
                Ok(BenchDb {
                    url: url_with_database(&self.postgres_url, &name)?,
                    backend: self.backend,
                    cleanup: Cleanup::Postgres {
                        server_url: self.postgres_url.clone(),
                        name,
                    },
                })
            }
        }
    }
}

impl Env {
    /// A throwaway copy of the kept database `base` for one run, removed by [`BenchDb::remove`]:
    /// the file on SQLite, `CREATE DATABASE … TEMPLATE` on PostgreSQL. Nothing may be connected
    /// to `base` meanwhile.
    pub async fn scratch_copy(&self, base: &BenchDb, label: &str) -> anyhow::Result<BenchDb> {
        let db = self.scratch_db(label).await?;
        let copied = match self.backend {
            BackendKind::Sqlite => copy_sqlite(&sqlite_path(&base.url), &sqlite_path(&db.url)),
            BackendKind::Postgres => {
                let name = database_name(&db.url);
                let template = database_name(&base.url);
                async {
                    let admin = Database::connect(&self.postgres_url).await?;
                    // FILE_COPY: PostgreSQL 15's default (WAL_LOG) writes the whole copy to the WAL.
                    let result = async {
                        admin
                            .execute_unprepared(&format!("DROP DATABASE \"{name}\""))
                            .await?;
                        admin
                            .execute_unprepared(&format!(
                                "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\" STRATEGY FILE_COPY"
                            ))
                            .await
                    }
                    .await;
                    let _ = admin.close().await;
                    result
                        .map(|_| ())
                        .with_context(|| format!("cannot copy database {template} to {name}"))
                }
                .await
            }
        };
        match copied {
            Ok(()) => Ok(db),
            Err(error) => {
                db.remove().await;
                Err(error)
            }
        }
    }
}

impl BenchDb {
    /// Reads the whole database once, so that the first measured phase does not pay for the disk
    /// while the phases after it read from memory: the SQLite file (and its WAL) read through
    /// the kernel's page cache; on PostgreSQL every table, index and TOAST table of the schema
    /// read with `pg_prewarm` (into the kernel's cache, as a server that has been serving would
    /// have them). Returns the bytes read, or `None` when PostgreSQL cannot load `pg_prewarm`.
    pub async fn warm(&self) -> anyhow::Result<Option<u64>> {
        match self.backend {
            BackendKind::Sqlite => {
                let path = sqlite_path(&self.url);
                let wal = PathBuf::from(format!("{}-wal", path.display()));
                tokio::task::spawn_blocking(move || -> anyhow::Result<Option<u64>> {
                    let mut total = 0u64;
                    for file in [path, wal] {
                        if let Ok(mut file) = std::fs::File::open(&file) {
                            total += std::io::copy(&mut file, &mut std::io::sink())?;
                        }
                    }
                    Ok(Some(total))
                })
                .await?
            }
            BackendKind::Postgres => {
                let db = Database::connect(&self.url).await?;
                if let Err(error) = db
                    .execute_unprepared("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
                    .await
                {
                    eprintln!("warning: the database is not warmed: {error}");
                    let _ = db.close().await;
                    return Ok(None);
                }
                let row = db
                    .query_one_raw(sea_orm::Statement::from_string(
                        sea_orm::DbBackend::Postgres,
                        "SELECT (coalesce(sum(pg_prewarm(c.oid, 'read')), 0) \
                           * current_setting('block_size')::bigint)::bigint AS bytes \
                         FROM pg_class c \
                         WHERE c.relkind IN ('r', 'i', 't', 'm') \
                           AND (c.relnamespace = current_schema()::regnamespace \
                             OR c.oid IN (SELECT reltoastrelid FROM pg_class \
                               WHERE relnamespace = current_schema()::regnamespace))",
                    ))
                    .await?
                    .context("pg_prewarm returned no row")?;
                let bytes: i64 = row.try_get("", "bytes")?;
                db.close().await?;
                Ok(Some(u64::try_from(bytes).unwrap_or(0)))
            }
        }
    }

    /// Removes a scratch database (a kept one stays). Best effort: a failure is printed.
    pub async fn remove(self) {
        let outcome = match self.cleanup {
            Cleanup::Keep => Ok(()),
            Cleanup::SqliteDir(dir) => std::fs::remove_dir_all(&dir)
                .with_context(|| format!("cannot remove {}", dir.display())),
            Cleanup::Postgres { server_url, name } => drop_database(&server_url, &name).await,
        };
        if let Err(error) = outcome {
            eprintln!("warning: {error:#}");
        }
    }
}

/// Copies a SQLite database file and its write-ahead log, if any.
fn copy_sqlite(from: &Path, to: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal"] {
        let source = PathBuf::from(format!("{}{suffix}", from.display()));
        let target = PathBuf::from(format!("{}{suffix}", to.display()));
        if source.exists() {
            std::fs::copy(&source, &target).with_context(|| {
                format!("cannot copy {} to {}", source.display(), target.display())
            })?;
        }
    }
    Ok(())
}

async fn drop_database(server_url: &str, name: &str) -> anyhow::Result<()> {
    let admin = Database::connect(server_url).await?;
    // FORCE ends the sessions a just-stopped process may still hold.
    let result = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await;
    let _ = admin.close().await;
    result
        .map(|_| ())
        .with_context(|| format!("cannot drop database {name}"))
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

fn sqlite_path(url: &str) -> PathBuf {
    let rest = url.strip_prefix("sqlite://").unwrap_or(url);
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

fn database_name(url: &str) -> String {
    let base = url.split('?').next().unwrap_or(url);
    base.rsplit('/').next().unwrap_or(base).to_owned()
}

/// `server_url` with its database (the path) replaced by `database`, keeping the user, host,
/// port and query string.
///
/// The tests have the same helper in `pressroom-test-support`; this program keeps its own copy
/// because a benchmark binary must not depend on test support (whose databases vanish on drop).
pub fn url_with_database(server_url: &str, database: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(server_url)
        .with_context(|| format!("the PostgreSQL URL {server_url} is not a URL"))?;
    url.set_path(&format!("/{database}"));
    Ok(url.into())
}

/// The `pressroom` binary: `explicit` (flag or `PRESSROOM_BIN`), else the one beside this
/// program (both live in `target/<profile>/`), else the one a level up (this program running
/// as a test from `target/<profile>/deps/`).
pub fn locate_pressroom(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        if path.is_file() {
            return Ok(path.to_owned());
        }
        bail!("{} is not a file", path.display());
    }
    let exe = std::env::current_exe().context("cannot find this program's own path")?;
    let name = format!("pressroom{}", std::env::consts::EXE_SUFFIX);
    let mut dir = exe.parent();
    for _ in 0..2 {
        let Some(candidate_dir) = dir else { break };
        let candidate = candidate_dir.join(&name);
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = candidate_dir.parent();
    }
    bail!(
        "no `pressroom` binary beside {}; build it with `cargo build --release -p pressroom` \
         (or the same profile as this program) or name it with --pressroom-bin / PRESSROOM_BIN",
        exe.display()
    )
}

/// What a finished `pressroom` command printed.
#[derive(Debug)]
pub struct CliRun {
    /// Its standard output.
    pub stdout: String,
    /// How long it ran, start to exit.
    pub elapsed: Duration,
}

/// Runs `pressroom --database-url URL ARGS…` to completion; a failing exit is an error.
pub async fn run_cli(env: &Env, url: &str, args: &[&str]) -> anyhow::Result<CliRun> {
    let started = std::time::Instant::now();
    let output = Command::new(&env.pressroom)
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .with_context(|| format!("cannot run {}", env.pressroom.display()))?;
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        bail!(
            "`pressroom {}` failed ({}):\n{}\n{}",
            args.join(" "),
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(CliRun { stdout, elapsed })
}

/// A running `pressroom` process (`serve` or `scheduler`) and the output it printed.
pub struct Process {
    child: Child,
    pid: u32,
    log: Arc<Mutex<String>>,
    /// The base URL for `serve`, e.g. `http://127.0.0.1:40123`.
    pub base_url: Option<String>,
}

impl Process {
    /// Starts `pressroom serve --listen 127.0.0.1:0 --no-scheduler --no-webhooks ARGS…` and waits
    /// for its `listening on` line.
    pub async fn serve(env: &Env, url: &str, args: &[&str]) -> anyhow::Result<Self> {
        let mut all = vec![
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--no-scheduler",
            "--no-webhooks",
        ];
        all.extend_from_slice(args);
        Self::start(env, url, &all, "listening on ").await
    }

    /// Starts `pressroom serve --listen 127.0.0.1:0 ARGS…` with its embedded scheduler and webhook
    /// worker, as production runs it, and waits for its `listening on` line.
    pub async fn serve_everything(env: &Env, url: &str, args: &[&str]) -> anyhow::Result<Self> {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        Self::start(env, url, &all, "listening on ").await
    }

    /// Starts `pressroom scheduler ARGS…` and waits for its `scheduler running` line.
    pub async fn scheduler(env: &Env, url: &str, args: &[&str]) -> anyhow::Result<Self> {
        let mut all = vec!["scheduler"];
        all.extend_from_slice(args);
        Self::start(env, url, &all, "scheduler running").await
    }

    async fn start(env: &Env, url: &str, args: &[&str], ready: &str) -> anyhow::Result<Self> {
        let mut child = Command::new(&env.pressroom)
            .arg("--database-url")
            .arg(url)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {}", env.pressroom.display()))?;
        let pid = child.id().context("the process has no id")?;
        let log = Arc::new(Mutex::new(String::new()));
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(copy_lines(stderr, Arc::clone(&log)));
        }
        let stdout = child.stdout.take().context("stdout is not piped")?;
        let mut lines = BufReader::new(stdout).lines();
        let deadline = tokio::time::Instant::now() + STARTUP_TIMEOUT;
        loop {
            let line = tokio::time::timeout_at(deadline, lines.next_line()).await;
            match line {
                Ok(Ok(Some(line))) => {
                    if let Some(rest) = line.trim().strip_prefix(ready) {
                        let base_url = (!rest.trim().is_empty())
                            .then(|| rest.trim().trim_end_matches('/').to_owned());
                        let stdout_log = Arc::clone(&log);
                        // Keep draining stdout so that the process never blocks on a full pipe.
                        tokio::spawn(async move {
                            while let Ok(Some(line)) = lines.next_line().await {
                                push_line(&stdout_log, &line);
                            }
                        });
                        return Ok(Self {
                            child,
                            pid,
                            log,
                            base_url,
                        });
                    }
                    push_line(&log, &line);
                }
                Ok(Ok(None)) | Ok(Err(_)) | Err(_) => {
                    let _ = child.start_kill();
                    let _ = child.wait().await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    bail!(
                        "`pressroom {}` did not print `{ready}`; its output:\n{}",
                        args.join(" "),
                        self_log(&log)
                    );
                }
            }
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Its current and peak resident memory.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        memory_of(self.pid)
    }

    /// The CPU time (user + system) it used so far, in seconds.
    pub fn cpu_seconds(&self) -> anyhow::Result<f64> {
        cpu_seconds_of(&self.pid.to_string())
    }

    /// Stops it with SIGTERM (graceful: a scheduler batch in flight completes), killing it if it
    /// does not exit in time.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(status) => {
                status.context("waiting for the process")?;
            }
            Err(_) => {
                let _ = self.child.start_kill();
                let _ = self.child.wait().await;
                eprintln!("warning: pid {} ignored SIGTERM and was killed", self.pid);
            }
        }
        Ok(())
    }

    /// How the process ended, if it has already.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(error) => Some(error.to_string()),
        }
    }

    /// Everything the process printed so far (for error messages).
    pub fn log(&self) -> String {
        self_log(&self.log)
    }
}

fn self_log(log: &Mutex<String>) -> String {
    log.lock().map(|log| log.clone()).unwrap_or_default()
}

async fn copy_lines(stream: impl AsyncRead + Unpin, log: Arc<Mutex<String>>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        push_line(&log, &line);
    }
}

fn push_line(log: &Mutex<String>, line: &str) {
    if let Ok(mut log) = log.lock() {
        // Keep the tail only: a long run must not grow the log without bound.
        if log.len() > 64 * 1024 {
            let cut = log.len() - 32 * 1024;
            let cut = (cut..log.len())
                .find(|&i| log.is_char_boundary(i))
                .unwrap_or(log.len());
            log.drain(..cut);
        }
        log.push_str(line);
        log.push('\n');
    }
}

/// The CPU time (user + system) of process `pid` (`self` for this one), from
/// `/proc/<pid>/stat`, in seconds (Linux only; the clock tick is taken to be 100 Hz).
pub fn cpu_seconds_of(pid: &str) -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("cannot read /proc/{pid}/stat (Linux only)"))?;
    // The fields after the command name, which is in parentheses and may contain spaces:
    // utime and stime are the 14th and 15th fields of the line, the 12th and 13th after it.
    let rest = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .context("malformed /proc/<pid>/stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> anyhow::Result<f64> {
        Ok(fields
            .get(i)
            .context("malformed /proc/<pid>/stat")?
            .parse::<f64>()?)
    };
    Ok((ticks(11)? + ticks(12)?) / 100.0)
}

/// Resident memory of a process, from `/proc/<pid>/status`.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// `VmRSS`: resident now, in MiB.
    pub rss_mib: f64,
    /// `VmHWM`: the peak resident size since the process started, in MiB.
    pub hwm_mib: f64,
}

/// Reads `VmRSS` and `VmHWM` of `pid` (Linux only).
pub fn memory_of(pid: u32) -> anyhow::Result<Memory> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("cannot read /proc/{pid}/status (Linux only)"))?;
    let field = |name: &str| -> anyhow::Result<f64> {
        let line = status
            .lines()
            .find(|line| line.starts_with(name))
            .with_context(|| format!("/proc/{pid}/status has no {name}"))?;
        let kib: f64 = line
            .split_whitespace()
            .nth(1)
            .with_context(|| format!("malformed line {line:?}"))?
            .parse()
            .with_context(|| format!("malformed line {line:?}"))?;
        Ok(kib / 1024.0)
    };
    Ok(Memory {
        rss_mib: field("VmRSS:")?,
        hwm_mib: field("VmHWM:")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_database_replaces_only_the_path() {
        assert_eq!(
            url_with_database("postgres://postgres@127.0.0.1:5432/test", "x").ok(),
            Some("postgres://postgres@127.0.0.1:5432/x".to_owned())
        );
        assert_eq!(
            url_with_database("postgres://u:p@db/test?sslmode=disable", "x").ok(),
            Some("postgres://u:p@db/x?sslmode=disable".to_owned())
        );
        assert_eq!(database_name("postgres://u@db/x?sslmode=disable"), "x");
        assert_eq!(
            sqlite_path("sqlite:///tmp/a b/x.db?mode=rwc"),
            PathBuf::from("/tmp/a b/x.db")
        );
    }

    #[test]
    fn the_cpu_time_of_this_process_grows_while_it_computes() {
        let before = cpu_seconds_of("self").expect("this process's CPU time");
        // Spin for 200 ms of wall time: even on a busy machine some of it is CPU time.
        let started = std::time::Instant::now();
        let mut x = 0u64;
        while started.elapsed() < std::time::Duration::from_millis(200) {
            for i in 0..10_000u64 {
                x = x.wrapping_mul(31).wrapping_add(i);
            }
        }
        std::hint::black_box(x);
        let after = cpu_seconds_of("self").expect("this process's CPU time again");
        assert!(after > before, "{before} s before, {after} s after");
    }

    #[test]
    fn the_memory_of_this_process_is_readable() {
        let memory = memory_of(std::process::id()).expect("this process's memory");
        assert!(memory.rss_mib > 0.0 && memory.hwm_mib >= memory.rss_mib);
    }
}
