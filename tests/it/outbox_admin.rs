//! Dead letters: an uninstalled workspace parks its messages; an admin lists and retries them
//! with `cairn outbox list` and `cairn outbox retry`.

use crate::common::*;
use std::process::Command;

fn cairn(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_cairn"))
        .args(args)
        .env("DATABASE_URL", db)
        .env_remove("CAIRN_CONFIG")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

both_backends! {
    async fn revoked_tokens_park_messages_and_an_admin_sends_them_later(backend: Backend) {
        let Some(mut app) = TestApp::spawn_with(backend, Options { bot_token: false, ..Options::default() }).await else { return };
        app.kudos("<@U07ANA0001> <@U07BEN0002> #values thanks").await;
        let response = app.post_signed("/slack/events", "application/json", &fixture("event_tokens_revoked.json")).await;
        assert_eq!(response.status(), 200);
        let rows = app.store().outbox_rows("T07KUD0S01").await.unwrap();
        assert!(rows.iter().all(|r| r.status == "dead"), "{rows:?}");
        assert!(rows[0].last_error.as_deref().unwrap().contains("tokens_revoked"));
        app.stop().await;

        let (ok, listing, _) = cairn(&app.db.url, &["outbox", "list", "--status", "dead"]);
        assert!(ok);
        assert!(listing.contains(&format!("{:<8} T07KUD0S01", rows[0].id)), "{listing}");
        assert!(listing.contains("workspace stopped delivery (tokens_revoked)"), "{listing}");

        let (ok, said, err) = cairn(&app.db.url, &["outbox", "retry", &rows[0].id.to_string()]);
        assert!(ok, "{err}");
        assert!(said.starts_with("1 message(s) back in the queue"), "{said}");
        let (ok, said, _) = cairn(&app.db.url, &["outbox", "retry", "--all-dead"]);
        assert!(ok);
        assert!(said.starts_with("1 message(s)"), "{said}");

        // Reinstalled (a token again): both DMs go out once. The CLI queued them at the real time.
        app.clock.set(chrono::Utc::now());
        app.start(Options::default()).await;
        app.slack.wait_for("chat.postMessage", 2).await;
        let (ok, listing, _) = cairn(&app.db.url, &["outbox", "list"]);
        assert!(ok);
        assert_eq!(listing.lines().count(), 1, "only the header: {listing}");
    }
}

#[tokio::test]
async fn app_uninstalled_parks_pending_messages() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            bot_token: false,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    app.kudos("<@U07ANA0001> #values thanks").await;
    // The workspace's stored installation (an OAuth install) goes with it; another stays.
    let now = chrono::Utc::now();
    for team in ["T07KUD0S01", "T0OTHER001"] {
        let installation = installation(team, "v1.00000000.AAAA.AAAA", now);
        app.store().save_installation(&installation).await.unwrap();
    }
    let response = app
        .post_signed(
            "/slack/events",
            "application/json",
            &fixture("event_app_uninstalled.json"),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(app
        .store()
        .installation("T07KUD0S01")
        .await
        .unwrap()
        .is_none());
    assert!(app
        .store()
        .installation("T0OTHER001")
        .await
        .unwrap()
        .is_some());
    let rows = app.store().outbox_rows("T07KUD0S01").await.unwrap();
    assert_eq!(rows[0].status, "dead");
    assert!(rows[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("app_uninstalled"));
}

#[test]
fn retry_needs_ids_or_all_dead() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("c.db").display());
    let (ok, _, err) = cairn(&db, &["outbox", "retry"]);
    assert!(!ok);
    assert!(
        err.contains("required arguments were not provided") && err.contains("<IDS>"),
        "{err}"
    );
}
