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

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use pressroom_domain::ErrorCode;
use pressroom_domain::visibility::Role;
use pressroom_storage::Store;
use pressroom_storage::directory::TokenGrant;
use pressroom_storage::entity::{audit_head, audit_log, outbox, releases};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::{Value, json};

use crate::read::PAGE_QUERY;
use crate::report::{Report, max, percentile};
use crate::seed::{self, Seeded};
use crate::setup::{BenchDb, Env, Process, memory_of, run_cli};

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

/// How often one approval is retried after `VERSION_CONFLICT`.
const APPROVAL_ATTEMPTS: usize = 20;

/// How long one request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// How many of the most recently scheduled releases the probes choose from.
const PROBE_WINDOW: usize = 16;

const CREATE: &str = "mutation Create($input: ReleaseInput!) { createRelease(input: $input) { \
    id slug state version revision embargoUntil publishedAt } }";
const UPDATE: &str = "mutation Update($id: ID!, $v: Int!, $input: ReleaseInput!) { \
    updateRelease(id: $id, expectedVersion: $v, input: $input) { \
    id slug state version revision embargoUntil publishedAt } }";
const SUBMIT: &str = "mutation Submit($id: ID!, $v: Int!) { \
    submitForReview(id: $id, expectedVersion: $v) { \
    id slug state version revision embargoUntil publishedAt } }";
const APPROVE: &str = "mutation Approve($id: ID!, $v: Int!) { \
    approveRelease(id: $id, expectedVersion: $v) { \
    id slug state version revision embargoUntil publishedAt } }";
const SCHEDULE: &str = "mutation Schedule($id: ID!, $v: Int!, $at: DateTime!) { \
    scheduleRelease(id: $id, expectedVersion: $v, embargoUntil: $at) { \
    id slug state version revision embargoUntil publishedAt } }";
const REREAD: &str = "query Reread($id: ID!) { release(id: $id) { id state version } }";
const PROBE: &str =
    "query Probe($id: ID!) { release(id: $id) { id state publishedAt embargoUntil } }";
const BY_SLUG: &str = "query BySlug($slug: String!) { releaseBySlug(slug: $slug) { \
    id slug state title lead publishedAt body { __typename ... on Paragraph { text } \
    ... on Quote { text speaker { name } } } contacts { name } } }";
const LIST: &str = "query List($after: String) { releases(first: 20, after: $after) { \
    nodes { id slug state publishedAt department { slug } } pageInfo { hasNextPage endCursor } } }";
const SEARCH: &str = "query Search($q: String!) { releases(first: 10, filter: {query: $q}) { \
    nodes { id state title } } }";
const CHANGES: &str = "query Changes($after: String) { changes(after: $after, first: 50) { \
    edges { cursor node { event releaseId version } } pageInfo { hasNextPage endCursor } } }";
const EMBARGOED: &str = "query Embargoed { releases(first: 20, filter: {states: [EMBARGOED]}) { \
    nodes { id state embargoUntil } } }";

const PARAGRAPH: &str = "Regeringen föreslår att stödet förlängs till och med nästa år och att \
    ansökningstiden förenklas för kommuner och regioner. Förslaget bygger på erfarenheterna från \
    de senaste åren och på synpunkter från remissinstanserna.";
const PARAGRAPH_EDITED: &str = "Regeringen föreslår att stödet förlängs till och med nästa år. \
    Ansökningstiden förenklas för kommuner och regioner, som i stort sett har ställt sig bakom \
    inriktningen – också i glesbygden.";

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

/// The content of writer `w`'s `n`-th release (before or after the edit).
fn release_input(staff: &Staff, w: usize, n: u64, colleague: usize, edited: bool) -> Value {
    let lead = if edited {
        format!(
            "Regeringen ger i dag besked om ett förlängt stöd (prov {w}-{n}, reviderad). \
             Beslutet fattades vid dagens regeringssammanträde."
        )
    } else {
        format!("Regeringen ger i dag besked om ett förlängt stöd (prov {w}-{n}).")
    };
    json!({
        "language": "sv",
        "department": staff.department,
        "responsibleMinisterId": staff.people[0],
        "title": format!("Belastningsprov {w}-{n}: förlängt stöd till kommunerna"),
        "lead": lead,
        "body": [
            { "paragraph": PARAGRAPH },
            { "quote": {
                "speakerId": staff.people[0],
                "text": "Det här är en viktig reform för hela landet, och vi genomför den nu.",
            } },
            { "paragraph": if edited { PARAGRAPH_EDITED } else { PARAGRAPH } },
            { "quote": {
                "speakerId": staff.people[colleague],
                "text": "Kommunerna har efterfrågat det här länge, och nu kommer det.",
            } },
        ],
        "contacts": [{
            "name": "Tove Pressekreterare",
            "role": "Pressekreterare",
            "phone": "08-405 10 00",
            "mobile": "070-123 45 67",
            "email": "tove@example.se",
        }],
        "topics": [format!("belastning-{w}")],
    })
}

fn expect_state(op: &'static str, release: &Rel, state: &str) -> Result<(), Failure> {
    if release.state == state {
        Ok(())
    } else {
        Err(Failure::new(
            op,
            format!("answered {} instead of {state}", release.state),
            format!("release {}", release.id),
        ))
    }
}

