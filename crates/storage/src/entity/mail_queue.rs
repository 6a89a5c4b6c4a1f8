//! `mail_queue`: e-mail messages waiting to be sent, being sent, sent or given up.

use sea_orm::entity::prelude::*;

/// One message to one recipient, with its retry state.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_queue")]
pub struct Model {
    /// Uuid v7 text; also the message's `Message-ID` local part.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// The address it goes to.
    #[sea_orm(column_type = "Text")]
    pub recipient: String,
    /// `SIGNOFF_REQUEST`, `CHANGES_REQUESTED`, `ALL_SIGNED_OFF`, `PUBLISHED`, `CORRECTED`,
    /// `WITHDRAWN`, `READINESS_ALERT` or `DEADLINE_REMINDER`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    /// The release it is about.
    #[sea_orm(column_type = "Text", nullable)]
    pub release_id: Option<String>,
    /// `sv` or `en`: the language it is written in.
    #[sea_orm(column_type = "Text")]
    pub language: String,
    /// What the templates need, as JSON text.
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    /// The sign-off token a sign-off request carries, until the message is finished.
    #[sea_orm(column_type = "Text", nullable)]
    pub secret: Option<String>,
    /// Keeps a message several replicas may raise at once to one row.
    #[sea_orm(column_type = "Text", nullable, unique)]
    pub dedupe_key: Option<String>,
    /// `PENDING`, `SENT` or `FAILED`.
    #[sea_orm(column_type = "Text")]
    pub state: String,
    /// Attempts claimed so far (the attempt in flight included).
    pub attempts: i32,
    /// When the next attempt may start; while one is in flight, when its claim lapses.
    pub next_attempt_at: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
    /// When the last attempt ended.
    pub last_attempt_at: Option<i64>,
    /// What the last failed attempt got (the server's answer or the connection error).
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// When the message was sent or given up.
    pub finished_at: Option<i64>,
}

/// `mail_queue` has no foreign keys (a message outlives nothing it refers to).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
