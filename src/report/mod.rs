//! What Cairn hands to people outside Slack's message format: the review packet (Markdown, CSV,
//! JSON) and the PNG chart of a person's spread across sphere levels.

pub mod chart;
pub mod json;
pub mod packet;
