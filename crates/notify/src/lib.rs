#![doc = include_str!("../README.md")]

pub mod config;
pub mod metrics;
pub mod render;
pub mod sending;
pub mod worker;

pub use config::{MailConfig, MailConfigError};
pub use worker::{MailWorker, RoundOutcome};
