//! The Slack app manifest for `cairn manifest`, built from the one shipped in
//! `manifests/slack-app.yaml` (embedded at compile time), so there is a single source of truth.
//!
//! The shipped file names `https://cairn.example.com`; [`manifest`] puts the operator's public base
//! URL in its place, or, for Socket Mode, switches `socket_mode_enabled` on and drops the request
//! URLs, which Slack refuses in that mode (events, commands and interactivity come over the
//! WebSocket instead).

use serde_yaml_ng::Value;

/// The shipped manifest, with [`EXAMPLE_URL`] where the public URL goes.
pub const TEMPLATE: &str = include_str!("../../manifests/slack-app.yaml");

/// The placeholder base URL in [`TEMPLATE`].
pub const EXAMPLE_URL: &str = "https://cairn.example.com";

const HINT: &str =
    "write the public base URL Slack will call, e.g. --url https://cairn.example.com";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ManifestError {
    #[error(
        "--url is missing: in HTTP mode Slack needs the public HTTPS base URL it will call, e.g. \
         `cairn manifest --url https://cairn.example.com` (or `cairn manifest --socket-mode` to \
         connect over Socket Mode without a public URL)"
    )]
    MissingUrl,
    #[error("--url '{given}': {reason}; {HINT}")]
    BadUrl { given: String, reason: String },
    #[error("the shipped manifest could not be read: {0}")]
    Template(String),
}

