//! Summaries at scale (results, targets and query plans in `benches/README.md`, section
//! "summary_scale").
//!
//! ```sh
//! cargo bench --bench summary_scale -- [--backend sqlite|postgres] [--people N] [--items N]
//! ```
//!
//! Against a fresh database (SQLite file in a temp dir, or a new PostgreSQL database
//! `cairn_summary_<pid>` on `CAIRN_BENCH_POSTGRES_URL`), migrated by `cairn::store::connect`:
//!
//! 1. Generates an organisation in the database itself, with SQL: N people (default 10,000) in
//!    teams of 25 and groups of 10 teams, with a manager tree, and M items (default 1,000,000)
//!    spread evenly over the two years before now: 70% kudos (one receiver, one or two
//!    competencies, sometimes a multiplier kind), 30% evidence the subject logged themselves.
//!    Then ANALYZE (PostgreSQL: `VACUUM (ANALYZE)`).
//! 2. Measures `cairn::services::summaries::one` through the real store for the last 90 days: one
//!    person's summary (1,000 random people, as the JSON API and as the person themselves), a
//!    review cycle (every person's summary, one at a time and two at a time), the same summaries
//!    with and without the level lens and the quarters (what those add), the packet (200 random
//!    people: the report plus its Markdown, CSV, JSON and PNG chart), the review page
//!    `/people/{user}` (200 people: session, viewer, summary and HTML, less HTTP), and
//!    `/growth team` for 200 managers of 12 (team leads made so by moving half their team to a
//!    deputy).
//! 3. Prints the query plan of every statement one summary runs, with real parameter values.

#[allow(dead_code)] // the server and fake-Slack helpers serve the other benches
#[path = "support/mod.rs"]
mod support;

use cairn::domain::framework::Framework;
use cairn::domain::growth::{Viewer, Visibility};
use cairn::domain::period::Period;
use cairn::domain::summary::Summary;
use cairn::report::{json, packet};
use cairn::services::summaries::{self, Ask, What};
use cairn::store::Store;
use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use sqlx::{Connection, PgConnection, Row, SqliteConnection};
use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{Backend, Db, Flags, Names};

const NAMES: Names = Names {
    bench: "summary_scale",
    dir: "cairn-summary-bench",
    database: "cairn_summary",
};

const TEAM: &str = "T0BENCH001";
const FRAMEWORK: &str = "matrix-3x3";
const TEAM_SIZE: u64 = 25;
const TEAMS_PER_GROUP: u64 = 10;
const KUDOS_PERCENT: u64 = 70;
const SPAN_DAYS: i64 = 730;
/// Summaries run before anything is timed, so caches and prepared statements are warm.
const WARM_UP: usize = 500;
const SINGLE: usize = 1_000;
const PACKETS: usize = 200;
/// The same people are picked on every run and both backends.
const SEED: u64 = 0x5eed_ca1e;

type Result<T, E = String> = std::result::Result<T, E>;

// ---------------------------------------------------------------- arguments

struct Args {
    backend: Backend,
    people: u64,
    items: u64,
}

const USAGE: &str =
    "usage: cargo bench --bench summary_scale -- [--backend sqlite|postgres] [--people N] [--items N]";

fn parse_args() -> Result<Args> {
    let mut args = Args {
        backend: Backend::Sqlite,
        people: 10_000,
        items: 1_000_000,
    };
    let mut flags = Flags::new(USAGE);
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            // `cargo bench` passes `--bench` to harness-less benches.
            "--bench" => {}
            "--backend" => args.backend = flags.backend()?,
            "--people" => args.people = flags.number()?,
            "--items" => args.items = flags.number()?,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    let group = TEAM_SIZE * TEAMS_PER_GROUP;
    if args.people % group != 0 || args.people > 1_000_000 {
        return Err(format!(
            "--people must be a multiple of {group} (whole groups), at most 1000000"
        ));
    }
    Ok(args)
}

fn main() -> ExitCode {
    CAPTURE.install();
    support::main(NAMES.bench, parse_args, run)
}

async fn run(args: Args) -> Result<()> {
    let db = Db::create(&NAMES, args.backend).await?;
    let result = run_with_db(&args, &db).await;
    db.destroy().await;
    result
}

