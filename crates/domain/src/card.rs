//! Payment cards (rule R1). This module owns the card brands the maison knows.

use serde::Serialize;

/// The six brands of the "Orders & Payment" page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBrand {
    Amex,
    Mastercard,
    Visa,
    Discover,
    Diners,
    Jcb,
}

impl CardBrand {
    pub const ALL: [CardBrand; 6] = [
        CardBrand::Amex,
        CardBrand::Mastercard,
        CardBrand::Visa,
        CardBrand::Discover,
        CardBrand::Diners,
        CardBrand::Jcb,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CardBrand::Amex => "amex",
            CardBrand::Mastercard => "mastercard",
            CardBrand::Visa => "visa",
            CardBrand::Discover => "discover",
            CardBrand::Diners => "diners",
            CardBrand::Jcb => "jcb",
        }
    }

    /// The brand as printed for a client.
    pub fn display_name(self) -> &'static str {
        match self {
            CardBrand::Amex => "American Express",
            CardBrand::Mastercard => "Mastercard",
            CardBrand::Visa => "Visa",
            CardBrand::Discover => "Discover",
            CardBrand::Diners => "Diners Club",
            CardBrand::Jcb => "JCB",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        CardBrand::ALL
            .into_iter()
            .find(|b| b.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brands_round_trip_through_their_policy_names() {
        for brand in CardBrand::ALL {
            assert_eq!(CardBrand::parse(brand.as_str()), Some(brand));
        }
        assert_eq!(CardBrand::parse("unionpay"), None);
    }
}
