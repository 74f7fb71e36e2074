//! Slack's events, each acted on once. Slack redelivers an event it thinks failed, so an event
//! id is recorded only after its effect was kept: an effect that could not be kept leaves no
//! trace, and Slack's retry redoes it. Every effect is itself idempotent (keyed by its Slack
//! message, reaction or person), so a retry racing the first delivery, or one that follows a
//! success whose id could not be recorded, changes nothing either.

use super::Services;
use crate::store::{SlackEvent, StoreError};

/// Whether this event was acted on already (this is a retry of one that succeeded).
pub async fn already_done(s: &Services, event_id: &str) -> Result<bool, StoreError> {
    s.store.event_done(event_id).await
}

/// Records that an event's effect was kept, so Slack's retries of it change nothing.
pub async fn done(s: &Services, event: &SlackEvent) -> Result<(), StoreError> {
    s.store.record_event(event).await.map(drop)
}
