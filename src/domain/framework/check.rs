//! Checking a framework: every problem at once, each located in the document, and what a new
//! version must keep from the one it replaces.

use super::{Canonical, Dimension, Expectation, Framework, Role};
use std::collections::{HashMap, HashSet};

impl Framework {
    /// What a new version must keep from `previous` (same framework id): every competency and
    /// multiplier kind, so old evidence still resolves; removed ones must stay, deprecated.
    pub fn problems_against(&self, previous: &Framework) -> Vec<String> {
        let mut problems = Vec::new();
        if previous.about.id != self.about.id {
            return problems;
        }
        for c in &previous.competencies {
            if self.competency(&c.id).is_none() {
                problems.push(format!(
                    "competencies: '{}' was in version {} and is gone; evidence recorded with it must still resolve: keep it with `deprecated: true` (and `replaced_by`)",
                    c.id, previous.about.version
                ));
            }
        }
        for m in &previous.multiplier_kinds {
            if self.multiplier_kind(&m.id).is_none() {
                problems.push(format!(
                    "multiplier_kinds: '{}' was in version {} and is gone; keep it with `deprecated: true`",
                    m.id, previous.about.version
                ));
            }
        }
        if problems.is_empty() && previous.about.version == self.about.version && previous != self {
            problems.push(format!(
                "framework.version: the file differs from version {} but keeps its number; evidence stores the version, so give this one a new version",
                previous.about.version
            ));
        }
        problems
    }

