//! The signature of incoming webhooks: `Maison-Signature: t=<unix seconds>,v1=<hex>`,
//! where `v1` is the HMAC-SHA256, under the sender's secret, of `"<t>.<raw body>"`
//! (the scheme Stripe made common). Pure functions: no clock, no I/O; the
//! caller passes the time it reads from its own clock.
//!
//! A signature is accepted when one of its `v1` values matches (compared in
//! constant time) and `t` lies within [`TOLERANCE_SECS`] of now, either way:
//! a replayed old request is refused, as is one dated in the future.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header that carries the signature.
pub const HEADER: &str = "Maison-Signature";

/// How far `t` may lie from now: five minutes.
pub const TOLERANCE_SECS: i64 = 5 * 60;

/// The longest header read; anything longer is malformed.
const MAX_HEADER_LEN: usize = 1024;

/// Why a signature is refused. The caller answers every one the same way
/// (400 `invalid_signature`); the reason is for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no signature header")]
    Missing,
    #[error("the signature header does not read t=<unix seconds>,v1=<hex>")]
    Malformed,
    #[error("the signature is older (or later) than five minutes")]
    Stale,
    #[error("the signature does not match the body")]
    Mismatch,
    #[error("no webhook secret is configured for this sender")]
    NoSecret,
}

/// A header as read: its timestamp and every `v1` signature (32 bytes each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: i64,
    pub signatures: Vec<[u8; 32]>,
}

/// Reads `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`; other keys (a future
/// `v2`) are ignored, spaces around parts allowed.
pub fn parse_header(text: &str) -> Result<SignatureHeader, SignatureError> {
    if text.len() > MAX_HEADER_LEN {
        return Err(SignatureError::Malformed);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in text.split(',') {
        let (key, value) = part
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key.trim() {
            "t" => {
                let value = value.trim();
                if timestamp.is_some()
                    || value.is_empty()
                    || value.len() > 12
                    || !value.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(SignatureError::Malformed);
                }
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|_| SignatureError::Malformed)?,
                );
            }
            "v1" => signatures.push(unhex32(value.trim()).ok_or(SignatureError::Malformed)?),
            _ => {}
        }
    }
    match timestamp {
        Some(timestamp) if !signatures.is_empty() => Ok(SignatureHeader {
            timestamp,
            signatures,
        }),
        _ => Err(SignatureError::Malformed),
    }
}

fn mac(secret: &[u8], timestamp: i64, body: &[u8]) -> Result<Hmac<Sha256>, SignatureError> {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).map_err(|_| SignatureError::NoSecret)?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(mac)
}

/// Checks `header` against the raw `body` under `secret`, at `now_unix`.
pub fn verify(
    secret: &[u8],
    header: Option<&str>,
    body: &[u8],
    now_unix: i64,
) -> Result<(), SignatureError> {
    if secret.is_empty() {
        return Err(SignatureError::NoSecret);
    }
    let header = parse_header(header.ok_or(SignatureError::Missing)?)?;
    if now_unix.abs_diff(header.timestamp) > TOLERANCE_SECS.unsigned_abs() {
        return Err(SignatureError::Stale);
    }
    let expected = mac(secret, header.timestamp, body)?;
    let matches = header
        .signatures
        .iter()
        .any(|signature| expected.clone().verify_slice(signature).is_ok());
    if matches {
        Ok(())
    } else {
        Err(SignatureError::Mismatch)
    }
}

/// The header value that signs `body` at `timestamp` under `secret`: what a
/// carrier (or the simulator, or a test) sends.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let tag = match mac(secret, timestamp, body) {
        Ok(mac) => hex(&mac.finalize().into_bytes()),
        // An empty secret signs nothing that verifies.
        Err(_) => "0".repeat(64),
    };
    format!("t={timestamp},v1={tag}")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(text: &str) -> Option<[u8; 32]> {
    // Hex digits only: `from_str_radix` alone would also take a `+` sign.
    if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test_0123456789";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"picked_up"}"#;
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_signature_made_with_the_secret_verifies() {
        let header = sign(SECRET, NOW, BODY);
        assert!(header.starts_with(&format!("t={NOW},v1=")));
        assert_eq!(verify(SECRET, Some(&header), BODY, NOW), Ok(()));
        assert_eq!(verify(SECRET, Some(&header), BODY, NOW + 300), Ok(()));
        assert_eq!(verify(SECRET, Some(&header), BODY, NOW - 300), Ok(()));
    }

    #[test]
    fn the_known_answer_is_hmac_sha256_of_timestamp_dot_body() {
        // Computed independently: Python's hmac.new(b"key", b"1.a", sha256).
        assert_eq!(
            sign(b"key", 1, b"a"),
            "t=1,v1=32a5f52f8b585db06b5960c1b30992c0575588cf6343eeb646efa5bfd9ca5a17"
        );
    }

    #[test]
    fn another_body_secret_or_time_is_refused() {
        let header = sign(SECRET, NOW, BODY);
        assert_eq!(
            verify(SECRET, Some(&header), b"{}", NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(b"another secret", Some(&header), BODY, NOW),
            Err(SignatureError::Mismatch)
        );
        // The timestamp is part of what is signed: moving it breaks the match.
        let moved = header.replacen(&NOW.to_string(), &(NOW + 1).to_string(), 1);
        assert_eq!(
            verify(SECRET, Some(&moved), BODY, NOW),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn a_signature_older_or_later_than_five_minutes_is_stale() {
        let header = sign(SECRET, NOW, BODY);
        assert_eq!(
            verify(SECRET, Some(&header), BODY, NOW + 301),
            Err(SignatureError::Stale)
        );
        assert_eq!(
            verify(SECRET, Some(&header), BODY, NOW - 301),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn malformed_headers_and_missing_secrets_are_refused_without_panicking() {
        for bad in [
            "",
            "t=1",
            "v1=00",
            "t=abc,v1=00",
            "t=-5,v1=0000000000000000000000000000000000000000000000000000000000000000",
            "t=1,v1=zz00000000000000000000000000000000000000000000000000000000000000",
            "t=1,v1=ééé",
            "t=1,t=2,v1=0000000000000000000000000000000000000000000000000000000000000000",
            "garbage",
            "t=99999999999999999999,v1=00",
        ] {
            assert_eq!(
                verify(SECRET, Some(bad), BODY, NOW),
                Err(SignatureError::Malformed),
                "{bad:?}"
            );
        }
        assert_eq!(
            verify(SECRET, Some(&"t=1,".repeat(500)), BODY, NOW),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify(SECRET, None, BODY, NOW),
            Err(SignatureError::Missing)
        );
        let header = sign(SECRET, NOW, BODY);
        assert_eq!(
            verify(b"", Some(&header), BODY, NOW),
            Err(SignatureError::NoSecret)
        );
    }

    #[test]
    fn several_v1_values_and_unknown_keys_are_read() {
        let good = sign(SECRET, NOW, BODY);
        let tag = &good[good.len() - 64..];
        let header = format!("t={NOW}, v0=abc, v1={}, v1={tag}", "0".repeat(64));
        let parsed = parse_header(&header).expect("parsed");
        assert_eq!(parsed.timestamp, NOW);
        assert_eq!(parsed.signatures.len(), 2);
        assert_eq!(verify(SECRET, Some(&header), BODY, NOW), Ok(()));
    }
}
