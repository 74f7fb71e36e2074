//! Test harness: the real app on 127.0.0.1:0 with a fresh database (SQLite file or a new
//! PostgreSQL database), a fake Slack Web API that records calls, and signed requests built from
//! realistic Slack payloads.
#![allow(dead_code)]

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use cairn::app::RunningApp;
use cairn::clock::ManualClock;
use cairn::config::Input;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
/// The timestamp the shared fixtures are signed with; the app's clock is pinned to it.
pub const FIXTURE_TS: i64 = 1767623401;
pub const ADMIN_TOKEN: &str = "test-admin-token";
pub const BOT_TOKEN: &str = "xoxb-test-token";

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

// ---------------------------------------------------------------- databases

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database for one test, dropped with it (SQLite: a temp dir; PostgreSQL: a new database).
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    /// (admin URL, database name) of a PostgreSQL database to drop afterwards.
    pg: Option<(String, String)>,
}

impl TestDb {
    /// The first column of each row a query returns, as text, read from outside the app.
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        if self.url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
            let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        } else {
            let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
            let rows = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
            pool.close().await;
            rows
        }
    }

    /// Runs one statement on the database from outside the app (to break or inspect it).
    pub async fn execute(&self, sql: &str) {
        if self.url.starts_with("postgres") {
            let pool = sqlx::PgPool::connect(&self.url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        } else {
            let pool = sqlx::SqlitePool::connect(&self.url).await.unwrap();
            sqlx::query(sql).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
}

impl TestDb {
    /// Makes every insert into `table` fail (a full disk, say) until `allow_inserts`.
    pub async fn refuse_inserts(&self, table: &str) {
        if self.url.starts_with("postgres") {
            self.execute("CREATE OR REPLACE FUNCTION cairn_test_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql").await;
            self.execute(&format!("CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION cairn_test_refuse()")).await;
        } else {
            self.execute(&format!("CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")).await;
        }
    }

    pub async fn allow_inserts(&self, table: &str) {
        if self.url.starts_with("postgres") {
            self.execute(&format!("DROP TRIGGER refuse_{table} ON {table}"))
                .await;
        } else {
            self.execute(&format!("DROP TRIGGER refuse_{table}")).await;
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.pg.take() else {
            return;
        };
        // Drop runs inside the test's runtime; a thread with its own runtime may block.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            })
        })
        .join();
    }
}

/// `CAIRN_TEST_POSTGRES_URL` names a server where tests may create databases. Without it the
/// PostgreSQL variants skip, unless `CAIRN_REQUIRE_POSTGRES=1` (set by `.ci/run`) makes that a failure.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("CAIRN_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CAIRN_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "CAIRN_REQUIRE_POSTGRES=1 but CAIRN_TEST_POSTGRES_URL is not set"
            );
            eprintln!("skipping the PostgreSQL variant: CAIRN_TEST_POSTGRES_URL is not set");
            None
        }
    }
}

pub async fn test_db(backend: Backend) -> Option<TestDb> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("cairn.db").display());
            Some(TestDb {
                url,
                _dir: Some(dir),
                pg: None,
            })
        }
        Backend::Postgres => {
            let admin = postgres_admin_url()?;
            use sqlx::Connection;
            let mut conn = sqlx::PgConnection::connect(&admin)
                .await
                .expect("CAIRN_TEST_POSTGRES_URL must be reachable");
            let name = format!("cairn_test_{}", rand_suffix());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .unwrap();
            let (base, query) = match admin.split_once('?') {
                Some((b, q)) => (b.to_owned(), format!("?{q}")),
                None => (admin.clone(), String::new()),
            };
            let base = base
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(base);
            Some(TestDb {
                url: format!("{base}/{name}{query}"),
                _dir: None,
                pg: Some((admin.clone(), name)),
            })
        }
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{}_{nanos:x}_{:x}", std::process::id(), rand_u32())
}

fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish() as u32
}

// ---------------------------------------------------------------- fake Slack

#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub auth: Option<String>,
    pub body: Value,
}

