//! The one rule engine that decides what an order may hold (rules R9, R12,
//! R13, R14, R16). Every path goes through [`check_order_contents`]: adding to
//! the bag, changing a quantity, checking out, and later merging bags,
//! assisted orders and order edits. A limit that one path forgets is the bug
//! other platforms ship.

use crate::Money;
use crate::catalog::{Creation, SaleMode, Variant};
use crate::personalisation::Personalisation;
use crate::policy::{ClientRelations, Policies};

/// One line as it would stand in the order.
#[derive(Debug, Clone, Copy)]
pub struct ProposedLine<'a> {
    pub creation: &'a Creation,
    pub variant: &'a Variant,
    pub quantity: u32,
    /// Stock on hand, read live where it matters (the snapshot's otherwise).
    pub on_hand: u32,
    pub personalisation: Option<&'a Personalisation>,
}

/// Who is placing the order: the limit of five creations binds clients; an
/// Ambassador may exceed it on an assisted order with a recorded reason; a
/// quote sells its one piece at the quote's price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel<'a> {
    Online,
    Assisted {
        limit_override_reason: Option<&'a str>,
    },
    /// The payment of a quote (rule R16): the piece with this variant SKU,
    /// one of it, is sold whatever its sale mode (priced on request, by
    /// telephone); every other line is judged as online.
    Quote {
        sku: &'a str,
    },
}

/// Why an order may not hold what was asked, with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BagRefusal {
    #[error("an order holds at most {max} creations")]
    ItemLimit { max: u32 },
    #[error("{name} is temporarily unavailable")]
    TemporarilyUnavailable { name: String, sku: String },
    #[error("only {available} of {name} can be ordered now")]
    NotEnoughStock {
        name: String,
        sku: String,
        available: u32,
    },
    #[error("{name} is priced on request")]
    PriceOnRequest { name: String, sku: String },
    #[error("{name} is sold by telephone")]
    NotSoldOnline { name: String, sku: String },
    #[error("{0}")]
    InvalidPersonalisation(String),
    #[error("the quantity must be a whole number from 1 to {max}")]
    InvalidQuantity { max: u32 },
}

impl BagRefusal {
    /// The problem `code` of the API.
    pub fn code(&self) -> &'static str {
        match self {
            BagRefusal::ItemLimit { .. } => "order_item_limit",
            BagRefusal::TemporarilyUnavailable { .. } | BagRefusal::NotEnoughStock { .. } => {
                "temporarily_unavailable"
            }
            BagRefusal::PriceOnRequest { .. } => "price_on_request",
            BagRefusal::NotSoldOnline { .. } => "not_sold_online",
            BagRefusal::InvalidPersonalisation(_) => "invalid_personalisation",
            BagRefusal::InvalidQuantity { .. } => "invalid_quantity",
        }
    }

    /// The input at fault.
    pub fn field(&self) -> &'static str {
        match self {
            BagRefusal::ItemLimit { .. }
            | BagRefusal::NotEnoughStock { .. }
            | BagRefusal::InvalidQuantity { .. } => "quantity",
            BagRefusal::InvalidPersonalisation(_) => "personalisation",
            _ => "sku",
        }
    }

    /// Whether the value itself is invalid (422) rather than refused by a rule (409).
    pub fn is_invalid_value(&self) -> bool {
        matches!(
            self,
            BagRefusal::InvalidPersonalisation(_) | BagRefusal::InvalidQuantity { .. }
        )
    }

    /// What the client reads, naming Client Relations where the seed says to.
    pub fn message(&self, cr: &ClientRelations) -> String {
        let contact = cr.contact_sentence();
        match self {
            BagRefusal::ItemLimit { max } => format!(
                "An order holds at most {max} creations. To discuss a special or larger order, an Ambassador will assist you: contact {contact}."
            ),
            BagRefusal::TemporarilyUnavailable { name, .. } => format!(
                "{name} is temporarily unavailable. A Client Relations Ambassador will be pleased to provide further information: contact {contact}."
            ),
            BagRefusal::NotEnoughStock {
                name, available, ..
            } => format!(
                "Only {available} of {name} can be ordered at the moment. For more, contact {contact}."
            ),
            BagRefusal::PriceOnRequest { name, .. } => format!(
                "{name} is priced on request: its value depends on its stones. Request information from the creation's page, or contact {contact} to be placed in touch with a Prestige Advisor."
            ),
            BagRefusal::NotSoldOnline { name, .. } => format!(
                "{name} is available by telephone: our Ambassadors will be pleased to assist you at {contact}."
            ),
            BagRefusal::InvalidPersonalisation(reason) => reason.clone(),
            BagRefusal::InvalidQuantity { max } => {
                format!("The quantity must be a whole number from 1 to {max}.")
            }
        }
    }
}

