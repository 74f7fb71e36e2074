//! What Cairn hands to people outside Slack's message format: the review packet (Markdown, CSV,
//! JSON) and the PNG chart of a person's spread across sphere levels.

pub mod chart;
mod insight;
pub mod json;
pub mod packet;
pub mod page;

use crate::domain::framework::Framework;
use crate::domain::growth::Sphere;
use crate::domain::lens::{self, Lens, Status};
use crate::domain::summary::Summary;

/// What the chart shows of a report: one bar per competency of the framework (and any retired
/// one that has items), split by sphere level, with the multiplier figures beside it.
pub fn chart_data(framework: &Framework, report: &Summary) -> chart::ChartData {
    let s = &report.growth;
    let mut rows: Vec<chart::ChartRow> = framework
        .competencies
        .iter()
        .filter(|c| !c.deprecated || s.competencies.iter().any(|x| x.id == c.id))
        .map(|c| {
            let spread = s.competencies.iter().find(|x| x.id == c.id);
            chart::ChartRow {
                label: c.name.clone(),
                counts: Sphere::ALL
                    .iter()
                    .map(|l| spread.map_or(0, |x| x.sphere.get(*l)) as u32)
                    .collect(),
            }
        })
        .collect();
    for gone in s
        .competencies
        .iter()
        .filter(|x| framework.competency(&x.id).is_none())
    {
        rows.push(chart::ChartRow {
            label: gone.id.clone(),
            counts: Sphere::ALL
                .iter()
                .map(|l| gone.sphere.get(*l) as u32)
                .collect(),
        });
    }
    let m = &s.multiplier;
    let quarters = report
        .trajectory
        .iter()
        .map(|q| chart::QuarterBar {
            label: q.label.clone(),
            counts: Sphere::ALL
                .iter()
                .map(|l| q.sphere.get(*l) as u32)
                .collect(),
            reach: q
                .reach
                .map_or_else(|| "not yet".to_owned(), |r| r.label(framework)),
        })
        .collect();
    chart::ChartData {
        quarters,
        lens: lens_grid(&report.lens),
        title: format!("{} · {}", report.name(&s.subject), report.period.label()),
        levels: Sphere::ALL.iter().map(|l| l.label(framework)).collect(),
        rows,
        figures: vec![
            ("Kudos received".into(), s.counts.kudos_received.to_string()),
            ("Multiplier items".into(), m.items.to_string()),
            ("People helped".into(), m.people.to_string()),
            ("Teams helped".into(), m.teams.to_string()),
            (
                "Reach".into(),
                s.reach
                    .map(|r| r.label(framework))
                    .unwrap_or_else(|| "not yet".into()),
            ),
        ],
    }
}

/// The lens as the chart's grid: each row against the next level (or the person's own, at the
/// top of the track), one column per dimension the level expects something of.
fn lens_grid(lens: &Lens) -> Option<chart::LensGrid> {
    let level = lens.level.as_ref()?;
    let target = lens.next.as_ref().unwrap_or(level);
    let checks = |row: &lens::Row| -> Vec<lens::Check> {
        if lens.next.is_some() {
            row.at_next.clone()
        } else {
            row.at_level.clone()
        }
    };
    let mut columns: Vec<(String, String)> = Vec::new();
    for row in &lens.rows {
        for c in checks(row) {
            if !columns.iter().any(|(id, _)| *id == c.dimension) {
                columns.push((c.dimension.clone(), c.dimension_name.clone()));
            }
        }
    }
    let rows = lens
        .rows
        .iter()
        .map(|row| {
            let checks = checks(row);
            chart::LensGridRow {
                label: row.name.clone(),
                cells: columns
                    .iter()
                    .map(|(id, _)| {
                        checks
                            .iter()
                            .find(|c| c.dimension == *id)
                            .map(|c| match c.status {
                                Status::Evidenced => chart::Mark::Evidenced,
                                Status::Partly => chart::Mark::Partly,
                                Status::NotYet => chart::Mark::NotYet,
                                Status::NotInferred => chart::Mark::ToRead,
                            })
                    })
                    .collect(),
            }
        })
        .collect();
    Some(chart::LensGrid {
        title: format!(
            "Against {} ({}{})",
            target.name,
            target.track_name,
            if lens.assumed { ", no level set" } else { "" }
        ),
        columns: columns.into_iter().map(|(_, name)| name).collect(),
        rows,
    })
}

/// The files of a packet: (file name, title, bytes).
pub fn files(f: &Framework, report: &Summary) -> Vec<(String, String, Vec<u8>)> {
    let who = report.name(&report.growth.subject).to_owned();
    let stem = format!(
        "packet-{}-{}-{}",
        slug(&who),
        report.period.from,
        report.period.to
    );
    let mut files = vec![
        (
            format!("{stem}.md"),
            format!("Review packet: {who}"),
            packet::markdown(f, report).into_bytes(),
        ),
        (
            format!("{stem}.csv"),
            format!("Evidence of {who} (CSV)"),
            packet::csv(f, report).into_bytes(),
        ),
        (
            format!("{stem}.json"),
            format!("Summary of {who} (JSON)"),
            serde_json::to_vec_pretty(&json::summary(f, report)).unwrap_or_default(),
        ),
    ];
    match chart::render(&chart_data(f, report)) {
        Ok(png) => files.push((
            format!("{stem}.png"),
            format!("Growth of {who} (chart)"),
            png,
        )),
        Err(e) => tracing::error!(error = %e, "could not draw the packet's chart"),
    }
    files
}

fn slug(name: &str) -> String {
    let slug: String = name
        .chars()
        .flat_map(|c| {
            let keep = c.is_alphanumeric();
            c.to_lowercase().map(move |l| if keep { l } else { '-' })
        })
        .collect();
    slug.split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// A packet in one format: `md`, `csv`, `png` (the chart) or `json`.
pub fn render(
    format: &str,
    framework: &Framework,
    report: &Summary,
) -> Result<Vec<u8>, chart::ChartError> {
    Ok(match format {
        "md" => packet::markdown(framework, report).into_bytes(),
        "csv" => packet::csv(framework, report).into_bytes(),
        "png" => chart::render(&chart_data(framework, report))?,
        _ => (serde_json::to_string_pretty(&json::summary(framework, report)).unwrap_or_default()
            + "\n")
            .into_bytes(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_safe() {
        assert_eq!(super::slug("Ana  Lima-Ñúñez / ops"), "ana-lima-ñúñez-ops");
    }
}
