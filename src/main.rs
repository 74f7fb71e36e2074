//! The `cairn` binary: parse the CLI, set up logging, call into the library.

use cairn::clock::SystemClock;
use cairn::config::{Config, Settings};
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(
    name = "cairn",
    version,
    about = "Kudos, evidence and growth summaries for Slack"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, then serve HTTP (Slack endpoints, API, health) and run the outbox worker
    Serve(Settings),
    /// Apply migrations and exit
    Migrate(Settings),
    /// Inspect and retry messages in the outbox
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Act on what Cairn holds about a person
    #[command(subcommand)]
    People(PeopleCommand),
    /// Import the org chart: teams, groups and managers
    #[command(subcommand)]
    Org(OrgCommand),
    /// Print the Slack app manifest (YAML) to paste at api.slack.com/apps: with the request URLs
    /// under --url, or for Socket Mode
    Manifest {
        /// Cairn's public base URL, e.g. https://cairn.example.com (https; http only for localhost)
        #[arg(long)]
        url: Option<String>,
        /// Socket Mode: no request URLs (Slack connects over a WebSocket; needs SLACK_APP_TOKEN)
        #[arg(long)]
        socket_mode: bool,
    },
    /// Check, show and describe career framework files
    #[command(subcommand)]
    Framework(FrameworkCommand),
    /// See Cairn work end to end without a Slack workspace: plays a quarter of a made-up team
    /// through the real server and a stand-in Slack, prints a summary and writes a review packet
    Demo {
        /// Folder for the demo's database and the packet it writes
        #[arg(long, default_value = "cairn-demo")]
        out: std::path::PathBuf,
    },
    /// Run background jobs by hand
    #[command(subcommand)]
    Jobs(JobsCommand),
    /// Make and rotate the key that seals stored bot tokens (CAIRN_ENCRYPTION_KEY)
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Check the configuration, the database and its migrations, Slack's API, the bot token and
    /// its scopes, and say what to fix (changes nothing)
    Doctor(Settings),
    /// Write a person's review packet to stdout, as the person sees it (private items included):
    /// the operator's tool for a person's request for their own data
    Export {
        /// Their Slack user id
        #[arg(long)]
        user: String,
        /// First day (YYYY-MM-DD); default: 90 days before --to
        #[arg(long)]
        from: Option<String>,
        /// Last day, included (YYYY-MM-DD); default: today
        #[arg(long)]
        to: Option<String>,
        /// `png` is the chart of the spread across sphere levels (redirect it to a file)
        #[arg(long, value_parser = ["md", "csv", "json", "png"])]
        format: String,
        /// Their workspace (defaults to the only one)
        #[arg(long)]
        team: Option<String>,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// One scheduler pass as if the time were NOW, then deliver what is due, then exit
    RunOnce {
        /// The time to act as (RFC 3339, e.g. 2026-11-27T14:00:00Z); default: now
        #[arg(long)]
        now: Option<String>,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new random key (32 bytes, base64) for CAIRN_ENCRYPTION_KEY; needs no database
    Generate,
    /// Re-seal every stored bot token with CAIRN_ENCRYPTION_KEY (the new key)
    ///
    /// Tokens open with CAIRN_ENCRYPTION_KEY or with CAIRN_ENCRYPTION_KEY_PREVIOUS (the old keys,
    /// comma-separated). All or nothing: exits 1 and changes nothing if some token opens with
    /// none of them
    Rotate {
        #[command(flatten)]
        settings: Box<Settings>,
    },
}

#[derive(Subcommand)]
enum PeopleCommand {
    /// Delete everything about a person (what `/growth forget-me` does), e.g. for an erasure request
    Forget {
        /// Their Slack user id
        user: String,
        /// Their workspace (defaults to the only one)
        #[arg(long)]
        team: Option<String>,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Place the members of Slack user groups in teams, as CAIRN_TEAM_USERGROUPS maps them
    /// (`handle=team,…`); needs SLACK_BOT_TOKEN with `usergroups:read`. Run it from cron to keep
    /// teams in step with Slack
    Sync {
        /// The workspace (defaults to SLACK_BOT_TOKEN's; required with Add to Slack installs)
        #[arg(long)]
        team: Option<String>,
        #[command(flatten)]
        settings: Settings,
    },
    /// Import an org chart (CSV `user_id,name,email,team,group,manager_id`, or YAML/JSON); reports
    /// rows added, changed and rejected, keeps the valid ones, and exits 1 if any were rejected
    Import {
        file: std::path::PathBuf,
        /// The workspace (defaults to the only one)
        #[arg(long)]
        team: Option<String>,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand)]
enum FrameworkCommand {
    /// Validate a framework file: exit 0 if valid, 1 with every problem located if not
    Check {
        file: String,
        /// The version this file replaces (a built-in id or a file): nothing evidence refers
        /// to may disappear. A file with a built-in's id is compared with that built-in.
        #[arg(long)]
        previous: Option<String>,
    },
    /// Print a framework's competencies, multiplier kinds and tags: the active one (CAIRN_FRAMEWORK)
    /// or the named built-in or file
    Show {
        framework: Option<String>,
        #[arg(long, env = "CAIRN_FRAMEWORK", hide = true)]
        active: Option<String>,
    },
    /// Print the JSON Schema of framework files (for editors)
    Schema,
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// List messages with a status (dead letters by default), oldest first
    List {
        #[arg(long, default_value = "dead", value_parser = ["pending", "sent", "dead"])]
        status: String,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[command(flatten)]
        settings: Settings,
    },
    /// Put dead messages back in the queue: the given ids, or all with --all-dead
    Retry {
        #[arg(required_unless_present = "all_dead", conflicts_with = "all_dead")]
        ids: Vec<i64>,
        #[arg(long)]
        all_dead: bool,
        #[command(flatten)]
        settings: Settings,
    },
}

/// Exit codes (contracts.md): 1 for input the user must fix, 2 for the environment failing.
const USER_ERROR: u8 = 1;
const ENVIRONMENT_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Framework(command) = &cli.command {
        return framework(command);
    }
    if let Command::Demo { out } = &cli.command {
        return demo(out);
    }
    if let Command::Doctor(settings) = &cli.command {
        return doctor(settings.clone());
    }
    if let Command::Keys(KeysCommand::Generate) = &cli.command {
        println!("{}", cairn::secrets::Key::generate());
        return ExitCode::SUCCESS;
    }
    if let Command::Manifest { url, socket_mode } = &cli.command {
        return manifest(url.as_deref(), *socket_mode);
    }
    let settings = match &cli.command {
        Command::Framework(_)
        | Command::Demo { .. }
        | Command::Manifest { .. }
        | Command::Doctor(_)
        | Command::Keys(KeysCommand::Generate) => unreachable!("handled above"),
        Command::Keys(KeysCommand::Rotate { settings }) => settings.as_ref().clone(),
        Command::Serve(s) | Command::Migrate(s) => s.clone(),
        Command::Outbox(
            OutboxCommand::List { settings, .. } | OutboxCommand::Retry { settings, .. },
        ) => settings.clone(),
        Command::People(PeopleCommand::Forget { settings, .. }) => settings.clone(),
        Command::Export { settings, .. } => settings.clone(),
        Command::Jobs(JobsCommand::RunOnce { settings, .. }) => settings.clone(),
        Command::Org(OrgCommand::Import { settings, .. } | OrgCommand::Sync { settings, .. }) => {
            settings.clone()
        }
    };
    let config = match settings.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cairn: {e}");
            return ExitCode::from(USER_ERROR);
        }
    };
    init_tracing(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cairn: cannot start the async runtime: {e}");
            return ExitCode::from(ENVIRONMENT_ERROR);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(_) => serve(config).await,
            Command::Migrate(_) => cairn::app::migrate(&config).await,
            Command::Outbox(command) => outbox(&config, command).await,
            Command::People(PeopleCommand::Forget { user, team, .. }) => {
                forget(&config, &user, team).await
            }
            Command::Framework(_)
            | Command::Demo { .. }
            | Command::Manifest { .. }
            | Command::Doctor(_)
            | Command::Keys(KeysCommand::Generate) => Ok(()),
            Command::Keys(KeysCommand::Rotate { .. }) => rotate_keys(&config).await,
            Command::Org(OrgCommand::Import { file, team, .. }) => {
                import_org(&config, &file, team).await
            }
            Command::Org(OrgCommand::Sync { team, .. }) => sync_org(&config, team).await,
            Command::Jobs(JobsCommand::RunOnce { now, .. }) => run_once(&config, now).await,
            Command::Export {
                user,
                from,
                to,
                format,
                team,
                ..
            } => export(&config, &user, (from, to), &format, team).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cairn: {e:#}");
            let user_fault = e.chain().any(|c| {
                c.is::<cairn::config::ConfigError>()
                    || c.is::<cairn::domain::framework::FrameworkError>()
            }) || matches!(
                e.downcast_ref::<cairn::store::StoreError>(),
                Some(cairn::store::StoreError::Invalid(_))
            );
            ExitCode::from(if user_fault {
                USER_ERROR
            } else {
                ENVIRONMENT_ERROR
            })
        }
    }
}

