//! The contract's `DateTime` scalar.
//!
//! Output is RFC 3339 in UTC with `Z`. Input must carry an explicit offset
//! (`2026-06-02T09:00:00+02:00`); anything else is accepted by the parser and refused by the
//! resolver with `VALIDATION` and the argument's path, so the error carries a contract code.

use async_graphql::{InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, Utc};
use pressroom_domain::lifecycle::format_instant;

use crate::error::{ApiError, ApiResult};

/// An instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Instant {
    /// A valid instant.
    Valid(DateTime<Utc>),
    /// Input that is not an RFC 3339 time with an offset.
    Invalid(String),
}

impl Instant {
    /// The instant, or `VALIDATION` naming `field`.
    pub fn valid(&self, field: &str) -> ApiResult<DateTime<Utc>> {
        match self {
            Self::Valid(at) => Ok(*at),
            Self::Invalid(text) => Err(ApiError::validation(
                field,
                format!(
                    "{text:?} is not an RFC 3339 time with an explicit UTC offset, e.g. 2026-06-02T09:00:00+02:00"
                ),
            )),
        }
    }
}

impl From<DateTime<Utc>> for Instant {
    fn from(at: DateTime<Utc>) -> Self {
        Self::Valid(at)
    }
}

/// RFC 3339 date-time; input must carry an explicit offset.
#[Scalar(name = "DateTime")]
impl ScalarType for Instant {
    fn parse(value: Value) -> InputValueResult<Self> {
        Ok(match &value {
            Value::String(text) => match DateTime::parse_from_rfc3339(text) {
                Ok(at) => Self::Valid(pressroom_storage::clock::truncate(at.with_timezone(&Utc))),
                Err(_) => Self::Invalid(text.clone()),
            },
            other => Self::Invalid(other.to_string()),
        })
    }

    fn to_value(&self) -> Value {
        match self {
            Self::Valid(at) => Value::String(format_instant(*at)),
            Self::Invalid(text) => Value::String(text.clone()),
        }
    }
}
