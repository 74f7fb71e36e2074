//! `/kudos` end to end: signed slash commands in, the channel's answer, the stored kudos (through
//! the API) and the DMs the fake Slack received.

use crate::common::*;
use serde_json::Value;

const EXAMPLE: &str = "<@U07ANA0001|ana> <@U07BEN0002|ben> #technical #mentoring paired with me on the flaky deploy test until it was green";

fn all_text(answer: &Value) -> String {
    answer.to_string()
}

both_backends! {
    async fn records_announces_and_dms(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let answer = app.kudos(EXAMPLE).await;
        assert_eq!(answer["response_type"], "in_channel", "{answer}");
        let header = answer["blocks"][0]["text"]["text"].as_str().unwrap();
        assert_eq!(header, ":tada: *Kudos* from <@U07ALICE01> to <@U07ANA0001> and <@U07BEN0002>");
        assert_eq!(answer["blocks"][1]["text"]["text"], "paired with me on the flaky deploy test until it was green");
        let tags = answer["blocks"][2]["elements"][0]["text"].as_str().unwrap();
        assert!(tags.contains("Technical skills") && tags.contains("Mentoring"), "{tags}");
        assert!(answer["text"].as_str().unwrap().starts_with("Kudos from <@U07ALICE01> to <@U07ANA0001> and <@U07BEN0002>: paired"));

        // Stored before the answer: readable at once through the API.
        let (status, page) = app.api("/api/v1/kudos").await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 1);
        let k = &items[0];
        assert_eq!(k["team_id"], "T07KUD0S01");
        assert_eq!(k["giver"], "U07ALICE01");
        assert_eq!(k["recipients"], serde_json::json!(["U07ANA0001", "U07BEN0002"]));
        assert_eq!(k["competencies"], serde_json::json!(["technical"]));
        assert_eq!(k["multiplier_kinds"], serde_json::json!(["mentoring"]));
        assert_eq!(k["text"], "paired with me on the flaky deploy test until it was green");
        assert_eq!(k["channel_id"], "C07KUDOS01");
        assert_eq!(k["visibility"], "public");
        assert_eq!(k["permalink"], Value::Null);
        assert_eq!(k["created_at"], "2026-01-05T14:30:01Z");
        assert_eq!(page["next_cursor"], Value::Null);

        // Each recipient gets one DM, through conversations.open then chat.postMessage.
        let posts = app.slack.wait_for("chat.postMessage", 2).await;
        let opens = app.slack.calls_to("conversations.open");
        let mut opened: Vec<&str> = opens.iter().map(|c| c.body["users"].as_str().unwrap()).collect();
        opened.sort();
        assert_eq!(opened, ["U07ANA0001", "U07BEN0002"]);
        let mut channels: Vec<&str> = posts.iter().map(|c| c.body["channel"].as_str().unwrap()).collect();
        channels.sort();
        assert_eq!(channels, ["D07ANA0001", "D07BEN0002"]);
        for post in &posts {
            assert_eq!(post.auth.as_deref(), Some("Bearer xoxb-test-token"));
            let text = post.body["text"].as_str().unwrap();
            assert!(text.starts_with("<@U07ALICE01> gave you kudos in <#C07KUDOS01>: paired with me"), "{text}");
            assert!(post.body["blocks"].is_array());
        }
        // And the outbox knows they were sent, with Slack's ts.
        let store = app.store();
        for _ in 0..100 {
            if store.outbox_counts().await.unwrap().sent == 2 { break }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        let rows = store.outbox_rows("T07KUD0S01").await.unwrap();
        assert_eq!(rows.len(), 2);
        assert!(rows.iter().all(|r| r.status == "sent" && r.slack_ts.is_some() && r.attempts == 1), "{rows:?}");
        // No more DMs than recipients, even after more worker passes.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(app.slack.calls_to("chat.postMessage").len(), 2);
    }

    async fn refuses_bad_input_and_records_nothing(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let cases: &[(&str, &str)] = &[
            ("#technical thanks for the help", "Mention at least one person"),
            ("<@U07ALICE01|alice> #technical great work me", "can't give kudos to yourself"),
            ("<@U07ANA0001> #technical", "Say what they did"),
            ("<@U07ANA0001> #tecnical fixed the build", "I don't know the tag #tecnical. Did you mean #technical?"),
            ("<@U07ANA0001> fixed the build", "Add at least one competency tag: #values, #technical, #leadership"),
        ];
        for (text, expected) in cases {
            let answer = app.kudos(text).await;
            assert_eq!(answer["response_type"], "ephemeral", "{text}: {answer}");
            let shown = answer["text"].as_str().unwrap();
            assert!(shown.contains(expected), "{text}: {shown}");
        }
        // What they typed comes back so nothing is lost.
        let answer = app.kudos("<@U07ANA0001> #tecnical fixed the build").await;
        assert!(answer["text"].as_str().unwrap().ends_with("What you typed:\n><@U07ANA0001> #tecnical fixed the build"));
        let (_, page) = app.api("/api/v1/kudos").await;
        assert_eq!(page["items"], serde_json::json!([]));
        assert!(app.slack.calls().is_empty());
    }

    async fn broadcasts_and_markup_never_reach_slack_live(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let text = "<@U07ANA0001> #values thanks <!channel> <!here> <!everyone> @everyone &lt;script&gt;alert(1)&lt;/script&gt; &amp; more";
        let answer = app.kudos(text).await;
        assert_eq!(answer["response_type"], "in_channel", "{answer}");
        let posts = app.slack.wait_for("chat.postMessage", 1).await;
        for shown in [all_text(&answer), posts[0].body.to_string()] {
            assert!(!shown.contains("<!"), "{shown}");
            assert!(!shown.contains("<script>"), "{shown}");
            for word in ["@channel", "@here", "@everyone"] {
                assert!(!shown.contains(word), "{word} in {shown}");
            }
            assert!(shown.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"), "{shown}");
        }
        // A refusal echoes the text back just as safely.
        let refused = app.kudos("<@U07ANA0001> <!subteam^S07DEVS|@devs> <!channel> &lt;b&gt;").await;
        let shown = refused["text"].as_str().unwrap();
        assert!(shown.contains("Add at least one competency tag"), "{shown}");
        assert!(!shown.contains("<!") && !shown.contains("@devs") && !shown.contains("@channel") && !shown.contains("<b>"), "{shown}");
    }

    async fn a_user_group_thanks_its_members_but_not_the_giver(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // The fake's @devs: Alice (the giver), Bob and Carol.
        let answer = app.kudos("<!subteam^S07DEVS|@devs> <@U07ANA0001> #values thanks for the release").await;
        assert_eq!(answer["response_type"], "in_channel", "{answer}");
        let lookups = app.slack.calls_to("usergroups.users.list");
        assert_eq!(lookups.len(), 1);
        assert_eq!(lookups[0].body["usergroup"], "S07DEVS");
        let (_, page) = app.api("/api/v1/kudos").await;
        assert_eq!(page["items"][0]["recipients"], serde_json::json!(["U07ANA0001", "U07BOB0002", "U07CAROL03"]));
        assert!(!all_text(&answer).contains("<!subteam"), "{answer}");
        app.slack.wait_for("chat.postMessage", 3).await;
        // Slack failing to say who is in a group: refused, nothing recorded, the text kept.
        app.slack.script("usergroups.users.list", vec![Scripted::Error("no_such_subteam")]);
        let refused = app.kudos("<!subteam^S07GONE|@gone> #values thanks").await;
        let text = refused["text"].as_str().unwrap();
        assert!(text.starts_with("I couldn't record that kudos:\n• I couldn't find out who is in @gone just now"), "{text}");
        let (_, page) = app.api("/api/v1/kudos").await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
    }

    async fn the_fixture_command_without_a_tag_is_explained(backend: Backend) {
        // slash_command.txt as Slack sends it: "<@U07BOB0002|bob> thanks for pairing on the release :tada:".
        let Some(app) = TestApp::spawn(backend).await else { return };
        let response = app.post_signed("/slack/commands", "application/x-www-form-urlencoded", &fixture("slash_command.txt")).await;
        assert_eq!(response.status(), 200);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["response_type"], "ephemeral");
        assert!(answer["text"].as_str().unwrap().contains("Add at least one competency tag"));
    }
}

