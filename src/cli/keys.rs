//! `cairn keys generate` and `cairn keys rotate`: the key that seals stored bot tokens.

use crate::config::{Config, Input};
use crate::secrets::OpenError;
use clap::Subcommand;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Subcommand)]
pub enum Keys {
    /// Print a new random key (32 bytes, base64) for CAIRN_ENCRYPTION_KEY; needs no database
    Generate,
    /// Re-seal every stored bot token with CAIRN_ENCRYPTION_KEY (the new key)
    ///
    /// Tokens open with CAIRN_ENCRYPTION_KEY or with CAIRN_ENCRYPTION_KEY_PREVIOUS (the old keys,
    /// comma-separated). All or nothing: exits 1 and changes nothing if some token opens with
    /// none of them
    Rotate {
        #[command(flatten)]
        settings: Box<Input>,
    },
}

pub fn generate() -> ExitCode {
    println!("{}", crate::secrets::Key::generate());
    ExitCode::SUCCESS
}

/// Every stored token re-sealed with the current key, or none.
pub async fn rotate(config: Config) -> anyhow::Result<()> {
    let Some(keys) = &config.store.keys else {
        return Err(super::invalid(
            "CAIRN_ENCRYPTION_KEY is not set: set it to the new key (make one with `cairn keys generate`) \
             and CAIRN_ENCRYPTION_KEY_PREVIOUS to the old one"
                .into(),
        ));
    };
    let store = crate::store::connect(&config.store.database_url).await?;
    let already = AtomicU64::new(0);
    let reseal = |i: &crate::store::Installation| {
        match keys.reseal(&i.team_id, &i.bot_token_sealed) {
        Ok(None) => {
            already.fetch_add(1, Ordering::Relaxed);
            Ok(None)
        }
        Ok(Some(sealed)) => Ok(Some(sealed)),
        Err(OpenError::UnknownKey { key_id }) => Err(format!(
            "sealed with key {key_id}, which is neither CAIRN_ENCRYPTION_KEY nor in CAIRN_ENCRYPTION_KEY_PREVIOUS: \
             add the key that sealed it to CAIRN_ENCRYPTION_KEY_PREVIOUS"
        )),
        Err(e) => Err(e.to_string()),
    }
    };
    let result = store
        .reseal_installations(&reseal, chrono::Utc::now())
        .await;
    store.close().await;
    let resealed = result?;
    println!(
        "re-sealed {resealed} installation token(s) with key {}; {} already were",
        keys.current_id(),
        already.load(Ordering::Relaxed)
    );
    println!("once every replica runs with this key, CAIRN_ENCRYPTION_KEY_PREVIOUS can be unset");
    Ok(())
}
