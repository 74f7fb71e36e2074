//! Recording a kudos, whichever surface it came from (slash command, modal): recipients are
//! checked against Slack profiles, the kudos and one outbox row per DM (and, when asked, the
//! channel announcement) are committed together, and only then is the giver answered.

use super::AppState;
use crate::domain::growth::{self, Sphere};
use crate::domain::ids::{ChannelId, TeamId, UserId};
use crate::domain::kudos::{self, KudosDraft, Problem, RecipientFacts};
use crate::slack::blocks::{KudosView, Message};
use crate::slack::mrkdwn;
use crate::store::{Delivery, NewKudos, Visibility};
use serde_json::Value;
use std::time::Duration;

/// Slack gives up on an answer after 3 s. Checking recipients with Slack and recording the kudos
/// each get a share of that; past them we answer with what we know.
const LOOKUP_BUDGET: Duration = Duration::from_millis(600);
const RECORD_DEADLINE: Duration = Duration::from_millis(2000);

pub(super) struct Giving {
    pub team: TeamId,
    pub team_domain: Option<String>,
    pub giver: UserId,
    pub draft: KudosDraft,
    /// Where the kudos was given, or where it is to be announced.
    pub channel: Option<ChannelId>,
    pub visibility: Visibility,
    /// Post the announcement into `channel` through the outbox (a modal has no channel to
    /// answer in; a slash command answers in its own).
    pub announce_via_outbox: bool,
}

pub(super) enum Given {
    /// Recorded; the announcement, for a surface that shows it itself.
    Recorded(Message),
    Refused(Vec<Problem>),
    TimedOut,
    Failed,
}

pub(super) async fn give(state: &AppState, giving: Giving) -> Given {
    let Giving {
        team,
        team_domain,
        giver,
        draft,
        channel,
        visibility,
        announce_via_outbox,
    } = giving;
    let recipients: Vec<String> = draft.recipients.iter().map(ToString::to_string).collect();
    let mut everyone = recipients.clone();
    everyone.push(giver.to_string());
    let known = state
        .people
        .lookup(team.as_str(), &everyone, LOOKUP_BUDGET)
        .await;
    let giver_external = is_external(state, team.as_str(), known.get(giver.as_str())).await;
    let refused = kudos::check_recipients(&draft, |u| {
        known.get(u.as_str()).map(|p| RecipientFacts {
            is_bot: p.is_bot,
            deleted: p.deleted,
        })
    });
    if !refused.is_empty() {
        return Given::Refused(refused);
    }
    let labels = labels(state, &draft);
    let view = KudosView {
        giver: giver.as_str(),
        recipients: &recipients,
        message: &draft.message,
        labels: &labels,
        channel: channel.as_ref().map(ChannelId::as_str),
    };
    let dm = view.direct_message();
    let mut deliveries: Vec<Delivery> = recipients
        .iter()
        .map(|r| delivery(format!("dm:{r}"), r.clone(), &dm))
        .collect();
    let announcement = draft.notes.iter().fold(view.announcement(), |m, note| {
        m.with_note(&mrkdwn::safe(note))
    });
    if let (true, Visibility::Public, Some(c)) = (announce_via_outbox, visibility, &channel) {
        deliveries.push(delivery("announce".into(), c.to_string(), &announcement));
    }
    let spheres = spheres(state, team.as_str(), &giver, giver_external, &recipients).await;
    let new = NewKudos {
        spheres,
        team_id: team,
        team_domain,
        giver,
        recipients: draft.recipients,
        competencies: draft.competencies,
        multiplier_kinds: draft.multiplier_kinds,
        text: draft.message,
        channel_id: channel,
        visibility,
        framework_id: state.framework.id().to_owned(),
        framework_version: state.framework.version().to_owned(),
        created_at: state.clock.now(),
        deliveries,
    };
    match tokio::time::timeout(RECORD_DEADLINE, state.store.record_kudos(new)).await {
        Err(_) => {
            tracing::error!("recording a kudos took too long to answer Slack in time");
            Given::TimedOut
        }
        Ok(Ok(id)) => {
            crate::metrics::inc("cairn_kudos_recorded_total", &[]);
            tracing::info!(
                kudos_id = id,
                recipients = recipients.len(),
                "kudos recorded"
            );
            state.outbox_wake.notify_one();
            Given::Recorded(announcement)
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not record a kudos");
            Given::Failed
        }
    }
}

/// Whether `person` (as Slack described them) is from another organisation than workspace
/// `team`: a Slack Connect guest, not a member of a sibling Enterprise Grid workspace.
pub(super) async fn is_external(
    state: &AppState,
    team: &str,
    person: Option<&crate::store::Person>,
) -> bool {
    match person {
        Some(p) => !state.tokens.same_organisation(&p.team_id, team).await,
        None => false,
    }
}

/// The sphere of a kudos for each receiver, from the org chart as it is now. A Slack Connect
/// giver (whose profile belongs to another workspace) is `external`.
pub(super) async fn spheres(
    state: &AppState,
    team: &str,
    giver: &UserId,
    giver_external: bool,
    recipients: &[String],
) -> Vec<Sphere> {
    let mut everyone = recipients.to_vec();
    everyone.push(giver.to_string());
    let placed = match state.store.org_people(team, &everyone).await {
        Ok(placed) => placed,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the org chart; spheres are unknown");
            Default::default()
        }
    };
    let giver = placed.get(giver.as_str()).map(|p| p.placement());
    recipients
        .iter()
        .map(|r| {
            let receiver = placed.get(r).map(|p| p.placement());
            growth::kudos_sphere(giver.as_ref(), giver_external, receiver.as_ref())
        })
        .collect()
}

fn delivery(key: String, channel: String, message: &Message) -> Delivery {
    Delivery {
        key,
        channel,
        text: message.text.clone(),
        blocks: serde_json::to_value(&message.blocks).unwrap_or(Value::Null),
    }
}

/// Display labels: each competency, then each multiplier kind, with its emoji when it has one.
fn labels(state: &AppState, draft: &KudosDraft) -> Vec<(Option<String>, String)> {
    let f = &state.framework;
    let competencies = draft
        .competencies
        .iter()
        .filter_map(|id| f.competency(id))
        .map(|c| (c.emoji.clone(), c.name.clone()));
    let kinds = draft
        .multiplier_kinds
        .iter()
        .filter_map(|id| f.multiplier_kind(id))
        .map(|m| (None, m.name.clone()));
    competencies.chain(kinds).collect()
}
