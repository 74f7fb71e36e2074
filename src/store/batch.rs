//! Group commit for kudos. Each `/kudos` waits for its own commit, but many are committed
//! together: whatever queued up while the previous transaction ran goes into the next one, as a
//! handful of multi-row statements. One fsync and a few round trips serve a whole batch, so the
//! cost per kudos falls as load rises instead of the queue growing.

use super::{NewKudos, Result, StoreError};
use async_trait::async_trait;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinSet;

/// Kudos committed together at most; bounds one transaction's size and time.
const MAX_BATCH: usize = 64;

/// A backend's way to write a batch in one transaction.
#[async_trait]
pub(crate) trait WriteBatch: Send + Sync + 'static {
    /// Writes every kudos of `batch` or none; returns their ids in batch order. Workspaces in
    /// `known_teams` are already stored.
    async fn write_batch(
        &self,
        batch: &[NewKudos],
        known_teams: &HashSet<String>,
    ) -> Result<Vec<i64>>;
}

type Job = (NewKudos, oneshot::Sender<Result<i64>>);

pub(crate) struct KudosWriter {
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    tasks: Mutex<JoinSet<()>>,
}

/// What the writer tasks share.
struct Shared {
    target: Arc<dyn WriteBatch>,
    queue: Mutex<mpsc::Receiver<Job>>,
    known_teams: std::sync::Mutex<HashSet<String>>,
}

impl KudosWriter {
    /// Starts `writers` tasks; each takes what has queued and commits it as one batch.
    pub fn start(target: Arc<dyn WriteBatch>, writers: usize) -> Self {
        let (tx, rx) = mpsc::channel(16 * MAX_BATCH);
        let shared = Arc::new(Shared {
            target,
            queue: Mutex::new(rx),
            known_teams: Default::default(),
        });
        let mut tasks = JoinSet::new();
        for _ in 0..writers.max(1) {
            tasks.spawn(run(shared.clone()));
        }
        Self {
            queue: Mutex::new(Some(tx)),
            tasks: Mutex::new(tasks),
        }
    }

    /// Queues a kudos and waits for the commit that contains it.
    pub async fn record(&self, kudos: NewKudos) -> Result<i64> {
        let stopped = || StoreError::Unavailable("the store is shutting down".into());
        let queue = self.queue.lock().await.clone().ok_or_else(stopped)?;
        let (reply, answer) = oneshot::channel();
        queue.send((kudos, reply)).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Stops taking kudos, commits what is queued, then returns.
    pub async fn close(&self) {
        self.queue.lock().await.take();
        let mut tasks = self.tasks.lock().await;
        while tasks.join_next().await.is_some() {}
    }
}

async fn run(shared: Arc<Shared>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    loop {
        // Hold the queue only while taking a batch, so another writer can take the next one.
        if shared
            .queue
            .lock()
            .await
            .recv_many(&mut jobs, MAX_BATCH)
            .await
            == 0
        {
            return;
        }
        let (batch, replies): (Vec<NewKudos>, Vec<_>) = jobs.drain(..).unzip();
        let known = shared
            .known_teams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        match shared.target.write_batch(&batch, &known).await {
            Ok(ids) => {
                shared
                    .known_teams
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(batch.iter().map(|k| k.team_id.to_string()));
                for (reply, id) in replies.into_iter().zip(ids) {
                    let _ = reply.send(Ok(id));
                }
            }
            // One bad kudos must not sink the others: write them one by one to find it. Not when
            // the database itself is away: each would only fail again, slowly.
            Err(e) if batch.len() > 1 && !e.is_unavailable() => {
                tracing::warn!(error = %e, kudos = batch.len(), "a batch of kudos failed; writing them one by one");
                for (kudos, reply) in batch.into_iter().zip(replies) {
                    let one = shared
                        .target
                        .write_batch(std::slice::from_ref(&kudos), &known)
                        .await;
                    let _ = reply.send(one.map(|ids| ids[0]));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, kudos = batch.len(), "could not record kudos");
                // A batch of one, or the database is away and every kudos failed with it.
                let mut replies = replies.into_iter();
                let first = replies.next();
                for reply in replies {
                    let _ = reply.send(Err(StoreError::Unavailable(e.to_string())));
                }
                let unavailable = e.is_unavailable();
                if let Some(reply) = first {
                    let _ = reply.send(Err(e));
                }
                if unavailable {
                    fail_queued(&shared);
                }
            }
        }
    }
}

/// Kudos that queued while an attempt found the database away would wait out another attempt,
/// past Slack's deadline, and be told only "cannot confirm": they are told at once that nothing
/// was saved. (Another writer waiting on the queue holds it; then it tries them itself.)
fn fail_queued(shared: &Shared) {
    let Ok(mut queue) = shared.queue.try_lock() else {
        return;
    };
    let mut failed = 0;
    while let Ok((_, reply)) = queue.try_recv() {
        let _ = reply.send(Err(StoreError::Unavailable(
            "the database was unreachable when this kudos queued".into(),
        )));
        failed += 1;
    }
    if failed > 0 {
        tracing::warn!(
            kudos = failed,
            "kudos queued while the database was away were refused"
        );
    }
}