/// Writer `w`: releases from nothing to EMBARGOED until the end of the run. A release whose
/// step fails unexpectedly is abandoned (the error is recorded) and the next one begins.
async fn writer(ctx: Arc<Ctx>, w: usize) {
    let mut n = 0u64;
    while Instant::now() < ctx.run_end {
        n += 1;
        ctx.record(|t| t.cycles += 1);
        if let Err(failure) = cycle(&ctx, w, n).await {
            ctx.error(failure);
        }
    }
}

async fn cycle(ctx: &Ctx, w: usize, n: u64) -> Result<(), Failure> {
    let staff = &ctx.staff[w % ctx.staff.len()];
    // The colleague quoted alternates between the department's two other people.
    let colleague = 1 + (n as usize) % (staff.people.len() - 1).max(1);
    let draft = ctx
        .mutate(
            "createRelease",
            &staff.drafter,
            CREATE,
            json!({ "input": release_input(staff, w, n, colleague, false) }),
        )
        .await?;
    expect_state("createRelease", &draft, "DRAFT")?;
    let edited = ctx
        .mutate(
            "updateRelease",
            &staff.editor,
            UPDATE,
            json!({
                "id": draft.id,
                "v": draft.version,
                "input": release_input(staff, w, n, colleague, true),
            }),
        )
        .await?;
    expect_state("updateRelease", &edited, "DRAFT")?;
    let submitted = ctx
        .mutate(
            "submitForReview",
            &staff.drafter,
            SUBMIT,
            json!({ "id": edited.id, "v": edited.version }),
        )
        .await?;
    expect_state("submitForReview", &submitted, "IN_REVIEW")?;
    // Both offices approve at once: the second to commit usually finds the version moved on.
    let (first, second) = tokio::join!(
        approve(ctx, &staff.offices[0], &submitted.id, submitted.version),
        approve(
            ctx,
            &staff.offices[colleague],
            &submitted.id,
            submitted.version
        ),
    );
    let (first, second) = (first?, second?);
    let mut current = if first.version > second.version {
        first
    } else {
        second
    };
    expect_state("approveRelease", &current, "APPROVED")?;
    let scheduler = if n.is_multiple_of(2) {
        &staff.drafter
    } else {
        &staff.editor
    };
    if n % 4 == 3 {
        // Scheduled far ahead first, then moved: the schedulers must follow the change.
        let far = now_micros() + 3_600_000_000;
        current = ctx
            .mutate(
                "scheduleRelease",
                scheduler,
                SCHEDULE,
                json!({ "id": current.id, "v": current.version, "at": format_instant(far) }),
            )
            .await?;
        expect_state("scheduleRelease", &current, "EMBARGOED")?;
    }
    let instant = now_micros() + ctx.embargo_micros;
    let scheduled = ctx
        .mutate(
            "scheduleRelease",
            scheduler,
            SCHEDULE,
            json!({ "id": current.id, "v": current.version, "at": format_instant(instant) }),
        )
        .await?;
    expect_state("scheduleRelease", &scheduled, "EMBARGOED")?;
    if scheduled.embargo_until != Some(instant) {
        return Err(Failure::new(
            "scheduleRelease",
            "answered another embargoUntil",
            format!(
                "sent {}, answered {:?}",
                format_instant(instant),
                scheduled.embargo_until.map(format_instant)
            ),
        ));
    }
    ctx.scheduled
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Scheduled {
            id: scheduled.id,
            slug: scheduled.slug,
            instant,
        });
    Ok(())
}

/// One office's approval, retried after `VERSION_CONFLICT` with the version read again.
async fn approve(ctx: &Ctx, office: &str, id: &str, mut version: i64) -> Result<Rel, Failure> {
    for _ in 0..APPROVAL_ATTEMPTS {
        match ctx
            .mutate(
                "approveRelease",
                office,
                APPROVE,
                json!({ "id": id, "v": version }),
            )
            .await
        {
            Ok(release) => return Ok(release),
            Err(failure) if failure.is_conflict() => {
                ctx.record(|t| t.conflicts += 1);
                let data = ctx
                    .graphql(
                        Side::Read,
                        "reread",
                        Some(office),
                        REREAD,
                        json!({ "id": id }),
                    )
                    .await?;
                version = data["release"]["version"].as_i64().ok_or_else(|| {
                    Failure::new(
                        "reread",
                        "release not visible to its office",
                        data.to_string(),
                    )
                })?;
            }
            Err(failure) => return Err(failure),
        }
    }
    Err(Failure::new(
        "approveRelease",
        "still VERSION_CONFLICT after retries",
        format!("release {id}, {APPROVAL_ATTEMPTS} attempts"),
    ))
}

/// A small deterministic generator (SplitMix64): each reader gets its own sequence.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// A reader's cursors.
#[derive(Default)]
struct ReaderState {
    list_after: Option<String>,
    list_pages: usize,
    changes_after: Option<String>,
}

