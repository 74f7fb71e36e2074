//! The Slack edge: request signatures, inbound payloads, the Web API client, Block Kit and mrkdwn.

pub mod blocks;
pub mod client;
pub mod digests;
pub mod mrkdwn;
pub mod payloads;
pub mod prompts;
pub mod summary;
pub mod verify;
pub mod views;
