//! The store both backends share: the same SQL over a writer pool and a reader pool. Each
//! aggregate's file implements its trait for `SqlStore`; what differs between the engines (how
//! to connect, the claim lock, how a batch of kudos is written) is in `sqlite.rs` and `postgres.rs`.

use super::backend::Backend;
use super::batch::KudosWriter;
use super::sql::{stmt, Arg, Stmt};
use super::*;
use sqlx::{Database, Pool};

pub struct SqlStore<DB: Database> {
    pub(super) backend: &'static str,
    /// Appended to the claim's inner select (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
    pub(super) claim_lock: &'static str,
    /// Opens a transaction that must be able to write (`/readyz`'s probe).
    pub(super) begin_write: &'static str,
    pub(super) writer: Pool<DB>,
    pub(super) readers: Pool<DB>,
    pub(super) kudos: KudosWriter,
}

impl<DB: Backend> SqlStore<DB> {
    /// Runs one statement on the writer; how many rows it changed.
    pub(super) async fn execute(&self, sql: &str, args: &[Arg]) -> Result<u64> {
        let mut conn = self.writer.acquire().await.map_err(StoreError::from_sqlx)?;
        DB::execute(&mut conn, &stmt(sql, args.to_vec()))
            .await
            .map_err(StoreError::from_sqlx)
    }

    pub(super) async fn read(&self, stmt: &Stmt) -> Result<Vec<DB::Row>> {
        let mut conn = self
            .readers
            .acquire()
            .await
            .map_err(StoreError::from_sqlx)?;
        DB::fetch_all(&mut conn, stmt)
            .await
            .map_err(StoreError::from_sqlx)
    }

    /// A statement that changes rows and returns some, on the writer.
    pub(super) async fn write(&self, stmt: &Stmt) -> Result<Vec<DB::Row>> {
        let mut conn = self.writer.acquire().await.map_err(StoreError::from_sqlx)?;
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
        let tx = self
            .writer
            .begin_with(self.begin_write)
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
