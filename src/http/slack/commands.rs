//! `POST /slack/commands`: `/kudos` (and a first `/growth help`).
//!
//! Bad input answers 200 with an ephemeral message saying what to fix (Slack shows nothing
//! useful for an error status). A kudos is committed, with one outbox row per recipient DM,
//! before the channel sees it; if it cannot be recorded the giver is told so, with their text.

use super::SlackRequest;
use crate::domain::ids::{ChannelId, TeamId, UserId};
use crate::domain::period::Period;
use crate::domain::summary::Summary;
use crate::http::AppState;
use crate::services::evidence::{self, Logged};
use crate::services::giving::{self, Given, Typed};
use crate::services::summaries::{self, Ask, SummaryError, What};
use crate::services::team::{self, TeamError};
use crate::services::Services;
use crate::slack::messages::Message;
use crate::slack::modals::KudosModal;
use crate::slack::mrkdwn;
use crate::slack::payloads::SlashCommand;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tracing::Instrument;

const KUDOS_USAGE: &str = "Give kudos like this: `/kudos @ana @ben #technical #mentoring paired with me on the flaky deploy test`.";

pub async fn handle(State(state): State<AppState>, request: SlackRequest) -> Response {
    let command: SlashCommand = match serde_urlencoded::from_bytes(&request.body) {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable slash command body");
            return ephemeral("Cairn could not read that command. Please try again.");
        }
    };
    if command.is_ssl_check() {
        return ().into_response();
    }
    let s = &state.services;
    s.workspaces
        .note(&command.team_id, command.enterprise_id.as_deref())
        .await;
    s.people.note(&command.team_id, &command.user_id).await;
    let span = tracing::info_span!("command", team = %command.team_id, user = %command.user_id, command = %command.command);
    match command.command.as_str() {
        "/kudos" => kudos_command(s, &command).instrument(span).await,
        "/growth" => growth_command(&state, &command).instrument(span).await,
        other => ephemeral(&format!(
            "Cairn doesn't handle `{}`. Try `/kudos` or `/growth help`.",
            mrkdwn::safe(other)
        )),
    }
}

const GROWTH_HELP: &str = "*Cairn*: kudos and evidence of growth.\n\
• `/kudos @person #competency what they did`: thank someone; the channel sees it and they get a DM.\n\
• `/growth log #competency what you did`: keep a private note of your own work (mention who it helped).\n\
• `/growth summary [@person] [period]`: how far your work reaches and how much it helps others, with the evidence (yours, or a report's).\n\
• `/growth packet [@person] [period]`: the review packet as files in your DMs.\n\
• `/growth team [@manager] [period]`: each of your direct reports at a glance, with their packets (yours, or a manager's below you).\n\
• `/growth web`: a link that signs you in to the review pages in your browser (your growth, your team, printable packets).\n\
• `/growth settings`: when your weekly reflection prompt comes, your time zone, who sees your reflections, a pause.\n\
• `/growth framework`: the competencies and tags you can use.\n\
• `/growth forget-me`: delete everything Cairn holds about you (after a confirmation).\n\
• `/growth help`: this message.";

/// `/growth SUBCOMMAND …`; an unknown one gets the help.
async fn growth_command(state: &AppState, command: &SlashCommand) -> Response {
    let s = &state.services;
    let text = command.text.trim();
    let sub = text
        .split_whitespace()
        .next()
        .unwrap_or("help")
        .to_lowercase();
    match sub.as_str() {
        "help" => ephemeral(GROWTH_HELP),
        "framework" => {
            let m = crate::slack::messages::framework_overview(&s.framework);
            Json(json!({ "response_type": "ephemeral", "text": m.text, "blocks": m.blocks }))
                .into_response()
        }
        "log" => {
            let rest = text
                .split_once(char::is_whitespace)
                .map_or("", |(_, r)| r.trim());
            log_command(s, command, rest).await
        }
        "forget-me" => {
            let view = crate::slack::modals::forget_me_modal();
            if s.workspaces
                .open_view(&command.team_id, &command.trigger_id, view)
                .await
            {
                ().into_response()
            } else {
                ephemeral("I couldn't open the confirmation just now. Please try `/growth forget-me` again; nothing was deleted.")
            }
        }
        "summary" => {
            let rest = text
                .split_once(char::is_whitespace)
                .map_or("", |(_, r)| r.trim());
            summary_command(s, command, rest).await
        }
        "packet" => {
            let rest = text
                .split_once(char::is_whitespace)
                .map_or("", |(_, r)| r.trim());
            packet_command(s, command, rest).await
        }
        "team" => {
            let rest = text
                .split_once(char::is_whitespace)
                .map_or("", |(_, r)| r.trim());
            team_command(s, command, rest).await
        }
        "web" => web_command(state, command).await,
        "settings" => {
            if crate::services::prompts::settings::open(
                s,
                &command.team_id,
                &command.user_id,
                &command.trigger_id,
            )
            .await
            {
                ().into_response()
            } else {
                ephemeral("I couldn't open your settings just now. Please try `/growth settings` again in a minute.")
            }
        }
        _ => ephemeral(&format!(
            "I don't know `/growth {}`.\n\n{GROWTH_HELP}",
            mrkdwn::safe(&sub)
        )),
    }
}

