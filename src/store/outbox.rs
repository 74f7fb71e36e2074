//! The outbox: messages committed with the change that caused them, then leased, sent and
//! settled by the drainer. Other aggregates enqueue through `enqueue` and `OUTBOX_COLUMNS`.

use super::backend::{Backend, Get};
use super::common::SqlStore;
use super::sql::{insert_rows, placeholders, stmt, Arg, Stmt, MAX_PARAMS};
use super::*;
use async_trait::async_trait;

/// Messages waiting to be delivered, and what became of them.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Leases up to `limit` due messages to `worker` until `now + lease`.
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>>;
    /// Keeps `worker`'s leases alive until `until` while a slow batch is still being delivered.
    async fn outbox_extend_lease(&self, worker: &str, until: DateTime<Utc>) -> Result<()>;
    /// Records what happened to leased rows, in one transaction. Rows whose lease `worker` no
    /// longer holds are left alone.
    async fn outbox_finish(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        outcomes: &[(i64, Outcome)],
    ) -> Result<()>;
    /// When the soonest pending message not yet due at `now` falls due.
    async fn outbox_next_due(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>>;
    async fn outbox_counts(&self) -> Result<OutboxCounts>;
    async fn outbox_rows(&self, team_id: &str) -> Result<Vec<OutboxRow>>;
    /// Rows with `status` across workspaces, oldest first (for `cairn outbox list`).
    async fn outbox_list(&self, status: &str, limit: i64) -> Result<Vec<OutboxRow>>;
    /// Puts dead rows back in the queue, due now: the listed ones, or all of them. Returns how many.
    async fn outbox_requeue(&self, ids: Option<&[i64]>, now: DateTime<Utc>) -> Result<u64>;
    /// Puts messages in the outbox that no other change goes with (a note that something the
    /// person asked for failed); a key already there is kept.
    async fn enqueue(
        &self,
        team_id: &str,
        deliveries: &[Delivery],
        now: DateTime<Utc>,
    ) -> Result<()>;
}

/// The columns a new outbox row is written with.
const OUTBOX_COLUMNS: &[&str] = &[
    "team_id",
    "dedupe_key",
    "channel",
    "text",
    "blocks",
    "action",
    "not_before",
    "created_at",
    "paced",
];

/// A replayed change must not enqueue the same message twice: a key already there is kept.
const KEEP_FIRST: &str = " ON CONFLICT (team_id, dedupe_key) DO NOTHING";

/// A coalesced row (App Home, a message update) takes the newest content. One already delivered
/// or dead goes out again; one being delivered right now is marked `again`, so it stays pending
/// when that delivery finishes and the newest content follows; one waiting keeps its place.
const TAKE_NEWEST: &str = " ON CONFLICT (team_id, dedupe_key) DO UPDATE SET
     text = excluded.text, blocks = excluded.blocks, action = excluded.action, again = TRUE, last_error = NULL,
     not_before = CASE WHEN outbox.status = 'pending' THEN outbox.not_before ELSE excluded.not_before END,
     attempts = CASE WHEN outbox.status = 'pending' THEN outbox.attempts ELSE 0 END,
     doubt_since = CASE WHEN outbox.status = 'pending' THEN outbox.doubt_since ELSE NULL END,
     status = 'pending'";

/// Outbox rows, in the order given: `(team, dedupe key, message)`, all enqueued at `now`.
pub(super) fn enqueue(deliveries: &[(&str, String, &Delivery)], now: i64) -> Vec<Stmt> {
    enqueue_at(
        deliveries
            .iter()
            .map(|(team, key, d)| (*team, key.clone(), *d, now))
            .collect(),
    )
}

