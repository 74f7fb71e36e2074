//! Who is looking: the session cookie (its secret, signed with a key derived from the signing
//! secret, so a forged cookie is refused before the database is asked), and the checks every
//! form passes.

use crate::http::AppState;
use crate::report::page::Chrome;
use crate::store::WebSession;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use sha2::Sha256;
use std::net::{IpAddr, SocketAddr};
use subtle::ConstantTimeEq;

pub const COOKIE: &str = "cairn_session";

/// A signed-in person, with what every page's header shows.
pub struct Visitor {
    pub session: WebSession,
    /// The cookie's secret (to sign out).
    pub secret: String,
    pub name: String,
    pub has_team: bool,
}

impl Visitor {
    pub fn chrome(&self) -> Chrome<'_> {
        Chrome {
            viewer_name: &self.name,
            csrf: &self.session.csrf,
            has_team: self.has_team,
        }
    }
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Some(secret) = secret(&parts.headers, state) else {
            return Err(Redirect::to("/login").into_response());
        };
        let s = &state.services;
        let session = match crate::services::web::session(s, &secret).await {
            Ok(Some(session)) => session,
            // Ended or idle too long: sign in again, with the dead cookie cleared.
            Ok(None) => {
                return Err(
                    ([(header::SET_COOKIE, clear())], Redirect::to("/login")).into_response()
                )
            }
            Err(e) => {
                tracing::error!(error = %e, "could not read a web session");
                return Err(super::unavailable());
            }
        };
        let (team, user) = (&session.team_id, &session.user_id);
        let names = s.store.org_people(team, std::slice::from_ref(user)).await;
        let has_team = crate::services::web::has_reports(s, team, user).await;
        let (Ok(names), Ok(has_team)) = (names, has_team) else {
            return Err(super::unavailable());
        };
        let name = names
            .get(user)
            .and_then(|p| p.name.clone())
            .unwrap_or_else(|| user.clone());
        Ok(Visitor {
            session,
            secret,
            name,
            has_team,
        })
    }
}

/// The key cookies are signed with: the signing secret's, for this purpose only.
fn sign(state: &AppState, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(state.signing_secret.expose_secret().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(b"cairn-web-session:");
    mac.update(secret.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The session secret in the request's cookie, if its signature holds.
pub fn secret(headers: &HeaderMap, state: &AppState) -> Option<String> {
    let value = crate::http::cookie(headers, COOKIE)?;
    let (secret, signature) = value.split_once('.')?;
    bool::from(sign(state, secret).as_bytes().ct_eq(signature.as_bytes()))
        .then(|| secret.to_owned())
}

/// `Set-Cookie` for a new session: the browser keeps it until it closes; the server ends it
/// after eight idle hours.
pub fn set(state: &AppState, secret: &str) -> String {
    format!(
        "{COOKIE}={secret}.{}; Path=/; HttpOnly; Secure; SameSite=Lax",
        sign(state, secret)
    )
}

pub fn clear() -> String {
    format!("{COOKIE}=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Lax")
}

/// Whether a form was posted from our own pages: the browser's `Origin` (sent with every
/// cross-site POST) names this Cairn. A request without one is left to the form's token.
pub fn same_origin(headers: &HeaderMap, state: &AppState) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let ours: Vec<String> = match (&state.base_url, host) {
        (Some(base), _) => vec![origin_of(base)],
        (None, Some(host)) => vec![format!("http://{host}"), format!("https://{host}")],
        (None, None) => Vec::new(),
    };
    ours.iter().any(|o| o == origin)
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}")
}

/// A form's token matches the session's.
pub fn csrf_ok(session: &WebSession, sent: &str) -> bool {
    !sent.is_empty() && bool::from(session.csrf.as_bytes().ct_eq(sent.as_bytes()))
}

/// The address the request came from, when the server knows it.
pub fn address(parts_extensions: &axum::http::Extensions) -> Option<IpAddr> {
    parts_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}

/// A refused form.
pub fn forged() -> Response {
    super::message(
        StatusCode::FORBIDDEN,
        None,
        "This form did not come from Cairn",
        "Nothing was changed. Go back to the page, reload it, and try again.",
        Some(("/me", "Back to Cairn")),
    )
}
