//! `POST /slack/interactivity`: shortcuts, modal submissions and button clicks (the form field
//! `payload`, signed like every Slack request). Whatever arrives is acknowledged: an action
//! Cairn does not know is logged, never a 500 (Slack would show the person an error).

use super::giving::{give, Given, Giving};
use super::verified::SlackRequest;
use super::AppState;
use crate::domain::evidence::{check_evidence, EvidenceField, EvidenceForm};
use crate::domain::ids::{ChannelId, TeamId, UserId};
use crate::domain::kudos::{self, Field, KudosForm, KudosRules};
use crate::slack::payloads::{Interaction, View};
use crate::slack::views::{self, KudosModal};
use crate::store::{NewEvidence, Source, Visibility};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::time::Duration;
use tracing::Instrument;

/// A trigger id is good for 3 s; opening the modal must fit inside it.
const OPEN_BUDGET: Duration = Duration::from_millis(2500);
pub const GIVE_KUDOS_SHORTCUT: &str = "give_kudos";
pub const SAVE_EVIDENCE_SHORTCUT: &str = "save_evidence";
/// Asking Slack for a message's permalink gets this much of the trigger's 3 s.
const PERMALINK_BUDGET: Duration = Duration::from_millis(700);

#[derive(Deserialize)]
struct Form {
    payload: String,
}

