//! `tokens`: API bearer tokens, stored only as the SHA-256 of the secret.

use sea_orm::entity::prelude::*;

/// One issued token and the identity it grants.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tokens")]
pub struct Model {
    /// Uuid v7 text.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// The user name recorded as the actor in the audit log.
    #[sea_orm(column_type = "Text")]
    pub user_name: String,
    /// Lowercase hex SHA-256 of the token; unique, the token itself is never stored.
    #[sea_orm(column_type = "Text", unique)]
    pub token_hash: String,
    /// `DRAFTER`, `EDITOR`, `MINISTER_OFFICE`, `INTEGRATOR` or `ADMIN`.
    #[sea_orm(column_type = "Text")]
    pub role: String,
    /// The department of a drafter or editor.
    #[sea_orm(column_type = "Text", nullable)]
    pub department_id: Option<String>,
    /// The person whose office a minister's-office token acts for.
    #[sea_orm(column_type = "Text", nullable)]
    pub person_id: Option<String>,
    /// Whether an integrator is accredited to read embargoed releases.
    pub embargo_access: bool,
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
    /// When the token was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// When the token stops being accepted, if ever.
    pub expires_at: Option<i64>,
    /// When the token last authenticated a request, written at most once a minute.
    pub last_used_at: Option<i64>,
}

/// Foreign keys of `tokens`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `tokens.department_id` → `departments.id`.
    #[sea_orm(
        belongs_to = "super::departments::Entity",
        from = "Column::DepartmentId",
        to = "super::departments::Column::Id"
    )]
    Department,
    /// `tokens.person_id` → `people.id`.
    #[sea_orm(
        belongs_to = "super::people::Entity",
        from = "Column::PersonId",
        to = "super::people::Column::Id"
    )]
    Person,
}

impl Related<super::departments::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Department.def()
    }
}

impl Related<super::people::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Person.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
