//! One typed `Config`, built once at start from flags, environment and an optional TOML file.
//! Precedence: flag > env > file > default (contracts.md). Secrets never reach `Debug` output.

use crate::domain::framework::DEFAULT_FRAMEWORK;
use crate::domain::ids::UserId;
use crate::domain::review::ReviewCycles;
use crate::domain::schedule::{CronSpec, Slot};
use chrono::NaiveDate;
use chrono_tz::Tz;
use clap::Args;
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://cairn.db";
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api/";
pub const DEFAULT_KUDOS_EMOJI: &str = "cairn,kudos";

/// Every setting, as a flag with its environment variable, and as a key of the TOML file (the
/// flag's name with underscores, or the variable's name: `database_url` or `DATABASE_URL`).
#[derive(Args, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// TOML file with the same settings (lowest precedence after defaults).
    #[arg(long, env = "CAIRN_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,
    /// Listen address [default: 127.0.0.1:3000]
    #[arg(long, env = "CAIRN_ADDR")]
    #[serde(alias = "CAIRN_ADDR")]
    pub addr: Option<String>,
    /// sqlite://PATH or postgres://… [default: sqlite://cairn.db]
    #[arg(long, env = "DATABASE_URL")]
    #[serde(alias = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Signing secret of the Slack app (required to serve HTTP)
    #[arg(long, env = "SLACK_SIGNING_SECRET", hide_env_values = true)]
    #[serde(alias = "SLACK_SIGNING_SECRET")]
    pub slack_signing_secret: Option<String>,
    /// Bot token (xoxb-…) for single-workspace mode
    #[arg(long, env = "SLACK_BOT_TOKEN", hide_env_values = true)]
    #[serde(alias = "SLACK_BOT_TOKEN")]
    pub slack_bot_token: Option<String>,
    /// App-level token (xapp-…) for Socket Mode
    #[arg(long, env = "SLACK_APP_TOKEN", hide_env_values = true)]
    #[serde(alias = "SLACK_APP_TOKEN")]
    pub slack_app_token: Option<String>,
    /// Base URL of the Slack Web API [default: https://slack.com/api/]
    #[arg(long, env = "SLACK_API_URL")]
    #[serde(alias = "SLACK_API_URL")]
    pub slack_api_url: Option<String>,
    /// Built-in framework id or path to a framework file [default: matrix-3x3]
    #[arg(long, env = "CAIRN_FRAMEWORK")]
    #[serde(alias = "CAIRN_FRAMEWORK")]
    pub framework: Option<String>,
    /// Bearer token for the JSON API; the API answers 404 without it
    #[arg(long, env = "CAIRN_ADMIN_TOKEN", hide_env_values = true)]
    #[serde(alias = "CAIRN_ADMIN_TOKEN")]
    pub admin_token: Option<String>,
    /// Comma-separated Slack user ids with admin rights in Slack
    #[arg(long, env = "CAIRN_ADMINS")]
    #[serde(alias = "CAIRN_ADMINS")]
    pub admins: Option<String>,
    /// Public base URL (OAuth redirects and links)
    #[arg(long, env = "CAIRN_BASE_URL")]
    #[serde(alias = "CAIRN_BASE_URL")]
    pub base_url: Option<String>,
    /// OAuth client id (multi-workspace installs)
    #[arg(long, env = "SLACK_CLIENT_ID")]
    #[serde(alias = "SLACK_CLIENT_ID")]
    pub slack_client_id: Option<String>,
    /// OAuth client secret
    #[arg(long, env = "SLACK_CLIENT_SECRET", hide_env_values = true)]
    #[serde(alias = "SLACK_CLIENT_SECRET")]
    pub slack_client_secret: Option<String>,
    /// 32-byte key (base64) encrypting stored tokens
    #[arg(long, env = "CAIRN_ENCRYPTION_KEY", hide_env_values = true)]
    #[serde(alias = "CAIRN_ENCRYPTION_KEY")]
    pub encryption_key: Option<String>,
    /// Comma-separated earlier keys (base64) that still open tokens sealed before a rotation
    #[arg(long, env = "CAIRN_ENCRYPTION_KEY_PREVIOUS", hide_env_values = true)]
    #[serde(alias = "CAIRN_ENCRYPTION_KEY_PREVIOUS")]
    pub encryption_key_previous: Option<String>,
    /// Whether a kudos needs at least one competency tag [default: true]
    #[arg(long, env = "CAIRN_REQUIRE_COMPETENCY_TAG")]
    #[serde(alias = "CAIRN_REQUIRE_COMPETENCY_TAG")]
    pub require_competency_tag: Option<bool>,
    /// Log format: text or json [default: text]
    #[arg(long, env = "CAIRN_LOG_FORMAT")]
    #[serde(alias = "CAIRN_LOG_FORMAT")]
    pub log_format: Option<String>,
    /// Reactions that give kudos to a message's author, comma-separated names [default: cairn,kudos]
    #[arg(long, env = "CAIRN_KUDOS_EMOJI")]
    #[serde(alias = "CAIRN_KUDOS_EMOJI")]
    pub kudos_emoji: Option<String>,
    /// Teams from Slack user groups for `cairn org sync`: `handle=team,…` (e.g. `payments-devs=payments`)
    #[arg(long, env = "CAIRN_TEAM_USERGROUPS")]
    #[serde(alias = "CAIRN_TEAM_USERGROUPS")]
    pub team_usergroups: Option<String>,
    /// Default weekly prompt slot: weekday, local time, cadence (weekly, fortnightly, off) [default: friday 15:00 weekly]
    #[arg(long, env = "CAIRN_PROMPT_SLOT")]
    #[serde(alias = "CAIRN_PROMPT_SLOT")]
    pub prompt_slot: Option<String>,
    /// Company holidays with no prompts, comma-separated dates (e.g. 2026-12-24,2026-12-25)
    #[arg(long, env = "CAIRN_QUIET_DAYS")]
    #[serde(alias = "CAIRN_QUIET_DAYS")]
    pub quiet_days: Option<String>,
    /// Weeks without evidence for a competency before the prompt names it [default: 6]
    #[arg(long, env = "CAIRN_GAP_WEEKS")]
    #[serde(alias = "CAIRN_GAP_WEEKS")]
    pub gap_weeks: Option<u32>,
    /// Review cycles: dates (2027-01-15,2027-07-15) or a 5-field cron expression (0 0 15 1,7 *); managers get a digest before each
    #[arg(long, env = "CAIRN_REVIEW_CYCLES")]
    #[serde(alias = "CAIRN_REVIEW_CYCLES")]
    pub review_cycles: Option<String>,
    /// Days before a review cycle the managers' digest comes [default: 7]
    #[arg(long, env = "CAIRN_REVIEW_DIGEST_DAYS")]
    #[serde(alias = "CAIRN_REVIEW_DIGEST_DAYS")]
    pub review_digest_days: Option<u32>,
    /// Where the weekly team digest of kudos goes: a channel id (C0123ABCD), or each workspace's own channel as T0123ABCD:C0123ABCD,T0456EFGH:C0456EFGH; unset: no team digest
    #[arg(long, env = "CAIRN_TEAM_DIGEST_CHANNEL")]
    #[serde(alias = "CAIRN_TEAM_DIGEST_CHANNEL")]
    pub team_digest_channel: Option<String>,
    /// When the team digest goes out, a 5-field cron expression [default: 0 16 * * FRI]
    #[arg(long, env = "CAIRN_TEAM_DIGEST_CRON")]
    #[serde(alias = "CAIRN_TEAM_DIGEST_CRON")]
    pub team_digest_cron: Option<String>,
    /// Time zone of CAIRN_TEAM_DIGEST_CRON [default: UTC]
    #[arg(long, env = "CAIRN_TEAM_DIGEST_TZ")]
    #[serde(alias = "CAIRN_TEAM_DIGEST_TZ")]
    pub team_digest_tz: Option<String>,
    /// Messages a minute the outbox sends into one channel or DM; 0: no limit [default: 55]
    #[arg(long, env = "CAIRN_OUTBOX_CHANNEL_PER_MINUTE")]
    #[serde(alias = "CAIRN_OUTBOX_CHANNEL_PER_MINUTE")]
    pub outbox_channel_per_minute: Option<u32>,
    /// Messages a minute the outbox sends into one workspace, per replica; 0: no limit [default: 600]
    #[arg(long, env = "CAIRN_OUTBOX_WORKSPACE_PER_MINUTE")]
    #[serde(alias = "CAIRN_OUTBOX_WORKSPACE_PER_MINUTE")]
    pub outbox_workspace_per_minute: Option<u32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("the config file {path} is not valid: {error}")]
    Parse { path: String, error: String },
    #[error("{0}")]
    Invalid(String),
}

