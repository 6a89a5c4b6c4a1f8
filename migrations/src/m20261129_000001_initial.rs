//! The initial schema: departments, people, tokens, releases with their revisions, offices,
//! approvals and corrections, the hash-chained audit log with its head, the outbox, and
//! webhook endpoints with their deliveries.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, big_pk_auto, boolean, integer, integer_null, text, text_null,
};
use sea_orm_migration::sea_orm::DbBackend;

/// The hash the audit chain starts from (64 zeros), stored in `audit_head` by this migration.
pub(crate) const GENESIS_HASH: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

/// Tables whose rows the database itself refuses to change or remove once written.
const APPEND_ONLY_TABLES: [&str; 2] = ["audit_log", "release_revisions"];

/// Creates the whole initial schema.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_organisation_tables(manager).await?;
        create_release_tables(manager).await?;
        create_audit_tables(manager).await?;
        create_delivery_tables(manager).await?;
        create_append_only_triggers(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_append_only_triggers(manager).await?;
        // Children before parents, so that no foreign key ever points into a dropped table.
        let tables = [
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
            Outbox::Table.into_iden(),
            AuditHead::Table.into_iden(),
            AuditLog::Table.into_iden(),
            Corrections::Table.into_iden(),
            Approvals::Table.into_iden(),
            ReleaseTopics::Table.into_iden(),
            ReleaseOffices::Table.into_iden(),
            ReleaseRevisions::Table.into_iden(),
            Releases::Table.into_iden(),
            Tokens::Table.into_iden(),
            People::Table.into_iden(),
            Departments::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP FUNCTION IF EXISTS pressroom_refuse_change()")
                .await?;
        }
        Ok(())
    }

    /// The schema is created in one transaction on every backend (SQLite included, whose
    /// default would be none), so that a failure halfway leaves no half-made schema behind.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

