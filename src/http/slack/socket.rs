//! Socket Mode: Slack sends events, slash commands and interactions over a WebSocket that Cairn
//! opens (`apps.connections.open` with the app-level token), so Cairn needs no public URL.
//!
//! Each envelope is turned into the HTTP request Slack would have sent and run through the same
//! router, marked as arriving over the socket instead of carrying a signature; the handler's
//! answer becomes the acknowledgement's payload. One dispatch path, two transports.
//!
//! Acknowledgements go out as soon as the handler answers (handlers answer within Slack's 3 s
//! and do slow work afterwards). A `disconnect` message or a dropped connection makes Cairn open
//! a new one, with back-off while Slack or the network fails. An envelope whose acknowledgement
//! was lost with its connection is sent again by Slack; events are recorded by id, so a retry
//! changes nothing.

use crate::slack::client::{SlackClient, SlackError};
use axum::body::Body;
use axum::http::{header, Request};
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use secrecy::SecretString;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

/// Marks a request as coming over Cairn's own Socket Mode connection: Slack authenticated it
/// (the app-level token opened the socket), so it carries no signature. Only this module
/// inserts it; a request from the network cannot carry an extension.
#[derive(Debug, Clone, Copy)]
pub struct ArrivedOverSocket;

const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

pub struct SocketMode {
    pub slack: SlackClient,
    pub app_token: SecretString,
    pub router: Router,
}

impl SocketMode {
    /// Keeps a connection open until cancelled.
    pub async fn run(self, cancel: CancellationToken) {
        let mut backoff = FIRST_BACKOFF;
        loop {
            let outcome = tokio::select! {
                _ = cancel.cancelled() => return,
                outcome = self.connect_once(&cancel) => outcome,
            };
            let wait = match outcome {
                Ok(Ended::Disconnect(reason)) => {
                    tracing::info!(%reason, "Slack asked for a new Socket Mode connection");
                    backoff = FIRST_BACKOFF;
                    Duration::ZERO
                }
                Ok(Ended::Closed) => {
                    tracing::warn!("the Socket Mode connection closed; opening another");
                    backoff = FIRST_BACKOFF;
                    FIRST_BACKOFF
                }
                Ok(Ended::Cancelled) => return,
                Err(e) => {
                    tracing::warn!(error = %e, wait_s = backoff.as_secs(), "Socket Mode connection failed; retrying");
                    let wait = backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                    wait
                }
            };
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Opens one connection and serves it until it ends.
    async fn connect_once(&self, cancel: &CancellationToken) -> Result<Ended, String> {
        let url = open_url(&self.slack, &self.app_token)
            .await
            .map_err(|e| format!("apps.connections.open: {e}"))?;
        let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
            .await
            .map_err(|e| format!("connecting the WebSocket: {e}"))?;
        let (mut sink, mut stream) = socket.split();
        let (acks, mut to_send) = mpsc::channel::<Message>(64);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => {
                    let _ = sink.send(Message::Close(None)).await;
                    return Ok(Ended::Cancelled);
                }
                Some(ack) = to_send.recv() => {
                    sink.send(ack).await.map_err(|e| format!("sending an acknowledgement: {e}"))?;
                }
                message = stream.next() => {
                    let text = match message {
                        None => return Ok(Ended::Closed),
                        Some(Err(e)) => return Err(format!("reading the WebSocket: {e}")),
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Close(_))) => return Ok(Ended::Closed),
                        // Pings are answered by the library; nothing else is expected.
                        Some(Ok(_)) => continue,
                    };
                    let Ok(message) = serde_json::from_str::<Value>(text.as_str()) else {
                        tracing::warn!("an unreadable Socket Mode message was ignored");
                        continue;
                    };
                    match message["type"].as_str() {
                        Some("hello") => tracing::info!("Socket Mode connected"),
                        Some("disconnect") => {
                            let reason = message["reason"].as_str().unwrap_or("unknown").to_owned();
                            return Ok(Ended::Disconnect(reason));
                        }
                        _ => {
                            if let Some(envelope) = Envelope::read(&message) {
                                let router = self.router.clone();
                                let acks = acks.clone();
                                tokio::spawn(async move {
                                    let ack = envelope.dispatch(router).await;
                                    let _ = acks.send(Message::Text(ack.to_string().into())).await;
                                });
                            }
                        }
                    }
                }
            }
        }
    }
}