/// Reader `r`: a weighted mix of reads until the end of the run.
async fn reader(ctx: Arc<Ctx>, r: usize) {
    let mut rng = Rng(0x5EED_0000 + r as u64);
    let mut state = ReaderState::default();
    while Instant::now() < ctx.run_end {
        let roll = rng.below(100);
        let outcome = match roll {
            0..=19 => read_page(&ctx, &mut rng).await,
            20..=29 => read_list(&ctx, &mut state).await,
            30..=41 => read_by_slug(&ctx, &mut rng).await,
            42..=49 => read_search(&ctx).await,
            50..=59 => probe(&ctx, &mut rng, false).await,
            60..=64 => probe(&ctx, &mut rng, true).await,
            65..=69 => read_changes(&ctx, &mut state).await,
            70..=74 => {
                let i = rng.below(ctx.seeded);
                ctx.get_ok("page html", &format!("/releases/bench-{i}"))
                    .await
                    .map(drop)
            }
            75..=79 => {
                let i = rng.below(ctx.seeded);
                read_ninjs(&ctx, i).await
            }
            80..=84 => read_feed(&ctx, &mut rng).await,
            85..=89 => {
                let d = rng.below(seed::DEPARTMENTS);
                ctx.get_ok(
                    "department html",
                    &format!("/departments/{}", seed::department_slug(d)),
                )
                .await
                .map(drop)
            }
            _ => read_embargoed(&ctx).await,
        };
        if let Err(failure) = outcome {
            ctx.error(failure);
        }
    }
}

