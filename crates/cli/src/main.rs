#![doc = include_str!("../README.md")]

mod audit;
mod demo;
mod email;
mod serve;
mod settings;
mod token;
mod user;

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use pressroom_domain::visibility::Role;
use pressroom_storage::Store;
use tracing_subscriber::EnvFilter;

use crate::settings::{LogFormat, Overrides, Settings};

/// mimalloc rather than the system allocator: allocation and freeing were about a third of the
/// instructions of a GraphQL page request with glibc's (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Pressroom: the publishing-workflow and approval engine for government press releases.
///
/// Every setting comes from, in rising precedence: its default, the configuration file
/// (`--config`), its `PRESSROOM_*` environment variable, its flag. `pressroom config` prints the
/// settings in effect; docs/operations.md lists them all.
#[derive(Debug, Parser)]
#[command(name = "pressroom", version, about, long_about = None)]
struct Cli {
    /// A TOML configuration file (env PRESSROOM_CONFIG); see docs/pressroom.example.toml.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,

    /// Database: `sqlite://path/to/file.db?mode=rwc` or `postgres://user@host/db`
    /// [key database_url, env PRESSROOM_DATABASE_URL; default sqlite://pressroom.db?mode=rwc].
    #[arg(long, global = true)]
    database_url: Option<String>,

    /// Format of the log lines written to stderr (their level comes from RUST_LOG, default `info`)
    /// [key log_format, env PRESSROOM_LOG_FORMAT; default text].
    #[arg(long, global = true, value_enum)]
    log_format: Option<LogFormat>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the GraphQL API and the HTTP surfaces, with the embedded scheduler (runs migrations first).
    Serve(ServeArgs),
    /// Run only the scheduler, which publishes embargoed releases at their instant.
    Scheduler(SchedulerCommandArgs),
    /// Apply every pending database migration.
    Migrate,
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Sign users into the newsroom.
    #[command(subcommand)]
    User(UserCommand),
    /// Set the e-mail addresses notifications go to (offices and users).
    #[command(subcommand)]
    Email(EmailCommand),
    /// Inspect the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print the full GraphQL schema (SDL) to stdout; needs no database.
    Schema,
    /// Print the settings in effect, as a TOML configuration file (passwords hidden).
    Config,
    /// Write a consistent copy of a SQLite database while it is in use (PostgreSQL: use pg_dump).
    Backup(BackupArgs),
    /// Load the example press release and demo users, print their tokens, then serve.
    Demo(DemoArgs),
}

/// Where to listen.
#[derive(Debug, Args)]
struct ListenArgs {
    /// Address to listen on, `host:port`; port 0 picks a free port (the real one is printed)
    /// [key listen, env PRESSROOM_LISTEN; default 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<String>,
}

/// Where the metrics are served.
#[derive(Debug, Args)]
struct MetricsArgs {
    /// Address of a second listener that serves only GET /metrics (Prometheus text), `host:port`,
    /// e.g. 127.0.0.1:9090; keep it where only Prometheus reaches it (the API's listener never
    /// serves the metrics); port 0 picks a free port (the real one is printed)
    /// [key metrics_listen, env PRESSROOM_METRICS_LISTEN; default none: no metrics served].
    #[arg(long)]
    metrics_listen: Option<String>,
}

/// Options of `scheduler`.
#[derive(Debug, Args)]
struct SchedulerCommandArgs {
    #[command(flatten)]
    scheduler: SchedulerArgs,
    #[command(flatten)]
    metrics: MetricsArgs,
}

