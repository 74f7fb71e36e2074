//! Two `cairn serve` processes on one PostgreSQL database drain a shared outbox: every message is
//! delivered exactly once.

use crate::common::*;
use cairn::domain::ids::UserId;
use std::collections::HashSet;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_deliver_each_message_exactly_once() {
    let Some(db) = test_db(Backend::Postgres).await else {
        return;
    };
    let store = cairn::store::connect(&db.url).await.unwrap();
    let slack = FakeSlack::start().await;
    let (first, _) = serve(&db.url, &slack.url);
    let (second, _) = serve(&db.url, &slack.url);
    // 1,000 kudos with two receivers each: 2,000 DMs, enqueued while both replicas run.
    let writes = (0..1000).map(|i| {
        let store = store.clone();
        let recipients: Vec<UserId> = ["A", "B"]
            .iter()
            .map(|s| UserId::parse(&format!("U{i:04}{s}")).unwrap())
            .collect();
        let kudos = queued_kudos(i, recipients);
        tokio::spawn(async move { store.record_kudos(kudos).await.unwrap() })
    });
    for w in writes.collect::<Vec<_>>() {
        w.await.unwrap();
    }
    let mut delivered = Vec::new();
    for _ in 0..600 {
        delivered = slack.calls_to("chat.postMessage");
        if delivered.len() >= 2000 && store.outbox_counts().await.unwrap().sent == 2000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop(first);
    stop(second);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let delivered = slack
        .calls_to("chat.postMessage")
        .len()
        .max(delivered.len());
    let texts: HashSet<String> = slack
        .calls_to("chat.postMessage")
        .iter()
        .map(|c| c.body["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(texts.len(), 2000, "every message arrived");
    assert_eq!(delivered, 2000, "and none twice");
    assert_eq!(store.outbox_counts().await.unwrap().sent, 2000);
    store.close().await;
}
