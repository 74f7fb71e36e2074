//! The Slack edge: request signatures, inbound payloads, the Web API client, Block Kit builders
//! (messages, modals, the home tab), mrkdwn and the app manifest. A leaf: it knows the domain and
//! nothing above it.

pub mod client;
pub mod home;
pub mod manifest;
pub mod messages;
pub mod modals;
pub mod mrkdwn;
pub mod payloads;
pub mod verify;
