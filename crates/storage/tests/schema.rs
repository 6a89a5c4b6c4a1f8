//! The schema made by `pressroom_migrations` behaves the same on SQLite and PostgreSQL:
//! migrations apply once and roll back, the database itself keeps the audit log and the
//! revisions append-only, the audit chain starts at its genesis row, unique constraints hold,
//! and every entity round-trips through its table.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on unexpected errors"
)]

use pressroom_migrations::{GENESIS_HASH, Migrator, MigratorTrait, SchemaManager};
use pressroom_storage::entity::{
    approvals, audit_head, audit_log, corrections, departments, outbox, people, release_offices,
    release_revisions, releases, tokens, webhook_deliveries, webhook_endpoints,
};
use pressroom_test_support::database::{TestDb, migrated_databases, test_databases};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait,
    ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel, ModelTrait,
    PaginatorTrait, QueryFilter, SqlErr, Statement,
};

const TABLES: [&str; 14] = [
    "departments",
    "people",
    "tokens",
    "releases",
    "release_revisions",
    "release_offices",
    "release_topics",
    "approvals",
    "corrections",
    "audit_log",
    "audit_head",
    "outbox",
    "webhook_endpoints",
    "webhook_deliveries",
];

const TRIGGERS: [&str; 4] = [
    "audit_log_refuse_update",
    "audit_log_refuse_delete",
    "release_revisions_refuse_update",
    "release_revisions_refuse_delete",
];

const INDEXES: [&str; 11] = [
    "idx_releases_department_sort",
    "idx_releases_state_sort",
    "idx_releases_due",
    "idx_releases_responsible_minister",
    "idx_release_offices_person",
    "idx_release_topics_topic",
    "idx_approvals_release",
    "idx_corrections_release",
    "idx_audit_log_release",
    "idx_outbox_release",
    "idx_webhook_deliveries_endpoint",
];

/// A column's name, type and whether it is nullable.
type ExpectedColumn = (&'static str, &'static str, bool);