/// The page of one department (the `read` scenario's query): full, with quotes and contacts.
async fn read_page(ctx: &Ctx, rng: &mut Rng) -> Result<(), Failure> {
    let department = seed::department_slug(rng.below(seed::DEPARTMENTS));
    let data = ctx
        .graphql(
            Side::Read,
            "page",
            Some(&ctx.integrator),
            PAGE_QUERY,
            json!({ "department": department }),
        )
        .await?;
    let nodes = data["releases"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let at_least = (ctx.seeded / seed::DEPARTMENTS).min(20);
    if nodes.len() < at_least || nodes.len() > 20 {
        return Err(Failure::new(
            "page",
            "wrong page size",
            format!(
                "{} nodes for {department}, expected {at_least} to 20",
                nodes.len()
            ),
        ));
    }
    for node in &nodes {
        let quotes = node["quotes"].as_array().map_or(0, Vec::len);
        let contacts = node["contacts"].as_array().map_or(0, Vec::len);
        if quotes != 2 || contacts != 1 || node["quotes"][1]["speaker"]["name"].is_null() {
            return Err(Failure::new(
                "page",
                "release without its quotes or contact",
                node.to_string(),
            ));
        }
    }
    Ok(())
}

/// The full public listing, followed page by page for up to five pages.
async fn read_list(ctx: &Ctx, state: &mut ReaderState) -> Result<(), Failure> {
    if state.list_pages >= 5 {
        state.list_after = None;
        state.list_pages = 0;
    }
    let data = ctx
        .graphql(
            Side::Read,
            "list",
            Some(&ctx.integrator),
            LIST,
            json!({ "after": state.list_after }),
        )
        .await?;
    let connection = &data["releases"];
    let nodes = connection["nodes"].as_array().cloned().unwrap_or_default();
    if let Some(node) = nodes.iter().find(|node| node["state"] != "PUBLISHED") {
        return Err(Failure::new(
            "list",
            "non-public release listed",
            node.to_string(),
        ));
    }
    if nodes.is_empty() && state.list_after.is_none() {
        return Err(Failure::new("list", "empty listing", data.to_string()));
    }
    if connection["pageInfo"]["hasNextPage"] == true {
        state.list_after = connection["pageInfo"]["endCursor"]
            .as_str()
            .map(str::to_owned);
        state.list_pages += 1;
    } else {
        state.list_after = None;
        state.list_pages = 0;
    }
    Ok(())
}

/// A seeded release by slug, anonymously: it must be there, published, with its content.
async fn read_by_slug(ctx: &Ctx, rng: &mut Rng) -> Result<(), Failure> {
    let slug = format!("bench-{}", rng.below(ctx.seeded));
    let data = ctx
        .graphql(Side::Read, "bySlug", None, BY_SLUG, json!({ "slug": slug }))
        .await?;
    let release = &data["releaseBySlug"];
    if release["state"] != "PUBLISHED" || release["body"].as_array().map_or(0, Vec::len) != 4 {
        return Err(Failure::new(
            "bySlug",
            "seeded release missing or incomplete",
            format!("{slug}: {release}"),
        ));
    }
    Ok(())
}

/// Full-text search for a word every release contains.
async fn read_search(ctx: &Ctx) -> Result<(), Failure> {
    let data = ctx
        .graphql(
            Side::Read,
            "search",
            Some(&ctx.integrator),
            SEARCH,
            json!({ "q": "kommunerna" }),
        )
        .await?;
    let nodes = data["releases"]["nodes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if nodes.is_empty() {
        return Err(Failure::new("search", "no hit", data.to_string()));
    }
    if let Some(node) = nodes.iter().find(|node| node["state"] != "PUBLISHED") {
        return Err(Failure::new(
            "search",
            "non-public release found",
            node.to_string(),
        ));
    }
    Ok(())
}

/// The change feed, followed from the beginning with a cursor.
async fn read_changes(ctx: &Ctx, state: &mut ReaderState) -> Result<(), Failure> {
    let data = ctx
        .graphql(
            Side::Read,
            "changes",
            None,
            CHANGES,
            json!({ "after": state.changes_after }),
        )
        .await?;
    if let Some(cursor) = data["changes"]["pageInfo"]["endCursor"].as_str() {
        state.changes_after = Some(cursor.to_owned());
    }
    Ok(())
}

/// A seeded release's ninjs document.
async fn read_ninjs(ctx: &Ctx, i: usize) -> Result<(), Failure> {
    let path = format!("/releases/bench-{i}.json");
    let body = ctx.get_ok("ninjs", &path).await?;
    let document: Value = serde_json::from_str(&body)
        .map_err(|error| Failure::new("ninjs", "not JSON", format!("{path}: {error}")))?;
    if !document.is_object() {
        return Err(Failure::new("ninjs", "not an object", path));
    }
    Ok(())
}

/// The Atom feed of every department, or of one.
async fn read_feed(ctx: &Ctx, rng: &mut Rng) -> Result<(), Failure> {
    let d = rng.below(seed::DEPARTMENTS + 1);
    let path = if d == seed::DEPARTMENTS {
        "/feeds/releases.atom".to_owned()
    } else {
        format!("/feeds/{}.atom", seed::department_slug(d))
    };
    let body = ctx.get_ok("feed", &path).await?;
    if !body.contains("<feed") {
        return Err(Failure::new("feed", "not an Atom feed", path));
    }
    Ok(())
}

/// What an accredited integrator sees as embargoed: nothing whose instant has passed.
async fn read_embargoed(ctx: &Ctx) -> Result<(), Failure> {
    let sent = now_micros();
    let data = ctx
        .graphql(
            Side::Read,
            "embargoed",
            Some(&ctx.accredited),
            EMBARGOED,
            json!({}),
        )
        .await?;
    for node in data["releases"]["nodes"].as_array().into_iter().flatten() {
        let instant = node["embargoUntil"].as_str().and_then(parse_instant);
        if node["state"] != "EMBARGOED" || instant.is_none_or(|instant| instant < sent) {
            return Err(Failure::new(
                "embargoed",
                "listed as EMBARGOED after its instant",
                format!("{node} (request sent at {})", format_instant(sent)),
            ));
        }
    }
    Ok(())
}

/// The embargo rule on one of the most recently scheduled releases, read by a plain integrator
/// over GraphQL or anonymously through its press page: hidden while the instant is ahead of the
/// request, public (and with `publishedAt = embargoUntil`) once it is behind the request.
async fn probe(ctx: &Ctx, rng: &mut Rng, html: bool) -> Result<(), Failure> {
    let target = {
        let scheduled = ctx.scheduled.lock().unwrap_or_else(PoisonError::into_inner);
        let from = scheduled.len().saturating_sub(PROBE_WINDOW);
        let window = &scheduled[from..];
        (!window.is_empty()).then(|| window[rng.below(window.len())].clone())
    };
    let Some(target) = target else {
        return read_by_slug(ctx, rng).await;
    };
    let op = if html { "probe html" } else { "probe" };
    let sent = now_micros();
    let visible = if html {
        let path = format!("/releases/{}", target.slug);
        match ctx.get(op, &path).await? {
            (200, _) => true,
            (404, _) => false,
            (status, body) => {
                return Err(Failure::new(
                    op,
                    format!("HTTP {status}"),
                    format!("{path}: {body}"),
                ));
            }
        }
    } else {
        let data = ctx
            .graphql(
                Side::Read,
                op,
                Some(&ctx.integrator),
                PROBE,
                json!({ "id": target.id }),
            )
            .await?;
        let release = &data["release"];
        if !release.is_null() {
            let published_at = release["publishedAt"].as_str().and_then(parse_instant);
            let embargo_until = release["embargoUntil"].as_str().and_then(parse_instant);
            if release["state"] != "PUBLISHED"
                || published_at != Some(target.instant)
                || embargo_until != Some(target.instant)
            {
                return Err(Failure::new(
                    op,
                    "public, but not PUBLISHED at its instant",
                    format!("{release}, instant {}", format_instant(target.instant)),
                ));
            }
        }
        !release.is_null()
    };
    let received = now_micros();
    ctx.record(|t| t.probes += 1);
    if visible && target.instant > received {
        ctx.record(|t| t.early_reads += 1);
        return Err(Failure::new(
            op,
            "visible before its instant",
            format!(
                "release {} instant {}, answer received {}",
                target.id,
                format_instant(target.instant),
                format_instant(received)
            ),
        ));
    }
    if !visible && target.instant < sent {
        ctx.record(|t| t.late_reads += 1);
        return Err(Failure::new(
            op,
            "hidden after its instant",
            format!(
                "release {} instant {}, request sent {}",
                target.id,
                format_instant(target.instant),
                format_instant(sent)
            ),
        ));
    }
    Ok(())
}

/// The last `n` lines of a process log.
fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// What the database says after the run.
#[derive(Debug, Default)]
struct Checked {
    /// Acknowledged writes without their audit entry.
    lost_acknowledged: u64,
    /// Acknowledged writes whose entry exists, but not at the place of their version.
    out_of_place: u64,
    /// Audit entries of the run's releases that no acknowledged write accounts for (writes that
    /// committed although the client saw them fail), besides the schedulers'.
    unacknowledged: u64,
    /// Scheduled releases not PUBLISHED after the grace period.
    unpublished: u64,
    /// Published releases without a `release.published` outbox event.
    missing_events: u64,
    /// Published releases without a publication audit entry.
    unaudited_publications: u64,
    /// Releases whose stored version is behind one the client saw.
    stale_versions: u64,
    /// Releases with more than one publication audit entry or outbox event.
    double_publications: u64,
    /// Published releases whose `publishedAt` or `embargoUntil` is not the instant scheduled.
    wrong_published_at: u64,
    /// `refusePublication` entries written during the run.
    refused: u64,
    /// Scheduled releases that are PUBLISHED.
    published: u64,
    /// `lateMs` of every `scheduledPublish` entry of the run.
    late_ms: Vec<f64>,
    /// Audit entries written since the run began (directory and tokens excluded).
    entries_written: u64,
    /// A few examples of what went wrong, for the notes.
    examples: Vec<String>,
}

impl Checked {
    fn lost_writes(&self) -> u64 {
        self.lost_acknowledged
            + self.unpublished
            + self.missing_events
            + self.unaudited_publications
            + self.stale_versions
    }

    fn example(&mut self, text: String) {
        if self.examples.len() < 8 {
            self.examples.push(text);
        }
    }
}

/// One audit entry of the run.
#[derive(Debug, Clone)]
struct Entry {
    action: String,
    release_id: Option<String>,
    to_state: Option<String>,
    revision: Option<i32>,
    details: String,
}

/// The stored row of one of the run's releases.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    state: String,
    version: i32,
    embargo_until: Option<i64>,
    published_at: Option<i64>,
}

