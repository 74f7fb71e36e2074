//! Storage: one `Store` trait, SQLite (the zero-set-up default) and PostgreSQL (for several
//! replicas) behind it. SQL text is shared where the engines agree (`sql.rs`).

mod batch;
mod common;
mod postgres;
mod sql;
mod sqlite;

use crate::domain::ids::{ChannelId, TeamId, UserId};
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

pub use common::SqlStore;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database is unreachable: {0}")]
    Unavailable(String),
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrations failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    pub(crate) fn from_sqlx(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e.to_string()),
            other => StoreError::Database(other),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub use crate::domain::forget::Forgotten;
pub use crate::domain::growth::{Item, Placement, Source, Sphere, Visibility};
pub use crate::domain::kudos::Kudos;
pub use crate::domain::schedule::Schedule;
pub use crate::domain::schedule::{Cadence, Occurrence, Slot};
pub use crate::domain::summary::SummaryView;

/// A message to deliver through the outbox once the change that caused it is committed.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Unique within the change that causes it (e.g. `dm:U123`); the store makes it globally unique.
    pub key: String,
    /// A user id (delivered as a DM) or a channel id.
    pub channel: String,
    pub text: String,
    pub blocks: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct NewKudos {
    pub team_id: TeamId,
    pub team_domain: Option<String>,
    pub giver: UserId,
    pub recipients: Vec<UserId>,
    pub competencies: Vec<String>,
    pub multiplier_kinds: Vec<String>,
    /// Slack wire text.
    pub text: String,
    pub channel_id: Option<ChannelId>,
    pub visibility: Visibility,
    pub framework_id: String,
    pub framework_version: String,
    pub created_at: DateTime<Utc>,
    /// The sphere for each receiver (in `recipients` order; missing ones are unknown), from the
    /// org chart as it is when the kudos is given.
    pub spheres: Vec<Sphere>,
    /// Written in the same transaction as the kudos, with keys prefixed by `kudos:{id}:`.
    pub deliveries: Vec<Delivery>,
}

impl NewKudos {
    /// The sphere of the `i`th receiver.
    pub fn sphere_of(&self, i: usize) -> Sphere {
        self.spheres.get(i).copied().unwrap_or(Sphere::Unknown)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewEvidence {
    pub team_id: TeamId,
    pub subject: UserId,
    pub author: UserId,
    pub source: Source,
    /// Slack wire text.
    pub text: String,
    pub permalink: Option<String>,
    pub visibility: Visibility,
    pub competencies: Vec<String>,
    pub multiplier_kinds: Vec<String>,
    /// A canonical sphere level the author declared.
    pub sphere: Option<String>,
    /// People the work helped.
    pub people: Vec<UserId>,
    pub framework_id: String,
    pub framework_version: String,
    pub occurred_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub id: i64,
    pub team_id: String,
    pub subject: String,
    pub author: String,
    pub source: Source,
    pub text: String,
    pub permalink: Option<String>,
    pub visibility: Visibility,
    pub competencies: Vec<String>,
    pub multiplier_kinds: Vec<String>,
    pub sphere: Option<String>,
    pub people: Vec<String>,
    pub framework_id: String,
    pub framework_version: String,
    pub occurred_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Received,
    Given,
}

#[derive(Debug, Clone)]
pub struct KudosQuery {
    pub team_id: String,
    pub user: Option<String>,
    /// With `user`: which side; `None` means either.
    pub role: Option<Role>,
    pub from: Option<DateTime<Utc>>,
    /// Exclusive.
    pub to: Option<DateTime<Utc>>,
    pub limit: i64,
    /// Only kudos with an id below this (the cursor of the previous page).
    pub before_id: Option<i64>,
    /// Whether private kudos are included (never for the admin API).
    pub include_private: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub team_id: String,
    pub user_id: String,
    pub name: Option<String>,
    pub real_name: Option<String>,
    pub tz: Option<String>,
    pub is_bot: bool,
    pub deleted: bool,
    pub updated_at: DateTime<Utc>,
}

/// A person as the org chart places them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgPerson {
    pub user_id: String,
    /// From the org chart, else from Slack.
    pub name: Option<String>,
    pub email: Option<String>,
    pub team: Option<String>,
    pub group: Option<String>,
    pub manager: Option<String>,
}

impl OrgPerson {
    pub fn placement(&self) -> Placement {
        Placement {
            team: self.team.clone(),
            group: self.group.clone(),
            manager: self.manager.clone(),
        }
    }
}

/// A manager in the org chart with their direct reports (not bots, not deactivated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manager {
    pub user_id: String,
    /// Their own override, else their Slack profile's.
    pub tz: Option<String>,
    /// Not a bot and not deactivated.
    pub active: bool,
    /// Nothing is sent to them before this local date.
    pub paused_until: Option<NaiveDate>,
    pub reports: Vec<String>,
}

