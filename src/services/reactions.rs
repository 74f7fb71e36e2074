//! Reaction kudos: a configured emoji (`CAIRN_KUDOS_EMOJI`, default `:cairn:` and `:kudos:`) on
//! someone's message records a kudos from the reactor to the message's author. A competency
//! whose emoji is that reaction tags it; otherwise the giver gets a DM with a button per
//! competency. Removing the reaction within 10 minutes withdraws the kudos. Reactions on one's
//! own messages and on apps' messages are ignored.

use super::Services;
use crate::domain::ids::{ChannelId, TeamId, UserId};
use crate::slack::messages::KudosView;
use crate::store::{Delivery, NewKudos, StoreError, Visibility};
use std::time::Duration;

pub use crate::slack::messages::reactions::TAG_ACTION;
/// How long a removed reaction still withdraws its kudos.
const WITHDRAW_WINDOW_MINUTES: i64 = 10;
const LOOKUP_BUDGET: Duration = Duration::from_millis(700);

/// A reaction someone added to (or removed from) a message, as Slack's event describes it.
#[derive(Debug, Clone, Copy)]
pub struct Reaction<'a> {
    pub emoji: &'a str,
    /// Who reacted.
    pub user: &'a str,
    /// Who wrote the message.
    pub author: &'a str,
    pub channel: &'a str,
    pub ts: &'a str,
}

/// (giver, author, channel, ts, emoji) of a kudos reaction, or `None` for any other reaction.
fn kudos_reaction(
    s: &Services,
    reaction: Reaction<'_>,
) -> Option<(UserId, UserId, String, String, String)> {
    let emoji = reaction.emoji;
    if !s.rules.kudos_emoji.iter().any(|e| e == emoji) {
        return None;
    }
    let giver = UserId::parse(reaction.user).ok()?;
    let author = UserId::parse(reaction.author).ok()?;
    (giver != author).then(|| {
        (
            giver,
            author,
            reaction.channel.to_owned(),
            reaction.ts.to_owned(),
            emoji.to_owned(),
        )
    })
}

fn source_key(channel: &str, ts: &str, giver: &UserId) -> String {
    format!("reaction:{channel}:{ts}:{giver}")
}

pub async fn added(s: &Services, team: &str, reaction: Reaction<'_>) -> Result<(), StoreError> {
    let Some((giver, author, channel, ts, emoji)) = kudos_reaction(s, reaction) else {
        return Ok(());
    };
    let Ok(team_id) = TeamId::parse(team) else {
        return Ok(());
    };
    let known = s
        .people
        .lookup(
            team,
            &[author.to_string(), giver.to_string()],
            LOOKUP_BUDGET,
        )
        .await;
    let giver_external = super::giving::is_external(s, team, known.get(giver.as_str())).await;
    if known
        .get(author.as_str())
        .is_some_and(|p| p.is_bot || p.deleted)
    {
        tracing::info!("a kudos reaction on an app's or a former member's message; ignored");
        return Ok(());
    }
    let f = &s.framework;
    let tagged: Vec<String> = f
        .competencies
        .iter()
        .filter(|c| !c.deprecated && c.emoji.as_deref() == Some(&format!(":{emoji}:")))
        .map(|c| c.id.clone())
        .collect();
    let permalink = match s.workspaces.slack_for(team).await {
        Some((slack, token)) => tokio::time::timeout(
            LOOKUP_BUDGET,
            slack.chat_get_permalink(&token, &channel, &ts),
        )
        .await
        .ok()
        .and_then(Result::ok),
        None => None,
    };
    let text = match &permalink {
        Some(link) => format!("reacted :{emoji}: to <{link}|this message>"),
        None => format!("reacted :{emoji}: to a message in <#{channel}>"),
    };
    let recipients = [author.to_string()];
    let labels: Vec<(Option<String>, String)> = tagged
        .iter()
        .filter_map(|id| f.competency(id))
        .map(|c| (c.emoji.clone(), c.name.clone()))
        .collect();
    let view = KudosView {
        giver: giver.as_str(),
        recipients: &recipients,
        message: &text,
        labels: &labels,
        channel: Some(channel.as_str()).filter(|c| c.starts_with('C')),
    };
    let dm = view.direct_message();
    let key = source_key(&channel, &ts, &giver);
    let mut deliveries = vec![Delivery {
        slot: None,
        action: Default::default(),
        key: format!("dm:{author}"),
        channel: author.to_string(),
        text: dm.text,
        blocks: serde_json::to_value(&dm.blocks).unwrap_or_default(),
    }];
    if tagged.is_empty() {
        deliveries.push(ask_for_tag(s, &key, &author, &emoji, &giver));
    }
    let spheres = super::giving::spheres(s, team, &giver, giver_external, &recipients).await;
    let now = s.clock.now();
    let due_now = s.outbox.pace(team, &mut deliveries, now);
    let kudos = NewKudos {
        spheres,
        team_id,
        team_domain: None,
        giver,
        recipients: vec![author],
        competencies: tagged,
        multiplier_kinds: Vec::new(),
        text,
        channel_id: ChannelId::parse(&channel).ok(),
        visibility: Visibility::Public,
        framework_id: f.id().to_owned(),
        framework_version: f.version().to_owned(),
        created_at: now,
        deliveries,
    };
    match s.store.record_kudos_once(kudos, &key, permalink).await {
        Ok(Some(id)) => {
            crate::metrics::inc("cairn_kudos_recorded_total", &[]);
            tracing::info!(kudos_id = id, "kudos recorded from a reaction");
            if due_now {
                s.outbox.wake();
            }
        }
        Ok(None) => tracing::debug!("that reaction's kudos was recorded already"),
        Err(e) => return Err(e),
    }
    Ok(())
}