#[derive(Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    pub signing_secret: Option<SecretString>,
    pub bot_token: Option<SecretString>,
    pub app_token: Option<SecretString>,
    pub slack_api_url: String,
    pub framework: String,
    pub admin_token: Option<SecretString>,
    pub admins: Vec<UserId>,
    pub base_url: Option<String>,
    /// The keys sealing stored bot tokens (`CAIRN_ENCRYPTION_KEY`, `CAIRN_ENCRYPTION_KEY_PREVIOUS`).
    pub keys: Option<crate::secrets::Keys>,
    /// The app's OAuth credentials, when workspaces install Cairn with Add to Slack.
    pub oauth: Option<OAuth>,
    pub require_competency_tag: bool,
    pub log_json: bool,
    pub pacing: crate::jobs::pacing::Limits,
    /// Reaction names (without colons) that give kudos.
    pub kudos_emoji: Vec<String>,
    /// (user-group handle, team) pairs `cairn org sync` places people by.
    pub team_usergroups: Vec<(String, String)>,
    pub prompts: Prompts,
    pub digests: Digests,
}

/// The weekly reflection prompts' workspace-wide settings.
#[derive(Debug, Clone)]
pub struct Prompts {
    /// A newcomer's slot until they choose their own.
    pub default_slot: Slot,
    /// Company holidays: no prompt on these local dates.
    pub quiet_days: Vec<NaiveDate>,
    /// A competency with no evidence for this many weeks gets a line in the prompt.
    pub gap_weeks: u32,
}

