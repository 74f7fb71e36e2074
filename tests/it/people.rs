//! The people cache: kudos to apps or to people who left are refused; profiles are cached, kept
//! fresh by `user_change`, and a slow Slack never delays the answer past Slack's 3 s.

use crate::common::*;
use std::time::{Duration, Instant};

both_backends! {
    async fn kudos_to_apps_and_people_who_left_are_refused(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // The fake Slack says ids with BOT are apps and ids with GONE are deactivated.
        let answer = app.kudos("<@U07KUDOBOT> <@U07GONE005> <@U07ANA0001> #values thanks").await;
        assert_eq!(answer["response_type"], "ephemeral", "{answer}");
        let text = answer["text"].as_str().unwrap();
        assert!(text.contains("<@U07KUDOBOT> is an app, not a person"), "{text}");
        assert!(text.contains("<@U07GONE005> has left the workspace"), "{text}");
        let (_, page) = app.api("/api/v1/kudos").await;
        assert_eq!(page["items"], serde_json::json!([]));
        // Profiles are kept: asking again does not call Slack again.
        let before = app.slack.calls_to("users.info").len();
        assert_eq!(before, 4, "three recipients and the giver (a Slack Connect giver is `external`)");
        app.kudos("<@U07ANA0001> #values thanks").await;
        assert_eq!(app.slack.calls_to("users.info").len(), before);
        let stored = app.store().person("T07KUD0S01", "U07KUDOBOT").await.unwrap().unwrap();
        assert!(stored.is_bot);
        assert_eq!(stored.tz.as_deref(), Some("Europe/Berlin"));
    }
}

#[tokio::test]
async fn user_change_events_refresh_profiles() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_eq!(
        app.kudos("<@U07ANA0001> #values thanks").await["response_type"],
        "in_channel"
    );
    // Ana is deactivated; Slack tells Cairn with user_change.
    let event = serde_json::json!({
        "token": "x", "team_id": "T07KUD0S01", "api_app_id": "A07KUDOAPP", "type": "event_callback",
        "event_id": "Ev07CHANGE01", "event_time": 1767623400,
        "event": {"type": "user_change", "user": {
            "id": "U07ANA0001", "team_id": "T07KUD0S01", "name": "ana", "real_name": "Ana Lima",
            "deleted": true, "is_bot": false, "tz": "America/Sao_Paulo", "profile": {"display_name": "ana"}
        }, "event_ts": "1767623400.000200"}
    });
    let response = app
        .post_signed("/slack/events", "application/json", &event.to_string())
        .await;
    assert_eq!(response.status(), 200);
    let person = app
        .store()
        .person("T07KUD0S01", "U07ANA0001")
        .await
        .unwrap()
        .unwrap();
    assert!(person.deleted);
    assert_eq!(person.tz.as_deref(), Some("America/Sao_Paulo"));
    let calls = app.slack.calls_to("users.info").len();
    let answer = app.kudos("<@U07ANA0001> #values thanks again").await;
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("has left the workspace"),
        "{answer}"
    );
    assert_eq!(
        app.slack.calls_to("users.info").len(),
        calls,
        "the event's profile was used"
    );
}

#[tokio::test]
async fn a_slack_that_answers_in_ten_seconds_does_not_delay_the_answer() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.slack.script(
        "users.info",
        vec![Scripted::Slow(Duration::from_secs(10)); 2],
    );
    let started = Instant::now();
    let answer = app
        .kudos("<@U07ANA0001> <@U07BEN0002> #values thanks")
        .await;
    // Slack's own limit: an answer later than 3 s is an error for the person typing.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answered after {:?}",
        started.elapsed()
    );
    assert_eq!(answer["response_type"], "in_channel", "{answer}");
    let started = Instant::now();
    let event = app
        .post_signed(
            "/slack/events",
            "application/json",
            &fixture("event_app_mention.json"),
        )
        .await;
    assert_eq!(event.status(), 200);
    assert!(started.elapsed() < Duration::from_secs(3));
}
