//! The payment gateway port and the processors behind it.
//!
//! This crate owns the one boundary that really has several implementations:
//! [`PaymentGateway`] (authorise, capture, void, refund, sync), each operation
//! carrying an idempotency key, in the miniature of Hyperswitch's connector
//! boundary. The built-in [`Simulator`] follows the public test cards; real
//! connectors plug in behind the same trait, used as `Arc<dyn PaymentGateway>`.
//!
//! Card numbers and CVCs travel only inside [`CardSecret`] and [`CvcSecret`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use maison_domain::Money;
use maison_domain::card::CardBrand;

pub mod secret;
pub mod simulator;

pub use secret::{CardSecret, CvcSecret};
pub use simulator::{FailureMode, FaultRates, Simulator};

/// A boxed, sendable future: what the object-safe [`PaymentGateway`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The card as typed by the client or an Ambassador, already validated locally.
pub struct CardDetails {
    pub number: CardSecret,
    pub cvc: CvcSecret,
    pub exp_month: u32,
    pub exp_year: u32,
    pub holder_name: String,
    pub brand: CardBrand,
}

/// Masks the secrets and leaves the holder's name out of logs.
impl fmt::Debug for CardDetails {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardDetails")
            .field("number", &self.number)
            .field("cvc", &self.cvc)
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("holder_name", &"<redacted>")
            .field("brand", &self.brand)
            .finish()
    }
}

/// A request to place a hold on a card (manual capture).
#[derive(Debug, Clone, Copy)]
pub struct AuthoriseRequest<'a> {
    /// Our payment-attempt id; the same key is never reused for another request.
    pub idempotency_key: &'a str,
    pub amount: Money,
    pub card: &'a CardDetails,
    /// Our order number, shown to the processor's staff and on statements.
    pub reference: &'a str,
}

/// A hold placed again on a card the processor already knows, by its token
/// (a changed order's new total, a renewal): no number, no code.
#[derive(Debug, Clone, Copy)]
pub struct TokenAuthoriseRequest<'a> {
    pub idempotency_key: &'a str,
    pub amount: Money,
    pub card_token: &'a str,
    pub reference: &'a str,
}

/// What the processor answered to an authorisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthoriseOutcome {
    Authorised(Authorisation),
    Declined(Decline),
}

/// A hold placed on the card, to be captured before `expires_at_unix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorisation {
    /// The processor's reference of the payment, for capture, void and refund.
    pub processor_ref: String,
    pub auth_code: String,
    /// The processor's token of the card, never the card number: safe to store.
    pub card_token: String,
    pub amount: Money,
    /// When the hold lapses (UTC seconds); capture or renew before then.
    pub expires_at_unix: i64,
}

/// A refusal by the issuer or the processor; nothing was charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    pub reason: DeclineReason,
    /// What a client may see: never reveals a lost or stolen card, discreet about funds.
    pub message: String,
    /// The form field the client should correct, when there is one.
    pub field: Option<&'static str>,
}

impl Decline {
    /// The decline for `reason`, with the message and field a client may see.
    pub fn new(reason: DeclineReason) -> Self {
        Decline {
            reason,
            message: reason.client_message().to_owned(),
            field: reason.field(),
        }
    }
}

/// Why a card was declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeclineReason {
    Generic,
    InsufficientFunds,
    IncorrectCvc,
    ExpiredCard,
    ProcessingError,
    LostOrStolen,
}

/// The one message for every decline whose reason the client must not learn.
pub const GENERIC_DECLINE_MESSAGE: &str =
    "Your card was declined. Please use another card or contact your bank.";

impl DeclineReason {
    pub const ALL: [DeclineReason; 6] = [
        DeclineReason::Generic,
        DeclineReason::InsufficientFunds,
        DeclineReason::IncorrectCvc,
        DeclineReason::ExpiredCard,
        DeclineReason::ProcessingError,
        DeclineReason::LostOrStolen,
    ];

