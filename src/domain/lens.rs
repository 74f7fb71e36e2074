//! The level lens: what a person's evidence shows against what their level expects, and the
//! next level, per dimension of the framework and per competency. It reports evidence found,
//! never a verdict on the person: no score, no ranking.
//!
//! What each dimension's expected point asks of the evidence:
//!
//! - **sphere**: items whose sphere is at or beyond the point's canonical level (`team`,
//!   `group`, `org`; `external` counts as beyond `org`).
//! - **multiplier**: items that make others better (tagged with a multiplier kind, or with a
//!   competency that leans on the multiplier dimension) reaching as far as the point's rank
//!   says, counted up the scale: the lowest point (own output) is any item of the person's
//!   own work; the second (teammates) multiplier items at team level or wider; the third
//!   (several teams) at group level or wider; the fourth and above (the whole organisation) at
//!   org level or wider.
//! - any other dimension (complexity, custom ones): Cairn cannot tell it from evidence; the
//!   lens shows the framework's expectation and the items tagged to the competency, to read.
//!
//! A check is *evidenced* with at least two such items from at least two people (as for
//! reach: one kudos is an anecdote, two from different people a pattern), *partly* with one
//! item or one person's, *not yet evidenced* with none.

use super::framework::{Dimension, Expectation, Framework, Level, Role, Track};
use super::growth::{self, Item, Placement, Sphere};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    NotYet,
    Partly,
    Evidenced,
    /// Cairn cannot tell this dimension from evidence.
    NotInferred,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Evidenced => "evidenced",
            Status::Partly => "partly",
            Status::NotYet => "not_yet",
            Status::NotInferred => "not_inferred",
        }
    }

    /// In words, about the evidence.
    pub fn label(self) -> &'static str {
        match self {
            Status::Evidenced => "evidenced",
            Status::Partly => "partly evidenced",
            Status::NotYet => "not yet evidenced",
            Status::NotInferred => "to read",
        }
    }
}

/// A level of a track, as the lens names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelRef {
    pub track: String,
    pub track_name: String,
    pub id: String,
    pub name: String,
    pub rank: u32,
}

impl LevelRef {
    fn of(track: &Track, level: &Level) -> Self {
        LevelRef {
            track: track.id.clone(),
            track_name: track.name.clone(),
            id: level.id.clone(),
            name: level.name.clone(),
            rank: level.rank,
        }
    }
}

/// One dimension's expectation at one level, and what the evidence shows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub dimension: String,
    pub dimension_name: String,
    /// The scale point the level expects.
    pub expected: String,
    pub expected_name: String,
    /// The framework's words for it: the competency's expectation, else the point's description.
    pub text: String,
    pub status: Status,
    /// The items that support it (or, for a dimension Cairn cannot infer, the items to read).
    pub items: Vec<String>,
    /// Distinct people those items come from.
    pub people: usize,
}

/// The checks of one row: all evidence, or one competency's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `None` for the row of all evidence.
    pub competency: Option<String>,
    pub name: String,
    pub at_level: Vec<Check>,
    pub at_next: Vec<Check>,
}

/// `Default` is no lens at all (a read that did not ask for one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lens {
    pub level: Option<LevelRef>,
    pub next: Option<LevelRef>,
    /// No level is set: the lens reads the evidence against the first rung of the track.
    pub assumed: bool,
    /// What the reader should know first (no level set, an unknown level, no tracks).
    pub note: Option<String>,
    /// All evidence first, then each competency with expectations, in framework order.
    pub rows: Vec<Row>,
}

impl Lens {
    /// The row of all evidence.
    pub fn overall(&self) -> Option<&Row> {
        self.rows.iter().find(|r| r.competency.is_none())
    }

    /// (competencies evidenced in every check the next level makes, competencies with checks):
    /// the team view's count.
    pub fn competencies_at_next(&self) -> (usize, usize) {
        let rows: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| r.competency.is_some() && r.at_next.iter().any(inferred))
            .collect();
        let evidenced = rows
            .iter()
            .filter(|r| {
                r.at_next
                    .iter()
                    .filter(|c| inferred(c))
                    .all(|c| c.status == Status::Evidenced)
            })
            .count();
        (evidenced, rows.len())
    }
}

fn inferred(c: &Check) -> bool {
    c.status != Status::NotInferred
}

/// Where the org chart places a person in the framework: a track and a level, either missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rung {
    pub track: Option<String>,
    pub level: Option<String>,
}

/// A track and level as the org chart gave it, from `since` until the next change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub since: DateTime<Utc>,
    pub rung: Rung,
}

/// The rung held at `at` (the last change before it): a later promotion rewrites nothing.
pub fn rung_at(history: &[Held], at: DateTime<Utc>) -> Rung {
    history
        .iter()
        .filter(|h| h.since < at)
        .max_by_key(|h| h.since)
        .map(|h| h.rung.clone())
        .unwrap_or_default()
}

