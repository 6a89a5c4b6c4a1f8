//! Settings, from four layers, each overriding the one before: built-in defaults, a TOML file
//! (`--config FILE` or `PRESSROOM_CONFIG`), environment variables (`PRESSROOM_` + the key in
//! capitals, e.g. `PRESSROOM_REQUEST_TIMEOUT_SECS`), and command-line flags. The layering is
//! the `config` crate's; this module only names the keys and their bounds. Each default is the
//! constant of the crate that uses the setting (`pressroom_api::http::DEFAULT_REQUEST_TIMEOUT`,
//! `pressroom_scheduler::DEFAULT_BATCH_SIZE`, …), which [`Settings::default`] refers to.
//!
//! Keys are flat so that a key, its environment variable and its flag are the same word:
//! `request_timeout_secs`, `PRESSROOM_REQUEST_TIMEOUT_SECS`, `--request-timeout-secs`.
//! `docs/operations.md` has the table; `pressroom config` prints the settings in effect.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use config::{Config, Environment, File, FileFormat};
use pressroom_domain::links::PublicBaseUrl;
use serde::{Deserialize, Serialize};

/// Where the data lives when nothing else is said: a SQLite file in the working directory,
/// created on first use.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://pressroom.db?mode=rwc";

/// The address `serve` and `demo` listen on when nothing else is said.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";

/// The prefix of every environment variable that sets a key.
pub const ENV_PREFIX: &str = "PRESSROOM";

