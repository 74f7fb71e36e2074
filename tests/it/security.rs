//! Every `/slack/*` route refuses unsigned, stale or tampered requests before parsing, and
//! records nothing; bodies over 1 MiB answer 413.

use crate::common::*;

const FORM: &str = "application/x-www-form-urlencoded";

async fn post(
    app: &TestApp,
    path: &str,
    ts: Option<String>,
    sig: Option<String>,
    body: &str,
) -> u16 {
    let mut request = app
        .http
        .post(app.url(path))
        .header("content-type", FORM)
        .body(body.to_owned());
    if let Some(ts) = ts {
        request = request.header("x-slack-request-timestamp", ts);
    }
    if let Some(sig) = sig {
        request = request.header("x-slack-signature", sig);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn bad_signatures_answer_401_and_record_nothing() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let body = slash_body(
        "/kudos",
        "<@U07ANA0001> #technical great review",
        "U07ALICE01",
    );
    let now = app.clock_ts();
    let sign = |ts: i64, body: &str| {
        cairn::slack::verify::sign(SECRET.as_bytes(), &ts.to_string(), body.as_bytes())
    };
    for path in ["/slack/commands", "/slack/events"] {
        // Stale and future by 301 s, each correctly signed for its own timestamp.
        assert_eq!(
            post(
                &app,
                path,
                Some((now - 301).to_string()),
                Some(sign(now - 301, &body)),
                &body
            )
            .await,
            401
        );
        assert_eq!(
            post(
                &app,
                path,
                Some((now + 301).to_string()),
                Some(sign(now + 301, &body)),
                &body
            )
            .await,
            401
        );
        // Timestamp moved after signing.
        assert_eq!(
            post(
                &app,
                path,
                Some((now + 10).to_string()),
                Some(sign(now, &body)),
                &body
            )
            .await,
            401
        );
        // Body changed by one byte.
        let tampered = body.replace("great", "greaT");
        assert_eq!(
            post(
                &app,
                path,
                Some(now.to_string()),
                Some(sign(now, &body)),
                &tampered
            )
            .await,
            401
        );
        // Missing headers, other versions, not hex, wrong secret.
        assert_eq!(
            post(&app, path, None, Some(sign(now, &body)), &body).await,
            401
        );
        assert_eq!(
            post(&app, path, Some(now.to_string()), None, &body).await,
            401
        );
        assert_eq!(
            post(
                &app,
                path,
                Some(now.to_string()),
                Some(sign(now, &body).replace("v0=", "v1=")),
                &body
            )
            .await,
            401
        );
        assert_eq!(
            post(
                &app,
                path,
                Some(now.to_string()),
                Some(format!("v0={}", "g".repeat(64))),
                &body
            )
            .await,
            401
        );
        let other =
            cairn::slack::verify::sign(b"another-secret", &now.to_string(), body.as_bytes());
        assert_eq!(
            post(&app, path, Some(now.to_string()), Some(other), &body).await,
            401
        );
    }
    // Nothing was recorded or sent.
    let (_, page) = app.api("/api/v1/kudos?team=T07KUD0S01").await;
    assert_eq!(page["items"], serde_json::json!([]));
    assert!(app.slack.calls().is_empty());
    // Within the window either side it works.
    assert_eq!(
        post(
            &app,
            "/slack/commands",
            Some((now - 300).to_string()),
            Some(sign(now - 300, &body)),
            &body
        )
        .await,
        200
    );
    let (_, page) = app.api("/api/v1/kudos").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bodies_over_one_mebibyte_answer_413() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let huge = format!("text={}", "a".repeat(1024 * 1024 + 1));
    let response = app.post_signed("/slack/commands", FORM, &huge).await;
    assert_eq!(response.status(), 413);
    // Exactly 1 MiB is still read (and then judged on its signature).
    let limit = format!("text={}", "a".repeat(1024 * 1024 - 5));
    assert_eq!(
        app.post_signed("/slack/commands", FORM, &limit)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn api_bodies_up_to_sixteen_mebibytes_are_read_and_larger_ones_answer_413() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let huge = "a".repeat(16 * 1024 * 1024 + 1);
    let response = app
        .http
        .post(app.url("/api/v1/org"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    // An org chart of a few MiB (past axum's default 2 MiB) is read.
    let mut big = String::from("user_id,name,email,team,group,manager_id\n");
    while big.len() < 3 * 1024 * 1024 {
        big.push_str("U0NOBODY01,Nobody Atall,nobody@example.com,team,group,\n");
    }
    let response = app
        .http
        .post(app.url("/api/v1/org"))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "text/csv")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_ne!(response.status(), 413);
}

#[tokio::test]
async fn every_answer_carries_a_request_id() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let made = app.http.get(app.url("/healthz")).send().await.unwrap();
    let id = made.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let again = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_ne!(again.headers()["x-request-id"].to_str().unwrap(), id);
    // A caller's id (a load balancer's) is kept.
    let given = app
        .http
        .get(app.url("/readyz"))
        .header("x-request-id", "lb-42")
        .send()
        .await
        .unwrap();
    assert_eq!(given.headers()["x-request-id"], "lb-42");
}

#[tokio::test]
async fn the_api_is_off_without_a_token_and_locked_with_one() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            admin_token: false,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let response = app.http.get(app.url("/api/v1/kudos")).send().await.unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");

    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_eq!(
        app.http
            .get(app.url("/api/v1/kudos"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let wrong = app
        .http
        .get(app.url("/api/v1/kudos"))
        .bearer_auth("nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    assert_eq!(app.api("/api/v1/kudos").await.0, 200);
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    assert_eq!(
        app.http
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        app.http
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn metrics_show_requests_outbox_and_slack_calls() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.slack.script(
        "chat.postMessage",
        vec![Scripted::Error("channel_not_found")],
    );
    app.kudos("<@U07ANA0001> #technical thanks").await;
    app.slack.wait_for("chat.postMessage", 1).await;
    // The dead letter is recorded once the batch is finished.
    for _ in 0..100 {
        if app.store().outbox_counts().await.unwrap().dead == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let response = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    for needle in [
        "cairn_http_requests_total{route=\"/slack/commands\",status=\"200\"}",
        "cairn_http_request_duration_seconds_bucket{route=\"/slack/commands\",le=\"+Inf\"}",
        "cairn_outbox_messages{status=\"dead\"} 1",
        "cairn_outbox_messages{status=\"pending\"} 0",
        "cairn_outbox_deliveries_total{outcome=\"dead\"}",
        "cairn_slack_api_calls_total{method=\"chat.postMessage\",outcome=\"channel_not_found\"}",
        "cairn_slack_api_calls_total{method=\"users.info\",outcome=\"ok\"}",
        "cairn_slack_api_duration_seconds_count{method=\"conversations.open\"}",
        "# TYPE cairn_kudos_recorded_total counter",
    ] {
        assert!(text.contains(needle), "missing {needle} in\n{text}");
    }
    // Never a token or a message text.
    assert!(!text.contains(BOT_TOKEN) && !text.contains("thanks"));
}
