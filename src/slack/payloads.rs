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
    /// Set for Enterprise Grid workspaces: the organisation.
    pub enterprise_id: Option<String>,
    /// Which installations the event is for; an org-wide one has `is_enterprise_install`.
    pub authorizations: Vec<Authorization>,
    pub api_app_id: Option<String>,
    pub event_id: Option<String>,
    pub event_time: Option<i64>,
    pub event: Option<InnerEvent>,
}

impl EventEnvelope {
    /// The organisation, when the event is for an org-wide install; else none.
    pub fn org_wide_install(&self) -> Option<&str> {
        self.authorizations
            .iter()
            .find(|a| a.is_enterprise_install)
            .and_then(|a| a.enterprise_id.as_deref().or(self.enterprise_id.as_deref()))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Authorization {
    pub enterprise_id: Option<String>,
    pub team_id: Option<String>,
    pub is_enterprise_install: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct InnerEvent {
    #[serde(rename = "type")]
    pub kind: String,
    pub user: Option<serde_json::Value>,
    pub channel: Option<String>,
    pub ts: Option<String>,
    /// `reaction_added` / `reaction_removed`: the emoji's name, the reacted item and its author.
    pub reaction: Option<String>,
    pub item: Option<ReactedItem>,
    pub item_user: Option<String>,
    /// `app_home_opened`: `home` or `messages`.
    pub tab: Option<String>,
    /// `team_access_granted` / `team_access_revoked`: the workspaces an org-wide install
    /// gained or lost.
    pub team_ids: Vec<String>,
    /// `tokens_revoked`: the user ids whose tokens were revoked, by kind.
    pub tokens: Option<RevokedTokens>,
    /// `message`: what was written, where (`im` for the bot's DM), and whether it is a plain
    /// message from a person (no subtype, no bot).
    pub text: Option<String>,
    pub channel_type: Option<String>,
    pub subtype: Option<String>,
    pub bot_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReactedItem {
    #[serde(rename = "type")]
    pub kind: String,
    pub channel: String,
    pub ts: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RevokedTokens {
    pub oauth: Vec<String>,
    pub bot: Vec<String>,
}

/// The JSON in the `payload` field of `POST /slack/interactivity`. Only what Cairn reads is
/// typed; `kind` tells `block_actions`, `view_submission`, `view_closed`, `shortcut` and
/// `message_action` apart, and anything else is still readable.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Interaction {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "null_as_default")]
    pub team: Team,
    /// Set for Enterprise Grid workspaces.
    #[serde(deserialize_with = "null_as_default")]
    pub enterprise: Enterprise,
    pub user: User,
    pub callback_id: String,
    pub trigger_id: String,
    pub response_url: Option<String>,
    pub channel: Option<Channel>,
    pub message: Option<serde_json::Value>,
    pub actions: Vec<Action>,
    pub view: Option<View>,
}

impl Interaction {
    /// Reads the form body of `POST /slack/interactivity`: a field `payload` holding the JSON.
    /// A refusal says which: the form (naming the field) or the JSON (with its line and column).
    pub fn from_form(body: &[u8]) -> Result<Interaction, String> {
        #[derive(Deserialize)]
        struct Form {
            payload: String,
        }
        let form: Form =
            serde_urlencoded::from_bytes(body).map_err(|e| format!("the form: {e}"))?;
        serde_json::from_str(&form.payload).map_err(|e| format!("the `payload` JSON: {e}"))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Team {
    pub id: String,
    pub domain: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Enterprise {
    pub id: String,
}

/// Slack sends `null` for an absent object in some payloads (`"enterprise": null`).
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct User {
    pub id: String,
    /// The person's own workspace.
    pub team_id: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Channel {
    pub id: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Action {
    pub action_id: String,
    pub block_id: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct View {
    pub id: String,
    pub callback_id: String,
    pub private_metadata: String,
    pub state: ViewState,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ViewState {
    /// block id → action id → the element's state.
    pub values: std::collections::HashMap<String, std::collections::HashMap<String, ElementState>>,
}

/// The state of one input element; which field is set depends on the element's type.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ElementState {
    #[serde(rename = "type")]
    pub kind: String,
    pub value: Option<String>,
    pub selected_users: Vec<String>,
    pub selected_options: Vec<SelectedOption>,
    pub selected_option: Option<SelectedOption>,
    pub selected_conversation: Option<String>,
    pub selected_channel: Option<String>,
    pub selected_date: Option<String>,
    /// A timepicker's `HH:MM`.
    pub selected_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SelectedOption {
    pub value: String,
}

impl View {
    pub fn element(&self, block: &str, action: &str) -> Option<&ElementState> {
        self.state.values.get(block)?.get(action)
    }
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

    #[test]
    fn an_event_for_an_org_wide_install_names_its_organisation() {
        let org: EventEnvelope = serde_json::from_str(
            r#"{"type":"event_callback","team_id":null,"enterprise_id":"E1","event_id":"Ev1","event":{"type":"team_access_granted","team_ids":["T1","T2"]},
               "authorizations":[{"enterprise_id":"E1","team_id":null,"user_id":"U1","is_bot":true,"is_enterprise_install":true}]}"#,
        )
        .unwrap();
        assert_eq!(org.org_wide_install(), Some("E1"));
        assert_eq!(org.event.unwrap().team_ids, ["T1", "T2"]);
        // A workspace install inside a Grid organisation is the workspace's own.
        let workspace: EventEnvelope = serde_json::from_str(
            r#"{"type":"event_callback","team_id":"T1","enterprise_id":"E1","event_id":"Ev2","event":{"type":"app_uninstalled"},
               "authorizations":[{"enterprise_id":"E1","team_id":"T1","is_enterprise_install":false}]}"#,
        )
        .unwrap();
        assert_eq!(workspace.org_wide_install(), None);
    }

    #[test]
    fn an_interaction_with_null_team_or_enterprise_is_read() {
        let i: Interaction = serde_json::from_str(
            r#"{"type":"block_actions","team":null,"enterprise":{"id":"E1","name":"Acme Corp"},"user":{"id":"U1"}}"#,
        )
        .unwrap();
        assert_eq!((i.team.id.as_str(), i.enterprise.id.as_str()), ("", "E1"));
    }

    #[test]
    fn reads_a_view_submission_fixture() {
        let raw = include_str!("../../tests/fixtures/interactivity_view_submission.json");
        let i: Interaction = serde_json::from_str(raw).unwrap();
        assert_eq!(i.kind, "view_submission");
        assert_eq!(i.team.id, "T07KUD0S01");
        let view = i.view.unwrap();
        assert_eq!(view.callback_id, "kudos_modal");
        let users = view.element("recipients", "users").unwrap();
        assert_eq!(users.selected_users, ["U07BOB0002", "U07CAROL03"]);
        let message = view.element("message", "message_input").unwrap();
        assert!(message.value.as_deref().unwrap().contains('—'));
        let channel = view.element("channel", "channel_select").unwrap();
        assert_eq!(channel.selected_conversation.as_deref(), Some("C07KUDOS01"));
    }
}
