//! Orders (PRODUCT.md §2): the status machine, and order numbers that clients
//! can read aloud but nobody can guess.

mod record;

use std::fmt;

use serde::Serialize;

pub use record::{
    Assisted, AssistedVia, DocumentsChannel, Order, OrderEvent, OrderLine, OrderListItem,
    OrderRequest, OrderSummary,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Internal: stock reserved, payment being authorised.
    PendingPayment,
    /// Internal: the payment was declined or never taken; stock released.
    PaymentFailed,
    /// Acknowledged; a wire order waits here for funds.
    Placed,
    /// Payment secured, stock allocated; confirmation sent.
    Confirmed,
    /// The point of no return for changes.
    Processing,
    Shipped,
    Delivered,
    ReadyForPickup,
    Collected,
    Cancelled,
}

impl OrderStatus {
    pub const ALL: [OrderStatus; 10] = [
        OrderStatus::PendingPayment,
        OrderStatus::PaymentFailed,
        OrderStatus::Placed,
        OrderStatus::Confirmed,
        OrderStatus::Processing,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::ReadyForPickup,
        OrderStatus::Collected,
        OrderStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "pending_payment",
            OrderStatus::PaymentFailed => "payment_failed",
            OrderStatus::Placed => "placed",
            OrderStatus::Confirmed => "confirmed",
            OrderStatus::Processing => "processing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::ReadyForPickup => "ready_for_pickup",
            OrderStatus::Collected => "collected",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The statuses this one may move to.
    pub fn next(self) -> &'static [OrderStatus] {
        use OrderStatus::*;
        match self {
            PendingPayment => &[Placed, PaymentFailed],
            Placed => &[Confirmed, Cancelled],
            Confirmed => &[Processing, Cancelled],
            Processing => &[Shipped, ReadyForPickup],
            Shipped => &[Delivered],
            ReadyForPickup => &[Collected],
            PaymentFailed | Delivered | Collected | Cancelled => &[],
        }
    }

    pub fn can_become(self, next: OrderStatus) -> bool {
        self.next().contains(&next)
    }

    /// Whether the order may still be changed or cancelled (rule R8): until
    /// processing starts. The order can be cancelled from exactly these states.
    pub fn is_modifiable(self) -> bool {
        self.can_become(OrderStatus::Cancelled)
    }

    /// What a client reads on the timeline.
    pub fn describe(self) -> &'static str {
        match self {
            OrderStatus::PendingPayment => "Payment being authorised",
            OrderStatus::PaymentFailed => "Payment not taken",
            OrderStatus::Placed => "Order received",
            OrderStatus::Confirmed => "Order confirmed: payment secured, creations reserved",
            OrderStatus::Processing => "Being prepared",
            OrderStatus::Shipped => "Shipped",
            OrderStatus::Delivered => "Delivered",
            OrderStatus::ReadyForPickup => "Ready for pickup at the boutique",
            OrderStatus::Collected => "Collected at the boutique",
            OrderStatus::Cancelled => "Cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an order that is {} cannot become {}", from.as_str(), to.as_str())]
pub struct TransitionRefused {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

/// Moves `from` to `to`, or says why not.
pub fn transition(from: OrderStatus, to: OrderStatus) -> Result<OrderStatus, TransitionRefused> {
    if from.can_become(to) {
        Ok(to)
    } else {
        Err(TransitionRefused { from, to })
    }
}

/// What someone asks of an order. Each command names the status it leads to;
/// [`decide`] says whether the order's status allows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderCommand {
    /// The payment was authorised: the order is received (then confirmed).
    Place,
    /// The payment was not taken.
    FailPayment,
    /// Payment secured and creations reserved.
    Confirm,
    /// Client Relations cancel the order (rule R8: only before processing).
    Cancel,
    /// Fulfilment starts preparing the order: the point of no return.
    Process,
    Ship,
    Deliver,
    MakeReadyForPickup,
    Collect,
}

impl OrderCommand {
    pub const ALL: [OrderCommand; 9] = [
        OrderCommand::Place,
        OrderCommand::FailPayment,
        OrderCommand::Confirm,
        OrderCommand::Cancel,
        OrderCommand::Process,
        OrderCommand::Ship,
        OrderCommand::Deliver,
        OrderCommand::MakeReadyForPickup,
        OrderCommand::Collect,
    ];

