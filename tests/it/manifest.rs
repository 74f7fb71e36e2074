//! The shipped Slack app manifest validates against Slack's own schema (version 1, copied with its
//! licence into `tests/fixtures/slack-manifest/`) and declares what Cairn's handlers need; so do
//! both variants `cairn manifest` prints (HTTP with the operator's URL, and Socket Mode).

use serde_json::Value;

fn manifest() -> Value {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/manifests/slack-app.yaml"
    ))
    .unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(include_str!(
        "../fixtures/slack-manifest/manifest.schema.1.0.0.json"
    ))
    .unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn the_manifest_validates_against_slacks_schema() {
    let m = manifest();
    assert_eq!(m["_metadata"]["major_version"], 1);
    let errors: Vec<String> = validator()
        .iter_errors(&m)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // The schema is not a rubber stamp: a broken copy fails.
    let mut broken = m.clone();
    broken["features"]["shortcuts"][0]["type"] = "everywhere".into();
    assert!(!validator().is_valid(&broken));
}

#[test]
fn the_manifest_declares_every_surface_and_no_more_scopes_than_needed() {
    let m = manifest();
    let urls = |path: &str| {
        m.pointer(path)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    assert!(urls("/settings/interactivity/request_url").ends_with("/slack/interactivity"));
    assert!(urls("/settings/event_subscriptions/request_url").ends_with("/slack/events"));
    // Replies to the weekly prompt arrive as `message.im`; the ✅ that says they were kept
    // needs `reactions:write`.
    let events = m["settings"]["event_subscriptions"]["bot_events"].to_string();
    assert!(events.contains("\"message.im\""), "{events}");
    let shortcuts: Vec<&str> = m["features"]["shortcuts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["callback_id"].as_str().unwrap())
        .collect();
    assert_eq!(shortcuts, ["give_kudos", "save_evidence"]);
    let commands: Vec<&str> = m["features"]["slash_commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["command"].as_str().unwrap())
        .collect();
    assert_eq!(commands, ["/kudos", "/growth"]);
    let scopes: Vec<&str> = m["oauth_config"]["scopes"]["bot"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    for forbidden in ["channels:history", "groups:history", "mpim:history"] {
        assert!(!scopes.contains(&forbidden), "{forbidden}");
    }
    assert_eq!(
        scopes,
        [
            "chat:write",
            "commands",
            "files:write",
            "im:history",
            "im:write",
            "reactions:read",
            "reactions:write",
            "users:read",
            "usergroups:read"
        ]
    );
}

/// What `cairn manifest` builds, as JSON for the schema.
fn built(url: Option<&str>, socket_mode: bool) -> Value {
    serde_json::to_value(cairn::slack::manifest::manifest(url, socket_mode).unwrap()).unwrap()
}

fn schema_errors(m: &Value) -> Vec<String> {
    validator()
        .iter_errors(m)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Every string in the manifest, with where it is.
fn strings(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::String(s) => out.push((at.to_owned(), s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(item, &format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                strings(item, &format!("{at}/{k}"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn the_http_manifest_has_the_given_url_everywhere_and_validates() {
    let m = built(Some("https://growth.acme.io/"), false);
    assert_eq!(m["_metadata"]["major_version"], 1);
    assert!(schema_errors(&m).is_empty(), "{:#?}", schema_errors(&m));
    let mut all = Vec::new();
    strings(&m, "", &mut all);
    let urls: Vec<_> = all.iter().filter(|(_, s)| s.contains("://")).collect();
    // Both commands' URL, the events and interactivity URLs, and the two OAuth redirects.
    assert_eq!(urls.len(), 6, "{urls:#?}");
    assert_eq!(
        m["oauth_config"]["redirect_urls"][0],
        "https://growth.acme.io/slack/oauth/callback"
    );
    assert_eq!(
        m["oauth_config"]["redirect_urls"][1],
        "https://growth.acme.io/login/callback"
    );
    for (at, s) in &all {
        assert!(!s.contains("cairn.example.com"), "{at}: {s}");
    }
    for (at, s) in &urls {
        assert!(
            s.starts_with("https://growth.acme.io/slack/")
                || s == "https://growth.acme.io/login/callback",
            "{at}: {s}"
        );
    }
    assert_eq!(
        m["settings"]["event_subscriptions"]["request_url"],
        "https://growth.acme.io/slack/events"
    );
    assert_eq!(
        m["settings"]["interactivity"]["request_url"],
        "https://growth.acme.io/slack/interactivity"
    );
    for c in m["features"]["slash_commands"].as_array().unwrap() {
        assert_eq!(c["url"], "https://growth.acme.io/slack/commands");
    }
    assert_eq!(m["settings"]["socket_mode_enabled"], false);
    // Everything else is the shipped file, untouched.
    let mut expected = manifest();
    for c in expected["features"]["slash_commands"]
        .as_array_mut()
        .unwrap()
    {
        c["url"] = "https://growth.acme.io/slack/commands".into();
    }
    expected["settings"]["event_subscriptions"]["request_url"] =
        "https://growth.acme.io/slack/events".into();
    expected["settings"]["interactivity"]["request_url"] =
        "https://growth.acme.io/slack/interactivity".into();
    expected["oauth_config"]["redirect_urls"][0] =
        "https://growth.acme.io/slack/oauth/callback".into();
    expected["oauth_config"]["redirect_urls"][1] = "https://growth.acme.io/login/callback".into();
    assert_eq!(m, expected);
}

#[test]
fn the_socket_mode_manifest_has_no_request_urls_and_validates() {
    for url in [None, Some("https://growth.acme.io")] {
        let m = built(url, true);
        assert_eq!(m["_metadata"]["major_version"], 1);
        assert!(schema_errors(&m).is_empty(), "{:#?}", schema_errors(&m));
        assert_eq!(m["settings"]["socket_mode_enabled"], true);
        let mut all = Vec::new();
        strings(&m, "", &mut all);
        for (at, s) in &all {
            assert!(!s.contains("://"), "{at}: {s}");
        }
        assert!(m
            .pointer("/settings/event_subscriptions/request_url")
            .is_none());
        assert!(m.pointer("/settings/interactivity/request_url").is_none());
        assert_eq!(m["settings"]["interactivity"]["is_enabled"], true);
        for c in m["features"]["slash_commands"].as_array().unwrap() {
            assert!(c.get("url").is_none(), "{c}");
        }
        // A Socket Mode Cairn is installed by hand: no OAuth redirect.
        assert!(m.pointer("/oauth_config/redirect_urls").is_none());
        // Same events, scopes and shortcuts as over HTTP.
        let http = built(Some("https://growth.acme.io"), false);
        for path in [
            "/settings/event_subscriptions/bot_events",
            "/oauth_config/scopes",
            "/features/shortcuts",
        ] {
            assert_eq!(m.pointer(path), http.pointer(path), "{path}");
        }
    }
}

#[test]
fn bad_urls_are_refused_with_what_to_write() {
    use cairn::slack::manifest::{manifest, ManifestError};
    for (given, why) in [
        ("cairn.acme.io", "no scheme"),
        ("http://cairn.acme.io", "Slack only calls https://"),
        ("https://cairn.acme.io/slack/events", "base URL only"),
        ("https://cairn.acme.io?x=1", "query"),
        ("not a url at all", "no scheme"),
    ] {
        let e = manifest(Some(given), false).unwrap_err();
        assert!(matches!(e, ManifestError::BadUrl { .. }), "{given}: {e:?}");
        let message = e.to_string();
        assert!(
            message.contains(given) && message.contains(why),
            "{message}"
        );
        assert!(
            message.contains("--url https://cairn.example.com"),
            "{message}"
        );
        // A bad URL is refused in Socket Mode too, rather than ignored.
        assert!(manifest(Some(given), true).is_err());
    }
    let e = manifest(None, false).unwrap_err().to_string();
    assert!(e.contains("--url") && e.contains("--socket-mode"), "{e}");
}

mod cli {
    use std::process::Command;

    fn cairn(args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_cairn"))
            .args(args)
            .env_clear()
            .output()
            .unwrap()
    }

    #[test]
    fn cairn_manifest_prints_yaml_with_the_url() {
        let out = cairn(&["manifest", "--url", "https://x.example.org"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8(out.stdout).unwrap();
        let m: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
        assert_eq!(
            m["settings"]["event_subscriptions"]["request_url"],
            "https://x.example.org/slack/events"
        );
        assert!(!text.contains("cairn.example.com"), "{text}");
        // The order of the shipped file is kept, so the output reads like it.
        assert!(text.find("display_information:").unwrap() < text.find("settings:").unwrap());

        let out = cairn(&["manifest", "--socket-mode"]);
        assert!(out.status.success());
        let m: serde_json::Value = serde_yaml_ng::from_slice(&out.stdout).unwrap();
        assert_eq!(m["settings"]["socket_mode_enabled"], true);

        let out = cairn(&["manifest", "--url", "cairn.acme.io"]);
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("https://cairn.example.com"), "{stderr}");
        let out = cairn(&["manifest"]);
        assert_eq!(out.status.code(), Some(1));
    }
}
