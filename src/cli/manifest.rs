//! `cairn manifest`: the shipped Slack app manifest with Cairn's URLs filled in; needs no
//! database and no Slack.

use clap::Args;
use std::process::ExitCode;

#[derive(Args)]
pub struct Manifest {
    /// Cairn's public base URL, e.g. https://cairn.example.com (https; http only for localhost)
    #[arg(long)]
    url: Option<String>,
    /// Socket Mode: no request URLs (Slack connects over a WebSocket; needs SLACK_APP_TOKEN)
    #[arg(long)]
    socket_mode: bool,
}

pub fn run(command: &Manifest) -> ExitCode {
    match crate::slack::manifest::render(command.url.as_deref(), command.socket_mode) {
        Ok(yaml) => {
            print!("{yaml}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cairn: {e}");
            ExitCode::from(super::USER_ERROR)
        }
    }
}
