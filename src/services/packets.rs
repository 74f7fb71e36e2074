//! `/growth packet [@person] [PERIOD]`: the review packet as files in the requester's DM with
//! Cairn: Markdown grouped by competency then sphere, a CSV of the items and the JSON summary.
//! Uploads happen after Slack has its answer, and are retried while Slack is slow, failing or
//! rate-limiting.

use super::summaries::{self, Ask, SummaryError, What};
use super::Services;
use crate::domain::period::Period;
use crate::domain::summary::Summary;
use crate::slack::client::{FileUpload, SlackError};
use std::time::Duration;

const ATTEMPTS: u32 = 4;
/// Waits between attempts when Slack does not say how long (1 s, 4 s, 16 s).
const FIRST_WAIT: Duration = Duration::from_secs(1);

/// Uploads the packet to `requester`'s DM with Cairn. Failures are logged: the requester was
/// told the packet is on its way and can ask again.
/// Sends the packet to `requester` after the answer to their request.
pub fn send(s: &Services, requester: &str, report: Summary) {
    tokio::spawn(deliver(s.clone(), requester.to_owned(), report));
}

async fn deliver(s: Services, requester: String, report: Summary) {
    let Some((slack, token)) = s.workspaces.slack_for(&report.team).await else {
        tracing::warn!("no bot token for the workspace: the review packet cannot be uploaded");
        return;
    };
    let files = crate::report::files(&s.framework, &report);
    let uploads: Vec<FileUpload> = files
        .iter()
        .map(|(name, title, bytes)| FileUpload {
            filename: name,
            title,
            bytes,
        })
        .collect();
    let comment = format!(
        "The review packet of <@{}> for {}: Markdown grouped by competency then sphere, the items as CSV, the summary as JSON, and a chart of the spread across sphere levels.",
        report.growth.subject,
        report.period.label()
    );
    let mut wait = FIRST_WAIT;
    for attempt in 1..=ATTEMPTS {
        let sent = async {
            let channel = slack.conversations_open(&token, &requester).await?;
            slack
                .upload_files(&token, &channel, &comment, &uploads)
                .await
        }
        .await;
        match sent {
            Ok(_) => {
                crate::metrics::inc("cairn_packets_delivered_total", &[]);
                tracing::info!(files = uploads.len(), "review packet delivered");
                return;
            }
            Err(e) if e.is_permanent() || attempt == ATTEMPTS => {
                crate::metrics::inc("cairn_packets_failed_total", &[]);
                tracing::error!(error = %e, attempt, "could not deliver a review packet");
                tell_it_failed(&s, &requester, &report).await;
                return;
            }
            Err(SlackError::RateLimited { retry_after }) => {
                tokio::time::sleep(retry_after).await;
            }
            Err(e) => {
                tracing::warn!(error = %e, attempt, "uploading a review packet failed; retrying");
                tokio::time::sleep(wait).await;
                wait *= 4;
            }
        }
    }
}

/// Tells the requester, through the outbox (which outlasts a Slack outage), that the packet they
/// were promised did not come.
async fn tell_it_failed(s: &Services, requester: &str, report: &Summary) {
    let now = s.clock.now();
    let text = format!(
        ":warning: I could not upload the review packet of <@{}> for {}: Slack kept refusing the files. Ask again with `/growth packet <@{}>` in a little while.",
        report.growth.subject,
        report.period.label(),
        report.growth.subject
    );
    let note = crate::store::Delivery {
        key: format!(
            "packet-failed:{requester}:{}:{}",
            report.growth.subject,
            now.timestamp_millis()
        ),
        channel: requester.to_owned(),
        blocks: serde_json::json!([{ "type": "section", "text": { "type": "mrkdwn", "text": text } }]),
        text,
    };
    match s
        .outbox
        .send(s.store.as_ref(), &report.team, &[note], now)
        .await
    {
        Ok(()) => {}
        Err(e) => tracing::error!(error = %e, "could not tell the requester their packet failed"),
    }
}

/// "Review packet" in a manager's digest: the packet follows in the DM, built for whoever
/// pressed (so the visibility rules and the audit apply to them), or they are told why not.
pub fn from_digest(s: &Services, pressed: Pressed, subject: String, period: Period) {
    let s = s.clone();
    let Pressed {
        team,
        user,
        channel,
    } = pressed;
    tokio::spawn(async move {
        let ask = Ask {
            team: &team,
            subject: &subject,
            period,
            viewer: s.viewer(&user),
            what: What::Packet,
        };
        let refusal = match summaries::one(s.store.as_ref(), &s.framework, ask, s.clock.now()).await
        {
            Ok(report) => return deliver(s, user, report).await,
            Err(SummaryError::Refused(r)) => format!("{r}"),
            Err(SummaryError::Store(e)) => {
                tracing::error!(error = %e, "could not build a packet from a digest");
                "I couldn't read the evidence just now (the database didn't answer). Press the button again in a minute.".to_owned()
            }
        };
        let blocks = serde_json::json!([
            { "type": "section", "text": { "type": "mrkdwn", "text": refusal } }
        ]);
        if let (Some((slack, token)), Some(channel)) =
            (s.workspaces.slack_for(&team).await, channel)
        {
            if let Err(e) = slack
                .chat_post_ephemeral(&token, &channel, &user, &refusal, &blocks)
                .await
            {
                tracing::warn!(error = %e, "could not say why a packet was not sent");
            }
        }
    });
}

/// Who pressed a button, where.
pub struct Pressed {
    pub team: String,
    pub user: String,
    /// The conversation the button was in, for an answer only they see.
    pub channel: Option<String>,
}