/// Outbox rows `(team, dedupe key, message, enqueued at)`. Of coalesced rows sharing a key, only
/// the last is written (one statement may not update a row twice).
pub(super) fn enqueue_at(deliveries: Vec<(&str, String, &Delivery, i64)>) -> Vec<Stmt> {
    let row = |(team_id, key, d, at): &(&str, String, &Delivery, i64)| {
        vec![
            Arg::Text((*team_id).to_owned()),
            Arg::Text(key.clone()),
            Arg::Text(d.channel.clone()),
            Arg::Text(d.text.clone()),
            Arg::Text(d.blocks.to_string()),
            Arg::Text(serde_json::to_string(&d.action).unwrap_or_default()),
            Arg::Int(d.slot.map_or(*at, millis)),
            Arg::Int(*at),
            Arg::Bool(d.slot.is_some()),
        ]
    };
    let (newest, first): (Vec<_>, Vec<_>) =
        deliveries.into_iter().partition(|r| r.2.action.coalesces());
    let mut last = Vec::with_capacity(newest.len());
    for (i, r) in newest.iter().enumerate() {
        let later = newest[i + 1..].iter().any(|o| o.0 == r.0 && o.1 == r.1);
        if !later {
            last.push(row(r));
        }
    }
    let mut statements = insert_rows(
        "outbox",
        OUTBOX_COLUMNS,
        first.iter().map(row).collect(),
        KEEP_FIRST,
    );
    statements.extend(insert_rows("outbox", OUTBOX_COLUMNS, last, TAKE_NEWEST));
    statements
}

/// Leases due rows, soonest due first: `$1` worker, `$2` lease end, `$3` now, `$4` limit. `lock` is appended to the
/// inner select (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one writer at a time).
/// A row still leased when its lease ran out was being sent by a worker that never said how it
/// went: it becomes in doubt from that worker's claim on (`SET` reads the old values).
fn claim_outbox(lock: &str) -> String {
    format!(
        "UPDATE outbox SET locked_by = $1, locked_until = $2, attempts = attempts + 1, claimed_at = $3, again = FALSE,
                doubt_since = CASE WHEN locked_by IS NOT NULL THEN COALESCE(doubt_since, claimed_at) ELSE doubt_since END
         WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND not_before <= $3
                      AND (locked_until IS NULL OR locked_until < $3) ORDER BY not_before, id LIMIT $4 {lock})
         RETURNING id, team_id, dedupe_key, channel, text, blocks, action, attempts, doubt_since, (paced OR not_before > created_at) AS put_off"
    )
}

/// What the worker learnt about its leased rows, applied in one transaction (one commit, one
/// fsync) instead of one per message. Rows whose lease was lost to another worker are left alone.
fn outbox_finish(worker: &str, now: i64, outcomes: &[(i64, Outcome)]) -> Vec<Stmt> {
    let mut statements = Vec::new();
    let sent: Vec<(i64, &str)> = outcomes
        .iter()
        .filter_map(|(id, o)| match o {
            Outcome::Sent { ts } => Some((*id, ts.as_str())),
            _ => None,
        })
        .collect();
    for chunk in sent.chunks(MAX_PARAMS / 2 - 2) {
        let mut args = vec![Arg::Text(worker.to_owned()), Arg::Int(now)];
        let mut cases = String::new();
        let mut ids = Vec::new();
        for (id, ts) in chunk {
            args.push(Arg::Int(*id));
            args.push(Arg::Text((*ts).to_owned()));
            let (pi, pt) = (args.len() - 1, args.len());
            cases.push_str(&format!(" WHEN ${pi} THEN ${pt}"));
            ids.push(format!("${pi}"));
        }
        statements.push(Stmt {
            sql: format!(
                "UPDATE outbox SET status = CASE WHEN again THEN 'pending' ELSE 'sent' END, sent_at = $2, last_error = NULL, locked_by = NULL, locked_until = NULL, \
                 slack_ts = CASE id{cases} END WHERE locked_by = $1 AND id IN ({})",
                ids.join(", ")
            ),
            args,
        });
    }
    for (id, outcome) in outcomes {
        let (sql, args) = match outcome {
            Outcome::Sent { .. } => continue,
            Outcome::Retry {
                not_before,
                error,
                uncertain,
            } => (
                OUTBOX_RETRY,
                vec![
                    Arg::Int(*id),
                    Arg::Text(worker.into()),
                    Arg::Int(millis(*not_before)),
                    Arg::Text(error.clone()),
                    Arg::Bool(*uncertain),
                ],
            ),
            Outcome::Defer { not_before, reason } => (
                OUTBOX_DEFER,
                vec![
                    Arg::Int(*id),
                    Arg::Text(worker.into()),
                    Arg::Int(millis(*not_before)),
                    Arg::OptText(reason.clone()),
                ],
            ),
            Outcome::Dead { error } => (
                OUTBOX_DEAD,
                vec![
                    Arg::Int(*id),
                    Arg::Text(worker.into()),
                    Arg::Text(error.clone()),
                ],
            ),
        };
        statements.push(Stmt {
            sql: sql.to_owned(),
            args,
        });
    }
    statements
}

