//! The weekly reflection prompts' pass: newcomers get a schedule, due prompts are written to the
//! outbox, and each schedule moves on to its next slot. `jobs::scheduler` runs one pass every
//! half minute in `cairn serve`, and once in `cairn jobs run-once --now`.
//!
//! Replicas share the work through leases on schedule rows, and the store's key on (person,
//! kind, local date) makes a second prompt for one local date impossible, whatever races.

use super::{next_regular, zone};
use crate::config;
use crate::domain::framework::Framework;
use crate::domain::growth::{Growth, Viewer};
use crate::domain::period::Period;
use crate::domain::schedule::Occurrence;
use crate::services::people::People;
use crate::services::summaries::{self, Ask, SummaryError, What};
use crate::slack::messages::prompts::{self, Gap, WeekKudos, WeeklyPrompt};
use crate::store::{
    Delivery, DueSchedule, Item, Person, Prompt, Schedule, Source, Store, StoreError,
};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// How long a claimed schedule is held before another replica may take it over.
const LEASE: Duration = Duration::minutes(5);
/// A prompt later than this (Cairn was down) is not sent; the next slot is.
pub const LATE_LIMIT: Duration = Duration::hours(24);
/// Schedules claimed at once.
const BATCH: i64 = 200;
/// Newcomers given a schedule per pass.
const NEWCOMERS: i64 = 500;
/// Profiles asked of Slack per pass for newcomers whose time zone is unknown.
const PROFILE_LOOKUPS: usize = 50;
const LOOKUP_BUDGET: std::time::Duration = std::time::Duration::from_secs(5);

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// Newcomers given their first slot.
    pub scheduled: usize,
    pub prompted: usize,
    /// Due prompts not sent because they were more than a day late.
    pub late: usize,
    /// Due prompts not sent because the person is a bot, deactivated or unknown.
    pub held: usize,
}

#[derive(Clone)]
pub struct Weekly {
    store: Arc<dyn Store>,
    people: People,
    framework: Arc<Framework>,
    settings: Arc<config::Prompts>,
    /// Where the next pass starts among newcomers whose time zone is unknown.
    rotation: Arc<AtomicUsize>,
}

impl Weekly {
    pub fn new(
        store: Arc<dyn Store>,
        people: People,
        framework: Arc<Framework>,
        settings: Arc<config::Prompts>,
    ) -> Self {
        Weekly {
            store,
            people,
            framework,
            settings,
            rotation: Arc::default(),
        }
    }

