//! `maison`: run the boutique, or operate on its database.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = maison::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(maison::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line: what failed, then each cause.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