/// The columns the storage crate's queries are written against: (name, type, nullable), with
/// the types as PostgreSQL reports them (SQLite declares `bigint` as `integer`).
const COLUMNS: [(&str, &[ExpectedColumn]); 14] = [
    (
        "departments",
        &[
            ("id", "text", false),
            ("slug", "text", false),
            ("name", "text", false),
            ("time_zone", "text", false),
            ("created_at", "bigint", false),
        ],
    ),
    (
        "people",
        &[
            ("id", "text", false),
            ("name", "text", false),
            ("title", "text", false),
            ("department_id", "text", true),
            ("created_at", "bigint", false),
        ],
    ),
    (
        "tokens",
        &[
            ("id", "text", false),
            ("user_name", "text", false),
            ("token_hash", "text", false),
            ("role", "text", false),
            ("department_id", "text", true),
            ("person_id", "text", true),
            ("embargo_access", "boolean", false),
            ("created_at", "bigint", false),
            ("revoked_at", "bigint", true),
            ("expires_at", "bigint", true),
            ("last_used_at", "bigint", true),
        ],
    ),
    (
        "releases",
        &[
            ("id", "text", false),
            ("slug", "text", false),
            ("kind", "text", false),
            ("language", "text", false),
            ("department_id", "text", false),
            ("responsible_minister_id", "text", true),
            ("translation_of_id", "text", true),
            ("state", "text", false),
            ("version", "integer", false),
            ("revision", "integer", false),
            ("content_hash", "text", false),
            ("title", "text", false),
            ("lead", "text", false),
            ("content", "text", false),
            ("author", "text", false),
            ("embargo_until", "bigint", true),
            ("published_at", "bigint", true),
            ("sort_at", "bigint", false),
            ("withdrawn_at", "bigint", true),
            ("withdrawal_reason", "text", true),
            ("created_by", "text", false),
            ("created_at", "bigint", false),
            ("updated_at", "bigint", false),
            ("search_text", "text", false),
        ],
    ),
    (
        "release_revisions",
        &[
            ("release_id", "text", false),
            ("revision", "integer", false),
            ("content", "text", false),
            ("content_hash", "text", false),
            ("author", "text", false),
            ("created_at", "bigint", false),
        ],
    ),
    (
        "release_offices",
        &[
            ("release_id", "text", false),
            ("person_id", "text", false),
            ("required", "boolean", false),
            ("approved", "boolean", false),
        ],
    ),
    (
        "release_topics",
        &[("release_id", "text", false), ("topic", "text", false)],
    ),
    (
        "approvals",
        &[
            ("id", "bigint", false),
            ("release_id", "text", false),
            ("revision", "integer", false),
            ("office_id", "text", false),
            ("status", "text", false),
            ("by_user", "text", false),
            ("at", "bigint", false),
            ("comment", "text", true),
            ("content_hash", "text", false),
            ("quotes_hash", "text", false),
        ],
    ),
    (
        "corrections",
        &[
            ("id", "bigint", false),
            ("release_id", "text", false),
            ("revision", "integer", false),
            ("at", "bigint", false),
            ("note", "text", false),
        ],
    ),
    (
        "audit_log",
        &[
            ("seq", "bigint", false),
            ("at", "bigint", false),
            ("actor", "text", false),
            ("action", "text", false),
            ("release_id", "text", true),
            ("from_state", "text", true),
            ("to_state", "text", true),
            ("revision", "integer", true),
            ("details", "text", false),
            ("prev_hash", "text", false),
            ("hash", "text", false),
        ],
    ),
    (
        "audit_head",
        &[
            ("id", "integer", false),
            ("seq", "bigint", false),
            ("hash", "text", false),
        ],
    ),
    (
        "outbox",
        &[
            ("id", "bigint", false),
            ("audit_seq", "bigint", false),
            ("event", "text", false),
            ("release_id", "text", false),
            ("version", "integer", false),
            ("at", "bigint", false),
            ("payload", "text", false),
        ],
    ),
    (
        "webhook_endpoints",
        &[
            ("id", "text", false),
            ("url", "text", false),
            ("event_types", "text", false),
            ("secret", "text", false),
            ("enabled", "boolean", false),
            ("created_at", "bigint", false),
        ],
    ),
    (
        "webhook_deliveries",
        &[
            ("id", "text", false),
            ("endpoint_id", "text", false),
            ("outbox_id", "bigint", false),
            ("event", "text", false),
            ("attempt", "integer", false),
            ("status", "integer", true),
            ("succeeded", "boolean", false),
            ("at", "bigint", false),
        ],
    ),
];

// A fixed instant (2026-06-02T07:00:00Z) in microseconds, so rows are reproducible.
const AT: i64 = 1_780_383_600_000_000;

