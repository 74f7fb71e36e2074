//! Tag resolution that forgives: `#Technical-Skills`, `#technical_skills` and an alias all land on
//! the same competency; a typo gets "did you mean".

use super::framework::Framework;
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

/// Lower-case, no leading '#', '-' and '_' alike.
pub fn normalize(tag: &str) -> String {
    tag.trim()
        .trim_start_matches('#')
        .chars()
        .map(|c| if c == '-' { '_' } else { c })
        .flat_map(char::to_lowercase)
        .collect()
}

#[derive(Debug, Clone)]
pub struct TagIndex {
    targets: HashMap<String, TagTarget>,
    /// (normalized spelling, display tag) for suggestions.
    spellings: Vec<(String, String)>,
    /// The tags shown when listing what is valid.
    valid: Vec<String>,
}

impl TagIndex {
    pub fn new(framework: &Framework) -> Self {
        let mut index = TagIndex {
            targets: HashMap::new(),
            spellings: Vec::new(),
            valid: Vec::new(),
        };
        for c in &framework.competencies {
            let target = TagTarget::Competency(c.id.clone());
            index.valid.push(c.display_tag().to_owned());
            let spellings = std::iter::once(&c.id).chain(&c.tags).chain(&c.aliases);
            index.add(spellings, c.display_tag(), &target);
        }
        for m in &framework.multiplier_kinds {
            let target = TagTarget::MultiplierKind(m.id.clone());
            index.valid.push(m.display_tag().to_owned());
            index.add(
                std::iter::once(&m.id).chain(&m.tags),
                m.display_tag(),
                &target,
            );
        }
        index
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
