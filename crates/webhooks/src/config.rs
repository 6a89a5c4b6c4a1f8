//! How the delivery worker runs: polling, timeouts, the retry schedule and the address policy.

use std::time::Duration;

/// The default retry schedule: the wait after the first failed attempt, the second, and so on;
/// the last entry repeats if more attempts are allowed than entries given.
pub const DEFAULT_BACKOFF: [Duration; 7] = [
    Duration::from_secs(5),
    Duration::from_secs(30),
    Duration::from_secs(2 * 60),
    Duration::from_secs(10 * 60),
    Duration::from_secs(60 * 60),
    Duration::from_secs(3 * 60 * 60),
    Duration::from_secs(6 * 60 * 60),
];

/// How long past an attempt's timeout its claim lasts before another worker may take the job
/// over: time enough to record the outcome of an attempt that timed out.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

/// How the delivery worker runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// How often an idle worker looks for new outbox events and due retries.
    pub poll_interval: Duration,
    /// The longest one attempt may take, connecting included.
    pub attempt_timeout: Duration,
    /// Attempts per delivery, the first included; then the job is marked failed.
    pub max_attempts: u32,
    /// The wait after each failed attempt (see [`DEFAULT_BACKOFF`]); must not be empty.
    pub backoff: Vec<Duration>,
    /// The most attempts one worker has in flight at once.
    pub concurrency: usize,
    /// The most outbox events fanned out into jobs in one transaction.
    pub fan_out_batch: u64,
    /// Refuse to deliver to loopback, private, link-local and every other address that is not
    /// globally reachable ([`crate::address_policy`]), checked on the address each connection
    /// uses; deliveries then go direct, never through an HTTP proxy. On by default: a webhook
    /// URL must not become a way into the services the server can reach. Turn it off for a
    /// receiver on the same machine in development, or to let an egress proxy decide.
    pub refuse_private_addresses: bool,
    /// Makes `data.url` absolute under this base (the `public_base_url` setting); `None` keeps
    /// the stored path.
    pub public_base_url: Option<pressroom_domain::links::PublicBaseUrl>,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(500),
            attempt_timeout: Duration::from_secs(10),
            max_attempts: 8,
            backoff: DEFAULT_BACKOFF.to_vec(),
            concurrency: 16,
            fan_out_batch: 500,
            refuse_private_addresses: true,
            public_base_url: None,
        }
    }
}

impl WebhookConfig {
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

    /// Checks the settings; the message names the first one that is out of range.
    pub fn validate(&self) -> Result<(), String> {
        if self.max_attempts == 0 || i32::try_from(self.max_attempts).is_err() {
            return Err("max_attempts must be between 1 and 2^31 - 1".into());
        }
        if self.backoff.is_empty() {
            return Err("backoff needs at least one wait".into());
        }
        if self.concurrency == 0 {
            return Err("concurrency must be at least 1".into());
        }
        if self.fan_out_batch == 0 {
            return Err("fan_out_batch must be at least 1".into());
        }
        if self.poll_interval.is_zero() || self.attempt_timeout.is_zero() {
            return Err("poll_interval and attempt_timeout must be longer than zero".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_follows_the_schedule_and_then_repeats_its_last_entry() {
        let config = WebhookConfig::default();
        assert_eq!(config.retry_delay(1), Duration::from_secs(5));
        assert_eq!(config.retry_delay(2), Duration::from_secs(30));
        assert_eq!(config.retry_delay(5), Duration::from_secs(3600));
        assert_eq!(config.retry_delay(7), Duration::from_secs(6 * 3600));
        assert_eq!(config.retry_delay(40), Duration::from_secs(6 * 3600));
    }

    #[test]
    fn the_default_schedule_spreads_eight_attempts_over_about_ten_hours() {
        let config = WebhookConfig::default();
        let total: Duration = (1..config.max_attempts)
            .map(|n| config.retry_delay(n))
            .sum();
        assert_eq!(total, Duration::from_secs(36_755));
    }

    #[test]
    fn a_claim_outlasts_the_attempt_it_covers() {
        let config = WebhookConfig::default();
        assert!(config.lease() > config.attempt_timeout);
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        let good = WebhookConfig::default();
        assert_eq!(good.validate(), Ok(()));
        for bad in [
            WebhookConfig {
                max_attempts: 0,
                ..good.clone()
            },
            WebhookConfig {
                backoff: Vec::new(),
                ..good.clone()
            },
            WebhookConfig {
                concurrency: 0,
                ..good.clone()
            },
            WebhookConfig {
                poll_interval: Duration::ZERO,
                ..good.clone()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
    }
}
