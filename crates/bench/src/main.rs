//! `maison-bench`: throughput, latency percentiles and memory of a Maison server,
//! measured against a bare axum route in the same run (see README.md).

mod assisted;
mod bare;
mod checkout;
mod checkout_report;
mod dblimit;
mod flow;
mod load;
mod procs;
mod report;
mod run;
mod stats;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "maison-bench",
    version,
    about = "Load tool for the Maison e-boutique server"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start Maison and a bare axum server, load both, print a Markdown table.
    Run(RunArgs),
    /// Start Maison, place orders (bag, line, checkout) through HTTP, then
    /// measure the database's own limit for the same writes in-process.
    Checkout(CheckoutArgs),
    /// Start Maison and place assisted orders through the staff API, one at a
    /// time (wire, then card): the time Client Relations wait for each.
    Assisted(AssistedArgs),
    /// Serve `GET /products` (24 precomputed products) on 127.0.0.1:PORT: the ceiling.
    BareServer(BareArgs),
}

#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// The Maison binary to start (a release build, for meaningful figures).
    #[arg(long, default_value = "target/release/maison")]
    pub maison: PathBuf,
    /// How many times each scenario is repeated; medians are reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub runs: u32,
    /// Length of one measured run of one scenario, in seconds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub duration_secs: u64,
    /// Keep-alive HTTP/1.1 connections, one task each.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub connections: u64,
    /// Database for Maison (e.g. postgres://…); default: SQLite in a temp dir.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Unmeasured warm-up per scenario before its runs, in seconds (0: none).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=60))]
    pub warmup_secs: u64,
    /// Where the JSON figures are written.
    #[arg(long, default_value = "target/bench/latest.json")]
    pub out: PathBuf,
}

#[derive(clap::Args, Debug, Clone)]
pub struct AssistedArgs {
    /// The Maison binary to start (a release build, for meaningful figures).
    #[arg(long, default_value = "target/release/maison")]
    pub maison: PathBuf,
    /// Orders measured for each means of payment.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub orders: u32,
    /// Unmeasured orders first.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub warmup: u32,
    /// Database for Maison (e.g. postgres://…); default: SQLite in a temp dir.
    #[arg(long)]
    pub database_url: Option<String>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct CheckoutArgs {
    /// The Maison binary to start (a release build, for meaningful figures).
    #[arg(long, default_value = "target/release/maison")]
    pub maison: PathBuf,
    /// How many times each scenario is repeated; medians are reported.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub runs: u32,
    /// Length of one measured run of one scenario, in seconds.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub duration_secs: u64,
    /// Client tasks (one keep-alive connection each), and tasks of the database limit.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub concurrency: u64,
    /// Database for Maison (e.g. postgres://…); default: SQLite in a temp dir.
    #[arg(long)]
    pub database_url: Option<String>,
    /// Database for the in-process limit; default: a fresh SQLite file in the
    /// temp dir, or with --database-url that database once the server stopped.
    #[arg(long)]
    pub db_limit_url: Option<String>,
    /// Unmeasured warm-up of the checkout before its runs, in seconds (0: none).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(0..=60))]
    pub warmup_secs: u64,
    /// Where the JSON figures are written.
    #[arg(long, default_value = "target/bench/checkout.json")]
    pub out: PathBuf,
}

#[derive(clap::Args, Debug)]
struct BareArgs {
    /// Port on 127.0.0.1 to listen on.
    #[arg(long)]
    port: u16,
    /// Exit by itself after this many seconds, so it never outlives a run.
    #[arg(long)]
    exit_after_secs: Option<u64>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One readable line (with its causes) rather than anyhow's Debug output,
    // which prints a backtrace when RUST_BACKTRACE is set.
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("maison-bench: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Resolves on Ctrl-C; never when the handler cannot be installed (so a
/// failure to listen never aborts a run).
async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Resolves on the first SIGINT or SIGTERM, naming it.
async fn interrupted() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = async {
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    term.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            () = ctrl_c() => "SIGINT",
            () = term => "SIGTERM",
        }
    }
    #[cfg(not(unix))]
    {
        ctrl_c().await;
        "Ctrl-C"
    }
}

/// Runs `work` on the load generator's runtime until it ends or a signal comes.
fn generate<F: std::future::Future<Output = Result<()>>>(work: F) -> Result<()> {
    // Two workers: the machine has 2 cores shared with the servers under
    // test, so a bigger generator would only steal their CPU.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("could not start the load generator's tokio runtime")?;
    // On Ctrl-C or SIGTERM the future is dropped, so its guards kill the
    // servers and remove the temp dir instead of leaking them.
    rt.block_on(async {
        tokio::select! {
            res = work => res,
            sig = interrupted() => Err(anyhow!("interrupted by {sig}; servers stopped")),
        }
    })
}

fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Run(args) => generate(run::run(args)),
        Command::Checkout(args) => generate(checkout::run(args)),
        Command::Assisted(args) => generate(assisted::run(args)),
        Command::BareServer(args) => {
            // Default worker count (one per core), like a production axum server.
            let rt = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("could not start the bare server's tokio runtime")?;
            rt.block_on(bare::serve(args.port, args.exit_after_secs))
        }
    }
}