const SUMMARY_USAGE: &str =
    "Ask like this: `/growth summary` (yours, the last 90 days), `/growth summary @ana 6m`. \
Periods: `30d`, `12w`, `6m`, `2026-Q3` or `2026-07-01..2026-09-30`.";

/// Slack waits 3 s for the answer; the summary gets this much of it.
const SUMMARY_DEADLINE: std::time::Duration = std::time::Duration::from_millis(2200);

/// `[@user] [PERIOD]` of `/growth summary` and `/growth packet`: whose (the asker's by default)
/// and when (the last 90 days by default); a refusal says what to type.
fn subject_and_period(
    s: &Services,
    command: &SlashCommand,
    rest: &str,
) -> Result<(String, Period), String> {
    let mut subject = command.user_id.clone();
    let mut period_text = None;
    for word in rest.split_whitespace() {
        if let Some(mention) = word.strip_prefix("<@") {
            let id = mention
                .trim_end_matches('>')
                .split('|')
                .next()
                .unwrap_or_default();
            match UserId::parse(id) {
                Ok(id) => subject = id.to_string(),
                Err(_) => return Err(SUMMARY_USAGE.to_owned()),
            }
        } else if period_text.is_none() {
            period_text = Some(word);
        } else {
            return Err(format!(
                "I read `{}` as the period already; what is `{}`?\n{SUMMARY_USAGE}",
                mrkdwn::safe(period_text.unwrap_or_default()),
                mrkdwn::safe(word)
            ));
        }
    }
    let today = s.clock.now().date_naive();
    let period = match period_text {
        None => Period::default_ending(today),
        Some(p) => Period::parse(p, today).map_err(|e| mrkdwn::safe(&e.0))?,
    };
    Ok((subject, period))
}

/// The asker's view of `subject`'s report, within what Slack's 3 s leave.
async fn report_in_time(
    s: &Services,
    command: &SlashCommand,
    subject: &str,
    period: Period,
    what: What,
) -> Result<Result<Summary, SummaryError>, tokio::time::error::Elapsed> {
    let ask = Ask {
        team: &command.team_id,
        subject,
        period,
        viewer: s.viewer(&command.user_id),
        what,
    };
    tokio::time::timeout(SUMMARY_DEADLINE, summaries::of(s, ask)).await
}

/// What to say when a summary or packet could not be built.
fn summary_failed(e: SummaryError) -> Response {
    match e {
        SummaryError::Refused(refused) => {
            tracing::info!("a summary was refused to someone outside the manager chain");
            ephemeral(&format!("{refused} Ask them to share it with you."))
        }
        SummaryError::Store(e) => {
            tracing::error!(error = %e, "could not build a summary");
            ephemeral("I couldn't read the evidence just now (the database didn't answer). Please try again in a minute.")
        }
    }
}

/// `/growth web`: a one-time link to the review pages, in a DM (through the outbox, like
/// everything Cairn sends).
async fn web_command(state: &AppState, command: &SlashCommand) -> Response {
    let Some(base) = &state.base_url else {
        return ephemeral("The review pages need the address Cairn is served at: ask your admin to set CAIRN_BASE_URL.");
    };
    let s = &state.services;
    if s.workspaces.slack_for(&command.team_id).await.is_none() {
        return ephemeral("Cairn has no bot token, so it cannot send you a link. Ask your admin to set SLACK_BOT_TOKEN.");
    }
    match crate::services::web::send_link(s, &command.team_id, &command.user_id, base).await {
        Ok(()) => ephemeral(&format!(
            ":books: A sign-in link to the review pages is on its way to your DM with Cairn. It works once, within {} minutes.",
            crate::services::web::LINK_LIFETIME.num_minutes()
        )),
        Err(e) => {
            tracing::error!(error = %e, "could not put a sign-in link in the outbox");
            ephemeral("No link was sent: the database didn't answer. Please try `/growth web` again in a minute.")
        }
    }
}