    /// Every problem at once, each with its path in the document.
    pub fn problems(&self) -> Vec<String> {
        let mut p = Problems::default();
        let about = &self.about;
        p.id("framework.id", &about.id);
        p.name("framework.name", &about.name);
        if about.version.trim().is_empty() {
            p.push("framework.version", "must not be empty");
        }
        if self.competencies.is_empty() {
            p.push("competencies", "a framework needs at least one competency");
        }

        // The first of two dimensions with one id is the one references resolve to; the second
        // is reported as a duplicate, not as the cause of errors elsewhere.
        let mut dimensions: HashMap<&str, &Dimension> = HashMap::new();
        for d in &self.dimensions {
            dimensions.entry(d.id.as_str()).or_insert(d);
        }
        p.unique("dimensions", self.dimensions.iter().map(|d| d.id.as_str()));
        let mut roles: HashMap<Role, &str> = HashMap::new();
        for (i, d) in self.dimensions.iter().enumerate() {
            let at = format!("dimensions[{i}]");
            p.id(&format!("{at}.id"), &d.id);
            p.name(&format!("{at}.name"), &d.name);
            if d.role != Role::Custom {
                if let Some(first) = roles.insert(d.role, &d.id) {
                    p.push(&format!("{at}.role"), &format!("'{}' is already the role of dimension '{first}'; a framework has one dimension per role (use `custom` for more)", role_name(d.role)));
                }
            }
            if d.scale.is_empty() {
                p.push(
                    &format!("{at}.scale"),
                    "a dimension needs at least one scale point",
                );
            }
            p.unique(
                &format!("{at}.scale"),
                d.scale.iter().map(|s| s.id.as_str()),
            );
            let mut ranks = HashSet::new();
            let mut last_canonical: Option<(Canonical, &str)> = None;
            for (j, s) in d.scale.iter().enumerate() {
                let at = format!("{at}.scale[{j}]");
                p.id(&format!("{at}.id"), &s.id);
                p.name(&format!("{at}.name"), &s.name);
                if !ranks.insert(s.rank) {
                    p.push(
                        &format!("{at}.rank"),
                        &format!("rank {} is used twice in dimension '{}'", s.rank, d.id),
                    );
                }
                match (d.role, s.canonical) {
                    (Role::Sphere, Some(c)) => {
                        if let Some((before, before_id)) = last_canonical.filter(|(b, _)| c < *b) {
                            p.push(
                                &format!("{at}.canonical"),
                                &format!(
                                    "'{}' ranks below '{}' of '{before_id}', which comes before it",
                                    c.as_str(),
                                    before.as_str()
                                ),
                            );
                        }
                        last_canonical = Some((c, &s.id));
                    }
                    (Role::Sphere, None) => {}
                    (_, Some(_)) => p.push(
                        &format!("{at}.canonical"),
                        "only the sphere dimension maps onto canonical levels",
                    ),
                    (_, None) => {}
                }
                p.replaced_by(
                    &at,
                    s.deprecated,
                    s.replaced_by.as_deref(),
                    d.scale.iter().map(|s| s.id.as_str()),
                    "scale point",
                );
            }
            if d.role == Role::Sphere && d.scale.iter().all(|s| s.canonical.is_none()) {
                p.push(&format!("{at}.scale"), "the sphere dimension maps no canonical level: give its points `canonical: self|team|group|org|external`");
            }
            p.replaced_by(
                &at,
                d.deprecated,
                d.replaced_by.as_deref(),
                self.dimensions.iter().map(|d| d.id.as_str()),
                "dimension",
            );
        }

        p.unique("tracks", self.tracks.iter().map(|t| t.id.as_str()));
        for (i, t) in self.tracks.iter().enumerate() {
            let at = format!("tracks[{i}]");
            p.id(&format!("{at}.id"), &t.id);
            p.name(&format!("{at}.name"), &t.name);
            if t.levels.is_empty() {
                p.push(&format!("{at}.levels"), "a track needs at least one level");
            }
            p.unique(
                &format!("{at}.levels"),
                t.levels.iter().map(|l| l.id.as_str()),
            );
            let mut ranks = HashSet::new();
            for (j, l) in t.levels.iter().enumerate() {
                let at = format!("{at}.levels[{j}]");
                p.id(&format!("{at}.id"), &l.id);
                p.name(&format!("{at}.name"), &l.name);
                if !ranks.insert(l.rank) {
                    p.push(
                        &format!("{at}.rank"),
                        &format!("rank {} is used twice in track '{}'", l.rank, t.id),
                    );
                }
                for (dim, point) in &l.expects {
                    match dimensions.get(dim.as_str()) {
                        None => p.push(
                            &format!("{at}.expects.{dim}"),
                            &format!(
                                "unknown dimension '{dim}'{}",
                                known(self.dimensions.iter().map(|d| d.id.as_str()))
                            ),
                        ),
                        Some(d) if !d.scale.iter().any(|s| s.id == *point) => p.push(
                            &format!("{at}.expects.{dim}"),
                            &format!(
                                "'{point}' is not a point of dimension '{dim}'{}",
                                known(d.scale.iter().map(|s| s.id.as_str()))
                            ),
                        ),
                        Some(_) => {}
                    }
                }
                p.replaced_by(
                    &at,
                    l.deprecated,
                    l.replaced_by.as_deref(),
                    t.levels.iter().map(|l| l.id.as_str()),
                    "level",
                );
            }
            p.replaced_by(
                &at,
                t.deprecated,
                t.replaced_by.as_deref(),
                self.tracks.iter().map(|t| t.id.as_str()),
                "track",
            );
        }

        p.unique(
            "competencies",
            self.competencies.iter().map(|c| c.id.as_str()),
        );
        p.unique(
            "multiplier_kinds",
            self.multiplier_kinds.iter().map(|m| m.id.as_str()),
        );
        let mut tags = TagOwners::default();
        for (i, c) in self.competencies.iter().enumerate() {
            let at = format!("competencies[{i}]");
            p.id(&format!("{at}.id"), &c.id);
            p.name(&format!("{at}.name"), &c.name);
            let owner = format!("competency '{}'", c.id);
            tags.claim(&mut p, format!("{at}.id"), &c.id, &owner);
            for (j, t) in c.tags.iter().enumerate() {
                tags.claim(&mut p, format!("{at}.tags[{j}]"), t, &owner);
            }
            for (j, t) in c.aliases.iter().enumerate() {
                tags.claim(&mut p, format!("{at}.aliases[{j}]"), t, &owner);
            }
            for (j, dim) in c.leans_on.iter().enumerate() {
                if !dimensions.contains_key(dim.as_str()) {
                    p.push(
                        &format!("{at}.leans_on[{j}]"),
                        &format!(
                            "unknown dimension '{dim}'{}",
                            known(self.dimensions.iter().map(|d| d.id.as_str()))
                        ),
                    );
                }
            }
            for (j, prompt) in c.prompts.iter().enumerate() {
                if prompt.trim().is_empty() {
                    p.push(&format!("{at}.prompts[{j}]"), "must not be empty");
                }
            }
            for (track_id, levels) in &c.expectations {
                let at = format!("{at}.expectations.{track_id}");
                let Some(track) = self.tracks.iter().find(|t| t.id == *track_id) else {
                    p.push(
                        &at,
                        &format!(
                            "unknown track '{track_id}'{}",
                            known(self.tracks.iter().map(|t| t.id.as_str()))
                        ),
                    );
                    continue;
                };
                for (level_id, expectation) in levels {
                    let at = format!("{at}.{level_id}");
                    if !track.levels.iter().any(|l| l.id == *level_id) {
                        p.push(
                            &at,
                            &format!(
                                "unknown level '{level_id}' of track '{track_id}'{}",
                                known(track.levels.iter().map(|l| l.id.as_str()))
                            ),
                        );
                    }
                    match expectation {
                        Expectation::Text(text) if text.trim().is_empty() => {
                            p.push(&at, "must not be empty")
                        }
                        Expectation::Text(_) => {}
                        Expectation::ByDimension(texts) => {
                            for dim in texts.keys() {
                                if !dimensions.contains_key(dim.as_str()) {
                                    p.push(
                                        &format!("{at}.{dim}"),
                                        &format!(
                                            "unknown dimension '{dim}'{}",
                                            known(self.dimensions.iter().map(|d| d.id.as_str()))
                                        ),
                                    );
                                }
                            }
                        }
                    }
                }
            }
            p.replaced_by(
                &at,
                c.deprecated,
                c.replaced_by.as_deref(),
                self.competencies
                    .iter()
                    .filter(|o| !o.deprecated)
                    .map(|c| c.id.as_str()),
                "current competency",
            );
        }
        for (i, m) in self.multiplier_kinds.iter().enumerate() {
            let at = format!("multiplier_kinds[{i}]");
            p.id(&format!("{at}.id"), &m.id);
            p.name(&format!("{at}.name"), &m.name);
            let owner = format!("multiplier kind '{}'", m.id);
            tags.claim(&mut p, format!("{at}.id"), &m.id, &owner);
            for (j, t) in m.tags.iter().enumerate() {
                tags.claim(&mut p, format!("{at}.tags[{j}]"), t, &owner);
            }
            p.replaced_by(
                &at,
                m.deprecated,
                m.replaced_by.as_deref(),
                self.multiplier_kinds
                    .iter()
                    .filter(|o| !o.deprecated)
                    .map(|m| m.id.as_str()),
                "current multiplier kind",
            );
        }
        p.0
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Sphere => "sphere",
        Role::Multiplier => "multiplier",
        Role::Complexity => "complexity",
        Role::Custom => "custom",
    }
}

