//! A person's summary as someone may see it: the figures over a period, who the viewer is to
//! them, and the names to show. Built by `services::summaries`, shown by `slack` and `report`.

use super::growth::{Access, Growth};
use super::lens::Lens;
use super::period::Period;
use super::trajectory::Quarter;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// A summary with what it takes to show it to people.
pub struct Summary {
    pub team: String,
    pub period: Period,
    pub access: Access,
    /// The subject's managers, nearest first.
    pub chain: Vec<String>,
    pub growth: Growth,
    /// Display names of the subject and everyone the items name, where known.
    pub names: HashMap<String, String>,
    /// Who else looked at this person's summary or packet lately (only for the person).
    pub views: Vec<SummaryView>,
    /// The evidence against what the person's level expects, and the next level.
    pub lens: Lens,
    /// Growth over the four quarters that end with the period.
    pub trajectory: Vec<Quarter>,
    /// When the newest item the viewer may see happened (up to the period's end).
    pub latest_evidence: Option<DateTime<Utc>>,
    /// Nobody has recognised the person's work (a kudos from someone else) in the six weeks up to
    /// the period's end, or now if sooner: work going unseen, not a judgement.
    pub quiet: bool,
}

/// How long without a kudos from someone else makes a person *quiet*.
pub const QUIET_AFTER: chrono::Duration = chrono::Duration::weeks(6);

impl Summary {
    /// A person's name, else their id.
    pub fn name<'a>(&'a self, user: &'a str) -> &'a str {
        self.names.get(user).map(String::as_str).unwrap_or(user)
    }
}

/// Someone looked at a person's summary or packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SummaryView {
    pub team_id: String,
    pub subject: String,
    /// A Slack user id, or `api`.
    pub viewer: String,
    /// `summary` or `packet`.
    pub what: String,
    /// `slack` or `api`.
    pub via: String,
    pub viewed_at: DateTime<Utc>,
}
