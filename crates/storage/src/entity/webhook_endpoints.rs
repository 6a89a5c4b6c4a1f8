//! `webhook_endpoints`: integrators' URLs that receive signed event deliveries.

use sea_orm::entity::prelude::*;

/// One registered endpoint.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_endpoints")]
pub struct Model {
    /// Uuid v7 text.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Where deliveries are POSTed.
    #[sea_orm(column_type = "Text")]
    pub url: String,
    /// JSON array of event types the endpoint subscribes to.
    #[sea_orm(column_type = "Text")]
    pub event_types: String,
    /// Signing secret.
    #[sea_orm(column_type = "Text")]
    pub secret: String,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
}

/// No relations are declared from this side.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