    /// The status the command leads to.
    pub fn target(self) -> OrderStatus {
        match self {
            OrderCommand::Place => OrderStatus::Placed,
            OrderCommand::FailPayment => OrderStatus::PaymentFailed,
            OrderCommand::Confirm => OrderStatus::Confirmed,
            OrderCommand::Cancel => OrderStatus::Cancelled,
            OrderCommand::Process => OrderStatus::Processing,
            OrderCommand::Ship => OrderStatus::Shipped,
            OrderCommand::Deliver => OrderStatus::Delivered,
            OrderCommand::MakeReadyForPickup => OrderStatus::ReadyForPickup,
            OrderCommand::Collect => OrderStatus::Collected,
        }
    }

    /// The verb, in the API's words (`cancel`, `process`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            OrderCommand::Place => "place",
            OrderCommand::FailPayment => "fail_payment",
            OrderCommand::Confirm => "confirm",
            OrderCommand::Cancel => "cancel",
            OrderCommand::Process => "process",
            OrderCommand::Ship => "ship",
            OrderCommand::Deliver => "deliver",
            OrderCommand::MakeReadyForPickup => "ready_for_pickup",
            OrderCommand::Collect => "collect",
        }
    }
}

/// What a command does to an order in a given status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Move to this status.
    Move(OrderStatus),
    /// Already done (a cancelled order asked to cancel again): answer the
    /// order as it is, change nothing.
    Unchanged,
}

/// Why a command is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CommandRefused {
    /// A cancellation or change once processing has started (rule R8).
    #[error("an order that is {} can no longer be changed or cancelled", .0.as_str())]
    NotModifiable(OrderStatus),
    /// Any other move the lifecycle does not allow.
    #[error("an order that is {} cannot {}", .from.as_str(), .command.as_str())]
    InvalidTransition {
        from: OrderStatus,
        command: OrderCommand,
    },
}

/// The one decision of the lifecycle (PRODUCT.md §2): what `command` does to
/// an order that is `status`.
pub fn decide(status: OrderStatus, command: OrderCommand) -> Result<Decision, CommandRefused> {
    let target = command.target();
    if status == target && matches!(command, OrderCommand::Cancel | OrderCommand::Process) {
        return Ok(Decision::Unchanged);
    }
    if status.can_become(target) {
        return Ok(Decision::Move(target));
    }
    let past_processing = matches!(
        status,
        OrderStatus::Processing
            | OrderStatus::Shipped
            | OrderStatus::Delivered
            | OrderStatus::ReadyForPickup
            | OrderStatus::Collected
    );
    if command == OrderCommand::Cancel && past_processing {
        return Err(CommandRefused::NotModifiable(status));
    }
    Err(CommandRefused::InvalidTransition {
        from: status,
        command,
    })
}

/// Crockford's base 32: no I, L, O or U, so a number read on the telephone is
/// not misheard; `*~$=U` extend it to 37 symbols for the check character. New
/// numbers are only drawn where the check is a letter or a digit (a client
/// reads the number aloud); numbers issued with a symbol still read back.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CHECK_SYMBOLS: &[u8; 37] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ*~$=U";

/// An order number such as `MV-7K2Q-9HDX-4`: 8 random symbols (40 bits) and a
/// check character (mod 37), so a mistyped number is caught before a look-up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct OrderNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("this is not an order number: it reads like MV-7K2Q-9HDX-4")]
pub struct InvalidOrderNumber;

impl OrderNumber {
    /// A number from 5 random bytes: the value they make, or the next one
    /// whose check character is a letter or a digit (at most 5 steps on; the
    /// numbers keep over 39 bits of chance).
    pub fn from_random(bytes: [u8; 5]) -> Self {
        let mut value: u64 = bytes.iter().fold(0, |acc, b| (acc << 8) | u64::from(*b));
        while value % 37 >= 32 {
            value = (value + 1) % (1 << 40);
        }
        let mut symbols = [0u8; 8];
        for slot in symbols.iter_mut().rev() {
            *slot = ALPHABET[(value % 32) as usize];
            value /= 32;
        }
        Self::assemble(&symbols)
    }

    fn assemble(symbols: &[u8; 8]) -> Self {
        let value = symbols
            .iter()
            .fold(0u64, |acc, s| acc * 32 + symbol_value(*s).unwrap_or(0));
        let check = CHECK_SYMBOLS[(value % 37) as usize] as char;
        let text = String::from_utf8_lossy(symbols).into_owned();
        OrderNumber(format!("MV-{}-{}-{check}", &text[..4], &text[4..]))
    }

