//! DMs survive Slack being slow, failing or rate-limiting, and the app restarting.

use crate::common::*;
use cairn::clock::Clock;
use cairn::store::Outcome;
use std::time::Duration;

async fn rows(app: &TestApp) -> Vec<cairn::store::OutboxRow> {
    app.store().outbox_rows("T07KUD0S01").await.unwrap()
}

/// Waits (at most 5 s) until the outbox rows satisfy `done`.
async fn wait_rows(
    app: &TestApp,
    done: impl Fn(&[cairn::store::OutboxRow]) -> bool,
) -> Vec<cairn::store::OutboxRow> {
    wait_rows_for(app, Duration::from_secs(5), done).await
}

async fn wait_rows_for(
    app: &TestApp,
    limit: Duration,
    done: impl Fn(&[cairn::store::OutboxRow]) -> bool,
) -> Vec<cairn::store::OutboxRow> {
    for _ in 0..limit.as_millis() / 20 {
        let r = rows(app).await;
        if done(&r) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "outbox never reached the expected state: {:?}",
        rows(app).await
    );
}

both_backends! {
    async fn rate_limits_wait_retry_after_then_deliver_once(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        app.slack.script("chat.postMessage", vec![Scripted::RateLimited(30)]);
        app.kudos("<@U07ANA0001> #technical thanks").await;
        let waiting = wait_rows(&app, |r| r.len() == 1 && r[0].last_error.is_some()).await;
        assert_eq!(waiting[0].status, "pending");
        assert!(waiting[0].last_error.as_deref().unwrap().contains("rate limited"), "{waiting:?}");
        // Not before Retry-After: 29 s later nothing more is sent.
        app.clock.advance(chrono::Duration::seconds(29));
        tokio::time::sleep(Duration::from_millis(1300)).await;
        assert_eq!(app.slack.calls_to("chat.postMessage").len(), 1);
        app.clock.advance(chrono::Duration::seconds(2));
        let sent = wait_rows(&app, |r| r[0].status == "sent").await;
        // A rate limit is Slack's pacing, not a failed attempt.
        assert_eq!(sent[0].attempts, 1);
        assert_eq!(app.slack.calls_to("chat.postMessage").len(), 2);
    }

    async fn three_429s_then_success_deliver_once_and_never_early(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        app.slack.script("chat.postMessage", vec![Scripted::RateLimited(2); 3]);
        app.kudos("<@U07ANA0001> #technical thanks").await;
        for round in 1..=3 {
            app.slack.wait_for("chat.postMessage", round).await;
            // The 429 is recorded (a deferral gives the claim's attempt back) before time moves.
            wait_rows(&app, |r| r[0].attempts == 0 && r[0].last_error.is_some()).await;
            // Not before Retry-After: a second later nothing more has been sent.
            app.clock.advance(chrono::Duration::seconds(1));
            tokio::time::sleep(Duration::from_millis(1200)).await;
            assert_eq!(app.slack.calls_to("chat.postMessage").len(), round, "sent early in round {round}");
            app.clock.advance(chrono::Duration::seconds(1));
        }
        let sent = wait_rows(&app, |r| r[0].status == "sent").await;
        assert_eq!(app.slack.calls_to("chat.postMessage").len(), 4);
        assert_eq!(sent[0].attempts, 1);
    }

    async fn a_busy_channel_is_paced_about_one_a_second(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // Three kudos to the same person: three DMs into one channel.
        for i in 0..3 {
            assert_eq!(app.kudos(&format!("<@U07ANA0001> #technical thanks {i}")).await["response_type"], "in_channel");
        }
        // The first goes at once, then one about every 1.1 s (55 a minute), never two in a second.
        for sent in 1..=3 {
            app.slack.wait_for("chat.postMessage", sent).await;
            tokio::time::sleep(Duration::from_millis(1300)).await;
            assert_eq!(app.slack.calls_to("chat.postMessage").len(), sent, "sent early");
            app.clock.advance(chrono::Duration::milliseconds(1100));
        }
        let rows = wait_rows(&app, |r| r.iter().all(|row| row.status == "sent")).await;
        assert!(rows.iter().all(|r| r.attempts == 1), "{rows:?}");
        // In order, and the DM was opened once.
        let texts: Vec<String> = app.slack.calls_to("chat.postMessage").iter().map(|c| c.body["text"].as_str().unwrap().to_owned()).collect();
        for (i, text) in texts.iter().enumerate() {
            assert!(text.ends_with(&format!("thanks {i}")), "{texts:?}");
        }
        assert_eq!(app.slack.calls_to("conversations.open").len(), 1);
    }

    async fn a_hot_channels_backlog_waits_in_the_database_until_its_turn(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        // Six kudos at once to the same person: each DM is written due at its own slot.
        for i in 0..6 {
            assert_eq!(app.kudos(&format!("<@U07ANA0001> #technical thanks {i}")).await["response_type"], "in_channel");
        }
        app.slack.wait_for("chat.postMessage", 1).await;
        let offsets: Vec<i64> = app
            .db
            .strings("SELECT CAST(not_before - created_at AS TEXT) FROM outbox ORDER BY id")
            .await
            .iter()
            .map(|o| o.parse().unwrap())
            .collect();
        assert_eq!(offsets[0], 0, "{offsets:?}");
        for pair in offsets.windows(2) {
            assert!((1000..1100).contains(&(pair[1] - pair[0])), "slots about 1.09 s apart: {offsets:?}");
        }
        // The worker keeps looking, but rows not yet due are never claimed, so never rewritten.
        let claimed = || app.db.strings("SELECT CAST(COUNT(*) AS TEXT) FROM outbox WHERE claimed_at IS NOT NULL");
        tokio::time::sleep(Duration::from_millis(1300)).await;
        assert_eq!(claimed().await, ["1"]);
        assert_eq!(app.slack.calls_to("chat.postMessage").len(), 1);
        // Each goes when its slot comes, once, in order.
        for sent in 2..=6 {
            app.clock.advance(chrono::Duration::milliseconds(1100));
            app.slack.wait_for("chat.postMessage", sent).await;
            assert_eq!(claimed().await, [sent.to_string()]);
        }
        let rows = wait_rows(&app, |r| r.iter().all(|row| row.status == "sent")).await;
        assert!(rows.iter().all(|r| r.attempts == 1), "{rows:?}");
        let texts: Vec<String> = app.slack.calls_to("chat.postMessage").iter().map(|c| c.body["text"].as_str().unwrap().to_owned()).collect();
        for (i, text) in texts.iter().enumerate() {
            assert!(text.ends_with(&format!("thanks {i}")), "{texts:?}");
        }
    }

    async fn a_run_of_server_errors_backs_off_longer_each_time_then_delivers_once(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        app.slack.script("chat.postMessage", vec![Scripted::Status(500), Scripted::Status(502), Scripted::Status(503)]);
        app.kudos("<@U07ANA0001> #technical thanks").await;
        // Back-off after the n-th failure is 2^n s plus up to 25 % jitter: 2, 4, 8 s.
        for (failures, wait, status) in [(1usize, 2i64, "500"), (2, 4, "502"), (3, 8, "503")] {
            // This failure's outcome is recorded (its own status in last_error) before time moves.
            let error = format!("Slack answered HTTP {status}");
            let row = wait_rows(&app, |r| r[0].last_error.as_deref() == Some(error.as_str())).await;
            assert_eq!(row[0].attempts, failures as i64);
            assert_eq!(row[0].status, "pending");
            // Not retried before the back-off has passed.
            app.clock.advance(chrono::Duration::milliseconds(wait * 1000 - 100));
            tokio::time::sleep(Duration::from_millis(1200)).await;
            assert_eq!(app.slack.calls_to("chat.postMessage").len(), failures, "retried early after {failures} failures");
            app.clock.advance(chrono::Duration::milliseconds(wait * 250 + 200));
            app.slack.wait_for("chat.postMessage", failures + 1).await;
        }
        let sent = wait_rows(&app, |r| r[0].status == "sent").await;
        assert_eq!(sent[0].attempts, 4);
        assert_eq!(app.slack.calls_to("chat.postMessage").len(), 4);
        // A 5xx may hide a message Slack posted anyway: each retry looked for it first.
        let lookups = app.slack.calls_to("conversations.history");
        assert_eq!(lookups.len(), 3);
        assert_eq!(lookups[0].body["include_all_metadata"], "true");
    }

    async fn server_errors_back_off_and_permanent_errors_park(backend: Backend) {
        let Some(app) = TestApp::spawn(backend).await else { return };
        app.slack.script("chat.postMessage", vec![Scripted::Status(503)]);
        app.slack.script("conversations.open", vec![Scripted::Error("user_not_found")]);
        // Bob's DM: conversations.open fails for good. Ana's: one 503, then fine.
        app.kudos("<@U07BOB0002> #technical thanks").await;
        let dead = wait_rows(&app, |r| r.len() == 1 && r[0].status == "dead").await;
        assert!(dead[0].last_error.as_deref().unwrap().contains("user_not_found"), "{dead:?}");
        app.kudos("<@U07ANA0001> #technical thanks").await;
        let retrying = wait_rows(&app, |r| r.len() == 2 && r[1].last_error.is_some()).await;
        assert_eq!(retrying[1].status, "pending");
        assert!(retrying[1].last_error.as_deref().unwrap().contains("503"));
        // Back-off after one failure is 2 to 2.5 s.
        app.clock.advance(chrono::Duration::seconds(3));
        let sent = wait_rows(&app, |r| r[1].status == "sent").await;
        assert_eq!(sent[0].status, "dead");
        assert_eq!(app.slack.calls_to("chat.postMessage").len(), 2);
    }

    async fn a_restart_loses_no_dm(backend: Backend) {
        let Some(mut app) = TestApp::spawn_with(backend, Options { bot_token: false, ..Options::default() }).await else { return };
        // No token: the kudos is recorded, its DMs wait.
        app.kudos("<@U07ANA0001> <@U07BEN0002> #values thanks for the cover").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(app.slack.calls().is_empty());
        app.stop().await;
        // Back with a token: both DMs go out, once each.
        app.start(Options::default()).await;
        let posts = app.slack.wait_for("chat.postMessage", 2).await;
        assert_eq!(posts.len(), 2);
        wait_rows(&app, |r| r.iter().all(|row| row.status == "sent")).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(app.slack.calls_to("chat.postMessage").len(), 2);
        let (_, page) = app.api("/api/v1/kudos").await;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
    }

    async fn a_crashed_workers_lease_expires_and_the_row_is_delivered(backend: Backend) {
        let Some(app) = TestApp::spawn_with(backend, Options { bot_token: false, ..Options::default() }).await else { return };
        app.kudos("<@U07ANA0001> #values thanks").await;
        let store = app.store();
        // A worker that claims and then dies holds the lease for 60 s.
        let now = app.clock.now();
        let claimed = store.claim_outbox("dead-worker", now, Duration::from_secs(60), 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert!(store.claim_outbox("other", now, Duration::from_secs(60), 10).await.unwrap().is_empty());
        let later = now + chrono::Duration::seconds(61);
        let reclaimed = store.claim_outbox("other", later, Duration::from_secs(60), 10).await.unwrap();
        assert_eq!(reclaimed.len(), 1);
        assert_eq!(reclaimed[0].attempts, 2);
        // The dead worker's late report is ignored: the row is the new owner's.
        let sent = |ts: &str| vec![(claimed[0].id, Outcome::Sent { ts: ts.into() })];
        store.outbox_finish("dead-worker", later, &sent("1.1")).await.unwrap();
        assert_eq!(rows(&app).await[0].status, "pending");
        store.outbox_finish("other", later, &sent("1.2")).await.unwrap();
        assert_eq!(rows(&app).await[0].slack_ts.as_deref(), Some("1.2"));
    }
}

#[tokio::test]
async fn a_post_that_times_out_after_slack_took_it_is_not_sent_twice() {
    // The client's timeout is 10 s; the fake posts the message, then answers after 11 s.
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    app.slack.script(
        "chat.postMessage",
        vec![Scripted::Slow(Duration::from_secs(11))],
    );
    app.kudos("<@U07ANA0001> #technical thanks").await;
    let timed_out = wait_rows_for(&app, Duration::from_secs(15), |r| {
        r.len() == 1 && r[0].last_error.is_some()
    })
    .await;
    assert!(
        timed_out[0]
            .last_error
            .as_deref()
            .unwrap()
            .contains("did not answer in time"),
        "{timed_out:?}"
    );
    app.clock.advance(chrono::Duration::seconds(3));
    let sent = wait_rows(&app, |r| r[0].status == "sent").await;
    // The retry found the copy by its dedupe key in the DM's history and kept its ts.
    let posts = app.slack.calls_to("chat.postMessage");
    assert_eq!(posts.len(), 1);
    let key = &posts[0].body["metadata"]["event_payload"]["key"];
    assert_eq!(key.as_str(), Some(sent[0].dedupe_key.as_str()));
    assert_eq!(app.slack.calls_to("conversations.history").len(), 1);
    assert!(sent[0].slack_ts.is_some());
}
