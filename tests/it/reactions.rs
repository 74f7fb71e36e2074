//! Reaction kudos: `:cairn:` on someone's message thanks its author; the giver says what for
//! with a button; taking the reaction back within 10 minutes withdraws it.

use crate::common::*;
use serde_json::{json, Value};

fn reaction(kind: &str, event_id: &str, emoji: &str, reactor: &str, author: &str) -> String {
    let mut payload = fixture_json("event_reaction_added.json");
    payload["event_id"] = json!(event_id);
    payload["event"]["type"] = json!(kind);
    payload["event"]["reaction"] = json!(emoji);
    payload["event"]["user"] = json!(reactor);
    payload["event"]["item_user"] = json!(author);
    payload.to_string()
}

async fn react(app: &TestApp, body: &str) {
    let response = app
        .post_signed("/slack/events", "application/json", body)
        .await;
    assert_eq!(response.status(), 200);
}

async fn kudos(app: &TestApp) -> Vec<Value> {
    app.api("/api/v1/kudos").await.1["items"]
        .as_array()
        .unwrap()
        .clone()
}

both_backends! {
    async fn a_cairn_reaction_thanks_the_author_and_asks_what_for(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let added = reaction("reaction_added", "EvR1", "cairn", "U07CAROL03", "U07BOB0002");
        react(&app, &added).await;
        react(&app, &added).await; // Slack's retry changes nothing
        let items = kudos(&app).await;
        assert_eq!(items.len(), 1);
        assert_eq!((items[0]["giver"].as_str(), &items[0]["recipients"]), (Some("U07CAROL03"), &json!(["U07BOB0002"])));
        assert_eq!(items[0]["competencies"], json!([]));
        assert_eq!(items[0]["permalink"], "https://acme.slack.com/archives/C07KUDOS01/p1767623400000100");
        // Bob gets his DM; Carol is asked what it was for.
        let posts = app.slack.wait_for("chat.postMessage", 2).await;
        let ask = posts.iter().find(|p| p.body["channel"] == "D07CAROL03").expect("a DM to the giver");
        let buttons = ask.body["blocks"][1]["elements"].as_array().unwrap();
        assert_eq!(buttons.len(), 3);
        let technical = buttons.iter().find(|b| b["action_id"] == "tag_kudos:technical").unwrap();
        // She picks "Technical skills".
        let mut click = fixture_json("interactivity_block_actions.json");
        click["user"]["id"] = json!("U07CAROL03");
        click["actions"] = json!([{ "type": "button", "action_id": technical["action_id"], "block_id": "tag_kudos", "value": technical["value"] }]);
        let body = serde_urlencoded::to_string([("payload", click.to_string())]).unwrap();
        assert_eq!(app.post_signed("/slack/interactivity", "application/x-www-form-urlencoded", &body).await.status(), 200);
        assert_eq!(kudos(&app).await[0]["competencies"], json!(["technical"]));
        // The question is answered in place: the buttons give way to what it counts as.
        let update = &app.slack.wait_for("chat.update", 1).await[0];
        assert_eq!((&update.body["channel"], &update.body["ts"]), (&click["channel"]["id"], &click["message"]["ts"]));
        assert!(update.body["text"].as_str().unwrap().contains("counts as *Technical skills*"), "{:?}", update.body);
        // Someone else pressing her button changes nothing.
        click["user"]["id"] = json!("U07BOB0002");
        click["actions"][0]["value"] = json!(technical["value"].as_str().unwrap().replace("technical", "values"));
        let body = serde_urlencoded::to_string([("payload", click.to_string())]).unwrap();
        app.post_signed("/slack/interactivity", "application/x-www-form-urlencoded", &body).await;
        assert_eq!(kudos(&app).await[0]["competencies"], json!(["technical"]));
    }

    async fn removing_the_reaction_within_ten_minutes_withdraws_it(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, Options { bot_token: false, ..Options::default() }).await else { return };
        react(&app, &reaction("reaction_added", "EvR1", "kudos", "U07CAROL03", "U07BOB0002")).await;
        assert_eq!(kudos(&app).await.len(), 1);
        app.clock.advance(chrono::Duration::minutes(9));
        react(&app, &reaction("reaction_removed", "EvR2", "kudos", "U07CAROL03", "U07BOB0002")).await;
        assert!(kudos(&app).await.is_empty());
        assert!(app.store().outbox_rows("T07KUD0S01").await.unwrap().is_empty(), "its DMs are not sent");
        // Later than that, the kudos stays.
        react(&app, &reaction("reaction_added", "EvR3", "kudos", "U07CAROL03", "U07BOB0002")).await;
        app.clock.advance(chrono::Duration::minutes(11));
        react(&app, &reaction("reaction_removed", "EvR4", "kudos", "U07CAROL03", "U07BOB0002")).await;
        assert_eq!(kudos(&app).await.len(), 1);
    }

    async fn a_reaction_kudos_the_database_lost_is_recorded_on_slacks_retry(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, Options { bot_token: false, ..Options::default() }).await else { return };
        let added = reaction("reaction_added", "EvR1", "cairn", "U07CAROL03", "U07BOB0002");
        app.db.execute("ALTER TABLE kudos_recipients RENAME TO kudos_recipients_away").await;
        let response = app.post_signed("/slack/events", "application/json", &added).await;
        assert_eq!(response.status(), 503, "Slack must retry what was not recorded");
        app.db.execute("ALTER TABLE kudos_recipients_away RENAME TO kudos_recipients").await;
        react(&app, &added).await;
        assert_eq!(kudos(&app).await.len(), 1);
    }

    async fn a_reaction_kudos_kept_whose_event_id_was_not_is_not_doubled_by_slacks_retry(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, Options { bot_token: false, ..Options::default() }).await else { return };
        let added = reaction("reaction_added", "EvR1", "cairn", "U07CAROL03", "U07BOB0002");
        app.db.refuse_inserts("slack_events").await;
        let response = app.post_signed("/slack/events", "application/json", &added).await;
        assert_eq!(response.status(), 503, "the event's id was not recorded: Slack must retry");
        assert_eq!(kudos(&app).await.len(), 1, "its effect was kept");
        app.db.allow_inserts("slack_events").await;
        react(&app, &added).await;
        react(&app, &added).await;
        assert_eq!(kudos(&app).await.len(), 1, "the retries change nothing");
    }

    async fn other_reactions_are_not_kudos(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        react(&app, &reaction("reaction_added", "EvR1", "raised_hands", "U07CAROL03", "U07BOB0002")).await;
        react(&app, &reaction("reaction_added", "EvR2", "cairn", "U07BOB0002", "U07BOB0002")).await;
        react(&app, &reaction("reaction_added", "EvR3", "cairn", "U07CAROL03", "U07BOT0001")).await;
        assert!(kudos(&app).await.is_empty());
    }
}
