//! A request budget per client address, shared by the public surfaces that limit anonymous
//! callers: `/graphql` without a token, and the newsroom's sign-in attempts.
//!
//! The key is an IPv4 address, or the /64 network of an IPv6 one (an IPv4-mapped IPv6 address
//! counts as its IPv4 address), so that one host cannot rotate through its own addresses. A
//! request whose address is unknown (not over TCP) shares one budget with all such. Addresses
//! whose budget is full again are forgotten once more than [`ADDRESSES_KEPT`] are tracked.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Addresses tracked before the ones with full budgets are forgotten.
pub const ADDRESSES_KEPT: usize = 10_000;

/// `per_minute` requests per client address.
#[derive(Clone)]
pub struct AddressBudget(Arc<DefaultKeyedRateLimiter<IpAddr>>);

impl std::fmt::Debug for AddressBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AddressBudget(..)")
    }
}

impl AddressBudget {
    /// A budget of `per_minute` requests per address.
    pub fn per_minute(per_minute: NonZeroU32) -> Self {
        Self(Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))))
    }

    /// `None` when a caller from `address` may go on; otherwise how long to wait.
    pub fn check(&self, address: Option<IpAddr>) -> Option<Duration> {
        if self.0.len() > ADDRESSES_KEPT {
            self.0.retain_recent();
        }
        self.0
            .check_key(&address_key(address))
            .err()
            .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

/// The key a client address counts under: an IPv4 address, or the /64 network of an IPv6 one
/// (an IPv4-mapped IPv6 address as its IPv4 address); an unknown address (not over TCP) is
/// `0.0.0.0`. The per-address limits of the WebSocket endpoint count under the same key.
pub fn address_key(address: Option<IpAddr>) -> IpAddr {
    match address.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED)) {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !u128::from(u64::MAX))),
        },
        v4 => v4,
    }
}