/// What the database holds after the run.
#[derive(Debug, Default)]
struct Facts {
    /// Audit entries written since the run began, in chain order.
    entries: Vec<Entry>,
    /// The rows of the releases the run created.
    rows: Vec<Row>,
    /// The release id of every `release.published` outbox event.
    published_events: Vec<String>,
}

/// Reads the [`Facts`] directly from the database.
async fn read_facts(store: &Store, start_seq: i64) -> anyhow::Result<Facts> {
    type AuditRow = (
        i64,
        String,
        Option<String>,
        Option<String>,
        Option<i32>,
        String,
    );
    let audit: Vec<AuditRow> = audit_log::Entity::find()
        .select_only()
        .columns([
            audit_log::Column::Seq,
            audit_log::Column::Action,
            audit_log::Column::ReleaseId,
            audit_log::Column::ToState,
            audit_log::Column::Revision,
            audit_log::Column::Details,
        ])
        .filter(audit_log::Column::Seq.gt(start_seq))
        .order_by_asc(audit_log::Column::Seq)
        .into_tuple()
        .all(store.connection())
        .await?;
    type ReleaseRow = (String, String, i32, Option<i64>, Option<i64>);
    let rows: Vec<ReleaseRow> = releases::Entity::find()
        .select_only()
        .columns([
            releases::Column::Id,
            releases::Column::State,
            releases::Column::Version,
            releases::Column::EmbargoUntil,
            releases::Column::PublishedAt,
        ])
        .filter(releases::Column::CreatedBy.ne(seed::ACTOR))
        .into_tuple()
        .all(store.connection())
        .await?;
    let published_events: Vec<String> = outbox::Entity::find()
        .select_only()
        .column(outbox::Column::ReleaseId)
        .filter(outbox::Column::Event.eq("release.published"))
        .into_tuple()
        .all(store.connection())
        .await?;
    Ok(Facts {
        entries: audit
            .into_iter()
            .map(
                |(_, action, release_id, to_state, revision, details)| Entry {
                    action,
                    release_id,
                    to_state,
                    revision,
                    details,
                },
            )
            .collect(),
        rows: rows
            .into_iter()
            .map(|(id, state, version, embargo_until, published_at)| Row {
                id,
                state,
                version,
                embargo_until,
                published_at,
            })
            .collect(),
        published_events,
    })
}

