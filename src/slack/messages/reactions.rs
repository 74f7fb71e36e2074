//! The DM asking a giver what their reaction kudos was for, and its answer.

use crate::domain::framework::Framework;
use crate::slack::modals::plain;
use serde_json::{json, Value};

/// Buttons of the "what was your reaction for?" DM: `tag_kudos:<competency>`.
pub const TAG_ACTION: &str = "tag_kudos";
/// Slack allows 25 elements in an actions block.
const MAX_BUTTONS: usize = 25;

/// The DM asking a giver what their reaction kudos was for: a button per competency, each
/// carrying the kudos' source key and the competency. `{ "text", "blocks" }`.
pub fn tag_question(framework: &Framework, key: &str, author: &str, emoji: &str) -> Value {
    let buttons: Vec<Value> = framework
        .competencies
        .iter()
        .filter(|c| !c.deprecated)
        .take(MAX_BUTTONS)
        .map(|c| {
            json!({
                "type": "button", "action_id": format!("{TAG_ACTION}:{}", c.id),
                "text": plain(&c.name),
                "value": format!("{key} {}", c.id),
            })
        })
        .collect();
    let text = format!("You gave <@{author}> kudos with :{emoji}:. What was it for? Pick one so it counts toward their growth.");
    json!({
        "text": text,
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": text } },
            { "type": "actions", "block_id": TAG_ACTION, "elements": buttons },
        ],
    })
}

/// The question once answered: the buttons give way to what the kudos now counts as.
pub fn tag_answered(competency: &str) -> Value {
    let text = format!(
        ":white_check_mark: Thanks: that kudos counts as *{}*.",
        super::mrkdwn::safe(competency)
    );
    json!({
        "text": text,
        "blocks": [{ "type": "section", "text": { "type": "mrkdwn", "text": text } }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_question_snapshot() {
        let f = Framework::load("matrix-3x3").unwrap();
        insta::assert_json_snapshot!(tag_question(
            &f,
            "reaction:C1:1.2:U07CAROL03",
            "U07BOB0002",
            "cairn"
        ));
    }
}
