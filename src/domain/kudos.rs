//! `/kudos` text → a checked draft, or every problem with what to fix.
//!
//! Grammar (contracts.md): mentions and `#tags` may appear anywhere; the message is what remains.
//! Mentions at the start or end of the text are taken out of the message; a mention inside a
//! sentence ("thanks to @ana for…") stays in it, and still counts as a recipient.

use super::growth::Visibility;
use super::ids::{UserGroupId, UserId};
use super::markup::{self, Token};
use super::tags::{TagIndex, TagTarget, UnknownTag};
use chrono::{DateTime, Utc};
use std::fmt;

pub const MAX_RECIPIENTS: usize = 20;
pub const MAX_MESSAGE_CHARS: usize = 3000;

#[derive(Debug, Clone, Copy)]
pub struct KudosRules {
    /// Whether at least one competency tag is required (a workspace setting, default on).
    pub require_competency: bool,
}

impl Default for KudosRules {
    fn default() -> Self {
        Self {
            require_competency: true,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KudosDraft {
    pub recipients: Vec<UserId>,
    pub competencies: Vec<String>,
    pub multiplier_kinds: Vec<String>,
    /// The message in wire form (Slack markup, entities escaped), tags and edge mentions removed.
    pub message: String,
    /// Things to tell the giver, e.g. that a tag is retired and what it counted as.
    pub notes: Vec<String>,
    /// User groups mentioned (`<!subteam^S…|@team>`), with their labels: their members are
    /// added to the recipients by `add_group_members` once Slack has said who they are.
    pub groups: Vec<(UserGroupId, Option<String>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    NoRecipient,
    SelfKudos,
    TooManyRecipients(usize),
    /// A mentioned user group has more members than a kudos may name.
    GroupTooBig {
        label: String,
        members: usize,
    },
    /// Slack could not say who is in a mentioned user group.
    GroupUnknown {
        label: String,
    },
    UnknownTag(UnknownTag),
    ChannelLinkWithoutName,
    MissingCompetency {
        valid: Vec<String>,
    },
    EmptyMessage,
    MessageTooLong(usize),
    Bot(UserId),
    Deactivated(UserId),
}

/// Everything wrong with one `/kudos`, in the order a person would fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub problems: Vec<Problem>,
    /// Every valid tag, for the help line.
    pub valid_tags: Vec<String>,
}

pub fn parse(
    giver: &UserId,
    wire: &str,
    tags: &TagIndex,
    rules: KudosRules,
) -> Result<KudosDraft, Rejected> {
    let Scan {
        recipients,
        groups,
        competencies,
        kinds,
        mut problems,
        message,
        notes,
        text,
    } = scan(wire, tags);

    let mut ordered = Vec::new();
    if recipients.is_empty() && groups.is_empty() {
        ordered.push(Problem::NoRecipient);
    }
    if recipients.contains(giver) {
        ordered.push(Problem::SelfKudos);
    }
    if recipients.len() > MAX_RECIPIENTS {
        ordered.push(Problem::TooManyRecipients(recipients.len()));
    }
    ordered.append(&mut problems);
    check_tags_and_message(&mut ordered, &competencies, &message, &text, tags, rules);

    if ordered.is_empty() {
        Ok(KudosDraft {
            recipients,
            competencies,
            multiplier_kinds: kinds,
            message: text,
            notes,
            groups,
        })
    } else {
        Err(Rejected {
            problems: ordered,
            valid_tags: tags.valid_tags().to_vec(),
        })
    }
}

/// What a command's text holds: mentions, tags (resolved), and the message that remains.
struct Scan {
    recipients: Vec<UserId>,
    groups: Vec<(UserGroupId, Option<String>)>,
    competencies: Vec<String>,
    kinds: Vec<String>,
    problems: Vec<Problem>,
    message: Vec<Token>,
    notes: Vec<String>,
    /// The message in wire form.
    text: String,
}

fn scan(wire: &str, tags: &TagIndex) -> Scan {
    let mut recipients: Vec<UserId> = Vec::new();
    let mut groups: Vec<(UserGroupId, Option<String>)> = Vec::new();
    let mut competencies: Vec<String> = Vec::new();
    let mut kinds: Vec<String> = Vec::new();
    let mut problems: Vec<Problem> = Vec::new();
    let mut message: Vec<Token> = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    let mut tag = |name: &str, problems: &mut Vec<Problem>| match tags.resolve(name) {
        Ok(target) => {
            match target {
                TagTarget::Competency(id) => push_unique(&mut competencies, id.clone()),
                TagTarget::MultiplierKind(id) => push_unique(&mut kinds, id.clone()),
            }
            if let Some(note) = tags.retired_note(name) {
                push_unique(&mut notes, note.to_owned());
            }
        }
        Err(unknown) => {
            let already = problems
                .iter()
                .any(|p| matches!(p, Problem::UnknownTag(u) if u.tag == unknown.tag));
            if !already {
                problems.push(Problem::UnknownTag(unknown));
            }
        }
    };

    for token in markup::tokenize(wire) {
        match token {
            Token::User { ref id, .. } => {
                push_unique(&mut recipients, id.clone());
                message.push(token);
            }
            Token::UserGroup { id, label } => {
                if !groups.iter().any(|(g, _)| *g == id) {
                    groups.push((id, label));
                }
            }
            // A channel link Slack made of a typed `#tag`; one whose name holds no word
            // (`<#C1|#>`) cannot be read as a tag.
            Token::Channel {
                name: Some(name), ..
            } if !name.trim().trim_start_matches('#').trim().is_empty() => {
                tag(&name, &mut problems)
            }
            Token::Channel { .. } => {
                if !problems.contains(&Problem::ChannelLinkWithoutName) {
                    problems.push(Problem::ChannelLinkWithoutName);
                }
            }
            Token::Text(text) => {
                let (rest, found) = take_hashtags(&text);
                for name in found {
                    tag(&name, &mut problems);
                }
                message.push(Token::Text(rest));
            }
            other => message.push(other),
        }
    }

    trim_edges(&mut message);
    let text = markup::to_wire(&message);
    Scan {
        recipients,
        groups,
        competencies,
        kinds,
        problems,
        message,
        notes,
        text,
    }
}

/// A piece of evidence a person logs about their own work: `/growth log #tags what I did`.
/// People mentioned are the ones it helped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDraft {
    pub people: Vec<UserId>,
    pub competencies: Vec<String>,
    pub multiplier_kinds: Vec<String>,
    pub message: String,
    pub notes: Vec<String>,
}

pub fn parse_log(
    author: &UserId,
    wire: &str,
    tags: &TagIndex,
    rules: KudosRules,
) -> Result<LogDraft, Rejected> {
    let Scan {
        recipients,
        competencies,
        kinds,
        mut problems,
        message,
        notes,
        text,
        ..
    } = scan(wire, tags);
    check_tags_and_message(&mut problems, &competencies, &message, &text, tags, rules);
    if !problems.is_empty() {
        return Err(Rejected {
            problems,
            valid_tags: tags.valid_tags().to_vec(),
        });
    }
    Ok(LogDraft {
        people: recipients.into_iter().filter(|u| u != author).collect(),
        competencies,
        multiplier_kinds: kinds,
        message: text,
        notes,
    })
}

/// The rules kudos and logged evidence share: a competency tag when the workspace requires
/// one (unless a tag is already refused), and a message of sensible length.
fn check_tags_and_message(
    problems: &mut Vec<Problem>,
    competencies: &[String],
    message: &[Token],
    text: &str,
    tags: &TagIndex,
    rules: KudosRules,
) {
    let has_tag_problem = problems
        .iter()
        .any(|p| matches!(p, Problem::UnknownTag(_) | Problem::ChannelLinkWithoutName));
    if rules.require_competency && competencies.is_empty() && !has_tag_problem {
        problems.push(Problem::MissingCompetency {
            valid: competency_tags(tags),
        });
    }
    if markup::to_plain(message).trim().is_empty() {
        problems.push(Problem::EmptyMessage);
    } else if text.chars().count() > MAX_MESSAGE_CHARS {
        problems.push(Problem::MessageTooLong(text.chars().count()));
    }
}

fn competency_tags(tags: &TagIndex) -> Vec<String> {
    tags.valid_tags()
        .iter()
        .filter(|t| matches!(tags.resolve(t), Ok(TagTarget::Competency(_))))
        .cloned()
        .collect()
}

/// What the kudos modal collected: people picked from a user select, tags from the framework's
/// options, and the message as plain text (not Slack markup).
#[derive(Debug, Clone, Default)]
pub struct KudosForm {
    pub recipients: Vec<UserId>,
    pub competencies: Vec<String>,
    pub multiplier_kinds: Vec<String>,
    pub message: String,
}

/// The modal's fields, so each problem is shown next to the one to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Recipients,
    Tags,
    Message,
}

/// The modal's version of `parse`: the same rules, each problem attached to its field.
pub fn check_form(
    giver: &UserId,
    form: KudosForm,
    rules: KudosRules,
) -> Result<KudosDraft, Vec<(Field, String)>> {
    let mut problems = Vec::new();
    let mut recipients = Vec::new();
    for r in form.recipients {
        push_unique(&mut recipients, r);
    }
    if recipients.is_empty() {
        problems.push((Field::Recipients, "Pick at least one person.".to_owned()));
    } else if recipients.contains(giver) {
        problems.push((
            Field::Recipients,
            "You can't give kudos to yourself. To keep a note of your own work, use /growth log."
                .to_owned(),
        ));
    } else if recipients.len() > MAX_RECIPIENTS {
        problems.push((
            Field::Recipients,
            format!(
                "That's {} people; a kudos can name at most {MAX_RECIPIENTS}.",
                recipients.len()
            ),
        ));
    }
    if rules.require_competency && form.competencies.is_empty() {
        problems.push((Field::Tags, "Pick at least one competency.".to_owned()));
    }
    let message = markup::escape_text(form.message.trim());
    if message.is_empty() {
        problems.push((Field::Message, "Say what they did.".to_owned()));
    } else if message.chars().count() > MAX_MESSAGE_CHARS {
        problems.push((
            Field::Message,
            format!(
                "That's {} characters; keep it under {MAX_MESSAGE_CHARS}.",
                message.chars().count()
            ),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(KudosDraft {
        recipients,
        competencies: form.competencies,
        multiplier_kinds: form.multiplier_kinds,
        message,
        notes: Vec::new(),
        groups: Vec::new(),
    })
}

/// Adds the members of the mentioned user groups (`members[i]` for `draft.groups[i]`, `None` if
/// Slack could not say) to the recipients, without the giver and without repeats. Refuses a
/// group that would take the kudos past the limit rather than picking people from it.
pub fn add_group_members(
    draft: &mut KudosDraft,
    giver: &UserId,
    members: &[Option<Vec<UserId>>],
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for ((id, label), members) in draft.groups.iter().zip(members) {
        let label = markup::escape_text(label.as_deref().unwrap_or(id.as_str()));
        let Some(members) = members else {
            problems.push(Problem::GroupUnknown { label });
            continue;
        };
        let others: Vec<&UserId> = members.iter().filter(|m| *m != giver).collect();
        if others.len() > MAX_RECIPIENTS {
            problems.push(Problem::GroupTooBig {
                label,
                members: others.len(),
            });
            continue;
        }
        for m in others {
            push_unique(&mut draft.recipients, m.clone());
        }
    }
    if problems.is_empty() && draft.recipients.len() > MAX_RECIPIENTS {
        problems.push(Problem::TooManyRecipients(draft.recipients.len()));
    }
    if problems.is_empty() && draft.recipients.is_empty() {
        problems.push(Problem::NoRecipient);
    }
    problems
}

/// What Slack says about a recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecipientFacts {
    pub is_bot: bool,
    pub deleted: bool,
}

/// Refuses bots and deactivated people among the recipients; unknown recipients pass (Slack
/// could not be asked in time, and a kudos must not be lost for that).
pub fn check_recipients(
    draft: &KudosDraft,
    facts: impl Fn(&UserId) -> Option<RecipientFacts>,
) -> Vec<Problem> {
    draft
        .recipients
        .iter()
        .filter_map(|u| match facts(u) {
            Some(RecipientFacts { is_bot: true, .. }) => Some(Problem::Bot(u.clone())),
            Some(RecipientFacts { deleted: true, .. }) => Some(Problem::Deactivated(u.clone())),
            _ => None,
        })
        .collect()
}

fn push_unique<T: PartialEq>(items: &mut Vec<T>, item: T) {
    if !items.contains(&item) {
        items.push(item);
    }
}

/// Takes `#word` tags out of literal text. A tag starts after the start or a non-word
/// character, begins with a letter, and runs over letters, digits, `_` and `-`.
/// `#1` or `C#` are left alone: they are text, not tags.
fn take_hashtags(text: &str) -> (String, Vec<String>) {
    let chars: Vec<char> = text.chars().collect();
    let mut rest = String::with_capacity(text.len());
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts_tag = chars[i] == '#'
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
            && chars.get(i + 1).is_some_and(|c| c.is_alphabetic());
        if !starts_tag {
            rest.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i + 1;
        let mut end = start;
        while end < chars.len() && (chars[end].is_alphanumeric() || matches!(chars[end], '_' | '-'))
        {
            end += 1;
        }
        // A trailing '-' is punctuation ("#technical-"), not part of the tag.
        let mut tag_end = end;
        while tag_end > start && chars[tag_end - 1] == '-' {
            tag_end -= 1;
        }
        found.push(chars[start..tag_end].iter().collect());
        // Swallow one following space so "a #tag b" reads "a b".
        i = if chars.get(end) == Some(&' ') && (rest.is_empty() || rest.ends_with(' ')) {
            end + 1
        } else {
            end
        };
    }
    (rest, found)
}

/// Drops mentions and blank text at both ends and collapses runs of spaces left by removed tags.
fn trim_edges(message: &mut Vec<Token>) {
    let blank_or_mention = |t: &Token| {
        matches!(t, Token::User { .. }) || matches!(t, Token::Text(s) if s.trim().is_empty())
    };
    while message.first().is_some_and(blank_or_mention) {
        message.remove(0);
    }
    while message.last().is_some_and(blank_or_mention) {
        message.pop();
    }
    for t in message.iter_mut() {
        if let Token::Text(s) = t {
            while s.contains("  ") {
                *s = s.replace("  ", " ");
            }
        }
    }
    if let Some(Token::Text(s)) = message.first_mut() {
        *s = s.trim_start().to_owned();
    }
    if let Some(Token::Text(s)) = message.last_mut() {
        *s = s.trim_end().to_owned();
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::NoRecipient => write!(
                f,
                "Mention at least one person with @ (Slack must turn it into a mention), e.g. `/kudos @ana #technical thanks for the review`."
            ),
            Problem::SelfKudos => write!(f, "You can't give kudos to yourself: take yourself out of the mentions. To keep a note of your own work, use `/growth log`."),
            Problem::TooManyRecipients(n) => write!(f, "That's {n} people; a kudos can name at most {MAX_RECIPIENTS}. Split it into smaller ones."),
            Problem::GroupTooBig { label, members } => write!(f, "{label} has {members} people besides you; a kudos can name at most {MAX_RECIPIENTS}. Mention the people themselves."),
            Problem::GroupUnknown { label } => write!(f, "I couldn't find out who is in {label} just now. Mention the people themselves, or try again."),
            Problem::UnknownTag(u) => {
                write!(f, "I don't know the tag #{}.", u.tag)?;
                match u.suggestions.as_slice() {
                    [] => Ok(()),
                    [one] => write!(f, " Did you mean #{one}?"),
                    many => write!(f, " Did you mean {}?", many.iter().map(|s| format!("#{s}")).collect::<Vec<_>>().join(", ")),
                }
            }
            Problem::ChannelLinkWithoutName => write!(f, "A tag arrived as a channel link I can't read: type the tag as plain text, e.g. #technical."),
            Problem::MissingCompetency { valid } => write!(
                f,
                "Add at least one competency tag: {}.",
                valid.iter().map(|s| format!("#{s}")).collect::<Vec<_>>().join(", ")
            ),
            Problem::EmptyMessage => write!(f, "Say what they did: add a message after the mentions and tags."),
            Problem::Bot(u) => write!(f, "<@{u}> is an app, not a person: kudos are for people."),
            Problem::Deactivated(u) => write!(f, "<@{u}> has left the workspace, so they can't receive kudos."),
            Problem::MessageTooLong(n) => write!(f, "The message is {n} characters long; keep it under {MAX_MESSAGE_CHARS}."),
        }
    }
}

impl Rejected {
    /// The ephemeral answer: every problem, the valid tags when a tag was wrong, and nothing else.
    pub fn explain(&self) -> String {
        self.explain_for("that kudos")
    }

    /// The explanation, naming what could not be recorded ("that evidence").
    pub fn explain_for(&self, what: &str) -> String {
        let mut out = format!("I couldn't record {what}:\n");
        for p in &self.problems {
            out.push_str("• ");
            out.push_str(&p.to_string());
            out.push('\n');
        }
        if self
            .problems
            .iter()
            .any(|p| matches!(p, Problem::UnknownTag(_)))
        {
            let list: Vec<String> = self.valid_tags.iter().map(|t| format!("#{t}")).collect();
            out.push_str(&format!("Valid tags: {}\n", list.join(" ")));
        }
        out.trim_end().to_owned()
    }
}

/// A kudos as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Kudos {
    pub id: i64,
    pub team_id: String,
    pub giver: String,
    pub recipients: Vec<String>,
    pub competencies: Vec<String>,
    pub multiplier_kinds: Vec<String>,
    pub text: String,
    pub channel_id: Option<String>,
    pub permalink: Option<String>,
    pub visibility: Visibility,
    pub framework_id: String,
    pub framework_version: String,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests;