/// Options of `serve`.
#[derive(Debug, Args)]
struct ServeArgs {
    #[command(flatten)]
    listen: ListenArgs,
    #[command(flatten)]
    metrics: MetricsArgs,
    /// Do not run the embedded scheduler (run `pressroom scheduler` elsewhere instead)
    /// [key embedded_scheduler = false, env PRESSROOM_EMBEDDED_SCHEDULER=false].
    #[arg(long)]
    no_scheduler: bool,
    /// Do not deliver webhooks from this process (another `serve` delivers them)
    /// [key deliver_webhooks = false, env PRESSROOM_DELIVER_WEBHOOKS=false].
    #[arg(long)]
    no_webhooks: bool,
    /// Refuse to deliver webhooks to loopback, private, link-local and other addresses that are
    /// not globally reachable (the default; the flag remains for scripts that name it)
    /// [key webhook_refuse_private_addresses, env PRESSROOM_WEBHOOK_REFUSE_PRIVATE_ADDRESSES;
    /// default true].
    #[arg(long, conflicts_with = "webhook_allow_private_addresses")]
    webhook_refuse_private_addresses: bool,
    /// Deliver webhooks to loopback and private addresses too: for a receiver on this machine in
    /// development, or behind an egress proxy that enforces its own policy
    /// [key webhook_refuse_private_addresses = false,
    /// env PRESSROOM_WEBHOOK_REFUSE_PRIVATE_ADDRESSES=false].
    #[arg(long)]
    webhook_allow_private_addresses: bool,
    /// An origin allowed to call the API from a browser (CORS), e.g. https://www.regeringen.se;
    /// repeat it or separate with commas; `*` allows any origin
    /// [key cors_origins, env PRESSROOM_CORS_ORIGINS; default none: no CORS headers].
    #[arg(long = "cors-origin", value_delimiter = ',')]
    cors_origins: Option<Vec<String>>,
    /// Seconds a request may take before it is answered 503
    /// [key request_timeout_secs, env PRESSROOM_REQUEST_TIMEOUT_SECS; default 30; 1 to 3600].
    #[arg(long)]
    request_timeout_secs: Option<u64>,
    /// GraphQL requests each token may make per minute (429 with Retry-After beyond it)
    /// [key rate_limit_per_minute, env PRESSROOM_RATE_LIMIT_PER_MINUTE; default none: no limit].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    rate_limit_per_minute: Option<u32>,
    /// GraphQL requests without a token that one client address (IPv4, or an IPv6 /64) may
    /// make per minute (429 with Retry-After beyond it); behind a proxy every caller shares the
    /// proxy's address, so limit there instead
    /// [key anonymous_rate_limit_per_minute, env PRESSROOM_ANONYMOUS_RATE_LIMIT_PER_MINUTE;
    /// default none: no limit; 600 is a sensible value on the open internet].
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    anonymous_rate_limit_per_minute: Option<u32>,
    /// GraphQL responses to integrators and anonymous callers kept for reuse until a write or
    /// the next embargo instant; 0 turns the cache off
    /// [key response_cache_entries, env PRESSROOM_RESPONSE_CACHE_ENTRIES; default 128; 0 to 100000].
    #[arg(long)]
    response_cache_entries: Option<usize>,
    /// Seconds requests in flight get to finish after SIGTERM or Ctrl-C
    /// [key shutdown_grace_secs, env PRESSROOM_SHUTDOWN_GRACE_SECS; default 10; 0 to 3600].
    #[arg(long)]
    shutdown_grace_secs: Option<u64>,
    #[command(flatten)]
    links: LinkArgs,
    #[command(flatten)]
    scheduler: SchedulerArgs,
}

/// How links that leave the server are made.
#[derive(Debug, Args)]
struct LinkArgs {
    /// Where readers reach this server, e.g. https://press.example.se: sign-off URLs, webhook
    /// data.url, Atom links and ninjs uri become absolute
    /// [key public_base_url, env PRESSROOM_PUBLIC_BASE_URL; default none: relative links].
    #[arg(long)]
    public_base_url: Option<String>,
    /// The longest life, in hours, a sign-off link may be given
    /// [key signoff_link_max_hours, env PRESSROOM_SIGNOFF_LINK_MAX_HOURS; default 720; 1 to 8760].
    #[arg(long)]
    signoff_link_max_hours: Option<u64>,
}

/// How the scheduler runs.
#[derive(Debug, Args)]
struct SchedulerArgs {
    /// Most releases published in one transaction
    /// [key scheduler_batch_size, env PRESSROOM_SCHEDULER_BATCH_SIZE; default 500; 1 to 10000].
    #[arg(long)]
    scheduler_batch_size: Option<u64>,
    /// Longest sleep between two looks at the schedule, in milliseconds: on SQLite the bound on
    /// noticing a schedule made by another process, on PostgreSQL the safety net for a lost
    /// notification
    /// [key scheduler_recheck_ms, env PRESSROOM_SCHEDULER_RECHECK_MS; default 1000; 10 to 3600000].
    #[arg(long)]
    scheduler_recheck_ms: Option<u64>,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token; prints the token alone on the last line of stdout (it is shown only once).
    Create(TokenCreateArgs),
}