async fn run_with_db(args: &Args, db: &Db) -> Result<()> {
    let name = args.backend.name();
    let err = |e: &dyn std::fmt::Display| format!("{name}: {e}");
    cairn::store::connect(&db.url)
        .await
        .map_err(|e| err(&e))?
        .close()
        .await;
    let mut conn = Conn::open(args.backend, &db.url).await?;
    let now = Utc::now();
    let shape = Shape::new(args, now);
    let started = Instant::now();
    conn.generate(&shape).await?;
    let generated = started.elapsed();
    let (counts, bytes) = conn.census().await?;
    println!(
        "{name} generate: {} people, {} kudos, {} evidence ({} kudos tags, {} evidence tags, {} evidence people) in {:.1}s; database {:.0} MB",
        counts[0], counts[1], counts[2], counts[3], counts[4], counts[5],
        generated.as_secs_f64(),
        bytes as f64 / 1048576.0
    );

    // A store opened after ANALYZE, as a server started on this database would be.
    let store = cairn::store::connect(&db.url).await.map_err(|e| err(&e))?;
    let framework = Framework::load(FRAMEWORK).map_err(|e| err(&e))?;
    let bench = Bench {
        store: store.clone(),
        framework: Arc::new(framework),
        period: Period::default_ending(now.date_naive()),
        now,
    };
    let people: Vec<String> = (0..args.people).map(user_id).collect();
    let mut rng = StdRng::seed_from_u64(SEED);
    let pick = |rng: &mut StdRng, n: usize| -> Vec<String> {
        (0..n)
            .map(|_| people.choose(rng).expect("people").clone())
            .collect()
    };

    let warm = pick(&mut rng, WARM_UP);
    for subject in &warm {
        bench.summary(subject, api(), What::Summary).await?;
    }

    let single = pick(&mut rng, SINGLE);
    for (label, as_self) in [("as api", false), ("as self", true)] {
        let cpu = Cpu::start(args.backend);
        let (mut times, items) = bench.each(&single, as_self).await?;
        println!(
            "{name} summary {label}: {} (items seen: mean {:.1}); {}",
            support::percentiles(&mut times),
            items as f64 / SINGLE as f64,
            cpu.report()
        );
    }

    // What the lens and the quarters add: the same people's summaries as the `/evidence` read
    // makes them (the period's items, no lens, no quarters) and as a summary makes them, the two
    // asked in turn for each person (alternating which goes first), so both see the same caches.
    let mut times = [
        Vec::with_capacity(single.len()),
        Vec::with_capacity(single.len()),
    ];
    for (n, subject) in single.iter().enumerate() {
        let order = if n % 2 == 0 { [0, 1] } else { [1, 0] };
        for which in order {
            let what = [What::Evidence, What::Summary][which];
            let t = Instant::now();
            bench.summary(subject, api(), what).await?;
            times[which].push(t.elapsed());
        }
    }
    let mut p95 = Vec::new();
    for (label, mut times) in ["without lens and quarters", "with lens and quarters"]
        .into_iter()
        .zip(times)
    {
        times.sort_unstable();
        p95.push(times[times.len() * 95 / 100]);
        println!(
            "{name} summary {label}: {}",
            support::percentiles(&mut times)
        );
    }
    println!(
        "{name} the lens and quarters add {:.2} ms at p95",
        (p95[1].as_secs_f64() - p95[0].as_secs_f64()) * 1000.0
    );

    let mut cycle = people.clone();
    cycle.shuffle(&mut rng);
    for concurrency in [1, 2] {
        let cpu = Cpu::start(args.backend);
        let t = Instant::now();
        let mut times = bench.cycle(&cycle, concurrency).await?;
        let took = t.elapsed();
        println!(
            "{name} review cycle, concurrency {concurrency}: {} summaries in {:.2}s; each: {}; {}",
            cycle.len(),
            took.as_secs_f64(),
            support::percentiles(&mut times),
            cpu.report()
        );
    }

    let packets = pick(&mut rng, PACKETS);
    let (mut total, mut render, mut bytes) = (Vec::new(), Vec::new(), 0);
    let cpu = Cpu::start(args.backend);
    for subject in &packets {
        let t = Instant::now();
        let report = bench.summary(subject, api(), What::Packet).await?;
        let r = Instant::now();
        bytes += render_packet(&bench.framework, &report);
        render.push(r.elapsed());
        total.push(t.elapsed());
    }
    println!(
        "{name} packet (report + markdown + csv + json + chart): {}; rendering alone: {}; {:.1} kB each; {}",
        support::percentiles(&mut total),
        support::percentiles(&mut render),
        bytes as f64 / 1024.0 / PACKETS as f64,
        cpu.report()
    );

    // The review page `/people/{user}` as its handler builds it, less HTTP: the session, the
    // viewer's name and whether they have reports, the packet summary, and the HTML with the
    // chart inline as SVG.
    let pages = pick(&mut rng, PACKETS);
    let (mut times, mut bytes) = (Vec::with_capacity(pages.len()), 0);
    let viewer = user_id(0);
    let cpu = Cpu::start(args.backend);
    for subject in &pages {
        let t = Instant::now();
        store
            .web_session(&"0".repeat(64), now, now - chrono::Duration::hours(8))
            .await
            .map_err(|e| err(&e))?;
        let names = store
            .org_people(TEAM, std::slice::from_ref(&viewer))
            .await
            .map_err(|e| err(&e))?;
        let has_team = !store
            .reports_of(TEAM, &viewer)
            .await
            .map_err(|e| err(&e))?
            .is_empty();
        let report = bench.summary(subject, api(), What::WebPacket).await?;
        let chrome = cairn::report::page::Chrome {
            viewer_name: names
                .get(&viewer)
                .and_then(|p| p.name.as_deref())
                .unwrap_or(&viewer),
            csrf: "0",
            has_team,
        };
        bytes += cairn::report::page::person(&chrome, &bench.framework, &report).len();
        times.push(t.elapsed());
    }
    println!(
        "{name} /people/{{user}} page (session, viewer, summary, HTML with the SVG chart): {}; {:.1} kB each; {}",
        support::percentiles(&mut times),
        bytes as f64 / 1024.0 / PACKETS as f64,
        cpu.report()
    );

    // `/growth team` for managers of 12: the leads of 200 teams (none a group's lead) hand the
    // second half of their team to their deputy, then each lead's view is asked for.
    let leads: Vec<String> = (0..args.people / TEAM_SIZE)
        .filter(|t| t % TEAMS_PER_GROUP != 0)
        .take(200)
        .map(|t| user_id(t * TEAM_SIZE))
        .collect();
    conn.twelve_reports(leads.len() as u64).await?;
    let mut times = Vec::with_capacity(leads.len());
    let cpu = Cpu::start(args.backend);
    for lead in &leads {
        let t = Instant::now();
        let ask = cairn::services::team::Ask {
            team: TEAM,
            manager: lead,
            period: bench.period,
            viewer: api(),
            on_web: false,
        };
        let view = cairn::services::team::view(store.as_ref(), &bench.framework, ask, now)
            .await
            .map_err(|e| format!("team of {lead}: {e}"))?;
        times.push(t.elapsed());
        if view.reports.len() != 12 {
            return Err(format!("{lead} has {} reports, not 12", view.reports.len()));
        }
    }
    println!(
        "{name} /growth team, a manager of 12: {}; {}",
        support::percentiles(&mut times),
        cpu.report()
    );

    // Where a summary's time goes: sqlx's own timing of each statement (on PostgreSQL a round
    // trip included), over summaries run apart from the figures above, as logging them costs.
    let sample = pick(&mut rng, SINGLE);
    let t = Instant::now();
    let ran = CAPTURE
        .during(async {
            for subject in &sample {
                bench.summary(subject, api(), What::Summary).await?;
            }
            Ok(())
        })
        .await?;
    let wall = t.elapsed().as_secs_f64() * 1000.0 / SINGLE as f64;
    let mut by_statement: Vec<(String, usize, f64)> = Vec::new();
    for (sql, secs) in ran {
        let sql = without_lists(&one_line(&sql));
        match by_statement.iter_mut().find(|s| s.0 == sql) {
            Some(s) => {
                s.1 += 1;
                s.2 += secs;
            }
            None => by_statement.push((sql, 1, secs)),
        }
    }
    println!("\n{name} statements of a summary as api (mean over {SINGLE} summaries of {wall:.2} ms each, logging on):");
    let mut in_sql = 0.0;
    for (sql, runs, secs) in &by_statement {
        let per = secs * 1000.0 / SINGLE as f64;
        in_sql += per;
        let short: String = sql.chars().take(90).collect();
        println!(
            "  {:>5.2} runs {:>6.3} ms  {short}",
            *runs as f64 / SINGLE as f64,
            per
        );
    }
    println!(
        "  in statements {in_sql:.2} ms, elsewhere {:.2} ms",
        wall - in_sql
    );

    // Someone with items of every kind, so every statement of a summary runs.
    let subject = &single[0];
    let own_report = bench.summary(subject, own(subject), What::Summary).await?;
    let statements = CAPTURE
        .statements(async {
            bench.summary(subject, own(subject), What::Summary).await?;
            bench.summary(subject, api(), What::Summary).await
        })
        .await?;
    let params = Params::of(&bench, subject, &own_report);
    println!("\n{name} query plans (the statements of one summary of {subject}, as itself and as the API):");
    for sql in statements {
        println!("\n{}", one_line(&sql));
        match params.of_statement(&sql) {
            Some(args) => match conn.explain(&sql, &args).await? {
                plan if plan.is_empty() => println!("  (no plan: it reads no table)"),
                plan => print!("{plan}"),
            },
            None => println!("  (no parameters known for this statement: plan not shown)"),
        }
    }
    store.close().await;
    Ok(())
}

