//! `POST /slack/interactivity` with Slack's real payload shapes (form-encoded JSON in `payload`):
//! the "Give kudos" shortcut and `/kudos` alone open the modal; a submitted modal records the
//! kudos exactly as the slash command would, or shows what to fix next to each field.

use crate::common::*;
use serde_json::{json, Value};

fn form(payload: &Value) -> String {
    serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap()
}

async fn interact(app: &TestApp, payload: &Value) -> reqwest::Response {
    app.post_signed(
        "/slack/interactivity",
        "application/x-www-form-urlencoded",
        &form(payload),
    )
    .await
}

/// Slack's view_submission fixture, with the state of Cairn's own kudos modal.
fn submission(
    users: &[&str],
    tags: &[&str],
    message: &str,
    visibility: &str,
    channel: Option<&str>,
) -> Value {
    let mut payload = fixture_json("interactivity_view_submission.json");
    let options: Vec<Value> = tags
        .iter()
        .map(|t| json!({"text": {"type": "plain_text", "text": t}, "value": t}))
        .collect();
    payload["view"]["state"]["values"] = json!({
        "recipients": {"users": {"type": "multi_users_select", "selected_users": users}},
        "tags": {"tags_select": {"type": "multi_static_select", "selected_options": options}},
        "message": {"message_input": {"type": "plain_text_input", "value": message}},
        "visibility": {"visibility_radio": {"type": "radio_buttons", "selected_option": {"text": {"type": "plain_text", "text": visibility}, "value": visibility}}},
        "channel": {"channel_select": {"type": "conversations_select", "selected_conversation": channel}},
    });
    payload
}

#[tokio::test]
async fn the_give_kudos_shortcut_opens_the_modal() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    // The fixture's own signed form body, as Slack sends it.
    let body = fixture("interactivity_shortcut_global.form.txt");
    let response = app
        .post_signed(
            "/slack/interactivity",
            "application/x-www-form-urlencoded",
            body.trim(),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "");
    let opened = app.slack.wait_for("views.open", 1).await;
    assert_eq!(
        opened[0].body["trigger_id"],
        "7812345678901.7801234567890.4c1e9b2f0a7d3e6b8c5a1f2e3d4c5b6a"
    );
    let view = &opened[0].body["view"];
    assert_eq!(view["callback_id"], "kudos_modal");
    let blocks: Vec<&str> = view["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["block_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        blocks,
        ["recipients", "tags", "message", "visibility", "channel"]
    );
    let options = &view["blocks"][1]["element"]["option_groups"][0]["options"];
    assert_eq!(options[1]["value"], "c:technical");
}

#[tokio::test]
async fn kudos_alone_opens_the_modal_in_its_channel_or_explains_itself() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let response = app
        .post_signed(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            &slash_body("/kudos", "", "U07ALICE01"),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "");
    let opened = app.slack.wait_for("views.open", 1).await;
    assert_eq!(
        opened[0].body["view"]["blocks"][4]["element"]["initial_conversation"],
        "C07KUDOS01"
    );
    // Slack refusing the modal (an expired trigger): the usage line instead.
    app.slack
        .script("views.open", vec![Scripted::Error("expired_trigger_id")]);
    let answer = app.kudos("").await;
    assert_eq!(answer["response_type"], "ephemeral");
    assert!(answer["text"]
        .as_str()
        .unwrap()
        .starts_with("Give kudos like this"));
}

