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

fn plain(text: &str) -> Value {
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
    pub schedule: crate::store::Schedule,
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
    let reflections = if s.reflections == crate::store::Visibility::Manager {
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

/// Buttons of the "what was your reaction for?" DM: `tag_kudos:<competency>`.
pub const TAG_ACTION: &str = "tag_kudos";
/// Slack allows 25 elements in an actions block.
const MAX_BUTTONS: usize = 25;

/// The DM asking a giver what their reaction kudos was for: a button per competency, each
/// carrying the kudos' source key and the competency. `{ "text", "blocks" }`.
pub fn tag_question(framework: &Framework, key: &str, author: &str, emoji: &str) -> Value {
    let buttons: Vec<Value> = framework
        .competencies
        .iter()
        .filter(|c| !c.deprecated)
        .take(MAX_BUTTONS)
        .map(|c| {
            json!({
                "type": "button", "action_id": format!("{TAG_ACTION}:{}", c.id),
                "text": plain(&c.name),
                "value": format!("{key} {}", c.id),
            })
        })
        .collect();
    let text = format!("You gave <@{author}> kudos with :{emoji}:. What was it for? Pick one so it counts toward their growth.");
    json!({
        "text": text,
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": text } },
            { "type": "actions", "block_id": TAG_ACTION, "elements": buttons },
        ],
    })
}

/// The question once answered: the buttons give way to what the kudos now counts as.
pub fn tag_answered(competency: &str) -> Value {
    let text = format!(
        ":white_check_mark: Thanks: that kudos counts as *{}*.",
        super::mrkdwn::safe(competency)
    );
    json!({
        "text": text,
        "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }],
    })
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
pub fn forgotten_modal(report: &crate::store::Forgotten) -> Value {
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

pub const HOME_GIVE_KUDOS: &str = "home_give_kudos";
pub const HOME_LOG_EVIDENCE: &str = "home_log_evidence";
pub const HOME_SETTINGS: &str = "home_settings";
/// Items listed per section of the home tab, and characters shown per item.
const HOME_ITEMS: usize = 10;
const HOME_ITEM_CHARS: usize = 400;

/// One line of the home tab: a kudos or a piece of evidence.
#[derive(Debug, Clone)]
pub struct HomeItem {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Slack wire text.
    pub text: String,
    /// Who it is from (received), to (given), or `None` (one's own evidence).
    pub who: Option<String>,
    /// Competency and multiplier-kind names.
    pub labels: Vec<String>,
    pub private: bool,
    pub link: Option<String>,
}

pub struct Home<'a> {
    pub framework: &'a Framework,
    /// Items per competency id over `days`.
    pub counts: &'a [(String, i64)],
    pub days: i64,
    /// "My growth": the spread across sphere levels and the multiplier figures over `days`.
    pub growth: Option<&'a crate::domain::growth::Summary>,
    pub received: &'a [HomeItem],
    pub evidence: &'a [HomeItem],
    pub given: &'a [HomeItem],
}

fn mrkdwn_section(text: String) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": super::mrkdwn::truncate(&text, 3000) } })
}

fn item_block(item: &HomeItem, who_prefix: &str) -> Value {
    let mut line = format!("*{}*", item.date);
    if let Some(who) = &item.who {
        line.push_str(&format!(" {who_prefix} <@{who}>"));
    }
    if item.private {
        line.push_str(" :lock:");
    }
    let text = super::mrkdwn::truncate(&super::mrkdwn::safe(&item.text), HOME_ITEM_CHARS);
    line.push_str(&format!("\n{text}"));
    if !item.labels.is_empty() {
        line.push_str(&format!(
            "\n_{}_",
            super::mrkdwn::safe(&item.labels.join(" · "))
        ));
    }
    if let Some(link) = &item.link {
        line.push_str(&format!(" <{}|link>", link.replace(['<', '>', '|'], "")));
    }
    mrkdwn_section(line)
}

fn item_list(
    blocks: &mut Vec<Value>,
    title: &str,
    items: &[HomeItem],
    who_prefix: &str,
    empty: &str,
) {
    blocks.push(json!({ "type": "header", "text": plain(title) }));
    if items.is_empty() {
        blocks
            .push(json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": empty }] }));
    }
    for item in items.iter().take(HOME_ITEMS) {
        blocks.push(item_block(item, who_prefix));
    }
    if items.len() > HOME_ITEMS {
        let more = format!("…and {} more", items.len() - HOME_ITEMS);
        blocks.push(json!({ "type": "context", "elements": [{ "type": "mrkdwn", "text": more }] }));
    }
}

/// The App Home tab: buttons to give kudos and log evidence, the person's spread over the
/// framework's competencies, and their recent kudos and evidence.
pub fn home_view(home: &Home) -> Value {
    let mut blocks = vec![
        json!({ "type": "header", "text": plain("Your growth") }),
        json!({
            "type": "actions", "block_id": "home_actions",
            "elements": [
                { "type": "button", "action_id": HOME_GIVE_KUDOS, "text": plain("Give kudos"), "style": "primary", "value": "give" },
                { "type": "button", "action_id": HOME_LOG_EVIDENCE, "text": plain("Log evidence"), "value": "log" },
                { "type": "button", "action_id": HOME_SETTINGS, "text": plain("Settings"), "value": "settings" },
            ],
        }),
    ];
    if let Some(summary) = home.growth {
        blocks.push(mrkdwn_section(format!(
            "*My growth*, the last {} days\n{}\n\n*Multiplier effect*: {}\n_`/growth summary` for the details and highlights._",
            home.days,
            super::summary::spread_text(home.framework, summary),
            super::summary::multiplier_text(home.framework, summary).replace('\n', " · "),
        )));
    }
    let counts: Vec<String> = home
        .framework
        .competencies
        .iter()
        .filter(|c| !c.deprecated)
        .map(|c| {
            let n = home
                .counts
                .iter()
                .find(|(id, _)| *id == c.id)
                .map_or(0, |(_, n)| *n);
            let emoji = c
                .emoji
                .as_deref()
                .map(|e| format!("{e} "))
                .unwrap_or_default();
            if n == 0 {
                format!("{emoji}*{}*: nothing yet", super::mrkdwn::safe(&c.name))
            } else {
                format!("{emoji}*{}*: {n}", super::mrkdwn::safe(&c.name))
            }
        })
        .collect();
    blocks.push(mrkdwn_section(format!(
        "*The last {} days, by competency* (kudos received and your own evidence)\n{}",
        home.days,
        counts.join("\n")
    )));
    blocks.push(json!({ "type": "divider" }));
    item_list(
        &mut blocks,
        "Kudos you received",
        home.received,
        "from",
        "None yet. They will show up here.",
    );
    item_list(
        &mut blocks,
        "Your evidence",
        home.evidence,
        "",
        "Nothing logged yet: try `/growth log #competency what you did`.",
    );
    item_list(
        &mut blocks,
        "Kudos you gave",
        home.given,
        "to",
        "None yet: `/kudos @someone #competency what they did`.",
    );
    json!({ "type": "home", "callback_id": "home", "blocks": blocks })
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

    fn item(i: usize, chars: usize) -> HomeItem {
        HomeItem {
            date: "2026-01-05".into(),
            text: format!("{i} <!channel> {}", "x".repeat(chars)),
            who: Some("U07BOB0002".into()),
            labels: vec!["Technical skills".into(), "Mentoring".into()],
            private: i % 2 == 0,
            link: Some("https://acme.slack.com/archives/C1/p1".into()),
        }
    }

    #[test]
    fn tag_question_snapshot() {
        let f = Framework::load("matrix-3x3").unwrap();
        insta::assert_json_snapshot!(tag_question(
            &f,
            "reaction:C1:1.2:U07CAROL03",
            "U07BOB0002",
            "cairn"
        ));
    }

    #[test]
    fn forget_me_snapshots() {
        insta::assert_json_snapshot!("forget_me", forget_me_modal());
        let report = crate::store::Forgotten {
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
    fn home_snapshot() {
        let f = Framework::load("matrix-3x3").unwrap();
        let counts = vec![("technical".to_owned(), 3), ("values".to_owned(), 1)];
        let (_, report) = crate::report::packet::tests::report(crate::domain::growth::Access::Own);
        let home = Home {
            framework: &f,
            counts: &counts,
            days: 90,
            growth: Some(&report.summary),
            received: &[item(1, 20)],
            evidence: &[item(2, 20)],
            given: &[],
        };
        insta::assert_json_snapshot!(home_view(&home));
    }

    #[test]
    fn home_stays_within_slacks_limits_with_500_long_items() {
        let f = Framework::load("staff-scope").unwrap();
        let many: Vec<HomeItem> = (0..500).map(|i| item(i, 3000)).collect();
        let counts: Vec<(String, i64)> =
            f.competencies.iter().map(|c| (c.id.clone(), 500)).collect();
        let (_, report) = crate::report::packet::tests::report(crate::domain::growth::Access::Own);
        let view = home_view(&Home {
            framework: &f,
            counts: &counts,
            days: 90,
            growth: Some(&report.summary),
            received: &many,
            evidence: &many,
            given: &many,
        });
        let blocks = view["blocks"].as_array().unwrap();
        assert!(blocks.len() <= 100, "{}", blocks.len());
        for b in blocks {
            if let Some(text) = b["text"]["text"].as_str() {
                assert!(text.chars().count() <= 3000);
                assert!(!text.contains("<!channel>"), "{text}");
            }
        }
        assert!(view.to_string().contains("…and 490 more"));
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
