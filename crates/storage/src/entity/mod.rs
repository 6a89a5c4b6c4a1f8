//! sea-orm entities, one module per table of the initial migration
//! (`pressroom_migrations`).
//!
//! The entities mirror the schema's conventions literally: ids are `String` (uuid v7 text),
//! instants are `i64` microseconds since the Unix epoch in UTC, enums are their upper-case
//! names as `String`, and JSON columns are `String` holding the serialized document. Turning
//! these into domain types is the repositories' job; entities never leave the storage crate.

pub mod approvals;
pub mod audit_head;
pub mod audit_log;
pub mod corrections;
pub mod departments;
pub mod departments_history;
pub mod mail_queue;
pub mod office_emails;
pub mod outbox;
pub mod people;
pub mod people_history;
pub mod release_offices;
pub mod release_revisions;
pub mod release_topics;
pub mod releases;
pub mod review_deadlines;
pub mod scheduler_heartbeats;
pub mod sessions;
pub mod signin_links;
pub mod signoff_links;
pub mod tokens;
pub mod user_emails;
pub mod webhook_deliveries;
pub mod webhook_endpoints;
pub mod webhook_jobs;
pub mod webhook_outbox_cursor;
