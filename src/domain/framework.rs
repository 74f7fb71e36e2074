//! Career frameworks: the company's own competencies, read through dimensions (sphere of
//! influence, multiplier effect, complexity…) with tracks, levels and expectations, as a YAML
//! file (product.md §2). The Rust types are the format: the JSON Schema shipped in
//! `manifests/frameworks/framework.schema.json` is generated from them.
//!
//! Ids are stable forever: evidence stores (framework id, version, competency id). An entity
//! that is no longer wanted is marked `deprecated` (optionally `replaced_by`), never deleted.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Built-in frameworks, compiled into the binary: (id, YAML source).
const BUILTINS: &[(&str, &str)] = &[
    (
        "matrix-3x3",
        include_str!("../../manifests/frameworks/matrix-3x3.yaml"),
    ),
    (
        "career-steps",
        include_str!("../../manifests/frameworks/career-steps.yaml"),
    ),
    (
        "staff-scope",
        include_str!("../../manifests/frameworks/staff-scope.yaml"),
    ),
];

pub const DEFAULT_FRAMEWORK: &str = "matrix-3x3";

/// A career framework file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Cairn career framework")]
pub struct Framework {
    /// Who the framework is and where it came from.
    #[serde(rename = "framework")]
    pub about: About,
    /// The themes every competency is read through; at most one has role `sphere` and one
    /// role `multiplier`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<Dimension>,
    /// Career tracks (e.g. individual contributor, manager), each with its levels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracks: Vec<Track>,
    /// What evidence is tagged with.
    pub competencies: Vec<Competency>,
    /// Ways of making others better (mentoring, unblocking…), taggable like competencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub multiplier_kinds: Vec<MultiplierKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct About {
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub id: String,
    #[schemars(length(min = 1))]
    pub name: String,
    /// Stored with every piece of evidence; change it with every edit that matters.
    #[schemars(length(min = 1))]
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What inspired the framework, crediting its sources.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub provenance: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// How far the work reaches; its scale maps onto Cairn's canonical levels.
    Sphere,
    /// How much the work makes others better.
    Multiplier,
    /// How hard the problems are.
    Complexity,
    Custom,
}

/// Cairn's canonical sphere levels, in rank order.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Canonical {
    #[serde(rename = "self")]
    Self_,
    Team,
    Group,
    Org,
    External,
}

