//! Weekly reflection prompts: the pass that sends them (`weekly`, run by `jobs::scheduler`), and
//! what a person does with them: the buttons (Reflect, Snooze, Skip), their own prompt
//! settings, and a reply kept as a reflection.

pub mod buttons;
pub mod replies;
pub mod settings;
pub mod weekly;

use crate::domain::schedule::{self, Limits, Occurrence};
use crate::domain::tz::Tz;
use crate::store::{Person, Schedule};
use chrono::{DateTime, NaiveDate, Utc};

/// The zone a schedule runs in: the person's override, else their Slack profile's.
pub fn zone(schedule: &Schedule, person: Option<&Person>) -> Option<Tz> {
    let name = schedule
        .tz
        .as_deref()
        .or_else(|| person.and_then(|p| p.tz.as_deref()))?;
    schedule::parse_tz(name).ok()
}

/// When a prompt comes, in the person's words: "Friday 9 January, 15:00".
pub fn local_label(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%A %-d %B, %H:%M").to_string()
}

/// The next firing of `schedule` after `after`, by its slot and limits (not a snooze).
pub fn next_regular(
    schedule: &Schedule,
    tz: Tz,
    quiet_days: &[NaiveDate],
    after: DateTime<Utc>,
) -> Option<Occurrence> {
    let limits = Limits {
        quiet_days,
        paused_until: schedule.paused_until,
        last: schedule.last_local_date,
    };
    schedule::next_fire(&schedule.slot, tz, after, &limits)
}
