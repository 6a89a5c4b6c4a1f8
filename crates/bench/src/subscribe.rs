//! `subscribe`: thousands of `releasePublished` subscriptions over WebSockets on loopback
//! against the real server, with its embedded scheduler publishing.
//!
//! The bench opens the subscriptions in steps (by default 0, 1,000 and 5,000), one per
//! connection unless `--per-connection` says more, and at each step, once the server reports
//! them all open (`pressroom_subscriptions_active`), measures for `--seconds`: the server's reads
//! of the change feed per second (`pressroom_subscription_feed_polls_total`), on PostgreSQL the
//! database's transactions per second (`pg_stat_database`, the bench's own sampling included),
//! the server's CPU and its resident memory. Then `--releases` embargoed releases come due at
//! one instant and are published by the scheduler; every subscription must receive each of them
//! exactly once. The server runs with its WebSocket limits raised to fit the run.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use futures_util::{SinkExt, StreamExt};
use pressroom_storage::Store;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::report::Report;
use crate::seed::{self, PARKED_EMBARGO_MICROS, Seeded};
use crate::setup::{BackendKind, Env, Process, run_cli};

/// Options of `subscribe`.
#[derive(Debug, Clone, clap::Args)]
pub struct SubscribeArgs {
    /// Subscription counts to measure at, ascending (the last is the total).
    #[arg(long, value_delimiter = ',', default_values_t = [0, 1_000, 5_000])]
    pub steps: Vec<usize>,
    /// Subscriptions per WebSocket connection.
    #[arg(long, default_value_t = 1)]
    pub per_connection: usize,
    /// Seconds measured at each step.
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Releases published (at one instant) once every subscription is open.
    #[arg(long, default_value_t = 3)]
    pub releases: usize,
    /// Connections opened at once while the subscriptions are being set up.
    #[arg(long, default_value_t = 100)]
    pub connect_concurrency: usize,
}

/// How long PostgreSQL may take to count an idle backend's transactions
/// (`PGSTAT_IDLE_INTERVAL`, 10 s), with a margin.
const STATS_SETTLE: Duration = Duration::from_secs(11);

const QUERY: &str = "subscription { releasePublished { id } }";

/// What one step measured.
struct Step {
    subscriptions: usize,
    polls_per_second: f64,
    transactions_per_second: Option<f64>,
    cpu_percent: f64,
    rss_mib: f64,
}

/// `subscribe`: see the module's documentation.
pub async fn subscribe(env: &Env, args: &SubscribeArgs) -> anyhow::Result<Report> {
    if args.steps.is_empty() || args.steps.windows(2).any(|w| w[0] > w[1]) {
        bail!("--steps must be ascending");
    }
    let total = *args.steps.last().unwrap_or(&0);
    let per_connection = args.per_connection.max(1);
    let connections = total.div_ceil(per_connection);
    let db = env.scratch_db("subscribe").await?;
    let config = std::env::temp_dir().join(format!(
        "pressroom-bench-subscribe-{}.toml",
        uuid::Uuid::new_v4()
    ));
    let outcome = async {
        run_cli(env, &db.url, &["migrate"]).await?;
        let store = Store::connect(&db.url).await?;
        let directory = seed::directory(&store).await?;
        seed::insert_releases(&store, &directory, 0..args.releases, |_| {
            Seeded::Embargoed {
                until: PARKED_EMBARGO_MICROS,
            }
        })
        .await?;
        std::fs::write(
            &config,
            format!(
                "websocket_connections_per_address = {}\nsubscriptions_per_connection = {}\n",
                connections.max(1) + 10,
                per_connection
            ),
        )
        .context("cannot write the server's configuration")?;
        let config_path = config.to_str().context("a UTF-8 temporary path")?;
        let server = Process::serve_everything(
            env,
            &db.url,
            &[
                "--no-webhooks",
                "--metrics-listen",
                "127.0.0.1:0",
                "--config",
                config_path,
            ],
        )
        .await?;
        let result = run(env, args, &db.url, &store, &server, total, per_connection).await;
        let log = server.log();
        server.stop().await?;
        store.connection().clone().close().await?;
        result.with_context(|| format!("server log (tail):\n{}", tail(&log, 20)))
    }
    .await;
    let _ = std::fs::remove_file(&config);
    db.remove().await;
    let (steps, delivery) = outcome?;

    let mut report = Report::new("subscribe");
    report
        .param("backend", env.backend.name())
        .param("subscriptions", total)
        .param("per_connection", per_connection)
        .param("seconds", args.seconds)
        .param("releases", args.releases);
    for step in &steps {
        let n = step.subscriptions;
        report
            .metric(
                leak(format!("polls_per_s_at_{n}")),
                leak(format!("feed reads/s at {n} subscriptions")),
                step.polls_per_second,
            )
            .metric(
                leak(format!("server_cpu_percent_at_{n}")),
                leak(format!("server CPU % at {n} subscriptions")),
                step.cpu_percent,
            )
            .metric(
                leak(format!("rss_mib_at_{n}")),
                leak(format!("server RSS MiB at {n} subscriptions")),
                step.rss_mib,
            );
        if let Some(tps) = step.transactions_per_second {
            report.metric(
                leak(format!("db_transactions_per_s_at_{n}")),
                leak(format!("database transactions/s at {n} subscriptions")),
                tps,
            );
        }
    }
    report
        .metric(
            "events_expected",
            "events expected (subscriptions × releases)",
            delivery.expected as f64,
        )
        .metric("events_missing", "events missing", delivery.missing as f64)
        .metric(
            "events_duplicated",
            "events received more than once or unexpected",
            delivery.extra as f64,
        )
        .metric(
            "delivery_seconds",
            "seconds from the instant to the last delivery",
            delivery.seconds,
        );
    if env.backend == BackendKind::Postgres {
        report.note("database transactions/s include the bench's own sample (one per reading)");
    }
    Ok(report)
}

