//! The values the store takes and gives, kept apart from the traits and SQL so the aggregates
//! share them and `crate::store` re-exports them under their old names.

use super::Schedule;
use super::{Placement, Source, Sphere, Visibility};
use crate::domain::ids::{ChannelId, TeamId, UserId};
use chrono::{DateTime, NaiveDate, Utc};

/// A message to deliver through the outbox once the change that caused it is committed.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// Unique within the change that causes it (e.g. `dm:U123`); the store makes it globally unique.
    pub key: String,
    /// A user id (delivered as a DM) or a channel id.
    pub channel: String,
    pub text: String,
    pub blocks: serde_json::Value,
    pub action: Action,
    /// When Slack's pace lets it go, given as it is written (`Outbox::pace`); `None`: at once.
    pub slot: Option<DateTime<Utc>>,
}

impl Delivery {
    /// A message posted in `channel` (a DM when it is a user id).
    pub fn post(key: String, channel: String, text: String, blocks: serde_json::Value) -> Self {
        Self {
            slot: None,
            key,
            channel,
            text,
            blocks,
            action: Action::Post,
        }
    }

    /// A new text for the message at `ts` in `channel`; one row per message, the newest text wins.
    pub fn update(channel: &str, ts: &str, text: String, blocks: serde_json::Value) -> Self {
        Self {
            slot: None,
            key: format!("update:{channel}:{ts}"),
            channel: channel.to_owned(),
            text,
            blocks,
            action: Action::Update { ts: ts.to_owned() },
        }
    }

    /// A note only `user` sees in `channel`.
    pub fn ephemeral(
        key: String,
        channel: &str,
        user: &str,
        text: String,
        blocks: serde_json::Value,
    ) -> Self {
        Self {
            slot: None,
            key,
            channel: channel.to_owned(),
            text,
            blocks,
            action: Action::Ephemeral {
                user: user.to_owned(),
            },
        }
    }
}

/// Which Slack call an outbox row makes, with what it needs beyond channel, text and blocks.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// `chat.postMessage`.
    #[default]
    Post,
    /// `chat.update` of the message at `ts` in `channel`. Coalesced: only the newest text goes.
    Update { ts: String },
    /// `chat.postEphemeral` to `user` in `channel`.
    Ephemeral { user: String },
    /// `reactions.add` of `name` to the message at `ts` in `channel`.
    React { ts: String, name: String },
    /// `views.publish` of the App Home of the user in `channel`, rendered when it is delivered.
    /// Coalesced: one row per person, so only the newest view is published.
    Home,
    /// The files uploaded and shared in `channel` with `text` as their comment (the review packet).
    Upload {
        files: Vec<UploadFile>,
        /// The command that asks for it again, for the note that says it never came.
        #[serde(default)]
        ask_again: String,
    },
}

impl Action {
    /// Rows whose newer version replaces the older instead of being dropped as a duplicate.
    pub fn coalesces(&self) -> bool {
        matches!(self, Action::Update { .. } | Action::Home)
    }

    /// The queue a message in `channel` waits in for Slack's pace: the channel for posts (a
    /// DM's is its person's), its own for each other kind of call, which Slack limits apart.
    pub fn lane(&self, channel: &str) -> String {
        match self {
            Action::Post | Action::Ephemeral { .. } => channel.to_owned(),
            other => format!("{}:{channel}", other.label()),
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Action::Post => "post",
            Action::Update { .. } => "update",
            Action::Ephemeral { .. } => "ephemeral",
            Action::React { .. } => "reaction",
            Action::Home => "home",
            Action::Upload { .. } => "upload",
        }
    }
}

/// One file of an upload, its bytes in base64 so the row stays text on both databases.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UploadFile {
    pub filename: String,
    pub title: String,
    pub base64: String,
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
    /// The Slack message it came from, when it came from one: evidence with the same key is
    /// recorded once (Slack redelivers events).
    pub source_key: Option<String>,
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
    /// Written in the same transaction as the evidence, with keys prefixed by `evidence:{id}:`.
    pub deliveries: Vec<Delivery>,
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
    /// The framework track and level the org chart gives them.
    pub track: Option<String>,
    pub level: Option<String>,
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
    pub action: Action,
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
