//! `load`: minutes of mixed reads and writes against the real server over loopback, with two
//! schedulers racing to publish, checked afterwards against the database and its audit log.
//!
//! The set-up: a fresh database with the seeded directory and `--releases` published releases,
//! one `pressroom serve` *with* its embedded scheduler (and webhook worker), and one separate
//! `pressroom scheduler` on the same database, so that two schedulers race for every due release.
//!
//! - **Writers** (`--writers`) each loop over one department, taking a release from nothing to
//!   EMBARGOED through the GraphQL API: `createRelease` (drafter; a quote of the minister and one
//!   of a colleague), `updateRelease` (editor), `submitForReview` (drafter), `approveRelease` by
//!   the two required ministers' offices *at the same time* (one of them usually gets
//!   `VERSION_CONFLICT`, the one expected error: it re-reads the release and tries again), then
//!   `scheduleRelease` with an instant `--embargo-seconds` ahead (every fourth release is first
//!   scheduled an hour ahead, then moved), so that the schedulers publish during the run.
//! - **Readers** (`--readers`) loop over GraphQL reads as an integrator (a department's page,
//!   the full listing page by page, a release by slug, a search, the change feed, the embargoed
//!   list of an accredited integrator) and the public HTTP surfaces (press page, ninjs, Atom
//!   feeds, department page). Some reads *probe* a release that was just scheduled, by id over
//!   GraphQL or by its press page, and check the embargo rule: hidden before the instant, public
//!   with `publishedAt = embargoUntil` from it on, whatever the schedulers have done yet.
//!
//! Every request's latency and outcome is recorded. A non-2xx answer, a GraphQL error other than
//! the approvals' `VERSION_CONFLICT`, or an answer that breaks a rule is an error, counted by kind
//! with an example.
//!
//! Afterwards (every instant passed, a grace period for the schedulers, both processes stopped)
//! the database is read directly: every mutation the client saw succeed must have its audit
//! entry (the k-th entry of a release is its version k, so each acknowledged write is looked up
//! at its place); every scheduled release must be PUBLISHED, at its instant, with exactly one
//! publication audit entry and one `release.published` outbox event; no stored version may be
//! behind one the client saw. Finally `pressroom audit verify` checks the hash chain.
//!
//! The code, by concern: this file sets up, runs and tears down (`run`) and holds what the
//! workers share (`Ctx`, `Tally`); `writers.rs` takes releases from nothing to EMBARGOED;
//! `readers.rs` is the mix of reads; `probes.rs` checks the embargo rule on what was just
//! scheduled; `verification.rs` reads the database afterwards and decides what was lost; and
//! `report.rs` turns it all into the report.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use pressroom_domain::ErrorCode;
use pressroom_domain::visibility::Role;
use pressroom_storage::Store;
use pressroom_storage::directory::TokenGrant;
use pressroom_storage::entity::audit_head;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

use crate::report::Report;
use crate::seed::{self, Seeded};
use crate::setup::{BenchDb, Env, Process, memory_of, run_cli};

mod probes;
mod readers;
mod report;
mod verification;
mod writers;

use readers::reader;
use report::embedded_publications;
use verification::{evaluate, published_count, read_facts};
use writers::writer;

/// Options of `load`.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Seconds of load; afterwards no new request starts (a writer finishes its release).
    #[arg(long, default_value_t = 180.0)]
    pub seconds: f64,
    /// Concurrent writers, each taking releases of one department from draft to embargoed.
    #[arg(long, default_value_t = 6)]
    pub writers: usize,
    /// Concurrent readers (GraphQL and public HTTP pages), in a closed loop.
    #[arg(long, default_value_t = 24)]
    pub readers: usize,
    /// Published releases seeded for the readers (at least 10: one per department).
    #[arg(long, default_value_t = 300)]
    pub releases: usize,
    /// Seconds between scheduling a release and its embargo instant.
    #[arg(long, default_value_t = 3.0)]
    pub embargo_seconds: f64,
    /// Seconds after the last instant within which every scheduled release must be published.
    #[arg(long, default_value_t = 15.0)]
    pub grace_seconds: f64,
}

