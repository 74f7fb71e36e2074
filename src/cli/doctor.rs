//! `cairn doctor`: checks what a running Cairn depends on (its configuration, the database and
//! its migrations, Slack's API, the bot token and its scopes) and says what to fix. Nothing is
//! changed: the database is opened read-only and not migrated.

use crate::config::Input;
use reqwest::header::HeaderMap;
use std::time::Duration;

const SLACK_TIMEOUT: Duration = Duration::from_secs(10);
const DEFAULT_DATABASE_URL: &str = "sqlite://cairn.db";
const DEFAULT_SLACK_API_URL: &str = "https://slack.com/api/";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok(String),
    /// Works, but worth knowing.
    Note(String),
    /// What to fix.
    Problem(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub outcome: Outcome,
}

impl Check {
    fn new(name: &'static str, outcome: Outcome) -> Self {
        Check { name, outcome }
    }
}

/// Every check, in order. A broken configuration does not stop the others: they use the
/// settings as given.
pub async fn run(settings: Input) -> Vec<Check> {
    let mut checks = Vec::new();
    // What the other checks use if the configuration cannot be read as a whole.
    let mut database_url = settings
        .database_url
        .clone()
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    let mut api_url = settings
        .slack_api_url
        .clone()
        .unwrap_or_else(|| DEFAULT_SLACK_API_URL.to_owned());
    let mut token = settings.slack_bot_token.clone().filter(|t| !t.is_empty());
    let mut keys = None;
    match settings.clone().resolve() {
        Ok(config) => {
            database_url = config.store.database_url.clone();
            keys = config.store.keys.clone();
            api_url = config.slack.api_url.clone();
            token = config
                .slack
                .bot_token
                .as_ref()
                .map(|t| secrecy::ExposeSecret::expose_secret(t).to_owned());
            checks.push(Check::new(
                "configuration",
                Outcome::Ok(format!("read; framework {}", config.kudos.framework)),
            ));
            if config.slack.signing_secret.is_none() {
                checks.push(Check::new(
                    "signing secret",
                    Outcome::Problem("SLACK_SIGNING_SECRET is not set: copy it from the app's Basic Information page (cairn serve needs it)".into()),
                ));
            }
            if config.api.admin_token.is_none() {
                checks.push(Check::new(
                    "JSON API",
                    Outcome::Note(
                        "off: set CAIRN_ADMIN_TOKEN to a long random string to turn it on".into(),
                    ),
                ));
            }
        }
        Err(e) => checks.push(Check::new("configuration", Outcome::Problem(e.to_string()))),
    }
    checks.extend(database(&database_url, keys.as_ref()).await);
    checks.extend(slack(&api_url, token.as_deref()).await);
    checks
}

async fn database(url: &str, keys: Option<&crate::secrets::Keys>) -> Vec<Check> {
    match crate::store::inspect(url).await {
        Err(e) => vec![Check::new(
            "database",
            Outcome::Problem(format!(
                "cannot open {}: {e}. Check DATABASE_URL, that the server runs and that this host may reach it",
                redact(url)
            )),
        )],
        Ok(found) if !found.exists => vec![Check::new(
            "database",
            Outcome::Note(format!(
                "{} does not exist yet: cairn serve (or cairn migrate) creates it",
                redact(url)
            )),
        )],
        Ok(found) => {
            let migrations = match found.applied {
                Some(v) if v == found.latest => Outcome::Ok(format!("up to date ({v})")),
                Some(v) if v > found.latest => Outcome::Problem(format!(
                    "the database is at migration {v}, newer than this build knows ({}): run the newer Cairn, or restore a backup from before the upgrade",
                    found.latest
                )),
                Some(v) => Outcome::Note(format!(
                    "at {v} of {}: cairn serve applies the rest at start (or run cairn migrate)",
                    found.latest
                )),
                None => Outcome::Note(
                    "none applied yet: cairn serve applies them at start (or run cairn migrate)"
                        .into(),
                ),
            };
            let mut checks = vec![
                Check::new("database", Outcome::Ok(format!("{} answers", redact(url)))),
                Check::new("migrations", migrations),
            ];
            if !found.installations.is_empty() {
                checks.push(Check::new(
                    "installations",
                    installations(&found.installations, keys),
                ));
            }
            checks
        }
    }
}

