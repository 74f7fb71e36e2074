//! A week of scheduler ticks (results in `benches/README.md`, section "prompt_ticks").
//!
//! ```sh
//! cargo bench --bench prompt_ticks -- [--backend sqlite|postgres] [--people N]
//! ```
//!
//! Against a fresh database (as `summary_scale`): N people (default 10,000) spread over 30 time
//! zones from UTC-10 to UTC+14, none scheduled yet. Passes at the start time give everyone their
//! first slot (a batch per pass); then `cairn::jobs::scheduler::Scheduler::run_once` every minute of
//! simulated time for one week, from Monday 23 March 2026 00:00 UTC (Europe
//! changes to summer time that Sunday). It checks that the week produced exactly one weekly
//! prompt per person, and reports the first pass (which gives everyone their first slot), the
//! time per prompt over the ticks that sent some, and the ticks with nothing due.

#[allow(dead_code)] // the server and fake-Slack helpers serve the other benches
#[path = "support/mod.rs"]
mod support;

use cairn::clock::ManualClock;
use cairn::config::{Digests as DigestSettings, Prompts};
use cairn::domain::framework::Framework;
use cairn::jobs::scheduler::Scheduler;
use cairn::services::digests::Digests;
use cairn::services::people::People;
use cairn::services::prompts::weekly::Weekly;
use cairn::store::{OrgPerson, Store};
use chrono::{DateTime, Duration as Minutes, Utc};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Backend, Db, Flags, Names};

const NAMES: Names = Names {
    bench: "prompt_ticks",
    dir: "cairn-prompt-bench",
    database: "cairn_prompts",
};

const TEAM: &str = "T0BENCH001";
const ZONES: [&str; 30] = [
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Halifax",
    "America/St_Johns",
    "America/Sao_Paulo",
    "Atlantic/Azores",
    "Europe/London",
    "Europe/Berlin",
    "Europe/Athens",
    "Europe/Istanbul",
    "Asia/Tehran",
    "Asia/Dubai",
    "Asia/Kabul",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Apia",
    "Pacific/Kiritimati",
];

type Result<T, E = String> = std::result::Result<T, E>;

struct Args {
    backend: Backend,
    people: u64,
}

const USAGE: &str =
    "usage: cargo bench --bench prompt_ticks -- [--backend sqlite|postgres] [--people N]";

fn parse_args() -> Result<Args> {
    let mut args = Args {
        backend: Backend::Sqlite,
        people: 10_000,
    };
    let mut flags = Flags::new(USAGE);
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "--bench" => {}
            "--backend" => args.backend = flags.backend()?,
            "--people" => args.people = flags.number()?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown flag {other}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    support::main(NAMES.bench, parse_args, run)
}

async fn run(args: Args) -> Result<()> {
    let db = Db::create(&NAMES, args.backend).await?;
    let result = run_with_db(&args, &db).await;
    db.destroy().await;
    result
}

fn user_id(n: u64) -> String {
    format!("U{:09}", 100_000_000 + n)
}

async fn run_with_db(args: &Args, db: &Db) -> Result<()> {
    let name = args.backend.name();
    let store = cairn::store::connect(&db.url)
        .await
        .map_err(|e| e.to_string())?;
    let start: DateTime<Utc> = "2026-03-23T00:00:00Z".parse().expect("a time");
    // The people, placed by the org chart (one transaction), then each given a Slack time zone.
    let people: Vec<OrgPerson> = (0..args.people)
        .map(|n| OrgPerson {
            user_id: user_id(n),
            name: Some(format!("Person {n}")),
            ..OrgPerson::default()
        })
        .collect();
    store
        .import_org(TEAM, &people, start)
        .await
        .map_err(|e| e.to_string())?;
    for (n, p) in people.iter().enumerate() {
        let person = cairn::store::Person {
            team_id: TEAM.into(),
            user_id: p.user_id.clone(),
            name: p.name.clone(),
            real_name: p.name.clone(),
            tz: Some(ZONES[n % ZONES.len()].into()),
            is_bot: false,
            deleted: false,
            updated_at: start,
        };
        store
            .upsert_person(&person)
            .await
            .map_err(|e| e.to_string())?;
    }
    let store: Arc<dyn Store> = store;
    let clock = ManualClock::new(start);
    let placements = cairn::services::placements::Placements::new(store.clone());
    let people = People::new(store.clone(), None, Arc::new(clock.clone()), placements);
    let framework = Arc::new(Framework::load("matrix-3x3").map_err(|e| e.to_string())?);
    let scheduler = Scheduler::new(
        Weekly::new(
            store.clone(),
            people,
            framework.clone(),
            Arc::new(Prompts::default()),
        ),
        Digests::new(store.clone(), framework, DigestSettings::default()),
        store.clone(),
        cairn::jobs::scheduler::Retention {
            events: chrono::Duration::days(7),
            oauth_states: chrono::Duration::hours(24),
        },
    );

    // Newcomers get their first slot a batch per pass; the passes at the start time do them all.
    let (t, mut passes, mut scheduled) = (Instant::now(), 0, 0);
    loop {
        let pass = scheduler.run_once(start).await.map_err(|e| e.to_string())?;
        if pass.prompted > 0 {
            return Err(format!("a newcomer was prompted at once: {pass:?}"));
        }
        if pass.scheduled == 0 {
            break;
        }
        passes += 1;
        scheduled += pass.scheduled;
    }
    let first_took = t.elapsed();
    println!(
        "{name} first slots: {scheduled} people in {passes} passes, {:.2}s ({:.3} ms each)",
        first_took.as_secs_f64(),
        first_took.as_secs_f64() * 1000.0 / scheduled.max(1) as f64,
    );

    let (mut idle, mut busy, mut prompts, mut busy_ticks) = (Vec::new(), Duration::ZERO, 0, 0);
    let mut worst_busy = Duration::ZERO;
    for minute in 1..=7 * 24 * 60 {
        let now = start + Minutes::minutes(minute);
        clock.set(now);
        let t = Instant::now();
        let pass = scheduler.run_once(now).await.map_err(|e| e.to_string())?;
        let took = t.elapsed();
        if pass.prompted == 0 {
            idle.push(took);
        } else {
            prompts += pass.prompted;
            busy += took;
            busy_ticks += 1;
            worst_busy = worst_busy.max(took);
        }
        if pass.late > 0 || pass.held > 0 || pass.scheduled > 0 {
            return Err(format!("unexpected pass at {now}: {pass:?}"));
        }
    }
    println!(
        "{name} a week of ticks: {prompts} prompts from {busy_ticks} ticks in {:.2}s ({:.3} ms per prompt; slowest tick {:.1} ms)",
        busy.as_secs_f64(),
        busy.as_secs_f64() * 1000.0 / prompts.max(1) as f64,
        worst_busy.as_secs_f64() * 1000.0
    );
    println!(
        "{name} ticks with nothing due: {}",
        support::percentiles(&mut idle)
    );
    if prompts as u64 != args.people {
        return Err(format!(
            "expected exactly {} prompts in the week, got {prompts}",
            args.people
        ));
    }
    let outbox = store.outbox_counts().await.map_err(|e| e.to_string())?;
    println!("{name} outbox after the week: {outbox:?}");
    store.close().await;
    Ok(())
}