    /// The reason whose [`DeclineReason::code`] is `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The precise reason, for staff and logs only (it may reveal a lost or stolen card).
    pub fn code(self) -> &'static str {
        match self {
            DeclineReason::Generic => "generic_decline",
            DeclineReason::InsufficientFunds => "insufficient_funds",
            DeclineReason::IncorrectCvc => "incorrect_cvc",
            DeclineReason::ExpiredCard => "expired_card",
            DeclineReason::ProcessingError => "processing_error",
            DeclineReason::LostOrStolen => "lost_or_stolen",
        }
    }

    /// The code a client may see (problem+json `code`): generic, insufficient
    /// funds and lost or stolen cards all read `card_declined`.
    pub fn client_code(self) -> &'static str {
        match self {
            DeclineReason::Generic
            | DeclineReason::InsufficientFunds
            | DeclineReason::LostOrStolen => "card_declined",
            DeclineReason::IncorrectCvc => "incorrect_cvc",
            DeclineReason::ExpiredCard => "card_expired",
            DeclineReason::ProcessingError => "processing_error",
        }
    }

    /// What a client may read.
    pub fn client_message(self) -> &'static str {
        match self {
            DeclineReason::Generic
            | DeclineReason::InsufficientFunds
            | DeclineReason::LostOrStolen => GENERIC_DECLINE_MESSAGE,
            DeclineReason::IncorrectCvc => {
                "The card's security code is incorrect. Please check it and try again."
            }
            DeclineReason::ExpiredCard => {
                "Your card has expired. Please check the expiry date or use another card."
            }
            DeclineReason::ProcessingError => {
                "Your card was not refused, but the payment could not be processed and nothing was charged. Please try again in a moment, or use another card."
            }
        }
    }

    /// Whether the issuer refused the card (402 `payment_declined`). A
    /// processing error is not a refusal: the processor failed to process a
    /// card that may well be good, nothing was charged, and the same card may
    /// be tried again in a moment (503 `payment_unavailable`).
    pub fn refuses_card(self) -> bool {
        !matches!(self, DeclineReason::ProcessingError)
    }

    /// The form field to correct, if any.
    pub fn field(self) -> Option<&'static str> {
        match self {
            DeclineReason::IncorrectCvc => Some("cvc"),
            DeclineReason::ExpiredCard => Some("exp_month"),
            DeclineReason::Generic
            | DeclineReason::InsufficientFunds
            | DeclineReason::LostOrStolen
            | DeclineReason::ProcessingError => None,
        }
    }
}

/// Where a payment stands at the processor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaymentState {
    Authorised,
    /// The hold lapsed without a capture.
    Expired,
    Captured,
    Voided,
}

/// A payment as the processor's ledger holds it (no card number, ever).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentSnapshot {
    pub processor_ref: String,
    /// Our order number, as sent with the authorisation.
    pub reference: String,
    pub card_last4: String,
    pub authorised: Money,
    pub captured: Option<Money>,
    pub refunded: Money,
    pub state: PaymentState,
    pub expires_at_unix: i64,
}

/// What a capture, void or refund did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRecord {
    /// The processor's reference: the payment's for a capture or a void, the
    /// refund's own for a refund.
    pub processor_ref: String,
    /// Captured, released (void) or refunded.
    pub amount: Money,
}

/// What the processor recorded under an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncedOperation {
    Authorise(AuthoriseOutcome),
    Capture(OperationRecord),
    Void(OperationRecord),
    Refund(OperationRecord),
}

/// The gateway could not give an answer, or refused the request as such.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    #[error("the payment processor did not answer in time")]
    Timeout,
    #[error("the payment processor is unavailable: {0}")]
    Unavailable(String),
    #[error("idempotency key {0:?} was already used for a different request")]
    IdempotencyConflict(String),
    #[error("the payment processor knows no payment {0:?}")]
    UnknownReference(String),
    #[error("the payment does not allow this operation: {0}")]
    InvalidState(String),
    #[error("the amount is larger than the payment processor allows")]
    AmountTooLarge,
    #[error("the request is invalid: {0}")]
    InvalidRequest(String),
}

impl GatewayError {
    /// True when the operation may or may not have happened at the processor:
    /// resolve with [`PaymentGateway::sync`] under the same key, never by retrying
    /// under a new key.
    pub fn in_doubt(&self) -> bool {
        matches!(self, GatewayError::Timeout | GatewayError::Unavailable(_))
    }
}

