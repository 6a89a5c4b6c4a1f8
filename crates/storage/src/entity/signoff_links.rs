//! `signoff_links`: links a minister's office answers from, stored only as the SHA-256 of
//! their token.

use sea_orm::entity::prelude::*;

/// One sign-off link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signoff_links")]
pub struct Model {
    /// Uuid v7 text.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Lowercase hex SHA-256 of the token; unique, the token itself is never stored.
    #[sea_orm(column_type = "Text", unique)]
    pub token_hash: String,
    /// The release asked about.
    #[sea_orm(column_type = "Text")]
    pub release_id: String,
    /// The person whose office signs.
    #[sea_orm(column_type = "Text")]
    pub person_id: String,
    /// The user name the answer is recorded under.
    #[sea_orm(column_type = "Text")]
    pub signer: String,
    /// The revision the link was made for.
    pub revision: i32,
    /// That revision's content hash.
    #[sea_orm(column_type = "Text")]
    pub content_hash: String,
    /// Who asked.
    #[sea_orm(column_type = "Text")]
    pub created_by: String,
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
    /// When it stops being accepted.
    pub expires_at: i64,
    /// When it was answered.
    pub answered_at: Option<i64>,
    /// `APPROVED` or `CHANGES_REQUESTED`.
    #[sea_orm(column_type = "Text", nullable)]
    pub answer: Option<String>,
    /// The comment of a request for changes.
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    #[sea_orm(column_type = "Text", nullable)]
    pub revoked_by: Option<String>,
    /// When the release left review while the link was open.
    pub closed_at: Option<i64>,
}

/// Foreign keys of `signoff_links`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `signoff_links.release_id` → `releases.id`.
    #[sea_orm(
        belongs_to = "super::releases::Entity",
        from = "Column::ReleaseId",
        to = "super::releases::Column::Id"
    )]
    Release,
    /// `signoff_links.person_id` → `people.id`.
    #[sea_orm(
        belongs_to = "super::people::Entity",
        from = "Column::PersonId",
        to = "super::people::Column::Id"
    )]
    Person,
}

impl Related<super::releases::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Release.def()
    }
}

impl Related<super::people::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
