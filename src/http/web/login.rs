//! Signing in and out. With the app's client id and secret, Sign in with Slack (OpenID
//! Connect): `/login` sends the browser to Slack with a `state` (random, signed, recorded so it
//! is spent once, and tied to this browser by a cookie, as for installs), and
//! `/login/callback` asks Slack who came back. Without them, `/growth web` sends a one-time
//! link; opening it shows a button, and only pressing it spends the link (so a link preview or
//! a browser's prefetch cannot).

use super::guard::{self, Visitor};
use super::message;
use crate::http::AppState;
use crate::services::web::{self as sessions, SignInError};
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

const CALLBACK_PATH: &str = "/login/callback";
const STATE_COOKIE: &str = "cairn_login_state";
const STATE_LIFETIME_MINUTES: i64 = 10;

/// Counts a sign-in attempt; a page saying when to try again if there were too many.
fn limited(state: &AppState, request: &Request) -> Option<Response> {
    let address = guard::address(request.extensions());
    let wait = state
        .web_limits
        .attempt(address, std::time::Instant::now())
        .err()?;
    tracing::warn!("sign-in attempts over the limit were refused");
    let mut page = message(
        StatusCode::TOO_MANY_REQUESTS,
        None,
        "Too many sign-in attempts",
        &format!(
            "Please wait {} seconds, then try again.",
            wait.as_secs().max(1)
        ),
        None,
    );
    if let Ok(v) = wait.as_secs().max(1).to_string().parse() {
        page.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Some(page)
}

/// Where a person lands once signed in: their team if they have one, else their own page.
async fn landing(state: &AppState, team: &str, user: &str) -> &'static str {
    match sessions::has_reports(&state.services, team, user).await {
        Ok(true) => "/team",
        _ => "/me",
    }
}

/// Starts a session and sends the browser on.
async fn signed_in(
    state: &AppState,
    team: &str,
    user: &str,
    extra_cookie: Option<String>,
) -> Response {
    let secret = match sessions::start(&state.services, team, user).await {
        Ok((secret, _)) => secret,
        Err(e) => {
            tracing::error!(error = %e, "could not start a web session");
            return super::unavailable();
        }
    };
    let to = landing(state, team, user).await;
    let mut response = Redirect::to(to).into_response();
    let headers = response.headers_mut();
    for cookie in std::iter::once(guard::set(state, &secret)).chain(extra_cookie) {
        if let Ok(v) = cookie.parse() {
            headers.append(header::SET_COOKIE, v);
        }
    }
    response
}

