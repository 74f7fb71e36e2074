//! Installing Cairn in a workspace with Add to Slack (OAuth v2), for a Cairn that serves many
//! workspaces: `GET /slack/install` sends the installer to Slack with a `state`, and
//! `GET /slack/oauth/callback` exchanges Slack's code for the workspace's bot token, stored
//! sealed under `CAIRN_ENCRYPTION_KEY`.
//!
//! An org-wide install (Enterprise Grid) is stored under the organisation's id, and its token
//! then speaks for each workspace the organisation's admins add Cairn to (`slack::tokens`).
//!
//! The `state` follows Slack's guidance: random, signed with the app's client secret, recorded
//! so it can be spent once, valid for ten minutes, and tied to the installer's browser by a
//! cookie, so a link someone else started cannot complete an install in your browser.

use super::AppState;
use crate::config::OAuth;
use crate::services::workspaces::InstallError;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

const AUTHORIZE_URL: &str = "https://slack.com/oauth/v2/authorize";
const CALLBACK_PATH: &str = "/slack/oauth/callback";
const COOKIE: &str = "cairn_oauth_state";
const STATE_LIFETIME_MINUTES: i64 = 10;

/// `GET /slack/install`: to Slack's consent screen, with a fresh `state`.
pub async fn install(State(state): State<AppState>) -> Response {
    let (Some(oauth), Some(base)) = (&state.oauth, &state.base_url) else {
        return page(
            StatusCode::NOT_FOUND,
            "Installing from this page is off",
            "This Cairn serves one workspace. Its operator sets SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to let other workspaces install it.",
        );
    };
    let mut bytes = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut bytes);
    let nonce = hex::encode(bytes);
    let now = state.services.clock.now();
    let expires = now + chrono::Duration::minutes(STATE_LIFETIME_MINUTES);
    if let Err(e) = state
        .services
        .workspaces
        .begin_install(&nonce, now, expires)
        .await
    {
        tracing::error!(error = %e, "could not record an OAuth state");
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Cairn cannot start an install just now",
            "The database did not answer. Please try again in a minute.",
        );
    }
    let signed = format!("{nonce}.{}", sign(oauth, &nonce));
    let scopes = crate::slack::manifest::bot_scopes().join(",");
    let redirect = format!("{base}{CALLBACK_PATH}");
    let url = reqwest::Url::parse_with_params(
        AUTHORIZE_URL,
        &[
            ("client_id", oauth.client_id.as_str()),
            ("scope", scopes.as_str()),
            ("redirect_uri", redirect.as_str()),
            ("state", signed.as_str()),
        ],
    )
    .map(|u| u.to_string())
    .unwrap_or_else(|_| AUTHORIZE_URL.to_owned());
    let secure = if base.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={nonce}; Path={CALLBACK_PATH}; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        STATE_LIFETIME_MINUTES * 60
    );
    (
        StatusCode::FOUND,
        [(header::LOCATION, url), (header::SET_COOKIE, cookie)],
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /slack/oauth/callback`: checks the `state`, exchanges the code, stores the installation.
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<Callback>,
) -> Response {
    let (Some(oauth), Some(base), true) = (
        &state.oauth,
        &state.base_url,
        state.services.workspaces.can_seal(),
    ) else {
        return page(
            StatusCode::NOT_FOUND,
            "Installing is off",
            "This Cairn does not take installs.",
        );
    };
    let again = "Start again from the install page.";
    let Some(nonce) = query
        .state
        .as_deref()
        .and_then(|s| s.split_once('.'))
        .filter(|(nonce, sig)| bool::from(sign(oauth, nonce).as_bytes().ct_eq(sig.as_bytes())))
        .map(|(nonce, _)| nonce.to_owned())
    else {
        tracing::warn!("an OAuth callback with a missing or forged state was refused");
        return page(
            StatusCode::BAD_REQUEST,
            "This install link is not valid",
            again,
        );
    };
    if super::cookie(&headers, COOKIE).as_deref() != Some(nonce.as_str()) {
        tracing::warn!(
            "an OAuth callback from another browser than the one that started it was refused"
        );
        return page(
            StatusCode::BAD_REQUEST,
            "This install was started in another browser",
            "Finish it in the browser that started it, or start again from the install page here.",
        );
    }
    let workspaces = &state.services.workspaces;
    match workspaces
        .spend_install_state(&nonce, state.services.clock.now())
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return page(
                StatusCode::BAD_REQUEST,
                "This install link has expired or was used already",
                again,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "could not check an OAuth state");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Cairn cannot finish the install just now",
                "The database did not answer. Please start again in a minute.",
            );
        }
    }
    if let Some(error) = &query.error {
        return page(
            StatusCode::BAD_REQUEST,
            "The install was cancelled",
            &format!("Slack said: {}. Nothing was installed.", escape(error)),
        );
    }
    let Some(code) = query.code.as_deref().filter(|c| !c.is_empty()) else {
        return page(StatusCode::BAD_REQUEST, "Slack sent no code", again);
    };
    let redirect = format!("{base}{CALLBACK_PATH}");
    let installed = match workspaces
        .install(
            &oauth.client_id,
            &oauth.client_secret,
            code,
            &redirect,
            state.services.clock.now(),
        )
        .await
    {
        Ok(installed) => installed,
        Err(InstallError::Slack(e)) => {
            return page(
                StatusCode::BAD_GATEWAY,
                "Slack did not complete the install",
                &format!("Slack answered: {}. {again}", escape(&e)),
            )
        }
        Err(InstallError::Incomplete) => {
            return page(
                StatusCode::BAD_GATEWAY,
                "Slack's answer had no workspace or token",
                again,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store an installation");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Cairn could not save the install",
                "The database did not answer. Please start again in a minute.",
            );
        }
    };
    let name = escape(&installed.name);
    let try_it =
        "try <code>/kudos @someone #technical what they did</code>, or <code>/growth help</code>.";
    if !installed.org_wide {
        return page(
            StatusCode::OK,
            &format!("Cairn is installed in {name}"),
            &format!("Go back to Slack and {try_it}"),
        );
    }
    // Slack's page where an org admin picks the workspaces an org-wide app is added to.
    let add = format!(
        "https://app.slack.com/manage/{}/integrations/profile/{}/workspaces/add",
        escape(&installed.owner),
        escape(installed.app_id.as_deref().unwrap_or_default())
    );
    page(
        StatusCode::OK,
        &format!("Cairn is installed in the {name} organisation"),
        &format!(
            "It can speak in {} workspace(s) so far. <a href=\"{add}\">Add Cairn to the workspaces</a> that should use it, then in any of them {try_it}",
            installed.granted.len()
        ),
    )
}

/// The state's signature: HMAC-SHA256 of the nonce under the app's client secret, hex.
fn sign(oauth: &OAuth, nonce: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(oauth.client_secret.expose_secret().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(b"cairn-oauth-state:");
    mac.update(nonce.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A small page for a person in a browser. `body` is trusted HTML.
fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family: sans-serif; max-width: 40em; margin: 4em auto\"><h1>{title}</h1><p>{body}</p></body></html>"
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}
