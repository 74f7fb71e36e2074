//! `/growth packet [@person] [PERIOD]`: the review packet as files in the requester's DM with
//! Cairn: Markdown grouped by competency then sphere, a CSV of the items and the JSON summary.
//! Uploads happen after Slack has its answer, and are retried while Slack is slow, failing or
//! rate-limiting.

use super::AppState;
use crate::domain::growth::Viewer;
use crate::domain::ids::UserId;
use crate::domain::period::Period;
use crate::report::{json, packet};
use crate::slack::client::{FileUpload, SlackError};
use crate::slack::digests::PACKET_ACTION;
use crate::slack::payloads::Interaction;
use crate::summaries::{self, Ask, Report, SummaryError, What};
use std::time::Duration;

const ATTEMPTS: u32 = 4;
/// Waits between attempts when Slack does not say how long (1 s, 4 s, 16 s).
const FIRST_WAIT: Duration = Duration::from_secs(1);

/// The files of a packet: (file name, title, bytes).
pub fn files(state: &AppState, report: &Report) -> Vec<(String, String, Vec<u8>)> {
    let f = &state.framework;
    let who = report.name(&report.summary.subject).to_owned();
    let stem = format!(
        "packet-{}-{}-{}",
        slug(&who),
        report.period.from,
        report.period.to
    );
    let mut files = vec![
        (
            format!("{stem}.md"),
            format!("Review packet: {who}"),
            packet::markdown(f, report).into_bytes(),
        ),
        (
            format!("{stem}.csv"),
            format!("Evidence of {who} (CSV)"),
            packet::csv(f, report).into_bytes(),
        ),
        (
            format!("{stem}.json"),
            format!("Summary of {who} (JSON)"),
            serde_json::to_vec_pretty(&json::summary(f, report)).unwrap_or_default(),
        ),
    ];
    match crate::report::chart::render(&crate::report::chart_data(f, report)) {
        Ok(png) => files.push((
            format!("{stem}.png"),
            format!("Sphere of influence of {who}"),
            png,
        )),
        Err(e) => tracing::error!(error = %e, "could not draw the packet's chart"),
    }
    files
}

fn slug(name: &str) -> String {
    let slug: String = name
        .chars()
        .flat_map(|c| {
            let keep = c.is_alphanumeric();
            c.to_lowercase().map(move |l| if keep { l } else { '-' })
        })
        .collect();
    slug.split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// Uploads the packet to `requester`'s DM with Cairn. Failures are logged: the requester was
/// told the packet is on its way and can ask again.
pub(super) async fn deliver(state: AppState, requester: String, report: Report) {
    let Some((slack, token)) = state.slack_for(&report.team).await else {
        tracing::warn!("no bot token for the workspace: the review packet cannot be uploaded");
        return;
    };
    let files = files(&state, &report);
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
        report.summary.subject,
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
                tell_it_failed(&state, &requester, &report).await;
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
async fn tell_it_failed(state: &AppState, requester: &str, report: &Report) {
    let now = state.clock.now();
    let text = format!(
        ":warning: I could not upload the review packet of <@{}> for {}: Slack kept refusing the files. Ask again with `/growth packet <@{}>` in a little while.",
        report.summary.subject,
        report.period.label(),
        report.summary.subject
    );
    let note = crate::store::Delivery {
        key: format!(
            "packet-failed:{requester}:{}:{}",
            report.summary.subject,
            now.timestamp_millis()
        ),
        channel: requester.to_owned(),
        blocks: serde_json::json!([{ "type": "section", "text": { "type": "mrkdwn", "text": text } }]),
        text,
    };
    match state.store.enqueue(&report.team, &[note], now).await {
        Ok(()) => state.outbox_wake.notify_one(),
        Err(e) => tracing::error!(error = %e, "could not tell the requester their packet failed"),
    }
}

/// The value of a digest's "Review packet" button: whose packet, over which period.
pub(super) fn digest_packet(interaction: &Interaction) -> Option<(String, Period)> {
    let value = interaction
        .actions
        .iter()
        .find(|a| a.action_id == PACKET_ACTION)?
        .value
        .as_deref()?;
    let mut parts = value.split('|');
    let subject = UserId::parse(parts.next()?).ok()?.to_string();
    let from = parts.next()?.parse().ok()?;
    let to = parts.next()?.parse().ok()?;
    Some((subject, Period { from, to }))
}

/// "Review packet" in a manager's digest: the packet follows in the DM, built for whoever
/// pressed (so the visibility rules and the audit apply to them), or they are told why not.
pub(super) fn press_digest_button(state: &AppState, interaction: &Interaction) {
    let Some((subject, period)) = digest_packet(interaction) else {
        return;
    };
    let state = state.clone();
    let team = interaction.team.id.clone();
    let user = interaction.user.id.clone();
    let channel = interaction.channel.as_ref().map(|c| c.id.clone());
    tokio::spawn(async move {
        let ask = Ask {
            team: &team,
            subject: &subject,
            period,
            viewer: Viewer::Person {
                admin: state.admins.contains(&user),
                user: user.clone(),
            },
            what: What::Packet,
        };
        let refusal = match summaries::report(
            state.store.as_ref(),
            &state.framework,
            ask,
            state.clock.now(),
        )
        .await
        {
            Ok(report) => return deliver(state, user, report).await,
            Err(SummaryError::Refused(r)) => format!("{r}"),
            Err(SummaryError::Store(e)) => {
                tracing::error!(error = %e, "could not build a packet from a digest");
                "I couldn't read the evidence just now (the database didn't answer). Press the button again in a minute.".to_owned()
            }
        };
        let blocks = serde_json::json!([
            { "type": "section", "text": { "type": "mrkdwn", "text": refusal } }
        ]);
        if let (Some((slack, token)), Some(channel)) = (state.slack_for(&team).await, channel) {
            if let Err(e) = slack
                .chat_post_ephemeral(&token, &channel, &user, &refusal, &blocks)
                .await
            {
                tracing::warn!(error = %e, "could not say why a packet was not sent");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_are_safe() {
        assert_eq!(super::slug("Ana  Lima-Ñúñez / ops"), "ana-lima-ñúñez-ops");
    }
}
