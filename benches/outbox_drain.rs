//! Outbox drain benchmark (results and targets in `benches/README.md`, section "Outbox drain").
//!
//! ```sh
//! cargo build --release
//! cargo bench --bench outbox_drain -- [--backend sqlite|postgres] [--mode unlimited|limited] [--messages N] [--channels N]
//! ```
//!
//! For each mode (both by default), against a fresh database (SQLite file in a temp dir, or a
//! new PostgreSQL database `cairn_outbox_<pid>` on `CAIRN_BENCH_POSTGRES_URL`):
//!
//! 1. With no server running, records N/10 kudos through `cairn::store`, each with 10 distinct
//!    recipients, so N DMs wait in the outbox spread evenly over C people (C DM channels).
//! 2. Starts the release binary `target/release/cairn serve` against an in-process fake Slack
//!    Web API and waits until the fake has accepted every DM (each dedupe key once) and the
//!    database shows all N rows sent.
//!
//! - `unlimited`: the fake accepts everything and Cairn's pacing is off
//!   (`CAIRN_OUTBOX_CHANNEL_PER_MINUTE=0`, `CAIRN_OUTBOX_WORKSPACE_PER_MINUTE=0`): messages/s and
//!   CPU per message of the drain itself.
//! - `limited`: Cairn's default channel pacing (the workspace budget is off, as the fake has no
//!   workspace limit); the fake answers a `chat.postMessage` into a channel less than 1 s after
//!   the previous accepted one there with HTTP 429 `Retry-After: 1`: how many 429s Cairn provokes.
//!
//! Every run also counts DMs that reach their channel after a newer one (a higher kudos id in the
//! dedupe key), posts of the same key twice (a failure), and reads Cairn's `/metrics` afterwards.

#[path = "support/mod.rs"]
mod support;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use cairn::domain::ids::{TeamId, UserId};
use cairn::store::{Delivery, NewKudos, Store, Visibility};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::json_response as json;
use support::{
    clock_ticks_per_sec, cpu_ticks, machine_ticks, postgres_ticks, Backend, Db, Flags, Names,
    Server, BOT_TOKEN,
};

const NAMES: Names = Names {
    bench: "outbox_drain",
    dir: "cairn-outbox-bench",
    database: "cairn_outbox",
};

const TEAM: &str = "T07KUD0S01";
/// Recipients per kudos.
const PER_KUDOS: u64 = 10;
/// Kudos recorded at once while enqueueing.
const ENQUEUE_IN_FLIGHT: usize = 32;
const UNLIMITED_WAIT: Duration = Duration::from_secs(120);
const LIMITED_WAIT: Duration = Duration::from_secs(300);

type Result<T, E = String> = std::result::Result<T, E>;

// ---------------------------------------------------------------- arguments

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Unlimited,
    Limited,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Unlimited => "unlimited",
            Mode::Limited => "limited",
        }
    }
}

struct Args {
    backend: Backend,
    modes: Vec<Mode>,
    messages: u64,
    channels: u64,
}

const USAGE: &str = "usage: cargo bench --bench outbox_drain -- [--backend sqlite|postgres] [--mode unlimited|limited] [--messages N] [--channels N]";