pub async fn handle(State(state): State<AppState>, request: SlackRequest) -> Response {
    let mut interaction: Interaction = match serde_urlencoded::from_bytes::<Form>(&request.body)
        .map_err(|e| e.to_string())
        .and_then(|f| serde_json::from_str(&f.payload).map_err(|e| e.to_string()))
    {
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
    state
        .tokens
        .note(
            &interaction.team.id,
            Some(interaction.enterprise.id.as_str()),
        )
        .await;
    let span = tracing::info_span!("interaction", team = %interaction.team.id, user = %interaction.user.id, kind = %interaction.kind);
    dispatch(&state, &interaction).instrument(span).await
}

async fn dispatch(state: &AppState, interaction: &Interaction) -> Response {
    match (interaction.kind.as_str(), interaction.callback_id.as_str()) {
        ("shortcut", GIVE_KUDOS_SHORTCUT) => {
            let modal = KudosModal {
                metadata: json!({ "origin": "shortcut" }).to_string(),
                ..KudosModal::default()
            };
            open_kudos_modal(state, &interaction.team.id, &interaction.trigger_id, &modal).await;
            ().into_response()
        }
        ("block_actions", _) if has_action(interaction, views::HOME_GIVE_KUDOS) => {
            let modal = KudosModal {
                metadata: json!({ "origin": "home" }).to_string(),
                ..KudosModal::default()
            };
            open_kudos_modal(state, &interaction.team.id, &interaction.trigger_id, &modal).await;
            ().into_response()
        }
        ("block_actions", _) if has_action(interaction, views::HOME_SETTINGS) => {
            let (team, user) = (&interaction.team.id, &interaction.user.id);
            super::settings::open(state, team, user, &interaction.trigger_id).await;
            ().into_response()
        }
        ("block_actions", _) if has_action(interaction, views::HOME_LOG_EVIDENCE) => {
            let modal = views::EvidenceModal {
                date: state.clock.now().format("%Y-%m-%d").to_string(),
                metadata: json!({ "source": "self" }).to_string(),
                ..views::EvidenceModal::default()
            };
            let view = views::evidence_modal(&state.framework, &modal);
            open_modal(state, &interaction.team.id, &interaction.trigger_id, view).await;
            ().into_response()
        }
        ("block_actions", _) if tag_action(interaction).is_some() => {
            if let Some(value) = tag_action(interaction) {
                let tagged =
                    super::reactions::tag(state, &interaction.team.id, &interaction.user.id, value)
                        .await;
                let ts = interaction.message.as_ref().and_then(|m| m["ts"].as_str());
                if let (Some(name), Some(channel), Some(ts)) = (tagged, &interaction.channel, ts) {
                    super::reactions::answer_tag_question(
                        state,
                        &interaction.team.id,
                        channel.id.clone(),
                        ts.to_owned(),
                        &name,
                    );
                }
            }
            ().into_response()
        }
        ("block_actions", _) if super::packets::digest_packet(interaction).is_some() => {
            super::packets::press_digest_button(state, interaction);
            ().into_response()
        }
        ("block_actions", _) if super::prompts::prompt_action(interaction).is_some() => {
            super::prompts::press(state, interaction).await;
            ().into_response()
        }
        ("message_action", SAVE_EVIDENCE_SHORTCUT) => {
            save_message(state, interaction).await;
            ().into_response()
        }
        ("view_submission", _) => match &interaction.view {
            Some(view) if view.callback_id == views::KUDOS_CALLBACK => {
                submit_kudos(state, interaction, view).await
            }
            Some(view) if view.callback_id == views::EVIDENCE_CALLBACK => {
                submit_evidence(state, interaction, view).await
            }
            Some(view) if view.callback_id == views::SETTINGS_CALLBACK => {
                super::settings::submit(state, interaction, view).await
            }
            Some(view) if view.callback_id == views::FORGET_CALLBACK => {
                forget(state, interaction).await
            }
            _ => acknowledge(interaction),
        },
        _ => acknowledge(interaction),
    }
}

/// The value of a "what was your reaction for?" button.
fn tag_action(interaction: &Interaction) -> Option<&str> {
    interaction
        .actions
        .iter()
        .find(|a| a.action_id.starts_with(super::reactions::TAG_ACTION))
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

/// Opens the kudos modal; false if it could not be (no token, Slack slow or refusing).
pub(super) async fn open_kudos_modal(
    state: &AppState,
    team: &str,
    trigger_id: &str,
    modal: &KudosModal,
) -> bool {
    open_modal(
        state,
        team,
        trigger_id,
        views::kudos_modal(&state.framework, modal),
    )
    .await
}

/// "Save as evidence" on a message: your own message opens the evidence modal with its text and
/// link; someone else's opens the kudos modal for its author instead.
async fn save_message(state: &AppState, interaction: &Interaction) {
    let message = interaction.message.clone().unwrap_or_default();
    let author = message["user"].as_str().unwrap_or_default();
    let ts = message["ts"].as_str().unwrap_or_default();
    let channel = interaction
        .channel
        .as_ref()
        .map(|c| c.id.clone())
        .unwrap_or_default();
    if !author.is_empty() && author != interaction.user.id {
        let modal = KudosModal {
            recipients: vec![author.to_owned()],
            channel: Some(channel).filter(|c| c.starts_with('C') || c.starts_with('G')),
            metadata: json!({ "origin": "message" }).to_string(),
            ..KudosModal::default()
        };
        open_kudos_modal(state, &interaction.team.id, &interaction.trigger_id, &modal).await;
        return;
    }
    let link = permalink(
        state,
        &interaction.team.id,
        &interaction.team.domain,
        &channel,
        ts,
    )
    .await;
    let date = ts
        .split('.')
        .next()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .unwrap_or_else(|| state.clock.now())
        .date_naive();
    let text = crate::domain::markup::to_plain(&crate::domain::markup::tokenize(
        message["text"].as_str().unwrap_or_default(),
    ));
    let modal = views::EvidenceModal {
        text,
        link,
        date: date.format("%Y-%m-%d").to_string(),
        metadata: json!({ "source": "message" }).to_string(),
        reflection: false,
        for_managers: false,
    };
    open_modal(
        state,
        &interaction.team.id,
        &interaction.trigger_id,
        views::evidence_modal(&state.framework, &modal),
    )
    .await;
}

/// The message's permalink from Slack, or, if Slack is slow, the documented form of one.
async fn permalink(
    state: &AppState,
    team: &str,
    domain: &str,
    channel: &str,
    ts: &str,
) -> Option<String> {
    if channel.is_empty() || ts.is_empty() {
        return None;
    }
    if let Some((slack, token)) = state.slack_for(team).await {
        if let Ok(Ok(link)) = tokio::time::timeout(
            PERMALINK_BUDGET,
            slack.chat_get_permalink(&token, channel, ts),
        )
        .await
        {
            return Some(link);
        }
    }
    (!domain.is_empty()).then(|| {
        format!(
            "https://{domain}.slack.com/archives/{channel}/p{}",
            ts.replace('.', "")
        )
    })
}

pub(super) async fn open_modal(
    state: &AppState,
    team: &str,
    trigger_id: &str,
    view: serde_json::Value,
) -> bool {
    let Some((slack, token)) = state.slack_for(team).await else {
        tracing::warn!(
            team,
            "cannot open a modal without a bot token for the workspace"
        );
        return false;
    };
    match tokio::time::timeout(OPEN_BUDGET, slack.views_open(&token, trigger_id, &view)).await {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "could not open the kudos modal");
            false
        }
        Err(_) => {
            tracing::warn!("Slack did not open the kudos modal in time");
            false
        }
    }
}

