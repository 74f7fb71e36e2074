//! Drains the outbox: the only way anything is sent to Slack. A row is a post, a message update,
//! an ephemeral note, a reaction, an App Home (rendered when delivered) or a file upload (the
//! packet). The one call made directly is `views.open`, whose trigger lives three seconds.
//!
//! A row is leased (the lease is committed before Slack is called), delivered, then marked sent.
//! A worker that dies mid-delivery leaves a lease that expires, so the row is tried again, never
//! lost; every message carries its dedupe key in Slack message metadata, and a row whose last
//! attempt ended unknown (a crash, a timeout, a 5xx) first looks for that key in the channel's
//! history (an upload: for its first file), so it is not posted twice either; updates, reactions
//! and the home tab are idempotent, and an ephemeral note twice is the lesser harm. Rate limits wait `Retry-After`; transient failures back off
//! exponentially with jitter; permanent failures park the row as dead with the reason.

use crate::clock::SharedClock;
use crate::domain::pacing::Pacer;
use crate::services::workspaces::Workspaces;
use crate::services::Services;
use crate::slack::client::{FileUpload, SlackClient, SlackError};
use crate::store::{Action, Delivery, OutboxMessage, Outcome, Store, StoreError, UploadFile};
use base64::Engine;
use rand::Rng;
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

/// Rows claimed per transaction; each claim and each finish is a commit, so fewer, larger ones
/// leave the database to the kudos.
const BATCH: i64 = 64;
/// Slack calls in flight at once.
const CONCURRENCY: usize = 16;
/// How long a claim holds its rows before another worker may take them. Short, so a crashed
/// worker's messages go out again within seconds; a slow batch renews it every third of it.
const LEASE: Duration = Duration::from_secs(15);
const BACKOFF_BASE: Duration = Duration::from_secs(2);
const BACKOFF_CAP: Duration = Duration::from_secs(15 * 60);
/// Transient failures retried this many times before the row is parked.
const MAX_ATTEMPTS: i64 = 12;
/// After a wake-up, how long the worker waits for more messages before claiming: a DM a few
/// milliseconds later costs nobody anything, a transaction per kudos costs the database.
const GATHER: Duration = Duration::from_millis(20);
/// How often the worker looks for due rows when nothing wakes it.
const POLL: Duration = Duration::from_secs(1);
/// Between claims of paced messages falling due one after another, at least this long, so one
/// claim serves all those due meanwhile; a DM this much after its slot costs nobody anything.
const PACED_GATHER: Duration = Duration::from_millis(100);

#[derive(Clone)]
pub struct OutboxWorker {
    /// Renders what is built when delivered (the App Home).
    services: Services,
    store: Arc<dyn Store>,
    slack: SlackClient,
    tokens: Workspaces,
    clock: SharedClock,
    worker_id: String,
    /// DM channel per (team, user), so each recipient costs one `conversations.open` per process.
    dm_channels: Arc<Mutex<HashMap<(String, String), String>>>,
    /// Shared with the services, which give each post its slot as it is written.
    pacer: Arc<std::sync::Mutex<Pacer>>,
}

impl OutboxWorker {
    pub fn new(services: &Services) -> Self {
        let worker_id = format!(
            "{}-{:08x}",
            std::process::id(),
            rand::thread_rng().gen::<u32>()
        );
        Self {
            services: services.clone(),
            store: services.store.clone(),
            slack: services.workspaces.slack().clone(),
            tokens: services.workspaces.clone(),
            clock: services.clock.clone(),
            worker_id,
            dm_channels: Arc::default(),
            pacer: services.outbox.pacer(),
        }
    }

