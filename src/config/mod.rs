//! One typed `Config`, built once at start from flags, environment and an optional TOML file.
//! Precedence: flag > env > file > default (contracts.md). Secrets never reach `Debug` output.

use crate::domain::framework::DEFAULT_FRAMEWORK;
use crate::domain::ids::UserId;
use crate::domain::review::ReviewCycles;
use crate::domain::schedule::{CronSpec, Slot};
use crate::domain::tz::Tz;
use chrono::NaiveDate;
use clap::Args;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod values;
use values::*;

pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";
pub const DEFAULT_DATABASE_URL: &str = "sqlite://cairn.db";
pub const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api/";
pub const DEFAULT_KUDOS_EMOJI: &str = "cairn,kudos";

/// The settings that may come from a file a `*_FILE` variable names (Docker and Kubernetes
/// secrets are mounted as files).
const SECRETS: &[&str] = &[
    "DATABASE_URL",
    "SLACK_SIGNING_SECRET",
    "SLACK_BOT_TOKEN",
    "SLACK_APP_TOKEN",
    "CAIRN_ADMIN_TOKEN",
    "SLACK_CLIENT_SECRET",
    "CAIRN_ENCRYPTION_KEY",
    "CAIRN_ENCRYPTION_KEY_PREVIOUS",
];

/// Every setting, as a flag with its environment variable, and as a key of the TOML file (the
/// flag's name with underscores, or the variable's name: `database_url` or `DATABASE_URL`).
#[derive(Args, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Input {
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
    /// Days a processed Slack event id is kept to recognise Slack's retries of it [default: 7]
    #[arg(long, env = "CAIRN_EVENT_RETENTION_DAYS")]
    #[serde(alias = "CAIRN_EVENT_RETENTION_DAYS")]
    pub event_retention_days: Option<u32>,
    /// Hours an expired Add-to-Slack `state` is kept before the scheduler removes it [default: 24]
    #[arg(long, env = "CAIRN_OAUTH_STATE_RETENTION_HOURS")]
    #[serde(alias = "CAIRN_OAUTH_STATE_RETENTION_HOURS")]
    pub oauth_state_retention_hours: Option<u32>,
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

/// What Cairn runs with, by area; built once at start by [`Input::resolve`].
#[derive(Clone)]
pub struct Config {
    pub server: Server,
    pub slack: Slack,
    pub store: Store,
    pub api: Api,
    pub kudos: Kudos,
    pub people: People,
    pub prompts: Prompts,
    pub digests: Digests,
    pub outbox: crate::domain::pacing::Limits,
}

#[derive(Clone, Debug)]
pub struct Server {
    pub addr: SocketAddr,
    /// Public base URL (OAuth redirects and links).
    pub base_url: Option<String>,
    pub log_json: bool,
}

#[derive(Clone)]
pub struct Slack {
    pub signing_secret: Option<SecretString>,
    /// The bot token of single-workspace mode.
    pub bot_token: Option<SecretString>,
    /// The app-level token of Socket Mode.
    pub app_token: Option<SecretString>,
    pub api_url: String,
    /// The app's OAuth credentials, when workspaces install Cairn with Add to Slack.
    pub oauth: Option<OAuth>,
}

#[derive(Clone)]
pub struct Store {
    pub database_url: String,
    /// The keys sealing stored bot tokens (`CAIRN_ENCRYPTION_KEY`, `CAIRN_ENCRYPTION_KEY_PREVIOUS`).
    pub keys: Option<crate::secrets::Keys>,
    /// How long processed Slack event ids are kept; the scheduler prunes older ones.
    pub event_retention: chrono::Duration,
    /// How long an expired OAuth state is kept (to tell "expired" from "unknown" in the logs).
    pub oauth_state_retention: chrono::Duration,
}

/// The JSON API: off (404) without a token.
#[derive(Clone)]
pub struct Api {
    pub admin_token: Option<SecretString>,
}

#[derive(Clone, Debug)]
pub struct Kudos {
    /// A built-in framework id or a framework file.
    pub framework: String,
    pub require_competency_tag: bool,
    /// Reaction names (without colons) that give kudos.
    pub emoji: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct People {
    /// Slack users with admin rights in Slack.
    pub admins: Vec<UserId>,
    /// (user-group handle, team) pairs `cairn org sync` places people by.
    pub team_usergroups: Vec<(String, String)>,
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
        let set = |s: bool| if s { "set" } else { "unset" };
        let database = self.store.database_url.split(['@', '?']).next_back();
        f.debug_struct("Config")
            .field("server", &self.server)
            .field("database", &database.unwrap_or_default())
            .field("encryption_key", &set(self.store.keys.is_some()))
            .field("signing_secret", &set(self.slack.signing_secret.is_some()))
            .field("bot_token", &set(self.slack.bot_token.is_some()))
            .field("app_token", &set(self.slack.app_token.is_some()))
            .field("slack_api_url", &self.slack.api_url)
            .field(
                "oauth",
                &if self.slack.oauth.is_some() {
                    "on"
                } else {
                    "off"
                },
            )
            .field("admin_token", &set(self.api.admin_token.is_some()))
            .field("kudos", &self.kudos)
            .field("people", &self.people)
            .field("prompts", &self.prompts)
            .field("digests", &self.digests)
            .field("outbox", &self.outbox)
            .finish()
    }
}

