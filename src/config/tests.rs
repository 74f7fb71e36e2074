use super::*;
use clap::Parser;
use serde_json::json;
use std::io::Write;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    settings: Input,
}

#[test]
fn secrets_come_from_the_files_their_file_variables_name() {
    let mut token = tempfile::NamedTempFile::new().unwrap();
    writeln!(token, "xoxb-from-a-file").unwrap();
    let empty = tempfile::NamedTempFile::new().unwrap();
    let path = token.path().to_str().unwrap().to_owned();
    let secrets =
        Input::from_secret_files(|name| (name == "SLACK_BOT_TOKEN_FILE").then(|| path.clone()))
            .unwrap();
    assert_eq!(secrets.slack_bot_token.as_deref(), Some("xoxb-from-a-file"));
    assert!(secrets.slack_signing_secret.is_none());
    // A value given directly wins over the file.
    let direct = Input {
        slack_bot_token: Some("xoxb-direct".into()),
        ..Input::default()
    };
    assert_eq!(
        direct.or(secrets).slack_bot_token.as_deref(),
        Some("xoxb-direct")
    );
    let missing = Input::from_secret_files(|name| {
        (name == "CAIRN_ADMIN_TOKEN_FILE").then(|| "/no/such/file".to_owned())
    })
    .err()
    .unwrap()
    .to_string();
    assert!(
        missing.contains("CAIRN_ADMIN_TOKEN_FILE") && missing.contains("/no/such/file"),
        "{missing}"
    );
    let empty_path = empty.path().to_str().unwrap().to_owned();
    let blank = Input::from_secret_files(|name| {
        (name == "SLACK_SIGNING_SECRET_FILE").then(|| empty_path.clone())
    })
    .err()
    .unwrap()
    .to_string();
    assert!(blank.contains("is empty"), "{blank}");
}

#[test]
fn flag_beats_file_and_file_beats_default() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "addr = \"0.0.0.0:9000\"\nDATABASE_URL = \"sqlite://from-file.db\"\nframework = \"from-file\"").unwrap();
    let cli = Cli::parse_from([
        "cairn",
        "--config",
        file.path().to_str().unwrap(),
        "--framework",
        "from-flag",
    ]);
    // Environment variables are the layer between: clap has merged them into `settings` already.
    let config = cli.settings.resolve().unwrap();
    assert_eq!(config.kudos.framework, "from-flag");
    assert_eq!(config.store.database_url, "sqlite://from-file.db");
    assert_eq!(config.server.addr.to_string(), "0.0.0.0:9000");
    assert!(config.kudos.require_competency_tag);
    assert_eq!(config.slack.api_url, DEFAULT_SLACK_API_URL);
}

#[test]
fn env_layer_sits_between_flag_and_file() {
    let env = Input {
        database_url: Some("sqlite://env.db".into()),
        ..Default::default()
    };
    let file = Input {
        database_url: Some("sqlite://file.db".into()),
        addr: Some("127.0.0.1:1".into()),
        ..Default::default()
    };
    let config = env.or(file).into_config().unwrap();
    assert_eq!(config.store.database_url, "sqlite://env.db");
    assert_eq!(config.server.addr.to_string(), "127.0.0.1:1");
}

#[test]
fn defaults_apply_when_nothing_is_set() {
    let config = Input::default().into_config().unwrap();
    assert_eq!(config.server.addr.to_string(), DEFAULT_ADDR);
    assert_eq!(config.store.database_url, DEFAULT_DATABASE_URL);
    assert_eq!(config.kudos.framework, "matrix-3x3");
    assert!(config.api.admin_token.is_none());
}

#[test]
fn serve_names_the_missing_secret() {
    let err = Input::default()
        .into_config()
        .unwrap()
        .check_serve()
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("SLACK_SIGNING_SECRET is not set"), "{err}");
}