enum Ended {
    /// Slack said it will close this connection (e.g. `refresh_requested`).
    Disconnect(String),
    Closed,
    Cancelled,
}

async fn open_url(slack: &SlackClient, app_token: &SecretString) -> Result<String, SlackError> {
    let answer = slack
        .call_form(app_token, "apps.connections.open", &[])
        .await?;
    answer["url"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| SlackError::Transport("apps.connections.open gave no url".into()))
}

/// One envelope: what it carries and where Slack would have sent it over HTTP.
#[derive(Debug)]
pub struct Envelope {
    pub id: String,
    pub kind: String,
    pub payload: Value,
    pub accepts_response: bool,
}

/// The request Slack would have sent over HTTP for an envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OverHttp {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: String,
}

impl Envelope {
    /// Reads an envelope from a Socket Mode message; `None` when it carries no `envelope_id`
    /// (`hello`, `disconnect`, or something that is not an envelope at all).
    pub fn read(message: &Value) -> Option<Envelope> {
        Some(Envelope {
            id: message["envelope_id"].as_str()?.to_owned(),
            kind: message["type"].as_str().unwrap_or_default().to_owned(),
            payload: message["payload"].clone(),
            accepts_response: message["accepts_response_payload"] == true,
        })
    }

    /// The HTTP request Slack would have sent instead; `None` for a kind Cairn does not know.
    pub fn as_http(&self) -> Option<OverHttp> {
        const FORM: &str = "application/x-www-form-urlencoded";
        let (path, content_type, body) = match self.kind.as_str() {
            "slash_commands" => {
                let fields: Vec<(String, String)> = self
                    .payload
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .map(|(k, v)| {
                                (
                                    k.clone(),
                                    v.as_str().map_or_else(|| v.to_string(), str::to_owned),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (
                    "/slack/commands",
                    FORM,
                    serde_urlencoded::to_string(fields).unwrap_or_default(),
                )
            }
            "interactive" => (
                "/slack/interactivity",
                FORM,
                serde_urlencoded::to_string([("payload", self.payload.to_string())])
                    .unwrap_or_default(),
            ),
            "events_api" => (
                "/slack/events",
                "application/json",
                self.payload.to_string(),
            ),
            _ => return None,
        };
        Some(OverHttp {
            path,
            content_type,
            body,
        })
    }

    /// Runs the envelope through the router; the acknowledgement to send back.
    async fn dispatch(self, router: Router) -> Value {
        let Some(http) = self.as_http() else {
            tracing::info!(
                kind = %self.kind,
                "a Socket Mode envelope of an unknown kind was acknowledged"
            );
            return json!({ "envelope_id": self.id });
        };
        let request = Request::post(http.path)
            .header(header::CONTENT_TYPE, http.content_type)
            .body(Body::from(http.body));
        let Ok(mut request) = request else {
            return json!({ "envelope_id": self.id });
        };
        request.extensions_mut().insert(ArrivedOverSocket);
        let answer = match router.oneshot(request).await {
            Ok(r) => r,
            Err(never) => match never {},
        };
        let status = answer.status();
        let body = axum::body::to_bytes(answer.into_body(), 1024 * 1024)
            .await
            .unwrap_or_default();
        if !status.is_success() {
            tracing::warn!(%status, kind = %self.kind, "a Socket Mode envelope's handler failed");
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(payload) if self.accepts_response && status.is_success() && !payload.is_null() => {
                json!({ "envelope_id": self.id, "payload": payload })
            }
            _ => json!({ "envelope_id": self.id }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_are_read_from_slacks_own_examples() {
        let fixture = |name: &str| -> Value {
            let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
        };
        let e = Envelope::read(&fixture("socket_mode_slash_commands_envelope.json")).unwrap();
        assert_eq!(e.id, "1d3c79ab-0ffb-41f3-a080-d19e85f53649");
        assert_eq!(e.kind, "slash_commands");
        assert!(e.accepts_response);
        let e = Envelope::read(&fixture("socket_mode_events_api_envelope.json")).unwrap();
        assert_eq!(e.kind, "events_api");
        assert!(!e.accepts_response);
        assert!(Envelope::read(&fixture("socket_mode_hello.json")).is_none());
    }
}
