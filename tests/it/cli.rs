//! The real binary: exit codes, messages that name what to fix, and graceful shutdown on SIGTERM.

use std::process::{Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_cairn");

fn cairn(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn serve_without_the_signing_secret_names_it_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let out = cairn(&["serve"], &[("DATABASE_URL", &url)]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SLACK_SIGNING_SECRET is not set"),
        "{stderr}"
    );
}

#[test]
fn rust_log_takes_a_level_and_targets_and_names_what_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let migrate = |filter: &str| {
        let out = cairn(
            &["migrate"],
            &[("DATABASE_URL", &url), ("RUST_LOG", filter)],
        );
        assert_eq!(out.status.code(), Some(0), "{filter}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    assert!(migrate("warn,cairn=info").contains("migrations applied"));
    assert!(!migrate("warn").contains("migrations applied"));
    let debug = migrate("warn,sqlx=debug");
    assert!(
        debug.contains("DEBUG") && debug.contains("sqlx::query"),
        "{debug}"
    );
    for unread in ["cairn[migrate]=debug", "info,sqlx=loud"] {
        let stderr = migrate(unread);
        assert!(
            stderr.contains("RUST_LOG is not a log filter Cairn reads"),
            "{stderr}"
        );
        assert!(
            stderr.contains("migrations applied"),
            "the default, info: {stderr}"
        );
    }
}

#[test]
fn doctor_names_each_problem_of_a_broken_setup() {
    let out = cairn(
        &["doctor"],
        &[
            ("CAIRN_PROMPT_SLOT", "someday"),
            ("DATABASE_URL", "postgres://cairn:hunter2@127.0.0.1:1/cairn"),
            ("SLACK_API_URL", "http://127.0.0.1:1/api/"),
            ("SLACK_BOT_TOKEN", "xoxb-whatever"),
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    for fix in [
        "FIX  configuration  CAIRN_PROMPT_SLOT 'someday'",
        "FIX  database       cannot open postgres://cairn:…@127.0.0.1:1/cairn",
        "FIX  Slack API      cannot reach http://127.0.0.1:1/api/",
        "things to fix.",
    ] {
        assert!(stdout.contains(fix), "{fix}: {stdout}");
    }
    assert!(!stdout.contains("hunter2"), "no password printed: {stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_the_database_migrations_token_and_scopes() {
    let slack = crate::common::FakeSlack::start().await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let api = slack.url.clone();
    let env = [
        ("DATABASE_URL", url.as_str()),
        ("SLACK_API_URL", api.as_str()),
        ("SLACK_BOT_TOKEN", "xoxb-test-token"),
        ("SLACK_SIGNING_SECRET", "s3cret"),
        ("CAIRN_ADMIN_TOKEN", "t0ken"),
    ];
    let run = |args: &'static [&'static str]| {
        let env = env.map(|(k, v)| (k, v.to_owned()));
        tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            cairn(args, &env)
        })
    };
    let before = run(&["doctor"]).await.unwrap();
    let stdout = String::from_utf8_lossy(&before.stdout).into_owned();
    assert!(stdout.contains("does not exist yet"), "{stdout}");
    assert!(
        !dir.path().join("c.db").exists(),
        "the doctor creates nothing"
    );
    assert!(run(&["migrate"]).await.unwrap().status.success());
    let after = run(&["doctor"]).await.unwrap();
    let stdout = String::from_utf8_lossy(&after.stdout).into_owned();
    for line in [
        "ok   configuration",
        "ok   database",
        "ok   migrations     up to date",
        "ok   Slack API",
        "ok   bot token      valid for workspace",
        "FIX  scopes         the token lacks reactions:write",
        "1 thing to fix.",
    ] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
    assert_eq!(after.status.code(), Some(1));

    // An installed workspace (Add to Slack): its token must open with the configured key.
    let key_a = cairn::secrets::Key::generate();
    let key_b = cairn::secrets::Key::generate();
    let keys = cairn::secrets::Keys::parse(&key_a, None).unwrap();
    let store = cairn::store::connect(&url).await.unwrap();
    let now = chrono::Utc::now();
    store
        .save_installation(&crate::common::installation(
            "T0GLOBEX01",
            &keys.seal("T0GLOBEX01", "xoxb-globex"),
            now,
        ))
        .await
        .unwrap();
    store.close().await;
    for (key, expected) in [
        (None, "FIX  installations  1 workspace installed but CAIRN_ENCRYPTION_KEY is not set"),
        (Some(key_b), "FIX  installations  the tokens of 1 of 1 workspace installed do not open: T0GLOBEX01 (sealed with key"),
        (Some(key_a), "ok   installations  1 workspace installed; every token opens"),
    ] {
        let mut env: Vec<(&'static str, String)> = env.iter().map(|(k, v)| (*k, v.to_string())).collect();
        if let Some(key) = key {
            env.push(("CAIRN_ENCRYPTION_KEY", key));
        }
        let out = tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
            cairn(&["doctor"], &env)
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(expected), "{expected}: {stdout}");
    }
}

#[test]
fn migrate_creates_the_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let out = cairn(
        &["migrate"],
        &[("DATABASE_URL", &format!("sqlite://{}", path.display()))],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(path.exists());
}

#[test]
fn bad_input_exits_1_and_an_unreachable_database_exits_2() {
    let out = cairn(&["migrate"], &[("DATABASE_URL", "mysql://localhost/x")]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cairn(&["migrate", "--addr", "not-an-address"], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("CAIRN_ADDR 'not-an-address'"));
    // Nothing listens on port 1.
    let out = cairn(
        &["migrate"],
        &[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/nothing")],
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn sigterm_stops_serve_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(BIN)
        .arg("serve")
        .env("CAIRN_ADDR", &addr)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("c.db").display()),
        )
        .env("SLACK_SIGNING_SECRET", "s")
        .env_remove("SLACK_BOT_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut up = false;
    for _ in 0..100 {
        if std::net::TcpStream::connect(&addr).is_ok() {
            up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(up, "cairn serve did not start listening");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for _ in 0..100 {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().unwrap();
    panic!("cairn serve did not stop within 5 s of SIGTERM");
}

#[test]
fn people_forget_names_what_to_fix_and_reports_what_it_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let bad = cairn(&["people", "forget", "alice"], &[("DATABASE_URL", &url)]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("alice"),
        "{bad:?}"
    );
    let none = cairn(
        &["people", "forget", "U07ALICE01"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(none.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("no workspace has used Cairn yet"),
        "{none:?}"
    );
    let ok = cairn(
        &["people", "forget", "U07ALICE01", "--team", "T07KUD0S01"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    assert!(String::from_utf8_lossy(&ok.stdout)
        .starts_with("forgot U07ALICE01 in T07KUD0S01: their place in 0 kudos received"));
}

/// `cairn demo` plays a quarter through the real server; `cairn export` then writes the same
/// person's packet as they see it, private notes and reflections included.
#[test]
fn the_demo_writes_a_packet_and_export_reads_the_same_database() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("demo");
    let out = cairn(&["demo", "--out", out_dir.to_str().unwrap()], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Reach: Organisation"), "{stdout}");
    let packet = std::fs::read_to_string(out_dir.join("packet.md")).unwrap();
    assert!(packet.starts_with("# Review packet: Ana Lima"), "{packet}");
    assert!(packet.contains("private items left out"), "{packet}");
    for file in ["packet.csv", "packet.json"] {
        assert!(
            std::fs::metadata(out_dir.join(file)).unwrap().len() > 100,
            "{file}"
        );
    }
    let chart = std::fs::read(out_dir.join("chart.png")).unwrap();
    assert!(chart.starts_with(b"\x89PNG\r\n\x1a\n") && chart.len() > 10_000);
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.join("packet.json")).unwrap()).unwrap();
    assert_eq!(summary["sphere"]["external"], 1, "{summary}");

    let url = format!("sqlite://{}", out_dir.join("demo.db").display());
    let export = |format: &str| {
        cairn(
            &["export", "--user", "U0ANA00003", "--format", format],
            &[("DATABASE_URL", &url)],
        )
    };
    let md = export("md");
    assert!(
        md.status.success(),
        "{}",
        String::from_utf8_lossy(&md.stderr)
    );
    let md = String::from_utf8_lossy(&md.stdout);
    assert!(md.contains("private items included"), "{md}");
    assert!(md.contains("wrote the runbook for card refunds"), "{md}");
    let json: serde_json::Value = serde_json::from_slice(&export("json").stdout).unwrap();
    assert_eq!(json["counts"]["reflections"], 3, "{json}");
    assert_eq!(json["counts"]["evidence"], 3, "{json}");
    // Bad input names what to fix and exits 1.
    let bad = cairn(
        &["export", "--user", "ana", "--format", "md"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--user ana"));
    let bad = cairn(
        &[
            "export",
            "--user",
            "U0ANA00003",
            "--format",
            "md",
            "--from",
            "May",
        ],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("YYYY-MM-DD"));
}

#[test]
fn keys_generate_prints_a_key_that_configuration_accepts() {
    let out = cairn(&["keys", "generate"], &[]);
    assert!(out.status.success(), "{out:?}");
    let key = String::from_utf8(out.stdout).unwrap();
    let keys = cairn::secrets::Keys::parse(key.trim(), None).unwrap();
    assert_eq!(keys.current_id().len(), 8);
    let again = cairn(&["keys", "generate"], &[]);
    assert_ne!(String::from_utf8(again.stdout).unwrap(), key, "random");
}

/// Two workspaces' tokens sealed with key A; rotation to key B re-seals both, after which B
/// alone opens them. With the wrong previous key nothing changes and the command exits 1.
#[test]
fn keys_rotate_reseals_every_token_or_none() {
    use cairn::secrets::{Key, Keys};
    use secrecy::ExposeSecret;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("c.db").display());
    let (a, b, wrong) = (Key::generate(), Key::generate(), Key::generate());
    let with_a = Keys::parse(&a, None).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let tokens = || {
        runtime.block_on(async {
            let store = cairn::store::connect(&url).await.unwrap();
            let all = store.installations().await.unwrap();
            store.close().await;
            all
        })
    };
    runtime.block_on(async {
        let store = cairn::store::connect(&url).await.unwrap();
        let at = chrono::Utc::now();
        for team in ["T1", "T2"] {
            let sealed = with_a.seal(team, &format!("xoxb-token-of-{team}"));
            store
                .save_installation(&crate::common::installation(team, &sealed, at))
                .await
                .unwrap();
        }
        store.close().await;
    });
    let before = tokens();

    let no_key = cairn(&["keys", "rotate"], &[("DATABASE_URL", &url)]);
    assert_eq!(no_key.status.code(), Some(1), "{no_key:?}");
    assert!(String::from_utf8_lossy(&no_key.stderr).contains("CAIRN_ENCRYPTION_KEY is not set"));

    let bad = cairn(
        &["keys", "rotate"],
        &[
            ("DATABASE_URL", &url),
            ("CAIRN_ENCRYPTION_KEY", &b),
            ("CAIRN_ENCRYPTION_KEY_PREVIOUS", &wrong),
        ],
    );
    assert_eq!(bad.status.code(), Some(1), "{bad:?}");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains(&format!("T1: sealed with key {}", with_a.current_id()))
            && stderr.contains("none was re-sealed"),
        "{stderr}"
    );
    assert!(!stderr.contains(&a) && !stderr.contains(&b) && !stderr.contains("xoxb-"));
    assert_eq!(tokens(), before, "nothing changed");

    let ok = cairn(
        &["keys", "rotate"],
        &[
            ("DATABASE_URL", &url),
            ("CAIRN_ENCRYPTION_KEY", &b),
            ("CAIRN_ENCRYPTION_KEY_PREVIOUS", &a),
        ],
    );
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        stdout.starts_with("re-sealed 2 installation token(s)"),
        "{stdout}"
    );
    let only_b = Keys::parse(&b, None).unwrap();
    for i in tokens() {
        let token = only_b.open(&i.team_id, &i.bot_token_sealed).unwrap();
        assert_eq!(
            token.expose_secret(),
            format!("xoxb-token-of-{}", i.team_id)
        );
        assert!(with_a.open(&i.team_id, &i.bot_token_sealed).is_err());
    }
    // Run again, nothing is left to re-seal.
    let again = cairn(
        &["keys", "rotate"],
        &[("DATABASE_URL", &url), ("CAIRN_ENCRYPTION_KEY", &b)],
    );
    assert_eq!(again.status.code(), Some(0), "{again:?}");
    assert!(String::from_utf8_lossy(&again.stdout).starts_with("re-sealed 0"));

    // A key that is not one makes every command exit 1, saying how to make one.
    let not_a_key = cairn(
        &["migrate"],
        &[("DATABASE_URL", &url), ("CAIRN_ENCRYPTION_KEY", "hunter2")],
    );
    assert_eq!(not_a_key.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&not_a_key.stderr);
    assert!(stderr.contains("cairn keys generate"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}