fn user_id(i: u64) -> String {
    format!("U{}", 10_000_000 + i)
}

fn api() -> Viewer {
    Viewer::ApiToken
}

fn own(subject: &str) -> Viewer {
    Viewer::Person {
        user: subject.to_owned(),
        admin: false,
    }
}

/// What a packet request renders once it has the report, in bytes. The chart is to be rendered
/// here too; until then it is measured on its own.
fn render_packet(framework: &Framework, report: &Summary) -> usize {
    packet::markdown(framework, report).len()
        + packet::csv(framework, report).len()
        + json::summary(framework, report).to_string().len()
        + cairn::report::chart::render(&cairn::report::chart_data(framework, report))
            .map_or(0, |png| png.len())
}

// ---------------------------------------------------------------- measuring

#[derive(Clone)]
struct Bench {
    store: Arc<dyn Store>,
    framework: Arc<Framework>,
    period: Period,
    now: DateTime<Utc>,
}

impl Bench {
    async fn summary(&self, subject: &str, viewer: Viewer, what: What) -> Result<Summary> {
        let ask = Ask {
            team: TEAM,
            subject,
            period: self.period,
            viewer,
            what,
        };
        summaries::one(self.store.as_ref(), &self.framework, ask, self.now)
            .await
            .map_err(|e| format!("summary of {subject}: {e}"))
    }

    /// Each person's summary in turn, as the API or as the person: the time of each, and how
    /// many items they showed.
    async fn each(&self, people: &[String], as_self: bool) -> Result<(Vec<Duration>, usize)> {
        let (mut times, mut items) = (Vec::with_capacity(people.len()), 0);
        for subject in people {
            let viewer = if as_self { own(subject) } else { api() };
            let t = Instant::now();
            let report = self.summary(subject, viewer, What::Summary).await?;
            times.push(t.elapsed());
            items += report.growth.items.len();
        }
        Ok((times, items))
    }

    /// Every person's summary as the API, `concurrency` at a time, a team's worth per call the
    /// way a manager's digest asks for them (each call records its views in one commit); the
    /// time of each summary (a call's time shared by its summaries).
    async fn cycle(&self, people: &[String], concurrency: usize) -> Result<Vec<Duration>> {
        let teams: Arc<[Vec<String>]> = people
            .chunks(TEAM_SIZE as usize)
            .map(<[String]>::to_vec)
            .collect();
        let next = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (bench, teams, next) = (self.clone(), teams.clone(), next.clone());
                tokio::spawn(async move {
                    let mut times = Vec::new();
                    while let Some(team) = teams.get(next.fetch_add(1, Ordering::Relaxed)) {
                        let t = Instant::now();
                        let reports = summaries::many(
                            bench.store.as_ref(),
                            &bench.framework,
                            summaries::AskMany {
                                team: TEAM,
                                subjects: team,
                                period: bench.period,
                                viewer: api(),
                                what: What::Summary,
                            },
                            bench.now,
                        )
                        .await
                        .map_err(|e| format!("summaries of a team: {e}"))?;
                        if let Some(Err(refused)) = reports.iter().find(|r| r.is_err()) {
                            return Err(format!("review cycle: {refused}"));
                        }
                        let each = t.elapsed() / team.len() as u32;
                        times.extend(std::iter::repeat_n(each, team.len()));
                    }
                    Ok::<_, String>(times)
                })
            })
            .collect();
        let mut times = Vec::with_capacity(people.len());
        for task in tasks {
            times.extend(task.await.map_err(|e| e.to_string())??);
        }
        Ok(times)
    }
}