/// A scripted answer for the next call of a method.
#[derive(Debug, Clone)]
pub enum Scripted {
    /// HTTP 429 with this Retry-After (seconds).
    RateLimited(u64),
    /// HTTP 200 with `ok: false` and this error.
    Error(&'static str),
    /// This HTTP status.
    Status(u16),
    /// Answer after this long (to trip the client's timeout).
    Slow(Duration),
    /// HTTP 200 with this JSON.
    Answer(Value),
}

#[derive(Default)]
struct FakeState {
    calls: Mutex<Vec<Call>>,
    script: Mutex<Vec<(String, VecDeque<Scripted>)>>,
    /// Where the fake listens, for the upload URLs it hands out.
    base: Mutex<String>,
    /// Every message posted, as conversations.history returns them: (channel, message).
    history: Mutex<Vec<(String, Value)>>,
    /// A delay before every answer of a method (after the call is recorded).
    latency: Mutex<Vec<(String, Duration)>>,
    /// The name of each file asked an upload URL for; its id is `F07FILE` and its number from 1.
    files: Mutex<Vec<String>>,
    /// What `apps.connections.open` hands out (a test's fake WebSocket server).
    socket_url: Mutex<Option<String>>,
    /// Who signs in with Slack next: (workspace, user); alice in the fixtures' workspace if unset.
    signs_in: Mutex<Option<(String, String)>>,
}

#[derive(Clone)]
pub struct FakeSlack {
    pub url: String,
    state: Arc<FakeState>,
}

impl FakeSlack {
    pub async fn start() -> Self {
        let state = Arc::new(FakeState::default());
        let app = Router::new()
            .route("/api/{method}", post(fake_method))
            .route("/upload/{file}", post(fake_upload))
            .route(
                "/openid/connect/authorize",
                axum::routing::get(fake_authorize),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        *state.base.lock().unwrap() = format!("http://{addr}");
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url: format!("http://{addr}/api/"),
            state,
        }
    }

    /// The next answers for `method`, in order; afterwards it answers normally again.
    pub fn script(&self, method: &str, answers: Vec<Scripted>) {
        self.state
            .script
            .lock()
            .unwrap()
            .push((method.to_owned(), answers.into()));
    }

    /// Where `apps.connections.open` sends Socket Mode clients from now on.
    /// Sign in with Slack signs in `user` of `team` from now on.
    pub fn sign_in_as(&self, team: &str, user: &str) {
        *self.state.signs_in.lock().unwrap() = Some((team.to_owned(), user.to_owned()));
    }

    pub fn set_socket_url(&self, url: &str) {
        *self.state.socket_url.lock().unwrap() = Some(url.to_owned());
    }

    /// Every later call of `method` is answered after `delay` (the request counts as received,
    /// and its effect happens, before the wait).
    pub fn set_latency(&self, method: &str, delay: Duration) {
        self.state
            .latency
            .lock()
            .unwrap()
            .push((method.to_owned(), delay));
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.calls.lock().unwrap().clone()
    }

    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        self.calls()
            .into_iter()
            .filter(|c| c.method == method)
            .collect()
    }

