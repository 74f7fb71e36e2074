//! Socket Mode against a local fake of Slack's WebSocket: Cairn opens the connection it is given
//! by `apps.connections.open`, runs slash commands, interactions and events through the same
//! handlers as HTTP, acknowledges each envelope by id (with the handler's answer as payload
//! where Slack accepts one), and opens a new connection after a `disconnect` message or a
//! dropped connection. HTTP keeps serving health and still refuses unsigned Slack requests.

use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

type Socket = WebSocketStream<tokio::net::TcpStream>;

fn app_token(settings: &mut cairn::config::Input) {
    settings.slack_app_token = Some("xapp-1-A07KUDOAPP-test".into());
}

async fn accept(listener: &TcpListener) -> Socket {
    let (tcp, _) = tokio::time::timeout(Duration::from_secs(15), listener.accept())
        .await
        .expect("Cairn connects")
        .unwrap();
    let mut socket = tokio_tungstenite::accept_async(tcp).await.unwrap();
    socket
        .send(Message::Text(fixture("socket_mode_hello.json").into()))
        .await
        .unwrap();
    socket
}

/// Sends an envelope and waits for its acknowledgement.
async fn round_trip(socket: &mut Socket, envelope: &Value) -> Value {
    socket
        .send(Message::Text(envelope.to_string().into()))
        .await
        .unwrap();
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("an acknowledgement within Slack's 3 s (and some)")
            .unwrap()
            .unwrap();
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn envelopes_run_through_the_same_handlers_and_are_acknowledged_by_id() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            extra: app_token,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    app.slack
        .set_socket_url(&format!("ws://127.0.0.1:{port}/link/?ticket=t1"));
    let mut socket = accept(&listener).await;
    let opened = app.slack.calls_to("apps.connections.open");
    assert_eq!(
        opened.last().unwrap().auth.as_deref(),
        Some("Bearer xapp-1-A07KUDOAPP-test"),
        "the app-level token opens the connection"
    );

    // A slash command: the kudos is recorded and the answer rides on the acknowledgement.
    let mut command = fixture_json("socket_mode_slash_commands_envelope.json");
    command["payload"]["text"] =
        json!("<@U07BOB0002|bob> #technical thanks for pairing on the release");
    let ack = round_trip(&mut socket, &command).await;
    assert_eq!(
        ack["envelope_id"], "1d3c79ab-0ffb-41f3-a080-d19e85f53649",
        "{ack}"
    );
    assert_eq!(ack["payload"]["response_type"], "in_channel", "{ack}");
    let kudos = app
        .store()
        .list_kudos(&cairn::store::KudosQuery {
            team_id: "T07KUD0S01".into(),
            user: None,
            role: None,
            from: None,
            to: None,
            limit: 10,
            before_id: None,
            include_private: true,
        })
        .await
        .unwrap();
    assert_eq!(kudos.items.len(), 1);
    assert_eq!(kudos.items[0].recipients, vec!["U07BOB0002".to_owned()]);

    // A bad command gets its ephemeral refusal the same way.
    let mut bad = command.clone();
    bad["envelope_id"] = json!("e-bad");
    bad["payload"]["text"] = json!("#technical nobody named");
    let ack = round_trip(&mut socket, &bad).await;
    assert_eq!(ack["envelope_id"], "e-bad");
    assert_eq!(ack["payload"]["response_type"], "ephemeral", "{ack}");

    // An event: acknowledged, no payload (Slack accepts none), recorded by its id.
    let event = fixture_json("socket_mode_events_api_envelope.json");
    let ack = round_trip(&mut socket, &event).await;
    assert_eq!(
        ack,
        json!({ "envelope_id": "57d6a792-4d35-4d0b-b6aa-3361493e1caf" })
    );

    // An interaction: acknowledged by id.
    let interaction = fixture_json("socket_mode_interactive_envelope.json");
    let ack = round_trip(&mut socket, &interaction).await;
    assert_eq!(
        ack["envelope_id"], "08cfc559-d933-402e-a5c1-79e135afaae4",
        "{ack}"
    );

    // Slack asks for a new connection: Cairn opens one.
    socket
        .send(Message::Text(fixture("socket_mode_disconnect.json").into()))
        .await
        .unwrap();
    let mut second = accept(&listener).await;
    assert!(app.slack.calls_to("apps.connections.open").len() >= 2);
    let mut again = command.clone();
    again["envelope_id"] = json!("e-2");
    again["payload"]["text"] = json!("<@U07BOB0002|bob> #technical and for the review");
    assert_eq!(round_trip(&mut second, &again).await["envelope_id"], "e-2");

    // The connection drops without a word: Cairn opens another.
    drop(second);
    let mut third = accept(&listener).await;
    again["envelope_id"] = json!("e-3");
    assert_eq!(round_trip(&mut third, &again).await["envelope_id"], "e-3");

    // HTTP still serves health, and still refuses unsigned Slack requests.
    let health = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let unsigned = app
        .http
        .post(app.url("/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("command=%2Fkudos&text=hi")
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_mode_needs_no_signing_secret() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        Options {
            extra: |s| {
                app_token(s);
                s.slack_signing_secret = None;
            },
            ..Options::default()
        },
    )
    .await
    .unwrap();
    app.slack
        .set_socket_url(&format!("ws://127.0.0.1:{port}/link"));
    let mut socket = accept(&listener).await;
    let mut command = fixture_json("socket_mode_slash_commands_envelope.json");
    command["payload"]["text"] = json!("<@U07BOB0002|bob> #technical thanks for pairing");
    let ack = round_trip(&mut socket, &command).await;
    assert_eq!(ack["payload"]["response_type"], "in_channel", "{ack}");
    // Signed with the secret the tests usually use, HTTP is refused: there is none.
    let body = "command=%2Fkudos&text=hi";
    assert_eq!(
        app.post_signed("/slack/commands", "application/x-www-form-urlencoded", body)
            .await
            .status(),
        401
    );
}
