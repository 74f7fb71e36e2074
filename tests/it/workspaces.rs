//! Several workspaces on one Cairn: each stored installation's bot token (sealed under
//! `CAIRN_ENCRYPTION_KEY`) speaks for its own workspace only, a workspace with no installation
//! gets nothing sent with another's token, an uninstall stops its workspace alone, and neither
//! workspace's data shows in the other's.

use crate::common::*;
use cairn::secrets::Keys;
use serde_json::Value;

/// Base64 of the 32 bytes `0123456789abcdef0123456789abcdef`.
const KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
const ACME: &str = "T07KUD0S01";
const GLOBEX: &str = "T0GLOBEX01";
const INITECH: &str = "T0INITECH1"; // never installed

fn multi_workspace(settings: &mut cairn::config::Input) {
    settings.encryption_key = Some(KEY.into());
}

async fn install(app: &TestApp, team: &str, token: &str) {
    let keys = Keys::parse(KEY, None).unwrap();
    let sealed = keys.seal(team, token);
    app.store()
        .save_installation(&installation(team, &sealed, chrono::Utc::now()))
        .await
        .unwrap();
}

/// `/kudos TEXT` from `user` in workspace `team`.
async fn kudos_in(app: &TestApp, team: &str, user: &str, text: &str) -> Value {
    app.command_in(team, "/kudos", text, user).await
}