/// `/growth packet [@user] [PERIOD]`: answered at once; the files follow in a DM.
async fn packet_command(s: &Services, command: &SlashCommand, rest: &str) -> Response {
    let (subject, period) = match subject_and_period(s, command, rest) {
        Ok(v) => v,
        Err(refusal) => return ephemeral(&refusal),
    };
    if s.workspaces.slack_for(&command.team_id).await.is_none() {
        return ephemeral("Cairn has no bot token, so it cannot send you files. Ask your admin to set SLACK_BOT_TOKEN; `cairn export` writes a packet meanwhile.");
    }
    match report_in_time(s, command, &subject, period, What::Packet).await {
        Ok(Ok(report)) => {
            let items = report.growth.items.len();
            if let Err(e) = crate::services::packets::send(s, &command.user_id, &report).await {
                tracing::error!(error = %e, "could not put a packet in the outbox");
                return ephemeral("The packet was not sent: the database didn't answer. Please try again in a minute.");
            }
            ephemeral(&format!(
                ":package: The review packet of <@{subject}> for {} ({items} items) is on its way to your DM with Cairn: Markdown, CSV, JSON and a chart.",
                period.label()
            ))
        }
        Ok(Err(e)) => summary_failed(e),
        Err(_) => ephemeral("Building that packet took longer than Slack lets me wait. Please try again, or ask for a shorter period."),
    }
}

/// `/growth summary [@user] [PERIOD]`.
async fn summary_command(s: &Services, command: &SlashCommand, rest: &str) -> Response {
    let (subject, period) = match subject_and_period(s, command, rest) {
        Ok(v) => v,
        Err(refusal) => return ephemeral(&refusal),
    };
    match report_in_time(s, command, &subject, period, What::Summary).await {
        Ok(Ok(report)) => {
            let m = crate::slack::messages::summary::summary_message(&s.framework, &report);
            Json(json!({ "response_type": "ephemeral", "text": m.text, "blocks": m.blocks }))
                .into_response()
        }
        Ok(Err(e)) => summary_failed(e),
        Err(_) => ephemeral("Building that summary took longer than Slack lets me wait. Please try again, or ask for a shorter period."),
    }
}

/// `/growth team [@manager] [PERIOD]`: the asker's direct reports (or a manager's, for those
/// above them and admins), each a line with a packet button.
async fn team_command(s: &Services, command: &SlashCommand, rest: &str) -> Response {
    let (manager, period) = match subject_and_period(s, command, rest) {
        Ok(v) => v,
        Err(refusal) => return ephemeral(&refusal.replace("/growth summary", "/growth team")),
    };
    let ask = team::Ask {
        team: &command.team_id,
        manager: &manager,
        period,
        viewer: s.viewer(&command.user_id),
        on_web: false,
    };
    let own = manager == command.user_id;
    match tokio::time::timeout(SUMMARY_DEADLINE, team::of(s, ask)).await {
        Ok(Ok(view)) if view.reports.is_empty() => ephemeral(&if own {
            "The org chart gives you no direct reports, so there is no team to show. `/growth team @manager` shows the team of a manager below you; admins may name any.".to_owned()
        } else {
            format!("The org chart gives <@{manager}> no direct reports.")
        }),
        Ok(Ok(view)) => {
            let (text, blocks) = crate::slack::messages::team::team_view(
                &s.framework,
                &view.manager,
                own,
                view.period,
                &view.reports,
            );
            Json(json!({ "response_type": "ephemeral", "text": text, "blocks": blocks }))
                .into_response()
        }
        Ok(Err(TeamError::Refused(refused))) => {
            tracing::info!("a team view was refused to someone outside the manager's chain");
            ephemeral(&format!("{refused} `/growth team` shows your own."))
        }
        Ok(Err(TeamError::Store(e))) => {
            tracing::error!(error = %e, "could not build a team view");
            ephemeral("I couldn't read the evidence just now (the database didn't answer). Please try again in a minute.")
        }
        Err(_) => ephemeral("Building your team view took longer than Slack lets me wait. Please try again, or ask for a shorter period."),
    }
}

const LOG_USAGE: &str = "Log your own work like this: `/growth log #leadership ran the incident review for three teams`. \
Mention the people it helped. It stays private: only you see it, until you share it.";

