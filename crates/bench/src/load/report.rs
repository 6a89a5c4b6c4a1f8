//! The report of a `load` run.

use super::verification::{Chain, Checked};
use super::{LoadArgs, Scheduled, Tally, snippet, tail};
use crate::report::{Report, max, percentile};
use crate::setup::Env;

/// `pressroom_scheduler_publications_total` of the server (its embedded scheduler's count),
/// read from its metrics listener at `metrics_url`.
pub(super) async fn embedded_publications(
    http: &reqwest::Client,
    metrics_url: &str,
) -> Option<f64> {
    let text = http.get(metrics_url).send().await.ok()?.text().await.ok()?;
    text.lines().find_map(|line| {
        line.strip_prefix("pressroom_scheduler_publications_total ")
            .and_then(|value| value.trim().parse().ok())
    })
}

/// What a run left to report.
pub(super) struct Outcome {
    /// Seconds of load.
    pub(super) duration: f64,
    /// What the workers recorded.
    pub(super) tally: Tally,
    /// The releases scheduled.
    pub(super) scheduled: Vec<Scheduled>,
    /// What the database said afterwards.
    pub(super) checked: Checked,
    /// What `pressroom audit verify` said.
    pub(super) chain: Chain,
    /// Publications by the server's embedded scheduler, if its metrics said.
    pub(super) embedded: Option<f64>,
    /// The server's peak resident memory in MiB.
    pub(super) peak_rss: f64,
    /// The server's log.
    pub(super) server_log: String,
    /// The separate scheduler's log.
    pub(super) scheduler_log: String,
}

/// The report: every metric, the most frequent kinds of error with an example, what was lost,
/// and the logs' tails when something went wrong.
pub(super) fn build(env: &Env, args: &LoadArgs, outcome: Outcome) -> Report {
    let Outcome {
        duration,
        tally,
        scheduled,
        checked,
        chain,
        embedded,
        peak_rss,
        server_log,
        scheduler_log,
    } = outcome;
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
            if chain.ok { 1.0 } else { 0.0 },
        )
        .metric("audit_entries", "audit verify: entries", chain.entries)
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
    if let Some(note) = &chain.note {
        report.note(format!("audit verify failed: {}", snippet(note)));
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
    report
}
