//! The summary and evidence JSON of contracts.md, field for field. The review packet's JSON form
//! is the same summary object.

use crate::domain::framework::Framework;
use crate::domain::growth::{Item, Sphere, Spread};
use crate::domain::markup;
use crate::domain::summary::Summary;
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
    })
}
