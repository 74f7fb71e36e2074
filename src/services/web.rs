//! Signing in to the review pages: Sign in with Slack (OpenID Connect), or a one-time link sent
//! as a DM by `/growth web`; then a session, ended by signing out or eight hours without a
//! request. Secrets are handed to the browser once and kept only as their SHA-256.

use super::Services;
use crate::store::{Delivery, StoreError, WebLink, WebSession};
use chrono::Duration;
use rand::RngCore;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// A session ends after this long without a request.
pub const IDLE: Duration = Duration::hours(8);
/// A one-time link is good for this long after it was sent.
pub const LINK_LIFETIME: Duration = Duration::minutes(10);
/// Where a one-time link lands.
pub const LINK_PATH: &str = "/login/link";

/// A random secret for the browser, hex.
pub fn secret() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What is stored of a secret.
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Puts a one-time link to the review pages in `user`'s DMs, through the outbox.
pub async fn send_link(
    s: &Services,
    team: &str,
    user: &str,
    base_url: &str,
) -> Result<(), StoreError> {
    let token = secret();
    let now = s.clock.now();
    let link = WebLink {
        token_hash: hash(&token),
        team_id: team.to_owned(),
        user_id: user.to_owned(),
        created_at: now,
        expires_at: now + LINK_LIFETIME,
    };
    let url = format!("{base_url}{LINK_PATH}?token={token}");
    let m = crate::slack::messages::web_link(&url, LINK_LIFETIME.num_minutes());
    let blocks = serde_json::to_value(&m.blocks).unwrap_or_default();
    // The store keys the row by the link itself.
    let dm = Delivery::post("web-link".to_owned(), user.to_owned(), m.text, blocks);
    s.store.save_web_link(&link, &dm).await?;
    s.outbox.wake();
    Ok(())
}

/// Spends a one-time link: the `(team, user)` it was sent to, the first time only.
pub async fn spend_link(s: &Services, token: &str) -> Result<Option<(String, String)>, StoreError> {
    s.store.use_web_link(&hash(token), s.clock.now()).await
}

/// A new session for `user`; the secret goes in the browser's cookie.
pub async fn start(
    s: &Services,
    team: &str,
    user: &str,
) -> Result<(String, WebSession), StoreError> {
    let secret = secret();
    let now = s.clock.now();
    let session = WebSession {
        id_hash: hash(&secret),
        team_id: team.to_owned(),
        user_id: user.to_owned(),
        csrf: self::secret(),
        created_at: now,
        last_seen_at: now,
    };
    s.store.save_web_session(&session).await?;
    Ok((secret, session))
}

/// The live session a cookie's secret opens, if any.
pub async fn session(s: &Services, secret: &str) -> Result<Option<WebSession>, StoreError> {
    let now = s.clock.now();
    s.store.web_session(&hash(secret), now, now - IDLE).await
}

pub async fn end(s: &Services, secret: &str) -> Result<(), StoreError> {
    s.store.end_web_session(&hash(secret)).await
}

/// Who signed in with Slack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub team: String,
    pub user: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Slack would not exchange the code, or say who signed in.
    #[error("{0}")]
    Slack(String),
    #[error("Slack's answer named no workspace or person")]
    Incomplete,
    /// Someone from a workspace this Cairn does not serve.
    #[error("Cairn is not used in that workspace")]
    Elsewhere,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Exchanges Sign in with Slack's `code` for who signed in, and checks Cairn serves their
/// workspace.
pub async fn sign_in(
    s: &Services,
    client_id: &str,
    client_secret: &SecretString,
    code: &str,
    redirect_uri: &str,
) -> Result<SignedIn, SignInError> {
    let slack = s.workspaces.slack();
    let slack_error = |e: crate::slack::client::SlackError| SignInError::Slack(e.to_string());
    let tokens = slack
        .openid_connect_token(client_id, client_secret, code, redirect_uri)
        .await
        .map_err(slack_error)?;
    let access = tokens["access_token"]
        .as_str()
        .ok_or(SignInError::Incomplete)?;
    let who = slack
        .openid_connect_user_info(&SecretString::from(access.to_owned()))
        .await
        .map_err(slack_error)?;
    let field = |name: &str| {
        who[name]
            .as_str()
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (Some(team), Some(user)) = (
        field("https://slack.com/team_id"),
        field("https://slack.com/user_id"),
    ) else {
        return Err(SignInError::Incomplete);
    };
    if !serves(s, &team).await? {
        return Err(SignInError::Elsewhere);
    }
    Ok(SignedIn { team, user })
}

/// Whether `team` is a workspace Cairn has seen (a request, an install, an org chart).
async fn serves(s: &Services, team: &str) -> Result<bool, StoreError> {
    Ok(s.store.workspaces().await?.iter().any(|t| t == team))
}

/// Whether `user` has direct reports in the org chart (the pages then offer their team).
pub async fn has_reports(s: &Services, team: &str, user: &str) -> Result<bool, StoreError> {
    Ok(!s.store.reports_of(team, user).await?.is_empty())
}