#[test]
fn bad_values_say_what_to_fix() {
    let bad = Input {
        addr: Some("nope".into()),
        ..Default::default()
    };
    assert!(bad
        .into_config()
        .unwrap_err()
        .to_string()
        .contains("CAIRN_ADDR 'nope'"));
    let bad = Input {
        admins: Some("U1,bob".into()),
        ..Default::default()
    };
    assert!(bad
        .into_config()
        .unwrap_err()
        .to_string()
        .contains("CAIRN_ADMINS"));
}

#[test]
fn encryption_keys_are_checked_when_set() {
    let key = crate::secrets::Key::generate();
    let old = crate::secrets::Key::generate();
    let config = Input {
        encryption_key: Some(key.clone()),
        encryption_key_previous: Some(format!("{old}, ")),
        ..Default::default()
    }
    .into_config()
    .unwrap();
    let keys = config.store.keys.as_ref().unwrap();
    let sealed = crate::secrets::Keys::parse(&old, None)
        .unwrap()
        .seal("T1", "xoxb-1");
    assert!(keys.open("T1", &sealed).is_ok(), "a previous key opens");
    let shown = format!("{config:?}");
    assert!(
        shown.contains("encryption_key: \"set\"") && !shown.contains(&key) && !shown.contains(&old),
        "{shown}"
    );
    let err = |settings: Input| settings.into_config().unwrap_err().to_string();
    let bad = err(Input {
        encryption_key: Some("hunter2".into()),
        ..Default::default()
    });
    assert!(
        bad.starts_with("CAIRN_ENCRYPTION_KEY is ") && bad.contains("openssl rand -base64 32"),
        "{bad}"
    );
    let alone = err(Input {
        encryption_key_previous: Some(old.clone()),
        ..Default::default()
    });
    assert!(
        alone.starts_with("CAIRN_ENCRYPTION_KEY_PREVIOUS is set but CAIRN_ENCRYPTION_KEY is not"),
        "{alone}"
    );
    // Both come from files too.
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "{old}").unwrap();
    let path = file.path().to_str().unwrap().to_owned();
    let secrets = Input::from_secret_files(|name| {
        (name == "CAIRN_ENCRYPTION_KEY_PREVIOUS_FILE").then(|| path.clone())
    })
    .unwrap();
    assert_eq!(
        secrets.encryption_key_previous.as_deref(),
        Some(old.as_str())
    );
}

#[test]
fn the_team_digest_goes_to_one_channel_or_to_each_workspaces_own() {
    let digest = |channel: &str, client_id: Option<&str>| {
        Input {
            team_digest_channel: Some(channel.into()),
            slack_client_id: client_id.map(Into::into),
            slack_client_secret: client_id.map(|_| "secret".into()),
            ..Default::default()
        }
        .into_config()
        .map(|c| c.digests.team.unwrap())
        .map_err(|e| e.to_string())
    };
    // One channel, `#` tolerated, for every workspace of a Cairn nobody else installs.
    let one = digest(" #C0DIGEST01 ", None).unwrap();
    assert_eq!(one.channels, DigestChannels::One("C0DIGEST01".into()));
    assert_eq!(one.channel_for("T07KUD0S01"), Some("C0DIGEST01"));
    // Each workspace's own channel; a workspace not listed gets none.
    for installs in [None, Some("123.456")] {
        let pairs = digest(
            " T07KUD0S01:C0ACME0001 , T0GLOBEX01 : #C0GLOBEX01,",
            installs,
        )
        .unwrap();
        assert_eq!(pairs.channel_for("T07KUD0S01"), Some("C0ACME0001"));
        assert_eq!(pairs.channel_for("T0GLOBEX01"), Some("C0GLOBEX01"));
        assert_eq!(pairs.channel_for("T0INITECH1"), None);
    }
    // Refusals name the entry and what to write.
    let refused = |channel: &str, client_id: Option<&str>, says: &[&str]| {
        let e = digest(channel, client_id).unwrap_err();
        assert!(e.starts_with("CAIRN_TEAM_DIGEST_CHANNEL: "), "{e}");
        for s in says {
            assert!(e.contains(s), "{channel}: '{s}' missing from: {e}");
        }
    };
    refused(
        "C0DIGEST01",
        Some("123.456"),
        &[
            "SLACK_CLIENT_ID is set",
            "T0123ABCD:C0123ABCD,T0456EFGH:C0456EFGH",
        ],
    );
    refused(
        "general",
        None,
        &["'general' is not a channel id", "C0123ABCD"],
    );
    refused(
        "T07KUD0S01:C0ACME0001,C0GLOBEX01",
        None,
        &["'C0GLOBEX01'", "TEAM:CHANNEL", "T0123ABCD:C0123ABCD"],
    );
    refused(
        "E07ORG0001:C0ACME0001",
        None,
        &["'E07ORG0001' is an Enterprise Grid org id", "(T…)"],
    );
    refused(
        "acme:C0ACME0001",
        None,
        &[
            "in 'acme:C0ACME0001'",
            "'acme' is not a workspace id",
            "T0123ABCD",
        ],
    );
    refused(
        "T07KUD0S01:general",
        None,
        &[
            "in 'T07KUD0S01:general'",
            "'general' is not a channel id",
            "C0123ABCD",
        ],
    );
    refused(
        "T07KUD0S01:C0ACME0001,T07KUD0S01:C0OTHER001",
        None,
        &["T07KUD0S01 is listed twice"],
    );
    refused(" , ", None, &["names no workspace"]);
}

