//! The level lens and the quarters in Slack's words: what the evidence shows against a level,
//! one line a row, for the summary, the team view and the pre-review digest.

use crate::domain::framework::Framework;
use crate::domain::lens::{Check, Lens, Status};
use crate::domain::trajectory::{self, Quarter};
use crate::slack::mrkdwn;

/// Rows shown in Slack before "and N more" (the packet has them all).
const MAX_ROWS: usize = 8;

/// "sphere of influence evidenced, multiplier effect not yet evidenced" (dimensions Cairn cannot
/// infer are left to the packet).
fn statuses(checks: &[Check]) -> String {
    let shown: Vec<String> = checks
        .iter()
        .filter(|c| c.status != Status::NotInferred)
        .map(|c| {
            let who = match (c.status, c.people) {
                (Status::Evidenced | Status::Partly, 1) => " (1 person)".to_owned(),
                (Status::Evidenced | Status::Partly, n) => format!(" ({n} people)"),
                _ => String::new(),
            };
            format!(
                "{} {}{who}",
                c.dimension_name.to_lowercase(),
                c.status.label()
            )
        })
        .collect();
    if shown.is_empty() {
        "read the items against the framework's words".to_owned()
    } else {
        shown.join(", ")
    }
}

/// The lens as a section's text: the levels, then a line per row against the next level (or
/// the person's own at the top of the track).
pub fn lens_text(lens: &Lens) -> String {
    let mut text = String::from("*Against the framework's levels*");
    if let Some(note) = &lens.note {
        text.push_str(&format!("\n_{}_", mrkdwn::safe(note)));
    }
    let Some(level) = &lens.level else {
        return text;
    };
    let target = lens.next.as_ref().unwrap_or(level);
    text.push_str(&format!(
        "\n{}: *{}*{}. What the evidence shows against *{}* (two items from two people count as evidenced):",
        mrkdwn::safe(&level.track_name),
        mrkdwn::safe(&level.name),
        if lens.assumed { " (assumed)" } else { "" },
        mrkdwn::safe(&target.name)
    ));
    for row in lens.rows.iter().take(MAX_ROWS) {
        let checks = if lens.next.is_some() {
            &row.at_next
        } else {
            &row.at_level
        };
        if checks.is_empty() {
            continue;
        }
        text.push_str(&format!(
            "\n• *{}*: {}",
            mrkdwn::safe(&row.name),
            mrkdwn::safe(&statuses(checks))
        ));
    }
    if lens.rows.len() > MAX_ROWS {
        text.push_str(&format!(
            "\nand {} more in the packet",
            lens.rows.len() - MAX_ROWS
        ));
    }
    text
}

/// "Reach by quarter (2026 Q1 to 2026 Q4): Team → Team → Group → Organisation".
pub fn quarters_line(framework: &Framework, quarters: &[Quarter]) -> String {
    let (Some(first), Some(last)) = (quarters.first(), quarters.last()) else {
        return String::new();
    };
    format!(
        "Reach by quarter ({} to {}): {}",
        mrkdwn::safe(&first.label),
        mrkdwn::safe(&last.label),
        mrkdwn::safe(&trajectory::reach_line(framework, quarters))
    )
}
