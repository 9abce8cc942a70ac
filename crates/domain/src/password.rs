//! The rules a client's password must meet (OWASP ASVS 5.0, 6.2).
//!
//! Length only, counted in characters: at least [`MIN_LENGTH`], at most
//! [`MAX_LENGTH`] (and never more than [`MAX_BYTES`] bytes, checked before
//! anything else so that no hashing ever sees an unbounded input). No
//! composition rules (no "one digit, one capital"): instead the password is
//! refused when it is among the 10,000 most common passwords shipped in
//! `data/common-passwords.txt`, when it contains the client's own e-mail
//! address or names, or when it is the maison's name. Nothing is trimmed or
//! truncated: the password is checked as it will be hashed.

use std::collections::HashSet;
use std::sync::OnceLock;

/// The fewest characters a password may have.
pub const MIN_LENGTH: usize = 8;
/// The most characters a password may have.
pub const MAX_LENGTH: usize = 128;
/// The most bytes a password may have (UTF-8; four per character at most).
pub const MAX_BYTES: usize = 512;

/// Shortest e-mail local part or name that counts as a personal detail: shorter
/// ones ("Li", "Ng", "jo") would refuse far too many honest passwords.
const MIN_CONTEXT_WORD: usize = 4;

/// The maison's name, in the forms refused once letters are all that is left.
const MAISON_NAMES: [&str; 2] = ["valoria", "maisonvaloria"];

/// The 10,000 most common passwords, lower-case, one a line (see
/// `data/README.md` for where they come from).
const COMMON_PASSWORDS: &str = include_str!("../data/common-passwords.txt");

const MESSAGE_TOO_SHORT: &str = "Choose a password of at least 8 characters; a short sentence is easy to remember and hard to guess.";
const MESSAGE_TOO_LONG: &str =
    "Choose a password of at most 128 characters; a short sentence is plenty.";
const MESSAGE_COMMON: &str = "This password is one of the most used, so it would be among the first guessed; choose another, such as a short sentence of your own.";
const MESSAGE_PERSONAL: &str =
    "Choose a password that does not contain your name or e-mail address, which others may know.";

/// Why a password was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("{}", MESSAGE_TOO_SHORT)]
    TooShort,
    #[error("{}", MESSAGE_TOO_LONG)]
    TooLong,
    #[error("{}", MESSAGE_COMMON)]
    Common,
    #[error("{}", MESSAGE_PERSONAL)]
    ContainsPersonalDetails,
}

impl PasswordError {
    /// The stable code of the refusal, for problem+json and tests.
    pub fn code(self) -> &'static str {
        match self {
            PasswordError::TooShort => "password_too_short",
            PasswordError::TooLong => "password_too_long",
            PasswordError::Common => "password_too_common",
            PasswordError::ContainsPersonalDetails => "password_contains_personal_details",
        }
    }

    /// What the client reads (the same text as `Display`).
    pub fn message(self) -> &'static str {
        match self {
            PasswordError::TooShort => MESSAGE_TOO_SHORT,
            PasswordError::TooLong => MESSAGE_TOO_LONG,
            PasswordError::Common => MESSAGE_COMMON,
            PasswordError::ContainsPersonalDetails => MESSAGE_PERSONAL,
        }
    }
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .filter(|line| !line.is_empty())
            .collect()
    })
}

/// Whether `password`, lower-cased, is in the shipped list of common passwords.
pub fn is_common(password: &str) -> bool {
    common_passwords().contains(password.to_lowercase().as_str())
}

/// The words of the client's own details that a password may not contain,
/// lower-cased: the e-mail's local part and the names, whole and split at
/// their separators ("jean.dupont" gives "jean.dupont", "jean", "dupont"),
/// each kept only when it has at least four characters.
fn personal_words(email: &str, first_name: &str, last_name: &str) -> Vec<String> {
    let email = email.trim();
    let local = email.rsplit_once('@').map_or(email, |(local, _)| local);
    let mut words = Vec::new();
    for detail in [local, first_name.trim(), last_name.trim()] {
        let detail = detail.to_lowercase();
        let parts = detail
            .split(|c: char| !c.is_alphanumeric())
            .map(str::to_owned);
        for word in std::iter::once(detail.clone()).chain(parts) {
            if word.chars().count() >= MIN_CONTEXT_WORD && !words.contains(&word) {
                words.push(word);
            }
        }
    }
    words
}

