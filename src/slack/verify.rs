//! Slack request signatures: `v0=` + hex(HMAC-SHA256(secret, "v0:{timestamp}:{raw body}")), with
//! the timestamp within 300 s of now either side. Checked on the raw bytes before anything is parsed.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

pub const MAX_SKEW_SECS: i64 = 300;
pub const TIMESTAMP_HEADER: &str = "x-slack-request-timestamp";
pub const SIGNATURE_HEADER: &str = "x-slack-signature";

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing X-Slack-Request-Timestamp header")]
    MissingTimestamp,
    #[error("missing X-Slack-Signature header")]
    MissingSignature,
    #[error("X-Slack-Request-Timestamp is not a number")]
    BadTimestamp,
    #[error("request timestamp is more than 300 s away from now")]
    Stale,
    #[error("unknown signature version (expected v0=)")]
    UnknownVersion,
    #[error("signature is not 64 lower-case hex digits")]
    Malformed,
    #[error("signature does not match")]
    Mismatch,
}

/// Computes the header value Slack would send; used by tests, the benchmark and `verify`.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

pub fn verify(
    secret: &[u8],
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> Result<(), VerifyError> {
    let timestamp = timestamp.ok_or(VerifyError::MissingTimestamp)?;
    let signature = signature.ok_or(VerifyError::MissingSignature)?;
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    if (now_unix - ts).abs() > MAX_SKEW_SECS {
        return Err(VerifyError::Stale);
    }
    let digest = signature
        .strip_prefix("v0=")
        .ok_or(VerifyError::UnknownVersion)?;
    let well_formed = digest.len() == 64
        && digest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !well_formed {
        return Err(VerifyError::Malformed);
    }
    let expected = sign(secret, timestamp, body);
    if bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // Slack's published example ("Verifying requests from Slack").
    const SECRET: &[u8] = b"8f742231b10e8888abcd99yyyzzz85a5";
    const TS: &str = "1531420618";
    const BODY: &str = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    const SIG: &str = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    const NOW: i64 = 1531420618;

    fn check(ts: Option<&str>, sig: Option<&str>, body: &str, now: i64) -> Result<(), VerifyError> {
        verify(SECRET, ts, sig, body.as_bytes(), now)
    }

    #[test]
    fn slacks_published_example_is_valid() {
        assert_eq!(sign(SECRET, TS, BODY.as_bytes()), SIG);
        assert_eq!(check(Some(TS), Some(SIG), BODY, NOW), Ok(()));
    }

    #[test]
    fn the_window_is_300_seconds_either_side() {
        assert_eq!(check(Some(TS), Some(SIG), BODY, NOW + 300), Ok(()));
        assert_eq!(check(Some(TS), Some(SIG), BODY, NOW - 300), Ok(()));
        assert_eq!(
            check(Some(TS), Some(SIG), BODY, NOW + 301),
            Err(VerifyError::Stale)
        );
        // A timestamp 301 s in the future (the sender's clock, or a forged header).
        assert_eq!(
            check(Some(TS), Some(SIG), BODY, NOW - 301),
            Err(VerifyError::Stale)
        );
    }

    #[test]
    fn the_real_clock_rejects_the_old_example() {
        let now = chrono::Utc::now().timestamp();
        assert_eq!(
            check(Some(TS), Some(SIG), BODY, now),
            Err(VerifyError::Stale)
        );
    }

    #[test]
    fn a_moved_timestamp_breaks_the_signature() {
        assert_eq!(
            check(Some("1531420628"), Some(SIG), BODY, NOW + 10),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn a_changed_body_breaks_the_signature() {
        let mut body = BODY.to_owned().into_bytes();
        body[10] ^= 1;
        assert_eq!(
            verify(SECRET, Some(TS), Some(SIG), &body, NOW),
            Err(VerifyError::Mismatch)
        );
        assert_eq!(
            check(Some(TS), Some(SIG), &format!("{BODY}------"), NOW),
            Err(VerifyError::Mismatch)
        );
    }

    #[test]
    fn missing_or_malformed_headers_are_refused() {
        assert_eq!(
            check(None, Some(SIG), BODY, NOW),
            Err(VerifyError::MissingTimestamp)
        );
        assert_eq!(
            check(Some(TS), None, BODY, NOW),
            Err(VerifyError::MissingSignature)
        );
        assert_eq!(
            check(Some("Hello there!"), Some(SIG), BODY, NOW),
            Err(VerifyError::BadTimestamp)
        );
        let v1 = SIG.replacen("v0=", "v1=", 1);
        assert_eq!(
            check(Some(TS), Some(&v1), BODY, NOW),
            Err(VerifyError::UnknownVersion)
        );
        assert_eq!(
            check(Some(TS), Some(&SIG[3..]), BODY, NOW),
            Err(VerifyError::UnknownVersion)
        );
        let not_hex = format!("v0={}", "z".repeat(64));
        assert_eq!(
            check(Some(TS), Some(&not_hex), BODY, NOW),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            check(Some(TS), Some("v0=abc"), BODY, NOW),
            Err(VerifyError::Malformed)
        );
        assert_eq!(
            check(
                Some(TS),
                Some(&SIG.to_uppercase().replacen("V0=", "v0=", 1)),
                BODY,
                NOW
            ),
            Err(VerifyError::Malformed)
        );
    }

    #[test]
    fn the_wrong_secret_is_refused() {
        assert_eq!(
            verify(b"other", Some(TS), Some(SIG), BODY.as_bytes(), NOW),
            Err(VerifyError::Mismatch)
        );
    }

    proptest! {
        #[test]
        fn sign_then_verify_round_trips(body in proptest::collection::vec(any::<u8>(), 0..512), ts in 1_000_000_000i64..2_000_000_000, skew in -300i64..=300) {
            let sig = sign(SECRET, &ts.to_string(), &body);
            prop_assert_eq!(verify(SECRET, Some(&ts.to_string()), Some(&sig), &body, ts + skew), Ok(()));
        }

        #[test]
        fn any_flipped_bit_is_refused(body in proptest::collection::vec(any::<u8>(), 1..256), idx in any::<prop::sample::Index>(), bit in 0u8..8) {
            let sig = sign(SECRET, TS, &body);
            let mut tampered = body.clone();
            let i = idx.index(tampered.len());
            tampered[i] ^= 1 << bit;
            prop_assert_eq!(verify(SECRET, Some(TS), Some(&sig), &tampered, NOW), Err(VerifyError::Mismatch));
        }
    }
}
