//! `office_emails`: the e-mail address of a person's office (the minister's office that signs
//! for them).

use sea_orm::entity::prelude::*;

/// One person's office address.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "office_emails")]
pub struct Model {
    /// The person.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub person_id: String,
    /// The address, checked like a contact's e-mail.
    #[sea_orm(column_type = "Text")]
    pub email: String,
    /// Microseconds since the Unix epoch, UTC.
    pub updated_at: i64,
}

/// `office_emails` has a foreign key to `people` but no navigation is needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
