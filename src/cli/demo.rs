//! `cairn demo`: Cairn end to end without a Slack workspace. It starts the real server on SQLite
//! with a generated signing secret and a small built-in stand-in for Slack's Web API, plays a
//! quarter of a made-up team through signed slash commands (as Slack would send them), then
//! prints one person's summary and writes their review packet and chart to a folder.

use crate::clock::{ManualClock, SharedClock};
use crate::config::Input;
use crate::domain::growth::{Access, Viewer};
use crate::domain::period::Period;
use crate::services::summaries::{self, Ask, What};
use crate::store::{NewEvidence, OrgPerson, Source, Store, Visibility};
use anyhow::Context;
use axum::extract::{Path as UrlPath, State};
use axum::routing::post;
use axum::{Json, Router};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const TEAM: &str = "T0DEMO0001";
const PARTNER_TEAM: &str = "T0PARTNER1";
const CHANNEL: &str = "C0WINS0001";

/// (id, name, team, group, manager) of the made-up organisation.
const PEOPLE: &[(&str, &str, &str, &str, Option<&str>)] = &[
    ("U0DIR00001", "Dana Director", "leadership", "product", None),
    (
        "U0MIA00002",
        "Mia Manager",
        "payments",
        "product",
        Some("U0DIR00001"),
    ),
    (
        "U0ANA00003",
        "Ana Lima",
        "payments",
        "product",
        Some("U0MIA00002"),
    ),
    (
        "U0BEN00004",
        "Ben Okafor",
        "payments",
        "product",
        Some("U0MIA00002"),
    ),
    (
        "U0CAT00005",
        "Cat Novak",
        "ledger",
        "product",
        Some("U0MIA00002"),
    ),
    (
        "U0DEV00006",
        "Dev Rao",
        "search",
        "discovery",
        Some("U0DIR00001"),
    ),
    (
        "U0EMI00007",
        "Emi Sato",
        "search",
        "discovery",
        Some("U0DEV00006"),
    ),
];
/// Each person's track and level in the framework (matrix-3x3): Ana is a senior engineer.
const LEVELS: &[(&str, &str, &str)] = &[
    ("U0DIR00001", "manager", "senior_manager"),
    ("U0MIA00002", "manager", "manager"),
    ("U0ANA00003", "ic", "senior"),
    ("U0BEN00004", "ic", "senior"),
    ("U0CAT00005", "ic", "staff"),
    ("U0DEV00006", "manager", "manager"),
    ("U0EMI00007", "ic", "senior"),
];
/// A partner's engineer in a shared (Slack Connect) channel: kudos from them are `external`.
const PARTNER: (&str, &str) = ("U0PAT00008", "Pat from Acme Bank");
const SUBJECT: &str = "U0ANA00003";

/// Kudos from the three quarters before, so the packet shows growth by quarter: (which quarter,
/// day in it, who, text). Ana's reach grows from her team to other groups.
const EARLIER: &[(usize, u64, &str, &str)] = &[
    (
        0,
        12,
        "U0BEN00004",
        "@ana #technical paired on the card-refund retries",
    ),
    (
        0,
        30,
        "U0MIA00002",
        "@ana #values welcomed the new joiners to payments",
    ),
    (
        1,
        10,
        "U0BEN00004",
        "@ana #technical kept the payout batch green through the migration",
    ),
    (
        1,
        25,
        "U0CAT00005",
        "@ana #technical helped ledger read the settlement files",
    ),
    (
        2,
        8,
        "U0CAT00005",
        "@ana #leadership #mentoring showed me how payments reconciles",
    ),
    (
        2,
        20,
        "U0DEV00006",
        "@ana #technical fixed the search indexer's payment events",
    ),
];

/// What happens in the quarter: (day, who, command, text). `@name` stands for a mention.
const SCRIPT: &[(i64, &str, &str, &str)] = &[
    (2, "U0BEN00004", "/kudos", "@ana #technical found the root cause of the double charge and fixed it the same day"),
    (5, "U0ANA00003", "/growth", "log #technical wrote the runbook for card refunds"),
    (9, "U0CAT00005", "/kudos", "@ana #leadership #mentoring walked me through the settlement code until I could change it alone"),
    (14, "U0ANA00003", "/kudos", "@ben #values covered my on-call shift at no notice"),
    (20, "U0DEV00006", "/kudos", "@ana #values helped search ship the payments filter: two days of her own time"),
    (27, "U0ANA00003", "/growth", "log #leadership #mentoring paired with @emi on her first payments change"),
    (33, "U0PAT00008", "/kudos", "@ana #technical answered every question about the refunds API during our integration"),
    (41, "U0EMI00007", "/kudos", "@ana #leadership #mentoring patient review of my first payments change"),
    (48, "U0MIA00002", "/kudos", "@ana @ben #values ran a calm incident review for the outage"),
    (55, "U0ANA00003", "/growth", "log #values proposed the blameless review template the group now uses"),
    (63, "U0DIR00001", "/kudos", "@ana #leadership #unblocking untangled the ledger and search dependency that held up three teams"),
    (70, "U0BEN00004", "/kudos", "@ana #technical #review caught a rounding bug in review before it shipped"),
    (78, "U0EMI00007", "/kudos", "@ana #values #unblocking got the search team access to the payments sandbox"),
    (84, "U0CAT00005", "/kudos", "@ana @ben #technical the new reconciliation job saves us an hour a day"),
];