const OUTBOX_DEFER: &str = "UPDATE outbox SET not_before = $3, attempts = attempts - 1, last_error = COALESCE($4, last_error), locked_by = NULL, locked_until = NULL WHERE id = $1 AND locked_by = $2";

/// `$5`: Slack may have posted the message before failing (a timeout, a 5xx).
const OUTBOX_RETRY: &str = "UPDATE outbox SET not_before = $3, last_error = $4, locked_by = NULL, locked_until = NULL,
     doubt_since = CASE WHEN $5 THEN COALESCE(doubt_since, claimed_at) ELSE doubt_since END WHERE id = $1 AND locked_by = $2";

const OUTBOX_EXTEND: &str =
    "UPDATE outbox SET locked_until = $2 WHERE locked_by = $1 AND status = 'pending'";

/// A coalesced row that changed while it was tried gets another go with its newest content.
const OUTBOX_DEAD: &str = "UPDATE outbox SET status = CASE WHEN again THEN 'pending' ELSE 'dead' END,
     attempts = CASE WHEN again THEN 0 ELSE attempts END, last_error = $3, locked_by = NULL, locked_until = NULL WHERE id = $1 AND locked_by = $2";

const OUTBOX_NEXT_DUE: &str =
    "SELECT MIN(not_before) FROM outbox WHERE status = 'pending' AND not_before > $1";

const OUTBOX_COUNTS: &str = "SELECT status, COUNT(*) FROM outbox GROUP BY status";

const OUTBOX_LIST: &str = "SELECT id, team_id, dedupe_key, channel, status, attempts, last_error, slack_ts FROM outbox WHERE status = $1 ORDER BY id LIMIT $2";

const OUTBOX_ROWS: &str =
    "SELECT id, team_id, dedupe_key, channel, status, attempts, last_error, slack_ts FROM outbox WHERE team_id = $1 ORDER BY id";

/// Dead rows back to pending, due at `$1`: all of them, or those in `ids`.
fn outbox_requeue(ids: Option<&[i64]>, now: i64) -> Stmt {
    let mut sql = String::from(
        "UPDATE outbox SET status = 'pending', attempts = 0, not_before = $1, last_error = NULL, locked_by = NULL, locked_until = NULL WHERE status = 'dead'",
    );
    let mut args = vec![Arg::Int(now)];
    if let Some(ids) = ids {
        sql.push_str(&format!(
            " AND id IN ({})",
            placeholders(2, ids.len().max(1))
        ));
        // An empty list matches nothing rather than everything.
        args.extend(ids.iter().map(|i| Arg::Int(*i)));
        if ids.is_empty() {
            args.push(Arg::Int(-1));
        }
    }
    Stmt { sql, args }
}

fn outbox_message(row: &impl Get) -> Result<OutboxMessage, sqlx::Error> {
    let blocks: String = row.try_get("blocks")?;
    let action: String = row.try_get("action")?;
    Ok(OutboxMessage {
        // A row this build cannot read is posted as plain text rather than lost.
        action: serde_json::from_str(&action).unwrap_or_default(),
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        channel: row.try_get("channel")?,
        text: row.try_get("text")?,
        blocks: serde_json::from_str(&blocks).unwrap_or(serde_json::Value::Null),
        attempts: row.try_get("attempts")?,
        dedupe_key: row.try_get("dedupe_key")?,
        doubt_since: row
            .try_get::<Option<i64>, _>("doubt_since")?
            .and_then(chrono::DateTime::from_timestamp_millis),
        put_off: row.try_get("put_off")?,
    })
}

