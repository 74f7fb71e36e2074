//! A person's own evidence: `/growth log`, the evidence modal (typed, a Slack message saved
//! with "Save as evidence", a reflection), and the items of the JSON API's `/evidence`.

use super::Services;
use crate::domain::evidence::{check_evidence, EvidenceField, EvidenceForm};
use crate::domain::growth::{self, Sphere};
use crate::domain::ids::{TeamId, UserId};
use crate::domain::kudos::{self, LogDraft};
use crate::domain::markup;
use crate::slack::modals::{self, EvidenceModal, KudosModal};
use crate::store::{NewEvidence, Source, Visibility};
use serde_json::json;
use std::time::Duration;

/// Saving evidence gets this much of Slack's 3 s.
const SAVE_DEADLINE: Duration = Duration::from_millis(2000);

/// What became of `/growth log`.
pub enum Logged {
    /// Kept, privately: what was read from the text, and the sphere the author declared.
    Saved {
        draft: LogDraft,
        sphere: Option<Sphere>,
    },
    /// Nothing kept: what to fix.
    Refused(String),
    /// The database did not answer.
    Failed,
    /// Saving took longer than Slack waits: it may or may not be kept.
    TimedOut,
}

/// `/growth log #tags what I did`: evidence of one's own work, private.
pub async fn log(s: &Services, team: TeamId, author: UserId, text: &str) -> Logged {
    let (text, sphere) = match growth::declared_in_text(&s.framework, text) {
        Ok((rest, sphere)) => (rest, sphere),
        Err(problem) => return Logged::Refused(problem),
    };
    let draft = match kudos::parse_log(&author, &text, &s.tags, s.kudos_rules()) {
        Ok(d) => d,
        Err(rejected) => return Logged::Refused(rejected.explain_for("that evidence")),
    };
    let now = s.clock.now();
    let evidence = NewEvidence {
        team_id: team,
        subject: author.clone(),
        author,
        source: Source::SelfLogged,
        text: draft.message.clone(),
        permalink: None,
        source_key: None,
        visibility: Visibility::Private,
        competencies: draft.competencies.clone(),
        multiplier_kinds: draft.multiplier_kinds.clone(),
        sphere: sphere.map(|s| s.as_str().to_owned()),
        people: draft.people.clone(),
        framework_id: s.framework.id().to_owned(),
        framework_version: s.framework.version().to_owned(),
        occurred_at: now,
        created_at: now,
        deliveries: Vec::new(),
    };
    match tokio::time::timeout(SAVE_DEADLINE, s.store.record_evidence(evidence)).await {
        Ok(Ok(id)) => {
            tracing::info!(evidence_id = id, "evidence logged");
            Logged::Saved { draft, sphere }
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not record evidence");
            Logged::Failed
        }
        Err(_) => Logged::TimedOut,
    }
}

/// What became of an evidence modal.
pub enum Saved {
    Saved,
    /// Nothing kept: each problem with the field to fix.
    Refused(Vec<(EvidenceField, String)>),
    Failed,
    TimedOut,
}

