//! A person's summary for a viewer: who may see it, the items they may see, the figures, and
//! the record that they looked. Slack, the JSON API and `cairn export` all come through here,
//! so the visibility rules and the audit are applied once.

use crate::domain::framework::Framework;
use crate::domain::growth::{self, Access, Evidence, Refused, Viewer};
use crate::domain::period::Period;
use crate::domain::summary::{Summary, SummaryView};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// How far back a person is shown who looked at their summary.
pub const VIEWS_SHOWN_DAYS: i64 = 90;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    Summary,
    Packet,
    /// The list of items (the JSON API's `/evidence`).
    Evidence,
}

impl What {
    fn as_str(self) -> &'static str {
        match self {
            What::Summary => "summary",
            What::Packet => "packet",
            What::Evidence => "evidence",
        }
    }
}

pub struct Ask<'a> {
    pub team: &'a str,
    pub subject: &'a str,
    pub period: Period,
    pub viewer: Viewer,
    pub what: What,
}

/// The same ask about several people.
pub struct AskMany<'a> {
    pub team: &'a str,
    pub subjects: &'a [String],
    pub period: Period,
    pub viewer: Viewer,
    pub what: What,
}

#[derive(Debug, thiserror::Error)]
pub enum SummaryError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn one(
    store: &dyn Store,
    framework: &Framework,
    ask: Ask<'_>,
    now: DateTime<Utc>,
) -> Result<Summary, SummaryError> {
    let (report, view) = read(store, framework, ask, now).await?;
    store.record_views(view.as_slice()).await?;
    Ok(report)
}

/// Many people's summaries for one viewer over one period (a review cycle, a manager's
/// digest): each as [`one`] gives it, a refusal per person, and every look recorded in one
/// commit before any summary is handed back.
pub async fn many(
    store: &dyn Store,
    framework: &Framework,
    ask: AskMany<'_>,
    now: DateTime<Utc>,
) -> Result<Vec<Result<Summary, Refused>>, StoreError> {
    let AskMany {
        team,
        subjects,
        period,
        viewer,
        what,
    } = ask;
    let mut reports = Vec::with_capacity(subjects.len());
    let mut views = Vec::new();
    for subject in subjects {
        let ask = Ask {
            team,
            subject,
            period,
            viewer: viewer.clone(),
            what,
        };
        match read(store, framework, ask, now).await {
            Ok((report, view)) => {
                views.extend(view);
                reports.push(Ok(report));
            }
            Err(SummaryError::Refused(refused)) => reports.push(Err(refused)),
            Err(SummaryError::Store(e)) => return Err(e),
        }
    }
    store.record_views(&views).await?;
    Ok(reports)
}

/// A report and the record of the look, if someone other than the subject looked.
async fn read(
    store: &dyn Store,
    framework: &Framework,
    ask: Ask<'_>,
    now: DateTime<Utc>,
) -> Result<(Summary, Option<SummaryView>), SummaryError> {
    let Ask {
        team,
        subject,
        period,
        viewer,
        what,
    } = ask;
    let chain = store.manager_chain(team, subject).await?;
    let access = growth::access(&viewer, subject, &chain)?;
    let mut items = store
        .items_about(team, subject, period.start(), period.end())
        .await?;
    // Private items are left out of others' views entirely, counts included.
    items.retain(|i| access.sees(i.visibility));
    let kudos_given = store
        .kudos_given_count(
            team,
            subject,
            period.start(),
            period.end(),
            access == Access::Own,
        )
        .await?;
    let mut named: Vec<String> = vec![subject.to_owned()];
    for item in &items {
        named.push(item.author.clone());
        named.extend(item.people.iter().cloned());
    }
    named.retain(|u| !u.is_empty());
    named.sort();
    named.dedup();
    let known = store.org_people(team, &named).await?;
    let teams: HashMap<String, String> = known
        .iter()
        .filter_map(|(u, p)| p.team.clone().map(|t| (u.clone(), t)))
        .collect();
    let names = known
        .iter()
        .filter_map(|(u, p)| p.name.clone().map(|n| (u.clone(), n)))
        .collect();
    let summary = growth::summarize(
        framework,
        Evidence {
            subject,
            items,
            kudos_given,
            teams: &teams,
        },
    );
    let (viewer_id, via) = match &viewer {
        Viewer::Person { user, .. } => (user.as_str(), "slack"),
        Viewer::ApiToken => ("api", "api"),
        Viewer::Operator => ("operator", "cli"),
    };
    let view = (viewer_id != subject).then(|| SummaryView {
        team_id: team.to_owned(),
        subject: subject.to_owned(),
        viewer: viewer_id.to_owned(),
        what: what.as_str().to_owned(),
        via: via.to_owned(),
        viewed_at: now,
    });
    let views = if viewer_id == subject {
        store
            .views_of(
                team,
                subject,
                now - chrono::Duration::days(VIEWS_SHOWN_DAYS),
            )
            .await?
    } else {
        Vec::new()
    };
    let report = Summary {
        team: team.to_owned(),
        period,
        access,
        chain,
        growth: summary,
        names,
        views,
    };
    Ok((report, view))
}

/// [`one`] with the services' store, framework and clock.
pub async fn of(s: &super::Services, ask: Ask<'_>) -> Result<Summary, SummaryError> {
    one(s.store.as_ref(), &s.framework, ask, s.clock.now()).await
}
