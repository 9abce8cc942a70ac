//! The maison binary's library: command line, configuration, wiring. Tests
//! start the whole application in-process through [`server::launch`].

pub mod cli;
pub mod config;
pub mod server;
