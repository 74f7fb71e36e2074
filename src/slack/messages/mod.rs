//! Block Kit messages Cairn sends. Outbound types are strict: what we build is what Slack gets.

pub mod digests;
pub mod lens;
pub mod prompts;
pub mod reactions;
pub mod summary;
pub mod team;

use crate::domain::framework::Framework;
use crate::slack::mrkdwn;
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

pub(crate) fn section(text: String) -> Block {
    Block::Section {
        text: Text::Mrkdwn {
            text: mrkdwn::truncate(&text, SECTION_MAX),
        },
    }
}

impl Message {
    /// Adds a small line under the message (already safe mrkdwn).
    pub fn with_note(mut self, note: &str) -> Self {
        self.blocks.push(context(note.to_owned()));
        self
    }
}

/// The DM `/growth web` sends: a link to the review pages that signs its reader in once.
pub fn web_link(url: &str, minutes: i64) -> Message {
    let text = format!(
        ":books: Here is your link to Cairn's review pages: <{url}|open them in your browser>. It signs you in once, within {minutes} minutes, and only you should use it; ask `/growth web` again for a new one."
    );
    Message {
        blocks: vec![section(text.clone())],
        text,
    }
}

pub(crate) fn context(text: String) -> Block {
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

/// Plain text from a framework file, made safe to show in mrkdwn.
fn plain(text: &str) -> String {
    mrkdwn::safe(&crate::domain::markup::escape_text(text))
}

/// Slack allows 50 blocks a message; the rest of the framework is named in one line.
const MAX_COMPETENCY_BLOCKS: usize = 40;
const EXAMPLE_MAX: usize = 240;

/// `/growth framework`: the active framework's competencies, their tags and one example each.
pub fn framework_overview(framework: &Framework) -> Message {
    let about = &framework.about;
    let mut blocks = vec![section(format!(
        "*{}* (`{}` version {})\n{}",
        plain(&about.name),
        plain(&about.id),
        plain(&about.version),
        plain(&about.description)
    ))];
    let current: Vec<_> = framework
        .competencies
        .iter()
        .filter(|c| !c.deprecated)
        .collect();
    for c in current.iter().take(MAX_COMPETENCY_BLOCKS) {
        let emoji = c
            .emoji
            .as_deref()
            .map(|e| format!("{} ", plain(e)))
            .unwrap_or_default();
        let also: Vec<String> = c
            .tags
            .iter()
            .chain(&c.aliases)
            .filter(|t| t.as_str() != c.display_tag())
            .map(|t| format!("#{}", plain(t)))
            .collect();
        let mut text = format!("{emoji}*{}*  `#{}`", plain(&c.name), plain(c.display_tag()));
        if !also.is_empty() {
            text.push_str(&format!("  (also {})", also.join(" ")));
        }
        if !c.description.is_empty() {
            text.push_str(&format!("\n{}", plain(&c.description)));
        }
        if let Some(example) = c.example() {
            text.push_str(&format!(
                "\n_For example: {}_",
                mrkdwn::truncate(&plain(example), EXAMPLE_MAX)
            ));
        }
        blocks.push(section(text));
    }
    if current.len() > MAX_COMPETENCY_BLOCKS {
        let rest: Vec<String> = current[MAX_COMPETENCY_BLOCKS..]
            .iter()
            .map(|c| format!("`#{}`", plain(c.display_tag())))
            .collect();
        blocks.push(context(format!("Also: {}", rest.join(" "))));
    }
    let kinds: Vec<String> = framework
        .multiplier_kinds
        .iter()
        .filter(|m| !m.deprecated)
        .map(|m| format!("`#{}` {}", plain(m.display_tag()), plain(&m.name)))
        .collect();
    if !kinds.is_empty() {
        blocks.push(context(format!(
            "Ways of making others better, to tag too: {}",
            kinds.join("  ·  ")
        )));
    }
    blocks.push(context(
        "Use them like this: `/kudos @teammate #tag what they did`. `cairn framework show` prints the whole framework.".to_owned(),
    ));
    let tags: Vec<String> = current
        .iter()
        .map(|c| format!("#{}", c.display_tag()))
        .collect();
    Message {
        text: mrkdwn::truncate(
            &format!(
                "{}: competencies {}",
                plain(&about.name),
                plain(&tags.join(", "))
            ),
            SECTION_MAX,
        ),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framework_overview_snapshot() {
        let f = Framework::load("matrix-3x3").unwrap();
        let msg = framework_overview(&f);
        assert!(msg.blocks.len() <= 50);
        insta::assert_json_snapshot!(msg);
    }

    #[test]
    fn every_builtin_overview_fits_slack() {
        for id in crate::domain::framework::builtin_ids() {
            let msg = framework_overview(&Framework::load(id).unwrap());
            assert!(msg.blocks.len() <= 50, "{id}");
            let text = serde_json::to_string(&msg).unwrap();
            assert!(!text.contains("<!"), "{id}: no broadcast can slip through");
        }
    }

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