    /// One pass as if the time were `now`.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Sent, StoreError> {
        let mut pass = Sent {
            scheduled: self.schedule_newcomers(now).await?,
            ..Sent::default()
        };
        loop {
            let due = self.store.claim_schedules(now, now + LEASE, BATCH).await?;
            let claimed = due.len();
            // The items the prompts show, read for the whole batch at once.
            let people: Vec<(String, String)> = due
                .iter()
                .map(|d| (d.schedule.team_id.clone(), d.schedule.user_id.clone()))
                .collect();
            let since = now - Duration::weeks(i64::from(self.settings.gap_weeks.max(1)));
            let mut items = self.store.items_about_many(&people, since, now).await?;
            let mut finished = Vec::with_capacity(claimed);
            for (d, key) in due.into_iter().zip(&people) {
                let items = items.remove(key).unwrap_or_default();
                finished.push(self.fire(d, items, now, &mut pass).await?);
            }
            self.store.finish_schedules(&finished, now).await?;
            if claimed < BATCH as usize {
                return Ok(pass);
            }
        }
    }

    /// Gives people Cairn knows their first slot: the next one after now, never an immediate
    /// prompt. Profiles with no time zone are asked of Slack first, a few per pass.
    async fn schedule_newcomers(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let newcomers = self.store.unscheduled_people(NEWCOMERS).await?;
        let unknown: Vec<&Person> = newcomers.iter().filter(|p| p.tz.is_none()).collect();
        // A different few each pass, so people Slack cannot tell about do not hold up the rest.
        let start = self.rotation.fetch_add(PROFILE_LOOKUPS, Ordering::Relaxed);
        let unknown: Vec<&Person> = (0..PROFILE_LOOKUPS.min(unknown.len()))
            .map(|i| unknown[(start + i) % unknown.len()])
            .collect();
        let mut learnt = std::collections::HashMap::new();
        for team in unknown
            .iter()
            .map(|p| p.team_id.as_str())
            .collect::<HashSet<_>>()
        {
            let users: Vec<String> = unknown
                .iter()
                .filter(|p| p.team_id == team)
                .map(|p| p.user_id.clone())
                .collect();
            for (user, person) in self.people.lookup(team, &users, LOOKUP_BUDGET).await {
                learnt.insert((team.to_owned(), user), person);
            }
        }
        let mut scheduled = 0;
        for person in &newcomers {
            let person = learnt
                .get(&(person.team_id.clone(), person.user_id.clone()))
                .unwrap_or(person);
            if person.is_bot || person.deleted {
                continue;
            }
            let stored = self
                .store
                .schedule(&person.team_id, &person.user_id)
                .await?;
            let waiting = stored.is_some();
            let mut s = stored.unwrap_or_else(|| {
                Schedule::new(&person.team_id, &person.user_id, self.settings.default_slot)
            });
            // Someone whose time zone is not known yet (named by the org chart, say) waits for
            // their profile, looked up a few at a time, rather than getting a slot that never fires.
            let Some(tz) = zone(&s, Some(person)) else {
                continue;
            };
            s.next = next_regular(&s, tz, &self.settings.quiet_days, now);
            scheduled += usize::from(s.next.is_some());
            if waiting {
                // A stored schedule that was waiting for a time zone gets its slot; its
                // settings stay as they are.
                self.store
                    .finish_schedules(&[(s.clone(), Vec::new())], now)
                    .await?;
            } else {
                self.store.save_schedule(&s, now, false).await?;
            }
        }
        Ok(scheduled)
    }

    /// What a due schedule sends, and the schedule moved on; the caller stores a batch at once.
    async fn fire(
        &self,
        due: DueSchedule,
        items: Vec<Item>,
        now: DateTime<Utc>,
        pass: &mut Sent,
    ) -> Result<(Schedule, Vec<Prompt>), StoreError> {
        let DueSchedule { schedule, person } = due;
        let Some(occurrence) = schedule.next else {
            return Ok((schedule, Vec::new()));
        };
        let active = person.as_ref().is_some_and(|p| !p.is_bot && !p.deleted);
        let late = now - occurrence.at > LATE_LIMIT;
        let send = active && !late;
        let mut after = schedule.clone();
        after.snoozed = false;
        if send {
            after.last_local_date = Some(occurrence.local_date);
        }
        let tz = zone(&schedule, person.as_ref());
        after.next = tz.and_then(|tz| next_regular(&after, tz, &self.settings.quiet_days, now));
        let mut prompts = Vec::new();
        if send {
            pass.prompted += 1;
            prompts.push(self.weekly_prompt(&schedule, person.as_ref(), &items, occurrence, now));
            // The first prompt of a new local month brings the monthly summary along.
            let new_month = schedule.last_local_date.is_some_and(|last| {
                (last.year(), last.month())
                    != (occurrence.local_date.year(), occurrence.local_date.month())
            });
            if schedule.monthly_summary && new_month {
                prompts.push(self.monthly_summary(&schedule, occurrence).await?);
            }
        } else if late {
            pass.late += 1;
        } else {
            pass.held += 1;
        }
        Ok((after, prompts))
    }

    async fn monthly_summary(
        &self,
        schedule: &Schedule,
        occurrence: Occurrence,
    ) -> Result<Prompt, StoreError> {
        let today = occurrence.local_date;
        let recent = Period::last_days(today, 29);
        let before = Period {
            from: recent.from - Duration::days(90),
            to: recent.from - Duration::days(1),
        };
        let mut summaries = Vec::new();
        for period in [recent, before] {
            let ask = Ask {
                team: &schedule.team_id,
                subject: &schedule.user_id,
                period,
                viewer: Viewer::Person {
                    user: schedule.user_id.clone(),
                    admin: false,
                },
                what: What::Summary,
            };
            let report = summaries::one(self.store.as_ref(), &self.framework, ask, occurrence.at)
                .await
                .map_err(|e| match e {
                    SummaryError::Store(e) => e,
                    SummaryError::Refused(r) => StoreError::Invalid(r.to_string()),
                })?;
            summaries.push(report.growth);
        }
        let thinnest = thinnest(&self.framework, &summaries[0], &summaries[1], today);
        let (text, blocks) = prompts::monthly_summary(
            &self.framework,
            &summaries[0],
            &summaries[1],
            thinnest.as_ref(),
        );
        let first_of_month = today.with_day(1).unwrap_or(today);
        Ok(Prompt {
            kind: "monthly",
            local_date: first_of_month,
            delivery: Delivery {
                slot: None,
                action: Default::default(),
                key: format!("monthly:{first_of_month}"),
                channel: schedule.user_id.clone(),
                text,
                blocks,
            },
        })
    }

    /// `items`: those about the person over the last `gap_weeks` up to `now`.
    fn weekly_prompt(
        &self,
        schedule: &Schedule,
        person: Option<&Person>,
        items: &[Item],
        occurrence: Occurrence,
        now: DateTime<Utc>,
    ) -> Prompt {
        let gap_weeks = self.settings.gap_weeks.max(1);
        let week_start = now - Duration::days(7);
        let this_week: Vec<_> = items
            .iter()
            .filter(|i| i.occurred_at >= week_start)
            .collect();
        let kudos = this_week
            .iter()
            .filter(|i| i.source == Source::Kudos)
            .map(|i| WeekKudos {
                giver: i.author.clone(),
                text: i.text.clone(),
                competencies: i
                    .competencies
                    .iter()
                    .map(|c| {
                        self.framework
                            .competency(c)
                            .map_or_else(|| c.clone(), |c| c.name.clone())
                    })
                    .collect(),
            })
            .collect();
        let lighter = this_week.iter().any(|i| i.source != Source::Kudos);
        let seen: HashSet<&str> = items
            .iter()
            .flat_map(|i| i.competencies.iter().map(String::as_str))
            .collect();
        let gap = (!lighter)
            .then(|| gap(&self.framework, &seen, occurrence.local_date, gap_weeks))
            .flatten();
        let content = WeeklyPrompt {
            name: person.and_then(first_name),
            kudos,
            gap,
            lighter,
            local_date: occurrence.local_date.to_string(),
        };
        let (text, blocks) = prompts::weekly_prompt(&content);
        Prompt {
            kind: "weekly",
            local_date: occurrence.local_date,
            delivery: Delivery {
                slot: None,
                action: Default::default(),
                key: format!("prompt:{}", occurrence.local_date),
                channel: schedule.user_id.clone(),
                text,
                blocks,
            },
        }
    }
}

