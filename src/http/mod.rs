//! axum handlers only: they parse, call the domain and the store, and answer.

mod api;
mod commands;
mod error;
mod events;
mod health;
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
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/slack/commands", post(commands::handle))
        .route("/slack/events", post(events::handle))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest("/api/v1", api::router(state.clone()))
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
