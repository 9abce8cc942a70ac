//! Errors as `application/problem+json` (RFC 9457) with a stable `code`: the
//! one place where refusals become HTTP responses for the API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use maison_app::CatalogueError;

#[derive(Debug, Clone)]
pub struct Problem {
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    pub field: Option<String>,
    /// Seconds, sent as a `Retry-After` header (429).
    pub retry_after: Option<u64>,
}

/// The body as RFC 9457 writes it, with our `code` and `field`.
#[derive(Serialize)]
struct ProblemBody<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    detail: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            title,
            status: status.as_u16(),
            detail: detail.into(),
            code,
            field: None,
            retry_after: None,
        }
    }

    pub fn field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, code, "Not found", detail)
    }

    pub fn invalid(code: &'static str, field: &'static str, detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "Invalid value",
            detail,
        )
        .field(field)
    }

    pub fn malformed(code: &'static str, detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, code, "Malformed request", detail)
    }

    /// 413: a body over what the maison accepts.
    pub(crate) fn too_large() -> Self {
        Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Payload too large",
            format!(
                "What was sent is larger than the maison accepts ({} KB at most), so nothing was changed. Please shorten it and try again.",
                crate::MAX_BODY_BYTES / 1024
            ),
        )
    }

    pub fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal error",
            "Something went wrong on our side; nothing was changed. Please try again.",
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Service unavailable",
            detail,
        )
    }
}

/// A refusal made before any handler (sessions, CSRF), carried on its
/// problem+json response so that the outer layer shows storefront visitors a
/// readable page instead (`security::readable_refusals`): the middleware that
/// refuses needs no page of its own.
#[derive(Debug, Clone)]
pub struct Refusal(pub Problem);

impl Problem {
    /// The problem as a response that the storefront shows as a page.
    pub fn refusal(self) -> Response {
        let mut response = self.clone().into_response();
        response.extensions_mut().insert(Refusal(self));
        response
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&ProblemBody {
            kind: format!("/api/v1/problems/{}", self.code),
            title: self.title,
            status: self.status,
            detail: &self.detail,
            code: self.code,
            field: self.field.as_deref(),
        })
        .unwrap_or_default();
        let mut response = (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            )],
            body,
        )
            .into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<CatalogueError> for Problem {
    fn from(err: CatalogueError) -> Self {
        let detail = err.to_string();
        match err {
            CatalogueError::UnknownCategory(_) => {
                Problem::not_found("category_not_found", detail).field("category")
            }
            CatalogueError::UnknownCollection(_) => {
                Problem::not_found("collection_not_found", detail).field("collection")
            }
            CatalogueError::MalformedCursor => {
                Problem::malformed("invalid_cursor", detail).field("cursor")
            }
        }
    }
}

