//! The CSRF token of a visitor who is not signed in ("signed double submit"):
//! a random nonce and its HMAC under the maison's shared key, kept in a
//! cookie and sent back by every form. Another site can neither read the
//! cookie nor forge a pair that verifies, so a form it makes a browser send
//! carries no valid token. Signed-in clients use their session's token.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::{Maison, ShopError};

const NONCE_HEX: usize = 32;
const MAC_HEX: usize = 32;

fn mac(key: &[u8], nonce: &str) -> Hmac<Sha256> {
    // HMAC takes a key of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(b"form-token\0");
    mac.update(nonce.as_bytes());
    mac
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

fn token_for(key: &[u8], nonce: &[u8]) -> String {
    let nonce = hex(nonce);
    let tag = mac(key, &nonce).finalize().into_bytes();
    format!("{nonce}{}", hex(&tag[..MAC_HEX / 2]))
}

fn verifies(key: &[u8], token: &str) -> bool {
    if token.len() != NONCE_HEX + MAC_HEX || !token.is_ascii() {
        return false;
    }
    let (nonce, tag) = token.split_at(NONCE_HEX);
    match unhex(tag) {
        Some(tag) => mac(key, nonce).verify_truncated_left(&tag).is_ok(),
        None => false,
    }
}

impl Maison {
    /// A new token: 64 hex characters.
    pub fn new_form_token(&self) -> Result<String, ShopError> {
        let mut nonce = [0u8; NONCE_HEX / 2];
        getrandom::fill(&mut nonce)
            .map_err(|e| ShopError::Internal(format!("no randomness from the OS: {e}")))?;
        Ok(token_for(&self.link_key, &nonce))
    }

    /// Whether the maison made `token` (constant time on the tag).
    pub fn is_form_token(&self, token: &str) -> bool {
        verifies(&self.link_key, token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tokens_made_with_the_key_verify() {
        let key = b"the maison's key";
        let token = token_for(key, &[7u8; 16]);
        assert_eq!(token.len(), 64);
        assert!(verifies(key, &token));
        assert!(!verifies(b"another key", &token), "another key");
        let mut nonce_changed = token.clone().into_bytes();
        nonce_changed[0] = if nonce_changed[0] == b'0' { b'1' } else { b'0' };
        assert!(!verifies(
            key,
            &String::from_utf8(nonce_changed).expect("ascii")
        ));
        let mut tag_changed = token.clone().into_bytes();
        tag_changed[63] = if tag_changed[63] == b'0' { b'1' } else { b'0' };
        assert!(!verifies(
            key,
            &String::from_utf8(tag_changed).expect("ascii")
        ));
        for bad in [
            "",
            "abc",
            &"z".repeat(64),
            &token[..63],
            &format!("{token}0"),
        ] {
            assert!(!verifies(key, bad), "{bad}");
        }
    }
}
