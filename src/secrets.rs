//! Secrets at rest: Slack bot tokens of installed workspaces are sealed with AES-256-GCM under
//! `CAIRN_ENCRYPTION_KEY` before they reach the database, and bound to their workspace, so a
//! database dump alone yields no token and a sealed token copied to another workspace's row
//! does not open.
//!
//! A sealed token is text: `v1.<key id>.<nonce>.<ciphertext and tag>`, where the key id is the
//! first 8 hex digits of the SHA-256 of the key (it names the key without revealing it), and
//! nonce and ciphertext are base64 (standard, padded). The version, the key id and the owner
//! (the team id) are the associated data: changing any of them makes the token fail to open.
//!
//! Rotation: [`Keys`] holds the current key, which seals, and previous keys
//! (`CAIRN_ENCRYPTION_KEY_PREVIOUS`) that still open what they sealed; `cairn keys rotate`
//! re-seals every stored token with the current key.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use secrecy::SecretString;
use sha2::{Digest, Sha256};

/// The variable holding the key that seals (and opens) tokens.
pub const KEY_VAR: &str = "CAIRN_ENCRYPTION_KEY";
/// Comma-separated keys that only open tokens sealed before a rotation.
pub const PREVIOUS_KEYS_VAR: &str = "CAIRN_ENCRYPTION_KEY_PREVIOUS";

const VERSION: &str = "v1";
const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 12;

/// How to make a key, for error messages.
const HOW_TO_MAKE_ONE: &str = "make one with `cairn keys generate` or `openssl rand -base64 32`";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("{var} is not base64: {HOW_TO_MAKE_ONE}")]
    NotBase64 { var: &'static str },
    #[error("{var} is {len} bytes once decoded, not 32: {HOW_TO_MAKE_ONE}")]
    WrongLength { var: &'static str, len: usize },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error(
        "sealed with key {key_id}, which is not configured: set {PREVIOUS_KEYS_VAR} to the old key, \
         or run cairn keys rotate"
    )]
    UnknownKey { key_id: String },
    #[error("the sealed token does not open with key {key_id}: it was altered, or it belongs to another workspace")]
    Rejected { key_id: String },
    #[error("not a sealed token (expected {VERSION}.<key id>.<nonce>.<ciphertext>)")]
    Malformed,
}

/// One 256-bit key and its id. `Debug` shows the id only.
#[derive(Clone)]
pub struct Key {
    id: String,
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({})", self.id)
    }
}

impl Key {
    /// A key from its base64 text (standard or URL-safe alphabet, padded or not); `var` names
    /// where it came from in errors.
    pub fn parse(var: &'static str, text: &str) -> Result<Key, KeyError> {
        let text = text.trim();
        let bytes = STANDARD
            .decode(text)
            .or_else(|_| URL_SAFE.decode(text))
            .or_else(|_| URL_SAFE_NO_PAD.decode(text))
            .map_err(|_| KeyError::NotBase64 { var })?;
        Key::from_bytes(var, &bytes)
    }

    fn from_bytes(var: &'static str, bytes: &[u8]) -> Result<Key, KeyError> {
        if bytes.len() != KEY_LEN {
            return Err(KeyError::WrongLength {
                var,
                len: bytes.len(),
            });
        }
        let cipher = Aes256Gcm::new_from_slice(bytes).map_err(|_| KeyError::WrongLength {
            var,
            len: bytes.len(),
        })?;
        Ok(Key {
            id: hex::encode(&Sha256::digest(bytes)[..4]),
            cipher,
        })
    }

    /// A new random key, as base64 text (what `cairn keys generate` prints).
    pub fn generate() -> String {
        STANDARD.encode(Aes256Gcm::generate_key(OsRng))
    }

    /// The first 8 hex digits of the key's SHA-256.
    pub fn id(&self) -> &str {
        &self.id
    }
}

/// The current key (seals and opens) and previous keys (open only).
#[derive(Clone, Debug)]
pub struct Keys {
    current: Key,
    previous: Vec<Key>,
}

/// The associated data: version, key id and owner, so none of them can be swapped.
fn associated_data(key_id: &str, owner: &str) -> Vec<u8> {
    format!("{VERSION}.{key_id}.{owner}").into_bytes()
}

