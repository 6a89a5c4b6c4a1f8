//! `cache-cost`: what the response cache costs a load it cannot serve (issue 16, item 2).
//!
//! The comparison is a few per cent; on a shared machine the throughput of two runs a minute
//! apart differs by more than that. So both servers run at once on the same database, one with
//! the response cache (the default) and one without (`--response-cache-entries 0`), and the load
//! alternates between them in short slices, the order flipped every pair: whatever else the
//! machine does falls on both alike. Only one server is loaded at a time.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::read::{self, Picker, ReadArgs};
use crate::report::{Report, percentile};
use crate::setup::{Env, Process};

/// Options of `cache-cost`. With `--control`, the server called "on" in the report has the
/// cache off too.
#[derive(Debug, Clone, clap::Args)]
pub struct CacheCostArgs {
    /// The read load, as `read` takes it (`--seconds`, `--cache` and `--engine` are not used:
    /// the slices below make the time, and both cache settings run).
    #[command(flatten)]
    pub read: ReadArgs,
    /// Pairs of slices (one slice per server each, the order flipped every pair).
    #[arg(long, default_value_t = 10)]
    pub pairs: usize,
    /// Seconds measured per slice.
    #[arg(long, default_value_t = 3.0)]
    pub slice_seconds: f64,
    /// Seconds of unmeasured load at the start of each slice.
    #[arg(long, default_value_t = 0.5)]
    pub slice_warmup_seconds: f64,
    /// The control: both servers without the cache, so that the report shows what the method
    /// itself gives when there is no difference (its bias and spread on this machine).
    #[arg(long)]
    pub control: bool,
}

/// One of the two servers and what its slices measured.
struct Side {
    server: Process,
    url: String,
    /// Seconds measured, summed over the slices.
    seconds: f64,
    /// Every request started in a measured window, warm-up excluded.
    latencies_ms: Vec<f64>,
    /// Every request completed, warm-ups included (for the CPU per request).
    completed: u64,
    errors: u64,
    first_error: Option<String>,
    /// Requests per second of each slice.
    slices: Vec<f64>,
}

impl Side {
    async fn start(env: &Env, db_url: &str, args: &[&str]) -> anyhow::Result<Self> {
        let server = Process::serve(env, db_url, args).await?;
        let url = format!(
            "{}/graphql",
            server
                .base_url
                .clone()
                .context("the server printed no address")?
        );
        Ok(Self {
            server,
            url,
            seconds: 0.0,
            latencies_ms: Vec::new(),
            completed: 0,
            errors: 0,
            first_error: None,
            slices: Vec::new(),
        })
    }

    fn cpu_seconds(&self) -> anyhow::Result<f64> {
        crate::setup::cpu_seconds_of(&self.server.pid().to_string())
    }

    fn rps(&self) -> f64 {
        // Successful requests: every measured one but the failures.
        (self.latencies_ms.len() as f64 - self.errors as f64) / self.seconds
    }
}

/// `cache-cost`: the same read load on a server with the response cache and one without,
/// alternating in slices.
pub async fn cache_cost(env: &Env, args: &CacheCostArgs) -> anyhow::Result<Report> {
    if args.pairs == 0 {
        anyhow::bail!("--pairs must be at least 1");
    }
    let db = read::prepare(env, args.read.releases).await?;
    db.db.warm().await?;
    let picker = Arc::new(Picker::new(&db, &args.read).await?);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.read.concurrency.max(1))
        .build()?;
    let auth = format!("Bearer {}", db.token);
    let on_args: &[&str] = if args.control {
        &["--response-cache-entries", "0"]
    } else {
        &[]
    };
    let mut on = Side::start(env, &db.db.url, on_args).await?;
    let mut off = Side::start(env, &db.db.url, &["--response-cache-entries", "0"]).await?;
    tokio::time::sleep(Duration::from_secs_f64(args.read.settle_seconds)).await;
    let cpu_before = (on.cpu_seconds()?, off.cpu_seconds()?);
    for pair in 0..args.pairs {
        let order: [&mut Side; 2] = if pair % 2 == 0 {
            [&mut on, &mut off]
        } else {
            [&mut off, &mut on]
        };
        for side in order {
            let outcome = read::drive(
                args.read.concurrency,
                Duration::from_secs_f64(args.slice_warmup_seconds),
                Duration::from_secs_f64(args.slice_seconds),
                read::graphql_request(&client, &side.url, &auth, &picker),
            )
            .await?;
            side.seconds += outcome.elapsed;
            side.slices.push(outcome.rps());
            side.completed += outcome.completed;
            side.errors += outcome.errors;
            if side.first_error.is_none() {
                side.first_error = outcome.first_error;
            }
            side.latencies_ms.extend(outcome.latencies_ms);
        }
    }
    let cpu_ms = |side: &Side, before: f64| -> anyhow::Result<f64> {
        Ok((side.cpu_seconds()? - before) * 1000.0 / side.completed.max(1) as f64)
    };
    let on_cpu = cpu_ms(&on, cpu_before.0)?;
    let off_cpu = cpu_ms(&off, cpu_before.1)?;
    // Each pair's change, on against off: the spread says how far one pair can be trusted.
    let mut changes: Vec<f64> = on
        .slices
        .iter()
        .zip(&off.slices)
        .map(|(on, off)| (on / off - 1.0) * 100.0)
        .collect();
    changes.sort_by(f64::total_cmp);

    let mut report = Report::new("cache-cost");
    report
        .param("backend", env.backend.name())
        .param("releases", args.read.releases)
        .param("concurrency", args.read.concurrency)
        .param("query", args.read.query.name())
        .param("vary", args.read.vary)
        .param("pairs", args.pairs)
        .param("slice_seconds", args.slice_seconds)
        .param("control", args.control);
    report
        .metric("on_rps", "cache on: requests/s", on.rps())
        .metric("off_rps", "cache off: requests/s", off.rps())
        .metric(
            "change_pct",
            "cache on against off: requests/s change %",
            (on.rps() / off.rps() - 1.0) * 100.0,
        )
        .metric(
            "pair_change_median_pct",
            "median of the pairs' changes %",
            percentile(&changes, 50.0),
        )
        .metric(
            "pair_change_min_pct",
            "worst pair's change %",
            changes.first().copied().unwrap_or(f64::NAN),
        )
        .metric(
            "pair_change_max_pct",
            "best pair's change %",
            changes.last().copied().unwrap_or(f64::NAN),
        )
        .metric(
            "on_p99_ms",
            "cache on: p99 ms",
            percentile(&on.latencies_ms, 99.0),
        )
        .metric(
            "off_p99_ms",
            "cache off: p99 ms",
            percentile(&off.latencies_ms, 99.0),
        )
        .metric("on_cpu_ms", "cache on: server CPU ms per request", on_cpu)
        .metric(
            "off_cpu_ms",
            "cache off: server CPU ms per request",
            off_cpu,
        )
        .metric(
            "cpu_change_pct",
            "server CPU per request, on against off %",
            (on_cpu / off_cpu - 1.0) * 100.0,
        )
        .metric("errors", "failed requests", (on.errors + off.errors) as f64);
    for (what, side) in [("cache on", &on), ("cache off", &off)] {
        if let Some(error) = &side.first_error {
            report.note(format!("{what}: {} failed, first: {error}", side.errors));
        }
    }
    report.note(
        "the load generator runs on the same machine as the servers and the database; \
         one server is loaded at a time",
    );
    on.server.stop().await?;
    off.server.stop().await?;
    db.db.remove().await;
    Ok(report)
}
