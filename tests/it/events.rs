//! `POST /slack/events` with Slack's real payloads.

use crate::common::*;
use serde_json::Value;

const JSON: &str = "application/json";

both_backends! {
    async fn retried_events_are_recorded_once(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let body = fixture("event_app_mention.json");
        let first = app.post_signed("/slack/events", JSON, &body).await;
        assert_eq!(first.status(), 200);
        // Slack's retry carries X-Slack-Retry-Num; it must be acknowledged and change nothing.
        let ts = app.clock_ts().to_string();
        let retry = app
            .http
            .post(app.url("/slack/events"))
            .header("content-type", JSON)
            .header("x-slack-request-timestamp", &ts)
            .header("x-slack-signature", cairn::slack::verify::sign(SECRET.as_bytes(), &ts, body.as_bytes()))
            .header("x-slack-retry-num", "1")
            .header("x-slack-retry-reason", "http_timeout")
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(retry.status(), 200);
        // The id is known: recording it again reports a duplicate.
        let again = cairn::store::SlackEvent {
            event_id: "Ev07KUD0M001".into(),
            team_id: "T07KUD0S01".into(),
            event_type: "app_mention".into(),
            received_at: chrono::Utc::now(),
        };
        assert!(!app.store().record_event(&again).await.unwrap());
        let fresh = cairn::store::SlackEvent { event_id: "Ev-new".into(), ..again };
        assert!(app.store().record_event(&fresh).await.unwrap());
    }
}

#[tokio::test]
async fn url_verification_echoes_the_challenge() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    // The fixture as stored, with the signature Slack's example secret gives at its timestamp.
    let response = app
        .post_signed(
            "/slack/events",
            JSON,
            &fixture("event_url_verification.json"),
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(
        answer["challenge"],
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    );
}

#[tokio::test]
async fn the_published_fixture_signature_verifies() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let response = app
        .http
        .post(app.url("/slack/events"))
        .header("content-type", JSON)
        .header("x-slack-request-timestamp", "1767623401")
        .header(
            "x-slack-signature",
            "v0=ec32bb3c82a7d92ba15016b41f7bac3458b96f4c32e96564331c057cee0d8d38",
        )
        .body(fixture("event_url_verification.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn unknown_and_rate_limit_envelopes_are_acknowledged() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for body in [
        fixture("event_app_rate_limited.json"),
        fixture("event_reaction_added.json"),
        r#"{"type":"something_new"}"#.into(),
    ] {
        let response = app.post_signed("/slack/events", JSON, &body).await;
        assert_eq!(response.status(), 200, "{body}");
    }
    let response = app.post_signed("/slack/events", JSON, "not json").await;
    assert_eq!(response.status(), 400);
}

both_backends! {
    async fn event_ids_are_kept_seven_days_then_pruned_by_the_scheduler(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-05T12:00:00Z").unwrap().to_utc();
        let event = |id: &str, days_ago: i64| cairn::store::SlackEvent {
            event_id: id.into(),
            team_id: "T07KUD0S01".into(),
            event_type: "app_mention".into(),
            received_at: now - chrono::Duration::days(days_ago),
        };
        for (id, days_ago) in [("Ev-old-1", 9), ("Ev-old-2", 8), ("Ev-recent", 6)] {
            assert!(app.store().record_event(&event(id, days_ago)).await.unwrap());
        }
        let report = app.run_jobs("2026-12-05T12:00:00Z").await;
        assert!(report.contains("2 old event ids pruned"), "{report}");
        // A retry of the recent event is still recognised; the pruned ones are forgotten.
        assert!(!app.store().record_event(&event("Ev-recent", 6)).await.unwrap());
        assert!(app.store().record_event(&event("Ev-old-1", 9)).await.unwrap());
        let again = app.run_jobs("2026-12-05T12:00:00Z").await;
        assert!(again.contains("1 old event ids pruned"), "{again}");
    }

    async fn expired_install_states_are_removed_a_day_after_they_expire(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-05T12:00:00Z").unwrap().to_utc();
        let hours = chrono::Duration::hours;
        // Expired 30 h ago, expired 2 h ago, still valid.
        for (nonce, expired_hours_ago) in [("old", 30), ("recent", 2), ("valid", -1)] {
            let expires = now - hours(expired_hours_ago);
            app.store().save_oauth_state(nonce, expires - chrono::Duration::minutes(10), expires).await.unwrap();
        }
        let report = app.run_jobs("2026-12-05T12:00:00Z").await;
        assert!(report.contains("1 expired install states removed"), "{report}");
        let left = app.db.strings("SELECT nonce FROM oauth_states ORDER BY nonce").await;
        assert_eq!(left, ["recent", "valid"]);
        assert!(app.store().use_oauth_state("valid", now).await.unwrap(), "a valid state still works");
    }

    async fn a_zero_event_retention_is_refused_with_what_to_fix(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let mut input = app.settings(&Options::default());
        input.event_retention_days = Some(0);
        let error = input.resolve().unwrap_err().to_string();
        assert!(error.contains("CAIRN_EVENT_RETENTION_DAYS must be at least 1"), "{error}");
    }
}
