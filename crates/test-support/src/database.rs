//! A fresh database per test, one per available backend.
//!
//! Every test gets a database of its own, so tests never see each other's rows and may run in
//! parallel: a new SQLite file in a temporary directory always, and a newly created PostgreSQL
//! database when [`POSTGRES_URL_VAR`] names a server (CI sets it). Loop over
//! [`test_databases`] or [`migrated_databases`] and run the same assertions on each; or take an
//! [`EmptyDatabase`] (a URL, no connection) for code under test that connects by itself, such as
//! the real binary.
//!
//! Cleanup: call [`TestDb::cleanup`] at the end of a test to close the pool and drop the
//! PostgreSQL database deterministically. A database that is merely dropped (a failed assertion,
//! a forgotten cleanup) still removes its SQLite directory and, best effort, drops its
//! PostgreSQL database from a helper thread; a leftover `pressroom_test_*` database is harmless.

use pressroom_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

/// Environment variable naming a PostgreSQL server (any database on it) for tests.
pub const POSTGRES_URL_VAR: &str = "PRESSROOM_TEST_POSTGRES_URL";

/// The PostgreSQL server named by [`POSTGRES_URL_VAR`], if the variable is set and not blank.
pub fn postgres_server_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR)
        .ok()
        .map(|url| url.trim().to_owned())
        .filter(|url| !url.is_empty())
}

/// A database engine a test runs against.
#[derive(Clone, Debug)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database on the PostgreSQL server at this URL.
    Postgres(String),
}

impl Backend {
    /// `"sqlite"` or `"postgres"`, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }
}

/// The backends available in this environment: SQLite always, PostgreSQL when
/// [`POSTGRES_URL_VAR`] is set.
pub fn backends() -> Vec<Backend> {
    let mut backends = vec![Backend::Sqlite];
    if let Some(url) = postgres_server_url() {
        backends.push(Backend::Postgres(url));
    }
    backends
}

/// A fresh, empty database that nothing is connected to yet: its URL and what removes it.
pub struct EmptyDatabase {
    /// URL of the database, for code under test that connects by itself.
    pub url: String,
    /// `"sqlite"` or `"postgres"`, for assertion messages.
    pub backend_name: &'static str,
    /// Removes the database when dropped.
    guard: Guard,
}

impl EmptyDatabase {
    /// Creates a fresh database on `backend`: a SQLite file in a new temporary directory, or a
    /// `CREATE DATABASE pressroom_test_<uuid>` on the PostgreSQL server.
    pub async fn create(backend: &Backend) -> Self {
        match backend {
            Backend::Sqlite => sqlite_database(),
            Backend::Postgres(server_url) => postgres_database(server_url).await,
        }
    }

