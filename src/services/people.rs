//! People: their Slack profiles (name, time zone, bot, deactivated) kept in the store and
//! in memory, refreshed from `users.info` when stale and from `user_change` events; and
//! forgetting a person. The cache: Slack profiles (name, time zone, bot, deactivated) kept in the store and
//! in memory, refreshed from `users.info` when stale and from `user_change` events.
//!
//! Lookups made while Slack waits for an answer get a time budget: a slow or unreachable Slack
//! means "unknown", never a late answer.

use super::placements::Placements;
use super::recent::Recent;
use super::workspaces::Workspaces;
use crate::clock::SharedClock;
use crate::slack::client::SlackUser;
use crate::store::{Forgotten, Person, Store, StoreError};
use chrono::{DateTime, Duration as Age, Utc};
use futures_util::stream::{FuturesUnordered, StreamExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A profile older than this is fetched again.
const FRESH_FOR: Age = Age::hours(24);
/// After a failed fetch, how long before trying Slack again for that person.
const RETRY_AFTER: Age = Age::minutes(5);

#[derive(Clone)]
pub struct People {
    store: Arc<dyn Store>,
    slack: Option<Workspaces>,
    clock: SharedClock,
    /// The people seen recently; the store holds everyone.
    memory: Arc<Mutex<Recent<(String, String), Known>>>,
    /// People this process has already noted as having used Cairn (recently: one forgotten
    /// here is noted again, which changes nothing).
    noted: Arc<Mutex<Recent<(String, String), ()>>>,
    /// Org chart places held for kudos' spheres: a forgotten person's go with the rest.
    placements: Placements,
}

#[derive(Clone)]
struct Known {
    person: Option<Person>,
    /// When Slack was last asked (or the store read), successfully or not.
    checked_at: DateTime<Utc>,
}

impl People {
    /// `slack` is `None` without any bot token: then only what events and the store hold is
    /// known.
    pub fn new(
        store: Arc<dyn Store>,
        slack: Option<Workspaces>,
        clock: SharedClock,
        placements: Placements,
    ) -> Self {
        Self {
            store,
            slack,
            clock,
            memory: Arc::default(),
            noted: Arc::default(),
            placements,
        }
    }

    /// `user` of `team` used Cairn (a command, a button, a modal, the App Home, a DM): they are
    /// one of its people from now on, so the weekly pass gives them a prompt in their time zone,
    /// and their workspace is known to the CLI. Written once per person and process.
    pub async fn note(&self, team: &str, user: &str) {
        if team.is_empty() || crate::domain::ids::UserId::parse(user).is_err() {
            return;
        }
        let key = (team.to_owned(), user.to_owned());
        if self
            .noted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&key)
        {
            return;
        }
        match self
            .store
            .note_people(team, &[user.to_owned()], self.clock.now())
            .await
        {
            Ok(()) => {
                self.noted
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(key, ());
            }
            // Not worth failing the request for: the next one notes them.
            Err(e) => tracing::warn!(error = %e, "could not note a person who used Cairn"),
        }
    }

    /// Profiles of `users` in `team`, asking Slack (concurrently) for stale or unknown ones, all
    /// within `budget`. People who could not be learnt in time are missing from the answer.
    pub async fn lookup(
        &self,
        team: &str,
        users: &[String],
        budget: Duration,
    ) -> HashMap<String, Person> {
        let deadline = tokio::time::Instant::now() + budget;
        let mut lookups: FuturesUnordered<_> =
            users.iter().map(|user| self.one(team, user)).collect();
        let mut found = HashMap::new();
        loop {
            match tokio::time::timeout_at(deadline, lookups.next()).await {
                Ok(Some(Some(person))) => {
                    found.insert(person.user_id.clone(), person);
                }
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(_) => {
                    tracing::warn!(
                        team,
                        "Slack did not answer users.info in time; using what is known"
                    );
                    for user in users {
                        if let Some(p) = self
                            .remembered(team, user)
                            .filter(|_| !found.contains_key(user))
                        {
                            found.insert(user.clone(), p);
                        }
                    }
                    break;
                }
            }
        }
        found
    }

    async fn one(&self, team: &str, user: &str) -> Option<Person> {
        let now = self.clock.now();
        let key = (team.to_owned(), user.to_owned());
        let known = self
            .memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned();
        let known = match known {
            Some(k) => k,
            None => {
                let stored = self.store.person(team, user).await.ok().flatten();
                Known {
                    checked_at: stored.as_ref().map(|p| p.updated_at).unwrap_or_default(),
                    person: stored,
                }
            }
        };
        let fresh = match &known.person {
            Some(p) => now - p.updated_at < FRESH_FOR,
            None => now - known.checked_at < RETRY_AFTER,
        };
        if fresh || self.slack.is_none() {
            self.keep(key, known.clone());
            return known.person;
        }
        let workspaces = self.slack.as_ref()?;
        let Some(token) = workspaces.for_team(team).await else {
            self.keep(key, known.clone());
            return known.person;
        };
        match workspaces.slack().users_info(&token, user).await {
            Ok(profile) => {
                // The answer needs the profile, not its row: store it in the background.
                let person = self.keep_profile(team, &profile);
                let (store, row) = (self.store.clone(), person.clone());
                tokio::spawn(async move {
                    if let Err(e) = store.upsert_person(&row).await {
                        tracing::warn!(error = %e, "could not store a Slack profile");
                    }
                });
                // A Grid member's home workspace is of their organisation, so a kudos from
                // them is not external (written once per workspace and process).
                if let Some(e) = &profile.enterprise_user {
                    workspaces
                        .note(&person.team_id, Some(&e.enterprise_id))
                        .await;
                }
                Some(person)
            }
            Err(e) => {
                tracing::info!(error = %e, "users.info failed; using what is known");
                self.keep(
                    key,
                    Known {
                        person: known.person.clone(),
                        checked_at: now,
                    },
                );
                known.person
            }
        }
    }

    fn remembered(&self, team: &str, user: &str) -> Option<Person> {
        let mut memory = self.memory.lock().unwrap_or_else(|e| e.into_inner());
        memory
            .get(&(team.to_owned(), user.to_owned()))
            .and_then(|k| k.person.clone())
    }

    fn keep(&self, key: (String, String), known: Known) {
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, known);
    }

    /// Deletes everything Cairn holds about a person (`/growth forget-me`, `cairn people
    /// forget`): the store's rows in one transaction, then what is remembered in memory.
    pub async fn forget(&self, team: &str, user: &str) -> Result<Forgotten, StoreError> {
        let forgotten = self.store.forget_person(team, user).await?;
        self.memory
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(team.to_owned(), user.to_owned()));
        self.noted
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&(team.to_owned(), user.to_owned()));
        self.placements.forget();
        tracing::info!(
            kudos_received = forgotten.kudos_received,
            evidence = forgotten.evidence,
            "a person was forgotten"
        );
        Ok(forgotten)
    }

    /// Stores a profile Slack sent (from `users.info` or a `user_change` event).
    pub async fn remember(&self, team: &str, profile: &SlackUser) -> Person {
        let person = self.keep_profile(team, profile);
        if let Err(e) = self.store.upsert_person(&person).await {
            tracing::warn!(error = %e, "could not store a Slack profile");
        }
        person
    }

    /// Keeps a profile in memory and returns it as a `Person`.
    fn keep_profile(&self, team: &str, profile: &SlackUser) -> Person {
        let now = self.clock.now();
        let person = Person {
            team_id: profile.team_id.clone().unwrap_or_else(|| team.to_owned()),
            user_id: profile.id.clone(),
            name: profile.name.clone(),
            real_name: profile.real_name.clone(),
            tz: profile.tz.clone(),
            is_bot: profile.is_bot,
            deleted: profile.deleted,
            updated_at: now,
        };
        let key = (person.team_id.clone(), person.user_id.clone());
        self.keep(
            key,
            Known {
                person: Some(person.clone()),
                checked_at: now,
            },
        );
        person
    }
}
