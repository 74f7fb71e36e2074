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
