//! A manager's team view (`/growth team`) and the lines the pre-review digest shares with it:
//! one block per direct report with their level, reach, multiplier figures, the level lens in
//! one line, their latest evidence, a *quiet* flag, and a button for their review packet.

use super::summary::multiplier_text;
use super::{context, section, Block};
use crate::domain::framework::Framework;
use crate::domain::lens::one_line;
use crate::domain::period::Period;
use crate::domain::summary::Summary;
use crate::slack::mrkdwn;
use serde_json::{json, Value};

/// The packet button of a report's line; its value is `subject|from|to`.
pub const PACKET_ACTION: &str = "digest_packet";

/// Slack allows 50 blocks a message: the lines keep room for a header and a footer.
const MAX_REPORTS: usize = 45;

pub(crate) fn block(b: Block) -> Value {
    serde_json::to_value(b).expect("blocks serialise")
}

/// One report's line, as the team view and the pre-review digest show it.
pub fn report_text(framework: &Framework, r: &Summary) -> String {
    let s = &r.growth;
    let level = match &r.lens.level {
        Some(l) if !r.lens.assumed => format!(" · {}", mrkdwn::safe(&l.name)),
        _ => " · _no level set_".to_owned(),
    };
    let reach = match s.reach {
        Some(level) => format!("*{}*", mrkdwn::safe(&level.label(framework))),
        None => "not shown yet".to_owned(),
    };
    let multiplier = multiplier_text(framework, s)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut text = format!(
        "*<@{}>*{level}\nReach: {reach} · Multiplier effect: {multiplier}",
        s.subject
    );
    let lens = one_line(&r.lens);
    if r.lens.level.is_some() && !lens.is_empty() {
        text.push_str(&format!("\n{}", mrkdwn::safe(&lens)));
    }
    text.push_str(&match r.latest_evidence {
        Some(at) => format!("\nLatest evidence {}", at.format("%-d %b %Y")),
        None => "\nNo evidence yet".to_owned(),
    });
    if r.quiet {
        text.push_str(" · :zzz: *Quiet*: nobody has recognised their work in six weeks");
    }
    text
}

/// A report's line as a section with the button for their packet over `period`.
pub fn report_block(framework: &Framework, r: &Summary, period: Period) -> Value {
    let mut b = block(section(report_text(framework, r)));
    b["accessory"] = json!({
        "type": "button",
        "action_id": PACKET_ACTION,
        "text": { "type": "plain_text", "text": "Review packet" },
        "value": format!("{}|{}|{}", r.growth.subject, period.from, period.to),
    });
    b
}

/// Each report's line under `header`, as many as Slack's block limit allows (then `more` says
/// where the rest is), and `footer`: the team view's and the pre-review digest's message.
pub fn with_report_lines(
    framework: &Framework,
    header: String,
    period: Period,
    reports: &[&Summary],
    more: &str,
    footer: &str,
) -> Value {
    let mut blocks = vec![block(section(header))];
    blocks.extend(
        reports
            .iter()
            .take(MAX_REPORTS)
            .map(|r| report_block(framework, r, period)),
    );
    if reports.len() > MAX_REPORTS {
        blocks.push(block(context(format!(
            "…and {} more: {more}",
            reports.len() - MAX_REPORTS
        ))));
    }
    blocks.push(block(context(footer.to_owned())));
    Value::Array(blocks)
}

/// The team view: a header, then each report's line (alphabetical, as given).
pub fn team_view(
    framework: &Framework,
    manager: &str,
    own: bool,
    period: Period,
    reports: &[Summary],
) -> (String, Value) {
    let whose = if own {
        "Your team".to_owned()
    } else {
        format!("The team of <@{manager}>")
    };
    let text = format!(
        "{whose}, {}: {}",
        period.label(),
        crate::domain::growth::plural(reports.len() as u64, "direct report", "direct reports")
    );
    let header = format!(
        "*{whose}* · {}\nWhat the evidence in Cairn shows for each direct report, alphabetically. Private items are left out, and each person can see that you looked. *Quiet* means nobody has recognised their work for six weeks: work going unseen, not a judgement.",
        period.label()
    );
    let reports: Vec<&Summary> = reports.iter().collect();
    let blocks = with_report_lines(
        framework,
        header,
        period,
        &reports,
        "`/growth summary @person` shows anyone's.",
        "*Review packet* sends the Markdown, CSV, JSON and chart to your DM with Cairn. `/growth summary @person` shows the full summary.",
    );
    (text, blocks)
}
