//! Slack's endpoints: slash commands, events and interactivity, each verified before it is
//! parsed (`verify.rs`), whether it came over HTTP or Socket Mode (`socket.rs`, which hands the
//! same request to the same router).

pub mod commands;
pub mod events;
pub mod interactivity;
mod modals;
pub mod socket;
mod verify;

pub use verify::SlackRequest;
