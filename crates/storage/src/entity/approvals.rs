//! `approvals`: the verdicts of ministers' offices, one row per verdict.

use sea_orm::entity::prelude::*;

/// One office's verdict on one revision.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "approvals")]
pub struct Model {
    /// Assigned by the database, increasing.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The release.
    #[sea_orm(column_type = "Text")]
    pub release_id: String,
    /// The revision the verdict is about.
    pub revision: i32,
    /// The person whose office gave the verdict.
    #[sea_orm(column_type = "Text")]
    pub office_id: String,
    /// `APPROVED` or `CHANGES_REQUESTED`.
    #[sea_orm(column_type = "Text")]
    pub status: String,
    /// User who gave the verdict.
    #[sea_orm(column_type = "Text")]
    pub by_user: String,
    /// Microseconds since the Unix epoch, UTC.
    pub at: i64,
    /// The office's comment, required when changes are requested.
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    /// Content hash of the revision the verdict covers.
    #[sea_orm(column_type = "Text")]
    pub content_hash: String,
    /// Hash of the office's person's quotes in that revision.
    #[sea_orm(column_type = "Text")]
    pub quotes_hash: String,
}

/// Foreign keys of `approvals`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `approvals.release_id` → `releases.id`.
    #[sea_orm(
        belongs_to = "super::releases::Entity",
        from = "Column::ReleaseId",
        to = "super::releases::Column::Id"
    )]
    Release,
    /// `approvals.office_id` → `people.id`.
    #[sea_orm(
        belongs_to = "super::people::Entity",
        from = "Column::OfficeId",
        to = "super::people::Column::Id"
    )]
    Office,
}

impl Related<super::releases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Release.def()
    }
}

impl Related<super::people::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Office.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
