//! PostgreSQL: the production store, shared by several replicas. Outbox claims use
//! `FOR UPDATE SKIP LOCKED` so two replicas never lease the same row. A batch of kudos is written
//! by one statement (`WRITE_KUDOS`): on a busy 2-core machine each round trip within a
//! transaction costs more than the inserts themselves.

use super::backend::{execute_all, Query};
use super::batch::{KudosWriter, WriteBatch};
use super::common::SqlStore;
use super::conns::Conns;
use super::migrations;
use super::workspaces::remember_workspaces;
use super::*;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres};
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;

/// Batches in flight at once. One: the server's cost is mostly per statement, so what queues
/// while a batch commits is worth writing as one statement rather than several small ones in
/// parallel (at saturation 5,600–6,200 kudos/s against 4,400–4,800 with four writers, with a
/// fifth less of the server's CPU; benches/README.md).
const WRITERS: usize = 1;

/// PostgreSQL behind the shared `SqlStore`: one pool serves reads and writes.
pub type PostgresStore = SqlStore<Postgres>;

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
    INSERT INTO kudos_recipients (kudos_id, team_id, user_id, position, sphere)
    SELECT i.id, i.team_id, x.user_id, x.position, x.sphere
    FROM UNNEST($9::bigint[], $10::text[], $11::bigint[], $12::text[]) AS x(ord, user_id, position, sphere) JOIN input i ON i.ord = x.ord
), g AS (
    INSERT INTO kudos_tags (kudos_id, team_id, kind, tag_id, position)
    SELECT i.id, i.team_id, x.kind, x.tag_id, x.position
    FROM UNNEST($13::bigint[], $14::text[], $15::text[], $16::bigint[]) AS x(ord, kind, tag_id, position)
    JOIN input i ON i.ord = x.ord
), o AS (
    INSERT INTO outbox (team_id, dedupe_key, channel, text, blocks, not_before, created_at, paced)
    SELECT i.team_id, 'kudos:' || i.id || ':' || x.key, x.channel, x.text, x.blocks, COALESCE(x.slot, i.created_at), i.created_at, x.slot IS NOT NULL
    FROM UNNEST($17::bigint[], $18::text[], $19::text[], $20::text[], $21::text[], $22::bigint[]) AS x(ord, key, channel, text, blocks, slot)
    JOIN input i ON i.ord = x.ord
    -- Outbox ids follow kudos order, so a channel's messages go out in the order given.
    ORDER BY x.ord
    ON CONFLICT (team_id, dedupe_key) DO NOTHING
)
SELECT id FROM input ORDER BY ord";

/// Batches of kudos, each one statement. The writer keeps its pooled connection from one batch
/// to the next: handing it back would cost a round trip to the server (sqlx tests each
/// connection it gets back) and a wait for the pool before every batch. One that failed goes
/// back, so the pool can test it and open another if the server went away.
struct Batches {
    pool: PgPool,
    held: tokio::sync::Mutex<Option<PoolConnection<Postgres>>>,
}

#[async_trait]
impl WriteBatch for Batches {
    async fn write_batch(
        &self,
        batch: &[NewKudos],
        known_teams: &HashSet<String>,
    ) -> Result<Vec<i64>> {
        let mut held = self.held.lock().await;
        let mut conn = match held.take() {
            Some(conn) => conn,
            None => self.pool.acquire().await.map_err(StoreError::from_sqlx)?,
        };
        let written = write_batch(&mut conn, batch, known_teams).await;
        if written.is_ok() {
            *held = Some(conn);
        }
        written
    }
}

