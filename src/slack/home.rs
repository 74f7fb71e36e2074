//! The App Home tab: what a person has received, logged and given, and their growth lately.

use super::modals::plain;
use crate::domain::framework::Framework;
use serde_json::{json, Value};

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
    pub growth: Option<&'a crate::domain::growth::Growth>,
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
            crate::slack::messages::summary::spread_text(home.framework, summary),
            crate::slack::messages::summary::multiplier_text(home.framework, summary).replace('\n', " · "),
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
    fn home_snapshot() {
        let f = Framework::load("matrix-3x3").unwrap();
        let counts = vec![("technical".to_owned(), 3), ("values".to_owned(), 1)];
        let (_, report) = crate::report::packet::tests::report(crate::domain::growth::Access::Own);
        let home = Home {
            framework: &f,
            counts: &counts,
            days: 90,
            growth: Some(&report.growth),
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
            growth: Some(&report.growth),
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
}
