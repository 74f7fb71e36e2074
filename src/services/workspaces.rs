//! The workspaces Cairn serves, and how it speaks to each. Which bot token speaks for Cairn in a
//! workspace: the workspace's stored installation (an
//! OAuth install, its token sealed under `CAIRN_ENCRYPTION_KEY`), else its Enterprise Grid
//! organisation's org-wide installation, else the single-workspace `SLACK_BOT_TOKEN`. Every call
//! to Slack on a workspace's behalf asks here, so a workspace is only ever spoken to with a token
//! that was granted for it.
//!
//! An org-wide install's token is only good for the workspaces the organisation's admins added
//! Cairn to. Which workspace belongs to which organisation is learned from Slack's own requests
//! (`note`), from `team_access_granted` / `team_access_revoked`, and from `auth.teams.list`,
//! asked at install time and again when a workspace nobody has placed yet needs a token.
//!
//! Also here: the one call to Slack that cannot wait for the outbox (`views.open`, whose trigger
//! lives 3 s), Add to Slack installs, and what happens when a workspace uninstalls Cairn.

use crate::secrets::Keys;
use crate::slack::client::SlackClient;
use crate::store::{Installation, Store, StoreError};
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an opened token is kept in memory: a reinstall or an uninstall is seen within this.
const REMEMBER_FOR: Duration = Duration::from_secs(60);
/// How often one organisation is asked which workspaces its install was granted.
const ASK_ORGANISATION_EVERY: Duration = Duration::from_secs(300);

/// A workspace's token as last opened (none: no installation), the installation it came from,
/// and when.
#[derive(Clone)]
struct Opened {
    token: Option<SecretString>,
    from: Option<String>,
    at: Instant,
}

#[derive(Clone)]
pub struct Workspaces {
    single: Option<SecretString>,
    store: Arc<dyn Store>,
    keys: Option<Keys>,
    slack: SlackClient,
    opened: Arc<Mutex<HashMap<String, Opened>>>,
    /// Workspace → organisation, as recorded by this process (so a request writes it once).
    placed: Arc<Mutex<HashMap<String, String>>>,
    /// Organisation → when `auth.teams.list` was last asked.
    asked: Arc<Mutex<HashMap<String, Instant>>>,
}

impl Workspaces {
    pub fn new(
        single: Option<SecretString>,
        store: Arc<dyn Store>,
        keys: Option<Keys>,
        slack: SlackClient,
    ) -> Self {
        Workspaces {
            single,
            store,
            keys,
            slack,
            opened: Arc::default(),
            placed: Arc::default(),
            asked: Arc::default(),
        }
    }

    /// Whether any workspace can have a token: a single-workspace token, or a key that opens
    /// stored installations.
    pub fn any(&self) -> bool {
        self.single.is_some() || self.keys.is_some()
    }

