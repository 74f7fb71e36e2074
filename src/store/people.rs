//! People: Slack profiles, the org chart and its managers, and forgetting a person (which
//! reaches into every table, so its statements are listed here in one place).

use super::backend::{execute_all, Backend, Get};
use super::common::SqlStore;
use super::sql::{placeholders, stmt, Arg, Stmt};
use super::workspaces::REMEMBER_WORKSPACE;
use super::*;
use async_trait::async_trait;

/// People, their Slack profiles and the org chart.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    async fn upsert_person(&self, person: &Person) -> Result<()>;
    async fn person(&self, team_id: &str, user_id: &str) -> Result<Option<Person>>;
    /// Remembers that `users` are people of `team_id` (they used Cairn, or the org chart names
    /// them), and the workspace itself, so each gets a weekly prompt once their profile is
    /// fetched. A profile already stored is left as it is.
    async fn note_people(&self, team_id: &str, users: &[String], now: DateTime<Utc>) -> Result<()>;
    /// Everyone the org chart places in `team_id` (the names are the org chart's own).
    async fn org_chart(&self, team_id: &str) -> Result<Vec<OrgPerson>>;
    /// Writes org chart rows (added or changed) in one transaction; Slack profiles are kept.
    async fn import_org(
        &self,
        team_id: &str,
        people: &[OrgPerson],
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// What the store knows of `users`: org placement and a display name. Unknown people are
    /// missing.
    async fn org_people(
        &self,
        team_id: &str,
        users: &[String],
    ) -> Result<HashMap<String, OrgPerson>>;
    /// Each of `users`' track and level over time, oldest first; people never given one are
    /// missing.
    async fn level_histories(
        &self,
        team_id: &str,
        users: &[String],
    ) -> Result<HashMap<String, Vec<Held>>>;
    /// `user`'s managers, nearest first.
    async fn manager_chain(&self, team_id: &str, user: &str) -> Result<Vec<String>>;
    /// Managers in `team_id`'s org chart with their direct reports, by user id.
    async fn managers(&self, team_id: &str) -> Result<Vec<Manager>>;
    /// Slack display names of `users` in whatever workspace their profile belongs to (a Slack
    /// Connect giver's is their own organisation's); people without one are missing.
    async fn names_anywhere(&self, users: &[String]) -> Result<HashMap<String, String>>;
    /// `manager`'s direct reports in the org chart (not bots, not deactivated), by user id.
    async fn reports_of(&self, team_id: &str, manager: &str) -> Result<Vec<String>>;
    /// Deletes everything about `user` in one transaction: their evidence, their place among
    /// kudos receivers (and kudos left with no receiver), their profile and messages to or about
    /// them; kudos they gave stay for the receivers, from "a former teammate", and every mention
    /// of them in stored text becomes that too.
    async fn forget_person(&self, team_id: &str, user: &str) -> Result<Forgotten>;
}

const UPSERT_PERSON: &str = "INSERT INTO people (team_id, user_id, name, real_name, tz, is_bot, deleted, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (team_id, user_id) DO UPDATE SET name = excluded.name, real_name = excluded.real_name, tz = excluded.tz,
     is_bot = excluded.is_bot, deleted = excluded.deleted, updated_at = excluded.updated_at";

/// A person known by id only: `updated_at` 0, so their profile is fetched before it is used.
const NOTE_PERSON: &str = "INSERT INTO people (team_id, user_id, updated_at) VALUES ($1, $2, 0)
     ON CONFLICT (team_id, user_id) DO NOTHING";

fn note_people(team_id: &str, users: &[String], now: DateTime<Utc>) -> Vec<Stmt> {
    let remember = stmt(
        REMEMBER_WORKSPACE,
        vec![Arg::Text(team_id.into()), Arg::Int(millis(now))],
    );
    std::iter::once(remember)
        .chain(users.iter().map(|u| {
            stmt(
                NOTE_PERSON,
                vec![Arg::Text(team_id.into()), Arg::Text(u.clone())],
            )
        }))
        .collect()
}

const PERSON: &str =
    "SELECT team_id, user_id, name, real_name, tz, is_bot, deleted, updated_at FROM people WHERE team_id = $1 AND user_id = $2";

