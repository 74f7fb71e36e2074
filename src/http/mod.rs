//! axum handlers only: they parse, call the domain and the store, and answer.

mod api;
mod commands;
mod error;
mod events;
mod giving;
mod health;
mod home;
mod interactivity;
mod packets;
mod prompts;
mod reactions;
mod replies;
mod settings;
mod verified;

use crate::clock::SharedClock;
use crate::domain::framework::Framework;
use crate::domain::tags::TagIndex;
use crate::store::Store;
use axum::routing::{get, post};
use axum::Router;
use secrecy::SecretString;
use std::sync::Arc;
use tokio::sync::Notify;

pub use error::ApiError;

/// Everything a handler may use; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub people: crate::people::People,
    pub framework: Arc<Framework>,
    pub tags: Arc<TagIndex>,
    pub clock: SharedClock,
    pub signing_secret: SecretString,
    pub admin_token: Option<SecretString>,
    pub require_competency_tag: bool,
    /// Poked after a change enqueues messages, so the outbox worker sends them at once.
    pub outbox_wake: Arc<Notify>,
    /// For the calls that cannot wait for the outbox (opening a modal within the 3 s a
    /// trigger lives); `None` without a bot token.
    pub slack: Option<(crate::slack::client::SlackClient, SecretString)>,
    /// Reaction names that give kudos.
    pub kudos_emoji: Arc<Vec<String>>,
    /// Slack user ids with admin rights (`CAIRN_ADMINS`).
    pub admins: Arc<Vec<String>>,
    /// Workspace nudge settings: the default slot, quiet days.
    pub nudges: Arc<crate::nudges::NudgeSettings>,
}

/// Counts each request and its latency by route (the route's pattern, never the raw path).
async fn measure(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    crate::metrics::observe(
        "cairn_http_request_duration_seconds",
        &[("route", &route)],
        started.elapsed().as_secs_f64(),
    );
    crate::metrics::inc(
        "cairn_http_requests_total",
        &[("route", &route), ("status", &status)],
    );
    response
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/slack/commands", post(commands::handle))
        .route("/slack/events", post(events::handle))
        .route("/slack/interactivity", post(interactivity::handle))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .nest("/api/v1", api::router(state.clone()))
        .layer(axum::middleware::from_fn(measure))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
                })
                .on_request(())
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::DEBUG)),
        )
        .with_state(state)
}