/// A claimed schedule whose prompt is due, with the person's Slack profile if known.
#[derive(Debug, Clone)]
pub struct DueSchedule {
    pub schedule: Schedule,
    pub person: Option<Person>,
}

/// A prompt to record as sent, and its message, committed with the schedule's advance.
#[derive(Debug, Clone)]
pub struct Prompt {
    /// `weekly`, `monthly`, `review_digest` or `team_digest`.
    pub kind: &'static str,
    pub local_date: NaiveDate,
    pub delivery: Delivery,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackEvent {
    pub event_id: String,
    pub team_id: String,
    pub event_type: String,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxMessage {
    pub id: i64,
    pub team_id: String,
    pub channel: String,
    pub text: String,
    pub blocks: serde_json::Value,
    /// Including the current one.
    pub attempts: i64,
    pub dedupe_key: String,
    /// Set when an earlier attempt may have posted the message without Cairn learning of it:
    /// a copy posted since then must be looked for before sending again.
    pub doubt_since: Option<DateTime<Utc>>,
    /// It was put off before (paced, rate-limited, retried): it keeps its place in its
    /// channel's line rather than going to the back.
    pub put_off: bool,
}

/// What one delivery attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Sent {
        ts: String,
    },
    Retry {
        not_before: DateTime<Utc>,
        error: String,
        /// Slack may have posted it anyway (a timeout or a 5xx).
        uncertain: bool,
    },
    Dead {
        error: String,
    },
    /// Not attempted, or stopped by a rate limit: back at `not_before`, without counting as an
    /// attempt. `reason` (a 429) is kept as the last error.
    Defer {
        not_before: DateTime<Utc>,
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub dead: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub team_id: String,
    pub dedupe_key: String,
    pub channel: String,
    pub status: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub slack_ts: Option<String>,
}

/// A workspace that installed Cairn through Slack's OAuth flow. The store keeps the bot token
/// sealed (`secrets::Keys`): it never sees the token itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    /// The workspace, or for an org-wide install the organisation (`is_org_wide`).
    pub team_id: String,
    /// Set for installs in an Enterprise Grid organisation.
    pub enterprise_id: Option<String>,
    pub app_id: Option<String>,
    pub bot_user_id: Option<String>,
    /// `v1.<key id>.<nonce>.<ciphertext>`, bound to `team_id`.
    pub bot_token_sealed: String,
    pub scopes: Vec<String>,
    /// Who installed it; cleared when they are forgotten.
    pub installer_user_id: Option<String>,
    /// The first install; a reinstall keeps it and moves `updated_at`.
    pub installed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Installation {
    /// An org-wide (Enterprise Grid) install: keyed by the organisation's id rather than a
    /// workspace's, its token speaks for every workspace of the organisation that granted it.
    pub fn is_org_wide(&self) -> bool {
        self.enterprise_id.as_deref() == Some(self.team_id.as_str())
    }
}

/// Re-seals one stored token for `reseal_installations`: the new sealed text, `None` to leave
/// it as it is, or why it cannot be opened.
pub type Reseal<'a> =
    &'a (dyn Fn(&Installation) -> std::result::Result<Option<String>, String> + Send + Sync);

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<()>;
    /// Records a kudos with its recipients, tags and deliveries in one transaction; returns its id.
    async fn record_kudos(&self, kudos: NewKudos) -> Result<i64>;
    async fn list_kudos(&self, query: &KudosQuery) -> Result<Page<Kudos>>;
    /// Workspaces seen so far, to default `team` in the API.
    async fn workspaces(&self) -> Result<Vec<String>>;
    /// Records one piece of evidence with its tags and the people it helped; returns its id.
    async fn record_evidence(&self, evidence: NewEvidence) -> Result<i64>;
    /// Records a kudos that has a source (a reaction) at most once: `None` if one with this
    /// `source_key` exists already. `permalink` is the message it is about.
    async fn record_kudos_once(
        &self,
        kudos: NewKudos,
        source_key: &str,
        permalink: Option<String>,
    ) -> Result<Option<i64>>;
    /// Withdraws the kudos with `source_key` given by `giver` at or after `since`, with its
    /// undelivered messages; false if there is none (or it is older).
    async fn withdraw_kudos(
        &self,
        team_id: &str,
        source_key: &str,
        giver: &str,
        since: DateTime<Utc>,
    ) -> Result<bool>;
    /// Adds a competency to the kudos with `source_key`, if `giver` gave it.
    async fn tag_kudos(
        &self,
        team_id: &str,
        source_key: &str,
        giver: &str,
        competency: &str,
    ) -> Result<bool>;
    /// Deletes everything about `user` in one transaction: their evidence, their place among
    /// kudos receivers (and kudos left with no receiver), their profile and messages to or about
    /// them; kudos they gave stay for the receivers, from "a former teammate", and every mention
    /// of them in stored text becomes that too.
    async fn forget_person(&self, team_id: &str, user: &str) -> Result<Forgotten>;
    /// How many items (kudos received, evidence held) a person has per competency since `since`.
    async fn competency_counts(
        &self,
        team_id: &str,
        user: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<(String, i64)>>;
    /// A person's evidence, newest first.
    async fn evidence_of(&self, team_id: &str, subject: &str, limit: i64) -> Result<Vec<Evidence>>;
    /// Records an event id; false when it was already recorded (a retry).
    /// Everyone the org chart places in `team_id` (the names are the org chart's own).
    async fn org_chart(&self, team_id: &str) -> Result<Vec<OrgPerson>>;
    /// Writes org chart rows (added or changed) in one transaction; Slack profiles are kept.
    async fn import_org(
        &self,
        team_id: &str,
        people: &[OrgPerson],
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// What the store knows of `users`: org placement and a display name. Unknown people are
    /// missing.
    async fn org_people(
        &self,
        team_id: &str,
        users: &[String],
    ) -> Result<HashMap<String, OrgPerson>>;
    /// `user`'s managers, nearest first.
    async fn manager_chain(&self, team_id: &str, user: &str) -> Result<Vec<String>>;
    /// Every item about `subject` in `[from, to)`, private ones included: kudos received (one
    /// item per receiver) and evidence they recorded.
    async fn items_about(
        &self,
        team_id: &str,
        subject: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Item>>;
    /// `items_about` for many people at once, keyed by `(team_id, user_id)`, each person's
    /// items in the order `items_about` gives them; people with none are left out. A few
    /// statements for the lot instead of a few per person.
    async fn items_about_many(
        &self,
        people: &[(String, String)],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<HashMap<(String, String), Vec<Item>>>;
    /// Kudos `giver` gave in `[from, to)`.
    async fn kudos_given_count(
        &self,
        team_id: &str,
        giver: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        include_private: bool,
    ) -> Result<u64>;
    /// Records looks at people's summaries, all or none (one commit for a review cycle).
    async fn record_views(&self, views: &[SummaryView]) -> Result<()>;
    async fn schedule(&self, team_id: &str, user_id: &str) -> Result<Option<Schedule>>;
    /// Stores a schedule; `replace` false keeps one that is already there (a newcomer's
    /// default never overwrites settings saved meanwhile).
    async fn save_schedule(
        &self,
        schedule: &Schedule,
        now: DateTime<Utc>,
        replace: bool,
    ) -> Result<()>;
    /// People Cairn knows (not bots, not deactivated) who have no schedule yet, or whose
    /// schedule waits for a time zone that is now known.
    async fn unscheduled_people(&self, limit: i64) -> Result<Vec<Person>>;
    /// Leases up to `limit` schedules due at `now` until `until`; another replica skips them.
    async fn claim_schedules(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<DueSchedule>>;
    /// In one transaction, for each schedule: records its prompts (each once per person, kind
    /// and local date) with their messages in the outbox, stores its next firing and releases
    /// its lease. One commit for a whole claimed batch.
    async fn finish_schedules(
        &self,
        finished: &[(Schedule, Vec<Prompt>)],
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Managers in `team_id`'s org chart with their direct reports, by user id.
    async fn managers(&self, team_id: &str) -> Result<Vec<Manager>>;
    /// Who got a prompt of `kind` for `local_date`: user ids, or channels for a team digest.
    async fn prompted(
        &self,
        team_id: &str,
        kind: &str,
        local_date: NaiveDate,
    ) -> Result<HashSet<String>>;
    /// In one transaction, records prompts to recipients (each once per recipient, kind and
    /// local date) with their messages in the outbox; how many were new.
    async fn send_prompts(
        &self,
        team_id: &str,
        prompts: &[(String, Prompt)],
        now: DateTime<Utc>,
    ) -> Result<usize>;
    /// When the last weekly prompt (or monthly summary) was sent to a person since `since`.
    async fn last_prompt_since(
        &self,
        team_id: &str,
        user_id: &str,
        since: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>>;
    /// Views of `subject`'s summary or packet since `since`, newest first.
    async fn views_of(
        &self,
        team_id: &str,
        subject: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<SummaryView>>;

    async fn record_event(&self, event: &SlackEvent) -> Result<bool>;
    /// Forgets that an event was received, so Slack's retry of it is acted on.
    async fn unrecord_event(&self, event_id: &str) -> Result<()>;
    async fn upsert_person(&self, person: &Person) -> Result<()>;
    async fn person(&self, team_id: &str, user_id: &str) -> Result<Option<Person>>;
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
    /// Parks every pending row of a workspace as dead with `reason` (the app was uninstalled or
    /// its token revoked); `outbox_requeue` sends them once it is back. Returns how many.
    async fn park_workspace(&self, team_id: &str, reason: &str) -> Result<u64>;
    /// Stores an installation, replacing the team's earlier one (its `installed_at` is kept).
    async fn save_installation(&self, installation: &Installation) -> Result<()>;
    async fn installation(&self, team_id: &str) -> Result<Option<Installation>>;
    /// Every installation, by team id.
    async fn installations(&self) -> Result<Vec<Installation>>;
    /// Removes a team's installation (uninstalled, tokens revoked); false if there was none.
    async fn delete_installation(&self, team_id: &str) -> Result<bool>;
    /// Records that `teams` belong to the Enterprise Grid organisation `enterprise_id`.
    async fn link_workspaces(
        &self,
        enterprise_id: &str,
        teams: &[String],
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Forgets that `teams` belong to `enterprise_id` (its org-wide install lost access to them).
    async fn unlink_workspaces(&self, enterprise_id: &str, teams: &[String]) -> Result<()>;
    /// The organisation `team_id` belongs to, if Cairn has seen it.
    async fn enterprise_of(&self, team_id: &str) -> Result<Option<String>>;
    /// The workspaces known to belong to `enterprise_id`.
    async fn enterprise_workspaces(&self, enterprise_id: &str) -> Result<Vec<String>>;
    /// Re-seals every stored token with `reseal`, all or nothing: if any token cannot be
    /// re-sealed, nothing is written and the error (`StoreError::Invalid`) names each team.
    /// Returns how many tokens were rewritten. A row changed meanwhile is left as it now is.
    async fn reseal_installations(&self, reseal: Reseal<'_>, now: DateTime<Utc>) -> Result<u64>;
    /// Records an OAuth `state` nonce handed out at `created_at`, valid until `expires_at`;
    /// states that have expired by `created_at` are dropped.
    async fn save_oauth_state(
        &self,
        nonce: &str,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Spends an OAuth `state`: true only the first time, and only before it expires.
    async fn use_oauth_state(&self, nonce: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Lets the pools go, waiting for pending writes.
    async fn close(&self);
}

/// A database as `cairn doctor` finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inspection {
    /// False for a SQLite file not created yet.
    pub exists: bool,
    /// The latest migration applied, if any.
    pub applied: Option<i64>,
    /// The latest migration this build knows.
    pub latest: i64,
    /// Each installed workspace and its sealed bot token (none before migration 0009).
    pub installations: Vec<(String, String)>,
}

/// Looks at the database a `DATABASE_URL` names without creating or migrating it.
pub async fn inspect(url: &str) -> Result<Inspection> {
    if url.starts_with("sqlite:") {
        sqlite::inspect(url).await
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        postgres::inspect(url).await
    } else {
        Err(StoreError::Invalid(format!(
            "DATABASE_URL must start with sqlite:// or postgres:// (got '{}')",
            url.split(':').next().unwrap_or_default()
        )))
    }
}

/// The installations' sealed tokens, by workspace; none if the table is not there yet.
async fn sealed_tokens<'a, E>(executor: E) -> Vec<(String, String)>
where
    E: sqlx::Executor<'a>,
    String: for<'r> sqlx::Decode<'r, E::Database> + sqlx::Type<E::Database>,
    for<'q> <E::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, E::Database>,
    usize: sqlx::ColumnIndex<<E::Database as sqlx::Database>::Row>,
{
    let rows = sqlx::query("SELECT team_id, bot_token_sealed FROM installations ORDER BY team_id")
        .fetch_all(executor)
        .await
        .unwrap_or_default();
    rows.iter()
        .filter_map(|r| {
            let team: String = sqlx::Row::try_get(r, 0).ok()?;
            let sealed: String = sqlx::Row::try_get(r, 1).ok()?;
            Some((team, sealed))
        })
        .collect()
}

/// sqlx's record of applied migrations; none if the table is not there yet.
async fn applied_migration<'a, E>(executor: E) -> Option<i64>
where
    E: sqlx::Executor<'a>,
    i64: for<'r> sqlx::Decode<'r, E::Database> + sqlx::Type<E::Database>,
    for<'q> <E::Database as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, E::Database>,
    usize: sqlx::ColumnIndex<<E::Database as sqlx::Database>::Row>,
{
    let row = sqlx::query("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
        .fetch_one(executor)
        .await
        .ok()?;
    sqlx::Row::try_get::<Option<i64>, _>(&row, 0).ok().flatten()
}

/// Opens the store a `DATABASE_URL` names and applies its migrations.
pub async fn connect(url: &str) -> Result<Arc<dyn Store>> {
    let store: Arc<dyn Store> = if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url).await?)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Arc::new(PostgresStore::connect(url).await?)
    } else {
        return Err(StoreError::Invalid(format!(
            "DATABASE_URL must start with sqlite:// or postgres:// (got '{}')",
            url.split(':').next().unwrap_or_default()
        )));
    };
    Ok(store)
}

pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}
