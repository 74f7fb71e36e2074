//! Modals Cairn opens, as Block Kit view JSON. Block and action ids are the contract between a
//! view and the handler that reads its submission: they are constants here.

use crate::domain::framework::Framework;
use serde_json::{json, Value};

pub const KUDOS_CALLBACK: &str = "kudos_modal";
pub const RECIPIENTS_BLOCK: &str = "recipients";
pub const RECIPIENTS_ACTION: &str = "users";
pub const TAGS_BLOCK: &str = "tags";
pub const TAGS_ACTION: &str = "tags_select";
pub const MESSAGE_BLOCK: &str = "message";
pub const MESSAGE_ACTION: &str = "message_input";
pub const VISIBILITY_BLOCK: &str = "visibility";
pub const VISIBILITY_ACTION: &str = "visibility_radio";
pub const CHANNEL_BLOCK: &str = "channel";
pub const CHANNEL_ACTION: &str = "channel_select";

/// Option values carry what they stand for: a competency or a multiplier kind.
pub const COMPETENCY_PREFIX: &str = "c:";
pub const KIND_PREFIX: &str = "m:";

/// Slack's limits: 100 options per group, 75 characters per option text, 3,000 per message.
const MAX_OPTIONS: usize = 100;
const OPTION_TEXT_MAX: usize = 75;
pub const MESSAGE_MAX: usize = crate::domain::kudos::MAX_MESSAGE_CHARS;

pub(crate) fn plain(text: &str) -> Value {
    json!({ "type": "plain_text", "text": text, "emoji": true })
}

fn option(text: &str, value: String) -> Value {
    let text: String = if text.chars().count() > OPTION_TEXT_MAX {
        text.chars()
            .take(OPTION_TEXT_MAX - 1)
            .chain(['…'])
            .collect()
    } else {
        text.to_owned()
    };
    json!({ "text": plain(&text), "value": value })
}

/// What the modal starts with: who it is for and where it was opened from.
#[derive(Debug, Clone, Default)]
pub struct KudosModal {
    pub recipients: Vec<String>,
    /// The channel the kudos is announced in, when public.
    pub channel: Option<String>,
    pub message: String,
    /// Returned with the submission (`private_metadata`).
    pub metadata: String,
}

/// The kudos modal: people, competencies and multiplier kinds of the active framework, the
/// message, and whether the channel sees it.
pub fn kudos_modal(framework: &Framework, modal: &KudosModal) -> Value {
    let competencies: Vec<Value> = framework
        .competencies
        .iter()
        .filter(|c| !c.deprecated)
        .take(MAX_OPTIONS)
        .map(|c| {
            let label = match &c.emoji {
                Some(e) => format!("{e} {}", c.name),
                None => c.name.clone(),
            };
            option(&label, format!("{COMPETENCY_PREFIX}{}", c.id))
        })
        .collect();
    let kinds: Vec<Value> = framework
        .multiplier_kinds
        .iter()
        .filter(|m| !m.deprecated)
        .take(MAX_OPTIONS)
        .map(|m| option(&m.name, format!("{KIND_PREFIX}{}", m.id)))
        .collect();
    let mut groups = vec![json!({ "label": plain("Competencies"), "options": competencies })];
    if !kinds.is_empty() {
        groups.push(json!({ "label": plain("Making others better"), "options": kinds }));
    }
    let mut recipients = json!({
        "type": "multi_users_select",
        "action_id": RECIPIENTS_ACTION,
        "placeholder": plain("Pick people"),
        "max_selected_items": 20,
    });
    if !modal.recipients.is_empty() {
        recipients["initial_users"] = json!(modal.recipients);
    }
    let mut message = json!({
        "type": "plain_text_input",
        "action_id": MESSAGE_ACTION,
        "multiline": true,
        "max_length": MESSAGE_MAX,
        "placeholder": plain("What did they do, and what did it change?"),
    });
    if !modal.message.is_empty() {
        message["initial_value"] = json!(modal.message);
    }
    let public = option("Public: announced in a channel", "public".into());
    let private = option("Private: only them and their managers", "manager".into());
    let mut channel = json!({
        "type": "conversations_select",
        "action_id": CHANNEL_ACTION,
        "placeholder": plain("Pick a channel"),
        "filter": { "include": ["public", "private"], "exclude_bot_users": true },
    });
    match &modal.channel {
        Some(c) => channel["initial_conversation"] = json!(c),
        None => channel["default_to_current_conversation"] = json!(true),
    }
    json!({
        "type": "modal",
        "callback_id": KUDOS_CALLBACK,
        "private_metadata": modal.metadata,
        "title": plain("Give kudos"),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "blocks": [
            { "type": "input", "block_id": RECIPIENTS_BLOCK, "label": plain("Who deserves kudos?"), "element": recipients },
            {
                "type": "input", "block_id": TAGS_BLOCK, "label": plain("What for?"),
                "optional": false,
                "element": {
                    "type": "multi_static_select", "action_id": TAGS_ACTION,
                    "placeholder": plain("Competencies and ways of helping"),
                    "option_groups": groups,
                },
            },
            { "type": "input", "block_id": MESSAGE_BLOCK, "label": plain("Message"), "element": message },
            {
                "type": "input", "block_id": VISIBILITY_BLOCK, "label": plain("Who sees it?"),
                "element": {
                    "type": "radio_buttons", "action_id": VISIBILITY_ACTION,
                    "initial_option": public, "options": [public, private],
                },
            },
            {
                "type": "input", "block_id": CHANNEL_BLOCK, "optional": true,
                "label": plain("Announce in (public kudos)"), "element": channel,
            },
        ],
    })
}