    /// Claims one batch of due rows, delivers them concurrently, and records the outcomes in
    /// one transaction; returns how many were attempted.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let batch = self
            .store
            .claim_outbox(&self.worker_id, now, LEASE, BATCH)
            .await?;
        let count = batch.len();
        if count == 0 {
            return Ok(0);
        }
        let heartbeat = self.keep_lease();
        let mut outcomes = Vec::with_capacity(count);
        // One queue per lane (mostly a channel), in row order: a channel's messages go one after another (so
        // they arrive in order and a DM is opened once), different channels in parallel.
        let mut queues: Vec<((String, String), Vec<OutboxMessage>)> = Vec::new();
        {
            let mut pacer = self.pacer();
            for message in batch {
                match pacer.admit(&message.team_id, &lane(&message), now, message.put_off) {
                    Ok(()) => {
                        let key = (message.team_id.clone(), lane(&message));
                        match queues.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, queue)) => queue.push(message),
                            None => queues.push((key, vec![message])),
                        }
                    }
                    Err(slot) => outcomes.push((
                        message.id,
                        Outcome::Defer {
                            not_before: slot,
                            reason: None,
                        },
                    )),
                }
            }
        }
        let mut tasks = JoinSet::new();
        for (_, queue) in queues {
            if tasks.len() >= CONCURRENCY {
                // A panicked delivery leaves its lease to expire; the row is tried again then.
                if let Some(Ok(done)) = tasks.join_next().await {
                    outcomes.extend(done);
                }
            }
            let worker = self.clone();
            tasks.spawn(async move { worker.deliver_queue(queue).await });
        }
        while let Some(done) = tasks.join_next().await {
            if let Ok(done) = done {
                outcomes.extend(done);
            }
        }
        for (_, outcome) in &outcomes {
            let label = match outcome {
                Outcome::Sent { .. } => "sent",
                Outcome::Retry { .. } => "retry",
                Outcome::Dead { .. } => "dead",
                Outcome::Defer { .. } => "deferred",
            };
            crate::metrics::inc("cairn_outbox_deliveries_total", &[("outcome", label)]);
        }
        heartbeat.abort();
        if !outcomes.is_empty() {
            self.store
                .outbox_finish(&self.worker_id, self.clock.now(), &outcomes)
                .await?;
        }
        Ok(count)
    }

    /// Renews the lease on the batch in hand until aborted. Most batches finish long before the
    /// first renewal; one held up by a slow Slack keeps its rows, so no one else sends them.
    fn keep_lease(&self) -> tokio::task::JoinHandle<()> {
        let (store, clock, worker) = (
            self.store.clone(),
            self.clock.clone(),
            self.worker_id.clone(),
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(LEASE / 3).await;
                let until = clock.now() + chrono::Duration::from_std(LEASE).unwrap_or_default();
                if let Err(e) = store.outbox_extend_lease(&worker, until).await {
                    tracing::warn!(error = %e, "outbox: could not renew a lease");
                }
            }
        })
    }

    /// Runs until cancelled, waking on `wake` or every second. The batch in hand is finished
    /// before stopping, so no lease is left behind by a clean shutdown.
    pub async fn run(self, wake: Arc<Notify>, cancel: CancellationToken) {
        loop {
            let attempted = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox: could not claim messages");
                    0
                }
            };
            if cancel.is_cancelled() {
                break;
            }
            if attempted as i64 == BATCH {
                continue;
            }
            tokio::select! {
                _ = cancel.cancelled() => break,
                _ = wake.notified() => {
                    // Let a burst of kudos gather so one claim serves many of them.
                    tokio::time::sleep(GATHER).await;
                }
                _ = tokio::time::sleep(self.until_next_due().await) => {}
            }
        }
    }

    /// How long to sleep: until the soonest pending row falls due (at least `PACED_GATHER`,
    /// at most `POLL`).
    async fn until_next_due(&self) -> Duration {
        let now = self.clock.now();
        match self.store.outbox_next_due(now).await {
            Ok(Some(next)) => (next - now)
                .to_std()
                .unwrap_or_default()
                .clamp(PACED_GATHER, POLL),
            Ok(None) => POLL,
            Err(e) => {
                tracing::warn!(error = %e, "outbox: could not look for messages due later");
                POLL
            }
        }
    }

    fn pacer(&self) -> std::sync::MutexGuard<'_, Pacer> {
        self.pacer.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Delivers one channel's messages in order. After a 429 the rest are not tried: they take
    /// the channel's next slots.
    async fn deliver_queue(&self, queue: Vec<OutboxMessage>) -> Vec<(i64, Outcome)> {
        let mut outcomes = Vec::with_capacity(queue.len());
        let mut held = false;
        for message in queue {
            let outcome = if held {
                let now = self.clock.now();
                let slot = self
                    .pacer()
                    .rate_limited(&message.team_id, &lane(&message), now, now);
                Outcome::Defer {
                    not_before: slot,
                    reason: None,
                }
            } else {
                self.attempt(&message).await
            };
            held |= matches!(
                &outcome,
                Outcome::Defer {
                    reason: Some(_),
                    ..
                }
            );
            outcomes.push((message.id, outcome));
        }
        outcomes
    }

    async fn attempt(&self, message: &OutboxMessage) -> Outcome {
        let (id, attempts) = (message.id, message.attempts);
        match self.deliver(message).await {
            Ok(ts) => Outcome::Sent { ts },
            Err(SlackError::RateLimited { retry_after }) => {
                let now = self.clock.now();
                let until = now + chrono::Duration::from_std(retry_after).unwrap_or_default();
                let slot = self
                    .pacer()
                    .rate_limited(&message.team_id, &lane(message), now, until);
                tracing::info!(
                    outbox_id = id,
                    retry_after_s = retry_after.as_secs(),
                    "outbox: Slack rate-limited a channel"
                );
                let reason = SlackError::RateLimited { retry_after }.to_string();
                Outcome::Defer {
                    not_before: slot,
                    reason: Some(reason),
                }
            }
            Err(e) if e.is_permanent() => {
                tracing::warn!(outbox_id = id, error = %e, "outbox: giving up on a message");
                self.gave_up(message).await;
                Outcome::Dead {
                    error: e.to_string(),
                }
            }
            Err(e) if attempts >= MAX_ATTEMPTS => {
                self.gave_up(message).await;
                Outcome::Dead {
                    error: format!("gave up after {attempts} attempts: {e}"),
                }
            }
            Err(e) => {
                let wait = backoff(attempts);
                tracing::info!(outbox_id = id, error = %e, retry_in_ms = wait.as_millis() as u64, "outbox: will retry");
                let not_before =
                    self.clock.now() + chrono::Duration::from_std(wait).unwrap_or_default();
                Outcome::Retry {
                    not_before,
                    error: e.to_string(),
                    uncertain: e.is_uncertain(),
                }
            }
        }
    }

    async fn deliver(&self, message: &OutboxMessage) -> Result<String, SlackError> {
        // Each workspace is spoken to with its own token; one Cairn holds none for is parked
        // (dead, with this reason) until it is installed again and the message retried.
        let Some(token) = self.tokens.for_team(&message.team_id).await else {
            return Err(SlackError::Api {
                error: "not_installed".into(),
            });
        };
        let (slack, channel) = (&self.slack, message.channel.as_str());
        match &message.action {
            Action::Post => {
                let channel = self.conversation(&token, message).await?;
                if let Some(ts) = self.already_posted(&token, message, &channel).await? {
                    return Ok(ts);
                }
                let (text, key) = (&message.text, &message.dedupe_key);
                slack
                    .chat_post_message(&token, &channel, text, &message.blocks, key)
                    .await
            }
            Action::Update { ts } => {
                let text = &message.text;
                slack
                    .chat_update(&token, channel, ts, text, &message.blocks)
                    .await?;
                Ok(ts.clone())
            }
            Action::Ephemeral { user } => {
                let text = &message.text;
                slack
                    .chat_post_ephemeral(&token, channel, user, text, &message.blocks)
                    .await?;
                Ok(String::new())
            }
            Action::React { ts, name } => {
                match slack.reactions_add(&token, channel, ts, name).await {
                    Err(SlackError::Api { error }) if error == "already_reacted" => Ok(ts.clone()),
                    done => done.map(|()| ts.clone()),
                }
            }
            Action::Home => {
                // Rendered now, so the newest state is what is published.
                let view = crate::services::home::view(&self.services, &message.team_id, channel)
                    .await
                    .map_err(|e| {
                        SlackError::Transport(format!(
                            "the home tab could not be read from the database: {e}"
                        ))
                    })?;
                slack.views_publish(&token, channel, &view).await?;
                Ok(String::new())
            }
            Action::Upload { files, .. } => {
                let channel = self.conversation(&token, message).await?;
                if let Some(ts) = self
                    .already_uploaded(&token, message, &channel, files)
                    .await?
                {
                    return Ok(ts);
                }
                let bytes: Vec<Vec<u8>> = files
                    .iter()
                    .map(|f| base64::engine::general_purpose::STANDARD.decode(&f.base64))
                    .collect::<Result<_, _>>()
                    .map_err(|e| SlackError::Api {
                        error: format!("a stored file is not base64: {e}"),
                    })?;
                let uploads: Vec<FileUpload> = files
                    .iter()
                    .zip(&bytes)
                    .map(|(f, bytes)| FileUpload {
                        filename: &f.filename,
                        title: &f.title,
                        bytes,
                    })
                    .collect();
                let ids = slack
                    .upload_files(&token, &channel, &message.text, &uploads)
                    .await?;
                crate::metrics::inc("cairn_packets_delivered_total", &[]);
                Ok(ids.into_iter().next().unwrap_or_default())
            }
        }
    }

    /// Where a post or an upload goes: the channel, or the DM with the user it names.
    async fn conversation(
        &self,
        token: &SecretString,
        message: &OutboxMessage,
    ) -> Result<String, SlackError> {
        if is_user(&message.channel) {
            self.dm_channel(token, &message.team_id, &message.channel)
                .await
        } else {
            Ok(message.channel.clone())
        }
    }

    /// A packet that will never arrive is said so, through the outbox, to whoever asked for it.
    async fn gave_up(&self, message: &OutboxMessage) {
        let Action::Upload { ask_again, .. } = &message.action else {
            return;
        };
        crate::metrics::inc("cairn_packets_failed_total", &[]);
        let text = format!(":warning: I could not upload the review packet you asked for: Slack kept refusing the files. Ask again with `{ask_again}` in a little while.");
        let note = Delivery::post(
            format!("{}:failed", message.dedupe_key),
            message.channel.clone(),
            text.clone(),
            serde_json::json!([{ "type": "section", "text": { "type": "mrkdwn", "text": text } }]),
        );
        let store = self.store.as_ref();
        if let Err(e) = store
            .enqueue(&message.team_id, &[note], self.clock.now())
            .await
        {
            tracing::error!(error = %e, "outbox: could not say that a packet failed");
        }
    }

    /// Whether an upload in doubt was shared after all: its first file is in the channel.
    async fn already_uploaded(
        &self,
        token: &SecretString,
        message: &OutboxMessage,
        channel: &str,
        files: &[UploadFile],
    ) -> Result<Option<String>, SlackError> {
        let (Some(since), Some(first)) = (message.doubt_since, files.first()) else {
            return Ok(None);
        };
        crate::metrics::inc("cairn_outbox_in_doubt_total", &[]);
        // Shares carry no key, only file names, which an earlier packet of the same person and
        // period shares too: only a share since this row's first doubtful attempt (claimed
        // before it started), less a little clock skew, can be this one.
        let oldest = since - chrono::Duration::seconds(10);
        let found = self
            .slack
            .find_shared_file(token, channel, oldest, &first.filename)
            .await;
        checked(message.id, found)
    }

    /// Whether an earlier attempt posted the message after all.
    async fn already_posted(
        &self,
        token: &SecretString,
        message: &OutboxMessage,
        channel: &str,
    ) -> Result<Option<String>, SlackError> {
        let Some(since) = message.doubt_since else {
            return Ok(None);
        };
        crate::metrics::inc("cairn_outbox_in_doubt_total", &[]);
        // Slack's clock and ours may disagree by a little.
        let oldest = since - chrono::Duration::minutes(5);
        let found = self
            .slack
            .find_posted(token, channel, oldest, &message.dedupe_key)
            .await;
        checked(message.id, found)
    }

    async fn dm_channel(
        &self,
        token: &SecretString,
        team: &str,
        user: &str,
    ) -> Result<String, SlackError> {
        let key = (team.to_owned(), user.to_owned());
        if let Some(channel) = self.dm_channels.lock().await.get(&key) {
            return Ok(channel.clone());
        }
        let channel = self.slack.conversations_open(token, user).await?;
        self.dm_channels.lock().await.insert(key, channel.clone());
        Ok(channel)
    }
}