/// What a new token grants.
#[derive(Debug, Args)]
struct TokenCreateArgs {
    /// The user's name; tokens with the same name belong to the same user (four eyes is about users).
    #[arg(long)]
    name: String,
    /// DRAFTER, EDITOR, MINISTER_OFFICE, INTEGRATOR or ADMIN (case-insensitive; `-` works for `_`).
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// Department slug; required for drafters and editors.
    #[arg(long)]
    department: Option<String>,
    /// Id of the person whose office the token speaks for; required for MINISTER_OFFICE.
    #[arg(long = "person", value_name = "ID")]
    person_id: Option<String>,
    /// Accredit an integrator to read embargoed releases before their instant.
    #[arg(long)]
    embargo_access: bool,
    /// When the token stops working, RFC 3339 with an offset (e.g. 2027-01-01T00:00:00+01:00).
    #[arg(long, value_parser = parse_instant)]
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Issue a one-time newsroom sign-in link (valid 24 hours, used once) for a user and role;
    /// prints its URL alone on the last line of stdout (it is shown only once).
    Link(UserLinkArgs),
}

/// Whom a sign-in link signs in, and as what.
#[derive(Debug, Args)]
struct UserLinkArgs {
    /// The user's name, as for tokens (four eyes is about users).
    #[arg(long)]
    name: String,
    /// DRAFTER, EDITOR, MINISTER_OFFICE, INTEGRATOR or ADMIN (case-insensitive; `-` works for `_`).
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// Department slug; required for drafters and editors.
    #[arg(long)]
    department: Option<String>,
    /// Id of the person whose office the user acts for; required for MINISTER_OFFICE.
    #[arg(long = "person", value_name = "ID")]
    person_id: Option<String>,
    /// Accredit an integrator to read embargoed releases before their instant.
    #[arg(long)]
    embargo_access: bool,
    /// Where readers reach the server, e.g. https://press.example.se: the URL printed is then
    /// absolute [key public_base_url, env PRESSROOM_PUBLIC_BASE_URL; default none: a relative
    /// /newsroom/signin/… path].
    #[arg(long)]
    public_base_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum EmailCommand {
    /// Set (or, without --email, remove) the e-mail address of a person's office, where
    /// sign-off requests go.
    Office(OfficeEmailArgs),
    /// Set (or, without --email, remove) the e-mail address of a user (the name behind tokens
    /// and sessions), where the notifications of their department's releases go.
    User(UserEmailArgs),
}

/// Whose office address to set.
#[derive(Debug, Args)]
struct OfficeEmailArgs {
    /// Id of the person (the minister whose office signs).
    #[arg(long = "person", value_name = "ID")]
    person_id: String,
    /// The office's address, e.g. kansli@example.se; omit it to remove the address.
    #[arg(long)]
    email: Option<String>,
}

/// Whose user address to set.
#[derive(Debug, Args)]
struct UserEmailArgs {
    /// The user's name, as for tokens.
    #[arg(long)]
    name: String,
    /// The user's address; omit it to remove the address.
    #[arg(long)]
    email: Option<String>,
}

/// Parses an RFC 3339 instant with an explicit offset, for clap.
fn parse_instant(text: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&chrono::Utc))
        .map_err(|e| {
            format!("not an RFC 3339 time with an offset ({e}), e.g. 2027-01-01T00:00:00+01:00")
        })
}

/// Options of `backup`.
#[derive(Debug, Args)]
struct BackupArgs {
    /// The file to write; it must not exist yet.
    #[arg(long)]
    to: std::path::PathBuf,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute the audit hash chain; exit 0 with `ok: N entries, head <hash>` when intact.
    Verify,
}

/// Options of `demo`.
#[derive(Debug, Args)]
struct DemoArgs {
    #[command(flatten)]
    listen: ListenArgs,
    /// Load the data and print the tokens, but do not serve.
    #[arg(long)]
    load_only: bool,
}

/// Parses a role name for clap; an unknown name is a usage error.
fn parse_role(name: &str) -> Result<Role, String> {
    Role::parse(name).ok_or_else(|| {
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        format!(
            "unknown role `{name}`; expected one of {}",
            known.join(", ")
        )
    })
}