/// How log lines look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// Every setting of every command, with its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `sqlite://path/to/file.db?mode=rwc` or `postgres://user@host/db`.
    pub database_url: String,
    /// Format of the log lines on stderr (their level comes from `RUST_LOG`, default `info`).
    pub log_format: LogFormat,
    /// `host:port` that `serve` and `demo` listen on; port 0 picks a free port.
    pub listen: String,
    /// `host:port` of a second listener that serves only `GET /metrics` (Prometheus text), e.g.
    /// `127.0.0.1:9090`, for `serve` and `scheduler`; absent: no metrics are served. Never the
    /// address of `listen`: the metrics are not for the public.
    pub metrics_listen: Option<String>,
    /// Whether `serve` runs the scheduler in its own process.
    pub embedded_scheduler: bool,
    /// Whether `serve` delivers webhooks from its own process.
    pub deliver_webhooks: bool,
    /// Refuse to deliver webhooks to loopback, private, link-local and other addresses that are
    /// not globally reachable (on by default; off for a loopback receiver in development).
    pub webhook_refuse_private_addresses: bool,
    /// Origins allowed to call the API from a browser (CORS); `*` allows any; empty: no CORS.
    pub cors_origins: Vec<String>,
    /// Seconds a request may take before it is answered 503.
    pub request_timeout_secs: u64,
    /// GraphQL requests each token may make per minute; absent: no limit.
    pub rate_limit_per_minute: Option<NonZeroU32>,
    /// GraphQL requests without a token one client address may make per minute; absent: no limit.
    pub anonymous_rate_limit_per_minute: Option<NonZeroU32>,
    /// Seconds that requests in flight get to finish after a shutdown signal.
    pub shutdown_grace_secs: u64,
    /// GraphQL responses to integrators and anonymous callers kept for reuse; 0: no cache.
    pub response_cache_entries: usize,
    /// Most releases the scheduler publishes in one transaction.
    pub scheduler_batch_size: u64,
    /// Longest sleep of the scheduler between two looks at the schedule, in milliseconds.
    pub scheduler_recheck_ms: u64,
    /// Where readers reach this server from outside, e.g. `https://press.example.se`; makes
    /// sign-off URLs, webhook `data.url`, Atom links and ninjs `uri` absolute. Absent: relative.
    pub public_base_url: Option<String>,
    /// The longest life, in hours, a sign-off link may be given (`expiresInHours`).
    pub signoff_link_max_hours: u64,
    /// The SMTP server notifications are sent through, e.g.
    /// `smtp://user:password@mail.example.se:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@mail.example.se` (implicit TLS). Absent: no e-mail is sent.
    /// Its password is never printed.
    pub smtp_url: Option<String>,
    /// The sender of notifications, e.g. `Pressroom <pressroom@example.se>`; needed with
    /// `smtp_url`.
    pub mail_from: Option<String>,
    /// Minutes before an embargo instant at which a release that would not publish alerts the
    /// department's editors.
    pub readiness_check_minutes: u64,
    /// Minutes before a review deadline at which the offices that have not answered are
    /// reminded.
    pub review_reminder_minutes: u64,
    /// The key (64 or more hexadecimal digits) the newsroom's CSRF tokens are derived with.
    /// Absent: a random key drawn at every start (enough for one replica; several replicas
    /// need the same key). Never printed.
    pub newsroom_csrf_key: Option<String>,
    /// Hours without a request after which a newsroom session ends.
    pub session_inactivity_hours: u64,
    /// Newsroom sign-in attempts one client address may make per minute.
    pub signin_rate_limit_per_minute: u64,
    /// WebSocket connections (`/graphql/ws`) one client address may hold open at once.
    pub websocket_connections_per_address: u64,
    /// Subscriptions one WebSocket connection may run at once.
    pub subscriptions_per_connection: u64,
    /// Seconds a WebSocket connection may stay silent (no message, not even a ping) before the
    /// server closes it.
    pub websocket_idle_timeout_secs: u64,
    /// The country calling code (1 to 999) of phone numbers written in national form, which
    /// `tel:` links get in place of the trunk `0`: 46, Sweden, by default.
    pub country_calling_code: u16,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            log_format: LogFormat::Text,
            listen: DEFAULT_LISTEN.to_owned(),
            metrics_listen: None,
            embedded_scheduler: true,
            deliver_webhooks: true,
            webhook_refuse_private_addresses: pressroom_webhooks::WebhookConfig::default()
                .refuse_private_addresses,
            cors_origins: Vec::new(),
            request_timeout_secs: pressroom_api::http::DEFAULT_REQUEST_TIMEOUT.as_secs(),
            rate_limit_per_minute: None,
            anonymous_rate_limit_per_minute: None,
            shutdown_grace_secs: crate::serve::DEFAULT_SHUTDOWN_GRACE.as_secs(),
            response_cache_entries: pressroom_api::response_cache::DEFAULT_ENTRIES,
            scheduler_batch_size: pressroom_scheduler::DEFAULT_BATCH_SIZE,
            scheduler_recheck_ms: pressroom_scheduler::DEFAULT_RECHECK.as_millis() as u64,
            public_base_url: None,
            signoff_link_max_hours: pressroom_domain::signoff::DEFAULT_MAX_EXPIRES_IN_HOURS
                .unsigned_abs(),
            smtp_url: None,
            mail_from: None,
            readiness_check_minutes: 30,
            review_reminder_minutes: 120,
            newsroom_csrf_key: None,
            session_inactivity_hours: u64::from(
                pressroom_newsroom::DEFAULT_SESSION_INACTIVITY_HOURS,
            ),
            signin_rate_limit_per_minute: u64::from(pressroom_newsroom::DEFAULT_SIGNIN_PER_MINUTE),
            websocket_connections_per_address: pressroom_api::http::DEFAULT_CONNECTIONS_PER_ADDRESS
                as u64,
            subscriptions_per_connection: pressroom_api::http::DEFAULT_SUBSCRIPTIONS_PER_CONNECTION
                as u64,
            websocket_idle_timeout_secs: pressroom_api::http::DEFAULT_WEBSOCKET_IDLE_TIMEOUT
                .as_secs(),
            country_calling_code: pressroom_api::public::DEFAULT_COUNTRY_CALLING_CODE,
        }
    }
}

/// Every key, in the order of [`Settings`]; an environment variable is read only for these.
pub const KEYS: [&str; 28] = [
    "database_url",
    "log_format",
    "listen",
    "metrics_listen",
    "embedded_scheduler",
    "deliver_webhooks",
    "webhook_refuse_private_addresses",
    "cors_origins",
    "request_timeout_secs",
    "rate_limit_per_minute",
    "anonymous_rate_limit_per_minute",
    "shutdown_grace_secs",
    "response_cache_entries",
    "scheduler_batch_size",
    "scheduler_recheck_ms",
    "public_base_url",
    "signoff_link_max_hours",
    "smtp_url",
    "mail_from",
    "readiness_check_minutes",
    "review_reminder_minutes",
    "newsroom_csrf_key",
    "session_inactivity_hours",
    "signin_rate_limit_per_minute",
    "websocket_connections_per_address",
    "subscriptions_per_connection",
    "websocket_idle_timeout_secs",
    "country_calling_code",
];