/// Checks a new password against the maison's rules, for the client whose
/// e-mail address and names are given (empty strings when not yet known).
pub fn check_password(
    password: &str,
    email: &str,
    first_name: &str,
    last_name: &str,
) -> Result<(), PasswordError> {
    if password.len() > MAX_BYTES {
        return Err(PasswordError::TooLong);
    }
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PasswordError::TooShort);
    }
    if length > MAX_LENGTH {
        return Err(PasswordError::TooLong);
    }
    let lower = password.to_lowercase();
    if common_passwords().contains(lower.as_str()) {
        return Err(PasswordError::Common);
    }
    let letters: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
    if MAISON_NAMES.contains(&letters.as_str()) {
        return Err(PasswordError::Common);
    }
    if personal_words(email, first_name, last_name)
        .iter()
        .any(|word| lower.contains(word.as_str()))
    {
        return Err(PasswordError::ContainsPersonalDetails);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(password: &str) -> Result<(), PasswordError> {
        check_password(password, "", "", "")
    }

    #[test]
    fn the_shipped_list_has_ten_thousand_distinct_lower_case_entries_of_four_or_more_characters() {
        let lines: Vec<&str> = COMMON_PASSWORDS.lines().collect();
        assert_eq!(lines.len(), 10_000);
        assert_eq!(common_passwords().len(), 10_000);
        for line in lines {
            assert!(line.chars().count() >= 4, "{line:?}");
            assert_eq!(line, line.to_lowercase(), "{line:?}");
            assert_eq!(line, line.trim(), "{line:?}");
        }
    }

    #[test]
    fn the_best_known_passwords_are_in_the_shipped_list() {
        for password in ["password", "123456789", "iloveyou", "qwertyuiop"] {
            assert!(is_common(password), "{password}");
        }
        assert!(is_common("PassWord"));
        assert!(!is_common("velvet hours by the river"));
    }

    #[test]
    fn a_password_of_seven_characters_is_too_short() {
        assert_eq!(check("abcdefg"), Err(PasswordError::TooShort));
        assert_eq!(check(""), Err(PasswordError::TooShort));
    }

    #[test]
    fn a_password_of_exactly_eight_characters_is_accepted() {
        assert_eq!(check("mqv7tk2z"), Ok(()));
    }

    #[test]
    fn a_password_of_exactly_128_characters_is_accepted() {
        let password = "gold leaf ".repeat(13)[..128].to_owned();
        assert_eq!(password.chars().count(), 128);
        assert_eq!(check(&password), Ok(()));
    }

    #[test]
    fn a_password_of_129_characters_is_too_long() {
        let password = "gold leaf ".repeat(13)[..129].to_owned();
        assert_eq!(check(&password), Err(PasswordError::TooLong));
    }

    #[test]
    fn a_password_of_513_bytes_is_refused_before_its_characters_are_counted() {
        let password = "x".repeat(513);
        assert_eq!(check(&password), Err(PasswordError::TooLong));
        // 128 four-byte characters are exactly 512 bytes: still accepted.
        let gems = "💎".repeat(128);
        assert_eq!(gems.len(), 512);
        assert_eq!(check(&gems), Ok(()));
        assert_eq!(check(&"💎".repeat(129)), Err(PasswordError::TooLong));
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for password in ["password", "123456789", "iloveyou", "PASSWORD", "ILoveYou"] {
            assert_eq!(check(password), Err(PasswordError::Common), "{password}");
        }
    }

    #[test]
    fn a_passphrase_is_accepted() {
        assert_eq!(check("the emerald sleeps in velvet"), Ok(()));
        assert_eq!(
            check_password(
                "the emerald sleeps in velvet",
                "jean.dupont@example.com",
                "Jean",
                "Dupont"
            ),
            Ok(())
        );
    }

    #[test]
    fn no_composition_rule_applies() {
        assert_eq!(check("lowercaseonlywords"), Ok(()));
        assert_eq!(check("8264917305"), Ok(()));
    }

    #[test]
    fn a_password_containing_the_email_local_part_is_refused() {
        let refused = Err(PasswordError::ContainsPersonalDetails);
        let email = "Aurelie.Martin@example.com";
        assert_eq!(check_password("aurelie.martin", email, "", ""), refused);
        assert_eq!(
            check_password("x-AURELIE.MARTIN-1990", email, "", ""),
            refused
        );
        assert_eq!(
            check_password("martin-diamonds-1990", email, "", ""),
            refused
        );
    }

    #[test]
    fn a_short_email_local_part_or_name_is_not_held_against_the_password() {
        assert_eq!(
            check_password("bold emerald ring", "bo@example.com", "Li", "Ng"),
            Ok(())
        );
    }

    #[test]
    fn a_password_containing_the_first_or_last_name_is_refused() {
        let refused = Err(PasswordError::ContainsPersonalDetails);
        assert_eq!(
            check_password("hello-Camille-2024", "", "Camille", ""),
            refused
        );
        assert_eq!(
            check_password("rubies4lefebvre", "", "", "Lefebvre"),
            refused
        );
        assert_eq!(
            check_password("sapphire-pierre", "", "Jean-Pierre", ""),
            refused
        );
    }

    #[test]
    fn the_maison_name_is_refused() {
        assert_eq!(check("maison valoria"), Err(PasswordError::Common));
        assert_eq!(check("Valoria2024!"), Err(PasswordError::Common));
        assert_eq!(check("MaisonValoria"), Err(PasswordError::Common));
        assert_eq!(check("valoria"), Err(PasswordError::TooShort));
    }

    #[test]
    fn accented_passwords_are_counted_in_characters_not_bytes() {
        // Seven characters, fourteen bytes: too short.
        assert_eq!(check("ééééééé"), Err(PasswordError::TooShort));
        assert_eq!(check("éèêëàâäô"), Ok(()));
        assert_eq!(
            check_password("Élodie aime les rubis", "", "élodie", ""),
            Err(PasswordError::ContainsPersonalDetails)
        );
    }

    #[test]
    fn emoji_passwords_are_counted_in_characters_not_bytes() {
        // Seven emoji are 28 bytes but only seven characters.
        assert_eq!(check(&"💍".repeat(7)), Err(PasswordError::TooShort));
        assert_eq!(check(&"💍".repeat(8)), Ok(()));
        assert_eq!(check("💍💎 velvet 💎💍"), Ok(()));
    }

    #[test]
    fn every_refusal_has_a_stable_code_and_its_message_is_its_display() {
        let all = [
            (PasswordError::TooShort, "password_too_short"),
            (PasswordError::TooLong, "password_too_long"),
            (PasswordError::Common, "password_too_common"),
            (
                PasswordError::ContainsPersonalDetails,
                "password_contains_personal_details",
            ),
        ];
        for (error, code) in all {
            assert_eq!(error.code(), code);
            assert_eq!(error.to_string(), error.message());
            assert!(error.message().ends_with('.'));
        }
        assert!(
            PasswordError::TooShort
                .message()
                .contains("at least 8 characters")
        );
    }
}
