//! PostgreSQL: the production store, shared by several replicas. Outbox claims use
//! `FOR UPDATE SKIP LOCKED` so two replicas never lease the same row. A batch of kudos is written
//! by one statement (`WRITE_KUDOS`): on a busy 2-core machine each round trip within a
//! transaction costs more than the inserts themselves.

use super::batch::{KudosWriter, WriteBatch};
use super::sql::{self, Arg, Stmt};
use super::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::{PgPool, Postgres, Row};
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;

const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "init",
    include_str!("../../migrations/postgres/0001_init.sql"),
)];

/// Batches in flight at once: PostgreSQL commits them in parallel, so a batch never waits for
/// the previous one's round trips.
const WRITERS: usize = 4;

pub struct PostgresStore {
    pool: PgPool,
    kudos: KudosWriter,
}

/// A whole batch in one atomic statement: the kudos rows take their ids from the sequence up
/// front, so recipients, tags and outbox rows can refer to them in the same statement. Each
/// child array carries the ordinal (1-based) of its kudos in the batch.
const WRITE_KUDOS: &str = "
WITH input AS (
    SELECT nextval(pg_get_serial_sequence('kudos', 'id')) AS id, t.*
    FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])
         WITH ORDINALITY AS t(team_id, giver, text, channel_id, visibility, framework_id, framework_version, created_at, ord)
), k AS (
    INSERT INTO kudos (id, team_id, giver, text, channel_id, visibility, framework_id, framework_version, created_at)
    OVERRIDING SYSTEM VALUE
    SELECT id, team_id, giver, text, channel_id, visibility, framework_id, framework_version, created_at FROM input
), r AS (
    INSERT INTO kudos_recipients (kudos_id, team_id, user_id, position)
    SELECT i.id, i.team_id, x.user_id, x.position
    FROM UNNEST($9::bigint[], $10::text[], $11::bigint[]) AS x(ord, user_id, position) JOIN input i ON i.ord = x.ord
), g AS (
    INSERT INTO kudos_tags (kudos_id, team_id, kind, tag_id, position)
    SELECT i.id, i.team_id, x.kind, x.tag_id, x.position
    FROM UNNEST($12::bigint[], $13::text[], $14::text[], $15::bigint[]) AS x(ord, kind, tag_id, position)
    JOIN input i ON i.ord = x.ord
), o AS (
    INSERT INTO outbox (team_id, dedupe_key, channel, text, blocks, not_before, created_at)
    SELECT i.team_id, 'kudos:' || i.id || ':' || x.key, x.channel, x.text, x.blocks, i.created_at, i.created_at
    FROM UNNEST($16::bigint[], $17::text[], $18::text[], $19::text[], $20::text[]) AS x(ord, key, channel, text, blocks)
    JOIN input i ON i.ord = x.ord
    ON CONFLICT (team_id, dedupe_key) DO NOTHING
)
SELECT id FROM input ORDER BY ord";

/// Batches of kudos, each one statement on any pooled connection.
struct Batches(PgPool);

#[async_trait]
impl WriteBatch for Batches {
    async fn write_batch(
        &self,
        batch: &[NewKudos],
        known_teams: &HashSet<String>,
    ) -> Result<Vec<i64>> {
        // Remembering a workspace is idempotent, so it need not share the kudos' transaction.
        let mut conn = self.0.acquire().await.map_err(StoreError::from_sqlx)?;
        sql::execute_all::<Postgres>(&mut conn, &sql::remember_workspaces(batch, known_teams))
            .await?;
        use Column::{Int, OptText, Text};
        let mut kudos = Columns::of(&[Text, Text, Text, OptText, Text, Text, Text, Int]);
        let mut recipients = Columns::of(&[Int, Text, Int]);
        let mut tags = Columns::of(&[Int, Text, Text, Int]);
        let mut outbox = Columns::of(&[Int, Text, Text, Text, Text]);
        for (ord, k) in (1i64..).zip(batch) {
            kudos.text(0, k.team_id.to_string());
            kudos.text(1, k.giver.to_string());
            kudos.text(2, k.text.clone());
            kudos.opt(3, k.channel_id.as_ref().map(ToString::to_string));
            kudos.text(4, k.visibility.as_str().to_owned());
            kudos.text(5, k.framework_id.clone());
            kudos.text(6, k.framework_version.clone());
            kudos.int(7, millis(k.created_at));
            for (position, user) in (0i64..).zip(&k.recipients) {
                recipients.int(0, ord);
                recipients.text(1, user.to_string());
                recipients.int(2, position);
            }
            let all = k.competencies.iter().map(|c| ("competency", c));
            let all = all.chain(k.multiplier_kinds.iter().map(|m| ("multiplier", m)));
            for (position, (kind, tag)) in (0i64..).zip(all) {
                tags.int(0, ord);
                tags.text(1, kind.to_owned());
                tags.text(2, tag.clone());
                tags.int(3, position);
            }
            for d in &k.deliveries {
                outbox.int(0, ord);
                outbox.text(1, d.key.clone());
                outbox.text(2, d.channel.clone());
                outbox.text(3, d.text.clone());
                outbox.text(4, d.blocks.to_string());
            }
        }
        let mut query = sqlx::query(WRITE_KUDOS);
        for columns in [kudos, recipients, tags, outbox] {
            query = columns.bind(query);
        }
        let rows = query
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?)
    }
}