#[test]
fn unknown_file_keys_are_refused() {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    writeln!(file, "adr = \"x\"").unwrap();
    let Err(err) = Input::from_file(file.path()) else {
        panic!("a misspelt key must be refused")
    };
    let err = err.to_string();
    assert!(err.contains("unknown field `adr`"), "{err}");
}

#[test]
fn debug_output_hides_secrets() {
    let s = Input {
        slack_signing_secret: Some("s3cr3t".into()),
        database_url: Some("postgres://u:pw@h/db".into()),
        ..Default::default()
    };
    let shown = format!("{:?}", s.into_config().unwrap());
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("pw"),
        "{shown}"
    );
}

/// Every field of an `Input`, each set to some value of its type.
fn every_field_set() -> Input {
    let mut set = serde_json::Map::new();
    for name in fields(&Input::default()).keys() {
        let value = [json!("x"), json!(1), json!(true)]
            .into_iter()
            .find(|v| {
                let one = serde_json::Map::from_iter([(name.clone(), v.clone())]);
                serde_json::from_value::<Input>(serde_json::Value::Object(one)).is_ok()
            })
            .unwrap_or_else(|| panic!("{name} takes no string, number or bool"));
        set.insert(name.clone(), value);
    }
    serde_json::from_value(serde_json::Value::Object(set)).unwrap()
}

#[test]
fn layering_keeps_every_setting_of_either_layer() {
    let all = every_field_set();
    assert!(fields(&all).values().all(|v| !v.is_null()));
    assert_eq!(fields(&all.clone().or(Input::default())), fields(&all));
    assert_eq!(fields(&Input::default().or(all.clone())), fields(&all));
    let higher = Input {
        addr: Some("0.0.0.0:1".into()),
        ..Input::default()
    };
    let layered = higher.or(all.clone());
    assert_eq!(layered.addr.as_deref(), Some("0.0.0.0:1"));
    assert_eq!(layered.database_url, all.database_url);
}

#[test]
fn every_secret_file_variable_fills_its_setting() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret");
    std::fs::write(&path, "s3cret\n").unwrap();
    for name in SECRETS {
        let wanted = format!("{name}_FILE");
        let input =
            Input::from_secret_files(|var| (var == wanted).then(|| path.display().to_string()))
                .unwrap();
        let set: Vec<_> = fields(&input)
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .collect();
        assert_eq!(set.len(), 1, "{name}: {set:?}");
        assert_eq!(set[0].1, json!("s3cret"), "{name}");
    }
}
