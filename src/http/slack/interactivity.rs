//! `POST /slack/interactivity`: shortcuts, modal submissions and button clicks (the form field
//! `payload`, signed like every Slack request). Whatever arrives is acknowledged: an action
//! Cairn does not know is logged, never a 500 (Slack would show the person an error).

use super::{modals, SlackRequest};
use crate::domain::ids::UserId;
use crate::domain::period::Period;
use crate::http::AppState;
use crate::services::evidence::{self, MessageToSave};
use crate::services::packets::{self, Pressed};
use crate::services::prompts::buttons::{self, Press};
use crate::services::{giving, reactions, Services};
use crate::slack::home;
use crate::slack::messages::digests::PACKET_ACTION;
use crate::slack::messages::prompts::{REFLECT_ACTION, SKIP_ACTION, SNOOZE_ACTION};
use crate::slack::modals::{self as views, KudosModal};
use crate::slack::payloads::Interaction;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde_json::json;
use tracing::Instrument;

pub const GIVE_KUDOS_SHORTCUT: &str = "give_kudos";
pub const SAVE_EVIDENCE_SHORTCUT: &str = "save_evidence";

pub async fn handle(State(state): State<AppState>, request: SlackRequest) -> Response {
    let mut interaction = match Interaction::from_form(&request.body) {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, "unreadable interactivity payload");
            return (
                axum::http::StatusCode::BAD_REQUEST,
                "expected a form field `payload` with JSON",
            )
                .into_response();
        }
    };
    // In an org-wide install Slack may send `"team": null` (an action taken at the
    // organisation's level); the person's own workspace stands in.
    if interaction.team.id.is_empty() {
        interaction.team.id = interaction.user.team_id.clone();
    }
    let s = &state.services;
    s.workspaces
        .note(
            &interaction.team.id,
            Some(interaction.enterprise.id.as_str()),
        )
        .await;
    s.people
        .note(&interaction.team.id, &interaction.user.id)
        .await;
    let span = tracing::info_span!("interaction", team = %interaction.team.id, user = %interaction.user.id, kind = %interaction.kind);
    dispatch(s, &interaction).instrument(span).await
}

async fn dispatch(s: &Services, interaction: &Interaction) -> Response {
    let (team, user, trigger) = (
        interaction.team.id.as_str(),
        interaction.user.id.as_str(),
        interaction.trigger_id.as_str(),
    );
    match (interaction.kind.as_str(), interaction.callback_id.as_str()) {
        ("shortcut", GIVE_KUDOS_SHORTCUT) => {
            let modal = KudosModal {
                metadata: json!({ "origin": "shortcut" }).to_string(),
                ..KudosModal::default()
            };
            giving::open_modal(s, team, trigger, &modal).await;
        }
        ("block_actions", _) if has_action(interaction, home::HOME_GIVE_KUDOS) => {
            let modal = KudosModal {
                metadata: json!({ "origin": "home" }).to_string(),
                ..KudosModal::default()
            };
            giving::open_modal(s, team, trigger, &modal).await;
        }
        ("block_actions", _) if has_action(interaction, home::HOME_SETTINGS) => {
            crate::services::prompts::settings::open(s, team, user, trigger).await;
        }
        ("block_actions", _) if has_action(interaction, home::HOME_LOG_EVIDENCE) => {
            evidence::open_modal(s, team, trigger).await;
        }
        ("block_actions", _) if tag_action(interaction).is_some() => {
            if let Some(value) = tag_action(interaction) {
                let tagged = reactions::tag(s, team, user, value).await;
                if let (Some(name), Some((channel, ts))) = (tagged, message_of(interaction)) {
                    reactions::answer_tag_question(s, team, &channel, &ts, &name).await;
                }
            }
        }
        ("block_actions", _) if digest_packet(interaction).is_some() => {
            if let Some((subject, period)) = digest_packet(interaction) {
                let pressed = Pressed {
                    team: team.to_owned(),
                    user: user.to_owned(),
                    channel: interaction.channel.as_ref().map(|c| c.id.clone()),
                };
                packets::from_digest(s, pressed, subject, period).await;
            }
        }
        ("block_actions", _) if prompt_action(interaction).is_some() => {
            if let Some((action, date)) = prompt_action(interaction) {
                let press = Press {
                    team,
                    user,
                    trigger_id: trigger,
                    action,
                    date,
                    message: message_of(interaction),
                };
                buttons::press(s, press).await;
            }
        }
        ("message_action", SAVE_EVIDENCE_SHORTCUT) => {
            let message = interaction.message.clone().unwrap_or_default();
            let channel = interaction
                .channel
                .as_ref()
                .map(|c| c.id.as_str())
                .unwrap_or_default();
            let to_save = MessageToSave {
                team,
                team_domain: &interaction.team.domain,
                user,
                author: message["user"].as_str().unwrap_or_default(),
                channel,
                ts: message["ts"].as_str().unwrap_or_default(),
                text: message["text"].as_str().unwrap_or_default(),
                trigger_id: trigger,
            };
            evidence::save_message(s, to_save).await;
        }
        ("view_submission", _) => {
            return match &interaction.view {
                Some(view) if view.callback_id == views::KUDOS_CALLBACK => {
                    modals::kudos(s, interaction, view).await
                }
                Some(view) if view.callback_id == views::EVIDENCE_CALLBACK => {
                    modals::evidence(s, interaction, view).await
                }
                Some(view) if view.callback_id == views::SETTINGS_CALLBACK => {
                    modals::settings(s, interaction, view).await
                }
                Some(view) if view.callback_id == views::FORGET_CALLBACK => {
                    modals::forget(s, interaction).await
                }
                _ => acknowledge(interaction),
            }
        }
        _ => return acknowledge(interaction),
    }
    ().into_response()
}