/// Checks the facts against what the client saw: its acknowledged writes and its schedules.
fn evaluate(facts: &Facts, acks: &[Ack], scheduled: &[Scheduled]) -> Checked {
    let mut checked = Checked {
        entries_written: facts.entries.len() as u64,
        ..Checked::default()
    };
    let mut entries: HashMap<&str, Vec<&Entry>> = HashMap::new();
    for entry in &facts.entries {
        if entry.action == "refusePublication" {
            checked.refused += 1;
        }
        if let Some(release_id) = &entry.release_id {
            entries.entry(release_id.as_str()).or_default().push(entry);
        }
    }

    // Every acknowledged write has its entry; the k-th entry of a release is its version k.
    let mut used: HashSet<(&str, usize)> = HashSet::new();
    let matches = |entry: &Entry, ack: &Ack| {
        entry.action == ack.action
            && entry.to_state.as_deref() == Some(ack.to_state.as_str())
            && entry.revision.map(i64::from) == Some(ack.revision)
    };
    let no_entries = Vec::new();
    for ack in acks {
        let id = ack.release_id.as_str();
        let list = entries.get(id).unwrap_or(&no_entries);
        if let Ok(place) = usize::try_from(ack.version - 1)
            && list.get(place).is_some_and(|entry| matches(entry, ack))
            && used.insert((id, place))
        {
            continue;
        }
        let elsewhere = list
            .iter()
            .enumerate()
            .position(|(i, entry)| matches(entry, ack) && !used.contains(&(id, i)));
        match elsewhere {
            Some(i) => {
                used.insert((id, i));
                checked.out_of_place += 1;
            }
            None => {
                checked.lost_acknowledged += 1;
                checked.example(format!(
                    "acknowledged {} of release {id} (version {}, {}) has no audit entry",
                    ack.action, ack.version, ack.to_state
                ));
            }
        }
    }
    let ours: HashSet<&str> = acks.iter().map(|ack| ack.release_id.as_str()).collect();
    for id in &ours {
        if let Some(list) = entries.get(id) {
            checked.unacknowledged += list
                .iter()
                .enumerate()
                .filter(|(i, entry)| {
                    !used.contains(&(*id, *i)) && entry.action != "scheduledPublish"
                })
                .count() as u64;
        }
    }

    // No stored version is behind one the client saw.
    let stored: HashMap<&str, &Row> = facts
        .rows
        .iter()
        .map(|row| (row.id.as_str(), row))
        .collect();
    let mut acked_version: BTreeMap<&str, i64> = BTreeMap::new();
    for ack in acks {
        let version = acked_version.entry(ack.release_id.as_str()).or_default();
        *version = (*version).max(ack.version);
    }
    for (id, version) in &acked_version {
        let current = stored.get(id).map_or(0, |row| i64::from(row.version));
        if current < *version {
            checked.stale_versions += 1;
            checked.example(format!(
                "release {id} is stored at version {current}, the client saw {version}"
            ));
        }
    }

    // Every scheduled release is published once, at its instant, audited, with its event.
    let mut event_count: HashMap<&str, u64> = HashMap::new();
    for id in &facts.published_events {
        *event_count.entry(id.as_str()).or_default() += 1;
    }
    for target in scheduled {
        let id = target.id.as_str();
        let list = entries.get(id).unwrap_or(&no_entries);
        let publications: Vec<&&Entry> = list
            .iter()
            .filter(|entry| entry.action == "scheduledPublish" || entry.action == "publishNow")
            .collect();
        for entry in &publications {
            if entry.action == "scheduledPublish"
                && let Ok(details) = serde_json::from_str::<Value>(&entry.details)
                && let Some(late) = details["lateMs"].as_f64()
            {
                checked.late_ms.push(late);
            }
        }
        let events = event_count.get(id).copied().unwrap_or_default();
        if publications.len() > 1 || events > 1 {
            checked.double_publications += 1;
            checked.example(format!(
                "release {id} has {} publication entries and {events} release.published events",
                publications.len()
            ));
        }
        let Some(row) = stored.get(id) else {
            checked.unpublished += 1;
            checked.example(format!("scheduled release {id} has no row"));
            continue;
        };
        if row.state != "PUBLISHED" {
            checked.unpublished += 1;
            checked.example(format!(
                "release {id} is {}, instant {}",
                row.state,
                format_instant(target.instant)
            ));
            continue;
        }
        checked.published += 1;
        if row.published_at != Some(target.instant) || row.embargo_until != Some(target.instant) {
            checked.wrong_published_at += 1;
            checked.example(format!(
                "release {id} scheduled for {} was published at {:?} (embargoUntil {:?})",
                format_instant(target.instant),
                row.published_at.map(format_instant),
                row.embargo_until.map(format_instant)
            ));
        }
        if publications.is_empty() {
            checked.unaudited_publications += 1;
            checked.example(format!(
                "release {id} is PUBLISHED without a publication audit entry"
            ));
        }
        if events == 0 {
            checked.missing_events += 1;
            checked.example(format!(
                "release {id} is PUBLISHED without a release.published event"
            ));
        }
    }
    checked
}

/// How many of the run's releases are PUBLISHED.
async fn published_count(store: &Store) -> anyhow::Result<u64> {
    Ok(releases::Entity::find()
        .filter(releases::Column::CreatedBy.ne(seed::ACTOR))
        .filter(releases::Column::State.eq("PUBLISHED"))
        .count(store.connection())
        .await?)
}