pub const EVIDENCE_CALLBACK: &str = "evidence_modal";
pub const TEXT_BLOCK: &str = "evidence_text";
pub const TEXT_ACTION: &str = "text_input";
pub const SPHERE_BLOCK: &str = "sphere";
pub const SPHERE_ACTION: &str = "sphere_select";
pub const PEOPLE_BLOCK: &str = "people";
pub const PEOPLE_ACTION: &str = "people_select";
pub const DATE_BLOCK: &str = "date";
pub const DATE_ACTION: &str = "date_picker";
pub const LINK_BLOCK: &str = "link";
pub const LINK_ACTION: &str = "link_input";

/// What the evidence modal starts with.
#[derive(Debug, Clone, Default)]
pub struct EvidenceModal {
    /// Plain text (a saved message's text, or nothing).
    pub text: String,
    pub link: Option<String>,
    /// `YYYY-MM-DD`, the person's today (or the message's day).
    pub date: String,
    pub metadata: String,
    /// Opened from a weekly prompt's Reflect button: titled and worded as a reflection.
    pub reflection: bool,
    /// Starts as "me and my managers" (the person's setting for reflections) instead of "only me".
    pub for_managers: bool,
}

/// The evidence modal: what you did, its competencies, how far it reached (declared), who it
/// helped, when, a link, and who may see it (private unless you say otherwise).
pub fn evidence_modal(framework: &Framework, modal: &EvidenceModal) -> Value {
    let tags = kudos_modal(framework, &KudosModal::default())["blocks"][1].clone();
    let mut text = json!({
        "type": "plain_text_input", "action_id": TEXT_ACTION, "multiline": true, "max_length": MESSAGE_MAX,
        "placeholder": plain("What did you do, and what did it change?"),
    });
    if !modal.text.is_empty() {
        let initial: String = modal.text.chars().take(MESSAGE_MAX).collect();
        text["initial_value"] = json!(initial);
    }
    // The framework's own names for its sphere levels, stored as Cairn's canonical levels.
    let spheres: Vec<Value> = match framework.dimension(crate::domain::framework::Role::Sphere) {
        Some(d) => d
            .scale
            .iter()
            .filter(|p| !p.deprecated)
            .filter_map(|p| p.canonical.map(|c| option(&p.name, c.as_str().to_owned())))
            .collect(),
        None => ["self", "team", "group", "org", "external"]
            .iter()
            .map(|c| option(c, (*c).to_owned()))
            .collect(),
    };
    let mut link = json!({
        "type": "url_text_input", "action_id": LINK_ACTION, "placeholder": plain("https://…"),
    });
    if let Some(url) = &modal.link {
        link["initial_value"] = json!(url);
    }
    let private = option("Only me", "private".into());
    let manager = option("Me and my managers", "manager".into());
    let public = option("Anyone in the workspace", "public".into());
    json!({
        "type": "modal",
        "callback_id": EVIDENCE_CALLBACK,
        "private_metadata": modal.metadata,
        "title": plain(if modal.reflection { "Reflect on your week" } else { "Log evidence" }),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": [
            { "type": "input", "block_id": TEXT_BLOCK, "label": plain("What you did"), "element": text },
            tags,
            {
                "type": "input", "block_id": SPHERE_BLOCK, "optional": true, "label": plain("How far did it reach?"),
                "element": { "type": "static_select", "action_id": SPHERE_ACTION, "placeholder": plain("Just me, unless you say"), "options": spheres },
            },
            {
                "type": "input", "block_id": PEOPLE_BLOCK, "optional": true, "label": plain("Who did it help?"),
                "element": { "type": "multi_users_select", "action_id": PEOPLE_ACTION, "placeholder": plain("Pick people"), "max_selected_items": 20 },
            },
            {
                "type": "input", "block_id": DATE_BLOCK, "label": plain("When"),
                "element": { "type": "datepicker", "action_id": DATE_ACTION, "initial_date": modal.date },
            },
            { "type": "input", "block_id": LINK_BLOCK, "optional": true, "label": plain("Link"), "element": link },
            {
                "type": "input", "block_id": VISIBILITY_BLOCK, "label": plain("Who sees it?"),
                "element": {
                    "type": "radio_buttons", "action_id": VISIBILITY_ACTION,
                    "initial_option": if modal.for_managers { &manager } else { &private },
                    "options": [private, manager, public],
                },
            },
        ],
    })
}

