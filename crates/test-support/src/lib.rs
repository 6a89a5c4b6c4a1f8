#![doc = include_str!("../README.md")]
#![allow(
    clippy::panic,
    reason = "test support: a failure to set up a database or a process should fail the test loudly"
)]

pub mod binary;
pub mod database;
pub mod mail_server;
pub mod world;
