//! Slack event ids already acted on, so a retried delivery is not acted on twice.

use super::common::SqlStore;
use super::sql::{stmt, Arg};
use super::*;
use async_trait::async_trait;

/// Slack events received.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Whether an event id was recorded as acted on.
    async fn event_done(&self, event_id: &str) -> Result<bool>;
    /// Records an event id as acted on; false when it was already recorded.
    async fn record_event(&self, event: &SlackEvent) -> Result<bool>;
    /// Forgets up to `limit` of the oldest event ids received before `before`; how many.
    async fn prune_events(&self, before: DateTime<Utc>, limit: i64) -> Result<u64>;
}

const RECORD_EVENT: &str =
    "INSERT INTO slack_events (event_id, team_id, event_type, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING";

const EVENT_DONE: &str = "SELECT COUNT(*) FROM slack_events WHERE event_id = $1";

/// A bounded batch, so pruning a backlog never holds a long write lock.
const PRUNE_EVENTS: &str = "DELETE FROM slack_events WHERE event_id IN (
     SELECT event_id FROM slack_events WHERE received_at < $1 ORDER BY received_at LIMIT $2)";

#[async_trait]
impl<DB: Backend> EventStore for SqlStore<DB> {
    async fn record_event(&self, e: &SlackEvent) -> Result<bool> {
        let args = [
            Arg::Text(e.event_id.clone()),
            Arg::Text(e.team_id.clone()),
            Arg::Text(e.event_type.clone()),
            Arg::Int(millis(e.received_at)),
        ];
        Ok(self.execute(RECORD_EVENT, &args).await? == 1)
    }

    async fn event_done(&self, event_id: &str) -> Result<bool> {
        let rows = self
            .read(&stmt(EVENT_DONE, vec![Arg::Text(event_id.into())]))
            .await?;
        let count: i64 = match rows.first() {
            Some(row) => row.try_get(0)?,
            None => 0,
        };
        Ok(count > 0)
    }

    async fn prune_events(&self, before: DateTime<Utc>, limit: i64) -> Result<u64> {
        self.execute(PRUNE_EVENTS, &[Arg::Int(millis(before)), Arg::Int(limit)])
            .await
    }
}
