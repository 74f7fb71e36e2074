//! Soak benchmark: nothing lost and nothing doubled, for as long as you let it run (results in
//! `benches/README.md`, section "Soak").
//!
//! ```sh
//! cargo build --release
//! cargo bench --bench soak -- --minutes 30 [--rate 200] [--people 2000]
//! ```
//!
//! Two `target/release/cairn serve` replicas share one fresh PostgreSQL database
//! (`cairn_soak_<pid>` on `CAIRN_BENCH_POSTGRES_URL`) and one fake Slack (`soak/fake_slack.rs`)
//! that rate-limits, fails in bursts and stalls on a schedule. An open-loop driver sends
//! `--rate` signed requests a second, spread over both replicas as a load balancer would:
//! `/kudos` (40%), `/growth log` (15%), `/growth summary` (12.5%), `reaction_added` events with
//! the kudos emoji (15%), `app_home_opened` events (15%) and `/growth packet` (2.5%). Events are
//! retried as Slack retries them (after 2, 10 and 30 s) until one delivery gets a 200. Replica B
//! is SIGKILLed every two minutes (the first at 75 s) and started again 3 s later; replica A
//! runs throughout, and its RSS is read once every kind of fault has happened (two minutes in)
//! and at the end.
//!
//! After the traffic, faults stop and the outbox drains; then every request's outcome is checked
//! against the database and against what the fake Slack received:
//!
//! - a confirmed kudos, log, reaction kudos or packet is recorded (and delivered) exactly once;
//!   one refused ("not saved, try again") is not recorded; one cut off (replica killed, no answer
//!   in 3 s) is recorded at most once;
//! - each recorded kudos reaches each receiver's DM exactly once, each reaction kudos its author;
//! - every outbox row is posted at most once (by its dedupe key), and none is left pending or
//!   dead;
//! - each App Home opened is published after it was opened.
//!
//! The run fails (exit code 1) on any duplicate, any loss, or replica A's RSS growing by more
//! than 10%.

#[path = "soak/fake_slack.rs"]
mod fake_slack;
// Shared by every bench; the soak uses part of it.
#[allow(dead_code)]
#[path = "support/mod.rs"]
mod support;
#[path = "soak/traffic.rs"]
mod traffic;
#[path = "soak/verify.rs"]
mod verify;

use std::process::ExitCode;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};
use support::{rss_kb, Backend, Db, Flags, Names, Server, BOT_TOKEN};

const NAMES: Names = Names {
    bench: "soak",
    dir: "cairn-soak",
    database: "cairn_soak",
};

const USAGE: &str = "usage: cargo bench --bench soak -- [--minutes N] [--rate R] [--people P]";

/// The first SIGKILL of replica B, and the time between two.
const KILL_AT: Duration = Duration::from_secs(75);
const KILL_EVERY: Duration = Duration::from_secs(120);
/// How long B stays down.
const DOWN_FOR: Duration = Duration::from_secs(3);
/// The outbox must be empty within this long after the traffic.
const DRAIN_LIMIT: Duration = Duration::from_secs(600);
/// Replica A's RSS may grow this much between a minute in and the end.
const RSS_GROWTH_LIMIT: f64 = 0.10;

type Result<T, E = String> = std::result::Result<T, E>;

