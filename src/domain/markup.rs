//! The text markup people write in: Slack's wire format, where literal `&`, `<`, `>` arrive as
//! `&amp;`, `&lt;`, `&gt;` and references arrive as control sequences in angle brackets
//! (`<@U1|ana>`, `<#C1|general>`, `<!here>`, `<!subteam^S1|@team>`, `<https://x|label>`).
//!
//! Tokenizing once, losslessly, lets every consumer decide what a token may become: the kudos
//! parser takes mentions and tags out, the renderer escapes text and defuses broadcasts.

use super::ids::{ChannelId, UserGroupId, UserId};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// Literal text, entities decoded.
    Text(String),
    User {
        id: UserId,
        label: Option<String>,
    },
    Channel {
        id: ChannelId,
        name: Option<String>,
    },
    /// `<!here>`, `<!channel>`, `<!everyone>`: the word, lower-case.
    Broadcast(String),
    UserGroup {
        id: UserGroupId,
        label: Option<String>,
    },
    Link {
        url: String,
        label: Option<String>,
    },
}

/// Splits wire text into tokens. Never fails: anything unrecognised is kept as literal text.
pub fn tokenize(wire: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut text = String::new();
    let mut rest = wire;
    while let Some(start) = rest.find('<') {
        text.push_str(&decode_entities(&rest[..start]));
        let after = &rest[start + 1..];
        let control = after
            .find(['>', '<'])
            .filter(|&end| after.as_bytes()[end] == b'>')
            .and_then(|end| control_sequence(&after[..end]).map(|t| (t, end)));
        match control {
            Some((token, end)) => {
                if !text.is_empty() {
                    tokens.push(Token::Text(std::mem::take(&mut text)));
                }
                tokens.push(token);
                rest = &after[end + 1..];
            }
            None => {
                text.push('<');
                rest = after;
            }
        }
    }
    text.push_str(&decode_entities(rest));
    if !text.is_empty() {
        tokens.push(Token::Text(text));
    }
    tokens
}

