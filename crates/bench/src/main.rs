//! `pressroom-bench`: Pressroom's own benchmark (targets and results in docs/benchmarks.md).
//!
//! Each scenario seeds its database quickly and validly (see `seed`), runs the real `pressroom`
//! binary (`serve`, `scheduler`, `audit verify`), measures, and prints a human table; with
//! `--json` it prints one JSON object per scenario on stdout instead (the table then goes to
//! stderr). The JSON keys are read by outside scripts; `docs/benchmarks.md` lists them.

mod audit;
mod cache_cost;
mod engine;
mod load;
mod publish;
mod read;
mod report;
mod seed;
mod setup;
mod subscribe;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::report::Report;
use crate::setup::{BackendKind, DEFAULT_POSTGRES_URL, Env};

/// Pressroom's benchmark: read throughput against raw SQL, publication bursts, scheduler
/// lateness, audit verification and server memory.
#[derive(Debug, Parser)]
#[command(name = "pressroom-bench", version, about)]
struct Cli {
    /// Print one JSON object per scenario on stdout (the table goes to stderr).
    #[arg(long, global = true)]
    json: bool,
    /// The database engine.
    #[arg(long, global = true, value_enum, default_value_t = BackendKind::Sqlite)]
    backend: BackendKind,
    /// The PostgreSQL server (any database on it); the bench creates its own databases there.
    #[arg(
        long,
        global = true,
        env = "PRESSROOM_BENCH_POSTGRES_URL",
        default_value = DEFAULT_POSTGRES_URL,
        hide_env_values = true
    )]
    postgres_url: String,
    /// Where SQLite databases (and the seeded read database, for reuse) are kept.
    #[arg(long, global = true, default_value = "target/bench-data")]
    data_dir: PathBuf,
    /// The `pressroom` binary (default: the one beside this program).
    #[arg(long, global = true, env = "PRESSROOM_BIN")]
    pressroom_bin: Option<PathBuf>,
    /// Use throwaway databases only: seed afresh and remove them afterwards.
    #[arg(long, global = true)]
    scratch: bool,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// A page of 20 published releases of one department over GraphQL, against raw SQL.
    Read(read::ReadArgs),
    /// What the response cache costs reads it cannot serve: the same load on a server with the
    /// cache and one without, both running, in alternating slices.
    CacheCost(cache_cost::CacheCostArgs),
    /// Releases all due at one instant: time until every one is published.
    PublishBurst(publish::BurstArgs),
    /// Releases due at staggered instants: how late each is published.
    Lateness(publish::LatenessArgs),
    /// Time for `pressroom audit verify` over a chain of N entries.
    AuditVerify(audit::AuditArgs),
    /// The server's resident memory after start and after the read load.
    IdleRss(read::ReadArgs),
    /// Where the time of one page request goes: storage, GraphQL engine, extensions, HTTP.
    Engine(engine::EngineArgs),
    /// Minutes of mixed reads and writes against the real server with two racing schedulers:
    /// errors, lost writes (against the audit log) and latency. Exits 1 when a correctness
    /// target (no error, no lost write, no double publication, intact chain) is missed.
    Load(load::LoadArgs),
    /// Thousands of releasePublished subscriptions over WebSockets: the server's feed reads,
    /// database transactions, CPU and memory at each step, and whether every subscription
    /// received each publication exactly once.
    Subscribe(subscribe::SubscribeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(&cli)) {
        Ok(report) => {
            if cli.json {
                eprint!("{}", report.to_table());
                println!("{}", report.to_json());
            } else {
                print!("{}", report.to_table());
            }
            if matches!(cli.scenario, Scenario::Load(_)) && !load::passed(&report) {
                eprintln!("error: the load run missed a correctness target (see above)");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: &Cli) -> anyhow::Result<Report> {
    let env = Env {
        backend: cli.backend,
        postgres_url: cli.postgres_url.clone(),
        data_dir: cli.data_dir.clone(),
        pressroom: setup::locate_pressroom(cli.pressroom_bin.as_deref())?,
        scratch: cli.scratch,
    };
    match &cli.scenario {
        Scenario::Read(args) => read::read(&env, args).await,
        Scenario::CacheCost(args) => cache_cost::cache_cost(&env, args).await,
        Scenario::PublishBurst(args) => publish::publish_burst(&env, args).await,
        Scenario::Lateness(args) => publish::lateness(&env, args).await,
        Scenario::AuditVerify(args) => audit::audit_verify(&env, args).await,
        Scenario::IdleRss(args) => read::idle_rss(&env, args).await,
        Scenario::Engine(args) => engine::engine(&env, args).await,
        Scenario::Load(args) => load::load(&env, args).await,
        Scenario::Subscribe(args) => subscribe::subscribe(&env, args).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_and_durations_are_flags() {
        let cli = Cli::try_parse_from([
            "pressroom-bench",
            "read",
            "--backend",
            "postgres",
            "--releases",
            "1000",
            "--concurrency",
            "4",
            "--seconds",
            "1.5",
            "--json",
        ])
        .expect("valid flags");
        assert!(cli.json);
        assert_eq!(cli.backend, BackendKind::Postgres);
        match cli.scenario {
            Scenario::Read(args) => {
                assert_eq!(args.releases, 1000);
                assert_eq!(args.concurrency, 4);
                assert_eq!(args.seconds, 1.5);
            }
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn load_takes_its_duration_and_worker_counts_as_flags() {
        let cli = Cli::try_parse_from([
            "pressroom-bench",
            "--backend",
            "postgres",
            "load",
            "--seconds",
            "90",
            "--writers",
            "8",
            "--readers",
            "32",
        ])
        .expect("valid flags");
        match cli.scenario {
            Scenario::Load(args) => {
                assert_eq!(args.seconds, 90.0);
                assert_eq!((args.writers, args.readers), (8, 32));
                assert_eq!(args.releases, 300);
            }
            other => panic!("parsed as {other:?}"),
        }
    }
}
