//! `/growth packet [@person] [PERIOD]`: the review packet as files in the requester's DM with
//! Cairn: Markdown grouped by competency then sphere, a CSV of the items, the JSON summary and
//! a chart. The files are rendered when asked for and go through the outbox, so a packet asked
//! for just before a restart or during a Slack outage still arrives, once.

use super::summaries::{self, Ask, SummaryError, What};
use super::Services;
use crate::domain::period::Period;
use crate::domain::summary::Summary;
use crate::store::{Action, Delivery, StoreError, UploadFile};
use base64::Engine;
use std::time::Duration;

/// How long a button press may spend building the packet before Slack's 3 s run out.
const BUILD_BUDGET: Duration = Duration::from_millis(2200);

/// Puts the packet for `requester` in the outbox, committed before the answer says it is coming.
pub async fn send(s: &Services, requester: &str, report: &Summary) -> Result<(), StoreError> {
    let upload = upload(s, requester, report);
    s.outbox
        .send(s.store.as_ref(), &report.team, &[upload], s.clock.now())
        .await
}

/// The packet's files, uploaded to the requester's DM with a comment saying what they are.
fn upload(s: &Services, requester: &str, report: &Summary) -> Delivery {
    let files = crate::report::files(&s.framework, report)
        .into_iter()
        .map(|(filename, title, bytes)| UploadFile {
            filename,
            title,
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
        .collect();
    let subject = &report.growth.subject;
    let comment = format!(
        "The review packet of <@{subject}> for {}: Markdown grouped by competency then sphere, the items as CSV, the summary as JSON, and a chart of the spread across sphere levels.",
        report.period.label()
    );
    Delivery {
        slot: None,
        // Each ask is its own packet: asking again later sends the newer one.
        key: format!(
            "packet:{requester}:{subject}:{}:{}:{}",
            report.period.from,
            report.period.to,
            s.clock.now().timestamp_millis()
        ),
        channel: requester.to_owned(),
        text: comment,
        blocks: serde_json::Value::Null,
        action: Action::Upload {
            files,
            ask_again: format!("/growth packet <@{subject}> {}", report.period),
        },
    }
}

/// "Review packet" in a manager's digest: built now for whoever pressed (so the visibility rules
/// and the audit apply to them) and sent through the outbox, or they are told why not.
pub async fn from_digest(s: &Services, pressed: Pressed, subject: String, period: Period) {
    let Pressed {
        team,
        user,
        channel,
    } = pressed;
    let ask = Ask {
        team: &team,
        subject: &subject,
        period,
        viewer: s.viewer(&user),
        what: What::Packet,
    };
    let built = tokio::time::timeout(BUILD_BUDGET, summaries::of(s, ask)).await;
    let refusal = match built {
        Ok(Ok(report)) => match send(s, &user, &report).await {
            Ok(()) => return,
            Err(e) => {
                tracing::error!(error = %e, "could not put a packet from a digest in the outbox");
                "The packet was not sent: the database didn't answer. Press the button again in a minute.".to_owned()
            }
        },
        Ok(Err(SummaryError::Refused(r))) => format!("{r}"),
        Ok(Err(SummaryError::Store(e))) => {
            tracing::error!(error = %e, "could not build a packet from a digest");
            "I couldn't read the evidence just now (the database didn't answer). Press the button again in a minute.".to_owned()
        }
        Err(_) => "Building that packet took longer than Slack lets me wait. Press the button again, or use `/growth packet` with a shorter period.".to_owned(),
    };
    let blocks = serde_json::json!([
        { "type": "section", "text": { "type": "mrkdwn", "text": refusal } }
    ]);
    let key = format!("packet-refused:{user}:{}", s.clock.now().timestamp_millis());
    let note = match &channel {
        Some(channel) => Delivery::ephemeral(key, channel, &user, refusal, blocks),
        None => Delivery::post(key, user.clone(), refusal, blocks),
    };
    if let Err(e) = s
        .outbox
        .send(s.store.as_ref(), &team, &[note], s.clock.now())
        .await
    {
        tracing::warn!(error = %e, "could not say why a packet was not sent");
    }
}

/// Who pressed a button, where.
pub struct Pressed {
    pub team: String,
    pub user: String,
    /// The conversation the button was in, for an answer only they see.
    pub channel: Option<String>,
}
