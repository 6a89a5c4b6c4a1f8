//! The read scenarios: a page of 20 published releases of one department over GraphQL against
//! the same data fetched with raw SQL, and the server's memory before and under that load.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use pressroom_domain::lifecycle::State;
use pressroom_domain::visibility::Role;
use pressroom_storage::Store;
use pressroom_storage::directory::TokenGrant;
use sea_orm::sqlx::{self, Row};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::report::{Report, max, percentile};
use crate::seed::{self, Seeded};
use crate::setup::{BackendKind, BenchDb, Env, Process, memory_of};

/// The page every read asks for: what a department's press page shows (the fields a listing
/// renders, quotes with their speakers and the press contacts).
pub const PAGE_QUERY: &str = "query Page($department: String!) {
  releases(first: 20, filter: {department: $department, states: [PUBLISHED]}) {
    nodes {
      id slug title lead publishedAt
      department { slug name }
      responsibleMinister { id name title }
      quotes { text speaker { id name title } }
      contacts { name role phone mobile email }
    }
    pageInfo { hasNextPage endCursor }
  }
}";

/// One release by id with the same nested fields as the page (the issue's query (a)).
pub const RELEASE_QUERY: &str = "query One($id: ID!) {
  release(id: $id) {
    id slug title lead publishedAt
    department { slug name }
    responsibleMinister { id name title }
    quotes { text speaker { id name title } }
    contacts { name role phone mobile email }
  }
}";

/// The raw-SQL twin of the page, as an application without GraphQL would write it: the page
/// with its department in one statement (the same visibility and state rule: published, or
/// embargoed with the instant passed), then the people it names in a second. The department is
/// found by a scalar subquery rather than by filtering the join on its slug: with the join
/// filter PostgreSQL 15 plans a bitmap scan of the whole department and a sort (5.7 ms at
/// 10,000 releases) instead of the backward index scan that stops after 20 rows (0.2 ms).
const RAW_PAGE_POSTGRES: &str = "SELECT r.id, r.slug, r.title, r.lead, r.content, r.published_at, \
    r.embargo_until, d.slug, d.name FROM releases r JOIN departments d ON d.id = r.department_id \
    WHERE r.department_id = (SELECT id FROM departments WHERE slug = $1) \
    AND (r.state = 'PUBLISHED' OR (r.state = 'EMBARGOED' AND r.embargo_until <= $2)) \
    ORDER BY r.sort_at DESC, r.id DESC LIMIT 20";
const RAW_PEOPLE_POSTGRES: &str =
    "SELECT id, name, title, department_id FROM people WHERE id = ANY($1)";
const RAW_RELEASE_POSTGRES: &str = "SELECT r.id, r.slug, r.title, r.lead, r.content, \
    r.published_at, r.embargo_until, d.slug, d.name FROM releases r \
    JOIN departments d ON d.id = r.department_id WHERE r.id = $1 \
    AND (r.state = 'PUBLISHED' OR (r.state = 'EMBARGOED' AND r.embargo_until <= $2))";
const RAW_RELEASE_SQLITE: &str = "SELECT r.id, r.slug, r.title, r.lead, r.content, \
    r.published_at, r.embargo_until, d.slug, d.name FROM releases r \
    JOIN departments d ON d.id = r.department_id WHERE r.id = ?1 \
    AND (r.state = 'PUBLISHED' OR (r.state = 'EMBARGOED' AND r.embargo_until <= ?2))";
const RAW_PAGE_SQLITE: &str = "SELECT r.id, r.slug, r.title, r.lead, r.content, r.published_at, \
    r.embargo_until, d.slug, d.name FROM releases r JOIN departments d ON d.id = r.department_id \
    WHERE r.department_id = (SELECT id FROM departments WHERE slug = ?1) \
    AND (r.state = 'PUBLISHED' OR (r.state = 'EMBARGOED' AND r.embargo_until <= ?2)) \
    ORDER BY r.sort_at DESC, r.id DESC LIMIT 20";

/// Options of the read scenarios.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadArgs {
    /// Published releases in the database (2 quotes and 1 contact each, across 10 departments).
    #[arg(long, default_value_t = 100_000)]
    pub releases: usize,
    /// Concurrent connections (GraphQL clients, and raw-SQL pool connections).
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Seconds measured per phase (GraphQL, raw SQL, pgbench).
    #[arg(long, default_value_t = 20.0)]
    pub seconds: f64,
    /// Seconds of unmeasured load before each measured phase.
    #[arg(long, default_value_t = 2.0)]
    pub warmup_seconds: f64,
    /// Seconds the idle server is left alone before its memory is read.
    #[arg(long, default_value_t = 2.0)]
    pub settle_seconds: f64,
    /// Skip the pgbench phase on PostgreSQL (it runs when `pgbench` is on the PATH).
    #[arg(long)]
    pub no_pgbench: bool,
    /// What each request reads: `page` (the first 20 published releases of a department) or
    /// `release` (one release by id); both with quotes, speakers and contacts.
    #[arg(long, value_enum, default_value_t = Shape::Page)]
    pub query: Shape,
    /// A different target on every request: a department drawn at random (`page`), or the
    /// releases in a shuffled order, each once (`release`: every request is a cache miss).
    /// Without it every request asks for the same one.
    #[arg(long)]
    pub vary: bool,
    /// The server's response cache: `on` (its default size) or `off`
    /// (`--response-cache-entries 0`).
    #[arg(long, value_enum, default_value_t = CacheMode::On)]
    pub cache: CacheMode,
    /// Alias the root field to its own name (`releases: releases(…)`): the same answer, byte
    /// for byte, but the compiled read path declines aliases, so the resolver engine answers.
    /// The engine's figure for the same load, for comparison.
    #[arg(long)]
    pub engine: bool,
}