#[tokio::test]
async fn the_competency_tag_can_be_made_optional() {
    let options = Options {
        extra: |s| s.require_competency_tag = Some(false),
        ..Options::default()
    };
    let app = TestApp::spawn_with(Backend::Sqlite, options).await.unwrap();
    let answer = app
        .kudos("<@U07BOB0002|bob> thanks for pairing on the release :tada:")
        .await;
    assert_eq!(answer["response_type"], "in_channel", "{answer}");
}

#[tokio::test]
async fn the_ssl_check_probe_gets_200() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let response = app
        .post_signed(
            "/slack/commands",
            "application/x-www-form-urlencoded",
            &fixture("slash_command_ssl_check.txt"),
        )
        .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn growth_help_and_unknown_commands_answer_ephemerally() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let help = app.command("/growth", "help", "U07ALICE01").await;
    assert_eq!(help["response_type"], "ephemeral");
    assert!(help["text"].as_str().unwrap().contains("/kudos @person"));
    let other = app.command("/other", "x", "U07ALICE01").await;
    assert!(other["text"]
        .as_str()
        .unwrap()
        .contains("doesn't handle `/other`"));
}

#[tokio::test]
async fn a_store_failure_tells_the_giver_and_keeps_their_text() {
    let mut app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    // Make the database unwritable underneath the running app.
    let path = app.db.url.trim_start_matches("sqlite://").to_owned();
    let store = app.store();
    drop(store);
    let conn = rusqlite_like_lock(&path).await;
    let answer = app.kudos(EXAMPLE).await;
    drop(conn);
    assert_eq!(answer["response_type"], "ephemeral", "{answer}");
    let text = answer["text"].as_str().unwrap();
    // Either the write failed in time, or it was still waiting when Slack's deadline came.
    assert!(
        text.contains("couldn't record that kudos")
            || text.contains("can't confirm it was recorded"),
        "{text}"
    );
    assert!(
        text.contains("#technical #mentoring paired with me"),
        "{text}"
    );
    app.stop().await;
}

/// Holds an exclusive lock on the SQLite file so the app's writes time out. The app's own
/// workers (the scheduler's first pass, the outbox) may be writing as it is asked for: it waits
/// for them rather than failing.
async fn rusqlite_like_lock(path: &str) -> sqlx::SqliteConnection {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{path}"))
        .await
        .unwrap();
    conn.execute("PRAGMA busy_timeout = 10000; BEGIN EXCLUSIVE")
        .await
        .unwrap();
    conn
}
