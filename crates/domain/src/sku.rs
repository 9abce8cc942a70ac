//! Stock-keeping units: the identifiers of creations and of their sizes.

use std::fmt;

use serde::Serialize;

/// A SKU such as `VAL-RING-001` or `VAL-RING-001-52`: 2 to 48 characters of
/// `A-Z`, `0-9` and `-`, stored upper-case. Input is trimmed and upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Sku(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a SKU: use 2 to 48 letters, digits and dashes, such as VAL-RING-001")]
pub struct InvalidSku(pub String);

impl Sku {
    pub fn parse(text: &str) -> Result<Self, InvalidSku> {
        let upper = text.trim().to_ascii_uppercase();
        let valid = (2..=48).contains(&upper.len())
            && upper
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
            && !upper.starts_with('-')
            && !upper.ends_with('-');
        if valid {
            Ok(Sku(upper))
        } else {
            Err(InvalidSku(text.chars().take(64).collect()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skus_are_trimmed_and_upper_cased() {
        assert_eq!(
            Sku::parse(" val-ring-001 ").map(|s| s.0),
            Ok("VAL-RING-001".into())
        );
    }

    #[test]
    fn malformed_skus_are_refused() {
        for bad in [
            "",
            "A",
            "VAL RING",
            "VAL_RING",
            "-VAL",
            "VAL-",
            "ÉCRIN",
            &"A".repeat(49),
        ] {
            assert!(Sku::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