/// CPU over a phase, in % of one core (200% is the whole 2-core machine): this process (Cairn's
/// store runs in it), PostgreSQL's processes, and the machine.
struct Cpu {
    postgres: bool,
    at: Instant,
    own: u64,
    db: u64,
    machine: (u64, u64),
}

impl Cpu {
    fn start(backend: Backend) -> Self {
        let postgres = backend == Backend::Postgres;
        Cpu {
            postgres,
            at: Instant::now(),
            own: support::cpu_ticks("/proc/self/stat").unwrap_or(0),
            db: if postgres {
                support::postgres_ticks()
            } else {
                0
            },
            machine: support::machine_ticks(),
        }
    }

    fn report(&self) -> String {
        let hz = support::clock_ticks_per_sec() * self.at.elapsed().as_secs_f64() / 100.0;
        let own = support::cpu_ticks("/proc/self/stat").unwrap_or(0) - self.own;
        let (busy, total) = support::machine_ticks();
        let machine = (busy - self.machine.0) as f64 / (total - self.machine.1).max(1) as f64;
        let mut line = format!("cpu: bench+cairn={:.0}%", own as f64 / hz);
        if self.postgres {
            let db = support::postgres_ticks().saturating_sub(self.db);
            line.push_str(&format!(" postgres={:.0}%", db as f64 / hz));
        }
        line + &format!(" machine busy={:.0}%", machine * 100.0)
    }
}

// ---------------------------------------------------------------- the organisation

/// The generated organisation. Every value derives from a row's number through `mix`, so both
/// backends get the same data on every run without shipping it over the connection.
struct Shape {
    people: u64,
    kudos: u64,
    evidence: u64,
    now_ms: i64,
    start_ms: i64,
    span_ms: i64,
}

impl Shape {
    fn new(args: &Args, now: DateTime<Utc>) -> Self {
        let kudos = args.items * KUDOS_PERCENT / 100;
        let span_ms = SPAN_DAYS * 86_400_000;
        Shape {
            people: args.people,
            kudos,
            evidence: args.items - kudos,
            now_ms: now.timestamp_millis(),
            start_ms: now.timestamp_millis() - span_ms,
            span_ms,
        }
    }