/// The bot scopes the shipped manifest asks for.
pub fn bot_scopes() -> Vec<String> {
    let manifest: serde_json::Value = serde_yaml_ng::from_str(TEMPLATE).unwrap_or_default();
    manifest["oauth_config"]["scopes"]["bot"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A public base URL Slack can call: absolute `https` (or `http` for localhost, e.g. behind a
/// local tunnel), no user name, query or fragment, and no trailing `/`. It may carry a path prefix
/// (`https://example.org/cairn`) for a reverse proxy that serves Cairn under one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn parse(given: &str) -> Result<Self, ManifestError> {
        let bad = |reason: &str| ManifestError::BadUrl {
            given: given.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = given.trim();
        if trimmed.is_empty() {
            return Err(bad("it is empty"));
        }
        if !trimmed.contains("://") {
            return Err(bad("it has no scheme (start it with https://)"));
        }
        let url = reqwest::Url::parse(trimmed)
            .map_err(|e| bad(&format!("it is not a valid URL ({e})")))?;
        let host = url.host_str().unwrap_or_default();
        if host.is_empty() {
            return Err(bad("it has no host name"));
        }
        let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
        match url.scheme() {
            "https" => {}
            "http" if local => {}
            "http" => {
                return Err(bad(
                    "Slack only calls https:// URLs (http:// is accepted for localhost only)",
                ))
            }
            other => return Err(bad(&format!("the scheme must be https, not {other}"))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("it must not carry a user name or password"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("it must not have a query (?…) or a fragment (#…)"));
        }
        let path = url.path().trim_end_matches('/');
        if path == "/slack" || path.contains("/slack/") || path.ends_with("/slack") {
            return Err(bad(
                "give the base URL only: Cairn adds /slack/commands, /slack/events and /slack/interactivity itself",
            ));
        }
        let origin = url.origin().ascii_serialization();
        Ok(BaseUrl(format!("{origin}{path}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The manifest for HTTP mode (`url` given, `socket_mode` false) or for Socket Mode. In Socket Mode
/// a URL is optional: it is used only for what still needs one (nothing in today's manifest; OAuth
/// redirect URLs when the template has them).
pub fn manifest(url: Option<&str>, socket_mode: bool) -> Result<Value, ManifestError> {
    let url = url.map(BaseUrl::parse).transpose()?;
    if url.is_none() && !socket_mode {
        return Err(ManifestError::MissingUrl);
    }
    let mut m: Value =
        serde_yaml_ng::from_str(TEMPLATE).map_err(|e| ManifestError::Template(e.to_string()))?;
    if socket_mode {
        if let Some(commands) = m
            .get_mut("features")
            .and_then(|f| f.get_mut("slash_commands"))
            .and_then(Value::as_sequence_mut)
        {
            for command in commands {
                remove(command, "url");
            }
        }
        if let Some(settings) = m.get_mut("settings") {
            for section in ["event_subscriptions", "interactivity"] {
                if let Some(s) = settings.get_mut(section) {
                    remove(s, "request_url");
                }
            }
            settings["socket_mode_enabled"] = Value::Bool(true);
        }
        // A Socket Mode Cairn serves the one workspace it is installed in by hand.
        if let Some(oauth) = m.get_mut("oauth_config") {
            remove(oauth, "redirect_urls");
        }
    }
    let mut left = false;
    rewrite(&mut m, url.as_ref(), &mut left);
    if left {
        return Err(ManifestError::MissingUrl);
    }
    Ok(m)
}

/// [`manifest`] as the YAML `cairn manifest` prints, with a comment saying where to paste it.
pub fn render(url: Option<&str>, socket_mode: bool) -> Result<String, ManifestError> {
    let m = manifest(url, socket_mode)?;
    let body = serde_yaml_ng::to_string(&m).map_err(|e| ManifestError::Template(e.to_string()))?;
    let mode = if socket_mode {
        "Socket Mode: set SLACK_APP_TOKEN (an app-level token with connections:write)".to_owned()
    } else {
        format!(
            "HTTP, requests to {}",
            BaseUrl::parse(url.unwrap_or(""))?.as_str()
        )
    };
    Ok(format!(
        "# Slack app manifest for Cairn ({mode}).\n\
         # Paste it at https://api.slack.com/apps -> Create New App -> From a manifest.\n{body}"
    ))
}

fn remove(value: &mut Value, key: &str) {
    if let Some(map) = value.as_mapping_mut() {
        map.remove(key);
    }
}

/// Puts `url` in place of [`EXAMPLE_URL`] in every string; sets `left` if one remains without a URL.
fn rewrite(value: &mut Value, url: Option<&BaseUrl>, left: &mut bool) {
    match value {
        Value::String(s) if s.starts_with(EXAMPLE_URL) => match url {
            Some(url) => *s = format!("{}{}", url.as_str(), &s[EXAMPLE_URL.len()..]),
            None => *left = true,
        },
        Value::Sequence(items) => items.iter_mut().for_each(|v| rewrite(v, url, left)),
        Value::Mapping(map) => map.values_mut().for_each(|v| rewrite(v, url, left)),
        Value::Tagged(t) => rewrite(&mut t.value, url, left),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_normalised() {
        for (given, want) in [
            ("https://cairn.acme.io", "https://cairn.acme.io"),
            ("https://cairn.acme.io/", "https://cairn.acme.io"),
            (
                "  https://Cairn.Acme.io:8443/ ",
                "https://cairn.acme.io:8443",
            ),
            (
                "https://acme.io/tools/cairn/",
                "https://acme.io/tools/cairn",
            ),
            ("http://localhost:3000", "http://localhost:3000"),
            ("http://127.0.0.1:3000/", "http://127.0.0.1:3000"),
        ] {
            assert_eq!(BaseUrl::parse(given).unwrap().as_str(), want, "{given}");
        }
    }

    #[test]
    fn bad_base_urls_say_why() {
        for (given, why) in [
            ("", "empty"),
            ("cairn.acme.io", "no scheme"),
            ("http://cairn.acme.io", "https://"),
            ("ftp://cairn.acme.io", "scheme must be https"),
            ("https://user:pw@cairn.acme.io", "user name"),
            ("https://cairn.acme.io/?x=1", "query"),
            ("https://cairn.acme.io/#top", "fragment"),
            ("https://cairn.acme.io/slack/events", "base URL only"),
            ("https://cairn.acme.io/slack", "base URL only"),
            ("https://", "not a valid URL"),
        ] {
            let e = BaseUrl::parse(given).unwrap_err().to_string();
            assert!(e.contains(why), "{given}: {e}");
            assert!(e.contains("--url https://cairn.example.com"), "{e}");
        }
    }

    #[test]
    fn http_mode_needs_a_url() {
        assert_eq!(manifest(None, false), Err(ManifestError::MissingUrl));
        assert!(manifest(None, true).is_ok());
    }
}
