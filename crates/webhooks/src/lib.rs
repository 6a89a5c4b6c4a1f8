#![doc = include_str!("../README.md")]

pub mod address_policy;
pub mod config;
pub mod message;
pub mod metrics;
pub mod sending;
pub mod worker;

pub use config::WebhookConfig;
pub use worker::{DeliveryWorker, RoundOutcome, WorkerError};