    /// The statements that fill the database; `seq(rows)` is the backend's `WITH` clause naming a
    /// table `seq(n)` of 1..rows, `ids` what an insert needs to set an identity column.
    fn statements(&self, seq: impl Fn(u64) -> String, ids: &str) -> Vec<String> {
        let (people, k, e) = (self.people, self.kudos, self.evidence);
        let (now, start, span) = (self.now_ms, self.start_ms, self.span_ms);
        let (ts, tg) = (TEAM_SIZE, TEAM_SIZE * TEAMS_PER_GROUP);
        let u = |expr: &str| user(expr);
        let p = seq(people);
        let mut sql = vec![
            format!("INSERT INTO workspaces (team_id, team_domain, first_seen_at) VALUES ('{TEAM}', 'bench', {start})"),
            // Each team's first person leads it and reports to the group's lead (the first person
            // of its first team), who reports to person 0.
            format!(
                "{p} INSERT INTO people (team_id, user_id, name, real_name, tz, is_bot, deleted, updated_at, org_name, email, org_team, org_group, manager_id, org_updated_at)
                 SELECT '{TEAM}', {}, 'person' || i, 'Person ' || i, 'Europe/London', FALSE, FALSE, {now}, 'Person ' || i, 'person' || i || '@example.com',
                        'team-' || (i / {ts}), 'group-' || (i / {tg}),
                        CASE WHEN i = 0 THEN NULL WHEN i % {tg} = 0 THEN {} WHEN i % {ts} = 0 THEN {} ELSE {} END, {now}
                 FROM (SELECT n - 1 AS i FROM seq) x",
                u("i"), u("0"), u(&format!("(i / {tg}) * {tg}")), u(&format!("(i / {ts}) * {ts}"))
            ),
        ];

        // Kudos `n`: receiver `r`; the giver is a teammate half the time, someone else in the
        // group 30% of the time, else anyone. The sphere follows from where the giver sits, but
        // one kudos in 20 predates the org chart.
        let ks = seq(k);
        let rows = format!(
            "SELECT n, r, x5, CASE WHEN c < 5 THEN (r / {ts}) * {ts} + (r % {ts} + 1 + x3 % {}) % {ts}
                              WHEN c < 8 THEN ((r / {tg}) * {TEAMS_PER_GROUP} + ((r / {ts}) % {TEAMS_PER_GROUP} + 1 + x3 % {}) % {TEAMS_PER_GROUP}) * {ts} + x4 % {ts}
                              ELSE (r + 1 + x3 % {}) % {people} END AS g
             FROM (SELECT n, {} % {people} AS r, {} % 10 AS c, {} AS x3, {} AS x4, {} AS x5 FROM seq) a",
            ts - 1,
            TEAMS_PER_GROUP - 1,
            people - 1,
            mix("n", 1), mix("n", 2), mix("n", 3), mix("n", 4), mix("n", 5)
        );
        let visibility = format!(
            "CASE {} % 20 WHEN 0 THEN 'private' WHEN 1 THEN 'manager' WHEN 2 THEN 'manager' ELSE 'public' END",
            mix("n", 6)
        );
        let first = competency(&format!("{} % 3", mix("n", 7)));
        let two = format!("{} % 10 < 4", mix("n", 8));
        let second = competency(&format!(
            "({} % 3 + 1 + {} % 2) % 3",
            mix("n", 7),
            mix("n", 9)
        ));
        let multiplier = format!("{} % 4 = 0", mix("n", 10));
        let kind = multiplier_kind(&format!("{} % 3", mix("n", 11)));
        sql.extend([
            format!(
                "{ks} INSERT INTO kudos (id, team_id, giver, text, channel_id, visibility, framework_id, framework_version, created_at) {ids}
                 SELECT n, '{TEAM}', {}, '<@' || {} || '> #' || {first} || ' thanks for the help with change ' || n || ': paired on the flaky deploy test and wrote up what we learnt',
                        'C0BENCH001', {visibility}, '{FRAMEWORK}', '1.0.0', {start} + (n - 1) * {span} / {k}
                 FROM ({rows}) x",
                u("g"), u("r")
            ),
            format!(
                "{ks} INSERT INTO kudos_recipients (kudos_id, team_id, user_id, position, sphere)
                 SELECT n, '{TEAM}', {}, 0, CASE WHEN x5 % 20 = 0 THEN 'unknown' WHEN g / {ts} = r / {ts} THEN 'team' WHEN g / {tg} = r / {tg} THEN 'group' ELSE 'org' END
                 FROM ({rows}) x",
                u("r")
            ),
            format!("{ks} INSERT INTO kudos_tags (kudos_id, team_id, kind, tag_id, position) SELECT n, '{TEAM}', 'competency', {first}, 0 FROM seq"),
            format!("{ks} INSERT INTO kudos_tags (kudos_id, team_id, kind, tag_id, position) SELECT n, '{TEAM}', 'competency', {second}, 1 FROM seq WHERE {two}"),
            format!("{ks} INSERT INTO kudos_tags (kudos_id, team_id, kind, tag_id, position) SELECT n, '{TEAM}', 'multiplier', {kind}, CASE WHEN {two} THEN 2 ELSE 1 END FROM seq WHERE {multiplier}"),
        ]);

        // Evidence `n`, logged by its subject `s`: half private, half for their managers; a
        // third name a multiplier kind and one or two teammates it helped.
        let es = seq(e);
        let subject = format!("{} % {people}", mix("n", 21));
        let helped = format!("{} % 3 = 0", mix("n", 22));
        let mate = |offset: &str| {
            u(&format!(
                "({subject}) / {ts} * {ts} + (({subject}) % {ts} + {offset}) % {ts}"
            ))
        };
        let x = format!("{} % {}", mix("n", 23), ts - 1);
        let y = format!("{} % {}", mix("n", 24), ts - 2);
        sql.extend([
            format!(
                "{es} INSERT INTO evidence (id, team_id, subject, author, source, text, permalink, visibility, sphere, framework_id, framework_version, occurred_at, created_at) {ids}
                 SELECT n, '{TEAM}', {who}, {who}, CASE WHEN {} % 10 < 7 THEN 'self' ELSE 'reflection' END,
                        'Shipped improvement ' || n || ' to the deploy pipeline, wrote the runbook and walked the team through it', NULL,
                        CASE WHEN {} % 2 = 0 THEN 'private' ELSE 'manager' END,
                        CASE {} % 10 WHEN 0 THEN 'team' WHEN 1 THEN 'group' ELSE NULL END,
                        '{FRAMEWORK}', '1.0.0', {start} + (n - 1) * {span} / {e}, {start} + (n - 1) * {span} / {e}
                 FROM seq",
                mix("n", 25), mix("n", 26), mix("n", 27),
                who = u(&subject),
            ),
            format!(
                "{es} INSERT INTO evidence_tags (evidence_id, team_id, kind, tag_id, position) SELECT n, '{TEAM}', 'competency', {}, 0 FROM seq",
                competency(&format!("{} % 3", mix("n", 28)))
            ),
            format!(
                "{es} INSERT INTO evidence_tags (evidence_id, team_id, kind, tag_id, position) SELECT n, '{TEAM}', 'multiplier', {}, 1 FROM seq WHERE {helped}",
                multiplier_kind(&format!("{} % 3", mix("n", 29)))
            ),
            format!(
                "{es} INSERT INTO evidence_people (evidence_id, team_id, user_id) SELECT n, '{TEAM}', {} FROM seq WHERE {helped}",
                mate(&format!("1 + {x}"))
            ),
            // A second teammate, never the first one again.
            format!(
                "{es} INSERT INTO evidence_people (evidence_id, team_id, user_id) SELECT n, '{TEAM}', {} FROM seq WHERE {helped} AND {} % 2 = 0",
                mate(&format!("1 + ({x} + 1 + {y}) % {}", ts - 1)),
                mix("n", 30)
            ),
        ]);
        sql
    }
}

/// Multipliers of a Lehmer generator modulo 2^31 - 1; field `i` of a row takes the `i`th.
const MULTIPLIERS: [u64; 30] = [
    630_360_016,
    742_938_285,
    950_706_376,
    1_226_874_159,
    62_089_911,
    1_343_714_438,
    397_204_094,
    2_027_812_808,
    1_583_458_089,
    784_588_716,
    1_117_695_901,
    293_403_001,
    1_692_666_493,
    1_781_303_863,
    899_891_111,
    1_538_101_283,
    442_697_399,
    1_420_134_941,
    269_454_973,
    1_067_312_641,
    1_851_642_557,
    524_288_893,
    1_951_112_011,
    337_121_203,
    1_290_322_913,
    1_777_777_777,
    846_315_229,
    1_612_121_609,
    706_458_113,
    1_398_012_337,
];