impl Cli {
    /// What the flags of this command line say, as the top layer of the settings.
    fn overrides(&self) -> Overrides {
        let mut overrides = Overrides {
            database_url: self.database_url.clone(),
            log_format: self.log_format,
            ..Overrides::default()
        };
        let scheduler = match &self.command {
            Command::Serve(args) => {
                overrides.listen = args.listen.listen.clone();
                overrides.metrics_listen = args.metrics.metrics_listen.clone();
                overrides.embedded_scheduler = args.no_scheduler.then_some(false);
                overrides.deliver_webhooks = args.no_webhooks.then_some(false);
                overrides.webhook_refuse_private_addresses = match (
                    args.webhook_refuse_private_addresses,
                    args.webhook_allow_private_addresses,
                ) {
                    (true, _) => Some(true),
                    (_, true) => Some(false),
                    _ => None,
                };
                overrides.cors_origins = args.cors_origins.clone();
                overrides.request_timeout_secs = args.request_timeout_secs;
                overrides.rate_limit_per_minute = args.rate_limit_per_minute;
                overrides.anonymous_rate_limit_per_minute = args.anonymous_rate_limit_per_minute;
                overrides.shutdown_grace_secs = args.shutdown_grace_secs;
                overrides.response_cache_entries = args.response_cache_entries;
                overrides.public_base_url = args.links.public_base_url.clone();
                overrides.signoff_link_max_hours = args.links.signoff_link_max_hours;
                Some(&args.scheduler)
            }
            Command::Scheduler(args) => {
                overrides.metrics_listen = args.metrics.metrics_listen.clone();
                Some(&args.scheduler)
            }
            Command::User(UserCommand::Link(args)) => {
                overrides.public_base_url = args.public_base_url.clone();
                None
            }
            Command::Demo(args) => {
                overrides.listen = args.listen.listen.clone();
                None
            }
            _ => None,
        };
        if let Some(scheduler) = scheduler {
            overrides.scheduler_batch_size = scheduler.scheduler_batch_size;
            overrides.scheduler_recheck_ms = scheduler.scheduler_recheck_ms;
        }
        overrides
    }
}