both_backends! {
    async fn a_submitted_modal_records_dms_and_announces_it(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let message = "Thanks for the late-night debugging — the incident review was spotless 🎉 <!channel>";
        let payload = submission(&["U07BOB0002", "U07CAROL03"], &["c:technical", "m:mentoring"], message, "public", Some("C07KUDOS01"));
        let response = interact(&app, &payload).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "", "an empty answer closes the modal");
        let (_, page) = app.api("/api/v1/kudos").await;
        let k = &page["items"][0];
        assert_eq!(k["recipients"], json!(["U07BOB0002", "U07CAROL03"]));
        assert_eq!(k["competencies"], json!(["technical"]));
        assert_eq!(k["multiplier_kinds"], json!(["mentoring"]));
        assert_eq!(k["visibility"], "public");
        assert_eq!(k["channel_id"], "C07KUDOS01");
        // The API gives the text as typed (it is stored escaped, and never reaches Slack as a ping).
        assert_eq!(k["text"], message);
        // Two DMs and the announcement, all through the outbox.
        let posts = app.slack.wait_for("chat.postMessage", 3).await;
        let mut channels: Vec<&str> = posts.iter().map(|p| p.body["channel"].as_str().unwrap()).collect();
        channels.sort();
        assert_eq!(channels, ["C07KUDOS01", "D07BOB0002", "D07CAROL03"]);
        for post in &posts {
            let text = post.body.to_string();
            assert!(!text.contains("<!channel>"), "{text}");
            assert!(text.contains("spotless 🎉"), "{text}");
        }
    }

    async fn a_private_kudos_goes_only_to_its_receivers(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let payload = submission(&["U07BOB0002"], &["c:values"], "thanks for the honest feedback", "manager", Some("C07KUDOS01"));
        assert_eq!(interact(&app, &payload).await.status(), 200);
        app.slack.wait_for("chat.postMessage", 1).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let posts = app.slack.calls_to("chat.postMessage");
        assert_eq!(posts.len(), 1);
        assert_eq!(posts[0].body["channel"], "D07BOB0002");
        let rows = app.store().outbox_rows("T07KUD0S01").await.unwrap();
        assert_eq!(rows.len(), 1, "no announcement is queued: {rows:?}");
    }

    async fn a_bad_submission_shows_each_problem_next_to_its_field(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let payload = submission(&["U07ALICE01"], &[], "  ", "public", None);
        let response = interact(&app, &payload).await;
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["response_action"], "errors");
        let errors = answer["errors"].as_object().unwrap();
        let mut fields: Vec<&str> = errors.keys().map(String::as_str).collect();
        fields.sort();
        assert_eq!(fields, ["channel", "message", "recipients", "tags"]);
        assert!(errors["recipients"].as_str().unwrap().contains("yourself"));
        let (_, page) = app.api("/api/v1/kudos").await;
        assert_eq!(page["items"], json!([]));
        // An app among the receivers is refused too, next to the people field.
        let payload = submission(&["U07BOT0001"], &["c:values"], "thanks", "public", Some("C07KUDOS01"));
        let answer: Value = interact(&app, &payload).await.json().await.unwrap();
        assert!(answer["errors"]["recipients"].as_str().unwrap().contains("is an app"), "{answer}");
    }
}

fn message_action(author: &str) -> Value {
    let mut payload = fixture_json("interactivity_message_action.json");
    payload["callback_id"] = json!("save_evidence");
    payload["message"]["user"] = json!(author);
    payload
}

#[tokio::test]
async fn saving_your_own_message_opens_the_evidence_modal_with_its_text_and_link() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_eq!(
        interact(&app, &message_action("U07ALICE01")).await.status(),
        200
    );
    let link = app.slack.calls_to("chat.getPermalink");
    assert_eq!(
        (
            link[0].body["channel"].as_str(),
            link[0].body["message_ts"].as_str()
        ),
        (Some("C07GENERAL"), Some("1767622800.000900"))
    );
    let view = &app.slack.wait_for("views.open", 1).await[0].body["view"];
    assert_eq!(view["callback_id"], "evidence_modal");
    let blocks = view["blocks"].as_array().unwrap();
    assert_eq!(
        blocks[0]["element"]["initial_value"],
        "Hotfix deployed, error rate back to baseline."
    );
    assert_eq!(blocks[4]["element"]["initial_date"], "2026-01-05");
    assert_eq!(
        blocks[5]["element"]["initial_value"],
        "https://acme.slack.com/archives/C07GENERAL/p1767622800000900"
    );
    assert_eq!(blocks[6]["element"]["initial_option"]["value"], "private");
}

#[tokio::test]
async fn saving_someone_elses_message_offers_kudos_for_its_author() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_eq!(
        interact(&app, &message_action("U07BOB0002")).await.status(),
        200
    );
    let view = &app.slack.wait_for("views.open", 1).await[0].body["view"];
    assert_eq!(view["callback_id"], "kudos_modal");
    assert_eq!(
        view["blocks"][0]["element"]["initial_users"],
        json!(["U07BOB0002"])
    );
    assert_eq!(
        view["blocks"][4]["element"]["initial_conversation"],
        "C07GENERAL"
    );
}

