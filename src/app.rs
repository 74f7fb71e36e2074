//! Builds the state and router, spawns the workers, and shuts everything down in order:
//! stop accepting, let in-flight requests finish, let the outbox finish its batch, close the store.

use crate::clock::{Clock, SharedClock};
use crate::config::Config;
use crate::domain::framework::Framework;
use crate::domain::tags::TagIndex;
use crate::http::{self, AppState};
use crate::jobs::outbox::OutboxWorker;
use crate::jobs::scheduler::Scheduler;
use crate::services::people::People;
use crate::services::placements::Placements;
use crate::services::workspaces::Workspaces;
use crate::services::{Outbox, Rules, Services};
use crate::slack::client::SlackClient;
use crate::store::{self, Store};
use anyhow::Context;
use secrecy::SecretString;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Every Slack Web API call gives up after this long; the outbox retries later.
const SLACK_TIMEOUT: Duration = Duration::from_secs(10);

/// A started Cairn: its address, and the handle to stop it.
pub struct RunningApp {
    pub addr: SocketAddr,
    pub store: Arc<dyn Store>,
    shutdown: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl RunningApp {
    /// Asks for a graceful stop; `wait` returns when it is complete.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    pub async fn wait(self) -> anyhow::Result<()> {
        self.task.await.context("the server task panicked")?
    }
}

/// The services, built once for `cairn serve`, `cairn jobs run-once` and the CLI commands that
/// speak to Slack: the store (migrated), the framework, the workspaces and their tokens, people.
pub async fn services(config: &Config, clock: SharedClock) -> anyhow::Result<Services> {
    let framework = Framework::load(&config.kudos.framework)?;
    let store = store::connect(&config.store.database_url)
        .await
        .context("could not open the database")?;
    Ok(services_over(config, store, framework, clock))
}

fn services_over(
    config: &Config,
    store: Arc<dyn Store>,
    framework: Framework,
    clock: SharedClock,
) -> Services {
    let slack = SlackClient::new(&config.slack.api_url, SLACK_TIMEOUT);
    let workspaces = Workspaces::new(
        config.slack.bot_token.clone(),
        store.clone(),
        config.store.keys.clone(),
        slack,
    );
    let placements = Placements::new(store.clone());
    Services {
        people: People::new(
            store.clone(),
            workspaces.any().then(|| workspaces.clone()),
            clock.clone(),
            placements.clone(),
        ),
        placements,
        workspaces,
        tags: Arc::new(TagIndex::new(&framework)),
        framework: Arc::new(framework),
        store,
        clock,
        outbox: Outbox::new(config.outbox),
        rules: Arc::new(Rules {
            require_competency_tag: config.kudos.require_competency_tag,
            kudos_emoji: config.kudos.emoji.clone(),
            admins: config
                .people
                .admins
                .iter()
                .map(ToString::to_string)
                .collect(),
        }),
        prompts: Arc::new(config.prompts.clone()),
    }
}

/// The outbox worker, if any workspace can have a token.
fn outbox_worker(services: &Services) -> Option<OutboxWorker> {
    services
        .workspaces
        .any()
        .then(|| OutboxWorker::new(services))
}

