//! SQLite: one file, zero set-up. WAL mode with `synchronous = FULL`, so a kudos is on disk before
//! Slack gets its answer. SQLite has one writer at a time, so kudos go through a single writer
//! task that commits whatever has queued up in one transaction (group commit): one fsync for many
//! kudos instead of one each, and no writer ever waits on a busy lock.

use super::batch::{KudosWriter, WriteBatch};
use super::sql::{self, Arg, Stmt};
use super::*;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow, SqliteSynchronous,
};
use sqlx::{Row, Sqlite, SqlitePool};
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;

const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "init",
    include_str!("../../migrations/sqlite/0001_init.sql"),
)];

pub struct SqliteStore {
    /// One connection: every write is serialised here.
    writer: SqlitePool,
    readers: SqlitePool,
    kudos: KudosWriter,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Invalid(format!("DATABASE_URL is not a valid SQLite URL: {e}"))
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // Short enough that a locked database still lets us answer Slack within its 3 s.
            .busy_timeout(std::time::Duration::from_millis(1500))
            .foreign_keys(true);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(StoreError::from_sqlx)?;
        sql::migrator(MIGRATIONS).run(&writer).await?;
        let readers = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true))
            .await
            .map_err(StoreError::from_sqlx)?;
        let kudos = KudosWriter::start(Arc::new(Batches(writer.clone())), 1);
        Ok(Self {
            writer,
            readers,
            kudos,
        })
    }
}

/// Batches of kudos go through the single writer connection.
struct Batches(SqlitePool);

#[async_trait]
impl WriteBatch for Batches {
    async fn write_batch(
        &self,
        batch: &[NewKudos],
        known_teams: &HashSet<String>,
    ) -> Result<Vec<i64>> {
        let mut tx = self.0.begin().await.map_err(StoreError::from_sqlx)?;
        let ids = sql::write_kudos::<Sqlite>(&mut tx, batch, known_teams).await?;
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        Ok(ids)
    }
}

impl SqliteStore {
    async fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64> {
        let done = sql::bind(sqlx::query::<Sqlite>(sql), args)
            .execute(&self.writer)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(done.rows_affected())
    }

    async fn read(&self, stmt: &Stmt) -> Result<Vec<SqliteRow>> {
        sql::bind(sqlx::query::<Sqlite>(&stmt.sql), &stmt.args)
            .fetch_all(&self.readers)
            .await
            .map_err(StoreError::from_sqlx)
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.readers)
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
            .fetch_all(&self.readers)
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
            .execute(&self.writer)
            .await
            .map_err(StoreError::from_sqlx)?;
        Ok(())
    }

    async fn person(&self, team_id: &str, user_id: &str) -> Result<Option<Person>> {
        let row = sqlx::query(sql::PERSON)
            .bind(team_id)
            .bind(user_id)
            .fetch_optional(&self.readers)
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
        let rows = sqlx::query(&sql::claim_outbox(""))
            .bind(worker)
            .bind(millis(until))
            .bind(millis(now))
            .bind(limit)
            .fetch_all(&self.writer)
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
        let mut tx = self.writer.begin().await.map_err(StoreError::from_sqlx)?;
        sql::execute_all::<Sqlite>(&mut tx, &sql::outbox_finish(worker, millis(now), outcomes))
            .await?;
        tx.commit().await.map_err(StoreError::from_sqlx)
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let rows = sqlx::query(sql::OUTBOX_COUNTS)
            .fetch_all(&self.readers)
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
            .fetch_all(&self.readers)
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
        self.readers.close().await;
        self.writer.close().await;
    }
}
