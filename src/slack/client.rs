//! A typed Slack Web API client. Every call has a timeout; failures are typed so the outbox can
//! tell "wait and retry" from "give up"; tokens travel only in the Authorization header.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{json, Value};
use std::time::Duration;

/// Used when Slack answers 429 without a usable Retry-After.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, thiserror::Error)]
pub enum SlackError {
    #[error("rate limited by Slack; retry after {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// Slack answered `ok: false` with this error string.
    #[error("Slack API error: {error}")]
    Api { error: String },
    #[error("Slack answered HTTP {status}")]
    Http { status: u16 },
    #[error("could not reach Slack: {0}")]
    Transport(String),
    #[error("Slack did not answer in time")]
    Timeout,
}

impl SlackError {
    /// Errors that retrying cannot fix: the message is parked instead.
    /// Failures after which Slack may still have done what was asked.
    pub fn is_uncertain(&self) -> bool {
        match self {
            SlackError::Timeout | SlackError::Transport(_) => true,
            SlackError::Http { status } => *status >= 500,
            SlackError::Api { error } => {
                matches!(
                    error.as_str(),
                    "internal_error" | "fatal_error" | "request_timeout"
                )
            }
            SlackError::RateLimited { .. } => false,
        }
    }

    pub fn is_permanent(&self) -> bool {
        match self {
            SlackError::Api { error } => !matches!(
                error.as_str(),
                "ratelimited"
                    | "internal_error"
                    | "fatal_error"
                    | "service_unavailable"
                    | "request_timeout"
            ),
            // 4xx other than 429 means the request itself is wrong.
            SlackError::Http { status } => (400..500).contains(status),
            SlackError::RateLimited { .. } | SlackError::Transport(_) | SlackError::Timeout => {
                false
            }
        }
    }
}

/// The metadata event type on every message the outbox posts; its payload carries the row's
/// dedupe key.
pub const OUTBOX_EVENT: &str = "cairn_outbox";
const MAX_HISTORY_PAGES: usize = 10;

#[derive(Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    base_url: String,
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
}

impl SlackClient {
    pub fn new(base_url: &str, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("cairn/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("the HTTP client builds with static settings");
        let base_url = if base_url.ends_with('/') {
            base_url.to_owned()
        } else {
            format!("{base_url}/")
        };
        Self { http, base_url }
    }

    /// Calls a write method with a JSON body; returns the whole answer when `ok` is true.
    pub async fn call(
        &self,
        token: &SecretString,
        method: &str,
        body: &Value,
    ) -> Result<Value, SlackError> {
        let request = self.request(token, method).json(body);
        self.send(method, request).await
    }

    /// Calls a read method with form fields: Slack accepts JSON bodies only for write methods.
    pub async fn call_form(
        &self,
        token: &SecretString,
        method: &str,
        fields: &[(&str, &str)],
    ) -> Result<Value, SlackError> {
        let request = self.request(token, method).form(fields);
        self.send(method, request).await
    }

    fn request(&self, token: &SecretString, method: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{method}", self.base_url))
            .bearer_auth(token.expose_secret())
    }

    /// Sends and records the call's latency and outcome in the metrics.
    async fn send(
        &self,
        method: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Value, SlackError> {
        let started = std::time::Instant::now();
        let result = self.send_unmeasured(request).await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(SlackError::RateLimited { .. }) => "ratelimited",
            Err(SlackError::Api { error }) => error.as_str(),
            Err(SlackError::Http { .. }) => "http_error",
            Err(SlackError::Transport(_)) => "transport_error",
            Err(SlackError::Timeout) => "timeout",
        };
        let elapsed = started.elapsed().as_secs_f64();
        crate::metrics::observe(
            "cairn_slack_api_duration_seconds",
            &[("method", method)],
            elapsed,
        );
        crate::metrics::inc(
            "cairn_slack_api_calls_total",
            &[("method", method), ("outcome", outcome)],
        );
        result
    }

    async fn send_unmeasured(&self, request: reqwest::RequestBuilder) -> Result<Value, SlackError> {
        let response = request.send().await.map_err(classify)?;
        let status = response.status();
        if status.as_u16() == 429 {
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_RETRY_AFTER);
            return Err(SlackError::RateLimited { retry_after });
        }
        if !status.is_success() {
            return Err(SlackError::Http {
                status: status.as_u16(),
            });
        }
        let value: Value = response.json().await.map_err(classify)?;
        let envelope: Envelope = serde_json::from_value(value.clone())
            .map_err(|e| SlackError::Transport(format!("unreadable answer: {e}")))?;
        if envelope.ok {
            Ok(value)
        } else {
            Err(SlackError::Api {
                error: envelope.error.unwrap_or_else(|| "unknown_error".to_owned()),
            })
        }
    }

