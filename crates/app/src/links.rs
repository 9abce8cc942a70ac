//! Signed, expiring links to a guest's order page, sent in the
//! acknowledgement: the link opens "Order Information" without typing, and
//! nobody can make one for another order.

use hmac::{Hmac, KeyInit, Mac};
use maison_domain::contact::email_key;
use sha2::Sha256;

use crate::{Maison, Order, ShopError};

/// How long a link in an e-mail opens the order: 90 days.
pub const LINK_VALIDITY_SECS: i64 = 90 * 24 * 3600;

fn mac(key: &[u8], number: &str, email: &str, expires: i64) -> Hmac<Sha256> {
    // A key of any length is accepted by HMAC: this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(number.as_bytes());
    mac.update(b"\0");
    // The one e-mail equality of the maison: links signed before and after a
    // stray space or capital open the same order.
    mac.update(email_key(email).as_bytes());
    mac.update(b"\0");
    mac.update(expires.to_string().as_bytes());
    mac
}

/// The signature of (number, e-mail, expiry), as hex.
pub fn sign(key: &[u8], number: &str, email: &str, expires: i64) -> String {
    mac(key, number, email, expires)
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `signature` (hex) signs (number, e-mail, expiry); constant time.
pub fn verify(key: &[u8], number: &str, email: &str, expires: i64, signature: &str) -> bool {
    // Hex digits only: `from_str_radix` alone would also take a `+` sign.
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let bytes: Option<Vec<u8>> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&signature[i..i + 2], 16).ok())
        .collect();
    match bytes {
        Some(bytes) => mac(key, number, email, expires)
            .verify_slice(&bytes)
            .is_ok(),
        None => false,
    }
}

impl Maison {
    /// The link to `order`'s page, valid from `now_secs` for [`LINK_VALIDITY_SECS`].
    pub fn order_link(&self, order: &Order, now_secs: i64) -> String {
        let expires = now_secs + LINK_VALIDITY_SECS;
        let signature = sign(&self.link_key, &order.number, &order.email, expires);
        format!(
            "{}/order-information/{}?expires={expires}&sig={signature}",
            self.public_url.trim_end_matches('/'),
            order.number
        )
    }

    /// The order a link opens, if its signature holds and it has not expired.
    pub async fn order_from_link(
        &self,
        number: &str,
        expires: i64,
        signature: &str,
        now_secs: i64,
    ) -> Result<Order, ShopError> {
        if expires < now_secs {
            return Err(ShopError::LinkExpired);
        }
        let order = self
            .store()
            .order_by_number(number)
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        if verify(
            &self.link_key,
            &order.number,
            &order.email,
            expires,
            signature,
        ) {
            Ok(order)
        } else {
            Err(ShopError::OrderNotFound)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_opens_only_its_own_order_until_it_expires() {
        let key = b"a key shared by every instance";
        let sig = sign(key, "MV-1X8Z-GH4B-B", "Claire@Example.com", 1_900_000_000);
        assert!(verify(
            key,
            "MV-1X8Z-GH4B-B",
            "claire@example.com",
            1_900_000_000,
            &sig
        ));
        assert!(!verify(
            key,
            "MV-1X8Z-GH4B-C",
            "claire@example.com",
            1_900_000_000,
            &sig
        ));
        assert!(!verify(
            key,
            "MV-1X8Z-GH4B-B",
            "other@example.com",
            1_900_000_000,
            &sig
        ));
        assert!(!verify(
            key,
            "MV-1X8Z-GH4B-B",
            "claire@example.com",
            1_900_000_001,
            &sig
        ));
        assert!(!verify(
            b"another key",
            "MV-1X8Z-GH4B-B",
            "claire@example.com",
            1_900_000_000,
            &sig
        ));
        assert!(!verify(
            key,
            "MV-1X8Z-GH4B-B",
            "claire@example.com",
            1_900_000_000,
            "zz"
        ));
        assert!(!verify(
            key,
            "MV-1X8Z-GH4B-B",
            "claire@example.com",
            1_900_000_000,
            &"é".repeat(32)
        ));
    }
}
