//! `release_revisions`: every revision of every release, immutable (the database refuses
//! UPDATE and DELETE).

use sea_orm::entity::prelude::*;

/// One revision of a release's content.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "release_revisions")]
pub struct Model {
    /// The release this revision belongs to.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub release_id: String,
    /// Revision number, from 1.
    #[sea_orm(primary_key, auto_increment = false)]
    pub revision: i32,
    /// Canonical JSON of the content.
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// Lowercase hex SHA-256 of `content`.
    #[sea_orm(column_type = "Text")]
    pub content_hash: String,
    /// User who wrote this revision.
    #[sea_orm(column_type = "Text")]
    pub author: String,
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
}

/// Foreign keys of `release_revisions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `release_revisions.release_id` → `releases.id`.
    #[sea_orm(
        belongs_to = "super::releases::Entity",
        from = "Column::ReleaseId",
        to = "super::releases::Column::Id"
    )]
    Release,
}

impl Related<super::releases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Release.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
