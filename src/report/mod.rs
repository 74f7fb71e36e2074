//! What Cairn hands to people outside Slack's message format: the review packet (Markdown, CSV,
//! JSON) and the PNG chart of a person's spread across sphere levels.

pub mod chart;
pub mod json;
pub mod packet;

use crate::domain::framework::Framework;
use crate::domain::growth::Sphere;
use crate::summaries::Report;

/// What the chart shows of a report: one bar per competency of the framework (and any retired
/// one that has items), split by sphere level, with the multiplier figures beside it.
pub fn chart_data(framework: &Framework, report: &Report) -> chart::ChartData {
    let s = &report.summary;
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
    chart::ChartData {
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
