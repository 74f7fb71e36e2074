//! axum handlers only: they parse what arrived, call a service, and answer. Slack's endpoints
//! (HTTP or Socket Mode) are in `slack/`; the JSON API, the review pages (`web/`), Add to Slack
//! and health beside them.

mod api;
mod error;
mod health;
mod oauth;
pub mod slack;
mod web;

use crate::services::Services;
use axum::routing::{get, post};
use axum::Router;
use secrecy::SecretString;
use std::sync::Arc;

pub use error::ApiError;

/// What the handlers share: the services, and what only the HTTP edge needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
    /// Checks every `/slack/*` request.
    pub signing_secret: SecretString,
    /// The JSON API's bearer token; without it the API answers 404.
    pub admin_token: Option<SecretString>,
    /// Add to Slack installs: the app's credentials and the public base URL (no trailing `/`).
    pub oauth: Option<crate::config::OAuth>,
    pub base_url: Option<String>,
    /// How often browsers may try to sign in to the review pages.
    pub web_limits: Arc<web::Limits>,
}

/// The value of the cookie `name` the browser sent, if any.
pub(crate) fn cookie(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
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

/// A request that takes longer than this is answered 408: Slack gives up after 3 s anyway, and
/// the slowest API answer (a packet with its chart) takes well under a second.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
/// The JSON API's largest body: an org chart import of tens of thousands of rows. Slack routes
/// read at most 1 MiB themselves (`verified.rs`).
const MAX_BODY: usize = 16 * 1024 * 1024;
const REQUEST_ID: &str = "x-request-id";

pub fn router(state: AppState) -> Router {
    use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
    let request_id = axum::http::HeaderName::from_static(REQUEST_ID);
    Router::new()
        .route("/slack/commands", post(slack::commands::handle))
        .route("/slack/events", post(slack::events::handle))
        .route("/slack/interactivity", post(slack::interactivity::handle))
        .route("/slack/install", get(oauth::install))
        .route("/slack/oauth/callback", get(oauth::callback))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .nest("/api/v1", api::router(state.clone()))
        .merge(web::router())
        .layer(axum::middleware::from_fn(measure))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    // The caller's id (a load balancer's), else the one made below.
                    let id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
                })
                .on_request(())
                .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::DEBUG)),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}