impl Default for Prompts {
    fn default() -> Self {
        Prompts {
            default_slot: Slot::DEFAULT,
            quiet_days: Vec::new(),
            gap_weeks: 6,
        }
    }
}

/// The digests the scheduler sends besides the prompts; each off unless configured.
#[derive(Debug, Clone, Default)]
pub struct Digests {
    /// Managers' digests before review cycles, if the workspace names its cycles.
    pub review: Option<ReviewDigests>,
    /// The weekly kudos digest to a channel, if a channel is named.
    pub team: Option<TeamDigest>,
}

/// Managers' digests before review cycles.
#[derive(Debug, Clone)]
pub struct ReviewDigests {
    pub cycles: ReviewCycles,
    /// Days before a review date the digest comes, at 09:00 local time.
    pub days_before: u32,
}

/// The weekly digest of kudos, each workspace's to a channel of its own.
#[derive(Debug, Clone)]
pub struct TeamDigest {
    pub channels: DigestChannels,
    pub cron: CronSpec,
    pub tz: Tz,
}

/// Where team digests go (`CAIRN_TEAM_DIGEST_CHANNEL`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestChannels {
    /// One channel for every workspace Cairn serves: only for a Cairn that takes no installs
    /// from other workspaces, so all of them are the operator's own.
    One(String),
    /// Workspace id → its channel. A workspace not listed gets no digest: another workspace's
    /// kudos must never land in a channel its people cannot be assumed to share.
    PerWorkspace(BTreeMap<String, String>),
}

impl TeamDigest {
    /// The channel `team`'s digest goes to, if it gets one.
    pub fn channel_for(&self, team: &str) -> Option<&str> {
        match &self.channels {
            DigestChannels::One(channel) => Some(channel),
            DigestChannels::PerWorkspace(channels) => channels.get(team).map(String::as_str),
        }
    }
}

/// `SLACK_CLIENT_ID` and `SLACK_CLIENT_SECRET` from the app's Basic Information page.
#[derive(Clone)]
pub struct OAuth {
    pub client_id: String,
    pub client_secret: SecretString,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &Option<SecretString>| if s.is_some() { "set" } else { "unset" };
        f.debug_struct("Config")
            .field("addr", &self.addr)
            .field(
                "database",
                &self
                    .database_url
                    .split(['@', '?'])
                    .next_back()
                    .unwrap_or_default(),
            )
            .field("signing_secret", &set(&self.signing_secret))
            .field("bot_token", &set(&self.bot_token))
            .field("slack_api_url", &self.slack_api_url)
            .field("framework", &self.framework)
            .field("admin_token", &set(&self.admin_token))
            .field("oauth", &if self.oauth.is_some() { "on" } else { "off" })
            .field(
                "encryption_key",
                &if self.keys.is_some() { "set" } else { "unset" },
            )
            .field("require_competency_tag", &self.require_competency_tag)
            .field("pacing", &self.pacing)
            .finish()
    }
}