/// What a read request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Shape {
    /// The first 20 published releases of a department.
    Page,
    /// One release by id.
    Release,
}

/// The server's response cache during the GraphQL phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CacheMode {
    /// The server's default.
    On,
    /// `--response-cache-entries 0`.
    Off,
}

impl Shape {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Release => "release",
        }
    }
}

impl CacheMode {
    fn name(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Off => "off",
        }
    }
}

/// One request's target.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// A department's first page, and how many releases it must hold.
    Page {
        department: String,
        expected: usize,
        engine: bool,
    },
    /// A release by id.
    Release { id: String, engine: bool },
}

/// `query` with its root field aliased to its own name (see `--engine`).
fn aliased(query: &str, field: &str) -> String {
    query.replacen(&format!("  {field}("), &format!("  {field}: {field}("), 1)
}

impl Target {
    /// The JSON body of the GraphQL request.
    pub(crate) fn body(&self) -> String {
        match self {
            Self::Page {
                department,
                engine: false,
                ..
            } => page_body(department),
            Self::Page {
                department,
                engine: true,
                ..
            } => json!({
                "query": aliased(PAGE_QUERY, "releases"),
                "variables": { "department": department }
            })
            .to_string(),
            Self::Release { id, engine } => {
                let query = if *engine {
                    aliased(RELEASE_QUERY, "release")
                } else {
                    RELEASE_QUERY.to_owned()
                };
                json!({ "query": query, "variables": { "id": id } }).to_string()
            }
        }
    }

    /// Checks the GraphQL response.
    pub(crate) fn check(&self, bytes: &[u8]) -> anyhow::Result<()> {
        match self {
            Self::Page { expected, .. } => check_page(bytes, *expected),
            Self::Release { .. } => check_release(bytes),
        }
    }
}

/// Chooses each request's target (see `--query` and `--vary`).
pub(crate) struct Picker {
    shape: Shape,
    vary: bool,
    engine: bool,
    /// Department slugs with the size of their first page.
    departments: Vec<(String, usize)>,
    /// Release ids, shuffled.
    ids: Vec<String>,
    next: AtomicU64,
}

