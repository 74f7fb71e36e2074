//! Block Kit messages Cairn sends. Outbound types are strict: what we build is what Slack gets.

use super::mrkdwn;
use serde::Serialize;

/// Slack caps a section's text at 3,000 characters.
const SECTION_MAX: usize = 3000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// The plain fallback shown in notifications and by clients that cannot render blocks.
    pub text: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Section { text: Text },
    Context { elements: Vec<Text> },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Text {
    Mrkdwn { text: String },
}

fn section(text: String) -> Block {
    Block::Section {
        text: Text::Mrkdwn {
            text: mrkdwn::truncate(&text, SECTION_MAX),
        },
    }
}

fn context(text: String) -> Block {
    Block::Context {
        elements: vec![Text::Mrkdwn {
            text: mrkdwn::truncate(&text, SECTION_MAX),
        }],
    }
}

/// What a kudos looks like wherever it is shown. Ids are Slack ids; labels are already chosen
/// ("Technical skills", "Mentoring"); `message` is Slack wire text as the person typed it.
#[derive(Debug, Clone)]
pub struct KudosView<'a> {
    pub giver: &'a str,
    pub recipients: &'a [String],
    pub message: &'a str,
    /// (emoji, name) per competency then per multiplier kind.
    pub labels: &'a [(Option<String>, String)],
    pub channel: Option<&'a str>,
}

impl KudosView<'_> {
    fn people(&self) -> String {
        let names: Vec<String> = self.recipients.iter().map(|u| format!("<@{u}>")).collect();
        match names.as_slice() {
            [] => String::new(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
        }
    }

    fn tag_line(&self) -> String {
        self.labels
            .iter()
            .map(|(emoji, name)| match emoji {
                Some(e) => format!("{e} {}", mrkdwn::safe(name)),
                None => mrkdwn::safe(name),
            })
            .collect::<Vec<_>>()
            .join("  ·  ")
    }

    fn fallback(&self, lead: String) -> String {
        mrkdwn::truncate(
            &format!("{lead}: {}", mrkdwn::safe(self.message)),
            SECTION_MAX,
        )
    }

    /// The message the channel sees.
    pub fn announcement(&self) -> Message {
        let lead = format!("Kudos from <@{}> to {}", self.giver, self.people());
        let mut blocks = vec![
            section(format!(
                ":tada: *Kudos* from <@{}> to {}",
                self.giver,
                self.people()
            )),
            section(mrkdwn::safe(self.message)),
        ];
        if !self.labels.is_empty() {
            blocks.push(context(self.tag_line()));
        }
        Message {
            text: self.fallback(lead),
            blocks,
        }
    }

    /// The DM each recipient gets.
    pub fn direct_message(&self) -> Message {
        let place = self
            .channel
            .map(|c| format!(" in <#{c}>"))
            .unwrap_or_default();
        let lead = format!("<@{}> gave you kudos{place}", self.giver);
        let mut blocks = vec![
            section(format!(":tada: {lead}")),
            section(mrkdwn::safe(self.message)),
        ];
        let mut footer = self.tag_line();
        if self.recipients.len() > 1 {
            let with = format!("Shared with {}", self.people());
            footer = if footer.is_empty() {
                with
            } else {
                format!("{footer}  ·  {with}")
            };
        }
        if !footer.is_empty() {
            blocks.push(context(footer));
        }
        Message {
            text: self.fallback(lead),
            blocks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(
        recipients: &'a [String],
        labels: &'a [(Option<String>, String)],
        message: &'a str,
    ) -> KudosView<'a> {
        KudosView {
            giver: "U0ALICE",
            recipients,
            message,
            labels,
            channel: Some("C0KUDOS"),
        }
    }

    #[test]
    fn announcement_snapshot() {
        let r = ["U0ANA".to_string(), "U0BEN".to_string()];
        let l = [
            (Some(":wrench:".to_string()), "Technical skills".to_string()),
            (None, "Mentoring".to_string()),
        ];
        let msg = view(&r, &l, "paired on the &lt;flaky&gt; test <!channel>").announcement();
        insta::assert_json_snapshot!(msg);
    }

    #[test]
    fn dm_snapshot() {
        let r = [
            "U0ANA".to_string(),
            "U0BEN".to_string(),
            "U0CAT".to_string(),
        ];
        let l = [(Some(":seedling:".to_string()), "Values".to_string())];
        insta::assert_json_snapshot!(view(&r, &l, "thanks for covering on-call").direct_message());
    }

    #[test]
    fn long_messages_fit_slacks_limits() {
        let r = ["U0ANA".to_string()];
        let long = "x".repeat(5000);
        let msg = view(&r, &[], &long).announcement();
        let Block::Section {
            text: Text::Mrkdwn { text },
        } = &msg.blocks[1]
        else {
            panic!()
        };
        assert!(text.chars().count() <= SECTION_MAX);
        assert!(msg.text.chars().count() <= SECTION_MAX);
    }
}