/// The message a button was pressed in: (channel, ts).
fn message_of(interaction: &Interaction) -> Option<(String, String)> {
    let ts = interaction
        .message
        .as_ref()
        .and_then(|m| m["ts"].as_str())?;
    let channel = interaction.channel.as_ref()?;
    Some((channel.id.clone(), ts.to_owned()))
}

/// The prompt action pressed, if any: (action id, the prompt's local date).
fn prompt_action(interaction: &Interaction) -> Option<(&str, Option<NaiveDate>)> {
    interaction
        .actions
        .iter()
        .find(|a| [REFLECT_ACTION, SNOOZE_ACTION, SKIP_ACTION].contains(&a.action_id.as_str()))
        .map(|a| {
            let date = a.value.as_deref().and_then(|v| v.parse().ok());
            (a.action_id.as_str(), date)
        })
}

/// The value of a digest's "Review packet" button: whose packet, over which period.
fn digest_packet(interaction: &Interaction) -> Option<(String, Period)> {
    let value = interaction
        .actions
        .iter()
        .find(|a| a.action_id == PACKET_ACTION)?
        .value
        .as_deref()?;
    let mut parts = value.split('|');
    let subject = UserId::parse(parts.next()?).ok()?.to_string();
    let from = parts.next()?.parse().ok()?;
    let to = parts.next()?.parse().ok()?;
    Some((subject, Period { from, to }))
}

/// The value of a "what was your reaction for?" button.
fn tag_action(interaction: &Interaction) -> Option<&str> {
    interaction
        .actions
        .iter()
        .find(|a| a.action_id.starts_with(reactions::TAG_ACTION))
        .and_then(|a| a.value.as_deref())
}

fn has_action(interaction: &Interaction, action_id: &str) -> bool {
    interaction.actions.iter().any(|a| a.action_id == action_id)
}

fn acknowledge(interaction: &Interaction) -> Response {
    let callback = interaction
        .view
        .as_ref()
        .map(|v| v.callback_id.as_str())
        .unwrap_or(interaction.callback_id.as_str());
    let actions: Vec<&str> = interaction
        .actions
        .iter()
        .map(|a| a.action_id.as_str())
        .collect();
    tracing::info!(
        callback,
        ?actions,
        "interaction acknowledged, nothing to do"
    );
    ().into_response()
}
