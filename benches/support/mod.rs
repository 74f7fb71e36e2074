//! What the load drivers in `benches/` share: a fresh database per run, the release binary as a
//! child process, the plumbing of an in-process fake Slack, and CPU figures from `/proc`.
//!
//! Each bench includes it with `#[path = "support/mod.rs"] mod support;` (a file directly in
//! `benches/` would be a bench target of its own).

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::fmt::Write as _;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The signing secret Cairn is started with (and requests are signed with).
pub const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";
pub const BOT_TOKEN: &str = "xoxb-bench";
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

type Result<T, E = String> = std::result::Result<T, E>;

// ---------------------------------------------------------------- arguments

/// Parses the arguments (exit code 2 and the message if they are off), then runs the benchmark
/// on a multi-threaded tokio runtime (exit code 1 and `<bench>: <error>` if it fails).
pub fn main<A, F>(bench: &str, parse_args: fn() -> Result<A>, run: fn(A) -> F) -> ExitCode
where
    F: Future<Output = Result<()>>,
{
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
            eprintln!("{bench}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The command line, flag by flag: `--flag value` or `--flag=value`.
pub struct Flags {
    args: std::iter::Skip<std::env::Args>,
    usage: &'static str,
    flag: String,
    inline: Option<String>,
}

impl Flags {
    pub fn new(usage: &'static str) -> Self {
        Self {
            args: std::env::args().skip(1),
            usage,
            flag: String::new(),
            inline: None,
        }
    }

    /// The next flag (without its `=value`).
    pub fn next_flag(&mut self) -> Option<String> {
        let arg = self.args.next()?;
        (self.flag, self.inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg, None),
        };
        Some(self.flag.clone())
    }

    /// The current flag's value: after `=`, or the next argument.
    pub fn value(&mut self) -> Result<String> {
        self.inline
            .take()
            .or_else(|| self.args.next())
            .ok_or_else(|| format!("{} needs a value\n{}", self.flag, self.usage))
    }

    /// The current flag's value, a positive whole number.
    pub fn number(&mut self) -> Result<u64> {
        let v = self.value()?;
        match v.parse::<u64>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!(
                "{} wants a positive whole number, not {v:?}",
                self.flag
            )),
        }
    }

    /// The current flag's value, a backend.
    pub fn backend(&mut self) -> Result<Backend> {
        let v = self.value()?;
        Backend::parse(&v).ok_or_else(|| format!("unknown backend {v:?}\n{}", self.usage))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The value of `--backend`, if it names one.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// `target/release/cairn` (under `CARGO_TARGET_DIR` if set), which must have been built.
pub fn release_binary() -> Result<PathBuf> {
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
    Ok(binary)
}

// ---------------------------------------------------------------- database

/// What one benchmark calls itself and what it creates.
pub struct Names {
    /// Prefix of its messages on stderr (`kudos_load`).
    pub bench: &'static str,
    /// Temp dir `<dir>-<pid>-<nanos>` (`cairn-bench`).
    pub dir: &'static str,
    /// PostgreSQL database `<database>_<pid>` (`cairn_bench`).
    pub database: &'static str,
}

/// A fresh database for one run: always a temp dir (the server's log goes there), plus the
/// SQLite file or a new PostgreSQL database.
pub struct Db {
    pub dir: PathBuf,
    pub url: String,
    /// (admin URL, database name) to drop afterwards.
    pub pg: Option<(String, String)>,
    bench: &'static str,
}

impl Db {
    pub async fn create(names: &Names, backend: Backend) -> Result<Self> {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let dir =
            std::env::temp_dir().join(format!("{}-{}-{nanos:08x}", names.dir, std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        if backend == Backend::Sqlite {
            let url = format!("sqlite://{}", dir.join("cairn.db").display());
            return Ok(Self {
                dir,
                url,
                pg: None,
                bench: names.bench,
            });
        }
        let admin = std::env::var("CAIRN_BENCH_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_POSTGRES_URL.to_owned());
        let name = format!("{}_{}", names.database, std::process::id());
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
            bench: names.bench,
        })
    }

    /// The same database for another task: its dir and URL, dropping nothing when destroyed.
    #[allow(dead_code)] // the soak's restarts
    pub fn share(&self) -> Self {
        Self {
            dir: self.dir.clone(),
            url: self.url.clone(),
            pg: None,
            bench: self.bench,
        }
    }

    pub async fn destroy(self) {
        if let Some((admin, name)) = &self.pg {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            match pg_connect(admin).await {
                Ok(mut conn) => {
                    if let Err(e) = sqlx::query(&sql).execute(&mut conn).await {
                        eprintln!("{}: {sql}: {e}", self.bench);
                    }
                }
                Err(e) => eprintln!("{}: could not drop {name}: {e}", self.bench),
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

// ---------------------------------------------------------------- fake Slack

pub fn json_response(body: String) -> Response {
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}

/// Serves a fake Slack Web API (routes under `/api/`) on a free local port until the process
/// ends; returns its base URL, for `SLACK_API_URL`.
pub async fn serve_fake_slack(bench: &'static str, app: Router) -> Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("fake Slack: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("{bench}: fake Slack stopped: {e}");
        }
    });
    Ok(format!("http://{addr}/api/"))
}

// ---------------------------------------------------------------- the server

fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// `benches/peers/bolt/app.js`, its packages installed (`npm ci`, from the lock file) if they
/// are not yet.
#[allow(dead_code)] // kudos_load's
pub fn bolt_peer() -> Result<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peers/bolt");
    if !dir.join("node_modules").is_dir() {
        eprintln!(
            "installing the Bolt-JS peer's packages (npm ci in {})",
            dir.display()
        );
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status()
            .map_err(|e| {
                format!("cannot run npm (Node.js 20 and npm are needed for --peer): {e}")
            })?;
        if !status.success() {
            return Err(format!("npm ci in {} failed ({status})", dir.display()));
        }
    }
    Ok(dir.join("app.js"))
}

/// `cairn serve`, a child process with its output in a log file in the run's temp dir.
pub struct Server {
    child: Child,
    pub pid: u32,
    pub base: String,
    log: PathBuf,
    bench: &'static str,
}

impl Server {
    /// Starts `binary serve` on a free port against `db` and the fake Slack at `slack_url`,
    /// logging to `log_name` in the database's temp dir, with `RUST_LOG=warn` and the fake
    /// Slack's lack of a workspace limit (`CAIRN_OUTBOX_WORKSPACE_PER_MINUTE=0`).
    ///
    /// `env` comes on top: `Some(value)` sets a variable, `None` keeps this process's value
    /// of it from the child. `CAIRN_CONFIG` and `CAIRN_ADMIN_TOKEN` are always kept from it.
    pub fn start(
        binary: &Path,
        db: &Db,
        slack_url: &str,
        log_name: &str,
        env: &[(&str, Option<&str>)],
    ) -> Result<Self> {
        let port = free_port()?;
        let mut command = Command::new(binary);
        command
            .arg("serve")
            .env_remove("CAIRN_CONFIG")
            .env_remove("CAIRN_ADMIN_TOKEN")
            .env("CAIRN_ADDR", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", &db.url)
            .env("SLACK_SIGNING_SECRET", SECRET)
            .env("SLACK_API_URL", slack_url)
            .env("CAIRN_OUTBOX_WORKSPACE_PER_MINUTE", "0")
            .env("RUST_LOG", "warn");
        for (key, value) in env {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        Self::spawn(command, port, db, log_name)
    }

    /// The Bolt-JS peer (`app`, from `bolt_peer`) on PostgreSQL `db`, with the same secret,
    /// token and fake Slack as Cairn.
    #[allow(dead_code)] // kudos_load's
    pub fn start_bolt_peer(app: &Path, db: &Db, slack_url: &str) -> Result<Self> {
        let port = free_port()?;
        let mut command = Command::new("node");
        command
            .arg(app)
            .current_dir(app.parent().unwrap_or(Path::new(".")))
            .env("PORT", port.to_string())
            .env("DATABASE_URL", &db.url)
            .env("SLACK_SIGNING_SECRET", SECRET)
            .env("SLACK_BOT_TOKEN", BOT_TOKEN)
            .env("SLACK_API_URL", slack_url)
            .env("NODE_ENV", "production");
        Self::spawn(command, port, db, "bolt.log")
    }

    fn spawn(mut command: Command, port: u16, db: &Db, log_name: &str) -> Result<Self> {
        let log = db.dir.join(log_name);
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
        Ok(Self {
            pid: child.id(),
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            bench: db.bench,
        })
    }

    /// An error (with the head of the log) if cairn has exited.
    #[allow(dead_code)] // kudos_load only checks during start-up
    pub fn exited(&mut self) -> Result<()> {
        self.exited_while("")
    }

    fn exited_while(&mut self, when: &str) -> Result<()> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(format!(
                "cairn exited{when} ({status}):\n{}",
                self.log_head(20)
            )),
            _ => Ok(()),
        }
    }

    /// Polls `GET /healthz` every `poll` until it answers 200 (at most 60 s).
    pub async fn wait_healthy(&mut self, http: &reqwest::Client, poll: Duration) -> Result<()> {
        let url = format!("{}/healthz", self.base);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.exited_while(" during start-up")?;
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
            tokio::time::sleep(poll).await;
        }
    }

    pub fn log_head(&self, lines: usize) -> String {
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

    /// SIGKILL: no shutdown at all, as when a machine dies.
    #[allow(dead_code)] // the soak's
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM (graceful shutdown), then SIGKILL if it has not exited within 15 s.
    pub fn stop(mut self) -> Option<std::process::ExitStatus> {
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
                    eprintln!("{}: cairn ignored SIGTERM for 15 s; killing it", self.bench);
                    let _ = self.child.kill();
                    return self.child.wait().ok();
                }
            }
        }
    }
}

// ---------------------------------------------------------------- /proc

/// A process's resident memory (`VmRSS`), in KiB.
#[allow(dead_code)] // the load benches'
pub fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// utime + stime (clock ticks) of a process.
pub fn cpu_ticks(stat_path: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(stat_path).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace();
    // Fields 14 and 15 of stat(5); `rest` starts at field 3.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Summed CPU ticks of every process called `postgres` (the PostgreSQL server, if local).
pub fn postgres_ticks() -> u64 {
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
pub fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().next() else {
        return (0, 0);
    };
    let v: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0) + v.get(4).copied().unwrap_or(0);
    (total - idle, total)
}

pub fn clock_ticks_per_sec() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// `n=… p50=…ms p95=…ms p99=…ms max=…ms` of a set of timings (sorts them).
#[allow(dead_code)] // summary_scale and prompt_ticks; the load benches report their own way
pub fn percentiles(times: &mut [std::time::Duration]) -> String {
    times.sort_unstable();
    let at = |q: f64| {
        let i = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len()) - 1;
        times[i].as_secs_f64() * 1000.0
    };
    format!(
        "n={} p50={:.2}ms p95={:.2}ms p99={:.2}ms max={:.2}ms",
        times.len(),
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0)
    )
}
