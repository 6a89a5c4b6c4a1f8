//! `signin_links`: one-time links that sign a user into the newsroom, stored only as the
//! SHA-256 of their token.

use sea_orm::entity::prelude::*;

/// One sign-in link and the identity it grants.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signin_links")]
pub struct Model {
    /// Uuid v7 text.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Lowercase hex SHA-256 of the token; unique, the token itself is never stored.
    #[sea_orm(column_type = "Text", unique)]
    pub token_hash: String,
    /// The user the session will be for.
    #[sea_orm(column_type = "Text")]
    pub user_name: String,
    /// `DRAFTER`, `EDITOR`, `MINISTER_OFFICE`, `INTEGRATOR` or `ADMIN`.
    #[sea_orm(column_type = "Text")]
    pub role: String,
    /// The department of a drafter or editor.
    #[sea_orm(column_type = "Text", nullable)]
    pub department_id: Option<String>,
    /// The person whose office a minister's-office user acts for.
    #[sea_orm(column_type = "Text", nullable)]
    pub person_id: Option<String>,
    /// Whether an integrator is accredited to read embargoed releases.
    pub embargo_access: bool,
    /// Who issued it (an admin's user name, or `cli`).
    #[sea_orm(column_type = "Text")]
    pub created_by: String,
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
    /// When it stops being accepted.
    pub expires_at: i64,
    /// When it signed someone in.
    pub used_at: Option<i64>,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    #[sea_orm(column_type = "Text", nullable)]
    pub revoked_by: Option<String>,
}

/// Foreign keys of `signin_links`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `signin_links.department_id` → `departments.id`.
    #[sea_orm(
        belongs_to = "super::departments::Entity",
        from = "Column::DepartmentId",
        to = "super::departments::Column::Id"
    )]
    Department,
    /// `signin_links.person_id` → `people.id`.
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
