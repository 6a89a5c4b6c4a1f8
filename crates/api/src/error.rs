//! The API's one error boundary.
//!
//! Policy: every resolver returns `Result<_, ApiError>`. A refusal carries the contract's code in
//! `extensions.code` (and the input path in `extensions.field` for `VALIDATION`). An internal
//! error is logged here, once, with its cause and an error id; the caller sees only
//! `internal error`, the code `INTERNAL` and the same id (also in `extensions.errorId`), never
//! SQL, paths or stack traces.

use async_graphql::ErrorExtensions;
use pressroom_domain::{DomainError, ErrorCode};
use pressroom_storage::StorageError;

/// An error a resolver returns.
#[derive(Debug, Clone)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    field: Option<String>,
    error_id: Option<String>,
}

impl ApiError {
    /// A refusal with a code and a message for the caller.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            error_id: None,
        }
    }

    /// The caller is not authenticated (or the token is unknown, revoked or expired).
    pub fn unauthenticated() -> Self {
        Self::new(
            ErrorCode::Unauthenticated,
            "authentication required: send Authorization: Bearer <token>",
        )
    }

    /// The caller's role does not allow this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// Malformed input at `field`.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self {
            code: ErrorCode::Validation,
            message: format!("{field}: {}", message.into()),
            field: Some(field.to_owned()),
            error_id: None,
        }
    }

    /// An unexpected failure: logged with its cause, shown without it.
    pub fn internal(cause: &dyn std::fmt::Display) -> Self {
        let id = uuid_like();
        tracing::error!(error.id = %id, error.cause = %cause, "internal error");
        Self {
            code: ErrorCode::Internal,
            message: format!("internal error (id {id})"),
            field: None,
            error_id: Some(id),
        }
    }
}

/// A short random id to correlate a response with the log line.
fn uuid_like() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        let field = err.field().map(str::to_owned);
        Self {
            code: err.code(),
            message: err.to_string(),
            field,
            error_id: None,
        }
    }
}

impl From<StorageError> for ApiError {
    fn from(err: StorageError) -> Self {
        match err {
            StorageError::Rule(rule) => rule.into(),
            StorageError::NotFound => Self::new(ErrorCode::NotFound, "no such release"),
            StorageError::VersionConflict { current } => Self::new(
                ErrorCode::VersionConflict,
                format!(
                    "expectedVersion is stale: the release is at version {current}; read it again"
                ),
            ),
            StorageError::Internal(cause) => Self::internal(&cause),
        }
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(err: ApiError) -> Self {
        let code = err.code;
        let field = err.field;
        let error_id = err.error_id;
        async_graphql::Error::new(err.message).extend_with(|_, e| {
            e.set("code", code.as_str());
            if let Some(id) = &error_id {
                e.set("errorId", id.as_str());
            }
            if let Some(field) = &field {
                e.set("field", field.as_str());
            }
        })
    }
}

impl From<async_graphql::Error> for ApiError {
    fn from(err: async_graphql::Error) -> Self {
        Self::internal(&err.message)
    }
}

/// Result of resolvers.
pub type ApiResult<T> = Result<T, ApiError>;
