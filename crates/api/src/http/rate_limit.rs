//! The request budgets of `/graphql`, per token and per client address.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use pressroom_web::address_budget::AddressBudget;

/// The request budgets of `/graphql`: per token, keyed by the SHA-256 of the bearer token (only
/// tokens that authenticated are counted, so the keys are bounded by real tokens), and for
/// anonymous callers per client address (an IPv4 address, or the /64 network of an IPv6 one, so
/// that one host cannot rotate through its own addresses).
#[derive(Clone, Default)]
pub struct RateLimit {
    /// Per token; `None`: no limit.
    pub per_token: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    /// Per client address for requests without a token; `None`: no limit.
    pub per_address: Option<AddressBudget>,
}

impl RateLimit {
    /// Budgets of `per_minute` requests per token and `anonymous_per_minute` per address.
    pub fn new(per_minute: Option<NonZeroU32>, anonymous_per_minute: Option<NonZeroU32>) -> Self {
        Self {
            per_token: per_minute.map(|n| Arc::new(RateLimiter::keyed(Quota::per_minute(n)))),
            per_address: anonymous_per_minute.map(AddressBudget::per_minute),
        }
    }

    /// `None` when the token may go on; otherwise how long to wait.
    pub fn check(&self, token: &str) -> Option<Duration> {
        let limiter = self.per_token.as_ref()?;
        let key = pressroom_domain::content::sha256_hex(token.as_bytes());
        limiter
            .check_key(&key)
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// `None` when an anonymous caller from `address` may go on; otherwise how long to wait.
    /// A request whose address is unknown (not over TCP) shares one budget with all such.
    pub fn check_anonymous(&self, address: Option<IpAddr>) -> Option<Duration> {
        self.per_address.as_ref()?.check(address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        text.parse().ok()
    }

    #[test]
    fn anonymous_budgets_are_per_ipv4_address_and_per_ipv6_network() {
        let limit = RateLimit::new(None, NonZeroU32::new(1));
        assert!(limit.check_anonymous(ip("192.0.2.1")).is_none());
        assert!(limit.check_anonymous(ip("192.0.2.1")).is_some(), "spent");
        assert!(
            limit.check_anonymous(ip("::ffff:192.0.2.1")).is_some(),
            "the same host"
        );
        assert!(
            limit.check_anonymous(ip("192.0.2.2")).is_none(),
            "another host"
        );
        assert!(limit.check_anonymous(ip("2001:db8:1:2::1")).is_none());
        assert!(
            limit.check_anonymous(ip("2001:db8:1:2:ffff::9")).is_some(),
            "the same /64"
        );
        assert!(
            limit.check_anonymous(ip("2001:db8:1:3::1")).is_none(),
            "another /64"
        );
        assert!(
            RateLimit::new(None, None)
                .check_anonymous(ip("192.0.2.1"))
                .is_none()
        );
    }
}
