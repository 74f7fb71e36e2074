//! Load driver for Cairn's `/kudos` path (results and targets in `benches/README.md`).
//!
//! ```sh
//! cargo build --release
//! cargo bench --bench kudos_load -- [--backend sqlite|postgres] [--seconds N] [--rate R] [--connections C]
//!                                   [--people P] [--no-dms] [--no-drain]
//! cargo bench --bench kudos_load -- --peer    # beside the Bolt-JS peer in benches/peers/bolt/, as ratios
//! ```
//!
//! Runs the release binary `target/release/cairn serve` as a child process against a fresh
//! database (SQLite file in a temp dir, or a new PostgreSQL database `cairn_bench_<pid>` on
//! `CAIRN_BENCH_POSTGRES_URL`) and an in-process fake Slack Web API, then drives correctly
//! signed `/kudos` slash commands at it:
//!
//! - phase A, saturation: C keep-alive connections sending back to back for N seconds;
//! - phase B, steady rate: open loop at R requests/s for N seconds, latency measured from each
//!   request's *scheduled* send time (no coordinated omission).
//!
//! A request counts as a durable kudos only when Cairn answers 200 with
//! `"response_type":"in_channel"` (it answers so only after the kudos and its outbox rows are
//! committed). The child's VmRSS is sampled every 100 ms. Between the phases, and at the end, the
//! driver waits (bounded) for the outbox to deliver every DM to the fake Slack, so phase B is
//! not measured against phase A's DM backlog.

#[path = "support/mod.rs"]
mod support;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::{
    clock_ticks_per_sec, cpu_ticks, json_response, machine_ticks, postgres_ticks, rss_kb, Backend,
    Db, Flags, Names, Server, BOT_TOKEN, SECRET,
};

const NAMES: Names = Names {
    bench: "kudos_load",
    dir: "cairn-bench",
    database: "cairn_bench",
};

const FIXTURE: &str = include_str!("../tests/fixtures/slash_command.txt");
/// Two receivers (two outbox rows per kudos) are put before this text, chosen in turn from
/// `PEOPLE` people, so DMs spread over many channels as in a real workspace (Cairn paces each
/// channel to about one message a second, as Slack requires).
const TEXT: &str = " #technical #mentoring paired on the flaky deploy test";
const PEOPLE: u64 = 10_000;
/// People in the side-by-side run with the peer (`--peer`).
const PEER_PEOPLE: u64 = 200;
/// Kudos sent before any figure is taken, at least: warms the peer's JIT and both pools.
const MIN_WARM_UP: u64 = 1_000;
/// Error bodies printed per phase.
const SHOW_ERRORS: usize = 5;
/// Open-loop requests allowed in flight at once (bounds sockets if the server stalls; a request
/// waiting for a slot still has its latency counted from its scheduled time).
const MAX_IN_FLIGHT: usize = 2048;
/// How long to wait for the outbox to deliver the DMs of the kudos recorded so far.
const DRAIN_LIMIT: Duration = Duration::from_secs(120);

// ---------------------------------------------------------------- arguments

#[derive(Debug, Clone)]
struct Args {
    backend: Backend,
    seconds: u64,
    rate: u64,
    connections: usize,
    /// Receivers are taken in turn from this many people (`--people 2` is a hot channel: every
    /// kudos to the same two people).
    people: u64,
    /// Diagnostic: start Cairn without a bot token, so the outbox sends nothing and the kudos
    /// path runs alone (DMs wait in the outbox; no drain between the phases).
    no_dms: bool,
    /// Don't wait for the DMs between the phases: phase B runs beside phase A's backlog.
    no_drain: bool,
    /// Run the Bolt-JS peer (`benches/peers/bolt/`) and Cairn with and without delivery on both
    /// backends, one after the other, and print every figure as a ratio against the peer.
    peer: bool,
}

