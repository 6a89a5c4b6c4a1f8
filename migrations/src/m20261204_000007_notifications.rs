//! Notifications by e-mail: the addresses people's offices and users are written to, and the
//! mail queue.
//!
//! - `office_emails`: the office e-mail address of a person (the minister's office that signs
//!   for them), at most one per person.
//! - `user_emails`: the e-mail address of a user (the name behind tokens and sessions), at most
//!   one per user name.
//! - `mail_queue`: one row per message, written in the same transaction as the change that
//!   causes it (the outbox pattern) and sent later by a worker. The row carries the retry state
//!   (`attempts`, `next_attempt_at`, a claim lease while an attempt is in flight) so that
//!   several workers share the work and each message is sent once. `secret` holds the
//!   sign-off link token a sign-off request carries until the message is finished, and is
//!   cleared then. `dedupe_key` (unique, null for most messages) keeps alerts that several
//!   replicas may raise at once (a readiness alert for one embargo instant) to one message.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, integer, text, text_null};

/// Creates `office_emails`, `user_emails` and `mail_queue`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OfficeEmails::Table)
                    .col(text(OfficeEmails::PersonId).primary_key())
                    .col(text(OfficeEmails::Email))
                    .col(big_integer(OfficeEmails::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_office_emails_person")
                            .from(OfficeEmails::Table, OfficeEmails::PersonId)
                            .to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(UserEmails::Table)
                    .col(text(UserEmails::UserName).primary_key())
                    .col(text(UserEmails::Email))
                    .col(big_integer(UserEmails::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MailQueue::Table)
                    .col(text(MailQueue::Id).primary_key())
                    .col(text(MailQueue::Recipient))
                    .col(text(MailQueue::Kind))
                    .col(text_null(MailQueue::ReleaseId))
                    .col(text(MailQueue::Language))
                    .col(text(MailQueue::Payload))
                    .col(text_null(MailQueue::Secret))
                    .col(text_null(MailQueue::DedupeKey).unique_key())
                    .col(text(MailQueue::State))
                    .col(integer(MailQueue::Attempts))
                    .col(big_integer(MailQueue::NextAttemptAt))
                    .col(big_integer(MailQueue::CreatedAt))
                    .col(big_integer_null(MailQueue::LastAttemptAt))
                    .col(text_null(MailQueue::LastError))
                    .col(big_integer_null(MailQueue::FinishedAt))
                    .to_owned(),
            )
            .await?;
        // Claiming asks for pending messages whose next attempt is due, earliest first.
        manager
            .create_index(
                Index::create()
                    .name("idx_mail_queue_due")
                    .table(MailQueue::Table)
                    .col(MailQueue::State)
                    .col(MailQueue::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        // The admins' list reads the newest messages, optionally of one release.
        manager
            .create_index(
                Index::create()
                    .name("idx_mail_queue_release")
                    .table(MailQueue::Table)
                    .col(MailQueue::ReleaseId)
                    .col(MailQueue::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MailQueue::Table.into_iden(),
            UserEmails::Table.into_iden(),
            OfficeEmails::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden)]
enum OfficeEmails {
    Table,
    PersonId,
    Email,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserEmails {
    Table,
    UserName,
    Email,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MailQueue {
    Table,
    Id,
    Recipient,
    Kind,
    ReleaseId,
    Language,
    Payload,
    Secret,
    DedupeKey,
    State,
    Attempts,
    NextAttemptAt,
    CreatedAt,
    LastAttemptAt,
    LastError,
    FinishedAt,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
}