/// `pressroom_scheduler_publications_total` of the server (its embedded scheduler's count).
async fn embedded_publications(http: &reqwest::Client, base_url: &str) -> Option<f64> {
    let text = http
        .get(format!("{base_url}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    text.lines().find_map(|line| {
        line.strip_prefix("pressroom_scheduler_publications_total ")
            .and_then(|value| value.trim().parse().ok())
    })
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
                seed::ACTOR,
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
                seed::ACTOR,
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
                        seed::ACTOR,
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
            seed::ACTOR,
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
            seed::ACTOR,
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

    let mut server = Process::serve_everything(env, &db.url, &[]).await?;
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
    let embedded = embedded_publications(&http, &ctx.base_url).await;
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
    let (chain_ok, chain_entries, chain_note) =
        match run_cli(env, &db.url, &["audit", "verify"]).await {
            Ok(run) => {
                let entries = run
                    .stdout
                    .lines()
                    .last()
                    .and_then(|line| line.trim().strip_prefix("ok: "))
                    .and_then(|rest| rest.split_whitespace().next())
                    .and_then(|n| n.parse::<f64>().ok());
                match entries {
                    Some(entries) => (true, entries, None),
                    None => (
                        false,
                        f64::NAN,
                        Some(format!("unexpected audit verify output: {}", run.stdout)),
                    ),
                }
            }
            Err(error) => (false, f64::NAN, Some(format!("{error:#}"))),
        };

    let errors: u64 = tally.errors.values().map(|(n, _)| n).sum();
    let all_ms: Vec<f64> = tally
        .read_ms
        .iter()
        .chain(&tally.write_ms)
        .copied()
        .collect();
    let requests = all_ms.len() as f64;
    let published = checked.published as f64;
    let mut report = Report::new("load");
    report
        .param("backend", env.backend.name())
        .param("seconds", args.seconds)
        .param("writers", args.writers)
        .param("readers", args.readers)
        .param("releases", args.releases)
        .metric("duration_seconds", "load seconds", duration)
        .metric("requests", "requests", requests)
        .metric("rps", "requests/s", requests / duration)
        .metric("p50_ms", "latency p50 ms", percentile(&all_ms, 50.0))
        .metric("p99_ms", "latency p99 ms", percentile(&all_ms, 99.0))
        .metric("max_ms", "latency max ms", max(&all_ms))
        .metric("read_requests", "reads", tally.read_ms.len() as f64)
        .metric(
            "read_p50_ms",
            "read latency p50 ms",
            percentile(&tally.read_ms, 50.0),
        )
        .metric(
            "read_p99_ms",
            "read latency p99 ms",
            percentile(&tally.read_ms, 99.0),
        )
        .metric("read_max_ms", "read latency max ms", max(&tally.read_ms))
        .metric("write_requests", "writes", tally.write_ms.len() as f64)
        .metric(
            "write_p50_ms",
            "write latency p50 ms",
            percentile(&tally.write_ms, 50.0),
        )
        .metric(
            "write_p99_ms",
            "write latency p99 ms",
            percentile(&tally.write_ms, 99.0),
        )
        .metric("write_max_ms", "write latency max ms", max(&tally.write_ms))
        .metric("errors", "errors", errors as f64)
        .metric(
            "conflicts",
            "expected VERSION_CONFLICTs (retried)",
            tally.conflicts as f64,
        )
        .metric("probes", "embargo probes", tally.probes as f64)
        .metric(
            "early_reads",
            "probes public before the instant",
            tally.early_reads as f64,
        )
        .metric(
            "late_reads",
            "probes hidden after the instant",
            tally.late_reads as f64,
        )
        .metric("releases_started", "releases started", tally.cycles as f64)
        .metric("scheduled", "releases scheduled", scheduled.len() as f64)
        .metric("published", "scheduled releases published", published)
        .metric(
            "published_by_embedded",
            "… by the server's embedded scheduler",
            embedded.unwrap_or(f64::NAN),
        )
        .metric(
            "published_by_standalone",
            "… by the separate scheduler process",
            embedded.map_or(f64::NAN, |embedded| published - embedded),
        )
        .metric(
            "acknowledged_writes",
            "writes acknowledged",
            tally.acks.len() as f64,
        )
        .metric("lost_writes", "lost writes", checked.lost_writes() as f64)
        .metric(
            "lost_acknowledged",
            "… acknowledged without audit entry",
            checked.lost_acknowledged as f64,
        )
        .metric(
            "unpublished",
            "… scheduled, not published",
            checked.unpublished as f64,
        )
        .metric(
            "missing_events",
            "… published without outbox event",
            checked.missing_events as f64,
        )
        .metric(
            "unaudited_publications",
            "… published without audit entry",
            checked.unaudited_publications as f64,
        )
        .metric(
            "stale_versions",
            "… stored version behind the client's",
            checked.stale_versions as f64,
        )
        .metric(
            "double_publications",
            "double publications",
            checked.double_publications as f64,
        )
        .metric(
            "wrong_published_at",
            "publishedAt not the instant",
            checked.wrong_published_at as f64,
        )
        .metric(
            "refused",
            "publications refused by a scheduler",
            checked.refused as f64,
        )
        .metric(
            "out_of_place",
            "audit entries not at their version's place",
            checked.out_of_place as f64,
        )
        .metric(
            "unacknowledged_entries",
            "audit entries of writes the client saw fail",
            checked.unacknowledged as f64,
        )
        .metric(
            "publish_late_p50_ms",
            "scheduler lateMs p50",
            percentile(&checked.late_ms, 50.0),
        )
        .metric(
            "publish_late_p99_ms",
            "scheduler lateMs p99",
            percentile(&checked.late_ms, 99.0),
        )
        .metric(
            "publish_late_max_ms",
            "scheduler lateMs max",
            max(&checked.late_ms),
        )
        .metric(
            "audit_entries_written",
            "audit entries written in the run",
            checked.entries_written as f64,
        )
        .metric(
            "audit_chain_ok",
            "audit verify: chain intact (1/0)",
            if chain_ok { 1.0 } else { 0.0 },
        )
        .metric("audit_entries", "audit verify: entries", chain_entries)
        .metric("server_peak_rss_mib", "server peak RSS MiB", peak_rss);

    let mut kinds: Vec<(&String, &(u64, String))> = tally.errors.iter().collect();
    kinds.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
    for (kind, (count, example)) in kinds.iter().take(10) {
        report.note(format!("{count} × {kind}; first: {example}"));
    }
    if kinds.len() > 10 {
        report.note(format!("… and {} more kinds of error", kinds.len() - 10));
    }
    for example in &checked.examples {
        report.note(example.clone());
    }
    if let Some(note) = chain_note {
        report.note(format!("audit verify failed: {}", snippet(&note)));
    }
    if errors > 0 || checked.lost_writes() > 0 || checked.double_publications > 0 {
        report.note(format!("server log (tail):\n{}", tail(&server_log, 30)));
        report.note(format!(
            "scheduler log (tail):\n{}",
            tail(&scheduler_log, 15)
        ));
    }
    report.note(
        "latency is per HTTP request, measured by the client on the same machine; \
         writes are the mutations, reads everything else",
    );
    Ok(report)
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
    fn the_generator_stays_below_its_bound_and_varies() {
        let mut rng = Rng(1);
        let draws: Vec<usize> = (0..1000).map(|_| rng.below(7)).collect();
        assert!(draws.iter().all(|&d| d < 7));
        for value in 0..7 {
            assert!(draws.contains(&value), "{value} never drawn");
        }
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

    /// One release's clean history: six acknowledged writes, then the scheduler's publication.
    fn history() -> (Facts, Vec<Ack>, Vec<Scheduled>) {
        let instant = 1_780_000_000_000_000;
        let steps = [
            ("createRelease", "DRAFT", 1),
            ("updateRelease", "DRAFT", 2),
            ("submitForReview", "IN_REVIEW", 2),
            ("approveRelease", "IN_REVIEW", 2),
            ("approveRelease", "APPROVED", 2),
            ("scheduleRelease", "EMBARGOED", 2),
        ];
        let entry = |action: &str, to_state: &str, revision: i32, details: &str| Entry {
            action: action.into(),
            release_id: Some("r1".into()),
            to_state: Some(to_state.into()),
            revision: Some(revision),
            details: details.into(),
        };
        let mut entries: Vec<Entry> = steps
            .iter()
            .map(|&(action, state, revision)| entry(action, state, revision, "{}"))
            .collect();
        entries.push(entry("scheduledPublish", "PUBLISHED", 2, r#"{"lateMs":3}"#));
        let acks = steps
            .iter()
            .enumerate()
            .map(|(i, &(action, state, revision))| Ack {
                release_id: "r1".into(),
                action,
                to_state: state.into(),
                revision: revision.into(),
                version: i as i64 + 1,
            })
            .collect();
        let facts = Facts {
            entries,
            rows: vec![Row {
                id: "r1".into(),
                state: "PUBLISHED".into(),
                version: 7,
                embargo_until: Some(instant),
                published_at: Some(instant),
            }],
            published_events: vec!["r1".into()],
        };
        let scheduled = vec![Scheduled {
            id: "r1".into(),
            slug: "r1".into(),
            instant,
        }];
        (facts, acks, scheduled)
    }

    #[test]
    fn a_clean_history_has_nothing_lost() {
        let (facts, acks, scheduled) = history();
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(checked.lost_writes(), 0, "{checked:?}");
        assert_eq!(
            (checked.double_publications, checked.wrong_published_at),
            (0, 0)
        );
        assert_eq!((checked.out_of_place, checked.unacknowledged), (0, 0));
        assert_eq!((checked.published, checked.entries_written), (1, 7));
        assert_eq!(checked.late_ms, vec![3.0]);
    }

    #[test]
    fn an_acknowledged_write_without_its_audit_entry_is_lost() {
        let (mut facts, acks, scheduled) = history();
        facts.entries.remove(3);
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(checked.lost_acknowledged, 1, "{checked:?}");
        assert_eq!(checked.lost_writes(), 1);
        // The later entries moved up one place: still found, but not where their version says.
        assert_eq!(checked.out_of_place, 2);
    }

    #[test]
    fn a_second_publication_or_event_is_a_double_publication() {
        let (mut facts, acks, scheduled) = history();
        facts.published_events.push("r1".into());
        assert_eq!(evaluate(&facts, &acks, &scheduled).double_publications, 1);
        let (mut facts, acks, scheduled) = history();
        let again = facts.entries[6].clone();
        facts.entries.push(again);
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(checked.double_publications, 1, "{checked:?}");
        assert_eq!(checked.lost_writes(), 0);
    }

    #[test]
    fn unpublished_late_stale_and_unannounced_releases_are_counted() {
        let (mut facts, acks, scheduled) = history();
        facts.rows[0].state = "EMBARGOED".into();
        facts.entries.pop();
        facts.published_events.clear();
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(
            (checked.unpublished, checked.published),
            (1, 0),
            "{checked:?}"
        );

        let (mut facts, acks, scheduled) = history();
        facts.rows[0].published_at = facts.rows[0].published_at.map(|at| at + 1);
        assert_eq!(evaluate(&facts, &acks, &scheduled).wrong_published_at, 1);

        let (mut facts, acks, scheduled) = history();
        facts.rows[0].version = 5;
        assert_eq!(evaluate(&facts, &acks, &scheduled).stale_versions, 1);

        let (mut facts, acks, scheduled) = history();
        facts.published_events.clear();
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(checked.missing_events, 1);
        assert_eq!(checked.lost_writes(), 1);

        let (mut facts, acks, scheduled) = history();
        facts.entries.pop();
        let checked = evaluate(&facts, &acks, &scheduled);
        assert_eq!(checked.unaudited_publications, 1, "{checked:?}");
    }

    #[test]
    fn release_input_quotes_the_minister_and_a_colleague() {
        let staff = Staff {
            department: "departement-0".into(),
            people: vec!["m".into(), "a".into(), "b".into()],
            drafter: String::new(),
            editor: String::new(),
            offices: Vec::new(),
        };
        let input = release_input(&staff, 1, 2, 2, false);
        assert_eq!(input["body"][1]["quote"]["speakerId"], "m");
        assert_eq!(input["body"][3]["quote"]["speakerId"], "b");
        assert_eq!(input["responsibleMinisterId"], "m");
        let edited = release_input(&staff, 1, 2, 2, true);
        assert_ne!(input["lead"], edited["lead"]);
        assert_eq!(input["title"], edited["title"]);
    }
}
