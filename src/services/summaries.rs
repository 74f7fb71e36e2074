//! A person's summary for a viewer: who may see it, the items they may see, the figures, and
//! the record that they looked. Slack, the JSON API and `cairn export` all come through here,
//! so the visibility rules and the audit are applied once.

use crate::domain::framework::Framework;
use crate::domain::growth::{self, Access, Evidence, Refused, Viewer};
use crate::domain::period::Period;
use crate::domain::summary::{Summary, SummaryView, QUIET_AFTER};
use crate::domain::{lens, trajectory};
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
    /// A line in a manager's team view.
    Team,
    /// A person's packet on the review pages.
    WebPacket,
    /// A line of a manager's team on the review pages.
    WebTeam,
}

impl What {
    fn as_str(self) -> &'static str {
        match self {
            What::Summary => "summary",
            What::Packet => "packet",
            What::Evidence => "evidence",
            What::Team | What::WebTeam => "team",
            What::WebPacket => "packet",
        }
    }

    /// Where the look happened, for a person (the token and the CLI say so themselves).
    fn via(self) -> &'static str {
        match self {
            What::WebPacket | What::WebTeam => "web",
            _ => "slack",
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
    // One read serves the period and the quarters before it that the trajectory shows; the
    // list of items (`/evidence`) needs neither the quarters nor the lens.
    let insight = what != What::Evidence;
    let since = if insight {
        trajectory::start(period)
            .and_time(chrono::NaiveTime::MIN)
            .and_utc()
    } else {
        period.start()
    };
    let mut all_items = store
        .items_about(team, subject, since, period.end())
        .await?;
    // Private items are left out of others' views entirely, counts and lens included.
    all_items.retain(|i| access.sees(i.visibility));
    let items: Vec<_> = all_items
        .iter()
        .filter(|i| period.contains(i.occurred_at))
        .cloned()
        .collect();
    let kudos_given = store
        .kudos_given_count(
            team,
            subject,
            period.start(),
            period.end(),
            access == Access::Own,
        )
        .await?;
    let (viewer_id, via) = match &viewer {
        Viewer::Person { user, .. } => (user.as_str(), what.via()),
        Viewer::ApiToken => ("api", "api"),
        Viewer::Operator => ("operator", "cli"),
    };
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
    let mut named: Vec<String> = vec![subject.to_owned()];
    // The person sees who looked by name.
    named.extend(views.iter().map(|v| v.viewer.clone()));
    for item in &all_items {
        named.push(item.author.clone());
        named.extend(item.people.iter().cloned());
    }
    named.retain(|u| !u.is_empty());
    named.sort();
    named.dedup();
    let known = store.org_people(team, &named).await?;
    let teams: HashMap<String, String> = known
        .iter()
        .filter_map(|(u, p)| p.placement().team_key().map(|t| (u.clone(), t)))
        .collect();
    let mut names: HashMap<String, String> = known
        .iter()
        .filter_map(|(u, p)| p.name.clone().map(|n| (u.clone(), n)))
        .collect();
    // A Slack Connect giver's profile is their own organisation's: named from there.
    let unnamed: Vec<String> = named
        .iter()
        .filter(|u| !names.contains_key(*u))
        .cloned()
        .collect();
    if !unnamed.is_empty() {
        names.extend(store.names_anywhere(&unnamed).await?);
    }
    let rung = if insight {
        let history = store
            .level_histories(team, std::slice::from_ref(&subject.to_owned()))
            .await?;
        lens::rung_at(
            history.get(subject).map_or(&[][..], Vec::as_slice),
            period.end(),
        )
    } else {
        lens::Rung::default()
    };
    let trajectory = if insight {
        trajectory::trajectory(framework, subject, &all_items, &teams, period)
    } else {
        Vec::new()
    };
    let summary = growth::summarize(
        framework,
        Evidence {
            subject,
            items,
            kudos_given,
            teams: &teams,
        },
    );
    let view = (viewer_id != subject).then(|| SummaryView {
        team_id: team.to_owned(),
        subject: subject.to_owned(),
        viewer: viewer_id.to_owned(),
        what: what.as_str().to_owned(),
        via: via.to_owned(),
        viewed_at: now,
    });
    let name = names
        .get(subject)
        .cloned()
        .unwrap_or_else(|| format!("<@{subject}>"));
    let lens = if insight {
        let helped = helped_reach(subject, &summary.items, &known);
        lens::lens(framework, &rung, &summary.items, &helped, &name)
    } else {
        lens::Lens::default()
    };
    let until = period.end().min(now);
    let recognised = all_items
        .iter()
        .filter(|i| i.source == growth::Source::Kudos && i.author != subject)
        .map(|i| i.occurred_at)
        .filter(|at| *at <= until)
        .max();
    let report = Summary {
        team: team.to_owned(),
        period,
        access,
        chain,
        growth: summary,
        names,
        views,
        lens,
        trajectory,
        latest_evidence: all_items.iter().map(|i| i.occurred_at).max(),
        quiet: recognised.is_none_or(|at| at < until - QUIET_AFTER),
    };
    Ok((report, view))
}

/// How far the help of each item the subject logged reached, by the org chart's place of the
/// people it names (kudos carry their own sphere).
fn helped_reach(
    subject: &str,
    items: &[growth::Item],
    known: &HashMap<String, crate::store::OrgPerson>,
) -> HashMap<String, growth::Sphere> {
    let place = |user: &str| known.get(user).map(crate::store::OrgPerson::placement);
    let me = place(subject);
    items
        .iter()
        .filter(|i| i.source != growth::Source::Kudos && !i.people.is_empty())
        .map(|i| {
            let helped: Vec<_> = i.people.iter().map(|p| place(p)).collect();
            let helped: Vec<_> = helped.iter().map(Option::as_ref).collect();
            (i.id.clone(), lens::helped_reach(me.as_ref(), &helped))
        })
        .collect()
}

/// [`one`] with the services' store, framework and clock.
pub async fn of(s: &super::Services, ask: Ask<'_>) -> Result<Summary, SummaryError> {
    one(s.store.as_ref(), &s.framework, ask, s.clock.now()).await
}
