//! Tag resolution that forgives: `#Technical-Skills`, `#technical_skills` and an alias all land on
//! the same competency; a typo gets "did you mean".

use super::framework::{normalize_tag as normalize, Framework};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TagTarget {
    Competency(String),
    MultiplierKind(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownTag {
    /// As the person typed it, without '#'.
    pub tag: String,
    /// Closest valid tags, best first, without '#'.
    pub suggestions: Vec<String>,
}

/// What a retired entity's tags are recorded as (its replacement, else itself), and what to
/// tell the person who used one.
fn retired(id: &str, tag: &str, replacement: Option<(&str, &str)>) -> (String, String) {
    match replacement {
        Some((new_id, new_tag)) => (
            new_id.to_owned(),
            format!("#{tag} is retired, so this counts as #{new_tag}"),
        ),
        None => (
            id.to_owned(),
            format!("#{tag} is retired; it is still recorded"),
        ),
    }
}

#[derive(Debug, Clone)]
pub struct TagIndex {
    targets: HashMap<String, TagTarget>,
    /// (normalized spelling, display tag) for suggestions.
    spellings: Vec<(String, String)>,
    /// The tags shown when listing what is valid.
    valid: Vec<String>,
    /// Normalized spellings of deprecated entities → what they are recorded as, said to people.
    retired: HashMap<String, String>,
}

impl TagIndex {
    pub fn new(framework: &Framework) -> Self {
        let mut index = TagIndex {
            targets: HashMap::new(),
            spellings: Vec::new(),
            valid: Vec::new(),
            retired: HashMap::new(),
        };
        // Current entities first, so they are listed and suggested; deprecated ones still
        // resolve (to their replacement, when they have one) but are never offered.
        for c in framework.competencies.iter().filter(|c| !c.deprecated) {
            let target = TagTarget::Competency(c.id.clone());
            index.valid.push(c.display_tag().to_owned());
            let spellings = std::iter::once(&c.id).chain(&c.tags).chain(&c.aliases);
            index.add(spellings, c.display_tag(), &target);
        }
        for m in framework.multiplier_kinds.iter().filter(|m| !m.deprecated) {
            let target = TagTarget::MultiplierKind(m.id.clone());
            index.valid.push(m.display_tag().to_owned());
            index.add(
                std::iter::once(&m.id).chain(&m.tags),
                m.display_tag(),
                &target,
            );
        }
        for c in framework.competencies.iter().filter(|c| c.deprecated) {
            let replacement = c
                .replaced_by
                .as_deref()
                .and_then(|r| framework.competency(r))
                .map(|r| (r.id.as_str(), r.display_tag()));
            let spellings = std::iter::once(&c.id).chain(&c.tags).chain(&c.aliases);
            let (id, note) = retired(&c.id, c.display_tag(), replacement);
            index.retire(spellings, &TagTarget::Competency(id), &note);
        }
        for m in framework.multiplier_kinds.iter().filter(|m| m.deprecated) {
            let replacement = m
                .replaced_by
                .as_deref()
                .and_then(|r| framework.multiplier_kind(r))
                .map(|r| (r.id.as_str(), r.display_tag()));
            let spellings = std::iter::once(&m.id).chain(&m.tags);
            let (id, note) = retired(&m.id, m.display_tag(), replacement);
            index.retire(spellings, &TagTarget::MultiplierKind(id), &note);
        }
        index
    }

    fn retire<'a>(
        &mut self,
        spellings: impl Iterator<Item = &'a String>,
        target: &TagTarget,
        note: &str,
    ) {
        for s in spellings {
            let key = normalize(s);
            if !self.targets.contains_key(&key) {
                self.targets.insert(key.clone(), target.clone());
                self.retired.insert(key, note.to_owned());
            }
        }
    }

    /// What to tell a person who used a deprecated tag, if `tag` is one.
    pub fn retired_note(&self, tag: &str) -> Option<&str> {
        self.retired.get(&normalize(tag)).map(String::as_str)
    }

    fn add<'a>(
        &mut self,
        spellings: impl Iterator<Item = &'a String>,
        display: &str,
        target: &TagTarget,
    ) {
        for s in spellings {
            let key = normalize(s);
            // First owner wins; the framework loader has already refused clashes.
            if !self.targets.contains_key(&key) {
                self.targets.insert(key.clone(), target.clone());
                self.spellings.push((key, display.to_owned()));
            }
        }
    }

    pub fn resolve(&self, tag: &str) -> Result<&TagTarget, UnknownTag> {
        let key = normalize(tag);
        self.targets.get(&key).ok_or_else(|| UnknownTag {
            tag: tag.trim_start_matches('#').to_owned(),
            suggestions: self.suggest(&key),
        })
    }

    /// The display tags of every competency, then every multiplier kind.
    pub fn valid_tags(&self) -> &[String] {
        &self.valid
    }

    fn suggest(&self, key: &str) -> Vec<String> {
        let budget = if key.chars().count() <= 4 { 1 } else { 2 };
        let mut scored: Vec<(usize, &str)> = self
            .spellings
            .iter()
            .filter_map(|(spelling, display)| {
                let d = edit_distance(key, spelling);
                let prefix = key.len() >= 3 && spelling.starts_with(key);
                (d <= budget || prefix)
                    .then_some((if prefix { d.min(1) } else { d }, display.as_str()))
            })
            .collect();
        scored.sort();
        let mut out: Vec<String> = Vec::new();
        for (_, display) in scored {
            if !out.iter().any(|o| o == display) {
                out.push(display.to_owned());
            }
        }
        out.truncate(3);
        out
    }
}

