//! The Web API client against a fake Slack: the request shapes Slack expects, typed answers, paging,
//! and typed errors for 429, `ok: false`, 5xx and timeouts.

use crate::common::*;
use cairn::slack::client::{FileUpload, SlackClient, SlackError};
use secrecy::SecretString;
use serde_json::json;
use std::time::Duration;

fn client(slack: &FakeSlack) -> (SlackClient, SecretString) {
    (
        SlackClient::new(&slack.url, Duration::from_secs(2)),
        SecretString::from(BOT_TOKEN),
    )
}

#[tokio::test]
async fn every_method_sends_what_slack_expects() {
    let slack = FakeSlack::start().await;
    let (c, t) = client(&slack);
    assert_eq!(c.auth_test(&t).await.unwrap().user_id, "U07KUDOBOT");
    assert_eq!(
        c.conversations_open(&t, "U07ANA0001").await.unwrap(),
        "D07ANA0001"
    );
    let ts = c
        .chat_post_message(&t, "C1", "hi", &json!([]), "k1")
        .await
        .unwrap();
    assert!(!ts.is_empty());
    c.chat_post_ephemeral(&t, "C1", "U1", "psst", &json!([]))
        .await
        .unwrap();
    c.chat_update(&t, "C1", &ts, "edited", &json!([]))
        .await
        .unwrap();
    let link = c
        .chat_get_permalink(&t, "C07KUDOS01", "1767623405.000700")
        .await
        .unwrap();
    assert_eq!(
        link,
        "https://acme.slack.com/archives/C07KUDOS01/p1767623405000700"
    );
    let user = c.users_info(&t, "U07ALICE01").await.unwrap();
    assert_eq!(
        (user.id.as_str(), user.tz.as_deref(), user.is_bot),
        ("U07ALICE01", Some("Europe/Berlin"), false)
    );
    assert_eq!(
        c.usergroups_users_list(&t, "T07KUD0S01", "S07DEVS")
            .await
            .unwrap(),
        ["U07ALICE01", "U07BOB0002", "U07CAROL03"]
    );
    assert_eq!(
        c.views_open(&t, "trigger", &json!({"type": "modal"}))
            .await
            .unwrap(),
        "V07MODAL01"
    );
    c.views_update(&t, "V07MODAL01", &json!({"type": "modal"}))
        .await
        .unwrap();
    c.views_publish(&t, "U1", &json!({"type": "home"}))
        .await
        .unwrap();
    let upload = FileUpload {
        filename: "packet.csv",
        title: "Packet",
        bytes: b"a,b\n1,2\n",
    };
    assert_eq!(
        c.upload_files(&t, "C1", "here", &[upload]).await.unwrap(),
        ["F07FILE001"]
    );

    // Write methods go as JSON, read methods as form fields, all with the bot token.
    let calls = slack.calls();
    let by = |m: &str| calls.iter().find(|c| c.method == m).unwrap().clone();
    assert_eq!(by("chat.postMessage").body["channel"], "C1");
    assert_eq!(by("users.info").body["user"], "U07ALICE01");
    assert_eq!(
        by("chat.getPermalink").body["message_ts"],
        "1767623405.000700"
    );
    assert_eq!(by("files.getUploadURLExternal").body["length"], "8");
    assert_eq!(by("upload").body["length"], 8);
    assert_eq!(
        by("files.completeUploadExternal").body["files"][0]["id"],
        "F07FILE001"
    );
    assert_eq!(by("views.publish").body["user_id"], "U1");
    assert!(calls
        .iter()
        .filter(|c| c.method != "upload")
        .all(|c| c.auth.as_deref() == Some("Bearer xoxb-test-token")));
}

#[tokio::test]
async fn users_list_follows_the_cursor() {
    let slack = FakeSlack::start().await;
    let (c, t) = client(&slack);
    let members = c.users_list(&t).await.unwrap();
    let ids: Vec<&str> = members.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "USLACKBOT",
            "U07ALICE01",
            "U07BOB0002",
            "U07CAROL03",
            "U07DAVE004",
            "U07KUDOBOT",
            "U07GONE005"
        ]
    );
    let pages = slack.calls_to("users.list");
    assert_eq!(pages.len(), 2);
    assert_eq!(pages[1].body["cursor"], "dXNlcjpVMDdDQVJPTDAz");
    assert!(members.iter().any(|m| m.is_bot) && members.iter().any(|m| m.deleted));
}

#[tokio::test]
async fn failures_are_typed() {
    let slack = FakeSlack::start().await;
    let (c, t) = client(&slack);
    slack.script(
        "chat.postMessage",
        vec![
            Scripted::RateLimited(7),
            Scripted::Error("channel_not_found"),
            Scripted::Status(502),
            Scripted::Slow(Duration::from_secs(3)),
        ],
    );
    let blocks = json!([]);
    let post = || c.chat_post_message(&t, "C1", "hi", &blocks, "k1");
    match post().await {
        Err(SlackError::RateLimited { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(7))
        }
        other => panic!("{other:?}"),
    }
    match post().await {
        Err(e @ SlackError::Api { .. }) => {
            assert!(e.is_permanent() && e.to_string().contains("channel_not_found"))
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        post().await,
        Err(SlackError::Http { status: 502 })
    ));
    assert!(matches!(post().await, Err(SlackError::Timeout)));
    assert!(post().await.is_ok());
}

#[tokio::test]
async fn an_unreachable_slack_is_a_transport_error_without_the_token() {
    let (c, t) = (
        SlackClient::new("http://127.0.0.1:1/api/", Duration::from_secs(2)),
        SecretString::from(BOT_TOKEN),
    );
    match c.auth_test(&t).await {
        Err(e @ SlackError::Transport(_)) => assert!(!e.to_string().contains(BOT_TOKEN)),
        other => panic!("{other:?}"),
    }
}
