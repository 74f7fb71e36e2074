//! Reading YAML with errors that say where. serde_yaml_ng leaves the position out of its message
//! when the problem is at the very start of the document ("control characters are not allowed",
//! "invalid type: string, expected struct Framework"), and says "more than one document" without
//! saying where the second starts, even when the rest of the file is not YAML at all.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_yaml_ng::{Deserializer, Error, Value};

/// `serde_yaml_ng::from_str`, with an error message that says where.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_yaml_ng::from_str(text).map_err(|e| located(&e, text))
}

fn located(error: &Error, text: &str) -> String {
    let message = error.to_string();
    if let Some(at) = error.location() {
        if !message.contains(" at line ") {
            return format!("{message} at line {} column {}", at.line(), at.column());
        }
        return message;
    }
    if message.contains("more than one document") {
        // The second "document" may be the rest of a broken file: its own error says where.
        if let Some(Err(e)) = Deserializer::from_str(text).nth(1).map(Value::deserialize) {
            if e.location().is_some() {
                return located(&e, text);
            }
        }
        let second = text
            .lines()
            .enumerate()
            .skip(1)
            .find(|(_, l)| l.starts_with("---") || l.starts_with("..."));
        if let Some((i, _)) = second {
            return format!(
                "{message}: a second one starts at line {} (a `---` or `...` line)",
                i + 1
            );
        }
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_says_where() {
        let framework = |text: &str| from_str::<Value>(text).unwrap_err();
        // At the very start, where serde_yaml_ng says no position.
        assert_eq!(
            framework("\u{1}"),
            "control characters are not allowed at line 1 column 1"
        );
        // Found by the property tests: a broken file reported as "more than one document".
        let broken = "\"a\nb,\"c, d\",e\n";
        let e = framework(broken);
        assert!(e.contains("at line 2"), "{e}");
        let two = framework("a: 1\n---\nb: 2\n");
        assert!(two.contains("starts at line 2"), "{two}");
    }
}
