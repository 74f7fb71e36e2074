//! The buttons of a weekly prompt: Reflect opens the reflection modal, Snooze asks again
//! tomorrow at the same local time, Skip this week moves on to the next slot.

use super::{local_label, next_regular, zone};
use crate::domain::schedule::{clamp_time, resolve_local, Occurrence};
use crate::services::Services;
use crate::slack::messages::prompts::{answered, REFLECT_ACTION, SNOOZE_ACTION};
use crate::slack::modals;
use crate::store::Delivery;
use chrono::{Duration, NaiveDate};
use serde_json::json;

/// A button of a weekly prompt was pressed.
pub struct Press<'a> {
    pub team: &'a str,
    pub user: &'a str,
    pub trigger_id: &'a str,
    /// `REFLECT_ACTION`, `SNOOZE_ACTION` or `SKIP_ACTION`.
    pub action: &'a str,
    /// The local date of the prompt pressed.
    pub date: Option<NaiveDate>,
    /// The prompt's message (channel, ts), to show what was done in place of its buttons.
    pub message: Option<(String, String)>,
}

pub async fn press(s: &Services, press: Press<'_>) {
    let Press {
        team,
        user,
        trigger_id,
        action,
        date,
        message,
    } = press;
    if action == REFLECT_ACTION {
        // The person's setting for who sees reflections is where the modal starts.
        let for_managers = match s.store.schedule(team, user).await {
            Ok(schedule) => schedule
                .is_some_and(|schedule| schedule.reflections == crate::store::Visibility::Manager),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the reflection setting; the modal starts private");
                false
            }
        };
        let modal = modals::EvidenceModal {
            for_managers,
            date: date
                .unwrap_or_else(|| s.clock.now().date_naive())
                .to_string(),
            metadata: json!({ "source": "reflection" }).to_string(),
            reflection: true,
            ..modals::EvidenceModal::default()
        };
        let view = modals::evidence_modal(&s.framework, &modal);
        s.workspaces.open_view(team, trigger_id, view).await;
        return;
    }
    let note = match move_on(s, team, user, action == SNOOZE_ACTION, date).await {
        Ok(note) => note,
        Err(e) => {
            tracing::warn!(error = %e, "could not change the prompt schedule");
            "Cairn could not change your schedule just now (the database did not answer). Try the button again in a minute.".to_owned()
        }
    };
    if let Some((channel, ts)) = message {
        let (text, blocks) = answered(&note);
        let update = Delivery::update(&channel, &ts, text, blocks);
        if let Err(e) = s
            .outbox
            .send(s.store.as_ref(), team, &[update], s.clock.now())
            .await
        {
            tracing::warn!(error = %e, "could not update the prompt");
        }
    }
}

/// Snoozes to tomorrow at the slot's local time, or skips to the next regular slot; returns
/// what to tell the person.
async fn move_on(
    s: &Services,
    team: &str,
    user: &str,
    snooze: bool,
    prompt_date: Option<NaiveDate>,
) -> Result<String, crate::store::StoreError> {
    let now = s.clock.now();
    let Some(mut schedule) = s.store.schedule(team, user).await? else {
        return Ok("Cairn has no prompt schedule for you yet; `/growth settings` sets one.".into());
    };
    let person = s.store.person(team, user).await?;
    let Some(tz) = zone(&schedule, person.as_ref()) else {
        return Ok("Cairn does not know your time zone yet; `/growth settings` sets one.".into());
    };
    if let Some(date) = prompt_date {
        schedule.last_local_date = schedule.last_local_date.max(Some(date));
    }
    let next = if snooze {
        let tomorrow = now.with_timezone(&tz).date_naive() + Duration::days(1);
        resolve_local(tz, tomorrow, clamp_time(schedule.slot.time))
            .map(|at| Occurrence {
                at,
                local_date: tomorrow,
            })
            .filter(|o| o.at > now)
    } else {
        next_regular(&schedule, tz, &s.prompts.quiet_days, now)
    };
    schedule.snoozed = snooze && next.is_some();
    schedule.next = next;
    s.store.save_schedule(&schedule, now, true).await?;
    let when = |o: &Occurrence| local_label(o.at, tz);
    Ok(match (&schedule.next, snooze) {
        (Some(o), true) => format!(":zzz: Snoozed. I'll ask again tomorrow ({}).", when(o)),
        (Some(o), false) => format!(
            ":fast_forward: Skipped this week. Next prompt: {}.",
            when(o)
        ),
        (None, _) => "Skipped. Your prompts are off; `/growth settings` turns them back on.".into(),
    })
}