impl Settings {
    /// Flags and environment (already merged by clap), then secrets from files named by
    /// `*_FILE` variables, over the file named by `--config`.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let file = match &self.config {
            Some(path) => Settings::from_file(path)?,
            None => Settings::default(),
        };
        let secrets = Settings::from_secret_files(|name| std::env::var(name).ok())?;
        self.or(secrets).or(file).into_config()
    }

    /// Secrets read from the files that `SLACK_BOT_TOKEN_FILE` and the like name (Docker and
    /// Kubernetes secrets are mounted as files), trailing newline dropped. `var` looks up an
    /// environment variable.
    pub fn from_secret_files(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let read = |name: &str| -> Result<Option<String>, ConfigError> {
            let var_name = format!("{name}_FILE");
            let Some(path) = var(&var_name).filter(|p| !p.trim().is_empty()) else {
                return Ok(None);
            };
            let text = std::fs::read_to_string(path.trim()).map_err(|e| {
                ConfigError::Invalid(format!(
                    "{var_name} names '{}', which cannot be read ({e}): point it at the file holding {name}",
                    path.trim()
                ))
            })?;
            let value = text.trim_end_matches(['\n', '\r']).to_owned();
            if value.trim().is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "{var_name} names '{}', which is empty: write {name} into it",
                    path.trim()
                )));
            }
            Ok(Some(value))
        };
        Ok(Settings {
            database_url: read("DATABASE_URL")?,
            slack_signing_secret: read("SLACK_SIGNING_SECRET")?,
            slack_bot_token: read("SLACK_BOT_TOKEN")?,
            slack_app_token: read("SLACK_APP_TOKEN")?,
            admin_token: read("CAIRN_ADMIN_TOKEN")?,
            slack_client_secret: read("SLACK_CLIENT_SECRET")?,
            encryption_key: read("CAIRN_ENCRYPTION_KEY")?,
            encryption_key_previous: read("CAIRN_ENCRYPTION_KEY_PREVIOUS")?,
            ..Settings::default()
        })
    }

    pub fn from_file(path: &Path) -> Result<Settings, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: shown.clone(),
            error,
        })?;
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: shown,
            error: e.to_string(),
        })
    }

    /// Each setting from `self` if set there, else from `lower`.
    pub fn or(self, lower: Settings) -> Settings {
        Settings {
            config: self.config.or(lower.config),
            addr: self.addr.or(lower.addr),
            database_url: self.database_url.or(lower.database_url),
            slack_signing_secret: self.slack_signing_secret.or(lower.slack_signing_secret),
            slack_bot_token: self.slack_bot_token.or(lower.slack_bot_token),
            slack_app_token: self.slack_app_token.or(lower.slack_app_token),
            slack_api_url: self.slack_api_url.or(lower.slack_api_url),
            framework: self.framework.or(lower.framework),
            admin_token: self.admin_token.or(lower.admin_token),
            admins: self.admins.or(lower.admins),
            base_url: self.base_url.or(lower.base_url),
            slack_client_id: self.slack_client_id.or(lower.slack_client_id),
            slack_client_secret: self.slack_client_secret.or(lower.slack_client_secret),
            encryption_key: self.encryption_key.or(lower.encryption_key),
            encryption_key_previous: self
                .encryption_key_previous
                .or(lower.encryption_key_previous),
            require_competency_tag: self.require_competency_tag.or(lower.require_competency_tag),
            log_format: self.log_format.or(lower.log_format),
            kudos_emoji: self.kudos_emoji.or(lower.kudos_emoji),
            team_usergroups: self.team_usergroups.or(lower.team_usergroups),
            prompt_slot: self.prompt_slot.or(lower.prompt_slot),
            quiet_days: self.quiet_days.or(lower.quiet_days),
            gap_weeks: self.gap_weeks.or(lower.gap_weeks),
            review_cycles: self.review_cycles.or(lower.review_cycles),
            review_digest_days: self.review_digest_days.or(lower.review_digest_days),
            team_digest_channel: self.team_digest_channel.or(lower.team_digest_channel),
            team_digest_cron: self.team_digest_cron.or(lower.team_digest_cron),
            team_digest_tz: self.team_digest_tz.or(lower.team_digest_tz),
            outbox_channel_per_minute: self
                .outbox_channel_per_minute
                .or(lower.outbox_channel_per_minute),
            outbox_workspace_per_minute: self
                .outbox_workspace_per_minute
                .or(lower.outbox_workspace_per_minute),
        }
    }

    fn into_config(self) -> Result<Config, ConfigError> {
        let secret = |v: Option<String>| v.filter(|s| !s.trim().is_empty()).map(SecretString::from);
        let addr_text = self.addr.unwrap_or_else(|| DEFAULT_ADDR.to_owned());
        let addr = addr_text.parse().map_err(|_| {
            ConfigError::Invalid(format!(
                "CAIRN_ADDR '{addr_text}' is not a socket address like 127.0.0.1:3000"
            ))
        })?;
        let admins = self
            .admins
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                UserId::parse(s).map_err(|e| ConfigError::Invalid(format!("CAIRN_ADMINS: {e}")))
            })
            .collect::<Result<_, _>>()?;
        let log_json = match self.log_format.as_deref().unwrap_or("text") {
            "text" => false,
            "json" => true,
            other => {
                return Err(ConfigError::Invalid(format!(
                    "CAIRN_LOG_FORMAT '{other}' must be text or json"
                )))
            }
        };
        let slack_api_url = self
            .slack_api_url
            .unwrap_or_else(|| DEFAULT_SLACK_API_URL.to_owned());
        if !(slack_api_url.starts_with("http://") || slack_api_url.starts_with("https://")) {
            return Err(ConfigError::Invalid(format!(
                "SLACK_API_URL '{slack_api_url}' must be an http(s) URL"
            )));
        }
        let oauth = match (self.slack_client_id, secret(self.slack_client_secret)) {
            (Some(client_id), Some(client_secret)) if !client_id.trim().is_empty() => Some(OAuth {
                client_id: client_id.trim().to_owned(),
                client_secret,
            }),
            (None, None) => None,
            _ => {
                return Err(ConfigError::Invalid(
                    "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET go together: set both (from the app's Basic Information page) to let workspaces install Cairn, or neither".into(),
                ))
            }
        };
        // Other workspaces can install this Cairn: each workspace's digest needs its own channel.
        let takes_installs = oauth.is_some();
        Ok(Config {
            addr,
            database_url: self
                .database_url
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            signing_secret: secret(self.slack_signing_secret),
            bot_token: secret(self.slack_bot_token),
            app_token: secret(self.slack_app_token),
            slack_api_url,
            framework: self
                .framework
                .unwrap_or_else(|| DEFAULT_FRAMEWORK.to_owned()),
            admin_token: secret(self.admin_token),
            admins,
            oauth,
            base_url: self.base_url,
            keys: keys(
                self.encryption_key.as_deref(),
                self.encryption_key_previous.as_deref(),
            )?,
            require_competency_tag: self.require_competency_tag.unwrap_or(true),
            kudos_emoji: self
                .kudos_emoji
                .unwrap_or_else(|| DEFAULT_KUDOS_EMOJI.to_owned())
                .split(',')
                .map(|e| e.trim().trim_matches(':').to_owned())
                .filter(|e| !e.is_empty())
                .collect(),
            team_usergroups: team_usergroups(self.team_usergroups.as_deref())?,
            prompts: prompts(
                self.prompt_slot.as_deref(),
                self.quiet_days.as_deref(),
                self.gap_weeks,
            )?,
            digests: Digests {
                review: review_digests(self.review_cycles.as_deref(), self.review_digest_days)?,
                team: team_digest(
                    self.team_digest_channel.as_deref(),
                    takes_installs,
                    self.team_digest_cron.as_deref(),
                    self.team_digest_tz.as_deref(),
                )?,
            },
            pacing: crate::jobs::pacing::Limits::per_minute(
                self.outbox_channel_per_minute
                    .unwrap_or(crate::jobs::pacing::CHANNEL_PER_MINUTE),
                self.outbox_workspace_per_minute
                    .unwrap_or(crate::jobs::pacing::WORKSPACE_PER_MINUTE),
            ),
            log_json,
        })
    }
}

