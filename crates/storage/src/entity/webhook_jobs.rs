//! `webhook_jobs`: one delivery of one outbox event to one endpoint, with its retry state.

use sea_orm::entity::prelude::*;

/// One job. Its id is the Standard Webhooks message id (`webhook-id`), the same on every attempt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_jobs")]
pub struct Model {
    /// `msg_` and a uuid v7 in hex; sent as `webhook-id`.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// The endpoint.
    #[sea_orm(column_type = "Text")]
    pub endpoint_id: String,
    /// The outbox event delivered.
    pub outbox_id: i64,
    /// The event's audit seq, for ordering.
    pub audit_seq: i64,
    /// Event type, copied from the outbox.
    #[sea_orm(column_type = "Text")]
    pub event: String,
    /// `PENDING`, `DELIVERED`, `FAILED` or `CANCELLED`.
    #[sea_orm(column_type = "Text")]
    pub state: String,
    /// Attempts claimed so far (the attempt in flight included).
    pub attempts: i32,
    /// Microseconds since the Unix epoch, UTC: when the next attempt may start; while an attempt
    /// is in flight, when its claim lapses.
    pub next_attempt_at: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
    /// When the job was delivered, failed for good or cancelled.
    pub finished_at: Option<i64>,
}

/// Foreign keys of `webhook_jobs`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `webhook_jobs.endpoint_id` → `webhook_endpoints.id`.
    #[sea_orm(
        belongs_to = "super::webhook_endpoints::Entity",
        from = "Column::EndpointId",
        to = "super::webhook_endpoints::Column::Id"
    )]
    Endpoint,
}

impl Related<super::webhook_endpoints::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Endpoint.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
