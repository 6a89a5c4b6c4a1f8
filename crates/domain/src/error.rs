//! The closed set of ways a domain rule can refuse an action, and the contract's error codes.
//!
//! [`ErrorCode`] is the one home of the codes callers see in `extensions.code` (docs/api.md,
//! "Errors"); every layer names a code through it, never as a string. Each [`DomainError`]
//! variant maps to exactly one code (`code()`); the API layer turns them into `extensions.code`
//! without looking at the message. Storage adds the codes that only it can decide (`NOT_FOUND`,
//! `VERSION_CONFLICT`, `INTERNAL`), and the API those of the HTTP and GraphQL layers
//! (`UNAUTHENTICATED`, `QUERY_TOO_COMPLEX`).

use crate::lifecycle::{Action, State};

/// An error code of the contract: the value of `extensions.code`. The set is exactly the one
/// docs/api.md documents (a test in `crates/domain/tests/error_codes.rs` checks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// No valid token where one is needed.
    Unauthenticated,
    /// The caller may see the release but may not do this.
    Forbidden,
    /// No such thing, or the caller may not see it.
    NotFound,
    /// Malformed input, or input that breaks a rule.
    Validation,
    /// The action is not allowed in the release's current state.
    InvalidTransition,
    /// `expectedVersion` is stale.
    VersionConflict,
    /// A correction would change a quote.
    QuoteChangeRequiresReview,
    /// An embargo instant that is not in the future.
    EmbargoInPast,
    /// The query is over the depth, complexity, alias or root-field limits.
    QueryTooComplex,
    /// Something unexpected failed on the server.
    Internal,
}

impl ErrorCode {
    /// Every code, in the order docs/api.md lists them.
    pub const ALL: [ErrorCode; 10] = [
        Self::Unauthenticated,
        Self::Forbidden,
        Self::NotFound,
        Self::Validation,
        Self::InvalidTransition,
        Self::VersionConflict,
        Self::QuoteChangeRequiresReview,
        Self::EmbargoInPast,
        Self::QueryTooComplex,
        Self::Internal,
    ];

    /// The code as callers see it in `extensions.code`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::Validation => "VALIDATION",
            Self::InvalidTransition => "INVALID_TRANSITION",
            Self::VersionConflict => "VERSION_CONFLICT",
            Self::QuoteChangeRequiresReview => "QUOTE_CHANGE_REQUIRES_REVIEW",
            Self::EmbargoInPast => "EMBARGO_IN_PAST",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::Internal => "INTERNAL",
        }
    }

    /// The code with this wire name, if it is one of the contract's.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A code equals its wire name, so that a test can compare it with the code of a response.
impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

/// Why the domain refused an action. Refusals never change anything.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// Input is malformed, incomplete or out of bounds. `field` is the input path, e.g. `input.body[2].quote.text`.
    #[error("{field}: {message}")]
    Validation {
        /// Path of the offending input field.
        field: String,
        /// What is wrong with it, for a person to read.
        message: String,
    },
    /// The caller may see the release but its role or identity does not allow the action.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The action is not allowed in the release's current state.
    #[error("{action} is not allowed in state {state}")]
    InvalidTransition {
        /// The refused action.
        action: Action,
        /// The state the release is in.
        state: State,
    },
    /// A correction tried to change a quote's text or speaker.
    #[error("a correction cannot change quotes: changing a quote needs a new review")]
    QuoteChangeRequiresReview,
    /// An embargo instant that is not in the future.
    #[error("embargoUntil must lie in the future")]
    EmbargoInPast,
}

impl DomainError {
    /// The contract's error code for this refusal.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Validation { .. } => ErrorCode::Validation,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::InvalidTransition { .. } => ErrorCode::InvalidTransition,
            Self::QuoteChangeRequiresReview => ErrorCode::QuoteChangeRequiresReview,
            Self::EmbargoInPast => ErrorCode::EmbargoInPast,
        }
    }

    /// Shorthand for a validation error on one field.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The input path of a validation error, if this is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Validation { field, .. } => Some(field),
            _ => None,
        }
    }
}
