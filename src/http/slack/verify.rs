//! The extractor every `/slack/*` route uses: reads at most 1 MiB of raw body and checks Slack's
//! signature on those exact bytes before anything is parsed. Failures answer 401 (413 when too
//! big) and the handler never runs, so nothing is recorded.

use crate::http::AppState;
use crate::slack::verify::{self, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;

pub const MAX_BODY: usize = 1024 * 1024;

/// A request body whose Slack signature has been verified, with the request's headers.
pub struct SlackRequest {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl FromRequest<AppState> for SlackRequest {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let too_big = || (StatusCode::PAYLOAD_TOO_LARGE, "request body over 1 MiB").into_response();
        let declared = req
            .headers()
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > MAX_BODY) {
            return Err(too_big());
        }
        let (parts, body) = req.into_parts();
        let body = axum::body::to_bytes(body, MAX_BODY)
            .await
            .map_err(|_| too_big())?;
        // Over Cairn's own Socket Mode connection Slack signs nothing: the app-level token that
        // opened the socket is the proof. Requests from the network never carry this marker.
        if parts
            .extensions
            .get::<super::socket::ArrivedOverSocket>()
            .is_some()
        {
            return Ok(SlackRequest {
                headers: parts.headers,
                body,
            });
        }
        let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
        let now = state.services.clock.now().timestamp();
        let secret = state.signing_secret.expose_secret().as_bytes();
        if let Err(e) = verify::verify(
            secret,
            header(TIMESTAMP_HEADER),
            header(SIGNATURE_HEADER),
            &body,
            now,
        ) {
            tracing::warn!(reason = %e, "refused a Slack request");
            return Err((StatusCode::UNAUTHORIZED, "invalid Slack signature").into_response());
        }
        Ok(SlackRequest {
            headers: parts.headers,
            body,
        })
    }
}
