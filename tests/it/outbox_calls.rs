//! Every kind of Slack call goes through the outbox: updates, reactions, ephemeral notes, the App
//! Home (coalesced, newest view wins) and file uploads. A process stopped (SIGTERM) or killed
//! (SIGKILL) while they are in flight delivers each after restart, and nothing that is not
//! idempotent twice.

use crate::common::*;
use cairn::store::{Action, Delivery, Store, UploadFile};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::time::Duration;

const TEAM: &str = "T07KUD0S01";
/// Rows of each kind; each to its own person or message, so channel pacing does not slow them.
const EACH: usize = 12;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn home(user: &str) -> Delivery {
    Delivery {
        slot: None,
        key: format!("home:{user}"),
        channel: user.into(),
        text: String::new(),
        blocks: serde_json::Value::Null,
        action: Action::Home,
    }
}

fn upload(user: &str) -> Delivery {
    Delivery {
        slot: None,
        key: format!("packet:{user}"),
        channel: user.into(),
        text: format!("the packet for {user}"),
        blocks: serde_json::Value::Null,
        action: Action::Upload {
            files: vec![UploadFile {
                filename: format!("packet-{user}.md"),
                title: "Review packet".into(),
                base64: "IyBSZXZpZXcgcGFja2V0Cg==".into(),
            }],
            ask_again: "/growth packet".into(),
        },
    }
}

/// One of each kind for person `i`: a home tab, an upload, an update, a reaction, a note.
fn one_of_each(i: usize) -> Vec<Delivery> {
    let user = format!("U{i:05}CALL");
    let channel = format!("D{i:05}CALL");
    let ts = format!("1767623405.{i:06}");
    vec![
        home(&user),
        upload(&user),
        Delivery::update(
            &channel,
            &ts,
            format!("answered {i}"),
            serde_json::json!([]),
        ),
        Delivery {
            slot: None,
            key: format!("kept:{ts}"),
            channel: channel.clone(),
            text: String::new(),
            blocks: serde_json::Value::Null,
            action: Action::React {
                ts: ts.clone(),
                name: "white_check_mark".into(),
            },
        },
        Delivery::ephemeral(
            format!("note:{i}"),
            &channel,
            &user,
            format!("note {i}"),
            serde_json::json!([]),
        ),
    ]
}

async fn enqueue_all(store: &dyn Store) {
    for i in 0..EACH {
        store
            .enqueue(TEAM, &one_of_each(i), Utc::now())
            .await
            .unwrap();
    }
}

/// How many times each key of `method` reached Slack, keyed by `field` of the call.
fn calls_by(
    slack: &FakeSlack,
    method: &str,
    field: fn(&serde_json::Value) -> String,
) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for call in slack.calls_to(method) {
        *counts.entry(field(&call.body)).or_default() += 1;
    }
    counts
}