/// SplitMix64: a fixed, well-spread sequence, so that runs are repeatable.
fn mix(n: u64) -> u64 {
    let mut z = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Picker {
    pub(crate) async fn new(read: &ReadDb, args: &ReadArgs) -> anyhow::Result<Self> {
        let departments = (0..seed::DEPARTMENTS)
            .map(|d| {
                let in_department = (args.releases + seed::DEPARTMENTS - 1 - d) / seed::DEPARTMENTS;
                (seed::department_slug(d), in_department.min(20))
            })
            .collect();
        let mut ids = Vec::new();
        if args.query == Shape::Release {
            use pressroom_storage::entity::releases as releases_table;
            use sea_orm::{EntityTrait, QueryOrder, QuerySelect};
            let store = Store::connect(&read.db.url).await?;
            ids = releases_table::Entity::find()
                .select_only()
                .column(releases_table::Column::Id)
                .order_by_asc(releases_table::Column::Id)
                .into_tuple::<String>()
                .all(store.connection())
                .await?;
            store.connection().clone().close().await?;
            // Fisher-Yates with a fixed sequence.
            for i in (1..ids.len()).rev() {
                let j = (mix(i as u64) % (i as u64 + 1)) as usize;
                ids.swap(i, j);
            }
            if ids.is_empty() {
                bail!("no release to read");
            }
        }
        Ok(Self {
            shape: args.query,
            vary: args.vary,
            engine: args.engine,
            departments,
            ids,
            next: AtomicU64::new(0),
        })
    }

    /// The next request's target.
    pub(crate) fn next(&self) -> Target {
        let n = if self.vary {
            self.next.fetch_add(1, Ordering::Relaxed)
        } else {
            0
        };
        match self.shape {
            Shape::Page => {
                let (department, expected) =
                    &self.departments[(mix(n) % self.departments.len() as u64) as usize];
                Target::Page {
                    department: department.clone(),
                    expected: *expected,
                    engine: self.engine,
                }
            }
            Shape::Release => Target::Release {
                id: self.ids[(n % self.ids.len() as u64) as usize].clone(),
                engine: self.engine,
            },
        }
    }
}

/// A database seeded for reading, and what reading it needs.
pub(crate) struct ReadDb {
    pub(crate) db: BenchDb,
    pub(crate) token: String,
    pub(crate) department: String,
    pub(crate) expected_nodes: usize,
    seed_seconds: Option<f64>,
}

/// Seeds (or reuses) the read database and makes an integrator token for the reader.
pub(crate) async fn prepare(env: &Env, releases: usize) -> anyhow::Result<ReadDb> {
    if releases == 0 {
        bail!("--releases must be at least 1");
    }
    let (db, existed) = env.persistent_db(&format!("read_{releases}")).await?;
    let mut store = None;
    if existed {
        crate::setup::run_cli(env, &db.url, &["migrate"]).await?;
        let existing = Store::connect(&db.url).await?;
        if is_seeded(&existing, releases).await? {
            seed::vacuum_analyze(&existing).await?;
            store = Some(existing);
        } else {
            eprintln!("the read database holds other data; seeding it afresh");
            existing.connection().clone().close().await?;
            env.reset_db(&db).await?;
        }
    }
    let mut seed_seconds = None;
    let store = match store {
        Some(store) => {
            eprintln!("reusing the seeded database ({releases} releases)");
            store
        }
        None => {
            let started = Instant::now();
            crate::setup::run_cli(env, &db.url, &["migrate"]).await?;
            let store = Store::connect(&db.url).await?;
            let directory = seed::directory(&store).await?;
            let newest = Utc::now().timestamp_micros() - 3_600_000_000;
            eprintln!("seeding {releases} published releases…");
            seed::insert_releases(&store, &directory, 0..releases, |i| Seeded::Published {
                at: newest - i as i64 * 60_000_000,
            })
            .await?;
            seed::vacuum_analyze(&store).await?;
            let seconds = started.elapsed().as_secs_f64();
            eprintln!("seeded in {seconds:.1} s");
            seed_seconds = Some(seconds);
            store
        }
    };
    let token = store
        .create_token(
            &seed::actor(),
            TokenGrant {
                user_name: "bench-reader".into(),
                role: Role::Integrator,
                department: None,
                person_id: None,
                embargo_access: false,
                expires_at: Some(Utc::now() + chrono::Duration::days(1)),
            },
        )
        .await?
        .token;
    store.connection().clone().close().await?;
    let in_department = releases.div_ceil(seed::DEPARTMENTS);
    Ok(ReadDb {
        db,
        token,
        department: seed::department_slug(0),
        expected_nodes: in_department.min(20),
        seed_seconds,
    })
}

async fn is_seeded(store: &Store, releases: usize) -> anyhow::Result<bool> {
    use pressroom_storage::entity::{departments, releases as releases_table};
    use sea_orm::{EntityTrait, PaginatorTrait};
    let total = releases_table::Entity::find()
        .count(store.connection())
        .await?;
    let published = seed::count_in_state(store, State::Published).await?;
    let departments = departments::Entity::find()
        .count(store.connection())
        .await?;
    Ok(total == releases as u64
        && published == releases as u64
        && departments == seed::DEPARTMENTS as u64)
}

/// The JSON body of one page request.
pub(crate) fn page_body(department: &str) -> String {
    json!({ "query": PAGE_QUERY, "variables": { "department": department } }).to_string()
}

/// A GraphQL answer as the checks read it: typed, so that checking does not build a
/// `serde_json::Value` of every 15 KB page on the machine being measured; other fields are
/// skipped (still parsed, so the body must be valid JSON).
#[derive(serde::Deserialize)]
struct Answer<T> {
    data: Option<T>,
    errors: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct PageData {
    releases: Connection,
}

#[derive(serde::Deserialize)]
struct Connection {
    nodes: Vec<Node>,
}

#[derive(serde::Deserialize)]
struct ReleaseData {
    release: Option<Node>,
}

#[derive(serde::Deserialize)]
struct Node {
    quotes: Vec<Quote>,
    contacts: Vec<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct Quote {
    speaker: Option<Speaker>,
}

#[derive(serde::Deserialize)]
struct Speaker {
    name: Option<serde::de::IgnoredAny>,
}

impl Node {
    /// The seeded shape: 2 quotes, the second with a named speaker, and 1 contact.
    fn is_complete(&self) -> bool {
        self.quotes.len() == 2
            && self.contacts.len() == 1
            && self.quotes[1]
                .speaker
                .as_ref()
                .is_some_and(|s| s.name.is_some())
    }
}

/// The answer's data, or why not: errors (quoted from the body) or no data.
fn answer_data<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> anyhow::Result<T> {
    let answer: Answer<T> = serde_json::from_slice(bytes)
        .with_context(|| format!("unexpected response: {}", String::from_utf8_lossy(bytes)))?;
    if answer.errors.is_some() {
        bail!(
            "the response has errors: {}",
            String::from_utf8_lossy(bytes)
        );
    }
    answer.data.context("the response has no data")
}

/// Checks a GraphQL response: no errors, and a page of the expected size whose releases have
/// their 2 quotes with speakers and 1 contact.
pub(crate) fn check_page(bytes: &[u8], expected_nodes: usize) -> anyhow::Result<()> {
    let nodes = answer_data::<PageData>(bytes)?.releases.nodes;
    if nodes.len() != expected_nodes {
        bail!("{} nodes instead of {expected_nodes}", nodes.len());
    }
    if !nodes.iter().all(Node::is_complete) {
        bail!(
            "a release came back without its 2 quotes with speakers and 1 contact: {}",
            String::from_utf8_lossy(bytes)
        );
    }
    Ok(())
}

/// Checks a `release` response: no errors, the release with its 2 quotes with speakers and 1
/// contact.
pub(crate) fn check_release(bytes: &[u8]) -> anyhow::Result<()> {
    let release = answer_data::<ReleaseData>(bytes)?.release;
    if !release.as_ref().is_some_and(Node::is_complete) {
        bail!(
            "no release with its 2 quotes with speakers and 1 contact: {}",
            String::from_utf8_lossy(bytes)
        );
    }
    Ok(())
}

/// SQL statements a page request costs, counted in-process through this program's build of the
/// API code the server runs (`Store::count_statements`; not the `--pressroom-bin` server's),
/// over the same database, with the response cache on or off as `--cache` says.
struct Statements {
    /// Fewest and most statements of one request sent alone (ten tries).
    alone: (u64, u64),
    /// Statements per request on average while `concurrency` requests run at once.
    under_load: f64,
}

async fn count_statements(
    read: &ReadDb,
    picker: &Arc<Picker>,
    cache: CacheMode,
    concurrency: usize,
    seconds: f64,
) -> anyhow::Result<Statements> {
    use poem::Endpoint;
    use poem::http::{Method, header};
    let counter = Arc::new(AtomicU64::new(0));
    let store = Store::connect(&read.db.url)
        .await?
        .count_statements(Arc::clone(&counter));
    // The response cache as the server of the GraphQL phase has it (`--cache`).
    let config = pressroom_api::http::HttpConfig {
        response_cache_entries: match cache {
            CacheMode::On => pressroom_api::response_cache::DEFAULT_ENTRIES,
            CacheMode::Off => 0,
        },
        ..pressroom_api::http::HttpConfig::default()
    };
    let app = Arc::new(pressroom_api::http::app_with(store.clone(), config));
    let auth = format!("Bearer {}", read.token);
    let send = {
        let app = Arc::clone(&app);
        let picker = Arc::clone(picker);
        move || {
            let app = Arc::clone(&app);
            let target = picker.next();
            let body = target.body();
            let request = poem::Request::builder()
                .method(Method::POST)
                .uri_str("/graphql")
                .header(header::AUTHORIZATION, auth.as_str())
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, body.len())
                .body(body);
            async move {
                let response = app.get_response(request).await;
                let status = response.status();
                let bytes = response
                    .into_body()
                    .into_vec()
                    .await
                    .map_err(|e| anyhow::anyhow!("reading the response: {e}"))?;
                if !status.is_success() {
                    bail!(
                        "in-process request: {status}: {}",
                        String::from_utf8_lossy(&bytes)
                    );
                }
                target.check(&bytes)
            }
        }
    };
    let mut alone = Vec::new();
    for _ in 0..10 {
        counter.store(0, Ordering::SeqCst);
        send().await?;
        alone.push(counter.load(Ordering::SeqCst));
    }
    counter.store(0, Ordering::SeqCst);
    let load = drive(concurrency, Duration::ZERO, secs(seconds), send).await?;
    let statements = counter.load(Ordering::SeqCst);
    if let Some(error) = load.first_error {
        bail!("in-process load: {error}");
    }
    drop(app);
    store.connection().clone().close().await?;
    Ok(Statements {
        alone: (
            alone.iter().copied().min().unwrap_or_default(),
            alone.iter().copied().max().unwrap_or_default(),
        ),
        under_load: statements as f64 / load.completed.max(1) as f64,
    })
}

/// What a closed-loop load run measured.
#[derive(Debug, Default)]
pub struct LoadOutcome {
    /// Latency of every request started in the measured window, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Requests that failed in the measured window.
    pub errors: u64,
    /// The first failure, for the report.
    pub first_error: Option<String>,
    /// Seconds from the start of the measured window to the last completion.
    pub elapsed: f64,
    /// Every request completed, warm-up included.
    pub completed: u64,
}

impl LoadOutcome {
    /// Successful requests per second.
    pub fn rps(&self) -> f64 {
        let ok = self.latencies_ms.len() as f64 - self.errors as f64;
        if self.elapsed > 0.0 {
            ok / self.elapsed
        } else {
            f64::NAN
        }
    }
}

/// Runs `op` in a closed loop on `concurrency` tasks: `warmup` unmeasured, then `measure`.
pub(crate) async fn drive<F, Fut>(
    concurrency: usize,
    warmup: Duration,
    measure: Duration,
    op: F,
) -> anyhow::Result<LoadOutcome>
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let start = Instant::now();
    let from = start + warmup;
    let until = from + measure;
    let outcome = Arc::new(Mutex::new(LoadOutcome::default()));
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let op = Arc::clone(&op);
        let outcome = Arc::clone(&outcome);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut first_error = None;
            let mut last_end = from;
            let mut completed = 0;
            loop {
                let began = Instant::now();
                if began >= until {
                    break;
                }
                let result = op().await;
                let ended = Instant::now();
                completed += 1;
                if began >= from {
                    latencies.push(ended.duration_since(began).as_secs_f64() * 1000.0);
                    last_end = last_end.max(ended);
                    if let Err(error) = result {
                        errors += 1;
                        first_error.get_or_insert_with(|| format!("{error:#}"));
                    }
                }
            }
            let mut outcome = outcome.lock().await;
            outcome.latencies_ms.extend(latencies);
            outcome.errors += errors;
            outcome.completed += completed;
            if outcome.first_error.is_none() {
                outcome.first_error = first_error;
            }
            let elapsed = last_end.duration_since(from).as_secs_f64();
            outcome.elapsed = outcome.elapsed.max(elapsed);
        }));
    }
    for task in tasks {
        task.await.context("a load task failed")?;
    }
    let outcome = std::mem::take(&mut *outcome.lock().await);
    Ok(outcome)
}

