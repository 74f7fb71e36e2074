//! `cairn outbox list` and `cairn outbox retry`: the operator's view of what waits, went out or
//! died in the outbox.

use crate::config::{Config, Input};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum Outbox {
    /// List messages with a status (dead letters by default), oldest first
    List {
        #[arg(long, default_value = "dead", value_parser = ["pending", "sent", "dead"])]
        status: String,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        settings: Input,
    },
    /// Put dead messages back in the queue: the given ids, or all with --all-dead
    Retry {
        #[arg(required_unless_present = "all_dead", conflicts_with = "all_dead")]
        ids: Vec<i64>,
        #[arg(long)]
        all_dead: bool,
        #[command(flatten)]
        settings: Input,
    },
}

impl Outbox {
    pub fn settings(&self) -> &Input {
        match self {
            Outbox::List { settings, .. } | Outbox::Retry { settings, .. } => settings,
        }
    }
}

pub async fn run(config: Config, command: Outbox) -> anyhow::Result<()> {
    let store = crate::store::connect(&config.store.database_url).await?;
    let result = match command {
        Outbox::List { status, limit, .. } => {
            let rows = store.outbox_list(&status, limit).await?;
            println!(
                "{:<8} {:<12} {:<12} {:<8} {:<32} last error",
                "id", "team", "channel", "attempts", "key"
            );
            for r in &rows {
                let error = r.last_error.as_deref().unwrap_or("-");
                println!(
                    "{:<8} {:<12} {:<12} {:<8} {:<32} {error}",
                    r.id, r.team_id, r.channel, r.attempts, r.dedupe_key
                );
            }
            eprintln!("{} {status} message(s)", rows.len());
            Ok(())
        }
        Outbox::Retry { ids, all_dead, .. } => {
            let ids = (!all_dead).then_some(ids.as_slice());
            let requeued = store.outbox_requeue(ids, chrono::Utc::now()).await?;
            println!("{requeued} message(s) back in the queue; a running `cairn serve` sends them within a second");
            Ok(())
        }
    };
    store.close().await;
    result
}
