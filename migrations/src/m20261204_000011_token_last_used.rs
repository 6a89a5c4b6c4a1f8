//! `tokens.last_used_at`: when a token last authenticated a request, to the minute, so that an
//! admin listing tokens can tell the ones in use from the forgotten ones before revoking.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::big_integer_null;

/// Adds `tokens.last_used_at`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tokens::Table)
                    .add_column(big_integer_null(Tokens::LastUsedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Tokens::Table)
                    .drop_column(Tokens::LastUsedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Tokens {
    Table,
    LastUsedAt,
}
