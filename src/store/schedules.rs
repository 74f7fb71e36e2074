//! Reflection prompt schedules, the prompts sent (each once per person, kind and local date)
//! and the record of who looked at whose summary.

use super::backend::{execute_all, Backend, Get};
use super::common::SqlStore;
use super::outbox::enqueue;
use super::people::person;
use super::sql::{in_chunks, insert_rows, stmt, Arg, Stmt};
use super::*;
use async_trait::async_trait;

/// Prompt schedules, prompts sent and summary views.
#[async_trait]
pub trait ScheduleStore: Send + Sync {
    async fn schedule(&self, team_id: &str, user_id: &str) -> Result<Option<Schedule>>;
    /// Stores a schedule; `replace` false keeps one that is already there (a newcomer's
    /// default never overwrites settings saved meanwhile).
    async fn save_schedule(
        &self,
        schedule: &Schedule,
        now: DateTime<Utc>,
        replace: bool,
    ) -> Result<()>;
    /// People Cairn knows (not bots, not deactivated) who have no schedule yet, or whose
    /// schedule waits for a time zone that is now known.
    async fn unscheduled_people(&self, limit: i64) -> Result<Vec<Person>>;
    /// Leases up to `limit` schedules due at `now` until `until`; another replica skips them.
    async fn claim_schedules(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DueSchedule>>;
    /// In one transaction, for each schedule: records its prompts (each once per person, kind
    /// and local date) with their messages in the outbox, stores its next firing and releases
    /// its lease. One commit for a whole claimed batch.
    async fn finish_schedules(
        &self,
        finished: &[(Schedule, Vec<Prompt>)],
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Who got a prompt of `kind` for `local_date`: user ids, or channels for a team digest.
    async fn prompted(
        &self,
        team_id: &str,
        kind: &str,
        local_date: NaiveDate,
    ) -> Result<HashSet<String>>;
    /// In one transaction, records prompts to recipients (each once per recipient, kind and
    /// local date) with their messages in the outbox; how many were new.
    async fn send_prompts(
        &self,
        team_id: &str,
        prompts: &[(String, Prompt)],
        now: DateTime<Utc>,
    ) -> Result<usize>;
    /// When the last weekly prompt (or monthly summary) was sent to a person since `since`.
    async fn last_prompt_since(
        &self,
        team_id: &str,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>>;
    /// Records looks at people's summaries, all or none (one commit for a review cycle).
    async fn record_views(&self, views: &[SummaryView]) -> Result<()>;
    /// Views of `subject`'s summary or packet since `since`, newest first.
    async fn views_of(
        &self,
        team_id: &str,
        subject: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<SummaryView>>;
}

const SCHEDULE_COLUMNS: &str = "team_id, user_id, weekday, local_time, cadence, tz, paused_until, reflections, monthly_summary,
     next_fire_at, next_local_date, last_local_date, snoozed";

fn schedule_select() -> String {
    format!("SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE team_id = $1 AND user_id = $2")
}

/// `replace` false: a row already there wins (`DO NOTHING`).
fn save_schedule(s: &Schedule, now: i64, replace: bool) -> Stmt {
    let conflict = if replace {
        "DO UPDATE SET weekday = excluded.weekday, local_time = excluded.local_time, cadence = excluded.cadence, tz = excluded.tz,
         paused_until = excluded.paused_until, reflections = excluded.reflections, monthly_summary = excluded.monthly_summary,
         next_fire_at = excluded.next_fire_at, next_local_date = excluded.next_local_date, last_local_date = excluded.last_local_date,
         snoozed = excluded.snoozed, locked_until = NULL, updated_at = excluded.updated_at"
    } else {
        "DO NOTHING"
    };
    let date = |d: Option<chrono::NaiveDate>| Arg::OptText(d.map(|d| d.to_string()));
    Stmt {
        sql: format!(
            "INSERT INTO schedules ({SCHEDULE_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (team_id, user_id) {conflict}"
        ),
        args: vec![
            Arg::Text(s.team_id.clone()),
            Arg::Text(s.user_id.clone()),
            Arg::Int(i64::from(s.slot.weekday.num_days_from_monday())),
            Arg::Text(s.slot.time.format("%H:%M").to_string()),
            Arg::Text(s.slot.cadence.as_str().to_owned()),
            Arg::OptText(s.tz.clone()),
            date(s.paused_until),
            Arg::Text(s.reflections.as_str().to_owned()),
            Arg::Bool(s.monthly_summary),
            Arg::OptInt(s.next.map(|n| millis(n.at))),
            date(s.next.map(|n| n.local_date)),
            date(s.last_local_date),
            Arg::Bool(s.snoozed),
            Arg::Int(now),
        ],
    }
}

/// People to give a first slot: those with no schedule, and those whose schedule waits for a
/// time zone that is now known. Those whose time zone is known come first: the others wait for
/// their profile.
const UNSCHEDULED_PEOPLE: &str =
    "SELECT p.team_id, p.user_id, p.name, p.real_name, p.tz, p.is_bot, p.deleted, p.updated_at
     FROM people p LEFT JOIN schedules s ON s.team_id = p.team_id AND s.user_id = p.user_id
     WHERE NOT p.is_bot AND NOT p.deleted
       AND (s.user_id IS NULL
            OR (s.next_fire_at IS NULL AND s.cadence <> 'off' AND (p.tz IS NOT NULL OR s.tz IS NOT NULL)))
     ORDER BY (p.tz IS NULL), p.team_id, p.user_id LIMIT $1";

/// Leases due schedules: `$1` now, `$2` lease end, `$3` limit; `lock` as for the outbox.
fn claim_schedules(lock: &str) -> String {
    format!(
        "UPDATE schedules SET locked_until = $2
         WHERE (team_id, user_id) IN (SELECT team_id, user_id FROM schedules
                WHERE next_fire_at <= $1 AND (locked_until IS NULL OR locked_until < $1)
                ORDER BY next_fire_at LIMIT $3 {lock})
         RETURNING {SCHEDULE_COLUMNS}"
    )
}

/// Records a batch's prompts, each at most once per person, kind and local date, returning
/// those newly recorded: one already there (another replica, a restart) comes back from none
/// of the statements, nor does a second copy within the batch.
fn insert_prompts(prompts: &[(&str, &str, &Prompt)], now: i64) -> Vec<Stmt> {
    let rows = prompts
        .iter()
        .map(|(team, user, p)| {
            vec![
                Arg::Text((*team).to_owned()),
                Arg::Text((*user).to_owned()),
                Arg::Text(p.kind.to_owned()),
                Arg::Text(p.local_date.to_string()),
                Arg::Int(now),
            ]
        })
        .collect();
    insert_rows(
        "prompts",
        &["team_id", "user_id", "kind", "local_date", "sent_at"],
        rows,
        " ON CONFLICT (team_id, user_id, kind, local_date) DO NOTHING RETURNING team_id, user_id, kind, local_date",
    )
}

/// Moves schedules on after their firing and releases their leases; their settings are left as
/// they are (a settings change made meanwhile is kept). One schedule at most once per batch.
fn advance_schedules(schedules: &[&Schedule], now: i64) -> Vec<Stmt> {
    let date = |d: Option<chrono::NaiveDate>| Arg::OptText(d.map(|d| d.to_string()));
    let rows = schedules
        .iter()
        .map(|s| {
            vec![
                Arg::Text(s.team_id.clone()),
                Arg::Text(s.user_id.clone()),
                Arg::OptInt(s.next.map(|n| millis(n.at))),
                date(s.next.map(|n| n.local_date)),
                date(s.last_local_date),
                Arg::Bool(s.snoozed),
                Arg::Int(now),
            ]
        })
        .collect();
    in_chunks(7, rows, |values| {
        format!(
            "WITH v (team_id, user_id, next_fire_at, next_local_date, last_local_date, snoozed, updated_at) AS (VALUES {values})
             UPDATE schedules SET next_fire_at = v.next_fire_at, next_local_date = v.next_local_date,
                 last_local_date = v.last_local_date, snoozed = v.snoozed, locked_until = NULL, updated_at = v.updated_at
             FROM v WHERE schedules.team_id = v.team_id AND schedules.user_id = v.user_id"
        )
    })
}

const LAST_PROMPT_SINCE: &str =
    "SELECT MAX(sent_at) FROM prompts WHERE team_id = $1 AND user_id = $2 AND sent_at >= $3
       AND kind IN ('weekly', 'monthly')";

const PROMPTED: &str =
    "SELECT user_id FROM prompts WHERE team_id = $1 AND kind = $2 AND local_date = $3";

fn schedule(row: &impl Get) -> Result<Schedule, sqlx::Error> {
    use crate::domain::schedule::{Cadence, Occurrence, Slot};
    let bad =
        |what: &str, value: &str| sqlx::Error::Decode(format!("schedules.{what}: {value}").into());
    let date = |column: &'static str| -> Result<Option<chrono::NaiveDate>, sqlx::Error> {
        let text: Option<String> = row.try_get(column)?;
        text.map(|t| t.parse().map_err(|_| bad(column, &t)))
            .transpose()
    };
    let weekday: i64 = row.try_get("weekday")?;
    let time: String = row.try_get("local_time")?;
    let cadence: String = row.try_get("cadence")?;
    let reflections: String = row.try_get("reflections")?;
    let next_at: Option<i64> = row.try_get("next_fire_at")?;
    let next_date = date("next_local_date")?;
    Ok(Schedule {
        team_id: row.try_get("team_id")?,
        user_id: row.try_get("user_id")?,
        slot: Slot {
            weekday: u8::try_from(weekday)
                .ok()
                .and_then(|d| chrono::Weekday::try_from(d).ok())
                .ok_or_else(|| bad("weekday", &weekday.to_string()))?,
            time: chrono::NaiveTime::parse_from_str(&time, "%H:%M")
                .map_err(|_| bad("local_time", &time))?,
            cadence: Cadence::parse(&cadence).map_err(|_| bad("cadence", &cadence))?,
        },
        tz: row.try_get("tz")?,
        paused_until: date("paused_until")?,
        reflections: Visibility::parse(&reflections).unwrap_or(Visibility::Private),
        monthly_summary: row.try_get("monthly_summary")?,
        next: match (next_at, next_date) {
            (Some(at), Some(local_date)) => Some(Occurrence {
                at: from_millis(at),
                local_date,
            }),
            _ => None,
        },
        last_local_date: date("last_local_date")?,
        snoozed: row.try_get("snoozed")?,
    })
}

fn record_views(views: &[SummaryView]) -> Vec<Stmt> {
    let rows = views
        .iter()
        .map(|v| {
            vec![
                Arg::Text(v.team_id.clone()),
                Arg::Text(v.subject.clone()),
                Arg::Text(v.viewer.clone()),
                Arg::Text(v.what.clone()),
                Arg::Text(v.via.clone()),
                Arg::Int(millis(v.viewed_at)),
            ]
        })
        .collect();
    insert_rows(
        "summary_views",
        &["team_id", "subject", "viewer", "what", "via", "viewed_at"],
        rows,
        "",
    )
}

const VIEWS_OF: &str = "SELECT team_id, subject, viewer, what, via, viewed_at FROM summary_views
     WHERE team_id = $1 AND subject = $2 AND viewed_at >= $3 ORDER BY viewed_at DESC LIMIT 50";

/// Records prompts, each at most once per recipient, kind and local date, and puts the
/// messages of those recorded just now in the outbox (a second copy within the batch goes out
/// once, as the first); how many were sent.
async fn record_prompts<DB: Backend>(
    tx: &mut DB::Connection,
    prompts: &[(&str, &str, &Prompt)],
    now: i64,
) -> Result<usize> {
    let key = |team: &str, user: &str, kind: &str, date: String| {
        (team.to_owned(), user.to_owned(), kind.to_owned(), date)
    };
    let mut recorded = std::collections::HashSet::new();
    for stmt in insert_prompts(prompts, now) {
        let rows = DB::fetch_all(&mut *tx, &stmt)
            .await
            .map_err(StoreError::from_sqlx)?;
        for row in &rows {
            let (team, user): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            let (kind, date): (String, String) = (row.try_get(2)?, row.try_get(3)?);
            recorded.insert(key(&team, &user, &kind, date));
        }
    }
    let deliveries: Vec<(&str, String, &Delivery)> = prompts
        .iter()
        .filter(|(team, user, p)| {
            recorded.remove(&key(team, user, p.kind, p.local_date.to_string()))
        })
        .map(|(team, user, p)| {
            let dedupe = format!("prompt:{}:{}:{}", p.kind, user, p.local_date);
            (*team, dedupe, &p.delivery)
        })
        .collect();
    execute_all::<DB>(&mut *tx, &enqueue(&deliveries, now)).await?;
    Ok(deliveries.len())
}

#[async_trait]
impl<DB: Backend> ScheduleStore for SqlStore<DB> {
    async fn schedule(&self, team_id: &str, user_id: &str) -> Result<Option<Schedule>> {
        let args = vec![Arg::Text(team_id.into()), Arg::Text(user_id.into())];
        let rows = self.read(&stmt(&schedule_select(), args)).await?;
        Ok(rows.first().map(schedule).transpose()?)
    }

    async fn save_schedule(
        &self,
        schedule: &Schedule,
        now: DateTime<Utc>,
        replace: bool,
    ) -> Result<()> {
        self.write(&save_schedule(schedule, millis(now), replace))
            .await
            .map(drop)
    }

    async fn unscheduled_people(&self, limit: i64) -> Result<Vec<Person>> {
        let rows = self
            .read(&stmt(UNSCHEDULED_PEOPLE, vec![Arg::Int(limit)]))
            .await?;
        Ok(rows
            .iter()
            .map(person)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn claim_schedules(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DueSchedule>> {
        let args = vec![
            Arg::Int(millis(now)),
            Arg::Int(millis(until)),
            Arg::Int(limit),
        ];
        let rows = self
            .write(&Stmt {
                sql: claim_schedules(self.claim_lock),
                args,
            })
            .await?;
        let schedules = rows
            .iter()
            .map(schedule)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        // The profiles of the whole batch in one read rather than one each.
        let keys: Vec<(String, String)> = schedules
            .iter()
            .map(|s| (s.team_id.clone(), s.user_id.clone()))
            .collect();
        let people = self.people_of(&keys).await?;
        let mut due: Vec<DueSchedule> = schedules
            .into_iter()
            .zip(&keys)
            .map(|(schedule, key)| DueSchedule {
                schedule,
                person: people.get(key).cloned(),
            })
            .collect();
        due.sort_by_key(|d| d.schedule.next.map(|n| n.at));
        Ok(due)
    }

    async fn finish_schedules(
        &self,
        finished: &[(Schedule, Vec<Prompt>)],
        now: DateTime<Utc>,
    ) -> Result<()> {
        if finished.is_empty() {
            return Ok(());
        }
        let now = millis(now);
        let prompts: Vec<(&str, &str, &Prompt)> = finished
            .iter()
            .flat_map(|(s, prompts)| {
                prompts
                    .iter()
                    .map(move |p| (s.team_id.as_str(), s.user_id.as_str(), p))
            })
            .collect();
        let mut conn = self.writer.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(StoreError::from_sqlx)?;
        // A prompt already recorded for this person and local date (another replica, a
        // restart) is not sent twice, and the schedule still moves on.
        record_prompts::<DB>(&mut tx, &prompts, now).await?;
        // A schedule finished twice in one batch moves to where the last one says.
        let mut last = HashMap::new();
        for (at, (s, _)) in finished.iter().enumerate() {
            last.insert((s.team_id.as_str(), s.user_id.as_str()), at);
        }
        let schedules: Vec<&Schedule> = finished
            .iter()
            .enumerate()
            .filter(|(at, (s, _))| last[&(s.team_id.as_str(), s.user_id.as_str())] == *at)
            .map(|(_, (s, _))| s)
            .collect();
        execute_all::<DB>(&mut tx, &advance_schedules(&schedules, now)).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)
    }

    async fn prompted(
        &self,
        team_id: &str,
        kind: &str,
        local_date: NaiveDate,
    ) -> Result<HashSet<String>> {
        let args = vec![
            Arg::Text(team_id.into()),
            Arg::Text(kind.into()),
            Arg::Text(local_date.to_string()),
        ];
        let rows = self.read(&stmt(PROMPTED, args)).await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn send_prompts(
        &self,
        team_id: &str,
        prompts: &[(String, Prompt)],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        if prompts.is_empty() {
            return Ok(0);
        }
        let prompts: Vec<(&str, &str, &Prompt)> = prompts
            .iter()
            .map(|(recipient, p)| (team_id, recipient.as_str(), p))
            .collect();
        let mut conn = self.writer.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(StoreError::from_sqlx)?;
        let sent = record_prompts::<DB>(&mut tx, &prompts, millis(now)).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        Ok(sent)
    }

    async fn last_prompt_since(
        &self,
        team_id: &str,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let args = vec![
            Arg::Text(team_id.into()),
            Arg::Text(user_id.into()),
            Arg::Int(millis(since)),
        ];
        let rows = self.read(&stmt(LAST_PROMPT_SINCE, args)).await?;
        let at: Option<i64> = rows.first().map(|r| r.try_get(0)).transpose()?.flatten();
        Ok(at.map(from_millis))
    }

    async fn record_views(&self, views: &[SummaryView]) -> Result<()> {
        if views.is_empty() {
            return Ok(());
        }
        self.write_all(record_views(views)).await
    }

    async fn views_of(
        &self,
        team_id: &str,
        subject: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<SummaryView>> {
        let args = vec![
            Arg::Text(team_id.into()),
            Arg::Text(subject.into()),
            Arg::Int(millis(since)),
        ];
        let rows = self.read(&stmt(VIEWS_OF, args)).await?;
        rows.iter()
            .map(|r| {
                Ok(SummaryView {
                    team_id: r.try_get(0)?,
                    subject: r.try_get(1)?,
                    viewer: r.try_get(2)?,
                    what: r.try_get(3)?,
                    via: r.try_get(4)?,
                    viewed_at: from_millis(r.try_get(5)?),
                })
            })
            .collect()
    }
}
