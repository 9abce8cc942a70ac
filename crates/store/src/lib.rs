//! Storage on SQLite (embedded default) or PostgreSQL (scale-out) through one
//! sqlx code path: the backend is chosen by the URL, the SQL is portable, and
//! migrations live in `migrations/{sqlite,postgres}` with identical versions.

pub mod accounts;
pub mod audit;
pub mod bags;
mod catalog;
pub mod console;
pub mod fulfilment;
mod group_commit;
pub mod idempotency;
pub mod information;
mod migrations;
pub mod order_search;
pub mod orders;
pub mod outbox;
pub mod payments;
pub mod receipts;
pub mod returns;
pub mod staff;
pub mod stock;
mod throttle;
pub mod webhooks;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, ConnectOptions, Executor, Transaction};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use catalog::{CatalogueData, DemoContent, set_flagged_unavailable_in, set_stock_in};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database URL must start with sqlite:// or postgres:// (got {0:?})")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("could not migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{what} {key:?} does not exist")]
    NotFound { what: &'static str, key: String },
    #[error("the database holds a value the maison cannot read: {0}")]
    Corrupt(String),
    /// A write of a group commit whose batch did not commit: nothing of it
    /// was kept, and the caller may try again.
    #[error("the write was not committed: {0}")]
    NotCommitted(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// A write transaction (see [`Store::begin_write`]): statements run on it
/// as on a connection (`&mut **tx`); it ends with [`Tx::commit`] or
/// [`Tx::rollback`] (dropped, it rolls back).
pub struct Tx {
    inner: Transaction<'static, Any>,
    /// SQLite: this process's turn to write, held to the transaction's end.
    turn: Option<OwnedMutexGuard<()>>,
}

impl Tx {
    pub async fn commit(self) -> std::result::Result<(), sqlx::Error> {
        let Tx { inner, turn } = self;
        let committed = inner.commit().await;
        drop(turn);
        committed
    }

    pub async fn rollback(self) -> std::result::Result<(), sqlx::Error> {
        let Tx { inner, turn } = self;
        let rolled_back = inner.rollback().await;
        drop(turn);
        rolled_back
    }
}

impl Deref for Tx {
    type Target = AnyConnection;
    fn deref(&self) -> &AnyConnection {
        &self.inner
    }
}

impl DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.inner
    }
}

/// SQLite takes one writer at a time, and a writer that finds the lock taken
/// polls for it with growing sleeps (1, 2, 5 … 100 ms): under load the lock
/// sits free while writers sleep, and a checkout's p99 reached a second. The
/// process's writers therefore take turns here, in order, and each is handed
/// the lock as the previous one commits. Another process on the same file
/// (a `maison` command) still meets SQLite's own wait.
type WriteTurns = Arc<Mutex<()>>;

/// How long a write waits for its turn before giving up (as long as
/// SQLite's own `busy_timeout`).
const TURN_TIMEOUT: Duration = Duration::from_secs(5);

/// How soon a write is on disk once its caller has been answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Before the answer: orders, payments, idempotency keys, accounts,
    /// anything a power cut must not take back.
    Immediate,
    /// With the next immediate commit, anyone's (or, on PostgreSQL, within
    /// moments): a bag's edits. The commit skips the wait for the disk
    /// (SQLite `synchronous = NORMAL` in WAL mode, PostgreSQL
    /// `synchronous_commit = off`). A crash of the server loses nothing; a
    /// power cut can take back the last edits of a bag, never an order: the
    /// log is written in order, so a checkout's immediate commit makes the
    /// bag it read durable before the order.
    Deferred,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }
}

/// The database: a connection pool and the backend it speaks to.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// SQLite only: the connection of [`Durability::Deferred`] writes (its
    /// `synchronous` is a setting of the connection, not of a transaction,
    /// so deferred writes never share a connection with immediate ones).
    deferred_pool: Option<AnyPool>,
    /// SQLite only: whose turn it is to write (shared by every clone, and
    /// by the group commit's writer).
    write_turns: Option<WriteTurns>,
    backend: Backend,
    /// The group commit's writer, when it is on (see [`Store::with_group_commit`]).
    writer: Option<group_commit::Writer>,
    /// How the pool connects (the group commit's writer opens its own
    /// connection with them).
    options: AnyConnectOptions,
}

pub use group_commit::JobFuture;

/// Statements run on every new SQLite connection: write-ahead logging with full
/// synchronous commits (an acknowledged order survives a power cut), a busy
/// timeout instead of "database is locked", and foreign keys enforced.
const SQLITE_SESSION: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;";