/// Whether every installed workspace's sealed token opens with the configured keys.
fn installations(sealed: &[(String, String)], keys: Option<&crate::secrets::Keys>) -> Outcome {
    let Some(keys) = keys else {
        return Outcome::Problem(format!(
            "{} installed but CAIRN_ENCRYPTION_KEY is not set: set the key their tokens were sealed with",
            installed(sealed)
        ));
    };
    let failed: Vec<String> = sealed
        .iter()
        .filter_map(|(team, token)| {
            keys.open(team, token)
                .err()
                .map(|e| format!("{team} ({e})"))
        })
        .collect();
    if failed.is_empty() {
        Outcome::Ok(format!(
            "{} installed; every token opens with the configured key",
            installed(sealed)
        ))
    } else {
        Outcome::Problem(format!(
            "the tokens of {} of {} installed do not open: {}",
            failed.len(),
            installed(sealed),
            failed.join("; ")
        ))
    }
}

/// "2 workspaces", or "1 workspace and 1 organisation" with org-wide (Enterprise Grid) installs,
/// which are keyed by the organisation's id (E…).
fn installed(sealed: &[(String, String)]) -> String {
    let orgs = sealed
        .iter()
        .filter(|(key, _)| key.starts_with('E'))
        .count();
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let teams = plural(sealed.len() - orgs, "workspace");
    match orgs {
        0 => teams,
        n => format!("{teams} and {}", plural(n, "organisation")),
    }
}

/// A URL without its password.
fn redact(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((user, host)) if user.contains(':') => {
                let user = user.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}:…@{host}")
            }
            Some(_) => url.to_owned(),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

async fn slack(api_url: &str, token: Option<&str>) -> Vec<Check> {
    let base = if api_url.ends_with('/') {
        api_url.to_owned()
    } else {
        format!("{api_url}/")
    };
    let http = match reqwest::Client::builder().timeout(SLACK_TIMEOUT).build() {
        Ok(h) => h,
        Err(e) => return vec![Check::new("Slack API", Outcome::Problem(e.to_string()))],
    };
    let reachable = http.post(format!("{base}api.test")).send().await;
    if let Err(e) = reachable {
        return vec![Check::new(
            "Slack API",
            Outcome::Problem(format!(
                "cannot reach {base} ({}): check SLACK_API_URL, DNS, the firewall and any HTTPS proxy",
                without_url(&e)
            )),
        )];
    }
    let mut checks = vec![Check::new(
        "Slack API",
        Outcome::Ok(format!("{base} answers")),
    )];
    let Some(token) = token else {
        checks.push(Check::new(
            "bot token",
            Outcome::Note("SLACK_BOT_TOKEN is not set: kudos are recorded, but DMs wait in the outbox until it is".into()),
        ));
        return checks;
    };
    let answer = http
        .post(format!("{base}auth.test"))
        .bearer_auth(token)
        .send()
        .await;
    let (headers, body) = match answer {
        Ok(r) => {
            let headers = r.headers().clone();
            (
                headers,
                r.json::<serde_json::Value>().await.unwrap_or_default(),
            )
        }
        Err(e) => {
            checks.push(Check::new(
                "bot token",
                Outcome::Problem(format!("auth.test failed: {}", without_url(&e))),
            ));
            return checks;
        }
    };
    if body["ok"] != true {
        let error = body["error"].as_str().unwrap_or("no answer");
        checks.push(Check::new(
            "bot token",
            Outcome::Problem(format!(
                "Slack refuses SLACK_BOT_TOKEN ({error}): copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions again, and reinstall the app if it was removed"
            )),
        ));
        return checks;
    }
    checks.push(Check::new(
        "bot token",
        Outcome::Ok(format!(
            "valid for workspace {} as {}",
            body["team"].as_str().unwrap_or("?"),
            body["user"].as_str().unwrap_or("?")
        )),
    ));
    checks.push(Check::new("scopes", scopes(&headers)));
    checks
}

