//! The closed set of ways a domain rule can refuse an action.
//!
//! Each variant maps to exactly one error code of the GraphQL contract (`code()`); the API layer
//! turns them into `extensions.code` without looking at the message. Storage adds the two codes
//! that only it can decide (`NOT_FOUND`, `VERSION_CONFLICT`).

use crate::lifecycle::{Action, State};

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
    pub fn code(&self) -> &'static str {
        match self {
            Self::Validation { .. } => "VALIDATION",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::InvalidTransition { .. } => "INVALID_TRANSITION",
            Self::QuoteChangeRequiresReview => "QUOTE_CHANGE_REQUIRES_REVIEW",
            Self::EmbargoInPast => "EMBARGO_IN_PAST",
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