/// Framework commands need no database and no Slack: they read files and print.
fn framework(command: &FrameworkCommand) -> ExitCode {
    use cairn::domain::framework::{self, Framework};
    let result = match command {
        FrameworkCommand::Check { file, previous } => Framework::from_file(file).and_then(|f| {
            let previous = match previous {
                Some(p) => Some(Framework::load(p)?),
                None => framework::builtin_ids()
                    .into_iter()
                    .find(|id| *id == f.id())
                    .map(Framework::load)
                    .transpose()?,
            };
            let problems = previous.map(|p| f.problems_against(&p)).unwrap_or_default();
            if problems.is_empty() {
                println!("{file}: valid ({})", f.counts());
                Ok(())
            } else {
                Err(framework::FrameworkError::Invalid {
                    source_name: file.clone(),
                    problems,
                })
            }
        }),
        FrameworkCommand::Show { framework, active } => {
            let spec = framework
                .as_deref()
                .or(active.as_deref())
                .unwrap_or(framework::DEFAULT_FRAMEWORK);
            Framework::load(spec).map(|f| print!("{}", f.outline()))
        }
        FrameworkCommand::Schema => {
            print!("{}", framework::json_schema());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(USER_ERROR)
        }
    }
}

/// The manifest needs no database and no Slack: it is the shipped one with the URLs filled in.
fn manifest(url: Option<&str>, socket_mode: bool) -> ExitCode {
    match cairn::slack::manifest::render(url, socket_mode) {
        Ok(yaml) => {
            print!("{yaml}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cairn: {e}");
            ExitCode::from(USER_ERROR)
        }
    }
}

