//! Scenario 9: the audit log is append-only in the database itself, and `pressroom audit verify`
//! finds an entry altered behind the triggers' back, naming its seq.
//!
//! This is the one scenario that reaches behind the API: to tamper with the log it has to.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, Statement};

use crate::fixture::approved_release;
use crate::harness::{TestApp, for_each_backend, names_seq, spawn_app};

/// The entry the scenario alters.
const TAMPERED_SEQ: i64 = 2;

#[tokio::test]
async fn audit_verify_names_the_first_entry_altered_behind_the_triggers_back() {
    for_each_backend(|backend| async move {
        let app = spawn_app(backend).await;
        let ministry = app.setup_ministry().await;
        let backend = app.backend;
        approved_release(&app, &ministry, &ministry.release_input()).await;

        let entries = app.audit_entries(&app.admin_token, None).await;
        assert!(
            entries.iter().any(|entry| entry["seq"] == TAMPERED_SEQ),
            "[{backend}] after a create, a submit and an approval the log has an entry with \
             seq {TAMPERED_SEQ}: {entries:#?}"
        );
        let verified = app.audit_verify().await;
        assert!(
            verified.status.success()
                && verified
                    .last_line()
                    .starts_with(&format!("ok: {} entries, head ", entries.len())),
            "[{backend}] `audit verify` of an untouched log should exit 0 with `ok: {} entries, \
             head …`\n{verified}",
            entries.len()
        );

        let db = Database::connect(&app.database_url)
            .await
            .unwrap_or_else(|error| panic!("[{backend}] connect to {}: {error}", app.database_url));

        // While the triggers are in place the database refuses to rewrite history.
        let update = format!("UPDATE audit_log SET actor = 'mallory' WHERE seq = {TAMPERED_SEQ}");
        let refused = db.execute_unprepared(&update).await;
        assert!(
            refused.is_err(),
            "[{backend}] the database should refuse UPDATE on audit_log, got {refused:?}"
        );
        let refused = db
            .execute_unprepared(&format!("DELETE FROM audit_log WHERE seq = {TAMPERED_SEQ}"))
            .await;
        assert!(
            refused.is_err(),
            "[{backend}] the database should refuse DELETE on audit_log, got {refused:?}"
        );

        tamper(&app, &db, &update).await;
        let _ = db.close().await;

        let verified = app.audit_verify().await;
        let output = format!("{}\n{}", verified.stdout, verified.stderr);
        assert!(
            !verified.status.success() && names_seq(&output, TAMPERED_SEQ),
            "[{backend}] `audit verify` of a log whose seq {TAMPERED_SEQ} was altered should \
             exit non-zero naming `seq {TAMPERED_SEQ}`\n{verified}"
        );
    })
    .await;
}

/// Runs `update` with the append-only triggers out of the way.
async fn tamper(app: &TestApp, db: &DatabaseConnection, update: &str) {
    let backend = app.backend;
    let run = |sql: String| async move {
        db.execute_unprepared(&sql)
            .await
            .unwrap_or_else(|error| panic!("[{backend}] {sql}: {error}"))
    };
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            // SQLite cannot disable a trigger, so drop every trigger on the table.
            let triggers = db
                .query_all_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'",
                ))
                .await
                .unwrap_or_else(|error| panic!("[{backend}] list triggers: {error}"));
            let names: Vec<String> = triggers
                .iter()
                .filter_map(|row| row.try_get::<String>("", "name").ok())
                .collect();
            assert!(
                !names.is_empty(),
                "[{backend}] audit_log should have triggers refusing UPDATE and DELETE"
            );
            for name in names {
                run(format!("DROP TRIGGER \"{name}\"")).await;
            }
            let result = run(update.to_owned()).await;
            assert_eq!(result.rows_affected(), 1, "[{backend}] {update}");
        }
        DbBackend::Postgres => {
            run("ALTER TABLE audit_log DISABLE TRIGGER USER".to_owned()).await;
            let result = run(update.to_owned()).await;
            run("ALTER TABLE audit_log ENABLE TRIGGER USER".to_owned()).await;
            assert_eq!(result.rows_affected(), 1, "[{backend}] {update}");
        }
        other => panic!("[{backend}] unexpected database backend {other:?}"),
    }
}