impl Input {
    /// Flags and environment (already merged by clap), then secrets from files named by
    /// `*_FILE` variables, over the file named by `--config`.
    pub fn resolve(self) -> Result<Config, ConfigError> {
        let file = match &self.config {
            Some(path) => Input::from_file(path)?,
            None => Input::default(),
        };
        let secrets = Input::from_secret_files(|name| std::env::var(name).ok())?;
        self.or(secrets).or(file).into_config()
    }

    /// Secrets read from the files that `SLACK_BOT_TOKEN_FILE` and the like name (Docker and
    /// Kubernetes secrets are mounted as files), trailing newline dropped. `var` looks up an
    /// environment variable.
    pub fn from_secret_files(var: impl Fn(&str) -> Option<String>) -> Result<Input, ConfigError> {
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
        let mut found = serde_json::Map::new();
        for name in SECRETS {
            if let Some(value) = read(name)? {
                found.insert((*name).to_owned(), value.into());
            }
        }
        // The names are the fields' aliases, so they read back as settings.
        Ok(serde_json::from_value(serde_json::Value::Object(found))
            .expect("every secret is a setting"))
    }

    pub fn from_file(path: &Path) -> Result<Input, ConfigError> {
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
    pub fn or(self, lower: Input) -> Input {
        let config = self.config.clone().or(lower.config.clone());
        let mut merged = fields(&lower);
        merged.extend(fields(&self).into_iter().filter(|(_, v)| !v.is_null()));
        let merged = serde_json::from_value(serde_json::Value::Object(merged))
            .expect("an Input reads back what it wrote");
        Input { config, ..merged }
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
            server: Server {
                addr,
                base_url: self.base_url,
                log_json,
            },
            slack: Slack {
                signing_secret: secret(self.slack_signing_secret),
                bot_token: secret(self.slack_bot_token),
                app_token: secret(self.slack_app_token),
                api_url: slack_api_url,
                oauth,
            },
            store: Store {
                database_url: self
                    .database_url
                    .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
                keys: keys(
                    self.encryption_key.as_deref(),
                    self.encryption_key_previous.as_deref(),
                )?,
                event_retention: event_retention(self.event_retention_days)?,
                oauth_state_retention: chrono::Duration::hours(i64::from(
                    self.oauth_state_retention_hours.unwrap_or(24),
                )),
            },
            api: Api {
                admin_token: secret(self.admin_token),
            },
            kudos: Kudos {
                framework: self
                    .framework
                    .unwrap_or_else(|| DEFAULT_FRAMEWORK.to_owned()),
                require_competency_tag: self.require_competency_tag.unwrap_or(true),
                emoji: self
                    .kudos_emoji
                    .unwrap_or_else(|| DEFAULT_KUDOS_EMOJI.to_owned())
                    .split(',')
                    .map(|e| e.trim().trim_matches(':').to_owned())
                    .filter(|e| !e.is_empty())
                    .collect(),
            },
            people: People {
                admins,
                team_usergroups: team_usergroups(self.team_usergroups.as_deref())?,
            },
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
            outbox: crate::domain::pacing::Limits::per_minute(
                self.outbox_channel_per_minute
                    .unwrap_or(crate::domain::pacing::CHANNEL_PER_MINUTE),
                self.outbox_workspace_per_minute
                    .unwrap_or(crate::domain::pacing::WORKSPACE_PER_MINUTE),
            ),
        })
    }
}

/// An input's settings by field name; unset ones are null.
fn fields(input: &Input) -> serde_json::Map<String, serde_json::Value> {
    match serde_json::to_value(input) {
        Ok(serde_json::Value::Object(fields)) => fields,
        _ => serde_json::Map::new(),
    }
}

impl Config {
    /// What `serve` needs beyond a valid config.
    pub fn check_serve(&self) -> Result<(), ConfigError> {
        // In Socket Mode Slack signs nothing: the app-level token is the credential.
        if self.slack.signing_secret.is_none() && self.slack.app_token.is_none() {
            return Err(ConfigError::Invalid(
                "SLACK_SIGNING_SECRET is not set: copy it from your Slack app's Basic Information page (Signing Secret) \
                 and set it in the environment, with --slack-signing-secret, or in the config file"
                    .to_owned(),
            ));
        }
        if self.slack.oauth.is_some() {
            if self.store.keys.is_none() {
                return Err(ConfigError::Invalid(
                    "CAIRN_ENCRYPTION_KEY is required when OAuth is on (SLACK_CLIENT_ID): installed workspaces' tokens are stored sealed with it; make one with `cairn keys generate`".into(),
                ));
            }
            if let Some(base) = &self.server.base_url {
                crate::slack::manifest::BaseUrl::parse(base)
                    .map_err(|e| ConfigError::Invalid(format!("CAIRN_BASE_URL: {e}")))?;
            }
            if self.server.base_url.is_none() {
                return Err(ConfigError::Invalid(
                    "CAIRN_BASE_URL is required when OAuth is on (SLACK_CLIENT_ID): Slack sends installers back to CAIRN_BASE_URL/slack/oauth/callback, e.g. CAIRN_BASE_URL=https://cairn.example.com".into(),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
