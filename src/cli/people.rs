//! `cairn people forget`: an erasure request, what `/growth forget-me` does.

use crate::config::{Config, Input};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum People {
    /// Delete everything about a person (what `/growth forget-me` does), e.g. for an erasure request
    Forget {
        /// Their Slack user id
        user: String,
        /// Their workspace (defaults to the only one)
        #[arg(long)]
        team: Option<String>,
        #[command(flatten)]
        settings: Input,
    },
}

impl People {
    pub fn settings(&self) -> &Input {
        match self {
            People::Forget { settings, .. } => settings,
        }
    }
}

pub async fn run(config: Config, command: People) -> anyhow::Result<()> {
    let People::Forget { user, team, .. } = command;
    crate::domain::ids::UserId::parse(&user).map_err(|e| super::invalid(format!("{user}: {e}")))?;
    super::with_services(&config, |s| async move {
        let team = super::which_team(&s.workspaces, team).await?;
        let report = s.people.forget(&team, &user).await?;
        println!(
            "forgot {user} in {team}: their place in {} kudos received, {} pieces of evidence, {} messages; {} kudos they gave now show as from a former teammate",
            report.kudos_received, report.evidence, report.messages, report.kudos_given
        );
        Ok(())
    })
    .await
}
