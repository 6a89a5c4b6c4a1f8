//! `review_deadlines`: the optional deadline of a release's review.

use sea_orm::entity::prelude::*;

/// One release's review deadline.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "review_deadlines")]
pub struct Model {
    /// The release.
    #[sea_orm(primary_key, auto_increment = false, column_type = "Text")]
    pub release_id: String,
    /// Microseconds since the Unix epoch, UTC.
    pub deadline: i64,
    /// Who set it.
    #[sea_orm(column_type = "Text")]
    pub set_by: String,
    /// Microseconds since the Unix epoch, UTC.
    pub set_at: i64,
}

/// `review_deadlines` has a foreign key to `releases` but no navigation is needed.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
