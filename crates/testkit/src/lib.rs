//! Dev-only test harness: real parts, started by the tests themselves.
//!
//! - [`Backend`] and [`database`]: a fresh database per test, in a temporary
//!   SQLite file or in a throwaway PostgreSQL cluster that this process starts
//!   with the machine's `initdb`/`postgres` (no shared server, no Docker).
//! - [`on_both_databases!`]: one test body, run once on each backend.
//! - [`browser`]: a headless Chromium session through chromedriver.
//! - [`SmtpSink`]: a minimal SMTP server that keeps the mail it receives.
//!
//! Processes started here stop when the test process exits: each runs under a
//! small shell that waits on a pipe from this process and shuts its child down
//! when the pipe closes, however the tests end.

mod browser;
mod postgres;
pub mod smtp;
mod watchdog;

pub use browser::{AxeViolation, Browser, Viewport, browser};
pub use smtp::{ReceivedMail, SmtpSink};

/// The two databases every storage and HTTP test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test. Dropping it removes a SQLite file; a
/// PostgreSQL database lives until its cluster stops with the test process.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

/// A new empty database on `backend`.
pub fn database(backend: Backend) -> TestDatabase {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temporary directory for SQLite");
            let url = format!("sqlite://{}", dir.path().join("maison.db").display());
            TestDatabase {
                url,
                _dir: Some(dir),
            }
        }
        Backend::Postgres => TestDatabase {
            url: postgres::cluster().create_database(),
            _dir: None,
        },
    }
}

/// Runs one async test body on SQLite and on PostgreSQL:
///
/// ```text
/// maison_testkit::on_both_databases! {
///     async fn stock_can_be_set(backend) { ... }
/// }
/// ```
/// expands to the tests `stock_can_be_set::sqlite` and `stock_can_be_set::postgres`.
#[macro_export]
macro_rules! on_both_databases {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {$(
        async fn $name($backend: $crate::Backend) $body

        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::Backend::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::Backend::Postgres).await
            }
        }
    )*};
}

/// A TCP port free on the loopback interface right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
