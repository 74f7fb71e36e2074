//! The soak's traffic: one request every 1/rate seconds, open loop (a slow answer never delays
//! the next request), each of a kind and with people chosen by its number, so the checks can
//! tell afterwards what each request should have left behind.

use super::support::SECRET;
use super::Replicas;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const TEAM: &str = "T07KUD0S01";
pub const CHANNEL: &str = "C0SOAK0001";
/// The people who open their App Home: the first this many.
pub const HOME_PEOPLE: u64 = 500;
/// Slack gives up on an answer after 3 s.
const SLACK_WAITS: Duration = Duration::from_secs(3);
/// When Slack delivers an event again after a failed delivery (Slack's own: at once, a minute,
/// five minutes; shortened so a run's last events settle quickly).
const EVENT_RETRIES: [Duration; 3] = [
    Duration::from_secs(2),
    Duration::from_secs(10),
    Duration::from_secs(30),
];

const REACTION: &str = include_str!("../../tests/fixtures/event_reaction_added.json");
const HOME: &str = include_str!("../../tests/fixtures/event_app_home_opened.json");

pub struct Plan {
    pub rate: u64,
    pub people: u64,
    pub duration: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Kudos,
    Log,
    Summary,
    Reaction,
    Home,
    Packet,
}

impl Kind {
    /// 40% kudos, 15% logs, 12.5% summaries, 15% reactions, 15% App Home, 2.5% packets.
    pub fn of(n: u64) -> Kind {
        match n % 40 {
            0..=15 => Kind::Kudos,
            16..=21 => Kind::Log,
            22..=25 | 39 => Kind::Summary,
            26..=31 => Kind::Reaction,
            32..=37 => Kind::Home,
            _ => Kind::Packet,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Said to be done (a command), or acknowledged with a 200 (an event, perhaps on a retry).
    Confirmed,
    /// "Not saved, try again".
    Refused,
    /// "Cannot confirm": Slack's deadline came first.
    Unconfirmed,
    /// No answer: the replica died, or Slack's 3 s passed (for an event: on every delivery).
    Cut,
    /// An answer that says none of these.
    Unexpected,
}

pub struct Done {
    pub n: u64,
    pub kind: Kind,
    pub outcome: Outcome,
    /// When it was first sent.
    pub sent: Instant,
    /// What an unexpected answer said.
    pub detail: Option<String>,
}

pub fn person(i: u64) -> String {
    format!("U0S{i:06}")
}

/// A person's DM channel, as the fake Slack opens it.
pub fn dm(user: &str) -> String {
    format!("D{}", &user[1..])
}

/// (giver, receiver, receiver) of kudos `n`.
pub fn kudos_people(n: u64, people: u64) -> (String, String, String) {
    let g = (n * 7) % people;
    (
        person(g),
        person((g + 1) % people),
        person((g + 2) % people),
    )
}

pub fn kudos_marker(n: u64) -> String {
    format!("soak-k-{n}")
}

pub fn log_marker(n: u64) -> String {
    format!("soak-l-{n}")
}

/// (reactor, author) of reaction `n`.
pub fn reaction_people(n: u64, people: u64) -> (String, String) {
    let r = (n * 3) % people;
    (person(r), person((r + 1) % people))
}

fn reaction_ts(n: u64) -> String {
    format!("{}.{:06}", 1_767_000_000 + n / 1_000_000, n % 1_000_000)
}

/// The tail of the permalink of the message reaction `n` is on.
pub fn reaction_marker(n: u64) -> String {
    format!("p{}", reaction_ts(n).replace('.', ""))
}

pub fn home_user(n: u64) -> String {
    person(n % HOME_PEOPLE)
}

/// The people who ask for packets (managers, say).
pub const PACKET_ASKERS: u64 = 200;

/// Packets are one request in 40: each asker's turn comes round every `40 × PACKET_ASKERS`.
pub fn packet_asker(n: u64) -> String {
    format!("U0PKT{:04}", (n / 40) % PACKET_ASKERS)
}

/// Sends the plan's requests; what became of each, in order.
pub async fn drive(plan: &Plan, http: &reqwest::Client, replicas: &Arc<Replicas>) -> Vec<Done> {
    let total = plan.rate * plan.duration.as_secs();
    let every = Duration::from_secs(1) / plan.rate as u32;
    let start = Instant::now();
    let mut running = Vec::with_capacity(total as usize);
    let mut minute = 0;
    for n in 0..total {
        tokio::time::sleep_until((start + every * n as u32).into()).await;
        if start.elapsed().as_secs() / 60 > minute {
            minute = start.elapsed().as_secs() / 60;
            eprintln!("soak: minute {minute}, {n} requests sent");
        }
        let (http, replicas, people) = (http.clone(), replicas.clone(), plan.people);
        running.push(tokio::spawn(async move {
            one(n, people, &http, &replicas).await
        }));
    }
    let mut done = Vec::with_capacity(running.len());
    for r in running {
        done.push(r.await.expect("a request task panicked"));
    }
    done
}

async fn one(n: u64, people: u64, http: &reqwest::Client, replicas: &Replicas) -> Done {
    let kind = Kind::of(n);
    let sent = Instant::now();
    let answer = match kind {
        Kind::Kudos => {
            let (giver, a, b) = kudos_people(n, people);
            let text = format!(
                "<@{a}> <@{b}> #technical {} kept the deploy green",
                kudos_marker(n)
            );
            command(http, &replicas.target(n), &giver, "/kudos", &text, n).await
        }
        Kind::Log => {
            let text = format!(
                "#technical {} wrote the runbook for the on-call rota",
                log_marker(n)
            );
            command(
                http,
                &replicas.target(n),
                &person(n % people),
                "/growth",
                &format!("log {text}"),
                n,
            )
            .await
        }
        Kind::Summary => {
            command(
                http,
                &replicas.target(n),
                &person(n % people),
                "/growth",
                "summary",
                n,
            )
            .await
        }
        Kind::Packet => {
            command(
                http,
                &replicas.target(n),
                &packet_asker(n),
                "/growth",
                "packet",
                n,
            )
            .await
        }
        Kind::Reaction => {
            let (reactor, author) = reaction_people(n, people);
            let mut event: Value = serde_json::from_str(REACTION).expect("the reaction fixture");
            event["event_id"] = json!(format!("Ev0SOAKR{n:09}"));
            event["event"]["reaction"] = json!("cairn");
            event["event"]["user"] = json!(reactor);
            event["event"]["item_user"] = json!(author);
            event["event"]["item"]["channel"] = json!(CHANNEL);
            event["event"]["item"]["ts"] = json!(reaction_ts(n));
            return slack_event(n, kind, sent, http, replicas, event.to_string()).await;
        }
        Kind::Home => {
            let user = home_user(n);
            let mut event: Value = serde_json::from_str(HOME).expect("the App Home fixture");
            event["event_id"] = json!(format!("Ev0SOAKH{n:09}"));
            event["event"]["user"] = json!(user);
            event["event"]["channel"] = json!(dm(&user));
            return slack_event(n, kind, sent, http, replicas, event.to_string()).await;
        }
    };
    let (outcome, detail) = match answer {
        None => (Outcome::Cut, None),
        Some(answer) => classify(kind, &answer),
    };
    Done {
        n,
        kind,
        outcome,
        sent,
        detail,
    }
}

/// What a command's answer says happened.
fn classify(kind: Kind, answer: &Value) -> (Outcome, Option<String>) {
    let text = answer["text"].as_str().unwrap_or_default();
    let outcome = match kind {
        Kind::Kudos if answer["response_type"] == "in_channel" => Outcome::Confirmed,
        Kind::Log if text.starts_with(":lock: Logged") => Outcome::Confirmed,
        Kind::Summary if answer["blocks"].is_array() => Outcome::Confirmed,
        Kind::Packet if text.starts_with(":package:") => Outcome::Confirmed,
        _ if text.contains("can't confirm") => Outcome::Unconfirmed,
        _ if text.contains("try again") || text.contains("Please try") => Outcome::Refused,
        _ => Outcome::Unexpected,
    };
    let detail = (outcome == Outcome::Unexpected).then(|| answer.to_string());
    (outcome, detail)
}

fn signed(
    http: &reqwest::Client,
    url: String,
    content_type: &str,
    body: String,
) -> reqwest::RequestBuilder {
    let ts = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let signature = cairn::slack::verify::sign(SECRET.as_bytes(), &ts, body.as_bytes());
    http.post(url)
        .timeout(SLACK_WAITS)
        .header("content-type", content_type)
        .header("x-slack-request-timestamp", ts)
        .header("x-slack-signature", signature)
        .body(body)
}

/// A slash command as Slack sends it; its JSON answer, or `None` if there was none in time.
async fn command(
    http: &reqwest::Client,
    base: &str,
    user: &str,
    command: &str,
    text: &str,
    n: u64,
) -> Option<Value> {
    let trigger = format!("{n}.7801234567890.50a4");
    let form = [
        ("token", "soak"),
        ("team_id", TEAM),
        ("team_domain", "soak"),
        ("channel_id", CHANNEL),
        ("channel_name", "soak"),
        ("user_id", user),
        ("user_name", user),
        ("command", command),
        ("text", text),
        ("api_app_id", "A07KUDOAPP"),
        ("is_enterprise_install", "false"),
        (
            "response_url",
            "https://hooks.slack.com/commands/T07KUD0S01/1/soak",
        ),
        ("trigger_id", trigger.as_str()),
    ];
    let body = serde_urlencoded::to_string(form).expect("a form");
    let url = format!("{base}/slack/commands");
    let response = signed(http, url, "application/x-www-form-urlencoded", body)
        .send()
        .await
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    response.json().await.ok()
}

/// An event delivered as Slack delivers it: again after a failure, until a 200 or the retries
/// run out.
async fn slack_event(
    n: u64,
    kind: Kind,
    sent: Instant,
    http: &reqwest::Client,
    replicas: &Replicas,
    body: String,
) -> Done {
    let mut outcome = Outcome::Cut;
    for attempt in 0..=EVENT_RETRIES.len() {
        if attempt > 0 {
            tokio::time::sleep(EVENT_RETRIES[attempt - 1]).await;
        }
        let url = format!("{}/slack/events", replicas.target(n + attempt as u64));
        let mut request = signed(http, url, "application/json", body.clone());
        if attempt > 0 {
            request = request
                .header("x-slack-retry-num", attempt.to_string())
                .header("x-slack-retry-reason", "http_error");
        }
        if let Ok(response) = request.send().await {
            if response.status() == 200 {
                outcome = Outcome::Confirmed;
                break;
            }
        }
    }
    Done {
        n,
        kind,
        outcome,
        sent,
        detail: None,
    }
}
