//! Giving kudos, whichever surface it came from (slash command, modal; reactions are in
//! `reactions.rs`): recipients are checked against Slack profiles, the kudos and one outbox row
//! per DM (and, when asked, the channel announcement) are committed together, and only then is
//! the giver answered. Also the kudos listing of the JSON API.

use super::Services;
use crate::domain::growth::{self, Sphere};
use crate::domain::ids::{ChannelId, TeamId, UserId};
use crate::domain::kudos::{self, KudosDraft, RecipientFacts, Rejected};
use crate::slack::messages::{KudosView, Message};
use crate::slack::modals::KudosModal;
use crate::slack::mrkdwn;
use crate::store::{Delivery, Kudos, KudosQuery, NewKudos, Page, StoreError, Visibility};
use serde_json::Value;
use std::time::Duration;

/// Slack gives up on an answer after 3 s. Checking recipients with Slack and recording the kudos
/// each get a share of that; past them we answer with what we know.
const LOOKUP_BUDGET: Duration = Duration::from_millis(600);
const RECORD_DEADLINE: Duration = Duration::from_millis(2000);
/// Looking up user groups' members gets this much of Slack's 3 s.
const GROUP_BUDGET: Duration = Duration::from_millis(700);

pub struct Giving {
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

pub enum Given {
    /// Recorded; the announcement, for a surface that shows it itself.
    Recorded(Message),
    /// Nothing recorded: what to fix.
    Refused(Rejected),
    TimedOut,
    Failed,
}

pub async fn give(s: &Services, giving: Giving) -> Given {
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
    let known = s
        .people
        .lookup(team.as_str(), &everyone, LOOKUP_BUDGET)
        .await;
    let giver_external = is_external(s, team.as_str(), known.get(giver.as_str())).await;
    let refused = kudos::check_recipients(&draft, |u| {
        known.get(u.as_str()).map(|p| RecipientFacts {
            is_bot: p.is_bot,
            deleted: p.deleted,
        })
    });
    if !refused.is_empty() {
        return Given::Refused(Rejected {
            problems: refused,
            valid_tags: Vec::new(),
        });
    }
    let labels = labels(s, &draft);
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
    let spheres = spheres(s, team.as_str(), &giver, giver_external, &recipients).await;
    let now = s.clock.now();
    let due_now = s.outbox.pace(team.as_str(), &mut deliveries, now);
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
        framework_id: s.framework.id().to_owned(),
        framework_version: s.framework.version().to_owned(),
        created_at: now,
        deliveries,
    };
    match tokio::time::timeout(RECORD_DEADLINE, s.store.record_kudos(new)).await {
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
            // DMs for busy channels wait for their slots; the worker wakes for them then.
            if due_now {
                s.outbox.wake();
            }
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
pub async fn is_external(s: &Services, team: &str, person: Option<&crate::store::Person>) -> bool {
    match person {
        Some(p) => !s.workspaces.same_organisation(&p.team_id, team).await,
        None => false,
    }
}

/// The sphere of a kudos for each receiver, from the org chart as it is now. A Slack Connect
/// giver (whose profile belongs to another workspace) is `external`.
pub async fn spheres(
    s: &Services,
    team: &str,
    giver: &UserId,
    giver_external: bool,
    recipients: &[String],
) -> Vec<Sphere> {
    let mut everyone = recipients.to_vec();
    everyone.push(giver.to_string());
    let placed = match s.placements.of(team, &everyone).await {
        Ok(placed) => placed,
        Err(e) => {
            tracing::warn!(error = %e, "could not read the org chart; spheres are unknown");
            Default::default()
        }
    };
    let giver = placed.get(giver.as_str());
    recipients
        .iter()
        .map(|r| {
            let receiver = placed.get(r);
            growth::kudos_sphere(giver, giver_external, receiver)
        })
        .collect()
}

pub(super) fn delivery(key: String, channel: String, message: &Message) -> Delivery {
    Delivery {
        slot: None,
        action: Default::default(),
        key,
        channel,
        text: message.text.clone(),
        blocks: serde_json::to_value(&message.blocks).unwrap_or(Value::Null),
    }
}

/// Display labels: each competency, then each multiplier kind, with its emoji when it has one.
fn labels(s: &Services, draft: &KudosDraft) -> Vec<(Option<String>, String)> {
    let f = &s.framework;
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

/// A `/kudos` as typed: where, by whom, and the text (mentions, tags and the message).
pub struct Typed<'a> {
    pub team: TeamId,
    pub team_domain: Option<String>,
    pub giver: UserId,
    pub channel: Option<ChannelId>,
    pub text: &'a str,
}

/// A typed `/kudos`: the text read, user groups expanded to their members, then given.
pub async fn typed(s: &Services, typed: Typed<'_>) -> Given {
    let Typed {
        team,
        team_domain,
        giver,
        channel,
        text,
    } = typed;
    let mut draft = match kudos::parse(&giver, text, &s.tags, s.kudos_rules()) {
        Ok(d) => d,
        Err(rejected) => {
            tracing::info!(problems = rejected.problems.len(), "kudos refused");
            return Given::Refused(rejected);
        }
    };
    if !draft.groups.is_empty() {
        let members = group_members(s, team.as_str(), &draft).await;
        let problems = kudos::add_group_members(&mut draft, &giver, &members);
        if !problems.is_empty() {
            return Given::Refused(Rejected {
                problems,
                valid_tags: Vec::new(),
            });
        }
    }
    let giving = Giving {
        team,
        team_domain,
        giver,
        draft,
        channel,
        visibility: Visibility::Public,
        announce_via_outbox: false,
    };
    give(s, giving).await
}

/// Who is in each user group the kudos mentions (`usergroups.users.list`, all at once, within
/// the budget Slack's 3 s leave); `None` for a group Slack could not tell us about in time.
async fn group_members(s: &Services, team: &str, draft: &KudosDraft) -> Vec<Option<Vec<UserId>>> {
    let Some((slack, token)) = s.workspaces.slack_for(team).await else {
        return vec![None; draft.groups.len()];
    };
    // Asked together, so the groups are looked up at the same time.
    let (slack, token) = (&slack, &token);
    let lookups = draft.groups.iter().map(|(id, _)| async move {
        let id = id.to_string();
        tokio::time::timeout(GROUP_BUDGET, slack.usergroups_users_list(token, team, &id)).await
    });
    let answers = futures_util::future::join_all(lookups).await;
    let mut members = Vec::with_capacity(answers.len());
    for answer in answers {
        members.push(match answer {
            Ok(Ok(users)) => Some(users.iter().filter_map(|u| UserId::parse(u).ok()).collect()),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not list a user group's members");
                None
            }
            _ => None,
        });
    }
    members
}

/// Opens the kudos modal; false if it could not be (no token, Slack slow or refusing).
pub async fn open_modal(s: &Services, team: &str, trigger_id: &str, modal: &KudosModal) -> bool {
    let view = crate::slack::modals::kudos_modal(&s.framework, modal);
    s.workspaces.open_view(team, trigger_id, view).await
}

/// A page of kudos given or received (the JSON API).
pub async fn list(s: &Services, query: &KudosQuery) -> Result<Page<Kudos>, StoreError> {
    s.store.list_kudos(query).await
}
