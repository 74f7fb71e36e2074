//! A person's summary as an ephemeral Block Kit message (`/growth summary`): the spread across
//! sphere levels as bars and the reach by quarter, the multiplier figures, counts per
//! competency, gaps, the evidence against their level and the next, three highlights with
//! links, and for the person themselves, who else looked.

use super::{context, section, Message};
use crate::domain::framework::Framework;
use crate::domain::growth::{highlights, plural, Growth, Source, Sphere};
use crate::domain::summary::{Summary, SummaryView};
use crate::slack::mrkdwn;

const BAR_WIDTH: u64 = 16;
/// Competency lines shown before "and N more".
const MAX_COMPETENCIES: usize = 20;
const HIGHLIGHTS: usize = 3;
const HIGHLIGHT_TEXT: usize = 280;
const MAX_VIEWS: usize = 5;

fn bar(n: u64, max: u64) -> String {
    if n == 0 || max == 0 {
        return String::new();
    }
    let width = (n * BAR_WIDTH).div_ceil(max).max(1);
    "█".repeat(width as usize)
}

/// The spread across sphere levels as bars, then the reach.
pub fn spread_text(framework: &Framework, s: &Growth) -> String {
    let max = Sphere::ALL
        .iter()
        .map(|l| s.sphere.get(*l))
        .max()
        .unwrap_or(0);
    let mut spread = String::new();
    for level in Sphere::ALL {
        let n = s.sphere.get(level);
        if n == 0 && matches!(level, Sphere::External | Sphere::Unknown) {
            continue;
        }
        spread.push_str(&format!(
            "`{:<14}` {} {n}\n",
            mrkdwn::safe(&level.label(framework)),
            bar(n, max)
        ));
    }
    spread.push_str(&match s.reach {
        Some(level) => format!(
            "Reach: *{}*: items at this level or wider come from at least two people.",
            mrkdwn::safe(&level.label(framework))
        ),
        None => "Reach: not shown yet: it takes two items from two different people.".into(),
    });
    spread
}

/// The multiplier figures and who the kudos came from.
pub fn multiplier_text(framework: &Framework, s: &Growth) -> String {
    format!(
        "{}\n{}",
        mrkdwn::safe(&s.multiplier.sentence(framework)),
        s.givers.sentence()
    )
}