    /// The token for `team`, if Cairn has one there.
    pub async fn for_team(&self, team: &str) -> Option<SecretString> {
        let Some(keys) = &self.keys else {
            return self.single.clone();
        };
        if let Some(opened) = self.opened.lock().ok()?.get(team).cloned() {
            if opened.at.elapsed() < REMEMBER_FOR {
                return opened.token.or_else(|| self.single.clone());
            }
        }
        let installation = match self.installation_for(team).await {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, team, "could not read the workspace's installation");
                return self.single.clone();
            }
        };
        let token = installation.as_ref().and_then(|i| open(keys, i));
        if let Ok(mut opened) = self.opened.lock() {
            let from = installation.map(|i| i.team_id);
            let at = Instant::now();
            let entry = Opened {
                token: token.clone(),
                from,
                at,
            };
            opened.insert(team.to_owned(), entry);
        }
        token.or_else(|| self.single.clone())
    }

    /// The installation that speaks for `team`: its own, else its organisation's org-wide one.
    async fn installation_for(&self, team: &str) -> Result<Option<Installation>, StoreError> {
        if let Some(own) = self.store.installation(team).await? {
            return Ok(Some(own));
        }
        if let Some(enterprise) = self.store.enterprise_of(team).await? {
            return Ok(self
                .store
                .installation(&enterprise)
                .await?
                .filter(Installation::is_org_wide));
        }
        // Nobody has placed this workspace yet: ask each organisation that installed Cairn
        // org-wide (now and then) whether an admin has added Cairn there since.
        for org in self.store.installations().await? {
            if org.is_org_wide() && self.may_ask(&org.team_id) {
                let Some(token) = self.keys.as_ref().and_then(|k| open(k, &org)) else {
                    continue;
                };
                let granted = self.ask_organisation(&org.team_id, &token).await;
                if granted.iter().any(|t| t == team) {
                    return Ok(Some(org));
                }
            }
        }
        Ok(None)
    }

    fn may_ask(&self, enterprise: &str) -> bool {
        let Ok(mut asked) = self.asked.lock() else {
            return false;
        };
        if asked
            .get(enterprise)
            .is_some_and(|at| at.elapsed() < ASK_ORGANISATION_EVERY)
        {
            return false;
        }
        asked.insert(enterprise.to_owned(), Instant::now());
        true
    }

    /// Asks Slack which workspaces the organisation's org-wide token was granted and records
    /// them; returns them (none if Slack could not say).
    pub async fn ask_organisation(&self, enterprise: &str, token: &SecretString) -> Vec<String> {
        match self.slack.auth_teams_list(token).await {
            Ok(teams) => {
                self.granted(enterprise, &teams).await;
                teams
            }
            Err(e) => {
                tracing::warn!(error = %e, enterprise, "could not list the organisation's workspaces");
                Vec::new()
            }
        }
    }

    /// Remembers that a request from `team` came through organisation `enterprise` (every
    /// Slack request from an Enterprise Grid workspace names both).
    pub async fn note(&self, team: &str, enterprise: Option<&str>) {
        let Some(enterprise) = enterprise.filter(|e| !e.is_empty() && *e != team) else {
            return;
        };
        if team.is_empty()
            || self
                .placed
                .lock()
                .is_ok_and(|p| p.get(team).is_some_and(|e| e == enterprise))
        {
            return;
        }
        self.granted(enterprise, &[team.to_owned()]).await;
    }

    /// Whether two workspaces are one organisation's: the same workspace, or two workspaces of
    /// one Enterprise Grid organisation. A person from a workspace outside it is external.
    pub async fn same_organisation(&self, a: &str, b: &str) -> bool {
        if a == b {
            return true;
        }
        let (a, b) = (self.organisation_of(a).await, self.organisation_of(b).await);
        a.is_some() && a == b
    }

    async fn organisation_of(&self, team: &str) -> Option<String> {
        if let Some(e) = self.placed.lock().ok()?.get(team) {
            return Some(e.clone());
        }
        let enterprise = self.store.enterprise_of(team).await.ok().flatten()?;
        if let Ok(mut placed) = self.placed.lock() {
            placed.insert(team.to_owned(), enterprise.clone());
        }
        Some(enterprise)
    }

    /// Records that `teams` belong to `enterprise` (`team_access_granted`, `auth.teams.list`).
    pub async fn granted(&self, enterprise: &str, teams: &[String]) {
        let now = chrono::Utc::now();
        if let Err(e) = self.store.link_workspaces(enterprise, teams, now).await {
            tracing::warn!(error = %e, enterprise, "could not record the organisation's workspaces");
            return;
        }
        if let (Ok(mut placed), Ok(mut opened)) = (self.placed.lock(), self.opened.lock()) {
            for team in teams {
                placed.insert(team.clone(), enterprise.to_owned());
                // A workspace found to have no token may have one now.
                if opened.get(team).is_some_and(|o| o.token.is_none()) {
                    opened.remove(team);
                }
            }
        }
    }

    /// Records that the organisation's install no longer reaches `teams` (`team_access_revoked`).
    pub async fn revoked(&self, enterprise: &str, teams: &[String]) {
        if let Err(e) = self.store.unlink_workspaces(enterprise, teams).await {
            tracing::warn!(error = %e, enterprise, "could not forget the organisation's workspaces");
        }
        if let Ok(mut placed) = self.placed.lock() {
            for team in teams {
                placed.remove(team);
            }
        }
        for team in teams {
            self.forget(team);
        }
    }

    /// Forgets what was opened for `key`, a workspace or an organisation (after an uninstall):
    /// for an organisation, every workspace that spoke with its token.
    pub fn forget(&self, key: &str) {
        if let Ok(mut opened) = self.opened.lock() {
            opened.retain(|team, o| team != key && o.from.as_deref() != Some(key));
        }
    }
}

