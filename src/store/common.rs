//! The `Store` implementation shared by both backends: the same SQL (from `sql.rs`) over a
//! writer pool and a reader pool. What differs lives in `sqlite.rs` and `postgres.rs`: how to
//! connect, and how a batch of kudos is written.

use super::batch::KudosWriter;
use super::sql::{self, Arg, Stmt};
use super::*;
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};

/// `rows_affected` is not part of sqlx's generic API; both drivers have it.
pub trait RowsAffected {
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

pub struct SqlStore<DB: Database> {
    pub(super) backend: &'static str,
    /// Appended to the claim's inner select (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
    pub(super) claim_lock: &'static str,
    pub(super) writer: Pool<DB>,
    pub(super) readers: Pool<DB>,
    pub(super) kudos: KudosWriter,
}

impl<DB> SqlStore<DB>
where
    DB: Database,
    DB::QueryResult: RowsAffected,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
{
    async fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64> {
        let done = sql::bind(sqlx::query::<DB>(sql), args)
            .execute(&self.writer)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(done.rows_affected())
    }

    async fn read(&self, stmt: &Stmt) -> Result<Vec<DB::Row>> {
        sql::bind(sqlx::query::<DB>(&stmt.sql), &stmt.args)
            .fetch_all(&self.readers)
            .await
            .map_err(StoreError::from_sqlx)
    }

    async fn write(&self, stmt: &Stmt) -> Result<Vec<DB::Row>> {
        sql::bind(sqlx::query::<DB>(&stmt.sql), &stmt.args)
            .fetch_all(&self.writer)
            .await
            .map_err(StoreError::from_sqlx)
    }
}

/// `(team, user)` pairs grouped by team (in first-seen order), each user once.
fn by_team(people: &[(String, String)]) -> Vec<(&str, Vec<String>)> {
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

/// Reads for a batch of people, shared by the `Store` methods below.
impl<DB> SqlStore<DB>
where
    DB: Database,
    DB::QueryResult: RowsAffected,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
    &'static str: ColumnIndex<DB::Row>,
{
    /// The Slack profiles of `people` that are known.
    async fn people_of(
        &self,
        people: &[(String, String)],
    ) -> Result<HashMap<(String, String), Person>> {
        let mut found = HashMap::new();
        for (team_id, users) in by_team(people) {
            for chunk in users.chunks(500) {
                for row in self.read(&sql::people_of(team_id, chunk)).await? {
                    let person = sql::person(&row)?;
                    found.insert((person.team_id.clone(), person.user_id.clone()), person);
                }
            }
        }
        Ok(found)
    }

    /// Adds the items about `subjects` of `team_id` in `[from, to)` (milliseconds) to `found`:
    /// each subject's kudos received, then their evidence, by id.
    async fn items_of(
        &self,
        found: &mut HashMap<(String, String), Vec<Item>>,
        team_id: &str,
        subjects: &[String],
        from: i64,
        to: i64,
    ) -> Result<()> {
        // Rows come by receiver, then kudos: a new item wherever either changes.
        let mut received: Vec<Item> = Vec::new();
        let rows = self
            .read(&sql::kudos_received_between(team_id, subjects, from, to))
            .await?;
        for row in rows {
            let subject: String = row.try_get(9)?;
            let id = format!("kudos:{}", row.try_get::<i64, _>(0)?);
            if received
                .last()
                .is_none_or(|i| i.id != id || i.subject != subject)
            {
                let visibility: String = row.try_get(4)?;
                let sphere: Option<String> = row.try_get(6)?;
                received.push(Item {
                    id,
                    source: Source::Kudos,
                    subject,
                    author: row.try_get(1)?,
                    competencies: Vec::new(),
                    multiplier_kinds: Vec::new(),
                    sphere: sphere
                        .as_deref()
                        .and_then(Sphere::parse)
                        .unwrap_or(Sphere::Unknown),
                    declared: false,
                    people: Vec::new(),
                    text: row.try_get(2)?,
                    permalink: row.try_get(3)?,
                    visibility: Visibility::parse(&visibility).unwrap_or(Visibility::Private),
                    occurred_at: from_millis(row.try_get(5)?),
                });
            }
            let (kind, tag): (Option<String>, Option<String>) = (row.try_get(7)?, row.try_get(8)?);
            if let (Some(kind), Some(tag), Some(item)) = (kind, tag, received.last_mut()) {
                match kind.as_str() {
                    "competency" => item.competencies.push(tag),
                    _ => item.multiplier_kinds.push(tag),
                }
            }
        }
        for item in received {
            found
                .entry((team_id.to_owned(), item.subject.clone()))
                .or_default()
                .push(item);
        }
        let mut evidence: Vec<Evidence> = Vec::new();
        let rows = self
            .read(&sql::evidence_between(team_id, subjects, from, to))
            .await?;
        for row in rows {
            let id: i64 = row.try_get("id")?;
            if evidence.last().is_none_or(|e| e.id != id) {
                evidence.push(sql::evidence_head(&row)?);
            }
            let (kind, tag): (Option<String>, Option<String>) =
                (row.try_get("tag_kind")?, row.try_get("tag_id")?);
            if let (Some(kind), Some(tag), Some(e)) = (kind, tag, evidence.last_mut()) {
                match kind.as_str() {
                    "competency" => e.competencies.push(tag),
                    _ => e.multiplier_kinds.push(tag),
                }
            }
        }
        let at: HashMap<i64, usize> = evidence
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id, i))
            .collect();
        let ids: Vec<i64> = at.keys().copied().collect();
        for chunk in ids.chunks(1000) {
            for row in self.read(&sql::evidence_people(chunk)).await? {
                let (id, user): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
                evidence[at[&id]].people.push(user);
            }
        }
        for e in evidence {
            let items = found
                .entry((team_id.to_owned(), e.subject.clone()))
                .or_default();
            items.push(Item {
                id: format!("evidence:{}", e.id),
                source: e.source,
                subject: e.subject,
                author: e.author,
                competencies: e.competencies,
                multiplier_kinds: e.multiplier_kinds,
                declared: e.sphere.is_some(),
                sphere: e
                    .sphere
                    .as_deref()
                    .and_then(Sphere::parse)
                    .unwrap_or(Sphere::Own),
                people: e.people,
                text: e.text,
                permalink: e.permalink,
                visibility: e.visibility,
                occurred_at: e.occurred_at,
            });
        }
        Ok(())
    }
}