/// A pseudo-random number in [0, 2^31 - 1) for field `field` of row `n`. The product stays far
/// below 2^63, where SQLite would turn to floating point and PostgreSQL would fail.
fn mix(n: &str, field: usize) -> String {
    format!("(({n} * {}) % 2147483647)", MULTIPLIERS[field - 1])
}

/// `U` and eight digits, like `user_id`.
fn user(index: &str) -> String {
    // Parenthesised: SQLite binds `||` tighter than `+`, PostgreSQL looser.
    format!("('U' || (10000000 + {index}))")
}

fn competency(index: &str) -> String {
    format!("CASE {index} WHEN 0 THEN 'values' WHEN 1 THEN 'technical' ELSE 'leadership' END")
}

fn multiplier_kind(index: &str) -> String {
    format!("CASE {index} WHEN 0 THEN 'mentoring' WHEN 1 THEN 'unblocking' ELSE 'review' END")
}

// ---------------------------------------------------------------- the bench's own connection

/// A connection beside the store's pools, to generate the data and to explain its statements.
enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

impl Conn {
    async fn open(backend: Backend, url: &str) -> Result<Self> {
        let conn = match backend {
            Backend::Sqlite => Conn::Sqlite(
                SqliteConnection::connect(url)
                    .await
                    .map_err(|e| format!("{url}: {e}"))?,
            ),
            Backend::Postgres => Conn::Postgres(
                PgConnection::connect(url)
                    .await
                    .map_err(|e| format!("{url}: {e}"))?,
            ),
        };
        Ok(conn)
    }

    async fn generate(&mut self, shape: &Shape) -> Result<()> {
        match self {
            Conn::Sqlite(c) => {
                // The random-order index inserts need the indexes in memory to finish in minutes.
                execute(&mut *c, "PRAGMA cache_size = -2000000").await?;
                let seq = |rows| {
                    format!("WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {rows})")
                };
                let mut tx = c.begin().await.map_err(|e| e.to_string())?;
                for sql in shape.statements(seq, "") {
                    execute(&mut *tx, &sql).await?;
                }
                tx.commit().await.map_err(|e| e.to_string())?;
                execute(&mut *c, "ANALYZE").await?;
                // Readers would otherwise look every page up in a WAL as large as the database.
                execute(&mut *c, "PRAGMA wal_checkpoint(TRUNCATE)").await?;
            }
            Conn::Postgres(c) => {
                let seq =
                    |rows| format!("WITH seq(n) AS (SELECT generate_series(1::bigint, {rows}))");
                let mut tx = c.begin().await.map_err(|e| e.to_string())?;
                for sql in shape.statements(seq, "OVERRIDING SYSTEM VALUE") {
                    execute(&mut *tx, &sql).await?;
                }
                for table in ["kudos", "evidence"] {
                    let sql = format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))");
                    execute(&mut *tx, &sql).await?;
                }
                tx.commit().await.map_err(|e| e.to_string())?;
                // VACUUM too: the first reads of fresh rows would otherwise write hint bits while
                // being timed, and index-only scans need the visibility map.
                execute(&mut *c, "VACUUM (ANALYZE)").await?;
            }
        }
        Ok(())
    }

    /// Makes the leads of the first `teams` teams that are not a group's first (team `t` is led
    /// by person `25 t`) managers of 12: their team's people 13 to 24 report to person 1 instead.
    async fn twelve_reports(&mut self, teams: u64) -> Result<()> {
        let (ts, tg) = (TEAM_SIZE, TEAM_SIZE * TEAMS_PER_GROUP);
        let idx = "(CAST(SUBSTR(user_id, 2) AS INTEGER) - 10000000)";
        let sql = format!(
            "UPDATE people SET manager_id = 'U' || (10000000 + {idx} / {ts} * {ts} + 1)
             WHERE team_id = '{TEAM}' AND {idx} % {ts} BETWEEN 13 AND 24 AND ({idx} / {ts}) % {TEAMS_PER_GROUP} <> 0
               AND {idx} < {limit}",
            limit = tg * (teams / (TEAMS_PER_GROUP - 1) + 2),
        );
        match self {
            Conn::Sqlite(c) => execute(&mut *c, &sql).await,
            Conn::Postgres(c) => execute(&mut *c, &sql).await,
        }
    }

    /// Rows in people, kudos, evidence, kudos_tags, evidence_tags, evidence_people; bytes.
    async fn census(&mut self) -> Result<([i64; 6], i64)> {
        const COUNTS: &str = "SELECT (SELECT COUNT(*) FROM people), (SELECT COUNT(*) FROM kudos), (SELECT COUNT(*) FROM evidence),
            (SELECT COUNT(*) FROM kudos_tags), (SELECT COUNT(*) FROM evidence_tags), (SELECT COUNT(*) FROM evidence_people)";
        let mut counts = [0; 6];
        let bytes: i64 = match self {
            Conn::Sqlite(c) => {
                let row = sqlx::query(COUNTS)
                    .fetch_one(&mut *c)
                    .await
                    .map_err(|e| e.to_string())?;
                for (i, n) in counts.iter_mut().enumerate() {
                    *n = row.get(i);
                }
                let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
                    .fetch_one(&mut *c)
                    .await
                    .map_err(|e| e.to_string())?;
                let size: i64 = sqlx::query_scalar("PRAGMA page_size")
                    .fetch_one(&mut *c)
                    .await
                    .map_err(|e| e.to_string())?;
                pages * size
            }
            Conn::Postgres(c) => {
                let row = sqlx::query(COUNTS)
                    .fetch_one(&mut *c)
                    .await
                    .map_err(|e| e.to_string())?;
                for (i, n) in counts.iter_mut().enumerate() {
                    *n = row.get(i);
                }
                sqlx::query_scalar("SELECT pg_database_size(current_database())")
                    .fetch_one(&mut *c)
                    .await
                    .map_err(|e| e.to_string())?
            }
        };
        Ok((counts, bytes))
    }

    /// The plan, indented: SQLite's `EXPLAIN QUERY PLAN`; on PostgreSQL `EXPLAIN (ANALYZE,
    /// BUFFERS)` of the custom plan (the one planned for these values) and, when its shape
    /// differs, of the generic plan PostgreSQL may switch a prepared statement to after five
    /// runs, as sqlx's statement cache lets it. Writes are rolled back.
    async fn explain(&mut self, sql: &str, args: &[Val]) -> Result<String> {
        let mut out = String::new();
        match self {
            Conn::Sqlite(c) => {
                let explain = format!("EXPLAIN QUERY PLAN {sql}");
                let mut query = sqlx::query(&explain);
                for arg in args {
                    query = match arg {
                        Val::Int(v) => query.bind(*v),
                        Val::Bool(v) => query.bind(*v),
                        Val::Text(v) => query.bind(v.as_str()),
                    };
                }
                let rows = query
                    .fetch_all(&mut *c)
                    .await
                    .map_err(|e| format!("{explain}: {e}"))?;
                let mut depth: HashMap<i64, usize> = HashMap::new();
                for row in rows {
                    let (id, parent, detail): (i64, i64, String) =
                        (row.get(0), row.get(1), row.get(3));
                    let d = depth.get(&parent).map_or(0, |d| d + 1);
                    depth.insert(id, d);
                    out.push_str(&format!("  {}{detail}\n", "  ".repeat(d)));
                }
            }
            Conn::Postgres(c) => {
                let literals: Vec<String> = args.iter().map(Val::literal).collect();
                let mut tx = c.begin().await.map_err(|e| e.to_string())?;
                execute(&mut *tx, &format!("PREPARE explained AS {sql}")).await?;
                let mut custom = Vec::new();
                for mode in ["force_custom_plan", "force_generic_plan"] {
                    execute(&mut *tx, &format!("SET LOCAL plan_cache_mode = {mode}")).await?;
                    let explain = format!(
                        "EXPLAIN (ANALYZE, BUFFERS) EXECUTE explained ({})",
                        literals.join(", ")
                    );
                    let lines: Vec<String> = sqlx::query_scalar(&explain)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(|e| format!("{explain}: {e}"))?;
                    if mode == "force_custom_plan" {
                        out.push_str(&indent(&lines));
                        custom = lines;
                    } else if shape_of(&lines) != shape_of(&custom) {
                        out.push_str("  generic plan:\n");
                        out.push_str(&indent(&lines));
                    }
                }
                // Prepared statements outlive the transaction.
                execute(&mut *tx, "DEALLOCATE explained").await?;
                tx.rollback().await.map_err(|e| e.to_string())?;
            }
        }
        Ok(out)
    }
}