/// The GraphQL phase against a running server, with its memory before and during the load.
struct GraphqlOutcome {
    load: LoadOutcome,
    /// The server's CPU time per completed request (warm-up included), in milliseconds.
    server_cpu_ms: f64,
    idle_rss_mib: f64,
    after_rss_mib: f64,
    peak_rss_mib: f64,
}

/// One GraphQL request to `url` for the picker's next target, its answer checked: the
/// operation [`drive`] repeats.
pub(crate) fn graphql_request(
    client: &reqwest::Client,
    url: &str,
    auth: &str,
    picker: &Arc<Picker>,
) -> impl Fn() -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>
+ Send
+ Sync
+ 'static {
    let (client, url, auth) = (client.clone(), url.to_owned(), auth.to_owned());
    let picker = Arc::clone(picker);
    move || {
        let target = picker.next();
        let request = client
            .post(&url)
            .header("authorization", &auth)
            .header("content-type", "application/json")
            .body(target.body());
        Box::pin(async move {
            let response = request.send().await?;
            let status = response.status();
            let bytes = response.bytes().await?;
            if !status.is_success() {
                bail!("{status}: {}", String::from_utf8_lossy(&bytes));
            }
            target.check(&bytes)
        })
    }
}

async fn graphql_phase(
    env: &Env,
    read: &ReadDb,
    picker: &Arc<Picker>,
    args: &ReadArgs,
) -> anyhow::Result<GraphqlOutcome> {
    let server_args: &[&str] = match args.cache {
        CacheMode::On => &[],
        CacheMode::Off => &["--response-cache-entries", "0"],
    };
    let server = Process::serve(env, &read.db.url, server_args).await?;
    let base_url = server
        .base_url
        .clone()
        .context("the server printed no address")?;
    tokio::time::sleep(secs(args.settle_seconds)).await;
    let idle = server.memory()?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency.max(1))
        .build()?;
    let url = format!("{base_url}/graphql");
    let auth = format!("Bearer {}", read.token);
    // One request first, so that a broken setup fails loudly instead of as a flood of errors.
    let target = picker.next();
    let probe = client
        .post(&url)
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(target.body())
        .send()
        .await?
        .bytes()
        .await?;
    target.check(&probe).with_context(|| {
        format!(
            "the first request failed: {}\nserver log:\n{}",
            String::from_utf8_lossy(&probe),
            server.log()
        )
    })?;

    let pid = server.pid();
    let cpu_before = crate::setup::cpu_seconds_of(&pid.to_string())?;
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = Arc::clone(&sampling);
        tokio::spawn(async move {
            let mut peak: f64 = 0.0;
            while sampling.load(Ordering::Relaxed) {
                if let Ok(memory) = memory_of(pid) {
                    peak = peak.max(memory.rss_mib);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            peak
        })
    };
    let load = drive(
        args.concurrency,
        secs(args.warmup_seconds),
        secs(args.seconds),
        graphql_request(&client, &url, &auth, picker),
    )
    .await?;
    sampling.store(false, Ordering::Relaxed);
    let sampled_peak = sampler.await.unwrap_or_default();
    let after = server.memory()?;
    let server_cpu_ms = (crate::setup::cpu_seconds_of(&pid.to_string())? - cpu_before) * 1000.0
        / load.completed.max(1) as f64;
    server.stop().await?;
    Ok(GraphqlOutcome {
        load,
        server_cpu_ms,
        idle_rss_mib: idle.rss_mib,
        after_rss_mib: after.rss_mib,
        // VmHWM is the kernel's own peak; the sampled maximum can only be lower.
        peak_rss_mib: after.hwm_mib.max(sampled_peak),
    })
}