fn parse_args() -> Result<Args> {
    let mut args = Args {
        backend: Backend::Sqlite,
        modes: vec![Mode::Unlimited, Mode::Limited],
        messages: 10_000,
        channels: 1_000,
    };
    let mut flags = Flags::new(USAGE);
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            // `cargo bench` passes `--bench` to harness-less benches.
            "--bench" => {}
            "--backend" => args.backend = flags.backend()?,
            "--mode" => {
                args.modes = match flags.value()?.as_str() {
                    "unlimited" => vec![Mode::Unlimited],
                    "limited" => vec![Mode::Limited],
                    other => return Err(format!("unknown mode {other:?}\n{USAGE}")),
                }
            }
            "--messages" => args.messages = flags.number()?,
            "--channels" => args.channels = flags.number()?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.channels > 99_999 {
        return Err("--channels is at most 99999 (user ids are U00000D…U99999D)".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    support::main(NAMES.bench, parse_args, run)
}

async fn run(args: Args) -> Result<()> {
    let binary = support::release_binary()?;
    let mut summary = Vec::new();
    for &mode in &args.modes {
        let db = Db::create(&NAMES, args.backend).await?;
        let result = run_mode(&args, mode, &binary, &db).await;
        db.destroy().await;
        summary.push(result?);
    }
    println!("\nbackend   mode       msgs/s  drain s  cairn CPU ms/msg  postgres CPU ms/msg  429s (% of sends)  out of order");
    for line in summary {
        println!("{line}");
    }
    Ok(())
}

fn user(n: u64) -> String {
    format!("U{n:05}D")
}

/// Message i goes to person i mod C; kudos k carries messages 10k..10k+9, so its recipients are
/// distinct and every person gets N/C DMs.
fn kudos(k: u64, args: &Args) -> NewKudos {
    let per = PER_KUDOS.min(args.channels);
    let first = k * per;
    let recipients: Vec<String> = (first..(first + per).min(args.messages))
        .map(|i| user(i % args.channels))
        .collect();
    let message = format!("paired on the flaky deploy test ({k})");
    let labels = [
        (Some(":gear:".to_owned()), "Technical skills".to_owned()),
        (Some(":seedling:".to_owned()), "Mentoring".to_owned()),
    ];
    let dm = cairn::slack::messages::KudosView {
        giver: "U07ALICE01",
        recipients: &recipients,
        message: &message,
        labels: &labels,
        channel: Some("C07KUDOS01"),
    }
    .direct_message();
    let blocks = serde_json::to_value(&dm.blocks).unwrap_or_default();
    NewKudos {
        team_id: TeamId::parse(TEAM).unwrap(),
        team_domain: None,
        giver: UserId::parse("U07ALICE01").unwrap(),
        recipients: recipients
            .iter()
            .map(|r| UserId::parse(r).unwrap())
            .collect(),
        competencies: vec!["technical".into(), "mentoring".into()],
        multiplier_kinds: vec![],
        text: message.clone(),
        channel_id: None,
        visibility: Visibility::Public,
        framework_id: "matrix-3x3".into(),
        framework_version: "1.0.0".into(),
        created_at: chrono::Utc::now(),
        spheres: vec![cairn::store::Sphere::Team; recipients.len()],
        deliveries: recipients
            .iter()
            .map(|r| Delivery {
                slot: None,
                action: Default::default(),
                key: format!("dm:{r}"),
                channel: r.clone(),
                text: dm.text.clone(),
                blocks: blocks.clone(),
            })
            .collect(),
    }
}

/// Records the kudos (several at once) with no server running; returns the store, kept open to
/// check the outcome afterwards.
async fn enqueue(db: &Db, args: &Args) -> Result<Arc<dyn Store>> {
    let store = cairn::store::connect(&db.url)
        .await
        .map_err(|e| format!("opening {}: {e}", db.url))?;
    let count = args.messages.div_ceil(PER_KUDOS.min(args.channels));
    let mut tasks = tokio::task::JoinSet::new();
    for k in 0..count {
        if tasks.len() >= ENQUEUE_IN_FLIGHT {
            if let Some(done) = tasks.join_next().await {
                done.map_err(|e| e.to_string())??;
            }
        }
        let (store, new) = (store.clone(), kudos(k, args));
        tasks.spawn(async move {
            store
                .record_kudos(new)
                .await
                .map(drop)
                .map_err(|e| format!("record_kudos: {e}"))
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| e.to_string())??;
    }
    let counts = store.outbox_counts().await.map_err(|e| e.to_string())?;
    if counts.pending as u64 != args.messages || counts.sent != 0 {
        return Err(format!(
            "expected {} pending outbox rows after enqueueing, found {counts:?}",
            args.messages
        ));
    }
    Ok(store)
}

// ---------------------------------------------------------------- fake Slack

struct FakeSlack {
    /// Answer 429 to a post less than 1 s after the last accepted one in its channel.
    limited: bool,
    epoch: Instant,
    /// Nanoseconds since `epoch` (+1, so 0 means "not yet") of the first Slack call.
    first_call: AtomicU64,
    opens: AtomicU64,
    /// Every `chat.postMessage` call, accepted or not.
    posts: AtomicU64,
    accepted: AtomicU64,
    refused: AtomicU64,
    /// Dedupe keys accepted at least once.
    distinct: AtomicU64,
    history: AtomicU64,
    other: AtomicU64,
    state: Mutex<FakeState>,
}

#[derive(Default)]
struct FakeState {
    last_accepted: HashMap<String, Instant>,
    keys: HashSet<String>,
    refused_channels: HashSet<String>,
    /// Highest kudos id accepted per channel, to see DMs overtaking one another.
    newest: HashMap<String, u64>,
    /// Accepted DMs older (lower kudos id) than one already accepted in their channel.
    out_of_order: u64,
}

impl FakeSlack {
    fn called(&self) {
        let ns = self.epoch.elapsed().as_nanos() as u64 + 1;
        let _ = self
            .first_call
            .compare_exchange(0, ns, Ordering::Relaxed, Ordering::Relaxed);
    }

    fn first_call(&self) -> Option<Instant> {
        match self.first_call.load(Ordering::Relaxed) {
            0 => None,
            ns => Some(self.epoch + Duration::from_nanos(ns - 1)),
        }
    }
}

#[derive(Deserialize)]
struct PostBody {
    channel: String,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    event_payload: Payload,
}

#[derive(Deserialize)]
struct Payload {
    key: String,
}

#[derive(Deserialize)]
struct OpenBody {
    users: String,
}

async fn fake_open(State(fake): State<Arc<FakeSlack>>, body: Bytes) -> Response {
    fake.called();
    fake.opens.fetch_add(1, Ordering::Relaxed);
    let Ok(open) = serde_json::from_slice::<OpenBody>(&body) else {
        return json(r#"{"ok":false,"error":"invalid_arguments"}"#.into());
    };
    let id = open.users.get(1..).unwrap_or("X");
    json(format!(r#"{{"ok":true,"channel":{{"id":"D{id}"}}}}"#))
}

async fn fake_post(State(fake): State<Arc<FakeSlack>>, body: Bytes) -> Response {
    fake.called();
    let n = fake.posts.fetch_add(1, Ordering::Relaxed) + 1;
    let Ok(post) = serde_json::from_slice::<PostBody>(&body) else {
        return json(r#"{"ok":false,"error":"invalid_arguments"}"#.into());
    };
    let key = post
        .metadata
        .map_or_else(|| format!("no-key-{n}"), |m| m.event_payload.key);
    let fresh = {
        let mut state = fake.state.lock().unwrap();
        let now = Instant::now();
        if fake.limited {
            if let Some(last) = state.last_accepted.get(&post.channel) {
                if now.duration_since(*last) < Duration::from_secs(1) {
                    state.refused_channels.insert(post.channel);
                    drop(state);
                    fake.refused.fetch_add(1, Ordering::Relaxed);
                    return (
                        StatusCode::TOO_MANY_REQUESTS,
                        [(RETRY_AFTER, "1"), (CONTENT_TYPE, "application/json")],
                        r#"{"ok":false,"error":"ratelimited"}"#,
                    )
                        .into_response();
                }
            }
            state.last_accepted.insert(post.channel.clone(), now);
        }
        // Keys are `kudos:<id>:dm:<user>`.
        let kudos_id = key
            .strip_prefix("kudos:")
            .and_then(|k| k.split(':').next())
            .and_then(|id| id.parse::<u64>().ok());
        if let Some(id) = kudos_id {
            let newest = state.newest.entry(post.channel.clone()).or_insert(id);
            let overtaken = id < *newest;
            *newest = id.max(*newest);
            if overtaken {
                state.out_of_order += 1;
            }
        }
        state.keys.insert(key)
    };
    let accepted = fake.accepted.fetch_add(1, Ordering::Relaxed) + 1;
    if fresh {
        fake.distinct.fetch_add(1, Ordering::Relaxed);
    }
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json(format!(
        r#"{{"ok":true,"channel":"{}","ts":"{secs}.{:06}"}}"#,
        post.channel,
        accepted % 1_000_000
    ))
}

async fn fake_history(State(fake): State<Arc<FakeSlack>>) -> Response {
    fake.called();
    fake.history.fetch_add(1, Ordering::Relaxed);
    json(r#"{"ok":true,"messages":[],"has_more":false}"#.into())
}

async fn fake_other(State(fake): State<Arc<FakeSlack>>) -> Response {
    fake.called();
    fake.other.fetch_add(1, Ordering::Relaxed);
    json(r#"{"ok":true}"#.into())
}

async fn start_fake_slack(limited: bool) -> Result<(String, Arc<FakeSlack>)> {
    let fake = Arc::new(FakeSlack {
        limited,
        epoch: Instant::now(),
        first_call: AtomicU64::new(0),
        opens: AtomicU64::new(0),
        posts: AtomicU64::new(0),
        accepted: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        distinct: AtomicU64::new(0),
        history: AtomicU64::new(0),
        other: AtomicU64::new(0),
        state: Mutex::default(),
    });
    let app = Router::new()
        .route("/api/conversations.open", post(fake_open))
        .route("/api/chat.postMessage", post(fake_post))
        .route("/api/conversations.history", post(fake_history))
        .fallback(fake_other)
        .with_state(fake.clone());
    let url = support::serve_fake_slack(NAMES.bench, app).await?;
    Ok((url, fake))
}

// ---------------------------------------------------------------- /proc

/// CPU ticks of PostgreSQL, this process (driver and fake Slack) and the machine.
struct Cpu {
    postgres: u64,
    driver: u64,
    machine: (u64, u64),
}

impl Cpu {
    fn now(postgres: bool) -> Self {
        Self {
            postgres: if postgres { postgres_ticks() } else { 0 },
            driver: cpu_ticks("/proc/self/stat").unwrap_or(0),
            machine: machine_ticks(),
        }
    }
}

/// Cairn's own view, read after the drain: delivery attempts by outcome and the mean latency of
/// its Slack calls.
async fn outbox_metrics(http: &reqwest::Client, base: &str) -> String {
    let text = match http.get(format!("{base}/metrics")).send().await {
        Ok(r) => r.text().await.unwrap_or_default(),
        Err(e) => return format!("unavailable ({e})"),
    };
    let value = |name: &str| -> Option<f64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].trim().parse().ok()
    };
    let mut out = String::from("outbox deliveries");
    for outcome in ["sent", "deferred", "retry", "dead"] {
        let n = value(&format!(
            "cairn_outbox_deliveries_total{{outcome=\"{outcome}\"}}"
        ));
        let _ = write!(out, " {outcome}={}", n.unwrap_or(0.0));
    }
    for method in ["chat.postMessage", "conversations.open"] {
        let label = format!("{{method=\"{method}\"}}");
        let sum = value(&format!("cairn_slack_api_duration_seconds_sum{label}"));
        let count = value(&format!("cairn_slack_api_duration_seconds_count{label}"));
        if let (Some(sum), Some(count)) = (sum, count.filter(|c| *c > 0.0)) {
            let _ = write!(out, "; {method} mean {:.2} ms", sum / count * 1000.0);
        }
    }
    out
}

// ---------------------------------------------------------------- one run

async fn run_mode(args: &Args, mode: Mode, binary: &Path, db: &Db) -> Result<String> {
    let (backend, pg) = (args.backend.name(), args.backend == Backend::Postgres);
    let label = format!("{backend} {}", mode.name());
    let n = args.messages;
    let started = Instant::now();
    let store = enqueue(db, args).await?;
    println!(
        "{label}: enqueued {n} DMs ({} kudos) over {} channels in {:.1}s",
        n.div_ceil(PER_KUDOS.min(args.channels)),
        args.channels,
        started.elapsed().as_secs_f64()
    );
    let (slack_url, fake) = start_fake_slack(mode == Mode::Limited).await?;
    let http = reqwest::Client::new();
    // CPU is counted from just before the spawn: cairn's start-up (a few ms) is included, so
    // is any sending before /healthz answers.
    let before = Cpu::now(pg);
    let spawned = Instant::now();
    let mut server = Server::start(
        binary,
        db,
        &slack_url,
        &format!("cairn-{}.log", mode.name()),
        &[
            ("SLACK_BOT_TOKEN", Some(BOT_TOKEN)),
            (
                "CAIRN_OUTBOX_CHANNEL_PER_MINUTE",
                (mode == Mode::Unlimited).then_some("0"),
            ),
        ],
    )?;
    let result = async {
        server.wait_healthy(&http, Duration::from_millis(5)).await?;
        let healthy = Instant::now();
        let at_health = cpu_ticks(&format!("/proc/{}/stat", server.pid)).unwrap_or(0);
        let limit = match mode {
            Mode::Unlimited => UNLIMITED_WAIT,
            Mode::Limited => LIMITED_WAIT,
        };
        // The fake's counter first (cheap); the database only once Slack has everything.
        let (all_posted, counts) = loop {
            server.exited()?;
            if fake.distinct.load(Ordering::Relaxed) >= n {
                let posted = Instant::now();
                let counts = store.outbox_counts().await.map_err(|e| e.to_string())?;
                if counts.sent as u64 >= n || counts.dead > 0 {
                    break (posted, counts);
                }
            }
            if healthy.elapsed() > limit {
                let counts = store.outbox_counts().await.map_err(|e| e.to_string())?;
                return Err(format!(
                    "{label}: not drained within {} s: the fake accepted {} distinct DMs of {n}; outbox {counts:?}\n{}",
                    limit.as_secs(),
                    fake.distinct.load(Ordering::Relaxed),
                    server.log_head(20)
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let done = Instant::now();
        let after = Cpu::now(pg);
        let cairn = cpu_ticks(&format!("/proc/{}/stat", server.pid)).unwrap_or(0);
        let hz = clock_ticks_per_sec();
        // The drain starts when the worker does: usually a few ms before /healthz answers.
        let start = fake.first_call().map_or(healthy, |f| f.min(healthy));
        let secs = done.duration_since(start).as_secs_f64();
        let ms_per = |ticks: u64| ticks as f64 / hz * 1000.0 / n as f64;
        let pct = |ticks: u64| ticks as f64 / hz / secs * 100.0;
        let pg_ticks = after.postgres.saturating_sub(before.postgres);
        let driver = after.driver - before.driver;
        let busy = (after.machine.0 - before.machine.0) as f64
            / (after.machine.1 - before.machine.1).max(1) as f64;
        let (posts, accepted, refused) = (
            fake.posts.load(Ordering::Relaxed),
            fake.accepted.load(Ordering::Relaxed),
            fake.refused.load(Ordering::Relaxed),
        );
        let refused_pct = refused as f64 * 100.0 / posts.max(1) as f64;
        let (refused_channels, out_of_order) = {
            let state = fake.state.lock().unwrap();
            (state.refused_channels.len(), state.out_of_order)
        };
        let rate = n as f64 / secs;
        println!(
            "{label}: {n} DMs in {secs:.2}s = {rate:.0} msg/s; cairn CPU {:.3} ms/msg ({:.0}% of a core){}; driver+fake {:.0}%; machine busy {:.0}%",
            ms_per(cairn),
            pct(cairn),
            if pg { format!("; postgres CPU {:.3} ms/msg ({:.0}%)", ms_per(pg_ticks), pct(pg_ticks)) } else { String::new() },
            pct(driver),
            busy * 100.0
        );
        if mode == Mode::Limited {
            // Cairn's default channel pacing is 55 a minute with no burst.
            let per_channel = n.div_ceil(args.channels);
            println!(
                "  paced at 55/min, the last of {per_channel} DMs in a channel can go {:.1} s after the first at the earliest",
                (per_channel - 1) as f64 * 60.0 / 55.0
            );
        }
        println!(
            "  chat.postMessage calls={posts} accepted={accepted} distinct={} 429s={refused} ({refused_pct:.2}% of calls, in {refused_channels} channels); out of order in their channel={out_of_order}; conversations.open={} conversations.history={} other={}",
            fake.distinct.load(Ordering::Relaxed),
            fake.opens.load(Ordering::Relaxed),
            fake.history.load(Ordering::Relaxed),
            fake.other.load(Ordering::Relaxed),
        );
        println!(
            "  spawn→/healthz {:.0} ms; first Slack call at {}; last DM accepted +{:.0} ms, all rows sent in the DB +{:.0} ms after the drain started; cairn CPU before /healthz {:.0} ms",
            healthy.duration_since(spawned).as_secs_f64() * 1000.0,
            fake.first_call().map_or("never".to_owned(), |f| format!(
                "{:+.0} ms from /healthz",
                (f.duration_since(spawned).as_secs_f64() - healthy.duration_since(spawned).as_secs_f64()) * 1000.0
            )),
            all_posted.duration_since(start).as_secs_f64() * 1000.0,
            secs * 1000.0,
            at_health as f64 / hz * 1000.0,
        );
        println!("  cairn /metrics: {}", outbox_metrics(&http, &server.base).await);
        if counts.dead > 0 || counts.sent as u64 != n {
            return Err(format!("{label}: the outbox ended with {counts:?}, expected {n} sent"));
        }
        if accepted != fake.distinct.load(Ordering::Relaxed) {
            return Err(format!(
                "{label}: {} DMs were posted more than once",
                accepted - fake.distinct.load(Ordering::Relaxed)
            ));
        }
        let pg_col = if pg { format!("{:.3}", ms_per(pg_ticks)) } else { "-".into() };
        Ok(format!(
            "{backend:<9} {:<9} {rate:>7.0} {secs:>8.2} {:>17.3} {pg_col:>20}  {:<17} {out_of_order}",
            mode.name(),
            ms_per(cairn),
            format!("{refused} ({refused_pct:.2}%)"),
        ))
    }
    .await;
    let log_head = server.log_head(10);
    match server.stop() {
        Some(s) if s.success() => {}
        Some(s) => println!("{label}: cairn exited with {s} after SIGTERM"),
        None => println!("{label}: could not reap cairn"),
    }
    if !log_head.is_empty() {
        println!("{label}: cairn's log (RUST_LOG=warn):\n{log_head}");
    }
    store.close().await;
    result
}