/// One competency without evidence lately and one of its prompts; which one turns with the
/// week, so the gap line does not repeat itself.
fn gap(framework: &Framework, seen: &HashSet<&str>, date: NaiveDate, weeks: u32) -> Option<Gap> {
    let missing: Vec<_> = framework
        .competencies
        .iter()
        .filter(|c| !c.deprecated && !c.prompts.is_empty() && !seen.contains(c.id.as_str()))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let week = date.iso_week().week() as usize + date.iso_week().year() as usize * 53;
    let c = missing[week % missing.len()];
    Some(Gap {
        tag: c.tags.first().cloned().unwrap_or_else(|| c.id.clone()),
        weeks,
        prompt: c.prompts[week % c.prompts.len()].clone(),
    })
}

/// The competency with the fewest items over both periods (ties: framework order), with one of
/// its prompts.
fn thinnest(
    framework: &Framework,
    recent: &Growth,
    before: &Growth,
    date: NaiveDate,
) -> Option<Gap> {
    let count = |s: &Growth, id: &str| {
        s.competencies
            .iter()
            .find(|c| c.id == id)
            .map_or(0, |c| c.items)
    };
    let c = framework
        .competencies
        .iter()
        .filter(|c| !c.deprecated && !c.prompts.is_empty())
        .min_by_key(|c| count(recent, &c.id) + count(before, &c.id))?;
    let week = date.iso_week().week() as usize;
    Some(Gap {
        tag: c.tags.first().cloned().unwrap_or_else(|| c.id.clone()),
        weeks: 0,
        prompt: c.prompts[week % c.prompts.len()].clone(),
    })
}

fn first_name(person: &Person) -> Option<String> {
    person
        .real_name
        .as_deref()
        .and_then(|n| n.split_whitespace().next())
        .or(person.name.as_deref())
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
}
