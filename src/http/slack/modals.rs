//! Modal submissions (`view_submission`): what the person filled in is read from the view's
//! state and handed to its use case; problems come back beside the field to fix, and the modal
//! stays open with what the person typed.

use crate::domain::evidence::{EvidenceField, EvidenceForm};
use crate::domain::ids::{ChannelId, TeamId, UserId};
use crate::domain::kudos::{self, Field, KudosForm};
use crate::domain::schedule::{self, Cadence, Slot};
use crate::services::evidence::{self, Saved};
use crate::services::giving::{self, Given, Giving};
use crate::services::prompts::settings::{self as prompt_settings, Chosen};
use crate::services::Services;
use crate::slack::modals::{self as views, SETTINGS_ACTION};
use crate::slack::payloads::{Interaction, View};
use crate::store::{Source, Visibility};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::collections::HashMap;

pub(super) async fn kudos(s: &Services, interaction: &Interaction, view: &View) -> Response {
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
    let mut problems: Vec<(&str, String)> = Vec::new();
    let draft = match kudos::check_form(&giver, form, s.kudos_rules()) {
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
    match giving::give(s, giving).await {
        // An empty 200 closes the modal.
        Given::Recorded(_) => ().into_response(),
        Given::Refused(rejected) => {
            let text: Vec<String> = rejected.problems.iter().map(ToString::to_string).collect();
            errors(&[(views::RECIPIENTS_BLOCK, text.join(" "))])
        }
        Given::TimedOut => errors(&[(views::MESSAGE_BLOCK, "Saving is taking longer than Slack lets me wait; I can't confirm it was recorded. Check later before sending again.".into())]),
        Given::Failed => errors(&[(views::MESSAGE_BLOCK, "I couldn't record it just now (the database didn't answer). Please try again in a minute.".into())]),
    }
}

pub(super) async fn evidence(s: &Services, interaction: &Interaction, view: &View) -> Response {
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
    match evidence::save(s, team, author, form, visibility, source).await {
        // An empty 200 closes the modal.
        Saved::Saved => ().into_response(),
        Saved::Refused(problems) => {
            let problems: Vec<(&str, String)> = problems
                .into_iter()
                .map(|(f, t)| (evidence_block(f), t))
                .collect();
            errors(&problems)
        }
        Saved::Failed => errors(&[(views::TEXT_BLOCK, "I couldn't save it just now (the database didn't answer). Please try again in a minute.".into())]),
        Saved::TimedOut => errors(&[(
            views::TEXT_BLOCK,
            "Saving is taking longer than Slack lets me wait; I can't confirm it was saved.".into(),
        )]),
    }
}

pub(super) async fn settings(s: &Services, interaction: &Interaction, view: &View) -> Response {
    let (team, user) = (&interaction.team.id, &interaction.user.id);
    let value = |block: &str| view.element(block, SETTINGS_ACTION);
    let chosen = |block: &str| {
        value(block)
            .and_then(|e| e.selected_option.as_ref())
            .map(|o| o.value.clone())
            .unwrap_or_default()
    };
    let mut problems: Vec<(&str, String)> = Vec::new();
    let day = chosen(views::SETTINGS_DAY_BLOCK);
    let time = value(views::SETTINGS_TIME_BLOCK)
        .and_then(|e| e.selected_time.clone())
        .unwrap_or_default();
    let cadence = chosen(views::SETTINGS_CADENCE_BLOCK);
    // Each part checked on its own, so each problem shows beside its own field.
    let weekday = schedule::parse_weekday(&day)
        .map_err(|e| problems.push((views::SETTINGS_DAY_BLOCK, e)))
        .ok();
    let time = Slot::parse("monday", &time, "weekly")
        .map(|s| s.time)
        .map_err(|e| problems.push((views::SETTINGS_TIME_BLOCK, e)))
        .ok();
    let cadence = Cadence::parse(&cadence)
        .map_err(|e| problems.push((views::SETTINGS_CADENCE_BLOCK, e)))
        .ok();
    let slot = match (weekday, time, cadence) {
        (Some(weekday), Some(time), Some(cadence)) => Some(Slot {
            weekday,
            time,
            cadence,
        }),
        _ => None,
    };
    let tz = value(views::SETTINGS_TZ_BLOCK)
        .and_then(|e| e.value.clone())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty());
    if let Some(Err(e)) = tz.as_deref().map(schedule::parse_tz) {
        problems.push((views::SETTINGS_TZ_BLOCK, e));
    }
    let paused_until =
        match value(views::SETTINGS_PAUSE_BLOCK).and_then(|e| e.selected_date.clone()) {
            None => None,
            Some(d) => match d.parse::<chrono::NaiveDate>() {
                Ok(date) => Some(date),
                Err(_) => {
                    problems.push((views::SETTINGS_PAUSE_BLOCK, format!("'{d}' is not a date.")));
                    None
                }
            },
        };
    let monthly = value(views::SETTINGS_MONTHLY_BLOCK).is_some_and(|e| {
        e.selected_options
            .iter()
            .any(|o| o.value == views::MONTHLY_SUMMARY)
    });
    let reflections = match chosen(views::SETTINGS_REFLECTIONS_BLOCK).as_str() {
        "manager" => Visibility::Manager,
        _ => Visibility::Private,
    };
    let Some(slot) = slot.filter(|_| problems.is_empty()) else {
        return errors(&problems);
    };
    let chosen = Chosen {
        slot,
        tz,
        paused_until,
        reflections,
        monthly,
    };
    match prompt_settings::save(s, team, user, chosen).await {
        Ok(()) => ().into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "could not save settings");
            errors(&[(
                views::SETTINGS_DAY_BLOCK,
                "Cairn could not save your settings just now (the database did not answer). Please try again in a minute.".to_owned(),
            )])
        }
    }
}

/// The person confirmed `/growth forget-me`: delete, then show what was deleted.
pub(super) async fn forget(s: &Services, interaction: &Interaction) -> Response {
    let (team, user) = (&interaction.team.id, &interaction.user.id);
    match s.people.forget(team, user).await {
        Ok(report) => {
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
fn errors(problems: &[(&str, String)]) -> Response {
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