/// `/growth log #tags what I did`: evidence of one's own work, private by default.
async fn log_command(s: &Services, command: &SlashCommand, text: &str) -> Response {
    let (Ok(team), Ok(author)) = (
        TeamId::parse(&command.team_id),
        UserId::parse(&command.user_id),
    ) else {
        return ephemeral(
            "Slack sent this command without a valid team or user id; please try again.",
        );
    };
    if text.is_empty() {
        return ephemeral(LOG_USAGE);
    }
    match evidence::log(s, team, author, text).await {
        Logged::Saved { draft, sphere } => {
            let f = &s.framework;
            let tags: Vec<String> = draft
                .competencies
                .iter()
                .filter_map(|c| f.competency(c))
                .map(|c| format!("#{}", c.display_tag()))
                .chain(
                    draft
                        .multiplier_kinds
                        .iter()
                        .filter_map(|m| f.multiplier_kind(m))
                        .map(|m| format!("#{}", m.display_tag())),
                )
                .collect();
            let mut answer = format!(
                ":lock: Logged, privately (only you see it): {}",
                mrkdwn::safe(&draft.message)
            );
            if !tags.is_empty() {
                answer.push_str(&format!("\nTagged {}", tags.join(" ")));
            }
            if let Some(sphere) = sphere {
                answer.push_str(&format!(
                    "\nSphere, as you declared it: {}",
                    mrkdwn::safe(&sphere.label(f))
                ));
            }
            for note in &draft.notes {
                answer.push_str(&format!("\n_{}_", mrkdwn::safe(note)));
            }
            ephemeral(&answer)
        }
        Logged::Refused(problem) => ephemeral(&with_their_text(&problem, text)),
        Logged::Failed => ephemeral(&with_their_text("I couldn't save that just now (the database didn't answer). Please try again in a minute.", text)),
        Logged::TimedOut => ephemeral(&with_their_text("Saving that is taking longer than Slack lets me wait, so I can't confirm it was saved. Check before logging it again.", text)),
    }
}

async fn kudos_command(s: &Services, command: &SlashCommand) -> Response {
    let (Ok(team), Ok(giver)) = (
        TeamId::parse(&command.team_id),
        UserId::parse(&command.user_id),
    ) else {
        return ephemeral(
            "Slack sent this command without a valid team or user id; please try again.",
        );
    };
    let channel = ChannelId::parse(&command.channel_id).ok();
    if command.text.trim().is_empty() {
        // No text: the modal, opened where the command was typed; the usage line if it can't be.
        let modal = KudosModal {
            channel: channel.as_ref().map(ToString::to_string),
            metadata: json!({ "origin": "command" }).to_string(),
            ..KudosModal::default()
        };
        if giving::open_modal(s, &command.team_id, &command.trigger_id, &modal).await {
            return ().into_response();
        }
        return ephemeral(KUDOS_USAGE);
    }
    let typed = Typed {
        team,
        team_domain: Some(command.team_domain.clone()).filter(|d| !d.is_empty()),
        giver,
        channel,
        text: &command.text,
    };
    match giving::typed(s, typed).await {
        Given::Recorded(announcement) => in_channel(&announcement),
        Given::Refused(rejected) => ephemeral(&with_their_text(&rejected.explain(), &command.text)),
        Given::TimedOut => {
            let note = "Saving that kudos is taking longer than Slack lets me wait, so I can't confirm it was recorded. \
                        Check with `/growth` later before giving it again.";
            ephemeral(&with_their_text(note, &command.text))
        }
        Given::Failed => {
            let note = "I couldn't record that kudos just now (the database didn't answer), so nothing was posted. \
                        Please try again in a minute.";
            ephemeral(&with_their_text(note, &command.text))
        }
    }
}

/// Appends what the person typed, so a refused or failed command loses nothing.
fn with_their_text(note: &str, wire: &str) -> String {
    let quoted: Vec<String> = mrkdwn::safe(wire)
        .lines()
        .map(|l| format!(">{l}"))
        .collect();
    format!("{note}\n\nWhat you typed:\n{}", quoted.join("\n"))
}

fn ephemeral(text: &str) -> Response {
    Json(json!({ "response_type": "ephemeral", "text": text })).into_response()
}

fn in_channel(message: &Message) -> Response {
    Json(json!({ "response_type": "in_channel", "text": message.text, "blocks": message.blocks }))
        .into_response()
}