/// The DM asking the giver what their reaction was for.
fn ask_for_tag(s: &Services, key: &str, author: &UserId, emoji: &str, giver: &UserId) -> Delivery {
    let message =
        crate::slack::messages::reactions::tag_question(&s.framework, key, author.as_str(), emoji);
    Delivery {
        slot: None,
        action: Default::default(),
        key: format!("ask:{giver}"),
        channel: giver.to_string(),
        text: message["text"].as_str().unwrap_or_default().to_owned(),
        blocks: message["blocks"].clone(),
    }
}

pub async fn removed(s: &Services, team: &str, reaction: Reaction<'_>) -> Result<(), StoreError> {
    let Some((giver, _, channel, ts, _)) = kudos_reaction(s, reaction) else {
        return Ok(());
    };
    let since = s.clock.now() - chrono::Duration::minutes(WITHDRAW_WINDOW_MINUTES);
    let key = source_key(&channel, &ts, &giver);
    match s
        .store
        .withdraw_kudos(team, &key, giver.as_str(), since)
        .await
    {
        Ok(true) => tracing::info!("a reaction kudos was withdrawn"),
        Ok(false) => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

/// The giver picked what their reaction kudos was for. Returns the competency's name when the
/// kudos is now tagged with it.
pub async fn tag(s: &Services, team: &str, giver: &str, value: &str) -> Option<String> {
    let (key, competency) = value.rsplit_once(' ')?;
    let name = s.framework.competency(competency)?.name.clone();
    match s.store.tag_kudos(team, key, giver, competency).await {
        Ok(true) => {
            tracing::info!("a reaction kudos was tagged");
            Some(name)
        }
        Ok(false) => {
            tracing::info!("no reaction kudos to tag (withdrawn, or not theirs)");
            None
        }
        Err(e) => {
            tracing::error!(error = %e, "could not tag a reaction kudos");
            None
        }
    }
}

/// Replaces the question's buttons with the answer, through the outbox. The kudos is tagged
/// already; if Slack is away the update waits, and pressing a button again is harmless.
pub async fn answer_tag_question(s: &Services, team: &str, channel: &str, ts: &str, name: &str) {
    let message = crate::slack::messages::reactions::tag_answered(name);
    let text = message["text"].as_str().unwrap_or_default().to_owned();
    let update = Delivery::update(channel, ts, text, message["blocks"].clone());
    if let Err(e) = s
        .outbox
        .send(s.store.as_ref(), team, &[update], s.clock.now())
        .await
    {
        tracing::warn!(error = %e, "could not update the question about a reaction kudos");
    }
}