/// What the command line says; each `Some` overrides every other layer.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub listen: Option<String>,
    pub metrics_listen: Option<String>,
    pub embedded_scheduler: Option<bool>,
    pub deliver_webhooks: Option<bool>,
    pub webhook_refuse_private_addresses: Option<bool>,
    pub cors_origins: Option<Vec<String>>,
    pub request_timeout_secs: Option<u64>,
    pub rate_limit_per_minute: Option<u32>,
    pub anonymous_rate_limit_per_minute: Option<u32>,
    pub shutdown_grace_secs: Option<u64>,
    pub response_cache_entries: Option<usize>,
    pub scheduler_batch_size: Option<u64>,
    pub scheduler_recheck_ms: Option<u64>,
    pub public_base_url: Option<String>,
    pub signoff_link_max_hours: Option<u64>,
}

impl Settings {
    /// Reads the layers: defaults, `file` (which must exist when named), the `PRESSROOM_*`
    /// variables of `env`, then `overrides`; and checks the bounds of every value.
    pub fn load(
        file: Option<&Path>,
        env: &HashMap<String, String>,
        overrides: &Overrides,
    ) -> anyhow::Result<Self> {
        let mut builder = Config::builder()
            .add_source(Config::try_from(&Settings::default()).context("the built-in defaults")?);
        if let Some(path) = file {
            if !path.is_file() {
                bail!("the configuration file {} does not exist", path.display());
            }
            builder = builder.add_source(File::from(path).format(FileFormat::Toml));
        }
        let variables: config::Map<String, String> = KEYS
            .iter()
            .filter_map(|key| {
                let name = env_name(key);
                env.get(&name).map(|value| (name, value.clone()))
            })
            .collect();
        builder = builder.add_source(
            Environment::with_prefix(ENV_PREFIX)
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("cors_origins")
                .source(Some(variables)),
        );
        let o = overrides;
        builder = builder
            .set_override_option("database_url", o.database_url.clone())?
            .set_override_option("log_format", o.log_format.map(LogFormat::key))?
            .set_override_option("listen", o.listen.clone())?
            .set_override_option("metrics_listen", o.metrics_listen.clone())?
            .set_override_option("embedded_scheduler", o.embedded_scheduler)?
            .set_override_option("deliver_webhooks", o.deliver_webhooks)?
            .set_override_option(
                "webhook_refuse_private_addresses",
                o.webhook_refuse_private_addresses,
            )?
            .set_override_option("cors_origins", o.cors_origins.clone())?
            .set_override_option("request_timeout_secs", o.request_timeout_secs)?
            .set_override_option("rate_limit_per_minute", o.rate_limit_per_minute)?
            .set_override_option(
                "anonymous_rate_limit_per_minute",
                o.anonymous_rate_limit_per_minute,
            )?
            .set_override_option("shutdown_grace_secs", o.shutdown_grace_secs)?
            .set_override_option(
                "response_cache_entries",
                o.response_cache_entries.map(|n| n as u64),
            )?
            .set_override_option("scheduler_batch_size", o.scheduler_batch_size)?
            .set_override_option("scheduler_recheck_ms", o.scheduler_recheck_ms)?
            .set_override_option("public_base_url", o.public_base_url.clone())?
            .set_override_option("signoff_link_max_hours", o.signoff_link_max_hours)?;
        let mut settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        settings.cors_origins = settings
            .cors_origins
            .into_iter()
            .map(|origin| origin.trim().to_owned())
            .filter(|origin| !origin.is_empty())
            .collect();
        settings.check()?;
        Ok(settings)
    }