    /// Waits up to `limit` until `method` has been called `n` times; returns those calls.
    pub async fn wait_for_n(&self, method: &str, n: usize, limit: Duration) -> Vec<Call> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let calls = self.calls_to(method);
            if calls.len() >= n {
                return calls;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "fake Slack: expected {n} calls to {method}, got {}",
                calls.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits (bounded) until `method` has been called `n` times; returns those calls.
    pub async fn wait_for(&self, method: &str, n: usize) -> Vec<Call> {
        for _ in 0..200 {
            let calls = self.calls_to(method);
            if calls.len() >= n {
                return calls;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!(
            "fake Slack: expected {n} calls to {method}, got {:?}",
            self.calls_to(method)
        );
    }
}

/// Slack's consent screen for Sign in with Slack, already agreed: straight back to the app with a
/// code that names who signed in (`code-TEAM-USER`) and the app's `state`.
async fn fake_authorize(
    State(state): State<Arc<FakeState>>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let (team, user) = state
        .signs_in
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| ("T07KUD0S01".into(), "U07ALICE01".into()));
    let back = reqwest::Url::parse_with_params(
        query
            .get("redirect_uri")
            .map_or("http://invalid/", String::as_str),
        &[
            ("code", format!("code-{team}-{user}")),
            ("state", query.get("state").cloned().unwrap_or_default()),
        ],
    )
    .unwrap();
    (StatusCode::FOUND, [("location", back.to_string())]).into_response()
}

async fn fake_upload(
    State(state): State<Arc<FakeState>>,
    Path(file): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let text = std::str::from_utf8(&body).ok();
    let body = json!({ "file": file, "length": body.len(), "text": text, "png": body.starts_with(b"\x89PNG") });
    state.calls.lock().unwrap().push(Call {
        method: "upload".into(),
        auth: None,
        body,
    });
    StatusCode::OK.into_response()
}

async fn fake_method(
    State(state): State<Arc<FakeState>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let is_form = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body: Value = if is_form {
        let fields: Vec<(String, String)> = serde_urlencoded::from_str(&body).unwrap_or_default();
        Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect(),
        )
    } else {
        serde_json::from_str(&body).unwrap_or(Value::String(body))
    };
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    state.calls.lock().unwrap().push(Call {
        method: method.clone(),
        auth: auth.clone(),
        body: body.clone(),
    });
    let scripted = {
        let mut script = state.script.lock().unwrap();
        script
            .iter_mut()
            .find(|(m, q)| *m == method && !q.is_empty())
            .and_then(|(_, q)| q.pop_front())
    };
    // Like Slack, a message is posted as soon as the request arrives; a client that hangs up
    // or times out before the answer does not undo it.
    let posted_ts = (method == "chat.postMessage" && matches!(scripted, None | Some(Scripted::Slow(_)))).then(|| {
        let mut history = state.history.lock().unwrap();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
        let ts = format!("{}.{:06}", now.as_secs(), history.len() % 1_000_000);
        let channel = body["channel"].as_str().unwrap_or_default().to_owned();
        history.push((channel, json!({"type": "message", "ts": ts, "text": body["text"], "metadata": body["metadata"]})));
        ts
    });
    // Sharing files posts a message with them, as Slack does, also when the answer is lost.
    if method == "files.completeUploadExternal"
        && matches!(scripted, None | Some(Scripted::Slow(_)))
    {
        let names = state.files.lock().unwrap().clone();
        let files: Vec<Value> = body["files"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|f| {
                let id = f["id"].as_str().unwrap_or_default();
                let name = id
                    .strip_prefix("F07FILE")
                    .and_then(|n| n.parse::<usize>().ok())
                    .and_then(|n| names.get(n - 1))
                    .cloned()
                    .unwrap_or_default();
                json!({"id": id, "name": name})
            })
            .collect();
        let mut history = state.history.lock().unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap();
        let ts = format!("{}.{:06}", now.as_secs(), history.len() % 1_000_000);
        let channel = body["channel_id"].as_str().unwrap_or_default().to_owned();
        history.push((
            channel,
            json!({"type": "message", "ts": ts, "text": body["initial_comment"], "files": files}),
        ));
    }
    let latency = state
        .latency
        .lock()
        .unwrap()
        .iter()
        .find(|(m, _)| *m == method)
        .map(|(_, d)| *d);
    if let Some(delay) = latency {
        tokio::time::sleep(delay).await;
    }
    match scripted {
        Some(Scripted::RateLimited(secs)) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [("retry-after", secs.to_string())],
                Json(json!({"ok": false, "error": "ratelimited"})),
            )
                .into_response()
        }
        Some(Scripted::Error(e)) => return Json(json!({"ok": false, "error": e})).into_response(),
        Some(Scripted::Status(s)) => return StatusCode::from_u16(s).unwrap().into_response(),
        Some(Scripted::Slow(d)) => tokio::time::sleep(d).await,
        Some(Scripted::Answer(answer)) => return Json(answer).into_response(),
        None => {}
    }
    match method.as_str() {
        "conversations.open" => {
            let user = body["users"].as_str().unwrap_or("U0");
            Json(json!({"ok": true, "channel": {"id": format!("D{}", &user[1..])}})).into_response()
        }
        "chat.postMessage" => {
            Json(json!({"ok": true, "channel": body["channel"], "ts": posted_ts})).into_response()
        }
        "conversations.history" => {
            let channel = body["channel"].as_str().unwrap_or_default();
            let oldest: f64 = body["oldest"].as_str().and_then(|o| o.parse().ok()).unwrap_or(0.0);
            let with_metadata = body["include_all_metadata"] == "true";
            let mut messages: Vec<Value> = state.history.lock().unwrap().iter()
                .filter(|(c, m)| c == channel && m["ts"].as_str().and_then(|t| t.parse::<f64>().ok()).unwrap_or(0.0) >= oldest)
                .map(|(_, m)| {
                    let mut m = m.clone();
                    if !with_metadata {
                        m.as_object_mut().unwrap().remove("metadata");
                    }
                    m
                })
                .collect();
            messages.reverse(); // newest first, as Slack answers
            Json(json!({"ok": true, "messages": messages, "has_more": false, "response_metadata": {"next_cursor": ""}})).into_response()
        }
        // Granted every scope Cairn asks for but `reactions:write` (for `cairn doctor` to find).
        "auth.test" => (
            [("x-oauth-scopes", "chat:write,commands,files:write,im:history,im:read,im:write,reactions:read,users:read,usergroups:read")],
            Json(fixture_json("webapi_auth_test.response.json")),
        )
            .into_response(),
        "users.info" => {
            let mut answer = fixture_json("webapi_users_info.response.json");
            let user = body["user"].as_str().unwrap_or("U0").to_owned();
            answer["user"]["id"] = json!(user);
            answer["user"]["is_bot"] = json!(user.contains("BOT"));
            answer["user"]["deleted"] = json!(user.contains("GONE"));
            // A Slack Connect user from another organisation.
            if user.contains("EXT") {
                answer["user"]["team_id"] = json!("T09OTHERCO");
            }
            // A member of a sibling workspace of the same Enterprise Grid organisation.
            if user.contains("SIB") {
                answer["user"]["team_id"] = json!("T0GRIDB001");
                answer["user"]["enterprise_user"] = json!({"enterprise_id": "E07GRID001", "teams": ["T0GRIDB001"]});
            }
            Json(answer).into_response()
        }
        "oauth.v2.access" => Json(fixture_json("webapi_oauth_v2_access.response.json")).into_response(),
        "openid.connect.token" => {
            let code = body["code"].as_str().unwrap_or_default();
            Json(json!({"ok": true, "access_token": format!("xoxp-oidc-{code}"), "token_type": "Bearer", "id_token": "e30.e30.sig"})).into_response()
        }
        "openid.connect.userInfo" => {
            let token = auth.as_deref().unwrap_or_default().trim_start_matches("Bearer ");
            let who = token.strip_prefix("xoxp-oidc-code-").and_then(|w| w.split_once('-'));
            match who {
                Some((team, user)) => Json(json!({"ok": true, "sub": user, "https://slack.com/user_id": user, "https://slack.com/team_id": team, "name": user})).into_response(),
                None => Json(json!({"ok": false, "error": "invalid_auth"})).into_response(),
            }
        }
        "apps.connections.open" => match state.socket_url.lock().unwrap().clone() {
            Some(url) => {
                let mut answer = fixture_json("webapi_apps_connections_open.response.json");
                answer["url"] = json!(url);
                Json(answer).into_response()
            }
            None => Json(json!({"ok": false, "error": "internal_error"})).into_response(),
        },
        "users.list" => {
            let page = if body["cursor"].as_str().unwrap_or_default().is_empty() { 1 } else { 2 };
            Json(fixture_json(&format!("webapi_users_list.page{page}.response.json"))).into_response()
        }
        "usergroups.users.list" => Json(fixture_json("webapi_usergroups_users_list.response.json")).into_response(),
        "usergroups.list" => Json(json!({"ok": true, "usergroups": [
            {"id": "S07DEVS001", "team_id": "T07KUD0S01", "name": "Developers", "handle": "devs"},
        ]})).into_response(),
        "chat.getPermalink" => Json(json!({
            "ok": true,
            "channel": body["channel"],
            "permalink": format!("https://acme.slack.com/archives/{}/p{}", body["channel"].as_str().unwrap_or(""), body["message_ts"].as_str().unwrap_or("").replace('.', "")),
        }))
        .into_response(),
        "views.open" => Json(json!({"ok": true, "view": {"id": "V07MODAL01"}})).into_response(),
        "files.getUploadURLExternal" => {
            let base = state.base.lock().unwrap().clone();
            let id = {
                let mut files = state.files.lock().unwrap();
                files.push(body["filename"].as_str().unwrap_or_default().to_owned());
                format!("F07FILE{:03}", files.len())
            };
            Json(json!({"ok": true, "upload_url": format!("{base}/upload/{id}"), "file_id": id})).into_response()
        }
        _ => Json(json!({"ok": true})).into_response(),
    }
}

