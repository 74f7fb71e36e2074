//! Slack's events, each acted on once: Slack redelivers an event it thinks failed, so each
//! event id is recorded before its effect, and forgotten again if the effect could not be kept
//! (so Slack's retry redoes it).

use super::Services;
use crate::store::{SlackEvent, StoreError};

/// Records an event as received; false when it was already (a retry of one acted on).
pub async fn first_delivery(s: &Services, event: &SlackEvent) -> Result<bool, StoreError> {
    s.store.record_event(event).await
}

/// Forgets that an event was received, so Slack's retry of it is acted on.
pub async fn not_done(s: &Services, event_id: &str) -> Result<(), StoreError> {
    s.store.unrecord_event(event_id).await
}
