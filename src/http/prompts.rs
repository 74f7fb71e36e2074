//! The buttons of a weekly prompt: Reflect opens the reflection modal, Snooze asks again
//! tomorrow at the same local time, Skip this week moves on to the next slot.

use super::AppState;
use crate::domain::schedule::{self, Occurrence};
use crate::nudges::{local_label, next_regular, zone};
use crate::slack::payloads::Interaction;
use crate::slack::prompts::{answered, REFLECT_ACTION, SKIP_ACTION, SNOOZE_ACTION};
use crate::slack::views;
use chrono::{Duration, NaiveDate};
use serde_json::json;

/// The prompt action pressed, if any: (action id, the prompt's local date).
pub(super) fn prompt_action(interaction: &Interaction) -> Option<(&str, Option<NaiveDate>)> {
    interaction
        .actions
        .iter()
        .find(|a| [REFLECT_ACTION, SNOOZE_ACTION, SKIP_ACTION].contains(&a.action_id.as_str()))
        .map(|a| {
            let date = a.value.as_deref().and_then(|v| v.parse().ok());
            (a.action_id.as_str(), date)
        })
}

pub(super) async fn press(state: &AppState, interaction: &Interaction) {
    let Some((action, date)) = prompt_action(interaction) else {
        return;
    };
    let (team, user) = (&interaction.team.id, &interaction.user.id);
    if action == REFLECT_ACTION {
        // The person's setting for who sees reflections is where the modal starts.
        let for_managers = match state.store.schedule(team, user).await {
            Ok(s) => s.is_some_and(|s| s.reflections == crate::store::Visibility::Manager),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the reflection setting; the modal starts private");
                false
            }
        };
        let modal = views::EvidenceModal {
            for_managers,
            date: date
                .unwrap_or_else(|| state.clock.now().date_naive())
                .to_string(),
            metadata: json!({ "source": "reflection" }).to_string(),
            reflection: true,
            ..views::EvidenceModal::default()
        };
        let view = views::evidence_modal(&state.framework, &modal);
        super::interactivity::open_modal(state, team, &interaction.trigger_id, view).await;
        return;
    }
    let note = match move_on(state, team, user, action == SNOOZE_ACTION, date).await {
        Ok(note) => note,
        Err(e) => {
            tracing::warn!(error = %e, "could not change the prompt schedule");
            "Cairn could not change your schedule just now (the database did not answer). Try the button again in a minute.".to_owned()
        }
    };
    let ts = interaction.message.as_ref().and_then(|m| m["ts"].as_str());
    if let (Some((slack, token)), Some(channel), Some(ts)) =
        (state.slack_for(team).await, &interaction.channel, ts)
    {
        let (channel, ts) = (channel.id.clone(), ts.to_owned());
        let (text, blocks) = answered(&note);
        tokio::spawn(async move {
            if let Err(e) = slack
                .chat_update(&token, &channel, &ts, &text, &blocks)
                .await
            {
                tracing::warn!(error = %e, "could not update the prompt");
            }
        });
    }
}

/// Snoozes to tomorrow at the slot's local time, or skips to the next regular slot; returns
/// what to tell the person.
async fn move_on(
    state: &AppState,
    team: &str,
    user: &str,
    snooze: bool,
    prompt_date: Option<NaiveDate>,
) -> Result<String, crate::store::StoreError> {
    let now = state.clock.now();
    let Some(mut s) = state.store.schedule(team, user).await? else {
        return Ok("Cairn has no prompt schedule for you yet; `/growth settings` sets one.".into());
    };
    let person = state.store.person(team, user).await?;
    let Some(tz) = zone(&s, person.as_ref()) else {
        return Ok("Cairn does not know your time zone yet; `/growth settings` sets one.".into());
    };
    if let Some(date) = prompt_date {
        s.last_local_date = s.last_local_date.max(Some(date));
    }
    let next = if snooze {
        let tomorrow = now.with_timezone(&tz).date_naive() + Duration::days(1);
        schedule::resolve_local(tz, tomorrow, schedule::clamp_time(s.slot.time))
            .map(|at| Occurrence {
                at,
                local_date: tomorrow,
            })
            .filter(|o| o.at > now)
    } else {
        next_regular(&s, tz, &state.nudges.quiet_days, now)
    };
    s.snoozed = snooze && next.is_some();
    s.next = next;
    state.store.save_schedule(&s, now, true).await?;
    let when = |o: &Occurrence| local_label(o.at, tz);
    Ok(match (&s.next, snooze) {
        (Some(o), true) => format!(":zzz: Snoozed. I'll ask again tomorrow ({}).", when(o)),
        (Some(o), false) => format!(
            ":fast_forward: Skipped this week. Next prompt: {}.",
            when(o)
        ),
        (None, _) => "Skipped. Your prompts are off; `/growth settings` turns them back on.".into(),
    })
}