/// A raw-SQL connection pool on either backend.
#[derive(Clone)]
enum RawPool {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

/// The raw-SQL pool: as the server's (`Store::connect`), it pings only connections idle for a
/// while, not every checkout (none is idle that long during a run), so that both sides pay the
/// same per-statement cost.
async fn raw_pool(db: &BenchDb, size: u32) -> anyhow::Result<RawPool> {
    Ok(match db.backend {
        BackendKind::Postgres => RawPool::Postgres(
            sqlx::postgres::PgPoolOptions::new()
                .test_before_acquire(false)
                .max_connections(size)
                .min_connections(size)
                .connect(&db.url)
                .await?,
        ),
        BackendKind::Sqlite => {
            use std::str::FromStr;
            let options = sqlx::sqlite::SqliteConnectOptions::from_str(&db.url)?
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10));
            RawPool::Sqlite(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .test_before_acquire(false)
                    .max_connections(size)
                    .min_connections(size)
                    .connect_with(options)
                    .await?,
            )
        }
    })
}

/// A release row of the raw page, decoded as an application would.
struct RawRelease {
    content: String,
}

/// One raw-SQL page: the releases with their department, then the people they name; the
/// content JSON is parsed for the quotes and contacts, as GraphQL's resolvers do.
async fn raw_read(pool: &RawPool, target: &Target) -> anyhow::Result<()> {
    let now = Utc::now().timestamp_micros();
    let (key, expected, postgres, sqlite) = match target {
        Target::Page {
            department,
            expected,
            ..
        } => (department, *expected, RAW_PAGE_POSTGRES, RAW_PAGE_SQLITE),
        Target::Release { id, .. } => (id, 1, RAW_RELEASE_POSTGRES, RAW_RELEASE_SQLITE),
    };
    let rows: Vec<RawRelease> = match pool {
        RawPool::Postgres(pool) => {
            let rows = sqlx::query(postgres)
                .bind(key)
                .bind(now)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode_release).collect::<Result<_, _>>()?
        }
        RawPool::Sqlite(pool) => {
            let rows = sqlx::query(sqlite)
                .bind(key)
                .bind(now)
                .fetch_all(pool)
                .await?;
            rows.iter().map(decode_release).collect::<Result<_, _>>()?
        }
    };
    if rows.len() != expected {
        bail!("{} rows instead of {expected}", rows.len());
    }
    let mut people: Vec<String> = Vec::new();
    let mut quotes = 0;
    for row in &rows {
        let content: Value = serde_json::from_str(&row.content)?;
        if let Some(minister) = content["responsibleMinisterId"].as_str() {
            people.push(minister.to_owned());
        }
        for block in content["body"].as_array().into_iter().flatten() {
            if let Some(speaker) = block["quote"]["speakerId"].as_str() {
                people.push(speaker.to_owned());
                quotes += 1;
            }
        }
        if content["contacts"].as_array().map_or(0, Vec::len) != 1 {
            bail!("a release without its contact");
        }
    }
    if quotes != 2 * rows.len() {
        bail!("{quotes} quotes for {} releases", rows.len());
    }
    people.sort();
    people.dedup();
    let found = match pool {
        RawPool::Postgres(pool) => sqlx::query(RAW_PEOPLE_POSTGRES)
            .bind(&people)
            .fetch_all(pool)
            .await?
            .iter()
            .map(decode_person)
            .collect::<Result<Vec<_>, _>>()?
            .len(),
        RawPool::Sqlite(pool) => {
            let placeholders = vec!["?"; people.len()].join(", ");
            let sql = format!(
                "SELECT id, name, title, department_id FROM people WHERE id IN ({placeholders})"
            );
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for id in &people {
                query = query.bind(id.as_str());
            }
            query
                .fetch_all(pool)
                .await?
                .iter()
                .map(decode_person)
                .collect::<Result<Vec<_>, _>>()?
                .len()
        }
    };
    if found != people.len() {
        bail!("{found} of {} people found", people.len());
    }
    Ok(())
}

