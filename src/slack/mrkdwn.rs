//! Showing text people typed back in Slack without it pinging anyone or breaking the message.
//!
//! `&`, `<`, `>` are escaped; user mentions and channel links stay live; broadcasts (`<!here>`,
//! `<!channel>`, `<!everyone>`), user-group mentions and the same words typed as plain text are
//! shown as words with a zero-width space after the `@`, so they read the same but never notify.

use crate::domain::markup::{escape_text, tokenize, Token};

const ZWSP: char = '\u{200B}';
const BROADCAST_WORDS: [&str; 3] = ["channel", "here", "everyone"];

/// Renders Slack wire text (as Slack sent it) as mrkdwn that is safe to post.
pub fn safe(wire: &str) -> String {
    render(&tokenize(wire))
}

pub fn render(tokens: &[Token]) -> String {
    let mut out = String::new();
    for token in tokens {
        match token {
            Token::Text(t) => out.push_str(&defuse(&escape_text(t))),
            Token::User { id, .. } => out.push_str(&format!("<@{id}>")),
            Token::Channel { id, .. } => out.push_str(&format!("<#{id}>")),
            Token::Broadcast(word) => out.push_str(&format!("@{ZWSP}{word}")),
            Token::UserGroup { label, .. } => {
                let label = label.as_deref().unwrap_or("@group");
                let name = label.trim_start_matches('@');
                out.push_str(&format!("@{ZWSP}{}", escape_text(name)));
            }
            Token::Link { url, label } => {
                let url = defuse(&escape_text(url));
                match label {
                    Some(l) if defuse(&escape_text(l)) != url => {
                        out.push_str(&format!("{} ({url})", defuse(&escape_text(l))))
                    }
                    _ => out.push_str(&url),
                }
            }
        }
    }
    out
}

/// Puts a zero-width space after the `@` of `@here`, `@channel` and `@everyone` typed as text.
fn defuse(text: &str) -> String {
    if !text.contains('@') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(at) = rest.find('@') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let lower = rest.get(..8).unwrap_or(rest).to_ascii_lowercase();
        if BROADCAST_WORDS.iter().any(|w| lower.starts_with(w)) {
            out.push(ZWSP);
        }
    }
    out.push_str(rest);
    out
}

/// Cuts mrkdwn to at most `max` characters without splitting an entity or a mention.
pub fn truncate(mrkdwn: &str, max: usize) -> String {
    if mrkdwn.chars().count() <= max {
        return mrkdwn.to_owned();
    }
    let mut cut: String = mrkdwn.chars().take(max.saturating_sub(1)).collect();
    // A link or mention left open is dropped whole, then an entity cut short (`&am`): checking
    // both at once kept `<https://x?a=1&amp;b` (the entity closed, the link not). A permalink's
    // own `&cid=…` is not an entity.
    if let Some(open) = cut.rfind('<') {
        if !cut[open..].contains('>') {
            cut.truncate(open);
        }
    }
    if let Some(amp) = cut.rfind('&') {
        let rest = &cut[amp + 1..];
        if rest.len() < 4 && rest.bytes().all(|b| b.is_ascii_alphabetic()) {
            cut.truncate(amp);
        }
    }
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// True when every `<…>` left is a user mention or a channel link, and no broadcast word
    /// follows an `@` directly.
    fn is_safe(out: &str) -> bool {
        let mut rest = out;
        while let Some(open) = rest.find('<') {
            let Some(close) = rest[open..].find('>') else {
                return false;
            };
            let inner = &rest[open + 1..open + close];
            let live_ref = (inner.starts_with('@') || inner.starts_with('#'))
                && inner.len() > 2
                && inner[1..]
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if !live_ref {
                return false;
            }
            rest = &rest[open + close + 1..];
        }
        if rest.contains('>') || out.contains("<!") {
            return false;
        }
        let lower = out.to_lowercase();
        !BROADCAST_WORDS
            .iter()
            .any(|w| lower.contains(&format!("@{w}")))
    }

    #[test]
    fn broadcasts_never_ping() {
        assert_eq!(
            safe("hey <!channel> and <!here|here>"),
            "hey @\u{200B}channel and @\u{200B}here"
        );
        assert_eq!(
            safe("<!everyone> @everyone @Here"),
            "@\u{200B}everyone @\u{200B}everyone @\u{200B}Here"
        );
        assert_eq!(safe("<!subteam^S0123|@devs> rock"), "@\u{200B}devs rock");
    }

    #[test]
    fn markup_is_escaped_and_mentions_stay_live() {
        assert_eq!(
            safe("<@U1|ana> &lt;script&gt;alert(1)&lt;/script&gt; &amp;"),
            "<@U1> &lt;script&gt;alert(1)&lt;/script&gt; &amp;"
        );
        assert_eq!(safe("see <#C1|dev>"), "see <#C1>");
        // Raw brackets (Slack never sends them unescaped, but a caller might).
        assert_eq!(safe("<script>"), "&lt;script&gt;");
    }

    #[test]
    fn links_show_their_address() {
        assert_eq!(
            safe("<https://x.io/a?b=1&amp;c=2>"),
            "https://x.io/a?b=1&amp;c=2"
        );
        assert_eq!(
            safe("<https://evil.io|bank.com>"),
            "bank.com (https://evil.io)"
        );
    }

    #[test]
    fn truncation_never_splits_an_entity() {
        assert_eq!(truncate("abc", 10), "abc");
        assert_eq!(truncate("abcdef &amp;", 9), "abcdef …");
        assert_eq!(truncate("hi <@U123456>", 8), "hi …");
        // Found by the property tests: an entity inside a link hid that the link was cut.
        assert_eq!(
            truncate("see <https://x.io/a?b=1&amp;c=2|this>", 30),
            "see …"
        );
        assert_eq!(truncate("<https://x.io/a?b=1&amp;c=2|x>", 21), "…");
        let permalink = "<https://a.slack.com/archives/C1/p1?thread_ts=1.2&cid=C1|in Slack>";
        assert_eq!(
            truncate(&format!("{permalink} and more"), permalink.len() + 5),
            format!("{permalink} and…")
        );
    }

    proptest! {
        #[test]
        fn no_broadcast_or_markup_survives_any_input(s in "\\PC{0,200}") {
            let out = safe(&s);
            prop_assert!(is_safe(&out), "unsafe: {:?} -> {:?}", s, out);
        }

        #[test]
        fn no_broadcast_survives_slack_like_input(
            parts in proptest::collection::vec(prop_oneof![
                Just("<!channel>".to_string()), Just("<!here>".to_string()), Just("<!everyone>".to_string()),
                Just("@channel".to_string()), Just("@HERE".to_string()), Just("<!subteam^S1|@all>".to_string()),
                Just("<@U1>".to_string()), Just("<#C1|x>".to_string()), Just("&lt;".to_string()), Just("<".to_string()),
                Just(">".to_string()), Just("&".to_string()), Just("@".to_string()), "[a-z !|^#@]{0,6}",
            ], 0..20)
        ) {
            let s = parts.concat();
            let out = safe(&s);
            prop_assert!(is_safe(&out), "unsafe: {:?} -> {:?}", s, out);
        }
    }
}