    /// Exchanges an OAuth `code` for the installing workspace's bot token, authenticated with
    /// the app's own credentials (HTTP Basic, as Slack prefers) rather than a token.
    pub async fn oauth_v2_access(
        &self,
        client_id: &str,
        client_secret: &SecretString,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Value, SlackError> {
        let fields = [("code", code), ("redirect_uri", redirect_uri)];
        self.as_app("oauth.v2.access", client_id, client_secret, &fields)
            .await
    }

    /// A method called with the app's own credentials (HTTP Basic, as Slack prefers) rather
    /// than a token.
    async fn as_app(
        &self,
        method: &str,
        client_id: &str,
        client_secret: &SecretString,
        fields: &[(&str, &str)],
    ) -> Result<Value, SlackError> {
        let request = self
            .http
            .post(format!("{}{method}", self.base_url))
            .basic_auth(client_id, Some(client_secret.expose_secret()))
            .form(fields);
        self.send(method, request).await
    }

    /// Sign in with Slack: exchanges the `code` for the person's OpenID Connect tokens, with the
    /// app's credentials (HTTP Basic, as for installs).
    pub async fn openid_connect_token(
        &self,
        client_id: &str,
        client_secret: &SecretString,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Value, SlackError> {
        let fields = [
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("grant_type", "authorization_code"),
        ];
        self.as_app("openid.connect.token", client_id, client_secret, &fields)
            .await
    }

    /// Who signed in with Slack: `https://slack.com/user_id`, `https://slack.com/team_id`, `name`.
    pub async fn openid_connect_user_info(
        &self,
        token: &SecretString,
    ) -> Result<Value, SlackError> {
        self.call_form(token, "openid.connect.userInfo", &[]).await
    }

    /// Where a person's browser signs in with Slack: beside the Web API, on the same host
    /// (`https://slack.com/api/` → `https://slack.com/openid/connect/authorize`).
    pub fn openid_authorize_url(&self) -> String {
        let site = self.base_url.strip_suffix("api/").unwrap_or(&self.base_url);
        format!("{site}openid/connect/authorize")
    }

    /// Who the token belongs to.
    pub async fn auth_test(&self, token: &SecretString) -> Result<AuthTest, SlackError> {
        parse(self.call_form(token, "auth.test", &[]).await?)
    }

    /// Opens (or finds) the DM with a user and returns its channel id.
    pub async fn conversations_open(
        &self,
        token: &SecretString,
        user: &str,
    ) -> Result<String, SlackError> {
        let answer = self
            .call(token, "conversations.open", &json!({ "users": user }))
            .await?;
        string_at(&answer, "/channel/id", "conversations.open")
    }

    /// Posts a message and returns its `ts`.
    pub async fn chat_post_message(
        &self,
        token: &SecretString,
        channel: &str,
        text: &str,
        blocks: &Value,
        key: &str,
    ) -> Result<String, SlackError> {
        let body = json!({
            "channel": channel, "text": text, "blocks": blocks, "unfurl_links": false,
            "metadata": { "event_type": OUTBOX_EVENT, "event_payload": { "key": key } },
        });
        let answer = self.call(token, "chat.postMessage", &body).await?;
        string_at(&answer, "/ts", "chat.postMessage")
    }

    /// The `ts` of a message Cairn posted in `channel` since `oldest` with `key` in its metadata:
    /// how a delivery whose outcome was lost learns whether it already happened.
    pub async fn find_posted(
        &self,
        token: &SecretString,
        channel: &str,
        oldest: chrono::DateTime<chrono::Utc>,
        key: &str,
    ) -> Result<Option<String>, SlackError> {
        self.find_in_history(token, channel, oldest, |m| {
            m["metadata"]["event_type"] == OUTBOX_EVENT
                && m["metadata"]["event_payload"]["key"] == key
        })
        .await
    }

    /// The `ts` of a message in `channel` since `oldest` sharing a file named `filename`: how an
    /// upload whose outcome was lost learns whether it was shared (uploads carry no metadata).
    pub async fn find_shared_file(
        &self,
        token: &SecretString,
        channel: &str,
        oldest: chrono::DateTime<chrono::Utc>,
        filename: &str,
    ) -> Result<Option<String>, SlackError> {
        self.find_in_history(token, channel, oldest, |m| {
            m["files"]
                .as_array()
                .is_some_and(|files| files.iter().any(|f| f["name"] == filename))
        })
        .await
    }

    async fn find_in_history(
        &self,
        token: &SecretString,
        channel: &str,
        oldest: chrono::DateTime<chrono::Utc>,
        matches: impl Fn(&Value) -> bool,
    ) -> Result<Option<String>, SlackError> {
        let oldest = format!(
            "{}.{:06}",
            oldest.timestamp(),
            oldest.timestamp_subsec_micros()
        );
        let mut cursor = String::new();
        // Bounded: a copy, if any, was posted within minutes of `oldest`.
        for _ in 0..MAX_HISTORY_PAGES {
            let mut fields = vec![
                ("channel", channel),
                ("oldest", oldest.as_str()),
                ("limit", "200"),
                ("include_all_metadata", "true"),
            ];
            if !cursor.is_empty() {
                fields.push(("cursor", cursor.as_str()));
            }
            let answer = self
                .call_form(token, "conversations.history", &fields)
                .await?;
            let found = answer["messages"]
                .as_array()
                .and_then(|messages| messages.iter().find(|m| matches(m)));
            if let Some(message) = found {
                return Ok(message["ts"].as_str().map(str::to_owned));
            }
            let next = answer["response_metadata"]["next_cursor"]
                .as_str()
                .unwrap_or_default();
            if next.is_empty() || next == cursor {
                return Ok(None);
            }
            cursor = next.to_owned();
        }
        Ok(None)
    }

    /// Shows a message only `user` can see, in `channel`.
    pub async fn chat_post_ephemeral(
        &self,
        token: &SecretString,
        channel: &str,
        user: &str,
        text: &str,
        blocks: &Value,
    ) -> Result<(), SlackError> {
        let body = json!({ "channel": channel, "user": user, "text": text, "blocks": blocks });
        self.call(token, "chat.postEphemeral", &body)
            .await
            .map(drop)
    }

    /// Replaces a message Cairn posted.
    pub async fn chat_update(
        &self,
        token: &SecretString,
        channel: &str,
        ts: &str,
        text: &str,
        blocks: &Value,
    ) -> Result<(), SlackError> {
        let body = json!({ "channel": channel, "ts": ts, "text": text, "blocks": blocks });
        self.call(token, "chat.update", &body).await.map(drop)
    }

    pub async fn reactions_add(
        &self,
        token: &SecretString,
        channel: &str,
        ts: &str,
        name: &str,
    ) -> Result<(), SlackError> {
        let body = json!({ "channel": channel, "timestamp": ts, "name": name });
        self.call(token, "reactions.add", &body).await.map(drop)
    }

    pub async fn chat_get_permalink(
        &self,
        token: &SecretString,
        channel: &str,
        message_ts: &str,
    ) -> Result<String, SlackError> {
        let fields = [("channel", channel), ("message_ts", message_ts)];
        let answer = self.call_form(token, "chat.getPermalink", &fields).await?;
        string_at(&answer, "/permalink", "chat.getPermalink")
    }

    pub async fn users_info(
        &self,
        token: &SecretString,
        user: &str,
    ) -> Result<SlackUser, SlackError> {
        let answer = self
            .call_form(token, "users.info", &[("user", user)])
            .await?;
        parse(answer["user"].clone())
    }

    /// Every member of the workspace, following `next_cursor` page by page.
    pub async fn users_list(&self, token: &SecretString) -> Result<Vec<SlackUser>, SlackError> {
        let members = self.pages(token, "users.list", "members").await?;
        parse(Value::Array(members))
    }

    /// The workspaces an org-wide (Enterprise Grid) install's token has been granted.
    pub async fn auth_teams_list(&self, token: &SecretString) -> Result<Vec<String>, SlackError> {
        let teams = self.pages(token, "auth.teams.list", "teams").await?;
        Ok(teams
            .iter()
            .filter_map(|t| t["id"].as_str().map(str::to_owned))
            .collect())
    }

    /// Every item under `key` of a paged read method, following `next_cursor` page by page.
    async fn pages(
        &self,
        token: &SecretString,
        method: &str,
        key: &str,
    ) -> Result<Vec<Value>, SlackError> {
        let mut items = Vec::new();
        let mut cursor = String::new();
        loop {
            let mut fields = vec![("limit", "200")];
            if !cursor.is_empty() {
                fields.push(("cursor", cursor.as_str()));
            }
            let mut answer = self.call_form(token, method, &fields).await?;
            if let Value::Array(page) = answer[key].take() {
                items.extend(page);
            }
            let next = answer["response_metadata"]["next_cursor"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if next.is_empty() {
                return Ok(items);
            }
            // A cursor that does not move would page forever.
            if next == cursor {
                return Err(SlackError::Transport(format!(
                    "{method} repeated its cursor"
                )));
            }
            cursor = next;
        }
    }

    /// The user ids in a user group.
    pub async fn usergroups_users_list(
        &self,
        token: &SecretString,
        team: &str,
        usergroup: &str,
    ) -> Result<Vec<String>, SlackError> {
        // `team_id` tells an org-wide token which workspace; a workspace's token ignores it.
        let fields = [("usergroup", usergroup), ("team_id", team)];
        let answer = self
            .call_form(token, "usergroups.users.list", &fields)
            .await?;
        parse(answer["users"].clone())
    }

    /// The workspace's user groups: (id, handle).
    pub async fn usergroups_list(
        &self,
        token: &SecretString,
        team: &str,
    ) -> Result<Vec<(String, String)>, SlackError> {
        let answer = self
            .call_form(token, "usergroups.list", &[("team_id", team)])
            .await?;
        let groups: Vec<UserGroup> = parse(answer["usergroups"].clone())?;
        Ok(groups.into_iter().map(|g| (g.id, g.handle)).collect())
    }

    /// Opens a modal; returns the view id.
    pub async fn views_open(
        &self,
        token: &SecretString,
        trigger_id: &str,
        view: &Value,
    ) -> Result<String, SlackError> {
        let body = json!({ "trigger_id": trigger_id, "view": view });
        let answer = self.call(token, "views.open", &body).await?;
        string_at(&answer, "/view/id", "views.open")
    }

    pub async fn views_update(
        &self,
        token: &SecretString,
        view_id: &str,
        view: &Value,
    ) -> Result<(), SlackError> {
        let body = json!({ "view_id": view_id, "view": view });
        self.call(token, "views.update", &body).await.map(drop)
    }

    /// Publishes a user's App Home tab.
    pub async fn views_publish(
        &self,
        token: &SecretString,
        user: &str,
        view: &Value,
    ) -> Result<(), SlackError> {
        let body = json!({ "user_id": user, "view": view });
        self.call(token, "views.publish", &body).await.map(drop)
    }

    /// Uploads files and shares them in a channel as one message: an upload URL per file, the
    /// bytes sent there, then one completion for all (Slack's current flow; `files.upload` is
    /// retired). Returns the file ids.
    pub async fn upload_files(
        &self,
        token: &SecretString,
        channel: &str,
        comment: &str,
        files: &[FileUpload<'_>],
    ) -> Result<Vec<String>, SlackError> {
        let mut shared = Vec::with_capacity(files.len());
        for upload in files {
            let length = upload.bytes.len().to_string();
            let fields = [("filename", upload.filename), ("length", length.as_str())];
            let answer = self
                .call_form(token, "files.getUploadURLExternal", &fields)
                .await?;
            let url = string_at(&answer, "/upload_url", "files.getUploadURLExternal")?;
            let file_id = string_at(&answer, "/file_id", "files.getUploadURLExternal")?;
            let sent = self
                .http
                .post(&url)
                .body(upload.bytes.to_vec())
                .send()
                .await
                .map_err(classify)?;
            if !sent.status().is_success() {
                return Err(SlackError::Http {
                    status: sent.status().as_u16(),
                });
            }
            shared.push((file_id, upload.title));
        }
        let body = json!({
            "files": shared.iter().map(|(id, title)| json!({ "id": id, "title": title })).collect::<Vec<_>>(),
            "channel_id": channel,
            "initial_comment": comment,
        });
        self.call(token, "files.completeUploadExternal", &body)
            .await?;
        Ok(shared.into_iter().map(|(id, _)| id).collect())
    }
}

#[derive(Debug, Deserialize)]
struct UserGroup {
    id: String,
    #[serde(default)]
    handle: String,
}

/// What `auth.test` says about a token.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuthTest {
    pub team_id: String,
    #[serde(default)]
    pub team: String,
    pub user_id: String,
    #[serde(default)]
    pub bot_id: Option<String>,
}

/// The parts of a Slack user Cairn keeps.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SlackUser {
    pub id: String,
    #[serde(default)]
    pub team_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub real_name: Option<String>,
    #[serde(default)]
    pub tz: Option<String>,
    #[serde(default)]
    pub is_bot: bool,
    #[serde(default)]
    pub deleted: bool,
    /// Set for members of an Enterprise Grid organisation.
    #[serde(default)]
    pub enterprise_user: Option<EnterpriseUser>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct EnterpriseUser {
    #[serde(default)]
    pub enterprise_id: String,
}

pub struct FileUpload<'a> {
    pub filename: &'a str,
    pub title: &'a str,
    pub bytes: &'a [u8],
}

fn parse<T: serde::de::DeserializeOwned>(value: Value) -> Result<T, SlackError> {
    serde_json::from_value(value)
        .map_err(|e| SlackError::Transport(format!("unreadable answer: {e}")))
}

fn string_at(answer: &Value, pointer: &str, method: &str) -> Result<String, SlackError> {
    answer
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| SlackError::Transport(format!("{method} answered without {pointer}")))
}

fn classify(e: reqwest::Error) -> SlackError {
    if e.is_timeout() {
        SlackError::Timeout
    } else {
        // Without the URL: it is harmless, but keeping errors short keeps logs readable.
        SlackError::Transport(e.without_url().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permanent_errors_are_told_from_transient_ones() {
        for e in [
            "channel_not_found",
            "not_in_channel",
            "invalid_auth",
            "account_inactive",
            "user_not_found",
            "is_archived",
            "cannot_dm_bot",
            "token_revoked",
        ] {
            assert!(SlackError::Api { error: e.into() }.is_permanent(), "{e}");
        }
        assert!(!SlackError::Api {
            error: "internal_error".into()
        }
        .is_permanent());
        assert!(!SlackError::RateLimited {
            retry_after: Duration::from_secs(1)
        }
        .is_permanent());
        assert!(!SlackError::Http { status: 503 }.is_permanent());
        assert!(SlackError::Http { status: 404 }.is_permanent());
        assert!(!SlackError::Timeout.is_permanent());
    }
}
