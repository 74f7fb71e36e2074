//! Where the giver and receivers of a kudos sit in the org chart, for its spheres: kept in memory
//! for a few seconds. Read from the database for every kudos, it was a query per kudos, and on
//! PostgreSQL (whose CPU bounds the throughput) that cost 2.8k kudos/s against 4.0k without it.
//! A chart imported through the API is forgotten at once; one imported or synced from the command
//! line (another process) applies to kudos within `FRESH_FOR`.

use super::recent::Recent;
use crate::domain::growth::Placement;
use crate::store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a placement read from the database is used before it is read again.
pub const FRESH_FOR: Duration = Duration::from_secs(10);
/// People kept at most: more than are given kudos within `FRESH_FOR` in any workspace.
const KEPT: usize = 4096;

#[derive(Clone)]
struct Held {
    /// `None`: the chart does not place them.
    placement: Option<Placement>,
    read_at: Instant,
}

/// Cheap to clone; clones share what they hold.
#[derive(Clone)]
pub struct Placements {
    store: Arc<dyn Store>,
    memory: Arc<Mutex<Recent<(String, String), Held>>>,
}

impl Placements {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            memory: Arc::new(Mutex::new(Recent::new(KEPT))),
        }
    }

    /// `users` of workspace `team` as the org chart places them; people it does not place are
    /// missing. Only those not read within `FRESH_FOR` are read, in one query.
    pub async fn of(
        &self,
        team: &str,
        users: &[String],
    ) -> Result<HashMap<String, Placement>, StoreError> {
        self.at(team, users, Instant::now()).await
    }

    async fn at(
        &self,
        team: &str,
        users: &[String],
        now: Instant,
    ) -> Result<HashMap<String, Placement>, StoreError> {
        let mut placed = HashMap::new();
        let mut unread = Vec::new();
        {
            let mut memory = self.memory.lock().unwrap_or_else(|e| e.into_inner());
            for user in users {
                match memory.get(&(team.to_owned(), user.clone())) {
                    Some(held) if now.duration_since(held.read_at) < FRESH_FOR => {
                        if let Some(p) = &held.placement {
                            placed.insert(user.clone(), p.clone());
                        }
                    }
                    _ => unread.push(user.clone()),
                }
            }
        }
        if unread.is_empty() {
            return Ok(placed);
        }
        let read = self.store.org_people(team, &unread).await?;
        let mut memory = self.memory.lock().unwrap_or_else(|e| e.into_inner());
        for user in unread {
            let placement = read.get(&user).map(|p| p.placement());
            let held = Held {
                placement: placement.clone(),
                read_at: now,
            };
            memory.insert((team.to_owned(), user.clone()), held);
            if let Some(p) = placement {
                placed.insert(user, p);
            }
        }
        Ok(placed)
    }

    /// The org chart changed in this process (an import, a person forgotten): everything is read
    /// again.
    pub fn forget(&self) {
        *self.memory.lock().unwrap_or_else(|e| e.into_inner()) = Recent::new(KEPT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OrgPerson;

    fn row(user: &str, team: &str) -> OrgPerson {
        OrgPerson {
            user_id: user.into(),
            team: Some(team.into()),
            ..Default::default()
        }
    }

    fn users(u: &[&str]) -> Vec<String> {
        u.iter().map(|u| u.to_string()).collect()
    }

    fn team_of(placed: &HashMap<String, Placement>, user: &str) -> String {
        placed[user].team.clone().unwrap()
    }

    #[tokio::test]
    async fn each_workspace_places_its_own_people_and_unplaced_people_are_missing() {
        let store = crate::store::connect("sqlite::memory:").await.unwrap();
        let now = chrono::Utc::now();
        store
            .import_org("T1", &[row("U1", "payments"), row("U2", "search")], now)
            .await
            .unwrap();
        store
            .import_org("T2", &[row("U1", "other")], now)
            .await
            .unwrap();
        let placements = Placements::new(store);
        let t1 = placements.of("T1", &users(&["U1", "U3"])).await.unwrap();
        assert_eq!(t1.len(), 1, "U3 is in no chart: missing, not invented");
        assert_eq!(team_of(&t1, "U1"), "payments");
        let t2 = placements.of("T2", &users(&["U1", "U2"])).await.unwrap();
        assert_eq!(t2.len(), 1, "U2 is not in T2's chart");
        assert_eq!(team_of(&t2, "U1"), "other");
    }

    #[tokio::test]
    async fn a_placement_is_kept_for_a_while_and_forgotten_when_the_chart_changes_here() {
        let store = crate::store::connect("sqlite::memory:").await.unwrap();
        let now = chrono::Utc::now();
        store
            .import_org("T1", &[row("U1", "payments")], now)
            .await
            .unwrap();
        let placements = Placements::new(store.clone());
        let both = users(&["U1", "U2"]);
        let ask = || placements.of("T1", &both);
        assert_eq!(team_of(&ask().await.unwrap(), "U1"), "payments");
        // Changed by another process: the placements held are used until they are FRESH_FOR old.
        store
            .import_org("T1", &[row("U1", "search"), row("U2", "search")], now)
            .await
            .unwrap();
        let held = ask().await.unwrap();
        assert_eq!(team_of(&held, "U1"), "payments");
        assert!(!held.contains_key("U2"), "unplaced is remembered too");
        let later = Instant::now() + FRESH_FOR;
        let read = placements.at("T1", &users(&["U1"]), later).await.unwrap();
        assert_eq!(
            team_of(&read, "U1"),
            "search",
            "read again once FRESH_FOR old"
        );
        // Changed through this process: read again at once.
        store
            .import_org("T1", &[row("U2", "payments")], now)
            .await
            .unwrap();
        placements.forget();
        let read = ask().await.unwrap();
        assert_eq!(team_of(&read, "U2"), "payments");
    }

    #[tokio::test]
    async fn a_chart_that_cannot_be_read_says_so() {
        let store = crate::store::connect("sqlite::memory:").await.unwrap();
        let placements = Placements::new(store.clone());
        store.close().await;
        let answer = placements.of("T1", &users(&["U1"])).await;
        assert!(answer.is_err(), "{answer:?}");
    }
}
