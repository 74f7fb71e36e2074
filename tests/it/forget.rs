//! `/growth forget-me`: after a confirmation, nothing about the person is left in any table;
//! kudos they gave stay for their receivers, from "a former teammate".

use crate::common::*;
use serde_json::{json, Value};

const ALICE: &str = "U07ALICE01";

/// Every stored column that can hold a user id or text about one, with how many rows mention
/// `user` there.
async fn mentions(url: &str, backend: Backend, user: &str) -> Vec<(String, i64)> {
    let columns = [
        ("kudos", "giver"),
        ("kudos", "text"),
        ("kudos_recipients", "user_id"),
        ("evidence", "subject"),
        ("evidence", "author"),
        ("evidence", "text"),
        ("evidence_people", "user_id"),
        ("people", "user_id"),
        ("people", "manager_id"),
        ("summary_views", "subject"),
        ("summary_views", "viewer"),
        ("outbox", "channel"),
        ("outbox", "text"),
        ("outbox", "blocks"),
        ("outbox", "dedupe_key"),
    ];
    let mut found = Vec::new();
    for (table, column) in columns {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} LIKE '%{user}%'");
        let n: i64 = match backend {
            Backend::Sqlite => {
                let pool = sqlx::SqlitePool::connect(url).await.unwrap();
                let n = sqlx::query_scalar(&sql).fetch_one(&pool).await.unwrap();
                pool.close().await;
                n
            }
            Backend::Postgres => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                let n = sqlx::query_scalar(&sql).fetch_one(&pool).await.unwrap();
                pool.close().await;
                n
            }
        };
        found.push((format!("{table}.{column}"), n));
    }
    found
}

both_backends! {
    async fn forget_me_leaves_no_row_about_the_person(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        app.kudos("<@U07ANA0001> #values covered my on-call").await;
        app.command("/kudos", &format!("<@{ALICE}> <@U07CAROL03> #technical great pairing with <@{ALICE}> today"), "U07BOB0002").await;
        app.command("/kudos", &format!("<@{ALICE}> #leadership thanks"), "U07BOB0002").await;
        app.command("/growth", "log #technical helped <@U07ANA0001> with the migration", ALICE).await;
        app.command("/growth", &format!("log #values paired with <@{ALICE}> on the migration"), "U07ANA0001").await;
        // She manages Ana, looked at Ana's summary, and the API looked at hers.
        let person = |user: &str, manager: Option<&str>| cairn::store::OrgPerson {
            user_id: user.into(), name: None, email: None, team: Some("payments".into()), group: None, manager: manager.map(Into::into), ..Default::default()
        };
        app.store().import_org("T07KUD0S01", &[person(ALICE, None), person("U07ANA0001", Some(ALICE))], chrono::Utc::now()).await.unwrap();
        let seen = app.command("/growth", "summary <@U07ANA0001>", ALICE).await;
        assert!(seen["blocks"].is_array(), "{seen}");
        assert_eq!(app.api(&format!("/api/v1/people/{ALICE}/summary")).await.0, 200);
                // Her second DM waits for its channel's next slot.
        app.slack.wait_for("chat.postMessage", 3).await;
        app.clock.advance(chrono::Duration::seconds(2));
        app.slack.wait_for("chat.postMessage", 4).await;
        let before = mentions(&app.db.url, backend, ALICE).await;
        assert!(before.iter().filter(|(_, n)| *n > 0).count() >= 8, "{before:?}");

        // The command asks first.
        let answer = app.post_signed("/slack/commands", "application/x-www-form-urlencoded", &slash_body("/growth", "forget-me", ALICE)).await;
        assert_eq!(answer.status(), 200);
        let opened = app.slack.wait_for("views.open", 1).await;
        assert_eq!(opened[0].body["view"]["callback_id"], "forget_me");
        assert!(mentions(&app.db.url, backend, ALICE).await == before, "nothing is deleted before the confirmation");

        let mut payload = fixture_json("interactivity_view_submission.json");
        payload["view"]["callback_id"] = json!("forget_me");
        payload["view"]["state"]["values"] = json!({});
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        let response = app.post_signed("/slack/interactivity", "application/x-www-form-urlencoded", &body).await;
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["response_action"], "update");
        let said = answer["view"]["blocks"][0]["text"]["text"].as_str().unwrap();
        assert!(said.contains("your place in 2 kudos you received") && said.contains("1 pieces of your evidence") && said.contains("The 1 kudos you gave"), "{said}");

        let after = mentions(&app.db.url, backend, ALICE).await;
        assert!(after.iter().all(|(_, n)| *n == 0), "rows still mention the person: {after:?}");
        // What others hold stays, without her.
        let (_, page) = app.api("/api/v1/kudos").await;
        let items = page["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "the kudos only she received is gone: {items:?}");
        let shared = items.iter().find(|k| k["recipients"] == json!(["U07CAROL03"])).unwrap();
        assert_eq!(shared["text"], "great pairing with a former teammate today");
        let given = items.iter().find(|k| k["recipients"] == json!(["U07ANA0001"])).unwrap();
        assert_eq!(given["giver"], Value::Null);
        let anas = app.store().evidence_of("T07KUD0S01", "U07ANA0001", 10).await.unwrap();
        assert_eq!(anas[0].text, "paired with a former teammate on the migration");
        assert!(anas[0].people.is_empty());
    }
    async fn a_forgotten_person_is_no_longer_placed_by_the_org_chart(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        let chart = format!("user_id,name,email,team,group,manager_id,track,level\n{ALICE},,,payments,money,,,\nU07ANA0001,,,payments,money,,,\n");
        let (status, report) = app.post_org("text/csv", &chart).await;
        assert_eq!(status, 200, "{report}");
        app.command("/kudos", &format!("<@{ALICE}> #technical thanks for the review"), "U07ANA0001").await;
        let mut payload = fixture_json("interactivity_view_submission.json");
        payload["view"]["callback_id"] = json!("forget_me");
        payload["view"]["state"]["values"] = json!({});
        let body = serde_urlencoded::to_string([("payload", payload.to_string())]).unwrap();
        let response = app.post_signed("/slack/interactivity", "application/x-www-form-urlencoded", &body).await;
        assert_eq!(response.status(), 200);
        // Her place in the chart went with her, at once: a kudos she receives now is not `team`.
        app.command("/kudos", &format!("<@{ALICE}> #technical thanks again"), "U07ANA0001").await;
        let (status, summary) = app.api(&format!("/api/v1/people/{ALICE}/summary")).await;
        assert_eq!(status, 200, "{summary}");
        assert_eq!(summary["sphere"]["unknown"], 1, "{}", summary["sphere"]);
        assert_eq!(summary["sphere"]["team"], 0, "{}", summary["sphere"]);
    }
}