pub fn fixture_json(name: &str) -> Value {
    serde_json::from_str(&fixture(name)).unwrap()
}

// ---------------------------------------------------------------- the app

pub struct TestApp {
    pub app: Option<RunningApp>,
    pub addr: SocketAddr,
    pub clock: ManualClock,
    pub slack: FakeSlack,
    pub db: TestDb,
    pub http: reqwest::Client,
}

#[derive(Clone)]
pub struct Options {
    pub bot_token: bool,
    pub admin_token: bool,
    pub extra: fn(&mut Input),
}

impl Default for Options {
    fn default() -> Self {
        Self {
            bot_token: true,
            admin_token: true,
            extra: |_| {},
        }
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> Option<Self> {
        let db = test_db(backend).await?;
        let slack = FakeSlack::start().await;
        let clock = ManualClock::at_unix(FIXTURE_TS);
        let mut app = TestApp {
            app: None,
            addr: "127.0.0.1:0".parse().unwrap(),
            clock,
            slack,
            db,
            http: reqwest::Client::new(),
        };
        app.start(options).await;
        Some(app)
    }

    /// The settings the app runs with.
    pub fn settings(&self, options: &Options) -> Input {
        let mut settings = Input {
            addr: Some("127.0.0.1:0".into()),
            database_url: Some(self.db.url.clone()),
            slack_signing_secret: Some(SECRET.into()),
            slack_bot_token: options.bot_token.then(|| BOT_TOKEN.into()),
            slack_api_url: Some(self.slack.url.clone()),
            admin_token: options.admin_token.then(|| ADMIN_TOKEN.into()),
            ..Default::default()
        };
        (options.extra)(&mut settings);
        settings
    }

    /// (Re)starts the app on the same database and fake Slack.
    pub async fn start(&mut self, options: Options) {
        let config = self.settings(&options).resolve().unwrap();
        let app = cairn::app::start(config, Arc::new(self.clock.clone()))
            .await
            .unwrap();
        self.addr = app.addr;
        self.app = Some(app);
    }

    /// Restarts the app at a fixed local port with CAIRN_BASE_URL pointing at it, for the review
    /// pages; with `sign_in_with_slack`, with the app's client id and secret too.
    pub async fn serve_web(&mut self, sign_in_with_slack: bool) {
        self.stop().await;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut settings = self.settings(&Options::default());
        settings.addr = Some(format!("127.0.0.1:{port}"));
        settings.base_url = Some(format!("http://127.0.0.1:{port}"));
        if sign_in_with_slack {
            settings.slack_client_id = Some("7000000000.7000000001".into());
            settings.slack_client_secret = Some("client-secret".into());
            settings.encryption_key = Some("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".into());
        }
        let config = settings.resolve().unwrap();
        let app = cairn::app::start(config, Arc::new(self.clock.clone()))
            .await
            .unwrap();
        self.addr = app.addr;
        self.app = Some(app);
    }

    pub async fn stop(&mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown();
            app.wait().await.unwrap();
        }
    }

