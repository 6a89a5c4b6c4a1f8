//! Sign-in links and sessions of the newsroom, the web interface for press staff.
//!
//! A sign-in link is a one-time capability that an admin (or `pressroom user link`) issues for
//! one user and role: like a token it stores only the SHA-256 of its secret (unique, so a link
//! is found by an indexed equality), and the identity it grants (user name, role, department,
//! person, embargo access). Opening it marks it used with a guarded update (`… WHERE used_at IS
//! NULL AND revoked_at IS NULL AND expires_at > now`), so it signs in at most once. The admins'
//! list reads the `(created_at, id)` index, newest first.
//!
//! A session is what a browser holds after signing in: the SHA-256 of its cookie secret, the
//! identity, and when it expires for inactivity (`expires_at`, moved forward as the user works).
//! Every replica reads the same rows, so a session started on one works on all. A page view
//! reads the session by its hash; purging expired sessions deletes by the `expires_at` index. A
//! session started with an API token names it (`token_id`) and ends when the token is revoked
//! or expires; one started from a link names the link (`signin_link_id`). `csrf_token` is the
//! session's anti-forgery secret, which the newsroom puts into its forms.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, big_integer_null, boolean, text, text_null};

/// The index the admins' list of sign-in links reads, newest first.
const LINKS_CREATED_INDEX: &str = "idx_signin_links_created";

/// The index purging expired sessions reads.
const SESSIONS_EXPIRY_INDEX: &str = "idx_sessions_expires";

/// Creates `signin_links` and `sessions`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SigninLinks::Table)
                    .col(text(SigninLinks::Id).primary_key())
                    .col(text(SigninLinks::TokenHash).unique_key())
                    .col(text(SigninLinks::UserName))
                    .col(text(SigninLinks::Role))
                    .col(text_null(SigninLinks::DepartmentId))
                    .col(text_null(SigninLinks::PersonId))
                    .col(boolean(SigninLinks::EmbargoAccess))
                    .col(text(SigninLinks::CreatedBy))
                    .col(big_integer(SigninLinks::CreatedAt))
                    .col(big_integer(SigninLinks::ExpiresAt))
                    .col(big_integer_null(SigninLinks::UsedAt))
                    .col(big_integer_null(SigninLinks::RevokedAt))
                    .col(text_null(SigninLinks::RevokedBy))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_signin_links_department")
                            .from(SigninLinks::Table, SigninLinks::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_signin_links_person")
                            .from(SigninLinks::Table, SigninLinks::PersonId)
                            .to(People::Table, People::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(LINKS_CREATED_INDEX)
                    .table(SigninLinks::Table)
                    .col(SigninLinks::CreatedAt)
                    .col(SigninLinks::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(text(Sessions::Id).primary_key())
                    .col(text(Sessions::TokenHash).unique_key())
                    .col(text(Sessions::UserName))
                    .col(text(Sessions::Role))
                    .col(text_null(Sessions::DepartmentId))
                    .col(text_null(Sessions::PersonId))
                    .col(boolean(Sessions::EmbargoAccess))
                    .col(text_null(Sessions::SigninLinkId))
                    .col(text_null(Sessions::TokenId))
                    .col(text(Sessions::CsrfToken))
                    .col(big_integer(Sessions::CreatedAt))
                    .col(big_integer(Sessions::LastSeenAt))
                    .col(big_integer(Sessions::ExpiresAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_department")
                            .from(Sessions::Table, Sessions::DepartmentId)
                            .to(Departments::Table, Departments::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_person")
                            .from(Sessions::Table, Sessions::PersonId)
                            .to(People::Table, People::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_signin_link")
                            .from(Sessions::Table, Sessions::SigninLinkId)
                            .to(SigninLinks::Table, SigninLinks::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sessions_token")
                            .from(Sessions::Table, Sessions::TokenId)
                            .to(Tokens::Table, Tokens::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(SESSIONS_EXPIRY_INDEX)
                    .table(Sessions::Table)
                    .col(Sessions::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Sessions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(SigninLinks::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum SigninLinks {
    Table,
    Id,
    TokenHash,
    UserName,
    Role,
    DepartmentId,
    PersonId,
    EmbargoAccess,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
    RevokedBy,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    TokenHash,
    UserName,
    Role,
    DepartmentId,
    PersonId,
    EmbargoAccess,
    SigninLinkId,
    TokenId,
    CsrfToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Tokens {
    Table,
    Id,
}
