//! `cairn jobs run-once`: one scheduler pass as if the time were `--now`, then delivery of what
//! is due, then exit (for tests, and for running the scheduler from cron).

use crate::config::{Config, Input};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum Jobs {
    /// One scheduler pass as if the time were NOW, then deliver what is due, then exit
    RunOnce {
        /// The time to act as (RFC 3339, e.g. 2026-11-27T14:00:00Z); default: now
        #[arg(long)]
        now: Option<String>,
        #[command(flatten)]
        settings: Input,
    },
}

impl Jobs {
    pub fn settings(&self) -> &Input {
        match self {
            Jobs::RunOnce { settings, .. } => settings,
        }
    }
}

pub async fn run(config: Config, command: Jobs) -> anyhow::Result<()> {
    let Jobs::RunOnce { now, .. } = command;
    let now = match now {
        Some(text) => chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| {
                super::invalid(format!(
                    "--now '{text}' is not an RFC 3339 time like 2026-11-27T14:00:00Z"
                ))
            })?,
        None => chrono::Utc::now(),
    };
    let done = crate::app::run_jobs_once(&config, now).await?;
    println!("{done}");
    Ok(())
}
