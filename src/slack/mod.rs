//! The Slack edge: request signatures, inbound payloads, the Web API client, Block Kit, mrkdwn and
//! the app manifest.

pub mod blocks;
pub mod client;
pub mod digests;
pub mod manifest;
pub mod mrkdwn;
pub mod payloads;
pub mod prompts;
pub mod summary;
pub mod verify;
pub mod views;
