//! The scheduler claims due releases through `idx_releases_due`, in claim order, without sorting
//! them: with only the initial schema's `(state, embargo_until)` index the database had to sort
//! every due release to hand out the first batch (on PostgreSQL an external sort of whole rows
//! that spilled to disk at 10,000 due releases).
//!
//! The queries here mirror `Store::publish_due` and `Store::next_embargo`
//! (`crates/storage/src/publishing.rs`); a change to those queries should be made here as well.
//! On each backend the claim is planned first on the schema without the due-index migration
//! (where it must sort, which shows the check can fail) and then on the full schema; finally the
//! migration is rolled back and applied again.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on unexpected errors"
)]

use pressroom_domain::lifecycle::State;
use pressroom_migrations::{Migrator, MigratorTrait, SchemaManager};
use pressroom_storage::clock::from_micros;
use pressroom_storage::entity::releases;
use pressroom_storage::visibility::embargo_due_condition;
use pressroom_test_support::database::test_databases;
use sea_orm::sea_query::{LockBehavior, LockType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, QueryTrait, Statement,
};

/// The migration under test.
const DUE_INDEX_MIGRATION: &str = "m20261129_000004_due_index";

/// The index it creates.
const DUE_INDEX: &str = "idx_releases_due";

/// The initial schema's index it replaces.
const OLD_INDEX: &str = "idx_releases_state_embargo";

/// Embargoed releases seeded, all due at one instant (the burst of the benchmark, smaller).
const DUE: usize = 5_000;

/// Releases per claim: the scheduler's default batch size.
const BATCH: u64 = 500;

/// The embargo instant of every seeded release (2026-01-01, microseconds).
const INSTANT: i64 = 1_767_225_600_000_000;

