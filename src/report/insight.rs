//! The packet's review-ready sections: the evidence against the person's level and the next,
//! and growth by quarter, in Markdown.

use crate::domain::framework::Framework;
use crate::domain::growth::Sphere;
use crate::domain::lens::{Check, Status};
use crate::domain::summary::Summary;
use std::fmt::Write;

/// How a check's evidence reads: "evidenced: 2 items from 2 people (2026-09-12, 2026-10-03)".
fn evidence(report: &Summary, check: &Check) -> String {
    match check.status {
        Status::NotYet => "not yet evidenced".to_owned(),
        Status::NotInferred => detail(report, check),
        status => format!("{}: {}", status.label(), detail(report, check)),
    }
}

/// The evidence behind a check, without its status: "2 items from 2 people (2026-09-12, …)",
/// or what to read when Cairn cannot tell; empty when there is none.
pub(super) fn detail(report: &Summary, check: &Check) -> String {
    let dates: Vec<String> = check
        .items
        .iter()
        .filter_map(|id| report.growth.items.iter().find(|i| &i.id == id))
        .map(|i| i.occurred_at.format("%Y-%m-%d").to_string())
        .collect();
    let when = if dates.is_empty() {
        String::new()
    } else {
        format!(" ({})", dates.join(", "))
    };
    let n = check.items.len();
    let count = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    match check.status {
        Status::NotYet => String::new(),
        Status::NotInferred if n == 0 => {
            "Cairn cannot tell this from evidence: read the items against it".to_owned()
        }
        Status::NotInferred => format!(
            "Cairn cannot tell this from evidence: read the {} tagged to this competency{when}",
            count(n, "item", "items")
        ),
        Status::Evidenced | Status::Partly => format!(
            "{} from {}{when}",
            count(n, "item", "items"),
            count(check.people, "person", "people")
        ),
    }
}

pub fn lens(md: &mut String, report: &Summary) {
    let lens = &report.lens;
    let _ = writeln!(md, "\n## Against the framework's levels\n");
    if let Some(note) = &lens.note {
        let _ = writeln!(md, "_{note}_\n");
    }
    let Some(level) = &lens.level else {
        return;
    };
    let subject = report.name(&report.growth.subject);
    let _ = write!(
        md,
        "{subject}: {} ({}){}.",
        level.name,
        level.track_name,
        if lens.assumed { ", assumed" } else { "" }
    );
    match &lens.next {
        Some(next) => {
            let _ = write!(md, " Read against it and the next level, {}.", next.name);
        }
        None => {
            let _ = write!(md, " The top of the track.");
        }
    }
    let _ = writeln!(
        md,
        " *Evidenced* means items at or beyond the expected point from at least two people; *partly*, one item or one person's; *not yet evidenced*, none. What the evidence shows, not a verdict.\n"
    );
    for row in &lens.rows {
        let _ = writeln!(md, "### {}\n", row.name);
        let mut dimensions: Vec<&str> = Vec::new();
        for c in row.at_level.iter().chain(&row.at_next) {
            if !dimensions.contains(&c.dimension.as_str()) {
                dimensions.push(&c.dimension);
            }
        }
        for dimension in dimensions {
            let at =
                |checks: &'_ [Check]| checks.iter().find(|c| c.dimension == dimension).cloned();
            let checks = [
                (level, at(&row.at_level)),
                (lens.next.as_ref().unwrap_or(level), at(&row.at_next)),
            ];
            let name = checks
                .iter()
                .find_map(|(_, c)| c.as_ref().map(|c| c.dimension_name.clone()))
                .unwrap_or_default();
            let _ = writeln!(md, "- **{name}**");
            for (which, check) in checks {
                let Some(check) = check else { continue };
                let _ = writeln!(
                    md,
                    "  - {} expects *{}*: \"{}\"  \n    {}",
                    which.name,
                    check.expected_name,
                    check.text,
                    evidence(report, &check)
                );
            }
        }
        let _ = writeln!(md);
    }
}

pub fn quarters(md: &mut String, framework: &Framework, report: &Summary) {
    let q = &report.trajectory;
    if q.is_empty() {
        return;
    }
    let _ = writeln!(md, "\n## Growth by quarter\n");
    let header: Vec<&str> = q.iter().map(|q| q.label.as_str()).collect();
    let _ = writeln!(md, "| | {} |", header.join(" | "));
    let _ = writeln!(md, "|---|{}", "---|".repeat(q.len()));
    let row = |md: &mut String, name: &str, cells: Vec<String>| {
        let _ = writeln!(md, "| {name} | {} |", cells.join(" | "));
    };
    row(md, "Items", q.iter().map(|q| q.items.to_string()).collect());
    for level in Sphere::ALL {
        if matches!(level, Sphere::External | Sphere::Unknown)
            && q.iter().all(|q| q.sphere.get(level) == 0)
        {
            continue;
        }
        row(
            md,
            &level.label(framework),
            q.iter().map(|q| q.sphere.get(level).to_string()).collect(),
        );
    }
    row(
        md,
        "Reach",
        q.iter()
            .map(|q| {
                q.reach
                    .map_or_else(|| "not yet".to_owned(), |r| r.label(framework))
            })
            .collect(),
    );
    row(
        md,
        "Multiplier items",
        q.iter().map(|q| q.multiplier.items.to_string()).collect(),
    );
    row(
        md,
        "People helped",
        q.iter().map(|q| q.multiplier.people.to_string()).collect(),
    );
    row(
        md,
        "Teams helped",
        q.iter().map(|q| q.multiplier.teams.to_string()).collect(),
    );
}
