//! `/growth settings` (and the App Home's Settings button): the modal with a person's prompt
//! slot, time zone, who may see their reflections and a pause; saving it reschedules at once.

use super::{local_label, next_regular, zone};
use crate::domain::schedule::Slot;
use crate::services::Services;
use crate::slack::modals::{self, SettingsModal};
use crate::store::{Schedule, StoreError, Visibility};

/// The person's schedule, or a newcomer's default one.
async fn current(s: &Services, team: &str, user: &str) -> Result<Schedule, StoreError> {
    Ok(s.store
        .schedule(team, user)
        .await?
        .unwrap_or_else(|| Schedule::new(team, user, s.prompts.default_slot)))
}

/// Opens the settings modal with what the person has now.
pub async fn open(s: &Services, team: &str, user: &str, trigger_id: &str) -> bool {
    let schedule = match current(s, team, user).await {
        Ok(schedule) => schedule,
        Err(e) => {
            tracing::warn!(error = %e, "could not read a schedule");
            return false;
        }
    };
    let person = s.store.person(team, user).await.ok().flatten();
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
    s.workspaces
        .open_view(team, trigger_id, modals::settings_modal(&modal))
        .await
}

/// What the person chose in the modal.
pub struct Chosen {
    pub slot: Slot,
    pub tz: Option<String>,
    pub paused_until: Option<chrono::NaiveDate>,
    pub reflections: Visibility,
    pub monthly: bool,
}

/// Saves what the person chose and reschedules their next prompt at once.
pub async fn save(s: &Services, team: &str, user: &str, chosen: Chosen) -> Result<(), StoreError> {
    let now = s.clock.now();
    let mut schedule = current(s, team, user).await?;
    schedule.slot = chosen.slot;
    schedule.tz = chosen.tz;
    schedule.paused_until = chosen.paused_until;
    schedule.reflections = chosen.reflections;
    schedule.monthly_summary = chosen.monthly;
    schedule.snoozed = false;
    let person = s.store.person(team, user).await?;
    schedule.next = zone(&schedule, person.as_ref())
        .and_then(|tz| next_regular(&schedule, tz, &s.prompts.quiet_days, now));
    s.store.save_schedule(&schedule, now, true).await?;
    tracing::info!(next = ?schedule.next.map(|n| n.at), "prompt settings saved");
    Ok(())
}