async fn write_batch(
    conn: &mut sqlx::PgConnection,
    batch: &[NewKudos],
    known_teams: &HashSet<String>,
) -> Result<Vec<i64>> {
    // Remembering a workspace is idempotent, so it need not share the kudos' transaction.
    execute_all::<Postgres>(&mut *conn, &remember_workspaces(batch, known_teams)).await?;
    use Column::{Int, OptInt, OptText, Text};
    let mut kudos = Columns::of(&[Text, Text, Text, OptText, Text, Text, Text, Int]);
    let mut recipients = Columns::of(&[Int, Text, Int, Text]);
    let mut tags = Columns::of(&[Int, Text, Text, Int]);
    let mut outbox = Columns::of(&[Int, Text, Text, Text, Text, OptInt]);
    for (ord, k) in (1i64..).zip(batch) {
        kudos.text(0, k.team_id.to_string());
        kudos.text(1, k.giver.to_string());
        kudos.text(2, k.text.clone());
        kudos.opt(3, k.channel_id.as_ref().map(ToString::to_string));
        kudos.text(4, k.visibility.as_str().to_owned());
        kudos.text(5, k.framework_id.clone());
        kudos.text(6, k.framework_version.clone());
        kudos.int(7, millis(k.created_at));
        for (i, user) in k.recipients.iter().enumerate() {
            recipients.int(0, ord);
            recipients.text(1, user.to_string());
            recipients.int(2, i as i64);
            recipients.text(3, k.sphere_of(i).as_str().to_owned());
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
            outbox.opt_int(5, d.slot.map(millis));
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
        .map(|r| sqlx::Row::try_get(r, 0))
        .collect::<std::result::Result<_, _>>()?)
}

/// Column-wise values for `UNNEST`, in parameter order; every column is bound, even empty.
struct Columns(Vec<Values>);

#[derive(Clone, Copy)]
enum Column {
    Int,
    OptInt,
    Text,
    OptText,
}

enum Values {
    Int(Vec<i64>),
    OptInt(Vec<Option<i64>>),
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
                    Column::OptInt => Values::OptInt(Vec::new()),
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

    fn opt_int(&mut self, i: usize, v: Option<i64>) {
        match &mut self.0[i] {
            Values::OptInt(c) => c.push(v),
            _ => unreachable!("column {i} is not a nullable bigint column"),
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

    fn bind<'q>(self, mut query: Query<'q, Postgres>) -> Query<'q, Postgres> {
        for column in self.0 {
            query = match column {
                Values::Int(v) => query.bind(v),
                Values::OptInt(v) => query.bind(v),
                Values::Text(v) => query.bind(v),
                Values::OptText(v) => query.bind(v),
            };
        }
        query
    }
}

/// What `cairn doctor` learns of a PostgreSQL database without changing it.
pub(super) async fn inspect(url: &str) -> Result<super::Inspection> {
    let options = PgConnectOptions::from_str(url).map_err(|e| {
        StoreError::Invalid(format!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))
    })?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(5))
        .connect_with(options.application_name("cairn doctor"))
        .await
        .map_err(StoreError::from_sqlx)?;
    let applied = super::applied_migration(&pool).await;
    let installations = super::sealed_tokens(&pool).await;
    pool.close().await;
    Ok(super::Inspection {
        exists: true,
        applied,
        installations,
        latest: migrations::latest(),
    })
}

/// How long a statement waits for a connection. A request that waits longer could not answer
/// Slack within its 3 seconds anyway; failing sooner lets it say "not saved, try again" (with the
/// person's text) rather than "cannot confirm" while the server is away.
const ACQUIRE_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(1500);

impl SqlStore<Postgres> {
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Invalid(format!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))
            })?
            .application_name("cairn")
            // Batches of 1 to 64 rows make a few hundred distinct statements; keep them all prepared.
            .statement_cache_capacity(1024);
        // One connection of its own first, so an unreachable server or a wrong password is
        // reported at once, before the pool's short acquire timeout applies.
        use sqlx::Connection;
        sqlx::PgConnection::connect_with(&options)
            .await
            .map_err(StoreError::from_sqlx)?
            .close()
            .await
            .map_err(StoreError::from_sqlx)?;
        // The kudos writers, the outbox, the scheduler and a few reads at once; each connection is
        // a server process and buffers here, so no more than the work needs.
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            // sqlx pings a pooled connection before each use by default: a round trip per
            // statement, doubling a summary's seven. A connection that died meanwhile (the server
            // restarted) fails its next statement instead and is dropped; every caller already
            // answers "try again" or retries (the outbox, the scheduler), and connections are
            // recycled after a while anyway.
            .test_before_acquire(false)
            .idle_timeout(std::time::Duration::from_secs(300))
            .connect_lazy_with(options);
        migrations::migrator(migrations::POSTGRES)
            .run(&pool)
            .await?;
        let batches = Batches {
            pool: pool.clone(),
            held: Default::default(),
        };
        let kudos = KudosWriter::start(Arc::new(batches), WRITERS);
        Ok(SqlStore {
            backend: "postgres",
            claim_lock: "FOR UPDATE SKIP LOCKED",
            begin_write: "BEGIN READ WRITE",
            several_per_call: false,
            writer: Arc::new(Conns::Pool(pool.clone())),
            readers: Conns::Pool(pool),
            kudos,
        })
    }
}
