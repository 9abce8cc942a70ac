//! Why a use case refused or failed. `web` maps each to a problem+json with a
//! stable code (and to a readable message on pages).

use maison_domain::bag::BagRefusal;
use maison_domain::card::CardError;
use maison_domain::order::OrderStatus;
use maison_domain::password::PasswordError;
use maison_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ShopError {
    #[error("there is no such bag")]
    BagNotFound,
    #[error("there is no such line in the bag")]
    LineNotFound,
    #[error("the bag is empty")]
    BagEmpty,
    /// The bag has become an order (or is becoming one): it is never paid for
    /// twice, and no longer changes.
    #[error("this bag has already been checked out")]
    BagCheckedOut,
    /// The bag changed (another tab) between the checks and the claim.
    #[error("the bag changed during checkout")]
    BagChanged,
    #[error("there is no creation or size with the SKU {0:?}")]
    UnknownSku(String),
    #[error("there is no such order")]
    OrderNotFound,
    #[error("this link has expired")]
    LinkExpired,
    #[error("too many attempts: retry in {retry_after} s")]
    TooManyAttempts { retry_after: u64 },
    #[error("{0}")]
    Refused(BagRefusal),
    #[error("{message}")]
    Invalid {
        code: &'static str,
        field: String,
        message: String,
    },
    #[error("{0}")]
    Card(CardError),
    #[error("the name on the card is not the client's")]
    CardholderMismatch,
    #[error("personalised creations are final sale and must be acknowledged")]
    FinalSaleNotAcknowledged,
    #[error("prices changed: {0}")]
    PriceChanged(String),
    #[error("{message}")]
    Declined {
        message: String,
        field: Option<&'static str>,
    },
    #[error("the payment could not be processed; nothing was charged")]
    PaymentUnavailable,
    #[error("the payment's outcome is not known yet")]
    PaymentInDoubt,
    #[error("this Idempotency-Key was used for a different request")]
    KeyReused,
    #[error("a request with this Idempotency-Key is still being processed")]
    KeyInUse,
    /// A refusal stored under an idempotency key, replayed as it was.
    #[error("replayed refusal ({status})")]
    Replayed { status: u16, body: String },
    /// A refusal that was recorded against its order (the key is completed).
    #[error("{0}")]
    Recorded(Box<ShopError>),
    /// Sign-in refused: unknown address or wrong password (never which).
    #[error("the e-mail address or the password is not right")]
    InvalidCredentials,
    /// A link's token that was never issued (forged or mistyped).
    #[error("this link is not valid")]
    InvalidToken,
    #[error("{0}")]
    Password(PasswordError),
    /// The order is past the point where it can be changed or cancelled.
    #[error("the order can no longer be changed or cancelled ({0:?})")]
    OrderNotModifiable(OrderStatus),
    /// The same request is already with Client Relations.
    #[error("this request is already with Client Relations")]
    RequestAlreadyOpen,
    #[error("there is no such saved address")]
    AddressNotFound,
    #[error("a staff member with this e-mail address already exists")]
    StaffExists,
    #[error("there is no such staff member")]
    StaffNotFound,
    /// No staff credentials (or a token that no longer works).
    #[error("staff credentials are required")]
    Unauthenticated,
    /// A role without the right, or a client on a staff route.
    #[error("this role may not do this")]
    Forbidden,
    /// The lifecycle does not allow this move (PRODUCT.md §2).
    #[error("{0}")]
    InvalidTransition(String),
    #[error("an account keeps at most {0} addresses")]
    TooManyAddresses(usize),
    /// A bank reference recorded before on a receipt.
    #[error("this bank reference was recorded before")]
    DuplicateReference,
    #[error("only {balance} remains to be paid")]
    ReceiptExceedsBalance { balance: maison_domain::Money },
    /// Receipts are for wire and cash orders only.
    #[error("this order is not paid by wire or cash")]
    NotPaidByReceipts,
    #[error("there is no such message in the outbox")]
    MessageNotFound,
    #[error("there is no such information request")]
    RequestNotFound,
    /// The information request's lifecycle does not allow this move.
    #[error("{0}")]
    RequestRefused(maison_domain::quote::RequestRefused),
    /// No quote has this link (or this id).
    #[error("there is no such quote")]
    QuoteNotFound,
    #[error("this quote has expired")]
    QuoteExpired,
    /// The quote has been paid (or is being paid): never twice.
    #[error("this quote has already been paid")]
    QuoteUsed,
    /// Console sign-in refused: the e-mail address, the password or the code
    /// (never which).
    #[error("the e-mail address, the password or the code is not right")]
    StaffSignInRefused,
    /// A changed order's new total was declined on the card: nothing changed.
    #[error("{0}")]
    ChangeDeclined(String),
    /// Rule R7: over the high-value threshold only the secure courier ships.
    #[error("orders over {threshold} ship only with the secure courier, not {carrier}")]
    CarrierNotAllowed {
        carrier: &'static str,
        threshold: maison_domain::Money,
    },
    /// This shipment must be signed for (the secure courier, a high-value order).
    #[error("this shipment must be signed for")]
    SignatureRequired,
    /// The card payment could not be captured at shipping or hand-over: the
    /// order stays where it was, flagged for Client Relations.
    #[error("the payment could not be captured: {0}")]
    CaptureDeclined(String),
    /// The carrier refused the shipment as asked.
    #[error("the carrier refused the shipment: {0}")]
    CarrierRefused(String),
    /// The carrier did not answer; retry with the same Idempotency-Key.
    #[error("the carrier did not answer")]
    CarrierUnavailable,
    /// No carrier of this name.
    #[error("there is no such carrier")]
    CarrierNotFound,
    /// A webhook whose signature is missing, wrong or too old (or a carrier
    /// without a configured secret): nothing was recorded.
    #[error("the signature is not valid")]
    InvalidSignature,
    /// A verified webhook whose body is not JSON.
    #[error("the event is not valid JSON: {0}")]
    MalformedEvent(String),
    /// A carrier's event for a tracking number the maison does not know.
    #[error("there is no shipment with this tracking number")]
    ShipmentNotFound,
    /// A hand-over without the collector's identity checked.
    #[error("the collector's identity must be checked")]
    IdCheckRequired,
    /// Rule R9: a personalised line is never returned.
    #[error("personalised creations are final sale")]
    FinalSale,
    /// The Conditions of Sale's window after delivery or collection is over.
    #[error("the return window of {days} days is over")]
    ReturnWindowClosed { days: u32 },
    #[error("there is no such return")]
    ReturnNotFound,
    #[error("there is no such webhook endpoint")]
    EndpointNotFound,
    /// Something that is not the client's doing failed (hashing, the OS RNG).
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A refusal as stored under an idempotency key and replayed: status, code,
/// detail, field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredProblem {
    pub status: u16,
    pub code: String,
    pub detail: String,
    pub field: Option<String>,
}

