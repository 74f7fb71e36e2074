//! A plain reply to the bot in its DM, sent within three days of a prompt, is kept as a
//! reflection (private unless the person's settings share reflections with their managers) and
//! acknowledged with a reaction, so the person sees it was kept.

use crate::domain::ids::{TeamId, UserId};
use crate::domain::kudos::{self, KudosRules};
use crate::services::Services;
use crate::store::{Action, Delivery, NewEvidence, Source, StoreError, Visibility};
use chrono::Duration;

/// How long after a prompt a DM to the bot counts as the answer.
pub const REPLY_WINDOW: Duration = Duration::days(3);
/// The reaction that says "kept".
const KEPT: &str = "white_check_mark";

/// A plain message a person sent the bot in its DM (not an edit, not a bot's).
#[derive(Debug, Clone, Copy)]
pub struct DirectMessage<'a> {
    pub user: &'a str,
    pub text: &'a str,
    pub channel: Option<&'a str>,
    pub ts: Option<&'a str>,
}

/// Keeps a DM that answers a recent prompt as a reflection; anything else is left alone.
pub async fn message(s: &Services, team_id: &str, dm: DirectMessage<'_>) -> Result<(), StoreError> {
    let (user, text) = (dm.user, dm.text.trim());
    let (Ok(team), Ok(author)) = (TeamId::parse(team_id), UserId::parse(user)) else {
        return Ok(());
    };
    if text.is_empty() {
        return Ok(());
    }
    let now = s.clock.now();
    if s.store
        .last_prompt_since(team_id, user, now - REPLY_WINDOW)
        .await?
        .is_none()
    {
        return Ok(());
    }
    let visibility = match s.store.schedule(team_id, user).await? {
        Some(s) if s.reflections == Visibility::Manager => Visibility::Manager,
        _ => Visibility::Private,
    };
    // Tags and mentions in the reply count; a tag Cairn does not know never loses the reply.
    let rules = KudosRules {
        require_competency: false,
    };
    let (competencies, multiplier_kinds, people) =
        match kudos::parse_log(&author, text, &s.tags, rules) {
            Ok(d) => (d.competencies, d.multiplier_kinds, d.people),
            Err(_) => (Vec::new(), Vec::new(), Vec::new()),
        };
    let evidence = NewEvidence {
        team_id: team,
        subject: author.clone(),
        author,
        source: Source::Reflection,
        text: text.to_owned(),
        permalink: None,
        // Slack may deliver the same message event again: the reply is kept once.
        source_key: dm
            .ts
            .map(|ts| format!("reply:{}:{ts}", dm.channel.unwrap_or_default())),
        visibility,
        competencies,
        multiplier_kinds,
        sphere: None,
        people,
        framework_id: s.framework.id().to_owned(),
        framework_version: s.framework.version().to_owned(),
        occurred_at: now,
        created_at: now,
        deliveries: kept(dm).into_iter().collect(),
    };
    let id = s.store.record_evidence(evidence).await?;
    tracing::info!(
        evidence_id = id,
        "a reply to a prompt was kept as a reflection"
    );
    s.outbox.wake();
    Ok(())
}

/// The "kept" reaction on the reply, sent with the reflection it acknowledges.
fn kept(dm: DirectMessage<'_>) -> Option<Delivery> {
    let (channel, ts) = (dm.channel?, dm.ts?);
    Some(Delivery {
        slot: None,
        key: format!("kept:{ts}"),
        channel: channel.to_owned(),
        text: String::new(),
        blocks: serde_json::Value::Null,
        action: Action::React {
            ts: ts.to_owned(),
            name: KEPT.to_owned(),
        },
    })
}
