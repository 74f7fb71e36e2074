//! The review pages in the browser: sign-in (`login.rs`), and a person's packet, one's own
//! growth and a manager's team (`pages.rs`), rendered by `report::page`.
//!
//! Every answer carries a strict Content-Security-Policy (no script at all, styles only from
//! our stylesheet), is never cached, and sends a Referer only to Cairn itself (a one-time link's
//! token is in its URL; `no-referrer` would also make Chromium send `Origin: null` with our own
//! forms). Forms are guarded twice: a per-session token, and the browser's `Origin`.

mod guard;
mod limits;
mod login;
mod pages;

use super::AppState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;

pub use limits::Limits;

const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::root))
        .route("/login", get(login::start))
        .route("/login/callback", get(login::callback))
        .route(
            crate::services::web::LINK_PATH,
            get(login::link_page).post(login::link_spend),
        )
        .route("/logout", axum::routing::post(login::logout))
        .route("/me", get(pages::me))
        .route("/team", get(pages::team))
        .route("/people/{user}", get(pages::person))
        .route("/assets/cairn.css", get(stylesheet))
        .layer(axum::middleware::from_fn(security_headers))
}

async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = |headers: &mut axum::http::HeaderMap, name, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(headers, header::CONTENT_SECURITY_POLICY, CSP);
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::REFERRER_POLICY, "same-origin");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    if !headers.contains_key(header::CACHE_CONTROL) {
        set(headers, header::CACHE_CONTROL, "no-store");
    }
    response
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        crate::report::page::STYLESHEET,
    )
        .into_response()
}

/// A short page: a refusal, an error, a next step.
pub(super) fn message(
    status: StatusCode,
    chrome: Option<&crate::report::page::Chrome>,
    title: &str,
    body: &str,
    link: Option<(&str, &str)>,
) -> Response {
    let html = crate::report::page::message(chrome, title, body, link);
    (status, Html(html)).into_response()
}

/// The database did not answer.
pub(super) fn unavailable() -> Response {
    message(
        StatusCode::SERVICE_UNAVAILABLE,
        None,
        "Cairn cannot answer just now",
        "The database did not answer. Please try again in a minute.",
        None,
    )
}
