//! Which bot token speaks for Cairn in a workspace: the workspace's stored installation (an
//! OAuth install, its token sealed under `CAIRN_ENCRYPTION_KEY`), else the single-workspace
//! `SLACK_BOT_TOKEN`. Every call to Slack on a workspace's behalf asks here, so a workspace is
//! only ever spoken to with its own token.

use crate::secrets::Keys;
use crate::store::Store;
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long an opened token is kept in memory: a reinstall or an uninstall is seen within this.
const REMEMBER_FOR: Duration = Duration::from_secs(60);

/// A workspace's token as last opened (none: no installation), and when.
type Opened = (Option<SecretString>, Instant);

#[derive(Clone)]
pub struct BotTokens {
    single: Option<SecretString>,
    store: Arc<dyn Store>,
    keys: Option<Keys>,
    opened: Arc<Mutex<HashMap<String, Opened>>>,
}

impl BotTokens {
    pub fn new(single: Option<SecretString>, store: Arc<dyn Store>, keys: Option<Keys>) -> Self {
        BotTokens {
            single,
            store,
            keys,
            opened: Arc::default(),
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
        if let Some((token, at)) = self.opened.lock().ok()?.get(team).cloned() {
            if at.elapsed() < REMEMBER_FOR {
                return token.or_else(|| self.single.clone());
            }
        }
        let installed = match self.store.installation(team).await {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, team, "could not read the workspace's installation");
                return self.single.clone();
            }
        };
        let token = installed.and_then(|i| match keys.open(team, &i.bot_token_sealed) {
            Ok(t) => Some(t),
            Err(e) => {
                tracing::error!(error = %e, team, "the workspace's stored bot token does not open");
                None
            }
        });
        if let Ok(mut opened) = self.opened.lock() {
            opened.insert(team.to_owned(), (token.clone(), Instant::now()));
        }
        token.or_else(|| self.single.clone())
    }

    /// Forgets what was opened for `team` (after an uninstall).
    pub fn forget(&self, team: &str) {
        if let Ok(mut opened) = self.opened.lock() {
            opened.remove(team);
        }
    }
}
