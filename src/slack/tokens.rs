//! Which bot token speaks for Cairn in a workspace: the workspace's stored installation (an
//! OAuth install, its token sealed under `CAIRN_ENCRYPTION_KEY`), else its Enterprise Grid
//! organisation's org-wide installation, else the single-workspace `SLACK_BOT_TOKEN`. Every call
//! to Slack on a workspace's behalf asks here, so a workspace is only ever spoken to with a token
//! that was granted for it.
//!
//! An org-wide install's token is only good for the workspaces the organisation's admins added
//! Cairn to. Which workspace belongs to which organisation is learned from Slack's own requests
//! (`note`), from `team_access_granted` / `team_access_revoked`, and from `auth.teams.list`,
//! asked at install time and again when a workspace nobody has placed yet needs a token.

use super::client::SlackClient;
use crate::secrets::Keys;
use crate::store::{Installation, Store};
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
pub struct BotTokens {
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

impl BotTokens {
    pub fn new(
        single: Option<SecretString>,
        store: Arc<dyn Store>,
        keys: Option<Keys>,
        slack: SlackClient,
    ) -> Self {
        BotTokens {
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
    async fn installation_for(
        &self,
        team: &str,
    ) -> Result<Option<Installation>, crate::store::StoreError> {
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
