//! The `cairn` binary: parse the command line, start logging, hand over to `cli::run`.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    cairn::cli::run(cairn::cli::Cli::parse(), start_logging)
}

/// Logs go to stderr, as text or JSON lines (`CAIRN_LOG_FORMAT`), filtered by `RUST_LOG`
/// (default `default`: `info` for the server, `warn` for the demo).
fn start_logging(json: bool, default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| default.to_owned().into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