impl Store {
    /// Connects to `url` (`sqlite://maison.db`, `postgres://user@host/db`),
    /// creating the SQLite file if it does not exist. Fails fast when the
    /// database cannot be reached.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let options: AnyConnectOptions = url
            .parse::<AnyConnectOptions>()?
            .disable_statement_logging();
        let max_connections = match backend {
            Backend::Sqlite => 8,
            Backend::Postgres => 16,
        };
        let pool =
            Self::open_pool(backend, &options, max_connections, Durability::Immediate).await?;
        let deferred_pool = Self::open_deferred_pool(backend, &options).await?;
        Ok(Store {
            pool,
            deferred_pool,
            write_turns: (backend == Backend::Sqlite).then(WriteTurns::default),
            backend,
            options,
            writer: None,
        })
    }

    async fn open_pool(
        backend: Backend,
        options: &AnyConnectOptions,
        max_connections: u32,
        durability: Durability,
    ) -> Result<AnyPool> {
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(5))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(SQLITE_SESSION).await?;
                        if durability == Durability::Deferred {
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                        }
                    }
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await?;
        Ok(pool)
    }

    /// SQLite's connection for deferred writes: one, since SQLite takes one
    /// writer at a time (a second would wait on the lock, not on the pool).
    async fn open_deferred_pool(
        backend: Backend,
        options: &AnyConnectOptions,
    ) -> Result<Option<AnyPool>> {
        Ok(match backend {
            Backend::Sqlite => {
                Some(Self::open_pool(backend, options, 1, Durability::Deferred).await?)
            }
            Backend::Postgres => None,
        })
    }

    /// The same database through connections of its own (one, and SQLite's
    /// deferred one), opened on the calling runtime: the group commit's
    /// writer keeps them to itself.
    pub(crate) async fn single_connection(&self) -> Result<Store> {
        Ok(Store {
            pool: Self::open_pool(self.backend, &self.options, 1, Durability::Immediate).await?,
            deferred_pool: Self::open_deferred_pool(self.backend, &self.options).await?,
            write_turns: self.write_turns.clone(),
            backend: self.backend,
            options: self.options.clone(),
            writer: None,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Applies the pending migrations of this backend. Safe to run from several
    /// processes at once.
    pub async fn migrate(&self) -> Result<()> {
        migrations::for_backend(self.backend)
            .run(&self.pool)
            .await?;
        self.backfill_order_email_keys().await?;
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A write transaction that waits for the disk at its commit. On SQLite
    /// it first takes this process's turn to write (see `WriteTurns`), then
    /// `BEGIN IMMEDIATE` takes the write lock up front, so a writer of
    /// another process waits (busy timeout) instead of failing at commit;
    /// plain `BEGIN` on PostgreSQL.
    pub async fn begin_write(&self) -> Result<Tx> {
        self.begin_write_with(Durability::Immediate).await
    }

    /// A write transaction whose commit is as durable as `durability` asks.
    pub async fn begin_write_with(&self, durability: Durability) -> Result<Tx> {
        // The turn first, then a connection: a writer waiting for its turn
        // holds no connection that readers could use.
        let turn = match &self.write_turns {
            Some(turns) => Some(
                tokio::time::timeout(TURN_TIMEOUT, Arc::clone(turns).lock_owned())
                    .await
                    .map_err(|_| {
                        StoreError::NotCommitted(format!(
                            "another write held the database for {} s",
                            TURN_TIMEOUT.as_secs()
                        ))
                    })?,
            ),
            None => None,
        };
        let inner = match (self.backend, durability, &self.deferred_pool) {
            (Backend::Sqlite, Durability::Deferred, Some(deferred)) => {
                deferred.begin_with("BEGIN IMMEDIATE").await?
            }
            (Backend::Sqlite, _, _) => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            (Backend::Postgres, Durability::Immediate, _) => self.pool.begin().await?,
            (Backend::Postgres, Durability::Deferred, _) => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SET LOCAL synchronous_commit = off")
                    .execute(&mut *tx)
                    .await?;
                tx
            }
        };
        Ok(Tx { inner, turn })
    }

    /// Turns group commit on: from now on [`Store::write`] jobs of
    /// concurrent requests share one durable transaction (see
    /// `group_commit.rs`), written by a thread of its own on a connection of
    /// its own. Fails if that connection cannot be opened.
    pub async fn with_group_commit(self) -> Result<Self> {
        let writer = group_commit::Writer::start(&self).await?;
        Ok(Store {
            writer: Some(writer),
            ..self
        })
    }

    /// Whether [`Store::write`] gathers concurrent jobs into one transaction.
    pub fn group_commit(&self) -> bool {
        self.writer.is_some()
    }

    /// With group commit on: the jobs written so far, and the transactions
    /// they shared.
    pub fn group_commit_counts(&self) -> Option<(u64, u64)> {
        self.writer.as_ref().map(|w| w.counts())
    }

    /// Runs `job` in a write transaction and commits it; a job that returns
    /// an error is rolled back. With group commit on, the job shares its
    /// transaction with the jobs of concurrent requests, inside a savepoint
    /// of its own, and is answered once that transaction has committed
    /// (without the wait for the disk only if every job of it is deferred).
    /// Either way an `Ok` answer means the writes are committed, and on disk
    /// as `durability` asks.
    pub async fn write<T, E, F>(&self, durability: Durability, job: F) -> std::result::Result<T, E>
    where
        F: for<'t> FnOnce(&'t mut Tx) -> JobFuture<'t, std::result::Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        if let Some(writer) = &self.writer {
            return writer.write(durability, job).await;
        }
        let mut tx = self.begin_write_with(durability).await?;
        match job(&mut tx).await {
            Ok(value) => {
                tx.commit().await.map_err(StoreError::from)?;
                Ok(value)
            }
            Err(refused) => {
                // Dropping the transaction would roll back too; saying so
                // frees the connection at once.
                let _ = tx.rollback().await;
                Err(refused)
            }
        }
    }

    pub async fn close(&self) {
        self.pool.close().await;
        if let Some(deferred) = &self.deferred_pool {
            deferred.close().await;
        }
    }
}

/// The URL without its password, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backend_is_chosen_by_the_url() {
        assert_eq!(
            Backend::from_url("sqlite://maison.db").ok(),
            Some(Backend::Sqlite)
        );
        assert_eq!(
            Backend::from_url("postgres://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").ok(),
            Some(Backend::Postgres)
        );
        assert!(Backend::from_url("mysql://u@h/db").is_err());
    }

    #[test]
    fn passwords_never_appear_in_messages() {
        assert_eq!(
            redact_url("postgres://maison:s3cret@db:5432/maison"),
            "postgres://maison:***@db:5432/maison"
        );
        assert_eq!(redact_url("sqlite://maison.db"), "sqlite://maison.db");
        let err = Backend::from_url("mysql://root:hunter2@h/db").expect_err("unsupported");
        assert!(!err.to_string().contains("hunter2"));
    }
}