/// A payment processor, seen from the maison: every operation is idempotent by key.
pub trait PaymentGateway: Send + Sync {
    /// The processor's name, for logs and the payment-attempt rows.
    fn name(&self) -> &'static str;

    /// Places a hold of `amount` on the card (manual capture).
    fn authorise<'a>(
        &'a self,
        req: AuthoriseRequest<'a>,
    ) -> BoxFuture<'a, Result<AuthoriseOutcome, GatewayError>>;

    /// Places a hold on the card behind `card_token` (manual capture).
    fn authorise_token<'a>(
        &'a self,
        req: TokenAuthoriseRequest<'a>,
    ) -> BoxFuture<'a, Result<AuthoriseOutcome, GatewayError>>;

    /// Captures up to the authorised amount, once; a partial capture releases the rest.
    fn capture<'a>(
        &'a self,
        idempotency_key: &'a str,
        processor_ref: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<OperationRecord, GatewayError>>;

    /// Releases a hold that was not captured.
    fn void<'a>(
        &'a self,
        idempotency_key: &'a str,
        processor_ref: &'a str,
    ) -> BoxFuture<'a, Result<OperationRecord, GatewayError>>;

    /// Refunds part or all of a captured payment; refunds add up to at most the capture.
    fn refund<'a>(
        &'a self,
        idempotency_key: &'a str,
        processor_ref: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<OperationRecord, GatewayError>>;

    /// What the processor recorded for `idempotency_key`: `None` means it never
    /// received or processed it, so it is safe to treat as not charged.
    fn sync<'a>(
        &'a self,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<SyncedOperation>, GatewayError>>;

    /// Every payment the processor holds for the maison, for reconciliation
    /// (a processor's payment list or settlement report).
    fn list_payments(&self) -> BoxFuture<'_, Result<Vec<PaymentSnapshot>, GatewayError>>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_timeouts_and_unavailability_are_in_doubt() {
        assert!(GatewayError::Timeout.in_doubt());
        assert!(GatewayError::Unavailable("503".into()).in_doubt());
        assert!(!GatewayError::IdempotencyConflict("k".into()).in_doubt());
        assert!(!GatewayError::UnknownReference("r".into()).in_doubt());
        assert!(!GatewayError::InvalidState("voided".into()).in_doubt());
        assert!(!GatewayError::AmountTooLarge.in_doubt());
        assert!(!GatewayError::InvalidRequest("key".into()).in_doubt());
    }

    #[test]
    fn lost_stolen_and_insufficient_funds_read_as_a_generic_decline() {
        for reason in [
            DeclineReason::Generic,
            DeclineReason::InsufficientFunds,
            DeclineReason::LostOrStolen,
        ] {
            let decline = Decline::new(reason);
            assert_eq!(decline.message, GENERIC_DECLINE_MESSAGE);
            assert_eq!(decline.field, None);
            assert_eq!(reason.client_code(), "card_declined");
        }
        assert_eq!(DeclineReason::LostOrStolen.code(), "lost_or_stolen");
    }

    #[test]
    fn a_processing_error_is_not_a_refusal_of_the_card() {
        assert!(!DeclineReason::ProcessingError.refuses_card());
        let message = DeclineReason::ProcessingError.client_message();
        assert!(message.contains("not refused") && message.contains("nothing was charged"));
        assert!(message.contains("try again in a moment"));
        for reason in [
            DeclineReason::Generic,
            DeclineReason::InsufficientFunds,
            DeclineReason::IncorrectCvc,
            DeclineReason::ExpiredCard,
            DeclineReason::LostOrStolen,
        ] {
            assert!(reason.refuses_card(), "{reason:?}");
        }
    }

    #[test]
    fn card_details_debug_masks_the_secrets_and_the_name() {
        let card = CardDetails {
            number: CardSecret::new("4242424242424242".into()),
            cvc: CvcSecret::new("123".into()),
            exp_month: 12,
            exp_year: 2040,
            holder_name: "Ada Lovelace".into(),
            brand: CardBrand::Visa,
        };
        let shown = format!("{card:?}");
        assert!(!shown.contains("4242424242424242"));
        assert!(!shown.contains("123"));
        assert!(!shown.contains("Lovelace"));
        assert!(shown.contains("••••4242"));
    }
}