pub const SETTINGS_CALLBACK: &str = "settings";
pub const SETTINGS_DAY_BLOCK: &str = "settings_day";
pub const SETTINGS_TIME_BLOCK: &str = "settings_time";
pub const SETTINGS_CADENCE_BLOCK: &str = "settings_cadence";
pub const SETTINGS_TZ_BLOCK: &str = "settings_tz";
pub const SETTINGS_REFLECTIONS_BLOCK: &str = "settings_reflections";
pub const SETTINGS_PAUSE_BLOCK: &str = "settings_pause";
pub const SETTINGS_MONTHLY_BLOCK: &str = "settings_monthly";
/// The value of the monthly summary checkbox.
pub const MONTHLY_SUMMARY: &str = "monthly_summary";
/// Every settings element has this action id; the block says which setting it is.
pub const SETTINGS_ACTION: &str = "value";

/// What the settings modal shows.
#[derive(Debug, Clone)]
pub struct SettingsModal {
    pub schedule: crate::domain::schedule::Schedule,
    /// The time zone of the person's Slack profile, if known.
    pub slack_tz: Option<String>,
    /// When the next prompt comes, in words, if one is due.
    pub next: Option<String>,
}

/// `/growth settings`: when the weekly prompt comes (day, time, cadence, time zone), who may see
/// reflections, and a pause.
pub fn settings_modal(modal: &SettingsModal) -> Value {
    use crate::domain::schedule::Cadence;
    use chrono::Weekday;
    let s = &modal.schedule;
    let days: Vec<Value> = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ]
    .iter()
    .map(|d| option(&weekday_name(*d), weekday_name(*d).to_lowercase()))
    .collect();
    let day = option(
        &weekday_name(s.slot.weekday),
        weekday_name(s.slot.weekday).to_lowercase(),
    );
    let cadences: Vec<Value> = [
        (Cadence::Weekly, "Every week"),
        (Cadence::Fortnightly, "Every two weeks"),
        (Cadence::Off, "Off"),
    ]
    .iter()
    .map(|(c, label)| option(label, c.as_str().to_owned()))
    .collect();
    let cadence = cadences
        .iter()
        .find(|o| o["value"] == s.slot.cadence.as_str())
        .cloned()
        .unwrap_or_else(|| cadences[0].clone());
    let mut tz = json!({
        "type": "plain_text_input", "action_id": SETTINGS_ACTION, "max_length": 64,
        "placeholder": plain("e.g. Europe/Berlin"),
    });
    if let Some(zone) = &s.tz {
        tz["initial_value"] = json!(zone);
    }
    let tz_hint = match &modal.slack_tz {
        Some(zone) => format!("Leave empty to follow your Slack profile ({zone})."),
        None => "Leave empty to follow your Slack profile.".to_owned(),
    };
    let private = option("Only me", "private".into());
    let manager = option("Me and my managers", "manager".into());
    let reflections = if s.reflections == crate::domain::growth::Visibility::Manager {
        manager.clone()
    } else {
        private.clone()
    };
    let mut pause = json!({ "type": "datepicker", "action_id": SETTINGS_ACTION, "placeholder": plain("Not paused") });
    if let Some(until) = s.paused_until {
        pause["initial_date"] = json!(until.to_string());
    }
    let monthly_option = option(
        "Send me a monthly summary of my growth",
        MONTHLY_SUMMARY.into(),
    );
    let mut monthly = json!({ "type": "checkboxes", "action_id": SETTINGS_ACTION, "options": [monthly_option.clone()] });
    if s.monthly_summary {
        monthly["initial_options"] = json!([monthly_option]);
    }
    let next = modal
        .next
        .as_deref()
        .map_or("No prompt is due.".to_owned(), |n| {
            format!("Next prompt: {n}.")
        });
    json!({
        "type": "modal",
        "callback_id": SETTINGS_CALLBACK,
        "title": plain("Cairn settings"),
        "submit": plain("Save"),
        "close": plain("Cancel"),
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": format!("Once a week Cairn asks you what is worth keeping from your week. {next}") } },
            {
                "type": "input", "block_id": SETTINGS_DAY_BLOCK, "label": plain("Day"),
                "element": { "type": "static_select", "action_id": SETTINGS_ACTION, "options": days, "initial_option": day },
            },
            {
                "type": "input", "block_id": SETTINGS_TIME_BLOCK, "label": plain("Time"),
                "hint": plain("Your local time, between 08:00 and 20:59."),
                "element": { "type": "timepicker", "action_id": SETTINGS_ACTION, "initial_time": s.slot.time.format("%H:%M").to_string() },
            },
            {
                "type": "input", "block_id": SETTINGS_CADENCE_BLOCK, "label": plain("How often"),
                "element": { "type": "static_select", "action_id": SETTINGS_ACTION, "options": cadences, "initial_option": cadence },
            },
            {
                "type": "input", "block_id": SETTINGS_TZ_BLOCK, "optional": true, "label": plain("Time zone"),
                "hint": plain(&tz_hint), "element": tz,
            },
            {
                "type": "input", "block_id": SETTINGS_REFLECTIONS_BLOCK, "label": plain("Who may see the reflections you send me?"),
                "element": { "type": "radio_buttons", "action_id": SETTINGS_ACTION, "options": [private, manager], "initial_option": reflections },
            },
            {
                "type": "input", "block_id": SETTINGS_MONTHLY_BLOCK, "optional": true, "label": plain("Monthly summary"),
                "element": monthly,
            },
            {
                "type": "input", "block_id": SETTINGS_PAUSE_BLOCK, "optional": true, "label": plain("Pause prompts until"),
                "hint": plain("Prompts start again on this day. Clear it to resume now."),
                "element": pause,
            },
        ],
    })
}

