//! The database goes away for 20 seconds under steady `/kudos` traffic and Slack events. On
//! PostgreSQL a TCP proxy in front of the server drops every connection and refuses new ones; on
//! SQLite another process holds the write lock, so every write fails as on a read-only file.
//! Meanwhile `/readyz` says so, a command that cannot be saved says so with the person's text, and
//! events get a 5xx so Slack retries them. Once the database is back, what was confirmed is
//! recorded once, what was refused is not recorded, Slack's retries are recorded once, and the
//! outbox delivers each kudos DM once.

use crate::common::*;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const OUTAGE: Duration = Duration::from_secs(20);
/// One `/kudos` every this long, whatever the answers: steady traffic, not request-response.
const EVERY: Duration = Duration::from_millis(100);

/// A TCP proxy to PostgreSQL that can be cut: `down` drops every connection and stops listening
/// (new ones are refused); `up` listens again on the same port.
struct Proxy {
    addr: SocketAddr,
    target: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Proxy {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy = Proxy {
            addr: listener.local_addr().unwrap(),
            target,
            tasks: Arc::default(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&self, listener: TcpListener) {
        let (target, tasks) = (self.target, self.tasks.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                tasks.lock().unwrap().push(pipe);
            }
        });
        self.tasks.lock().unwrap().push(accept);
    }