impl Canonical {
    pub fn as_str(self) -> &'static str {
        match self {
            Canonical::Self_ => "self",
            Canonical::Team => "team",
            Canonical::Group => "group",
            Canonical::Org => "org",
            Canonical::External => "external",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Dimension {
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub id: String,
    #[schemars(length(min = 1))]
    pub name: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Ordinal points, lowest rank first.
    #[schemars(length(min = 1))]
    pub scale: Vec<ScalePoint>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalePoint {
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub id: String,
    pub rank: u32,
    #[schemars(length(min = 1))]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// For the sphere dimension: the canonical level this point stands for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<Canonical>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Track {
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub id: String,
    #[schemars(length(min = 1))]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[schemars(length(min = 1))]
    pub levels: Vec<Level>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Level {
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub id: String,
    pub rank: u32,
    #[schemars(length(min = 1))]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// Dimension id → the scale point expected at this level.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expects: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Competency {
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub id: String,
    #[schemars(length(min = 1))]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// A Slack emoji code such as `:seedling:`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    /// Hashtags (without `#`); the first is the one shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// More hashtags that also mean this competency.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Dimension ids this competency is mostly about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub leans_on: Vec<String>,
    /// Questions for reflection nudges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prompts: Vec<String>,
    /// Track id → level id → what is expected: one text, or a text per dimension id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub expectations: BTreeMap<String, BTreeMap<String, Expectation>>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    /// The competency that takes over this one's tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Expectation {
    Text(String),
    ByDimension(BTreeMap<String, String>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MultiplierKind {
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9_-]*$"))]
    pub id: String,
    #[schemars(length(min = 1))]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub deprecated: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, thiserror::Error)]
pub enum FrameworkError {
    #[error("{source_name}: cannot read the file: {error}")]
    Read {
        source_name: String,
        error: std::io::Error,
    },
    #[error("{source_name}: not a valid framework file: {error}")]
    Parse { source_name: String, error: String },
    #[error("{}", .problems.iter().map(|p| format!("{source_name}: {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        source_name: String,
        problems: Vec<String>,
    },
    #[error("unknown framework '{0}': use a built-in id ({list}) or a path to a YAML file", list = builtin_ids().join(", "))]
    Unknown(String),
}

pub fn builtin_ids() -> Vec<&'static str> {
    BUILTINS.iter().map(|(id, _)| *id).collect()
}

/// The JSON Schema of the file format, as shipped in `manifests/frameworks/`.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Framework);
    serde_json::to_string_pretty(&schema).expect("a schema serialises") + "\n"
}

impl Framework {
    /// Loads a built-in by id, or else a file by path.
    pub fn load(spec: &str) -> Result<Self, FrameworkError> {
        if let Some((id, yaml)) = BUILTINS.iter().find(|(id, _)| *id == spec) {
            return Self::from_yaml(&format!("built-in framework {id}"), yaml);
        }
        let path = std::path::Path::new(spec);
        if !path.exists() && !spec.contains(['/', '.']) {
            return Err(FrameworkError::Unknown(spec.to_owned()));
        }
        let text = std::fs::read_to_string(path).map_err(|error| FrameworkError::Read {
            source_name: spec.to_owned(),
            error,
        })?;
        Self::from_yaml(spec, &text)
    }

    pub fn from_yaml(source_name: &str, yaml: &str) -> Result<Self, FrameworkError> {
        let framework: Framework =
            serde_yaml_ng::from_str(yaml).map_err(|e| FrameworkError::Parse {
                source_name: source_name.to_owned(),
                error: e.to_string(),
            })?;
        let problems = framework.problems();
        if problems.is_empty() {
            Ok(framework)
        } else {
            Err(FrameworkError::Invalid {
                source_name: source_name.to_owned(),
                problems,
            })
        }
    }

    /// Loads a file, never a built-in (for `framework check`).
    pub fn from_file(path: &str) -> Result<Self, FrameworkError> {
        let text = std::fs::read_to_string(path).map_err(|error| FrameworkError::Read {
            source_name: path.to_owned(),
            error,
        })?;
        Self::from_yaml(path, &text)
    }

    /// "3 competencies, 6 multiplier kinds, 2 tracks, 3 dimensions".
    pub fn counts(&self) -> String {
        format!(
            "{} {}, {} competencies, {} multiplier kinds, {} tracks, {} dimensions",
            self.about.id,
            self.about.version,
            self.competencies.len(),
            self.multiplier_kinds.len(),
            self.tracks.len(),
            self.dimensions.len()
        )
    }

    /// A plain-text outline for `cairn framework show`: what can be tagged, and how.
    pub fn outline(&self) -> String {
        let mut out = format!(
            "{} {}: {}
",
            self.about.id, self.about.version, self.about.name
        );
        if !self.about.description.is_empty() {
            out.push_str(&format!(
                "{}
",
                self.about.description
            ));
        }
        let tags = |id: &str, tags: &[String], aliases: &[String]| {
            let mut all: Vec<String> = Vec::new();
            for t in std::iter::once(id)
                .chain(tags.iter().map(String::as_str))
                .chain(aliases.iter().map(String::as_str))
            {
                let t = format!("#{t}");
                if !all.contains(&t) {
                    all.push(t);
                }
            }
            all.join(" ")
        };
        let retired =
            |deprecated: bool, replaced_by: &Option<String>| match (deprecated, replaced_by) {
                (false, _) => String::new(),
                (true, Some(r)) => format!(" (retired: counts as {r})"),
                (true, None) => " (retired)".to_owned(),
            };
        out.push_str("\nCompetencies:\n");
        for c in &self.competencies {
            out.push_str(&format!(
                "  {:<22} {}{}\n",
                c.id,
                c.name,
                retired(c.deprecated, &c.replaced_by)
            ));
            out.push_str(&format!(
                "  {:<22} {}\n",
                "",
                tags(&c.id, &c.tags, &c.aliases)
            ));
        }
        if !self.multiplier_kinds.is_empty() {
            out.push_str("\nMultiplier kinds:\n");
            for m in &self.multiplier_kinds {
                out.push_str(&format!(
                    "  {:<22} {}{}\n",
                    m.id,
                    m.name,
                    retired(m.deprecated, &m.replaced_by)
                ));
                out.push_str(&format!("  {:<22} {}\n", "", tags(&m.id, &m.tags, &[])));
            }
        }
        if !self.tracks.is_empty() {
            out.push_str("\nTracks:\n");
            for t in &self.tracks {
                let levels: Vec<&str> = t.levels.iter().map(|l| l.name.as_str()).collect();
                out.push_str(&format!(
                    "  {:<22} {}: {}\n",
                    t.id,
                    t.name,
                    levels.join(", ")
                ));
            }
        }
        out
    }

    pub fn to_yaml(&self) -> String {
        serde_yaml_ng::to_string(self).expect("a framework serialises")
    }

    pub fn id(&self) -> &str {
        &self.about.id
    }

    pub fn version(&self) -> &str {
        &self.about.version
    }

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

    pub fn competency(&self, id: &str) -> Option<&Competency> {
        self.competencies.iter().find(|c| c.id == id)
    }

    pub fn multiplier_kind(&self, id: &str) -> Option<&MultiplierKind> {
        self.multiplier_kinds.iter().find(|m| m.id == id)
    }

    /// The dimension with `role`, if the framework has one.
    pub fn dimension(&self, role: Role) -> Option<&Dimension> {
        self.dimensions.iter().find(|d| d.role == role)
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
        let key = crate::domain::tags::normalize(tag);
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

impl Competency {
    /// The tag shown to people: the first listed tag, else the id.
    pub fn display_tag(&self) -> &str {
        self.tags.first().map(String::as_str).unwrap_or(&self.id)
    }

    /// One example of what this competency looks like in practice: the first expectation the
    /// framework gives for it, else its first reflection prompt.
    pub fn example(&self) -> Option<&str> {
        let expectation = self
            .expectations
            .values()
            .flat_map(|levels| levels.values())
            .find_map(|e| match e {
                Expectation::Text(t) => Some(t.as_str()),
                Expectation::ByDimension(texts) => texts.values().next().map(String::as_str),
            });
        expectation.or(self.prompts.first().map(String::as_str))
    }
}

impl MultiplierKind {
    pub fn display_tag(&self) -> &str {
        self.tags.first().map(String::as_str).unwrap_or(&self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_builtin_loads_with_its_competencies_and_kinds() {
        let f = Framework::load(DEFAULT_FRAMEWORK).unwrap();
        assert_eq!(f.id(), "matrix-3x3");
        let ids: Vec<_> = f.competencies.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["values", "technical", "leadership"]);
        let kinds: Vec<_> = f.multiplier_kinds.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "mentoring",
                "unblocking",
                "review",
                "docs",
                "tooling",
                "hiring"
            ]
        );
        assert!(f.competencies.iter().all(|c| !c.aliases.is_empty()));
    }

    #[test]
    fn every_builtin_is_valid_complete_and_credits_its_source() {
        for id in builtin_ids() {
            let f = Framework::load(id).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(f.id(), id);
            assert!(!f.about.provenance.is_empty(), "{id}: provenance");
            let sphere = f.dimension(Role::Sphere).expect("a sphere dimension");
            assert!(sphere.scale.iter().all(|s| s.canonical.is_some()), "{id}");
            assert!(f.dimension(Role::Multiplier).is_some(), "{id}");
            assert!(!f.tracks.is_empty(), "{id}");
            for c in &f.competencies {
                assert!(c.prompts.len() >= 2, "{id}: {} needs two prompts", c.id);
                assert!(!c.expectations.is_empty(), "{id}: {}", c.id);
            }
        }
    }

    #[test]
    fn the_builtins_have_the_shapes_the_seeds_describe() {
        let matrix = Framework::load("matrix-3x3").unwrap();
        assert_eq!(matrix.competencies.len(), 3);
        assert_eq!(matrix.dimensions.len(), 3);
        let tracks: Vec<_> = matrix.tracks.iter().map(|t| t.id.as_str()).collect();
        assert_eq!(tracks, ["ic", "manager"]);
        // Every cell: competency × track × level × theme.
        for c in &matrix.competencies {
            for t in &matrix.tracks {
                for l in &t.levels {
                    match &c.expectations[&t.id][&l.id] {
                        Expectation::ByDimension(cells) => assert_eq!(cells.len(), 3),
                        Expectation::Text(_) => panic!("{} {} {}", c.id, t.id, l.id),
                    }
                }
            }
        }
        let steps = Framework::load("career-steps").unwrap();
        assert_eq!(steps.competencies.len(), 5);
        let sphere = steps.dimension(Role::Sphere).unwrap();
        let canon: Vec<_> = sphere.scale.iter().map(|s| s.canonical.unwrap()).collect();
        assert_eq!(
            canon,
            [
                Canonical::Self_,
                Canonical::Team,
                Canonical::Group,
                Canonical::Org
            ]
        );
        let scope = Framework::load("staff-scope").unwrap();
        assert!(scope.dimensions.iter().any(|d| d.role == Role::Complexity));
        assert!(scope.dimensions.iter().any(|d| d.role == Role::Custom));
    }

    #[test]
    fn an_unknown_id_names_the_builtins() {
        let err = Framework::load("acme").unwrap_err().to_string();
        assert!(
            err.contains("matrix-3x3") && err.contains("career-steps"),
            "{err}"
        );
    }

    #[test]
    fn reports_every_clash_with_its_location() {
        let yaml = r#"
framework: {id: acme, name: Acme, version: "1"}
competencies:
  - {id: delivery, name: Delivery, tags: [ship]}
  - {id: craft, name: "", tags: [craft, Ship]}
multiplier_kinds:
  - {id: delivery, name: Oops}
"#;
        let err = Framework::from_yaml("acme.yaml", yaml)
            .unwrap_err()
            .to_string();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines,
            [
                "acme.yaml: competencies[1].name: must not be empty",
                "acme.yaml: competencies[1].tags[1]: '#Ship' is already a tag of competency 'delivery'",
                "acme.yaml: multiplier_kinds[0].id: '#delivery' is already a tag of competency 'delivery'",
            ]
        );
    }

    #[test]
    fn tags_nobody_can_type_and_a_duplicate_dimension_are_reported_once() {
        let yaml = r#"
framework: {id: acme, name: Acme, version: "1"}
dimensions:
  - {id: sphere, name: Sphere, role: sphere, scale: [{id: me, rank: 1, name: Me, canonical: self}]}
  - {id: sphere, name: Again, role: custom, scale: [{id: x, rank: 1, name: X}]}
tracks:
  - {id: ic, name: IC, levels: [{id: a, rank: 1, name: A, expects: {sphere: me}}, {id: b, rank: 1, name: B}]}
competencies:
  - {id: delivery, name: Delivery, tags: ["code quality", 1on1, " #x"]}
"#;
        let err = Framework::from_yaml("acme.yaml", yaml)
            .unwrap_err()
            .to_string();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(
            lines,
            [
                "acme.yaml: dimensions[1].id: 'sphere' is already the id of dimensions[0]",
                "acme.yaml: tracks[0].levels[1].rank: rank 1 is used twice in track 'ic'",
                "acme.yaml: competencies[0].tags[0]: 'code quality' cannot be typed as a tag: start with a letter, then use letters, digits, '_' or '-'",
                "acme.yaml: competencies[0].tags[1]: '1on1' cannot be typed as a tag: start with a letter, then use letters, digits, '_' or '-'",
                "acme.yaml: competencies[0].tags[2]: write 'x' without the '#'",
            ]
        );
    }

    #[test]
    fn a_broken_file_says_where() {
        let err = Framework::from_yaml("x.yaml", "framework: [")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("x.yaml: not a valid framework file"),
            "{err}"
        );
    }

    #[test]
    fn a_new_version_keeps_what_evidence_refers_to() {
        let old = Framework::load("matrix-3x3").unwrap();
        let mut new = old.clone();
        new.about.version = "1.1.0".into();
        assert!(new.problems_against(&old).is_empty());
        new.competencies.retain(|c| c.id != "values");
        let problems = new.problems_against(&old);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("competencies: 'values' was in version 1.0.0 and is gone"));
        // Kept as deprecated, it is fine.
        let mut kept = old.clone();
        kept.about.version = "1.1.0".into();
        kept.competencies[0].deprecated = true;
        kept.competencies[0].replaced_by = Some("leadership".into());
        assert!(kept.problems().is_empty(), "{:?}", kept.problems());
        assert!(kept.problems_against(&old).is_empty());
        // Changed but not renumbered.
        kept.about.version = "1.0.0".into();
        assert!(kept.problems_against(&old)[0].starts_with("framework.version"));
    }
}