pub fn summary_message(framework: &Framework, report: &Summary) -> Message {
    let s = &report.growth;
    let own = report.access == crate::domain::growth::Access::Own;
    let whose = if own {
        "Your growth".to_owned()
    } else {
        format!("Growth of <@{}>", s.subject)
    };
    let mut blocks = vec![section(format!(
        "*{whose}* · {}\n{} received · {} given · {} · {}",
        report.period.label(),
        plural(s.counts.kudos_received, "kudos", "kudos"),
        s.counts.kudos_given,
        plural(s.counts.evidence, "piece of evidence", "pieces of evidence"),
        plural(s.counts.reflections, "reflection", "reflections"),
    ))];
    if !own {
        blocks.push(context(
            "Private items are left out, counts included. <@{}> can see that you looked."
                .replace("{}", &s.subject),
        ));
    }
    blocks.push(section(format!(
        "*Sphere of influence*\n{}\n{}",
        spread_text(framework, s),
        super::lens::quarters_line(framework, &report.trajectory)
    )));
    blocks.push(section(format!(
        "*Multiplier effect*\n{}",
        multiplier_text(framework, s)
    )));
    let name = |id: &str| {
        framework
            .competency(id)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let mut lines: Vec<String> = s
        .competencies
        .iter()
        .take(MAX_COMPETENCIES)
        .map(|c| {
            let spread: Vec<String> = c
                .sphere
                .nonzero()
                .map(|(l, n)| format!("{} {n}", l.label(framework).to_lowercase()))
                .collect();
            format!(
                "• *{}*: {} ({})",
                mrkdwn::safe(&name(&c.id)),
                c.items,
                mrkdwn::safe(&spread.join(", "))
            )
        })
        .collect();
    if s.competencies.len() > MAX_COMPETENCIES {
        lines.push(format!(
            "and {} more",
            s.competencies.len() - MAX_COMPETENCIES
        ));
    }
    if !s.gaps.is_empty() {
        let gaps: Vec<String> = s.gaps.iter().map(|g| mrkdwn::safe(&name(g))).collect();
        lines.push(format!("_No evidence yet:_ {}", gaps.join(", ")));
    }
    if lines.is_empty() {
        lines.push("No evidence in this period yet.".into());
    }
    blocks.push(section(format!("*Competencies*\n{}", lines.join("\n"))));
    blocks.push(section(super::lens::lens_text(&report.lens)));
    let top = highlights(s, HIGHLIGHTS);
    if !top.is_empty() {
        let mut text = String::from("*Highlights*");
        for item in top {
            let from = match item.source {
                Source::Kudos if item.author.is_empty() => "a former teammate".to_owned(),
                Source::Kudos => format!("<@{}>", item.author),
                _ => "logged".to_owned(),
            };
            let link = item
                .permalink
                .as_deref()
                .map(|l| format!(" · <{l}|in Slack>"))
                .unwrap_or_default();
            text.push_str(&format!(
                "\n• {} · {} · {}{link}\n>{}",
                item.occurred_at.format("%-d %b"),
                from,
                mrkdwn::safe(&item.sphere.label(framework)),
                mrkdwn::truncate(&mrkdwn::safe(&item.text), HIGHLIGHT_TEXT).replace('\n', " ")
            ));
        }
        blocks.push(section(text));
    }
    if own && !report.views.is_empty() {
        let seen: Vec<String> = report
            .views
            .iter()
            .take(MAX_VIEWS)
            .map(|v| {
                format!(
                    "viewed by {} on {} ({})",
                    viewer_label(v, &report.chain),
                    v.viewed_at.format("%-d %b %Y"),
                    v.what
                )
            })
            .collect();
        blocks.push(context(format!(
            ":eyes: Lately your growth was {}",
            seen.join("; ")
        )));
    }
    let text = format!(
        "{whose}, {}: {} kudos received, reach {}",
        report.period.label(),
        s.counts.kudos_received,
        s.reach.map(|r| r.as_str()).unwrap_or("not shown yet")
    );
    Message { text, blocks }
}

/// How a person is told who looked: "your manager", "an admin", "the JSON API", or by name.
fn viewer_label(view: &SummaryView, chain: &[String]) -> String {
    match view.viewer.as_str() {
        "api" => "the JSON API (an admin)".into(),
        "operator" => "an operator's export".into(),
        v if chain.first().is_some_and(|m| m == v) => format!("your manager <@{v}>"),
        v if chain.contains(&v.to_owned()) => format!("your manager's manager <@{v}>"),
        v => format!("<@{v}> (an admin)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::growth::Access;
    use crate::report::packet::tests::report;

    #[test]
    fn the_summary_message_for_a_manager() {
        let (f, r) = report(Access::Manager);
        let m = summary_message(&f, &r);
        insta::assert_json_snapshot!(serde_json::to_value(&m).unwrap());
    }

    #[test]
    fn the_person_sees_who_looked() {
        let (f, mut r) = report(Access::Own);
        r.views = vec![crate::domain::summary::SummaryView {
            team_id: "T1".into(),
            subject: "U0ANA00001".into(),
            viewer: "U0MIA00006".into(),
            what: "summary".into(),
            via: "slack".into(),
            viewed_at: chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 10, 2, 9, 0, 0)
                .unwrap(),
        }];
        let text = serde_json::to_string(&summary_message(&f, &r).blocks).unwrap();
        assert!(
            text.contains("viewed by your manager <@U0MIA00006> on 2 Oct 2026 (summary)"),
            "{text}"
        );
    }

    #[test]
    fn a_huge_quarter_stays_within_slacks_limits() {
        let (f, mut r) = report(Access::Own);
        let template = r.growth.items[0].clone();
        r.growth.items = (0..500)
            .map(|i| crate::domain::growth::Item {
                id: format!("kudos:{i}"),
                text: "<&>".repeat(1000),
                ..template.clone()
            })
            .collect();
        let m = summary_message(&f, &r);
        assert!(m.blocks.len() <= 50);
        for block in serde_json::to_value(&m.blocks).unwrap().as_array().unwrap() {
            let text = block.to_string();
            for t in [&block["text"]["text"], &block["elements"][0]["text"]] {
                if let Some(t) = t.as_str() {
                    assert!(t.chars().count() <= 3000, "{} chars: {text:.200}", t.len());
                }
            }
        }
    }
}
