//! `POST /slack/events`: the URL check, and event callbacks recorded by `event_id` so a retried
//! delivery changes nothing. Event types Cairn does not use yet are acknowledged and ignored.

use super::verified::SlackRequest;
use super::AppState;
use crate::slack::client::SlackUser;
use crate::slack::payloads::{EventEnvelope, InnerEvent};
use crate::store::SlackEvent;
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
        "event_callback" => callback(&state, &request, envelope).await,
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
    state: &AppState,
    team_id: &str,
    org_wide: Option<&str>,
    event: &InnerEvent,
) -> Result<(), crate::store::StoreError> {
    let revoked_bot = event.tokens.as_ref().is_some_and(|t| !t.bot.is_empty());
    if event.kind == "app_uninstalled" || (event.kind == "tokens_revoked" && revoked_bot) {
        match org_wide {
            // An org-wide install ended: each workspace of the organisation that spoke with its
            // token (none of its own) lost it.
            Some(enterprise) => {
                for team in state.store.enterprise_workspaces(enterprise).await? {
                    if state.store.installation(&team).await?.is_none() {
                        park(state, &team, &event.kind).await;
                    }
                }
                uninstall(state, enterprise).await;
            }
            None => {
                park(state, team_id, &event.kind).await;
                uninstall(state, team_id).await;
            }
        }
    }
    if let Some(enterprise) = org_wide {
        match event.kind.as_str() {
            "team_access_granted" => state.tokens.granted(enterprise, &event.team_ids).await,
            "team_access_revoked" => state.tokens.revoked(enterprise, &event.team_ids).await,
            _ => {}
        }
    }
    if event.kind == "app_home_opened" && event.tab.as_deref() == Some("home") {
        if let Some(user) = event.user.as_ref().and_then(|u| u.as_str()) {
            // After the answer: Slack wants the event acknowledged within 3 s.
            let (state, team, user) = (state.clone(), team_id.to_owned(), user.to_owned());
            tokio::spawn(async move { super::home::publish(&state, &team, &user).await });
        }
    }
    match event.kind.as_str() {
        "reaction_added" => super::reactions::added(state, team_id, event).await?,
        "reaction_removed" => super::reactions::removed(state, team_id, event).await?,
        "message" => super::replies::message(state, team_id, event).await?,
        _ => {}
    }
    if event.kind == "user_change" {
        let profile = event.user.clone().map(serde_json::from_value::<SlackUser>);
        match profile {
            Some(Ok(profile)) => {
                state.people.remember(team_id, &profile).await;
            }
            _ => tracing::warn!("user_change without a readable user"),
        }
    }
    Ok(())
}

/// Parks a workspace's pending messages: Cairn can no longer speak there.
async fn park(state: &AppState, team: &str, why: &str) {
    let reason = format!(
        "workspace stopped delivery ({why}); retry with `cairn outbox retry --all-dead` once reinstalled"
    );
    match state.store.park_workspace(team, &reason).await {
        Ok(n) => {
            tracing::warn!(
                team,
                parked = n,
                event = why,
                "Cairn lost access to a workspace; its pending messages are parked"
            )
        }
        Err(e) => tracing::error!(error = %e, "could not park a workspace's messages"),
    }
}

/// Drops a workspace's or an organisation's stored bot token (an OAuth install): it is dead,
/// so nothing tries it again.
async fn uninstall(state: &AppState, key: &str) {
    state.tokens.forget(key);
    match state.store.delete_installation(key).await {
        Ok(true) => tracing::warn!(installation = key, "the installation was removed"),
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, "could not remove an installation"),
    }
}

async fn callback(state: &AppState, request: &SlackRequest, envelope: EventEnvelope) -> Response {
    let org_wide = envelope.org_wide_install().map(str::to_owned);
    // Events about an org-wide install as a whole may name no workspace.
    let team_id = envelope
        .team_id
        .clone()
        .filter(|t| !t.is_empty())
        .or_else(|| org_wide.clone());
    if let Some(team) = &team_id {
        state
            .tokens
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
        received_at: state.clock.now(),
    };
    match state.store.record_event(&record).await {
        Ok(true) => {
            tracing::debug!(event_id = %record.event_id, event_type = %record.event_type, "event recorded");
            match dispatch(state, &record.team_id, org_wide.as_deref(), &event).await {
                Ok(()) => StatusCode::OK.into_response(),
                Err(e) => {
                    tracing::error!(error = %e, event_type = %record.event_type, "could not act on an event; Slack will retry it");
                    if let Err(e) = state.store.unrecord_event(&record.event_id).await {
                        tracing::error!(error = %e, "could not un-record the event either");
                    }
                    (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
                }
            }
        }
        Ok(false) => {
            let retry = request
                .headers
                .get("x-slack-retry-num")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::debug!(event_id = %record.event_id, retry, "duplicate event ignored");
            StatusCode::OK.into_response()
        }
        // Slack retries on errors, which is what we want while the database is away.
        Err(e) => {
            tracing::error!(error = %e, "could not record an event");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}
