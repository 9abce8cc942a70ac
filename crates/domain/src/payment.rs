//! How an order is paid (rules R1, R2), as the order records it: a card
//! (never its number nor its code: the processor's token, brand, last four,
//! expiry, cardholder), a wire transfer or cash on an assisted order.

use crate::card::CardBrand;

/// The card an order was authorised on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardOnFile {
    pub brand: CardBrand,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
    pub holder_name: String,
    /// The processor's token for the card, once authorised.
    pub token: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payment {
    Card(CardOnFile),
    /// Assisted orders: the order waits for the funds.
    Wire,
    /// Assisted orders: paid at a boutique.
    Cash,
}

impl Payment {
    /// `card`, `wire` or `cash`, as the API and the database write it.
    pub fn method(&self) -> &'static str {
        match self {
            Payment::Card(_) => "card",
            Payment::Wire => "wire",
            Payment::Cash => "cash",
        }
    }

    pub fn card(&self) -> Option<&CardOnFile> {
        match self {
            Payment::Card(card) => Some(card),
            _ => None,
        }
    }

    /// "Visa ending in 4242", "Wire transfer", "Cash".
    pub fn describe(&self) -> String {
        match self {
            Payment::Card(card) => {
                format!("{} ending in {}", card.brand.display_name(), card.last4)
            }
            Payment::Wire => "Wire transfer".to_owned(),
            Payment::Cash => "Cash".to_owned(),
        }
    }
}

/// One operation sent to a payment processor (authorise, capture, void,
/// refund), recorded before the call: its id is the processor's idempotency
/// key, so a retry or a recovery never charges twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentAttempt {
    pub id: String,
    pub order_id: String,
    pub operation: String,
    pub amount: crate::Money,
    pub status: String,
    pub processor: String,
    pub processor_ref: Option<String>,
    pub decline_code: Option<String>,
    pub created_at: i64,
}

impl PaymentAttempt {
    /// An operation about to be sent to `processor`: recorded first, as
    /// pending, under its id (the processor's idempotency key).
    pub fn pending(
        id: String,
        order_id: &str,
        operation: &str,
        amount: crate::Money,
        processor: &str,
        processor_ref: Option<&str>,
        at: i64,
    ) -> Self {
        PaymentAttempt {
            id,
            order_id: order_id.to_owned(),
            operation: operation.to_owned(),
            amount,
            status: "pending".to_owned(),
            processor: processor.to_owned(),
            processor_ref: processor_ref.map(str::to_owned),
            decline_code: None,
            created_at: at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payment_says_how_it_was_made_and_never_more_than_the_last_four() {
        let card = Payment::Card(CardOnFile {
            brand: CardBrand::Visa,
            last4: "4242".into(),
            exp_month: 12,
            exp_year: 2031,
            holder_name: "Claire Dubois".into(),
            token: None,
        });
        assert_eq!(card.describe(), "Visa ending in 4242");
        assert_eq!(card.method(), "card");
        assert_eq!(Payment::Wire.describe(), "Wire transfer");
        assert_eq!(Payment::Cash.method(), "cash");
    }
}
