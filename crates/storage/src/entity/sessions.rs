//! `sessions`: newsroom sessions, stored only as the SHA-256 of their cookie secret, shared by
//! every replica.

use sea_orm::entity::prelude::*;

/// One session and the identity it stands for.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// Uuid v7 text.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub id: String,
    /// Lowercase hex SHA-256 of the session secret; unique, the secret itself is never stored.
    #[sea_orm(column_type = "Text", unique)]
    pub token_hash: String,
    /// The user name recorded as the actor in the audit log.
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
    /// The sign-in link that started it, if one did.
    #[sea_orm(column_type = "Text", nullable)]
    pub signin_link_id: Option<String>,
    /// The API token that started it, if one did (the session ends with the token).
    #[sea_orm(column_type = "Text", nullable)]
    pub token_id: Option<String>,
    /// The anti-forgery secret the newsroom puts into its forms.
    #[sea_orm(column_type = "Text")]
    pub csrf_token: String,
    /// Microseconds since the Unix epoch, UTC.
    pub created_at: i64,
    /// The last time a request used it (written at most once a minute).
    pub last_seen_at: i64,
    /// When it expires unless used again.
    pub expires_at: i64,
}

/// Foreign keys of `sessions`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// `sessions.department_id` → `departments.id`.
    #[sea_orm(
        belongs_to = "super::departments::Entity",
        from = "Column::DepartmentId",
        to = "super::departments::Column::Id"
    )]
    Department,
    /// `sessions.person_id` → `people.id`.
    #[sea_orm(
        belongs_to = "super::people::Entity",
        from = "Column::PersonId",
        to = "super::people::Column::Id"
    )]
    Person,
    /// `sessions.signin_link_id` → `signin_links.id`.
    #[sea_orm(
        belongs_to = "super::signin_links::Entity",
        from = "Column::SigninLinkId",
        to = "super::signin_links::Column::Id"
    )]
    SigninLink,
    /// `sessions.token_id` → `tokens.id`.
    #[sea_orm(
        belongs_to = "super::tokens::Entity",
        from = "Column::TokenId",
        to = "super::tokens::Column::Id"
    )]
    Token,
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

impl Related<super::signin_links::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::SigninLink.def()
    }
}

impl Related<super::tokens::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Token.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
