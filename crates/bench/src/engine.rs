//! `engine`: where the time of one page request goes, measured in-process, one request at a
//! time, on the read database. The same page is produced four ways, each adding one layer:
//!
//! 1. `storage`: the storage calls the resolvers make (the department by slug, the page, the
//!    departments and people it names), without GraphQL;
//! 2. `bare_schema`: the production schema (`pressroom_api::schema::build`), the query parsed
//!    anew for every request, executed and serialized to JSON;
//! 3. `schema`: the same through the production gateway (`pressroom_api::gateway::Gateway`:
//!    the document cache and the alias and root-field limits), executed and serialized to JSON;
//! 4. `http`: the production HTTP endpoint (`pressroom_api::app`: routing, body limit,
//!    authentication, content negotiation), without a network.
//!
//! For each, the mean wall time and the mean CPU time of this process per request. On SQLite the
//! database work is in this process, so it counts as CPU here; on PostgreSQL it does not.

use std::time::Instant;

use anyhow::{Context, bail};
use async_graphql::{Request, Variables};
use pressroom_api::context::RequestContext;
use pressroom_api::gateway::{Gateway, Transport};
use pressroom_storage::Store;
use pressroom_storage::pagination::PageRequest;
use pressroom_storage::releases::ReleaseFilter;
use serde_json::json;

use crate::read::{PAGE_QUERY, ReadArgs, check_page, page_body, prepare};
use crate::report::Report;
use crate::setup::Env;

/// Options of `engine`.
#[derive(Debug, Clone, clap::Args)]
pub struct EngineArgs {
    #[command(flatten)]
    pub read: ReadArgs,
    /// Requests per layer (after 10% as many unmeasured).
    #[arg(long, default_value_t = 1_000)]
    pub iterations: u32,
    /// Measure only this layer (for instruction counts under `valgrind --tool=callgrind`).
    #[arg(long, value_enum)]
    pub layer: Option<Layer>,
}

/// One layer of a page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layer {
    /// The storage calls alone.
    Storage,
    /// The schema, parsing every request.
    BareSchema,
    /// The production gateway and schema.
    Schema,
    /// The production HTTP endpoint.
    Http,
}

/// This process's CPU time so far (user + system), in seconds.
fn cpu_seconds() -> anyhow::Result<f64> {
    crate::setup::cpu_seconds_of("self")
}

/// Checks a response fully during the warm-up, and afterwards only that it is not empty, so that
/// the bench's own parsing of the response is not part of what is measured.
fn check(bytes: &[u8], expected: usize, calls: &std::cell::Cell<u32>) -> anyhow::Result<()> {
    calls.set(calls.get() + 1);
    if calls.get() <= 10 {
        check_page(bytes, expected)
    } else if bytes.len() < 100 {
        bail!("a short response: {}", String::from_utf8_lossy(bytes))
    } else {
        Ok(())
    }
}

/// Runs `op` `iterations` times after a warm-up; returns (mean wall µs, mean CPU µs).
async fn measure<F, Fut>(iterations: u32, mut op: F) -> anyhow::Result<(f64, f64)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for _ in 0..(iterations / 10).max(1) {
        op().await?;
    }
    let cpu = cpu_seconds()?;
    let started = Instant::now();
    for _ in 0..iterations {
        op().await?;
    }
    let wall = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds()? - cpu;
    let n = f64::from(iterations.max(1));
    Ok((wall * 1e6 / n, cpu * 1e6 / n))
}

