//! The delivery side of webhooks: one job per (endpoint, outbox event), and the cursor up to
//! which the outbox has been fanned out into jobs.
//!
//! The publish transaction never touches these tables. A delivery worker reads outbox events
//! after the cursor, creates one `webhook_jobs` row per subscribed endpoint, and advances the
//! cursor, all in one transaction of its own. The job row carries the retry state
//! (`attempts`, `next_attempt_at`), so retries survive restarts and several workers can share
//! the work; each attempt is still recorded in `webhook_deliveries`.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, integer, text};

/// Creates `webhook_jobs` and `webhook_outbox_cursor`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WebhookJobs::Table)
                    .col(text(WebhookJobs::Id).primary_key())
                    .col(text(WebhookJobs::EndpointId))
                    .col(big_integer(WebhookJobs::OutboxId))
                    .col(big_integer(WebhookJobs::AuditSeq))
                    .col(text(WebhookJobs::Event))
                    .col(text(WebhookJobs::State))
                    .col(integer(WebhookJobs::Attempts))
                    .col(big_integer(WebhookJobs::NextAttemptAt))
                    .col(big_integer(WebhookJobs::CreatedAt))
                    .col(big_integer_null(WebhookJobs::FinishedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_jobs_endpoint")
                            .from(WebhookJobs::Table, WebhookJobs::EndpointId)
                            .to(WebhookEndpoints::Table, WebhookEndpoints::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_webhook_jobs_outbox")
                            .from(WebhookJobs::Table, WebhookJobs::OutboxId)
                            .to(Outbox::Table, Outbox::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // An event is fanned out to an endpoint at most once, even if two workers race.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_jobs_endpoint_outbox")
                    .table(WebhookJobs::Table)
                    .col(WebhookJobs::EndpointId)
                    .col(WebhookJobs::OutboxId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        // Claiming asks for pending jobs whose next attempt is due, earliest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_jobs_due")
                    .table(WebhookJobs::Table)
                    .col(WebhookJobs::State)
                    .col(WebhookJobs::NextAttemptAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(WebhookOutboxCursor::Table)
                    .col(integer(WebhookOutboxCursor::Id).primary_key())
                    .col(big_integer(WebhookOutboxCursor::AuditSeq))
                    .to_owned(),
            )
            .await?;
        // The cursor starts at the outbox's current head: events recorded before webhooks were
        // delivered at all are history, not news, and are not sent to anyone. The statement is
        // plain SQL that SQLite and PostgreSQL read alike.
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO webhook_outbox_cursor (id, audit_seq) \
                 SELECT 1, COALESCE(MAX(audit_seq), 0) FROM outbox",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookOutboxCursor::Table.into_iden(),
            WebhookJobs::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum WebhookJobs {
    Table,
    Id,
    EndpointId,
    OutboxId,
    AuditSeq,
    Event,
    State,
    Attempts,
    NextAttemptAt,
    CreatedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum WebhookOutboxCursor {
    Table,
    Id,
    AuditSeq,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
}
