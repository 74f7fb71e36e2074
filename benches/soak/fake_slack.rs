//! The soak's Slack: stateful enough for Cairn's checks after a lost answer (a posted message is in
//! its channel's history with its metadata, shared files are too), and faulty on a schedule:
//!
//! - rate limits: a post into a channel less than a second after the last one there, and for
//!   `LIMITED` every `LIMITED_EVERY` (the first at `LIMITED_AT`) every call that changes
//!   something, are answered 429 `Retry-After: 1`;
//! - a 5xx burst: for `BURST` every `BURST_EVERY` (the first at `BURST_AT`), every call is
//!   answered 503 and changes nothing;
//! - a stall: for `STALL` every `STALL_EVERY` (the first at `STALL_AT`), every call takes effect
//!   at once, as Slack's would, but its answer waits for the stall's end, longer than Cairn's
//!   client waits: Cairn must find what it sent in the history rather than send it again.
//!
//! It counts every call that took effect, by method, and remembers what each post said and where,
//! for the duplicate and loss checks.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

pub const LIMITED_AT: Duration = Duration::from_secs(10);
pub const LIMITED_EVERY: Duration = Duration::from_secs(30);
pub const LIMITED: Duration = Duration::from_secs(3);
/// Slack's limit for posts into one channel: about one a second.
const CHANNEL_GAP: Duration = Duration::from_millis(1000);
pub const BURST_AT: Duration = Duration::from_secs(20);
pub const BURST_EVERY: Duration = Duration::from_secs(60);
pub const BURST: Duration = Duration::from_secs(5);
pub const STALL_AT: Duration = Duration::from_secs(45);
pub const STALL_EVERY: Duration = Duration::from_secs(300);
pub const STALL: Duration = Duration::from_secs(10);

/// Methods that change something in Slack (and may be rate-limited).
const WRITES: &[&str] = &[
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "reactions.add",
    "views.publish",
    "files.completeUploadExternal",
];

/// A message as a channel's history holds it.
struct Posted {
    ts: String,
    /// The outbox row's dedupe key, from the message's metadata.
    key: Option<String>,
    text: String,
    files: Vec<String>,
}

#[derive(Default)]
struct Recorded {
    history: HashMap<String, Vec<Posted>>,
    /// Calls that took effect, by method.
    effects: BTreeMap<String, u64>,
    /// When each user's App Home was last published.
    published: HashMap<String, Instant>,
    /// File names by upload id.
    files: Vec<String>,
    /// When each channel was last posted into.
    last_post: HashMap<String, Instant>,
    ts_counter: u64,
}

#[derive(Default)]
pub struct Tally {
    pub rate_limited: AtomicU64,
    pub failed: AtomicU64,
    pub stalled: AtomicU64,
}

pub struct FakeSlack {
    start: Mutex<Option<Instant>>,
    recorded: Mutex<Recorded>,
    pub faults: Tally,
    base: Mutex<String>,
}

/// What a window of the schedule is doing now.
enum Weather {
    Fine,
    Burst,
    Limited,
    /// Answers wait until this instant.
    Stall(Instant),
}

fn in_window(elapsed: Duration, at: Duration, every: Duration, len: Duration) -> Option<Duration> {
    let since = elapsed.checked_sub(at)?;
    let into = Duration::from_nanos((since.as_nanos() % every.as_nanos()) as u64);
    (into < len).then(|| len - into)
}

