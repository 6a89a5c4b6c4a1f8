//! `scheduler_heartbeats`: when each running scheduler last reported in. The readiness check of
//! the notifications (a configurable time before each embargo instant) alerts a department's
//! editors when no scheduler has reported in recently, since then nothing would publish at the
//! instant. One row per scheduler process, updated every few seconds; rows of processes gone
//! for a day are removed by the next report.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, text};

/// Creates `scheduler_heartbeats`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SchedulerHeartbeats::Table)
                    .col(text(SchedulerHeartbeats::Instance).primary_key())
                    .col(big_integer(SchedulerHeartbeats::LastSeen))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SchedulerHeartbeats::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SchedulerHeartbeats {
    Table,
    Instance,
    LastSeen,
}