/// " (known: a, b, c)" for an error message, or "" when there is nothing to name.
fn known<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    let ids: Vec<&str> = ids.collect();
    if ids.is_empty() {
        String::new()
    } else {
        format!(" (known: {})", ids.join(", "))
    }
}

/// Located problems, in document order.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn push(&mut self, at: &str, problem: &str) {
        self.0.push(format!("{at}: {problem}"));
    }

    fn id(&mut self, at: &str, id: &str) {
        let ok = id
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
        if id.is_empty() {
            self.push(at, "must not be empty");
        } else if !ok {
            self.push(at, &format!("'{id}' is not a valid id: use lower-case letters, digits, '_' and '-' (ids are stored with evidence and never change)"));
        }
    }

    fn name(&mut self, at: &str, name: &str) {
        if name.trim().is_empty() {
            self.push(at, "must not be empty");
        }
    }

    /// Each id once in a list.
    fn unique<'a>(&mut self, at: &str, ids: impl Iterator<Item = &'a str>) {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, id) in ids.enumerate() {
            if let Some(first) = seen.insert(id, i) {
                self.push(
                    &format!("{at}[{i}].id"),
                    &format!("'{id}' is already the id of {at}[{first}]"),
                );
                seen.insert(id, first);
            }
        }
    }

    /// `replaced_by` names one of `candidates`, and only on something deprecated.
    fn replaced_by<'a>(
        &mut self,
        at: &str,
        deprecated: bool,
        replaced_by: Option<&str>,
        mut candidates: impl Iterator<Item = &'a str>,
        what: &str,
    ) {
        let Some(target) = replaced_by else { return };
        let at = format!("{at}.replaced_by");
        if !deprecated {
            self.push(
                &at,
                "only a deprecated entity has a replacement: add `deprecated: true`",
            );
        } else if !candidates.any(|c| c == target) {
            self.push(&at, &format!("'{target}' is not a {what}"));
        }
    }
}

/// Every id, tag and alias is something a person can type after '#': each means one thing.
#[derive(Default)]
struct TagOwners(HashMap<String, String>);

impl TagOwners {
    fn claim(&mut self, p: &mut Problems, at: String, tag: &str, owner: &str) {
        if tag.trim_start().starts_with('#') {
            p.push(
                &at,
                &format!(
                    "write '{}' without the '#'",
                    tag.trim_start().trim_start_matches('#')
                ),
            );
            return;
        }
        let key = normalize_tag(tag);
        if key.is_empty() {
            p.push(&at, "empty tag");
            return;
        }
        // Ids need not be typeable (their tags are); a tag that /kudos cannot read is a trap.
        if !at.ends_with(".id") && !typeable(tag) {
            p.push(&at, &format!("'{tag}' cannot be typed as a tag: start with a letter, then use letters, digits, '_' or '-'"));
            return;
        }
        match self.0.get(&key) {
            Some(existing) if existing != owner => {
                p.push(&at, &format!("'#{tag}' is already a tag of {existing}"))
            }
            Some(_) => {}
            None => {
                self.0.insert(key, owner.to_owned());
            }
        }
    }
}

/// What `/kudos` reads after '#': a letter, then letters, digits, '_' or '-'.
fn typeable(tag: &str) -> bool {
    let mut chars = tag.chars();
    chars.next().is_some_and(char::is_alphabetic)
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// A tag as it is compared: lower-case, no leading '#', '-' and '_' alike.
pub fn normalize_tag(tag: &str) -> String {
    tag.trim()
        .trim_start_matches('#')
        .chars()
        .map(|c| if c == '-' { '_' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}