async fn execute<'c, E>(conn: E, sql: &str) -> Result<()>
where
    E: sqlx::Executor<'c>,
{
    conn.execute(sql)
        .await
        .map(drop)
        .map_err(|e| format!("{}: {e}", one_line(sql)))
}

fn indent(lines: &[String]) -> String {
    lines.iter().map(|l| format!("  {l}\n")).collect()
}

/// A plan's nodes without their figures and conditions (a generic plan shows `$1` where the
/// custom one shows the value), to tell whether two plans are the same plan.
fn shape_of(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.split_once("  (cost=").map(|(node, _)| node.to_owned()))
        .collect()
}

/// `IN ($3, $4, …)` as `IN (…)`: one statement, whatever the length of its list.
fn without_lists(sql: &str) -> String {
    let mut out = String::new();
    let mut rest = sql;
    while let Some(at) = rest.find("IN ($") {
        out.push_str(&rest[..at]);
        out.push_str("IN (…)");
        rest = rest[at..].split_once(')').map_or("", |(_, after)| after);
    }
    out + rest
}

fn one_line(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

// ---------------------------------------------------------------- statements of a summary

/// The SQL text of every statement sqlx runs while capturing, from its `sqlx::query` events.
/// Off, it tells tracing nothing is wanted, so sqlx does not even format the events.
struct Capture {
    on: AtomicBool,
    /// Each statement run and how long sqlx took over it, in seconds.
    seen: Mutex<Vec<(String, f64)>>,
}

static CAPTURE: Capture = Capture {
    on: AtomicBool::new(false),
    seen: Mutex::new(Vec::new()),
};

impl Capture {
    fn install(&'static self) {
        use tracing_subscriber::layer::SubscriberExt;
        let subscriber = tracing_subscriber::registry().with(self);
        let _ = tracing::subscriber::set_global_default(subscriber);
    }

    /// The statements run by `work`, with sqlx's time for each.
    async fn during<T>(
        &self,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<Vec<(String, f64)>> {
        self.seen.lock().expect("capture").clear();
        self.on.store(true, Ordering::SeqCst);
        let done = work.await;
        self.on.store(false, Ordering::SeqCst);
        done?;
        Ok(std::mem::take(&mut *self.seen.lock().expect("capture")))
    }

    /// The distinct statements run by `work`, in the order first run.
    async fn statements<T>(
        &self,
        work: impl std::future::Future<Output = Result<T>>,
    ) -> Result<Vec<String>> {
        let mut first = std::collections::HashSet::new();
        let mut seen: Vec<String> = self.during(work).await?.into_iter().map(|s| s.0).collect();
        seen.retain(|s| first.insert(s.clone()));
        Ok(seen)
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for &'static Capture {
    fn register_callsite(
        &self,
        meta: &'static tracing::Metadata<'static>,
    ) -> tracing::subscriber::Interest {
        if meta.target() == "sqlx::query" {
            tracing::subscriber::Interest::sometimes()
        } else {
            tracing::subscriber::Interest::never()
        }
    }

    fn enabled(
        &self,
        meta: &tracing::Metadata<'_>,
        _: tracing_subscriber::layer::Context<'_, S>,
    ) -> bool {
        meta.target() == "sqlx::query" && self.on.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        #[derive(Default)]
        struct Fields {
            summary: String,
            statement: String,
            secs: f64,
        }
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                match field.name() {
                    "summary" => self.summary = value.to_owned(),
                    "db.statement" => self.statement = value.trim().to_owned(),
                    _ => {}
                }
            }
            fn record_f64(&mut self, field: &tracing::field::Field, value: f64) {
                if field.name() == "elapsed_secs" {
                    self.secs = value;
                }
            }
            fn record_debug(&mut self, _: &tracing::field::Field, _: &dyn std::fmt::Debug) {}
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        // sqlx leaves the statement out when its summary is the whole of it.
        let sql = if fields.statement.is_empty() {
            fields.summary
        } else {
            fields.statement
        };
        self.seen.lock().expect("capture").push((sql, fields.secs));
    }
}

#[derive(Debug, Clone)]
enum Val {
    Int(i64),
    Bool(bool),
    Text(String),
}

impl Val {
    fn literal(&self) -> String {
        match self {
            Val::Int(v) => v.to_string(),
            Val::Bool(v) => v.to_string(),
            Val::Text(v) => format!("'{}'", v.replace('\'', "''")),
        }
    }
}

/// The values a summary of one subject binds, taken from the report the store gave.
struct Params {
    subject: String,
    from: i64,
    to: i64,
    now: i64,
    kudos: Vec<i64>,
    evidence: Vec<i64>,
    /// Whom the summary names for the person, and for the API (which sees no private items).
    named: [Vec<String>; 2],
}

impl Params {
    fn of(bench: &Bench, subject: &str, report: &Summary) -> Self {
        let ids = |prefix: &str| -> Vec<i64> {
            let mut ids: Vec<i64> = report
                .growth
                .items
                .iter()
                .filter_map(|i| i.id.strip_prefix(prefix)?.parse().ok())
                .collect();
            ids.sort_unstable();
            ids
        };
        // The people the summary names, as `summaries::one` gathers them.
        let named = |all: bool| {
            let mut named = vec![subject.to_owned()];
            for item in &report.growth.items {
                if all || item.visibility != Visibility::Private {
                    named.push(item.author.clone());
                    named.extend(item.people.iter().cloned());
                }
            }
            named.retain(|u| !u.is_empty());
            named.sort();
            named.dedup();
            named
        };
        Params {
            subject: subject.to_owned(),
            from: bench.period.start().timestamp_millis(),
            to: bench.period.end().timestamp_millis(),
            now: bench.now.timestamp_millis(),
            kudos: ids("kudos:"),
            evidence: ids("evidence:"),
            named: [named(true), named(false)],
        }
    }

    /// The arguments of a captured statement, told apart by the tables it reads or writes.
    fn of_statement(&self, sql: &str) -> Option<Vec<Val>> {
        let team = Val::Text(TEAM.into());
        let subject = Val::Text(self.subject.clone());
        let period = vec![
            team.clone(),
            subject.clone(),
            Val::Int(self.from),
            Val::Int(self.to),
        ];
        let ids = |ids: &[i64]| ids.iter().map(|i| Val::Int(*i)).collect::<Vec<_>>();
        let placeholders = highest_placeholder(sql);
        let args = if sql.contains("WITH RECURSIVE chain") {
            vec![team, subject]
        } else if sql.contains("FROM kudos_recipients r JOIN kudos k")
            || sql.contains("FROM evidence e LEFT JOIN")
        {
            // Several people's items at once: the people come last.
            vec![team, Val::Int(self.from), Val::Int(self.to), subject]
        } else if sql.contains("FROM kudos_tags") {
            ids(&self.kudos)
        } else if sql.contains("FROM evidence_tags") || sql.contains("FROM evidence_people") {
            ids(&self.evidence)
        } else if sql.contains("COUNT(*) FROM kudos") {
            [period, vec![Val::Bool(false)]].concat()
        } else if sql.contains("FROM people") {
            let named = self.named.iter().find(|n| n.len() + 1 == placeholders)?;
            let named = named.iter().map(|u| Val::Text(u.clone()));
            std::iter::once(team).chain(named).collect()
        } else if sql.contains("INSERT INTO summary_views") {
            let text = |s: &str| Val::Text(s.into());
            vec![
                team,
                subject,
                text("api"),
                text("summary"),
                text("api"),
                Val::Int(self.now),
            ]
        } else if sql.contains("FROM summary_views") {
            let since = self.now - summaries::VIEWS_SHOWN_DAYS * 86_400_000;
            vec![team, subject, Val::Int(since)]
        } else {
            return None;
        };
        (args.len() == placeholders).then_some(args)
    }
}

/// The highest `$N` in a statement (a placeholder may stand more than once).
fn highest_placeholder(sql: &str) -> usize {
    sql.split('$')
        .skip(1)
        .filter_map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .max()
        .unwrap_or(0)
}