/// Column-wise values for `UNNEST`, in parameter order; every column is bound, even empty.
struct Columns(Vec<Values>);

#[derive(Clone, Copy)]
enum Column {
    Int,
    Text,
    OptText,
}

enum Values {
    Int(Vec<i64>),
    Text(Vec<String>),
    OptText(Vec<Option<String>>),
}

impl Columns {
    fn of(kinds: &[Column]) -> Self {
        Columns(
            kinds
                .iter()
                .map(|k| match k {
                    Column::Int => Values::Int(Vec::new()),
                    Column::Text => Values::Text(Vec::new()),
                    Column::OptText => Values::OptText(Vec::new()),
                })
                .collect(),
        )
    }

    fn int(&mut self, i: usize, v: i64) {
        match &mut self.0[i] {
            Values::Int(c) => c.push(v),
            _ => unreachable!("column {i} is not a bigint column"),
        }
    }

    fn text(&mut self, i: usize, v: String) {
        match &mut self.0[i] {
            Values::Text(c) => c.push(v),
            _ => unreachable!("column {i} is not a text column"),
        }
    }

    fn opt(&mut self, i: usize, v: Option<String>) {
        match &mut self.0[i] {
            Values::OptText(c) => c.push(v),
            _ => unreachable!("column {i} is not a nullable text column"),
        }
    }

    fn bind<'q>(self, mut query: sql::Query<'q, Postgres>) -> sql::Query<'q, Postgres> {
        for column in self.0 {
            query = match column {
                Values::Int(v) => query.bind(v),
                Values::Text(v) => query.bind(v),
                Values::OptText(v) => query.bind(v),
            };
        }
        query
    }
}

impl PostgresStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Invalid(format!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))
            })?
            .application_name("cairn")
            // Batches of 1 to 64 rows make a few hundred distinct statements; keep them all prepared.
            .statement_cache_capacity(1024);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect_with(options)
            .await
            .map_err(StoreError::from_sqlx)?;
        sql::migrator(MIGRATIONS).run(&pool).await?;
        let kudos = KudosWriter::start(Arc::new(Batches(pool.clone())), WRITERS);
        Ok(Self { pool, kudos })
    }

    async fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64> {
        let done = sql::bind(sqlx::query::<Postgres>(sql), args)
            .execute(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(done.rows_affected())
    }

    async fn read(&self, stmt: &Stmt) -> Result<Vec<PgRow>> {
        sql::bind(sqlx::query::<Postgres>(&stmt.sql), &stmt.args)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)
    }
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(())
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

    async fn workspaces(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(sql::WORKSPACES)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?)
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

    async fn upsert_person(&self, p: &Person) -> Result<()> {
        sqlx::query(sql::UPSERT_PERSON)
            .bind(&p.team_id)
            .bind(&p.user_id)
            .bind(&p.name)
            .bind(&p.real_name)
            .bind(&p.tz)
            .bind(p.is_bot)
            .bind(p.deleted)
            .bind(millis(p.updated_at))
            .execute(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(())
    }

    async fn person(&self, team_id: &str, user_id: &str) -> Result<Option<Person>> {
        let row = sqlx::query(sql::PERSON)
            .bind(team_id)
            .bind(user_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(row.as_ref().map(sql::person).transpose()?)
    }

    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let rows = sqlx::query(&sql::claim_outbox("FOR UPDATE SKIP LOCKED"))
            .bind(worker)
            .bind(millis(until))
            .bind(millis(now))
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)?;
        let mut claimed = rows
            .iter()
            .map(sql::outbox_message)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    async fn outbox_finish(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        outcomes: &[(i64, Outcome)],
    ) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from_sqlx)?;
        sql::execute_all::<Postgres>(&mut tx, &sql::outbox_finish(worker, millis(now), outcomes))
            .await?;
        tx.commit().await.map_err(StoreError::from_sqlx)
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let rows = sqlx::query(sql::OUTBOX_COUNTS)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)?;
        let mut counts = OutboxCounts::default();
        for row in rows {
            sql::count_status(&mut counts, &row.try_get::<String, _>(0)?, row.try_get(1)?);
        }
        Ok(counts)
    }

    async fn outbox_rows(&self, team_id: &str) -> Result<Vec<OutboxRow>> {
        let rows = sqlx::query(sql::OUTBOX_ROWS)
            .bind(team_id)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(rows
            .iter()
            .map(sql::outbox_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn outbox_list(&self, status: &str, limit: i64) -> Result<Vec<OutboxRow>> {
        let stmt = Stmt {
            sql: sql::OUTBOX_LIST.into(),
            args: vec![Arg::Text(status.into()), Arg::Int(limit)],
        };
        let rows = self.read(&stmt).await?;
        Ok(rows
            .iter()
            .map(sql::outbox_row)
            .collect::<std::result::Result<_, _>>()?)
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

    async fn close(&self) {
        self.kudos.close().await;
        self.pool.close().await;
    }
}
