//! Hostile input for the signature of the order links sent to guests
//! (`/order-information/{number}?expires=..&sig=..`): any text never panics
//! and never opens the order; a link made with the key opens its order, and
//! any one-byte change of the signature closes it.

use maison_app::links::{sign, verify};
use proptest::prelude::*;

const KEY: &[u8] = b"a key shared by every instance";
const NUMBER: &str = "MV-1X8Z-GH4B-B";
const EMAIL: &str = "claire@example.com";
const EXPIRES: i64 = 1_900_000_000;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn any_text_as_a_signature_opens_nothing(
        signature in prop_oneof![any::<String>(), "[0-9a-fA-F+ -]{60,68}"],
    ) {
        prop_assert!(!verify(KEY, NUMBER, EMAIL, EXPIRES, &signature));
    }

    #[test]
    fn a_link_signature_verifies_only_unchanged(
        number in "\\PC{0,20}",
        email in "\\PC{0,40}",
        expires in any::<i64>(),
        at in 0usize..64,
        // Bytes a hex parser could mistake for part of a number are tried often.
        replacement in prop_oneof![any::<u8>(), proptest::sample::select(b"+- 0aA".to_vec())],
    ) {
        let signature = sign(KEY, &number, &email, expires);
        prop_assert!(verify(KEY, &number, &email, expires, &signature));
        let mut bytes = signature.clone().into_bytes();
        // Upper-case hex is the same signature: only a change of value counts.
        prop_assume!(!bytes[at].eq_ignore_ascii_case(&replacement));
        bytes[at] = replacement;
        let changed = String::from_utf8_lossy(&bytes);
        prop_assert!(!verify(KEY, &number, &email, expires, &changed), "{changed:?} still opens");
    }
}
