//! `user_emails`: the e-mail address of a user (the name behind tokens and sessions).

use sea_orm::entity::prelude::*;

/// One user's address.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_emails")]
pub struct Model {
    /// The user name.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub user_name: String,
    /// The address, checked like a contact's e-mail.
    #[sea_orm(column_type = "Text")]
    pub email: String,
    /// Microseconds since the Unix epoch, UTC.
    pub updated_at: i64,
}

/// `user_emails` has no foreign keys (users are names, not rows).
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
