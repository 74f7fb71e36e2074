//! After the soak: wait for the outbox to drain, then hold every request's outcome against the
//! database and against what the fake Slack received.

use super::fake_slack::FakeSlack;
use super::traffic::{self, Done, Kind, Outcome};
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::{Duration, Instant};

type Result<T, E = String> = std::result::Result<T, E>;

async fn connect(url: &str) -> Result<sqlx::PgPool> {
    sqlx::PgPool::connect(url)
        .await
        .map_err(|e| format!("the soak's database: {e}"))
}

async fn strings(pool: &sqlx::PgPool, sql: &str) -> Result<Vec<String>> {
    sqlx::query_scalar(sql)
        .fetch_all(pool)
        .await
        .map_err(|e| format!("{sql}: {e}"))
}

/// Seconds until no outbox row is pending (an error after `limit`).
pub async fn drain(url: &str, limit: Duration) -> Result<f64> {
    let pool = connect(url).await?;
    let start = Instant::now();
    loop {
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())?;
        if pending == 0 {
            return Ok(start.elapsed().as_secs_f64());
        }
        if start.elapsed().as_secs() % 15 == 0 {
            eprintln!("soak: draining, {pending} outbox rows pending");
        }
        if start.elapsed() > limit {
            return Err(format!(
                "{pending} outbox rows still pending {} s after the traffic",
                limit.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The numbers that follow `prefix` in `text` (`soak-k-12` → 12).
fn numbers_after(text: &str, prefix: &str) -> Vec<u64> {
    text.match_indices(prefix)
        .filter_map(|(i, _)| {
            let rest = &text[i + prefix.len()..];
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            rest[..end].parse().ok()
        })
        .collect()
}

fn tally<T: std::hash::Hash + Eq>(items: impl IntoIterator<Item = T>) -> HashMap<T, u64> {
    let mut out = HashMap::new();
    for item in items {
        *out.entry(item).or_insert(0) += 1;
    }
    out
}

#[derive(Default)]
pub struct Report {
    outcomes: BTreeMap<Kind, BTreeMap<Outcome, u64>>,
    recorded: BTreeMap<&'static str, u64>,
    effects: BTreeMap<String, u64>,
    outbox: BTreeMap<String, i64>,
    /// What went twice, and what went missing: a line each (the first few kept).
    doubled: Problems,
    lost: Problems,
    refused_yet_recorded: Problems,
    unexpected: Problems,
}

#[derive(Default)]
struct Problems {
    count: u64,
    examples: Vec<String>,
}

impl Problems {
    fn add(&mut self, what: String) {
        self.count += 1;
        if self.examples.len() < 5 {
            self.examples.push(what);
        }
    }
}

impl Report {
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, p) in [
            ("duplicates", &self.doubled),
            ("losses", &self.lost),
            ("refused yet recorded", &self.refused_yet_recorded),
            ("unexpected answers", &self.unexpected),
        ] {
            if p.count > 0 {
                out.push(format!("{} {name}: {}", p.count, p.examples.join(" | ")));
            }
        }
        out
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut all: BTreeMap<Outcome, u64> = BTreeMap::new();
        for by in self.outcomes.values() {
            for (o, n) in by {
                *all.entry(*o).or_insert(0) += n;
            }
        }
        let sent: u64 = all.values().sum();
        let answered = sent - all.get(&Outcome::Cut).unwrap_or(&0);
        writeln!(
            f,
            "  requests: {sent} sent, {answered} answered; outcomes {all:?}"
        )?;
        for (kind, by) in &self.outcomes {
            writeln!(f, "    {kind:?}: {by:?}")?;
        }
        writeln!(f, "  recorded: {:?}", self.recorded)?;
        let delivered: u64 = self.effects.values().sum();
        writeln!(f, "  Slack calls delivered: {delivered} {:?}", self.effects)?;
        writeln!(f, "  outbox rows: {:?}", self.outbox)?;
        writeln!(
            f,
            "  duplicates: {}; losses: {}; refused yet recorded: {}; unexpected answers: {}",
            self.doubled.count,
            self.lost.count,
            self.refused_yet_recorded.count,
            self.unexpected.count
        )?;
        for p in [
            &self.doubled,
            &self.lost,
            &self.refused_yet_recorded,
            &self.unexpected,
        ] {
            for e in &p.examples {
                writeln!(f, "    {e}")?;
            }
        }
        Ok(())
    }
}

/// What a request of this outcome may have left: exactly one if confirmed, none if refused, at
/// most one otherwise.
fn judge(report: &mut Report, what: &str, outcome: Outcome, count: u64) {
    match outcome {
        Outcome::Confirmed if count == 0 => report
            .lost
            .add(format!("{what} was confirmed but not recorded")),
        Outcome::Refused if count > 0 => report
            .refused_yet_recorded
            .add(format!("{what} was refused but recorded")),
        _ if count > 1 => report
            .doubled
            .add(format!("{what} was recorded {count} times")),
        _ => {}
    }
}

pub async fn check(url: &str, fake: &FakeSlack, done: &[Done], people: u64) -> Result<Report> {
    let pool = connect(url).await?;
    let mut report = Report::default();
    let kudos_texts = strings(&pool, "SELECT text FROM kudos WHERE source_key IS NULL").await?;
    let kudos = tally(kudos_texts.iter().flat_map(|t| numbers_after(t, "soak-k-")));
    // reaction:{channel}:{ts}:{giver}
    let sources = strings(
        &pool,
        "SELECT source_key FROM kudos WHERE source_key IS NOT NULL",
    )
    .await?;
    let reactions = tally(sources.iter().filter_map(|s| {
        s.split(':')
            .nth(2)
            .map(|ts| format!("p{}", ts.replace('.', "")))
    }));
    let logs = tally(
        strings(&pool, "SELECT text FROM evidence")
            .await?
            .iter()
            .flat_map(|t| numbers_after(t, "soak-l-")),
    );
    report
        .recorded
        .insert("kudos (/kudos)", kudos.values().sum());
    report
        .recorded
        .insert("kudos (reactions)", reactions.values().sum());
    report.recorded.insert("logs", logs.values().sum());

    let kudos_dms = fake.posts_with(|text| {
        numbers_after(text, "soak-k-")
            .into_iter()
            .map(|n| n.to_string())
            .collect()
    });
    let mut home_acks: HashMap<String, Instant> = HashMap::new();
    // Per asker: packets confirmed, and packets cut off (each may or may not have been sent).
    let mut packets: HashMap<String, (u64, u64)> = HashMap::new();
    for d in done {
        *report
            .outcomes
            .entry(d.kind)
            .or_default()
            .entry(d.outcome)
            .or_insert(0) += 1;
        if let Some(detail) = &d.detail {
            report
                .unexpected
                .add(format!("{:?} {}: {detail}", d.kind, d.n));
        }
        let n = d.n;
        match d.kind {
            Kind::Kudos => {
                let count = kudos.get(&n).copied().unwrap_or(0);
                judge(&mut report, &format!("kudos {n}"), d.outcome, count);
                if count > 0 {
                    let (_, a, b) = traffic::kudos_people(n, people);
                    for receiver in [a, b] {
                        let key = (n.to_string(), traffic::dm(&receiver));
                        match kudos_dms.get(&key).copied().unwrap_or(0) {
                            0 => report
                                .lost
                                .add(format!("kudos {n}: no DM reached {receiver}")),
                            1 => {}
                            many => report
                                .doubled
                                .add(format!("kudos {n}: {many} DMs to {receiver}")),
                        }
                    }
                }
            }
            Kind::Log => judge(
                &mut report,
                &format!("log {n}"),
                d.outcome,
                logs.get(&n).copied().unwrap_or(0),
            ),
            Kind::Reaction => {
                let count = reactions
                    .get(&traffic::reaction_marker(n))
                    .copied()
                    .unwrap_or(0);
                judge(&mut report, &format!("reaction {n}"), d.outcome, count);
            }
            Kind::Packet => {
                let asked = packets.entry(traffic::packet_asker(n)).or_default();
                match d.outcome {
                    Outcome::Confirmed => asked.0 += 1,
                    Outcome::Refused => {}
                    _ => asked.1 += 1,
                }
            }
            Kind::Home if d.outcome == Outcome::Confirmed => {
                let user = traffic::home_user(n);
                let last = home_acks.entry(user).or_insert(d.sent);
                *last = (*last).max(d.sent);
            }
            Kind::Home | Kind::Summary => {}
        }
    }
    // Each asker's DM holds one share per packet confirmed, and at most one per packet cut off.
    let shares = fake.shares();
    for (asker, (confirmed, cut)) in &packets {
        let shared = shares.get(&traffic::dm(asker)).copied().unwrap_or(0);
        if shared < *confirmed {
            report.lost.add(format!(
                "{asker}: {confirmed} packets confirmed, {shared} shared"
            ));
        } else if shared > confirmed + cut {
            report.doubled.add(format!(
                "{asker}: {confirmed} packets confirmed (and {cut} cut off), {shared} shared"
            ));
        }
    }
    for (user, opened) in &home_acks {
        if fake
            .last_published(user)
            .is_none_or(|published| published < *opened)
        {
            report
                .lost
                .add(format!("{user}'s App Home opened but not published since"));
        }
    }

    // The outbox as the ledger: every row sent is in Slack once (posts by their dedupe key).
    let posted = fake.posts_by_key();
    for ((channel, key), times) in &posted {
        if *times > 1 {
            report
                .doubled
                .add(format!("{key} posted {times} times in {channel}"));
        }
    }
    let rows = sqlx::query("SELECT channel, dedupe_key, action, status FROM outbox")
        .fetch_all(&pool)
        .await
        .map_err(|e| e.to_string())?;
    for row in rows {
        let (channel, key, action, status): (String, String, String, String) =
            (row.get(0), row.get(1), row.get(2), row.get(3));
        *report.outbox.entry(status.clone()).or_insert(0) += 1;
        if status != "sent" {
            report.lost.add(format!("outbox row {key} is {status}"));
            continue;
        }
        if action.contains("\"post\"") {
            let channel = if channel.starts_with('U') {
                traffic::dm(&channel)
            } else {
                channel
            };
            if !posted.contains_key(&(channel.clone(), key.clone())) {
                report
                    .lost
                    .add(format!("outbox row {key} is sent but not in {channel}"));
            }
        }
    }
    report.effects = fake.effects();
    Ok(report)
}
