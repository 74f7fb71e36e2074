//! Group commit for kudos. Each `/kudos` waits for its own commit, but many are committed
//! together: whatever queued up while the previous transaction ran goes into the next one, as a
//! handful of multi-row statements. One fsync and a few round trips serve a whole batch, so the
//! cost per kudos falls as load rises instead of the queue growing.

use super::{NewKudos, Result, StoreError};
use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};
use tokio::task::JoinHandle;

/// Kudos committed together at most; bounds one transaction's size and time.
const MAX_BATCH: usize = 64;

/// A backend's way to write a batch in one transaction.
#[async_trait]
pub(crate) trait WriteBatch: Send + Sync + 'static {
    /// Writes every kudos of `batch` or none; returns their ids in batch order.
    async fn write_batch(&self, batch: &[NewKudos]) -> Result<Vec<i64>>;
}

type Job = (NewKudos, oneshot::Sender<Result<i64>>);

pub(crate) struct KudosWriter {
    queue: Mutex<Option<mpsc::Sender<Job>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl KudosWriter {
    pub fn start(target: Arc<dyn WriteBatch>) -> Self {
        let (tx, rx) = mpsc::channel(16 * MAX_BATCH);
        let task = tokio::spawn(run(target, rx));
        Self {
            queue: Mutex::new(Some(tx)),
            task: Mutex::new(Some(task)),
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
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}

async fn run(target: Arc<dyn WriteBatch>, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut jobs, MAX_BATCH).await > 0 {
        let (batch, replies): (Vec<NewKudos>, Vec<_>) = jobs.drain(..).unzip();
        match target.write_batch(&batch).await {
            Ok(ids) => {
                for (reply, id) in replies.into_iter().zip(ids) {
                    let _ = reply.send(Ok(id));
                }
            }
            // One bad kudos must not sink the others: write them one by one to find it.
            Err(e) if batch.len() > 1 => {
                tracing::warn!(error = %e, kudos = batch.len(), "a batch of kudos failed; writing them one by one");
                for (kudos, reply) in batch.into_iter().zip(replies) {
                    let one = target.write_batch(std::slice::from_ref(&kudos)).await;
                    let _ = reply.send(one.map(|ids| ids[0]));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "could not record a kudos");
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(e));
                }
            }
        }
    }
}
