//! URL slugs of creations, categories and collections.

use std::fmt;

use serde::Serialize;

/// A slug such as `rings` or `eternal-knot-ring`: 1 to 80 characters of `a-z`,
/// `0-9` and single dashes. Input is trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a valid name in an address: use lower-case letters, digits and dashes")]
pub struct InvalidSlug(pub String);

impl Slug {
    pub fn parse(text: &str) -> Result<Self, InvalidSlug> {
        let lower = text.trim().to_ascii_lowercase();
        let valid = (1..=80).contains(&lower.len())
            && lower
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !lower.starts_with('-')
            && !lower.ends_with('-')
            && !lower.contains("--");
        if valid {
            Ok(Slug(lower))
        } else {
            Err(InvalidSlug(text.chars().take(80).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lower_case_words_joined_by_dashes() {
        assert_eq!(Slug::parse("Rings").map(|s| s.0), Ok("rings".into()));
        assert!(Slug::parse("leather-goods").is_ok());
        for bad in ["", "a b", "a--b", "-a", "a-", "é", "a/b"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