/// The demo needs nothing set up: it makes its own database, secret and Slack.
/// `cairn doctor`: exit 0 when nothing needs fixing, 1 otherwise.
fn doctor(settings: Settings) -> ExitCode {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cairn: cannot start the async runtime: {e}");
            return ExitCode::from(ENVIRONMENT_ERROR);
        }
    };
    let checks = runtime.block_on(cairn::doctor::run(settings));
    let (text, problems) = cairn::doctor::report(&checks);
    print!("{text}");
    if problems {
        ExitCode::from(USER_ERROR)
    } else {
        ExitCode::SUCCESS
    }
}

fn demo(out: &std::path::Path) -> ExitCode {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cairn: cannot start the async runtime: {e}");
            return ExitCode::from(ENVIRONMENT_ERROR);
        }
    };
    match runtime.block_on(cairn::demo::run(out)) {
        Ok(folder) => {
            println!("\nAna's review packet is in {}/: packet.md, packet.csv, packet.json and chart.png.", folder.display());
            println!("Next: read the README's \"Install\" section to connect Cairn to your Slack workspace.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cairn demo: {e:#}");
            ExitCode::from(ENVIRONMENT_ERROR)
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = cairn::app::start(config, Arc::new(SystemClock)).await?;
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    app.shutdown();
    app.wait().await
}

async fn run_once(config: &Config, now: Option<String>) -> anyhow::Result<()> {
    let now = match now {
        Some(text) => chrono::DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|_| {
                invalid(format!(
                    "--now '{text}' is not an RFC 3339 time like 2026-11-27T14:00:00Z"
                ))
            })?,
        None => chrono::Utc::now(),
    };
    let report = cairn::app::run_jobs_once(config, now).await?;
    println!("{report}");
    Ok(())
}