/// A metric key or label made once per run (the report keeps `&'static str`).
fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn tail(log: &str, lines: usize) -> String {
    let all: Vec<&str> = log.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// How the publications reached the subscriptions.
struct Delivery {
    expected: usize,
    missing: usize,
    extra: usize,
    seconds: f64,
}

async fn run(
    env: &Env,
    args: &SubscribeArgs,
    db_url: &str,
    store: &Store,
    server: &Process,
    total: usize,
    per_connection: usize,
) -> anyhow::Result<(Vec<Step>, Delivery)> {
    let base = server
        .base_url
        .clone()
        .context("the server printed no base URL")?;
    let ws_url = format!("{}/graphql/ws", base.replacen("http://", "ws://", 1));
    let metrics_url = server
        .log()
        .lines()
        .find_map(|line| line.trim().strip_prefix("metrics on "))
        .map(str::to_owned)
        .context("the server named no metrics listener")?;
    let http = reqwest::Client::new();
    let stats = match env.backend {
        BackendKind::Postgres => Some(Database::connect(db_url).await?),
        BackendKind::Sqlite => None,
    };

    let (stop, stopped) = watch::channel(false);
    let mut clients = Vec::new();
    let mut steps = Vec::new();
    let mut open = 0;
    for &target in &args.steps {
        // Open connections until `target` subscriptions run, `connect_concurrency` at a time.
        while open < target {
            let batch_end = (open + args.connect_concurrency * per_connection).min(target);
            let mut pending = Vec::new();
            while open < batch_end {
                let n = per_connection.min(batch_end - open);
                pending.push(tokio::spawn(connect(ws_url.clone(), n, stopped.clone())));
                open += n;
            }
            for client in pending {
                clients.push(client.await.context("a client task")??);
            }
        }
        wait_for_subscriptions(&http, &metrics_url, target).await?;
        steps.push(
            measure(
                &http,
                &metrics_url,
                stats.as_ref(),
                server,
                target,
                args.seconds,
            )
            .await?,
        );
    }

    // Publish: the releases come due together, two seconds from now.
    let instant = Utc::now().timestamp_micros() + 2_000_000;
    let moved = seed::shift_embargoes(store, instant - PARKED_EMBARGO_MICROS).await?;
    if moved != args.releases as u64 {
        bail!("moved {moved} embargoes instead of {}", args.releases);
    }
    let expected_per_subscription = args.releases;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let received: usize = clients
            .iter()
            .map(|c| c.received.load(Ordering::Relaxed))
            .sum();
        if received >= total * expected_per_subscription || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = (Utc::now().timestamp_micros() - instant) as f64 / 1e6;
    // Anything more (a duplicate) would come within a few polls.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = stop.send(true);
    let mut missing = 0;
    let mut extra = 0;
    for client in clients {
        let seen = client.task.await.context("a client task")??;
        for ids in seen.values() {
            let mut counts: HashMap<&str, usize> = HashMap::new();
            for id in ids {
                *counts.entry(id.as_str()).or_default() += 1;
            }
            let distinct = counts.len();
            missing += expected_per_subscription.saturating_sub(distinct);
            extra += ids.len() - distinct + distinct.saturating_sub(expected_per_subscription);
        }
        // A subscription that never received anything has no entry.
        missing += expected_per_subscription * (client.subscriptions - seen.len());
    }
    if let Some(stats) = stats {
        let _ = stats.close().await;
    }
    Ok((
        steps,
        Delivery {
            expected: total * expected_per_subscription,
            missing,
            extra,
            seconds,
        },
    ))
}

/// One WebSocket connection with its subscriptions.
struct Client {
    subscriptions: usize,
    received: Arc<AtomicUsize>,
    /// Ids received per subscription id, once stopped.
    task: tokio::task::JoinHandle<anyhow::Result<HashMap<String, Vec<String>>>>,
}

/// Connects, initialises, subscribes `n` times, and then reads until `stop`.
async fn connect(url: String, n: usize, mut stop: watch::Receiver<bool>) -> anyhow::Result<Client> {
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .context("cannot connect (is the open-file limit, `ulimit -n`, high enough?)")?;
    socket
        .send(Message::text(
            json!({ "type": "connection_init", "payload": {} }).to_string(),
        ))
        .await?;
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .context("no connection_ack in 30 s")?
            .context("closed before connection_ack")??;
        if let Message::Text(text) = frame {
            let value: Value = serde_json::from_str(&text)?;
            if value["type"] == "connection_ack" {
                break;
            }
            bail!("expected connection_ack, got {value}");
        }
    }
    for id in 0..n {
        socket
            .send(Message::text(
                json!({ "id": id.to_string(), "type": "subscribe", "payload": { "query": QUERY } })
                    .to_string(),
            ))
            .await?;
    }
    let received = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&received);
    let task = tokio::spawn(async move {
        let mut seen: HashMap<String, Vec<String>> = HashMap::new();
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                frame = socket.next() => {
                    let Some(frame) = frame else { bail!("the server closed a connection") };
                    match frame? {
                        Message::Text(text) => {
                            let value: Value = serde_json::from_str(&text)?;
                            match value["type"].as_str() {
                                Some("next") => {
                                    let id = value["payload"]["data"]["releasePublished"]["id"]
                                        .as_str()
                                        .with_context(|| format!("an event without an id: {value}"))?;
                                    let subscription = value["id"].as_str().unwrap_or("?").to_owned();
                                    seen.entry(subscription).or_default().push(id.to_owned());
                                    counter.fetch_add(1, Ordering::Relaxed);
                                }
                                Some("ping") => {
                                    socket
                                        .send(Message::text(json!({ "type": "pong" }).to_string()))
                                        .await?;
                                }
                                _ => bail!("unexpected message {value}"),
                            }
                        }
                        Message::Close(frame) => bail!("the server closed a connection: {frame:?}"),
                        _ => {}
                    }
                }
            }
        }
        let _ = socket.close(None).await;
        Ok(seen)
    });
    Ok(Client {
        subscriptions: n,
        received,
        task,
    })
}

