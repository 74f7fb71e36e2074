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
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
const BOT_TOKEN: &str = "xoxb-bench";
const TEAM: &str = "T07KUD0S01";
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Recipients per kudos.
const PER_KUDOS: u64 = 10;
/// Kudos recorded at once while enqueueing.
const ENQUEUE_IN_FLIGHT: usize = 32;
const UNLIMITED_WAIT: Duration = Duration::from_secs(120);
const LIMITED_WAIT: Duration = Duration::from_secs(300);

type Result<T, E = String> = std::result::Result<T, E>;

// ---------------------------------------------------------------- arguments

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

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
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next())
                .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))
        };
        let number = |v: String| match v.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{flag} wants a positive whole number, not {v:?}")),
        };
        match flag.as_str() {
            // `cargo bench` passes `--bench` to harness-less benches.
            "--bench" => {}
            "--backend" => {
                args.backend = match value()?.as_str() {
                    "sqlite" => Backend::Sqlite,
                    "postgres" | "postgresql" => Backend::Postgres,
                    other => return Err(format!("unknown backend {other:?}\n{USAGE}")),
                }
            }
            "--mode" => {
                args.modes = match value()?.as_str() {
                    "unlimited" => vec![Mode::Unlimited],
                    "limited" => vec![Mode::Limited],
                    other => return Err(format!("unknown mode {other:?}\n{USAGE}")),
                }
            }
            "--messages" => args.messages = number(value()?)?,
            "--channels" => args.channels = number(value()?)?,
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
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("outbox_drain: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    let binary = target.join("release").join("cairn");
    if !binary.is_file() {
        return Err(format!(
            "{} is missing: run `cargo build --release` first (this benchmark builds nothing itself)",
            binary.display()
        ));
    }
    let mut summary = Vec::new();
    for &mode in &args.modes {
        let db = Db::create(args.backend).await?;
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

// ---------------------------------------------------------------- database

/// A fresh database for one run: always a temp dir (the server's log goes there), plus the
/// SQLite file or a new PostgreSQL database.
struct Db {
    dir: PathBuf,
    url: String,
    /// (admin URL, database name) to drop afterwards.
    pg: Option<(String, String)>,
}

impl Db {
    async fn create(backend: Backend) -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir = std::env::temp_dir().join(format!(
            "cairn-outbox-bench-{}-{nanos:08x}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if backend == Backend::Sqlite {
            let url = format!("sqlite://{}", dir.join("cairn.db").display());
            return Ok(Self { dir, url, pg: None });
        }
        let admin = std::env::var("CAIRN_BENCH_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned());
        let name = format!("cairn_outbox_{}", std::process::id());
        let created = async {
            let mut conn = pg_connect(&admin).await?;
            for sql in [
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                format!("CREATE DATABASE {name}"),
            ] {
                sqlx::query(&sql)
                    .execute(&mut conn)
                    .await
                    .map_err(|e| format!("{sql}: {e}"))?;
            }
            Ok::<_, String>(())
        }
        .await;
        if let Err(e) = created {
            let _ = std::fs::remove_dir_all(&dir);
            return Err(e);
        }
        // Swap the database name in the path (keep the query string).
        let (base, query) = match admin.split_once('?') {
            Some((b, q)) => (b.to_owned(), format!("?{q}")),
            None => (admin.clone(), String::new()),
        };
        let after_scheme = base.find("://").map_or(0, |i| i + 3);
        let base = match base[after_scheme..].find('/') {
            Some(slash) => base[..after_scheme + slash].to_owned(),
            None => base,
        };
        Ok(Self {
            url: format!("{base}/{name}{query}"),
            dir,
            pg: Some((admin, name)),
        })
    }

    async fn destroy(self) {
        if let Some((admin, name)) = &self.pg {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            match pg_connect(admin).await {
                Ok(mut conn) => {
                    if let Err(e) = sqlx::query(&sql).execute(&mut conn).await {
                        eprintln!("outbox_drain: {sql}: {e}");
                    }
                }
                Err(e) => eprintln!("outbox_drain: could not drop {name}: {e}"),
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn pg_connect(url: &str) -> Result<sqlx::PgConnection> {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .map_err(|e| format!("cannot reach PostgreSQL at CAIRN_BENCH_POSTGRES_URL ({url}): {e}"))
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
    let dm = cairn::slack::blocks::KudosView {
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
        deliveries: recipients
            .iter()
            .map(|r| Delivery {
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

fn json(body: String) -> Response {
    ([(CONTENT_TYPE, "application/json")], body).into_response()
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
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("fake Slack: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("outbox_drain: fake Slack stopped: {e}");
        }
    });
    Ok((format!("http://{addr}/api/"), fake))
}

// ---------------------------------------------------------------- the server

struct Server {
    child: Child,
    pid: u32,
    base: String,
    log: PathBuf,
}

impl Server {
    fn start(binary: &Path, db: &Db, slack_url: &str, mode: Mode) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        let log = db.dir.join(format!("cairn-{}.log", mode.name()));
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env_remove("CAIRN_CONFIG")
            .env_remove("CAIRN_ADMIN_TOKEN")
            .env_remove("CAIRN_OUTBOX_CHANNEL_PER_MINUTE")
            .env("CAIRN_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", &db.url)
            .env("SLACK_SIGNING_SECRET", SECRET)
            .env("SLACK_BOT_TOKEN", BOT_TOKEN)
            .env("SLACK_API_URL", slack_url)
            // The fake Slack has no workspace-wide limit, in either mode.
            .env("CAIRN_OUTBOX_WORKSPACE_PER_MINUTE", "0")
            .env("RUST_LOG", "warn");
        if mode == Mode::Unlimited {
            command.env("CAIRN_OUTBOX_CHANNEL_PER_MINUTE", "0");
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        Ok(Self {
            pid: child.id(),
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        })
    }

    fn exited(&mut self) -> Result<()> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(format!("cairn exited ({status}):\n{}", self.log_head(20))),
            _ => Ok(()),
        }
    }

    async fn wait_healthy(&mut self, http: &reqwest::Client) -> Result<()> {
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.exited()?;
            if let Ok(r) = http.get(&url).send().await {
                if r.status() == 200 {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "cairn did not answer GET /healthz within 60 s:\n{}",
                    self.log_head(20)
                ));
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    fn log_head(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let total = text.lines().count();
        let mut head: String = text
            .lines()
            .take(lines)
            .map(|l| format!("  | {l}\n"))
            .collect();
        if total > lines {
            let _ = writeln!(head, "  | … ({} more lines)", total - lines);
        }
        head
    }

    /// SIGTERM (graceful shutdown), then SIGKILL if it has not exited within 15 s.
    fn stop(mut self) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid.to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20))
                }
                _ => {
                    eprintln!("outbox_drain: cairn ignored SIGTERM for 15 s; killing it");
                    let _ = self.child.kill();
                    return self.child.wait().ok();
                }
            }
        }
    }
}

// ---------------------------------------------------------------- /proc

/// utime + stime (clock ticks) of a process.
fn cpu_ticks(stat_path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    // Fields 14 and 15 of stat(5); `rest` starts at field 3.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Summed CPU ticks of every process called `postgres` (the PostgreSQL server, if local).
fn postgres_ticks() -> u64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm")).is_ok_and(|c| c.trim() == "postgres")
        })
        .filter_map(|e| cpu_ticks(&format!("{}/stat", e.path().display())))
        .sum()
}

/// (busy, total) ticks of the whole machine.
fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let v: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

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
    let (backend, pg) = match args.backend {
        Backend::Sqlite => ("sqlite", false),
        Backend::Postgres => ("postgres", true),
    };
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
    let mut server = Server::start(binary, db, &slack_url, mode)?;
    let result = async {
        server.wait_healthy(&http).await?;
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
