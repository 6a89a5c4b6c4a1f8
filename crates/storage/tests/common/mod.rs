//! Fresh databases for storage tests, one per backend.
//!
//! Every test gets a database of its own, so tests never see each other's rows and may run in
//! parallel: a new SQLite file in a temporary directory always, and a newly created PostgreSQL
//! database when `PRESSROOM_TEST_POSTGRES_URL` names a server (CI sets it). Loop over
//! [`test_databases`] or [`migrated_databases`] and run the same assertions on each.
//!
//! Cleanup: call [`TestDb::cleanup`] at the end of a test to close the pool and drop the
//! PostgreSQL database deterministically. A `TestDb` that is merely dropped (a failed assertion,
//! a forgotten cleanup) still removes its SQLite directory and, best effort, drops its
//! PostgreSQL database from a helper thread.

#![allow(
    dead_code,
    reason = "each test binary compiles this module and uses only part of it"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support: a failure to set up a database should fail the test loudly"
)]

use pressroom_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

/// Environment variable naming a PostgreSQL server (any database on it) for tests.
pub const POSTGRES_URL_VAR: &str = "PRESSROOM_TEST_POSTGRES_URL";

/// One fresh, empty database and what keeps it alive.
pub struct TestDb {
    /// Connection pool to the database.
    pub db: DatabaseConnection,
    /// URL of the database, for code under test that connects by itself.
    pub url: String,
    /// `"sqlite"` or `"postgres"`, for assertion messages.
    pub backend_name: &'static str,
    /// Removes the database when dropped; declared after `db` so the pool is dropped first.
    guard: Guard,
}

enum Guard {
    /// The temporary directory holding the SQLite file; deleted on drop.
    Sqlite(tempfile::TempDir),
    /// The PostgreSQL database created for this test.
    Postgres(PostgresDatabase),
}

impl TestDb {
    /// Whether this database is PostgreSQL (otherwise SQLite).
    pub fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    /// Closes the pool and drops the PostgreSQL database (or deletes the SQLite directory)
    /// now, rather than leaving it to the best-effort work done on drop.
    pub async fn cleanup(self) {
        let TestDb { db, guard, .. } = self;
        // Closing first lets DROP DATABASE succeed without having to kill our own sessions.
        let _ = db.close().await;
        match guard {
            Guard::Sqlite(dir) => drop(dir),
            Guard::Postgres(mut database) => {
                if let Err(error) =
                    drop_postgres_database(&database.admin_url, &database.name).await
                {
                    eprintln!("could not drop test database {}: {error}", database.name);
                }
                database.dropped = true;
            }
        }
    }
}

/// A PostgreSQL database made by [`test_databases`], dropped when this is dropped unless
/// [`TestDb::cleanup`] already did it.
struct PostgresDatabase {
    admin_url: String,
    name: String,
    dropped: bool,
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        if self.dropped {
            return;
        }
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop cannot await, and it usually runs inside the test's own runtime, where blocking
        // on a future would panic; so the DROP runs on a fresh runtime on a thread of its own.
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime
                .block_on(drop_postgres_database(&admin_url, &name))
                .map_err(|error| error.to_string())
        })
        .join();
        if let Ok(Err(error)) = outcome {
            eprintln!("could not drop test database {}: {error}", self.name);
        }
    }
}

/// A fresh, unmigrated database per available backend: SQLite always, PostgreSQL when
/// `PRESSROOM_TEST_POSTGRES_URL` is set.
pub async fn test_databases() -> Vec<TestDb> {
    let mut databases = vec![sqlite_database().await];
    if let Ok(server_url) = std::env::var(POSTGRES_URL_VAR)
        && !server_url.trim().is_empty()
    {
        databases.push(postgres_database(server_url.trim()).await);
    }
    databases
}

/// Like [`test_databases`], with every migration applied.
pub async fn migrated_databases() -> Vec<TestDb> {
    let databases = test_databases().await;
    for test_db in &databases {
        Migrator::up(&test_db.db, None)
            .await
            .unwrap_or_else(|error| panic!("{}: migrations failed: {error}", test_db.backend_name));
    }
    databases
}

async fn sqlite_database() -> TestDb {
    let dir = tempfile::Builder::new()
        .prefix("pressroom-test-")
        .tempdir()
        .expect("create a temporary directory for SQLite");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("pressroom.db").display()
    );
    let db = Database::connect(&url)
        .await
        .unwrap_or_else(|error| panic!("connect to {url}: {error}"));
    TestDb {
        db,
        url,
        backend_name: "sqlite",
        guard: Guard::Sqlite(dir),
    }
}

async fn postgres_database(server_url: &str) -> TestDb {
    let name = format!("pressroom_t_{}", uuid::Uuid::now_v7().simple());
    let admin = Database::connect(server_url)
        .await
        .unwrap_or_else(|error| panic!("connect to {POSTGRES_URL_VAR}={server_url}: {error}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|error| panic!("create database {name}: {error}"));
    let _ = admin.close().await;
    // From here on the guard exists, so even a failed connect below drops the database.
    let guard = PostgresDatabase {
        admin_url: server_url.to_owned(),
        name: name.clone(),
        dropped: false,
    };
    let url = url_with_database(server_url, &name);
    let db = Database::connect(&url)
        .await
        .unwrap_or_else(|error| panic!("connect to {url}: {error}"));
    TestDb {
        db,
        url,
        backend_name: "postgres",
        guard: Guard::Postgres(guard),
    }
}

async fn drop_postgres_database(admin_url: &str, name: &str) -> Result<(), DbErr> {
    let admin = Database::connect(admin_url).await?;
    // FORCE (PostgreSQL 13+) ends sessions a dropped-but-not-closed pool may still hold.
    let result = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await;
    let _ = admin.close().await;
    result.map(|_| ())
}

/// `server_url` with its database (the path) replaced by `database`, keeping any query string.
fn url_with_database(server_url: &str, database: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let authority_start = base.find("://").map_or(0, |index| index + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

#[test]
fn url_with_database_replaces_only_the_path() {
    assert_eq!(
        url_with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
        "postgres://postgres@127.0.0.1:5432/x"
    );
    assert_eq!(
        url_with_database("postgres://u:p@db/test?sslmode=disable", "x"),
        "postgres://u:p@db/x?sslmode=disable"
    );
    assert_eq!(
        url_with_database("postgres://db:5432", "x"),
        "postgres://db:5432/x"
    );
}
