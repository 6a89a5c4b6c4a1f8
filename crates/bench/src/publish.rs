//! The publishing scenarios: a burst of releases due at one instant, and releases due at
//! staggered instants, published by the real `pressroom scheduler` process.
//!
//! How lateness is measured: the bench polls the number of releases still EMBARGOED every few
//! milliseconds (only the releases it seeded for the run are; the rest are published). The scheduler publishes due releases in `(embargo_until, id)` order, and a
//! release is PUBLISHED only once the transaction holding its audit entry and outbox event has
//! committed, so at any moment the published releases are a prefix of that order. The k-th
//! release therefore became visible no later than the end of the first poll that counted k
//! published; its *observed* lateness is that moment minus its instant (an upper bound, at most
//! one poll interval plus one poll late). The scheduler's own figure, `lateMs` in each audit
//! entry (its clock reading once it holds the write lock, before the batch is written and
//! committed), is reported beside it as `recorded_*`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use pressroom_domain::lifecycle::State;
use pressroom_storage::Store;
use pressroom_storage::entity::{audit_log, outbox, releases};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};
use serde_json::Value;

use crate::report::{Report, max, percentile};
use crate::seed::{self, PARKED_EMBARGO_MICROS, Seeded};
use crate::setup::{BenchDb, Env, Process, run_cli};

/// Options of `publish-burst`.
#[derive(Debug, Clone, clap::Args)]
pub struct BurstArgs {
    /// Embargoed releases, all due at the same instant.
    #[arg(long, default_value_t = 10_000)]
    pub releases: usize,
    /// Published releases already in the database beside them (§11 sizes: 100,000 and
    /// 1,000,000). They are seeded once into a kept database (`burst_base_N`) that later runs
    /// copy, unless `--scratch`.
    #[arg(long, default_value_t = 0)]
    pub existing: usize,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
}

/// Options of `lateness`.
#[derive(Debug, Clone, clap::Args)]
pub struct LatenessArgs {
    /// Embargoed releases, due at evenly spaced instants.
    #[arg(long, default_value_t = 200)]
    pub releases: usize,
    /// Seconds between the first and the last instant.
    #[arg(long, default_value_t = 60.0)]
    pub spread_seconds: f64,
    #[command(flatten)]
    pub schedule: ScheduleArgs,
}

/// Options shared by the publishing scenarios.
#[derive(Debug, Clone, clap::Args)]
pub struct ScheduleArgs {
    /// Milliseconds between moving the embargoes and the first instant (must exceed the
    /// scheduler's re-check interval, 1 s, so that it has seen the new instant before it comes).
    #[arg(long, default_value_t = 3_000)]
    pub lead_ms: u64,
    /// Milliseconds between two polls of the published count.
    #[arg(long, default_value_t = 5)]
    pub poll_ms: u64,
    /// `--scheduler-batch-size` for the scheduler (its default when absent).
    #[arg(long)]
    pub batch_size: Option<u64>,
    /// Give up when not everything is published this many seconds after the last instant.
    #[arg(long, default_value_t = 120)]
    pub timeout_seconds: u64,
    /// SQL to run on the database after seeding, before the scheduler starts (repeatable): for
    /// measuring a change before making it, e.g. an index under consideration.
    #[arg(long, value_name = "SQL")]
    pub setup_sql: Vec<String>,
}

/// What one schedule run observed.
struct ScheduleOutcome {
    /// Observed lateness of each release, in milliseconds, in publication order.
    observed_ms: Vec<f64>,
    /// `lateMs` of each publication's audit entry.
    recorded_ms: Vec<f64>,
    /// Seconds from the first instant until the last release was seen published.
    until_all_published: f64,
    /// Seconds the seeding took: the published releases (when this run seeded them) or the copy
    /// of their kept database, and the embargoed ones.
    seed_seconds: f64,
    /// Seconds the published releases already there took to seed, when this run seeded them.
    base_seed_seconds: Option<f64>,
    /// CPU seconds the scheduler process used from its start until everything was published.
    scheduler_cpu: f64,
}

/// The kept database with `existing` published releases (and nothing else in a state the
/// scheduler looks at), seeded now unless a previous run left it; returns it and the seconds
/// seeding took, if it did.
async fn existing_base(env: &Env, existing: usize) -> anyhow::Result<(BenchDb, Option<f64>)> {
    let (db, existed) = env.persistent_db(&format!("burst_base_{existing}")).await?;
    if existed {
        run_cli(env, &db.url, &["migrate"]).await?;
        let store = Store::connect(&db.url).await?;
        let published = seed::count_in_state(&store, State::Published).await?;
        let releases = releases::Entity::find().count(store.connection()).await?;
        store.connection().clone().close().await?;
        if published == existing as u64 && releases == existing as u64 {
            eprintln!("reusing the seeded burst base ({existing} published releases)");
            return Ok((db, None));
        }
        eprintln!("the burst base holds other data; seeding it afresh");
        env.reset_db(&db).await?;
    }
    let started = Instant::now();
    run_cli(env, &db.url, &["migrate"]).await?;
    let store = Store::connect(&db.url).await?;
    let directory = seed::directory(&store).await?;
    let newest = Utc::now().timestamp_micros() - 3_600_000_000;
    eprintln!("seeding {existing} published releases…");
    seed::insert_releases(&store, &directory, 0..existing, |i| Seeded::Published {
        at: newest - i as i64 * 60_000_000,
    })
    .await?;
    seed::analyze(&store).await?;
    store.connection().clone().close().await?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("seeded in {seconds:.1} s");
    Ok((db, Some(seconds)))
}