/// How long one request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// `load`: see the module's documentation.
pub async fn load(env: &Env, args: &LoadArgs) -> anyhow::Result<Report> {
    if args.releases < seed::DEPARTMENTS {
        bail!("--releases must be at least {}", seed::DEPARTMENTS);
    }
    if args.writers + args.readers == 0 {
        bail!("--writers and --readers cannot both be 0");
    }
    if !(args.seconds > 0.0 && args.embargo_seconds > 0.0 && args.grace_seconds >= 0.0) {
        bail!("--seconds and --embargo-seconds must be positive, --grace-seconds not negative");
    }
    let db = env.scratch_db("load").await?;
    let outcome = run(env, args, &db).await;
    let passed = outcome.as_ref().is_ok_and(passed);
    if env.scratch || passed {
        db.remove().await;
        outcome
    } else {
        eprintln!("the database is kept for inspection: {}", db.url);
        let mut report = outcome?;
        report.note(format!("the database is kept for inspection: {}", db.url));
        Ok(report)
    }
}

/// Whether a `load` report meets its correctness targets: no error, no lost write, no double
/// publication, every publication at its instant, nothing refused, an intact audit chain.
pub fn passed(report: &Report) -> bool {
    let value = |key: &str| {
        report
            .metrics
            .iter()
            .find(|m| m.key == key)
            .map_or(f64::NAN, |m| m.value)
    };
    [
        "errors",
        "lost_writes",
        "double_publications",
        "wrong_published_at",
        "refused",
    ]
    .iter()
    .all(|key| value(key) == 0.0)
        && value("audit_chain_ok") == 1.0
}

/// The user names and tokens of one department's staff.
struct Staff {
    department: String,
    /// The department's people, the minister first.
    people: Vec<String>,
    drafter: String,
    editor: String,
    /// The office token of each of `people`.
    offices: Vec<String>,
}

/// A release as a mutation answered it.
#[derive(Debug, Clone)]
struct Rel {
    id: String,
    slug: String,
    state: String,
    version: i64,
    revision: i64,
    embargo_until: Option<i64>,
}

impl Rel {
    fn from_json(value: &Value) -> Option<Self> {
        Some(Self {
            id: value["id"].as_str()?.to_owned(),
            slug: value["slug"].as_str()?.to_owned(),
            state: value["state"].as_str()?.to_owned(),
            version: value["version"].as_i64()?,
            revision: value["revision"].as_i64()?,
            embargo_until: value["embargoUntil"].as_str().and_then(parse_instant),
        })
    }
}

/// A mutation the client saw succeed.
#[derive(Debug, Clone)]
struct Ack {
    release_id: String,
    action: &'static str,
    to_state: String,
    revision: i64,
    version: i64,
}

/// A release the client scheduled (its last schedule).
#[derive(Debug, Clone)]
struct Scheduled {
    id: String,
    slug: String,
    /// Microseconds since the epoch.
    instant: i64,
}

/// A failed request or a broken rule.
#[derive(Debug)]
struct Failure {
    op: &'static str,
    /// The GraphQL code, `HTTP 500`, `transport`, or what rule was broken.
    kind: String,
    detail: String,
}

impl Failure {
    fn new(op: &'static str, kind: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            op,
            kind: kind.into(),
            detail: detail.into(),
        }
    }

    fn is_conflict(&self) -> bool {
        self.kind == ErrorCode::VersionConflict.as_str()
    }
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Read,
    Write,
}

/// Everything the workers record.
#[derive(Default)]
struct Tally {
    read_ms: Vec<f64>,
    write_ms: Vec<f64>,
    /// Errors by kind: how many, and the first one's detail.
    errors: BTreeMap<String, (u64, String)>,
    conflicts: u64,
    early_reads: u64,
    late_reads: u64,
    probes: u64,
    cycles: u64,
    acks: Vec<Ack>,
}

/// What the workers share.
struct Ctx {
    http: reqwest::Client,
    base_url: String,
    run_end: Instant,
    seeded: usize,
    embargo_micros: i64,
    staff: Vec<Staff>,
    integrator: String,
    accredited: String,
    tally: Mutex<Tally>,
    scheduled: Mutex<Vec<Scheduled>>,
}