    /// `cairn jobs run-once --now NOW` on the app's database and fake Slack; its report.
    pub async fn run_jobs(&self, now: &str) -> String {
        self.run_jobs_with(&Options::default(), now).await
    }

    pub async fn run_jobs_with(&self, options: &Options, now: &str) -> String {
        let config = self.settings(options).resolve().unwrap();
        let now = chrono::DateTime::parse_from_rfc3339(now).unwrap().to_utc();
        cairn::app::run_jobs_once(&config, now).await.unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// POSTs `body` signed as Slack would, at the pinned clock.
    pub async fn post_signed(
        &self,
        path: &str,
        content_type: &str,
        body: &str,
    ) -> reqwest::Response {
        let ts = self.clock_ts().to_string();
        let signature = cairn::slack::verify::sign(SECRET.as_bytes(), &ts, body.as_bytes());
        self.http
            .post(self.url(path))
            .header("content-type", content_type)
            .header("x-slack-request-timestamp", ts)
            .header("x-slack-signature", signature)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    pub fn clock_ts(&self) -> i64 {
        use cairn::clock::Clock;
        self.clock.now().timestamp()
    }

    /// Sends `/kudos TEXT` from the fixture's user (alice, U07ALICE01) and returns the JSON answer.
    pub async fn kudos(&self, text: &str) -> Value {
        self.command("/kudos", text, "U07ALICE01").await
    }

    pub async fn command(&self, command: &str, text: &str, user: &str) -> Value {
        self.command_in("T07KUD0S01", command, text, user).await
    }

    /// A slash command from `user` in workspace `team`.
    pub async fn command_in(&self, team: &str, command: &str, text: &str, user: &str) -> Value {
        self.command_from(team, None, command, text, user).await
    }

    /// A slash command from `user` in workspace `team`, of Enterprise Grid organisation
    /// `enterprise` if given (Slack then sends its id too).
    pub async fn command_from(
        &self,
        team: &str,
        enterprise: Option<&str>,
        command: &str,
        text: &str,
        user: &str,
    ) -> Value {
        let mut form: Vec<(String, String)> =
            serde_urlencoded::from_str(&slash_body(command, text, user)).unwrap();
        for (k, v) in form.iter_mut() {
            if k == "team_id" {
                *v = team.to_owned();
            }
        }
        if let Some(enterprise) = enterprise {
            form.push(("enterprise_id".into(), enterprise.into()));
            form.push(("enterprise_name".into(), "Acme Corp".into()));
        }
        let body = serde_urlencoded::to_string(form).unwrap();
        let response = self
            .post_signed(
                "/slack/commands",
                "application/x-www-form-urlencoded",
                &body,
            )
            .await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn api(&self, path_and_query: &str) -> (u16, Value) {
        let (status, text) = self.api_text(path_and_query).await;
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// A JSON API answer as text (a packet in Markdown or CSV).
    pub async fn api_text(&self, path_and_query: &str) -> (u16, String) {
        let response = self
            .http
            .get(self.url(path_and_query))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// `POST /api/v1/org` with the admin token, for the test workspace.
    pub async fn post_org(&self, content_type: &str, body: &str) -> (u16, Value) {
        let response = self
            .http
            .post(self.url("/api/v1/org?team=T07KUD0S01"))
            .bearer_auth(ADMIN_TOKEN)
            .header("content-type", content_type)
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    pub fn store(&self) -> Arc<dyn cairn::store::Store> {
        self.app.as_ref().expect("the app is running").store.clone()
    }
}

/// The fixture slash command with another command, text and user.
pub fn slash_body(command: &str, text: &str, user: &str) -> String {
    let mut form: Vec<(String, String)> =
        serde_urlencoded::from_str(&fixture("slash_command.txt")).unwrap();
    for (k, v) in form.iter_mut() {
        match k.as_str() {
            "text" => *v = text.to_owned(),
            "command" => *v = command.to_owned(),
            "user_id" => *v = user.to_owned(),
            _ => {}
        }
    }
    serde_urlencoded::to_string(form).unwrap()
}

/// Runs `$body` once per backend: `$name::sqlite` and `$name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($backend:ident: Backend) $body:block)*) => {$(
        mod $name {
            use super::*;
            async fn run($backend: Backend) $body
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { run(Backend::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { run(Backend::Postgres).await }
        }
    )*};
}

// ---------------------------------------------------------------- the real binary

use std::process::{Child, Command, Stdio};

/// Starts the real `cairn serve` binary on a free port; returns the process and its address.
pub fn serve(db: &str, slack: &str) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("serve")
        .env("CAIRN_ADDR", &addr)
        .env("DATABASE_URL", db)
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("SLACK_API_URL", slack)
        // These tests count deliveries, not pace: a workspace budget of 10 a second would only
        // make them slow. Channel pacing stays on.
        .env("CAIRN_OUTBOX_WORKSPACE_PER_MINUTE", "0")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    (child, addr)
}

/// SIGTERM, then waits (at most 5 s) for a clean exit.
pub fn stop(mut child: Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    for _ in 0..100 {
        if child.try_wait().unwrap().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
}

/// `user` presses a button in their DM with Cairn (`D` + their id without the `U`): Slack's
/// block_actions fixture, reshaped. The HTTP status of the answer.
pub async fn press_button(
    app: &TestApp,
    user: &str,
    action: &str,
    block: &str,
    value: &str,
) -> u16 {
    let mut payload = fixture_json("interactivity_block_actions.json");
    payload["user"]["id"] = json!(user);
    let dm = format!("D{}", &user[1..]);
    payload["channel"] = json!({ "id": dm, "name": "directmessage" });
    payload["container"]["channel_id"] = json!(dm);
    payload["actions"] =
        json!([{ "type": "button", "action_id": action, "block_id": block, "value": value }]);
    let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
    app.post_signed(
        "/slack/interactivity",
        "application/x-www-form-urlencoded",
        &body,
    )
    .await
    .status()
    .as_u16()
}

/// The bearer token each DM to `user` was posted with (the fake opens `D` + the id without `U`).
pub fn tokens_used_for(app: &TestApp, user: &str) -> Vec<String> {
    let dm = format!("D{}", &user[1..]);
    app.slack
        .calls_to("chat.postMessage")
        .into_iter()
        .filter(|c| c.body["channel"] == dm.as_str())
        .map(|c| c.auth.unwrap_or_default())
        .collect()
}

/// A workspace's installation (Add to Slack) holding `sealed` as its bot token.
pub fn installation(
    team: &str,
    sealed: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> cairn::store::Installation {
    cairn::store::Installation {
        team_id: team.into(),
        enterprise_id: None,
        app_id: Some("A1".into()),
        bot_user_id: Some("UBOT".into()),
        bot_token_sealed: sealed.into(),
        scopes: vec!["chat:write".into(), "commands".into()],
        installer_user_id: Some("U1".into()),
        installed_at: at,
        updated_at: at,
    }
}

/// A kudos `i` to `recipients`, with the DM each of them gets, as /kudos would record it.
pub fn queued_kudos(
    i: usize,
    recipients: Vec<cairn::domain::ids::UserId>,
) -> cairn::store::NewKudos {
    use cairn::domain::ids::{TeamId, UserId};
    let deliveries = recipients
        .iter()
        .map(|u| cairn::store::Delivery {
            slot: None,
            action: Default::default(),
            key: format!("dm:{u}"),
            channel: u.to_string(),
            text: format!("kudos {i} for {u}"),
            blocks: serde_json::json!([]),
        })
        .collect();
    cairn::store::NewKudos {
        team_id: TeamId::parse("T07KUD0S01").unwrap(),
        team_domain: None,
        giver: UserId::parse("U07ALICE01").unwrap(),
        recipients,
        competencies: vec!["values".into()],
        multiplier_kinds: vec![],
        text: format!("kudos {i}"),
        channel_id: None,
        visibility: cairn::store::Visibility::Public,
        framework_id: "matrix-3x3".into(),
        framework_version: "1.0.0".into(),
        created_at: chrono::Utc::now(),
        spheres: vec![cairn::store::Sphere::Team],
        deliveries,
    }
}
