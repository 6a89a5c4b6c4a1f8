//! End-to-end acceptance tests of Pressroom's core engine.
//!
//! Every scenario starts the real `pressroom` binary (`pressroom serve --listen 127.0.0.1:0`)
//! against a database of its own, creates what it needs through the admin API and drives the
//! server over HTTP with GraphQL exactly as an integrator would. The tests are written against
//! `/work/shared/SPEC.md` and `contract.graphql`, never against the server's internals: the only
//! place they reach behind the API is the audit-tampering scenario, which has to.
//!
//! # Running
//!
//! ```text
//! cargo test -p pressroom-tests                     # SQLite only
//! PRESSROOM_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test \
//!     cargo test -p pressroom-tests                 # SQLite, then PostgreSQL
//! ```
//!
//! On PostgreSQL each scenario runs `CREATE DATABASE pressroom_test_<uuid>` on the server named by
//! `PRESSROOM_TEST_POSTGRES_URL` (the database in that URL is only used to connect; the role
//! needs `CREATEDB`) and drops it again when the scenario ends (best effort, `WITH (FORCE)`;
//! a leftover `pressroom_test_*` database is harmless). Every scenario runs on SQLite first and
//! then on PostgreSQL; a failure names the backend it happened on.
//!
//! The binary is built through Cargo once per run (`$CARGO build -p pressroom --bin pressroom`,
//! a no-op when it is current, in the test binary's profile and `CARGO_TARGET_DIR`) and the
//! tests use the executable Cargo reports, so they never run a stale build.
//! `PRESSROOM_BIN=/path/to/pressroom` points them at any other build.
//!
//! Failures print the GraphQL operation, its variables, the whole response and the tail of the
//! server's log (which runs with `RUST_LOG=warn`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests: a failed step should fail the test loudly, with its message"
)]

mod fixture;
mod graphql;
mod harness;

mod abuse;
mod approvals;
mod audit;
mod departments;
mod embargo;
mod health;
mod lifecycle_errors;
mod metrics;
mod notifications;
mod publish_flow;
mod roles;
mod scheduler;
mod shutdown;
mod signin;
mod signoff;
mod stale_version;
mod subscriptions;
mod viewer;
mod webhooks;
