//! Connecting, migrating and opening write transactions.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use chrono::{DateTime, Utc};
use pressroom_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::clock::{Clock, SystemClock};
use crate::directory_cache::DirectoryCache;
use crate::error::{StorageError, StorageResult};
use crate::token_cache::TokenCache;

/// How long a SQLite writer waits for another writer's lock before giving up.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// A pooled connection idle for this long is pinged before it is handed out (see
/// [`Store::connect`]).
pub const POOL_PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(30);

/// The PostgreSQL channel on which a commit that changes an embargo schedule notifies schedulers.
pub const SCHEDULE_CHANNEL: &str = "pressroom_schedule";

/// The database, the clock every operation reads, and the in-process signal that an embargo
/// schedule changed (schedulers in this process wait on it).
#[derive(Clone, Debug)]
pub struct Store {
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    schedule_changed: Arc<watch::Sender<u64>>,
    directory: Arc<DirectoryCache>,
    tokens: Arc<TokenCache>,
}

/// Schedule-change notifications from every process on one PostgreSQL database (see
/// [`Store::listen_for_schedule_changes`]).
#[derive(Debug)]
pub struct ScheduleListener(PgListener);

impl ScheduleListener {
    /// Waits for the next notification. An error means notifications may have been lost and
    /// the listener should be dropped.
    pub async fn recv(&mut self) -> StorageResult<()> {
        self.0.recv().await.map_err(listen_error)?;
        Ok(())
    }
}

fn listen_error(error: sea_orm::sqlx::Error) -> StorageError {
    StorageError::Internal(format!("schedule notifications: {error}"))
}

/// The state of the connection pool at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    /// Open connections.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
}

impl Store {
    /// Connects to `url` (`sqlite://file.db?mode=rwc` or `postgres://…`). SQLite runs in WAL mode
    /// with a busy timeout, `synchronous = FULL` and foreign keys on.
    pub async fn connect(url: &str) -> StorageResult<Self> {
        let mut options = ConnectOptions::new(url.to_owned());
        options.sqlx_logging(false);
        // The pool's default pings a connection before every checkout: a round trip per
        // statement on PostgreSQL, a hand-off to the connection's worker thread on SQLite. Only
        // a connection idle for POOL_PING_WHEN_IDLE_FOR is pinged now; one that broke while in
        // use fails its statement once and the pool discards it.
        options.test_before_acquire_if_idle_for(POOL_PING_WHEN_IDLE_FOR);
        if url.starts_with("sqlite:") {
            options.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
            });
        } else {
            options.max_connections(16);
        }
        let db = Database::connect(options).await?;
        Ok(Self {
            db,
            clock: Arc::new(SystemClock),
            schedule_changed: Arc::new(watch::Sender::new(0)),
            directory: Arc::default(),
            tokens: Arc::default(),
        })
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> StorageResult<()> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// The directory cache the read paths share (see [`crate::directory_cache`]).
    pub(crate) fn directory_cache(&self) -> &DirectoryCache {
        &self.directory
    }

    /// The bearer tokens that authenticated recently (see [`crate::token_cache`]).
    pub(crate) fn token_cache(&self) -> &TokenCache {
        &self.tokens
    }

    /// Replaces the clock (tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The current instant, as every rule of one operation sees it.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// A receiver that changes whenever a commit in this process created, moved or cancelled an embargo.
    pub fn schedule_changes(&self) -> watch::Receiver<u64> {
        self.schedule_changed.subscribe()
    }

    /// Tells this process's schedulers that a schedule changed (after the commit).
    pub(crate) fn announce_schedule_change(&self) {
        self.schedule_changed
            .send_modify(|n| *n = n.wrapping_add(1));
    }

    /// The underlying connection, for tests and the benchmarks (the `test-util` feature): no
    /// runtime crate reaches behind `Store`.
    #[cfg(feature = "test-util")]
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The underlying connection, for this crate only.
    #[cfg(not(feature = "test-util"))]
    pub(crate) fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Which database this is.
    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Whether this is PostgreSQL (otherwise SQLite).
    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    /// Closes every connection of the pool (shared by all clones of this store), so that SQLite
    /// check-points its write-ahead log and PostgreSQL ends the sessions now, instead of when
    /// the process dies.
    pub async fn close(self) -> StorageResult<()> {
        self.db.close().await?;
        Ok(())
    }

    /// On PostgreSQL, a listener for the notifications that any process sends on
    /// [`SCHEDULE_CHANNEL`] when it commits a schedule change; `None` on SQLite, which has no
    /// such channel (a scheduler there re-checks periodically).
    pub async fn listen_for_schedule_changes(&self) -> StorageResult<Option<ScheduleListener>> {
        if !self.is_postgres() {
            return Ok(None);
        }
        let pool = self.db.get_postgres_connection_pool();
        let mut listener = PgListener::connect_with(pool).await.map_err(listen_error)?;
        listener
            .listen(SCHEDULE_CHANNEL)
            .await
            .map_err(listen_error)?;
        Ok(Some(ScheduleListener(listener)))
    }

    /// Recomputes the whole audit hash chain and compares it with what is stored (what
    /// `pressroom audit verify` reports).
    pub async fn verify_audit_chain(&self) -> StorageResult<crate::audit::Verification> {
        crate::audit::verify(&self.db).await
    }

    /// How many connections the pool holds, how many of them are idle, and the most it opens;
    /// `None` for a connection that is not a pool.
    pub fn pool_status(&self) -> Option<PoolStatus> {
        use sea_orm::DatabaseConnectionType as Kind;
        let (size, idle, max) = match &self.db.inner {
            Kind::SqlxPostgresPoolConnection(_) => {
                let pool = self.db.get_postgres_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            Kind::SqlxSqlitePoolConnection(_) => {
                let pool = self.db.get_sqlite_connection_pool();
                (
                    pool.size(),
                    pool.num_idle(),
                    pool.options().get_max_connections(),
                )
            }
            _ => return None,
        };
        Some(PoolStatus {
            size,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max,
        })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> StorageResult<()> {
        self.db.ping().await?;
        Ok(())
    }

    /// Opens a write transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`),
    /// so that a transaction that reads before it writes cannot fail half-way on a lock upgrade.
    pub(crate) async fn begin_write(&self) -> StorageResult<DatabaseTransaction> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        Ok(self.db.begin_with_options(options).await?)
    }
}

impl Store {
    /// Writes a consistent copy of a SQLite database to `to` with `VACUUM INTO`, while other
    /// connections keep reading and writing. Refused for PostgreSQL (use `pg_dump`) and when
    /// `to` exists.
    pub async fn backup_sqlite(&self, to: &std::path::Path) -> StorageResult<()> {
        use sea_orm::ConnectionTrait;
        if self.backend() != DbBackend::Sqlite {
            return Err(crate::StorageError::validation(
                "to",
                "backup copies SQLite databases; back up PostgreSQL with pg_dump",
            ));
        }
        if to.exists() {
            return Err(crate::StorageError::validation(
                "to",
                "the file exists already",
            ));
        }
        let path = to
            .to_str()
            .ok_or_else(|| crate::StorageError::validation("to", "the path is not valid UTF-8"))?;
        self.db
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "VACUUM INTO ?",
                [path.into()],
            ))
            .await?;
        Ok(())
    }
}

impl Store {
    /// Counts every SQL statement run through this store (and clones made after this call) in
    /// `counter`: how tests and benchmarks check that a request costs a constant number of queries.
    pub fn count_statements(mut self, counter: Arc<std::sync::atomic::AtomicU64>) -> Self {
        self.db.set_metric_callback(move |_| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        });
        self
    }
}