/// `CAIRN_ENCRYPTION_KEY` and `CAIRN_ENCRYPTION_KEY_PREVIOUS`, checked when set.
fn keys(
    current: Option<&str>,
    previous: Option<&str>,
) -> Result<Option<crate::secrets::Keys>, ConfigError> {
    let current = current.filter(|k| !k.trim().is_empty());
    let previous = previous.filter(|k| !k.trim().is_empty());
    match (current, previous) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(ConfigError::Invalid(
            "CAIRN_ENCRYPTION_KEY_PREVIOUS is set but CAIRN_ENCRYPTION_KEY is not: set CAIRN_ENCRYPTION_KEY to the key that seals tokens from now on \
             (make one with `cairn keys generate` or `openssl rand -base64 32`)"
                .to_owned(),
        )),
        (Some(current), previous) => crate::secrets::Keys::parse(current, previous)
            .map(Some)
            .map_err(|e| ConfigError::Invalid(e.to_string())),
    }
}

/// `friday 15:00 weekly`, `2026-12-24,2026-12-25`, 6.
fn prompts(
    slot: Option<&str>,
    quiet_days: Option<&str>,
    gap_weeks: Option<u32>,
) -> Result<Prompts, ConfigError> {
    let mut settings = Prompts::default();
    if let Some(slot) = slot.filter(|s| !s.trim().is_empty()) {
        let words: Vec<&str> = slot.split_whitespace().collect();
        let (day, time, cadence) = match words.as_slice() {
            [day, time] => (*day, *time, "weekly"),
            [day, time, cadence] => (*day, *time, *cadence),
            _ => {
                return Err(ConfigError::Invalid(format!(
                    "CAIRN_PROMPT_SLOT '{slot}': write a weekday, a time and optionally a cadence, like 'friday 15:00 weekly'"
                )))
            }
        };
        settings.default_slot =
            crate::domain::schedule::Slot::parse(day, time, cadence).map_err(|e| {
                ConfigError::Invalid(format!(
                    "CAIRN_PROMPT_SLOT '{slot}': {e} (write it like 'friday 15:00 weekly')"
                ))
            })?;
    }
    for day in quiet_days
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        let date = day.parse().map_err(|_| {
            ConfigError::Invalid(format!(
                "CAIRN_QUIET_DAYS: '{day}' is not a date like 2026-12-24"
            ))
        })?;
        settings.quiet_days.push(date);
    }
    if let Some(weeks) = gap_weeks {
        if weeks == 0 {
            return Err(ConfigError::Invalid(
                "CAIRN_GAP_WEEKS must be at least 1".into(),
            ));
        }
        settings.gap_weeks = weeks;
    }
    Ok(settings)
}

/// `2027-01-15,2027-07-15` or `0 0 15 1,7 *`, and 7.
fn review_digests(
    cycles: Option<&str>,
    days: Option<u32>,
) -> Result<Option<ReviewDigests>, ConfigError> {
    let Some(cycles) = cycles.filter(|c| !c.trim().is_empty()) else {
        return Ok(None);
    };
    let cycles = crate::domain::review::ReviewCycles::parse(cycles)
        .map_err(|e| ConfigError::Invalid(format!("CAIRN_REVIEW_CYCLES: {e}")))?;
    let days_before = days.unwrap_or(7);
    if days_before > 60 {
        return Err(ConfigError::Invalid(format!(
            "CAIRN_REVIEW_DIGEST_DAYS is {days_before}: write a number of days from 0 to 60"
        )));
    }
    Ok(Some(ReviewDigests {
        cycles,
        days_before,
    }))
}