async fn outbox(config: &Config, command: OutboxCommand) -> anyhow::Result<()> {
    let store = cairn::store::connect(&config.database_url).await?;
    let result = match command {
        OutboxCommand::List { status, limit, .. } => {
            let rows = store.outbox_list(&status, limit).await?;
            println!(
                "{:<8} {:<12} {:<12} {:<8} {:<32} last error",
                "id", "team", "channel", "attempts", "key"
            );
            for r in &rows {
                let error = r.last_error.as_deref().unwrap_or("-");
                println!(
                    "{:<8} {:<12} {:<12} {:<8} {:<32} {error}",
                    r.id, r.team_id, r.channel, r.attempts, r.dedupe_key
                );
            }
            eprintln!("{} {status} message(s)", rows.len());
            Ok(())
        }
        OutboxCommand::Retry { ids, all_dead, .. } => {
            let ids = (!all_dead).then_some(ids.as_slice());
            let requeued = store.outbox_requeue(ids, chrono::Utc::now()).await?;
            println!("{requeued} message(s) back in the queue; a running `cairn serve` sends them within a second");
            Ok(())
        }
    };
    store.close().await;
    result
}

fn invalid(message: String) -> anyhow::Error {
    cairn::config::ConfigError::Invalid(message).into()
}

/// The named workspace, or the only one Cairn has seen.
async fn which_team(
    store: &dyn cairn::store::Store,
    team: Option<String>,
) -> anyhow::Result<String> {
    if let Some(t) = team {
        return Ok(t);
    }
    match store.workspaces().await?.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(invalid(
            "no workspace has used Cairn yet: name it with --team T…".into(),
        )),
        _ => Err(invalid(
            "several workspaces use Cairn: say which with --team T…".into(),
        )),
    }
}

async fn export(
    config: &Config,
    user: &str,
    (from, to): (Option<String>, Option<String>),
    format: &str,
    team: Option<String>,
) -> anyhow::Result<()> {
    use cairn::domain::period::Period;
    use cairn::summaries::{Ask, What};
    cairn::domain::ids::UserId::parse(user).map_err(|e| invalid(format!("--user {user}: {e}")))?;
    let date = |name: &str, value: Option<String>| {
        value
            .map(|v| {
                chrono::NaiveDate::parse_from_str(&v, "%Y-%m-%d")
                    .map_err(|_| invalid(format!("--{name} {v}: write the date as YYYY-MM-DD")))
            })
            .transpose()
    };
    let today = chrono::Utc::now().date_naive();
    let period =
        Period::between(date("from", from)?, date("to", to)?, today).map_err(|e| invalid(e.0))?;
    let framework = cairn::domain::framework::Framework::load(&config.framework)?;
    let store = cairn::store::connect(&config.database_url).await?;
    let result = async {
        let team = which_team(store.as_ref(), team).await?;
        let ask = Ask {
            team: &team,
            subject: user,
            period,
            viewer: cairn::domain::growth::Viewer::Operator,
            what: What::Packet,
        };
        let report =
            cairn::summaries::report(store.as_ref(), &framework, ask, chrono::Utc::now()).await?;
        let out = match format {
            "md" => cairn::report::packet::markdown(&framework, &report).into_bytes(),
            "csv" => cairn::report::packet::csv(&framework, &report).into_bytes(),
            "png" => cairn::report::chart::render(&cairn::report::chart_data(&framework, &report))?,
            _ => {
                (serde_json::to_string_pretty(&cairn::report::json::summary(&framework, &report))?
                    + "\n")
                    .into_bytes()
            }
        };
        use std::io::Write;
        std::io::stdout().write_all(&out)?;
        Ok(())
    }
    .await;
    store.close().await;
    result
}

async fn import_org(
    config: &Config,
    file: &std::path::Path,
    team: Option<String>,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| invalid(format!("cannot read {}: {e}", file.display())))?;
    let format = cairn::domain::org::OrgFormat::detect(file.to_str(), &text);
    let store = cairn::store::connect(&config.database_url).await?;
    let result = async {
        let team = which_team(store.as_ref(), team).await?;
        let report =
            cairn::orgchart::import(store.as_ref(), &team, &text, format, chrono::Utc::now())
                .await
                .map_err(|e| match e {
                    cairn::orgchart::ImportError::File(e) => {
                        invalid(format!("{}: {e}", file.display()))
                    }
                    cairn::orgchart::ImportError::Store(e) => e.into(),
                })?;
        println!("{}: {}", file.display(), report.to_text());
        if report.rejected.is_empty() {
            Ok(())
        } else {
            Err(invalid(format!(
                "{} row(s) rejected: fix them and import the file again (the valid rows are saved)",
                report.rejected.len()
            )))
        }
    }
    .await;
    store.close().await;
    result
}

