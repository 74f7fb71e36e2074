//! The App Home tab, published with `views.publish` when a person opens it. Built from a handful
//! of indexed reads of that person's own rows; they see everything about themselves.

use super::Services;
use crate::slack::home::{self, Home, HomeItem};
use crate::store::{Action, Delivery, KudosQuery, Role, StoreError, Visibility};

/// The spread shown covers this many days.
const DAYS: i64 = 90;
const ITEMS: i64 = 10;

/// Asks for `user`'s home tab to be published, through the outbox: rendered when it is
/// delivered, and coalesced, so a burst of openings publishes the newest view once.
pub async fn publish(s: &Services, team: &str, user: &str) -> Result<(), StoreError> {
    let home = Delivery {
        slot: None,
        key: format!("home:{user}"),
        channel: user.to_owned(),
        text: String::new(),
        blocks: serde_json::Value::Null,
        action: Action::Home,
    };
    s.outbox
        .send(s.store.as_ref(), team, &[home], s.clock.now())
        .await
}

/// `user`'s home tab as it is now.
pub async fn view(
    s: &Services,
    team: &str,
    user: &str,
) -> Result<serde_json::Value, crate::store::StoreError> {
    let since = s.clock.now() - chrono::Duration::days(DAYS);
    let query = |role| KudosQuery {
        team_id: team.to_owned(),
        user: Some(user.to_owned()),
        role: Some(role),
        from: None,
        to: None,
        limit: ITEMS,
        before_id: None,
        include_private: true,
    };
    let store = &s.store;
    let (received_query, given_query) = (query(Role::Received), query(Role::Given));
    let today = s.clock.now().date_naive();
    let ask = super::summaries::Ask {
        team,
        subject: user,
        period: crate::domain::period::Period::last_days(today, DAYS as u64),
        viewer: crate::domain::growth::Viewer::Person {
            user: user.to_owned(),
            admin: false,
        },
        what: super::summaries::What::Summary,
    };
    let growth = super::summaries::one(store.as_ref(), &s.framework, ask, s.clock.now());
    let (received, given, evidence, counts, growth) = tokio::try_join!(
        store.list_kudos(&received_query),
        store.list_kudos(&given_query),
        store.evidence_of(team, user, ITEMS),
        store.competency_counts(team, user, since),
        async {
            growth.await.map_err(|e| match e {
                super::summaries::SummaryError::Store(e) => e,
                // One's own summary is never refused.
                super::summaries::SummaryError::Refused(r) => {
                    crate::store::StoreError::Invalid(r.to_string())
                }
            })
        },
    )?;
    let f = &s.framework;
    let labels = |competencies: &[String], kinds: &[String]| -> Vec<String> {
        let c = competencies
            .iter()
            .map(|id| f.competency(id).map_or(id.clone(), |c| c.name.clone()));
        let m = kinds
            .iter()
            .map(|id| f.multiplier_kind(id).map_or(id.clone(), |m| m.name.clone()));
        c.chain(m).collect()
    };
    let kudos_items = |items: &[crate::store::Kudos], given: bool| -> Vec<HomeItem> {
        items
            .iter()
            .map(|k| HomeItem {
                date: k.created_at.format("%Y-%m-%d").to_string(),
                text: k.text.clone(),
                who: Some(if given {
                    k.recipients.join(">, <@")
                } else {
                    k.giver.clone()
                }),
                labels: labels(&k.competencies, &k.multiplier_kinds),
                private: k.visibility != Visibility::Public,
                link: k.permalink.clone(),
            })
            .collect()
    };
    let evidence_items: Vec<HomeItem> = evidence
        .iter()
        .map(|e| HomeItem {
            date: e.occurred_at.format("%Y-%m-%d").to_string(),
            text: e.text.clone(),
            who: None,
            labels: labels(&e.competencies, &e.multiplier_kinds),
            private: e.visibility != Visibility::Public,
            link: e.permalink.clone(),
        })
        .collect();
    let received = kudos_items(&received.items, false);
    let given = kudos_items(&given.items, true);
    Ok(home::home_view(&Home {
        framework: f,
        counts: &counts,
        days: DAYS,
        growth: Some(&growth.growth),
        received: &received,
        evidence: &evidence_items,
        given: &given,
    }))
}
