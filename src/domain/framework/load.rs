//! Reading a framework: the built-ins compiled into the binary, a file, its JSON Schema, and
//! the outline `cairn framework show` prints.

use super::{Framework, FrameworkError};
use crate::domain::yaml;

/// Built-in frameworks, compiled into the binary: (id, YAML source).
const BUILTINS: &[(&str, &str)] = &[
    (
        "matrix-3x3",
        include_str!("../../../manifests/frameworks/matrix-3x3.yaml"),
    ),
    (
        "career-steps",
        include_str!("../../../manifests/frameworks/career-steps.yaml"),
    ),
    (
        "staff-scope",
        include_str!("../../../manifests/frameworks/staff-scope.yaml"),
    ),
];

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
        let framework: Framework = yaml::from_str(yaml).map_err(|error| FrameworkError::Parse {
            source_name: source_name.to_owned(),
            error,
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
}
