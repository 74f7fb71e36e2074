//! Background work. Each worker can be stepped (`run_once`) by tests and the CLI.

pub mod outbox;
pub mod scheduler;