async fn submit_kudos(state: &AppState, interaction: &Interaction, view: &View) -> Response {
    let (Ok(team), Ok(giver)) = (
        TeamId::parse(&interaction.team.id),
        UserId::parse(&interaction.user.id),
    ) else {
        return errors(&[(
            views::RECIPIENTS_BLOCK,
            "Slack sent this without a valid team or user; please try again.".into(),
        )]);
    };
    let element = |block, action| view.element(block, action);
    let mut form = KudosForm::default();
    if let Some(users) = element(views::RECIPIENTS_BLOCK, views::RECIPIENTS_ACTION) {
        form.recipients = users
            .selected_users
            .iter()
            .filter_map(|u| UserId::parse(u).ok())
            .collect();
    }
    (form.competencies, form.multiplier_kinds) = selected_tags(view);
    form.message = element(views::MESSAGE_BLOCK, views::MESSAGE_ACTION)
        .and_then(|m| m.value.clone())
        .unwrap_or_default();
    let visibility = match element(views::VISIBILITY_BLOCK, views::VISIBILITY_ACTION)
        .and_then(|v| v.selected_option.as_ref())
        .map(|o| o.value.as_str())
    {
        Some("manager") => Visibility::Manager,
        _ => Visibility::Public,
    };
    let channel = element(views::CHANNEL_BLOCK, views::CHANNEL_ACTION)
        .and_then(|c| {
            c.selected_conversation
                .clone()
                .or(c.selected_channel.clone())
        })
        .and_then(|c| ChannelId::parse(&c).ok());
    let rules = KudosRules {
        require_competency: state.require_competency_tag,
    };
    let mut problems: Vec<(&str, String)> = Vec::new();
    let draft = match kudos::check_form(&giver, form, rules) {
        Ok(d) => Some(d),
        Err(found) => {
            problems.extend(
                found
                    .into_iter()
                    .map(|(field, text)| (block_of(field), text)),
            );
            None
        }
    };
    if visibility == Visibility::Public && channel.is_none() {
        problems.push((
            views::CHANNEL_BLOCK,
            "Pick the channel to announce it in, or make it private.".into(),
        ));
    }
    let Some(draft) = draft.filter(|_| problems.is_empty()) else {
        return errors(&problems);
    };
    let giving = Giving {
        team,
        team_domain: Some(interaction.team.domain.clone()).filter(|d| !d.is_empty()),
        giver,
        draft,
        channel: if visibility == Visibility::Public {
            channel
        } else {
            None
        },
        visibility,
        announce_via_outbox: true,
    };
    match give(state, giving).await {
        // An empty 200 closes the modal.
        Given::Recorded(_) => ().into_response(),
        Given::Refused(problems) => {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            errors(&[(views::RECIPIENTS_BLOCK, text.join(" "))])
        }
        Given::TimedOut => errors(&[(views::MESSAGE_BLOCK, "Saving is taking longer than Slack lets me wait; I can't confirm it was recorded. Check later before sending again.".into())]),
        Given::Failed => errors(&[(views::MESSAGE_BLOCK, "I couldn't record it just now (the database didn't answer). Please try again in a minute.".into())]),
    }
}