fn decode_release<R: Row>(row: &R) -> Result<RawRelease, sqlx::Error>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let _id: String = row.try_get(0)?;
    let _slug: String = row.try_get(1)?;
    let _title: String = row.try_get(2)?;
    let _lead: String = row.try_get(3)?;
    let content: String = row.try_get(4)?;
    let _published_at: Option<i64> = row.try_get(5)?;
    let _embargo_until: Option<i64> = row.try_get(6)?;
    let _department_slug: String = row.try_get(7)?;
    let _department_name: String = row.try_get(8)?;
    Ok(RawRelease { content })
}

fn decode_person<R: Row>(row: &R) -> Result<(String, String), sqlx::Error>
where
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    let id: String = row.try_get(0)?;
    let name: String = row.try_get(1)?;
    let _title: String = row.try_get(2)?;
    let _department: Option<String> = row.try_get(3)?;
    Ok((id, name))
}

async fn raw_phase(
    read: &ReadDb,
    picker: &Arc<Picker>,
    args: &ReadArgs,
) -> anyhow::Result<LoadOutcome> {
    let pool = raw_pool(&read.db, args.concurrency.max(1) as u32).await?;
    raw_read(&pool, &picker.next())
        .await
        .context("the first raw-SQL read failed")?;
    let op_pool = pool.clone();
    let picker = Arc::clone(picker);
    let outcome = drive(
        args.concurrency,
        secs(args.warmup_seconds),
        secs(args.seconds),
        move || {
            let pool = op_pool.clone();
            let target = picker.next();
            async move { raw_read(&pool, &target).await }
        },
    )
    .await?;
    match pool {
        RawPool::Postgres(pool) => pool.close().await,
        RawPool::Sqlite(pool) => pool.close().await,
    }
    Ok(outcome)
}