async fn create_organisation_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Departments::Table)
                .col(text(Departments::Id).primary_key())
                .col(text(Departments::Slug).unique_key())
                .col(text(Departments::Name))
                .col(text(Departments::TimeZone))
                .col(big_integer(Departments::CreatedAt))
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(People::Table)
                .col(text(People::Id).primary_key())
                .col(text(People::Name))
                .col(text(People::Title))
                .col(text_null(People::DepartmentId))
                .col(big_integer(People::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_people_department")
                        .from(People::Table, People::DepartmentId)
                        .to(Departments::Table, Departments::Id),
                )
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(Tokens::Table)
                .col(text(Tokens::Id).primary_key())
                .col(text(Tokens::UserName))
                .col(text(Tokens::TokenHash).unique_key())
                .col(text(Tokens::Role))
                .col(text_null(Tokens::DepartmentId))
                .col(text_null(Tokens::PersonId))
                .col(boolean(Tokens::EmbargoAccess))
                .col(big_integer(Tokens::CreatedAt))
                .col(big_integer_null(Tokens::RevokedAt))
                .col(big_integer_null(Tokens::ExpiresAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_tokens_department")
                        .from(Tokens::Table, Tokens::DepartmentId)
                        .to(Departments::Table, Departments::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_tokens_person")
                        .from(Tokens::Table, Tokens::PersonId)
                        .to(People::Table, People::Id),
                )
                .to_owned(),
        )
        .await
}

async fn create_release_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Releases::Table)
                .col(text(Releases::Id).primary_key())
                .col(text(Releases::Slug).unique_key())
                .col(text(Releases::Kind))
                .col(text(Releases::Language))
                .col(text(Releases::DepartmentId))
                .col(text_null(Releases::ResponsibleMinisterId))
                .col(text_null(Releases::TranslationOfId))
                .col(text(Releases::State))
                .col(integer(Releases::Version))
                .col(integer(Releases::Revision))
                .col(text(Releases::ContentHash))
                .col(text(Releases::Title))
                .col(text(Releases::Lead))
                .col(text(Releases::Content))
                .col(text(Releases::Author))
                .col(big_integer_null(Releases::EmbargoUntil))
                .col(big_integer_null(Releases::PublishedAt))
                .col(big_integer(Releases::SortAt))
                .col(big_integer_null(Releases::WithdrawnAt))
                .col(text_null(Releases::WithdrawalReason))
                .col(text(Releases::CreatedBy))
                .col(big_integer(Releases::CreatedAt))
                .col(big_integer(Releases::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_releases_department")
                        .from(Releases::Table, Releases::DepartmentId)
                        .to(Departments::Table, Departments::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_releases_responsible_minister")
                        .from(Releases::Table, Releases::ResponsibleMinisterId)
                        .to(People::Table, People::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_releases_translation_of")
                        .from(Releases::Table, Releases::TranslationOfId)
                        .to(Releases::Table, Releases::Id),
                )
                .to_owned(),
        )
        .await?;
    // Listings page by (sort_at, id) within a department or a state; the scheduler looks for
    // due embargoes by (state, embargo_until); offices find the releases of their minister.
    create_index(
        manager,
        "idx_releases_department_sort",
        Releases::Table,
        [
            Releases::DepartmentId.into_iden(),
            Releases::SortAt.into_iden(),
            Releases::Id.into_iden(),
        ],
    )
    .await?;
    create_index(
        manager,
        "idx_releases_state_sort",
        Releases::Table,
        [
            Releases::State.into_iden(),
            Releases::SortAt.into_iden(),
            Releases::Id.into_iden(),
        ],
    )
    .await?;
    create_index(
        manager,
        "idx_releases_state_embargo",
        Releases::Table,
        [
            Releases::State.into_iden(),
            Releases::EmbargoUntil.into_iden(),
        ],
    )
    .await?;
    create_index(
        manager,
        "idx_releases_responsible_minister",
        Releases::Table,
        [Releases::ResponsibleMinisterId.into_iden()],
    )
    .await?;

    manager
        .create_table(
            Table::create()
                .table(ReleaseRevisions::Table)
                .col(text(ReleaseRevisions::ReleaseId))
                .col(integer(ReleaseRevisions::Revision))
                .col(text(ReleaseRevisions::Content))
                .col(text(ReleaseRevisions::ContentHash))
                .col(text(ReleaseRevisions::Author))
                .col(big_integer(ReleaseRevisions::CreatedAt))
                .primary_key(
                    Index::create()
                        .col(ReleaseRevisions::ReleaseId)
                        .col(ReleaseRevisions::Revision),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_release_revisions_release")
                        .from(ReleaseRevisions::Table, ReleaseRevisions::ReleaseId)
                        .to(Releases::Table, Releases::Id),
                )
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(ReleaseOffices::Table)
                .col(text(ReleaseOffices::ReleaseId))
                .col(text(ReleaseOffices::PersonId))
                .col(boolean(ReleaseOffices::Required))
                .col(boolean(ReleaseOffices::Approved).default(false))
                .primary_key(
                    Index::create()
                        .col(ReleaseOffices::ReleaseId)
                        .col(ReleaseOffices::PersonId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_release_offices_release")
                        .from(ReleaseOffices::Table, ReleaseOffices::ReleaseId)
                        .to(Releases::Table, Releases::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_release_offices_person")
                        .from(ReleaseOffices::Table, ReleaseOffices::PersonId)
                        .to(People::Table, People::Id),
                )
                .to_owned(),
        )
        .await?;
    create_index(
        manager,
        "idx_release_offices_person",
        ReleaseOffices::Table,
        [
            ReleaseOffices::PersonId.into_iden(),
            ReleaseOffices::Required.into_iden(),
            ReleaseOffices::ReleaseId.into_iden(),
        ],
    )
    .await?;

    // Topics of the current revision, one row each, for the `topic` filter.
    manager
        .create_table(
            Table::create()
                .table(ReleaseTopics::Table)
                .col(text(ReleaseTopics::ReleaseId))
                .col(text(ReleaseTopics::Topic))
                .primary_key(
                    Index::create()
                        .col(ReleaseTopics::ReleaseId)
                        .col(ReleaseTopics::Topic),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_release_topics_release")
                        .from(ReleaseTopics::Table, ReleaseTopics::ReleaseId)
                        .to(Releases::Table, Releases::Id),
                )
                .to_owned(),
        )
        .await?;
    create_index(
        manager,
        "idx_release_topics_topic",
        ReleaseTopics::Table,
        [
            ReleaseTopics::Topic.into_iden(),
            ReleaseTopics::ReleaseId.into_iden(),
        ],
    )
    .await?;

    manager
        .create_table(
            Table::create()
                .table(Approvals::Table)
                .col(big_pk_auto(Approvals::Id))
                .col(text(Approvals::ReleaseId))
                .col(integer(Approvals::Revision))
                .col(text(Approvals::OfficeId))
                .col(text(Approvals::Status))
                .col(text(Approvals::ByUser))
                .col(big_integer(Approvals::At))
                .col(text_null(Approvals::Comment))
                .col(text(Approvals::ContentHash))
                .col(text(Approvals::QuotesHash))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_approvals_release")
                        .from(Approvals::Table, Approvals::ReleaseId)
                        .to(Releases::Table, Releases::Id),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_approvals_office")
                        .from(Approvals::Table, Approvals::OfficeId)
                        .to(People::Table, People::Id),
                )
                .to_owned(),
        )
        .await?;
    create_index(
        manager,
        "idx_approvals_release",
        Approvals::Table,
        [Approvals::ReleaseId.into_iden(), Approvals::Id.into_iden()],
    )
    .await?;

    manager
        .create_table(
            Table::create()
                .table(Corrections::Table)
                .col(big_pk_auto(Corrections::Id))
                .col(text(Corrections::ReleaseId))
                .col(integer(Corrections::Revision))
                .col(big_integer(Corrections::At))
                .col(text(Corrections::Note))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_corrections_release")
                        .from(Corrections::Table, Corrections::ReleaseId)
                        .to(Releases::Table, Releases::Id),
                )
                .to_owned(),
        )
        .await?;
    create_index(
        manager,
        "idx_corrections_release",
        Corrections::Table,
        [
            Corrections::ReleaseId.into_iden(),
            Corrections::Id.into_iden(),
        ],
    )
    .await
}

async fn create_audit_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    // `seq` is assigned by the application (head + 1 under the audit_head row lock), not by
    // the database, because the hash chain needs the number before the row is written.
    manager
        .create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(big_integer(AuditLog::Seq).primary_key())
                .col(big_integer(AuditLog::At))
                .col(text(AuditLog::Actor))
                .col(text(AuditLog::Action))
                .col(text_null(AuditLog::ReleaseId))
                .col(text_null(AuditLog::FromState))
                .col(text_null(AuditLog::ToState))
                .col(integer_null(AuditLog::Revision))
                .col(text(AuditLog::Details))
                .col(text(AuditLog::PrevHash))
                .col(text(AuditLog::Hash))
                .to_owned(),
        )
        .await?;
    create_index(
        manager,
        "idx_audit_log_release",
        AuditLog::Table,
        [AuditLog::ReleaseId.into_iden(), AuditLog::Seq.into_iden()],
    )
    .await?;

    manager
        .create_table(
            Table::create()
                .table(AuditHead::Table)
                .col(integer(AuditHead::Id).primary_key())
                .col(big_integer(AuditHead::Seq))
                .col(text(AuditHead::Hash))
                .to_owned(),
        )
        .await?;
    let genesis = Query::insert()
        .into_table(AuditHead::Table)
        .columns([AuditHead::Id, AuditHead::Seq, AuditHead::Hash])
        .values([1i32.into(), 0i64.into(), GENESIS_HASH.into()])
        .map_err(|error| DbErr::Migration(format!("audit_head genesis row: {error}")))?
        .to_owned();
    manager.execute(genesis).await
}