#[tokio::test]
async fn migrations_apply_once_and_roll_back_to_an_empty_database() {
    for test_db in test_databases().await {
        let name = test_db.backend_name;
        let db = &test_db.db;

        Migrator::up(db, None)
            .await
            .unwrap_or_else(|e| panic!("{name}: first up: {e}"));
        assert_schema_present(&test_db).await;
        let all = Migrator::migrations().len();
        assert_eq!(applied_count(db).await, all, "{name}");

        // A second run finds nothing pending and changes nothing.
        Migrator::up(db, None)
            .await
            .unwrap_or_else(|e| panic!("{name}: second up: {e}"));
        assert_eq!(applied_count(db).await, all, "{name}");
        assert_eq!(
            audit_head::Entity::find().count(db).await.unwrap(),
            1,
            "{name}: the second run must not insert another head row"
        );

        Migrator::down(db, None)
            .await
            .unwrap_or_else(|e| panic!("{name}: down: {e}"));
        assert_eq!(applied_count(db).await, 0, "{name}");
        assert_eq!(
            leftover_objects(&test_db).await,
            Vec::<String>::new(),
            "{name}: down must drop every table, index, trigger and function"
        );

        Migrator::up(db, None)
            .await
            .unwrap_or_else(|e| panic!("{name}: up after down: {e}"));
        assert_schema_present(&test_db).await;
        assert_eq!(
            audit_head_rows(db).await,
            vec![genesis_head()],
            "{name}: up after down"
        );

        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn audit_head_holds_exactly_the_genesis_row_after_migration() {
    for test_db in migrated_databases().await {
        assert_eq!(
            audit_head_rows(&test_db.db).await,
            vec![genesis_head()],
            "{}",
            test_db.backend_name
        );
        assert_eq!(GENESIS_HASH, "0".repeat(64));
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_audit_entries() {
    for test_db in migrated_databases().await {
        let name = test_db.backend_name;
        let db = &test_db.db;
        let entry = audit_log::Model {
            seq: 1,
            at: AT,
            actor: "anna.drafter".to_owned(),
            action: "createRelease".to_owned(),
            release_id: Some("0190f3a0-0000-7000-8000-000000000001".to_owned()),
            from_state: None,
            to_state: Some("DRAFT".to_owned()),
            revision: Some(1),
            details: r#"{"revision":1}"#.to_owned(),
            prev_hash: GENESIS_HASH.to_owned(),
            hash: "ab".repeat(32),
        };
        let inserted = entry
            .clone()
            .into_active_model()
            .insert(db)
            .await
            .unwrap_or_else(|e| panic!("{name}: insert audit entry: {e}"));
        assert_eq!(inserted, entry, "{name}");

        let update = audit_log::Entity::update_many()
            .col_expr(audit_log::Column::Actor, Expr::value("mallory"))
            .filter(audit_log::Column::Seq.eq(1))
            .exec(db)
            .await;
        assert_refused(update.map(|_| ()), name, "audit_log", "UPDATE");

        let delete = audit_log::Entity::delete_many()
            .filter(audit_log::Column::Seq.eq(1))
            .exec(db)
            .await;
        assert_refused(delete.map(|_| ()), name, "audit_log", "DELETE");

        // A hand-written statement is refused just the same, and on PostgreSQL so is TRUNCATE,
        // which would otherwise bypass row triggers.
        let raw = db
            .execute_unprepared("UPDATE audit_log SET hash = prev_hash")
            .await;
        assert_refused(raw.map(|_| ()), name, "audit_log", "raw UPDATE");
        if test_db.is_postgres() {
            let truncate = db.execute_unprepared("TRUNCATE audit_log").await;
            assert_refused(truncate.map(|_| ()), name, "audit_log", "TRUNCATE");
        }

        assert_eq!(
            audit_log::Entity::find().all(db).await.unwrap(),
            vec![entry],
            "{name}: the entry must be unchanged"
        );
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn the_database_refuses_to_update_or_delete_release_revisions() {
    for test_db in migrated_databases().await {
        let name = test_db.backend_name;
        let db = &test_db.db;
        insert(db, department("d1", "miljodepartementet")).await;
        insert(db, release("r1", "leadit-2022", "d1")).await;
        let revision = release_revisions::Model {
            release_id: "r1".to_owned(),
            revision: 1,
            content: r#"{"title":"Sverige och Indien – LeadIT"}"#.to_owned(),
            content_hash: "cd".repeat(32),
            author: "anna.drafter".to_owned(),
            created_at: AT,
        };
        insert(db, revision.clone()).await;

        let update = release_revisions::Entity::update_many()
            .col_expr(
                release_revisions::Column::Content,
                Expr::value(r#"{"title":"forged"}"#),
            )
            .filter(release_revisions::Column::ReleaseId.eq("r1"))
            .exec(db)
            .await;
        assert_refused(update.map(|_| ()), name, "release_revisions", "UPDATE");

        let delete = release_revisions::Entity::delete_many()
            .filter(release_revisions::Column::ReleaseId.eq("r1"))
            .exec(db)
            .await;
        assert_refused(delete.map(|_| ()), name, "release_revisions", "DELETE");

        assert_eq!(
            release_revisions::Entity::find().all(db).await.unwrap(),
            vec![revision],
            "{name}: the revision must be unchanged"
        );
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn release_slugs_and_token_hashes_are_unique() {
    for test_db in migrated_databases().await {
        let name = test_db.backend_name;
        let db = &test_db.db;
        insert(db, department("d1", "miljodepartementet")).await;
        insert(db, release("r1", "leadit-2022", "d1")).await;
        // A different slug is accepted, so the refusal below is about the slug alone.
        insert(db, release("r2", "stockholm-50", "d1")).await;
        let duplicate_slug = release("r3", "leadit-2022", "d1")
            .into_active_model()
            .insert(db)
            .await;
        assert_unique_violation(duplicate_slug.map(|_| ()), name, "releases.slug");

        insert(db, token("t1", &"11".repeat(32))).await;
        insert(db, token("t2", &"22".repeat(32))).await;
        let duplicate_hash = token("t3", &"11".repeat(32))
            .into_active_model()
            .insert(db)
            .await;
        assert_unique_violation(duplicate_hash.map(|_| ()), name, "tokens.token_hash");

        assert_eq!(
            releases::Entity::find().count(db).await.unwrap(),
            2,
            "{name}"
        );
        assert_eq!(tokens::Entity::find().count(db).await.unwrap(), 2, "{name}");
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn every_entity_round_trips_through_its_table() {
    for test_db in migrated_databases().await {
        let name = test_db.backend_name;
        let db = &test_db.db;

        let dept = insert(db, department("d1", "miljodepartementet")).await;
        assert_eq!(
            departments::Entity::find_by_id("d1").one(db).await.unwrap(),
            Some(dept),
            "{name}"
        );
        let minister = insert(
            db,
            people::Model {
                id: "p1".to_owned(),
                name: "Annika Strandhäll".to_owned(),
                title: "klimat- och miljöminister".to_owned(),
                department_id: Some("d1".to_owned()),
                created_at: AT,
            },
        )
        .await;
        assert_eq!(
            people::Entity::find_by_id("p1").one(db).await.unwrap(),
            Some(minister),
            "{name}"
        );
        let office_token = insert(
            db,
            tokens::Model {
                person_id: Some("p1".to_owned()),
                role: "MINISTER_OFFICE".to_owned(),
                revoked_at: Some(AT + 1),
                expires_at: Some(i64::MAX),
                ..token("t1", &"ef".repeat(32))
            },
        )
        .await;
        assert_eq!(
            tokens::Entity::find_by_id("t1").one(db).await.unwrap(),
            Some(office_token),
            "{name}"
        );

        let original = insert(db, release("r1", "leadit-2022", "d1")).await;
        let translation = insert(
            db,
            releases::Model {
                language: "en".to_owned(),
                translation_of_id: Some("r1".to_owned()),
                responsible_minister_id: Some("p1".to_owned()),
                state: "WITHDRAWN".to_owned(),
                embargo_until: Some(AT),
                published_at: Some(AT),
                withdrawn_at: Some(AT + 60_000_000),
                withdrawal_reason: Some("Fel datum – ersätts".to_owned()),
                ..release("r2", "leadit-2022-en", "d1")
            },
        )
        .await;
        assert_eq!(
            releases::Entity::find_by_id("r1").one(db).await.unwrap(),
            Some(original),
            "{name}"
        );
        assert_eq!(
            releases::Entity::find_by_id("r2").one(db).await.unwrap(),
            Some(translation),
            "{name}"
        );

        let office = insert(
            db,
            release_offices::Model {
                release_id: "r1".to_owned(),
                person_id: "p1".to_owned(),
                required: true,
                approved: false,
            },
        )
        .await;
        assert_eq!(
            release_offices::Entity::find_by_id(("r1".to_owned(), "p1".to_owned()))
                .one(db)
                .await
                .unwrap(),
            Some(office),
            "{name}"
        );

        // Auto-increment ids are assigned by the database and increase.
        let first = insert_approval(db, "APPROVED", None).await;
        let second = insert_approval(db, "CHANGES_REQUESTED", Some("Se över citatet")).await;
        assert!(second.id > first.id, "{name}: approval ids must increase");
        assert_eq!(
            approvals::Entity::find_by_id(second.id)
                .one(db)
                .await
                .unwrap(),
            Some(second),
            "{name}"
        );

        let correction = corrections::ActiveModel {
            id: NotSet,
            release_id: Set("r1".to_owned()),
            revision: Set(2),
            at: Set(AT),
            note: Set("Rättat stavfel i rubriken.".to_owned()),
        }
        .insert(db)
        .await
        .unwrap_or_else(|e| panic!("{name}: insert correction: {e}"));
        assert_eq!(
            corrections::Entity::find_by_id(correction.id)
                .one(db)
                .await
                .unwrap(),
            Some(correction),
            "{name}"
        );

        let event = outbox::ActiveModel {
            id: NotSet,
            audit_seq: Set(7),
            event: Set("release.published".to_owned()),
            release_id: Set("r1".to_owned()),
            version: Set(5),
            at: Set(AT),
            payload: Set(r#"{"id":"r1"}"#.to_owned()),
        }
        .insert(db)
        .await
        .unwrap_or_else(|e| panic!("{name}: insert outbox event: {e}"));
        assert_eq!(
            outbox::Entity::find_by_id(event.id).one(db).await.unwrap(),
            Some(event.clone()),
            "{name}"
        );

        let endpoint = insert(
            db,
            webhook_endpoints::Model {
                id: "w1".to_owned(),
                url: "https://tt.example/hooks/pressroom".to_owned(),
                event_types: r#"["release.published"]"#.to_owned(),
                secret: "s3cret".to_owned(),
                enabled: false,
                created_at: AT,
            },
        )
        .await;
        assert_eq!(
            webhook_endpoints::Entity::find_by_id("w1")
                .one(db)
                .await
                .unwrap(),
            Some(endpoint),
            "{name}"
        );
        let delivery = insert(
            db,
            webhook_deliveries::Model {
                id: "wd1".to_owned(),
                endpoint_id: "w1".to_owned(),
                outbox_id: event.id,
                event: "release.published".to_owned(),
                attempt: 1,
                status: Some(503),
                succeeded: false,
                at: AT,
            },
        )
        .await;
        assert_eq!(
            webhook_deliveries::Entity::find_by_id("wd1")
                .one(db)
                .await
                .unwrap(),
            Some(delivery),
            "{name}"
        );

        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn foreign_keys_are_enforced() {
    for test_db in migrated_databases().await {
        let name = test_db.backend_name;
        let orphan = release("r1", "orphan", "no-such-department")
            .into_active_model()
            .insert(&test_db.db)
            .await;
        match orphan.as_ref().map_err(DbErr::sql_err) {
            Err(Some(SqlErr::ForeignKeyConstraintViolation(_))) => {}
            other => panic!("{name}: expected a foreign key violation, got {other:?}"),
        }
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn every_table_has_exactly_the_agreed_columns_types_and_nullability() {
    for test_db in migrated_databases().await {
        let name = test_db.backend_name;
        for (table, columns) in COLUMNS {
            let mut expected: Vec<(String, String, bool)> = columns
                .iter()
                .map(|(column, ty, nullable)| {
                    // SQLite has one integer type; sea-query declares BIGINT as `integer` there.
                    let ty = if !test_db.is_postgres() && *ty == "bigint" {
                        "integer"
                    } else {
                        ty
                    };
                    ((*column).to_owned(), ty.to_owned(), *nullable)
                })
                .collect();
            if table == "releases" && test_db.is_postgres() {
                // Kept by a trigger from `search_text` with the language's search configuration.
                expected.push(("search_vector".to_owned(), "tsvector".to_owned(), true));
            }
            expected.sort();
            assert_eq!(
                actual_columns(&test_db, table).await,
                expected,
                "{name}: columns of {table}"
            );
        }
        test_db.cleanup().await;
    }
}

async fn insert<M>(db: &DatabaseConnection, model: M) -> M
where
    M: ModelTrait + IntoActiveModel<<M::Entity as EntityTrait>::ActiveModel>,
    M::Entity: EntityTrait<Model = M>,
    <M::Entity as EntityTrait>::ActiveModel: ActiveModelBehavior + Send,
{
    model
        .into_active_model()
        .insert(db)
        .await
        .unwrap_or_else(|e| panic!("{:?}: insert: {e}", db.get_database_backend()))
}

async fn insert_approval(
    db: &DatabaseConnection,
    status: &str,
    comment: Option<&str>,
) -> approvals::Model {
    approvals::ActiveModel {
        id: NotSet,
        release_id: Set("r1".to_owned()),
        revision: Set(1),
        office_id: Set("p1".to_owned()),
        status: Set(status.to_owned()),
        by_user: Set("kalle.office".to_owned()),
        at: Set(AT),
        comment: Set(comment.map(str::to_owned)),
        content_hash: Set("cd".repeat(32)),
        quotes_hash: Set("ef".repeat(32)),
    }
    .insert(db)
    .await
    .unwrap_or_else(|e| panic!("{:?}: insert approval: {e}", db.get_database_backend()))
}

fn department(id: &str, slug: &str) -> departments::Model {
    departments::Model {
        id: id.to_owned(),
        slug: slug.to_owned(),
        name: "Miljödepartementet".to_owned(),
        time_zone: "Europe/Stockholm".to_owned(),
        created_at: AT,
    }
}

fn release(id: &str, slug: &str, department_id: &str) -> releases::Model {
    releases::Model {
        id: id.to_owned(),
        slug: slug.to_owned(),
        kind: "PRESS_RELEASE".to_owned(),
        language: "sv".to_owned(),
        department_id: department_id.to_owned(),
        responsible_minister_id: None,
        translation_of_id: None,
        state: "DRAFT".to_owned(),
        version: 1,
        revision: 1,
        content_hash: "cd".repeat(32),
        title: "Sverige och Indien leder LeadIT".to_owned(),
        lead: "Ledarskapsgruppen för industriomställning\u{a0}– LeadIT".to_owned(),
        content: r#"{"body":[]}"#.to_owned(),
        author: "anna.drafter".to_owned(),
        embargo_until: None,
        published_at: None,
        sort_at: AT,
        withdrawn_at: None,
        withdrawal_reason: None,
        created_by: "anna.drafter".to_owned(),
        created_at: AT,
        updated_at: AT,
        search_text: "Sverige och Indien leder LeadIT".to_owned(),
    }
}

fn token(id: &str, token_hash: &str) -> tokens::Model {
    tokens::Model {
        id: id.to_owned(),
        user_name: format!("user-{id}"),
        token_hash: token_hash.to_owned(),
        role: "DRAFTER".to_owned(),
        department_id: Some("d1".to_owned()),
        person_id: None,
        embargo_access: true,
        created_at: AT,
        revoked_at: None,
        expires_at: None,
        last_used_at: None,
    }
}

fn genesis_head() -> audit_head::Model {
    audit_head::Model {
        id: 1,
        seq: 0,
        hash: "0".repeat(64),
    }
}

async fn audit_head_rows(db: &DatabaseConnection) -> Vec<audit_head::Model> {
    audit_head::Entity::find().all(db).await.unwrap()
}

async fn applied_count(db: &DatabaseConnection) -> usize {
    Migrator::get_applied_migrations(db).await.unwrap().len()
}

/// Every table, index and append-only trigger of the schema exists.
async fn assert_schema_present(test_db: &TestDb) {
    let manager = SchemaManager::new(&test_db.db);
    for table in TABLES {
        assert!(
            manager.has_table(table).await.unwrap(),
            "{}: table {table} is missing",
            test_db.backend_name
        );
    }
    let indexes = schema_objects(test_db, "index").await;
    for index in INDEXES {
        assert!(
            indexes.iter().any(|i| i == index),
            "{}: index {index} is missing (found {indexes:?})",
            test_db.backend_name
        );
    }
    let triggers = schema_objects(test_db, "trigger").await;
    for trigger in TRIGGERS {
        assert!(
            triggers.iter().any(|t| t == trigger),
            "{}: trigger {trigger} is missing (found {triggers:?})",
            test_db.backend_name
        );
    }
}

/// Names of the tables, indexes, triggers and functions left after `down`, apart from the
/// migration bookkeeping table (and its index) that sea-orm-migration keeps.
async fn leftover_objects(test_db: &TestDb) -> Vec<String> {
    let mut names = Vec::new();
    for kind in ["table", "index", "trigger", "function"] {
        names.extend(schema_objects(test_db, kind).await);
    }
    names.retain(|name| !name.starts_with("seaql_migrations"));
    names
}

/// Names of the schema objects of one kind (`table`, `index`, `trigger` or `function`) that
/// the application could have made.
async fn schema_objects(test_db: &TestDb, kind: &str) -> Vec<String> {
    let sql = if test_db.is_postgres() {
        match kind {
            "table" => {
                "SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'".to_owned()
            }
            "index" => {
                "SELECT indexname AS name FROM pg_indexes WHERE schemaname = 'public'".to_owned()
            }
            "trigger" => "SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal".to_owned(),
            _ => "SELECT p.proname AS name FROM pg_proc p \
                  JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'"
                .to_owned(),
        }
    } else if kind == "function" {
        return Vec::new();
    } else {
        format!("SELECT name FROM sqlite_master WHERE type = '{kind}' AND name NOT LIKE 'sqlite_%'")
    };
    let rows = test_db
        .db
        .query_all_raw(Statement::from_string(
            test_db.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|row| row.try_get::<String>("", "name").unwrap())
        .collect()
}

/// (name, type, nullable) of every column of `table`, sorted by name.
async fn actual_columns(test_db: &TestDb, table: &str) -> Vec<(String, String, bool)> {
    let sql = if test_db.is_postgres() {
        format!(
            "SELECT column_name::text AS name, data_type::text AS ty, \
             is_nullable = 'YES' AS nullable FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name = '{table}'"
        )
    } else {
        format!(
            "SELECT name, lower(type) AS ty, \"notnull\" = 0 AS nullable \
             FROM pragma_table_info('{table}')"
        )
    };
    let rows = test_db
        .db
        .query_all_raw(Statement::from_string(
            test_db.db.get_database_backend(),
            sql,
        ))
        .await
        .unwrap();
    let mut columns: Vec<(String, String, bool)> = rows
        .iter()
        .map(|row| {
            (
                row.try_get::<String>("", "name").unwrap(),
                row.try_get::<String>("", "ty").unwrap(),
                row.try_get::<bool>("", "nullable").unwrap(),
            )
        })
        .collect();
    columns.sort();
    columns
}

fn assert_refused(result: Result<(), DbErr>, backend: &str, table: &str, what: &str) {
    match result {
        Ok(()) => panic!("{backend}: {what} on {table} was accepted"),
        Err(error) => assert!(
            error
                .to_string()
                .contains(&format!("{table} is append-only")),
            "{backend}: {what} on {table} failed for another reason: {error}"
        ),
    }
}

fn assert_unique_violation(result: Result<(), DbErr>, backend: &str, what: &str) {
    match result {
        Ok(()) => panic!("{backend}: a duplicate {what} was accepted"),
        Err(error) => assert!(
            matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
            "{backend}: a duplicate {what} failed for another reason: {error}"
        ),
    }
}
