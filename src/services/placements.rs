//! Where the giver and receivers of a kudos sit in the org chart, read for many kudos at once.
//! Every `/kudos` needs it before it is written; asked one kudos at a time under load, it was a
//! query per kudos (on PostgreSQL the server's CPU was the bound: 2.8k kudos/s with it, 4.0k
//! without). Asks that queue while a read runs share the next read, one query per workspace, so
//! a lone ask is read at once and a busy minute costs a query per handful of kudos.

use crate::store::{OrgPerson, Store};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot, Mutex};

/// Asks answered by one read at most.
const MAX_ASKS: usize = 64;
/// Reads running at once: one can be answered while the next is asked.
const READERS: usize = 2;

type Answer = Result<HashMap<String, OrgPerson>, String>;

struct Ask {
    team: String,
    users: Vec<String>,
    reply: oneshot::Sender<Answer>,
}

/// Cheap to clone; the readers stop when the last clone is dropped.
#[derive(Clone)]
pub struct Placements {
    queue: mpsc::Sender<Ask>,
}

impl Placements {
    /// Starts the readers on the current tokio runtime.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (queue, asks) = mpsc::channel(16 * MAX_ASKS);
        let asks = Arc::new(Mutex::new(asks));
        for _ in 0..READERS {
            tokio::spawn(read(store.clone(), asks.clone()));
        }
        Self { queue }
    }

    /// `users` of workspace `team` as the org chart places them now; people it does not know
    /// are missing. An error says why the chart could not be read.
    pub async fn of(&self, team: &str, users: &[String]) -> Answer {
        let (reply, answer) = oneshot::channel();
        let ask = Ask {
            team: team.to_owned(),
            users: users.to_vec(),
            reply,
        };
        let stopped = |_| "the org chart reader has stopped".to_owned();
        self.queue.send(ask).await.map_err(|_| stopped(()))?;
        answer.await.map_err(|_| stopped(()))?
    }
}

async fn read(store: Arc<dyn Store>, queue: Arc<Mutex<mpsc::Receiver<Ask>>>) {
    let mut asks = Vec::with_capacity(MAX_ASKS);
    loop {
        // Hold the queue only while taking asks, so the other reader can take the next ones.
        if queue.lock().await.recv_many(&mut asks, MAX_ASKS).await == 0 {
            return;
        }
        let mut wanted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for ask in &asks {
            let users = wanted.entry(ask.team.as_str()).or_default();
            users.extend(ask.users.iter().map(String::as_str));
        }
        let mut placed = HashMap::new();
        for (team, users) in wanted {
            let users: Vec<String> = users.into_iter().map(str::to_owned).collect();
            let read = store.org_people(team, &users).await;
            placed.insert(team.to_owned(), read.map_err(|e| e.to_string()));
        }
        for ask in asks.drain(..) {
            let answer = match &placed[&ask.team] {
                Ok(people) => Ok(ask
                    .users
                    .iter()
                    .filter_map(|u| Some((u.clone(), people.get(u)?.clone())))
                    .collect()),
                Err(e) => Err(e.clone()),
            };
            let _ = ask.reply.send(answer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    async fn store_with_chart() -> Arc<dyn Store> {
        let store = crate::store::connect("sqlite::memory:").await.unwrap();
        let now = chrono::Utc::now();
        let row = |user: &str, team: &str| OrgPerson {
            user_id: user.into(),
            team: Some(team.into()),
            ..Default::default()
        };
        store
            .import_org("T1", &[row("U1", "payments"), row("U2", "search")], now)
            .await
            .unwrap();
        store
            .import_org("T2", &[row("U1", "other")], now)
            .await
            .unwrap();
        store
    }

    #[tokio::test]
    async fn each_ask_gets_its_own_people_from_its_own_workspace() {
        let placements = Placements::start(store_with_chart().await);
        let ask = |team: &'static str, users: &'static [&'static str]| {
            let placements = placements.clone();
            async move {
                let users: Vec<String> = users.iter().map(|u| u.to_string()).collect();
                placements.of(team, &users).await.unwrap()
            }
        };
        // Asked together, so most share a read.
        let (a, b, c) = tokio::join!(
            ask("T1", &["U1", "U3"]),
            ask("T2", &["U1", "U2"]),
            ask("T1", &["U2"])
        );
        let team = |m: &HashMap<String, OrgPerson>, u: &str| m[u].team.clone().unwrap();
        assert_eq!(a.len(), 1, "U3 is in no chart: missing, not invented");
        assert_eq!(team(&a, "U1"), "payments");
        assert_eq!(b.len(), 1, "U2 is not in T2's chart");
        assert_eq!(team(&b, "U1"), "other");
        assert_eq!(c.len(), 1);
        assert_eq!(team(&c, "U2"), "search");
    }

    #[tokio::test]
    async fn a_chart_that_cannot_be_read_says_so() {
        let store = store_with_chart().await;
        let placements = Placements::start(store.clone());
        store.close().await;
        let answer = placements.of("T1", &["U1".to_owned()]).await;
        assert!(answer.is_err(), "{answer:?}");
    }
}
