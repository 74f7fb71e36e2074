//! `cairn serve` and `cairn migrate`.

use crate::clock::SystemClock;
use crate::config::Config;
use std::sync::Arc;

/// Migrates, serves until SIGTERM or Ctrl-C, then stops gracefully.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let app = crate::app::start(config, Arc::new(SystemClock)).await?;
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests");
    app.shutdown();
    app.wait().await
}

pub async fn migrate(config: Config) -> anyhow::Result<()> {
    crate::app::migrate(&config).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
