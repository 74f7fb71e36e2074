//! The two dimensions of product.md §4 and the summary of §5: how far a person's work reaches
//! (sphere of influence), how much it makes others better (multiplier effect), and who may
//! see which of it.

use crate::domain::framework::{Canonical, Framework, Role};
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet};

/// Sphere of influence of one item: Cairn's canonical levels in rank order, then `unknown`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sphere {
    Own,
    Team,
    Group,
    Org,
    External,
    Unknown,
}

impl Sphere {
    pub const ALL: [Sphere; 6] = [
        Sphere::Own,
        Sphere::Team,
        Sphere::Group,
        Sphere::Org,
        Sphere::External,
        Sphere::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Sphere::Own => "self",
            Sphere::Team => "team",
            Sphere::Group => "group",
            Sphere::Org => "org",
            Sphere::External => "external",
            Sphere::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s)
    }

    fn index(self) -> usize {
        self as usize
    }

    /// The framework's own name for this level ("Squad" for `team` in career-steps).
    pub fn label(self, framework: &Framework) -> String {
        let canonical = match self {
            Sphere::Own => Canonical::Self_,
            Sphere::Team => Canonical::Team,
            Sphere::Group => Canonical::Group,
            Sphere::Org => Canonical::Org,
            Sphere::External => Canonical::External,
            Sphere::Unknown => return "Unknown".into(),
        };
        framework
            .dimension(Role::Sphere)
            .and_then(|d| d.scale.iter().find(|p| p.canonical == Some(canonical)))
            .map(|p| p.name.clone())
            .unwrap_or_else(|| {
                let s = self.as_str();
                s[..1].to_uppercase() + &s[1..]
            })
    }
}

/// A sphere the author declares in the text of `/growth log` (`sphere:group`, or the framework's
/// own step, `sphere:tribe`), and the text without it. Self is the default, so declaring it is
/// allowed but changes nothing.
pub fn declared_in_text(
    framework: &Framework,
    text: &str,
) -> Result<(String, Option<Sphere>), String> {
    let mut declared = None;
    let mut kept = Vec::new();
    for word in text.split(' ') {
        let Some(value) = word
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("sphere:"))
            .map(|_| &word[7..])
        else {
            kept.push(word);
            continue;
        };
        let value = value.trim_end_matches(['.', ',', ';']).to_lowercase();
        let scale = framework
            .dimension(Role::Sphere)
            .map(|d| d.scale.as_slice())
            .unwrap_or_default();
        let sphere = Sphere::parse(&value)
            .filter(|s| *s != Sphere::Unknown)
            .or_else(|| {
                scale
                    .iter()
                    .find(|p| p.id.to_lowercase() == value || p.name.to_lowercase() == value)
                    .and_then(|p| p.canonical)
                    .map(Sphere::from)
            });
        match (sphere, declared) {
            (Some(s), None) => declared = Some(s),
            (Some(_), Some(_)) => return Err("Say `sphere:` once.".into()),
            (None, _) => {
                let own: Vec<String> = scale
                    .iter()
                    .filter(|p| p.canonical.is_some())
                    .map(|p| format!("`sphere:{}`", p.id))
                    .collect();
                return Err(format!(
                    "`sphere:{value}` is not a sphere level: use `sphere:self`, `sphere:team`, `sphere:group`, `sphere:org` or `sphere:external`{}.",
                    if own.is_empty() { String::new() } else { format!(" (or this framework's {})", own.join(", ")) }
                ));
            }
        }
    }
    Ok((kept.join(" ").trim().to_owned(), declared))
}

impl From<Canonical> for Sphere {
    fn from(c: Canonical) -> Self {
        match c {
            Canonical::Self_ => Sphere::Own,
            Canonical::Team => Sphere::Team,
            Canonical::Group => Sphere::Group,
            Canonical::Org => Sphere::Org,
            Canonical::External => Sphere::External,
        }
    }
}

/// Where the org chart puts a person. Someone without a team is unplaced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Placement {
    pub team: Option<String>,
    pub group: Option<String>,
    pub manager: Option<String>,
}

impl Placement {
    /// Which team, as one value: a team is known by its name within its group, so two teams
    /// called "platform" in two groups are two teams.
    pub fn team_key(&self) -> Option<String> {
        let team = self.team.as_deref()?;
        Some(match self.group.as_deref() {
            Some(group) => format!("{group}/{team}"),
            None => team.to_owned(),
        })
    }
}