/// `engine`: the layers of one page request.
pub async fn engine(env: &Env, args: &EngineArgs) -> anyhow::Result<Report> {
    let read = prepare(env, args.read.releases).await?;
    let store = Store::connect(&read.db.url).await?;
    let viewer = store
        .authenticate(&read.token)
        .await?
        .context("the reader's token does not authenticate")?;
    let expected = read.expected_nodes;
    let department = read.department.clone();
    let variables = Variables::from_json(json!({ "department": department }));

    let wanted = |layer: Layer| args.layer.is_none_or(|only| only == layer);
    let mut results: Vec<(Layer, (f64, f64))> = Vec::new();
    if wanted(Layer::Storage) {
        let storage = measure(args.iterations, || {
            let store = store.clone();
            let viewer = viewer.clone();
            let department = department.clone();
            async move {
                let now = store.now();
                let filter = ReleaseFilter {
                    department: Some(department),
                    states: Some(vec![pressroom_domain::lifecycle::State::Published]),
                    ..ReleaseFilter::default()
                };
                let page = PageRequest::new(Some(20), None)?;
                let page = store
                    .secure_releases(Some(&viewer), &filter, &page, now)
                    .await?;
                if page.items.len() != expected {
                    bail!("{} releases instead of {expected}", page.items.len());
                }
                let mut departments: Vec<String> = page
                    .items
                    .iter()
                    .map(|(_, r)| r.department_id.clone())
                    .collect();
                departments.sort();
                departments.dedup();
                let mut people: Vec<String> = Vec::new();
                for (_, release) in &page.items {
                    people.extend(
                        release
                            .content
                            .referenced_people()
                            .into_iter()
                            .map(str::to_owned),
                    );
                }
                people.sort();
                people.dedup();
                store.departments_by_ids(&departments).await?;
                store.people_by_ids(&people).await?;
                Ok(())
            }
        })
        .await?;
        results.push((Layer::Storage, storage));
    }

    let gateway = Gateway::new(pressroom_api::schema::build(Some(store.clone())));
    for layer in [Layer::BareSchema, Layer::Schema] {
        if !wanted(layer) {
            continue;
        }
        let calls = std::cell::Cell::new(0);
        let calls = &calls;
        let gateway = &gateway;
        results.push((
            layer,
            measure(args.iterations, || {
                let request = Request::new(PAGE_QUERY).variables(variables.clone());
                let context = RequestContext::new(&store, Some(viewer.clone()));
                async move {
                    let request = match layer {
                        Layer::Schema => gateway
                            .prepare(request, Transport::HttpPost)
                            .map_err(|refusal| anyhow::anyhow!("{:?}", refusal.error()))?
                            .into_engine_request(),
                        _ => request,
                    };
                    let response = gateway.schema().execute(request.data(context)).await;
                    let bytes = serde_json::to_vec(&response)?;
                    check(&bytes, expected, calls)
                }
            })
            .await?,
        ));
    }

    let app = pressroom_api::app(store.clone());
    let body = page_body(&read.department);
    let auth = format!("Bearer {}", read.token);
    let calls = std::cell::Cell::new(0);
    let calls = &calls;
    if wanted(Layer::Http) {
        let http = measure(args.iterations, || {
            use poem::Endpoint;
            use poem::http::{Method, header};
            let request = poem::Request::builder()
                .method(Method::POST)
                .uri_str("/graphql")
                .header(header::AUTHORIZATION, auth.as_str())
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, body.len())
                .body(body.clone());
            let app = &app;
            async move {
                let response = app.get_response(request).await;
                let bytes = response
                    .into_body()
                    .into_vec()
                    .await
                    .map_err(|e| anyhow::anyhow!("reading the response: {e}"))?;
                check(&bytes, expected, calls)
            }
        })
        .await?;
        results.push((Layer::Http, http));
    }
    drop(app);
    store.connection().clone().close().await?;
    read.db.remove().await;

    let mut report = Report::new("engine");
    report
        .param("backend", env.backend.name())
        .param("releases", args.read.releases)
        .param("iterations", args.iterations);
    for (layer, (wall, cpu)) in results {
        let (wall_key, cpu_key, wall_label, cpu_label) = match layer {
            Layer::Storage => (
                "storage_us",
                "storage_cpu_us",
                "storage calls, wall µs",
                "storage calls, CPU µs",
            ),
            Layer::BareSchema => (
                "bare_schema_us",
                "bare_schema_cpu_us",
                "schema, parsing every time, wall µs",
                "schema, parsing every time, CPU µs",
            ),
            Layer::Schema => (
                "schema_us",
                "schema_cpu_us",
                "gateway and schema, wall µs",
                "gateway and schema, CPU µs",
            ),
            Layer::Http => (
                "http_us",
                "http_cpu_us",
                "HTTP endpoint, wall µs",
                "HTTP endpoint, CPU µs",
            ),
        };
        report
            .metric(wall_key, wall_label, wall)
            .metric(cpu_key, cpu_label, cpu);
    }
    report.note("one request at a time, in this process; CPU is this process's user + system time");
    Ok(report)
}
