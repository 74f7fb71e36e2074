//! The App Home tab: opening it publishes the person's own growth (everything about themselves,
//! private items included), and its buttons open the kudos and evidence modals.

use crate::common::*;
use serde_json::{json, Value};

fn texts(view: &Value) -> String {
    view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["text"]["text"].as_str().unwrap_or_default().to_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

both_backends! {
    async fn opening_the_home_tab_publishes_ones_own_growth(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        app.command("/kudos", "<@U07ALICE01> #leadership ran a calm incident review", "U07BOB0002").await;
        app.kudos("<@U07ANA0001> #values covered my on-call").await;
        app.command("/growth", "log #technical fixed the flaky deploy test", "U07ALICE01").await;
        let event = fixture("event_app_home_opened.json");
        let response = app.post_signed("/slack/events", "application/json", &event).await;
        assert_eq!(response.status(), 200);
        let published = app.slack.wait_for("views.publish", 1).await;
        assert_eq!(published[0].body["user_id"], "U07ALICE01");
        let view = &published[0].body["view"];
        assert_eq!(view["type"], "home");
        let shown = texts(view);
        assert!(shown.contains("*Technical skills*: 1"), "{shown}");
        assert!(shown.contains("*Leadership*: 1"), "{shown}");
        assert!(shown.contains("*Values*: nothing yet"), "{shown}");
        assert!(shown.contains("from <@U07BOB0002>\nran a calm incident review"), "{shown}");
        assert!(shown.contains(":lock:\nfixed the flaky deploy test"), "private evidence shows, marked: {shown}");
        assert!(shown.contains("to <@U07ANA0001>\ncovered my on-call"), "{shown}");
        // A retry of the same event publishes nothing more.
        let again = app.post_signed("/slack/events", "application/json", &event).await;
        assert_eq!(again.status(), 200);
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(app.slack.calls_to("views.publish").len(), 1);
    }
}

#[tokio::test]
async fn the_home_buttons_open_the_modals() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut payload = fixture_json("interactivity_block_actions_home.json");
    for (action, callback) in [
        ("home_give_kudos", "kudos_modal"),
        ("home_log_evidence", "evidence_modal"),
    ] {
        payload["actions"] = json!([{ "type": "button", "action_id": action, "block_id": "home_actions", "value": "x" }]);
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        let response = app
            .post_signed(
                "/slack/interactivity",
                "application/x-www-form-urlencoded",
                &body,
            )
            .await;
        assert_eq!(response.status(), 200);
        let opened = app.slack.calls_to("views.open");
        assert_eq!(opened.last().unwrap().body["view"]["callback_id"], callback);
    }
    let evidence = &app.slack.calls_to("views.open")[1].body["view"];
    assert_eq!(
        evidence["blocks"][4]["element"]["initial_date"],
        "2026-01-05"
    );
}
