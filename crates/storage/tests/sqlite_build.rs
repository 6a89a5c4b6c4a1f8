//! The bundled SQLite is built with the query planner stability guarantee (`.cargo/config.toml`
//! sets `LIBSQLITE3_FLAGS=-DSQLITE_ENABLE_QPSG`). Without it SQLite 3.51 plans a statement whose
//! LIMIT is a bound parameter with that parameter's value, and so re-prepares it each time sqlx
//! binds it again, which is every execution: a third of the server's instructions per read
//! (docs/benchmarks.md). These tests fail when the flag is lost.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly on unexpected errors"
)]

use pressroom_storage::Store;
use pressroom_test_support::database::{Backend, TestDb};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// A fresh SQLite database opened the way the server opens it.
async fn sqlite_store() -> (TestDb, Store) {
    let test_db = TestDb::create(&Backend::Sqlite).await;
    let store = Store::connect(&test_db.url).await.expect("connect");
    (test_db, store)
}

#[tokio::test]
async fn the_bundled_sqlite_has_the_query_planner_stability_guarantee() {
    let (test_db, store) = sqlite_store().await;
    let options: Vec<String> = store
        .connection()
        .query_all_raw(Statement::from_string(
            DbBackend::Sqlite,
            "PRAGMA compile_options",
        ))
        .await
        .expect("compile options")
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("an option"))
        .collect();
    assert!(
        options.iter().any(|o| o == "ENABLE_QPSG"),
        "SQLite was built without ENABLE_QPSG (is .cargo/config.toml's LIBSQLITE3_FLAGS set?); \
         its options: {options:?}"
    );
    drop(store);
    test_db.cleanup().await;
}

#[tokio::test]
async fn a_bound_limit_is_read_at_run_time_not_compiled_into_the_statement() {
    let (test_db, store) = sqlite_store().await;
    // The program of `LIMIT ?` bound to 4242: with the guarantee the limit is read from the
    // parameter when the statement runs (`Variable`, `MustBeInt`); without it SQLite re-prepares
    // the statement with the value as a constant (`Integer 4242`), on every execution.
    let program = store
        .connection()
        .query_all_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "EXPLAIN SELECT 1 FROM (SELECT 1 UNION ALL SELECT 2) LIMIT ?",
            [4242_i64.into()],
        ))
        .await
        .expect("explain");
    let ops: Vec<(String, i64)> = program
        .iter()
        .map(|row| {
            (
                row.try_get::<String>("", "opcode").expect("opcode"),
                row.try_get::<i64>("", "p1").expect("p1"),
            )
        })
        .collect();
    assert!(
        !ops.iter().any(|(op, p1)| op == "Integer" && *p1 == 4242),
        "the bound LIMIT was compiled in as a constant: {ops:?}"
    );
    assert!(
        ops.iter().any(|(op, _)| op == "MustBeInt"),
        "the LIMIT is not read from its parameter at run time: {ops:?}"
    );
    drop(store);
    test_db.cleanup().await;
}
