//! The catalogue: creations, their sizes, how they are sold, and whether a client
//! can buy them online right now (rules R13, R14, R16).

use serde::Serialize;

use crate::{Money, Sku, Slug};

/// How a creation is sold (rule R13, R16).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaleMode {
    /// "Details and Purchase": online and by telephone.
    Online,
    /// Only through Client Relations by telephone.
    PhoneOnly,
    /// Solitaires and high jewellery: no listed price; "Request information".
    PriceOnRequest,
}

impl SaleMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SaleMode::Online => "online",
            SaleMode::PhoneOnly => "phone_only",
            SaleMode::PriceOnRequest => "price_on_request",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "online" => Some(SaleMode::Online),
            "phone_only" => Some(SaleMode::PhoneOnly),
            "price_on_request" => Some(SaleMode::PriceOnRequest),
            _ => None,
        }
    }
}

/// What the client is told about buying a creation or one of its sizes online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Available,
    TemporarilyUnavailable,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Available => "available",
            Availability::TemporarilyUnavailable => "temporarily_unavailable",
        }
    }
}

/// A personalisation service a creation offers (rule R9), with its rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PersonalisationOption {
    /// Engraved text: up to `max_lines` lines of `max_characters_per_line`.
    Engraving {
        max_lines: u8,
        max_characters_per_line: u8,
    },
    /// Embossed initials, letters only.
    Embossing { max_initials: u8 },
}

impl PersonalisationOption {
    pub fn kind(self) -> &'static str {
        match self {
            PersonalisationOption::Engraving { .. } => "engraving",
            PersonalisationOption::Embossing { .. } => "embossing",
        }
    }

    /// How the rule reads to a client: "Engraving: up to 2 lines of 20 characters".
    pub fn describe(self) -> String {
        match self {
            PersonalisationOption::Engraving {
                max_lines: 1,
                max_characters_per_line,
            } => format!("Engraving: one line of up to {max_characters_per_line} characters"),
            PersonalisationOption::Engraving {
                max_lines,
                max_characters_per_line,
            } => format!(
                "Engraving: up to {max_lines} lines of {max_characters_per_line} characters"
            ),
            PersonalisationOption::Embossing { max_initials } => {
                format!("Embossing: up to {max_initials} initials")
            }
        }
    }
}

/// One size of a creation (a creation without sizes has one variant whose SKU is
/// the creation's), with the quantity on hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub sku: Sku,
    pub size: Option<String>,
    pub on_hand: u32,
}

/// A creation of the maison, as the catalogue holds it.
#[derive(Debug, Clone, PartialEq)]
pub struct Creation {
    pub sku: Sku,
    pub slug: Slug,
    pub name: String,
    pub category: Slug,
    pub collection: Option<Slug>,
    pub description: String,
    pub materials: Vec<String>,
    pub sale_mode: SaleMode,
    /// `None` exactly when the creation is price on request.
    pub price: Option<Money>,
    /// Set by staff: shown as temporarily unavailable whatever the stock.
    pub flagged_unavailable: bool,
    pub variants: Vec<Variant>,
    pub personalisation: Vec<PersonalisationOption>,
}

impl Creation {
    /// Rule R13/R14: available when not flagged by staff and some size is in
    /// stock. How the creation is sold (online, by telephone, on request) is
    /// its sale mode, never its availability.
    pub fn availability(&self) -> Availability {
        if self
            .variants
            .iter()
            .any(|v| self.variant_availability(v) == Availability::Available)
        {
            Availability::Available
        } else {
            Availability::TemporarilyUnavailable
        }
    }

    /// One size is available when the creation is not flagged and that size is
    /// in stock.
    pub fn variant_availability(&self, variant: &Variant) -> Availability {
        if !self.flagged_unavailable && variant.on_hand > 0 {
            Availability::Available
        } else {
            Availability::TemporarilyUnavailable
        }
    }