fn evidence_submission(text: &str, date: &str, link: &str) -> Value {
    let mut payload = fixture_json("interactivity_view_submission.json");
    payload["view"]["callback_id"] = json!("evidence_modal");
    payload["view"]["private_metadata"] = json!(r#"{"source":"message"}"#);
    payload["view"]["state"]["values"] = json!({
        "evidence_text": {"text_input": {"type": "plain_text_input", "value": text}},
        "tags": {"tags_select": {"type": "multi_static_select", "selected_options": [{"value": "c:technical"}, {"value": "m:unblocking"}]}},
        "sphere": {"sphere_select": {"type": "static_select", "selected_option": {"value": "group"}}},
        "people": {"people_select": {"type": "multi_users_select", "selected_users": ["U07BOB0002", "U07ALICE01"]}},
        "date": {"date_picker": {"type": "datepicker", "selected_date": date}},
        "link": {"link_input": {"type": "url_text_input", "value": link}},
        "visibility": {"visibility_radio": {"type": "radio_buttons", "selected_option": {"value": "manager"}}},
    });
    payload
}

both_backends! {
    async fn a_submitted_evidence_modal_is_saved_as_declared(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let payload = evidence_submission("Hotfix deployed — error rate back to baseline 🎉", "2026-01-04", "https://acme.slack.com/archives/C07GENERAL/p1767622800000900");
        let response = interact(&app, &payload).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "");
        let items = app.store().evidence_of("T07KUD0S01", "U07ALICE01", 10).await.unwrap();
        assert_eq!(items.len(), 1);
        let e = &items[0];
        assert_eq!(e.source, cairn::store::Source::Message);
        assert_eq!(e.visibility, cairn::store::Visibility::Manager);
        assert_eq!(e.text, "Hotfix deployed — error rate back to baseline 🎉");
        assert_eq!((e.competencies.clone(), e.multiplier_kinds.clone()), (vec!["technical".to_owned()], vec!["unblocking".to_owned()]));
        assert_eq!(e.sphere.as_deref(), Some("group"));
        assert_eq!(e.people, ["U07BOB0002"], "not the author themselves");
        assert_eq!(e.occurred_at.date_naive().to_string(), "2026-01-04");
        assert_eq!(e.permalink.as_deref(), Some("https://acme.slack.com/archives/C07GENERAL/p1767622800000900"));
        assert!(app.slack.calls_to("chat.postMessage").is_empty(), "evidence is never announced");
    }

    async fn a_bad_evidence_submission_shows_what_to_fix(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // The app's clock is 2026-01-05: the 9th is in the future.
        let answer: Value = interact(&app, &evidence_submission(" ", "2026-01-09", "javascript:alert(1)")).await.json().await.unwrap();
        assert_eq!(answer["response_action"], "errors");
        let mut fields: Vec<&str> = answer["errors"].as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort();
        assert_eq!(fields, ["date", "evidence_text", "link"]);
        assert!(app.store().evidence_of("T07KUD0S01", "U07ALICE01", 10).await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn other_interactions_are_acknowledged_and_bad_ones_refused() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    for name in [
        "interactivity_block_actions.json",
        "interactivity_view_closed.json",
        "interactivity_message_action.json",
    ] {
        let response = interact(&app, &fixture_json(name)).await;
        assert_eq!(response.status(), 200, "{name}");
    }
    let odd = json!({"type": "something_new", "team": {"id": "T07KUD0S01"}, "user": {"id": "U07ALICE01"}});
    assert_eq!(interact(&app, &odd).await.status(), 200);
    let garbage = app
        .post_signed(
            "/slack/interactivity",
            "application/x-www-form-urlencoded",
            "payload=%7Bnot-json",
        )
        .await;
    assert_eq!(garbage.status(), 400);
    let unsigned = reqwest::Client::new()
        .post(app.url("/slack/interactivity"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&odd))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let (_, page) = app.api("/api/v1/kudos").await;
    assert_eq!(page["items"], json!([]));
}