    /// Removes the database now (dropping the PostgreSQL database with `FORCE`), rather than
    /// leaving it to the best-effort work done on drop.
    pub async fn remove(self) {
        match self.guard {
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

/// One fresh database, connected, and what keeps it alive.
pub struct TestDb {
    /// Connection pool to the database.
    pub db: DatabaseConnection,
    /// URL of the database, for code under test that connects by itself.
    pub url: String,
    /// `"sqlite"` or `"postgres"`, for assertion messages.
    pub backend_name: &'static str,
    /// Removes the database when dropped; declared after `db` so the pool is dropped first.
    database: EmptyDatabase,
}

impl TestDb {
    /// Connects to a fresh database on `backend`.
    pub async fn create(backend: &Backend) -> Self {
        let database = EmptyDatabase::create(backend).await;
        // From here on the guard exists, so even a failed connect drops the database.
        let db = Database::connect(&database.url)
            .await
            .unwrap_or_else(|error| panic!("connect to {}: {error}", database.url));
        TestDb {
            db,
            url: database.url.clone(),
            backend_name: database.backend_name,
            database,
        }
    }

    /// Whether this database is PostgreSQL (otherwise SQLite).
    pub fn is_postgres(&self) -> bool {
        self.db.get_database_backend() == DbBackend::Postgres
    }

    /// Closes the pool and drops the PostgreSQL database (or deletes the SQLite directory)
    /// now, rather than leaving it to the best-effort work done on drop.
    pub async fn cleanup(self) {
        let TestDb { db, database, .. } = self;
        // Closing first lets DROP DATABASE succeed without having to kill our own sessions.
        let _ = db.close().await;
        database.remove().await;
    }
}

/// A fresh, unmigrated, connected database per available backend: SQLite always, PostgreSQL
/// when [`POSTGRES_URL_VAR`] is set.
pub async fn test_databases() -> Vec<TestDb> {
    let mut databases = Vec::new();
    for backend in backends() {
        databases.push(TestDb::create(&backend).await);
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

enum Guard {
    /// The temporary directory holding the SQLite file; deleted on drop.
    Sqlite(tempfile::TempDir),
    /// The PostgreSQL database created for this test.
    Postgres(PostgresDatabase),
}

/// A PostgreSQL database made for a test, dropped when this is dropped unless
/// [`EmptyDatabase::remove`] already did it.
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

fn sqlite_database() -> EmptyDatabase {
    let dir = tempfile::Builder::new()
        .prefix("pressroom-test-")
        .tempdir()
        .unwrap_or_else(|error| panic!("create a temporary directory for SQLite: {error}"));
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("pressroom.db").display()
    );
    EmptyDatabase {
        url,
        backend_name: "sqlite",
        guard: Guard::Sqlite(dir),
    }
}

async fn postgres_database(server_url: &str) -> EmptyDatabase {
    let name = format!("pressroom_test_{}", uuid::Uuid::now_v7().simple());
    let url = url_with_database(server_url, &name)
        .unwrap_or_else(|error| panic!("{POSTGRES_URL_VAR}={server_url} is not a URL: {error}"));
    let admin = Database::connect(server_url)
        .await
        .unwrap_or_else(|error| panic!("connect to {POSTGRES_URL_VAR}={server_url}: {error}"));
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .unwrap_or_else(|error| panic!("create database {name}: {error}"));
    let _ = admin.close().await;
    EmptyDatabase {
        url,
        backend_name: "postgres",
        guard: Guard::Postgres(PostgresDatabase {
            admin_url: server_url.to_owned(),
            name,
            dropped: false,
        }),
    }
}

async fn drop_postgres_database(admin_url: &str, name: &str) -> Result<(), DbErr> {
    let admin = Database::connect(admin_url).await?;
    // FORCE (PostgreSQL 13+) ends sessions a dropped-but-not-closed pool or a just-killed
    // server may still hold.
    let result = admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await;
    let _ = admin.close().await;
    result.map(|_| ())
}

/// `server_url` with its database (the path) replaced by `database`, keeping the user, host,
/// port and query string.
pub fn url_with_database(server_url: &str, database: &str) -> Result<String, url::ParseError> {
    let mut url = url::Url::parse(server_url)?;
    url.set_path(&format!("/{database}"));
    Ok(url.into())
}

#[cfg(test)]
mod tests {
    use super::url_with_database;

    #[test]
    fn url_with_database_replaces_only_the_path() {
        let cases = [
            (
                "postgres://postgres@127.0.0.1:5432/test",
                "postgres://postgres@127.0.0.1:5432/x",
            ),
            (
                "postgres://u:p@db/test?sslmode=disable",
                "postgres://u:p@db/x?sslmode=disable",
            ),
            ("postgres://db:5432", "postgres://db:5432/x"),
        ];
        for (server, expected) in cases {
            assert_eq!(url_with_database(server, "x").as_deref(), Ok(expected));
        }
    }

    #[test]
    fn a_server_url_that_is_not_a_url_is_an_error() {
        assert!(url_with_database("not a url", "x").is_err());
    }
}
