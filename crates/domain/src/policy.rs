//! The maison's policies (PRODUCT.md §3), with the defaults of the "Orders &
//! Payment" page, and who the client talks to: Client Relations.

use crate::Money;
use crate::card::CardBrand;

/// Who the maison is and how clients reach Client Relations. Every refusal that
/// the seed answers with "contact Client Relations" names these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRelations {
    pub maison_name: String,
    pub phone: String,
    pub email: String,
}

impl Default for ClientRelations {
    fn default() -> Self {
        ClientRelations {
            maison_name: "Maison Valoria".into(),
            phone: "1-800-555-0142".into(),
            email: "clientrelations@maison-valoria.example".into(),
        }
    }
}

impl ClientRelations {
    /// "Client Relations at 1-800-555-0142 or clientrelations@…".
    pub fn contact_sentence(&self) -> String {
        format!("Client Relations at {} or {}", self.phone, self.email)
    }
}

/// A delivery estimate in business days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Estimate {
    pub min_business_days: u8,
    pub max_business_days: u8,
}

impl Estimate {
    /// As clients read it: "3–5 business days".
    pub fn business_days(self) -> String {
        format!(
            "{}–{} business days",
            self.min_business_days, self.max_business_days
        )
    }
}

/// The means of payment staff may take on an assisted order (rule R2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssistedPaymentMethod {
    Card,
    Cash,
    Wire,
}

impl AssistedPaymentMethod {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "card" => Some(AssistedPaymentMethod::Card),
            "cash" => Some(AssistedPaymentMethod::Cash),
            "wire" => Some(AssistedPaymentMethod::Wire),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policies {
    /// Rule R12: creations (total quantity) in one order.
    pub max_items_per_order: u32,
    /// Rule R7: a total strictly over this ships with the secure courier.
    pub high_value_threshold: Money,
    /// Rule R1.
    pub accepted_card_brands: Vec<CardBrand>,
    /// Rule R2.
    pub assisted_payment_methods: Vec<AssistedPaymentMethod>,
    /// Conditions of Sale: days after delivery in which a return is accepted.
    pub return_window_days: u32,
    /// Rule R10: state/province codes (`AK`, `YT`) or postal-code prefixes
    /// (`X0A`, `995`) where deliveries take longer.
    pub out_of_delivery_areas: Vec<String>,
    pub standard_estimate: Estimate,
    pub extended_estimate: Estimate,
    /// The standard carrier (the seed's FedEx).
    pub standard_carrier: String,
    /// Rule R7: the alternative carrier for high-value orders.
    pub high_value_carrier: String,
    /// How long a card's authorisation holds at the processor: a hold that
    /// would lapse before capture is renewed in its last day.
    pub authorisation_valid_days: u32,
}

impl Default for Policies {
    fn default() -> Self {
        Policies {
            max_items_per_order: 5,
            high_value_threshold: Money::usd_dollars(30_000),
            accepted_card_brands: CardBrand::ALL.to_vec(),
            assisted_payment_methods: vec![
                AssistedPaymentMethod::Card,
                AssistedPaymentMethod::Cash,
                AssistedPaymentMethod::Wire,
            ],
            return_window_days: 30,
            out_of_delivery_areas: ["AK", "HI", "PR", "GU", "VI", "AS", "MP", "YT", "NT", "NU"]
                .map(String::from)
                .to_vec(),
            standard_estimate: Estimate {
                min_business_days: 2,
                max_business_days: 5,
            },
            extended_estimate: Estimate {
                min_business_days: 5,
                max_business_days: 10,
            },
            standard_carrier: "FedEx".into(),
            high_value_carrier: "Secure courier".into(),
            authorisation_valid_days: 7,
        }
    }
}

/// A policy value that cannot run the maison, with the key it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key} = {value}: {allowed}")]
pub struct PolicyError {
    pub key: &'static str,
    pub value: String,
    pub allowed: &'static str,
}

impl Policies {
    /// Checks values that each parse alone but cannot run the maison.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let fail = |key, value: String, allowed| {
            Err(PolicyError {
                key,
                value,
                allowed,
            })
        };
        if !(1..=100).contains(&self.max_items_per_order) {
            return fail(
                "policies.max_items_per_order",
                self.max_items_per_order.to_string(),
                "a whole number from 1 to 100",
            );
        }
        if !(2..=30).contains(&self.authorisation_valid_days) {
            return fail(
                "policies.authorisation_valid_days",
                self.authorisation_valid_days.to_string(),
                "a whole number of days from 2 to 30",
            );
        }
        if self.high_value_threshold.minor() <= 0 {
            return fail(
                "policies.high_value_threshold",
                self.high_value_threshold.amount_string(),
                "an amount above zero, such as 30000.00",
            );
        }
        if self.accepted_card_brands.is_empty() {
            return fail(
                "policies.accepted_card_brands",
                "[]".into(),
                "at least one of amex, mastercard, visa, discover, diners, jcb",
            );
        }
        if self.return_window_days > 365 {
            return fail(
                "policies.return_window_days",
                self.return_window_days.to_string(),
                "a number of days from 0 to 365",
            );
        }
        for (key, e) in [
            ("policies.standard_estimate", self.standard_estimate),
            ("policies.extended_estimate", self.extended_estimate),
        ] {
            if e.min_business_days == 0 || e.min_business_days > e.max_business_days {
                return fail(
                    key,
                    format!("[{}, {}]", e.min_business_days, e.max_business_days),
                    "[min, max] business days with 1 <= min <= max",
                );
            }
        }
        for area in &self.out_of_delivery_areas {
            let valid = (2..=5).contains(&area.len())
                && area
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if !valid {
                return fail(
                    "policies.out_of_delivery_areas",
                    area.clone(),
                    "upper-case state/province codes or postal-code prefixes, such as AK or X0A",
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_seeds_policies() {
        let p = Policies::default();
        assert_eq!(p.max_items_per_order, 5);
        assert_eq!(p.high_value_threshold.amount_string(), "30000.00");
        assert_eq!(p.accepted_card_brands.len(), 6);
        assert_eq!(p.return_window_days, 30);
        assert_eq!(p.standard_carrier, "FedEx");
        assert_eq!(p.validate(), Ok(()));
    }

    #[test]
    fn impossible_policies_name_their_key() {
        let p = Policies {
            max_items_per_order: 0,
            ..Policies::default()
        };
        let err = p.validate().expect_err("zero items cannot run a maison");
        assert_eq!(err.key, "policies.max_items_per_order");
        let p = Policies {
            standard_estimate: Estimate {
                min_business_days: 6,
                max_business_days: 2,
            },
            ..Policies::default()
        };
        assert_eq!(
            p.validate().map_err(|e| e.key),
            Err("policies.standard_estimate")
        );
        let p = Policies {
            out_of_delivery_areas: vec!["alaska".into()],
            ..Policies::default()
        };
        assert_eq!(
            p.validate().map_err(|e| e.key),
            Err("policies.out_of_delivery_areas")
        );
    }
}