both_backends! {
    async fn each_workspace_is_spoken_to_with_its_own_token_and_sees_only_its_own_data(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, Options { bot_token: false, extra: multi_workspace, ..Options::default() }).await else { return };
        install(&app, ACME, "xoxb-acme").await;
        install(&app, GLOBEX, "xoxb-globex").await;
        let a = kudos_in(&app, ACME, "U07ALICE01", "<@U0ANA00001> #technical fixed the deploy").await;
        let g = kudos_in(&app, GLOBEX, "U0GLOBEX02", "<@U0GLOBEX03> #technical fixed the build").await;
        assert_eq!(a["response_type"], "in_channel", "{a}");
        assert_eq!(g["response_type"], "in_channel", "{g}");
        app.slack.wait_for("chat.postMessage", 2).await;
        assert_eq!(tokens_used_for(&app, "U0ANA00001"), vec!["Bearer xoxb-acme"]);
        assert_eq!(tokens_used_for(&app, "U0GLOBEX03"), vec!["Bearer xoxb-globex"]);
        for call in app.slack.calls_to("conversations.open") {
            let expected = if call.body["users"] == "U0ANA00001" { "Bearer xoxb-acme" } else { "Bearer xoxb-globex" };
            assert_eq!(call.auth.as_deref(), Some(expected), "{:?}", call.body);
        }

        // Each workspace's data stays its own, in the JSON API and in summaries.
        let (_, acme) = app.api(&format!("/api/v1/kudos?team={ACME}")).await;
        let (_, globex) = app.api(&format!("/api/v1/kudos?team={GLOBEX}")).await;
        let texts = |v: &Value| v["items"].as_array().unwrap().iter().map(|k| k["text"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
        assert_eq!(texts(&acme).len(), 1, "{acme}");
        assert!(texts(&acme)[0].contains("fixed the deploy"), "{acme}");
        assert_eq!(texts(&globex).len(), 1, "{globex}");
        assert!(texts(&globex)[0].contains("fixed the build"), "{globex}");
        let (status, summary) = app.api(&format!("/api/v1/people/U0GLOBEX03/summary?team={ACME}")).await;
        assert_eq!(status, 200, "{summary}");
        assert_eq!(summary["counts"]["kudos_received"], 0, "Globex's kudos never count in Acme: {summary}");

        // A workspace Cairn was never installed in gets nothing sent with another's token.
        let i = kudos_in(&app, INITECH, "U0INITEC02", "<@U0INITEC03> #technical fixed the printer").await;
        assert_eq!(i["response_type"], "in_channel", "the kudos is recorded: {i}");
        let mut parked = Vec::new();
        for _ in 0..200 {
            parked = app.store().outbox_rows(INITECH).await.unwrap();
            if parked.iter().all(|r| r.status == "dead") && !parked.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(parked.iter().all(|r| r.status == "dead" && r.last_error.as_deref().unwrap_or("").contains("not_installed")), "{parked:?}");
        assert!(tokens_used_for(&app, "U0INITEC03").is_empty());

        // Acme uninstalls: its installation goes, and Globex keeps working.
        let mut uninstalled: Value = serde_json::from_str(&fixture("event_app_uninstalled.json")).unwrap();
        uninstalled["team_id"] = ACME.into();
        let response = app.post_signed("/slack/events", "application/json", &uninstalled.to_string()).await;
        assert_eq!(response.status(), 200);
        assert!(app.store().installation(ACME).await.unwrap().is_none());
        // (Another receiver: a second DM into one channel waits for the pinned clock's pacing.)
        kudos_in(&app, GLOBEX, "U0GLOBEX02", "<@U0GLOBEX04> #technical and the release").await;
        let mut sent = Vec::new();
        for _ in 0..200 {
            sent = tokens_used_for(&app, "U0GLOBEX04");
            if !sent.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert_eq!(sent, vec!["Bearer xoxb-globex"]);
    }
}

const GRID: &str = "E07GRID001"; // an Enterprise Grid organisation Acme belongs to
const ORG_TOKEN: &str = "xoxb-org-wide";

/// An org-wide install: one installation keyed by the organisation, its token sealed to it.
async fn install_org_wide(app: &TestApp) {
    let keys = Keys::parse(KEY, None).unwrap();
    let mut org = installation(GRID, &keys.seal(GRID, ORG_TOKEN), chrono::Utc::now());
    org.enterprise_id = Some(GRID.into());
    app.store().save_installation(&org).await.unwrap();
}

/// An Events API callback from the organisation, for its org-wide install.
async fn org_event(app: &TestApp, id: &str, event: Value) {
    let envelope = serde_json::json!({
        "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
        "team_id": null,
        "enterprise_id": GRID,
        "api_app_id": "A07KUDOAPP",
        "event": event,
        "type": "event_callback",
        "event_id": id,
        "event_time": 1767627000,
        "authorizations": [{"enterprise_id": GRID, "team_id": null, "user_id": "U07KUDOBOT", "is_bot": true, "is_enterprise_install": true}],
    });
    let response = app
        .post_signed("/slack/events", "application/json", &envelope.to_string())
        .await;
    assert_eq!(response.status(), 200);
}

/// Waits until a DM to `user` was posted or parked; returns the tokens it was posted with.
async fn settle_dm(app: &TestApp, team: &str, user: &str) -> Vec<String> {
    for _ in 0..200 {
        let sent = tokens_used_for(app, user);
        let parked = app
            .store()
            .outbox_rows(team)
            .await
            .unwrap()
            .into_iter()
            .any(|r| r.channel == user && r.status == "dead");
        if !sent.is_empty() || parked {
            return sent;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the DM to {user} was neither sent nor parked");
}

both_backends! {
    async fn an_org_wide_install_speaks_for_the_workspaces_its_organisation_granted_and_stops_when_uninstalled(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, Options { bot_token: false, extra: multi_workspace, ..Options::default() }).await else { return };
        install_org_wide(&app).await;
        install(&app, GLOBEX, "xoxb-globex").await;

        // The organisation's admin adds Cairn to Acme: Acme is spoken to with the org's token.
        org_event(&app, "Ev0GRANT01", serde_json::json!({"type": "team_access_granted", "team_ids": [ACME]})).await;
        kudos_in(&app, ACME, "U07ALICE01", "<@U0ANA00001> #technical fixed the deploy").await;
        assert_eq!(settle_dm(&app, ACME, "U0ANA00001").await, vec![format!("Bearer {ORG_TOKEN}")]);
        // A shortcut Slack sends with no team (taken at the organisation's level) is the
        // person's own workspace's: its modal opens with the organisation's token.
        let mut shortcut = fixture_json("interactivity_shortcut_global.json");
        shortcut["team"] = Value::Null;
        shortcut["enterprise"] = serde_json::json!({"id": GRID, "name": "Acme Corp"});
        shortcut["is_enterprise_install"] = true.into();
        let body = serde_urlencoded::to_string([("payload", shortcut.to_string())]).unwrap();
        let response = app.post_signed("/slack/interactivity", "application/x-www-form-urlencoded", &body).await;
        assert_eq!(response.status(), 200);
        let opened = app.slack.wait_for("views.open", 1).await;
        assert_eq!(opened[0].auth.as_deref(), Some(format!("Bearer {ORG_TOKEN}").as_str()));

        // A colleague from a sibling workspace of the organisation is not external; a Slack
        // Connect guest from another organisation is.
        kudos_in(&app, ACME, "U0SIB00001", "<@U0ANA00002> #technical reviewed the design").await;
        let (_, summary) = app.api(&format!("/api/v1/people/U0ANA00002/summary?team={ACME}")).await;
        assert_eq!(summary["sphere"]["external"], 0, "{summary}");
        kudos_in(&app, ACME, "U0EXT00001", "<@U0ANA00003> #technical reviewed the design").await;
        let (_, summary) = app.api(&format!("/api/v1/people/U0ANA00003/summary?team={ACME}")).await;
        assert_eq!(summary["sphere"]["external"], 1, "{summary}");

        // The admin takes Cairn away from Acme: nothing more goes there with the org's token.
        org_event(&app, "Ev0REVOKE1", serde_json::json!({"type": "team_access_revoked", "team_ids": [ACME]})).await;
        kudos_in(&app, ACME, "U07ALICE01", "<@U0ANA00004> #technical fixed the tests").await;
        assert!(settle_dm(&app, ACME, "U0ANA00004").await.is_empty(), "parked, not sent");

        // Added again, then the organisation uninstalls Cairn: its installation goes, Acme gets
        // nothing, and Globex (a workspace install) keeps working.
        // Globex, with an install of its own, is in the organisation too.
        org_event(&app, "Ev0GRANT02", serde_json::json!({"type": "team_access_granted", "team_ids": [ACME, GLOBEX]})).await;
        kudos_in(&app, ACME, "U07ALICE01", "<@U0ANA00005> #technical fixed the flaky test").await;
        assert_eq!(settle_dm(&app, ACME, "U0ANA00005").await, vec![format!("Bearer {ORG_TOKEN}")]);
        // One DM waits in each workspace (Slack asked to wait) when the organisation uninstalls.
        app.slack.script("chat.postMessage", vec![Scripted::RateLimited(1), Scripted::RateLimited(1)]);
        kudos_in(&app, ACME, "U07ALICE01", "<@U0ANA00007> #technical fixed the cache").await;
        kudos_in(&app, GLOBEX, "U0GLOBEX02", "<@U0GLOBEX06> #technical fixed the cache").await;
        let waiting = |team: &'static str, user: &'static str| {
            let store = app.store();
            async move {
                store.outbox_rows(team).await.unwrap().into_iter().find(|r| r.channel == user).unwrap()
            }
        };
        for i in 0.. {
            assert!(i < 200, "both DMs were deferred");
            let deferred = |r: cairn::store::OutboxRow| r.last_error.is_some_and(|e| e.contains("rate"));
            if deferred(waiting(ACME, "U0ANA00007").await) && deferred(waiting(GLOBEX, "U0GLOBEX06").await) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        org_event(&app, "Ev0UNINST1", serde_json::json!({"type": "app_uninstalled"})).await;
        assert!(app.store().installation(GRID).await.unwrap().is_none());
        assert_eq!(waiting(ACME, "U0ANA00007").await.status, "dead", "Acme spoke only with the org's token");
        assert_eq!(waiting(GLOBEX, "U0GLOBEX06").await.status, "pending", "Globex keeps its own token");
        app.clock.advance(chrono::Duration::seconds(5));
        assert_eq!(settle_dm(&app, GLOBEX, "U0GLOBEX06").await, vec!["Bearer xoxb-globex"]);
        kudos_in(&app, ACME, "U07ALICE01", "<@U0ANA00006> #technical and the docs").await;
        assert!(settle_dm(&app, ACME, "U0ANA00006").await.is_empty(), "parked, not sent");
        kudos_in(&app, GLOBEX, "U0GLOBEX02", "<@U0GLOBEX05> #technical fixed the build").await;
        assert_eq!(settle_dm(&app, GLOBEX, "U0GLOBEX05").await, vec!["Bearer xoxb-globex"]);
    }
}