const USAGE: &str = "usage: cargo bench --bench kudos_load -- [--backend sqlite|postgres] [--seconds N] [--rate R] [--connections C] [--people P] [--no-dms] [--no-drain] [--peer]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        backend: Backend::Sqlite,
        seconds: 10,
        rate: 1000,
        connections: 32,
        people: PEOPLE,
        no_dms: false,
        no_drain: false,
        peer: false,
    };
    let (mut connections, mut people) = (None, None);
    let mut flags = Flags::new(USAGE);
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            // `cargo bench` passes `--bench` to harness-less benches.
            "--bench" => {}
            "--backend" => args.backend = flags.backend()?,
            "--seconds" => args.seconds = flags.number()?,
            "--rate" => args.rate = flags.number()?,
            "--connections" => connections = Some(flags.number()? as usize),
            "--people" => people = Some(flags.number()?),
            "--no-dms" => args.no_dms = true,
            "--no-drain" => args.no_drain = true,
            "--peer" => args.peer = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    // Side by side with the peer, the workload is the issue's: 16 connections, receivers spread
    // over 200 people, the backlog left to Slack's per-channel pace rather than waited for.
    if args.peer {
        (args.connections, args.people, args.no_drain) = (16, PEER_PEOPLE, true);
    }
    args.connections = connections.unwrap_or(args.connections);
    args.people = people.unwrap_or(args.people);
    Ok(args)
}

fn main() -> ExitCode {
    support::main(NAMES.bench, parse_args, run)
}

type Result<T, E = String> = std::result::Result<T, E>;

/// How much of `build/hot-functions.txt` (the functions build.rs has the linker place together)
/// the binary has. The list names each function as the release profile and as the bench profile
/// build it; names go stale when dependencies or the toolchain change, and then the code a
/// running Cairn touches spreads out again and its RSS grows.
fn hot_function_layout(binary: &Path) -> String {
    let list = Path::new(env!("CARGO_MANIFEST_DIR")).join("build/hot-functions.txt");
    let Ok(wanted) = std::fs::read_to_string(&list) else {
        return format!("layout: {} is missing", list.display());
    };
    let Ok(out) = std::process::Command::new("nm").arg(binary).output() else {
        return "layout: nm is not installed, so build/hot-functions.txt is not checked".into();
    };
    let symbols = String::from_utf8_lossy(&out.stdout);
    let present: HashSet<&str> = symbols
        .lines()
        .filter_map(|l| l.split_whitespace().nth(2))
        .collect();
    let functions: HashSet<String> = wanted.lines().map(unhashed).collect();
    let found: HashSet<String> = wanted
        .lines()
        .filter(|name| present.contains(name))
        .map(unhashed)
        .collect();
    let stale = if found.len() * 10 < functions.len() * 9 {
        " (stale: run build/hot-functions.sh)"
    } else {
        ""
    };
    format!(
        "layout: {} of the {} functions in build/hot-functions.txt are in the binary{stale}",
        found.len(),
        functions.len()
    )
}

