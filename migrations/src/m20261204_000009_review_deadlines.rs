//! `review_deadlines`: the optional deadline of a release's review (`reviewDeadline`), by which
//! the offices are asked to answer; a reminder goes to the offices that have not answered a
//! configurable time before it. At most one per release; setting it again replaces it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, text};

/// Creates `review_deadlines`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ReviewDeadlines::Table)
                    .col(text(ReviewDeadlines::ReleaseId).primary_key())
                    .col(big_integer(ReviewDeadlines::Deadline))
                    .col(text(ReviewDeadlines::SetBy))
                    .col(big_integer(ReviewDeadlines::SetAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_review_deadlines_release")
                            .from(ReviewDeadlines::Table, ReviewDeadlines::ReleaseId)
                            .to(Releases::Table, Releases::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReviewDeadlines::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum ReviewDeadlines {
    Table,
    ReleaseId,
    Deadline,
    SetBy,
    SetAt,
}

#[derive(DeriveIden)]
enum Releases {
    Table,
    Id,
}
