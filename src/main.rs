//! The `cairn` binary: parse the command line, start logging, hand over to `cli::run`.

use clap::Parser;
use std::process::ExitCode;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

fn main() -> ExitCode {
    cairn::cli::run(cairn::cli::Cli::parse(), start_logging)
}

/// Logs go to stderr, as text or JSON lines (`CAIRN_LOG_FORMAT`), filtered by `RUST_LOG`
/// (default `default`: `info` for the server, `warn` for the demo).
///
/// `RUST_LOG` takes a level and `target=level` pairs (`info,sqlx=warn`), read as `Targets`
/// rather than `EnvFilter`: its span and field filters would bring a regex engine into every
/// Cairn process (benches/README.md).
fn start_logging(json: bool, default: &str) {
    let wanted = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let parsed = wanted.as_deref().map(|v| {
        if v.contains(['[', '{']) {
            Err("span and field filters are not read".to_owned())
        } else {
            v.parse::<Targets>().map_err(|e| e.to_string())
        }
    });
    let filter = match parsed {
        Some(Ok(filter)) => filter,
        Some(Err(e)) => {
            eprintln!("RUST_LOG is not a log filter Cairn reads ({e}): use a level and target=level pairs, e.g. info,sqlx=warn. Logging at {default}.");
            default.parse().unwrap_or_default()
        }
        None => default.parse().unwrap_or_default(),
    };
    // The builder's own filter would stop everything under info before `filter` saw it.
    let fmt = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(std::io::stderr);
    if json {
        fmt.json().finish().with(filter).init();
    } else {
        fmt.finish().with(filter).init();
    }
}
