//! `POST /slack/events`: the URL check, and event callbacks recorded by `event_id` so a retried
//! delivery changes nothing. Event types Cairn does not use yet are acknowledged and ignored.

use super::SlackRequest;
use crate::http::AppState;
use crate::services::prompts::replies::{self, DirectMessage};
use crate::services::reactions::{self, Reaction};
use crate::services::{events, Services};
use crate::slack::client::SlackUser;
use crate::slack::payloads::{EventEnvelope, InnerEvent};
use crate::store::{SlackEvent, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

pub async fn handle(State(state): State<AppState>, request: SlackRequest) -> Response {
    let envelope: EventEnvelope = match serde_json::from_slice(&request.body) {
        Ok(e) => e,
        Err(e) => {
            return (
                StatusCode::BAD_REQUEST,
                format!("not an Events API payload: {e}"),
            )
                .into_response()
        }
    };
    match envelope.kind.as_str() {
        "url_verification" => {
            Json(json!({ "challenge": envelope.challenge.unwrap_or_default() })).into_response()
        }
        "event_callback" => callback(&state.services, &request, envelope).await,
        "app_rate_limited" => {
            tracing::warn!(
                team = envelope.team_id.as_deref().unwrap_or("?"),
                "Slack is rate-limiting event deliveries to Cairn"
            );
            StatusCode::OK.into_response()
        }
        other => {
            tracing::debug!(kind = other, "ignored an unknown envelope type");
            StatusCode::OK.into_response()
        }
    }
}

/// Acts on the event types Cairn uses; the others were recorded and are otherwise ignored.
/// An error means something the event should have recorded was not: Slack's retry must redo it.
async fn dispatch(
    s: &Services,
    team_id: &str,
    org_wide: Option<&str>,
    event: &InnerEvent,
) -> Result<(), StoreError> {
    let revoked_bot = event.tokens.as_ref().is_some_and(|t| !t.bot.is_empty());
    if event.kind == "app_uninstalled" || (event.kind == "tokens_revoked" && revoked_bot) {
        s.workspaces.lost(team_id, org_wide, &event.kind).await?;
    }
    if let Some(enterprise) = org_wide {
        match event.kind.as_str() {
            "team_access_granted" => s.workspaces.granted(enterprise, &event.team_ids).await,
            "team_access_revoked" => s.workspaces.revoked(enterprise, &event.team_ids).await,
            _ => {}
        }
    }
    let user = event.user.as_ref().and_then(|u| u.as_str());
    match event.kind.as_str() {
        "app_home_opened" if event.tab.as_deref() == Some("home") => {
            if let Some(user) = user {
                s.people.note(team_id, user).await;
                crate::services::home::publish(s, team_id, user).await?;
            }
        }
        "reaction_added" => {
            if let Some(reaction) = reaction(event) {
                reactions::added(s, team_id, reaction).await?;
            }
        }
        "reaction_removed" => {
            if let Some(reaction) = reaction(event) {
                reactions::removed(s, team_id, reaction).await?;
            }
        }
        "message" => {
            let plain = event.channel_type.as_deref() == Some("im")
                && event.subtype.is_none()
                && event.bot_id.is_none();
            if let (true, Some(user)) = (plain, user) {
                s.people.note(team_id, user).await;
                let dm = DirectMessage {
                    user,
                    text: event.text.as_deref().unwrap_or_default(),
                    channel: event.channel.as_deref(),
                    ts: event.ts.as_deref(),
                };
                replies::message(s, team_id, dm).await?;
            }
        }
        "user_change" => match event.user.clone().map(serde_json::from_value::<SlackUser>) {
            Some(Ok(profile)) => {
                s.people.remember(team_id, &profile).await;
            }
            _ => tracing::warn!("user_change without a readable user"),
        },
        _ => {}
    }
    Ok(())
}

/// A reaction to a message, as `reaction_added` and `reaction_removed` describe it.
fn reaction(event: &InnerEvent) -> Option<Reaction<'_>> {
    let item = event.item.as_ref().filter(|i| i.kind == "message")?;
    Some(Reaction {
        emoji: event.reaction.as_deref()?,
        user: event.user.as_ref()?.as_str()?,
        author: event.item_user.as_deref()?,
        channel: &item.channel,
        ts: &item.ts,
    })
}

async fn callback(s: &Services, request: &SlackRequest, envelope: EventEnvelope) -> Response {
    let org_wide = envelope.org_wide_install().map(str::to_owned);
    // Events about an org-wide install as a whole may name no workspace.
    let team_id = envelope
        .team_id
        .clone()
        .filter(|t| !t.is_empty())
        .or_else(|| org_wide.clone());
    if let Some(team) = &team_id {
        s.workspaces
            .note(team, envelope.enterprise_id.as_deref())
            .await;
    }
    let (Some(event_id), Some(team_id)) = (envelope.event_id, team_id) else {
        return (
            StatusCode::BAD_REQUEST,
            "event_callback without event_id or team_id",
        )
            .into_response();
    };
    let event = envelope.event.unwrap_or_default();
    let record = SlackEvent {
        event_id,
        team_id,
        event_type: event.kind.clone(),
        received_at: s.clock.now(),
    };
    let duplicate = || {
        let retry = request
            .headers
            .get("x-slack-retry-num")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-");
        tracing::debug!(event_id = %record.event_id, retry, "duplicate event ignored");
        StatusCode::OK.into_response()
    };
    // Slack retries on errors, which is what we want while the database is away.
    let unavailable = |what: &str, e: StoreError| {
        tracing::error!(error = %e, event_type = %record.event_type, "{what}; Slack will retry the event");
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    };
    match events::already_done(s, &record.event_id).await {
        Ok(true) => return duplicate(),
        Ok(false) => {}
        Err(e) => return unavailable("could not tell whether an event was acted on", e),
    }
    if let Err(e) = dispatch(s, &record.team_id, org_wide.as_deref(), &event).await {
        return unavailable("could not act on an event", e);
    }
    match events::done(s, &record).await {
        Ok(()) => {
            tracing::debug!(event_id = %record.event_id, event_type = %record.event_type, "event acted on");
            StatusCode::OK.into_response()
        }
        // Its effect is kept; the retry finds it so and changes nothing.
        Err(e) => unavailable("acted on an event but could not record its id", e),
    }
}
