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
/// Old event ids (or OAuth states) removed per statement, and statements per pass: a backlog is
/// worked off over a few passes without holding a long write lock.
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
    /// Add-to-Slack states expired for longer than their retention, removed.
    pub states_pruned: u64,
    /// Review-page sessions idle too long and sign-in links past their time, removed.
    pub web_pruned: u64,
}

/// How long the scheduler keeps what only serves to recognise repeats.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub events: chrono::Duration,
    pub oauth_states: chrono::Duration,
}

#[derive(Clone)]
pub struct Scheduler {
    weekly: Weekly,
    digests: Digests,
    store: Arc<dyn Store>,
    retention: Retention,
}

impl Scheduler {
    pub fn new(
        weekly: Weekly,
        digests: Digests,
        store: Arc<dyn Store>,
        retention: Retention,
    ) -> Self {
        Scheduler {
            weekly,
            digests,
            store,
            retention,
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
            Retention {
                events: config.store.event_retention,
                oauth_states: config.store.oauth_state_retention,
            },
        )
    }

    /// One pass as if the time were `now`.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<Pass, StoreError> {
        let digests = self.digests.run_once(now).await?;
        let prompts = self.weekly.run_once(now).await?;
        let store = &self.store;
        let events_before = now - self.retention.events;
        let events_pruned = prune(|n| store.prune_events(events_before, n)).await?;
        let states_before = now - self.retention.oauth_states;
        let states_pruned = prune(|n| store.prune_oauth_states(states_before, n)).await?;
        let idle_since = now - crate::services::web::IDLE;
        let web_pruned = prune(|n| store.prune_web(idle_since, now, n)).await?;
        Ok(Pass {
            scheduled: prompts.scheduled,
            prompted: prompts.prompted,
            late: prompts.late,
            held: prompts.held,
            review_digests: digests.review,
            team_digests: digests.team,
            events_pruned,
            states_pruned,
            web_pruned,
        })
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

/// Runs a pruning statement (which removes the oldest `limit` rows) until it removes fewer than a
/// batch, a bounded number of times per pass; how many rows went.
async fn prune<F, Fut>(mut batch: F) -> Result<u64, StoreError>
where
    F: FnMut(i64) -> Fut,
    Fut: std::future::Future<Output = Result<u64, StoreError>>,
{
    let mut pruned = 0;
    for _ in 0..PRUNE_BATCHES {
        let n = batch(PRUNE_BATCH).await?;
        pruned += n;
        if n < PRUNE_BATCH as u64 {
            break;
        }
    }
    Ok(pruned)
}