/// The Slack profiles of `users` in `team_id` (as `PERSON`, for a batch).
fn people_of(team_id: &str, users: &[String]) -> Stmt {
    let mut args = vec![Arg::Text(team_id.to_owned())];
    args.extend(users.iter().map(|u| Arg::Text(u.clone())));
    Stmt {
        sql: format!(
            "SELECT team_id, user_id, name, real_name, tz, is_bot, deleted, updated_at FROM people
             WHERE team_id = $1 AND user_id IN ({})",
            placeholders(2, users.len())
        ),
        args,
    }
}

pub(super) fn person(row: &impl Get) -> Result<Person, sqlx::Error> {
    Ok(Person {
        team_id: row.try_get("team_id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        real_name: row.try_get("real_name")?,
        tz: row.try_get("tz")?,
        is_bot: row.try_get("is_bot")?,
        deleted: row.try_get("deleted")?,
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

const ORG_CHART: &str =
    "SELECT user_id, org_name AS name, email, org_team, org_group, manager_id, org_track, org_level
     FROM people WHERE team_id = $1 AND org_updated_at IS NOT NULL ORDER BY user_id";

/// A new person gets `updated_at` 0, so their Slack profile is fetched when first needed.
const IMPORT_ORG_PERSON: &str = "INSERT INTO people (team_id, user_id, org_name, email, org_team, org_group, manager_id, org_updated_at, updated_at, org_track, org_level)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $9, $10)
     ON CONFLICT (team_id, user_id) DO UPDATE SET org_name = excluded.org_name, email = excluded.email, org_team = excluded.org_team,
     org_group = excluded.org_group, manager_id = excluded.manager_id, org_updated_at = excluded.org_updated_at,
     org_track = excluded.org_track, org_level = excluded.org_level";

/// A row of level history when the person's track or level is not the latest one recorded
/// (nothing for someone who never had one).
const RECORD_LEVEL: &str = "INSERT INTO level_history (team_id, user_id, track, level, since)
     SELECT $1, $2, $3, $4, $5
     WHERE ($3 IS NOT NULL OR $4 IS NOT NULL OR EXISTS (SELECT 1 FROM level_history WHERE team_id = $1 AND user_id = $2))
       AND NOT EXISTS (
         SELECT 1 FROM level_history h WHERE h.team_id = $1 AND h.user_id = $2
            AND h.since = (SELECT MAX(since) FROM level_history WHERE team_id = $1 AND user_id = $2)
            AND h.track IS NOT DISTINCT FROM $3 AND h.level IS NOT DISTINCT FROM $4)";

fn level_history(team_id: &str, users: &[String]) -> Stmt {
    let mut args = vec![Arg::Text(team_id.to_owned())];
    args.extend(users.iter().map(|u| Arg::Text(u.clone())));
    Stmt {
        sql: format!(
            "SELECT user_id, track, level, since FROM level_history
             WHERE team_id = $1 AND user_id IN ({}) ORDER BY user_id, since",
            placeholders(2, users.len())
        ),
        args,
    }
}

fn org_people(team_id: &str, users: &[String]) -> Stmt {
    let mut args = vec![Arg::Text(team_id.to_owned())];
    args.extend(users.iter().map(|u| Arg::Text(u.clone())));
    Stmt {
        sql: format!(
            "SELECT user_id, COALESCE(org_name, real_name, name) AS name, email, org_team, org_group, manager_id, org_track, org_level
             FROM people WHERE team_id = $1 AND user_id IN ({})",
            placeholders(2, users.len())
        ),
        args,
    }
}

/// Managers, nearest first; the depth bound guards against a loop the import did not catch.
const MANAGER_CHAIN: &str = "WITH RECURSIVE chain (user_id, depth) AS (
         SELECT manager_id, 1 FROM people WHERE team_id = $1 AND user_id = $2 AND manager_id IS NOT NULL
         UNION ALL
         SELECT p.manager_id, c.depth + 1 FROM people p JOIN chain c ON p.user_id = c.user_id
         WHERE p.team_id = $1 AND p.manager_id IS NOT NULL AND c.depth < 64
     )
     SELECT user_id FROM chain ORDER BY depth";

/// Each manager with each of their active direct reports, one row per pair.
const MANAGERS: &str =
    "SELECT m.user_id AS manager, COALESCE(s.tz, m.tz) AS tz, (m.is_bot OR m.deleted) AS inactive,
            s.paused_until, r.user_id AS report
     FROM people r
     JOIN people m ON m.team_id = r.team_id AND m.user_id = r.manager_id
     LEFT JOIN schedules s ON s.team_id = m.team_id AND s.user_id = m.user_id
     WHERE r.team_id = $1 AND r.org_updated_at IS NOT NULL AND NOT r.is_bot AND NOT r.deleted
     ORDER BY m.user_id, r.user_id";

fn names_anywhere(users: &[String]) -> Stmt {
    Stmt {
        sql: format!(
            "SELECT user_id, COALESCE(real_name, name) AS name FROM people
             WHERE user_id IN ({}) AND COALESCE(real_name, name) IS NOT NULL",
            placeholders(1, users.len())
        ),
        args: users.iter().map(|u| Arg::Text(u.clone())).collect(),
    }
}

const REPORTS_OF: &str = "SELECT user_id FROM people
     WHERE team_id = $1 AND manager_id = $2 AND org_updated_at IS NOT NULL AND NOT is_bot AND NOT deleted
     ORDER BY user_id";

fn org_person(row: &impl Get) -> Result<OrgPerson, sqlx::Error> {
    Ok(OrgPerson {
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        team: row.try_get("org_team")?,
        group: row.try_get("org_group")?,
        manager: row.try_get("manager_id")?,
        track: row.try_get("org_track")?,
        level: row.try_get("org_level")?,
    })
}

/// Forget-me, in order: `$1` team, `$2` user (`$2`/`$3`: the user as a LIKE pattern where
/// noted). The counts come first; texts that mention the person are rewritten in Rust.
const FORGET_COUNT_RECEIVED: &str =
    "SELECT COUNT(*) FROM kudos_recipients WHERE team_id = $1 AND user_id = $2";

const FORGET_COUNT_GIVEN: &str = "SELECT COUNT(*) FROM kudos WHERE team_id = $1 AND giver = $2";

const FORGET_COUNT_EVIDENCE: &str =
    "SELECT COUNT(*) FROM evidence WHERE team_id = $1 AND subject = $2";

const FORGET_DELETES: &[&str] = &[
    "DELETE FROM evidence_tags WHERE evidence_id IN (SELECT id FROM evidence WHERE team_id = $1 AND subject = $2)",
    "DELETE FROM evidence_people WHERE evidence_id IN (SELECT id FROM evidence WHERE team_id = $1 AND subject = $2)",
    "DELETE FROM evidence WHERE team_id = $1 AND subject = $2",
    "DELETE FROM evidence_people WHERE team_id = $1 AND user_id = $2",
    "DELETE FROM kudos_recipients WHERE team_id = $1 AND user_id = $2",
    "DELETE FROM kudos_tags WHERE kudos_id IN (SELECT id FROM kudos k WHERE k.team_id = $1 AND NOT EXISTS (SELECT 1 FROM kudos_recipients r WHERE r.kudos_id = k.id))",
    "DELETE FROM kudos WHERE team_id = $1 AND NOT EXISTS (SELECT 1 FROM kudos_recipients r WHERE r.kudos_id = kudos.id)",
    "UPDATE kudos SET giver = '' WHERE team_id = $1 AND giver = $2",
    "UPDATE people SET manager_id = NULL WHERE team_id = $1 AND manager_id = $2",
    "DELETE FROM summary_views WHERE team_id = $1 AND (subject = $2 OR viewer = $2)",
    "DELETE FROM schedules WHERE team_id = $1 AND user_id = $2",
    "DELETE FROM level_history WHERE team_id = $1 AND user_id = $2",
    "DELETE FROM prompts WHERE team_id = $1 AND user_id = $2",
    "DELETE FROM people WHERE team_id = $1 AND user_id = $2",
    "UPDATE installations SET installer_user_id = NULL WHERE team_id = $1 AND installer_user_id = $2",
];

const FORGET_OUTBOX: &str =
    "DELETE FROM outbox WHERE team_id = $1 AND (channel = $2 OR text LIKE $3 OR blocks LIKE $3 OR dedupe_key LIKE $3)";

const FORGET_KUDOS_TEXTS: &str = "SELECT id, text FROM kudos WHERE team_id = $1 AND text LIKE $2";

const FORGET_EVIDENCE_TEXTS: &str =
    "SELECT id, text FROM evidence WHERE team_id = $1 AND text LIKE $2";

const SET_KUDOS_TEXT: &str = "UPDATE kudos SET text = $2 WHERE id = $1";

const SET_EVIDENCE_TEXT: &str = "UPDATE evidence SET text = $2 WHERE id = $1";

/// `(team, user)` pairs grouped by team (in first-seen order), each user once.
pub(super) fn by_team(people: &[(String, String)]) -> Vec<(&str, Vec<String>)> {
    let mut seen = std::collections::HashSet::new();
    let mut teams: Vec<(&str, Vec<String>)> = Vec::new();
    for (team, user) in people.iter().filter(|&p| seen.insert(p)) {
        match teams.iter_mut().find(|(t, _)| *t == team.as_str()) {
            Some((_, users)) => users.push(user.clone()),
            None => teams.push((team.as_str(), vec![user.clone()])),
        }
    }
    teams
}

impl<DB: Backend> SqlStore<DB> {
    /// The Slack profiles of `people` that are known.
    pub(super) async fn people_of(
        &self,
        people: &[(String, String)],
    ) -> Result<HashMap<(String, String), Person>> {
        let mut found = HashMap::new();
        for (team_id, users) in by_team(people) {
            for chunk in users.chunks(500) {
                for row in self.read(&people_of(team_id, chunk)).await? {
                    let person = person(&row)?;
                    found.insert((person.team_id.clone(), person.user_id.clone()), person);
                }
            }
        }
        Ok(found)
    }
}

#[async_trait]
impl<DB: Backend> PeopleStore for SqlStore<DB> {
    async fn upsert_person(&self, p: &Person) -> Result<()> {
        let args = [
            Arg::Text(p.team_id.clone()),
            Arg::Text(p.user_id.clone()),
            Arg::OptText(p.name.clone()),
            Arg::OptText(p.real_name.clone()),
            Arg::OptText(p.tz.clone()),
            Arg::Bool(p.is_bot),
            Arg::Bool(p.deleted),
            Arg::Int(millis(p.updated_at)),
        ];
        self.execute(UPSERT_PERSON, &args).await.map(drop)
    }

    async fn person(&self, team_id: &str, user_id: &str) -> Result<Option<Person>> {
        let rows = self
            .read(&stmt(
                PERSON,
                vec![Arg::Text(team_id.into()), Arg::Text(user_id.into())],
            ))
            .await?;
        Ok(rows.first().map(person).transpose()?)
    }

    async fn org_chart(&self, team_id: &str) -> Result<Vec<OrgPerson>> {
        let rows = self
            .read(&stmt(ORG_CHART, vec![Arg::Text(team_id.into())]))
            .await?;
        Ok(rows
            .iter()
            .map(org_person)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn import_org(
        &self,
        team_id: &str,
        people: &[OrgPerson],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let ids: Vec<String> = people.iter().map(|p| p.user_id.clone()).collect();
        let statements: Vec<Stmt> = note_people(team_id, &ids, now)
            .into_iter()
            .chain(people.iter().flat_map(|p| {
                let person = stmt(
                    IMPORT_ORG_PERSON,
                    vec![
                        Arg::Text(team_id.into()),
                        Arg::Text(p.user_id.clone()),
                        Arg::OptText(p.name.clone()),
                        Arg::OptText(p.email.clone()),
                        Arg::OptText(p.team.clone()),
                        Arg::OptText(p.group.clone()),
                        Arg::OptText(p.manager.clone()),
                        Arg::Int(millis(now)),
                        Arg::OptText(p.track.clone()),
                        Arg::OptText(p.level.clone()),
                    ],
                );
                let level = stmt(
                    RECORD_LEVEL,
                    vec![
                        Arg::Text(team_id.into()),
                        Arg::Text(p.user_id.clone()),
                        Arg::OptText(p.track.clone()),
                        Arg::OptText(p.level.clone()),
                        Arg::Int(millis(now)),
                    ],
                );
                [person, level]
            }))
            .collect();
        self.write_all(statements).await
    }

    async fn note_people(&self, team_id: &str, users: &[String], now: DateTime<Utc>) -> Result<()> {
        self.write_all(note_people(team_id, users, now)).await
    }

    async fn names_anywhere(&self, users: &[String]) -> Result<HashMap<String, String>> {
        let mut found = HashMap::new();
        for chunk in users.chunks(500) {
            for row in self.read(&names_anywhere(chunk)).await? {
                found.insert(row.try_get("user_id")?, row.try_get("name")?);
            }
        }
        Ok(found)
    }

    async fn reports_of(&self, team_id: &str, manager: &str) -> Result<Vec<String>> {
        let args = vec![Arg::Text(team_id.into()), Arg::Text(manager.into())];
        let rows = self.read(&stmt(REPORTS_OF, args)).await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get::<String, _>("user_id"))
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn level_histories(
        &self,
        team_id: &str,
        users: &[String],
    ) -> Result<HashMap<String, Vec<Held>>> {
        let mut found: HashMap<String, Vec<Held>> = HashMap::new();
        for chunk in users.chunks(500) {
            for row in self.read(&level_history(team_id, chunk)).await? {
                let user: String = row.try_get("user_id")?;
                found.entry(user).or_default().push(Held {
                    since: from_millis(row.try_get("since")?),
                    rung: Rung {
                        track: row.try_get("track")?,
                        level: row.try_get("level")?,
                    },
                });
            }
        }
        Ok(found)
    }

    async fn org_people(
        &self,
        team_id: &str,
        users: &[String],
    ) -> Result<HashMap<String, OrgPerson>> {
        let mut found = HashMap::new();
        for chunk in users.chunks(500) {
            for row in self.read(&org_people(team_id, chunk)).await? {
                let person = org_person(&row)?;
                found.insert(person.user_id.clone(), person);
            }
        }
        Ok(found)
    }

    async fn manager_chain(&self, team_id: &str, user: &str) -> Result<Vec<String>> {
        let args = vec![Arg::Text(team_id.into()), Arg::Text(user.into())];
        let rows = self.read(&stmt(MANAGER_CHAIN, args)).await?;
        let mut chain: Vec<String> = Vec::with_capacity(rows.len());
        for row in rows {
            let manager: String = row.try_get(0)?;
            if chain.contains(&manager) {
                break;
            }
            chain.push(manager);
        }
        Ok(chain)
    }

    async fn managers(&self, team_id: &str) -> Result<Vec<Manager>> {
        let rows = self
            .read(&stmt(MANAGERS, vec![Arg::Text(team_id.into())]))
            .await?;
        let mut managers: Vec<Manager> = Vec::new();
        for row in &rows {
            let user_id: String = row.try_get("manager")?;
            let report: String = row.try_get("report")?;
            match managers.last_mut() {
                Some(m) if m.user_id == user_id => m.reports.push(report),
                _ => {
                    let paused: Option<String> = row.try_get("paused_until")?;
                    let inactive: bool = row.try_get("inactive")?;
                    managers.push(Manager {
                        user_id,
                        tz: row.try_get("tz")?,
                        active: !inactive,
                        paused_until: paused.and_then(|d| d.parse().ok()),
                        reports: vec![report],
                    });
                }
            }
        }
        Ok(managers)
    }

    async fn forget_person(&self, team_id: &str, user: &str) -> Result<Forgotten> {
        let args = || {
            vec![
                Arg::Text(team_id.into()),
                Arg::Text(user.into()),
                Arg::Text(format!("%{user}%")),
            ]
        };
        let mut conn = self.writer.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(StoreError::from_sqlx)?;
        let mut report = Forgotten::default();
        for (sql, slot) in [
            (FORGET_COUNT_RECEIVED, &mut report.kudos_received),
            (FORGET_COUNT_GIVEN, &mut report.kudos_given),
            (FORGET_COUNT_EVIDENCE, &mut report.evidence),
        ] {
            let s = stmt(sql, args()[..2].to_vec());
            let row = DB::fetch_one(&mut tx, &s)
                .await
                .map_err(StoreError::from_sqlx)?;
            *slot = row.try_get::<i64, _>(0)? as u64;
        }
        let deletes: Vec<Stmt> = FORGET_DELETES
            .iter()
            .map(|sql| stmt(sql, args()[..2].to_vec()))
            .collect();
        execute_all::<DB>(&mut tx, &deletes).await?;
        // Mentions in what others wrote become "a former teammate".
        for (select, update) in [
            (FORGET_KUDOS_TEXTS, SET_KUDOS_TEXT),
            (FORGET_EVIDENCE_TEXTS, SET_EVIDENCE_TEXT),
        ] {
            let s = stmt(select, vec![args()[0].clone(), args()[2].clone()]);
            let rows = DB::fetch_all(&mut tx, &s)
                .await
                .map_err(StoreError::from_sqlx)?;
            let mut updates = Vec::new();
            for row in &rows {
                let (id, text): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
                let text = crate::domain::markup::without_user(&text, user);
                updates.push(stmt(update, vec![Arg::Int(id), Arg::Text(text)]));
            }
            execute_all::<DB>(&mut tx, &updates).await?;
        }
        let outbox = stmt(FORGET_OUTBOX, args());
        let done = DB::execute(&mut tx, &outbox)
            .await
            .map_err(StoreError::from_sqlx)?;
        report.messages = done;
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        Ok(report)
    }
}