/// What the client reads when a payment was not taken although the card was
/// not refused (the processor unavailable, or its processing error): nothing
/// was charged, and trying again shortly is the remedy.
pub const PAYMENT_UNAVAILABLE_MESSAGE: &str = "The payment could not be processed and nothing was charged: your card was not refused. Please try again in a moment, or use another card.";

impl ShopError {
    pub fn recorded(self) -> ShopError {
        ShopError::Recorded(Box::new(self))
    }

    /// A processor's refusal as the client is told it: a card the issuer
    /// refused is `Declined` (402); a processing error, which refuses no
    /// card, is `PaymentUnavailable` (503: try again in a moment).
    pub fn from_decline(decline: &maison_payments::Decline) -> ShopError {
        if decline.reason.refuses_card() {
            ShopError::Declined {
                message: decline.message.clone(),
                field: decline.field,
            }
        } else {
            ShopError::PaymentUnavailable
        }
    }

    /// The status, code, message and field of a payment refusal, for storage.
    pub fn stored(&self) -> (u16, String) {
        let problem = match self {
            ShopError::Declined { message, field } => StoredProblem {
                status: 402,
                code: "payment_declined".into(),
                detail: message.clone(),
                field: field.map(str::to_owned),
            },
            _ => StoredProblem {
                status: 503,
                code: "payment_unavailable".into(),
                detail: PAYMENT_UNAVAILABLE_MESSAGE.into(),
                field: None,
            },
        };
        (
            problem.status,
            serde_json::to_string(&problem).unwrap_or_default(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use maison_payments::{Decline, DeclineReason};

    #[test]
    fn a_processing_error_is_stored_as_unavailable_and_a_refusal_as_declined() {
        let processing = ShopError::from_decline(&Decline::new(DeclineReason::ProcessingError));
        assert!(matches!(processing, ShopError::PaymentUnavailable));
        let (status, body) = processing.stored();
        assert_eq!(status, 503);
        let stored: StoredProblem = serde_json::from_str(&body).expect("stored problem");
        assert_eq!(stored.code, "payment_unavailable");
        assert!(stored.detail.contains("nothing was charged"));
        assert!(stored.detail.contains("try again in a moment"));

        let refused = ShopError::from_decline(&Decline::new(DeclineReason::IncorrectCvc));
        assert!(matches!(
            refused,
            ShopError::Declined {
                field: Some("cvc"),
                ..
            }
        ));
        let (status, body) = refused.stored();
        assert_eq!(status, 402);
        assert!(body.contains("payment_declined"));
    }
}
