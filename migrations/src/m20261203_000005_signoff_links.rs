//! Sign-off links: a minister's office without an account answers from a link.
//!
//! A link stores only the SHA-256 of its token (unique, so a token is found by an indexed
//! equality), the person whose office signs, the signer's name, and the revision and content
//! hash it was made for. It is answered, revoked or closed (the release left review) at most
//! once; the storage crate's guarded updates (`… WHERE answered_at IS NULL AND revoked_at IS
//! NULL AND closed_at IS NULL`) make sure of it. Listing a release's links reads the
//! `release_id` index.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, integer, text, text_null};

/// The index listing a release's links reads.
const RELEASE_INDEX: &str = "idx_signoff_links_release";

/// Creates `signoff_links`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SignoffLinks::Table)
                    .col(text(SignoffLinks::Id).primary_key())
                    .col(text(SignoffLinks::TokenHash).unique_key())
                    .col(text(SignoffLinks::ReleaseId))
                    .col(text(SignoffLinks::PersonId))
                    .col(text(SignoffLinks::Signer))
                    .col(integer(SignoffLinks::Revision))
                    .col(text(SignoffLinks::ContentHash))
                    .col(text(SignoffLinks::CreatedBy))
                    .col(big_integer(SignoffLinks::CreatedAt))
                    .col(big_integer(SignoffLinks::ExpiresAt))
                    .col(big_integer_null(SignoffLinks::AnsweredAt))
                    .col(text_null(SignoffLinks::Answer))
                    .col(text_null(SignoffLinks::Comment))
                    .col(big_integer_null(SignoffLinks::RevokedAt))
                    .col(text_null(SignoffLinks::RevokedBy))
                    .col(big_integer_null(SignoffLinks::ClosedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_signoff_links_release")
                            .from(SignoffLinks::Table, SignoffLinks::ReleaseId)
                            .to(Releases::Table, Releases::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_signoff_links_person")
                            .from(SignoffLinks::Table, SignoffLinks::PersonId)
                            .to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(RELEASE_INDEX)
                    .table(SignoffLinks::Table)
                    .col(SignoffLinks::ReleaseId)
                    .col(SignoffLinks::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SignoffLinks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SignoffLinks {
    Table,
    Id,
    TokenHash,
    ReleaseId,
    PersonId,
    Signer,
    Revision,
    ContentHash,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    AnsweredAt,
    Answer,
    Comment,
    RevokedAt,
    RevokedBy,
    ClosedAt,
}

#[derive(DeriveIden)]
enum Releases {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
}
