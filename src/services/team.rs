//! A manager's team view (`/growth team`, `GET /api/v1/managers/{user}/team`, the pre-review
//! digest): each direct report's summary for the viewer, alphabetical by name, every look
//! recorded as for a summary. Only the manager, their own managers and admins may see it.

use crate::domain::framework::Framework;
use crate::domain::growth::{self, TeamRefused, Viewer};
use crate::domain::period::Period;
use crate::domain::summary::Summary;
use crate::services::summaries::{self, AskMany, What};
use crate::store::{Store, StoreError};
use chrono::{DateTime, Utc};

pub struct TeamView {
    pub manager: String,
    pub period: Period,
    /// Alphabetical by name (then id).
    pub reports: Vec<Summary>,
}

#[derive(Debug, thiserror::Error)]
pub enum TeamError {
    #[error(transparent)]
    Refused(#[from] TeamRefused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub struct Ask<'a> {
    pub team: &'a str,
    pub manager: &'a str,
    pub period: Period,
    pub viewer: Viewer,
    /// On the review pages rather than in Slack or the API.
    pub on_web: bool,
}

pub async fn view(
    store: &dyn Store,
    framework: &Framework,
    ask: Ask<'_>,
    now: DateTime<Utc>,
) -> Result<TeamView, TeamError> {
    let Ask {
        team,
        manager,
        period,
        viewer,
        on_web,
    } = ask;
    let chain = store.manager_chain(team, manager).await?;
    growth::team_access(&viewer, manager, &chain)?;
    let reports = store.reports_of(team, manager).await?;
    let ask = AskMany {
        team,
        subjects: &reports,
        period,
        viewer,
        what: if on_web { What::WebTeam } else { What::Team },
    };
    let mut reports: Vec<Summary> = summaries::many(store, framework, ask, now)
        .await?
        .into_iter()
        // Everyone under the manager is in the viewer's sight; a refusal would mean the chart
        // changed in between, and that report is left out.
        .filter_map(Result::ok)
        .collect();
    sort_by_name(&mut reports);
    Ok(TeamView {
        manager: manager.to_owned(),
        period,
        reports,
    })
}

/// Alphabetical by the name people see, ignoring case, then by id.
pub fn sort_by_name(reports: &mut [Summary]) {
    reports.sort_by_cached_key(|r| {
        let subject = &r.growth.subject;
        (r.name(subject).to_lowercase(), subject.clone())
    });
}

/// [`view`] with the services' store, framework and clock.
pub async fn of(s: &super::Services, ask: Ask<'_>) -> Result<TeamView, TeamError> {
    view(s.store.as_ref(), &s.framework, ask, s.clock.now()).await
}