/// Levenshtein distance over chars; tags are short, so the simple table is fine.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> TagIndex {
        TagIndex::new(&Framework::load("matrix-3x3").unwrap())
    }

    #[test]
    fn resolves_ids_tags_and_aliases_forgivingly() {
        let idx = index();
        let technical = TagTarget::Competency("technical".into());
        assert_eq!(idx.resolve("technical"), Ok(&technical));
        assert_eq!(idx.resolve("#Technical"), Ok(&technical));
        assert_eq!(idx.resolve("Technical-Skills"), Ok(&technical));
        assert_eq!(idx.resolve("technical_skills"), Ok(&technical));
        assert_eq!(
            idx.resolve("mentoring"),
            Ok(&TagTarget::MultiplierKind("mentoring".into()))
        );
    }

    fn with_a_retired_competency() -> TagIndex {
        let mut f = Framework::load("matrix-3x3").unwrap();
        f.competencies.push(crate::domain::framework::Competency {
            id: "craft_old".into(),
            name: "Craftsmanship".into(),
            description: String::new(),
            emoji: None,
            tags: vec!["craftsmanship".into()],
            aliases: vec!["quality".into()],
            leans_on: vec![],
            prompts: vec![],
            expectations: Default::default(),
            deprecated: true,
            replaced_by: Some("technical".into()),
        });
        f.competencies.push(crate::domain::framework::Competency {
            id: "hustle".into(),
            name: "Hustle".into(),
            description: String::new(),
            emoji: None,
            tags: vec![],
            aliases: vec![],
            leans_on: vec![],
            prompts: vec![],
            expectations: Default::default(),
            deprecated: true,
            replaced_by: None,
        });
        assert!(f.problems().is_empty(), "{:?}", f.problems());
        TagIndex::new(&f)
    }

    #[test]
    fn table_of_spellings() {
        let idx = with_a_retired_competency();
        let c = |id: &str| Ok(TagTarget::Competency(id.into()));
        let m = |id: &str| Ok(TagTarget::MultiplierKind(id.into()));
        let table: &[(&str, Result<TagTarget, ()>)] = &[
            ("technical", c("technical")),
            ("TECHNICAL", c("technical")),
            ("#Tech", c("technical")),
            ("Technical-Skills", c("technical")),
            ("technical_skills", c("technical")),
            ("technical-skills", c("technical")),
            ("craft", c("technical")),
            ("Values", c("values")),
            ("guiding-principles", c("values")),
            ("mentor", m("mentoring")),
            ("Unblocking", m("unblocking")),
            // Retired: still accepted, recorded as the replacement (or as itself).
            ("craftsmanship", c("technical")),
            ("Quality", c("technical")),
            ("craft_old", c("technical")),
            ("hustle", c("hustle")),
            ("tecnical", Err(())),
            ("leadrship", Err(())),
            ("", Err(())),
        ];
        for (tag, expected) in table {
            let got = idx.resolve(tag).cloned().map_err(drop);
            assert_eq!(&got, expected, "#{tag}");
        }
    }

    #[test]
    fn a_retired_tag_says_what_it_counts_as_and_is_never_offered() {
        let idx = with_a_retired_competency();
        assert_eq!(
            idx.retired_note("Quality"),
            Some("#craftsmanship is retired, so this counts as #technical")
        );
        assert_eq!(
            idx.retired_note("hustle"),
            Some("#hustle is retired; it is still recorded")
        );
        assert_eq!(idx.retired_note("technical"), None);
        assert!(!idx
            .valid_tags()
            .iter()
            .any(|t| t == "craftsmanship" || t == "hustle"));
        let err = idx.resolve("craftsmanshp").unwrap_err();
        assert!(
            !err.suggestions.iter().any(|s| s == "craftsmanship"),
            "{err:?}"
        );
    }

    #[test]
    fn typos_get_the_nearest_tags() {
        let err = index().resolve("tecnical").unwrap_err();
        assert_eq!(err.tag, "tecnical");
        assert_eq!(
            err.suggestions.first().map(String::as_str),
            Some("technical")
        );
        let err = index().resolve("mentorng").unwrap_err();
        assert_eq!(
            err.suggestions.first().map(String::as_str),
            Some("mentoring")
        );
    }

    #[test]
    fn nonsense_gets_no_suggestion() {
        assert!(index()
            .resolve("zzzzzzzz")
            .unwrap_err()
            .suggestions
            .is_empty());
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