fn outbox_row(row: &impl Get) -> Result<OutboxRow, sqlx::Error> {
    Ok(OutboxRow {
        id: row.try_get("id")?,
        team_id: row.try_get("team_id")?,
        dedupe_key: row.try_get("dedupe_key")?,
        channel: row.try_get("channel")?,
        status: row.try_get("status")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        slack_ts: row.try_get("slack_ts")?,
    })
}

fn count_status(counts: &mut OutboxCounts, status: &str, n: i64) {
    match status {
        "pending" => counts.pending = n,
        "sent" => counts.sent = n,
        "dead" => counts.dead = n,
        _ => {}
    }
}

#[async_trait]
impl<DB: Backend> OutboxStore for SqlStore<DB> {
    async fn claim_outbox(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<OutboxMessage>> {
        let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
        let args = vec![
            Arg::Text(worker.into()),
            Arg::Int(millis(until)),
            Arg::Int(millis(now)),
            Arg::Int(limit),
        ];
        let rows = self
            .write(&Stmt {
                sql: claim_outbox(self.claim_lock),
                args,
            })
            .await?;
        let mut claimed = rows
            .iter()
            .map(outbox_message)
            .collect::<std::result::Result<Vec<_>, _>>()?;
        claimed.sort_by_key(|m| m.id);
        Ok(claimed)
    }

    async fn outbox_extend_lease(&self, worker: &str, until: DateTime<Utc>) -> Result<()> {
        let args = vec![Arg::Text(worker.into()), Arg::Int(millis(until))];
        self.write(&stmt(OUTBOX_EXTEND, args)).await.map(drop)
    }

    async fn outbox_finish(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        outcomes: &[(i64, Outcome)],
    ) -> Result<()> {
        self.write_all(outbox_finish(worker, millis(now), outcomes))
            .await
    }

    async fn outbox_next_due(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let rows = self
            .read(&stmt(OUTBOX_NEXT_DUE, vec![Arg::Int(millis(now))]))
            .await?;
        let next: Option<i64> = match rows.first() {
            Some(row) => row.try_get(0)?,
            None => None,
        };
        Ok(next.and_then(DateTime::from_timestamp_millis))
    }

    async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let mut counts = OutboxCounts::default();
        for row in self.read(&stmt(OUTBOX_COUNTS, vec![])).await? {
            count_status(&mut counts, &row.try_get::<String, _>(0)?, row.try_get(1)?);
        }
        Ok(counts)
    }

    async fn outbox_rows(&self, team_id: &str) -> Result<Vec<OutboxRow>> {
        let rows = self
            .read(&stmt(OUTBOX_ROWS, vec![Arg::Text(team_id.into())]))
            .await?;
        Ok(rows
            .iter()
            .map(outbox_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn outbox_list(&self, status: &str, limit: i64) -> Result<Vec<OutboxRow>> {
        let rows = self
            .read(&stmt(
                OUTBOX_LIST,
                vec![Arg::Text(status.into()), Arg::Int(limit)],
            ))
            .await?;
        Ok(rows
            .iter()
            .map(outbox_row)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn outbox_requeue(&self, ids: Option<&[i64]>, now: DateTime<Utc>) -> Result<u64> {
        let stmt = outbox_requeue(ids, millis(now));
        self.execute(&stmt.sql, &stmt.args).await
    }

    async fn enqueue(
        &self,
        team_id: &str,
        deliveries: &[Delivery],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let rows: Vec<(&str, String, &Delivery)> = deliveries
            .iter()
            .map(|d| (team_id, d.key.clone(), d))
            .collect();
        self.write_all(enqueue(&rows, millis(now))).await
    }
}