    /// The bounds no layer may cross.
    fn check(&self) -> anyhow::Result<()> {
        within("request_timeout_secs", self.request_timeout_secs, 1, 3_600)?;
        within("shutdown_grace_secs", self.shutdown_grace_secs, 0, 3_600)?;
        within("scheduler_batch_size", self.scheduler_batch_size, 1, 10_000)?;
        within(
            "response_cache_entries",
            self.response_cache_entries as u64,
            0,
            100_000,
        )?;
        within(
            "scheduler_recheck_ms",
            self.scheduler_recheck_ms,
            10,
            3_600_000,
        )?;
        within(
            "signoff_link_max_hours",
            self.signoff_link_max_hours,
            1,
            8_760,
        )?;
        within(
            "readiness_check_minutes",
            self.readiness_check_minutes,
            1,
            1_440,
        )?;
        within(
            "review_reminder_minutes",
            self.review_reminder_minutes,
            1,
            10_080,
        )?;
        self.mail()?;
        within(
            "session_inactivity_hours",
            self.session_inactivity_hours,
            1,
            720,
        )?;
        within(
            "signin_rate_limit_per_minute",
            self.signin_rate_limit_per_minute,
            1,
            10_000,
        )?;
        within(
            "websocket_connections_per_address",
            self.websocket_connections_per_address,
            1,
            100_000,
        )?;
        within(
            "country_calling_code",
            u64::from(self.country_calling_code),
            1,
            999,
        )?;
        within(
            "subscriptions_per_connection",
            self.subscriptions_per_connection,
            1,
            1_000,
        )?;
        within(
            "websocket_idle_timeout_secs",
            self.websocket_idle_timeout_secs,
            1,
            3_600,
        )?;
        self.newsroom()?;
        self.public_base_url()?;
        if self.database_url.trim().is_empty() {
            bail!("invalid configuration: database_url is empty");
        }
        if self.listen.trim().is_empty() {
            bail!("invalid configuration: listen is empty");
        }
        if let Some(metrics) = self.metrics_listen()
            && metrics == self.listen.trim()
            && !metrics.ends_with(":0")
        {
            bail!(
                "invalid configuration: metrics_listen is the address of listen ({metrics}); \
                 the metrics need a listener of their own"
            );
        }
        Ok(())
    }

    /// The settings as TOML, with any password in `database_url` replaced by `***`: what
    /// `pressroom config` prints, and a valid configuration file.
    pub fn to_toml(&self) -> anyhow::Result<String> {
        let mut shown = self.clone();
        shown.database_url = without_password(&self.database_url);
        shown.smtp_url = self.smtp_url.as_deref().map(without_password);
        if shown.newsroom_csrf_key.is_some() {
            shown.newsroom_csrf_key = Some("***".to_owned());
        }
        toml::to_string(&shown).context("cannot write the settings as TOML")
    }

    /// The address of the metrics listener; `None` when unset or empty (no metrics served).
    pub fn metrics_listen(&self) -> Option<&str> {
        self.metrics_listen
            .as_deref()
            .map(str::trim)
            .filter(|address| !address.is_empty())
    }

    /// The request timeout.
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// How long a WebSocket connection may stay silent.
    pub fn websocket_idle_timeout(&self) -> Duration {
        Duration::from_secs(self.websocket_idle_timeout_secs)
    }

