//! Newtypes for Slack identifiers, built once at the edge so the rest of the code cannot mix them up.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{value}' is not a valid Slack {kind} id")]
pub struct InvalidId {
    pub kind: &'static str,
    pub value: String,
}

macro_rules! slack_id {
    ($name:ident, $kind:literal, $prefixes:expr) => {
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Accepts Slack's shape: an upper-case letter prefix followed by upper-case letters and digits.
            pub fn parse(value: &str) -> Result<Self, InvalidId> {
                let prefixes: &[char] = $prefixes;
                let ok = value.len() >= 2
                    && value.len() <= 32
                    && value.starts_with(prefixes)
                    && value
                        .bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
                if ok {
                    Ok(Self(value.to_owned()))
                } else {
                    Err(InvalidId {
                        kind: $kind,
                        value: value.chars().take(40).collect(),
                    })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

// Workspace ids start with T (E for Enterprise Grid orgs).
slack_id!(TeamId, "team", &['T', 'E']);

impl TeamId {
    /// A workspace's own id (T…), where a setting names one workspace: an Enterprise Grid org's
    /// id (E…) spans many workspaces, so it cannot stand for one.
    pub fn parse_workspace(value: &str) -> Result<Self, InvalidId> {
        match Self::parse(value) {
            Ok(id) if id.0.starts_with('T') => Ok(id),
            _ => Err(InvalidId {
                kind: "workspace",
                value: value.chars().take(40).collect(),
            }),
        }
    }
}

// Users are U or W (Enterprise Grid); bots also have U ids.
slack_id!(UserId, "user", &['U', 'W']);
// Public channels C, private groups G, direct messages D.
slack_id!(ChannelId, "channel", &['C', 'G', 'D']);
// User groups ("subteams").
slack_id!(UserGroupId, "user group", &['S']);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_slack_shapes_and_refuses_others() {
        assert!(UserId::parse("U07ALICE01").is_ok());
        assert!(UserId::parse("W123ABC").is_ok());
        assert!(UserId::parse("u07alice01").is_err());
        assert!(UserId::parse("C07KUDOS01").is_err());
        assert!(UserId::parse("U").is_err());
        assert!(UserId::parse("U12 3").is_err());
        assert!(TeamId::parse("T07KUD0S01").is_ok());
        assert!(ChannelId::parse("D07ALICEDM").is_ok());
        assert!(TeamId::parse("E07ORG0001").is_ok());
        assert!(TeamId::parse_workspace("T07KUD0S01").is_ok());
        assert_eq!(
            TeamId::parse_workspace("E07ORG0001")
                .unwrap_err()
                .to_string(),
            "'E07ORG0001' is not a valid Slack workspace id"
        );
        assert!(TeamId::parse_workspace("C07KUDOS01").is_err());
        assert_eq!(
            UserId::parse("bob").unwrap_err().to_string(),
            "'bob' is not a valid Slack user id"
        );
    }
}
