//! `GET /api/v1/kudos`: filters, paging and errors, on both backends.

use crate::common::*;
use serde_json::Value;

async fn ids(app: &TestApp, query: &str) -> Vec<String> {
    let (status, page) = app.api(&format!("/api/v1/kudos{query}")).await;
    assert_eq!(status, 200, "{query}: {page}");
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["text"].as_str().unwrap().to_owned())
        .collect()
}

both_backends! {
    async fn filters_and_pages(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // alice -> ana, then a day later ana -> ben, then alice -> ben and ana.
        assert_eq!(app.command("/kudos", "<@U07ANA0001> #technical first", "U07ALICE01").await["response_type"], "in_channel");
        app.clock.advance(chrono::Duration::days(1));
        app.command("/kudos", "<@U07BEN0002> #values second", "U07ANA0001").await;
        app.clock.advance(chrono::Duration::days(1));
        app.command("/kudos", "<@U07BEN0002> <@U07ANA0001> #leadership third", "U07ALICE01").await;

        assert_eq!(ids(&app, "").await, ["third", "second", "first"]);
        assert_eq!(ids(&app, "?user=U07ANA0001&role=received").await, ["third", "first"]);
        assert_eq!(ids(&app, "?user=U07ANA0001&role=given").await, ["second"]);
        assert_eq!(ids(&app, "?user=U07ANA0001").await, ["third", "second", "first"]);
        assert_eq!(ids(&app, "?user=U07BEN0002&role=given").await, Vec::<String>::new());
        // Fixture clock: 2026-01-05 14:30:01 UTC, then +1 and +2 days.
        assert_eq!(ids(&app, "?from=2026-01-06").await, ["third", "second"]);
        assert_eq!(ids(&app, "?to=2026-01-06").await, ["second", "first"]);
        assert_eq!(ids(&app, "?from=2026-01-06&to=2026-01-06").await, ["second"]);
        assert_eq!(ids(&app, "?from=2026-01-06T14:30:01Z&to=2026-01-07T00:00:00Z").await, ["second"]);
        assert_eq!(ids(&app, "?team=T07KUD0S01").await.len(), 3);
        assert_eq!(ids(&app, "?team=TOTHER").await.len(), 0);

        // Paging: two, then one, then the cursor runs out.
        let (_, first) = app.api("/api/v1/kudos?limit=2").await;
        assert_eq!(first["items"].as_array().unwrap().len(), 2);
        let cursor = first["next_cursor"].as_str().expect("a next page").to_owned();
        let (_, second) = app.api(&format!("/api/v1/kudos?limit=2&cursor={cursor}")).await;
        assert_eq!(second["items"].as_array().unwrap().len(), 1);
        assert_eq!(second["items"][0]["text"], "first");
        assert_eq!(second["next_cursor"], Value::Null);

        let k = &first["items"][0];
        assert_eq!(k["recipients"], serde_json::json!(["U07BEN0002", "U07ANA0001"]));
        assert_eq!(k["competencies"], serde_json::json!(["leadership"]));
        assert_eq!(k["multiplier_kinds"], serde_json::json!([]));
    }

    async fn bad_parameters_say_what_to_fix(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        for (query, needle) in [
            ("?limit=0", "limit '0' must be a number from 1 to 200"),
            ("?limit=abc", "limit 'abc'"),
            ("?role=both&user=U1", "role 'both' must be received or given"),
            ("?role=given", "role needs user"),
            ("?from=last-week", "from 'last-week' must be a date"),
            ("?cursor=xyz", "cursor must be a next_cursor"),
        ] {
            let (status, body) = app.api(&format!("/api/v1/kudos{query}")).await;
            assert_eq!(status, 400, "{query}");
            assert_eq!(body["error"]["code"], "invalid_parameter");
            assert!(body["error"]["message"].as_str().unwrap().contains(needle), "{query}: {body}");
        }
    }
}

#[tokio::test]
async fn several_workspaces_need_a_team() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (_, empty) = app.api("/api/v1/kudos").await;
    assert_eq!(empty, serde_json::json!({"items": [], "next_cursor": null}));
    app.kudos("<@U07ANA0001> #technical one").await;
    let other = slash_body("/kudos", "<@U07ANA0001> #technical two", "U07ALICE01")
        .replace("T07KUD0S01", "T07OTHER01");
    app.post_signed(
        "/slack/commands",
        "application/x-www-form-urlencoded",
        &other,
    )
    .await;
    let (status, body) = app.api("/api/v1/kudos").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("T07KUD0S01, T07OTHER01"),
        "{body}"
    );
    assert_eq!(ids(&app, "?team=T07OTHER01").await, ["two"]);
}