    pub fn has_sizes(&self) -> bool {
        self.variants.iter().any(|v| v.size.is_some())
    }

    pub fn variant(&self, sku: &Sku) -> Option<&Variant> {
        self.variants.iter().find(|v| &v.sku == sku)
    }

    pub fn is_personalisable(&self) -> bool {
        !self.personalisation.is_empty()
    }
}

/// A grouping of creations shown in the storefront (category or collection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grouping {
    pub slug: Slug,
    pub name: String,
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creation(sale_mode: SaleMode, flagged: bool, stock: &[u32]) -> Creation {
        let sku = Sku::parse("VAL-RING-001").expect("valid");
        Creation {
            sku: sku.clone(),
            slug: Slug::parse("ring").expect("valid"),
            name: "Ring".into(),
            category: Slug::parse("rings").expect("valid"),
            collection: None,
            description: String::new(),
            materials: vec![],
            sale_mode,
            price: (sale_mode != SaleMode::PriceOnRequest).then(|| Money::usd_dollars(1000)),
            flagged_unavailable: flagged,
            variants: stock
                .iter()
                .enumerate()
                .map(|(i, &on_hand)| Variant {
                    sku: Sku::parse(&format!("VAL-RING-001-{}", 48 + i)).expect("valid"),
                    size: Some((48 + i).to_string()),
                    on_hand,
                })
                .collect(),
            personalisation: vec![],
        }
    }

    #[test]
    fn an_online_creation_with_a_size_in_stock_is_available() {
        let c = creation(SaleMode::Online, false, &[0, 2, 0]);
        assert_eq!(c.availability(), Availability::Available);
        assert_eq!(
            c.variant_availability(&c.variants[0]),
            Availability::TemporarilyUnavailable
        );
        assert_eq!(
            c.variant_availability(&c.variants[1]),
            Availability::Available
        );
    }

    #[test]
    fn a_creation_with_no_stock_in_any_size_is_temporarily_unavailable() {
        let c = creation(SaleMode::Online, false, &[0, 0]);
        assert_eq!(c.availability(), Availability::TemporarilyUnavailable);
    }

    #[test]
    fn a_creation_flagged_by_staff_is_temporarily_unavailable_whatever_the_stock() {
        let c = creation(SaleMode::Online, true, &[5]);
        assert_eq!(c.availability(), Availability::TemporarilyUnavailable);
        assert_eq!(
            c.variant_availability(&c.variants[0]),
            Availability::TemporarilyUnavailable
        );
    }

    #[test]
    fn availability_follows_stock_and_the_staff_flag_whatever_the_sale_mode() {
        for mode in [SaleMode::PhoneOnly, SaleMode::PriceOnRequest] {
            let in_stock = creation(mode, false, &[5]);
            assert_eq!(in_stock.availability(), Availability::Available, "{mode:?}");
            let sold_out = creation(mode, false, &[0]);
            assert_eq!(
                sold_out.availability(),
                Availability::TemporarilyUnavailable,
                "{mode:?}"
            );
            let flagged = creation(mode, true, &[5]);
            assert_eq!(
                flagged.availability(),
                Availability::TemporarilyUnavailable,
                "{mode:?}"
            );
        }
    }

    #[test]
    fn sale_modes_round_trip_through_their_names() {
        for mode in [
            SaleMode::Online,
            SaleMode::PhoneOnly,
            SaleMode::PriceOnRequest,
        ] {
            assert_eq!(SaleMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(SaleMode::parse("auction"), None);
    }

    #[test]
    fn personalisation_rules_read_as_sentences() {
        let engraving = PersonalisationOption::Engraving {
            max_lines: 2,
            max_characters_per_line: 20,
        };
        assert_eq!(
            engraving.describe(),
            "Engraving: up to 2 lines of 20 characters"
        );
        let initials = PersonalisationOption::Embossing { max_initials: 3 };
        assert_eq!(initials.describe(), "Embossing: up to 3 initials");
    }
}
