//! The weekly reflection prompt as a Block Kit DM: a greeting by name, the week's kudos, at most
//! one line on a gap, and the buttons Reflect, Snooze and Skip this week.

use super::{context, section};
use crate::slack::mrkdwn;
use serde_json::{json, Value};

pub const REFLECT_ACTION: &str = "prompt_reflect";
pub const SNOOZE_ACTION: &str = "prompt_snooze";
pub const SKIP_ACTION: &str = "prompt_skip";

/// Kudos lines shown before "and N more".
const MAX_KUDOS: usize = 5;
const KUDOS_TEXT: usize = 140;

/// One kudos of the week, as the person received it.
#[derive(Debug, Clone, PartialEq)]
pub struct WeekKudos {
    pub giver: String,
    /// Slack wire text as the giver typed it.
    pub text: String,
    /// Competency names.
    pub competencies: Vec<String>,
}

/// A competency with no evidence lately, and one of its reflection prompts.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub tag: String,
    pub weeks: u32,
    pub prompt: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WeeklyPrompt {
    /// The person's first name or display name, if known.
    pub name: Option<String>,
    pub kudos: Vec<WeekKudos>,
    pub gap: Option<Gap>,
    /// They logged evidence this week already: a shorter prompt, no line on a gap.
    pub lighter: bool,
    /// The local date the prompt belongs to; the buttons carry it.
    pub local_date: String,
}

/// The prompt's fallback text and blocks.
pub fn weekly_prompt(p: &WeeklyPrompt) -> (String, Value) {
    let hello = match &p.name {
        Some(name) => format!("Hi {}", mrkdwn::safe(name)),
        None => "Hi".to_owned(),
    };
    let ask = if p.lighter {
        "you have logged evidence this week already, nice. Anything else worth keeping?"
    } else {
        "what is one thing from this week worth keeping for your next review?"
    };
    let text = format!("{hello}, {ask}");
    let mut blocks = vec![section(format!(":wave: {text}"))];
    if !p.kudos.is_empty() {
        let mut lines = vec![format!(
            "*This week you received {}:*",
            if p.kudos.len() == 1 {
                "a kudos".to_owned()
            } else {
                format!("{} kudos", p.kudos.len())
            }
        )];
        for k in p.kudos.iter().take(MAX_KUDOS) {
            let said = mrkdwn::truncate(&mrkdwn::safe(&k.text), KUDOS_TEXT);
            let tags = if k.competencies.is_empty() {
                String::new()
            } else {
                format!(" ({})", mrkdwn::safe(&k.competencies.join(", ")))
            };
            lines.push(format!("• <@{}>: {said}{tags}", k.giver));
        }
        if p.kudos.len() > MAX_KUDOS {
            lines.push(format!("…and {} more", p.kudos.len() - MAX_KUDOS));
        }
        blocks.push(section(lines.join("\n")));
    }
    if let (Some(gap), false) = (&p.gap, p.lighter) {
        blocks.push(section(format!(
            ":seedling: No #{} evidence in {} weeks. {}",
            mrkdwn::safe(&gap.tag),
            gap.weeks,
            mrkdwn::safe(&gap.prompt)
        )));
    }
    let mut blocks: Vec<Value> = blocks
        .into_iter()
        .map(|b| serde_json::to_value(b).expect("blocks serialise"))
        .collect();
    let button = |label: &str, action: &str, style: Option<&str>| {
        let mut b = json!({
            "type": "button",
            "action_id": action,
            "text": { "type": "plain_text", "text": label },
            "value": p.local_date,
        });
        if let Some(style) = style {
            b["style"] = json!(style);
        }
        b
    };
    blocks.push(json!({
        "type": "actions",
        "block_id": "prompt",
        "elements": [
            button("Reflect", REFLECT_ACTION, Some("primary")),
            button("Snooze until tomorrow", SNOOZE_ACTION, None),
            button("Skip this week", SKIP_ACTION, None),
        ],
    }));
    blocks.push(
        serde_json::to_value(context(
            "Or just reply here: Cairn keeps your reply as a private reflection. `/growth settings` changes when this comes."
                .to_owned(),
        ))
        .expect("blocks serialise"),
    );
    (text, Value::Array(blocks))
}

