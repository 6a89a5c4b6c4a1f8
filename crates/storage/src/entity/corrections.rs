//! `corrections`: public correction notes of published releases.

use sea_orm::entity::prelude::*;

/// One correction: the revision it made live and its public note.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "corrections")]
pub struct Model {
    /// Assigned by the database, increasing.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The release.
    #[sea_orm(column_type = "Text")]
    pub release_id: String,
    /// The revision the correction made live.
    pub revision: i32,
    /// Microseconds since the Unix epoch, UTC.
    pub at: i64,
    /// The public correction note.
    #[sea_orm(column_type = "Text")]
    pub note: String,
}

/// Foreign keys of `corrections`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `corrections.release_id` → `releases.id`.
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
