//! Card secrets: the full card number (PAN) and the security code (CVC).
//!
//! This module owns the only types that may hold them. They mask themselves in
//! `Debug` and `Display`, cannot be cloned or serialised, and overwrite their
//! memory with zeros when dropped (PCI DSS 3.3.1, 3.5.1; ASVS 16.2.5).

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

/// The mask character used in place of hidden digits.
const DOT: &str = "•";

/// A card number with fewer digits than this is shown fully masked, so that a
/// mistyped short value (a CVC in the number field, say) is never printed.
const SHORTEST_PAN_SHOWING_LAST4: usize = 12;

/// The full card number, as normalised digits.
pub struct CardSecret(String);

impl CardSecret {
    pub fn new(digits: String) -> Self {
        CardSecret(digits)
    }

    /// The full card number: only for the processor request, never for a log,
    /// a page, a message or storage.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last four characters (fewer if the number is shorter), which may be
    /// displayed and stored.
    pub fn last4(&self) -> &str {
        last_chars(&self.0, 4)
    }

    fn mask(&self) -> String {
        let shown = if self.0.chars().count() >= SHORTEST_PAN_SHOWING_LAST4 {
            self.last4()
        } else {
            ""
        };
        format!("{}{shown}", DOT.repeat(4))
    }
}

impl fmt::Debug for CardSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardSecret({})", self.mask())
    }
}

impl fmt::Display for CardSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.mask())
    }
}

impl Zeroize for CardSecret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for CardSecret {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for CardSecret {}

/// The card security code (CVC, CVV, CID), kept as the digits typed: `012` stays `012`.
pub struct CvcSecret(String);

impl CvcSecret {
    pub fn new(digits: String) -> Self {
        CvcSecret(digits)
    }

    /// The security code: only for the processor request. It must never be
    /// stored, even encrypted, once the authorisation is answered.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The last characters of the code: never useful to display, offered only so
    /// both secrets answer the same questions.
    pub fn last4(&self) -> &str {
        last_chars(&self.0, 4)
    }
}

impl fmt::Debug for CvcSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CvcSecret({})", DOT.repeat(3))
    }
}

impl fmt::Display for CvcSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&DOT.repeat(3))
    }
}

impl Zeroize for CvcSecret {
    fn zeroize(&mut self) {
        self.0.zeroize();
    }
}

impl Drop for CvcSecret {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for CvcSecret {}

/// The last `n` characters of `text`, cut on a character boundary.
fn last_chars(text: &str, n: usize) -> &str {
    let start = text
        .char_indices()
        .rev()
        .nth(n.saturating_sub(1))
        .map_or(0, |(i, _)| i);
    &text[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAN: &str = "4242424242424242";

    #[test]
    fn card_number_debug_and_display_show_only_the_last_four() {
        let secret = CardSecret::new(PAN.to_owned());
        let debug = format!("{secret:?}");
        let display = format!("{secret}");
        let pretty = format!("{secret:#?}");
        assert_eq!(debug, "CardSecret(••••4242)");
        assert_eq!(display, "••••4242");
        for shown in [&debug, &display, &pretty] {
            assert!(!shown.contains(PAN), "{shown} reveals the number");
            assert!(!shown.contains("424242424242"), "{shown} reveals digits");
        }
    }

    #[test]
    fn a_short_card_number_is_masked_entirely() {
        let secret = CardSecret::new("123".to_owned());
        assert_eq!(format!("{secret:?}"), "CardSecret(••••)");
        assert_eq!(format!("{secret}"), "••••");
    }

    #[test]
    fn cvc_debug_and_display_show_no_digit() {
        let cvc = CvcSecret::new("0123".to_owned());
        assert_eq!(format!("{cvc:?}"), "CvcSecret(•••)");
        assert_eq!(format!("{cvc}"), "•••");
        assert!(!format!("{cvc:?}{cvc}").contains("123"));
    }

    #[test]
    fn the_processor_request_can_read_the_secrets() {
        let secret = CardSecret::new(PAN.to_owned());
        let cvc = CvcSecret::new("012".to_owned());
        assert_eq!(secret.expose(), PAN);
        assert_eq!(secret.last4(), "4242");
        assert_eq!(cvc.expose(), "012", "a leading zero is kept");
    }

    #[test]
    fn zeroize_empties_the_secrets() {
        let mut secret = CardSecret::new(PAN.to_owned());
        let mut cvc = CvcSecret::new("123".to_owned());
        secret.zeroize();
        cvc.zeroize();
        assert_eq!(secret.expose(), "");
        assert_eq!(cvc.expose(), "");
    }

    #[test]
    fn last4_never_cuts_inside_a_character() {
        assert_eq!(last_chars("ab", 4), "ab");
        assert_eq!(last_chars("x€€€€", 4), "€€€€");
        assert_eq!(last_chars("", 4), "");
    }
}
