//! Time: the one place storage reads a clock, and the conversion to stored microseconds.

use chrono::{DateTime, Utc};
use std::fmt::Debug;
use std::sync::Arc;

/// A source of the current instant. Tests inject a fixed or manual clock.
pub trait Clock: Send + Sync + Debug {
    /// The current instant, truncated to microseconds (the stored precision).
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        truncate(Utc::now())
    }
}

/// A clock that stays where it is set; for deterministic tests.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<std::sync::Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(std::sync::Mutex::new(truncate(at))))
    }
    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        if let Ok(mut now) = self.0.lock() {
            *now = truncate(at);
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .map(|now| *now)
            .unwrap_or_else(|poisoned| *poisoned.into_inner())
    }
}

/// Microseconds since the Unix epoch.
pub fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

/// The instant `us` microseconds after the Unix epoch (clamped into chrono's range).
pub fn from_micros(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Drops sub-microsecond precision so an instant survives a round trip through storage unchanged.
pub fn truncate(at: DateTime<Utc>) -> DateTime<Utc> {
    from_micros(micros(at))
}