async fn create_delivery_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Outbox::Table)
                .col(big_pk_auto(Outbox::Id))
                .col(big_integer(Outbox::AuditSeq).unique_key())
                .col(text(Outbox::Event))
                .col(text(Outbox::ReleaseId))
                .col(integer(Outbox::Version))
                .col(big_integer(Outbox::At))
                .col(text(Outbox::Payload))
                .to_owned(),
        )
        .await?;
    create_index(
        manager,
        "idx_outbox_release",
        Outbox::Table,
        [Outbox::ReleaseId.into_iden()],
    )
    .await?;

    manager
        .create_table(
            Table::create()
                .table(WebhookEndpoints::Table)
                .col(text(WebhookEndpoints::Id).primary_key())
                .col(text(WebhookEndpoints::Url))
                .col(text(WebhookEndpoints::EventTypes))
                .col(text(WebhookEndpoints::Secret))
                .col(boolean(WebhookEndpoints::Enabled))
                .col(big_integer(WebhookEndpoints::CreatedAt))
                .to_owned(),
        )
        .await?;

    manager
        .create_table(
            Table::create()
                .table(WebhookDeliveries::Table)
                .col(text(WebhookDeliveries::Id).primary_key())
                .col(text(WebhookDeliveries::EndpointId))
                .col(big_integer(WebhookDeliveries::OutboxId))
                .col(text(WebhookDeliveries::Event))
                .col(integer(WebhookDeliveries::Attempt))
                .col(integer_null(WebhookDeliveries::Status))
                .col(boolean(WebhookDeliveries::Succeeded))
                .col(big_integer(WebhookDeliveries::At))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_webhook_deliveries_endpoint")
                        .from(WebhookDeliveries::Table, WebhookDeliveries::EndpointId)
                        .to(WebhookEndpoints::Table, WebhookEndpoints::Id),
                )
                .to_owned(),
        )
        .await?;
    create_index(
        manager,
        "idx_webhook_deliveries_endpoint",
        WebhookDeliveries::Table,
        [
            WebhookDeliveries::EndpointId.into_iden(),
            WebhookDeliveries::At.into_iden(),
            WebhookDeliveries::Id.into_iden(),
        ],
    )
    .await
}

/// Creates a plain (non-unique) index named `name` on `columns` of `table`.
async fn create_index<T, const N: usize>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    columns: [DynIden; N],
) -> Result<(), DbErr>
where
    T: IntoIden,
{
    let mut index = Index::create();
    index.name(name).table(table);
    for column in columns {
        index.col(column);
    }
    manager.create_index(index).await
}

