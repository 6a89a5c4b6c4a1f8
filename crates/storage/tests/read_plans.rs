//! The reads of the compiled GraphQL path (`crates/api/src/fast_path.rs`) and of the resolvers
//! stay index reads however many releases there are (issue 16, item 4): a release by id or by
//! slug, and a department's page of releases (first and later pages), each for an anonymous
//! caller and for an integrator with embargo access. Neither backend may scan `releases` or sort
//! it.
//!
//! The statements are the ones the store sends (`Store::read_statements`, built by the same
//! functions as `secure_release_with_directory` and `secure_releases_with_directory`): with the
//! audit `seq` subquery of the directory cache and the department's slug as a subquery.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on unexpected errors"
)]

use pressroom_domain::visibility::Role;
use pressroom_migrations::{Migrator, MigratorTrait};
use pressroom_storage::Store;
use pressroom_storage::clock::from_micros;
use pressroom_storage::entity::releases;
use pressroom_test_support::database::test_databases;
use pressroom_test_support::world::viewer;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter,
    QueryTrait, Statement,
};

/// Published releases seeded, across [`DEPARTMENTS`] departments.
const RELEASES: usize = 20_000;

/// Departments.
const DEPARTMENTS: usize = 10;

/// The newest release's publication instant (2026-01-01, microseconds); each next one a minute
/// earlier.
const NEWEST: i64 = 1_767_225_600_000_000;

#[tokio::test]
async fn release_reads_stay_index_reads() {
    for test_db in test_databases().await {
        let db = &test_db.db;
        let backend = test_db.backend_name;
        Migrator::up(db, None)
            .await
            .unwrap_or_else(|e| panic!("{backend}: migrating: {e}"));
        seed(db).await;
        // A filter no index covers is reported as a scan: the check can fail.
        let scan = releases::Entity::find()
            .filter(releases::Column::Title.eq("Rubrik"))
            .build(db.get_database_backend());
        let scan_plan = plan(db, &scan).await;
        assert!(
            !reads_by_index(db.get_database_backend(), &scan_plan),
            "{backend}: a filter on the title should scan; plan:\n{}",
            scan_plan.join("\n")
        );
        let now = from_micros(NEWEST + 1);
        let mut integrator = viewer("agency", Role::Integrator, None, None);
        integrator.embargo_access = true;
        let store = Store::connect(&test_db.url).await.expect("connect");
        for caller in [None, Some(&integrator)] {
            let reads = store
                .read_statements(
                    caller,
                    now,
                    ("r-7777", "slug-7777"),
                    "departement-3",
                    (NEWEST - 5_000 * 60_000_000, "r-5000"),
                )
                .expect("the statements");
            for (what, statement) in reads {
                let plan = plan(db, &statement).await;
                assert!(
                    reads_by_index(db.get_database_backend(), &plan),
                    "{backend}: {what} as {:?} should read releases through an index, without \
                     a scan or a sort; plan:\n{}\n--- statement:\n{}",
                    caller.map(|v| v.role),
                    plan.join("\n"),
                    statement.sql
                );
            }
        }
        drop(store);
        test_db.cleanup().await;
    }
}

/// Whether `plan` reads `releases` through an index and never scans or sorts it.
fn reads_by_index(backend: DbBackend, plan: &[String]) -> bool {
    match backend {
        DbBackend::Postgres => {
            plan.iter()
                .any(|l| l.contains("Index Scan") && l.contains(" on releases"))
                && !plan.iter().any(|l| {
                    l.contains("Seq Scan on releases") || l.trim_start().starts_with("Sort")
                })
        }
        _ => {
            plan.iter().any(|l| l.starts_with("SEARCH releases USING"))
                && !plan
                    .iter()
                    .any(|l| l.starts_with("SCAN releases") || l.contains("TEMP B-TREE"))
        }
    }
}

/// [`DEPARTMENTS`] departments and [`RELEASES`] published releases spread over them, inserted
/// by one statement that SQLite and PostgreSQL read alike; then, on PostgreSQL, planner
/// statistics as autovacuum (or the benchmark's `ANALYZE`) would gather them.
async fn seed(db: &DatabaseConnection) {
    for d in 0..DEPARTMENTS {
        db.execute_unprepared(&format!(
            "INSERT INTO departments (id, slug, name, time_zone, created_at) \
             VALUES ('d{d}', 'departement-{d}', 'Departement {d}', 'Europe/Stockholm', 0)"
        ))
        .await
        .expect("insert a department");
    }
    let sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
         INSERT INTO releases (id, slug, kind, language, department_id, state, version, \
         revision, content_hash, title, lead, content, author, published_at, sort_at, \
         created_by, created_at, updated_at) \
         SELECT 'r-' || CAST(i AS TEXT), 'slug-' || CAST(i AS TEXT), 'PRESS_RELEASE', 'sv', \
         'd' || CAST(i % {DEPARTMENTS} AS TEXT), 'PUBLISHED', 1, 1, 'hash', 'Rubrik', \
         'Ingress', '{{}}', 'author', {NEWEST} - CAST(i AS BIGINT) * 60000000, {NEWEST} - CAST(i AS BIGINT) * 60000000, \
         'author', 0, 0 FROM n",
        RELEASES - 1
    );
    db.execute_unprepared(&sql)
        .await
        .unwrap_or_else(|e| panic!("seed releases: {e}\n{sql}"));
    if db.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ANALYZE releases")
            .await
            .expect("ANALYZE");
    }
}

/// The plan of `statement`, one line per step: SQLite's `EXPLAIN QUERY PLAN` details, or
/// PostgreSQL's `EXPLAIN` text.
async fn plan(db: &DatabaseConnection, statement: &Statement) -> Vec<String> {
    let (prefix, column) = match db.get_database_backend() {
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
