//! The command line: one file per subcommand, each with its arguments and what it does.
//! Exit codes (contracts.md): 0 success, 1 input the user must fix, 2 the environment failing.

mod demo;
mod doctor;
mod export;
mod framework;
mod jobs;
mod keys;
mod manifest;
mod org;
mod outbox;
mod people;
mod serve;

use crate::config::{Config, ConfigError, Input};
use clap::{Parser, Subcommand};
use std::future::Future;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "cairn",
    version,
    about = "Kudos, evidence and growth summaries for Slack"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, then serve HTTP (Slack endpoints, API, health) and run the outbox worker
    Serve(Input),
    /// Apply migrations and exit
    Migrate(Input),
    /// Inspect and retry messages in the outbox
    #[command(subcommand)]
    Outbox(outbox::Outbox),
    /// Act on what Cairn holds about a person
    #[command(subcommand)]
    People(people::People),
    /// Import the org chart: teams, groups and managers
    #[command(subcommand)]
    Org(org::Org),
    /// Print the Slack app manifest (YAML) to paste at api.slack.com/apps: with the request URLs
    /// under --url, or for Socket Mode
    Manifest(manifest::Manifest),
    /// Check, show and describe career framework files
    #[command(subcommand)]
    Framework(framework::FrameworkCommand),
    /// See Cairn work end to end without a Slack workspace: plays a quarter of a made-up team
    /// through the real server and a stand-in Slack, prints a summary and writes a review packet
    Demo(demo::Demo),
    /// Run background jobs by hand
    #[command(subcommand)]
    Jobs(jobs::Jobs),
    /// Make and rotate the key that seals stored bot tokens (CAIRN_ENCRYPTION_KEY)
    #[command(subcommand)]
    Keys(keys::Keys),
    /// Check the configuration, the database and its migrations, Slack's API, the bot token and
    /// its scopes, and say what to fix (changes nothing)
    Doctor(Input),
    /// Write a person's review packet to stdout, as the person sees it (private items included):
    /// the operator's tool for a person's request for their own data
    Export(export::Export),
}

/// Starts logging: JSON lines or text, and the filter to use when `RUST_LOG` is not set.
pub type StartLogging = fn(json: bool, default: &str);

const USER_ERROR: u8 = 1;
const ENVIRONMENT_ERROR: u8 = 2;

/// Runs the command the line named; returns the process's exit code.
pub fn run(cli: Cli, log: StartLogging) -> ExitCode {
    match cli.command {
        Command::Serve(settings) => with_config(settings, log, serve::serve),
        Command::Migrate(settings) => with_config(settings, log, serve::migrate),
        Command::Outbox(command) => {
            let settings = command.settings().clone();
            with_config(settings, log, |config| outbox::run(config, command))
        }
        Command::People(command) => {
            let settings = command.settings().clone();
            with_config(settings, log, |config| people::run(config, command))
        }
        Command::Org(command) => {
            let settings = command.settings().clone();
            with_config(settings, log, |config| org::run(config, command))
        }
        Command::Jobs(command) => {
            let settings = command.settings().clone();
            with_config(settings, log, |config| jobs::run(config, command))
        }
        Command::Keys(keys::Keys::Generate) => keys::generate(),
        Command::Keys(keys::Keys::Rotate { settings }) => with_config(*settings, log, keys::rotate),
        Command::Export(command) => {
            let settings = command.settings.clone();
            with_config(settings, log, |config| export::run(config, command))
        }
        Command::Framework(command) => framework::run(&command),
        Command::Manifest(command) => manifest::run(&command),
        Command::Doctor(settings) => doctor::command(settings),
        Command::Demo(command) => {
            log(false, "warn");
            demo::command(&command)
        }
    }
}

/// Resolves the configuration (exit 1 when it is wrong), starts logging, and runs `work` to
/// its end on a runtime sized to the machine.
fn with_config<F, Fut>(settings: Input, log: StartLogging, work: F) -> ExitCode
where
    F: FnOnce(Config) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let config = match settings.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cairn: {e}");
            return ExitCode::from(USER_ERROR);
        }
    };
    log(config.server.log_json, "info");
    let Some(runtime) = runtime() else {
        return ExitCode::from(ENVIRONMENT_ERROR);
    };
    match runtime.block_on(work(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cairn: {e:#}");
            ExitCode::from(if user_fault(&e) {
                USER_ERROR
            } else {
                ENVIRONMENT_ERROR
            })
        }
    }
}

/// Whether an error is the user's to fix (bad input or configuration) rather than the
/// environment failing.
fn user_fault(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|c| c.is::<ConfigError>() || c.is::<crate::domain::framework::FrameworkError>())
        || matches!(
            e.downcast_ref::<crate::store::StoreError>(),
            Some(crate::store::StoreError::Invalid(_))
        )
}

/// The async runtime, with a worker thread for every core but one (at least one): the
/// database's work runs outside it, on SQLite's threads or in PostgreSQL's processes, and on a
/// busy machine a worker per core only contends with them. On 2 cores one worker gave 13% more
/// kudos/s on SQLite, and the same on PostgreSQL for less CPU and memory (`benches/README.md`).
/// `TOKIO_WORKER_THREADS` sets another number.
fn runtime() -> Option<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        builder.worker_threads(async_workers(cores));
    }
    match builder.enable_all().build() {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("cairn: cannot start the async runtime: {e}");
            None
        }
    }
}

fn async_workers(cores: usize) -> usize {
    cores.saturating_sub(1).max(1)
}

/// Input the user must fix, with what to write instead.
fn invalid(message: String) -> anyhow::Error {
    ConfigError::Invalid(message).into()
}

/// The named workspace, or the only one Cairn serves.
async fn which_team(
    workspaces: &crate::services::workspaces::Workspaces,
    team: Option<String>,
) -> anyhow::Result<String> {
    use crate::services::workspaces::Which;
    match workspaces.which(team).await {
        Ok(Some(team)) => Ok(team),
        Ok(None) => Err(invalid(
            "no workspace has used Cairn yet: name it with --team T…".into(),
        )),
        Err(Which::Several(_)) => Err(invalid(
            "several workspaces use Cairn: say which with --team T…".into(),
        )),
        Err(Which::Store(e)) => Err(e.into()),
    }
}

/// Runs `work` with the services, then lets the store's pools go.
async fn with_services<T, F, Fut>(config: &Config, work: F) -> anyhow::Result<T>
where
    F: FnOnce(crate::services::Services) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let services =
        crate::app::services(config, std::sync::Arc::new(crate::clock::SystemClock)).await?;
    let store = services.store.clone();
    let result = work(services).await;
    store.close().await;
    result
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_core_is_left_to_the_database_but_there_is_always_a_worker() {
        let workers: Vec<usize> = [0, 1, 2, 4, 16].map(super::async_workers).to_vec();
        assert_eq!(workers, [1, 1, 1, 3, 15]);
    }
}