/// The evidence modal, submitted.
pub async fn save(
    s: &Services,
    team: TeamId,
    author: UserId,
    form: EvidenceForm,
    visibility: Visibility,
    source: Source,
) -> Saved {
    let now = s.clock.now();
    let draft = match check_evidence(&author, form, s.kudos_rules(), now.date_naive()) {
        Ok(d) => d,
        Err(problems) => return Saved::Refused(problems),
    };
    // Noon UTC of the day it happened: the date is what the person chose, not a time.
    let occurred_at = draft
        .occurred_on
        .and_hms_opt(12, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let evidence = NewEvidence {
        team_id: team,
        subject: author.clone(),
        author,
        source,
        text: draft.text,
        permalink: draft.link,
        source_key: None,
        visibility,
        competencies: draft.competencies,
        multiplier_kinds: draft.multiplier_kinds,
        sphere: draft.sphere,
        people: draft.people,
        framework_id: s.framework.id().to_owned(),
        framework_version: s.framework.version().to_owned(),
        occurred_at,
        created_at: now,
        deliveries: Vec::new(),
    };
    match tokio::time::timeout(SAVE_DEADLINE, s.store.record_evidence(evidence)).await {
        Ok(Ok(id)) => {
            tracing::info!(evidence_id = id, "evidence saved");
            Saved::Saved
        }
        Ok(Err(e)) => {
            tracing::error!(error = %e, "could not save evidence");
            Saved::Failed
        }
        Err(_) => Saved::TimedOut,
    }
}

/// Asking Slack for a message's permalink gets this much of the trigger's 3 s.
const PERMALINK_BUDGET: Duration = Duration::from_millis(700);

/// Opens the evidence modal, empty but for today's date (App Home's "Log evidence").
pub async fn open_modal(s: &Services, team: &str, trigger_id: &str) -> bool {
    let modal = EvidenceModal {
        date: s.clock.now().format("%Y-%m-%d").to_string(),
        metadata: json!({ "source": "self" }).to_string(),
        ..EvidenceModal::default()
    };
    let view = modals::evidence_modal(&s.framework, &modal);
    s.workspaces.open_view(team, trigger_id, view).await
}

/// A message someone chose "Save as evidence" on.
pub struct MessageToSave<'a> {
    pub team: &'a str,
    /// The workspace's Slack domain, for a permalink Slack is too slow to give.
    pub team_domain: &'a str,
    /// Who chose it.
    pub user: &'a str,
    /// Who wrote it (empty if Slack did not say).
    pub author: &'a str,
    pub channel: &'a str,
    pub ts: &'a str,
    /// Slack wire text.
    pub text: &'a str,
    pub trigger_id: &'a str,
}

/// "Save as evidence" on a message: one's own message opens the evidence modal with its text and
/// link; someone else's opens the kudos modal for its author instead.
pub async fn save_message(s: &Services, message: MessageToSave<'_>) {
    let MessageToSave {
        team,
        team_domain,
        user,
        author,
        channel,
        ts,
        text,
        trigger_id,
    } = message;
    if !author.is_empty() && author != user {
        let modal = KudosModal {
            recipients: vec![author.to_owned()],
            channel: Some(channel.to_owned()).filter(|c| c.starts_with('C') || c.starts_with('G')),
            metadata: json!({ "origin": "message" }).to_string(),
            ..KudosModal::default()
        };
        super::giving::open_modal(s, team, trigger_id, &modal).await;
        return;
    }
    let link = permalink(s, team, team_domain, channel, ts).await;
    let date = ts
        .split('.')
        .next()
        .and_then(|s| s.parse::<i64>().ok())
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .unwrap_or_else(|| s.clock.now())
        .date_naive();
    let modal = EvidenceModal {
        text: markup::to_plain(&markup::tokenize(text)),
        link,
        date: date.format("%Y-%m-%d").to_string(),
        metadata: json!({ "source": "message" }).to_string(),
        reflection: false,
        for_managers: false,
    };
    let view = modals::evidence_modal(&s.framework, &modal);
    s.workspaces.open_view(team, trigger_id, view).await;
}

/// The message's permalink from Slack, or, if Slack is slow, the documented form of one.
async fn permalink(
    s: &Services,
    team: &str,
    domain: &str,
    channel: &str,
    ts: &str,
) -> Option<String> {
    if channel.is_empty() || ts.is_empty() {
        return None;
    }
    if let Some((slack, token)) = s.workspaces.slack_for(team).await {
        if let Ok(Ok(link)) = tokio::time::timeout(
            PERMALINK_BUDGET,
            slack.chat_get_permalink(&token, channel, ts),
        )
        .await
        {
            return Some(link);
        }
    }
    (!domain.is_empty()).then(|| {
        format!(
            "https://{domain}.slack.com/archives/{channel}/p{}",
            ts.replace('.', "")
        )
    })
}