/// The bot scopes the shipped manifest asks for, against what the token was granted.
fn scopes(headers: &HeaderMap) -> Outcome {
    let Some(granted) = headers.get("x-oauth-scopes").and_then(|v| v.to_str().ok()) else {
        return Outcome::Note("Slack did not list the token's scopes; compare them with manifests/slack-app.yaml by hand".into());
    };
    let granted: Vec<&str> = granted.split(',').map(str::trim).collect();
    let missing: Vec<String> = needed_scopes()
        .into_iter()
        .filter(|s| !granted.contains(&s.as_str()))
        .collect();
    if missing.is_empty() {
        Outcome::Ok("every scope Cairn needs is granted".into())
    } else {
        Outcome::Problem(format!(
            "the token lacks {}: add them under OAuth & Permissions → Bot Token Scopes (or update the app from `cairn manifest`) and reinstall the app",
            missing.join(", ")
        ))
    }
}

fn needed_scopes() -> Vec<String> {
    crate::slack::manifest::bot_scopes()
}

/// reqwest's error without the URL it repeats (already named).
fn without_url(e: &reqwest::Error) -> String {
    let mut e_text = e.to_string();
    if let Some(url) = e.url() {
        e_text = e_text.replace(&format!(" for url ({url})"), "");
    }
    // The deepest cause says most ("Connection refused", "dns error").
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if !std::ptr::addr_eq(cause, e as &dyn std::error::Error) {
        e_text = format!("{e_text}: {cause}");
    }
    if e.is_timeout() {
        "no answer within 10 s".into()
    } else if e.is_connect() {
        format!("connection failed: {e_text}")
    } else {
        e_text
    }
}

/// `cairn doctor`: exit 0 when nothing needs fixing, 1 otherwise.
pub fn command(settings: Input) -> std::process::ExitCode {
    let Some(runtime) = super::runtime() else {
        return std::process::ExitCode::from(super::ENVIRONMENT_ERROR);
    };
    let checks = runtime.block_on(run(settings));
    let (text, problems) = report(&checks);
    print!("{text}");
    if problems {
        std::process::ExitCode::from(super::USER_ERROR)
    } else {
        std::process::ExitCode::SUCCESS
    }
}

/// The report as printed, and whether anything needs fixing.
pub fn report(checks: &[Check]) -> (String, bool) {
    let mut text = String::new();
    let mut problems = 0;
    for c in checks {
        let (mark, what) = match &c.outcome {
            Outcome::Ok(t) => ("ok  ", t),
            Outcome::Note(t) => ("note", t),
            Outcome::Problem(t) => {
                problems += 1;
                ("FIX ", t)
            }
        };
        text.push_str(&format!("{mark} {:<14} {what}\n", c.name));
    }
    text.push_str(&match problems {
        0 => "Nothing to fix.\n".to_owned(),
        1 => "1 thing to fix.\n".to_owned(),
        n => format!("{n} things to fix.\n"),
    });
    (text, problems > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_wide_installs_are_counted_as_organisations() {
        let sealed = |key: &str| (key.to_owned(), "v1.x.y.z".to_owned());
        assert_eq!(installed(&[sealed("T1")]), "1 workspace");
        assert_eq!(
            installed(&[sealed("T1"), sealed("T2"), sealed("E1")]),
            "2 workspaces and 1 organisation"
        );
    }

    #[test]
    fn passwords_are_not_printed() {
        assert_eq!(
            redact("postgres://cairn:hunter2@db:5432/cairn"),
            "postgres://cairn:…@db:5432/cairn"
        );
        assert_eq!(redact("sqlite://cairn.db"), "sqlite://cairn.db");
        assert_eq!(
            redact("postgres://postgres@db/cairn"),
            "postgres://postgres@db/cairn"
        );
    }

    #[test]
    fn missing_scopes_are_named() {
        let mut headers = HeaderMap::new();
        headers.insert("x-oauth-scopes", "commands,chat:write".parse().unwrap());
        let Outcome::Problem(text) = scopes(&headers) else {
            panic!("a problem expected");
        };
        assert!(
            text.contains("im:write") && !text.contains("commands,"),
            "{text}"
        );
        let all = needed_scopes().join(",");
        headers.insert("x-oauth-scopes", all.parse().unwrap());
        assert!(matches!(scopes(&headers), Outcome::Ok(_)));
    }
}
