//! Cairn: a self-hostable Slack app for continuous career growth.
//!
//! The crate's map, one line per module (see `engineering.md` for who may use whom):

pub mod app; // builds the services once; start (serve) and run_jobs_once
pub mod cli; // the command line: one file per subcommand
pub mod clock; // injectable time source
pub mod config; // one typed Config from flags, env and an optional TOML file
pub mod domain; // pure rules: frameworks, tags, kudos, evidence, growth, schedules, summaries
pub mod http; // axum handlers: Slack endpoints, JSON API, health
pub mod jobs; // background work: the scheduler (prompts and digests), the outbox and its pacing
pub mod memory; // handing freed memory back to the system
pub mod metrics; // Prometheus counters and histograms
pub mod report; // review packets (Markdown, CSV, JSON) and the chart (PNG, SVG)
pub mod secrets; // bot tokens sealed at rest with AES-256-GCM; the keys and their rotation
pub mod services; // the use cases, one noun each: giving, evidence, summaries, prompts, …
pub mod slack; // the Slack edge: signatures, payloads, Web API client, Block Kit, mrkdwn
pub mod store; // the store: traits by aggregate over SQLite and PostgreSQL