/// The same two statements through pgbench (the specification's yardstick), with the page's
/// people ids as literals (the first page is the same on every request).
async fn pgbench_phase(env: &Env, read: &ReadDb, args: &ReadArgs) -> anyhow::Result<Option<f64>> {
    if read.db.backend != BackendKind::Postgres || args.no_pgbench || args.query != Shape::Page {
        return Ok(None);
    }
    let Ok(probe) = std::process::Command::new("pgbench")
        .arg("--version")
        .output()
    else {
        eprintln!("pgbench is not on the PATH; skipping the pgbench phase");
        return Ok(None);
    };
    if !probe.status.success() {
        return Ok(None);
    }
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&read.db.url)
        .await?;
    let rows = sqlx::query(RAW_PAGE_POSTGRES)
        .bind(&read.department)
        .bind(Utc::now().timestamp_micros())
        .fetch_all(&pool)
        .await?;
    let mut people = Vec::new();
    for row in &rows {
        let content: Value = serde_json::from_str(&decode_release(row)?.content)?;
        people.extend(content["responsibleMinisterId"].as_str().map(str::to_owned));
        for block in content["body"].as_array().into_iter().flatten() {
            people.extend(block["quote"]["speakerId"].as_str().map(str::to_owned));
        }
    }
    pool.close().await;
    people.sort();
    people.dedup();
    let page = RAW_PAGE_POSTGRES
        .replace("$1", &format!("'{}'", read.department))
        .replace("$2", ":now");
    let ids: Vec<String> = people.iter().map(|id| format!("'{id}'")).collect();
    let now = Utc::now().timestamp_micros() + 3_600_000_000;
    let script = if args.vary {
        // A department drawn at random; its page names its 3 people.
        let slug = "('departement-' || (:d)::text)";
        let page = RAW_PAGE_POSTGRES.replace("$1", slug).replace("$2", ":now");
        format!(
            "\\set now {now}\n\\set d random(0, {})\n{page};\nSELECT id, name, title, department_id FROM people WHERE department_id = (SELECT id FROM departments WHERE slug = {slug});\n",
            seed::DEPARTMENTS - 1
        )
    } else {
        format!(
            "\\set now {now}\n{page};\nSELECT id, name, title, department_id FROM people WHERE id IN ({});\n",
            ids.join(", ")
        )
    };
    std::fs::create_dir_all(&env.data_dir)?;
    let script_path = env.data_dir.join(format!(
        "pgbench-page-{}.sql",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::write(&script_path, script)?;
    let seconds = (args.seconds.ceil() as u64).max(1).to_string();
    let clients = args.concurrency.max(1).to_string();
    let output = tokio::process::Command::new("pgbench")
        .args([
            "-n", "-M", "prepared", "-j", "2", "-c", &clients, "-T", &seconds, "-f",
        ])
        .arg(&script_path)
        .arg(&read.db.url)
        .output()
        .await
        .context("running pgbench")?;
    let _ = std::fs::remove_file(&script_path);
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        eprintln!(
            "warning: pgbench failed ({}): {}{}",
            output.status,
            stdout,
            String::from_utf8_lossy(&output.stderr)
        );
        return Ok(None);
    }
    let tps = stdout
        .lines()
        .find_map(|line| line.trim().strip_prefix("tps = "))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|number| number.parse::<f64>().ok());
    if tps.is_none() {
        eprintln!("warning: no tps in pgbench's output:\n{stdout}");
    }
    Ok(tps)
}

fn secs(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds.max(0.0))
}

fn read_params(report: &mut Report, env: &Env, args: &ReadArgs) {
    report
        .param("backend", env.backend.name())
        .param("releases", args.releases)
        .param("concurrency", args.concurrency)
        .param("seconds", args.seconds)
        .param("query", args.query.name())
        .param("vary", args.vary)
        .param("engine", args.engine)
        .param("cache", args.cache.name());
}

/// `read`: GraphQL against raw SQL (and pgbench on PostgreSQL) at the same concurrency.
pub async fn read(env: &Env, args: &ReadArgs) -> anyhow::Result<Report> {
    let read = prepare(env, args.releases).await?;
    let warmed = read.db.warm().await?;
    let picker = Arc::new(Picker::new(&read, args).await?);
    let statements = count_statements(
        &read,
        &picker,
        args.cache,
        args.concurrency,
        args.seconds.clamp(0.5, 3.0),
    )
    .await?;
    eprintln!("GraphQL phase ({} s)…", args.seconds);
    let graphql = graphql_phase(env, &read, &picker, args).await?;
    eprintln!("raw SQL phase ({} s)…", args.seconds);
    let raw = raw_phase(&read, &picker, args).await?;
    let pgbench = pgbench_phase(env, &read, args).await?;

    let mut report = Report::new("read");
    read_params(&mut report, env, args);
    let rps = graphql.load.rps();
    let raw_rps = raw.rps();
    report
        .metric("rps", "GraphQL requests/s", rps)
        .metric(
            "p50_ms",
            "GraphQL latency p50 ms",
            percentile(&graphql.load.latencies_ms, 50.0),
        )
        .metric(
            "p99_ms",
            "GraphQL latency p99 ms",
            percentile(&graphql.load.latencies_ms, 99.0),
        )
        .metric("raw_rps", "raw SQL pages/s", raw_rps)
        .metric(
            "raw_p50_ms",
            "raw SQL latency p50 ms",
            percentile(&raw.latencies_ms, 50.0),
        )
        .metric(
            "raw_p99_ms",
            "raw SQL latency p99 ms",
            percentile(&raw.latencies_ms, 99.0),
        )
        .metric("ratio", "GraphQL / raw SQL", rps / raw_rps)
        .metric(
            "statements_per_request",
            "SQL statements per request (most, alone)",
            statements.alone.1 as f64,
        )
        .metric(
            "statements_min",
            "SQL statements per request (fewest, alone)",
            statements.alone.0 as f64,
        )
        .metric(
            "statements_under_load",
            "SQL statements per request (mean, concurrent)",
            statements.under_load,
        )
        .metric("peak_rss_mib", "server peak RSS MiB", graphql.peak_rss_mib)
        .metric("idle_rss_mib", "server idle RSS MiB", graphql.idle_rss_mib)
        .metric(
            "server_cpu_ms",
            "server CPU ms per GraphQL request",
            graphql.server_cpu_ms,
        )
        .metric(
            "errors",
            "failed requests",
            (graphql.load.errors + raw.errors) as f64,
        );
    if let Some(tps) = pgbench {
        report.metric("pgbench_tps", "pgbench pages/s", tps).metric(
            "pgbench_ratio",
            "GraphQL / pgbench",
            rps / tps,
        );
    }
    if let Some(bytes) = warmed {
        report.metric(
            "warmed_mib",
            "database read before the phases MiB",
            bytes as f64 / (1024.0 * 1024.0),
        );
    }
    if let Some(seconds) = read.seed_seconds {
        report.metric("seed_seconds", "seeding seconds", seconds);
    }
    for (what, outcome) in [("GraphQL", &graphql.load), ("raw SQL", &raw)] {
        if let Some(error) = &outcome.first_error {
            report.note(format!("{what}: {} failed, first: {error}", outcome.errors));
        }
    }
    report.note(format!(
        "the load generator runs on the same machine as the server and the database; max GraphQL latency {:.1} ms",
        max(&graphql.load.latencies_ms)
    ));
    read.db.remove().await;
    Ok(report)
}

