use super::AppState;
use axum::extract::State;
use axum::http::StatusCode;

pub async fn healthz() -> &'static str {
    "ok"
}

/// Prometheus text: the registry's counters and histograms, and the outbox depth read now.
pub async fn metrics(State(state): State<AppState>) -> impl axum::response::IntoResponse {
    let mut gauges = Vec::new();
    match state.services.outbox_counts().await {
        Ok(c) => {
            for (status, n) in [("pending", c.pending), ("sent", c.sent), ("dead", c.dead)] {
                gauges.push((
                    "cairn_outbox_messages",
                    vec![("status", status.to_owned())],
                    n as f64,
                ));
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: could not count the outbox"),
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        crate::metrics::render(&gauges),
    )
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.services.ready().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}
