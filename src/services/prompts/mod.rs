//! Weekly reflection prompts, as a person meets them: the buttons of a prompt (Reflect,
//! Snooze, Skip), their own prompt settings, and a reply to a prompt kept as a reflection. The
//! scheduler pass that sends the prompts is `crate::nudges` (run by `jobs::scheduler`).

pub mod buttons;
pub mod replies;
pub mod settings;