/// Checks that an order may hold `lines`. The first refusal wins, in this
/// order: how each creation is sold, its availability, personalisation, then
/// the total number of creations.
pub fn check_order_contents(
    lines: &[ProposedLine<'_>],
    policies: &Policies,
    channel: Channel<'_>,
) -> Result<(), BagRefusal> {
    let max = policies.max_items_per_order;
    for line in lines {
        let c = line.creation;
        let (name, sku) = (c.name.clone(), line.variant.sku.to_string());
        if line.quantity == 0 {
            return Err(BagRefusal::InvalidQuantity { max });
        }
        let assisted = matches!(channel, Channel::Assisted { .. });
        let quoted = matches!(channel, Channel::Quote { sku } if sku == line.variant.sku.as_str());
        if quoted && line.quantity != 1 {
            return Err(BagRefusal::InvalidQuantity { max: 1 });
        }
        match c.sale_mode {
            // The quote is the price of this one piece.
            _ if quoted => {}
            // A piece priced on request is sold only at the price of its
            // quote (rule R16), never from a bag or an order's lines.
            SaleMode::PriceOnRequest => {
                return Err(BagRefusal::PriceOnRequest { name, sku });
            }
            SaleMode::PhoneOnly if !assisted => {
                return Err(BagRefusal::NotSoldOnline { name, sku });
            }
            _ => {}
        }
        if c.flagged_unavailable || line.on_hand == 0 {
            return Err(BagRefusal::TemporarilyUnavailable { name, sku });
        }
        if line.quantity > line.on_hand {
            return Err(BagRefusal::NotEnoughStock {
                name,
                sku,
                available: line.on_hand,
            });
        }
        if let Some(p) = line.personalisation
            && !c.personalisation.iter().any(|o| o.kind() == p.kind())
        {
            return Err(BagRefusal::InvalidPersonalisation(format!(
                "{} cannot be personalised with {}.",
                c.name,
                p.kind()
            )));
        }
    }
    let total: u64 = lines.iter().map(|l| u64::from(l.quantity)).sum();
    let overridden = matches!(
        channel,
        Channel::Assisted { limit_override_reason: Some(reason) } if !reason.trim().is_empty()
    );
    if total > u64::from(max) && !overridden {
        return Err(BagRefusal::ItemLimit { max });
    }
    Ok(())
}

/// A change to one line of a bag (added, or its quantity changed): that line
/// passes every rule; the others only count towards the five-creation limit.
/// A line that became unavailable after it was added is marked on the bag and
/// blocks checkout, never a change to another line (R14).
pub fn check_bag_change(
    lines: &[ProposedLine<'_>],
    changed: usize,
    policies: &Policies,
) -> Result<(), BagRefusal> {
    if let Some(line) = lines.get(changed) {
        check_order_contents(std::slice::from_ref(line), policies, Channel::Online)?;
    }
    let total: u64 = lines.iter().map(|l| u64::from(l.quantity)).sum();
    if total > u64::from(policies.max_items_per_order) {
        return Err(BagRefusal::ItemLimit {
            max: policies.max_items_per_order,
        });
    }
    Ok(())
}

/// The sum of `unit price × quantity` over priced lines; `None` on overflow.
pub fn subtotal(lines: impl IntoIterator<Item = (Money, u32)>) -> Option<Money> {
    lines
        .into_iter()
        .try_fold(Money::usd_cents(0), |acc, (unit, quantity)| {
            unit.checked_mul(quantity)
                .and_then(|line| acc.checked_add(line))
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::PersonalisationOption;
    use crate::{Sku, Slug};

    fn creation(sku: &str, sale_mode: SaleMode, on_hand: u32) -> Creation {
        let sku = Sku::parse(sku).expect("valid");
        Creation {
            sku: sku.clone(),
            slug: Slug::parse(&sku.as_str().to_ascii_lowercase()).expect("valid"),
            name: format!("Creation {sku}"),
            category: Slug::parse("rings").expect("valid"),
            collection: None,
            description: String::new(),
            materials: vec![],
            sale_mode,
            price: (sale_mode != SaleMode::PriceOnRequest).then(|| Money::usd_dollars(1000)),
            flagged_unavailable: false,
            variants: vec![Variant {
                sku,
                size: None,
                on_hand,
            }],
            personalisation: vec![PersonalisationOption::Engraving {
                max_lines: 1,
                max_characters_per_line: 20,
            }],
        }
    }

    fn line(c: &Creation, quantity: u32) -> ProposedLine<'_> {
        ProposedLine {
            creation: c,
            variant: &c.variants[0],
            quantity,
            on_hand: c.variants[0].on_hand,
            personalisation: None,
        }
    }

    fn policies() -> Policies {
        Policies::default()
    }

    #[test]
    fn five_creations_fit_in_one_order() {
        let a = creation("A-1", SaleMode::Online, 10);
        let b = creation("B-1", SaleMode::Online, 10);
        assert_eq!(
            check_order_contents(&[line(&a, 3), line(&b, 2)], &policies(), Channel::Online),
            Ok(())
        );
    }

    #[test]
    fn sixth_creation_is_refused_with_client_relations_contact() {
        let a = creation("A-1", SaleMode::Online, 10);
        let b = creation("B-1", SaleMode::Online, 10);
        let err = check_order_contents(&[line(&a, 3), line(&b, 3)], &policies(), Channel::Online)
            .expect_err("six creations");
        assert_eq!(err.code(), "order_item_limit");
        assert_eq!(err.field(), "quantity");
        let cr = ClientRelations::default();
        let message = err.message(&cr);
        assert!(
            message.contains(&cr.phone) && message.contains(&cr.email),
            "{message}"
        );
    }

    #[test]
    fn the_limit_counts_quantities_not_lines_and_follows_the_policy() {
        let a = creation("A-1", SaleMode::Online, 10);
        assert!(check_order_contents(&[line(&a, 6)], &policies(), Channel::Online).is_err());
        let three = Policies {
            max_items_per_order: 3,
            ..Policies::default()
        };
        assert!(check_order_contents(&[line(&a, 3)], &three, Channel::Online).is_ok());
        assert!(check_order_contents(&[line(&a, 4)], &three, Channel::Online).is_err());
    }

    #[test]
    fn an_ambassador_may_exceed_the_limit_only_with_a_reason() {
        let a = creation("A-1", SaleMode::Online, 10);
        let lines = [line(&a, 7)];
        let with_reason = Channel::Assisted {
            limit_override_reason: Some("Wedding party"),
        };
        assert!(check_order_contents(&lines, &policies(), with_reason).is_ok());
        let without = Channel::Assisted {
            limit_override_reason: Some("  "),
        };
        assert!(check_order_contents(&lines, &policies(), without).is_err());
    }

    #[test]
    fn price_on_request_and_phone_only_creations_cannot_be_bought_online() {
        let por = creation("P-1", SaleMode::PriceOnRequest, 1);
        let phone = creation("T-1", SaleMode::PhoneOnly, 1);
        let err =
            check_order_contents(&[line(&por, 1)], &policies(), Channel::Online).expect_err("por");
        assert_eq!(err.code(), "price_on_request");
        let err = check_order_contents(&[line(&phone, 1)], &policies(), Channel::Online)
            .expect_err("phone");
        assert_eq!(err.code(), "not_sold_online");
        let assisted = Channel::Assisted {
            limit_override_reason: None,
        };
        assert!(check_order_contents(&[line(&phone, 1)], &policies(), assisted).is_ok());
        // Priced on request: only through a quote, even by telephone.
        let err = check_order_contents(&[line(&por, 1)], &policies(), assisted)
            .expect_err("por by telephone");
        assert_eq!(err.code(), "price_on_request");
    }

    #[test]
    fn a_quote_sells_its_one_piece_priced_on_request_and_nothing_else() {
        let por = creation("P-1", SaleMode::PriceOnRequest, 1);
        let other = creation("Q-1", SaleMode::PriceOnRequest, 1);
        let quote = Channel::Quote { sku: "P-1" };
        assert_eq!(
            check_order_contents(&[line(&por, 1)], &policies(), quote),
            Ok(())
        );
        let err = check_order_contents(&[line(&por, 2)], &policies(), quote).expect_err("two");
        assert_eq!(err, BagRefusal::InvalidQuantity { max: 1 });
        let err = check_order_contents(&[line(&other, 1)], &policies(), quote)
            .expect_err("another piece");
        assert_eq!(err.code(), "price_on_request");
        // Still only what is in stock.
        let sold = creation("P-1", SaleMode::PriceOnRequest, 0);
        let err = check_order_contents(&[line(&sold, 1)], &policies(), quote).expect_err("sold");
        assert_eq!(err.code(), "temporarily_unavailable");
    }

    #[test]
    fn unavailable_creations_are_refused() {
        let mut flagged = creation("F-1", SaleMode::Online, 4);
        flagged.flagged_unavailable = true;
        let err = check_order_contents(&[line(&flagged, 1)], &policies(), Channel::Online)
            .expect_err("flagged");
        assert_eq!(err.code(), "temporarily_unavailable");
        let empty = creation("E-1", SaleMode::Online, 0);
        let err = check_order_contents(&[line(&empty, 1)], &policies(), Channel::Online)
            .expect_err("none");
        assert_eq!(err.code(), "temporarily_unavailable");
        let two = creation("S-1", SaleMode::Online, 2);
        let err = check_order_contents(&[line(&two, 3)], &policies(), Channel::Online)
            .expect_err("three of two");
        assert_eq!(
            err,
            BagRefusal::NotEnoughStock {
                name: two.name.clone(),
                sku: "S-1".into(),
                available: 2
            }
        );
    }

    #[test]
    fn zero_quantities_are_refused() {
        let a = creation("A-1", SaleMode::Online, 10);
        let err =
            check_order_contents(&[line(&a, 0)], &policies(), Channel::Online).expect_err("zero");
        assert_eq!(err.code(), "invalid_quantity");
        assert!(err.is_invalid_value());
    }

    #[test]
    fn a_personalisation_the_creation_no_longer_offers_is_refused() {
        let mut a = creation("A-1", SaleMode::Online, 10);
        let p = Personalisation::Embossing { text: "AB".into() };
        let mut l = line(&a, 1);
        l.personalisation = Some(&p);
        let err = check_order_contents(&[l], &policies(), Channel::Online).expect_err("embossing");
        assert_eq!(err.code(), "invalid_personalisation");
        a.personalisation.clear();
    }

    #[test]
    fn subtotals_add_lines_and_catch_overflow() {
        let unit = Money::usd_dollars(1000);
        assert_eq!(
            subtotal([(unit, 2), (Money::usd_cents(50), 1)]),
            Some(Money::usd_cents(200_050))
        );
        assert_eq!(subtotal([(Money::usd_cents(i64::MAX), 2)]), None);
    }
}