#[tokio::test]
async fn due_releases_are_claimed_in_order_from_the_due_index_without_a_sort() {
    let before_due_index = Migrator::migrations()
        .iter()
        .position(|migration| migration.name() == DUE_INDEX_MIGRATION)
        .expect("the due-index migration is registered");
    for test_db in test_databases().await {
        let db = &test_db.db;
        let backend = test_db.backend_name;
        Migrator::up(db, Some(before_due_index as u32))
            .await
            .unwrap_or_else(|e| panic!("{backend}: migrating up to the due index: {e}"));
        seed(db).await;

        let claim = claim_due(db.get_database_backend());
        let without = plan(db, &claim).await;
        assert!(
            sorts(&without),
            "{backend}: without the due index the claim was expected to sort (the check would \
             not notice a missing index otherwise); plan:\n{}",
            without.join("\n")
        );

        Migrator::up(db, None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: migrating the rest: {e}"));
        analyze(db).await;
        for (what, statement) in [
            ("the claim of due releases", claim),
            (
                "the next embargo instant",
                next_embargo(db.get_database_backend()),
            ),
        ] {
            let plan = plan(db, &statement).await;
            assert!(
                plan.iter().any(|line| line.contains(DUE_INDEX)) && !sorts(&plan),
                "{backend}: {what} should read {DUE_INDEX} in order, without a sort; plan:\n{}\n\
                 --- statement:\n{}",
                plan.join("\n"),
                statement.sql
            );
        }

        // `down` puts the initial schema's index back, and the migration applies again.
        let applied_since = Migrator::migrations().len() - before_due_index;
        Migrator::down(db, Some(applied_since as u32))
            .await
            .unwrap_or_else(|e| panic!("{backend}: rolling back the due index: {e}"));
        let manager = SchemaManager::new(db);
        for (index, present) in [(DUE_INDEX, false), (OLD_INDEX, true)] {
            assert_eq!(
                manager.has_index("releases", index).await.unwrap(),
                present,
                "{backend}: after rolling back, {index} should {}exist",
                if present { "" } else { "no longer " }
            );
        }
        Migrator::up(db, None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: migrating up again: {e}"));
        assert!(
            manager.has_index("releases", DUE_INDEX).await.unwrap()
                && !manager.has_index("releases", OLD_INDEX).await.unwrap(),
            "{backend}: applied again, the migration should replace {OLD_INDEX} by {DUE_INDEX}"
        );
        test_db.cleanup().await;
    }
}

/// `Store::publish_due`'s claim of up to [`BATCH`] due releases at [`INSTANT`], through the same
/// `embargo_due_condition`.
fn claim_due(backend: DbBackend) -> Statement {
    releases::Entity::find()
        .filter(embargo_due_condition(from_micros(INSTANT)))
        .order_by_asc(releases::Column::EmbargoUntil)
        .order_by_asc(releases::Column::Id)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .build(backend)
}

/// `Store::next_embargo`'s look-up of the earliest embargo instant.
fn next_embargo(backend: DbBackend) -> Statement {
    releases::Entity::find()
        .select_only()
        .column(releases::Column::EmbargoUntil)
        .filter(releases::Column::State.eq(State::Embargoed.as_str()))
        .filter(releases::Column::EmbargoUntil.is_not_null())
        .order_by_asc(releases::Column::EmbargoUntil)
        .limit(1)
        .build(backend)
}

/// One department and [`DUE`] embargoed releases due at [`INSTANT`], plus as many published
/// ones, inserted by one statement each that SQLite and PostgreSQL read alike; then, on
/// PostgreSQL, planner statistics as autovacuum would gather them.
async fn seed(db: &DatabaseConnection) {
    db.execute_unprepared(
        "INSERT INTO departments (id, slug, name, time_zone, created_at) \
         VALUES ('d1', 'departement', 'Departement', 'Europe/Stockholm', 0)",
    )
    .await
    .expect("insert a department");
    for (prefix, state, embargo_until) in [
        ("due", "EMBARGOED", INSTANT.to_string()),
        ("old", "PUBLISHED", "NULL".to_owned()),
    ] {
        let sql = format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {DUE}) \
             INSERT INTO releases (id, slug, kind, language, department_id, state, version, \
             revision, content_hash, title, lead, content, author, embargo_until, sort_at, \
             created_by, created_at, updated_at) \
             SELECT '{prefix}-' || CAST(i AS TEXT), '{prefix}-slug-' || CAST(i AS TEXT), \
             'PRESS_RELEASE', 'sv', 'd1', '{state}', 1, 1, 'hash', 'Rubrik', 'Ingress', '{{}}', \
             'author', {embargo_until}, {INSTANT}, 'author', 0, 0 FROM n"
        );
        db.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|e| panic!("seed {state} releases: {e}\n{sql}"));
    }
    analyze(db).await;
}

/// `ANALYZE` on PostgreSQL; SQLite is left as Pressroom leaves it, without statistics.
async fn analyze(db: &DatabaseConnection) {
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE releases")
            .await
            .expect("ANALYZE");
    }
}

/// The plan of `statement`, one line per step: SQLite's `EXPLAIN QUERY PLAN` details, or
/// PostgreSQL's `EXPLAIN` text.
async fn plan(db: &DatabaseConnection, statement: &Statement) -> Vec<String> {
    let backend = db.get_database_backend();
    let (prefix, column) = match backend {
        DbBackend::Postgres => ("EXPLAIN ", "QUERY PLAN"),
        _ => ("EXPLAIN QUERY PLAN ", "detail"),
    };
    let explain = Statement {
        sql: format!("{prefix}{}", statement.sql),
        ..statement.clone()
    };
    db.query_all_raw(explain)
        .await
        .unwrap_or_else(|e| panic!("explain {}: {e}", statement.sql))
        .iter()
        .map(|row| row.try_get::<String>("", column).expect("a plan line"))
        .collect()
}

/// Whether a plan sorts rows: a `Sort` or `Incremental Sort` node on PostgreSQL, a temporary
/// B-tree for the `ORDER BY` on SQLite.
fn sorts(plan: &[String]) -> bool {
    plan.iter()
        .any(|line| line.contains("Sort") || line.contains("TEMP B-TREE"))
}