/// The monthly summary DM: how far the person's work reached and how it helped others over
/// the last 30 days, beside the 90 days before, and their thinnest competency.
pub fn monthly_summary(
    framework: &crate::domain::framework::Framework,
    recent: &crate::domain::growth::Growth,
    before: &crate::domain::growth::Growth,
    thinnest: Option<&Gap>,
) -> (String, Value) {
    use super::summary::{multiplier_text, spread_text};
    let text = format!(
        "Your month in Cairn: {} items in the last 30 days ({} in the 90 days before).",
        recent.items.len(),
        before.items.len()
    );
    let mut blocks = vec![
        section(format!(":calendar: *{text}*")),
        section(format!(
            "*Last 30 days*\n{}\n{}",
            spread_text(framework, recent),
            multiplier_text(framework, recent)
        )),
        section(format!(
            "*The 90 days before*\n{}\n{}",
            spread_text(framework, before),
            multiplier_text(framework, before)
        )),
    ];
    if let Some(gap) = thinnest {
        blocks.push(section(format!(
            ":seedling: Your thinnest competency lately is #{}. {}",
            mrkdwn::safe(&gap.tag),
            mrkdwn::safe(&gap.prompt)
        )));
    }
    blocks.push(context(
        "Only you get this. `/growth summary` shows the evidence; `/growth settings` turns this summary off."
            .to_owned(),
    ));
    let blocks = blocks
        .into_iter()
        .map(|b| serde_json::to_value(b).expect("blocks serialise"))
        .collect();
    (text, Value::Array(blocks))
}

/// What replaces a prompt's buttons once one is pressed.
pub fn answered(note: &str) -> (String, Value) {
    let blocks = vec![serde_json::to_value(section(note.to_owned())).expect("blocks serialise")];
    (note.to_owned(), Value::Array(blocks))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompt() -> WeeklyPrompt {
        WeeklyPrompt {
            name: Some("Ana".into()),
            kudos: vec![WeekKudos {
                giver: "U0BOB00002".into(),
                text: "fixed the deploy <!channel>".into(),
                competencies: vec!["Technical skills".into()],
            }],
            gap: Some(Gap {
                tag: "leadership".into(),
                weeks: 6,
                prompt: "Who did you help decide something?".into(),
            }),
            lighter: false,
            local_date: "2026-11-27".into(),
        }
    }

    #[test]
    fn the_prompt_greets_lists_the_kudos_names_one_gap_and_offers_three_buttons() {
        let (text, blocks) = weekly_prompt(&prompt());
        assert!(text.starts_with("Hi Ana,"), "{text}");
        let all = blocks.to_string();
        assert!(
            all.contains("<@U0BOB00002>: fixed the deploy @\u{200B}channel (Technical skills)"),
            "{all}"
        );
        assert!(
            all.contains("No #leadership evidence in 6 weeks. Who did you help decide something?")
        );
        let buttons = blocks
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["type"] == "actions")
            .unwrap()["elements"]
            .as_array()
            .unwrap()
            .clone();
        let ids: Vec<&str> = buttons
            .iter()
            .map(|b| b["action_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [REFLECT_ACTION, SNOOZE_ACTION, SKIP_ACTION]);
        assert!(buttons.iter().all(|b| b["value"] == "2026-11-27"));
    }

    #[test]
    fn a_lighter_prompt_has_no_gap_line() {
        let mut p = prompt();
        p.lighter = true;
        p.kudos.clear();
        let (text, blocks) = weekly_prompt(&p);
        assert!(text.contains("logged evidence this week already"));
        assert!(!blocks.to_string().contains("#leadership"));
        assert!(!blocks.to_string().contains("received"));
    }
}