/// How far the help of an item the person logged reached, by the people it names: the widest
/// of the spheres the org chart gives between the person and each of them (`Unknown` when it
/// places none of them).
pub fn helped_reach(subject: Option<&Placement>, helped: &[Option<&Placement>]) -> Sphere {
    helped
        .iter()
        .map(|p| growth::kudos_sphere(subject, false, *p))
        .filter(|s| *s != Sphere::Unknown)
        .max()
        .unwrap_or(Sphere::Unknown)
}

/// The lens of `items` (what the viewer may see, over the period) for `subject`, whose org
/// chart row says `rung`; `helped` gives, by item id, how far the help of an item they logged
/// reached (see [`helped_reach`]). `name` is how the note names them.
pub fn lens(
    framework: &Framework,
    rung: &Rung,
    items: &[Item],
    helped: &HashMap<String, Sphere>,
    name: &str,
) -> Lens {
    let tracks: Vec<&Track> = framework.tracks.iter().filter(|t| !t.deprecated).collect();
    let Some(track) = rung
        .track
        .as_deref()
        .and_then(|id| framework.tracks.iter().find(|t| t.id == id))
        .or_else(|| tracks.first().copied())
    else {
        return Lens {
            level: None,
            next: None,
            assumed: false,
            note: Some(format!(
                "The framework {} has no tracks and levels, so there is nothing to read the evidence against.",
                framework.about.name
            )),
            rows: Vec::new(),
        };
    };
    let mut levels: Vec<&Level> = track.levels.iter().filter(|l| !l.deprecated).collect();
    levels.sort_by_key(|l| l.rank);
    let set = rung
        .level
        .as_deref()
        .and_then(|id| track.levels.iter().find(|l| l.id == id));
    let (level, assumed, note) = match (set, &rung.level) {
        (Some(level), _) => (Some(level), false, None),
        (None, Some(unknown)) => (
            levels.first().copied(),
            true,
            Some(format!(
                "{name}'s level '{unknown}' is not a level of {}, so this reads the evidence against its first level. Fix the `level` column of the org chart (`cairn org import`).",
                track.name
            )),
        ),
        (None, None) => (
            levels.first().copied(),
            true,
            Some(format!(
                "No level is set for {name}, so this reads the evidence against the first level of {}. Set one with the `track` and `level` columns of the org chart (`cairn org import`).",
                track.name
            )),
        ),
    };
    let Some(level) = level else {
        return Lens {
            level: None,
            next: None,
            assumed,
            note,
            rows: Vec::new(),
        };
    };
    let next = levels.iter().copied().find(|l| l.rank > level.rank);
    let evidence = Evidence { items, helped };
    let mut rows = vec![row(framework, track, level, next, None, &evidence)];
    for competency in framework.competencies.iter().filter(|c| !c.deprecated) {
        let tagged: Vec<Item> = items
            .iter()
            .filter(|i| i.competencies.contains(&competency.id))
            .cloned()
            .collect();
        let evidence = Evidence {
            items: &tagged,
            helped,
        };
        let mut r = row(framework, track, level, next, Some(competency), &evidence);
        if r.at_level.is_empty() && r.at_next.is_empty() {
            continue;
        }
        r.name.clone_from(&competency.name);
        rows.push(r);
    }
    Lens {
        level: Some(LevelRef::of(track, level)),
        next: next.map(|n| LevelRef::of(track, n)),
        assumed,
        note,
        rows,
    }
}

/// The items a row reads, and how far each logged item's help reached.
struct Evidence<'a> {
    items: &'a [Item],
    helped: &'a HashMap<String, Sphere>,
}

fn row(
    framework: &Framework,
    track: &Track,
    level: &Level,
    next: Option<&Level>,
    competency: Option<&super::framework::Competency>,
    evidence: &Evidence<'_>,
) -> Row {
    let checks = |level: &Level| -> Vec<Check> {
        framework
            .dimensions
            .iter()
            .filter(|d| !d.deprecated)
            .filter_map(|d| {
                let point = level.expects.get(&d.id)?;
                let text = match competency {
                    Some(c) => expectation_text(c, &track.id, &level.id, &d.id)?,
                    None => d.scale.iter().find(|p| p.id == *point)?.description.clone(),
                };
                Some(check(
                    framework,
                    d,
                    point,
                    text,
                    evidence,
                    competency.is_some(),
                ))
            })
            .collect()
    };
    Row {
        competency: competency.map(|c| c.id.clone()),
        name: "All evidence".into(),
        at_level: checks(level),
        at_next: next.map(checks).unwrap_or_default(),
    }
}

