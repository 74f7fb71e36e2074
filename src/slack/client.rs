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

    /// Calls a Web API method with a JSON body and returns the whole answer when `ok` is true.
    pub async fn call(
        &self,
        token: &SecretString,
        method: &str,
        body: &Value,
    ) -> Result<Value, SlackError> {
        let response = self
            .http
            .post(format!("{}{method}", self.base_url))
            .bearer_auth(token.expose_secret())
            .json(body)
            .send()
            .await
            .map_err(classify)?;
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

    /// Opens (or finds) the DM with a user and returns its channel id.
    pub async fn conversations_open(
        &self,
        token: &SecretString,
        user: &str,
    ) -> Result<String, SlackError> {
        let answer = self
            .call(token, "conversations.open", &json!({ "users": user }))
            .await?;
        answer["channel"]["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                SlackError::Transport("conversations.open answered without a channel id".to_owned())
            })
    }

    /// Posts a message and returns its `ts`.
    pub async fn chat_post_message(
        &self,
        token: &SecretString,
        channel: &str,
        text: &str,
        blocks: &Value,
    ) -> Result<String, SlackError> {
        let body =
            json!({ "channel": channel, "text": text, "blocks": blocks, "unfurl_links": false });
        let answer = self.call(token, "chat.postMessage", &body).await?;
        Ok(answer["ts"].as_str().unwrap_or_default().to_owned())
    }
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