impl FakeSlack {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Mutex::new(None),
            recorded: Mutex::default(),
            faults: Tally::default(),
            base: Mutex::default(),
        })
    }

    /// Faults start on their schedule from now (before, Slack is fine).
    pub fn start_faults(&self) {
        *self.start.lock().unwrap() = Some(Instant::now());
    }

    /// Faults stop (for the drain at the end).
    pub fn stop_faults(&self) {
        *self.start.lock().unwrap() = None;
    }

    fn weather(&self) -> Weather {
        let Some(start) = *self.start.lock().unwrap() else {
            return Weather::Fine;
        };
        let elapsed = start.elapsed();
        if in_window(elapsed, BURST_AT, BURST_EVERY, BURST).is_some() {
            return Weather::Burst;
        }
        if in_window(elapsed, LIMITED_AT, LIMITED_EVERY, LIMITED).is_some() {
            return Weather::Limited;
        }
        match in_window(elapsed, STALL_AT, STALL_EVERY, STALL) {
            Some(left) => Weather::Stall(Instant::now() + left),
            None => Weather::Fine,
        }
    }

    pub async fn serve(self: &Arc<Self>) -> Result<String, String> {
        let app = Router::new()
            .route("/api/{method}", post(method))
            .route("/upload/{id}", post(upload))
            .with_state(self.clone());
        let url = super::support::serve_fake_slack("soak", app).await?;
        *self.base.lock().unwrap() = url.trim_end_matches("/api/").to_owned();
        Ok(url)
    }

    /// Calls that took effect, by method.
    pub fn effects(&self) -> BTreeMap<String, u64> {
        self.recorded.lock().unwrap().effects.clone()
    }

    /// (channel, dedupe key) of every post that carried one, and how often it was posted.
    pub fn posts_by_key(&self) -> HashMap<(String, String), u64> {
        let recorded = self.recorded.lock().unwrap();
        let mut out = HashMap::new();
        for (channel, posts) in &recorded.history {
            for key in posts.iter().filter_map(|p| p.key.clone()) {
                *out.entry((channel.clone(), key)).or_insert(0) += 1;
            }
        }
        out
    }

    /// How many posts in each channel contain `find(text)`'s marker: (marker, channel) → count.
    pub fn posts_with(&self, find: impl Fn(&str) -> Vec<String>) -> HashMap<(String, String), u64> {
        let recorded = self.recorded.lock().unwrap();
        let mut out = HashMap::new();
        for (channel, posts) in &recorded.history {
            for post in posts {
                for marker in find(&post.text) {
                    *out.entry((marker, channel.clone())).or_insert(0) += 1;
                }
            }
        }
        out
    }

    /// Messages sharing files, per channel.
    pub fn shares(&self) -> HashMap<String, u64> {
        let recorded = self.recorded.lock().unwrap();
        recorded
            .history
            .iter()
            .map(|(c, posts)| {
                (
                    c.clone(),
                    posts.iter().filter(|p| !p.files.is_empty()).count() as u64,
                )
            })
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    pub fn last_published(&self, user: &str) -> Option<Instant> {
        self.recorded.lock().unwrap().published.get(user).copied()
    }

    fn next_ts(recorded: &mut Recorded) -> String {
        recorded.ts_counter += 1;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        format!("{}.{:06}", now.as_secs(), recorded.ts_counter % 1_000_000)
    }

    /// Whether a post into `channel` now comes too soon after the last one there.
    fn too_soon(&self, method: &str, body: &Value) -> bool {
        if method != "chat.postMessage" {
            return false;
        }
        let channel = body["channel"].as_str().unwrap_or_default();
        let recorded = self.recorded.lock().unwrap();
        recorded
            .last_post
            .get(channel)
            .is_some_and(|at| at.elapsed() < CHANNEL_GAP)
    }

    /// Does what `method` does in Slack; the answer's body.
    fn act(&self, method: &str, body: &Value) -> Value {
        let mut recorded = self.recorded.lock().unwrap();
        let r = &mut *recorded;
        let ok = |extra: Value| {
            let mut answer = json!({ "ok": true });
            if let (Some(a), Some(e)) = (answer.as_object_mut(), extra.as_object()) {
                a.extend(e.clone());
            }
            answer
        };
        if WRITES.contains(&method) {
            *r.effects.entry(method.to_owned()).or_insert(0) += 1;
        }
        match method {
            "conversations.open" => {
                let user = body["users"].as_str().unwrap_or("U0");
                ok(json!({ "channel": { "id": format!("D{}", &user[1..]) } }))
            }
            "chat.postMessage" => {
                let ts = Self::next_ts(r);
                let channel = body["channel"].as_str().unwrap_or_default().to_owned();
                r.last_post.insert(channel.clone(), Instant::now());
                r.history.entry(channel.clone()).or_default().push(Posted {
                    ts: ts.clone(),
                    key: body["metadata"]["event_payload"]["key"]
                        .as_str()
                        .map(str::to_owned),
                    text: body["text"].as_str().unwrap_or_default().to_owned(),
                    files: Vec::new(),
                });
                ok(json!({ "channel": channel, "ts": ts }))
            }
            "conversations.history" => {
                let channel = body["channel"].as_str().unwrap_or_default();
                let oldest: f64 = body["oldest"]
                    .as_str()
                    .and_then(|o| o.parse().ok())
                    .unwrap_or(0.0);
                let messages: Vec<Value> = r
                    .history
                    .get(channel)
                    .map(|posts| {
                        posts
                            .iter()
                            .rev()
                            .filter(|p| p.ts.parse::<f64>().unwrap_or(0.0) >= oldest)
                            .map(|p| {
                                let files: Vec<Value> = p.files.iter().map(|f| json!({ "name": f })).collect();
                                json!({
                                    "type": "message", "ts": p.ts, "text": p.text, "files": files,
                                    "metadata": { "event_type": "cairn_outbox", "event_payload": { "key": p.key } },
                                })
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                ok(
                    json!({ "messages": messages, "has_more": false, "response_metadata": { "next_cursor": "" } }),
                )
            }
            "views.publish" => {
                let user = body["user_id"].as_str().unwrap_or_default().to_owned();
                r.published.insert(user, Instant::now());
                ok(json!({}))
            }
            "users.info" => {
                let user = body["user"].as_str().unwrap_or("U0");
                ok(json!({ "user": {
                    "id": user, "team_id": "T07KUD0S01", "name": user.to_lowercase(),
                    "real_name": format!("Person {user}"), "tz": "Europe/Berlin", "tz_offset": 3600,
                    "is_bot": false, "deleted": false,
                    "profile": { "real_name": format!("Person {user}"), "display_name": user },
                } }))
            }
            "chat.getPermalink" => ok(json!({
                "permalink": format!(
                    "https://soak.slack.com/archives/{}/p{}",
                    body["channel"].as_str().unwrap_or_default(),
                    body["message_ts"].as_str().unwrap_or_default().replace('.', "")
                ),
            })),
            "files.getUploadURLExternal" => {
                r.files
                    .push(body["filename"].as_str().unwrap_or_default().to_owned());
                let id = format!("F0SOAK{:07}", r.files.len());
                let base = self.base.lock().unwrap().clone();
                ok(json!({ "upload_url": format!("{base}/upload/{id}"), "file_id": id }))
            }
            "files.completeUploadExternal" => {
                let names: Vec<String> = body["files"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|f| {
                        f["id"]
                            .as_str()?
                            .strip_prefix("F0SOAK")?
                            .parse::<usize>()
                            .ok()
                    })
                    .filter_map(|i| r.files.get(i - 1).cloned())
                    .collect();
                let ts = Self::next_ts(r);
                let channel = body["channel_id"].as_str().unwrap_or_default().to_owned();
                r.history.entry(channel).or_default().push(Posted {
                    ts,
                    key: None,
                    text: body["initial_comment"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    files: names,
                });
                ok(json!({ "files": body["files"] }))
            }
            "views.open" => ok(json!({ "view": { "id": "V0SOAK0001" } })),
            _ => ok(json!({})),
        }
    }
}

fn read_body(headers: &HeaderMap, body: &str) -> Value {
    let form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if form {
        let fields: Vec<(String, String)> = serde_urlencoded::from_str(body).unwrap_or_default();
        Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    } else {
        serde_json::from_str(body).unwrap_or(Value::Null)
    }
}

async fn method(
    State(fake): State<Arc<FakeSlack>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let weather = fake.weather();
    if let Weather::Burst = weather {
        fake.faults.failed.fetch_add(1, Ordering::Relaxed);
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    let body = read_body(&headers, &body);
    let write = WRITES.contains(&method.as_str());
    if (write && matches!(weather, Weather::Limited)) || fake.too_soon(&method, &body) {
        fake.faults.rate_limited.fetch_add(1, Ordering::Relaxed);
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, "1")],
            axum::Json(json!({ "ok": false, "error": "ratelimited" })),
        )
            .into_response();
    }
    let answer = fake.act(&method, &body);
    if let Weather::Stall(until) = weather {
        fake.faults.stalled.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep_until(until.into()).await;
    }
    super::support::json_response(answer.to_string())
}

async fn upload(State(_): State<Arc<FakeSlack>>, Path(_): Path<String>, _body: Bytes) -> Response {
    StatusCode::OK.into_response()
}