/// The line a row waits in: Slack's one-a-second pace per channel is `chat.postMessage`'s;
/// the other methods have limits of their own, so each kind keeps its own line per channel
/// (and all count toward the workspace's budget).
fn lane(message: &OutboxMessage) -> String {
    message.action.lane(&message.channel)
}

/// What a look for an earlier copy found. If the channel's history cannot be read (a missing
/// scope), sending again is the lesser harm: a DM twice, not never.
fn checked(
    id: i64,
    found: Result<Option<String>, SlackError>,
) -> Result<Option<String>, SlackError> {
    match found {
        Ok(Some(ts)) => {
            tracing::info!(
                outbox_id = id,
                "outbox: an earlier attempt had been delivered"
            );
            Ok(Some(ts))
        }
        Ok(None) => Ok(None),
        Err(e) if e.is_permanent() => {
            tracing::warn!(outbox_id = id, error = %e, "outbox: cannot check for an earlier copy; sending");
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

fn is_user(channel: &str) -> bool {
    channel.starts_with('U') || channel.starts_with('W')
}

/// 2 s, 4 s, 8 s… capped at 15 minutes, each with up to 25 % jitter so retries spread out.
pub fn backoff(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 20) as u32 - 1;
    let base = BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(exp))
        .min(BACKOFF_CAP);
    let jitter = rand::thread_rng().gen_range(0.0..0.25);
    base.mul_f64(1.0 + jitter).min(BACKOFF_CAP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_caps() {
        let first = backoff(1);
        assert!(
            first >= Duration::from_secs(2) && first <= Duration::from_millis(2500),
            "{first:?}"
        );
        let third = backoff(3);
        assert!(
            third >= Duration::from_secs(8) && third <= Duration::from_secs(10),
            "{third:?}"
        );
        assert_eq!(backoff(40), BACKOFF_CAP.min(backoff(40)));
        assert!(backoff(40) <= BACKOFF_CAP);
    }
}
