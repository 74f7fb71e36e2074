//! Career frameworks: the company's own competencies, read through dimensions (sphere of
//! influence, multiplier effect, complexity…) with tracks, levels and expectations, as a YAML
//! file (product.md §2). The Rust types are the format: the JSON Schema shipped in
//! `manifests/frameworks/framework.schema.json` is generated from them.
//!
//! Ids are stable forever: evidence stores (framework id, version, competency id). An entity
//! that is no longer wanted is marked `deprecated` (optionally `replaced_by`), never deleted.

mod check;
mod load;

pub use check::normalize_tag;
pub use load::{builtin_ids, json_schema};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Questions for the weekly reflection prompts.
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

impl Framework {
    pub fn id(&self) -> &str {
        &self.about.id
    }

    pub fn version(&self) -> &str {
        &self.about.version
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
mod tests;