pub struct Args {
    pub minutes: u64,
    pub rate: u64,
    pub people: u64,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        minutes: 5,
        rate: 200,
        people: 2000,
    };
    let mut flags = Flags::new(USAGE);
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            // `cargo bench` passes `--bench` to harness-less benches.
            "--bench" => {}
            "--minutes" => args.minutes = flags.number()?,
            "--rate" => args.rate = flags.number()?,
            "--people" => args.people = flags.number()?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.people < 3 {
        return Err("--people must be at least 3 (a kudos names two others)".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    support::main(NAMES.bench, parse_args, run)
}

/// The two replicas: A always up; B down between its SIGKILL and its next healthy answer.
pub struct Replicas {
    pub a: String,
    pub b: RwLock<Option<String>>,
}

impl Replicas {
    /// Where request `n` goes: odd ones to B while it is up, the rest to A.
    pub fn target(&self, n: u64) -> String {
        if n % 2 == 1 {
            if let Some(b) = self.b.read().unwrap().clone() {
                return b;
            }
        }
        self.a.clone()
    }
}

fn start(binary: &std::path::Path, db: &Db, slack: &str, log: &str) -> Result<Server> {
    Server::start(
        binary,
        db,
        slack,
        log,
        &[
            ("SLACK_BOT_TOKEN", Some(BOT_TOKEN)),
            ("RUST_LOG", Some("warn")),
        ],
    )
}

async fn run(args: Args) -> Result<()> {
    let binary = support::release_binary()?;
    let db = Db::create(&NAMES, Backend::Postgres).await?;
    let outcome = soak(&args, &binary, &db).await;
    db.destroy().await;
    outcome
}

async fn soak(args: &Args, binary: &std::path::Path, db: &Db) -> Result<()> {
    let fake = fake_slack::FakeSlack::new();
    let slack = fake.serve().await?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .map_err(|e| e.to_string())?;
    // A first, so the two do not both migrate the fresh database.
    let mut a = start(binary, db, &slack, "a.log")?;
    a.wait_healthy(&http, Duration::from_millis(50)).await?;
    let mut b = start(binary, db, &slack, "b-0.log")?;
    b.wait_healthy(&http, Duration::from_millis(50)).await?;
    let replicas = Arc::new(Replicas {
        a: a.base.clone(),
        b: RwLock::new(Some(b.base.clone())),
    });
    let b = Arc::new(Mutex::new(Some(b)));
    let duration = Duration::from_secs(args.minutes * 60);
    eprintln!(
        "soak: {} min at {} requests/s over {} people; replica B SIGKILLed every {} s",
        args.minutes,
        args.rate,
        args.people,
        KILL_EVERY.as_secs()
    );

    fake.start_faults();
    let begun = Instant::now();
    let rss = sample_rss(a.pid, begun, duration);
    let kills = kill_b_repeatedly(binary, db, &slack, &http, &replicas, &b, begun, duration);
    let plan = traffic::Plan {
        rate: args.rate,
        people: args.people,
        duration,
    };
    let done = traffic::drive(&plan, &http, &replicas).await;
    let traffic_secs = begun.elapsed().as_secs_f64();
    let kills = kills.await.map_err(|e| e.to_string())??;
    let rss = rss.await.map_err(|e| e.to_string())?;

    fake.stop_faults();
    eprintln!("soak: traffic over after {traffic_secs:.0} s; draining the outbox");
    let drained = verify::drain(&db.url, DRAIN_LIMIT).await?;
    let report = verify::check(&db.url, &fake, &done, args.people).await?;

    let (rss_start, rss_end, rss_max) = rss;
    let growth = rss_end as f64 / rss_start.max(1) as f64 - 1.0;
    println!(
        "soak: {} min, {} requests/s, 2 replicas on PostgreSQL",
        args.minutes, args.rate
    );
    println!("  traffic: {traffic_secs:.0} s; replica B SIGKILLed {kills} times");
    print!("{report}");
    println!("  outbox drained {drained:.1} s after the traffic");
    println!(
        "  faults: {} rate-limited (429), {} refused in 5xx bursts, {} stalled",
        fake.faults
            .rate_limited
            .load(std::sync::atomic::Ordering::Relaxed),
        fake.faults
            .failed
            .load(std::sync::atomic::Ordering::Relaxed),
        fake.faults
            .stalled
            .load(std::sync::atomic::Ordering::Relaxed),
    );
    println!(
        "  RSS of replica A: {:.1} MB after the first fault cycle, {:.1} MB at the end ({:+.1}%), {:.1} MB at most",
        mb(rss_start),
        mb(rss_end),
        growth * 100.0,
        mb(rss_max)
    );

    if let Some(b) = b.lock().unwrap().take() {
        b.stop();
    }
    a.stop();
    let mut failures = report.failures();
    if growth > RSS_GROWTH_LIMIT {
        failures.push(format!(
            "replica A's RSS grew {:.1}% (at most {:.0}%)",
            growth * 100.0,
            RSS_GROWTH_LIMIT * 100.0
        ));
    }
    if failures.is_empty() {
        println!("  PASS: 0 duplicates, 0 losses");
        Ok(())
    } else {
        Err(failures.join("; "))
    }
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// Replica A's RSS once every kind of traffic and fault has happened (the first full fault
/// cycle: two minutes, or half a shorter run), at the end, and at most.
fn sample_rss(
    pid: u32,
    begun: Instant,
    duration: Duration,
) -> tokio::task::JoinHandle<(u64, u64, u64)> {
    let first_at = (KILL_AT + DOWN_FOR + Duration::from_secs(42)).min(duration / 2);
    tokio::spawn(async move {
        let (mut first, mut last, mut max, mut printed) = (0, 0, 0, 0);
        while begun.elapsed() < duration {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let Some(kb) = rss_kb(pid) else { continue };
            if first == 0 && begun.elapsed() >= first_at {
                first = kb;
            }
            last = kb;
            max = max.max(kb);
            let minute = begun.elapsed().as_secs() / 60;
            if minute > printed {
                printed = minute;
                eprintln!("soak: minute {minute}, replica A at {:.1} MB", mb(kb));
            }
        }
        (first, last, max)
    })
}

/// SIGKILLs replica B on the schedule and starts it again; how many times.
#[allow(clippy::too_many_arguments)]
fn kill_b_repeatedly(
    binary: &std::path::Path,
    db: &Db,
    slack: &str,
    http: &reqwest::Client,
    replicas: &Arc<Replicas>,
    b: &Arc<Mutex<Option<Server>>>,
    begun: Instant,
    duration: Duration,
) -> tokio::task::JoinHandle<Result<u32>> {
    let (binary, slack, http) = (binary.to_owned(), slack.to_owned(), http.clone());
    let (replicas, b) = (replicas.clone(), b.clone());
    let db = db.share();
    tokio::spawn(async move {
        let mut kills = 0;
        let mut next = KILL_AT;
        while next + DOWN_FOR < duration {
            tokio::time::sleep_until((begun + next).into()).await;
            *replicas.b.write().unwrap() = None;
            if let Some(server) = b.lock().unwrap().take() {
                server.kill();
            }
            kills += 1;
            tokio::time::sleep(DOWN_FOR).await;
            let mut server = start(&binary, &db, &slack, &format!("b-{kills}.log"))?;
            server
                .wait_healthy(&http, Duration::from_millis(50))
                .await?;
            *replicas.b.write().unwrap() = Some(server.base.clone());
            *b.lock().unwrap() = Some(server);
            next += KILL_EVERY;
        }
        Ok(kills)
    })
}