/// Seeds `offsets.len()` fully approved embargoed releases (beside `existing` published ones),
/// starts the scheduler, moves the instants to `lead` from now plus each offset (microseconds,
/// ascending), and watches until every release is published.
async fn run_schedule(
    env: &Env,
    label: &str,
    offsets: &[i64],
    existing: usize,
    args: &ScheduleArgs,
) -> anyhow::Result<ScheduleOutcome> {
    let n = offsets.len();
    if n == 0 {
        bail!("--releases must be at least 1");
    }
    if offsets.windows(2).any(|w| w[0] > w[1]) {
        bail!("offsets must be ascending");
    }
    let seeding = Instant::now();
    let (db, base_seed_seconds) = if existing == 0 {
        (env.scratch_db(label).await?, None)
    } else {
        let (base, seconds) = existing_base(env, existing).await?;
        let copy = env.scratch_copy(&base, label).await;
        if env.scratch {
            base.remove().await;
        }
        (copy?, seconds)
    };
    let outcome = async {
        run_cli(env, &db.url, &["migrate"]).await?;
        let store = Store::connect(&db.url).await?;
        let directory = seed::directory(&store).await?;
        seed::insert_releases(&store, &directory, existing..existing + n, |i| {
            Seeded::Embargoed {
                until: PARKED_EMBARGO_MICROS + offsets[i - existing],
            }
        })
        .await?;
        seed::analyze(&store).await?;
        let seed_seconds = seeding.elapsed().as_secs_f64();
        for sql in &args.setup_sql {
            use sea_orm::ConnectionTrait;
            store
                .connection()
                .execute_unprepared(sql)
                .await
                .with_context(|| format!("--setup-sql {sql}"))?;
        }

        let batch;
        let mut scheduler_args = Vec::new();
        if let Some(size) = args.batch_size {
            batch = size.to_string();
            scheduler_args.extend(["--scheduler-batch-size", batch.as_str()]);
        }
        let scheduler = Process::scheduler(env, &db.url, &scheduler_args).await?;
        let first_instant = Utc::now().timestamp_micros() + args.lead_ms as i64 * 1_000;
        let moved = seed::shift_embargoes(&store, first_instant - PARKED_EMBARGO_MICROS).await?;
        if moved != n as u64 {
            bail!("moved {moved} embargoes instead of {n}");
        }
        let instants: Vec<i64> = offsets.iter().map(|o| first_instant + o).collect();
        let last_instant = instants[n - 1];
        let deadline = last_instant + args.timeout_seconds as i64 * 1_000_000;

        // The poll timeline: (end of poll, published count). Only the seeded releases are
        // embargoed, so those no longer embargoed are published (`check_records` makes sure);
        // counting them through the due index stays cheap beside a million published ones.
        let mut timeline: Vec<(i64, u64)> = Vec::new();
        let poll = Duration::from_millis(args.poll_ms.max(1));
        loop {
            let embargoed = seed::count_in_state(&store, State::Embargoed).await?;
            let count = (n as u64).saturating_sub(embargoed);
            let at = Utc::now().timestamp_micros();
            if timeline.last().is_none_or(|&(_, last)| last != count) {
                timeline.push((at, count));
            }
            if count >= n as u64 {
                break;
            }
            if at > deadline {
                bail!(
                    "{count} of {n} published {} s after the last instant; scheduler log:\n{}",
                    args.timeout_seconds,
                    scheduler.log()
                );
            }
            // Sleep finely only around the instants; before the first one, coarsely.
            let until_first = first_instant - at;
            if until_first > 200_000 {
                tokio::time::sleep(Duration::from_micros((until_first - 100_000) as u64)).await;
            } else {
                tokio::time::sleep(poll).await;
            }
        }
        let scheduler_cpu = scheduler.cpu_seconds()?;
        scheduler.stop().await?;

        let recorded_ms = check_records(&store, n, existing).await?;
        store.connection().clone().close().await?;

        let mut observed_ms = Vec::with_capacity(n);
        let mut cursor = 0;
        for (k, instant) in instants.iter().enumerate() {
            while timeline[cursor].1 < k as u64 + 1 {
                cursor += 1;
            }
            observed_ms.push((timeline[cursor].0 - instant) as f64 / 1000.0);
        }
        let all_seen = timeline.last().map_or(0, |&(at, _)| at);
        Ok(ScheduleOutcome {
            observed_ms,
            recorded_ms,
            until_all_published: (all_seen - first_instant) as f64 / 1e6,
            seed_seconds,
            base_seed_seconds,
            scheduler_cpu,
        })
    }
    .await;
    db.remove().await;
    outcome
}