fn control_sequence(inner: &str) -> Option<Token> {
    let (target, label) = match inner.split_once('|') {
        Some((t, l)) => (t, Some(decode_entities(l)).filter(|l| !l.is_empty())),
        None => (inner, None),
    };
    if let Some(id) = target.strip_prefix('@') {
        return UserId::parse(id).ok().map(|id| Token::User { id, label });
    }
    if let Some(id) = target.strip_prefix('#') {
        return ChannelId::parse(id)
            .ok()
            .map(|id| Token::Channel { id, name: label });
    }
    if let Some(special) = target.strip_prefix('!') {
        if let Some(id) = special.strip_prefix("subteam^") {
            return UserGroupId::parse(id)
                .ok()
                .map(|id| Token::UserGroup { id, label });
        }
        let word = special.to_ascii_lowercase();
        if matches!(word.as_str(), "here" | "channel" | "everyone") {
            return Some(Token::Broadcast(word));
        }
        // `<!date^…|fallback>` and friends: keep what a reader would see.
        return Some(Token::Text(label.unwrap_or_else(|| special.to_owned())));
    }
    let looks_like_link = target.contains("://") || target.starts_with("mailto:");
    looks_like_link.then(|| Token::Link {
        url: decode_entities(target),
        label,
    })
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Escapes literal text for Slack: `&`, `<` and `>` only, as Slack documents.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Writes tokens back in wire form; `tokenize(&to_wire(t)) == t` up to merged text runs and
/// mention labels (a user mention is written without its label; Slack shows the name).
pub fn to_wire(tokens: &[Token]) -> String {
    let mut out = String::new();
    for token in tokens {
        match token {
            Token::Text(t) => out.push_str(&escape_text(t)),
            Token::User { id, .. } => out.push_str(&format!("<@{id}>")),
            Token::Channel { id, name: Some(n) } => {
                out.push_str(&format!("<#{id}|{}>", escape_text(n)))
            }
            Token::Channel { id, name: None } => out.push_str(&format!("<#{id}>")),
            Token::Broadcast(word) => out.push_str(&format!("<!{word}>")),
            Token::UserGroup { id, label: Some(l) } => {
                out.push_str(&format!("<!subteam^{id}|{}>", escape_text(l)))
            }
            Token::UserGroup { id, label: None } => out.push_str(&format!("<!subteam^{id}>")),
            Token::Link {
                url,
                label: Some(l),
            } => out.push_str(&format!("<{}|{}>", escape_text(url), escape_text(l))),
            Token::Link { url, label: None } => out.push_str(&format!("<{}>", escape_text(url))),
        }
    }
    out
}

/// Plain reading form for the JSON API: entities decoded, people and channels as `<@U…>` and
/// `<#C…>`, broadcasts and groups as their `@name`, links as their address.
pub fn to_plain(tokens: &[Token]) -> String {
    let mut out = String::new();
    for token in tokens {
        match token {
            Token::Text(t) => out.push_str(t),
            Token::User { id, .. } => out.push_str(&format!("<@{id}>")),
            Token::Channel { id, .. } => out.push_str(&format!("<#{id}>")),
            Token::Broadcast(word) => out.push_str(&format!("@{word}")),
            Token::UserGroup { id, label } => match label {
                Some(l) => out.push_str(l),
                None => out.push_str(&format!("@{id}")),
            },
            Token::Link { url, .. } => out.push_str(url),
        }
    }
    out
}

/// Wire text with every mention of `user` replaced by "a former teammate" (forget-me).
pub fn without_user(wire: &str, user: &str) -> String {
    let tokens: Vec<Token> = tokenize(wire)
        .into_iter()
        .map(|t| match t {
            Token::User { ref id, .. } if id.as_str() == user => {
                Token::Text(FORMER_TEAMMATE.to_owned())
            }
            other => other,
        })
        .collect();
    to_wire(&tokens)
}

/// How someone who asked Cairn to forget them is shown.
pub const FORMER_TEAMMATE: &str = "a former teammate";

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> Token {
        Token::User {
            id: UserId::parse(id).unwrap(),
            label: None,
        }
    }

    #[test]
    fn recognises_every_reference_kind() {
        let t = tokenize(
            "hi <@U1|ana> in <#C2|dev> <!here> <!subteam^S3|@core> <https://x.io|x> &amp; &lt;3",
        );
        assert_eq!(t[0], Token::Text("hi ".into()));
        assert_eq!(
            t[1],
            Token::User {
                id: UserId::parse("U1").unwrap(),
                label: Some("ana".into())
            }
        );
        assert_eq!(
            t[3],
            Token::Channel {
                id: ChannelId::parse("C2").unwrap(),
                name: Some("dev".into())
            }
        );
        assert_eq!(t[5], Token::Broadcast("here".into()));
        assert_eq!(
            t[7],
            Token::UserGroup {
                id: UserGroupId::parse("S3").unwrap(),
                label: Some("@core".into())
            }
        );
        assert_eq!(
            t[9],
            Token::Link {
                url: "https://x.io".into(),
                label: Some("x".into())
            }
        );
        assert_eq!(t[10], Token::Text(" & <3".into()));
    }

    #[test]
    fn malformed_sequences_stay_text() {
        assert_eq!(tokenize("a < b"), vec![Token::Text("a < b".into())]);
        assert_eq!(tokenize("<@bob>"), vec![Token::Text("<@bob>".into())]);
        assert_eq!(
            tokenize("<<@U1>"),
            vec![Token::Text("<".into()), user("U1")]
        );
        assert_eq!(tokenize("<@U1"), vec![Token::Text("<@U1".into())]);
    }

    #[test]
    fn date_sequences_show_their_fallback() {
        assert_eq!(
            tokenize("<!date^1392734382^{date}|Feb 18, 2014>"),
            vec![Token::Text("Feb 18, 2014".into())]
        );
    }

    #[test]
    fn wire_round_trips() {
        let wire = "ship &amp; tell <@U1> <#C2|dev> &lt;b&gt; <!channel>";
        assert_eq!(to_wire(&tokenize(wire)), wire);
    }

    #[test]
    fn plain_form_reads_naturally() {
        assert_eq!(
            to_plain(&tokenize("a &amp; b <@U1|ana> <!here>")),
            "a & b <@U1> @here"
        );
    }

    #[test]
    fn a_forgotten_person_becomes_a_former_teammate() {
        assert_eq!(
            without_user("thanks <@U1|ana> &amp; <@U2> for <@U1>", "U1"),
            "thanks a former teammate &amp; <@U2> for a former teammate"
        );
    }
}