impl crate::AppState {
    /// The one mapping from a use case's refusal to a problem+json.
    pub fn problem(&self, err: maison_app::ShopError) -> Problem {
        use maison_app::ShopError as E;
        let cr = &self.maison.client_relations;
        match err {
            E::BagNotFound => Problem::not_found("bag_not_found", "There is no such bag: create one with POST /api/v1/bags."),
            E::LineNotFound => Problem::not_found("line_not_found", "This bag has no such line."),
            E::BagEmpty => Problem::new(StatusCode::CONFLICT, "bag_empty", "Refused", "The bag is empty: add a creation first."),
            E::BagChanged => Problem::new(
                StatusCode::CONFLICT,
                "bag_changed",
                "Refused",
                "Your bag changed while the order was being placed (another window?), so nothing was charged. Please review your bag and check out again.",
            ),
            E::BagCheckedOut => Problem::new(
                StatusCode::CONFLICT,
                "bag_checked_out",
                "Refused",
                "This bag has already become an order: it is never paid for twice, and nothing more was charged. The order's acknowledgement is on its way by e-mail; for another order, start a new bag.",
            ),
            E::UnknownSku(sku) => Problem::not_found(
                "product_not_found",
                format!("There is no creation or size with the SKU {:?}.", sku.chars().take(64).collect::<String>()),
            )
            .field("sku"),
            E::OrderNotFound => Problem::not_found(
                "order_not_found",
                "No order matches this order number and e-mail address. Check both, as written in your acknowledgement.",
            ),
            E::LinkExpired => Problem::new(
                StatusCode::GONE,
                "link_expired",
                "Link expired",
                "This link has expired or has already been used: ask for a new one (to follow an order, enter its number and your e-mail address).",
            ),
            E::TooManyAttempts { retry_after } => {
                let mut p = Problem::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    "Too many attempts",
                    format!(
                        "Too many attempts: please try again in {} minute(s), or contact {}.",
                        retry_after.div_ceil(60),
                        cr.contact_sentence()
                    ),
                );
                p.retry_after = Some(retry_after);
                p
            }
            E::Refused(refusal) => {
                let status = if refusal.is_invalid_value() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::CONFLICT };
                Problem::new(status, refusal.code(), "Refused", refusal.message(cr)).field(refusal.field())
            }
            E::Invalid { code, field, message } => {
                let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, "Invalid value", message);
                p.field = Some(field);
                p
            }
            E::Card(card) => {
                let mut p = Problem::new(StatusCode::UNPROCESSABLE_ENTITY, card.code(), "Card refused", card.to_string());
                p.field = card.field().map(str::to_owned);
                p
            }
            E::CardholderMismatch => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "cardholder_mismatch",
                "Card refused",
                format!(
                    "The order must be placed by the cardholder: the name on the card must be yours, as printed on it. Nothing was charged. {} can help.",
                    cr.contact_sentence()
                ),
            )
            .field("holder_name"),
            E::FinalSaleNotAcknowledged => Problem::new(
                StatusCode::CONFLICT,
                "final_sale_not_acknowledged",
                "Refused",
                "Personalised creations cannot be returned or exchanged: please acknowledge that they are final sale.",
            )
            .field("accept_final_sale"),
            E::PriceChanged(what) => Problem::new(
                StatusCode::CONFLICT,
                "price_changed",
                "Refused",
                format!("Prices have changed since the creations were added to your bag ({what}). Please review your bag; nothing was charged."),
            ),
            E::Declined { message, field } => {
                let mut p = Problem::new(StatusCode::PAYMENT_REQUIRED, "payment_declined", "Payment declined", message);
                p.field = field.map(str::to_owned);
                p
            }
            E::PaymentUnavailable => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "payment_unavailable",
                "Payment unavailable",
                maison_app::error::PAYMENT_UNAVAILABLE_MESSAGE,
            ),
            E::PaymentInDoubt => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "payment_in_doubt",
                "Payment being confirmed",
                format!(
                    "We are confirming your payment with the bank; you will never be charged twice. Retry with the same Idempotency-Key in a minute, or contact {}.",
                    cr.contact_sentence()
                ),
            ),
            E::KeyReused => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency_key_reused",
                "Idempotency key reused",
                "This Idempotency-Key was already used for a different request: use a new key for a new checkout.",
            )
            .field("Idempotency-Key"),
            E::KeyInUse => Problem::new(
                StatusCode::CONFLICT,
                "idempotency_key_in_use",
                "Request in progress",
                "A request with this Idempotency-Key is still being processed: retry in a moment.",
            ),
            E::Replayed { status, body } => match serde_json::from_str::<maison_app::error::StoredProblem>(&body) {
                Ok(stored) => {
                    let code: &'static str = match stored.code.as_str() {
                        "payment_declined" => "payment_declined",
                        "capture_declined" => "capture_declined",
                        "carrier_refused" => "carrier_refused",
                        _ => "payment_unavailable",
                    };
                    let mut p = Problem::new(
                        StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                        code,
                        "Refused",
                        stored.detail,
                    );
                    p.field = stored.field;
                    p
                }
                Err(_) => Problem::internal(),
            },
            E::Recorded(inner) => self.problem(*inner),
            E::InvalidCredentials => Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "Sign-in refused",
                "The e-mail address or the password is not right. You can choose a new password from the sign-in page.",
            ),
            E::InvalidToken => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_token",
                "Invalid link",
                "This link is not valid: copy it whole from the e-mail, or ask for a new one.",
            ),
            E::Password(err) => Problem::new(StatusCode::UNPROCESSABLE_ENTITY, err.code(), "Invalid value", err.message())
                .field("password"),
            E::OrderNotModifiable(status) => Problem::new(
                StatusCode::CONFLICT,
                "order_not_modifiable",
                "Refused",
                format!(
                    "This order is {} and can no longer be changed or cancelled. Once delivered, creations may be returned under our Conditions of Sale (personalised creations are final sale). {} can help.",
                    status.describe().to_lowercase(),
                    cr.contact_sentence()
                ),
            ),
            E::RequestAlreadyOpen => Problem::new(
                StatusCode::CONFLICT,
                "request_already_open",
                "Refused",
                format!(
                    "This request is already with Client Relations, who will contact you shortly. To add to it, please contact {}.",
                    cr.contact_sentence()
                ),
            ),
            E::AddressNotFound => Problem::not_found("address_not_found", "Your account has no such address."),
            E::Unauthenticated => Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Unauthenticated",
                "This route is for the maison's staff: send Authorization: Bearer with a staff token (maison staff token EMAIL).",
            ),
            E::Forbidden => Problem::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Forbidden",
                "Your role does not allow this. An administrator can tell you who may do it.",
            ),
            E::InvalidTransition(why) => Problem::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                "Refused",
                format!("The order's lifecycle does not allow this: {why}."),
            ),
            E::StaffExists => Problem::new(
                StatusCode::CONFLICT,
                "staff_exists",
                "Refused",
                "A staff member with this e-mail address already exists.",
            ),
            E::StaffNotFound => Problem::not_found("staff_not_found", "There is no active staff member with this e-mail address."),
            E::DuplicateReference => Problem::new(
                StatusCode::CONFLICT,
                "duplicate_reference",
                "Refused",
                "This bank reference was recorded before: check the transfer, it may already be counted.",
            )
            .field("reference"),
            E::ReceiptExceedsBalance { balance } => Problem::new(
                StatusCode::CONFLICT,
                "receipt_exceeds_balance",
                "Refused",
                format!("Only {} remains to be paid on this order: record that amount or less.", balance.display()),
            ),
            E::NotPaidByReceipts => Problem::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                "Refused",
                "Receipts are recorded on orders paid by wire transfer or cash only.",
            ),
            E::ChangeDeclined(message) => Problem::new(
                StatusCode::CONFLICT,
                "payment_declined",
                "Payment declined",
                format!("The card was declined for the new total, so the order was not changed: {message}"),
            ),
            E::StaffSignInRefused => Problem::new(
                StatusCode::UNAUTHORIZED,
                "sign_in_refused",
                "Sign-in refused",
                "The e-mail address, the password or the code is not right. Type them again, with the code your authenticator shows now (each code works once).",
            ),
            E::EndpointNotFound => Problem::not_found("endpoint_not_found", "There is no webhook endpoint with this id."),
            E::MessageNotFound => Problem::not_found("message_not_found", "There is no failed message with this id in the outbox."),
            E::RequestNotFound => Problem::not_found("request_not_found", "There is no information request with this id."),
            E::RequestRefused(refused) => Problem::new(
                StatusCode::CONFLICT,
                "invalid_transition",
                "Refused",
                format!("The information request's lifecycle does not allow this: {refused}."),
            ),
            E::QuoteNotFound => Problem::not_found(
                "quote_not_found",
                format!("This link does not open a quote: copy it whole from the e-mail, or contact {}.", cr.contact_sentence()),
            ),
            E::QuoteExpired => Problem::new(
                StatusCode::CONFLICT,
                "quote_expired",
                "Quote expired",
                format!("This quote has expired, and nothing was charged. Your Prestige Advisor will be pleased to prepare a new one: contact {}.", cr.contact_sentence()),
            ),
            E::QuoteUsed => Problem::new(
                StatusCode::CONFLICT,
                "quote_used",
                "Quote already paid",
                "This quote has already been paid: it is never paid twice, and nothing more was charged. The order's acknowledgement is on its way by e-mail.",
            ),
            E::TooManyAddresses(max) => Problem::new(
                StatusCode::CONFLICT,
                "too_many_addresses",
                "Refused",
                format!("An account keeps up to {max} addresses: remove one before adding another."),
            ),
            E::CarrierNotAllowed { carrier, threshold } => Problem::new(
                StatusCode::CONFLICT,
                "carrier_not_allowed",
                "Refused",
                format!(
                    "Orders over {} ship only with the secure courier (secure_courier), signed for and insured for their full value; not with {carrier}.",
                    threshold.display_whole()
                ),
            )
            .field("carrier"),
            E::SignatureRequired => Problem::new(
                StatusCode::CONFLICT,
                "signature_required",
                "Refused",
                "The secure courier, and every order over the high-value threshold, hand over only against a signature.",
            )
            .field("signature_required"),
            E::CaptureDeclined(_) => Problem::new(
                StatusCode::CONFLICT,
                "capture_declined",
                "Payment not captured",
                "The card payment could not be captured, so the order did not move: it is flagged for Client Relations, who will contact the client.",
            ),
            E::CarrierRefused(why) => Problem::new(
                StatusCode::CONFLICT,
                "carrier_refused",
                "Refused by the carrier",
                format!("The carrier refused the shipment ({why}); nothing was captured."),
            ),
            E::CarrierUnavailable => Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "carrier_unavailable",
                "Carrier unavailable",
                "The carrier did not answer; nothing was captured. Retry with the same Idempotency-Key in a moment.",
            ),
            E::CarrierNotFound => Problem::not_found("carrier_not_found", "The carriers are fedex and secure_courier."),
            E::InvalidSignature => Problem::new(
                StatusCode::BAD_REQUEST,
                "invalid_signature",
                "Invalid signature",
                "The Maison-Signature header is missing, does not match the body, or is more than five minutes old: nothing was recorded.",
            )
            .field("Maison-Signature"),
            E::MalformedEvent(why) => Problem::malformed("malformed_json", format!("The event is not valid JSON: {why}")),
            E::ShipmentNotFound => Problem::not_found("shipment_not_found", "There is no shipment with this tracking number."),
            E::IdCheckRequired => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "id_check_required",
                "Invalid value",
                "Check the collector's identity document before handing the creations over, then send id_checked: true.",
            )
            .field("id_checked"),
            E::FinalSale => Problem::new(
                StatusCode::CONFLICT,
                "final_sale",
                "Final sale",
                "Personalised creations (engraving, embossing) are final sale under the Conditions of Sale: they cannot be returned or exchanged.",
            )
            .field("lines"),
            E::ReturnWindowClosed { days } => Problem::new(
                StatusCode::CONFLICT,
                "return_window_closed",
                "Return window closed",
                format!("Creations are returned within {days} days of their delivery or collection, under the Conditions of Sale. {} will be pleased to help.", cr.contact_sentence()),
            ),
            E::ReturnNotFound => Problem::not_found("return_not_found", "There is no return with this id."),
            E::Internal(what) => {
                tracing::error!(error = %what, "internal failure");
                Problem::internal()
            }
            E::Store(err) => {
                tracing::error!(error = %err, "storage failed");
                Problem::internal()
            }
        }
    }
}
