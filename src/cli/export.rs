//! `cairn export`: a person's review packet to stdout, as the person sees it (private items
//! included): the operator's tool for a person's request for their own data.

use crate::config::{Config, Input};
use crate::domain::growth::Viewer;
use crate::domain::period::Period;
use crate::services::summaries::{self, Ask, What};
use clap::Args;
use std::io::Write;

#[derive(Args)]
pub struct Export {
    /// Their Slack user id
    #[arg(long)]
    user: String,
    /// First day (YYYY-MM-DD); default: 90 days before --to
    #[arg(long)]
    from: Option<String>,
    /// Last day, included (YYYY-MM-DD); default: today
    #[arg(long)]
    to: Option<String>,
    /// `png` is the chart of the spread across sphere levels (redirect it to a file)
    #[arg(long, value_parser = ["md", "csv", "json", "png"])]
    format: String,
    /// Their workspace (defaults to the only one)
    #[arg(long)]
    team: Option<String>,
    #[command(flatten)]
    pub settings: Input,
}

pub async fn run(config: Config, command: Export) -> anyhow::Result<()> {
    let Export {
        user,
        from,
        to,
        format,
        team,
        ..
    } = command;
    crate::domain::ids::UserId::parse(&user)
        .map_err(|e| super::invalid(format!("--user {user}: {e}")))?;
    let date = |name: &str, value: Option<String>| {
        value
            .map(|v| {
                chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| {
                    super::invalid(format!("--{name} {v}: write the date as YYYY-MM-DD"))
                })
            })
            .transpose()
    };
    let today = chrono::Utc::now().date_naive();
    let period = Period::between(date("from", from)?, date("to", to)?, today)
        .map_err(|e| super::invalid(e.0))?;
    super::with_services(&config, |s| async move {
        let team = super::which_team(&s.workspaces, team).await?;
        let ask = Ask {
            team: &team,
            subject: &user,
            period,
            viewer: Viewer::Operator,
            what: What::Packet,
        };
        let report = summaries::of(&s, ask).await?;
        let out = crate::report::render(&format, &s.framework, &report)?;
        std::io::stdout().write_all(&out)?;
        Ok(())
    })
    .await
}
