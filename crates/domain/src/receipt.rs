//! Wire and cash receipts on assisted orders (rule R2): staff record each
//! payment as it arrives; partial receipts add up; the order is confirmed
//! when fully paid. Pure rules, tested here; storage and letters are the
//! application's.

use crate::Money;

/// Cash over this total on one order is reported (US Form 8300 and Canada's
/// FINTRAC large cash transaction report both start at 10,000): the order
/// and the audit log flag it for Client Relations.
pub const LARGE_CASH_THRESHOLD: Money = Money::usd_dollars(10_000);

/// The longest bank reference kept.
pub const MAX_REFERENCE_CHARS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptMethod {
    Wire,
    Cash,
}

impl ReceiptMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptMethod::Wire => "wire",
            ReceiptMethod::Cash => "cash",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "wire" => Some(ReceiptMethod::Wire),
            "cash" => Some(ReceiptMethod::Cash),
            _ => None,
        }
    }
}

/// One payment received on an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub id: String,
    pub order_id: String,
    pub method: ReceiptMethod,
    pub amount: Money,
    /// The bank's reference of a transfer, or the boutique's receipt number.
    pub reference: String,
    /// The staff member who recorded it (e-mail).
    pub recorded_by: String,
    pub received_at: i64,
}

/// A bank reference as it is compared: case and spacing do not make two
/// transfers different.
pub fn reference_key(reference: &str) -> String {
    reference
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_uppercase)
        .collect()
}

/// Why a receipt is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptRefusal {
    #[error("The amount must be more than zero.")]
    NotPositive,
    #[error("The amount must be in {0}, the order's currency.")]
    Currency(&'static str),
    #[error("Only {balance} remains to be paid on this order.")]
    ExceedsBalance { balance: Money },
}

/// What an order owes after its receipts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Balance {
    pub due: Money,
    pub received: Money,
}

impl Balance {
    /// The receipts so far against the total due.
    pub fn of(due: Money, receipts: &[Receipt]) -> Balance {
        let received = receipts
            .iter()
            .map(|r| r.amount.minor())
            .fold(0i64, i64::saturating_add);
        Balance {
            due,
            received: Money::new(received, due.currency()),
        }
    }

    pub fn outstanding(&self) -> Money {
        Money::new(
            self.due
                .minor()
                .saturating_sub(self.received.minor())
                .max(0),
            self.due.currency(),
        )
    }

    pub fn is_paid(&self) -> bool {
        self.received.minor() >= self.due.minor()
    }

    /// The balance after `amount`, or why it cannot be received.
    pub fn receive(&self, amount: Money) -> Result<Balance, ReceiptRefusal> {
        if amount.currency() != self.due.currency() {
            return Err(ReceiptRefusal::Currency(self.due.currency().code()));
        }
        if amount.minor() <= 0 {
            return Err(ReceiptRefusal::NotPositive);
        }
        if amount.minor() > self.outstanding().minor() {
            return Err(ReceiptRefusal::ExceedsBalance {
                balance: self.outstanding(),
            });
        }
        Ok(Balance {
            due: self.due,
            received: Money::new(self.received.minor() + amount.minor(), self.due.currency()),
        })
    }
}

/// Whether the cash received on an order, with `amount`, passes the
/// reporting threshold.
pub fn passes_large_cash_threshold(cash_so_far: Money, amount: Money) -> bool {
    cash_so_far.minor().saturating_add(amount.minor()) > LARGE_CASH_THRESHOLD.minor()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn receipt(minor: i64) -> Receipt {
        Receipt {
            id: "r".into(),
            order_id: "o".into(),
            method: ReceiptMethod::Wire,
            amount: Money::usd_cents(minor),
            reference: "REF".into(),
            recorded_by: "a@maison.example".into(),
            received_at: 0,
        }
    }

    #[test]
    fn partial_receipts_add_up_to_the_total() {
        let due = Money::usd_cents(1_250_000);
        let first = Balance::of(due, &[]).receive(Money::usd_cents(500_000));
        let first = first.expect("first");
        assert!(!first.is_paid());
        assert_eq!(first.outstanding(), Money::usd_cents(750_000));
        let second = first.receive(Money::usd_cents(750_000)).expect("second");
        assert!(second.is_paid());
        assert_eq!(second.outstanding(), Money::usd_cents(0));
        assert_eq!(
            Balance::of(due, &[receipt(500_000), receipt(750_000)]),
            second
        );
    }

    #[test]
    fn more_than_the_balance_zero_and_another_currency_are_refused() {
        let balance = Balance::of(Money::usd_cents(10_000), &[receipt(4_000)]);
        assert_eq!(
            balance.receive(Money::usd_cents(6_001)),
            Err(ReceiptRefusal::ExceedsBalance {
                balance: Money::usd_cents(6_000)
            })
        );
        assert_eq!(
            balance.receive(Money::usd_cents(0)),
            Err(ReceiptRefusal::NotPositive)
        );
        assert_eq!(
            balance.receive(Money::usd_cents(-5)),
            Err(ReceiptRefusal::NotPositive)
        );
    }

    #[test]
    fn bank_references_compare_without_case_spaces_or_dashes() {
        assert_eq!(reference_key("fw 2026-1201 a"), "FW20261201A");
        assert_eq!(
            reference_key("FW20261201A"),
            reference_key("fw-2026 1201-a")
        );
        assert_ne!(reference_key("FW1"), reference_key("FW2"));
    }

    #[test]
    fn cash_is_flagged_only_over_ten_thousand_dollars_in_total() {
        let ten_k = Money::usd_dollars(10_000);
        assert!(!passes_large_cash_threshold(Money::usd_cents(0), ten_k));
        assert!(passes_large_cash_threshold(ten_k, Money::usd_cents(1)));
        assert!(passes_large_cash_threshold(
            Money::usd_dollars(6_000),
            Money::usd_dollars(4_001)
        ));
    }

    proptest! {
        #[test]
        fn no_sequence_of_receipts_pays_more_than_is_due(
            due in 1i64..10_000_000,
            amounts in proptest::collection::vec(-100i64..5_000_000, 0..12),
        ) {
            let mut balance = Balance::of(Money::usd_cents(due), &[]);
            for a in amounts {
                if let Ok(next) = balance.receive(Money::usd_cents(a)) {
                    balance = next;
                }
                prop_assert!(balance.received.minor() <= due);
                prop_assert!(balance.outstanding().minor() >= 0);
            }
        }
    }
}
