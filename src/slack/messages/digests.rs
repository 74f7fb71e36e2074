//! Digests as Block Kit messages: a manager's digest before a review cycle (each direct report's
//! line as the team view shows it, and a button for their packet) and the weekly team digest for a channel (the week's
//! kudos grouped by competency; no counts per person, no ranking).

use super::team::{block, with_report_lines};
use super::{context, section};
use crate::domain::framework::Framework;
use crate::domain::growth::plural;
use crate::domain::kudos::Kudos;
use crate::domain::markup::{tokenize, Token};
use crate::domain::period::Period;
use crate::domain::summary::Summary;
use crate::slack::mrkdwn;
use chrono::NaiveDate;
use serde_json::Value;
use std::collections::HashMap;

/// The packet button of a manager's digest (the team view's): its value is `subject|from|to`.
pub use super::team::PACKET_ACTION;

/// Kudos lines per competency in the team digest before "and N more".
const MAX_KUDOS_PER_GROUP: usize = 8;
const KUDOS_TEXT: usize = 200;
const MAX_GROUPS: usize = 45;

/// A manager's digest before the review cycle starting on `review`: each report's line as the
/// team view shows it, with a button that sends that report's packet.
pub fn review_digest(
    framework: &Framework,
    review: NaiveDate,
    period: Period,
    reports: &[&Summary],
) -> (String, Value) {
    let when = review.format("%A %-d %B").to_string();
    let text = format!(
        "Reviews start on {when}: a look at your {}",
        plural(reports.len() as u64, "direct report", "direct reports")
    );
    let header = format!(
        ":clipboard: *Reviews start on {when}.* Here is where each of your direct reports stands over {}, from the evidence in Cairn. Private items are left out, and each person can see that you looked.",
        period.label()
    );
    let blocks = with_report_lines(
        framework,
        header,
        period,
        reports,
        "`/growth team` shows them all.",
        "*Review packet* sends the Markdown, CSV, JSON and chart to this DM. `/growth team` shows this any time; `/growth summary @person` the full summary.",
    );
    (text, blocks)
}

/// Wire text shown without pinging anyone: people appear by name.
fn unpinged(wire: &str, names: &HashMap<String, String>) -> String {
    let tokens: Vec<Token> = tokenize(wire)
        .into_iter()
        .map(|t| match t {
            Token::User { id, .. } => Token::Text(format!("@{}", name(names, id.as_str()))),
            t => t,
        })
        .collect();
    mrkdwn::render(&tokens)
}

fn name<'a>(names: &'a HashMap<String, String>, user: &str) -> &'a str {
    names.get(user).map_or("a teammate", String::as_str)
}