    /// How long requests in flight may take to finish after a shutdown signal.
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    /// The public base URL, checked; `None` when unset or empty.
    pub fn public_base_url(&self) -> anyhow::Result<Option<PublicBaseUrl>> {
        match self.public_base_url.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => PublicBaseUrl::parse(text)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("invalid configuration: {e}")),
        }
    }

    /// The mail worker's settings; `None` when `smtp_url` is unset (no e-mail is sent).
    pub fn mail(&self) -> anyhow::Result<Option<pressroom_notify::MailConfig>> {
        let Some(url) = self
            .smtp_url
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        let Some(from) = self
            .mail_from
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        else {
            bail!("invalid configuration: mail_from is needed with smtp_url");
        };
        let mut config = pressroom_notify::MailConfig::new(url, from)
            .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?;
        config.public_base_url = self.public_base_url()?;
        Ok(Some(config))
    }

    /// How long before a review deadline the offices that have not answered are reminded.
    pub fn review_reminder_lead(&self) -> Duration {
        Duration::from_secs(self.review_reminder_minutes * 60)
    }

    /// How long before an embargo instant the readiness of a release is checked.
    pub fn readiness_lead(&self) -> Duration {
        Duration::from_secs(self.readiness_check_minutes * 60)
    }

    /// The settings links are made with: the public base URL and the sign-off link life.
    pub fn links(&self) -> anyhow::Result<pressroom_api::signoff::LinkSettings> {
        Ok(pressroom_api::signoff::LinkSettings {
            public_base_url: self.public_base_url()?,
            signoff_max_hours: i64::try_from(self.signoff_link_max_hours)
                .context("signoff_link_max_hours")?,
        })
    }

    /// The newsroom's settings (a random CSRF key when none is configured).
    pub fn newsroom(&self) -> anyhow::Result<pressroom_newsroom::NewsroomConfig> {
        let csrf_key = match self.newsroom_csrf_key.as_deref() {
            Some(hex) => pressroom_newsroom::CsrfKey::from_hex(hex)
                .map_err(|e| anyhow::anyhow!("invalid configuration: {e}"))?,
            None => pressroom_newsroom::CsrfKey::random(),
        };
        let public_base_url = self.public_base_url()?;
        Ok(pressroom_newsroom::NewsroomConfig {
            secure_cookies: public_base_url
                .as_ref()
                .is_some_and(|url| url.as_str().starts_with("https://")),
            public_base_url,
            session_inactivity: chrono::Duration::hours(
                i64::try_from(self.session_inactivity_hours).context("session_inactivity_hours")?,
            ),
            signoff_max_hours: i64::try_from(self.signoff_link_max_hours)
                .context("signoff_link_max_hours")?,
            signin_per_minute: NonZeroU32::new(
                u32::try_from(self.signin_rate_limit_per_minute)
                    .context("signin_rate_limit_per_minute")?,
            )
            .context("signin_rate_limit_per_minute")?,
            ..pressroom_newsroom::NewsroomConfig::new(csrf_key)
        })
    }

    /// The scheduler's settings.
    pub fn scheduler(&self) -> pressroom_scheduler::SchedulerConfig {
        pressroom_scheduler::SchedulerConfig {
            batch_size: self.scheduler_batch_size,
            recheck: Duration::from_millis(self.scheduler_recheck_ms),
        }
    }
}

impl LogFormat {
    /// The word for this format in a configuration file.
    fn key(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

/// The environment variable of `key`.
pub fn env_name(key: &str) -> String {
    format!("{ENV_PREFIX}_{}", key.to_ascii_uppercase())
}

/// The configuration file named by `flag`, else by `PRESSROOM_CONFIG` in `env`.
pub fn file_from(flag: Option<PathBuf>, env: &HashMap<String, String>) -> Option<PathBuf> {
    flag.or_else(|| {
        env.get("PRESSROOM_CONFIG")
            .filter(|path| !path.trim().is_empty())
            .map(PathBuf::from)
    })
}

fn within(key: &str, value: u64, low: u64, high: u64) -> anyhow::Result<()> {
    if !(low..=high).contains(&value) {
        bail!("invalid configuration: {key} is {value}; it must be from {low} to {high}");
    }
    Ok(())
}

/// `url` with its password, if it has one, replaced by `***` (a URL that does not parse is
/// shown as it is: it cannot have a recognisable password).
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Only URLs that cannot carry a password refuse one, and this one has one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new()
            .suffix(".toml")
            .tempfile()
            .expect("a temporary file");
        std::io::Write::write_all(&mut file, text.as_bytes()).expect("write the file");
        file
    }

    #[test]
    fn without_any_layer_the_defaults_hold() {
        let settings = Settings::load(None, &env(&[]), &Overrides::default()).expect("defaults");
        assert_eq!(settings, Settings::default());
    }

    #[test]
    fn each_layer_overrides_the_one_before() {
        let toml = file(
            "listen = \"0.0.0.0:9000\"\nrequest_timeout_secs = 5\nscheduler_batch_size = 100\n\
             cors_origins = [\"https://a.example\"]\nembedded_scheduler = false\n",
        );
        let variables = env(&[
            ("PRESSROOM_REQUEST_TIMEOUT_SECS", "7"),
            ("PRESSROOM_SCHEDULER_BATCH_SIZE", "200"),
            (
                "PRESSROOM_CORS_ORIGINS",
                "https://b.example, https://c.example",
            ),
        ]);
        let flags = Overrides {
            scheduler_batch_size: Some(300),
            ..Overrides::default()
        };
        let settings = Settings::load(Some(toml.path()), &variables, &flags).expect("loads");
        assert_eq!(settings.listen, "0.0.0.0:9000", "from the file");
        assert!(!settings.embedded_scheduler, "from the file");
        assert_eq!(
            settings.request_timeout_secs, 7,
            "the variable beats the file"
        );
        assert_eq!(settings.scheduler_batch_size, 300, "the flag beats both");
        assert_eq!(
            settings.cors_origins,
            ["https://b.example", "https://c.example"],
            "a comma-separated variable is a list"
        );
        assert_eq!(
            settings.log_format,
            LogFormat::Text,
            "untouched: the default"
        );
    }