/// Every release has exactly one `scheduledPublish` audit entry and one `release.published`
/// outbox event (the `existing` published releases were seeded without either); returns the
/// entries' `lateMs`.
async fn check_records(store: &Store, n: usize, existing: usize) -> anyhow::Result<Vec<f64>> {
    let published = seed::count_in_state(store, State::Published)
        .await?
        .saturating_sub(existing as u64);
    let events = outbox::Entity::find()
        .filter(outbox::Column::Event.eq("release.published"))
        .count(store.connection())
        .await?;
    let details: Vec<String> = audit_log::Entity::find()
        .select_only()
        .column(audit_log::Column::Details)
        .filter(audit_log::Column::Action.eq("scheduledPublish"))
        .into_tuple()
        .all(store.connection())
        .await?;
    if published != n as u64 || events != n as u64 || details.len() != n {
        bail!(
            "{published} published, {events} outbox events and {} audit entries for {n} releases",
            details.len()
        );
    }
    details
        .iter()
        .map(|text| {
            let value: Value = serde_json::from_str(text)?;
            value["lateMs"]
                .as_f64()
                .with_context(|| format!("no lateMs in {text}"))
        })
        .collect()
}

fn add_lateness(report: &mut Report, outcome: &ScheduleOutcome, prefix: &str) {
    let observed = &outcome.observed_ms;
    let recorded = &outcome.recorded_ms;
    let keys: [(&'static str, &'static str, f64); 3] = if prefix.is_empty() {
        [
            (
                "p50_ms",
                "observed lateness p50 ms",
                percentile(observed, 50.0),
            ),
            (
                "p99_ms",
                "observed lateness p99 ms",
                percentile(observed, 99.0),
            ),
            ("max_ms", "observed lateness max ms", max(observed)),
        ]
    } else {
        [
            (
                "lateness_p50_ms",
                "observed lateness p50 ms",
                percentile(observed, 50.0),
            ),
            (
                "lateness_p99_ms",
                "observed lateness p99 ms",
                percentile(observed, 99.0),
            ),
            ("lateness_max_ms", "observed lateness max ms", max(observed)),
        ]
    };
    for (key, label, value) in keys {
        report.metric(key, label, value);
    }
    if let Some((index, ms)) = observed
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
    {
        report.note(format!(
            "the latest was release #{index} of {} (in instant order), seen {ms:.1} ms after its instant",
            observed.len()
        ));
    }
    report
        .metric(
            "recorded_p50_ms",
            "audit lateMs p50",
            percentile(recorded, 50.0),
        )
        .metric(
            "recorded_p99_ms",
            "audit lateMs p99",
            percentile(recorded, 99.0),
        )
        .metric("recorded_max_ms", "audit lateMs max", max(recorded))
        .metric(
            "early",
            "published before the instant",
            observed.iter().filter(|&&ms| ms < 0.0).count() as f64,
        )
        .metric(
            "scheduler_cpu_seconds",
            "scheduler process CPU seconds",
            outcome.scheduler_cpu,
        )
        .metric("seed_seconds", "seeding seconds", outcome.seed_seconds);
    if let Some(seconds) = outcome.base_seed_seconds {
        report.metric(
            "base_seed_seconds",
            "seeding seconds of the published releases",
            seconds,
        );
    }
}

/// `publish-burst`: every release due at one instant.
pub async fn publish_burst(env: &Env, args: &BurstArgs) -> anyhow::Result<Report> {
    let offsets = vec![0; args.releases];
    let outcome = run_schedule(env, "burst", &offsets, args.existing, &args.schedule).await?;
    let mut report = Report::new("publish-burst");
    report
        .param("backend", env.backend.name())
        .param("releases", args.releases)
        .param("existing", args.existing)
        .param(
            "batch_size",
            args.schedule
                .batch_size
                .map_or_else(|| "default".into(), Value::from),
        )
        .metric(
            "seconds",
            "seconds until all published",
            outcome.until_all_published,
        );
    add_lateness(&mut report, &outcome, "lateness");
    report.note(format!(
        "observed lateness is an upper bound (poll every {} ms); recorded is the scheduler's lateMs",
        args.schedule.poll_ms
    ));
    Ok(report)
}

/// `lateness`: instants evenly spread over `--spread-seconds`.
pub async fn lateness(env: &Env, args: &LatenessArgs) -> anyhow::Result<Report> {
    let n = args.releases;
    let spread = (args.spread_seconds.max(0.0) * 1e6) as i64;
    let offsets: Vec<i64> = (0..n)
        .map(|i| {
            if n > 1 {
                spread * i as i64 / (n as i64 - 1)
            } else {
                0
            }
        })
        .collect();
    let outcome = run_schedule(env, "lateness", &offsets, 0, &args.schedule).await?;
    let mut report = Report::new("lateness");
    report
        .param("backend", env.backend.name())
        .param("releases", n)
        .param("spread_seconds", args.spread_seconds);
    add_lateness(&mut report, &outcome, "");
    report.note(format!(
        "observed lateness is an upper bound (poll every {} ms); recorded is the scheduler's lateMs",
        args.schedule.poll_ms
    ));
    Ok(report)
}