/// `idle-rss`: the server's resident memory after start, and after the read load.
pub async fn idle_rss(env: &Env, args: &ReadArgs) -> anyhow::Result<Report> {
    let read = prepare(env, args.releases).await?;
    let picker = Arc::new(Picker::new(&read, args).await?);
    let graphql = graphql_phase(env, &read, &picker, args).await?;
    let mut report = Report::new("idle-rss");
    read_params(&mut report, env, args);
    report
        .metric("idle_rss_mib", "RSS after start MiB", graphql.idle_rss_mib)
        .metric(
            "loaded_rss_mib",
            "RSS after the read load MiB",
            graphql.after_rss_mib,
        )
        .metric("peak_rss_mib", "peak RSS (VmHWM) MiB", graphql.peak_rss_mib)
        .metric(
            "rps",
            "GraphQL requests/s during the load",
            graphql.load.rps(),
        )
        .metric("errors", "failed requests", graphql.load.errors as f64);
    read.db.remove().await;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(speaker: Value, contacts: usize) -> Value {
        json!({
            "id": "r", "title": "T",
            "quotes": [{"text": "a", "speaker": {"name": "A"}}, {"text": "b", "speaker": speaker}],
            "contacts": vec![json!({"name": "K"}); contacts],
        })
    }

    fn bytes(value: &Value) -> Vec<u8> {
        serde_json::to_vec(value).expect("json")
    }

    #[test]
    fn the_answer_checks_accept_the_seeded_shape_and_nothing_less() {
        let good = node(json!({"name": "B", "title": "t"}), 1);
        let page = |nodes: Vec<Value>| bytes(&json!({"data": {"releases": {"nodes": nodes}}}));
        assert!(check_page(&page(vec![good.clone(); 2]), 2).is_ok());
        assert!(
            check_page(&page(vec![good.clone(); 2]), 3).is_err(),
            "count"
        );
        assert!(check_page(&page(vec![good.clone(), node(Value::Null, 1)]), 2).is_err());
        assert!(check_page(&page(vec![node(json!({"name": null}), 1)]), 1).is_err());
        assert!(check_page(&page(vec![node(json!({"name": "B"}), 0)]), 1).is_err());
        let with_errors = bytes(&json!({"errors": [{"message": "x"}], "data": null}));
        assert!(check_page(&with_errors, 0).is_err());
        assert!(check_page(b"{\"data\": ", 0).is_err(), "not JSON");

        assert!(check_release(&bytes(&json!({"data": {"release": good}}))).is_ok());
        assert!(check_release(&bytes(&json!({"data": {"release": null}}))).is_err());
        let partial = json!({"data": {"release": node(json!({"name": "B"}), 2)}});
        assert!(check_release(&bytes(&partial)).is_err());
        assert!(check_release(&with_errors).is_err());
    }

    #[test]
    fn the_engine_variant_aliases_the_root_field_to_its_own_name() {
        assert!(aliased(PAGE_QUERY, "releases").contains("\n  releases: releases(first: 20,"));
        assert!(aliased(RELEASE_QUERY, "release").contains("\n  release: release(id: $id)"));
        for (shape, field) in [(Shape::Page, "releases"), (Shape::Release, "release")] {
            let target = |engine| match shape {
                Shape::Page => Target::Page {
                    department: "d".into(),
                    expected: 20,
                    engine,
                },
                Shape::Release => Target::Release {
                    id: "r".into(),
                    engine,
                },
            };
            let alias = format!("{field}: {field}(");
            assert!(target(true).body().contains(&alias));
            assert!(!target(false).body().contains(&alias));
        }
    }
}
