//! The binary is killed with SIGKILL while it delivers 500 DMs, then started again: every DM
//! arrives, and none twice, although the killed process had posted messages it never recorded.

use crate::common::*;
use cairn::domain::ids::UserId;
use std::collections::HashMap;
use std::time::Duration;

const MESSAGES: usize = 500;

/// Posts per dedupe key, from the metadata Cairn attaches to every message.
fn posts_by_key(slack: &FakeSlack) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for call in slack.calls_to("chat.postMessage") {
        let key = call.body["metadata"]["event_payload"]["key"]
            .as_str()
            .unwrap()
            .to_owned();
        *counts.entry(key).or_default() += 1;
    }
    counts
}

both_backends! {
    async fn a_killed_process_delivers_everything_once_after_restart(backend: Backend) {
        let Some(db) = test_db(backend).await else { return };
        let store = cairn::store::connect(&db.url).await.unwrap();
        for i in 0..MESSAGES {
            // One receiver each, all different: no channel pacing slows the drain.
            let user = UserId::parse(&format!("U{i:05}K")).unwrap();
            store.record_kudos(queued_kudos(i, vec![user])).await.unwrap();
        }
        let slack = FakeSlack::start().await;
        // Slow enough that a batch is always part-way through when the kill comes.
        slack.set_latency("chat.postMessage", Duration::from_millis(100));
        let (mut first, _) = serve(&db.url, &slack.url);
        slack.wait_for_n("chat.postMessage", 100, Duration::from_secs(30)).await;
        first.kill().unwrap(); // SIGKILL: no shutdown, no outcome recorded for the batch in hand
        first.wait().unwrap();
        let posted_before = slack.calls_to("chat.postMessage").len();
        let recorded_before = store.outbox_counts().await.unwrap().sent as usize;
        assert!(recorded_before < posted_before, "the kill must leave posts unrecorded ({recorded_before} recorded of {posted_before})");

        // The restarted process takes the dead one's rows once their lease (15 s) runs out.
        let (second, _) = serve(&db.url, &slack.url);
        let mut sent = 0;
        for _ in 0..600 {
            sent = store.outbox_counts().await.unwrap().sent as usize;
            if sent == MESSAGES {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop(second);
        assert_eq!(sent, MESSAGES, "every DM delivered");
        let counts = posts_by_key(&slack);
        assert_eq!(counts.len(), MESSAGES, "every DM reached Slack");
        let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "posted more than once: {twice:?}");
        // The rows the dead process left in doubt were looked up, not blindly re-sent.
        assert!(!slack.calls_to("conversations.history").is_empty());
        store.close().await;
    }
}
