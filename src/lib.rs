//! Cairn: a self-hostable Slack app for continuous career growth.
//!
//! The crate's map, one line per module (see `engineering.md` for who may use whom):

pub mod app; // builds state and router, spawns workers, graceful shutdown
pub mod cli; // the command line: one file per subcommand
pub mod clock; // injectable time source
pub mod config; // one typed Config from flags, env and an optional TOML file
pub mod digests; // managers' digests before review cycles and the weekly team digest
pub mod domain; // pure logic: frameworks, tags, kudos parsing, text markup
pub mod http; // axum handlers: Slack endpoints, JSON API, health
pub mod jobs; // background workers: the outbox drainer
pub mod metrics; // Prometheus counters and histograms
pub mod nudges; // weekly reflection prompts: schedules, the scheduler pass, the prompt
pub mod report; // review packets (Markdown, CSV, JSON) and the PNG chart
pub mod secrets; // bot tokens sealed at rest with AES-256-GCM; the keys and their rotation
pub mod services; // the use cases, one noun each: giving, evidence, summaries, prompts, …
pub mod slack; // the Slack edge: signatures, payloads, Web API client, Block Kit, mrkdwn
pub mod store; // the Store trait and its SQLite and PostgreSQL implementations