async fn drained(store: &dyn Store) -> cairn::store::OutboxCounts {
    let mut counts = store.outbox_counts().await.unwrap();
    for _ in 0..600 {
        counts = store.outbox_counts().await.unwrap();
        if counts.pending == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    counts
}

/// What a drained outbox must have told Slack: every row, and an upload or note never twice.
fn assert_each_delivered(slack: &FakeSlack, exactly_once: bool) {
    let homes = calls_by(slack, "views.publish", |b| {
        b["user_id"].as_str().unwrap_or_default().to_owned()
    });
    let shared = calls_by(slack, "files.completeUploadExternal", |b| {
        b["initial_comment"].as_str().unwrap_or_default().to_owned()
    });
    let updates = calls_by(slack, "chat.update", |b| {
        b["ts"].as_str().unwrap_or_default().to_owned()
    });
    let reactions = calls_by(slack, "reactions.add", |b| {
        b["timestamp"].as_str().unwrap_or_default().to_owned()
    });
    let notes = calls_by(slack, "chat.postEphemeral", |b| {
        b["text"].as_str().unwrap_or_default().to_owned()
    });
    for (what, counts) in [
        ("home tabs", &homes),
        ("uploads", &shared),
        ("updates", &updates),
        ("reactions", &reactions),
        ("notes", &notes),
    ] {
        assert_eq!(
            counts.len(),
            EACH,
            "every one of the {what} reached Slack: {counts:?}"
        );
    }
    // A packet shared twice is a duplicate the person sees; the doubt check prevents it.
    assert!(
        shared.values().all(|n| *n == 1),
        "an upload shared twice: {shared:?}"
    );
    if exactly_once {
        for counts in [&homes, &updates, &reactions, &notes] {
            assert!(
                counts.values().all(|n| *n == 1),
                "sent twice after a clean stop: {counts:?}"
            );
        }
    }
}

both_backends! {
    async fn a_home_tab_row_keeps_only_the_newest_view_and_goes_again_when_changed_in_flight(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let store = cairn::store::connect(&db.url).await.unwrap();
        let t0 = at("2026-12-06T10:00:00Z");
        let update = |text: &str| Delivery::update("D1", "1.0", text.into(), serde_json::json!([]));
        store.enqueue(TEAM, &[update("first"), update("second")], t0).await.unwrap();
        store.enqueue(TEAM, &[update("third")], t0).await.unwrap();
        let rows = store.outbox_rows(TEAM).await.unwrap();
        assert_eq!(rows.len(), 1, "one row per message: {rows:?}");
        let claimed = store.claim_outbox("w1", t0, Duration::from_secs(15), 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].text, "third", "the newest text is the one delivered");
        assert_eq!(claimed[0].action, Action::Update { ts: "1.0".into() });
        // Changed while it is being delivered: once that delivery is recorded, it goes again.
        store.enqueue(TEAM, &[update("fourth")], t0).await.unwrap();
        let sent = cairn::store::Outcome::Sent { ts: "1.0".into() };
        store.outbox_finish("w1", t0, &[(claimed[0].id, sent.clone())]).await.unwrap();
        let again = store.claim_outbox("w1", t0, Duration::from_secs(15), 10).await.unwrap();
        assert_eq!(again.len(), 1, "the changed row stays pending");
        assert_eq!(again[0].text, "fourth");
        store.outbox_finish("w1", t0, &[(again[0].id, sent.clone())]).await.unwrap();
        assert!(store.claim_outbox("w1", t0, Duration::from_secs(15), 10).await.unwrap().is_empty());
        // Changed after it was sent: pending again, from scratch.
        store.enqueue(TEAM, &[update("fifth")], t0).await.unwrap();
        let later = store.claim_outbox("w1", t0, Duration::from_secs(15), 10).await.unwrap();
        assert_eq!((later[0].text.as_str(), later[0].attempts), ("fifth", 1));
        store.outbox_finish("w1", t0, &[(later[0].id, sent)]).await.unwrap();
        // Posts are not coalesced: a replayed key is dropped, the first text kept.
        let post = |text: &str| Delivery::post("dm:U1".into(), "U1".into(), text.into(), serde_json::json!([]));
        store.enqueue(TEAM, &[post("kept")], t0).await.unwrap();
        store.enqueue(TEAM, &[post("dropped")], t0).await.unwrap();
        let rows = store.outbox_rows(TEAM).await.unwrap();
        assert_eq!(rows.len(), 2, "{rows:?}");
        let posts = store.claim_outbox("w2", t0 + chrono::Duration::minutes(1), Duration::from_secs(15), 10).await.unwrap();
        assert_eq!(posts.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["kept"]);
        store.close().await;
    }

    async fn every_kind_of_call_is_delivered_after_a_sigkill(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let store = cairn::store::connect(&db.url).await.unwrap();
        enqueue_all(store.as_ref()).await;
        let slack = FakeSlack::start().await;
        // Slow, so the kill comes while calls are in flight.
        for method in ["views.publish", "files.completeUploadExternal", "chat.update", "reactions.add", "chat.postEphemeral"] {
            slack.set_latency(method, Duration::from_millis(300));
        }
        let (mut first, _) = serve(&db.url, &slack.url);
        slack.wait_for_n("files.completeUploadExternal", 2, Duration::from_secs(30)).await;
        first.kill().unwrap();
        first.wait().unwrap();
        assert!(store.outbox_counts().await.unwrap().pending > 0, "the kill must leave calls undelivered");
        // The restart takes the dead process's rows once their lease (15 s) runs out.
        let (second, _) = serve(&db.url, &slack.url);
        let counts = drained(store.as_ref()).await;
        stop(second);
        assert_eq!((counts.pending, counts.dead), (0, 0), "{counts:?}");
        assert_each_delivered(&slack, false);
        store.close().await;
    }

    async fn every_kind_of_call_is_delivered_once_after_a_sigterm(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let store = cairn::store::connect(&db.url).await.unwrap();
        enqueue_all(store.as_ref()).await;
        let slack = FakeSlack::start().await;
        for method in ["views.publish", "files.completeUploadExternal", "chat.update", "reactions.add", "chat.postEphemeral"] {
            slack.set_latency(method, Duration::from_millis(300));
        }
        let (first, _) = serve(&db.url, &slack.url);
        slack.wait_for_n("views.publish", 1, Duration::from_secs(30)).await;
        // A clean stop finishes the batch in hand and records it.
        stop(first);
        let (second, _) = serve(&db.url, &slack.url);
        let counts = drained(store.as_ref()).await;
        stop(second);
        assert_eq!((counts.pending, counts.dead), (0, 0), "{counts:?}");
        assert_each_delivered(&slack, true);
        store.close().await;
    }
}