/// The weekly team digest: the week's public kudos under their first competency, in framework
/// order, oldest first; people by name so nobody is pinged.
pub fn team_digest(
    framework: &Framework,
    week: Period,
    kudos: &[Kudos],
    names: &HashMap<String, String>,
) -> (String, Value) {
    let mut groups: Vec<(String, Vec<&Kudos>)> = Vec::new();
    let group_of = |k: &Kudos| -> (usize, String) {
        match k.competencies.first() {
            Some(id) => match framework.competencies.iter().position(|c| &c.id == id) {
                Some(i) => (i, framework.competencies[i].name.clone()),
                None => (framework.competencies.len(), id.clone()),
            },
            None => (usize::MAX, "Other kudos".to_owned()),
        }
    };
    let mut ordered: Vec<(usize, String, &Kudos)> = kudos
        .iter()
        .map(|k| {
            let (i, g) = group_of(k);
            (i, g, k)
        })
        .collect();
    ordered.sort_by(|a, b| (a.0, &a.1, a.2.created_at).cmp(&(b.0, &b.1, b.2.created_at)));
    for (_, g, k) in ordered {
        match groups.last_mut() {
            Some((last, list)) if *last == g => list.push(k),
            _ => groups.push((g, vec![k])),
        }
    }
    let text = format!("Kudos of the week, {}", week.label());
    let mut blocks = vec![block(section(format!(
        ":sparkles: *Kudos of the week* · {}\nWhat people thanked each other for, by competency.",
        week.label()
    )))];
    for (group, list) in groups.iter().take(MAX_GROUPS) {
        let mut lines = vec![format!("*{}*", mrkdwn::safe(group))];
        for k in list.iter().take(MAX_KUDOS_PER_GROUP) {
            let to: Vec<String> = k
                .recipients
                .iter()
                .map(|r| mrkdwn::safe(name(names, r)))
                .collect();
            let said = mrkdwn::truncate(&unpinged(&k.text, names), KUDOS_TEXT).replace('\n', " ");
            let link = k
                .permalink
                .as_deref()
                .map(|l| format!(" <{}|in Slack>", mrkdwn::safe(l)))
                .unwrap_or_default();
            lines.push(format!(
                "• {} → {}: {said}{link}",
                mrkdwn::safe(name(names, &k.giver)),
                to.join(", ")
            ));
        }
        if list.len() > MAX_KUDOS_PER_GROUP {
            lines.push(format!("…and {} more", list.len() - MAX_KUDOS_PER_GROUP));
        }
        blocks.push(block(section(lines.join("\n"))));
    }
    blocks.push(block(context(
        "Give kudos with `/kudos @person #competency what they did`.".to_owned(),
    )));
    (text, Value::Array(blocks))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::growth::{Access, Visibility};
    use crate::report::packet::tests::report;
    use chrono::TimeZone;

    #[test]
    fn the_review_digest_has_a_headline_and_a_packet_button_per_report() {
        let (f, r) = report(Access::Manager);
        let (text, blocks) = review_digest(&f, "2026-10-05".parse().unwrap(), r.period, &[&r]);
        assert_eq!(
            text,
            "Reviews start on Monday 5 October: a look at your 1 direct report"
        );
        insta::assert_json_snapshot!(blocks);
    }

    #[test]
    fn a_big_team_stays_within_slacks_block_limit() {
        let (f, r) = report(Access::Manager);
        let many = vec![&r; 80];
        let (_, blocks) = review_digest(&f, "2026-10-05".parse().unwrap(), r.period, &many);
        let blocks = blocks.as_array().unwrap();
        assert!(blocks.len() <= 50, "{}", blocks.len());
        assert!(blocks[blocks.len() - 2].to_string().contains("and 35 more"));
    }

    fn kudos(id: i64, giver: &str, to: &[&str], tags: &[&str], text: &str, day: u32) -> Kudos {
        Kudos {
            id,
            team_id: "T1".into(),
            giver: giver.into(),
            recipients: to.iter().map(|s| s.to_string()).collect(),
            competencies: tags.iter().map(|s| s.to_string()).collect(),
            multiplier_kinds: vec![],
            text: text.into(),
            channel_id: Some("C1".into()),
            permalink: Some(format!("https://x.slack.com/archives/C1/p{id}")),
            visibility: Visibility::Public,
            framework_id: "matrix-3x3".into(),
            framework_version: "1".into(),
            created_at: chrono::Utc
                .with_ymd_and_hms(2026, 1, day, 10, 0, 0)
                .unwrap(),
        }
    }

    #[test]
    fn the_team_digest_groups_by_competency_in_framework_order_and_pings_nobody() {
        let f = Framework::load("matrix-3x3").unwrap();
        let names: HashMap<String, String> = [("U1", "Ana"), ("U2", "Bob"), ("U3", "Cy")]
            .iter()
            .map(|(u, n)| (u.to_string(), n.to_string()))
            .collect();
        let list = vec![
            kudos(
                3,
                "U2",
                &["U1"],
                &["technical"],
                "fixed it with <@U3> <!channel>",
                8,
            ),
            kudos(
                1,
                "U1",
                &["U2", "U3"],
                &["leadership", "technical"],
                "ran the review",
                6,
            ),
            kudos(2, "U3", &["U1"], &[], "thanks & well done", 7),
            kudos(4, "U9", &["U1"], &["values"], "kind words", 5),
        ];
        let week = Period {
            from: "2026-01-02".parse().unwrap(),
            to: "2026-01-08".parse().unwrap(),
        };
        let (text, blocks) = team_digest(&f, week, &list, &names);
        assert_eq!(text, "Kudos of the week, 2 Jan – 8 Jan 2026");
        let all = blocks.to_string();
        assert!(!all.contains("<@") && !all.contains("<!channel>"), "{all}");
        insta::assert_json_snapshot!(blocks);
    }
}
