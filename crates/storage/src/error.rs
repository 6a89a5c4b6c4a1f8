//! Storage errors.
//!
//! Policy: domain refusals pass through unchanged; `NotFound` and `VersionConflict` are decided
//! here; everything the database says is `Internal` and its text is for logs only, never for a
//! caller (the API maps it to `INTERNAL` with a generic message).

use pressroom_domain::{DomainError, ErrorCode};
use sea_orm::{DbErr, SqlErr};

/// What a storage operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A domain rule refused the action.
    #[error(transparent)]
    Rule(#[from] DomainError),
    /// The thing does not exist, or the caller may not see it.
    #[error("not found")]
    NotFound,
    /// `expectedVersion` is stale.
    #[error("version conflict: the release is at version {current}")]
    VersionConflict {
        /// The version the release is at now.
        current: i32,
    },
    /// A database or data error; details are for logs only.
    #[error("internal storage error: {0}")]
    Internal(String),
}

impl StorageError {
    /// The contract's error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Rule(e) => e.code(),
            Self::NotFound => ErrorCode::NotFound,
            Self::VersionConflict { .. } => ErrorCode::VersionConflict,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Shorthand for a validation refusal.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Rule(DomainError::validation(field, message))
    }

    /// Whether the database reported a unique-constraint violation.
    pub fn is_unique_violation(err: &DbErr) -> bool {
        matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
    }
}

impl From<DbErr> for StorageError {
    fn from(err: DbErr) -> Self {
        Self::Internal(err.to_string())
    }
}

impl From<serde_json::Error> for StorageError {
    fn from(err: serde_json::Error) -> Self {
        Self::Internal(format!("stored JSON does not parse: {err}"))
    }
}

/// Result of storage operations.
pub type StorageResult<T> = Result<T, StorageError>;