/// A symbol without what differs between builds of the same code: the hash of a legacy name
/// (`17h…E`), the crate disambiguators of a v0 name (`Cs…_`), LLVM's numbering (`.123`).
fn unhashed(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name.trim_end_matches(|c: char| c.is_ascii_digit());
    rest = rest.strip_suffix('.').unwrap_or(name);
    while !rest.is_empty() {
        let hex = |s: &str| s.len() >= 16 && s[..16].bytes().all(|b| b.is_ascii_hexdigit());
        if let Some(after) = rest
            .strip_prefix("17h")
            .filter(|a| hex(a) && a[16..].starts_with('E'))
        {
            rest = &after[17..];
        } else if let Some(after) = rest.strip_prefix("Cs") {
            let id = after.len()
                - after
                    .trim_start_matches(|c: char| c.is_ascii_alphanumeric())
                    .len();
            if after[id..].starts_with('_') {
                rest = &after[id + 1..];
            } else {
                out.push_str("Cs");
                rest = after;
            }
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

async fn run(args: Args) -> Result<()> {
    let binary = support::release_binary()?;
    println!("{}", hot_function_layout(&binary));
    if !args.peer {
        let system = System::Cairn {
            backend: args.backend,
            dms: !args.no_dms,
        };
        return measure(&args, &binary, system).await.map(drop);
    }
    let peer = support::bolt_peer()?;
    let mut results = Vec::new();
    for system in [
        System::Bolt,
        System::Cairn {
            backend: Backend::Sqlite,
            dms: false,
        },
        System::Cairn {
            backend: Backend::Sqlite,
            dms: true,
        },
        System::Cairn {
            backend: Backend::Postgres,
            dms: false,
        },
        System::Cairn {
            backend: Backend::Postgres,
            dms: true,
        },
    ] {
        let binary = if system == System::Bolt {
            &peer
        } else {
            &binary
        };
        results.push((system, measure(&args, binary, system).await?));
    }
    compare(&results);
    Ok(())
}

/// One system under test.
#[derive(Debug, Clone, Copy, PartialEq)]
enum System {
    Cairn {
        backend: Backend,
        dms: bool,
    },
    /// The Bolt-JS peer on PostgreSQL (it leaves its DMs in its outbox table).
    Bolt,
}

impl System {
    fn backend(self) -> Backend {
        match self {
            System::Cairn { backend, .. } => backend,
            System::Bolt => Backend::Postgres,
        }
    }

    fn label(self) -> String {
        match self {
            System::Cairn { backend, dms: true } => {
                format!("cairn {}, delivering DMs", backend.name())
            }
            System::Cairn {
                backend,
                dms: false,
            } => format!("cairn {}, DMs left in the outbox", backend.name()),
            System::Bolt => "bolt-js peer, postgres (DMs left in its outbox)".to_owned(),
        }
    }

    /// Whether DMs are sent to the fake Slack (so the run may wait for them).
    fn delivers(self) -> bool {
        matches!(self, System::Cairn { dms: true, .. })
    }
}

/// The figures one system's run is compared by.
struct Figures {
    saturation: f64,
    steady_p99: f64,
    idle_mb: f64,
    peak_mb: f64,
}

/// Every figure as a ratio against the peer's, and delivery against no delivery.
fn compare(results: &[(System, Figures)]) {
    let Some((_, bolt)) = results.iter().find(|(s, _)| *s == System::Bolt) else {
        return;
    };
    println!();
    println!("side by side (one run; ratios against the bolt-js peer):");
    println!(
        "| system | saturation kudos/s | ×peer | p99 at the steady rate | ×peer | peak RSS | ×peer | idle RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (system, f) in results {
        println!(
            "| {} | {:.0} | {:.2} | {:.1} ms | {:.2} | {:.1} MB | {:.3} | {:.1} MB |",
            system.label(),
            f.saturation,
            f.saturation / bolt.saturation,
            f.steady_p99,
            f.steady_p99 / bolt.steady_p99,
            f.peak_mb,
            f.peak_mb / bolt.peak_mb,
            f.idle_mb,
        );
    }
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let find = |dms| {
            results
                .iter()
                .find(|(s, _)| *s == System::Cairn { backend, dms })
                .map(|(_, f)| f)
        };
        if let (Some(with), Some(without)) = (find(true), find(false)) {
            println!(
                "{} delivery keeps {:.0}% of the throughput without it ({:.0} / {:.0} kudos/s)",
                backend.name(),
                100.0 * with.saturation / without.saturation,
                with.saturation,
                without.saturation
            );
        }
    }
}

// ---------------------------------------------------------------- fake Slack

#[derive(Default)]
struct FakeSlack {
    opens: AtomicU64,
    posts: AtomicU64,
    other: AtomicU64,
}

#[derive(Deserialize)]
struct OpenBody {
    #[serde(default)]
    users: Option<String>,
}

async fn fake_open(State(fake): State<Arc<FakeSlack>>, body: Bytes) -> Response {
    fake.opens.fetch_add(1, Ordering::Relaxed);
    let user = serde_json::from_slice::<OpenBody>(&body)
        .ok()
        .and_then(|b| b.users)
        .unwrap_or_else(|| "U0BENCH".to_owned());
    let id = user.split(',').next().unwrap_or("U0BENCH");
    let id = id.get(1..).unwrap_or(id);
    json_response(format!(r#"{{"ok":true,"channel":{{"id":"D{id}"}}}}"#))
}

async fn fake_post(State(fake): State<Arc<FakeSlack>>) -> Response {
    let n = fake.posts.fetch_add(1, Ordering::Relaxed) + 1;
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    json_response(format!(r#"{{"ok":true,"ts":"{secs}.{n:06}"}}"#))
}

/// `users.info`: a person (not an app, not deactivated), so Cairn's people cache fills as it would.
async fn fake_user(State(fake): State<Arc<FakeSlack>>, body: String) -> Response {
    fake.other.fetch_add(1, Ordering::Relaxed);
    let user = body
        .split('&')
        .find_map(|kv| kv.strip_prefix("user="))
        .unwrap_or("U0")
        .to_owned();
    json_response(format!(
        r#"{{"ok":true,"user":{{"id":"{user}","team_id":"T07KUD0S01","name":"p","is_bot":false,"deleted":false,"tz":"Europe/Berlin"}}}}"#
    ))
}

async fn fake_auth() -> Response {
    json_response(
        r#"{"ok":true,"user_id":"UBOT","bot_id":"BBOT","team_id":"T07KUD0S01"}"#.to_owned(),
    )
}

async fn fake_other(State(fake): State<Arc<FakeSlack>>) -> Response {
    fake.other.fetch_add(1, Ordering::Relaxed);
    json_response(r#"{"ok":true}"#.to_owned())
}

async fn start_fake_slack() -> Result<(String, Arc<FakeSlack>)> {
    let fake = Arc::new(FakeSlack::default());
    let app = Router::new()
        .route("/api/conversations.open", post(fake_open))
        .route("/api/chat.postMessage", post(fake_post))
        .route("/api/users.info", post(fake_user))
        // The Bolt-JS peer asks once at start who its token is.
        .route("/api/auth.test", post(fake_auth))
        .fallback(fake_other)
        .with_state(fake.clone());
    let url = support::serve_fake_slack(NAMES.bench, app).await?;
    Ok((url, fake))
}

// ---------------------------------------------------------------- /proc

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// CPU use over one phase, in % of one core (200% = both cores of a 2-core machine).
struct CpuMeter {
    server_pid: u32,
    postgres: bool,
    start: Instant,
    server: u64,
    generator: u64,
    db: u64,
    machine: (u64, u64),
}

impl CpuMeter {
    fn start(server_pid: u32, postgres: bool) -> Self {
        Self {
            server_pid,
            postgres,
            start: Instant::now(),
            server: cpu_ticks(&format!("/proc/{server_pid}/stat")).unwrap_or(0),
            generator: cpu_ticks("/proc/self/stat").unwrap_or(0),
            db: if postgres { postgres_ticks() } else { 0 },
            machine: machine_ticks(),
        }
    }

    fn report(&self, hz: f64) -> String {
        let secs = self.start.elapsed().as_secs_f64();
        let pct = |ticks: u64| ticks as f64 / hz / secs * 100.0;
        let server = cpu_ticks(&format!("/proc/{}/stat", self.server_pid)).unwrap_or(0);
        let generator = cpu_ticks("/proc/self/stat").unwrap_or(0);
        let (busy, total) = machine_ticks();
        let machine = (busy - self.machine.0) as f64 / (total - self.machine.1).max(1) as f64;
        let mut line = format!(
            "cpu: server={:.0}% generator+fake-slack={:.0}%",
            pct(server.saturating_sub(self.server)),
            pct(generator.saturating_sub(self.generator)),
        );
        if self.postgres {
            let _ = write!(
                line,
                " postgres={:.0}%",
                pct(postgres_ticks().saturating_sub(self.db))
            );
        }
        let _ = write!(line, " machine busy={:.0}%", machine * 100.0);
        line
    }
}

/// Samples the child's VmRSS every 100 ms on its own thread.
struct RssSampler {
    peak_kb: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RssSampler {
    fn start(pid: u32) -> Self {
        let peak_kb = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (peak_kb, stop) = (peak_kb.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Some(kb) = rss_kb(pid) {
                        peak_kb.fetch_max(kb, Ordering::Relaxed);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        Self {
            peak_kb,
            stop,
            thread: Some(thread),
        }
    }

    /// The peak since the last call (resets it).
    fn take_peak(&self, pid: u32) -> u64 {
        let now = rss_kb(pid).unwrap_or(0);
        self.peak_kb.swap(0, Ordering::Relaxed).max(now)
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------- requests

/// Builds signed `/kudos` bodies: the fixture's form with the text replaced, split around the
/// request number so each body is one allocation.
struct Requests {
    url: String,
    prefix: String,
    suffix: String,
    counter: AtomicU64,
    people: u64,
}

impl Requests {
    fn new(base: &str, people: u64) -> Result<Self> {
        const MARK: &str = "KUDOSLOADTEXTMARK";
        let mut form: Vec<(String, String)> =
            serde_urlencoded::from_str(FIXTURE.trim()).map_err(|e| format!("fixture: {e}"))?;
        for (k, v) in form.iter_mut() {
            match k.as_str() {
                "team_id" => *v = "T07KUD0S01".into(),
                "user_id" => *v = "U07ALICE01".into(),
                "command" => *v = "/kudos".into(),
                "text" => *v = format!("{MARK}{TEXT}"),
                _ => {}
            }
        }
        if !form.iter().any(|(k, _)| k == "text") {
            form.push(("text".into(), format!("{MARK}{TEXT}")));
        }
        let encoded = serde_urlencoded::to_string(&form).map_err(|e| e.to_string())?;
        let (prefix, suffix) = encoded
            .split_once(MARK)
            .ok_or("the text marker did not survive encoding")?;
        Ok(Self {
            url: format!("{base}/slack/commands"),
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
            counter: AtomicU64::new(0),
            people,
        })
    }

    fn build(&self, http: &reqwest::Client) -> reqwest::RequestBuilder {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut body = String::with_capacity(self.prefix.len() + self.suffix.len() + 20);
        body.push_str(&self.prefix);
        // `<@U…> <@U…>`, form-encoded.
        // Request n names people 2n and 2n+1, so people/2 requests name everyone once.
        let (a, b) = ((2 * n) % self.people, (2 * n + 1) % self.people);
        let _ = write!(body, "%3C%40U{a:07}%3E+%3C%40U{b:07}%3E");
        body.push_str(&self.suffix);
        let ts = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs()
            .to_string();
        let signature = cairn::slack::verify::sign(SECRET.as_bytes(), &ts, body.as_bytes());
        http.post(&self.url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-slack-request-timestamp", ts)
            .header("x-slack-signature", signature)
            .body(body)
    }
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    response_type: Option<String>,
}

/// Sends one kudos; Ok(()) only for a durable one (200 with `"response_type":"in_channel"`).
async fn send_kudos(requests: &Requests, http: &reqwest::Client) -> Result<(), String> {
    let response = requests
        .build(http)
        .send()
        .await
        .map_err(|e| format!("transport: {e}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|e| format!("reading the body: {e}"))?;
    if status == 200 {
        if let Ok(answer) = serde_json::from_slice::<Answer>(&body) {
            if answer.response_type.as_deref() == Some("in_channel") {
                return Ok(());
            }
        }
    }
    let text = String::from_utf8_lossy(&body);
    let cut: String = text.chars().take(400).collect();
    Err(format!("HTTP {status}: {cut}"))
}

/// Latencies (µs), error count and the first few error bodies of one phase.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: u64,
    first_errors: Vec<String>,
}

impl Tally {
    fn with_capacity(n: usize) -> Self {
        Self {
            latencies_us: Vec::with_capacity(n),
            ..Default::default()
        }
    }

    fn record(&mut self, started: Instant, result: Result<(), String>) {
        let us = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
        match result {
            Ok(()) => self.latencies_us.push(us),
            Err(e) => {
                self.errors += 1;
                if self.first_errors.len() < SHOW_ERRORS {
                    self.first_errors.push(e);
                }
            }
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        for e in other.first_errors {
            if self.first_errors.len() < SHOW_ERRORS {
                self.first_errors.push(e);
            }
        }
    }

    fn ok(&self) -> u64 {
        self.latencies_us.len() as u64
    }

    /// Nearest-rank percentile in ms (latencies must be sorted).
    fn pct_ms(&self, p: f64) -> f64 {
        let v = &self.latencies_us;
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        v[rank.clamp(1, v.len()) - 1] as f64 / 1000.0
    }

    fn show_errors(&self, phase: &str) {
        for e in &self.first_errors {
            println!("  {phase} error: {e}");
        }
    }
}

// ---------------------------------------------------------------- phases

/// Phase A: `connections` tasks, each sending back to back until the deadline.
async fn saturation(
    requests: &Arc<Requests>,
    http: &reqwest::Client,
    connections: usize,
    duration: Duration,
) -> (Tally, Duration) {
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (requests, http) = (requests.clone(), http.clone());
            tokio::spawn(async move {
                let mut tally = Tally::with_capacity(8192);
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    let result = send_kudos(&requests, &http).await;
                    tally.record(sent, result);
                }
                tally
            })
        })
        .collect();
    let mut tally = Tally::default();
    for t in tasks {
        if let Ok(t) = t.await {
            tally.merge(t);
        }
    }
    (tally, start.elapsed())
}

/// Phase B: open loop. A dedicated thread sleeps until each request's scheduled time and spawns
/// it onto the runtime; latency runs from the scheduled time, so a stalled server shows up as
/// latency rather than as fewer requests.
async fn steady(
    requests: &Arc<Requests>,
    http: &reqwest::Client,
    rate: u64,
    duration: Duration,
) -> (Tally, Duration) {
    let total = rate * duration.as_secs();
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let tally = Arc::new(Mutex::new(Tally::with_capacity(total as usize)));
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let handle = tokio::runtime::Handle::current();
    let start = Instant::now() + Duration::from_millis(20);
    let dispatcher = {
        let (requests, http, tally) = (requests.clone(), http.clone(), tally.clone());
        std::thread::spawn(move || {
            let mut tasks = Vec::with_capacity(total as usize);
            for i in 0..total {
                let scheduled = start + interval.mul_f64(i as f64);
                let now = Instant::now();
                if scheduled > now {
                    std::thread::sleep(scheduled - now);
                }
                let (requests, http, tally, slots) =
                    (requests.clone(), http.clone(), tally.clone(), slots.clone());
                tasks.push(handle.spawn(async move {
                    let _slot = slots.acquire_owned().await;
                    let result = send_kudos(&requests, &http).await;
                    tally.lock().unwrap().record(scheduled, result);
                }));
            }
            tasks
        })
    };
    let tasks = tokio::task::spawn_blocking(move || dispatcher.join().unwrap())
        .await
        .unwrap();
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = start.elapsed();
    let tally = std::mem::take(&mut *tally.lock().unwrap());
    (tally, elapsed)
}

/// Waits (bounded) until the fake Slack has received `expected` DMs; returns how long it took,
/// or None if the limit passed first.
async fn drain(fake: &FakeSlack, expected: u64) -> Option<Duration> {
    let start = Instant::now();
    while fake.posts.load(Ordering::Relaxed) < expected {
        if start.elapsed() > DRAIN_LIMIT {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Some(start.elapsed())
}

fn describe_drain(d: Option<Duration>) -> String {
    match d {
        Some(d) => format!("drained in {:.1}s", d.as_secs_f64()),
        None => format!("NOT drained within {}s", DRAIN_LIMIT.as_secs()),
    }
}

/// Runs both phases against one system on a fresh database and prints its figures.
async fn measure(args: &Args, binary: &Path, system: System) -> Result<Figures> {
    let db = Db::create(&NAMES, system.backend()).await?;
    let result = measure_with_db(args, binary, system, &db).await;
    db.destroy().await;
    result
}

async fn measure_with_db(args: &Args, binary: &Path, system: System, db: &Db) -> Result<Figures> {
    let name = match system {
        System::Cairn { backend, .. } => backend.name(),
        System::Bolt => "bolt",
    };
    let postgres = system.backend() == Backend::Postgres;
    let hz = clock_ticks_per_sec();
    let (slack_url, fake) = start_fake_slack().await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(MAX_IN_FLIGHT)
        .pool_idle_timeout(Duration::from_secs(90))
        .tcp_nodelay(true)
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let mut server = match system {
        System::Cairn { dms, .. } => Server::start(
            binary,
            db,
            &slack_url,
            "cairn.log",
            &[("SLACK_BOT_TOKEN", dms.then_some(BOT_TOKEN))],
        )?,
        System::Bolt => Server::start_bolt_peer(binary, db, &slack_url)?,
    };
    let delivers = system.delivers();
    let drains = delivers && !args.no_drain;
    let result = async {
        server.wait_healthy(&http, Duration::from_millis(50)).await?;
        let pid = server.pid;
        println!(
            "{}: pid {pid} on {} (database {}), {} s per phase, {} connections, {}/s steady, receivers among {} people",
            system.label(),
            server.base,
            if postgres { db.pg.as_ref().unwrap().1.clone() } else { db.url.clone() },
            args.seconds,
            args.connections,
            args.rate,
            args.people,
        );
        tokio::time::sleep(Duration::from_secs(1)).await;
        let idle_kb = rss_kb(pid).ok_or("cannot read the server's VmRSS")?;
        let sampler = RssSampler::start(pid);
        let requests = Arc::new(Requests::new(&server.base, args.people)?);

        // Sanity check and warm-up: open the connections phase A will use, and name every one
        // of the people once so Cairn's people cache is warm, as in a workspace that has run
        // for a while (a cold cache asks Slack's users.info once per person).
        send_kudos(&requests, &http)
            .await
            .map_err(|e| format!("the first kudos was not accepted: {e}"))?;
        let per_connection = (args.people / 2).max(MIN_WARM_UP).div_ceil(args.connections as u64);
        let warm: Vec<_> = (0..args.connections)
            .map(|_| {
                let (requests, http) = (requests.clone(), http.clone());
                tokio::spawn(async move {
                    let mut ok = 0u64;
                    for _ in 0..per_connection {
                        if send_kudos(&requests, &http).await.is_ok() {
                            ok += 1;
                        }
                    }
                    ok
                })
            })
            .collect();
        let mut warm_ok = 1u64;
        for w in warm {
            warm_ok += w.await.unwrap_or(0);
        }
        if drains {
            let _ = drain(&fake, 2 * warm_ok).await;
        }

        // Phase A.
        let cpu = CpuMeter::start(pid, postgres);
        let duration = Duration::from_secs(args.seconds);
        let dms_before_a = fake.posts.load(Ordering::Relaxed);
        let (mut a, a_elapsed) =
            saturation(&requests, &http, args.connections, duration).await;
        let a_cpu = cpu.report(hz);
        let a_peak = sampler.take_peak(pid);
        a.latencies_us.sort_unstable();
        let a_rate = a.ok() as f64 / a_elapsed.as_secs_f64();
        let dms_at_a = fake.posts.load(Ordering::Relaxed);
        let expected_a = 2 * (warm_ok + a.ok());
        let a_drain = if drains { drain(&fake, expected_a).await } else { None };
        let _ = sampler.take_peak(pid); // the drain is not part of either phase

        // Phase B.
        let cpu = CpuMeter::start(pid, postgres);
        let dms_before_b = fake.posts.load(Ordering::Relaxed);
        let (mut b, b_elapsed) = steady(&requests, &http, args.rate, duration).await;
        let b_cpu = cpu.report(hz);
        let b_peak = sampler.take_peak(pid);
        b.latencies_us.sort_unstable();
        let b_rate = (b.ok() + b.errors) as f64 / b_elapsed.as_secs_f64();
        let b_max = b.latencies_us.last().copied().unwrap_or(0) as f64 / 1000.0;
        let dms_at_b = fake.posts.load(Ordering::Relaxed);
        let expected = expected_a + 2 * b.ok();
        let b_drain = if drains { drain(&fake, expected).await } else { None };
        drop(sampler);

        println!(
            "{name} saturation: {a_rate:.0} kudos/s p50={:.1}ms p99={:.1}ms errors={}",
            a.pct_ms(50.0),
            a.pct_ms(99.0),
            a.errors
        );
        println!(
            "  {} kudos in {:.2}s; {a_cpu}; peak rss={:.1}MB",
            a.ok(),
            a_elapsed.as_secs_f64(),
            mb(a_peak)
        );
        a.show_errors("saturation");
        println!(
            "{name} steady@{}/s: achieved={b_rate:.0}/s p50={:.1}ms p99={:.1}ms max={b_max:.1}ms errors={}",
            args.rate,
            b.pct_ms(50.0),
            b.pct_ms(99.0),
            b.errors
        );
        println!(
            "  {} kudos in {:.2}s; p90={:.1}ms p99.9={:.1}ms; {b_cpu}; peak rss={:.1}MB",
            b.ok(),
            b_elapsed.as_secs_f64(),
            b.pct_ms(90.0),
            b.pct_ms(99.9),
            mb(b_peak)
        );
        b.show_errors("steady");
        println!(
            "{name} rss: idle={:.1}MB peak={:.1}MB",
            mb(idle_kb),
            mb(a_peak.max(b_peak))
        );
        if !delivers {
            println!("{name} dms: none sent (the outbox holds {expected})");
        } else if drains {
            println!(
                "{name} dms: received={} expected={expected} (after saturation {dms_at_a}/{expected_a}, {}; after steady {dms_at_b}, {}) conversations.open={}",
                fake.posts.load(Ordering::Relaxed),
                describe_drain(a_drain),
                describe_drain(b_drain),
                fake.opens.load(Ordering::Relaxed),
            );
        } else {
            println!(
                "{name} dms: sent during saturation {} ({:.0}/s), during steady {} ({:.0}/s); {} of {expected} by the end, the rest paced (no drain) conversations.open={}",
                dms_at_a - dms_before_a,
                (dms_at_a - dms_before_a) as f64 / a_elapsed.as_secs_f64(),
                dms_at_b - dms_before_b,
                (dms_at_b - dms_before_b) as f64 / b_elapsed.as_secs_f64(),
                dms_at_b,
                fake.opens.load(Ordering::Relaxed),
            );
        }
        Ok(Figures {
            saturation: a_rate,
            steady_p99: b.pct_ms(99.0),
            idle_mb: mb(idle_kb),
            peak_mb: mb(a_peak.max(b_peak)),
        })
    }
    .await;
    let log_head = server.log_head(10);
    let status = server.stop();
    match status {
        Some(s) if s.success() => {}
        Some(s) => println!("{name}: the server exited with {s} after SIGTERM"),
        None => println!("{name}: could not reap the server"),
    }
    if !log_head.is_empty() {
        println!("{name}: the server's log:\n{log_head}");
    }
    result
}
