//! Digests the scheduler pass (`jobs::scheduler`) sends besides the weekly prompts: a manager's digest some days
//! before each review cycle, and the opt-in weekly team digest to a channel.
//!
//! Both are prompts in the store's sense: recorded once per recipient, kind and date with their
//! outbox message in one transaction, so replicas and restarts never send one twice. What is
//! known to be finished is remembered in memory, so a quiet pass asks the database nothing.

use crate::config::{self, ReviewDigests, TeamDigest};
use crate::domain::framework::Framework;
use crate::domain::growth::{Viewer, Visibility};
use crate::domain::period::Period;
use crate::domain::review;
use crate::domain::schedule;
use crate::domain::tz::Tz;
use crate::services::summaries::{self, AskMany, What};
use crate::slack::messages::digests as message;
use crate::store::{Delivery, KudosQuery, Manager, Prompt, Store, StoreError};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

pub const REVIEW_DIGEST: &str = "review_digest";
pub const TEAM_DIGEST: &str = "team_digest";
/// The widest offsets from UTC of any zone: a digest due "somewhere" is due within these.
const EARLIEST_OFFSET: Duration = Duration::hours(14);
const LATEST_OFFSET: Duration = Duration::hours(12);
/// How soon a manager who is paused, or whose night it is, is looked at again.
const RECHECK: Duration = Duration::minutes(10);
/// A team digest later than this (Cairn was down) waits for next week.
const TEAM_DIGEST_LATE: Duration = Duration::hours(24);
/// Kudos read at a time for a team digest.
const TEAM_DIGEST_PAGE: i64 = 500;

/// A digest known to be finished: (workspace, kind, date).
type Finished = (String, &'static str, NaiveDate);

/// What one pass sent.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub review: usize,
    pub team: usize,
}

#[derive(Clone)]
pub struct Digests {
    store: Arc<dyn Store>,
    framework: Arc<Framework>,
    review: Option<ReviewDigests>,
    team: Option<TeamDigest>,
    /// (workspace, kind, date) known to be finished.
    done: Arc<Mutex<HashSet<Finished>>>,
    /// (workspace, kind, date) with managers still waiting, and when the first of them is due:
    /// passes before then ask the database nothing.
    wake: Arc<Mutex<HashMap<Finished, DateTime<Utc>>>>,
}

impl Digests {
    pub fn new(
        store: Arc<dyn Store>,
        framework: Arc<Framework>,
        settings: config::Digests,
    ) -> Self {
        Digests {
            store,
            framework,
            review: settings.review,
            team: settings.team,
            done: Arc::default(),
            wake: Arc::default(),
        }
    }

    fn is_done(&self, team: &str, kind: &'static str, date: NaiveDate) -> bool {
        self.done
            .lock()
            .is_ok_and(|d| d.contains(&(team.to_owned(), kind, date)))
    }

    /// Whether nothing for (team, kind, date) can be due before `now`'s remembered wake-up.
    fn sleeping(
        &self,
        team: &str,
        kind: &'static str,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> bool {
        self.wake.lock().is_ok_and(|w| {
            w.get(&(team.to_owned(), kind, date))
                .is_some_and(|at| now < *at)
        })
    }

    fn finish(&self, team: &str, kind: &'static str, date: NaiveDate) {
        if let Ok(mut d) = self.done.lock() {
            d.insert((team.to_owned(), kind, date));
        }
    }

    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Sent, StoreError> {
        let mut sent = Sent::default();
        if self.review.is_none() && self.team.is_none() {
            return Ok(sent);
        }
        let due_reviews = self.reviews_in_window(now);
        let team_week = self.team_week(now);
        if due_reviews.is_empty() && team_week.is_none() {
            return Ok(sent);
        }
        for team in self.store.workspaces().await? {
            for &date in &due_reviews {
                if !self.is_done(&team, REVIEW_DIGEST, date)
                    && !self.sleeping(&team, REVIEW_DIGEST, date, now)
                {
                    sent.review += self.review_digests(&team, date, now).await?;
                }
            }
            if let Some((at, date)) = team_week {
                if !self.is_done(&team, TEAM_DIGEST, date) {
                    sent.team += self.team_digest(&team, at, date, now).await?;
                }
            }
        }
        Ok(sent)
    }

