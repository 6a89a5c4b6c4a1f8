//! `releases`: one language version of a press release, with its current revision inlined.

use sea_orm::entity::prelude::*;

/// A release as it stands now. The current revision's content is copied here from
/// `release_revisions` so that listings and pages need no join.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "releases")]
pub struct Model {
    /// Uuid v7 text.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Generated from the title, unique, stable once published.
    #[sea_orm(column_type = "Text", unique)]
    pub slug: String,
    /// `PRESS_RELEASE`, `NEWS` or `STATEMENT`.
    #[sea_orm(column_type = "Text")]
    pub kind: String,
    /// BCP 47 language tag, e.g. `sv`.
    #[sea_orm(column_type = "Text")]
    pub language: String,
    /// The department the release belongs to.
    #[sea_orm(column_type = "Text")]
    pub department_id: String,
    /// The person whose office approves the whole revision.
    #[sea_orm(column_type = "Text", nullable)]
    pub responsible_minister_id: Option<String>,
    /// The release this one translates, if any.
    #[sea_orm(column_type = "Text", nullable)]
    pub translation_of_id: Option<String>,
    /// `DRAFT`, `IN_REVIEW`, `APPROVED`, `EMBARGOED`, `PUBLISHED` or `WITHDRAWN`.
    #[sea_orm(column_type = "Text")]
    pub state: String,
    /// Optimistic-concurrency version, increased by every write of any kind.
    pub version: i32,
    /// Number of the current revision.
    pub revision: i32,
    /// Lowercase hex SHA-256 of the current revision's canonical content.
    #[sea_orm(column_type = "Text")]
    pub content_hash: String,
    /// Title of the current revision.
    #[sea_orm(column_type = "Text")]
    pub title: String,
    /// Lead (ingress) of the current revision.
    #[sea_orm(column_type = "Text")]
    pub lead: String,
    /// Canonical JSON of the current revision's content.
    #[sea_orm(column_type = "Text")]
    pub content: String,
    /// User who wrote the current revision (for the four-eyes rule).
    #[sea_orm(column_type = "Text")]
    pub author: String,
    /// The embargo instant while EMBARGOED.
    pub embargo_until: Option<i64>,
    /// First publication instant.
    pub published_at: Option<i64>,
    /// Instant listings sort by.
    pub sort_at: i64,
    /// When the release was withdrawn.
    pub withdrawn_at: Option<i64>,
    /// Public reason of the withdrawal.
    #[sea_orm(column_type = "Text", nullable)]
    pub withdrawal_reason: Option<String>,
    /// User who created the release.
    #[sea_orm(column_type = "Text")]
    pub created_by: String,
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
    /// Microseconds since the Unix epoch, UTC.
    pub updated_at: i64,
    /// Plain text of the current revision for full-text search (see the search migration).
    #[sea_orm(column_type = "Text")]
    pub search_text: String,
}

/// The columns a read of a release needs: the row without `title`, `lead`, `kind`, `language`,
/// `responsible_minister_id`, `translation_of_id` and `search_text`, which are copies of the
/// content kept for queries (filters, indexes, full-text search) and which no reader decodes.
#[derive(Clone, Debug, PartialEq, Eq, DerivePartialModel)]
#[sea_orm(entity = "Entity")]
pub struct Row {
    /// See [`Model::id`].
    pub id: String,
    /// See [`Model::slug`].
    pub slug: String,
    /// See [`Model::department_id`].
    pub department_id: String,
    /// See [`Model::state`].
    pub state: String,
    /// See [`Model::version`].
    pub version: i32,
    /// See [`Model::revision`].
    pub revision: i32,
    /// See [`Model::content_hash`].
    pub content_hash: String,
    /// See [`Model::content`].
    pub content: String,
    /// See [`Model::author`].
    pub author: String,
    /// See [`Model::embargo_until`].
    pub embargo_until: Option<i64>,
    /// See [`Model::published_at`].
    pub published_at: Option<i64>,
    /// See [`Model::sort_at`].
    pub sort_at: i64,
    /// See [`Model::withdrawn_at`].
    pub withdrawn_at: Option<i64>,
    /// See [`Model::withdrawal_reason`].
    pub withdrawal_reason: Option<String>,
    /// See [`Model::created_by`].
    pub created_by: String,
    /// See [`Model::created_at`].
    pub created_at: i64,
    /// See [`Model::updated_at`].
    pub updated_at: i64,
}

/// Foreign keys of `releases`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `releases.department_id` → `departments.id`.
    #[sea_orm(
        belongs_to = "super::departments::Entity",
        from = "Column::DepartmentId",
        to = "super::departments::Column::Id"
    )]
    Department,
    /// `releases.responsible_minister_id` → `people.id`.
    #[sea_orm(
        belongs_to = "super::people::Entity",
        from = "Column::ResponsibleMinisterId",
        to = "super::people::Column::Id"
    )]
    ResponsibleMinister,
    /// `releases.translation_of_id` → `releases.id`.
    #[sea_orm(
        belongs_to = "Entity",
        from = "Column::TranslationOfId",
        to = "Column::Id"
    )]
    TranslationOf,
}

impl Related<super::departments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl Related<super::people::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ResponsibleMinister.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