impl Ctx {
    fn record<R>(&self, f: impl FnOnce(&mut Tally) -> R) -> R {
        f(&mut self.tally.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn error(&self, failure: Failure) {
        let key = format!("{}: {}", failure.op, failure.kind);
        self.record(|t| {
            let entry = t
                .errors
                .entry(key)
                .or_insert_with(|| (0, snippet(&failure.detail)));
            entry.0 += 1;
        });
    }

    fn requests(&self) -> usize {
        self.record(|t| t.read_ms.len() + t.write_ms.len())
    }

    fn error_count(&self) -> u64 {
        self.record(|t| t.errors.values().map(|(n, _)| n).sum())
    }

    /// One GraphQL request; its latency is recorded on `side`. Returns `data`.
    async fn graphql(
        &self,
        side: Side,
        op: &'static str,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Result<Value, Failure> {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .header("content-type", "application/json")
            .body(json!({ "query": query, "variables": variables }).to_string());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let started = Instant::now();
        let answer = match request.send().await {
            Ok(response) => {
                let status = response.status();
                response.bytes().await.map(|bytes| (status, bytes))
            }
            Err(error) => Err(error),
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        self.record(|t| match side {
            Side::Read => t.read_ms.push(ms),
            Side::Write => t.write_ms.push(ms),
        });
        let (status, bytes) =
            answer.map_err(|error| Failure::new(op, "transport", format!("{error:#}")))?;
        let text = String::from_utf8_lossy(&bytes);
        if !status.is_success() {
            return Err(Failure::new(op, format!("HTTP {}", status.as_u16()), text));
        }
        let mut body: Value = serde_json::from_slice(&bytes)
            .map_err(|error| Failure::new(op, "not JSON", format!("{error}: {text}")))?;
        if let Some(first) = body["errors"].as_array().and_then(|errors| errors.first()) {
            let code = first["extensions"]["code"].as_str().unwrap_or("NO_CODE");
            return Err(Failure::new(op, code, text));
        }
        Ok(body["data"].take())
    }

    /// One mutation that answers a release; the write is recorded as acknowledged.
    async fn mutate(
        &self,
        op: &'static str,
        token: &str,
        query: &str,
        variables: Value,
    ) -> Result<Rel, Failure> {
        let data = self
            .graphql(Side::Write, op, Some(token), query, variables)
            .await?;
        let release = Rel::from_json(&data[op])
            .ok_or_else(|| Failure::new(op, "no release in the answer", data.to_string()))?;
        self.record(|t| {
            t.acks.push(Ack {
                release_id: release.id.clone(),
                action: op,
                to_state: release.state.clone(),
                revision: release.revision,
                version: release.version,
            });
        });
        Ok(release)
    }

    /// One anonymous `GET`, recorded as a read; answers the status and the body.
    async fn get(&self, op: &'static str, path: &str) -> Result<(u16, String), Failure> {
        let started = Instant::now();
        let answer = match self
            .http
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
        {
            Ok(response) => {
                let status = response.status().as_u16();
                response.text().await.map(|text| (status, text))
            }
            Err(error) => Err(error),
        };
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        self.record(|t| t.read_ms.push(ms));
        answer.map_err(|error| Failure::new(op, "transport", format!("{path}: {error:#}")))
    }

    /// A `GET` that must answer 200 with a body.
    async fn get_ok(&self, op: &'static str, path: &str) -> Result<String, Failure> {
        let (status, body) = self.get(op, path).await?;
        if status != 200 || body.is_empty() {
            return Err(Failure::new(
                op,
                format!("HTTP {status}"),
                format!("{path}: {body}"),
            ));
        }
        Ok(body)
    }
}

/// The last `n` lines of a process log.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Seeds the database, makes the tokens, runs the load and checks the outcome.
async fn run(env: &Env, args: &LoadArgs, db: &BenchDb) -> anyhow::Result<Report> {
    run_cli(env, &db.url, &["migrate"]).await?;
    let store = Store::connect(&db.url).await?;
    let directory = seed::directory(&store).await?;
    let newest = now_micros() - 3_600_000_000;
    eprintln!("seeding {} published releases…", args.releases);
    seed::insert_releases(&store, &directory, 0..args.releases, |i| {
        Seeded::Published {
            at: newest - i as i64 * 60_000_000,
        }
    })
    .await?;
    seed::analyze(&store).await?;

    let expires_at = Some(Utc::now() + chrono::Duration::days(1));
    let grant = |user_name: String,
                 role: Role,
                 department: Option<String>,
                 person_id: Option<String>,
                 embargo_access: bool| TokenGrant {
        user_name,
        role,
        department,
        person_id,
        embargo_access,
        expires_at,
    };
    let mut staff = Vec::new();
    for d in 0..args.writers.clamp(1, seed::DEPARTMENTS) {
        let department = seed::department_slug(d);
        let people: Vec<String> = directory.people[d].iter().map(|p| p.id.clone()).collect();
        let drafter = store
            .create_token(
                &seed::actor(),
                grant(
                    format!("load-drafter-{d}"),
                    Role::Drafter,
                    Some(department.clone()),
                    None,
                    false,
                ),
            )
            .await?
            .token;
        let editor = store
            .create_token(
                &seed::actor(),
                grant(
                    format!("load-editor-{d}"),
                    Role::Editor,
                    Some(department.clone()),
                    None,
                    false,
                ),
            )
            .await?
            .token;
        let mut offices = Vec::new();
        for (k, person) in people.iter().enumerate() {
            offices.push(
                store
                    .create_token(
                        &seed::actor(),
                        grant(
                            format!("load-office-{d}-{k}"),
                            Role::MinisterOffice,
                            None,
                            Some(person.clone()),
                            false,
                        ),
                    )
                    .await?
                    .token,
            );
        }
        staff.push(Staff {
            department,
            people,
            drafter,
            editor,
            offices,
        });
    }
    let integrator = store
        .create_token(
            &seed::actor(),
            grant(
                "load-integrator".into(),
                Role::Integrator,
                None,
                None,
                false,
            ),
        )
        .await?
        .token;
    let accredited = store
        .create_token(
            &seed::actor(),
            grant("load-agency".into(), Role::Integrator, None, None, true),
        )
        .await?
        .token;
    let start_seq = audit_head::Entity::find_by_id(1)
        .one(store.connection())
        .await?
        .context("audit_head row is missing")?
        .seq;
    store.connection().clone().close().await?;

    // The metrics are served on a listener of their own, which the server names before it
    // announces itself (read now: the log keeps only its tail).
    let mut server =
        Process::serve_everything(env, &db.url, &["--metrics-listen", "127.0.0.1:0"]).await?;
    let metrics_url = server
        .log()
        .lines()
        .find_map(|line| line.trim().strip_prefix("metrics on "))
        .map(str::to_owned);
    let scheduler = match Process::scheduler(env, &db.url, &[]).await {
        Ok(scheduler) => scheduler,
        Err(error) => {
            // The run fails with the scheduler's error; the server's stop is secondary.
            let _ = server.stop().await;
            return Err(error);
        }
    };
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.readers + 2 * args.writers + 2)
        .timeout(REQUEST_TIMEOUT)
        .build()?;
    eprintln!(
        "load: {} s, {} writers, {} readers on {} (server pid {}, scheduler pid {})…",
        args.seconds,
        args.writers,
        args.readers,
        env.backend.name(),
        server.pid(),
        scheduler.pid()
    );
    let started = Instant::now();
    let ctx = Arc::new(Ctx {
        http: http.clone(),
        base_url: server.base_url.clone().context("serve printed no URL")?,
        run_end: started + Duration::from_secs_f64(args.seconds),
        seeded: args.releases,
        embargo_micros: (args.embargo_seconds * 1e6) as i64,
        staff,
        integrator,
        accredited,
        tally: Mutex::new(Tally::default()),
        scheduled: Mutex::new(Vec::new()),
    });
    let progress = {
        let ctx = Arc::clone(&ctx);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(Duration::from_secs(15));
            ticker.tick().await;
            loop {
                ticker.tick().await;
                let scheduled = ctx
                    .scheduled
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .len();
                eprintln!(
                    "  {:>4.0} s: {} requests, {} errors, {scheduled} releases scheduled",
                    started.elapsed().as_secs_f64(),
                    ctx.requests(),
                    ctx.error_count(),
                );
            }
        })
    };
    let mut tasks = Vec::new();
    for w in 0..args.writers {
        tasks.push(tokio::spawn(writer(Arc::clone(&ctx), w)));
    }
    for r in 0..args.readers {
        tasks.push(tokio::spawn(reader(Arc::clone(&ctx), r)));
    }
    for task in tasks {
        if let Err(error) = task.await {
            ctx.error(Failure::new("harness", "task failed", error.to_string()));
        }
    }
    let duration = started.elapsed().as_secs_f64();
    progress.abort();

