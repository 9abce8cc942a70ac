//! A throwaway PostgreSQL cluster for this test process: `initdb` into a
//! temporary folder, `postgres` on a free loopback port, one database per test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use crate::watchdog::{self, Watched};

pub(crate) struct Cluster {
    port: u16,
    bin: PathBuf,
    next: AtomicU32,
    log: PathBuf,
    _server: Watched,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();

pub(crate) fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(Cluster::start)
}

/// The folder with `initdb` and `postgres`: from `PATH`, or Debian's
/// `/usr/lib/postgresql/<version>/bin`.
fn postgres_bin() -> PathBuf {
    if let Ok(output) = Command::new("sh")
        .arg("-c")
        .arg("command -v initdb")
        .output()
    {
        let found = String::from_utf8_lossy(&output.stdout).trim().to_owned();
        if !found.is_empty() {
            let real = std::fs::canonicalize(&found).unwrap_or_else(|_| PathBuf::from(&found));
            if let Some(dir) = real.parent() {
                return dir.to_path_buf();
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    versions.sort();
    versions
        .pop()
        .filter(|bin| bin.join("initdb").exists())
        .expect("PostgreSQL's initdb: install Debian's postgresql package (see .ci/run)")
}

impl Cluster {
    fn start() -> Cluster {
        let bin = postgres_bin();
        let as_root = watchdog::running_as_root();
        // Not a TempDir: the watchdog removes it after the server has stopped.
        let root = tempfile::Builder::new()
            .prefix("maison-pg-")
            .tempdir()
            .expect("temporary directory for PostgreSQL")
            .keep();
        let data = root.join("data");
        if as_root {
            // initdb refuses to run as root: the cluster belongs to `postgres`.
            run(
                Command::new("chown").arg("postgres").arg(&root),
                "chown the cluster folder",
            );
        }
        let initdb = bin.join("initdb");
        run(
            as_user(as_root, &initdb)
                .args([
                    "--auth=trust",
                    "--username=postgres",
                    "--encoding=UTF8",
                    "--no-sync",
                ])
                .arg("--pgdata")
                .arg(&data),
            "initdb",
        );
        let port = crate::free_port();
        let postgres = bin.join("postgres");
        // setpriv execs (no intermediate process), so the stop signal reaches postgres.
        let runner = if as_root {
            "setpriv --reuid=postgres --regid=postgres --clear-groups "
        } else {
            ""
        };
        // fsync off spares the disk; synchronous_commit keeps its default
        // (on), so a commit waits for its log as in production and a write
        // that turns the wait off (a deferred one) can be told apart.
        let command = format!(
            "{runner}{} -D {} -p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off \
             -c full_page_writes=off -c max_connections=400 \
             -c shared_buffers=64MB > {log} 2>&1",
            postgres.display(),
            data.display(),
            root.display(),
            log = root.join("server.log").display(),
        );
        let server = watchdog::spawn(&command, "INT", &format!("rm -rf {}", root.display()));
        let cluster = Cluster {
            port,
            bin,
            next: AtomicU32::new(0),
            log: root.join("server.log"),
            _server: server,
        };
        cluster.wait_until_ready();
        cluster
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                ])
                .output()
                .is_ok_and(|o| o.status.success());
            if ready {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "PostgreSQL did not start within 30 s: {}",
                std::fs::read_to_string(self.log.as_path()).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Creates a new empty database and returns its URL.
    pub(crate) fn create_database(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let name = format!("maison_test_{}_{n}", std::process::id());
        run(
            Command::new(self.bin.join("createdb"))
                .args([
                    "-h",
                    "127.0.0.1",
                    "-p",
                    &self.port.to_string(),
                    "-U",
                    "postgres",
                ])
                .arg(&name),
            "createdb",
        );
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }
}

fn as_user(as_root: bool, program: &Path) -> Command {
    if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn run(command: &mut Command, what: &str) {
    let output = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
