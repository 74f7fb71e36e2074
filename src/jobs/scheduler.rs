//! The scheduler: every half minute in `cairn serve` (once in `cairn jobs run-once`), one pass of
//! the weekly prompts and the digests. Each writes what it sends to the outbox; the outbox
//! worker is woken when a pass queued anything.

use crate::clock::SharedClock;
use crate::config;
use crate::services::digests::Digests;
use crate::services::prompts::weekly::Weekly;
use crate::services::Services;
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How often `cairn serve` runs a pass.
const TICK: std::time::Duration = std::time::Duration::from_secs(30);
/// Old event ids forgotten per statement, and statements per pass: a backlog is worked off
/// over a few passes without holding a long write lock.
const PRUNE_BATCH: i64 = 500;
const PRUNE_BATCHES: usize = 20;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Newcomers given their first slot.
    pub scheduled: usize,
    pub prompted: usize,
    /// Due prompts not sent because they were more than a day late.
    pub late: usize,
    /// Due prompts not sent because the person is a bot, deactivated or unknown.
    pub held: usize,
    /// Managers' digests before a review cycle.
    pub review_digests: usize,
    /// Weekly kudos digests to a channel.
    pub team_digests: usize,
    /// Processed event ids older than the retention, forgotten.
    pub events_pruned: u64,
}

#[derive(Clone)]
pub struct Scheduler {
    weekly: Weekly,
    digests: Digests,
    store: Arc<dyn Store>,
    event_retention: chrono::Duration,
}

impl Scheduler {
    pub fn new(
        weekly: Weekly,
        digests: Digests,
        store: Arc<dyn Store>,
        event_retention: chrono::Duration,
    ) -> Self {
        Scheduler {
            weekly,
            digests,
            store,
            event_retention,
        }
    }

    /// The scheduler over the app's services, as `cairn serve` and `cairn jobs run-once` run it.
    pub fn of(services: &Services, config: &config::Config) -> Self {
        Scheduler::new(
            Weekly::new(
                services.store.clone(),
                services.people.clone(),
                services.framework.clone(),
                services.prompts.clone(),
            ),
            Digests::new(
                services.store.clone(),
                services.framework.clone(),
                config.digests.clone(),
            ),
            services.store.clone(),
            config.store.event_retention,
        )
    }

    /// One pass as if the time were `now`.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Pass, StoreError> {
        let digests = self.digests.run_once(now).await?;
        let prompts = self.weekly.run_once(now).await?;
        let events_pruned = self.prune_events(now).await?;
        Ok(Pass {
            scheduled: prompts.scheduled,
            prompted: prompts.prompted,
            late: prompts.late,
            held: prompts.held,
            review_digests: digests.review,
            team_digests: digests.team,
            events_pruned,
        })
    }

    /// Forgets event ids older than the retention, the oldest first, a bounded amount per pass.
    async fn prune_events(&self, now: DateTime<Utc>) -> Result<u64, StoreError> {
        let before = now - self.event_retention;
        let mut pruned = 0;
        for _ in 0..PRUNE_BATCHES {
            let n = self.store.prune_events(before, PRUNE_BATCH).await?;
            pruned += n;
            if n < PRUNE_BATCH as u64 {
                break;
            }
        }
        Ok(pruned)
    }

    /// Runs a pass every [`TICK`] until cancelled, the first a tick after start (so replicas
    /// started together spread out, and start-up stays quick); a failed pass is logged and
    /// retried.
    pub async fn run(
        self,
        clock: SharedClock,
        wake: Arc<tokio::sync::Notify>,
        cancel: CancellationToken,
    ) {
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(TICK) => {}
            }
            match self.run_once(clock.now()).await {
                Ok(pass) if pass.prompted + pass.review_digests + pass.team_digests > 0 => {
                    tracing::info!(?pass, "reflection prompts queued");
                    wake.notify_one();
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the scheduler pass failed; retrying"),
            }
        }
    }
}