async fn sync_org(config: &Config, team: Option<String>) -> anyhow::Result<()> {
    if config.team_usergroups.is_empty() {
        return Err(invalid(
            "CAIRN_TEAM_USERGROUPS is not set: map user-group handles to teams, e.g. payments-devs=payments,search=search".into(),
        ));
    }
    let slack = cairn::slack::client::SlackClient::new(
        &config.slack_api_url,
        std::time::Duration::from_secs(10),
    );
    let team = match (team, &config.bot_token) {
        (Some(t), _) => t,
        (None, Some(token)) => slack.auth_test(token).await?.team_id,
        (None, None) => {
            return Err(invalid(
                "name the workspace with --team T…, or set SLACK_BOT_TOKEN: syncing asks Slack who is in each user group".into(),
            ))
        }
    };
    let store = cairn::store::connect(&config.database_url).await?;
    // The workspace's own token: its installation's (Add to Slack), else SLACK_BOT_TOKEN.
    let tokens = cairn::slack::tokens::BotTokens::new(
        config.bot_token.clone(),
        store.clone(),
        config.keys.clone(),
        slack.clone(),
    );
    let Some(token) = tokens.for_team(&team).await else {
        store.close().await;
        return Err(invalid(format!(
            "Cairn has no bot token for {team}: install Cairn there (Add to Slack) or set SLACK_BOT_TOKEN"
        )));
    };
    let token = &token;
    let result = cairn::orgchart::sync_usergroups(
        store.as_ref(),
        &slack,
        token,
        &team,
        &config.team_usergroups,
        chrono::Utc::now(),
    )
    .await;
    store.close().await;
    let report = result?;
    println!("user groups → teams: {}", report.to_text());
    if report.rejected.is_empty() {
        Ok(())
    } else {
        Err(invalid(
            "fix CAIRN_TEAM_USERGROUPS: some handles are not user groups in Slack".into(),
        ))
    }
}

async fn forget(config: &Config, user: &str, team: Option<String>) -> anyhow::Result<()> {
    cairn::domain::ids::UserId::parse(user).map_err(|e| invalid(format!("{user}: {e}")))?;
    let store = cairn::store::connect(&config.database_url).await?;
    let result = async {
        let team = which_team(store.as_ref(), team).await?;
        let report = store.forget_person(&team, user).await?;
        println!(
            "forgot {user} in {team}: their place in {} kudos received, {} pieces of evidence, {} messages; {} kudos they gave now show as from a former teammate",
            report.kudos_received, report.evidence, report.messages, report.kudos_given
        );
        Ok(())
    }
    .await;
    store.close().await;
    result
}

/// `cairn keys rotate`: every stored token re-sealed with the current key, or none.
async fn rotate_keys(config: &Config) -> anyhow::Result<()> {
    use cairn::secrets::OpenError;
    use std::sync::atomic::{AtomicU64, Ordering};
    let Some(keys) = &config.keys else {
        return Err(invalid(
            "CAIRN_ENCRYPTION_KEY is not set: set it to the new key (make one with `cairn keys generate`) \
             and CAIRN_ENCRYPTION_KEY_PREVIOUS to the old one"
                .into(),
        ));
    };
    let store = cairn::store::connect(&config.database_url).await?;
    let already = AtomicU64::new(0);
    let reseal = |i: &cairn::store::Installation| {
        match keys.reseal(&i.team_id, &i.bot_token_sealed) {
        Ok(None) => {
            already.fetch_add(1, Ordering::Relaxed);
            Ok(None)
        }
        Ok(Some(sealed)) => Ok(Some(sealed)),
        Err(OpenError::UnknownKey { key_id }) => Err(format!(
            "sealed with key {key_id}, which is neither CAIRN_ENCRYPTION_KEY nor in CAIRN_ENCRYPTION_KEY_PREVIOUS: \
             add the key that sealed it to CAIRN_ENCRYPTION_KEY_PREVIOUS"
        )),
        Err(e) => Err(e.to_string()),
    }
    };
    let result = store
        .reseal_installations(&reseal, chrono::Utc::now())
        .await;
    store.close().await;
    let resealed = result?;
    println!(
        "re-sealed {resealed} installation token(s) with key {}; {} already were",
        keys.current_id(),
        already.load(Ordering::Relaxed)
    );
    println!("once every replica runs with this key, CAIRN_ENCRYPTION_KEY_PREVIOUS can be unset");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}

fn init_tracing(config: &Config) {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
}