/// Records prompts, each at most once per recipient, kind and local date, and puts the
/// messages of those recorded just now in the outbox (a second copy within the batch goes out
/// once, as the first); how many were sent.
async fn record_prompts<DB>(
    tx: &mut DB::Connection,
    prompts: &[(&str, &str, &Prompt)],
    now: i64,
) -> Result<usize>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    for<'r> String: Decode<'r, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
{
    let key = |team: &str, user: &str, kind: &str, date: String| {
        (team.to_owned(), user.to_owned(), kind.to_owned(), date)
    };
    let mut recorded = std::collections::HashSet::new();
    for stmt in sql::record_prompts(prompts, now) {
        let rows = sql::bind(sqlx::query::<DB>(&stmt.sql), &stmt.args)
            .fetch_all(&mut *tx)
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
    sql::execute_all::<DB>(&mut *tx, &sql::enqueue(&deliveries, now)).await?;
    Ok(deliveries.len())
}

fn stmt(sql: &str, args: Vec<Arg>) -> Stmt {
    Stmt {
        sql: sql.to_owned(),
        args,
    }
}

#[async_trait]
impl<DB> Store for SqlStore<DB>
where
    DB: Database,
    DB::QueryResult: RowsAffected,
    for<'c> &'c Pool<DB>: Executor<'c, Database = DB>,
    for<'c> &'c mut <DB as Database>::Connection: Executor<'c, Database = DB>,
    for<'q> <DB as Database>::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> String: Decode<'q, DB> + Type<DB>,
    for<'q> &'q str: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<i64>: Encode<'q, DB> + Type<DB>,
    usize: ColumnIndex<DB::Row>,
    &'static str: ColumnIndex<DB::Row>,
{
    fn backend(&self) -> &'static str {
        self.backend
    }

    async fn ping(&self) -> Result<()> {
        self.read(&stmt("SELECT 1", vec![])).await.map(drop)
    }

    async fn record_kudos(&self, kudos: NewKudos) -> Result<i64> {
        self.kudos.record(kudos).await
    }

    async fn list_kudos(&self, query: &KudosQuery) -> Result<Page<Kudos>> {
        let rows = self.read(&sql::list_kudos(query)).await?;
        let mut items = rows
            .iter()
            .map(sql::kudos_head)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let next_cursor = sql::page_cursor(&mut items, query.limit);
        let ids: Vec<i64> = items.iter().map(|k| k.id).collect();
        if !ids.is_empty() {
            for row in self.read(&sql::kudos_recipients(&ids)).await? {
                let (id, user): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
                if let Some(k) = items.iter_mut().find(|k| k.id == id) {
                    k.recipients.push(user);
                }
            }
            for row in self.read(&sql::kudos_tags(&ids)).await? {
                let (id, kind, tag): (i64, String, String) =
                    (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
                if let Some(k) = items.iter_mut().find(|k| k.id == id) {
                    sql::attach_tag(k, &kind, tag);
                }
            }
        }
        Ok(Page { items, next_cursor })
    }

    async fn record_evidence(&self, evidence: NewEvidence) -> Result<i64> {
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
        let head = sql::insert_evidence(&evidence);
        let row = sql::bind(sqlx::query::<DB>(&head.sql), &head.args)
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from_sqlx)?;
        let id: i64 = row.try_get(0)?;
        sql::execute_all::<DB>(&mut tx, &sql::evidence_children(id, &evidence)).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        Ok(id)
    }

    async fn record_kudos_once(
        &self,
        kudos: NewKudos,
        source_key: &str,
        permalink: Option<String>,
    ) -> Result<Option<i64>> {
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
        let ids = sql::write_kudos::<DB>(
            &mut tx,
            std::slice::from_ref(&kudos),
            &std::collections::HashSet::new(),
        )
        .await
        .map_err(StoreError::from_sqlx)?;
        let Some(id) = ids.first().copied() else {
            return Ok(None);
        };
        let set = stmt(
            sql::SET_KUDOS_SOURCE,
            vec![
                Arg::Int(id),
                Arg::Text(source_key.into()),
                Arg::OptText(permalink),
            ],
        );
        match sql::execute_all::<DB>(&mut tx, &[set]).await {
            Ok(()) => {
                tx.commit().await.map_err(StoreError::from_sqlx)?;
                Ok(Some(id))
            }
            // Already recorded (the unique source key): nothing of this one is kept.
            Err(e)
                if e.as_database_error()
                    .is_some_and(|d| d.is_unique_violation()) =>
            {
                Ok(None)
            }
            Err(e) => Err(StoreError::from_sqlx(e)),
        }
    }

    async fn withdraw_kudos(
        &self,
        team_id: &str,
        source_key: &str,
        giver: &str,
        since: DateTime<Utc>,
    ) -> Result<bool> {
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
        let find = stmt(
            sql::KUDOS_BY_SOURCE,
            vec![
                Arg::Text(team_id.into()),
                Arg::Text(source_key.into()),
                Arg::Text(giver.into()),
                Arg::Int(millis(since)),
            ],
        );
        let row = sql::bind(sqlx::query::<DB>(&find.sql), &find.args)
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::from_sqlx)?;
        let Some(row) = row else { return Ok(false) };
        let id: i64 = row.try_get(0)?;
        let mut statements: Vec<Stmt> = sql::WITHDRAW_KUDOS
            .iter()
            .map(|s| stmt(s, vec![Arg::Int(id)]))
            .collect();
        statements.push(stmt(
            sql::WITHDRAW_OUTBOX,
            vec![
                Arg::Text(team_id.into()),
                Arg::Text(format!("kudos:{id}:%")),
            ],
        ));
        sql::execute_all::<DB>(&mut tx, &statements).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        Ok(true)
    }

    async fn tag_kudos(
        &self,
        team_id: &str,
        source_key: &str,
        giver: &str,
        competency: &str,
    ) -> Result<bool> {
        let args = vec![
            Arg::Text(team_id.into()),
            Arg::Text(source_key.into()),
            Arg::Text(giver.into()),
            Arg::Text(competency.into()),
        ];
        let done = sql::bind(sqlx::query::<DB>(sql::TAG_KUDOS), &args)
            .execute(&self.writer)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }

    async fn forget_person(&self, team_id: &str, user: &str) -> Result<Forgotten> {
        let args = || {
            vec![
                Arg::Text(team_id.into()),
                Arg::Text(user.into()),
                Arg::Text(format!("%{user}%")),
            ]
        };
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
        let mut report = Forgotten::default();
        for (sql, slot) in [
            (sql::FORGET_COUNT_RECEIVED, &mut report.kudos_received),
            (sql::FORGET_COUNT_GIVEN, &mut report.kudos_given),
            (sql::FORGET_COUNT_EVIDENCE, &mut report.evidence),
        ] {
            let s = stmt(sql, args()[..2].to_vec());
            let row = sql::bind(sqlx::query::<DB>(&s.sql), &s.args)
                .fetch_one(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
            *slot = row.try_get::<i64, _>(0)? as u64;
        }
        let deletes: Vec<Stmt> = sql::FORGET_DELETES
            .iter()
            .map(|sql| stmt(sql, args()[..2].to_vec()))
            .collect();
        sql::execute_all::<DB>(&mut tx, &deletes).await?;
        // Mentions in what others wrote become "a former teammate".
        for (select, update) in [
            (sql::FORGET_KUDOS_TEXTS, sql::SET_KUDOS_TEXT),
            (sql::FORGET_EVIDENCE_TEXTS, sql::SET_EVIDENCE_TEXT),
        ] {
            let s = stmt(select, vec![args()[0].clone(), args()[2].clone()]);
            let rows = sql::bind(sqlx::query::<DB>(&s.sql), &s.args)
                .fetch_all(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
            let mut updates = Vec::new();
            for row in &rows {
                let (id, text): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
                let text = crate::domain::markup::without_user(&text, user);
                updates.push(stmt(update, vec![Arg::Int(id), Arg::Text(text)]));
            }
            sql::execute_all::<DB>(&mut tx, &updates).await?;
        }
        let outbox = stmt(sql::FORGET_OUTBOX, args());
        let done = sql::bind(sqlx::query::<DB>(&outbox.sql), &outbox.args)
            .execute(&mut *tx)
            .await
            .map_err(StoreError::from_sqlx)?;
        report.messages = done.rows_affected();
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        Ok(report)
    }

    async fn competency_counts(
        &self,
        team_id: &str,
        user: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>> {
        let args = vec![
            Arg::Text(team_id.into()),
            Arg::Text(user.into()),
            Arg::Int(millis(since)),
        ];
        let rows = self.read(&stmt(sql::COMPETENCY_COUNTS, args)).await?;
        Ok(rows
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .collect::<std::result::Result<_, sqlx::Error>>()?)
    }

    async fn evidence_of(&self, team_id: &str, subject: &str, limit: i64) -> Result<Vec<Evidence>> {
        let args = vec![
            Arg::Text(team_id.into()),
            Arg::Text(subject.into()),
            Arg::Int(limit),
        ];
        let rows = self.read(&stmt(sql::EVIDENCE_OF, args)).await?;
        let mut items = rows
            .iter()
            .map(sql::evidence_head)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let ids: Vec<i64> = items.iter().map(|e| e.id).collect();
        if ids.is_empty() {
            return Ok(items);
        }
        for row in self.read(&sql::evidence_tags(&ids)).await? {
            let (id, kind, tag): (i64, String, String) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            if let Some(e) = items.iter_mut().find(|e| e.id == id) {
                match kind.as_str() {
                    "competency" => e.competencies.push(tag),
                    _ => e.multiplier_kinds.push(tag),
                }
            }
        }
        for row in self.read(&sql::evidence_people(&ids)).await? {
            let (id, user): (i64, String) = (row.try_get(0)?, row.try_get(1)?);
            if let Some(e) = items.iter_mut().find(|e| e.id == id) {
                e.people.push(user);
            }
        }
        Ok(items)
    }

    async fn workspaces(&self) -> Result<Vec<String>> {
        let rows = self.read(&stmt(sql::WORKSPACES, vec![])).await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn org_chart(&self, team_id: &str) -> Result<Vec<OrgPerson>> {
        let rows = self
            .read(&stmt(sql::ORG_CHART, vec![Arg::Text(team_id.into())]))
            .await?;
        Ok(rows
            .iter()
            .map(sql::org_person)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn import_org(
        &self,
        team_id: &str,
        people: &[OrgPerson],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let remember = stmt(
            sql::REMEMBER_WORKSPACE,
            vec![Arg::Text(team_id.into()), Arg::Int(millis(now))],
        );
        let statements: Vec<Stmt> = std::iter::once(remember)
            .chain(people.iter().map(|p| {
                stmt(
                    sql::IMPORT_ORG_PERSON,
                    vec![
                        Arg::Text(team_id.into()),
                        Arg::Text(p.user_id.clone()),
                        Arg::OptText(p.name.clone()),
                        Arg::OptText(p.email.clone()),
                        Arg::OptText(p.team.clone()),
                        Arg::OptText(p.group.clone()),
                        Arg::OptText(p.manager.clone()),
                        Arg::Int(millis(now)),
                    ],
                )
            }))
            .collect();
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
        sql::execute_all::<DB>(&mut tx, &statements).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)
    }

    async fn org_people(
        &self,
        team_id: &str,
        users: &[String],
    ) -> Result<HashMap<String, OrgPerson>> {
        let mut found = HashMap::new();
        for chunk in users.chunks(500) {
            for row in self.read(&sql::org_people(team_id, chunk)).await? {
                let person = sql::org_person(&row)?;
                found.insert(person.user_id.clone(), person);
            }
        }
        Ok(found)
    }

    async fn manager_chain(&self, team_id: &str, user: &str) -> Result<Vec<String>> {
        let args = vec![Arg::Text(team_id.into()), Arg::Text(user.into())];
        let rows = self.read(&stmt(sql::MANAGER_CHAIN, args)).await?;
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

    async fn items_about(
        &self,
        team_id: &str,
        subject: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Item>> {
        let key = (team_id.to_owned(), subject.to_owned());
        let mut found = self
            .items_about_many(std::slice::from_ref(&key), from, to)
            .await?;
        Ok(found.remove(&key).unwrap_or_default())
    }

    async fn items_about_many(
        &self,
        people: &[(String, String)],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<HashMap<(String, String), Vec<Item>>> {
        let (from, to) = (millis(from), millis(to));
        let mut found: HashMap<(String, String), Vec<Item>> = HashMap::new();
        for (team_id, subjects) in by_team(people) {
            for chunk in subjects.chunks(500) {
                self.items_of(&mut found, team_id, chunk, from, to).await?;
            }
        }
        Ok(found)
    }

    async fn kudos_given_count(
        &self,
        team_id: &str,
        giver: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        include_private: bool,
    ) -> Result<u64> {
        let args = vec![
            Arg::Text(team_id.into()),
            Arg::Text(giver.into()),
            Arg::Int(millis(from)),
            Arg::Int(millis(to)),
            Arg::Bool(include_private),
        ];
        let rows = self.read(&stmt(sql::KUDOS_GIVEN_COUNT, args)).await?;
        let n: i64 = rows.first().map(|r| r.try_get(0)).transpose()?.unwrap_or(0);
        Ok(n as u64)
    }

    async fn record_views(&self, views: &[SummaryView]) -> Result<()> {
        if views.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
        sql::execute_all::<DB>(&mut tx, &sql::record_views(views)).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)
    }

    async fn schedule(&self, team_id: &str, user_id: &str) -> Result<Option<Schedule>> {
        let args = vec![Arg::Text(team_id.into()), Arg::Text(user_id.into())];
        let rows = self.read(&stmt(&sql::schedule_select(), args)).await?;
        Ok(rows.first().map(sql::schedule).transpose()?)
    }

    async fn save_schedule(
        &self,
        schedule: &Schedule,
        now: DateTime<Utc>,
        replace: bool,
    ) -> Result<()> {
        self.write(&sql::save_schedule(schedule, millis(now), replace))
            .await
            .map(drop)
    }

    async fn unscheduled_people(&self, limit: i64) -> Result<Vec<Person>> {
        let rows = self
            .read(&stmt(sql::UNSCHEDULED_PEOPLE, vec![Arg::Int(limit)]))
            .await?;
        Ok(rows
            .iter()
            .map(sql::person)
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
                sql: sql::claim_schedules(self.claim_lock),
                args,
            })
            .await?;
        let schedules = rows
            .iter()
            .map(sql::schedule)
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
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
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
        sql::execute_all::<DB>(&mut tx, &sql::advance_schedules(&schedules, now)).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)
    }

    async fn managers(&self, team_id: &str) -> Result<Vec<Manager>> {
        let rows = self
            .read(&stmt(sql::MANAGERS, vec![Arg::Text(team_id.into())]))
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
        let rows = self.read(&stmt(sql::PROMPTED, args)).await?;
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
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
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
        let rows = self.read(&stmt(sql::LAST_PROMPT_SINCE, args)).await?;
        let at: Option<i64> = rows.first().map(|r| r.try_get(0)).transpose()?.flatten();
        Ok(at.map(from_millis))
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
        let rows = self.read(&stmt(sql::VIEWS_OF, args)).await?;
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

    async fn record_event(&self, e: &SlackEvent) -> Result<bool> {
        let args = [
            Arg::Text(e.event_id.clone()),
            Arg::Text(e.team_id.clone()),
            Arg::Text(e.event_type.clone()),
            Arg::Int(millis(e.received_at)),
        ];
        Ok(self.execute(sql::RECORD_EVENT, &args).await? == 1)
    }

    async fn unrecord_event(&self, event_id: &str) -> Result<()> {
        self.execute(sql::UNRECORD_EVENT, &[Arg::Text(event_id.into())])
            .await
            .map(drop)
    }

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
        self.execute(sql::UPSERT_PERSON, &args).await.map(drop)
    }

    async fn person(&self, team_id: &str, user_id: &str) -> Result<Option<Person>> {
        let rows = self
            .read(&stmt(
                sql::PERSON,
                vec![Arg::Text(team_id.into()), Arg::Text(user_id.into())],
            ))
            .await?;
        Ok(rows.first().map(sql::person).transpose()?)
    }

    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let args = vec![
            Arg::Text(worker.into()),
            Arg::Int(millis(until)),
            Arg::Int(millis(now)),
            Arg::Int(limit),
        ];
        let rows = self
            .write(&Stmt {
                sql: sql::claim_outbox(self.claim_lock),
                args,
            })
            .await?;
        let mut claimed = rows
            .iter()
            .map(sql::outbox_message)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    async fn outbox_extend_lease(&self, worker: &str, until: DateTime<Utc>) -> Result<()> {
        let args = vec![Arg::Text(worker.into()), Arg::Int(millis(until))];
        self.write(&stmt(sql::OUTBOX_EXTEND, args)).await.map(drop)
    }

    async fn outbox_finish(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        outcomes: &[(i64, Outcome)],
    ) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
        sql::execute_all::<DB>(&mut tx, &sql::outbox_finish(worker, millis(now), outcomes)).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let mut counts = OutboxCounts::default();
        for row in self.read(&stmt(sql::OUTBOX_COUNTS, vec![])).await? {
            sql::count_status(&mut counts, &row.try_get::<String, _>(0)?, row.try_get(1)?);
        }
        Ok(counts)
    }

    async fn outbox_rows(&self, team_id: &str) -> Result<Vec<OutboxRow>> {
        let rows = self
            .read(&stmt(sql::OUTBOX_ROWS, vec![Arg::Text(team_id.into())]))
            .await?;
        Ok(rows
            .iter()
            .map(sql::outbox_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn outbox_list(&self, status: &str, limit: i64) -> Result<Vec<OutboxRow>> {
        let rows = self
            .read(&stmt(
                sql::OUTBOX_LIST,
                vec![Arg::Text(status.into()), Arg::Int(limit)],
            ))
            .await?;
        Ok(rows
            .iter()
            .map(sql::outbox_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn enqueue(
        &self,
        team_id: &str,
        deliveries: &[Delivery],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let rows: Vec<(&str, String, &Delivery)> = deliveries
            .iter()
            .map(|d| (team_id, d.key.clone(), d))
            .collect();
        for stmt in sql::enqueue(&rows, millis(now)) {
            self.write(&stmt).await?;
        }
        Ok(())
    }

    async fn outbox_requeue(&self, ids: Option<&[i64]>, now: DateTime<Utc>) -> Result<u64> {
        let stmt = sql::outbox_requeue(ids, millis(now));
        self.execute(&stmt.sql, &stmt.args).await
    }

    async fn park_workspace(&self, team_id: &str, reason: &str) -> Result<u64> {
        self.execute(
            sql::PARK_WORKSPACE,
            &[Arg::Text(team_id.into()), Arg::Text(reason.into())],
        )
        .await
    }

    async fn save_installation(&self, installation: &Installation) -> Result<()> {
        self.write(&sql::save_installation(installation))
            .await
            .map(drop)
    }

    async fn installation(&self, team_id: &str) -> Result<Option<Installation>> {
        let select = sql::installation_select("WHERE team_id = $1");
        let rows = self
            .read(&stmt(&select, vec![Arg::Text(team_id.into())]))
            .await?;
        Ok(rows.first().map(sql::installation).transpose()?)
    }

    async fn installations(&self) -> Result<Vec<Installation>> {
        let rows = self
            .read(&stmt(&sql::installation_select(""), vec![]))
            .await?;
        Ok(rows
            .iter()
            .map(sql::installation)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn delete_installation(&self, team_id: &str) -> Result<bool> {
        let deleted = self
            .execute(sql::DELETE_INSTALLATION, &[Arg::Text(team_id.into())])
            .await?;
        Ok(deleted > 0)
    }

    async fn link_workspaces(
        &self,
        enterprise_id: &str,
        teams: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        for team in teams {
            self.execute(
                sql::LINK_WORKSPACE,
                &[
                    Arg::Text(team.clone()),
                    Arg::Text(enterprise_id.into()),
                    Arg::Int(millis(now)),
                ],
            )
            .await?;
        }
        Ok(())
    }

    async fn unlink_workspaces(&self, enterprise_id: &str, teams: &[String]) -> Result<()> {
        for team in teams {
            self.execute(
                sql::UNLINK_WORKSPACE,
                &[Arg::Text(team.clone()), Arg::Text(enterprise_id.into())],
            )
            .await?;
        }
        Ok(())
    }

    async fn enterprise_of(&self, team_id: &str) -> Result<Option<String>> {
        let rows = self
            .read(&stmt(sql::ENTERPRISE_OF, vec![Arg::Text(team_id.into())]))
            .await?;
        Ok(rows
            .first()
            .map(|r| r.try_get::<String, _>("enterprise_id"))
            .transpose()
            .map_err(StoreError::from_sqlx)?)
    }

    async fn enterprise_workspaces(&self, enterprise_id: &str) -> Result<Vec<String>> {
        let rows = self
            .read(&stmt(
                sql::ENTERPRISE_WORKSPACES,
                vec![Arg::Text(enterprise_id.into())],
            ))
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("team_id"))
            .collect::<std::result::Result<_, _>>()
            .map_err(StoreError::from_sqlx)
    }

    async fn reseal_installations(&self, reseal: Reseal<'_>, now: DateTime<Utc>) -> Result<u64> {
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
        let select = sql::installation_select("");
        let rows = sqlx::query::<DB>(&select)
            .fetch_all(&mut *tx)
            .await
            .map_err(StoreError::from_sqlx)?;
        let mut updates = Vec::new();
        let mut failures = Vec::new();
        for row in &rows {
            let installation = sql::installation(row)?;
            match reseal(&installation) {
                Ok(Some(sealed)) => updates.push(stmt(
                    sql::RESEAL_INSTALLATION,
                    vec![
                        Arg::Text(installation.team_id),
                        Arg::Text(installation.bot_token_sealed),
                        Arg::Text(sealed),
                        Arg::Int(millis(now)),
                    ],
                )),
                Ok(None) => {}
                Err(why) => failures.push(format!("{}: {why}", installation.team_id)),
            }
        }
        if !failures.is_empty() {
            // Dropping the transaction rolls it back: nothing was written.
            return Err(StoreError::Invalid(format!(
                "{} of {} installation token(s) cannot be opened, so none was re-sealed: {}",
                failures.len(),
                rows.len(),
                failures.join("; ")
            )));
        }
        let mut rewritten = 0;
        for update in &updates {
            let done = sql::bind(sqlx::query::<DB>(&update.sql), &update.args)
                .execute(&mut *tx)
                .await
                .map_err(StoreError::from_sqlx)?;
            rewritten += done.rows_affected();
        }
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        Ok(rewritten)
    }

    async fn save_oauth_state(
        &self,
        nonce: &str,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
        let statements = [
            stmt(
                sql::DROP_EXPIRED_OAUTH_STATES,
                vec![Arg::Int(millis(created_at))],
            ),
            stmt(
                sql::SAVE_OAUTH_STATE,
                vec![
                    Arg::Text(nonce.into()),
                    Arg::Int(millis(created_at)),
                    Arg::Int(millis(expires_at)),
                ],
            ),
        ];
        sql::execute_all::<DB>(&mut tx, &statements).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)
    }

    async fn use_oauth_state(&self, nonce: &str, now: DateTime<Utc>) -> Result<bool> {
        let args = [Arg::Text(nonce.into()), Arg::Int(millis(now))];
        Ok(self.execute(sql::USE_OAUTH_STATE, &args).await? == 1)
    }

    async fn close(&self) {
        self.kudos.close().await;
        self.readers.close().await;
        self.writer.close().await;
    }
}