/// The installation's token, opened with `keys` (bound to the workspace or organisation it
/// was sealed for).
fn open(keys: &Keys, installation: &Installation) -> Option<SecretString> {
    match keys.open(&installation.team_id, &installation.bot_token_sealed) {
        Ok(token) => Some(token),
        Err(e) => {
            let team = installation.team_id.as_str();
            tracing::error!(error = %e, team, "the stored bot token does not open");
            None
        }
    }
}

/// How long a trigger id given to `views.open` is good for leaves this for the call.
const OPEN_BUDGET: Duration = Duration::from_millis(2500);

/// A workspace or organisation that installed Cairn through Add to Slack.
#[derive(Debug, Clone)]
pub struct Installed {
    /// The workspace, or for an org-wide install the organisation.
    pub owner: String,
    pub name: String,
    pub org_wide: bool,
    pub app_id: Option<String>,
    /// For an org-wide install: the workspaces its admins have added Cairn to so far.
    pub granted: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// Slack would not exchange the code.
    #[error("{0}")]
    Slack(String),
    /// Slack's answer named no workspace or token.
    #[error("Slack's answer had no workspace or token")]
    Incomplete,
    /// This Cairn has no key to seal tokens with.
    #[error("CAIRN_ENCRYPTION_KEY is not set")]
    NoKey,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Workspaces {
    /// The Web API client (its requests carry a token from [`Workspaces::for_team`]).
    pub fn slack(&self) -> &SlackClient {
        &self.slack
    }

    /// The Web API client and `team`'s bot token; `None` when Cairn has no token there.
    pub async fn slack_for(&self, team: &str) -> Option<(SlackClient, SecretString)> {
        let token = self.for_team(team).await?;
        Some((self.slack.clone(), token))
    }

    /// Opens a modal for a trigger: the one call to Slack not made through the outbox, since a
    /// trigger lives 3 s. False if it could not be opened (no token, Slack slow or refusing).
    pub async fn open_view(&self, team: &str, trigger_id: &str, view: serde_json::Value) -> bool {
        let Some((slack, token)) = self.slack_for(team).await else {
            tracing::warn!(
                team,
                "cannot open a modal without a bot token for the workspace"
            );
            return false;
        };
        match tokio::time::timeout(OPEN_BUDGET, slack.views_open(&token, trigger_id, &view)).await {
            Ok(Ok(_)) => true,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "could not open a modal");
                false
            }
            Err(_) => {
                tracing::warn!("Slack did not open the modal in time");
                false
            }
        }
    }

    /// The named workspace, else the only one Cairn serves; `Ok(None)` when it serves none yet.
    /// `Err` lists them when there are several, for a message asking which.
    pub async fn which(&self, team: Option<String>) -> Result<Option<String>, Which> {
        if let Some(team) = team.filter(|t| !t.is_empty()) {
            return Ok(Some(team));
        }
        let mut teams = self.store.workspaces().await.map_err(Which::Store)?;
        match teams.len() {
            0 => Ok(None),
            1 => Ok(teams.pop()),
            _ => Err(Which::Several(teams)),
        }
    }

    /// Cairn lost its token in `team` (`app_uninstalled`, `tokens_revoked`), or, for an
    /// org-wide install, in organisation `org_wide`: the waiting messages of each workspace that
    /// spoke with that token are parked, and the installation is dropped so nothing tries it.
    pub async fn lost(
        &self,
        team: &str,
        org_wide: Option<&str>,
        why: &str,
    ) -> Result<(), StoreError> {
        match org_wide {
            Some(enterprise) => {
                for team in self.store.enterprise_workspaces(enterprise).await? {
                    if self.store.installation(&team).await?.is_none() {
                        self.park(&team, why).await;
                    }
                }
                self.uninstall(enterprise).await;
            }
            None => {
                self.park(team, why).await;
                self.uninstall(team).await;
            }
        }
        Ok(())
    }

    async fn park(&self, team: &str, why: &str) {
        let reason = format!(
            "workspace stopped delivery ({why}); retry with `cairn outbox retry --all-dead` once reinstalled"
        );
        match self.store.park_workspace(team, &reason).await {
            Ok(n) => tracing::warn!(
                team,
                parked = n,
                event = why,
                "Cairn lost access to a workspace; its pending messages are parked"
            ),
            Err(e) => tracing::error!(error = %e, "could not park a workspace's messages"),
        }
    }

    async fn uninstall(&self, key: &str) {
        self.forget(key);
        match self.store.delete_installation(key).await {
            Ok(true) => tracing::warn!(installation = key, "the installation was removed"),
            Ok(false) => {}
            Err(e) => tracing::error!(error = %e, "could not remove an installation"),
        }
    }

    /// Add to Slack's last step: exchanges the code Slack sent back for the bot token and
    /// stores it sealed. For an org-wide install, asks which workspaces it reaches so far.
    pub async fn install(
        &self,
        client_id: &str,
        client_secret: &SecretString,
        code: &str,
        redirect_uri: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Installed, InstallError> {
        let keys = self.keys.as_ref().ok_or(InstallError::NoKey)?;
        let answer = self
            .slack
            .oauth_v2_access(client_id, client_secret, code, redirect_uri)
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "oauth.v2.access failed");
                InstallError::Slack(e.to_string())
            })?;
        let org_wide = answer["is_enterprise_install"] == true;
        let owner = if org_wide {
            &answer["enterprise"]
        } else {
            &answer["team"]
        };
        let (Some(owner_id), Some(token)) = (owner["id"].as_str(), answer["access_token"].as_str())
        else {
            return Err(InstallError::Incomplete);
        };
        let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
        let installation = Installation {
            team_id: owner_id.to_owned(),
            enterprise_id: text(&answer["enterprise"]["id"]),
            app_id: text(&answer["app_id"]),
            bot_user_id: text(&answer["bot_user_id"]),
            bot_token_sealed: keys.seal(owner_id, token),
            scopes: answer["scope"]
                .as_str()
                .unwrap_or_default()
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            installer_user_id: text(&answer["authed_user"]["id"]),
            installed_at: now,
            updated_at: now,
        };
        self.store.save_installation(&installation).await?;
        self.forget(owner_id);
        self.note(owner_id, answer["enterprise"]["id"].as_str())
            .await;
        let granted = if org_wide {
            tracing::info!(
                enterprise = owner_id,
                "an organisation installed Cairn org-wide"
            );
            self.ask_organisation(owner_id, &SecretString::from(token.to_owned()))
                .await
        } else {
            tracing::info!(team = owner_id, "a workspace installed Cairn");
            Vec::new()
        };
        Ok(Installed {
            owner: owner_id.to_owned(),
            name: owner["name"].as_str().unwrap_or(owner_id).to_owned(),
            org_wide,
            app_id: installation.app_id,
            granted,
        })
    }
}

/// Why no single workspace could be chosen.
#[derive(Debug, thiserror::Error)]
pub enum Which {
    #[error("Cairn serves several workspaces ({})", .0.join(", "))]
    Several(Vec<String>),
    #[error(transparent)]
    Store(StoreError),
}

impl Workspaces {
    /// Whether installed workspaces' tokens can be sealed (a key is set).
    pub fn can_seal(&self) -> bool {
        self.keys.is_some()
    }

    /// Records the `state` nonce an install starts with, valid until `expires_at`.
    pub async fn begin_install(
        &self,
        nonce: &str,
        now: chrono::DateTime<chrono::Utc>,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.store.save_oauth_state(nonce, now, expires_at).await
    }

    /// Spends an install's `state` nonce: true only the first time, and only before it expires.
    pub async fn spend_install_state(
        &self,
        nonce: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        self.store.use_oauth_state(nonce, now).await
    }
}