/// Reflections people wrote in answer to their weekly prompt: (day, text).
const REFLECTIONS: &[(i64, &str)] = &[
    (12, "This week I noticed I explain the settlement code better with a diagram. I want to do that for the whole team."),
    (46, "The outage review went well because we agreed on the timeline first. Worth making the default."),
    (76, "I am spending more time unblocking other teams than writing code. It feels right, but I want my manager's view."),
];

fn name_of(user: &str) -> &'static str {
    PEOPLE
        .iter()
        .find(|p| p.0 == user)
        .map(|p| p.1)
        .unwrap_or(PARTNER.1)
}

/// `@ana` → `<@U0ANA00003|ana>`, as Slack sends mentions.
fn with_mentions(text: &str) -> String {
    text.split(' ')
        .map(|word| match word.strip_prefix('@') {
            Some(handle) => PEOPLE
                .iter()
                .find(|p| p.1.to_lowercase().starts_with(handle))
                .map(|p| format!("<@{}|{handle}>", p.0))
                .unwrap_or_else(|| word.to_owned()),
            None => word.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the stand-in for Slack was asked to post.
#[derive(Default)]
struct FakeSlack {
    posted: AtomicU64,
}

async fn fake_slack(
    State(slack): State<Arc<FakeSlack>>,
    UrlPath(method): UrlPath<String>,
    body: axum::body::Bytes,
) -> Json<Value> {
    let form: HashMap<String, String> = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let arg = |key: &str| {
        form.get(key)
            .cloned()
            .or_else(|| json[key].as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    Json(match method.as_str() {
        "users.info" => {
            let user = arg("user");
            let team = if user == PARTNER.0 {
                PARTNER_TEAM
            } else {
                TEAM
            };
            json!({"ok": true, "user": {"id": user, "team_id": team, "name": name_of(&user).to_lowercase(),
                   "real_name": name_of(&user), "tz": "Europe/Lisbon", "is_bot": false, "deleted": false}})
        }
        "conversations.open" => {
            json!({"ok": true, "channel": {"id": format!("D{}", &arg("users")[1..])}})
        }
        "chat.postMessage" => {
            let n = slack.posted.fetch_add(1, Ordering::Relaxed) + 1;
            json!({"ok": true, "channel": json["channel"], "ts": format!("1767600000.{n:06}")})
        }
        "conversations.history" => json!({"ok": true, "messages": [], "has_more": false}),
        _ => json!({"ok": true}),
    })
}

/// Signed like Slack signs, at the demo clock's time.
async fn slash(
    http: &reqwest::Client,
    base: &str,
    secret: &str,
    at: DateTime<Utc>,
    (user, command, text): (&str, &str, &str),
) -> anyhow::Result<Value> {
    let body = serde_urlencoded::to_string([
        ("token", "demo"),
        ("team_id", TEAM),
        ("team_domain", "northwind"),
        ("channel_id", CHANNEL),
        ("channel_name", "wins"),
        ("user_id", user),
        ("user_name", &name_of(user).to_lowercase()),
        ("command", command),
        ("text", &with_mentions(text)),
        ("api_app_id", "A0DEMO0001"),
        ("response_url", "https://hooks.slack.com/commands/demo"),
        ("trigger_id", "0.0.demo"),
    ])?;
    let timestamp = at.timestamp().to_string();
    let signature = crate::slack::verify::sign(secret.as_bytes(), &timestamp, body.as_bytes());
    let answer = http
        .post(format!("{base}/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("x-slack-request-timestamp", timestamp)
        .header("x-slack-signature", signature)
        .body(body)
        .send()
        .await?
        .error_for_status()?
        .json::<Value>()
        .await?;
    Ok(answer)
}

#[derive(clap::Args)]
pub struct Demo {
    /// Folder for the demo's database and the packet it writes
    #[arg(long, default_value = "cairn-demo")]
    out: PathBuf,
}

/// The demo needs nothing set up: it makes its own database, secret and Slack.
pub fn command(demo: &Demo) -> std::process::ExitCode {
    let Some(runtime) = super::runtime() else {
        return std::process::ExitCode::from(super::ENVIRONMENT_ERROR);
    };
    match runtime.block_on(run(&demo.out)) {
        Ok(folder) => {
            println!(
                "\nAna's review packet is in {}/: packet.md, packet.csv, packet.json and chart.png.",
                folder.display()
            );
            println!("Next: read docs/install.md to connect Cairn to your Slack workspace.");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cairn demo: {e:#}");
            std::process::ExitCode::from(super::ENVIRONMENT_ERROR)
        }
    }
}

/// Plays the quarter and writes the packet into `out`, which it creates (and empties of an
/// earlier demo's files).
pub async fn run(out: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let db = out.join("demo.db");
    for stale in ["demo.db", "demo.db-wal", "demo.db-shm"] {
        let _ = std::fs::remove_file(out.join(stale));
    }
    let slack = Arc::new(FakeSlack::default());
    let fake = Router::new()
        .route("/api/{method}", post(fake_slack))
        .with_state(slack.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let fake_addr = listener.local_addr()?;
    let fake_task = tokio::spawn(async move { axum::serve(listener, fake).await });

    let secret: String = {
        use rand::Rng;
        let bytes: [u8; 16] = rand::thread_rng().gen();
        hex::encode(bytes)
    };
    let settings = Input {
        addr: Some("127.0.0.1:0".into()),
        database_url: Some(format!("sqlite://{}", db.display())),
        slack_signing_secret: Some(secret.clone()),
        slack_bot_token: Some("xoxb-demo".into()),
        slack_api_url: Some(format!("http://{fake_addr}/api/")),
        outbox_channel_per_minute: Some(0),
        outbox_workspace_per_minute: Some(0),
        ..Input::default()
    };
    let config = settings.resolve()?;
    let framework = crate::domain::framework::Framework::load(&config.kudos.framework)?;
    let today = Utc::now();
    let start = today - Duration::days(88);
    let clock = ManualClock::new(start);
    let shared: SharedClock = Arc::new(clock.clone());
    let app = crate::app::start(config, shared).await?;
    let base = format!("http://{}", app.addr);
    let store = app.store.clone();

    let org: Vec<OrgPerson> = PEOPLE
        .iter()
        .map(|(id, name, team, group, manager)| OrgPerson {
            user_id: (*id).into(),
            name: Some((*name).into()),
            email: Some(format!(
                "{}@northwind.example",
                name.split(' ').next().unwrap_or(id).to_lowercase()
            )),
            team: Some((*team).into()),
            group: Some((*group).into()),
            manager: manager.map(Into::into),
            track: LEVELS.iter().find(|l| l.0 == *id).map(|l| l.1.into()),
            level: LEVELS.iter().find(|l| l.0 == *id).map(|l| l.2.into()),
        })
        .collect();
    store.import_org(TEAM, &org, start).await?;
    let teams: std::collections::HashSet<&str> = PEOPLE.iter().map(|p| p.2).collect();
    println!(
        "Northwind's org chart: {} people in {} teams",
        org.len(),
        teams.len()
    );

    let http = reqwest::Client::new();
    let quarters = crate::domain::trajectory::quarters(Period::default_ending(today.date_naive()));
    for (quarter, day, user, text) in EARLIER {
        let at = quarters[*quarter].0.start() + Duration::days(*day as i64) + Duration::hours(10);
        if at >= start {
            continue;
        }
        clock.set(at);
        let answer = slash(&http, &base, &secret, at, (user, "/kudos", text)).await?;
        if answer["response_type"] != "in_channel" {
            anyhow::bail!("the demo's /kudos was refused: {}", answer["text"]);
        }
        println!(
            "{}  {:<10} /kudos {text}",
            at.format("%-d %b"),
            name_of(user).split(' ').next().unwrap_or(user)
        );
    }
    let mut reflections = REFLECTIONS.iter().peekable();
    for (day, user, cmd, text) in SCRIPT {
        while let Some((rday, rtext)) = reflections.next_if(|r| r.0 <= *day) {
            clock.set(start + Duration::days(*rday) + Duration::hours(15));
            reflect(store.as_ref(), &framework, clock_now(&clock), rtext).await?;
            println!("day {rday:>2}  Ana reflects: {rtext}");
        }
        clock.set(start + Duration::days(*day) + Duration::hours(10));
        let answer = slash(&http, &base, &secret, clock_now(&clock), (user, cmd, text)).await?;
        if answer["response_type"] == "in_channel" || cmd == &"/growth" {
            println!(
                "day {day:>2}  {:<10} {cmd} {text}",
                name_of(user).split(' ').next().unwrap_or(user)
            );
        } else {
            anyhow::bail!("the demo's {cmd} was refused: {}", answer["text"]);
        }
    }
    clock.set(today);

    let period = Period::default_ending(today.date_naive());
    let ask = Ask {
        team: TEAM,
        subject: SUBJECT,
        period,
        viewer: Viewer::Person {
            user: "U0MIA00002".into(),
            admin: false,
        },
        what: What::Packet,
    };
    let report = summaries::one(store.as_ref(), &framework, ask, today).await?;
    debug_assert_eq!(report.access, Access::Manager);
    // Give the outbox a moment to deliver the DMs to the stand-in Slack.
    for _ in 0..50 {
        if store.outbox_counts().await?.pending == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let md = crate::report::packet::markdown(&framework, &report);
    std::fs::write(out.join("packet.md"), &md)?;
    std::fs::write(
        out.join("packet.csv"),
        crate::report::packet::csv(&framework, &report),
    )?;
    std::fs::write(
        out.join("packet.json"),
        serde_json::to_string_pretty(&crate::report::json::summary(&framework, &report))?,
    )?;
    let chart = crate::report::chart::render(&crate::report::chart_data(&framework, &report))?;
    std::fs::write(out.join("chart.png"), chart)?;
    let glance: String = md.split("\n## ").take(2).collect::<Vec<_>>().join("\n## ");
    println!(
        "\n{} messages went to Slack (DMs to receivers, confirmations).\n",
        slack.posted.load(Ordering::Relaxed)
    );
    println!(
        "Ana's summary, as her manager Mia sees it (private notes and reflections left out):\n"
    );
    println!("{glance}");
    print_team(store.as_ref(), &framework, period, today).await?;
    app.shutdown();
    app.wait().await?;
    fake_task.abort();
    Ok(out.to_path_buf())
}

/// Mia's `/growth team`, as plain text: each report's level, reach, the lens in a line, and
/// whether anyone has recognised their work lately.
async fn print_team(
    store: &dyn Store,
    framework: &crate::domain::framework::Framework,
    period: Period,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let ask = crate::services::team::Ask {
        team: TEAM,
        manager: "U0MIA00002",
        period,
        viewer: Viewer::Person {
            user: "U0MIA00002".into(),
            admin: false,
        },
        on_web: false,
    };
    let view = crate::services::team::view(store, framework, ask, now).await?;
    println!("\nMia's team, as `/growth team` shows it to her:\n");
    for r in &view.reports {
        let s = &r.growth;
        let level = match &r.lens.level {
            Some(l) if !r.lens.assumed => l.name.clone(),
            _ => "no level set".into(),
        };
        let reach = s
            .reach
            .map_or_else(|| "not shown yet".to_owned(), |l| l.label(framework));
        println!(
            "- {} · {level} · reach {reach} · {}",
            r.name(&s.subject),
            s.multiplier.sentence(framework)
        );
        println!("  {}", crate::domain::lens::one_line(&r.lens));
        println!(
            "  reach by quarter: {}{}",
            crate::domain::trajectory::reach_line(framework, &r.trajectory),
            if r.quiet {
                " · quiet: nobody has recognised their work in six weeks"
            } else {
                ""
            }
        );
    }
    Ok(())
}

fn clock_now(clock: &ManualClock) -> DateTime<Utc> {
    crate::clock::Clock::now(clock)
}

/// A reflection Ana wrote in answer to her weekly prompt (private, like every reflection).
async fn reflect(
    store: &dyn Store,
    framework: &crate::domain::framework::Framework,
    at: DateTime<Utc>,
    text: &str,
) -> anyhow::Result<()> {
    let ana = crate::domain::ids::UserId::parse(SUBJECT)?;
    store
        .record_evidence(NewEvidence {
            team_id: crate::domain::ids::TeamId::parse(TEAM)?,
            subject: ana.clone(),
            author: ana,
            source: Source::Reflection,
            text: text.into(),
            permalink: None,
            source_key: None,
            visibility: Visibility::Private,
            competencies: Vec::new(),
            multiplier_kinds: Vec::new(),
            sphere: None,
            people: Vec::new(),
            framework_id: framework.id().into(),
            framework_version: framework.version().into(),
            occurred_at: at,
            created_at: at,
            deliveries: Vec::new(),
        })
        .await?;
    Ok(())
}