    fn down(&self) {
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    async fn up(&self) {
        // The aborted listener's socket closes as its task is dropped; wait for the port.
        for _ in 0..100 {
            if let Ok(listener) = TcpListener::bind(self.addr).await {
                return self.serve(listener);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the proxy could not listen on {} again", self.addr);
    }
}

/// What makes the database unwritable, and undoes it.
enum Outage {
    Proxy(Proxy),
    /// A connection of another process holding SQLite's write lock.
    Locked(Option<sqlx::SqliteConnection>),
}

impl Outage {
    async fn begin(&mut self, db_url: &str) {
        match self {
            Outage::Proxy(proxy) => proxy.down(),
            Outage::Locked(held) => {
                use sqlx::Connection;
                let mut conn = sqlx::SqliteConnection::connect(db_url).await.unwrap();
                sqlx::query("BEGIN IMMEDIATE")
                    .execute(&mut conn)
                    .await
                    .unwrap();
                *held = Some(conn);
            }
        }
    }

    async fn end(&mut self) {
        match self {
            Outage::Proxy(proxy) => proxy.up().await,
            Outage::Locked(held) => {
                let mut conn = held.take().expect("the lock is held");
                sqlx::query("ROLLBACK").execute(&mut conn).await.unwrap();
            }
        }
    }
}

/// The database URL the app is given: through the proxy on PostgreSQL.
async fn outage_for(db_url: &str) -> (Outage, String) {
    if !db_url.starts_with("postgres") {
        return (Outage::Locked(None), db_url.to_owned());
    }
    let url = reqwest::Url::parse(db_url).unwrap();
    let host = url.host_str().unwrap();
    let host = if host == "localhost" {
        "127.0.0.1"
    } else {
        host
    };
    let target = format!("{host}:{}", url.port().unwrap_or(5432))
        .parse()
        .unwrap();
    let proxy = Proxy::start(target).await;
    let mut through = url.clone();
    through.set_host(Some("127.0.0.1")).unwrap();
    through.set_port(Some(proxy.addr.port())).unwrap();
    (Outage::Proxy(proxy), through.to_string())
}

/// A reaction kudos from Carol on Bob's message number `n`, as Slack sends it.
fn reaction(n: usize) -> String {
    let mut payload = fixture_json("event_reaction_added.json");
    payload["event_id"] = json!(format!("EvOUTAGE{n:04}"));
    payload["event"]["reaction"] = json!("cairn");
    payload["event"]["item"]["ts"] = json!(format!("1767623400.{n:06}"));
    payload.to_string()
}

async fn post_event(app: &TestApp, body: &str, retry: Option<u32>) -> u16 {
    let ts = app.clock_ts().to_string();
    let signature = cairn::slack::verify::sign(SECRET.as_bytes(), &ts, body.as_bytes());
    let mut request = app
        .http
        .post(app.url("/slack/events"))
        .header("content-type", "application/json")
        .header("x-slack-request-timestamp", ts)
        .header("x-slack-signature", signature)
        .body(body.to_owned());
    if let Some(n) = retry {
        request = request
            .header("x-slack-retry-num", n.to_string())
            .header("x-slack-retry-reason", "http_error");
    }
    request.send().await.unwrap().status().as_u16()
}

async fn ready(app: &TestApp) -> u16 {
    app.http
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// How one `/kudos` was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Answer {
    Recorded,
    /// "Not recorded, try again", with their text given back.
    NotSaved,
    /// Slack's deadline came first: "cannot confirm", with their text given back.
    Unconfirmed,
}

fn answer_of(marker: &str, reply: &Value) -> Answer {
    let text = reply["text"].as_str().unwrap_or_default();
    if reply["response_type"] == "in_channel" {
        return Answer::Recorded;
    }
    assert!(
        text.contains("What you typed:") && text.contains(marker),
        "their text is given back: {reply}"
    );
    if text.contains("nothing was posted") && text.contains("try again") {
        Answer::NotSaved
    } else if text.contains("can't confirm") {
        Answer::Unconfirmed
    } else {
        panic!("an answer that says neither: {reply}")
    }
}

/// Each kudos to someone else: Cairn paces DMs to one person to about one a second.
fn receiver(n: usize) -> String {
    format!("U0RCP{n:05}")
}

fn marker(n: usize) -> String {
    format!("outage-kudos-{n:04}-end")
}

both_backends! {
    async fn twenty_seconds_without_a_database_lose_nothing_and_double_nothing(backend: Backend) {
        let Some(mut app) = TestApp::spawn(backend).await else { return };
        // Restart the app on the proxied URL (the test keeps the direct one for itself).
        let (mut outage, app_url) = outage_for(&app.db.url).await;
        app.stop().await;
        let mut settings = app.settings(&Options::default());
        settings.database_url = Some(app_url);
        let running = cairn::app::start(settings.resolve().unwrap(), Arc::new(app.clock.clone())).await.unwrap();
        app.addr = running.addr;
        app.app = Some(running);
        let app = Arc::new(app);
        assert_eq!(ready(&app).await, 200);

        // Steady traffic: 3 s before the outage, 20 s of it, 3 s after.
        let start = Instant::now();
        let total = ((OUTAGE + Duration::from_secs(6)).as_millis() / EVERY.as_millis()) as usize;
        let sender = {
            let app = app.clone();
            tokio::spawn(async move {
                let mut sent = Vec::new();
                for n in 0..total {
                    tokio::time::sleep_until((start + EVERY * n as u32).into()).await;
                    let app = app.clone();
                    sent.push(tokio::spawn(async move {
                        let reply = app.kudos(&format!("<@{}> #technical {}", receiver(n), marker(n))).await;
                        (n, reply)
                    }));
                }
                let mut answers = Vec::new();
                for s in sent {
                    answers.push(s.await.unwrap());
                }
                answers
            })
        };
        tokio::time::sleep(Duration::from_secs(3)).await;
        outage.begin(&app.db.url).await;
        let outage_began = Instant::now();
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(ready(&app).await, 503, "/readyz says the database is unreachable");
        // Slack events meanwhile: each answered 5xx, so Slack retries it.
        let mut refused = Vec::new();
        for n in 0..5 {
            let status = post_event(&app, &reaction(n), None).await;
            assert!(status >= 500, "event {n} during the outage got {status}");
            refused.push(n);
        }
        assert_eq!(ready(&app).await, 503);
        tokio::time::sleep(OUTAGE.saturating_sub(outage_began.elapsed())).await;
        outage.end().await;
        // Back: ready again within a few seconds.
        let mut back = false;
        for _ in 0..100 {
            if ready(&app).await == 200 {
                back = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(back, "/readyz is ready again once the database is back");
        let answers = sender.await.unwrap();

        // Slack retries the events: each recorded once; a retry after that changes nothing.
        for &n in &refused {
            assert_eq!(post_event(&app, &reaction(n), Some(1)).await, 200, "retry of event {n}");
            assert_eq!(post_event(&app, &reaction(n), Some(2)).await, 200, "second retry of event {n}");
        }

        // Let the app finish what it holds, then deliver what the outbox still has, an hour on
        // (past every back-off).
        let mut app = Arc::into_inner(app).expect("the traffic is over");
        app.stop().await;
        let report = app.run_jobs("2026-01-05T15:30:00Z").await;

        let recorded: Vec<String> = app.db.strings("SELECT text FROM kudos").await;
        let count = |m: &str| recorded.iter().filter(|t| t.contains(m)).count();
        let dms: Vec<String> = app
            .slack
            .calls_to("chat.postMessage")
            .into_iter()
            .filter(|c| c.body["channel"].as_str().is_some_and(|c| c.starts_with("D0RCP")))
            .map(|c| c.body.to_string())
            .collect();
        let delivered = |m: &str| dms.iter().filter(|d| d.contains(m)).count();
        let tally: HashMap<Answer, usize> = answers.iter().fold(HashMap::new(), |mut t, (n, reply)| {
            *t.entry(answer_of(&marker(*n), reply)).or_default() += 1;
            t
        });
        eprintln!("{backend:?}: {} kudos sent; answers {tally:?}", answers.len());
        let stuck = app.db.strings("SELECT dedupe_key FROM outbox WHERE status <> 'sent'").await;
        assert!(stuck.is_empty(), "the outbox drains: {stuck:?} ({report})");
        for (n, reply) in &answers {
            let m = marker(*n);
            let answer = answer_of(&m, reply);
            match answer {
                Answer::Recorded => assert_eq!(count(&m), 1, "confirmed kudos {n} is recorded once"),
                Answer::NotSaved => assert_eq!(count(&m), 0, "kudos {n} was said not to be saved"),
                Answer::Unconfirmed => assert!(count(&m) <= 1, "kudos {n} is recorded at most once"),
            }
            assert_eq!(delivered(&m), count(&m), "kudos {n}: one DM per recorded kudos");
        }
        assert!(tally.get(&Answer::Recorded).copied().unwrap_or(0) >= 40, "traffic before and after the outage is recorded: {tally:?}");
        let not_saved = tally.get(&Answer::NotSaved).copied().unwrap_or(0);
        assert!(not_saved >= 1, "the outage was felt: {tally:?}");
        // Told plainly: only a kudos caught as the database came and went may be unconfirmed.
        let unconfirmed = tally.get(&Answer::Unconfirmed).copied().unwrap_or(0);
        assert!(unconfirmed * 4 <= not_saved, "most are told \"not saved\", not \"cannot confirm\": {tally:?}");
        let permalinks = app.db.strings("SELECT permalink FROM kudos WHERE permalink IS NOT NULL").await;
        for n in refused {
            let link = format!("p1767623400{n:06}");
            assert_eq!(permalinks.iter().filter(|p| p.ends_with(&link)).count(), 1, "reaction kudos {n} recorded once");
        }
    }
}
