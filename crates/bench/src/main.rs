//! `maison-bench`: throughput, latency percentiles and memory of a Maison server,
//! measured against a bare axum route in the same run (see README.md).

mod bare;
mod load;
mod procs;
mod report;
mod run;
mod stats;

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "maison-bench", version, about = "Load tool for the Maison e-boutique server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start Maison and a bare axum server, load both, print a Markdown table.
    Run(RunArgs),
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

#[derive(clap::Args, Debug)]
struct BareArgs {
    /// Port on 127.0.0.1 to listen on.
    #[arg(long)]
    port: u16,
    /// Exit by itself after this many seconds, so it never outlives a run.
    #[arg(long)]
    exit_after_secs: Option<u64>,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => {
            // Two workers: the machine has 2 cores shared with the servers under
            // test, so a bigger generator would only steal their CPU.
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .context("could not start the load generator's tokio runtime")?;
            rt.block_on(run::run(args))
        }
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
