//! When reflection prompts and admin digests fire: weekly slots in a person's IANA time zone,
//! and standard 5-field cron expressions for admin-defined cadences.
//!
//! Everything here is pure: every "now" is a parameter, so the job runner, the settings form
//! and the tests all ask the same questions with the same answers.
//!
//! Rules, in the order [`next_fire`] applies them:
//! - the configured time is clamped into [08:00, 21:00) local time ([`clamp_time`]);
//! - the slot is resolved on each candidate local date ([`resolve_local`]): a time in a
//!   spring-forward gap moves to the first instant after the gap, a time that happens twice
//!   fires once, at the earlier instant;
//! - a candidate is dropped when its local date does not exist, when a gap pushed it onto
//!   another date or to 21:00 or later, when it is a quiet day, when it is before
//!   `paused_until`, or when it is too close to the last prompt for the cadence. The next
//!   regular slot is used instead; nothing is moved to another day.

use super::growth::Visibility;
use super::tz::Tz;
use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
    Weekday,
};

/// How often a person is prompted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cadence {
    Weekly,
    /// Every two weeks, counted from the last prompt (see [`Limits::last`]).
    Fortnightly,
    Off,
}

impl Cadence {
    /// The stored spelling; [`Cadence::parse`] reads it back.
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Weekly => "weekly",
            Cadence::Fortnightly => "fortnightly",
            Cadence::Off => "off",
        }
    }

    /// Reads `weekly`, `fortnightly` or `off`, in any case.
    pub fn parse(text: &str) -> Result<Cadence, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "weekly" => Ok(Cadence::Weekly),
            "fortnightly" => Ok(Cadence::Fortnightly),
            "off" => Ok(Cadence::Off),
            _ => Err(format!(
                "'{}' is not a cadence: use weekly, fortnightly or off",
                text.trim()
            )),
        }
    }
}

/// A person's prompt slot: a weekday and a local wall-clock time, in the person's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub weekday: Weekday,
    /// Local wall-clock time. Stored as configured; [`next_fire`] clamps it.
    pub time: NaiveTime,
    pub cadence: Cadence,
}

impl Slot {
    /// The workspace default: Friday 15:00, weekly.
    pub const DEFAULT: Slot = Slot {
        weekday: Weekday::Fri,
        time: hm(15, 0),
        cadence: Cadence::Weekly,
    };

    /// Reads a slot from the settings form. Unlike [`next_fire`], which clamps silently, this
    /// refuses a time outside [08:00, 21:00) so the person sees what will really happen.
    pub fn parse(weekday: &str, time: &str, cadence: &str) -> Result<Slot, String> {
        let weekday = parse_weekday(weekday)?;
        let time = parse_time(time)?;
        if clamp_time(time) != time {
            return Err(format!(
                "{} is outside prompt hours: pick a time from {} to {}",
                time.format("%H:%M"),
                EARLIEST.format("%H:%M"),
                LATEST.format("%H:%M")
            ));
        }
        let cadence = Cadence::parse(cadence)?;
        Ok(Slot {
            weekday,
            time,
            cadence,
        })
    }
}

/// One prompt: when it fires, and the local calendar date it belongs to (the store's unique
/// key per person, so a prompt can never be sent twice for one local date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occurrence {
    pub at: DateTime<Utc>,
    pub local_date: NaiveDate,
}

/// What can hold a slot back. All dates are local dates in the person's zone.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits<'a> {
    /// Company holidays: an occurrence on one of these is skipped, not moved.
    pub quiet_days: &'a [NaiveDate],
    /// Occurrences on local dates before this one are skipped.
    pub paused_until: Option<NaiveDate>,
    /// Local date of the last prompt sent. Weekly: the next one is on a later date.
    /// Fortnightly: on a date at least 14 days later. A skipped occurrence is not a prompt,
    /// so a fortnightly slot whose due date is a quiet day fires a week later, not two.
    pub last: Option<NaiveDate>,
}

impl Limits<'_> {
    pub const NONE: Limits<'static> = Limits {
        quiet_days: &[],
        paused_until: None,
        last: None,
    };
}