impl Keys {
    pub fn new(current: Key, previous: Vec<Key>) -> Keys {
        Keys { current, previous }
    }

    /// The keys from `CAIRN_ENCRYPTION_KEY` and the comma-separated `CAIRN_ENCRYPTION_KEY_PREVIOUS`.
    pub fn parse(current: &str, previous: Option<&str>) -> Result<Keys, KeyError> {
        let current = Key::parse(KEY_VAR, current)?;
        let previous = previous
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(|k| Key::parse(PREVIOUS_KEYS_VAR, k))
            .collect::<Result<_, _>>()?;
        Ok(Keys::new(current, previous))
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        self.current.id()
    }

    /// Seals `plain` for `owner` (a team id) with the current key and a fresh random nonce.
    pub fn seal(&self, owner: &str, plain: &str) -> String {
        let key = &self.current;
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: &associated_data(&key.id, owner),
        };
        // Encryption fails only for messages beyond GCM's length limit (64 GiB).
        let sealed = key
            .cipher
            .encrypt(&nonce, payload)
            .expect("a token is far below AES-GCM's length limit");
        format!(
            "{VERSION}.{}.{}.{}",
            key.id,
            STANDARD.encode(nonce),
            STANDARD.encode(sealed)
        )
    }

    /// Opens what `seal` sealed for `owner`, with whichever configured key sealed it.
    pub fn open(&self, owner: &str, sealed: &str) -> Result<SecretString, OpenError> {
        let (key_id, nonce, ciphertext) = parts(sealed)?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == key_id)
            .ok_or_else(|| OpenError::UnknownKey {
                key_id: key_id.to_owned(),
            })?;
        let payload = Payload {
            msg: &ciphertext,
            aad: &associated_data(key_id, owner),
        };
        let plain = key
            .cipher
            .decrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| OpenError::Rejected {
                key_id: key_id.to_owned(),
            })?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| OpenError::Malformed)
    }

    /// Whether `sealed` was sealed with the current key (rotation leaves those alone).
    pub fn is_current(&self, sealed: &str) -> bool {
        parts(sealed).is_ok_and(|(id, _, _)| id == self.current.id)
    }

    /// `sealed` opened and sealed again with the current key; `None` when it already is.
    pub fn reseal(&self, owner: &str, sealed: &str) -> Result<Option<String>, OpenError> {
        use secrecy::ExposeSecret;
        let plain = self.open(owner, sealed)?;
        if self.is_current(sealed) {
            return Ok(None);
        }
        Ok(Some(self.seal(owner, plain.expose_secret())))
    }
}

