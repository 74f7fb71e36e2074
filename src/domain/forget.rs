//! "Forget me": what erasing a person takes away, reported back to them so they can see it.

/// What forgetting a person removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Forgotten {
    /// Kudos they received (the kudos itself is gone when they were its only receiver).
    pub kudos_received: u64,
    /// Kudos they gave, kept for their receivers from "a former teammate".
    pub kudos_given: u64,
    pub evidence: u64,
    /// Messages to or about them, sent or waiting.
    pub messages: u64,
}