/// A counter or gauge from the server's metrics.
async fn scrape(http: &reqwest::Client, url: &str, name: &str) -> anyhow::Result<f64> {
    let text = http.get(url).send().await?.text().await?;
    text.lines()
        .find_map(|line| {
            line.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(' '))
                .and_then(|value| value.trim().parse().ok())
        })
        .with_context(|| format!("the server's metrics have no {name}"))
}

/// Waits until the server reports `n` subscriptions open.
async fn wait_for_subscriptions(http: &reqwest::Client, url: &str, n: usize) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        // The gauge exists once the first subscription opened.
        let open = scrape(http, url, "pressroom_subscriptions_active")
            .await
            .unwrap_or(0.0);
        if open as usize == n {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the server reports {open} subscriptions open, not {n}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Committed and rolled-back transactions of the database so far.
async fn transactions(db: &DatabaseConnection) -> anyhow::Result<f64> {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT (xact_commit + xact_rollback)::float8 AS n FROM pg_stat_database \
             WHERE datname = current_database()",
        ))
        .await?
        .context("no pg_stat_database row")?;
    Ok(row.try_get::<f64>("", "n")?)
}

/// Measures the server for `seconds` with `n` subscriptions open.
async fn measure(
    http: &reqwest::Client,
    url: &str,
    stats: Option<&DatabaseConnection>,
    server: &Process,
    n: usize,
    seconds: f64,
) -> anyhow::Result<Step> {
    if stats.is_some() {
        // An idle PostgreSQL backend reports its counts up to 10 s late: let the statements
        // that opened the subscriptions (one each) land before the window starts.
        tokio::time::sleep(STATS_SETTLE).await;
    }
    let polls = scrape(http, url, "pressroom_subscription_feed_polls_total")
        .await
        .unwrap_or(0.0);
    let xacts = match stats {
        Some(db) => Some(transactions(db).await?),
        None => None,
    };
    let cpu = server.cpu_seconds()?;
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = server.cpu_seconds()? - cpu;
    let polls = scrape(http, url, "pressroom_subscription_feed_polls_total")
        .await
        .unwrap_or(0.0)
        - polls;
    let transactions_per_second = match (stats, xacts) {
        (Some(db), Some(before)) => {
            // The statistics collector publishes with a delay of up to a second.
            tokio::time::sleep(Duration::from_millis(1_100)).await;
            Some((transactions(db).await? - before) / (elapsed + 1.1))
        }
        _ => None,
    };
    let memory = server.memory()?;
    eprintln!(
        "{n} subscriptions: {:.1} feed reads/s, {:.1} % CPU, {:.1} MiB RSS{}",
        polls / elapsed,
        100.0 * cpu / elapsed,
        memory.rss_mib,
        transactions_per_second
            .map(|t| format!(", {t:.1} database transactions/s"))
            .unwrap_or_default()
    );
    Ok(Step {
        subscriptions: n,
        polls_per_second: polls / elapsed,
        transactions_per_second,
        cpu_percent: 100.0 * cpu / elapsed,
        rss_mib: memory.rss_mib,
    })
}