/// `C0123ABCD` or `T0123ABCD:C0123ABCD,T0456EFGH:C0456EFGH`, `0 16 * * FRI`, `Europe/Berlin`.
/// `installs` is whether other workspaces can install this Cairn (OAuth is on).
fn team_digest(
    channel: Option<&str>,
    installs: bool,
    cron: Option<&str>,
    tz: Option<&str>,
) -> Result<Option<TeamDigest>, ConfigError> {
    let Some(channel) = channel.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let channels = digest_channels(channel, installs)?;
    let cron = crate::domain::schedule::CronSpec::parse(cron.unwrap_or("0 16 * * FRI"))
        .map_err(|e| ConfigError::Invalid(format!("CAIRN_TEAM_DIGEST_CRON: {e}")))?;
    let tz = crate::domain::schedule::parse_tz(tz.unwrap_or("UTC"))
        .map_err(|e| ConfigError::Invalid(format!("CAIRN_TEAM_DIGEST_TZ: {e}")))?;
    Ok(Some(TeamDigest { channels, cron, tz }))
}

/// `CAIRN_TEAM_DIGEST_CHANNEL`: one channel, or `TEAM:CHANNEL` pairs.
fn digest_channels(value: &str, installs: bool) -> Result<DigestChannels, ConfigError> {
    use crate::domain::ids::{ChannelId, TeamId};
    const PAIRS: &str = "T0123ABCD:C0123ABCD,T0456EFGH:C0456EFGH";
    let invalid = |e: String| ConfigError::Invalid(format!("CAIRN_TEAM_DIGEST_CHANNEL: {e}"));
    let channel_id = |c: &str| {
        let c = c.trim().trim_start_matches('#');
        ChannelId::parse(c).map(|_| c.to_owned()).map_err(|_| {
            format!("'{c}' is not a channel id: copy it from the channel's details in Slack (it looks like C0123ABCD)")
        })
    };
    if !value.contains([':', ',']) {
        // One channel would get every workspace's kudos: only right when every workspace is
        // the operator's own, never when any workspace may install Cairn.
        if installs {
            return Err(invalid(format!(
                "this Cairn takes installs from many workspaces (SLACK_CLIENT_ID is set), so name each workspace's channel: {PAIRS}"
            )));
        }
        return channel_id(value).map(DigestChannels::One).map_err(invalid);
    }
    let mut channels = std::collections::BTreeMap::new();
    for entry in value.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        let Some((team, channel)) = entry.split_once(':') else {
            return Err(invalid(format!(
                "'{entry}' is not a workspace and its channel: write each as TEAM:CHANNEL, like {PAIRS}"
            )));
        };
        let team = team.trim();
        TeamId::parse_workspace(team).map_err(|_| {
            let what = if team.starts_with('E') {
                "is an Enterprise Grid org id, not a workspace's: name each workspace (T…) with its channel"
            } else {
                "is not a workspace id: it looks like T0123ABCD (Slack in a browser shows it in the address, app.slack.com/client/T0123ABCD/…)"
            };
            invalid(format!("in '{entry}', '{team}' {what}"))
        })?;
        let channel = channel_id(channel).map_err(|e| invalid(format!("in '{entry}', {e}")))?;
        if channels.insert(team.to_owned(), channel).is_some() {
            return Err(invalid(format!(
                "workspace {team} is listed twice: give each workspace one channel"
            )));
        }
    }
    if channels.is_empty() {
        return Err(invalid(format!(
            "'{value}' names no workspace: write a channel id, or each workspace's channel like {PAIRS}"
        )));
    }
    Ok(DigestChannels::PerWorkspace(channels))
}

/// `payments-devs=payments, @search=search` → [("payments-devs", "payments"), ("search", "search")].
fn team_usergroups(value: Option<&str>) -> Result<Vec<(String, String)>, ConfigError> {
    let Some(value) = value.filter(|v| !v.trim().is_empty()) else {
        return Ok(Vec::new());
    };
    value
        .split(',')
        .map(|pair| {
            let (handle, team) = pair.split_once('=').unwrap_or((pair, ""));
            let (handle, team) = (handle.trim().trim_start_matches('@'), team.trim());
            if handle.is_empty() || team.is_empty() {
                return Err(ConfigError::Invalid(format!(
                    "CAIRN_TEAM_USERGROUPS '{}': write each as handle=team, e.g. payments-devs=payments",
                    pair.trim()
                )));
            }
            Ok((handle.to_owned(), team.to_owned()))
        })
        .collect()
}

