//! The store both backends share: the same SQL over a writer pool and a reader pool. Each
//! aggregate's file implements its trait for `SqlStore`; what differs between the engines (how
//! to connect, the claim lock, how a batch of kudos is written) is in `sqlite.rs` and `postgres.rs`.

use super::backend::execute_all;
use super::backend::Backend;
use super::batch::KudosWriter;
use super::conns::Conns;
use super::sql::{in_one_call, stmt, Arg, Stmt};
use super::*;
use sqlx::Database;

/// After `BEGIN … COMMIT` sent as text failed part way: undoes whatever part ran, so the
/// connection goes back to the pool with no transaction open.
pub(super) async fn undo<DB: Backend>(conn: &mut DB::Connection) {
    let _ = DB::execute(conn, &stmt("ROLLBACK", Vec::new())).await;
}

pub struct SqlStore<DB: Database> {
    pub(super) backend: &'static str,
    /// Appended to the claim's inner select (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
    pub(super) claim_lock: &'static str,
    /// Opens a transaction that must be able to write (`/readyz`'s probe).
    pub(super) begin_write: &'static str,
    /// Whether one call may carry several statements (SQLite; PostgreSQL prepares one at a time).
    pub(super) several_per_call: bool,
    pub(super) writer: Arc<Conns<DB>>,
    pub(super) readers: Conns<DB>,
    pub(super) kudos: KudosWriter,
}

impl<DB: Backend> SqlStore<DB> {
    /// Runs one statement on the writer; how many rows it changed.
    pub(super) async fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64> {
        let mut conn = self.writer.acquire().await?;
        DB::execute(&mut conn, &stmt(sql, args.to_vec()))
            .await
            .map_err(StoreError::from_sqlx)
    }

    /// Runs `statements` in one transaction on the writer. On SQLite that is one call to its
    /// thread, `BEGIN` and `COMMIT` included, so the writer is held for less time.
    pub(super) async fn write_all(&self, statements: Vec<Stmt>) -> Result<()> {
        let mut conn = self.writer.acquire().await?;
        if !self.several_per_call {
            let mut tx = sqlx::Connection::begin(&mut *conn)
                .await
                .map_err(StoreError::from_sqlx)?;
            execute_all::<DB>(&mut tx, &statements).await?;
            return tx.commit().await.map_err(StoreError::from_sqlx);
        }
        let mut all = vec![stmt(self.begin_write, Vec::new())];
        all.extend(statements);
        all.push(stmt("COMMIT", Vec::new()));
        let written = execute_all::<DB>(&mut conn, &in_one_call(all)).await;
        if written.is_err() {
            undo::<DB>(&mut conn).await;
        }
        written.map_err(StoreError::from_sqlx)
    }

    pub(super) async fn read(&self, stmt: &Stmt) -> Result<Vec<DB::Row>> {
        let mut conn = self.readers.acquire().await?;
        DB::fetch_all(&mut conn, stmt)
            .await
            .map_err(StoreError::from_sqlx)
    }

    /// A statement that changes rows and returns some, on the writer.
    pub(super) async fn write(&self, stmt: &Stmt) -> Result<Vec<DB::Row>> {
        let mut conn = self.writer.acquire().await?;
        DB::fetch_all(&mut conn, stmt)
            .await
            .map_err(StoreError::from_sqlx)
    }
}

#[async_trait::async_trait]
impl<DB: Backend> Store for SqlStore<DB> {
    fn backend(&self) -> &'static str {
        self.backend
    }

    async fn ping(&self) -> Result<()> {
        // Ready means able to write: a locked or read-only SQLite file, or a PostgreSQL standby,
        // still answers reads.
        let mut conn = self.writer.acquire().await?;
        let tx = sqlx::Connection::begin_with(&mut *conn, self.begin_write)
            .await
            .map_err(StoreError::from_sqlx)?;
        tx.rollback().await.map_err(StoreError::from_sqlx)
    }

    async fn close(&self) {
        self.kudos.close().await;
        self.readers.close().await;
        self.writer.close().await;
    }
}
