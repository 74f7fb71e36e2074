//! The review pages' sign-in: browser sessions and the one-time links `/growth web` sends.
//! Both are kept by the SHA-256 of their secret, never the secret itself.

use super::backend::{Backend, Get};
use super::common::SqlStore;
use super::outbox::enqueue_at;
use super::sql::{stmt, Arg};
use super::*;
use async_trait::async_trait;

/// A signed-in browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    pub id_hash: String,
    pub team_id: String,
    pub user_id: String,
    pub csrf: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// A one-time sign-in link, before it is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebLink {
    pub token_hash: String,
    pub team_id: String,
    pub user_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[async_trait]
pub trait WebStore: Send + Sync {
    /// Records a link and the DM that carries it, in one transaction.
    async fn save_web_link(&self, link: &WebLink, dm: &Delivery) -> Result<()>;
    /// Spends a link: its `(team, user)` the first time before it expires, else nothing.
    async fn use_web_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>>;
    async fn save_web_session(&self, session: &WebSession) -> Result<()>;
    /// The session, if it was last seen after `idle_since`; it is marked seen at `now` when
    /// that was more than a minute ago (a page view is not a write).
    async fn web_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<WebSession>>;
    async fn end_web_session(&self, id_hash: &str) -> Result<()>;
    /// Removes up to `limit` sessions idle since `idle_since` and links expired before
    /// `expired_before`; how many.
    async fn prune_web(
        &self,
        idle_since: DateTime<Utc>,
        expired_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<u64>;
}

const SAVE_LINK: &str =
    "INSERT INTO web_links (token_hash, team_id, user_id, created_at, expires_at)
     VALUES ($1, $2, $3, $4, $5)";

/// Single use: only the first spend before expiry changes the row.
const USE_LINK: &str = "UPDATE web_links SET used_at = $2
     WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING team_id, user_id";

const SAVE_SESSION: &str = "INSERT INTO web_sessions
     (id_hash, team_id, user_id, csrf, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6)";

const SESSION: &str = "SELECT id_hash, team_id, user_id, csrf, created_at, last_seen_at
     FROM web_sessions WHERE id_hash = $1 AND last_seen_at > $2";

const TOUCH_SESSION: &str = "UPDATE web_sessions SET last_seen_at = $2 WHERE id_hash = $1";

const END_SESSION: &str = "DELETE FROM web_sessions WHERE id_hash = $1";

/// Bounded batches, as for event ids.
const PRUNE_SESSIONS: &str = "DELETE FROM web_sessions WHERE id_hash IN (
     SELECT id_hash FROM web_sessions WHERE last_seen_at <= $1 ORDER BY last_seen_at LIMIT $2)";
const PRUNE_LINKS: &str = "DELETE FROM web_links WHERE token_hash IN (
     SELECT token_hash FROM web_links WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)";

/// How stale `last_seen_at` may get before a request writes it again.
const TOUCH_AFTER_MS: i64 = 60_000;

#[async_trait]
impl<DB: Backend> WebStore for SqlStore<DB> {
    async fn save_web_link(&self, link: &WebLink, dm: &Delivery) -> Result<()> {
        let now = millis(link.created_at);
        let mut statements = vec![stmt(
            SAVE_LINK,
            vec![
                Arg::Text(link.token_hash.clone()),
                Arg::Text(link.team_id.clone()),
                Arg::Text(link.user_id.clone()),
                Arg::Int(now),
                Arg::Int(millis(link.expires_at)),
            ],
        )];
        // Each link is its own message: keyed by the link, not by the person.
        let key = format!(
            "web-link:{}",
            &link.token_hash[..16.min(link.token_hash.len())]
        );
        statements.extend(enqueue_at(vec![(link.team_id.as_str(), key, dm, now)]));
        self.write_all(statements).await
    }

    async fn use_web_link(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>> {
        let args = vec![Arg::Text(token_hash.into()), Arg::Int(millis(now))];
        let rows = self.write(&stmt(USE_LINK, args)).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        Ok(Some((row.try_get(0)?, row.try_get(1)?)))
    }

    async fn save_web_session(&self, s: &WebSession) -> Result<()> {
        let args = [
            Arg::Text(s.id_hash.clone()),
            Arg::Text(s.team_id.clone()),
            Arg::Text(s.user_id.clone()),
            Arg::Text(s.csrf.clone()),
            Arg::Int(millis(s.created_at)),
            Arg::Int(millis(s.last_seen_at)),
        ];
        self.execute(SAVE_SESSION, &args).await.map(drop)
    }

    async fn web_session(
        &self,
        id_hash: &str,
        now: DateTime<Utc>,
        idle_since: DateTime<Utc>,
    ) -> Result<Option<WebSession>> {
        let args = vec![Arg::Text(id_hash.into()), Arg::Int(millis(idle_since))];
        let rows = self.read(&stmt(SESSION, args)).await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let session = WebSession {
            id_hash: row.try_get(0)?,
            team_id: row.try_get(1)?,
            user_id: row.try_get(2)?,
            csrf: row.try_get(3)?,
            created_at: from_millis(row.try_get(4)?),
            last_seen_at: from_millis(row.try_get(5)?),
        };
        if millis(now) - millis(session.last_seen_at) > TOUCH_AFTER_MS {
            let args = [Arg::Text(id_hash.into()), Arg::Int(millis(now))];
            self.execute(TOUCH_SESSION, &args).await?;
        }
        Ok(Some(session))
    }

    async fn end_web_session(&self, id_hash: &str) -> Result<()> {
        self.execute(END_SESSION, &[Arg::Text(id_hash.into())])
            .await
            .map(drop)
    }

    async fn prune_web(
        &self,
        idle_since: DateTime<Utc>,
        expired_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<u64> {
        let sessions = [Arg::Int(millis(idle_since)), Arg::Int(limit)];
        let removed = self.execute(PRUNE_SESSIONS, &sessions).await?;
        let links = [Arg::Int(millis(expired_before)), Arg::Int(limit)];
        Ok(removed + self.execute(PRUNE_LINKS, &links).await?)
    }
}