    #[test]
    fn variables_outside_the_keys_are_ignored_and_unknown_file_keys_refused() {
        let variables = env(&[
            ("PRESSROOM_TEST_POSTGRES_URL", "postgres://x"),
            ("PRESSROOM_BIN", "/bin/true"),
        ]);
        Settings::load(None, &variables, &Overrides::default())
            .expect("other PRESSROOM_ variables are not settings");
        let typo = file("request_timeout = 5\n");
        let error = Settings::load(Some(typo.path()), &env(&[]), &Overrides::default())
            .expect_err("a misspelt key is refused");
        assert!(error.to_string().contains("request_timeout"), "{error}");
    }

    #[test]
    fn the_country_calling_code_is_sweden_s_unless_set() {
        let default = Settings::load(None, &env(&[]), &Overrides::default()).expect("defaults");
        assert_eq!(default.country_calling_code, 46);
        let finland = Settings::load(
            None,
            &env(&[("PRESSROOM_COUNTRY_CALLING_CODE", "358")]),
            &Overrides::default(),
        )
        .expect("Finland");
        assert_eq!(finland.country_calling_code, 358);
    }

    #[test]
    fn values_out_of_bounds_or_of_the_wrong_type_are_refused_with_their_key() {
        for (name, value, key) in [
            (
                "PRESSROOM_REQUEST_TIMEOUT_SECS",
                "0",
                "request_timeout_secs",
            ),
            (
                "PRESSROOM_SCHEDULER_BATCH_SIZE",
                "many",
                "scheduler_batch_size",
            ),
            ("PRESSROOM_LOG_FORMAT", "xml", "log_format"),
            (
                "PRESSROOM_RATE_LIMIT_PER_MINUTE",
                "0",
                "rate_limit_per_minute",
            ),
            (
                "PRESSROOM_SUBSCRIPTIONS_PER_CONNECTION",
                "0",
                "subscriptions_per_connection",
            ),
            (
                "PRESSROOM_WEBSOCKET_IDLE_TIMEOUT_SECS",
                "0",
                "websocket_idle_timeout_secs",
            ),
            (
                "PRESSROOM_COUNTRY_CALLING_CODE",
                "1000",
                "country_calling_code",
            ),
        ] {
            let error = Settings::load(None, &env(&[(name, value)]), &Overrides::default())
                .expect_err("refused");
            let message = format!("{error:#}");
            assert!(
                message.contains(key) || message.contains(value),
                "{name}={value}: {message}"
            );
        }
        let missing = Settings::load(
            Some(Path::new("/nonexistent/pressroom.toml")),
            &env(&[]),
            &Overrides::default(),
        )
        .expect_err("a named file must exist");
        assert!(missing.to_string().contains("does not exist"), "{missing}");
    }

    #[test]
    fn a_public_base_url_must_be_an_http_url_and_an_empty_one_means_none() {
        let settings = Settings::load(
            None,
            &env(&[("PRESSROOM_PUBLIC_BASE_URL", "https://press.example.se/")]),
            &Overrides::default(),
        )
        .expect("loads");
        let links = settings.links().expect("valid");
        assert_eq!(
            links.signoff_url("pso_x"),
            "https://press.example.se/signoff/pso_x"
        );
        let error = Settings::load(
            None,
            &env(&[("PRESSROOM_PUBLIC_BASE_URL", "press.example.se")]),
            &Overrides::default(),
        )
        .expect_err("no scheme");
        assert!(
            format!("{error:#}").contains("public_base_url"),
            "{error:#}"
        );
        let empty = Settings::load(
            None,
            &env(&[("PRESSROOM_PUBLIC_BASE_URL", "")]),
            &Overrides::default(),
        )
        .expect("an empty value is unset");
        assert_eq!(empty.links().expect("valid").signoff_url("t"), "/signoff/t");
    }