/// The competency's expectation of a level in one dimension; a level's single text applies to
/// every dimension.
fn expectation_text(
    competency: &super::framework::Competency,
    track: &str,
    level: &str,
    dimension: &str,
) -> Option<String> {
    match competency.expectations.get(track)?.get(level)? {
        Expectation::Text(t) => Some(t.clone()),
        Expectation::ByDimension(by) => by.get(dimension).cloned(),
    }
}

/// The sphere level a multiplier point's rank asks the helping to reach (see the module doc).
fn multiplier_reach(dimension: &Dimension, point: &str) -> Option<Sphere> {
    let mut ranks: Vec<u32> = dimension.scale.iter().map(|p| p.rank).collect();
    ranks.sort_unstable();
    ranks.dedup();
    let rank = dimension.scale.iter().find(|p| p.id == point)?.rank;
    let position = ranks.iter().position(|r| *r == rank)?;
    Some(match position {
        0 => Sphere::Own,
        1 => Sphere::Team,
        2 => Sphere::Group,
        _ => Sphere::Org,
    })
}

fn check(
    framework: &Framework,
    dimension: &Dimension,
    point: &str,
    text: String,
    evidence: &Evidence<'_>,
    for_competency: bool,
) -> Check {
    let items = evidence.items;
    let expected_name = dimension
        .scale
        .iter()
        .find(|p| p.id == point)
        .map_or_else(|| point.to_owned(), |p| p.name.clone());
    let at_or_beyond = |i: &Item, level: Sphere| {
        level == Sphere::Own || (i.sphere != Sphere::Unknown && i.sphere >= level)
    };
    let supporting: Option<Vec<&Item>> = match dimension.role {
        Role::Sphere => dimension
            .scale
            .iter()
            .find(|p| p.id == point)
            .and_then(|p| p.canonical)
            .map(Sphere::from)
            .map(|level| items.iter().filter(|i| at_or_beyond(i, level)).collect()),
        // Who was helped: the giver of a kudos (its sphere), the people a logged item names.
        Role::Multiplier => multiplier_reach(dimension, point).map(|level| {
            let reach = |i: &Item| {
                let named = evidence.helped.get(&i.id).copied();
                [Some(i.sphere), named]
                    .into_iter()
                    .flatten()
                    .filter(|s| *s != Sphere::Unknown)
                    .max()
                    .unwrap_or(Sphere::Unknown)
            };
            items
                .iter()
                .filter(|i| level == Sphere::Own || i.is_multiplier(framework))
                .filter(|i| {
                    level == Sphere::Own || (reach(i) != Sphere::Unknown && reach(i) >= level)
                })
                .collect()
        }),
        Role::Complexity | Role::Custom => None,
    };
    let (status, shown) = match supporting {
        Some(found) => {
            let people: HashSet<&str> = found.iter().map(|i| i.voice()).collect();
            let status = match (found.len(), people.len()) {
                (0, _) => Status::NotYet,
                (n, p) if n >= 2 && p >= 2 => Status::Evidenced,
                _ => Status::Partly,
            };
            (status, found)
        }
        // Not inferred: a competency's items are there to read against the expectation.
        None if for_competency => (Status::NotInferred, items.iter().collect()),
        None => (Status::NotInferred, Vec::new()),
    };
    let people: HashSet<&str> = shown.iter().map(|i| i.voice()).collect();
    Check {
        dimension: dimension.id.clone(),
        dimension_name: dimension.name.clone(),
        expected: point.to_owned(),
        expected_name,
        text,
        status,
        people: people.len(),
        items: shown.iter().map(|i| i.id.clone()).collect(),
    }
}

/// The lens in one line, against the next level (or the person's own, at the top): "Against
/// Staff engineer: sphere partly evidenced, multiplier evidenced; 2 of 4 competencies evidenced".
pub fn one_line(lens: &Lens) -> String {
    let Some(level) = lens.level.as_ref() else {
        return lens.note.clone().unwrap_or_default();
    };
    let (target, checks) = match (&lens.next, lens.overall()) {
        (Some(next), Some(row)) => (next, &row.at_next),
        (None, Some(row)) => (level, &row.at_level),
        (_, None) => return String::new(),
    };
    let dims: Vec<String> = checks
        .iter()
        .filter(|c| c.status != Status::NotInferred)
        .map(|c| format!("{} {}", c.dimension_name.to_lowercase(), c.status.label()))
        .collect();
    let mut line = format!("Against {}: {}", target.name, dims.join(", "));
    if lens.next.is_some() {
        let (evidenced, of) = lens.competencies_at_next();
        if of > 0 {
            line.push_str(&format!(
                "; {evidenced} of {of} competencies evidenced throughout"
            ));
        }
    } else {
        line.push_str(" (the top of the track)");
    }
    line
}

#[cfg(test)]
mod tests;
