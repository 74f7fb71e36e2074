//! The summary and evidence JSON of contracts.md, field for field. The review packet's JSON form
//! is the same summary object.

use crate::domain::framework::Framework;
use crate::domain::growth::{Item, Sphere, Spread};
use crate::domain::lens::{Check, Lens, Status};
use crate::domain::markup;
use crate::domain::period::Period;
use crate::domain::summary::Summary;
use crate::domain::trajectory::Quarter;
use chrono::SecondsFormat;
use serde_json::{json, Map, Value};

/// One item as `Evidence` (kudos appear once per receiver).
pub fn evidence(team: &str, item: &Item) -> Value {
    json!({
        "id": item.id,
        "team_id": team,
        "subject": item.subject,
        // A giver who asked Cairn to forget them is `null`.
        "author": Some(&item.author).filter(|a| !a.is_empty()),
        "source": item.source.as_str(),
        "competencies": item.competencies,
        "multiplier_kinds": item.multiplier_kinds,
        "sphere": { "level": item.sphere.as_str(), "declared": item.declared },
        "text": markup::to_plain(&markup::tokenize(&item.text)),
        "permalink": item.permalink,
        "visibility": item.visibility.as_str(),
        "occurred_at": item.occurred_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

/// Every level, zeros included (the top-level `sphere`).
fn full(spread: &Spread) -> Value {
    let map: Map<String, Value> = Sphere::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), json!(spread.get(*s))))
        .collect();
    Value::Object(map)
}

/// Levels with items only (`competencies[].sphere`).
fn sparse(spread: &Spread) -> Value {
    let map: Map<String, Value> = spread
        .nonzero()
        .map(|(s, n)| (s.as_str().to_owned(), json!(n)))
        .collect();
    Value::Object(map)
}

pub fn summary(framework: &Framework, report: &Summary) -> Value {
    let s = &report.growth;
    json!({
        "user": s.subject,
        "team_id": report.team,
        "framework": { "id": framework.id(), "version": framework.version() },
        "period": { "from": report.period.from.to_string(), "to": report.period.to.to_string() },
        "counts": {
            "kudos_received": s.counts.kudos_received,
            "kudos_given": s.counts.kudos_given,
            "evidence": s.counts.evidence,
            "reflections": s.counts.reflections,
        },
        "sphere": full(&s.sphere),
        "reach": { "sphere": s.reach.map(Sphere::as_str) },
        "competencies": s.competencies.iter().map(|c| json!({
            "id": c.id, "items": c.items, "sphere": sparse(&c.sphere),
        })).collect::<Vec<_>>(),
        "multiplier": {
            "items": s.multiplier.items,
            "people": s.multiplier.people,
            "teams": s.multiplier.teams,
            "kinds": s.multiplier.kinds,
        },
        "givers": { "people": s.givers.people, "teams": s.givers.teams },
        "gaps": s.gaps,
        "items": s.items.iter().map(|i| evidence(&report.team, i)).collect::<Vec<_>>(),
        "level": level(&report.lens),
        "lens": lens(&report.lens),
        "trajectory": report.trajectory.iter().map(quarter).collect::<Vec<_>>(),
    })
}

/// `lens`: one entry per row (`competency` null for all evidence) and dimension, with what the
/// person's level and the next expect and what the evidence shows of each (`null` where a level
/// expects nothing of the dimension, or Cairn cannot infer it), and the items behind it.
pub fn lens(lens: &Lens) -> Value {
    let mut entries = Vec::new();
    for row in &lens.rows {
        let mut dimensions: Vec<&str> = Vec::new();
        for c in row.at_level.iter().chain(&row.at_next) {
            if !dimensions.contains(&c.dimension.as_str()) {
                dimensions.push(&c.dimension);
            }
        }
        for dimension in dimensions {
            let find =
                |checks: &'_ [Check]| checks.iter().find(|c| c.dimension == dimension).cloned();
            let (current, next) = (find(&row.at_level), find(&row.at_next));
            let status = |c: &Option<Check>| {
                c.as_ref()
                    .filter(|c| c.status != Status::NotInferred)
                    .map(|c| c.status.as_str())
            };
            let mut items: Vec<&str> = Vec::new();
            for id in current.iter().chain(&next).flat_map(|c| &c.items) {
                if !items.contains(&id.as_str()) {
                    items.push(id);
                }
            }
            entries.push(json!({
                "competency": row.competency,
                "dimension": dimension,
                "expected": {
                    "current": current.as_ref().map(|c| &c.expected),
                    "next": next.as_ref().map(|c| &c.expected),
                },
                "status": { "current": status(&current), "next": status(&next) },
                "expectation": {
                    "current": current.as_ref().map(|c| &c.text),
                    "next": next.as_ref().map(|c| &c.text),
                },
                "items": items,
            }));
        }
    }
    Value::Array(entries)
}

/// `level`: the person's track and level as the org chart gives them (null when it gives none).
pub fn level(lens: &Lens) -> Value {
    match (&lens.level, lens.assumed) {
        (Some(l), false) => json!({ "track": l.track, "level": l.id }),
        _ => Value::Null,
    }
}

/// `lens_next` of the team view: what the next level expects and what the evidence shows, per
/// row and dimension (empty at the top of a track).
pub fn lens_next(lens: &Lens) -> Value {
    let entries: Vec<Value> = lens
        .rows
        .iter()
        .flat_map(|r| {
            r.at_next.iter().map(|c| {
                json!({
                    "competency": r.competency,
                    "dimension": c.dimension,
                    "expected": c.expected,
                    "status": (c.status != Status::NotInferred).then(|| c.status.as_str()),
                    "items": c.items,
                })
            })
        })
        .collect();
    Value::Array(entries)
}

/// A manager's team view: each report's line, alphabetical by name.
pub fn team(manager: &str, period: Period, reports: &[Summary]) -> Value {
    json!({
        "manager": manager,
        "period": { "from": period.from.to_string(), "to": period.to.to_string() },
        "reports": reports.iter().map(|r| {
            let s = &r.growth;
            json!({
                "user": s.subject,
                "name": r.names.get(&s.subject),
                "level": level(&r.lens),
                "reach": { "sphere": s.reach.map(Sphere::as_str) },
                "multiplier": {
                    "items": s.multiplier.items,
                    "people": s.multiplier.people,
                    "teams": s.multiplier.teams,
                },
                "lens_next": lens_next(&r.lens),
                "latest_evidence_at": r.latest_evidence.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
                "quiet": r.quiet,
            })
        }).collect::<Vec<_>>(),
    })
}

/// One entry of `trajectory`.
fn quarter(q: &Quarter) -> Value {
    json!({
        "from": q.period.from.to_string(),
        "to": q.period.to.to_string(),
        "label": q.label,
        "sphere": full(&q.sphere),
        "reach": { "sphere": q.reach.map(Sphere::as_str) },
        "multiplier": {
            "items": q.multiplier.items,
            "people": q.multiplier.people,
            "teams": q.multiplier.teams,
        },
    })
}
