//! `/growth settings` (and the App Home's Settings button): the modal with a person's prompt
//! slot, time zone, who may see their reflections and a pause; saving it reschedules at once.

use super::AppState;
use crate::domain::schedule::{self, Cadence, Slot};
use crate::nudges::{local_label, next_regular, zone};
use crate::slack::payloads::{Interaction, View};
use crate::slack::views::{self, SettingsModal, SETTINGS_ACTION};
use crate::store::{Schedule, StoreError, Visibility};
use axum::response::{IntoResponse, Response};

/// The person's schedule, or a newcomer's default one.
async fn current(state: &AppState, team: &str, user: &str) -> Result<Schedule, StoreError> {
    Ok(state
        .store
        .schedule(team, user)
        .await?
        .unwrap_or_else(|| Schedule::new(team, user, state.nudges.default_slot)))
}

pub(super) async fn open(state: &AppState, team: &str, user: &str, trigger_id: &str) -> bool {
    let schedule = match current(state, team, user).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "could not read a schedule");
            return false;
        }
    };
    let person = state.store.person(team, user).await.ok().flatten();
    let tz = zone(&schedule, person.as_ref());
    let next = match (schedule.next, tz) {
        (Some(n), Some(tz)) => Some(local_label(n.at, tz)),
        _ => None,
    };
    let modal = SettingsModal {
        schedule,
        slack_tz: person.and_then(|p| p.tz),
        next,
    };
    super::interactivity::open_modal(state, team, trigger_id, views::settings_modal(&modal)).await
}

pub(super) async fn submit(state: &AppState, interaction: &Interaction, view: &View) -> Response {
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
        return super::interactivity::errors(&problems);
    };
    let chosen = Chosen {
        slot,
        tz,
        paused_until,
        reflections,
        monthly,
    };
    match save(state, team, user, chosen).await {
        Ok(()) => ().into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "could not save settings");
            super::interactivity::errors(&[(
                views::SETTINGS_DAY_BLOCK,
                "Cairn could not save your settings just now (the database did not answer). Please try again in a minute.".to_owned(),
            )])
        }
    }
}

/// What the person chose in the modal.
struct Chosen {
    slot: Slot,
    tz: Option<String>,
    paused_until: Option<chrono::NaiveDate>,
    reflections: Visibility,
    monthly: bool,
}

async fn save(state: &AppState, team: &str, user: &str, chosen: Chosen) -> Result<(), StoreError> {
    let now = state.clock.now();
    let mut s = current(state, team, user).await?;
    s.slot = chosen.slot;
    s.tz = chosen.tz;
    s.paused_until = chosen.paused_until;
    s.reflections = chosen.reflections;
    s.monthly_summary = chosen.monthly;
    s.snoozed = false;
    let person = state.store.person(team, user).await?;
    s.next = zone(&s, person.as_ref())
        .and_then(|tz| next_regular(&s, tz, &state.nudges.quiet_days, now));
    state.store.save_schedule(&s, now, true).await?;
    tracing::info!(next = ?s.next.map(|n| n.at), "prompt settings saved");
    Ok(())
}