/// Connects the store (running migrations), binds `config.addr` and starts serving.
pub async fn start(config: Config, clock: SharedClock) -> anyhow::Result<RunningApp> {
    config.check_serve()?;
    // In Socket Mode without a signing secret, a random one: `/slack/*` over HTTP then
    // refuses everything, as nothing legitimate comes that way.
    let signing_secret = match (&config.slack.signing_secret, &config.slack.app_token) {
        (Some(secret), _) => secret.clone(),
        (None, Some(_)) => SecretString::from(random_secret()),
        (None, None) => anyhow::bail!("SLACK_SIGNING_SECRET is required"),
    };
    let services = Arc::new(services(&config, clock.clone()).await?);
    let store = services.store.clone();
    let listener = tokio::net::TcpListener::bind(config.server.addr)
        .await
        .with_context(|| format!("could not listen on {}", config.server.addr))?;
    let addr = listener.local_addr()?;
    let state = AppState {
        services: services.clone(),
        signing_secret,
        admin_token: config.api.admin_token.clone(),
        oauth: config.slack.oauth.clone(),
        base_url: config
            .server
            .base_url
            .as_deref()
            .and_then(|b| crate::slack::manifest::BaseUrl::parse(b).ok())
            .map(|b| b.as_str().to_owned()),
        web_limits: Default::default(),
    };
    let shutdown = CancellationToken::new();
    let scheduler = Scheduler::of(&services, &config);
    let wake = services.outbox.waker();
    let scheduler = tokio::spawn(scheduler.run(clock, wake.clone(), shutdown.clone()));
    let worker = match outbox_worker(&services) {
        Some(worker) => Some(tokio::spawn(worker.run(wake, shutdown.clone()))),
        None => {
            tracing::warn!(
                "SLACK_BOT_TOKEN is not set: kudos are recorded, DMs wait in the outbox until it is"
            );
            None
        }
    };

    let router = http::router(state);
    let socket = config.slack.app_token.clone().map(|app_token| {
        tracing::info!(
            "Socket Mode: Slack's events, commands and interactions come over a WebSocket"
        );
        let socket = http::slack::socket::SocketMode {
            slack: services.workspaces.slack().clone(),
            app_token,
            router: router.clone(),
        };
        tokio::spawn(socket.run(shutdown.clone()))
    });
    let trim_stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = trim_stop.cancelled() => return,
                _ = tokio::time::sleep(crate::memory::TRIM_EVERY) => {}
            }
            let _ = tokio::task::spawn_blocking(crate::memory::release_free_memory).await;
        }
    });
    let server_stop = shutdown.clone();
    let server_store = store.clone();
    let task = tokio::spawn(async move {
        // The peer's address: sign-in attempts are limited per address.
        let router = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(server_stop.cancelled_owned())
            .await;
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        if let Some(socket) = socket {
            let _ = socket.await;
        }
        let _ = scheduler.await;
        server_store.close().await;
        served.context("the HTTP server failed")
    });
    tracing::info!(%addr, backend = store.backend(), "cairn is serving");
    Ok(RunningApp {
        addr,
        store,
        shutdown,
        task,
    })
}

/// Messages the outbox delivers at most in one `cairn jobs run-once`.
const RUN_ONCE_OUTBOX_ROUNDS: usize = 1000;
/// How far `cairn jobs run-once` lets its clock run on for messages paced a little behind (a
/// monthly summary a second after its weekly prompt), as `cairn serve` would within the minute.
const RUN_ONCE_PACING_GRACE: chrono::Duration = chrono::Duration::seconds(60);

/// `cairn jobs run-once`: one scheduler pass as if the time were `now`, then delivery of what is
/// due at `now`; returns what was done, for people.
pub async fn run_jobs_once(
    config: &Config,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<String> {
    let manual = Arc::new(crate::clock::ManualClock::new(now));
    let services = services(config, manual.clone()).await?;
    let store = services.store.clone();
    let scheduler = Scheduler::of(&services, config);
    let pass = scheduler.run_once(now).await;
    let mut report = match &pass {
        Ok(p) => format!(
            "scheduler at {}: {} newcomers scheduled, {} prompts queued, {} late prompts skipped, {} held (bots, deactivated), {} review digests, {} team digests, {} old event ids pruned, {} expired install states removed, {} ended web sessions and links removed",
            now.to_rfc3339(),
            p.scheduled,
            p.prompted,
            p.late,
            p.held,
            p.review_digests,
            p.team_digests,
            p.events_pruned,
            p.states_pruned,
            p.web_pruned
        ),
        Err(_) => String::new(),
    };
    if let Err(e) = pass {
        store.close().await;
        return Err(anyhow::Error::new(e).context("the scheduler pass failed"));
    }
    match outbox_worker(&services) {
        Some(worker) => {
            let mut attempted = 0;
            for _ in 0..RUN_ONCE_OUTBOX_ROUNDS {
                match worker.run_once().await {
                    Ok(0) => {
                        let waiting = match store.outbox_counts().await {
                            Ok(counts) => counts.pending > 0,
                            Err(_) => false,
                        };
                        if !waiting || manual.now() - now >= RUN_ONCE_PACING_GRACE {
                            break;
                        }
                        manual.advance(chrono::Duration::seconds(1));
                    }
                    Ok(n) => attempted += n,
                    Err(e) => {
                        store.close().await;
                        return Err(anyhow::Error::new(e).context("delivering the outbox failed"));
                    }
                }
            }
            report.push_str(&format!("\noutbox: {attempted} deliveries attempted"));
        }
        None => report.push_str("\noutbox: not delivered (SLACK_BOT_TOKEN is not set)"),
    }
    store.close().await;
    Ok(report)
}

/// 32 random bytes as hex.
fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Applies migrations and exits (`cairn migrate`).
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let store = store::connect(&config.store.database_url)
        .await
        .context("could not open the database")?;
    tracing::info!(backend = store.backend(), "migrations applied");
    store.close().await;
    Ok(())
}
