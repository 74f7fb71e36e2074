//! The shipped Slack app manifest validates against Slack's own schema (version 1, copied with its
//! licence into `tests/fixtures/slack-manifest/`) and declares what Cairn's handlers need.

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
        "fixtures/slack-manifest/manifest.schema.1.0.0.json"
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
            "im:history",
            "im:write",
            "reactions:read",
            "reactions:write",
            "users:read",
            "usergroups:read"
        ]
    );
}