/// The earliest local time a prompt may fire.
pub const EARLIEST: NaiveTime = hm(8, 0);
/// The latest configured time kept as it is. Prompts must fire before 21:00; a configured
/// 21:00 or later becomes 20:59, the last whole minute before, rather than 08:00 the next
/// day, so the prompt stays on the weekday the person chose.
pub const LATEST: NaiveTime = hm(20, 59);
/// Prompts fire strictly before this local time.
const CUTOFF: NaiveTime = hm(21, 0);

const fn hm(hour: u32, minute: u32) -> NaiveTime {
    match NaiveTime::from_hms_opt(hour, minute, 0) {
        Some(time) => time,
        None => panic!("hour or minute out of range"),
    }
}

/// Moves a configured time into prompt hours: before 08:00 becomes 08:00, 21:00 or later
/// becomes 20:59 (see [`LATEST`]).
pub fn clamp_time(time: NaiveTime) -> NaiveTime {
    if time < EARLIEST {
        EARLIEST
    } else if time >= CUTOFF {
        LATEST
    } else {
        time
    }
}

/// Whether `at` is within prompt hours in `tz`: 08:00 <= local time < 21:00.
pub fn local_hour_allowed(at: DateTime<Utc>, tz: Tz) -> bool {
    hour_allowed_in(at, &tz)
}

fn hour_allowed_in<Z: Zone>(at: DateTime<Utc>, tz: &Z) -> bool {
    let local = at.with_timezone(tz).time();
    (EARLIEST..CUTOFF).contains(&local)
}

/// An IANA zone name as Slack gives it, e.g. `America/New_York`.
pub fn parse_tz(name: &str) -> Result<Tz, String> {
    name.trim().parse::<Tz>().map_err(|_| {
        format!(
            "'{}' is not an IANA time zone name: use a name such as Europe/Berlin or America/New_York",
            name.trim()
        )
    })
}

