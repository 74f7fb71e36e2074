//! SQLite: one file, zero set-up. WAL mode with `synchronous = FULL`, so a kudos is on disk before
//! Slack gets its answer. SQLite has one writer at a time, so kudos go through a single writer
//! task that commits whatever has queued up in one transaction (group commit): one fsync for many
//! kudos instead of one each, and no writer ever waits on a busy lock.

use super::backend::{execute_all, Backend, Get};
use super::batch::{KudosWriter, WriteBatch};
use super::common::{undo, SqlStore};
use super::conns::{Conns, Held};
use super::kudos::{insert_kudos, kudos_children};
use super::migrations;
use super::sql::{in_one_call, stmt};
use super::workspaces::remember_workspaces;
use super::*;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Sqlite};
use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// SQLite behind the shared `SqlStore`: one writer connection (every write is serialised
/// there) and a few read-only ones.
pub type SqliteStore = SqlStore<Sqlite>;

/// What `cairn doctor` learns of a SQLite database without creating or changing it: whether
/// the file exists, and its latest applied migration.
pub(super) async fn inspect(url: &str) -> Result<super::Inspection> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Invalid(format!("DATABASE_URL is not a valid SQLite URL: {e}")))?;
    let path = options.get_filename().to_path_buf();
    let latest = migrations::latest();
    if path.to_str() != Some(":memory:") && !path.exists() {
        return Ok(super::Inspection {
            exists: false,
            applied: None,
            latest,
            installations: Vec::new(),
        });
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.read_only(true).create_if_missing(false))
        .await
        .map_err(StoreError::from_sqlx)?;
    let applied = super::applied_migration(&pool).await;
    let installations = super::sealed_tokens(&pool).await;
    pool.close().await;
    Ok(super::Inspection {
        exists: true,
        applied,
        latest,
        installations,
    })
}

impl SqlStore<Sqlite> {
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Invalid(format!("DATABASE_URL is not a valid SQLite URL: {e}"))
            })?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            // Short enough that a locked database still lets us answer Slack within its 3 s.
            .busy_timeout(WRITE_WAIT)
            .foreign_keys(true)
            // 1 MiB of pages per connection instead of SQLite's 2 MiB: the file is in the
            // operating system's cache anyway, and each connection's cache is memory held.
            .pragma("cache_size", "-1024");
        // One connection writes, so every write is serialised there, and reads run on a
        // thread per connection: as many as there are cores. A local file has no connection to
        // go stale, so they are held rather than pooled (see `conns.rs`).
        let mut writer = options.connect().await.map_err(StoreError::from_sqlx)?;
        migrations::migrator(migrations::SQLITE)
            .run(&mut writer)
            .await?;
        let mut readers = Vec::new();
        for _ in 0..cores().clamp(2, 4) {
            let reader = options.clone().read_only(true).connect().await;
            readers.push(reader.map_err(StoreError::from_sqlx)?);
        }
        // Every write queues for the one connection; one that cannot have it within 1.5 s (the
        // file is locked elsewhere, each write waiting out its busy timeout) could not answer
        // Slack in time anyway: it fails, and says "not saved, try again".
        let writer = Arc::new(Conns::Held(Held::new(vec![writer], WRITE_WAIT)));
        let readers = Conns::Held(Held::new(readers, READ_WAIT));
        let kudos = KudosWriter::start(Arc::new(Batches(writer.clone())), 1);
        Ok(SqlStore {
            backend: "sqlite",
            // One writer at a time: a claim is a single UPDATE under the write lock.
            claim_lock: "",
            // Takes the write lock at once, so a lock held elsewhere shows.
            begin_write: "BEGIN IMMEDIATE",
            several_per_call: true,
            writer,
            readers,
            kudos,
        })
    }
}

/// How long a write waits for the writer connection, and a read for a reader.
const WRITE_WAIT: Duration = Duration::from_millis(1500);
const READ_WAIT: Duration = Duration::from_secs(30);

/// Batches of kudos go through the single writer connection.
struct Batches(Arc<Conns<Sqlite>>);

#[async_trait]
impl WriteBatch for Batches {
    async fn write_batch(
        &self,
        batch: &[NewKudos],
        known_teams: &HashSet<String>,
    ) -> Result<Vec<i64>> {
        let mut conn = self.0.acquire().await?;
        let written = in_two_calls(&mut conn, batch, known_teams).await;
        if written.is_err() {
            undo::<Sqlite>(&mut conn).await;
        }
        written.map_err(StoreError::from_sqlx)
    }
}

/// A batch in two calls to sqlx's SQLite thread instead of one per statement: BEGIN and the
/// kudos rows (whose ids the rest needs), then their recipients, tags and DMs and COMMIT. The
/// writer waits on each call, so fewer calls commit sooner (steady-state p50 2.5 → 1.5 ms).
async fn in_two_calls(
    conn: &mut sqlx::SqliteConnection,
    batch: &[NewKudos],
    known_teams: &HashSet<String>,
) -> std::result::Result<Vec<i64>, sqlx::Error> {
    let mut head = vec![stmt("BEGIN IMMEDIATE", Vec::new())];
    head.extend(remember_workspaces(batch, known_teams));
    head.extend(insert_kudos(batch));
    let mut ids = Vec::with_capacity(batch.len());
    for part in in_one_call(head) {
        for row in Sqlite::fetch_all(&mut *conn, &part).await? {
            ids.push(row.try_get::<i64, _>(0)?);
        }
    }
    // Ids come from a sequence in row order: sorted, they line up with the batch.
    ids.sort_unstable();
    let mut tail = kudos_children(&ids, batch);
    tail.push(stmt("COMMIT", Vec::new()));
    execute_all::<Sqlite>(conn, &in_one_call(tail)).await?;
    Ok(ids)
}

/// The cores this process may use.
fn cores() -> u32 {
    std::thread::available_parallelism().map_or(2, |n| n.get() as u32)
}
