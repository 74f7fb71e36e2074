//! The use cases, one noun each. A handler (HTTP, Socket Mode) or a job parses what arrived and
//! calls one of these; they call the domain for the rules, the store for what is kept, and the
//! outbox for what goes to Slack. Nothing here knows HTTP.
//!
//! [`Services`] is built once, in `app.rs`, and shared by every handler and job.

pub mod digests;
pub mod events;
pub mod evidence;
pub mod giving;
pub mod home;
pub mod org;
pub mod packets;
pub mod people;
pub mod placements;
pub mod prompts;
pub mod reactions;
mod recent;
pub mod summaries;
pub mod team;
pub mod web;
pub mod workspaces;

use crate::clock::SharedClock;
use crate::domain::framework::Framework;
use crate::domain::growth::Viewer;
use crate::domain::pacing::{Limits, Pacer};
use crate::domain::tags::TagIndex;
use crate::store::{Action, Delivery, Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::Notify;

/// Everything the use cases share; cheap to clone.
#[derive(Clone)]
pub struct Services {
    pub store: Arc<dyn Store>,
    pub framework: Arc<Framework>,
    pub tags: Arc<TagIndex>,
    pub clock: SharedClock,
    pub people: people::People,
    /// Where people sit in the org chart, kept for a few seconds.
    pub placements: placements::Placements,
    pub workspaces: workspaces::Workspaces,
    pub outbox: Outbox,
    pub rules: Arc<Rules>,
    /// The workspace's prompt settings: the default slot, quiet days.
    pub prompts: Arc<crate::config::Prompts>,
}

/// How the workspace's operator set Cairn up to treat kudos and people.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    /// A kudos needs at least one competency tag.
    pub require_competency_tag: bool,
    /// Reaction names that give kudos.
    pub kudos_emoji: Vec<String>,
    /// Slack user ids with admin rights (`CAIRN_ADMINS`).
    pub admins: Vec<String>,
}

impl Services {
    /// `user` as a viewer of summaries: an admin if the operator made them one.
    pub fn viewer(&self, user: &str) -> Viewer {
        Viewer::Person {
            admin: self.rules.admins.iter().any(|a| a == user),
            user: user.to_owned(),
        }
    }

    /// Whether the database answers (`/readyz`).
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }

    /// How many messages wait, went out and died in the outbox (`/metrics`).
    pub async fn outbox_counts(&self) -> Result<crate::store::OutboxCounts, StoreError> {
        self.store.outbox_counts().await
    }

    pub fn kudos_rules(&self) -> crate::domain::kudos::KudosRules {
        crate::domain::kudos::KudosRules {
            require_competency: self.rules.require_competency_tag,
        }
    }
}

/// The way to Slack: changes write their messages into the store's outbox in their own
/// transaction; this wakes the worker that delivers them, so they go out at once. It also holds
/// Slack's pace, shared with the worker: a message for a busy channel is written due at its
/// slot, so a backlog waits in the database and costs nothing until its turn.
#[derive(Clone, Default)]
pub struct Outbox {
    wake: Arc<Notify>,
    pacer: Arc<std::sync::Mutex<Pacer>>,
}

impl Outbox {
    pub fn new(limits: Limits) -> Self {
        Self {
            wake: Arc::default(),
            pacer: Arc::new(std::sync::Mutex::new(Pacer::new(limits))),
        }
    }

    /// The worker waits on this.
    pub fn waker(&self) -> Arc<Notify> {
        self.wake.clone()
    }

    /// The pace the worker keeps.
    pub fn pacer(&self) -> Arc<std::sync::Mutex<Pacer>> {
        self.pacer.clone()
    }

    /// Something was written to the outbox: deliver it now rather than at the next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Gives each post its slot in its channel as it is about to be written; returns whether
    /// any is due now (else the worker wakes for them when they fall due).
    pub fn pace(&self, team: &str, deliveries: &mut [Delivery], now: DateTime<Utc>) -> bool {
        let mut pacer = self.pacer.lock().unwrap_or_else(|e| e.into_inner());
        let mut due_now = false;
        for d in deliveries
            .iter_mut()
            .filter(|d| matches!(d.action, Action::Post))
        {
            let slot = pacer.reserve(team, &d.action.lane(&d.channel), now);
            due_now |= slot <= now;
            d.slot = Some(slot);
        }
        due_now || deliveries.iter().any(|d| d.slot.is_none())
    }

    /// Messages that go with no other change (a note that something asked for failed).
    pub async fn send(
        &self,
        store: &dyn Store,
        team: &str,
        deliveries: &[Delivery],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        store.enqueue(team, deliveries, now).await?;
        self.wake();
        Ok(())
    }
}