/// `GET /login`.
pub async fn start(State(state): State<AppState>, request: Request) -> Response {
    if let Some(refused) = limited(&state, &request) {
        return refused;
    }
    let (Some(oauth), Some(base)) = (&state.oauth, &state.base_url) else {
        return message(
            StatusCode::OK,
            None,
            "Sign in from Slack",
            "Type /growth web in Slack: Cairn sends you a link in a direct message that signs you in here. It works once, within ten minutes.",
            None,
        );
    };
    let nonce = sessions::secret();
    let now = state.services.clock.now();
    let expires = now + chrono::Duration::minutes(STATE_LIFETIME_MINUTES);
    if let Err(e) = state
        .services
        .store
        .save_oauth_state(&nonce, now, expires)
        .await
    {
        tracing::error!(error = %e, "could not record a sign-in state");
        return super::unavailable();
    }
    let signed = format!("{nonce}.{}", sign(oauth, &nonce));
    let redirect = format!("{base}{CALLBACK_PATH}");
    let authorize = state.services.workspaces.slack().openid_authorize_url();
    let Ok(url) = reqwest::Url::parse_with_params(
        &authorize,
        &[
            ("response_type", "code"),
            ("scope", "openid profile"),
            ("client_id", oauth.client_id.as_str()),
            ("state", signed.as_str()),
            ("nonce", nonce.as_str()),
            ("redirect_uri", redirect.as_str()),
        ],
    ) else {
        return super::unavailable();
    };
    let cookie = format!(
        "{STATE_COOKIE}={nonce}; Path={CALLBACK_PATH}; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
        STATE_LIFETIME_MINUTES * 60
    );
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, url.to_string()),
            (header::SET_COOKIE, cookie),
        ],
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /login/callback`: checks the `state`, asks Slack who signed in, starts a session.
pub async fn callback(State(state): State<AppState>, request: Request) -> Response {
    if let Some(refused) = limited(&state, &request) {
        return refused;
    }
    let (Some(oauth), Some(base)) = (state.oauth.clone(), state.base_url.clone()) else {
        return message(
            StatusCode::NOT_FOUND,
            None,
            "Sign in with Slack is off",
            "Type /growth web in Slack for a sign-in link.",
            None,
        );
    };
    let headers = request.headers().clone();
    let Ok(Query(query)) = Query::<Callback>::try_from_uri(request.uri()) else {
        return again(StatusCode::BAD_REQUEST, "This sign-in link is not valid");
    };
    let Some(nonce) = query
        .state
        .as_deref()
        .and_then(|s| s.split_once('.'))
        .filter(|(nonce, sig)| bool::from(sign(&oauth, nonce).as_bytes().ct_eq(sig.as_bytes())))
        .map(|(nonce, _)| nonce.to_owned())
    else {
        tracing::warn!("a sign-in callback with a missing or forged state was refused");
        return again(StatusCode::BAD_REQUEST, "This sign-in link is not valid");
    };
    if crate::http::cookie(&headers, STATE_COOKIE).as_deref() != Some(nonce.as_str()) {
        return again(
            StatusCode::BAD_REQUEST,
            "This sign-in was started in another browser",
        );
    }
    let now = state.services.clock.now();
    match state.services.store.use_oauth_state(&nonce, now).await {
        Ok(true) => {}
        Ok(false) => {
            return again(
                StatusCode::BAD_REQUEST,
                "This sign-in has expired or was used already",
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "could not check a sign-in state");
            return super::unavailable();
        }
    }
    if query.error.is_some() {
        return again(StatusCode::BAD_REQUEST, "Sign-in was cancelled");
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        return again(StatusCode::BAD_REQUEST, "Slack sent no code");
    };
    let redirect = format!("{base}{CALLBACK_PATH}");
    match sessions::sign_in(
        &state.services,
        &oauth.client_id,
        &oauth.client_secret,
        code,
        &redirect,
    )
    .await
    {
        Ok(who) => {
            let spent = format!("{STATE_COOKIE}=; Path={CALLBACK_PATH}; Max-Age=0; HttpOnly; Secure; SameSite=Lax");
            signed_in(&state, &who.team, &who.user, Some(spent)).await
        }
        Err(SignInError::Elsewhere) => message(
            StatusCode::FORBIDDEN,
            None,
            "Cairn is not used in that workspace",
            "You signed in with a Slack workspace this Cairn does not serve. Sign in with the workspace where you use /kudos.",
            Some(("/login", "Sign in again")),
        ),
        Err(SignInError::Store(e)) => {
            tracing::error!(error = %e, "could not finish a sign-in");
            super::unavailable()
        }
        Err(e) => {
            tracing::warn!(error = %e, "Sign in with Slack failed");
            message(
                StatusCode::BAD_GATEWAY,
                None,
                "Slack did not confirm who you are",
                "Nothing was changed. Please sign in again in a minute.",
                Some(("/login", "Sign in again")),
            )
        }
    }
}

fn again(status: StatusCode, title: &str) -> Response {
    message(
        status,
        None,
        title,
        "Start again from the sign-in page.",
        Some(("/login", "Sign in")),
    )
}

/// The state's signature: HMAC-SHA256 of the nonce under the app's client secret, hex.
fn sign(oauth: &crate::config::OAuth, nonce: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(oauth.client_secret.expose_secret().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(b"cairn-login-state:");
    mac.update(nonce.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[derive(Debug, Deserialize)]
pub struct Token {
    #[serde(default)]
    token: String,
}

/// `GET /login/link?token=…`: a button that signs in; opening the link spends nothing.
pub async fn link_page(State(state): State<AppState>, request: Request) -> Response {
    if let Some(refused) = limited(&state, &request) {
        return refused;
    }
    let token = Query::<Token>::try_from_uri(request.uri())
        .map(|q| q.0.token)
        .unwrap_or_default();
    if token.is_empty() {
        return link_unusable();
    }
    Html(crate::report::page::sign_in_with_link(&token)).into_response()
}

/// `POST /login/link`: spends the link and starts a session for the person it was sent to.
pub async fn link_spend(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Request,
) -> Response {
    if let Some(refused) = limited(&state, &request) {
        return refused;
    }
    if !guard::same_origin(&headers, &state) {
        return guard::forged();
    }
    let Ok(Form(form)) = Form::<Token>::from_request(request, &state).await else {
        return link_unusable();
    };
    let token = form.token;
    if token.is_empty() {
        return link_unusable();
    }
    let spent = match sessions::spend_link(&state.services, &token).await {
        Ok(spent) => spent,
        Err(e) => {
            tracing::error!(error = %e, "could not spend a sign-in link");
            return super::unavailable();
        }
    };
    let Some((team, user)) = spent else {
        return link_unusable();
    };
    // A browser signed in as someone else keeps its session: a link sent to another person
    // never replaces who is signed in here (and, spent, it cannot be used again).
    let current = match guard::secret(&headers, &state) {
        Some(secret) => sessions::session(&state.services, &secret)
            .await
            .ok()
            .flatten(),
        None => None,
    };
    if let Some(current) = current {
        if (current.team_id.as_str(), current.user_id.as_str()) != (team.as_str(), user.as_str()) {
            tracing::warn!("a sign-in link was opened in a browser signed in as someone else");
            return message(
                StatusCode::FORBIDDEN,
                None,
                "This link was sent to someone else",
                "This browser is signed in as you, so the link started nothing, and it cannot be used again. Its owner can type /growth web for a new one.",
                Some(("/me", "Back to my growth")),
            );
        }
    }
    signed_in(&state, &team, &user, None).await
}

fn link_unusable() -> Response {
    message(
        StatusCode::BAD_REQUEST,
        None,
        "This link has expired or was used already",
        "Each link signs in once, within ten minutes. Type /growth web in Slack for a new one.",
        None,
    )
}

#[derive(Debug, Deserialize)]
pub struct Csrf {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    visitor: Visitor,
    Form(form): Form<Csrf>,
) -> Response {
    if !guard::same_origin(&headers, &state) || !guard::csrf_ok(&visitor.session, &form.csrf) {
        return guard::forged();
    }
    if let Err(e) = sessions::end(&state.services, &visitor.secret).await {
        tracing::error!(error = %e, "could not end a web session");
        return super::unavailable();
    }
    let mut page = message(
        StatusCode::OK,
        None,
        "You are signed out",
        "Your session has ended in this browser.",
        Some(("/login", "Sign in again")),
    );
    if let Ok(v) = guard::clear().parse() {
        page.headers_mut().insert(header::SET_COOKIE, v);
    }
    page
}
