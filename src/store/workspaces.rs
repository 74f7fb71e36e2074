//! Workspaces: those seen, their installations (tokens sealed), Enterprise Grid links and
//! OAuth states, and parking a workspace's messages when it goes away.

use super::backend::{Backend, Get};
use super::common::SqlStore;
use super::sql::{insert_rows, stmt, Arg, Stmt};
use super::*;
use async_trait::async_trait;
use std::collections::HashSet;

/// Workspaces, installations, Enterprise Grid links and OAuth states.
#[async_trait]
pub trait WorkspaceStore: Send + Sync {
    /// Workspaces seen so far, to default `team` in the API.
    async fn workspaces(&self) -> Result<Vec<String>>;
    /// Parks every pending row of a workspace as dead with `reason` (the app was uninstalled or
    /// its token revoked); `outbox_requeue` sends them once it is back. Returns how many.
    async fn park_workspace(&self, team_id: &str, reason: &str) -> Result<u64>;
    /// Stores an installation, replacing the team's earlier one (its `installed_at` is kept).
    async fn save_installation(&self, installation: &Installation) -> Result<()>;
    async fn installation(&self, team_id: &str) -> Result<Option<Installation>>;
    /// Every installation, by team id.
    async fn installations(&self) -> Result<Vec<Installation>>;
    /// Removes a team's installation (uninstalled, tokens revoked); false if there was none.
    async fn delete_installation(&self, team_id: &str) -> Result<bool>;
    /// Records that `teams` belong to the Enterprise Grid organisation `enterprise_id`.
    async fn link_workspaces(
        &self,
        enterprise_id: &str,
        teams: &[String],
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Forgets that `teams` belong to `enterprise_id` (its org-wide install lost access to them).
    async fn unlink_workspaces(&self, enterprise_id: &str, teams: &[String]) -> Result<()>;
    /// The organisation `team_id` belongs to, if Cairn has seen it.
    async fn enterprise_of(&self, team_id: &str) -> Result<Option<String>>;
    /// The workspaces known to belong to `enterprise_id`.
    async fn enterprise_workspaces(&self, enterprise_id: &str) -> Result<Vec<String>>;
    /// Re-seals every stored token with `reseal`, all or nothing: if any token cannot be
    /// re-sealed, nothing is written and the error (`StoreError::Invalid`) names each team.
    /// Returns how many tokens were rewritten. A row changed meanwhile is left as it now is.
    async fn reseal_installations(&self, reseal: Reseal<'_>, now: DateTime<Utc>) -> Result<u64>;
    /// Records an OAuth `state` nonce handed out at `created_at`, valid until `expires_at`;
    /// states that have expired by `created_at` are dropped.
    async fn save_oauth_state(
        &self,
        nonce: &str,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()>;
    /// Spends an OAuth `state`: true only the first time, and only before it expires.
    async fn use_oauth_state(&self, nonce: &str, now: DateTime<Utc>) -> Result<bool>;
    /// Removes up to `limit` of the states that expired before `expired_before`; how many.
    async fn prune_oauth_states(&self, expired_before: DateTime<Utc>, limit: i64) -> Result<u64>;
}

const WORKSPACES: &str = "SELECT team_id FROM workspaces ORDER BY team_id";

/// A workspace whose org chart is imported is served, kudos or not.
pub(super) const REMEMBER_WORKSPACE: &str =
    "INSERT INTO workspaces (team_id, first_seen_at) VALUES ($1, $2)
     ON CONFLICT (team_id) DO NOTHING";

/// The workspaces of a batch not yet known to be stored, remembered so the API can default `team`.
pub(super) fn remember_workspaces(batch: &[NewKudos], known: &HashSet<String>) -> Vec<Stmt> {
    let mut seen: Vec<&str> = known.iter().map(String::as_str).collect();
    let rows = batch
        .iter()
        .filter(|k| {
            let new = !seen.contains(&k.team_id.as_str());
            seen.push(k.team_id.as_str());
            new
        })
        .map(|k| {
            vec![
                Arg::Text(k.team_id.to_string()),
                Arg::OptText(k.team_domain.clone()),
                Arg::Int(millis(k.created_at)),
            ]
        })
        .collect();
    insert_rows(
        "workspaces",
        &["team_id", "team_domain", "first_seen_at"],
        rows,
        " ON CONFLICT (team_id) DO NOTHING",
    )
}

const PARK_WORKSPACE: &str = "UPDATE outbox SET status = 'dead', last_error = $2, locked_by = NULL, locked_until = NULL WHERE team_id = $1 AND status = 'pending'";

const INSTALLATION_COLUMNS: &str = "team_id, enterprise_id, app_id, bot_user_id, bot_token_sealed, scopes, installer_user_id, installed_at, updated_at";

/// A reinstall replaces everything but the first install's time.
fn save_installation(i: &Installation) -> Stmt {
    Stmt {
        sql: format!(
            "INSERT INTO installations ({INSTALLATION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (team_id) DO UPDATE SET enterprise_id = excluded.enterprise_id, app_id = excluded.app_id,
             bot_user_id = excluded.bot_user_id, bot_token_sealed = excluded.bot_token_sealed, scopes = excluded.scopes,
             installer_user_id = excluded.installer_user_id, updated_at = excluded.updated_at"
        ),
        args: vec![
            Arg::Text(i.team_id.clone()),
            Arg::OptText(i.enterprise_id.clone()),
            Arg::OptText(i.app_id.clone()),
            Arg::OptText(i.bot_user_id.clone()),
            Arg::Text(i.bot_token_sealed.clone()),
            Arg::OptText((!i.scopes.is_empty()).then(|| i.scopes.join(","))),
            Arg::OptText(i.installer_user_id.clone()),
            Arg::Int(millis(i.installed_at)),
            Arg::Int(millis(i.updated_at)),
        ],
    }
}

fn installation_select(filter: &str) -> String {
    format!("SELECT {INSTALLATION_COLUMNS} FROM installations {filter} ORDER BY team_id")
}

fn installation(row: &impl Get) -> Result<Installation, sqlx::Error> {
    let scopes: Option<String> = row.try_get("scopes")?;
    Ok(Installation {
        team_id: row.try_get("team_id")?,
        enterprise_id: row.try_get("enterprise_id")?,
        app_id: row.try_get("app_id")?,
        bot_user_id: row.try_get("bot_user_id")?,
        bot_token_sealed: row.try_get("bot_token_sealed")?,
        scopes: scopes
            .unwrap_or_default()
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        installer_user_id: row.try_get("installer_user_id")?,
        installed_at: from_millis(row.try_get("installed_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

const DELETE_INSTALLATION: &str = "DELETE FROM installations WHERE team_id = $1";

/// `$1` team, `$2` the sealed token read, `$3` the new one, `$4` now: only if the row still holds what was read.
const RESEAL_INSTALLATION: &str =
    "UPDATE installations SET bot_token_sealed = $3, updated_at = $4 WHERE team_id = $1 AND bot_token_sealed = $2";

/// `$1` team, `$2` organisation, `$3` now. A workspace moved to another organisation follows it.
const LINK_WORKSPACE: &str = "INSERT INTO workspace_enterprises (team_id, enterprise_id, seen_at) VALUES ($1, $2, $3)
     ON CONFLICT (team_id) DO UPDATE SET enterprise_id = excluded.enterprise_id, seen_at = excluded.seen_at";

const UNLINK_WORKSPACE: &str =
    "DELETE FROM workspace_enterprises WHERE team_id = $1 AND enterprise_id = $2";

const ENTERPRISE_OF: &str = "SELECT enterprise_id FROM workspace_enterprises WHERE team_id = $1";

const ENTERPRISE_WORKSPACES: &str =
    "SELECT team_id FROM workspace_enterprises WHERE enterprise_id = $1 ORDER BY team_id";

/// A bounded batch, as for event ids.
const PRUNE_OAUTH_STATES: &str = "DELETE FROM oauth_states WHERE nonce IN (
     SELECT nonce FROM oauth_states WHERE expires_at < $1 ORDER BY expires_at LIMIT $2)";

const SAVE_OAUTH_STATE: &str =
    "INSERT INTO oauth_states (nonce, created_at, expires_at) VALUES ($1, $2, $3)";

/// Single use: only the first spend before expiry changes the row.
const USE_OAUTH_STATE: &str =
    "UPDATE oauth_states SET used_at = $2 WHERE nonce = $1 AND used_at IS NULL AND expires_at > $2";

#[async_trait]
impl<DB: Backend> WorkspaceStore for SqlStore<DB> {
    async fn workspaces(&self) -> Result<Vec<String>> {
        let rows = self.read(&stmt(WORKSPACES, vec![])).await?;
        Ok(rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn park_workspace(&self, team_id: &str, reason: &str) -> Result<u64> {
        self.execute(
            PARK_WORKSPACE,
            &[Arg::Text(team_id.into()), Arg::Text(reason.into())],
        )
        .await
    }

    async fn save_installation(&self, installation: &Installation) -> Result<()> {
        self.write(&save_installation(installation)).await.map(drop)
    }

    async fn installation(&self, team_id: &str) -> Result<Option<Installation>> {
        let select = installation_select("WHERE team_id = $1");
        let rows = self
            .read(&stmt(&select, vec![Arg::Text(team_id.into())]))
            .await?;
        Ok(rows.first().map(installation).transpose()?)
    }

    async fn installations(&self) -> Result<Vec<Installation>> {
        let rows = self.read(&stmt(&installation_select(""), vec![])).await?;
        Ok(rows
            .iter()
            .map(installation)
            .collect::<std::result::Result<_, _>>()?)
    }

    async fn delete_installation(&self, team_id: &str) -> Result<bool> {
        let deleted = self
            .execute(DELETE_INSTALLATION, &[Arg::Text(team_id.into())])
            .await?;
        Ok(deleted > 0)
    }

    async fn link_workspaces(
        &self,
        enterprise_id: &str,
        teams: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        for team in teams {
            self.execute(
                LINK_WORKSPACE,
                &[
                    Arg::Text(team.clone()),
                    Arg::Text(enterprise_id.into()),
                    Arg::Int(millis(now)),
                ],
            )
            .await?;
        }
        Ok(())
    }

    async fn unlink_workspaces(&self, enterprise_id: &str, teams: &[String]) -> Result<()> {
        for team in teams {
            self.execute(
                UNLINK_WORKSPACE,
                &[Arg::Text(team.clone()), Arg::Text(enterprise_id.into())],
            )
            .await?;
        }
        Ok(())
    }

    async fn enterprise_of(&self, team_id: &str) -> Result<Option<String>> {
        let rows = self
            .read(&stmt(ENTERPRISE_OF, vec![Arg::Text(team_id.into())]))
            .await?;
        Ok(rows
            .first()
            .map(|r| r.try_get::<String, _>("enterprise_id"))
            .transpose()
            .map_err(StoreError::from_sqlx)?)
    }

    async fn enterprise_workspaces(&self, enterprise_id: &str) -> Result<Vec<String>> {
        let rows = self
            .read(&stmt(
                ENTERPRISE_WORKSPACES,
                vec![Arg::Text(enterprise_id.into())],
            ))
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("team_id"))
            .collect::<std::result::Result<_, _>>()
            .map_err(StoreError::from_sqlx)
    }

    async fn reseal_installations(&self, reseal: Reseal<'_>, now: DateTime<Utc>) -> Result<u64> {
        let mut conn = self.writer.acquire().await?;
        let mut tx = sqlx::Connection::begin(&mut *conn)
            .await
            .map_err(StoreError::from_sqlx)?;
        let select = installation_select("");
        let rows = DB::fetch_all(&mut tx, &stmt(&select, vec![]))
            .await
            .map_err(StoreError::from_sqlx)?;
        let mut updates = Vec::new();
        let mut failures = Vec::new();
        for row in &rows {
            let installation = installation(row)?;
            match reseal(&installation) {
                Ok(Some(sealed)) => updates.push(stmt(
                    RESEAL_INSTALLATION,
                    vec![
                        Arg::Text(installation.team_id),
                        Arg::Text(installation.bot_token_sealed),
                        Arg::Text(sealed),
                        Arg::Int(millis(now)),
                    ],
                )),
                Ok(None) => {}
                Err(why) => failures.push(format!("{}: {why}", installation.team_id)),
            }
        }
        if !failures.is_empty() {
            // Dropping the transaction rolls it back: nothing was written.
            return Err(StoreError::Invalid(format!(
                "{} of {} installation token(s) cannot be opened, so none was re-sealed: {}",
                failures.len(),
                rows.len(),
                failures.join("; ")
            )));
        }
        let mut rewritten = 0;
        for update in &updates {
            rewritten += DB::execute(&mut tx, update)
                .await
                .map_err(StoreError::from_sqlx)?;
        }
        tx.commit().await.map_err(StoreError::from_sqlx)?;
        Ok(rewritten)
    }

    async fn save_oauth_state(
        &self,
        nonce: &str,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        let args = [
            Arg::Text(nonce.into()),
            Arg::Int(millis(created_at)),
            Arg::Int(millis(expires_at)),
        ];
        self.execute(SAVE_OAUTH_STATE, &args).await.map(drop)
    }

    async fn prune_oauth_states(&self, expired_before: DateTime<Utc>, limit: i64) -> Result<u64> {
        let args = [Arg::Int(millis(expired_before)), Arg::Int(limit)];
        self.execute(PRUNE_OAUTH_STATES, &args).await
    }

    async fn use_oauth_state(&self, nonce: &str, now: DateTime<Utc>) -> Result<bool> {
        let args = [Arg::Text(nonce.into()), Arg::Int(millis(now))];
        Ok(self.execute(USE_OAUTH_STATE, &args).await? == 1)
    }
}