    /// Reads a number as a client types it: any case, spaces or dashes, with
    /// or without the `MV` prefix; `O`, `I` and `L` read as `0`, `1`, `1`.
    pub fn parse(text: &str) -> Result<Self, InvalidOrderNumber> {
        let mut compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .flat_map(char::to_uppercase)
            .collect();
        if compact.len() == 11 && compact.starts_with("MV") {
            compact.drain(..2);
        }
        if compact.len() != 9 || !compact.is_ascii() {
            return Err(InvalidOrderNumber);
        }
        let bytes = compact.as_bytes();
        let mut symbols = [0u8; 8];
        for (slot, &b) in symbols.iter_mut().zip(&bytes[..8]) {
            let b = match b {
                b'O' => b'0',
                b'I' | b'L' => b'1',
                other => other,
            };
            symbol_value(b).ok_or(InvalidOrderNumber)?;
            *slot = b;
        }
        let number = Self::assemble(&symbols);
        if number.0.as_bytes().last() == Some(&bytes[8]) {
            Ok(number)
        } else {
            Err(InvalidOrderNumber)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn symbol_value(symbol: u8) -> Option<u64> {
    ALPHABET.iter().position(|s| *s == symbol).map(|p| p as u64)
}

impl fmt::Display for OrderNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_orders_not_yet_in_processing_can_be_changed_or_cancelled() {
        let modifiable: Vec<OrderStatus> = OrderStatus::ALL
            .iter()
            .copied()
            .filter(|s| s.is_modifiable())
            .collect();
        assert_eq!(
            modifiable,
            vec![OrderStatus::Placed, OrderStatus::Confirmed]
        );
    }

    #[test]
    fn the_card_checkout_path_is_allowed() {
        let placed = transition(OrderStatus::PendingPayment, OrderStatus::Placed).expect("placed");
        let confirmed = transition(placed, OrderStatus::Confirmed).expect("confirmed");
        assert_eq!(confirmed, OrderStatus::Confirmed);
    }

    #[test]
    fn a_processed_order_cannot_be_cancelled() {
        for status in [
            OrderStatus::Processing,
            OrderStatus::Shipped,
            OrderStatus::Delivered,
            OrderStatus::Collected,
        ] {
            assert!(
                transition(status, OrderStatus::Cancelled).is_err(),
                "{status:?}"
            );
        }
        assert!(transition(OrderStatus::Confirmed, OrderStatus::Cancelled).is_ok());
        assert!(transition(OrderStatus::Placed, OrderStatus::Cancelled).is_ok());
    }

    #[test]
    fn terminal_statuses_go_nowhere_and_every_status_round_trips() {
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            for next in status.next() {
                assert_ne!(*next, status);
            }
        }
        assert!(OrderStatus::Cancelled.next().is_empty());
    }

    #[test]
    fn cancelling_is_refused_once_processing_has_started_and_answered_as_is_when_done() {
        use OrderCommand::*;
        assert_eq!(
            decide(OrderStatus::Confirmed, Cancel),
            Ok(Decision::Move(OrderStatus::Cancelled))
        );
        assert_eq!(
            decide(OrderStatus::Cancelled, Cancel),
            Ok(Decision::Unchanged)
        );
        for status in [
            OrderStatus::Processing,
            OrderStatus::Shipped,
            OrderStatus::Delivered,
            OrderStatus::ReadyForPickup,
            OrderStatus::Collected,
        ] {
            assert_eq!(
                decide(status, Cancel),
                Err(CommandRefused::NotModifiable(status))
            );
        }
        assert_eq!(
            decide(OrderStatus::Placed, Process),
            Err(CommandRefused::InvalidTransition {
                from: OrderStatus::Placed,
                command: Process
            })
        );
        assert_eq!(
            decide(OrderStatus::PendingPayment, Cancel),
            Err(CommandRefused::InvalidTransition {
                from: OrderStatus::PendingPayment,
                command: Cancel
            })
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        /// Random sequences of commands from a new order: every state reached is
        /// one the lifecycle allows from the one before, nothing leaves a final
        /// state, and nothing is cancelled once processing has started.
        #[test]
        fn no_sequence_of_commands_reaches_a_forbidden_state(
            commands in proptest::collection::vec(0..OrderCommand::ALL.len(), 0..40)
        ) {
            let mut status = OrderStatus::PendingPayment;
            let mut processed = false;
            for i in commands {
                let command = OrderCommand::ALL[i];
                match decide(status, command) {
                    Ok(Decision::Move(next)) => {
                        proptest::prop_assert!(status.can_become(next), "{status:?} -> {next:?}");
                        proptest::prop_assert!(!(processed && next == OrderStatus::Cancelled));
                        processed |= next == OrderStatus::Processing;
                        status = next;
                    }
                    Ok(Decision::Unchanged) => proptest::prop_assert_eq!(status, command.target()),
                    Err(CommandRefused::NotModifiable(at)) => {
                        proptest::prop_assert_eq!(at, status);
                        proptest::prop_assert!(!status.is_modifiable());
                        proptest::prop_assert_eq!(command, OrderCommand::Cancel);
                    }
                    Err(CommandRefused::InvalidTransition { from, .. }) => {
                        proptest::prop_assert_eq!(from, status);
                        proptest::prop_assert!(!status.can_become(command.target()));
                    }
                }
            }
            // Cancelled only ever from placed or confirmed; processed orders
            // only move forward.
            proptest::prop_assert!(!(processed && status == OrderStatus::Cancelled));
        }
    }

    #[test]
    fn order_numbers_read_back_in_any_form() {
        let number = OrderNumber::from_random([0x12, 0x34, 0x56, 0x78, 0x9a]);
        assert!(number.as_str().starts_with("MV-"));
        assert_eq!(number.as_str().len(), 14);
        assert_eq!(OrderNumber::parse(number.as_str()), Ok(number.clone()));
        let typed = number.as_str().to_lowercase().replace('-', " ");
        assert_eq!(OrderNumber::parse(&typed), Ok(number.clone()));
        let without_prefix = &number.as_str()[3..];
        assert_eq!(OrderNumber::parse(without_prefix), Ok(number));
    }

    #[test]
    fn new_order_numbers_end_in_a_letter_or_a_digit() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            // xorshift: many different byte patterns, reproducibly.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let b = state.to_be_bytes();
            let number = OrderNumber::from_random([b[0], b[1], b[2], b[3], b[4]]);
            let check = number.as_str().as_bytes()[13];
            assert!(ALPHABET.contains(&check), "{number}");
            assert_eq!(OrderNumber::parse(number.as_str()), Ok(number));
        }
        // The largest value steps around to the start, never out of range.
        let top = OrderNumber::from_random([0xff; 5]);
        assert!(ALPHABET.contains(&top.as_str().as_bytes()[13]), "{top}");
    }

