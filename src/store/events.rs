//! Slack event ids already acted on, so a retried delivery is not acted on twice.

use super::common::SqlStore;
use super::sql::Arg;
use super::*;
use async_trait::async_trait;

/// Slack events received.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Records an event id; false when it was already recorded (a retry).
    async fn record_event(&self, event: &SlackEvent) -> Result<bool>;
    /// Forgets that an event was received, so Slack's retry of it is acted on.
    async fn unrecord_event(&self, event_id: &str) -> Result<()>;
    /// Forgets up to `limit` of the oldest event ids received before `before`; how many.
    async fn prune_events(&self, before: DateTime<Utc>, limit: i64) -> Result<u64>;
}

const RECORD_EVENT: &str =
    "INSERT INTO slack_events (event_id, team_id, event_type, received_at) VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING";

const UNRECORD_EVENT: &str = "DELETE FROM slack_events WHERE event_id = $1";

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

    async fn unrecord_event(&self, event_id: &str) -> Result<()> {
        self.execute(UNRECORD_EVENT, &[Arg::Text(event_id.into())])
            .await
            .map(drop)
    }

    async fn prune_events(&self, before: DateTime<Utc>, limit: i64) -> Result<u64> {
        self.execute(PRUNE_EVENTS, &[Arg::Int(millis(before)), Arg::Int(limit)])
            .await
    }
}