    /// Review dates whose digest window is open in some zone at `now`.
    fn reviews_in_window(&self, now: DateTime<Utc>) -> Vec<NaiveDate> {
        let Some(r) = &self.review else {
            return Vec::new();
        };
        let today = now.date_naive();
        let ahead = Duration::days(i64::from(r.days_before) + 2);
        r.cycles
            .between(today - Duration::days(1), today + ahead)
            .into_iter()
            .filter(|&date| {
                let opens = review::digest_at(date, r.days_before, Tz::UTC)
                    .is_some_and(|at| now >= at - EARLIEST_OFFSET);
                let closes = date
                    .and_hms_opt(0, 0, 0)
                    .map(|d| d.and_utc() + LATEST_OFFSET)
                    .is_some_and(|end| now < end);
                opens && closes
            })
            .collect()
    }

    /// Sends each manager in `team` who has not had it the digest for `date`, once their
    /// local morning has come; remembers the review as finished when nobody is left.
    async fn review_digests(
        &self,
        team: &str,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let Some(r) = &self.review else {
            return Ok(0);
        };
        let managers = self.store.managers(team).await?;
        let had = self.store.prompted(team, REVIEW_DIGEST, date).await?;
        // The earliest a waiting manager may be due; paused managers and nights are looked at
        // again every few minutes, and the org chart at least hourly.
        let mut wake: Option<DateTime<Utc>> = None;
        let mut prompts = Vec::new();
        for m in managers
            .iter()
            .filter(|m| m.active && !had.contains(&m.user_id))
        {
            let tz =
                m.tz.as_deref()
                    .and_then(|t| schedule::parse_tz(t).ok())
                    .unwrap_or(Tz::UTC);
            let local_today = now.with_timezone(&tz).date_naive();
            if local_today >= date {
                continue;
            }
            let paused = m.paused_until.is_some_and(|p| local_today < p);
            if paused || !review::digest_due(date, r.days_before, tz, now) {
                let at = match review::digest_at(date, r.days_before, tz) {
                    Some(at) if !paused && now < at => at,
                    _ => now + RECHECK,
                };
                wake = Some(wake.map_or(at, |w| w.min(at)).min(now + Duration::hours(1)));
                continue;
            }
            prompts.push((
                m.user_id.clone(),
                self.digest_for(team, m, date, local_today, now).await?,
            ));
        }
        let sent = self.store.send_prompts(team, &prompts, now).await?;
        match wake {
            None => self.finish(team, REVIEW_DIGEST, date),
            Some(at) => {
                if let Ok(mut w) = self.wake.lock() {
                    w.insert((team.to_owned(), REVIEW_DIGEST, date), at);
                }
            }
        }
        Ok(sent)
    }