/// A 24-hour `HH:MM` (or `H:MM`) time.
pub fn parse_time(text: &str) -> Result<NaiveTime, String> {
    let t = text.trim();
    let bad =
        || format!("'{t}' is not a time: use 24-hour HH:MM, e.g. 15:00 for three in the afternoon");
    let (hour, minute) = t.split_once(':').ok_or_else(bad)?;
    let number = |s: &str, lengths: std::ops::RangeInclusive<usize>| {
        (lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    let (Some(hour), Some(minute)) = (number(hour, 1..=2), number(minute, 2..=2)) else {
        return Err(bad());
    };
    NaiveTime::from_hms_opt(hour, minute, 0).ok_or_else(|| {
        format!("'{t}' is not a time: hours go from 00 to 23 and minutes from 00 to 59")
    })
}

/// A weekday in English, full or three letters, in any case: `friday`, `Fri`.
pub fn parse_weekday(text: &str) -> Result<Weekday, String> {
    const NAMES: [(&str, Weekday); 7] = [
        ("monday", Weekday::Mon),
        ("tuesday", Weekday::Tue),
        ("wednesday", Weekday::Wed),
        ("thursday", Weekday::Thu),
        ("friday", Weekday::Fri),
        ("saturday", Weekday::Sat),
        ("sunday", Weekday::Sun),
    ];
    let t = text.trim().to_ascii_lowercase();
    NAMES
        .iter()
        .find(|(name, _)| t == *name || t == name[..3])
        .map(|(_, day)| *day)
        .ok_or_else(|| {
            format!(
                "'{}' is not a weekday: use monday to sunday, or mon to sun",
                text.trim()
            )
        })
}

/// The instant of local wall-clock `time` on local `date` in `tz`.
///
/// A time that does not exist (spring-forward gap) gives the first instant after the gap;
/// a time that happens twice (fall-back) gives the earlier instant. The result's local date
/// can differ from `date` when the gap runs past midnight, e.g. Pacific/Apia skipped all of
/// 2011-12-30; callers that need the date to hold must check it. `None` only at the ends of
/// the zone database.
pub fn resolve_local(tz: Tz, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    resolve_in(&tz, date, time)
}

/// A zone that can say where a spring-forward gap ends. [`Tz`] is the only one outside tests;
/// the trait lets tests build a zone with a gap that no real zone has (e.g. across 21:00).
trait Zone: TimeZone {
    /// The first instant after the gap that `local` falls in.
    fn gap_end(&self, local: &NaiveDateTime) -> Option<DateTime<Utc>>;
}

impl Zone for Tz {
    fn gap_end(&self, local: &NaiveDateTime) -> Option<DateTime<Utc>> {
        Tz::gap_end(self, local)
    }
}

fn resolve_in<Z: Zone>(tz: &Z, date: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => Some(at.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
        LocalResult::None => tz.gap_end(&local),
    }
}

/// How many candidate weeks, beyond one per quiet day, [`next_fire`] looks at. Only a date
/// that does not exist or a gap past 21:00 can use one up, so this is far more than enough.
const SPARE_WEEKS: usize = 8;

/// The next prompt for `slot` in `tz` strictly after `after`, or `None` when the cadence is
/// `Off` (or the limits reach past the calendar). See the module docs for the rules.
pub fn next_fire(slot: &Slot, tz: Tz, after: DateTime<Utc>, limits: &Limits) -> Option<Occurrence> {
    next_fire_in(slot, &tz, after, limits)
}

fn next_fire_in<Z: Zone>(
    slot: &Slot,
    tz: &Z,
    after: DateTime<Utc>,
    limits: &Limits,
) -> Option<Occurrence> {
    let min_gap_days = match slot.cadence {
        Cadence::Off => return None,
        Cadence::Weekly => 1,
        Cadence::Fortnightly => 14,
    };
    let time = clamp_time(slot.time);
    // A fall-back overlap can repeat the end of the previous local date after `after`, so
    // the search starts a day early; the `at > after` check drops what has passed.
    let mut from = after.with_timezone(tz).date_naive().pred_opt()?;
    if let Some(last) = limits.last {
        from = from.max(last.checked_add_days(Days::new(min_gap_days))?);
    }
    if let Some(paused_until) = limits.paused_until {
        from = from.max(paused_until);
    }
    let mut date = on_or_after(from, slot.weekday)?;
    for _ in 0..limits.quiet_days.len() + SPARE_WEEKS {
        if !limits.quiet_days.contains(&date) {
            if let Some(at) = resolve_in(tz, date, time) {
                // A gap can carry the slot onto the next date or past 21:00; the store keys
                // on the local date and nobody is prompted at night, so that week is skipped.
                if at > after
                    && at.with_timezone(tz).date_naive() == date
                    && hour_allowed_in(at, tz)
                {
                    return Some(Occurrence {
                        at,
                        local_date: date,
                    });
                }
            }
        }
        date = date.checked_add_days(Days::new(7))?;
    }
    None
}

fn on_or_after(date: NaiveDate, weekday: Weekday) -> Option<NaiveDate> {
    let ahead = (7 + weekday.num_days_from_monday() - date.weekday().num_days_from_monday()) % 7;
    date.checked_add_days(Days::new(u64::from(ahead)))
}

/// An admin-defined cadence as a standard 5-field cron expression
/// (minute hour day-of-month month day-of-week), evaluated in local time.
///
/// Accepted: numbers, `*`, lists (`1,15`), ranges (`1-5`), steps (`*/15`) and English
/// month and weekday names (`JAN`, `MON`). Day-of-week 0 and 7 are Sunday. When both
/// day-of-month and day-of-week are restricted, either one matching is enough (Vixie cron).
/// Refused: seconds or year fields, `@weekly`-style nicknames and non-standard
/// extensions (`L`, `W`, `#`, `?`), so that what an admin writes means the same as
/// everywhere else.
///
/// Across DST changes (behaviour of `croner`, pinned by tests): an expression with one
/// fixed minute and hour ("fixed time") whose time falls in a spring-forward gap fires at
/// the first instant after the gap, and in a fall-back overlap fires once, at the earlier
/// instant. Any other expression (steps, lists, ranges or `*` in minute or hour) skips
/// wall-clock times inside a gap and fires at both instants of a repeated time.
#[derive(Debug, Clone)]
pub struct CronSpec {
    text: String,
    cron: croner::Cron,
}

impl CronSpec {
    pub fn parse(expr: &str) -> Result<CronSpec, String> {
        const FIELDS: [&str; 5] = ["minute", "hour", "day-of-month", "month", "day-of-week"];
        const MONTHS: [&str; 12] = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
        const HELP: &str =
            "write 5 fields: minute hour day-of-month month day-of-week, e.g. '0 9 * * 1' for Mondays at 09:00";

        let text = expr.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(format!("the cron expression is empty: {HELP}"));
        }
        if text.starts_with('@') {
            return Err(format!(
                "'{text}': nicknames such as @weekly are not accepted; {HELP}"
            ));
        }
        let fields: Vec<&str> = text.split(' ').collect();
        match fields.len() {
            5 => {}
            6 | 7 => {
                return Err(format!(
                    "'{text}' has {} fields: seconds and years are not accepted; {HELP}",
                    fields.len()
                ))
            }
            n => return Err(format!("'{text}' has {n} fields; {HELP}")),
        }
        for (i, field) in fields.iter().enumerate() {
            for atom in field.split([',', '-', '/']) {
                let upper = atom.to_ascii_uppercase();
                let ok = atom == "*"
                    || atom.bytes().all(|b| b.is_ascii_digit())
                    || (i == 3 && MONTHS.contains(&upper.as_str()))
                    || (i == 4 && DAYS.contains(&upper.as_str()));
                if !ok {
                    return Err(format!(
                        "'{text}': the {} field '{field}' has '{atom}', which standard cron does not accept; \
                         use numbers, *, lists (1,15), ranges (1-5), steps (*/15) or names (JAN, MON)",
                        FIELDS[i]
                    ));
                }
            }
        }
        let parser = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Disallowed)
            .year(croner::parser::Year::Disallowed)
            .build();
        let cron = parser.parse(&text).map_err(|e| {
            // croner says what is wrong, not where: each field is tried alone, the others `*`.
            let alone = |i: usize| {
                let mut probe = ["*"; 5];
                probe[i] = fields[i];
                parser.parse(&probe.join(" ")).err().map(|e| (i, e))
            };
            let at = match (0..5).find_map(alone) {
                Some((i, e)) => {
                    format!(": the {} field '{}' is refused ({e})", FIELDS[i], fields[i])
                }
                None => format!(" ({e})"),
            };
            format!("'{text}' is not a valid cron expression{at}; {HELP}")
        })?;
        Ok(CronSpec { text, cron })
    }

    /// The expression as stored: the fields joined by single spaces.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first time strictly after `after` that the expression matches in `tz`'s local
    /// time, or `None` when nothing matches within croner's search limit (e.g. `0 0 30 2 *`).
    pub fn next_after(&self, tz: Tz, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // croner drops the fraction of a second and steps one second past `after`, so its
        // answer is strictly later; the filter only keeps that promise if croner changes.
        let next = self
            .cron
            .find_next_occurrence(&after.with_timezone(&tz), false)
            .ok()?
            .with_timezone(&Utc);
        (next > after).then_some(next)
    }
}

/// A person's reflection prompt schedule and settings (the maths is below).
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub team_id: String,
    pub user_id: String,
    pub slot: Slot,
    /// The person's own time zone; `None` follows their Slack profile.
    pub tz: Option<String>,
    pub paused_until: Option<NaiveDate>,
    /// Who may see the reflections they send: `Private` or `Manager`.
    pub reflections: Visibility,
    pub monthly_summary: bool,
    /// The next prompt; `None` when nothing is due (cadence off, or no time zone known).
    pub next: Option<Occurrence>,
    pub last_local_date: Option<NaiveDate>,
    /// `next` is a snooze of the last prompt rather than the regular slot.
    pub snoozed: bool,
}

impl Schedule {
    /// A newcomer's schedule: the workspace's default slot, nothing due yet.
    pub fn new(team_id: &str, user_id: &str, slot: Slot) -> Self {
        Schedule {
            team_id: team_id.to_owned(),
            user_id: user_id.to_owned(),
            slot,
            tz: None,
            paused_until: None,
            reflections: Visibility::Private,
            monthly_summary: true,
            next: None,
            last_local_date: None,
            snoozed: false,
        }
    }
}

#[cfg(test)]
mod tests;
