//! Career frameworks: the company's competencies and multiplier kinds, loaded from YAML.
//!
//! This loader reads the parts kudos need today (competencies, their tags and aliases, multiplier
//! kinds). The file format is richer (dimensions, tracks, expectations: see product.md §2) and the
//! loader ignores what it does not model yet, so richer files load unchanged as it grows.

use serde::Deserialize;
use std::collections::HashMap;

/// Built-in frameworks, compiled into the binary: (id, YAML source).
const BUILTINS: &[(&str, &str)] = &[(
    "matrix-3x3",
    include_str!("../../manifests/frameworks/matrix-3x3.yaml"),
)];

pub const DEFAULT_FRAMEWORK: &str = "matrix-3x3";

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Framework {
    pub id: String,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub provenance: String,
    #[serde(skip)]
    pub competencies: Vec<Competency>,
    #[serde(skip)]
    pub multiplier_kinds: Vec<MultiplierKind>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Competency {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub emoji: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub prompts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MultiplierKind {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Deserialize)]
struct FrameworkFile {
    framework: Framework,
    #[serde(default)]
    competencies: Vec<Competency>,
    #[serde(default)]
    multiplier_kinds: Vec<MultiplierKind>,
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
    #[error("{source_name}: {}", .problems.join(&format!("\n{}: ", .source_name)))]
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
        let file: FrameworkFile =
            serde_yaml_ng::from_str(yaml).map_err(|e| FrameworkError::Parse {
                source_name: source_name.to_owned(),
                error: e.to_string(),
            })?;
        let framework = Framework {
            competencies: file.competencies,
            multiplier_kinds: file.multiplier_kinds,
            ..file.framework
        };
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

    /// Every problem at once, each with its path in the document.
    fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.id.trim().is_empty() {
            problems.push("framework.id: must not be empty".to_owned());
        }
        if self.competencies.is_empty() {
            problems.push("competencies: a framework needs at least one competency".to_owned());
        }
        // Every id, tag and alias is something a person can type after '#': each must be unique.
        let mut owners: HashMap<String, String> = HashMap::new();
        let mut claim = |path: String, tag: &str, owner: String, problems: &mut Vec<String>| {
            let key = crate::domain::tags::normalize(tag);
            if key.is_empty() {
                problems.push(format!("{path}: empty tag"));
                return;
            }
            match owners.get(&key) {
                Some(existing) if *existing != owner => {
                    problems.push(format!("{path}: '#{tag}' is already a tag of {existing}"))
                }
                Some(_) => {}
                None => {
                    owners.insert(key, owner);
                }
            }
        };
        for (i, c) in self.competencies.iter().enumerate() {
            if c.name.trim().is_empty() {
                problems.push(format!("competencies[{i}].name: must not be empty"));
            }
            let owner = format!("competency '{}'", c.id);
            claim(
                format!("competencies[{i}].id"),
                &c.id,
                owner.clone(),
                &mut problems,
            );
            for (j, t) in c.tags.iter().enumerate() {
                claim(
                    format!("competencies[{i}].tags[{j}]"),
                    t,
                    owner.clone(),
                    &mut problems,
                );
            }
            for (j, t) in c.aliases.iter().enumerate() {
                claim(
                    format!("competencies[{i}].aliases[{j}]"),
                    t,
                    owner.clone(),
                    &mut problems,
                );
            }
        }
        for (i, m) in self.multiplier_kinds.iter().enumerate() {
            if m.name.trim().is_empty() {
                problems.push(format!("multiplier_kinds[{i}].name: must not be empty"));
            }
            let owner = format!("multiplier kind '{}'", m.id);
            claim(
                format!("multiplier_kinds[{i}].id"),
                &m.id,
                owner.clone(),
                &mut problems,
            );
            for (j, t) in m.tags.iter().enumerate() {
                claim(
                    format!("multiplier_kinds[{i}].tags[{j}]"),
                    t,
                    owner.clone(),
                    &mut problems,
                );
            }
        }
        problems
    }

    pub fn competency(&self, id: &str) -> Option<&Competency> {
        self.competencies.iter().find(|c| c.id == id)
    }

    pub fn multiplier_kind(&self, id: &str) -> Option<&MultiplierKind> {
        self.multiplier_kinds.iter().find(|m| m.id == id)
    }
}

impl Competency {
    /// The tag shown to people: the first listed tag, else the id.
    pub fn display_tag(&self) -> &str {
        self.tags.first().map(String::as_str).unwrap_or(&self.id)
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
        assert_eq!(f.id, "matrix-3x3");
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
        assert!(f.competencies.iter().all(|c| c.prompts.len() >= 2));
    }

    #[test]
    fn an_unknown_id_names_the_builtins() {
        let err = Framework::load("acme").unwrap_err().to_string();
        assert!(err.contains("matrix-3x3"), "{err}");
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
        assert!(
            err.contains("acme.yaml: competencies[1].name: must not be empty"),
            "{err}"
        );
        assert!(
            err.contains(
                "competencies[1].tags[1]: '#Ship' is already a tag of competency 'delivery'"
            ),
            "{err}"
        );
        assert!(
            err.contains(
                "multiplier_kinds[0].id: '#delivery' is already a tag of competency 'delivery'"
            ),
            "{err}"
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
}
