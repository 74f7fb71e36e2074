//! Storage: the `Store` trait, made of one trait per aggregate (kudos, evidence, people, …), and
//! one `SqlStore` behind it for SQLite (the zero-set-up default) and PostgreSQL (for several
//! replicas). Each aggregate's file holds its trait, its SQL and its impl, so a change to one
//! table's queries stays in one file; only what truly differs per engine is in `sqlite.rs` and
//! `postgres.rs`.

mod backend;
mod batch;
mod common;
mod conns;
mod events;
mod evidence;
mod items;
mod kudos;
mod migrations;
mod outbox;
mod people;
mod postgres;
mod schedules;
mod sql;
mod sqlite;
mod types;
mod web;
mod workspaces;

use async_trait::async_trait;
use backend::{Backend, Get};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Pool;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

pub use common::SqlStore;
pub use events::EventStore;
pub use evidence::EvidenceStore;
pub use items::ItemStore;
pub use kudos::KudosStore;
pub use outbox::OutboxStore;
pub use people::PeopleStore;
pub use postgres::PostgresStore;
pub use schedules::ScheduleStore;
pub use sqlite::SqliteStore;
pub use types::*;
pub use web::{WebLink, WebSession, WebStore};
pub use workspaces::WorkspaceStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database is unreachable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn from_sqlx(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
            sqlx::Error::Database(ref db) if database_away(db.as_ref()) => {
                StoreError::Unavailable(e.to_string())
            }
            other => StoreError::Database(other),
        }
    }

    /// The database could not take the change at all (unreachable, locked, read-only, full),
    /// as opposed to refusing this change: trying again later may succeed.
    pub(crate) fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}

/// Errors that are about the database, not about the statement.
fn database_away(e: &dyn sqlx::error::DatabaseError) -> bool {
    let code = e.code().unwrap_or_default();
    if e.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // Primary result codes: BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN.
        let code: i64 = code.parse().unwrap_or(0);
        return matches!(code & 0xff, 5 | 6 | 8 | 10 | 13 | 14);
    }
    if e.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
        .is_some()
    {
        // Connection exceptions, shutting down, out of resources, a read-only standby.
        return ["08", "53", "57P"]
            .iter()
            .any(|class| code.starts_with(class))
            || code == "25006";
    }
    false
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub use crate::domain::forget::Forgotten;
pub use crate::domain::growth::{Item, Placement, Source, Sphere, Visibility};
pub use crate::domain::kudos::Kudos;
pub use crate::domain::lens::{Held, Rung};
pub use crate::domain::schedule::Schedule;
pub use crate::domain::schedule::{Cadence, Occurrence, Slot};
pub use crate::domain::summary::SummaryView;

/// Everything Cairn stores, as one object (`Arc<dyn Store>`): each aggregate's trait, and what
/// concerns the database as a whole. Through `dyn Store` every method is callable as before;
/// code holding a concrete store brings the aggregate traits it calls into scope.
#[async_trait]
pub trait Store:
    KudosStore
    + EvidenceStore
    + ItemStore
    + PeopleStore
    + ScheduleStore
    + EventStore
    + OutboxStore
    + WorkspaceStore
    + WebStore
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
    /// Lets the pools go, waiting for pending writes.
    async fn close(&self);
}

/// A database as `cairn doctor` finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// False for a SQLite file not created yet.
    pub exists: bool,
    /// The latest migration applied, if any.
    pub applied: Option<i64>,
    /// The latest migration this build knows.
    pub latest: i64,
    /// Each installed workspace and its sealed bot token (none before migration 0009).
    pub installations: Vec<(String, String)>,
}

/// Looks at the database a `DATABASE_URL` names without creating or migrating it.
pub async fn inspect(url: &str) -> Result<Inspection> {
    if url.starts_with("sqlite:") {
        sqlite::inspect(url).await
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        postgres::inspect(url).await
    } else {
        Err(StoreError::Invalid(format!(
            "DATABASE_URL must start with sqlite:// or postgres:// (got '{}')",
            url.split(':').next().unwrap_or_default()
        )))
    }
}

/// The installations' sealed tokens, by workspace; none if the table is not there yet.
async fn sealed_tokens<DB: Backend>(pool: &Pool<DB>) -> Vec<(String, String)> {
    let select = sql::stmt(
        "SELECT team_id, bot_token_sealed FROM installations ORDER BY team_id",
        vec![],
    );
    let rows = match pool.acquire().await {
        Ok(mut conn) => DB::fetch_all(&mut conn, &select).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    rows.iter()
        .filter_map(|r| {
            let team: String = r.try_get(0).ok()?;
            let sealed: String = r.try_get(1).ok()?;
            Some((team, sealed))
        })
        .collect()
}

/// sqlx's record of applied migrations; none if the table is not there yet.
async fn applied_migration<DB: Backend>(pool: &Pool<DB>) -> Option<i64> {
    let select = sql::stmt(
        "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
        vec![],
    );
    let mut conn = pool.acquire().await.ok()?;
    let row = DB::fetch_one(&mut conn, &select).await.ok()?;
    row.try_get::<Option<i64>, _>(0).ok().flatten()
}

/// Opens the store a `DATABASE_URL` names and applies its migrations.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url).await?)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Arc::new(PostgresStore::connect(url).await?)
    } else {
        return Err(StoreError::Invalid(format!(
            "DATABASE_URL must start with sqlite:// or postgres:// (got '{}')",
            url.split(':').next().unwrap_or_default()
        )));
    };
    Ok(store)
}

pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