    async fn digest_for(
        &self,
        team: &str,
        manager: &Manager,
        date: NaiveDate,
        local_today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Prompt, StoreError> {
        let period = Period::default_ending(local_today);
        let ask = AskMany {
            team,
            subjects: &manager.reports,
            period,
            viewer: Viewer::Person {
                user: manager.user_id.clone(),
                admin: false,
            },
            what: What::Summary,
        };
        let reports = summaries::many(self.store.as_ref(), &self.framework, ask, now).await?;
        // A report the org chart no longer puts under this manager is left out.
        let mut reports: Vec<_> = reports.into_iter().filter_map(Result::ok).collect();
        crate::services::team::sort_by_name(&mut reports);
        let summaries: Vec<&_> = reports.iter().collect();
        let (text, blocks) = message::review_digest(&self.framework, date, period, &summaries);
        Ok(Prompt {
            kind: REVIEW_DIGEST,
            local_date: date,
            delivery: Delivery {
                slot: None,
                action: Default::default(),
                key: format!("{REVIEW_DIGEST}:{date}"),
                channel: manager.user_id.clone(),
                text,
                blocks,
            },
        })
    }

    /// The team digest's latest firing within the last day, with its local date.
    fn team_week(&self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, NaiveDate)> {
        let t = self.team.as_ref()?;
        let mut latest = None;
        let mut after = now - TEAM_DIGEST_LATE;
        // Bounded: a cron firing every minute still ends within a day's minutes.
        for _ in 0..=24 * 60 {
            match t.cron.next_after(t.tz, after) {
                Some(next) if next <= now => {
                    latest = Some(next);
                    after = next;
                }
                _ => break,
            }
        }
        latest.map(|at| (at, at.with_timezone(&t.tz).date_naive()))
    }

    /// The week's public kudos in `team`, grouped by competency, to `team`'s digest channel.
    async fn team_digest(
        &self,
        team: &str,
        at: DateTime<Utc>,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let Some(t) = &self.team else {
            return Ok(0);
        };
        // A workspace without a channel of its own gets no digest (and costs no query).
        let Some(channel) = t.channel_for(team) else {
            return Ok(0);
        };
        // Recorded per (workspace, channel): a restart with another channel for this workspace
        // still sends this week's digest there, once.
        if self
            .store
            .prompted(team, TEAM_DIGEST, date)
            .await?
            .contains(channel)
        {
            self.finish(team, TEAM_DIGEST, date);
            return Ok(0);
        }
        let from = at - Duration::days(7);
        // Every kudos of the week, page by page: the "and N more" of a busy competency counts
        // them all.
        let mut kudos = Vec::new();
        let mut before_id = None;
        loop {
            let page = self
                .store
                .list_kudos(&KudosQuery {
                    team_id: team.to_owned(),
                    user: None,
                    role: None,
                    from: Some(from),
                    to: Some(at),
                    limit: TEAM_DIGEST_PAGE,
                    before_id,
                    include_private: false,
                })
                .await?;
            kudos.extend(page.items);
            match page.next_cursor {
                Some(cursor) => before_id = Some(cursor),
                None => break,
            }
        }
        // Only what the whole team could see already: never a manager-only kudos.
        kudos.retain(|k| k.visibility == Visibility::Public);
        let mut sent = 0;
        if !kudos.is_empty() {
            let mut people: Vec<String> = kudos
                .iter()
                .flat_map(|k| std::iter::once(k.giver.clone()).chain(k.recipients.clone()))
                .collect();
            for k in &kudos {
                people.extend(mentioned(&k.text));
            }
            people.sort();
            people.dedup();
            let names: HashMap<String, String> = self
                .store
                .org_people(team, &people)
                .await?
                .into_iter()
                .filter_map(|(u, p)| p.name.map(|n| (u, n)))
                .collect();
            let week = Period {
                from: from.with_timezone(&t.tz).date_naive(),
                to: (at - Duration::seconds(1))
                    .with_timezone(&t.tz)
                    .date_naive(),
            };
            let (text, blocks) = message::team_digest(&self.framework, week, &kudos, &names);
            let prompt = Prompt {
                kind: TEAM_DIGEST,
                local_date: date,
                delivery: Delivery {
                    slot: None,
                    action: Default::default(),
                    key: format!("{TEAM_DIGEST}:{date}"),
                    channel: channel.to_owned(),
                    text,
                    blocks,
                },
            };
            sent = self
                .store
                .send_prompts(team, &[(channel.to_owned(), prompt)], now)
                .await?;
        }
        self.finish(team, TEAM_DIGEST, date);
        Ok(sent)
    }
}

/// People mentioned in wire text.
fn mentioned(wire: &str) -> Vec<String> {
    crate::domain::markup::tokenize(wire)
        .into_iter()
        .filter_map(|t| match t {
            crate::domain::markup::Token::User { id, .. } => Some(id.to_string()),
            _ => None,
        })
        .collect()
}