/// Makes the database itself refuse UPDATE and DELETE on the append-only tables, so that not
/// even a bug in the application (or a hand-typed statement) can rewrite history.
async fn create_append_only_triggers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    match manager.get_database_backend() {
        DbBackend::Sqlite => {
            for table in APPEND_ONLY_TABLES {
                for (suffix, event) in [("update", "UPDATE"), ("delete", "DELETE")] {
                    connection
                        .execute_unprepared(&format!(
                            "CREATE TRIGGER {table}_refuse_{suffix} BEFORE {event} ON {table} \
                             BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
                        ))
                        .await?;
                }
            }
        }
        DbBackend::Postgres => {
            connection
                .execute_unprepared(
                    "CREATE FUNCTION pressroom_refuse_change() RETURNS trigger \
                     LANGUAGE plpgsql AS $$ \
                     BEGIN \
                       RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP; \
                     END $$",
                )
                .await?;
            for table in APPEND_ONLY_TABLES {
                for (suffix, event) in [("update", "UPDATE"), ("delete", "DELETE")] {
                    connection
                        .execute_unprepared(&format!(
                            "CREATE TRIGGER {table}_refuse_{suffix} BEFORE {event} ON {table} \
                             FOR EACH ROW EXECUTE FUNCTION pressroom_refuse_change()"
                        ))
                        .await?;
                }
                // TRUNCATE bypasses row triggers on PostgreSQL, so it gets its own
                // statement-level trigger; SQLite has no TRUNCATE.
                connection
                    .execute_unprepared(&format!(
                        "CREATE TRIGGER {table}_refuse_truncate BEFORE TRUNCATE ON {table} \
                         FOR EACH STATEMENT EXECUTE FUNCTION pressroom_refuse_change()"
                    ))
                    .await?;
            }
        }
        other => {
            return Err(DbErr::Migration(format!(
                "Pressroom supports SQLite and PostgreSQL, not {other:?}"
            )));
        }
    }
    Ok(())
}

async fn drop_append_only_triggers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let connection = manager.get_connection();
    let postgres = manager.get_database_backend() == DbBackend::Postgres;
    for table in APPEND_ONLY_TABLES {
        for suffix in ["update", "delete", "truncate"] {
            let statement = if postgres {
                format!("DROP TRIGGER IF EXISTS {table}_refuse_{suffix} ON {table}")
            } else {
                format!("DROP TRIGGER IF EXISTS {table}_refuse_{suffix}")
            };
            connection.execute_unprepared(&statement).await?;
        }
    }
    Ok(())
}

#[derive(DeriveIden)]
enum Departments {
    Table,
    Id,
    Slug,
    Name,
    TimeZone,
    CreatedAt,
}

#[derive(DeriveIden)]
enum People {
    Table,
    Id,
    Name,
    Title,
    DepartmentId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tokens {
    Table,
    Id,
    UserName,
    TokenHash,
    Role,
    DepartmentId,
    PersonId,
    EmbargoAccess,
    CreatedAt,
    RevokedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Releases {
    Table,
    Id,
    Slug,
    Kind,
    Language,
    DepartmentId,
    ResponsibleMinisterId,
    TranslationOfId,
    State,
    Version,
    Revision,
    ContentHash,
    Title,
    Lead,
    Content,
    Author,
    EmbargoUntil,
    PublishedAt,
    SortAt,
    WithdrawnAt,
    WithdrawalReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReleaseRevisions {
    Table,
    ReleaseId,
    Revision,
    Content,
    ContentHash,
    Author,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReleaseOffices {
    Table,
    ReleaseId,
    PersonId,
    Required,
    Approved,
}

#[derive(DeriveIden)]
enum ReleaseTopics {
    Table,
    ReleaseId,
    Topic,
}

#[derive(DeriveIden)]
enum Approvals {
    Table,
    Id,
    ReleaseId,
    Revision,
    OfficeId,
    Status,
    ByUser,
    At,
    Comment,
    ContentHash,
    QuotesHash,
}

#[derive(DeriveIden)]
enum Corrections {
    Table,
    Id,
    ReleaseId,
    Revision,
    At,
    Note,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Seq,
    At,
    Actor,
    Action,
    ReleaseId,
    FromState,
    ToState,
    Revision,
    Details,
    PrevHash,
    Hash,
}

#[derive(DeriveIden)]
enum AuditHead {
    Table,
    Id,
    Seq,
    Hash,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    AuditSeq,
    Event,
    ReleaseId,
    Version,
    At,
    Payload,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    Url,
    EventTypes,
    Secret,
    Enabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    OutboxId,
    Event,
    Attempt,
    Status,
    Succeeded,
    At,
}
