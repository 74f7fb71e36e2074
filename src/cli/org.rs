//! `cairn org import` and `cairn org sync`: the org chart from a file, or teams from Slack's
//! user groups.

use crate::config::{Config, Input};
use crate::domain::org::OrgFormat;
use crate::services::org::{self, ImportError};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum Org {
    /// Place the members of Slack user groups in teams, as CAIRN_TEAM_USERGROUPS maps them
    /// (`handle=team,…`); needs SLACK_BOT_TOKEN with `usergroups:read`. Run it from cron to keep
    /// teams in step with Slack
    Sync {
        /// The workspace (defaults to SLACK_BOT_TOKEN's; required with Add to Slack installs)
        #[arg(long)]
        team: Option<String>,
        #[command(flatten)]
        settings: Input,
    },
    /// Import an org chart (CSV `user_id,name,email,team,group,manager_id,track,level`, or YAML/JSON); reports
    /// rows added, changed and rejected, keeps the valid ones, and exits 1 if any were rejected
    Import {
        file: PathBuf,
        /// The workspace (defaults to the only one)
        #[arg(long)]
        team: Option<String>,
        #[command(flatten)]
        settings: Input,
    },
}

impl Org {
    pub fn settings(&self) -> &Input {
        match self {
            Org::Sync { settings, .. } | Org::Import { settings, .. } => settings,
        }
    }
}

pub async fn run(config: Config, command: Org) -> anyhow::Result<()> {
    match command {
        Org::Import { file, team, .. } => import(&config, file, team).await,
        Org::Sync { team, .. } => sync(&config, team).await,
    }
}

async fn import(config: &Config, file: PathBuf, team: Option<String>) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&file)
        .map_err(|e| super::invalid(format!("cannot read {}: {e}", file.display())))?;
    let format = OrgFormat::detect(file.to_str(), &text);
    super::with_services(config, |s| async move {
        let team = super::which_team(&s.workspaces, team).await?;
        let report = org::import(
            s.store.as_ref(),
            &s.framework,
            &team,
            &text,
            format,
            s.clock.now(),
        )
        .await
        .map_err(|e| match e {
            ImportError::File(e) => super::invalid(format!("{}: {e}", file.display())),
            ImportError::Store(e) => e.into(),
        })?;
        println!("{}: {}", file.display(), report.to_text());
        if report.rejected.is_empty() {
            Ok(())
        } else {
            Err(super::invalid(format!(
                "{} row(s) rejected: fix them and import the file again (the valid rows are saved)",
                report.rejected.len()
            )))
        }
    })
    .await
}

async fn sync(config: &Config, team: Option<String>) -> anyhow::Result<()> {
    if config.people.team_usergroups.is_empty() {
        return Err(super::invalid(
            "CAIRN_TEAM_USERGROUPS is not set: map user-group handles to teams, e.g. payments-devs=payments,search=search".into(),
        ));
    }
    let mapping = config.people.team_usergroups.clone();
    let single = config.slack.bot_token.clone();
    super::with_services(config, |s| async move {
        let team = match (team, &single) {
            (Some(t), _) => t,
            (None, Some(token)) => s.workspaces.slack().auth_test(token).await?.team_id,
            (None, None) => {
                return Err(super::invalid(
                    "name the workspace with --team T…, or set SLACK_BOT_TOKEN: syncing asks Slack who is in each user group".into(),
                ))
            }
        };
        // The workspace's own token: its installation's (Add to Slack), else SLACK_BOT_TOKEN.
        let Some((slack, token)) = s.workspaces.slack_for(&team).await else {
            return Err(super::invalid(format!(
                "Cairn has no bot token for {team}: install Cairn there (Add to Slack) or set SLACK_BOT_TOKEN"
            )));
        };
        let report =
            org::sync_usergroups(s.store.as_ref(), &slack, &token, &team, &mapping, s.clock.now())
                .await?;
        println!("user groups → teams: {}", report.to_text());
        if report.rejected.is_empty() {
            Ok(())
        } else {
            Err(super::invalid(
                "fix CAIRN_TEAM_USERGROUPS: some handles are not user groups in Slack".into(),
            ))
        }
    })
    .await
}
