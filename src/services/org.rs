//! Importing the org chart (`cairn org import`, `POST /api/v1/org`): read the file, check its
//! rows against what is stored, write the rows that are new or changed, and report what happened
//! to each. Importing the same file twice changes nothing. Spheres already recorded with kudos
//! stay as they were: the org chart of the day is what counted; so do levels, whose changes are
//! kept as history. A track or level the framework does not have rejects its row.

use crate::domain::framework::Framework;
use crate::domain::org::{self, OrgFileError, OrgFormat, OrgRow, RejectedRow};
use crate::store::{OrgPerson, Store, StoreError};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct ImportReport {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub unchanged: usize,
    pub rejected: Vec<RejectedRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] OrgFileError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn person(row: &OrgRow) -> OrgPerson {
    OrgPerson {
        user_id: row.user_id.to_string(),
        name: row.name.clone(),
        email: row.email.clone(),
        team: row.team.clone(),
        group: row.group.clone(),
        manager: row.manager_id.as_ref().map(ToString::to_string),
        track: row.track.clone(),
        level: row.level.clone(),
    }
}

pub async fn import(
    store: &dyn Store,
    framework: &Framework,
    team: &str,
    text: &str,
    format: OrgFormat,
    now: DateTime<Utc>,
) -> Result<ImportReport, ImportError> {
    let file = org::check_levels(org::read(text, format)?, framework);
    let stored = stored_chart(store, team).await?;
    let managers: HashMap<String, Option<String>> = stored
        .iter()
        .map(|(u, p)| (u.clone(), p.manager.clone()))
        .collect();
    let checked = org::check(file, &managers);
    let mut report = ImportReport {
        rejected: checked.rejected,
        ..ImportReport::default()
    };
    let people = checked.rows.iter().map(|(_, row)| person(row)).collect();
    write_changes(store, team, &stored, people, &mut report, now).await?;
    Ok(report)
}

/// The stored org chart by user id.
async fn stored_chart(
    store: &dyn Store,
    team: &str,
) -> Result<HashMap<String, OrgPerson>, StoreError> {
    let chart = store.org_chart(team).await?;
    Ok(chart.into_iter().map(|p| (p.user_id.clone(), p)).collect())
}

/// Writes the people who are new or differ from `stored`, and counts each in `report`.
async fn write_changes(
    store: &dyn Store,
    team: &str,
    stored: &HashMap<String, OrgPerson>,
    people: Vec<OrgPerson>,
    report: &mut ImportReport,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut writes = Vec::new();
    for new in people {
        match stored.get(&new.user_id) {
            None => report.added.push(new.user_id.clone()),
            Some(old) if *old != new => report.changed.push(new.user_id.clone()),
            Some(_) => {
                report.unchanged += 1;
                continue;
            }
        }
        writes.push(new);
    }
    if writes.is_empty() {
        return Ok(());
    }
    store.import_org(team, &writes, now).await
}

impl ImportReport {
    /// For people: one line of totals, then each rejected row with its reason.
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{} added, {} changed, {} unchanged, {} rejected",
            self.added.len(),
            self.changed.len(),
            self.unchanged,
            self.rejected.len()
        );
        for r in &self.rejected {
            text.push_str(&format!(
                "\nrow {}{}: {}",
                r.row,
                r.user_id
                    .as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default(),
                r.reason
            ));
        }
        text
    }

    pub fn to_json(&self) -> Value {
        json!({
            "added": self.added.len(),
            "changed": self.changed.len(),
            "unchanged": self.unchanged,
            "rejected": self.rejected.iter().map(|r| json!({
                "row": r.row, "user_id": r.user_id, "reason": r.reason,
            })).collect::<Vec<_>>(),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("Slack: {0}")]
    Slack(#[from] crate::slack::client::SlackError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Places the members of Slack user groups in teams (`CAIRN_TEAM_USERGROUPS`): each member's
/// team becomes the mapped one; their group, manager, name and email stay as the org chart has
/// them. Someone in two mapped groups takes the first mapping. A handle Slack does not know is
/// reported as rejected (its row is its place in the mapping).
pub async fn sync_usergroups(
    store: &dyn Store,
    slack: &crate::slack::client::SlackClient,
    token: &secrecy::SecretString,
    team: &str,
    mapping: &[(String, String)],
    now: DateTime<Utc>,
) -> Result<ImportReport, SyncError> {
    let groups = slack.usergroups_list(token, team).await?;
    let stored = stored_chart(store, team).await?;
    let mut report = ImportReport::default();
    let mut placed: HashMap<String, OrgPerson> = HashMap::new();
    for (i, (handle, team_name)) in mapping.iter().enumerate() {
        let Some((id, _)) = groups.iter().find(|(_, h)| h.eq_ignore_ascii_case(handle)) else {
            report.rejected.push(RejectedRow {
                row: i + 1,
                user_id: None,
                reason: format!("Slack has no user group @{handle}"),
            });
            continue;
        };
        for member in slack.usergroups_users_list(token, team, id).await? {
            if placed.contains_key(&member) {
                continue;
            }
            let mut person = stored.get(&member).cloned().unwrap_or(OrgPerson {
                user_id: member.clone(),
                ..OrgPerson::default()
            });
            person.team = Some(team_name.clone());
            placed.insert(member, person);
        }
    }
    let mut members: Vec<OrgPerson> = placed.into_values().collect();
    members.sort_by(|a, b| a.user_id.cmp(&b.user_id));
    write_changes(store, team, &stored, members, &mut report, now).await?;
    Ok(report)
}
