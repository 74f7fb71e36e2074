//! `POST /slack/commands`: `/kudos` (and a first `/growth help`).
//!
//! Bad input answers 200 with an ephemeral message saying what to fix (Slack shows nothing
//! useful for an error status). A kudos is committed, with one outbox row per recipient DM,
//! before the channel sees it; if it cannot be recorded the giver is told so, with their text.

use super::verified::SlackRequest;
use super::AppState;
use crate::domain::ids::{ChannelId, TeamId, UserId};
use crate::domain::kudos::{self, KudosDraft, KudosRules, RecipientFacts};
use crate::slack::blocks::{KudosView, Message};
use crate::slack::mrkdwn;
use crate::slack::payloads::SlashCommand;
use crate::store::{Delivery, NewKudos, Visibility};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use tracing::Instrument;

/// Slack gives up on an answer after 3 s. Checking recipients with Slack and recording the kudos
/// each get a share of that; past them we answer with what we know.
const LOOKUP_BUDGET: std::time::Duration = std::time::Duration::from_millis(600);
const RECORD_DEADLINE: std::time::Duration = std::time::Duration::from_millis(2000);

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
    let span = tracing::info_span!("command", team = %command.team_id, user = %command.user_id, command = %command.command);
    match command.command.as_str() {
        "/kudos" => kudos_command(&state, &command).instrument(span).await,
        "/growth" => growth_command(&state, &command),
        other => ephemeral(&format!(
            "Cairn doesn't handle `{}`. Try `/kudos` or `/growth help`.",
            mrkdwn::safe(other)
        )),
    }
}

const GROWTH_HELP: &str = "*Cairn*: kudos and evidence of growth.\n\
• `/kudos @person #competency what they did`: thank someone; the channel sees it and they get a DM.\n\
• `/growth framework`: the competencies and tags you can use.\n\
• `/growth help`: this message.";

/// `/growth SUBCOMMAND …`: the subcommands built so far; the others say so rather than guess.
fn growth_command(state: &AppState, command: &SlashCommand) -> Response {
    let text = command.text.trim();
    let sub = text
        .split_whitespace()
        .next()
        .unwrap_or("help")
        .to_lowercase();
    match sub.as_str() {
        "help" => ephemeral(GROWTH_HELP),
        "framework" => {
            let m = crate::slack::blocks::framework_overview(&state.framework);
            Json(json!({ "response_type": "ephemeral", "text": m.text, "blocks": m.blocks }))
                .into_response()
        }
        "log" | "summary" | "packet" | "settings" | "forget-me" => ephemeral(&format!(
            "`/growth {sub}` is not available in this version of Cairn yet.\n\n{GROWTH_HELP}"
        )),
        _ => ephemeral(&format!(
            "I don't know `/growth {}`.\n\n{GROWTH_HELP}",
            mrkdwn::safe(&sub)
        )),
    }
}

async fn kudos_command(state: &AppState, command: &SlashCommand) -> Response {
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
        return ephemeral(KUDOS_USAGE);
    }
    let rules = KudosRules {
        require_competency: state.require_competency_tag,
    };
    let draft = match kudos::parse(&giver, &command.text, &state.tags, rules) {
        Ok(d) => d,
        Err(rejected) => {
            tracing::info!(problems = rejected.problems.len(), "kudos refused");
            return ephemeral(&with_their_text(&rejected.explain(), &command.text));
        }
    };
    let recipients: Vec<String> = draft.recipients.iter().map(ToString::to_string).collect();
    let known = state
        .people
        .lookup(team.as_str(), &recipients, LOOKUP_BUDGET)
        .await;
    let refused = kudos::check_recipients(&draft, |u| {
        known.get(u.as_str()).map(|p| RecipientFacts {
            is_bot: p.is_bot,
            deleted: p.deleted,
        })
    });
    if !refused.is_empty() {
        let rejected = kudos::Rejected {
            problems: refused,
            valid_tags: Vec::new(),
        };
        return ephemeral(&with_their_text(&rejected.explain(), &command.text));
    }
    let labels = labels(state, &draft);
    let view = KudosView {
        giver: giver.as_str(),
        recipients: &recipients,
        message: &draft.message,
        labels: &labels,
        channel: channel.as_ref().map(ChannelId::as_str),
    };
    let dm = view.direct_message();
    let deliveries = recipients
        .iter()
        .map(|r| Delivery {
            key: format!("dm:{r}"),
            channel: r.clone(),
            text: dm.text.clone(),
            blocks: serde_json::to_value(&dm.blocks).unwrap_or(Value::Null),
        })
        .collect();
    let announcement = draft.notes.iter().fold(view.announcement(), |m, note| {
        m.with_note(&mrkdwn::safe(note))
    });
    let new = NewKudos {
        team_id: team,
        team_domain: Some(command.team_domain.clone()).filter(|d| !d.is_empty()),
        giver,
        recipients: draft.recipients,
        competencies: draft.competencies,
        multiplier_kinds: draft.multiplier_kinds,
        text: draft.message,
        channel_id: channel,
        visibility: Visibility::Public,
        framework_id: state.framework.id().to_owned(),
        framework_version: state.framework.version().to_owned(),
        created_at: state.clock.now(),
        deliveries,
    };
    match tokio::time::timeout(RECORD_DEADLINE, state.store.record_kudos(new)).await {
        Err(_) => {
            tracing::error!("recording a kudos took too long to answer Slack in time");
            let note = "Saving that kudos is taking longer than Slack lets me wait, so I can't confirm it was recorded. \
                        Check with `/growth` later before giving it again.";
            ephemeral(&with_their_text(note, &command.text))
        }
        Ok(Ok(id)) => {
            crate::metrics::inc("cairn_kudos_recorded_total", &[]);
            tracing::info!(
                kudos_id = id,
                recipients = recipients.len(),
                "kudos recorded"
            );
            state.outbox_wake.notify_one();
            in_channel(&announcement)
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not record a kudos");
            let note = "I couldn't record that kudos just now (the database didn't answer), so nothing was posted. \
                        Please try again in a minute.";
            ephemeral(&with_their_text(note, &command.text))
        }
    }
}

/// Display labels: each competency, then each multiplier kind, with its emoji when it has one.
fn labels(state: &AppState, draft: &KudosDraft) -> Vec<(Option<String>, String)> {
    let f = &state.framework;
    let competencies = draft
        .competencies
        .iter()
        .filter_map(|id| f.competency(id))
        .map(|c| (c.emoji.clone(), c.name.clone()));
    let kinds = draft
        .multiplier_kinds
        .iter()
        .filter_map(|id| f.multiplier_kind(id))
        .map(|m| (None, m.name.clone()));
    competencies.chain(kinds).collect()
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