fn main() -> ExitCode {
    // Clap exits by itself with code 2 on a usage error and 0 on `--help`.
    let cli = Cli::parse();
    let env: HashMap<String, String> = std::env::vars().collect();
    let file = settings::file_from(cli.config.clone(), &env);
    let settings = match Settings::load(file.as_deref(), &env, &cli.overrides()) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(2);
        }
    };
    init_tracing(settings.log_format);
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
    match runtime.block_on(run(cli.command, settings)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs one subcommand. Commands that find a problem they report themselves (a broken audit
/// chain) return a failing exit code; every other failure is an error printed by `main`.
async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    let url = settings.database_url.as_str();
    pressroom_storage::notifications::set_readiness_lead(settings.readiness_lead());
    pressroom_storage::notifications::set_review_reminder_lead(settings.review_reminder_lead());
    pressroom_storage::notifications::set_signoff_link_max_hours(
        i64::try_from(settings.signoff_link_max_hours).unwrap_or(i64::MAX),
    );
    pressroom_api::public::set_country_calling_code(settings.country_calling_code);
    match command {
        Command::Schema => {
            let sdl = pressroom_api::schema_sdl();
            write_stdout(&sdl)?;
            if !sdl.ends_with('\n') {
                write_stdout("\n")?;
            }
        }
        Command::Config => {
            write_stdout(&settings.to_toml()?)?;
        }
        Command::Migrate => {
            open_store(url).await?;
            write_stdout("migrations applied\n")?;
        }
        Command::Serve(_) => {
            let store = open_store(url).await?;
            let scheduler = settings.embedded_scheduler.then(|| settings.scheduler());
            let webhooks = settings
                .deliver_webhooks
                .then(|| pressroom_webhooks::WebhookConfig {
                    refuse_private_addresses: settings.webhook_refuse_private_addresses,
                    public_base_url: settings.public_base_url().ok().flatten(),
                    ..pressroom_webhooks::WebhookConfig::default()
                });
            if settings.newsroom_csrf_key.is_none() {
                tracing::warn!(
                    "newsroom_csrf_key is not set: this process drew a random key, so newsroom forms opened on another replica are refused; set one key on every replica"
                );
            }
            let metrics = match settings.metrics_listen() {
                Some(address) => Some(serve::MetricsListener::bind(address).await?),
                None => None,
            };
            serve::bind(&settings.listen)
                .await?
                .with_metrics(metrics)
                .with_webhooks(webhooks)
                .with_mail(settings.mail()?)
                .with_shutdown_grace(settings.shutdown_grace())
                .with_http(pressroom_api::http::HttpConfig {
                    cors_origins: settings.cors_origins.clone(),
                    request_timeout: settings.request_timeout(),
                    rate_limit_per_minute: settings.rate_limit_per_minute,
                    anonymous_rate_limit_per_minute: settings.anonymous_rate_limit_per_minute,
                    response_cache_entries: settings.response_cache_entries,
                    links: settings.links()?,
                    newsroom: Some(settings.newsroom()?),
                    websocket_connections_per_address: settings.websocket_connections_per_address
                        as usize,
                    subscriptions_per_connection: settings.subscriptions_per_connection as usize,
                    websocket_idle_timeout: settings.websocket_idle_timeout(),
                })
                .serve(store, scheduler)
                .await?;
        }
        Command::Scheduler(_) => {
            let store = open_store(url).await?;
            let metrics = match settings.metrics_listen() {
                Some(address) => Some(serve::MetricsListener::bind(address).await?),
                None => None,
            };
            serve::run_scheduler(store, settings.scheduler(), metrics).await?;
        }
        Command::Token(TokenCommand::Create(args)) => {
            let store = open_store(url).await?;
            token::create(&store, args).await?;
        }
        Command::User(UserCommand::Link(args)) => {
            let base = settings.public_base_url()?;
            let store = open_store(url).await?;
            user::link(&store, args, base.as_ref()).await?;
        }
        Command::Backup(args) => {
            let store = open_store(url).await?;
            store
                .backup_sqlite(&args.to)
                .await
                .context("the backup was not written")?;
            write_stdout(&format!("backup written to {}\n", args.to.display()))?;
        }
        Command::Email(command) => {
            let store = open_store(url).await?;
            match command {
                EmailCommand::Office(args) => {
                    email::set_office(&store, &args.person_id, args.email.as_deref()).await?;
                }
                EmailCommand::User(args) => {
                    email::set_user(&store, &args.name, args.email.as_deref()).await?;
                }
            }
        }
        Command::Audit(AuditCommand::Verify) => {
            let store = open_store(url).await?;
            return audit::verify(&store).await;
        }
        Command::Demo(args) => {
            let store = open_store(url).await?;
            let base = settings.public_base_url()?;
            demo::run(&store, &settings.listen, args.load_only, base.as_ref()).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Connects to the database and applies pending migrations, as every command that uses it does.
async fn open_store(url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(url)
        .await
        .context("cannot connect to the database")?;
    store
        .migrate()
        .await
        .context("cannot apply the database migrations")?;
    Ok(store)
}

/// Logs go to stderr so that stdout carries only what scripts read (tokens, `listening on`).
fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only help a person at a terminal; in files and pipes they are noise.
        .with_ansi(std::io::stderr().is_terminal());
    // `try_init` only fails when a subscriber is already installed, which leaves logging working.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// Writes `text` to stdout and flushes it at once, so that a reader of a pipe (a test harness
/// waiting for `listening on`) sees it; a closed pipe is an error, not a panic as with `print!`.
pub(crate) fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(text.as_bytes())
        .context("cannot write to stdout")?;
    stdout.flush().context("cannot write to stdout")?;
    Ok(())
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
    fn role_names_are_parsed_case_insensitively_and_unknown_ones_are_refused() {
        assert_eq!(parse_role("Admin"), Ok(Role::Admin));
        assert_eq!(parse_role("minister-office"), Ok(Role::MinisterOffice));
        let refusal = parse_role("root").expect_err("root is no role");
        assert!(refusal.contains("MINISTER_OFFICE"), "{refusal}");
    }

    #[test]
    fn the_database_url_may_follow_the_subcommand() {
        let cli = Cli::try_parse_from([
            "pressroom",
            "migrate",
            "--database-url",
            "sqlite://x.db?mode=rwc",
        ])
        .expect("a global option after the subcommand parses");
        assert_eq!(cli.database_url.as_deref(), Some("sqlite://x.db?mode=rwc"));
    }
}