fn weekday_name(day: chrono::Weekday) -> String {
    match day {
        chrono::Weekday::Mon => "Monday",
        chrono::Weekday::Tue => "Tuesday",
        chrono::Weekday::Wed => "Wednesday",
        chrono::Weekday::Thu => "Thursday",
        chrono::Weekday::Fri => "Friday",
        chrono::Weekday::Sat => "Saturday",
        chrono::Weekday::Sun => "Sunday",
    }
    .to_owned()
}

pub const FORGET_CALLBACK: &str = "forget_me";

/// The confirmation `/growth forget-me` asks for before deleting anything.
pub fn forget_me_modal() -> Value {
    json!({
        "type": "modal",
        "callback_id": FORGET_CALLBACK,
        "title": plain("Forget me"),
        "submit": plain("Delete it all"),
        "close": plain("Keep it"),
        "blocks": [{
            "type": "section",
            "text": { "type": "mrkdwn", "text": "This deletes everything Cairn holds about you: the kudos you received, your evidence and reflections, your profile and the messages Cairn sent you. Kudos you gave stay with the people who received them, shown as from *a former teammate*.\n\n*This cannot be undone.*" },
        }],
    })
}

/// What forget-me did, shown in place of the confirmation.
pub fn forgotten_modal(report: &crate::domain::forget::Forgotten) -> Value {
    let text = format!(
        "Done. Cairn deleted:\n• your place in {} kudos you received\n• {} pieces of your evidence\n• {} messages to or about you\n\nThe {} kudos you gave now show as from a former teammate.",
        report.kudos_received, report.evidence, report.messages, report.kudos_given
    );
    json!({
        "type": "modal",
        "callback_id": "forgotten",
        "title": plain("Forgotten"),
        "close": plain("Close"),
        "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kudos_modal_snapshot() {
        let f = Framework::load("matrix-3x3").unwrap();
        let view = kudos_modal(
            &f,
            &KudosModal {
                recipients: vec!["U07ANA0001".into()],
                channel: Some("C07KUDOS01".into()),
                message: String::new(),
                metadata: r#"{"origin":"shortcut"}"#.into(),
            },
        );
        insta::assert_json_snapshot!(view);
    }

    #[test]
    fn evidence_modal_snapshot() {
        let f = Framework::load("career-steps").unwrap();
        let view = evidence_modal(
            &f,
            &EvidenceModal {
                text: "Hotfix deployed, error rate back to baseline.".into(),
                link: Some("https://acme.slack.com/archives/C07GENERAL/p1767622800000900".into()),
                date: "2026-01-05".into(),
                metadata: r#"{"source":"message"}"#.into(),
                reflection: false,
                for_managers: false,
            },
        );
        // The sphere choices are the framework's own step names.
        let spheres = &view["blocks"][2]["element"]["options"];
        assert_eq!(spheres[0]["value"], "self");
        assert_eq!(spheres.as_array().unwrap().len(), 4);
        insta::assert_json_snapshot!(view);
    }

    #[test]
    fn forget_me_snapshots() {
        insta::assert_json_snapshot!("forget_me", forget_me_modal());
        let report = crate::domain::forget::Forgotten {
            kudos_received: 2,
            kudos_given: 1,
            evidence: 3,
            messages: 4,
        };
        insta::assert_json_snapshot!("forgotten", forgotten_modal(&report));
    }

    #[test]
    fn a_long_message_is_cut_to_fit_the_evidence_modal() {
        let f = Framework::load("matrix-3x3").unwrap();
        let modal = EvidenceModal {
            text: "é".repeat(5000),
            ..EvidenceModal::default()
        };
        let view = evidence_modal(&f, &modal);
        let initial = view["blocks"][0]["element"]["initial_value"]
            .as_str()
            .unwrap();
        assert_eq!(initial.chars().count(), MESSAGE_MAX);
    }

    #[test]
    fn every_builtin_fits_the_modal() {
        for id in crate::domain::framework::builtin_ids() {
            let view = kudos_modal(&Framework::load(id).unwrap(), &KudosModal::default());
            let groups = view["blocks"][1]["element"]["option_groups"]
                .as_array()
                .unwrap();
            for g in groups {
                let options = g["options"].as_array().unwrap();
                assert!(!options.is_empty() && options.len() <= MAX_OPTIONS, "{id}");
                for o in options {
                    assert!(o["text"]["text"].as_str().unwrap().chars().count() <= OPTION_TEXT_MAX);
                }
            }
            assert!(view["blocks"].as_array().unwrap().len() <= 100);
            assert_eq!(
                view["blocks"][4]["element"]["default_to_current_conversation"],
                true
            );
        }
    }
}