/// The key id, nonce and ciphertext of a sealed token.
fn parts(sealed: &str) -> Result<(&str, Vec<u8>, Vec<u8>), OpenError> {
    let mut parts = sealed.trim().split('.');
    let (Some(VERSION), Some(key_id), Some(nonce), Some(ciphertext), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return Err(OpenError::Malformed);
    };
    let nonce = STANDARD.decode(nonce).map_err(|_| OpenError::Malformed)?;
    let ciphertext = STANDARD
        .decode(ciphertext)
        .map_err(|_| OpenError::Malformed)?;
    if nonce.len() != NONCE_LEN || key_id.len() != 8 {
        return Err(OpenError::Malformed);
    }
    Ok((key_id, nonce, ciphertext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    const TOKEN: &str = "xoxb-1234-5678-abcdefghijkl";

    fn keys(current: &str, previous: &[&str]) -> Keys {
        Keys::parse(current, Some(&previous.join(","))).unwrap()
    }

    fn open(keys: &Keys, owner: &str, sealed: &str) -> Result<String, OpenError> {
        keys.open(owner, sealed)
            .map(|s| s.expose_secret().to_owned())
    }

    #[test]
    fn a_sealed_token_opens_for_its_team() {
        let k = keys(&Key::generate(), &[]);
        let sealed = k.seal("T1", TOKEN);
        assert!(!sealed.contains(TOKEN));
        assert!(
            sealed.starts_with(&format!("v1.{}.", k.current_id())),
            "{sealed}"
        );
        assert_eq!(open(&k, "T1", &sealed).unwrap(), TOKEN);
    }

    #[test]
    fn a_token_copied_to_another_team_does_not_open() {
        let k = keys(&Key::generate(), &[]);
        let sealed = k.seal("T1", TOKEN);
        assert_eq!(
            open(&k, "T2", &sealed),
            Err(OpenError::Rejected {
                key_id: k.current_id().to_owned()
            })
        );
    }

    #[test]
    fn a_tampered_token_does_not_open() {
        let k = keys(&Key::generate(), &[]);
        let sealed = k.seal("T1", TOKEN);
        let (head, body) = sealed.rsplit_once('.').unwrap();
        let mut bytes = STANDARD.decode(body).unwrap();
        bytes[3] ^= 1;
        let tampered = format!("{head}.{}", STANDARD.encode(&bytes));
        assert!(matches!(
            open(&k, "T1", &tampered),
            Err(OpenError::Rejected { .. })
        ));
        // A swapped nonce fails too, and so does text that is no sealed token at all.
        let other = k.seal("T1", TOKEN);
        let swapped = format!(
            "{}.{}",
            other.rsplit_once('.').unwrap().0,
            sealed.rsplit('.').next().unwrap()
        );
        assert!(open(&k, "T1", &swapped).is_err());
        assert_eq!(open(&k, "T1", TOKEN), Err(OpenError::Malformed));
        assert_eq!(open(&k, "T1", "v1.abc.def.ghi"), Err(OpenError::Malformed));
    }

    #[test]
    fn an_unknown_key_is_named_with_what_to_do() {
        let old = keys(&Key::generate(), &[]);
        let sealed = old.seal("T1", TOKEN);
        let new = keys(&Key::generate(), &[]);
        let err = open(&new, "T1", &sealed).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "sealed with key {}, which is not configured: set CAIRN_ENCRYPTION_KEY_PREVIOUS to the old key, or run cairn keys rotate",
                old.current_id()
            )
        );
    }

    #[test]
    fn two_seals_of_one_token_differ() {
        let k = keys(&Key::generate(), &[]);
        let (a, b) = (k.seal("T1", TOKEN), k.seal("T1", TOKEN));
        assert_ne!(a, b, "a fresh nonce each time");
        assert_eq!(open(&k, "T1", &a).unwrap(), open(&k, "T1", &b).unwrap());
    }

    #[test]
    fn a_previous_key_still_opens_and_reseal_moves_to_the_current_one() {
        let (a, b) = (Key::generate(), Key::generate());
        let old = keys(&a, &[]);
        let sealed = old.seal("T1", TOKEN);
        let rotated = keys(&b, &[&Key::generate(), &a]);
        assert_eq!(open(&rotated, "T1", &sealed).unwrap(), TOKEN);
        assert!(!rotated.is_current(&sealed));
        let resealed = rotated.reseal("T1", &sealed).unwrap().unwrap();
        assert!(rotated.is_current(&resealed));
        assert_eq!(rotated.reseal("T1", &resealed).unwrap(), None);
        // The new key alone opens it now.
        assert_eq!(open(&keys(&b, &[]), "T1", &resealed).unwrap(), TOKEN);
    }

    #[test]
    fn keys_are_checked_and_say_how_to_make_one() {
        let short = STANDARD.encode([7u8; 16]);
        let err = Keys::parse(&short, None).unwrap_err().to_string();
        assert!(
            err.starts_with("CAIRN_ENCRYPTION_KEY is 16 bytes once decoded, not 32")
                && err.contains("cairn keys generate")
                && err.contains("openssl rand -base64 32"),
            "{err}"
        );
        let err = Keys::parse(&Key::generate(), Some("not base64!"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("CAIRN_ENCRYPTION_KEY_PREVIOUS is not base64"),
            "{err}"
        );
        // URL-safe text of the same bytes is the same key.
        let bytes = [0xfb_u8; 32];
        let standard = Key::parse(KEY_VAR, &STANDARD.encode(bytes)).unwrap();
        let url_safe = Key::parse(KEY_VAR, &URL_SAFE_NO_PAD.encode(bytes)).unwrap();
        assert_eq!(standard.id(), url_safe.id());
        assert_eq!(standard.id().len(), 8);
        // A generated key is 32 bytes of standard base64, and never shown by Debug.
        let generated = Key::generate();
        assert_eq!(STANDARD.decode(&generated).unwrap().len(), 32);
        let shown = format!("{:?}", keys(&generated, &[]));
        assert!(!shown.contains(&generated), "{shown}");
    }
}
