//! How the mail worker runs: the SMTP server, the sender, polling, the retry schedule.

use std::time::Duration;

use lettre::message::Mailbox;
use pressroom_domain::links::PublicBaseUrl;

/// The default retry schedule: the wait after the first failed attempt, the second, and so on;
/// the last entry repeats if more attempts are allowed than entries given.
pub const DEFAULT_BACKOFF: [Duration; 6] = [
    Duration::from_secs(30),
    Duration::from_secs(2 * 60),
    Duration::from_secs(10 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(60 * 60),
    Duration::from_secs(3 * 60 * 60),
];

/// How long past an attempt's timeout its claim lasts before another worker may take the
/// message over.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// Why the mail settings were refused.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    /// `smtp_url` is not a URL lettre understands.
    #[error("smtp_url is not a valid SMTP URL (smtp://, smtp://…?tls=required or smtps://): {0}")]
    SmtpUrl(String),
    /// `mail_from` is not a mailbox.
    #[error("mail_from must be an address such as \"Pressroom <pressroom@example.se>\": {0}")]
    From(String),
    /// A number is out of range.
    #[error("invalid mail settings: {0}")]
    Range(String),
}

/// How the mail worker runs.
#[derive(Clone)]
pub struct MailConfig {
    /// The SMTP server, in lettre's URL form: `smtps://user:pass@host:465` (implicit TLS),
    /// `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtp://host:25` (plain, loopback
    /// only). It may carry a password: never log it.
    smtp_url: String,
    /// The sender of every message.
    pub from: Mailbox,
    /// Makes links absolute under this base (the `public_base_url` setting).
    pub public_base_url: Option<PublicBaseUrl>,
    /// How often an idle worker looks for due messages.
    pub poll_interval: Duration,
    /// The longest one attempt may take, connecting included.
    pub attempt_timeout: Duration,
    /// Attempts per message, the first included.
    pub max_attempts: u32,
    /// The wait after each failed attempt; must not be empty.
    pub backoff: Vec<Duration>,
    /// The most attempts one worker has in flight at once.
    pub concurrency: usize,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The SMTP URL may hold a password: it is left out.
        f.debug_struct("MailConfig")
            .field("from", &self.from.to_string())
            .field("poll_interval", &self.poll_interval)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl MailConfig {
    /// Settings for `smtp_url` and `mail_from`, with the default schedule; checks both.
    pub fn new(smtp_url: &str, mail_from: &str) -> Result<Self, MailConfigError> {
        let from: Mailbox = mail_from
            .trim()
            .parse()
            .map_err(|e: lettre::address::AddressError| MailConfigError::From(e.to_string()))?;
        let config = Self {
            smtp_url: smtp_url.trim().to_owned(),
            from,
            public_base_url: None,
            poll_interval: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(30),
            max_attempts: 8,
            backoff: DEFAULT_BACKOFF.to_vec(),
            concurrency: 4,
        };
        // Building a transport checks the URL without connecting.
        crate::sending::transport(&config)?;
        Ok(config)
    }

    /// The SMTP URL. Never log it: it may hold a password.
    pub fn smtp_url(&self) -> &str {
        &self.smtp_url
    }

    /// The wait after failed attempt number `attempt` (from 1) before the next one.
    pub fn retry_delay(&self, attempt: u32) -> Duration {
        let index = usize::try_from(attempt.saturating_sub(1)).unwrap_or(usize::MAX);
        self.backoff
            .get(index)
            .or(self.backoff.last())
            .copied()
            .unwrap_or_default()
    }

    /// How long a claimed attempt is reserved for the worker that claimed it.
    pub fn lease(&self) -> Duration {
        self.attempt_timeout + LEASE_MARGIN
    }

    /// Checks the numbers; the message names the first one out of range.
    pub fn validate(&self) -> Result<(), MailConfigError> {
        let refuse = |m: &str| Err(MailConfigError::Range(m.to_owned()));
        if self.max_attempts == 0 || i32::try_from(self.max_attempts).is_err() {
            return refuse("max_attempts must be between 1 and 2^31 - 1");
        }
        if self.backoff.is_empty() {
            return refuse("backoff needs at least one wait");
        }
        if self.concurrency == 0 {
            return refuse("concurrency must be at least 1");
        }
        if self.poll_interval.is_zero() || self.attempt_timeout.is_zero() {
            return refuse("poll_interval and attempt_timeout must be longer than zero");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_smtp_url_lettre_knows_is_accepted() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:secret@mail.example.se:587?tls=required",
            "smtps://user:secret@mail.example.se",
        ] {
            assert!(
                MailConfig::new(url, "Pressroom <pressroom@example.se>").is_ok(),
                "{url}"
            );
        }
    }

    #[test]
    fn a_malformed_sender_or_url_is_refused() {
        assert!(matches!(
            MailConfig::new("smtp://127.0.0.1:25", "not an address"),
            Err(MailConfigError::From(_))
        ));
        assert!(matches!(
            MailConfig::new("http://mail.example.se", "pressroom@example.se"),
            Err(MailConfigError::SmtpUrl(_))
        ));
    }

    #[test]
    fn the_debug_form_leaves_the_smtp_password_out() {
        let config = MailConfig::new(
            "smtps://user:hunter2@mail.example.se",
            "pressroom@example.se",
        )
        .expect("valid");
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn the_wait_follows_the_schedule_and_then_repeats_its_last_entry() {
        let config = MailConfig::new("smtp://127.0.0.1:25", "p@example.se").expect("valid");
        assert_eq!(config.retry_delay(1), Duration::from_secs(30));
        assert_eq!(config.retry_delay(6), Duration::from_secs(3 * 3600));
        assert_eq!(config.retry_delay(60), Duration::from_secs(3 * 3600));
        assert!(config.lease() > config.attempt_timeout);
    }
}