impl Config {
    /// What `serve` needs beyond a valid config.
    pub fn check_serve(&self) -> Result<(), ConfigError> {
        // In Socket Mode Slack signs nothing: the app-level token is the credential.
        if self.signing_secret.is_none() && self.app_token.is_none() {
            return Err(ConfigError::Invalid(
                "SLACK_SIGNING_SECRET is not set: copy it from your Slack app's Basic Information page (Signing Secret) \
                 and set it in the environment, with --slack-signing-secret, or in the config file"
                    .to_owned(),
            ));
        }
        if self.oauth.is_some() {
            if self.keys.is_none() {
                return Err(ConfigError::Invalid(
                    "CAIRN_ENCRYPTION_KEY is required when OAuth is on (SLACK_CLIENT_ID): installed workspaces' tokens are stored sealed with it; make one with `cairn keys generate`".into(),
                ));
            }
            if let Some(base) = &self.base_url {
                crate::slack::manifest::BaseUrl::parse(base)
                    .map_err(|e| ConfigError::Invalid(format!("CAIRN_BASE_URL: {e}")))?;
            }
            if self.base_url.is_none() {
                return Err(ConfigError::Invalid(
                    "CAIRN_BASE_URL is required when OAuth is on (SLACK_CLIENT_ID): Slack sends installers back to CAIRN_BASE_URL/slack/oauth/callback, e.g. CAIRN_BASE_URL=https://cairn.example.com".into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use std::io::Write;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        settings: Settings,
    }

    #[test]
    fn secrets_come_from_the_files_their_file_variables_name() {
        let mut token = tempfile::NamedTempFile::new().unwrap();
        writeln!(token, "xoxb-from-a-file").unwrap();
        let empty = tempfile::NamedTempFile::new().unwrap();
        let path = token.path().to_str().unwrap().to_owned();
        let secrets = Settings::from_secret_files(|name| {
            (name == "SLACK_BOT_TOKEN_FILE").then(|| path.clone())
        })
        .unwrap();
        assert_eq!(secrets.slack_bot_token.as_deref(), Some("xoxb-from-a-file"));
        assert!(secrets.slack_signing_secret.is_none());
        // A value given directly wins over the file.
        let direct = Settings {
            slack_bot_token: Some("xoxb-direct".into()),
            ..Settings::default()
        };
        assert_eq!(
            direct.or(secrets).slack_bot_token.as_deref(),
            Some("xoxb-direct")
        );
        let missing = Settings::from_secret_files(|name| {
            (name == "CAIRN_ADMIN_TOKEN_FILE").then(|| "/no/such/file".to_owned())
        })
        .err()
        .unwrap()
        .to_string();
        assert!(
            missing.contains("CAIRN_ADMIN_TOKEN_FILE") && missing.contains("/no/such/file"),
            "{missing}"
        );
        let empty_path = empty.path().to_str().unwrap().to_owned();
        let blank = Settings::from_secret_files(|name| {
            (name == "SLACK_SIGNING_SECRET_FILE").then(|| empty_path.clone())
        })
        .err()
        .unwrap()
        .to_string();
        assert!(blank.contains("is empty"), "{blank}");
    }

    #[test]
    fn flag_beats_file_and_file_beats_default() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "addr = \"0.0.0.0:9000\"\nDATABASE_URL = \"sqlite://from-file.db\"\nframework = \"from-file\"").unwrap();
        let cli = Cli::parse_from([
            "cairn",
            "--config",
            file.path().to_str().unwrap(),
            "--framework",
            "from-flag",
        ]);
        // Environment variables are the layer between: clap has merged them into `settings` already.
        let config = cli.settings.resolve().unwrap();
        assert_eq!(config.framework, "from-flag");
        assert_eq!(config.database_url, "sqlite://from-file.db");
        assert_eq!(config.addr.to_string(), "0.0.0.0:9000");
        assert!(config.require_competency_tag);
        assert_eq!(config.slack_api_url, DEFAULT_SLACK_API_URL);
    }

    #[test]
    fn env_layer_sits_between_flag_and_file() {
        let env = Settings {
            database_url: Some("sqlite://env.db".into()),
            ..Default::default()
        };
        let file = Settings {
            database_url: Some("sqlite://file.db".into()),
            addr: Some("127.0.0.1:1".into()),
            ..Default::default()
        };
        let config = env.or(file).into_config().unwrap();
        assert_eq!(config.database_url, "sqlite://env.db");
        assert_eq!(config.addr.to_string(), "127.0.0.1:1");
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let config = Settings::default().into_config().unwrap();
        assert_eq!(config.addr.to_string(), DEFAULT_ADDR);
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.framework, "matrix-3x3");
        assert!(config.admin_token.is_none());
    }

    #[test]
    fn serve_names_the_missing_secret() {
        let err = Settings::default()
            .into_config()
            .unwrap()
            .check_serve()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("SLACK_SIGNING_SECRET is not set"), "{err}");
    }

    #[test]
    fn bad_values_say_what_to_fix() {
        let bad = Settings {
            addr: Some("nope".into()),
            ..Default::default()
        };
        assert!(bad
            .into_config()
            .unwrap_err()
            .to_string()
            .contains("CAIRN_ADDR 'nope'"));
        let bad = Settings {
            admins: Some("U1,bob".into()),
            ..Default::default()
        };
        assert!(bad
            .into_config()
            .unwrap_err()
            .to_string()
            .contains("CAIRN_ADMINS"));
    }

