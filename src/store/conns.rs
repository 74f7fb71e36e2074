//! Where the store's statements get a connection. PostgreSQL uses sqlx's pool, which reconnects
//! after the server went away. SQLite's connections are to a local file and never go stale, so
//! they are held here instead: sqlx's pool tests every connection as it comes back, in a task of
//! its own that makes a round trip to SQLite's thread, and only then lets the next statement
//! have it. With one writer every write waited for that: at saturation the writer stood idle
//! about a fifth of the time between two kudos batches.

use super::{Result, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::{Database, Pool};
use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

pub(super) enum Conns<DB: Database> {
    Pool(Pool<DB>),
    Held(Held<DB>),
}

/// Connections opened once and handed out in turn, first come first served; one is back for
/// the next statement as soon as the previous one is done with it.
pub(super) struct Held<DB: Database> {
    idle: Mutex<Vec<DB::Connection>>,
    /// One permit per idle connection; closed once the connections are.
    permits: Semaphore,
    count: u32,
    /// How long a statement waits for a connection before failing as "unavailable".
    wait: Duration,
}

impl<DB: Database> Held<DB> {
    pub fn new(connections: Vec<DB::Connection>, wait: Duration) -> Self {
        let count = connections.len();
        Self {
            idle: Mutex::new(connections),
            permits: Semaphore::new(count),
            count: count as u32,
            wait,
        }
    }
}

/// A connection for one use; it goes back when dropped.
pub(super) enum Conn<'a, DB: Database> {
    Pooled(PoolConnection<DB>),
    Held {
        conn: Option<DB::Connection>,
        from: &'a Held<DB>,
        _permit: SemaphorePermit<'a>,
    },
}

impl<DB: Database> Conns<DB> {
    pub async fn acquire(&self) -> Result<Conn<'_, DB>> {
        match self {
            Conns::Pool(pool) => pool
                .acquire()
                .await
                .map(Conn::Pooled)
                .map_err(StoreError::from_sqlx),
            Conns::Held(held) => {
                let permit = tokio::time::timeout(held.wait, held.permits.acquire())
                    .await
                    .map_err(|_| StoreError::from_sqlx(sqlx::Error::PoolTimedOut))?
                    .map_err(|_| StoreError::from_sqlx(sqlx::Error::PoolClosed))?;
                let conn = held.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
                // A permit is only ever given out with a connection idle behind it.
                let conn = conn.ok_or_else(|| StoreError::from_sqlx(sqlx::Error::PoolClosed))?;
                Ok(Conn::Held {
                    conn: Some(conn),
                    from: held,
                    _permit: permit,
                })
            }
        }
    }

    /// Waits for every connection to come back, then closes them; later statements fail as
    /// "unavailable".
    pub async fn close(&self) {
        match self {
            Conns::Pool(pool) => pool.close().await,
            Conns::Held(held) => {
                let Ok(all) = held.permits.acquire_many(held.count).await else {
                    return;
                };
                held.permits.close();
                all.forget();
                let conns =
                    std::mem::take(&mut *held.idle.lock().unwrap_or_else(|e| e.into_inner()));
                for conn in conns {
                    let _ = sqlx::Connection::close(conn).await;
                }
            }
        }
    }
}

impl<DB: Database> Drop for Conn<'_, DB> {
    fn drop(&mut self) {
        if let Conn::Held { conn, from, .. } = self {
            if let Some(conn) = conn.take() {
                // Back before the permit is released (fields drop after this body).
                from.idle
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(conn);
            }
        }
    }
}

impl<DB: Database> Deref for Conn<'_, DB> {
    type Target = DB::Connection;

    fn deref(&self) -> &DB::Connection {
        match self {
            Conn::Pooled(conn) => conn,
            Conn::Held { conn, .. } => conn.as_ref().expect("held until dropped"),
        }
    }
}

impl<DB: Database> DerefMut for Conn<'_, DB> {
    fn deref_mut(&mut self) -> &mut DB::Connection {
        match self {
            Conn::Pooled(conn) => conn,
            Conn::Held { conn, .. } => conn.as_mut().expect("held until dropped"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::FutureExt;
    use sqlx::{ConnectOptions, Sqlite};

    async fn held(connections: usize, wait: Duration) -> Conns<Sqlite> {
        let mut conns = Vec::new();
        for _ in 0..connections {
            let options: sqlx::sqlite::SqliteConnectOptions = "sqlite::memory:".parse().unwrap();
            conns.push(options.connect().await.unwrap());
        }
        Conns::Held(Held::new(conns, wait))
    }

    #[tokio::test]
    async fn a_connection_is_back_for_the_next_statement_as_soon_as_it_is_dropped() {
        let conns = held(1, Duration::from_secs(5)).await;
        for _ in 0..3 {
            let mut conn = conns.acquire().now_or_never().expect("ready").unwrap();
            sqlx::query("SELECT 1").execute(&mut *conn).await.unwrap();
            drop(conn);
        }
    }

    #[tokio::test]
    async fn a_statement_that_waits_too_long_for_a_connection_fails_as_unavailable() {
        let conns = held(1, Duration::from_millis(50)).await;
        let _busy = conns.acquire().await.unwrap();
        let Err(e) = conns.acquire().await else {
            panic!("a second connection out of one");
        };
        assert!(e.is_unavailable(), "{e}");
    }

    #[tokio::test]
    async fn waiting_statements_are_served_in_turn() {
        let conns = std::sync::Arc::new(held(1, Duration::from_secs(5)).await);
        let first = conns.acquire().await.unwrap();
        let order = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let mut waiting = Vec::new();
        for i in 0..3 {
            let (conns, order) = (conns.clone(), order.clone());
            waiting.push(tokio::spawn(async move {
                let _conn = conns.acquire().await.unwrap();
                order.lock().unwrap().push(i);
            }));
            // Each queues before the next is spawned.
            tokio::task::yield_now().await;
        }
        drop(first);
        for w in waiting {
            w.await.unwrap();
        }
        assert_eq!(*order.lock().unwrap(), vec![0, 1, 2]);
    }

    #[tokio::test]
    async fn closing_waits_for_connections_in_use_then_refuses_statements() {
        let conns = held(2, Duration::from_secs(5)).await;
        let in_use = conns.acquire().await.unwrap();
        let mut closing = Box::pin(conns.close());
        assert!(
            (&mut closing).now_or_never().is_none(),
            "closed under a statement"
        );
        drop(in_use);
        closing.await;
        let Err(e) = conns.acquire().await else {
            panic!("a connection after closing");
        };
        assert!(e.is_unavailable(), "{e}");
    }
}