    #[test]
    fn printed_settings_hide_the_password_and_load_back() {
        let flags = Overrides {
            database_url: Some("postgres://press:secret@db.example/pressroom".to_owned()),
            rate_limit_per_minute: Some(600),
            ..Overrides::default()
        };
        let settings = Settings::load(None, &env(&[]), &flags).expect("loads");
        let printed = settings.to_toml().expect("prints");
        assert!(!printed.contains("secret"), "{printed}");
        assert!(printed.contains("press:***@db.example"), "{printed}");
        let again = Settings::load(
            Some(file(&printed).path()),
            &env(&[]),
            &Overrides::default(),
        )
        .expect("the printed settings are a valid file");
        assert_eq!(again.rate_limit_per_minute, NonZeroU32::new(600));
        assert_eq!(again.listen, settings.listen);
    }

    #[test]
    fn the_webhook_address_guard_is_on_unless_turned_off() {
        let none = Settings::load(None, &env(&[]), &Overrides::default()).expect("defaults");
        assert!(none.webhook_refuse_private_addresses);
        let off = Settings::load(
            None,
            &env(&[("PRESSROOM_WEBHOOK_REFUSE_PRIVATE_ADDRESSES", "false")]),
            &Overrides::default(),
        )
        .expect("valid");
        assert!(!off.webhook_refuse_private_addresses);
    }

    #[test]
    fn metrics_are_served_only_on_a_listener_of_their_own() {
        let none = Settings::load(None, &env(&[]), &Overrides::default()).expect("defaults");
        assert_eq!(
            none.metrics_listen(),
            None,
            "no metrics listener by default"
        );
        let set = Settings::load(
            None,
            &env(&[("PRESSROOM_METRICS_LISTEN", "127.0.0.1:9090")]),
            &Overrides::default(),
        )
        .expect("valid");
        assert_eq!(set.metrics_listen(), Some("127.0.0.1:9090"));
        let empty = Settings::load(
            None,
            &env(&[("PRESSROOM_METRICS_LISTEN", " ")]),
            &Overrides::default(),
        )
        .expect("an empty value is unset");
        assert_eq!(empty.metrics_listen(), None);
        let same = Settings::load(
            None,
            &env(&[
                ("PRESSROOM_LISTEN", "0.0.0.0:8080"),
                ("PRESSROOM_METRICS_LISTEN", "0.0.0.0:8080"),
            ]),
            &Overrides::default(),
        )
        .expect_err("the API's own address is refused");
        assert!(format!("{same:#}").contains("metrics_listen"), "{same:#}");
    }

    #[test]
    fn the_example_file_in_the_docs_is_valid_and_names_every_key() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/pressroom.example.toml");
        let text = std::fs::read_to_string(&path).expect("docs/pressroom.example.toml");
        Settings::load(Some(&path), &env(&[]), &Overrides::default()).expect("valid");
        for key in KEYS {
            assert!(text.contains(key), "the example does not mention {key}");
        }
    }

    #[test]
    fn mail_is_off_without_an_smtp_url_needs_a_sender_with_one_and_hides_its_password() {
        let none = Settings::load(None, &env(&[]), &Overrides::default()).expect("defaults");
        assert!(none.mail().expect("valid").is_none());
        assert_eq!(none.readiness_lead(), Duration::from_secs(30 * 60));
        let refused = Settings::load(
            None,
            &env(&[("PRESSROOM_SMTP_URL", "smtp://127.0.0.1:2525")]),
            &Overrides::default(),
        );
        assert!(format!("{:#}", refused.expect_err("no sender")).contains("mail_from"));
        let on = Settings::load(
            None,
            &env(&[
                (
                    "PRESSROOM_SMTP_URL",
                    "smtps://press:hunter2@mail.example.se",
                ),
                ("PRESSROOM_MAIL_FROM", "Pressroom <pressroom@example.se>"),
                ("PRESSROOM_READINESS_CHECK_MINUTES", "45"),
            ]),
            &Overrides::default(),
        )
        .expect("valid");
        assert!(on.mail().expect("valid").is_some());
        assert_eq!(on.readiness_lead(), Duration::from_secs(45 * 60));
        let shown = on.to_toml().expect("toml");
        assert!(
            !shown.contains("hunter2") && shown.contains("smtp_url"),
            "{shown}"
        );
    }
}