async fn submit_evidence(state: &AppState, interaction: &Interaction, view: &View) -> Response {
    let (Ok(team), Ok(author)) = (
        TeamId::parse(&interaction.team.id),
        UserId::parse(&interaction.user.id),
    ) else {
        return errors(&[(
            views::TEXT_BLOCK,
            "Slack sent this without a valid team or user; please try again.".into(),
        )]);
    };
    let element = |block, action| view.element(block, action);
    let mut form = EvidenceForm {
        text: element(views::TEXT_BLOCK, views::TEXT_ACTION)
            .and_then(|t| t.value.clone())
            .unwrap_or_default(),
        ..EvidenceForm::default()
    };
    (form.competencies, form.multiplier_kinds) = selected_tags(view);
    form.sphere = element(views::SPHERE_BLOCK, views::SPHERE_ACTION)
        .and_then(|s| s.selected_option.as_ref())
        .map(|o| o.value.clone());
    form.people = element(views::PEOPLE_BLOCK, views::PEOPLE_ACTION)
        .map(|p| {
            p.selected_users
                .iter()
                .filter_map(|u| UserId::parse(u).ok())
                .collect()
        })
        .unwrap_or_default();
    form.date =
        element(views::DATE_BLOCK, views::DATE_ACTION).and_then(|d| d.selected_date.clone());
    form.link = element(views::LINK_BLOCK, views::LINK_ACTION).and_then(|l| l.value.clone());
    let visibility = element(views::VISIBILITY_BLOCK, views::VISIBILITY_ACTION)
        .and_then(|v| v.selected_option.as_ref())
        .and_then(|o| Visibility::parse(&o.value))
        .unwrap_or(Visibility::Private);
    let source = match serde_json::from_str::<serde_json::Value>(&view.private_metadata) {
        Ok(m) if m["source"] == "message" => Source::Message,
        Ok(m) if m["source"] == "reflection" => Source::Reflection,
        _ => Source::SelfLogged,
    };
    let rules = KudosRules {
        require_competency: state.require_competency_tag,
    };
    let now = state.clock.now();
    let draft = match check_evidence(&author, form, rules, now.date_naive()) {
        Ok(d) => d,
        Err(problems) => {
            let problems: Vec<(&str, String)> = problems
                .into_iter()
                .map(|(f, t)| (evidence_block(f), t))
                .collect();
            return errors(&problems);
        }
    };
    // Noon UTC of the day it happened: the date is what the person chose, not a time.
    let occurred_at = draft
        .occurred_on
        .and_hms_opt(12, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let evidence = NewEvidence {
        team_id: team,
        subject: author.clone(),
        author,
        source,
        text: draft.text,
        permalink: draft.link,
        visibility,
        competencies: draft.competencies,
        multiplier_kinds: draft.multiplier_kinds,
        sphere: draft.sphere,
        people: draft.people,
        framework_id: state.framework.id().to_owned(),
        framework_version: state.framework.version().to_owned(),
        occurred_at,
        created_at: now,
    };
    match tokio::time::timeout(
        Duration::from_secs(2),
        state.store.record_evidence(evidence),
    )
    .await
    {
        Ok(Ok(id)) => {
            tracing::info!(evidence_id = id, "evidence saved");
            ().into_response()
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not save evidence");
            errors(&[(views::TEXT_BLOCK, "I couldn't save it just now (the database didn't answer). Please try again in a minute.".into())])
        }
        Err(_) => errors(&[(
            views::TEXT_BLOCK,
            "Saving is taking longer than Slack lets me wait; I can't confirm it was saved.".into(),
        )]),
    }
}

/// The person confirmed `/growth forget-me`: delete, then show what was deleted.
async fn forget(state: &AppState, interaction: &Interaction) -> Response {
    let (team, user) = (&interaction.team.id, &interaction.user.id);
    match state.store.forget_person(team, user).await {
        Ok(report) => {
            state.people.forget(team, user);
            tracing::info!(
                kudos_received = report.kudos_received,
                evidence = report.evidence,
                "a person asked to be forgotten; done"
            );
            Json(json!({ "response_action": "update", "view": views::forgotten_modal(&report) }))
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "could not forget a person");
            let mut view = views::forget_me_modal();
            view["blocks"][0]["text"]["text"] = json!("I couldn't delete your data just now (the database didn't answer). Nothing was deleted; please try again in a minute.");
            Json(json!({ "response_action": "update", "view": view })).into_response()
        }
    }
}

/// `/growth forget-me`: a confirmation first; nothing is deleted until it is submitted.
pub(super) async fn open_forget_me(state: &AppState, team: &str, trigger_id: &str) -> bool {
    open_modal(state, team, trigger_id, views::forget_me_modal()).await
}

fn evidence_block(field: EvidenceField) -> &'static str {
    match field {
        EvidenceField::Text => views::TEXT_BLOCK,
        EvidenceField::Tags => views::TAGS_BLOCK,
        EvidenceField::Sphere => views::SPHERE_BLOCK,
        EvidenceField::Date => views::DATE_BLOCK,
        EvidenceField::Link => views::LINK_BLOCK,
    }
}

/// The competencies and multiplier kinds picked in a modal's tag select.
fn selected_tags(view: &View) -> (Vec<String>, Vec<String>) {
    let (mut competencies, mut kinds) = (Vec::new(), Vec::new());
    if let Some(tags) = view.element(views::TAGS_BLOCK, views::TAGS_ACTION) {
        for option in &tags.selected_options {
            if let Some(id) = option.value.strip_prefix(views::COMPETENCY_PREFIX) {
                competencies.push(id.to_owned());
            } else if let Some(id) = option.value.strip_prefix(views::KIND_PREFIX) {
                kinds.push(id.to_owned());
            }
        }
    }
    (competencies, kinds)
}

fn block_of(field: Field) -> &'static str {
    match field {
        Field::Recipients => views::RECIPIENTS_BLOCK,
        Field::Tags => views::TAGS_BLOCK,
        Field::Message => views::MESSAGE_BLOCK,
    }
}

/// Shown next to each field; the modal stays open with what the person typed.
pub(super) fn errors(problems: &[(&str, String)]) -> Response {
    let mut map: HashMap<&str, String> = HashMap::new();
    for (block, text) in problems {
        map.entry(block)
            .and_modify(|t| {
                t.push(' ');
                t.push_str(text)
            })
            .or_insert_with(|| text.clone());
    }
    Json(json!({ "response_action": "errors", "errors": map })).into_response()
}