    #[test]
    fn encryption_keys_are_checked_when_set() {
        let key = crate::secrets::Key::generate();
        let old = crate::secrets::Key::generate();
        let config = Settings {
            encryption_key: Some(key.clone()),
            encryption_key_previous: Some(format!("{old}, ")),
            ..Default::default()
        }
        .into_config()
        .unwrap();
        let keys = config.keys.as_ref().unwrap();
        let sealed = crate::secrets::Keys::parse(&old, None)
            .unwrap()
            .seal("T1", "xoxb-1");
        assert!(keys.open("T1", &sealed).is_ok(), "a previous key opens");
        let shown = format!("{config:?}");
        assert!(
            shown.contains("encryption_key: \"set\"")
                && !shown.contains(&key)
                && !shown.contains(&old),
            "{shown}"
        );
        let err = |settings: Settings| settings.into_config().unwrap_err().to_string();
        let bad = err(Settings {
            encryption_key: Some("hunter2".into()),
            ..Default::default()
        });
        assert!(
            bad.starts_with("CAIRN_ENCRYPTION_KEY is ") && bad.contains("openssl rand -base64 32"),
            "{bad}"
        );
        let alone = err(Settings {
            encryption_key_previous: Some(old.clone()),
            ..Default::default()
        });
        assert!(
            alone.starts_with(
                "CAIRN_ENCRYPTION_KEY_PREVIOUS is set but CAIRN_ENCRYPTION_KEY is not"
            ),
            "{alone}"
        );
        // Both come from files too.
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "{old}").unwrap();
        let path = file.path().to_str().unwrap().to_owned();
        let secrets = Settings::from_secret_files(|name| {
            (name == "CAIRN_ENCRYPTION_KEY_PREVIOUS_FILE").then(|| path.clone())
        })
        .unwrap();
        assert_eq!(
            secrets.encryption_key_previous.as_deref(),
            Some(old.as_str())
        );
    }

    #[test]
    fn the_team_digest_goes_to_one_channel_or_to_each_workspaces_own() {
        let digest = |channel: &str, client_id: Option<&str>| {
            Settings {
                team_digest_channel: Some(channel.into()),
                slack_client_id: client_id.map(Into::into),
                slack_client_secret: client_id.map(|_| "secret".into()),
                ..Default::default()
            }
            .into_config()
            .map(|c| c.digests.team.unwrap())
            .map_err(|e| e.to_string())
        };
        // One channel, `#` tolerated, for every workspace of a Cairn nobody else installs.
        let one = digest(" #C0DIGEST01 ", None).unwrap();
        assert_eq!(one.channels, DigestChannels::One("C0DIGEST01".into()));
        assert_eq!(one.channel_for("T07KUD0S01"), Some("C0DIGEST01"));
        // Each workspace's own channel; a workspace not listed gets none.
        for installs in [None, Some("123.456")] {
            let pairs = digest(
                " T07KUD0S01:C0ACME0001 , T0GLOBEX01 : #C0GLOBEX01,",
                installs,
            )
            .unwrap();
            assert_eq!(pairs.channel_for("T07KUD0S01"), Some("C0ACME0001"));
            assert_eq!(pairs.channel_for("T0GLOBEX01"), Some("C0GLOBEX01"));
            assert_eq!(pairs.channel_for("T0INITECH1"), None);
        }
        // Refusals name the entry and what to write.
        let refused = |channel: &str, client_id: Option<&str>, says: &[&str]| {
            let e = digest(channel, client_id).unwrap_err();
            assert!(e.starts_with("CAIRN_TEAM_DIGEST_CHANNEL: "), "{e}");
            for s in says {
                assert!(e.contains(s), "{channel}: '{s}' missing from: {e}");
            }
        };
        refused(
            "C0DIGEST01",
            Some("123.456"),
            &[
                "SLACK_CLIENT_ID is set",
                "T0123ABCD:C0123ABCD,T0456EFGH:C0456EFGH",
            ],
        );
        refused(
            "general",
            None,
            &["'general' is not a channel id", "C0123ABCD"],
        );
        refused(
            "T07KUD0S01:C0ACME0001,C0GLOBEX01",
            None,
            &["'C0GLOBEX01'", "TEAM:CHANNEL", "T0123ABCD:C0123ABCD"],
        );
        refused(
            "E07ORG0001:C0ACME0001",
            None,
            &["'E07ORG0001' is an Enterprise Grid org id", "(T…)"],
        );
        refused(
            "acme:C0ACME0001",
            None,
            &[
                "in 'acme:C0ACME0001'",
                "'acme' is not a workspace id",
                "T0123ABCD",
            ],
        );
        refused(
            "T07KUD0S01:general",
            None,
            &[
                "in 'T07KUD0S01:general'",
                "'general' is not a channel id",
                "C0123ABCD",
            ],
        );
        refused(
            "T07KUD0S01:C0ACME0001,T07KUD0S01:C0OTHER001",
            None,
            &["T07KUD0S01 is listed twice"],
        );
        refused(" , ", None, &["names no workspace"]);
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "adr = \"x\"").unwrap();
        let Err(err) = Settings::from_file(file.path()) else {
            panic!("a misspelt key must be refused")
        };
        let err = err.to_string();
        assert!(err.contains("unknown field `adr`"), "{err}");
    }

    #[test]
    fn debug_output_hides_secrets() {
        let s = Settings {
            slack_signing_secret: Some("s3cr3t".into()),
            database_url: Some("postgres://u:pw@h/db".into()),
            ..Default::default()
        };
        let shown = format!("{:?}", s.into_config().unwrap());
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("pw"),
            "{shown}"
        );
    }
}