/// The sphere of a kudos for its receiver, from the giver's relation to them. `giver_external`
/// is a Slack Connect giver from another organisation. Kudos to oneself never get here.
pub fn kudos_sphere(
    giver: Option<&Placement>,
    giver_external: bool,
    receiver: Option<&Placement>,
) -> Sphere {
    if giver_external {
        return Sphere::External;
    }
    let team = |p: Option<&Placement>| p.and_then(Placement::team_key);
    let (Some(giver_team), Some(receiver_team)) = (team(giver), team(receiver)) else {
        return Sphere::Unknown;
    };
    if giver_team == receiver_team {
        return Sphere::Team;
    }
    let group = |p: Option<&Placement>| p.and_then(|p| p.group.clone());
    match (group(giver), group(receiver)) {
        (Some(a), Some(b)) if a == b => Sphere::Group,
        // An organisation without groups: another team is the whole org.
        _ => Sphere::Org,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    /// The subject only.
    Private,
    /// The subject and their manager chain.
    Manager,
    Public,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::Private => "private",
            Visibility::Manager => "manager",
            Visibility::Public => "public",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Visibility::Private, Visibility::Manager, Visibility::Public]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Where an item of evidence came from (contracts.md: `source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Kudos,
    /// Logged by the person (`/growth log`, the evidence modal).
    SelfLogged,
    /// A Slack message saved with "Save as evidence".
    Message,
    Reflection,
    Import,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Kudos => "kudos",
            Source::SelfLogged => "self",
            Source::Message => "message",
            Source::Reflection => "reflection",
            Source::Import => "import",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Source::Kudos,
            Source::SelfLogged,
            Source::Message,
            Source::Reflection,
            Source::Import,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One piece of evidence about one subject: a kudos (once per receiver) or an item they
/// recorded themselves.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `kudos:12` or `evidence:7`: unique across both kinds.
    pub id: String,
    pub source: Source,
    pub subject: String,
    /// The giver of a kudos (empty when they asked Cairn to forget them), else the subject.
    pub author: String,
    pub competencies: Vec<String>,
    pub multiplier_kinds: Vec<String>,
    pub sphere: Sphere,
    /// Said by the author rather than inferred.
    pub declared: bool,
    /// People the work helped, @-mentioned in evidence the subject logged.
    pub people: Vec<String>,
    /// Slack wire text.
    pub text: String,
    pub permalink: Option<String>,
    pub visibility: Visibility,
    pub occurred_at: DateTime<Utc>,
}

impl Item {
    /// Whether the item is about making others better: tagged with a multiplier kind, or with a
    /// competency that leans on the multiplier dimension.
    pub fn is_multiplier(&self, framework: &Framework) -> bool {
        let dimension = framework.dimension(Role::Multiplier).map(|d| d.id.as_str());
        !self.multiplier_kinds.is_empty()
            || self.competencies.iter().any(|c| {
                framework
                    .competency(c)
                    .is_some_and(|c| c.leans_on.iter().any(|d| Some(d.as_str()) == dimension))
            })
    }

    /// Whose word the item is: the giver of a kudos; the subject for what they logged.
    pub fn voice(&self) -> &str {
        match self.source {
            Source::Kudos => &self.author,
            _ => &self.subject,
        }
    }
}

#[cfg(test)]
impl Item {
    /// A public kudos `kudos:{n}` to `subject` from `giver`, for tests.
    pub(crate) fn sample_kudos(
        n: u32,
        subject: &str,
        giver: &str,
        sphere: Sphere,
        tags: &[&str],
        at: DateTime<Utc>,
    ) -> Item {
        Item {
            id: format!("kudos:{n}"),
            source: Source::Kudos,
            subject: subject.into(),
            author: giver.into(),
            competencies: tags.iter().map(|t| t.to_string()).collect(),
            multiplier_kinds: Vec::new(),
            sphere,
            declared: false,
            people: Vec::new(),
            text: format!("thanks {n}"),
            permalink: None,
            visibility: Visibility::Public,
            occurred_at: at,
        }
    }
}

/// Who is asking to see a person's summary or packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// Someone in Slack; `admin` when listed in `CAIRN_ADMINS`.
    Person { user: String, admin: bool },
    /// The JSON API's token: an admin viewer.
    ApiToken,
    /// `cairn export`: the operator's tool for a person's request for their own data, so it
    /// sees what the person sees.
    Operator,
}

/// How much of a subject's evidence a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Everything: the subject themselves.
    Own,
    /// `manager` and `public` items: their manager chain and admins.
    Manager,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Only {subject}, their managers and admins can see their summary.")]
pub struct Refused {
    pub subject: String,
}

/// `chain` is the subject's managers, nearest first.
pub fn access(viewer: &Viewer, subject: &str, chain: &[String]) -> Result<Access, Refused> {
    match viewer {
        Viewer::Operator => Ok(Access::Own),
        Viewer::Person { user, .. } if user == subject => Ok(Access::Own),
        Viewer::Person { user, admin } if *admin || chain.contains(user) => Ok(Access::Manager),
        Viewer::ApiToken => Ok(Access::Manager),
        Viewer::Person { .. } => Err(Refused {
            subject: format!("<@{subject}>"),
        }),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Only {manager}, their own managers and admins can see {manager}'s team.")]
pub struct TeamRefused {
    pub manager: String,
}

/// Who may see a manager's team view: the manager, those above them (`chain`, the manager's own
/// managers), admins. Another manager may not.
pub fn team_access(viewer: &Viewer, manager: &str, chain: &[String]) -> Result<(), TeamRefused> {
    match viewer {
        Viewer::Operator | Viewer::ApiToken => Ok(()),
        Viewer::Person { user, admin } if *admin || user == manager || chain.contains(user) => {
            Ok(())
        }
        Viewer::Person { .. } => Err(TeamRefused {
            manager: format!("<@{manager}>"),
        }),
    }
}

impl Access {
    pub fn sees(self, visibility: Visibility) -> bool {
        self == Access::Own || visibility != Visibility::Private
    }
}

/// Counts per sphere level, in `Sphere::ALL` order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Spread(pub [u64; 6]);

impl Spread {
    fn add(&mut self, sphere: Sphere) {
        self.0[sphere.index()] += 1;
    }

    pub fn get(&self, sphere: Sphere) -> u64 {
        self.0[sphere.index()]
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// Levels with at least one item.
    pub fn nonzero(&self) -> impl Iterator<Item = (Sphere, u64)> + '_ {
        Sphere::ALL
            .into_iter()
            .map(|s| (s, self.get(s)))
            .filter(|(_, n)| *n > 0)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub kudos_received: u64,
    pub kudos_given: u64,
    /// Sources `self`, `message` and `import`.
    pub evidence: u64,
    pub reflections: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompetencySpread {
    pub id: String,
    pub items: u64,
    pub sphere: Spread,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Multiplier {
    pub items: u64,
    /// Distinct beneficiaries.
    pub people: u64,
    /// Distinct teams of those people.
    pub teams: u64,
    pub kinds: BTreeMap<String, u64>,
    pub sphere: Spread,
}

impl Multiplier {
    /// "Mentoring 2", "Unblocking 1": each kind by the framework's name for it.
    pub fn named_kinds(&self, framework: &Framework) -> Vec<String> {
        self.kinds
            .iter()
            .map(|(k, n)| {
                let name = framework.multiplier_kind(k).map_or(k.as_str(), |m| &m.name);
                format!("{name} {n}")
            })
            .collect()
    }

    /// The figures in words, the one wording every surface shows: "3 items, helping 2 people
    /// in 1 team (Mentoring 2, Unblocking 1)".
    pub fn sentence(&self, framework: &Framework) -> String {
        let kinds = self.named_kinds(framework);
        format!(
            "{}, helping {}{}",
            plural(self.items, "item", "items"),
            people_in_teams(self.people, self.teams),
            if kinds.is_empty() {
                String::new()
            } else {
                format!(" ({})", kinds.join(", "))
            }
        )
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Givers {
    pub people: u64,
    pub teams: u64,
}

impl Givers {
    /// "Kudos from 5 people in 3 teams".
    pub fn sentence(&self) -> String {
        format!("Kudos from {}", people_in_teams(self.people, self.teams))
    }
}

/// "2 people in 1 team"; "1 person, team unknown" when the org chart places none of them.
fn people_in_teams(people: u64, teams: u64) -> String {
    match (people, teams) {
        (0, _) | (_, 1..) => format!(
            "{} in {}",
            plural(people, "person", "people"),
            plural(teams, "team", "teams")
        ),
        (1, 0) => "1 person, team unknown".to_owned(),
        (n, 0) => format!("{n} people, teams unknown"),
    }
}

/// "1 person", "2 people".
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Everything a viewer may see of a subject over a period. Every number is a count of `items`.
#[derive(Debug, Clone, PartialEq)]
pub struct Growth {
    pub subject: String,
    pub counts: Counts,
    pub sphere: Spread,
    pub reach: Option<Sphere>,
    /// Competencies with evidence, in framework order (tags no longer in the framework last).
    pub competencies: Vec<CompetencySpread>,
    pub multiplier: Multiplier,
    pub givers: Givers,
    /// Current competencies without evidence in the period.
    pub gaps: Vec<String>,
    /// Newest first.
    pub items: Vec<Item>,
}

/// What a summary is computed from: the items the viewer may see, already limited to the
/// period, and the kudos the subject gave that the viewer may see.
pub struct Evidence<'a> {
    pub subject: &'a str,
    pub items: Vec<Item>,
    pub kudos_given: u64,
    /// Current team of each person the items name (givers and people helped); the unplaced are
    /// missing.
    pub teams: &'a HashMap<String, String>,
}

pub fn summarize(framework: &Framework, evidence: Evidence<'_>) -> Growth {
    let Evidence {
        subject,
        mut items,
        kudos_given,
        teams,
    } = evidence;
    items.sort_by(|a, b| b.occurred_at.cmp(&a.occurred_at).then(b.id.cmp(&a.id)));
    let mut counts = Counts {
        kudos_given,
        ..Counts::default()
    };
    let mut sphere = Spread::default();
    let mut per_competency: HashMap<&str, Spread> = HashMap::new();
    let mut multiplier = Multiplier::default();
    let mut helped: HashSet<&str> = HashSet::new();
    let mut givers: HashSet<&str> = HashSet::new();
    for item in &items {
        match item.source {
            Source::Kudos => counts.kudos_received += 1,
            Source::Reflection => counts.reflections += 1,
            Source::SelfLogged | Source::Message | Source::Import => counts.evidence += 1,
        }
        sphere.add(item.sphere);
        for c in &item.competencies {
            per_competency.entry(c).or_default().add(item.sphere);
        }
        if item.source == Source::Kudos && !item.author.is_empty() {
            givers.insert(&item.author);
        }
        if item.is_multiplier(framework) {
            multiplier.items += 1;
            multiplier.sphere.add(item.sphere);
            for kind in &item.multiplier_kinds {
                *multiplier.kinds.entry(kind.clone()).or_default() += 1;
            }
            if item.source == Source::Kudos {
                if !item.author.is_empty() {
                    helped.insert(&item.author);
                }
            } else if item.author == subject {
                helped.extend(item.people.iter().map(String::as_str));
            }
        }
    }
    helped.remove(subject);
    let distinct_teams = |people: &HashSet<&str>| {
        people
            .iter()
            .filter_map(|p| teams.get(*p))
            .collect::<HashSet<_>>()
            .len() as u64
    };
    multiplier.people = helped.len() as u64;
    multiplier.teams = distinct_teams(&helped);
    let givers = Givers {
        people: givers.len() as u64,
        teams: distinct_teams(&givers),
    };
    let mut ordered: Vec<(String, Spread)> = framework
        .competencies
        .iter()
        .filter_map(|c| {
            per_competency
                .remove(c.id.as_str())
                .map(|s| (c.id.clone(), s))
        })
        .collect();
    let mut retired: Vec<(String, Spread)> = per_competency
        .into_iter()
        .map(|(id, s)| (id.to_owned(), s))
        .collect();
    retired.sort_by(|a, b| a.0.cmp(&b.0));
    ordered.extend(retired);
    let mut competencies: Vec<CompetencySpread> = ordered
        .into_iter()
        .map(|(id, sphere)| CompetencySpread {
            id,
            items: sphere.total(),
            sphere,
        })
        .collect();
    competencies.retain(|c| c.items > 0);
    let gaps = framework
        .competencies
        .iter()
        .filter(|c| !c.deprecated && !competencies.iter().any(|s| s.id == c.id))
        .map(|c| c.id.clone())
        .collect();
    Growth {
        subject: subject.to_owned(),
        counts,
        sphere,
        reach: reach(&items),
        competencies,
        multiplier,
        givers,
        gaps,
        items,
    }
}

/// The highest level whose items, with those above it, number at least two from at least two
/// people: one kudos is an anecdote, two from different people a pattern.
pub fn reach(items: &[Item]) -> Option<Sphere> {
    let placed = || items.iter().filter(|i| i.sphere != Sphere::Unknown);
    Sphere::ALL[..5].iter().rev().copied().find(|level| {
        let at_or_above: Vec<&Item> = placed().filter(|i| i.sphere >= *level).collect();
        let people: HashSet<&str> = at_or_above.iter().map(|i| i.voice()).collect();
        at_or_above.len() >= 2 && people.len() >= 2
    })
}

/// Up to `n` items worth showing first: the widest reach, then those with a link to the
/// message, then the newest.
pub fn highlights(summary: &Growth, n: usize) -> Vec<&Item> {
    let mut items: Vec<&Item> = summary
        .items
        .iter()
        .filter(|i| !i.text.trim().is_empty())
        .collect();
    let rank = |s: Sphere| {
        if s == Sphere::Unknown {
            0
        } else {
            s.index() + 1
        }
    };
    items.sort_by(|a, b| {
        rank(b.sphere)
            .cmp(&rank(a.sphere))
            .then(b.permalink.is_some().cmp(&a.permalink.is_some()))
            .then(b.occurred_at.cmp(&a.occurred_at))
    });
    items.truncate(n);
    items
}

#[cfg(test)]
mod tests;
