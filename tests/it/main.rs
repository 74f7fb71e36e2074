//! Cairn's integration tests: one binary, one module per area, sharing the fake Slack and the
//! helpers in `common`. Each `both_backends!` test runs on SQLite and on PostgreSQL.

#[macro_use]
mod common;

mod api;
mod architecture;
mod browser;
mod cli;
mod crash;
mod deploy;
mod digests;
mod events;
mod faults;
mod forget;
mod frameworks;
mod growth;
mod home;
mod insight;
mod interactivity;
mod kudos;
mod manifest;
mod oauth;
mod org;
mod outbox;
mod outbox_admin;
mod outbox_calls;
mod parsers;
mod people;
mod prompts;
mod reactions;
mod replicas;
mod security;
mod slack_client;
mod socket_mode;
mod store;
mod summary;
mod web;
mod workspaces;
