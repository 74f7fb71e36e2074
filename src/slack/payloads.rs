//! Inbound Slack payloads. Lenient on purpose: unknown fields are ignored and missing ones
//! default, so a change on Slack's side never turns into a failed request here.

use serde::Deserialize;

/// A slash command invocation (form-encoded body of `POST /slack/commands`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SlashCommand {
    pub ssl_check: Option<String>,
    pub team_id: String,
    pub team_domain: String,
    pub enterprise_id: Option<String>,
    pub channel_id: String,
    pub channel_name: String,
    pub user_id: String,
    pub user_name: String,
    pub command: String,
    pub text: String,
    pub response_url: String,
    pub trigger_id: String,
    pub api_app_id: String,
}

impl SlashCommand {
    pub fn is_ssl_check(&self) -> bool {
        self.ssl_check.as_deref() == Some("1")
    }
}

/// The outer envelope of `POST /slack/events`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EventEnvelope {
    #[serde(rename = "type")]
    pub kind: String,
    pub challenge: Option<String>,
    pub team_id: Option<String>,
    pub api_app_id: Option<String>,
    pub event_id: Option<String>,
    pub event_time: Option<i64>,
    pub event: Option<InnerEvent>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InnerEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub user: Option<serde_json::Value>,
    pub channel: Option<String>,
    pub ts: Option<String>,
    /// `tokens_revoked`: the user ids whose tokens were revoked, by kind.
    pub tokens: Option<RevokedTokens>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RevokedTokens {
    pub oauth: Vec<String>,
    pub bot: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_fixture_slash_command() {
        let body = "token=x&team_id=T07KUD0S01&channel_id=C07KUDOS01&user_id=U07ALICE01&user_name=alice&command=%2Fkudos&text=%3C%40U07BOB0002%7Cbob%3E+thanks&unknown_field=1";
        let cmd: SlashCommand = serde_urlencoded::from_str(body).unwrap();
        assert_eq!(cmd.command, "/kudos");
        assert_eq!(cmd.text, "<@U07BOB0002|bob> thanks");
        assert!(!cmd.is_ssl_check());
        let probe: SlashCommand = serde_urlencoded::from_str("ssl_check=1&token=x").unwrap();
        assert!(probe.is_ssl_check());
    }

    #[test]
    fn events_tolerate_unknown_shapes() {
        let env: EventEnvelope = serde_json::from_str(
            r#"{"type":"event_callback","team_id":"T1","event_id":"Ev1","event":{"type":"user_change","user":{"id":"U1"}},"new_thing":[1]}"#,
        )
        .unwrap();
        assert_eq!(env.event.unwrap().kind, "user_change");
    }
}
