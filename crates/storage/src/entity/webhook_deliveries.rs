//! `webhook_deliveries`: every attempt to deliver an outbox event to an endpoint.

use sea_orm::entity::prelude::*;

/// One delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_deliveries")]
pub struct Model {
    /// Uuid v7 text.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// The endpoint.
    #[sea_orm(column_type = "Text")]
    pub endpoint_id: String,
    /// The outbox event delivered.
    pub outbox_id: i64,
    /// Event type, copied from the outbox.
    #[sea_orm(column_type = "Text")]
    pub event: String,
    /// Attempt number, from 1.
    pub attempt: i32,
    /// HTTP status received, if a response came back.
    pub status: Option<i32>,
    /// Whether the endpoint accepted the delivery.
    pub succeeded: bool,
    /// Microseconds since the Unix epoch, UTC.
    pub at: i64,
}

/// Foreign keys of `webhook_deliveries`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `webhook_deliveries.endpoint_id` → `webhook_endpoints.id`.
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