    // Wait until every instant has passed and the schedulers have published, or the grace ends.
    let scheduled = ctx
        .scheduled
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let last_instant = scheduled.iter().map(|s| s.instant).max().unwrap_or(0);
    let store = Store::connect(&db.url).await?;
    let deadline = last_instant + (args.grace_seconds * 1e6) as i64;
    loop {
        let now = now_micros();
        if now > last_instant && published_count(&store).await? >= scheduled.len() as u64 {
            break;
        }
        if now > deadline {
            eprintln!("not everything scheduled was published within the grace period");
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let embedded = match &metrics_url {
        Some(url) => embedded_publications(&http, url).await,
        None => None,
    };
    let peak_rss = memory_of(server.pid()).map_or(f64::NAN, |memory| memory.hwm_mib);
    if let Some(status) = server.exited() {
        ctx.error(Failure::new(
            "server",
            "exited during the run",
            format!("{status}\n{}", tail(&server.log(), 20)),
        ));
    }
    let server_log = server.log();
    let scheduler_log = scheduler.log();
    server.stop().await?;
    scheduler.stop().await?;

    let tally = std::mem::take(&mut *ctx.tally.lock().unwrap_or_else(PoisonError::into_inner));
    let facts = read_facts(&store, start_seq).await?;
    let checked = evaluate(&facts, &tally.acks, &scheduled);
    store.connection().clone().close().await?;
    let chain = verification::verify_chain(env, &db.url).await;
    Ok(report::build(
        env,
        args,
        report::Outcome {
            duration,
            tally,
            scheduled,
            checked,
            chain,
            embedded,
            peak_rss,
            server_log,
            scheduler_log,
        },
    ))
}

fn now_micros() -> i64 {
    Utc::now().timestamp_micros()
}

/// RFC 3339 in UTC with microseconds, as sent to the API.
fn format_instant(micros: i64) -> String {
    DateTime::<Utc>::from_timestamp_micros(micros)
        .map(|at| at.to_rfc3339_opts(SecondsFormat::Micros, true))
        .unwrap_or_default()
}

fn parse_instant(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|at| at.timestamp_micros())
}

/// At most 400 characters of `text`, on one line.
fn snippet(text: &str) -> String {
    let one_line = text.replace('\n', " ");
    match one_line.char_indices().nth(400) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_round_trip_with_microseconds() {
        let micros = 1_780_000_000_123_456;
        let text = format_instant(micros);
        assert!(text.ends_with(".123456Z"), "{text}");
        assert_eq!(parse_instant(&text), Some(micros));
        assert_eq!(
            parse_instant("2026-06-02T09:00:00+02:00"),
            Some(1_780_383_600_000_000)
        );
    }

    #[test]
    fn snippets_are_short_and_on_one_line() {
        let long = "å\n".repeat(500);
        let short = snippet(&long);
        assert!(!short.contains('\n'));
        assert_eq!(short.chars().count(), 401);
    }

    #[test]
    fn a_report_passes_only_when_every_correctness_count_is_zero() {
        let mut report = Report::new("load");
        for key in [
            "errors",
            "lost_writes",
            "double_publications",
            "wrong_published_at",
            "refused",
        ] {
            report.metric(key, key, 0.0);
        }
        report.metric("audit_chain_ok", "chain", 1.0);
        assert!(passed(&report));
        report.metrics[1].value = 1.0;
        assert!(!passed(&report));
        report.metrics[1].value = 0.0;
        report.metrics[5].value = 0.0;
        assert!(!passed(&report));
    }
}
