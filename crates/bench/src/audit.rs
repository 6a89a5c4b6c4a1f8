//! `audit-verify`: how long `pressroom audit verify` takes over a chain of a given length.

use std::time::Instant;

use anyhow::{Context, bail};
use pressroom_storage::Store;

use crate::report::Report;
use crate::seed;
use crate::setup::{Env, run_cli};

/// Options of `audit-verify`.
#[derive(Debug, Clone, clap::Args)]
pub struct AuditArgs {
    /// Entries in the audit chain.
    #[arg(long, default_value_t = 1_000_000)]
    pub entries: usize,
}

/// Seeds a valid chain of `--entries` entries in a fresh database and times the real
/// `pressroom audit verify` process, start to exit.
pub async fn audit_verify(env: &Env, args: &AuditArgs) -> anyhow::Result<Report> {
    let db = env.scratch_db("audit").await?;
    let outcome = async {
        run_cli(env, &db.url, &["migrate"]).await?;
        let store = Store::connect(&db.url).await?;
        let seeding = Instant::now();
        seed::append_audit_chain(&store, args.entries).await?;
        let seed_seconds = seeding.elapsed().as_secs_f64();
        store.connection().clone().close().await?;
        let run = run_cli(env, &db.url, &["audit", "verify"]).await?;
        // `ok: N entries, head <hash>`
        let entries: u64 = run
            .stdout
            .trim()
            .strip_prefix("ok: ")
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .with_context(|| format!("unexpected output of audit verify: {:?}", run.stdout))?;
        if entries != args.entries as u64 {
            bail!(
                "audit verify checked {entries} entries, not {}",
                args.entries
            );
        }
        Ok((entries, run.elapsed.as_secs_f64(), seed_seconds))
    }
    .await;
    db.remove().await;
    let (entries, seconds, seed_seconds) = outcome?;
    let mut report = Report::new("audit-verify");
    report
        .param("backend", env.backend.name())
        .metric("entries", "entries verified", entries as f64)
        .metric("seconds", "seconds for audit verify", seconds)
        .metric(
            "entries_per_second",
            "entries per second",
            entries as f64 / seconds,
        )
        .metric(
            "seconds_per_million",
            "extrapolated seconds per 1,000,000",
            seconds * 1e6 / entries.max(1) as f64,
        )
        .metric("seed_seconds", "seeding seconds", seed_seconds);
    report.note("seconds include the process start and its migration check");
    Ok(report)
}