    #[test]
    fn numbers_issued_with_a_symbol_check_still_read_back() {
        // 32 * 37 + 32: its check character is the symbol `*`.
        let value: u64 = 32 * 37 + 32;
        let mut symbols = [0u8; 8];
        let mut v = value;
        for slot in symbols.iter_mut().rev() {
            *slot = ALPHABET[(v % 32) as usize];
            v /= 32;
        }
        let legacy = OrderNumber::assemble(&symbols);
        assert!(legacy.as_str().ends_with('*'), "{legacy}");
        assert_eq!(OrderNumber::parse(legacy.as_str()), Ok(legacy));
    }

    #[test]
    fn a_mistyped_order_number_fails_its_check_character() {
        let number = OrderNumber::from_random([1, 2, 3, 4, 5]);
        let text = number.as_str();
        let mut caught = 0;
        let mut tried = 0;
        for (i, ch) in text.char_indices().filter(|(i, _)| *i >= 3) {
            if ch == '-' {
                continue;
            }
            for replacement in ALPHABET.iter().map(|b| *b as char).filter(|r| *r != ch) {
                let mut typo = text.to_owned();
                typo.replace_range(i..i + 1, &replacement.to_string());
                tried += 1;
                if OrderNumber::parse(&typo).is_err() {
                    caught += 1;
                }
            }
        }
        assert_eq!(caught, tried, "every single-character typo is caught");
        assert!(OrderNumber::parse("MV-1234").is_err());
        assert!(OrderNumber::parse("").is_err());
        assert!(OrderNumber::parse("MV-ÉÉÉÉ-ÉÉÉÉ-É").is_err());
    }

    #[test]
    fn different_random_bytes_give_different_numbers() {
        let a = OrderNumber::from_random([0, 0, 0, 0, 1]);
        let b = OrderNumber::from_random([0, 0, 0, 0, 2]);
        assert_ne!(a, b);
    }
}
