//! The carrier port and the carriers behind it (rules R6, R7).
//!
//! A carrier, seen from the maison, does three things: it takes a shipment
//! (with its declared value and whether a signature is required) and answers
//! its tracking number; it cancels a shipment it has not picked up yet; and it
//! posts tracking events to the maison's webhook, signed
//! ([`signature`]: `Maison-Signature: t=<unix>,v1=<hex HMAC-SHA256>`), which
//! [`CarrierGateway::parse_event`] reads into a [`TrackingEvent`].
//!
//! The built-in [`simulator`] plays FedEx and the secure courier as they
//! behave (tracking numbers, declared-value limits, signature rules, the order
//! of events), without HTTP: it hands back the event bodies a carrier would
//! post, for a test or `maison carrier simulate` to sign and send.

use std::future::Future;
use std::pin::Pin;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::Deserialize;

use maison_domain::Money;
use maison_domain::address::Address;
pub use maison_domain::delivery::Carrier;

pub mod signature;
pub mod simulator;

pub use simulator::{CarrierSimulator, SimulatedShipment};

/// A boxed, sendable future: what the object-safe [`CarrierGateway`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A shipment as the maison asks a carrier to take it.
#[derive(Debug, Clone, Copy)]
pub struct ShipmentRequest<'a> {
    /// Our shipment id: the same key never creates two shipments.
    pub idempotency_key: &'a str,
    /// Our order number, printed on the label.
    pub reference: &'a str,
    /// The value insured with the carrier.
    pub declared_value: Money,
    /// The carrier hands the parcel over only against a signature.
    pub signature_required: bool,
    /// Who receives the parcel, as the carrier calls them for the appointment.
    pub recipient_name: &'a str,
    pub recipient_phone: &'a str,
    pub destination: &'a Address,
}

/// What a carrier answers for a shipment it takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub tracking_number: String,
}

/// A carrier's refusal, or no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarrierError {
    #[error("the carrier did not answer: {0}")]
    Unavailable(String),
    /// The carrier will not take the shipment as asked (a value over its
    /// limit, no signature where it requires one).
    #[error("the carrier refused the shipment: {0}")]
    Refused(String),
    #[error("the carrier knows no shipment {0:?}")]
    UnknownShipment(String),
    #[error("the shipment does not allow this: {0}")]
    InvalidState(String),
    #[error("the key {0:?} was already used for another shipment")]
    IdempotencyConflict(String),
}

/// What a tracking event says (rule R6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrackingEventKind {
    /// The carrier called the client and agreed a delivery date.
    AppointmentConfirmed,
    PickedUp,
    InTransit,
    OutForDelivery,
    Delivered,
    /// Something went wrong (no one home, damaged parcel, held at customs).
    Exception,
}

impl TrackingEventKind {
    pub const ALL: [TrackingEventKind; 6] = [
        TrackingEventKind::AppointmentConfirmed,
        TrackingEventKind::PickedUp,
        TrackingEventKind::InTransit,
        TrackingEventKind::OutForDelivery,
        TrackingEventKind::Delivered,
        TrackingEventKind::Exception,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TrackingEventKind::AppointmentConfirmed => "appointment_confirmed",
            TrackingEventKind::PickedUp => "picked_up",
            TrackingEventKind::InTransit => "in_transit",
            TrackingEventKind::OutForDelivery => "out_for_delivery",
            TrackingEventKind::Delivered => "delivered",
            TrackingEventKind::Exception => "exception",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        TrackingEventKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text.trim())
    }
}

/// One tracking event, read from a carrier's (verified) webhook body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingEvent {
    /// The carrier's id of the event: the same id is applied once.
    pub id: String,
    pub tracking_number: String,
    pub kind: TrackingEventKind,
    pub occurred_at: Timestamp,
    /// The agreed delivery date, with `appointment_confirmed`.
    pub appointment_date: Option<Date>,
    /// The carrier's words (an exception's reason).
    pub detail: Option<String>,
}

/// Why an event body cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Not JSON, or not an object of the event's shape.
    #[error("the event is not valid JSON: {0}")]
    Malformed(String),
    /// A field with a value the maison cannot use.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// The event as carriers post it (PRODUCT.md §7).
#[derive(Deserialize)]
struct EventJson {
    id: String,
    tracking_number: String,
    #[serde(rename = "type")]
    kind: String,
    occurred_at: String,
    appointment_date: Option<String>,
    detail: Option<String>,
}

/// The longest event id and tracking number kept.
const MAX_ID_LEN: usize = 128;
/// The longest detail kept (longer is cut, never refused).
const MAX_DETAIL_CHARS: usize = 500;

fn invalid(field: &'static str, message: impl Into<String>) -> EventError {
    EventError::Invalid {
        field,
        message: message.into(),
    }
}

fn token(field: &'static str, value: &str) -> Result<String, EventError> {
    let value = value.trim();
    if value.is_empty() || value.len() > MAX_ID_LEN || !value.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(invalid(
            field,
            format!("{field} is 1 to {MAX_ID_LEN} printable characters without spaces"),
        ));
    }
    Ok(value.to_owned())
}

/// Reads an event body in the common format:
/// `{"id", "tracking_number", "type", "occurred_at", "appointment_date"?, "detail"?}`.
/// Other fields are ignored (carriers add their own).
pub fn parse_event(body: &[u8]) -> Result<TrackingEvent, EventError> {
    let json: EventJson = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => invalid("body", e.to_string()),
        _ => EventError::Malformed(e.to_string()),
    })?;
    let kind = TrackingEventKind::parse(&json.kind).ok_or_else(|| {
        invalid(
            "type",
            "type is one of appointment_confirmed, picked_up, in_transit, out_for_delivery, delivered, exception",
        )
    })?;
    let occurred_at: Timestamp = json.occurred_at.trim().parse().map_err(|_| {
        invalid(
            "occurred_at",
            "occurred_at is an RFC 3339 time, such as 2026-12-01T15:04:05Z",
        )
    })?;
    let appointment_date = match json.appointment_date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(text.parse::<Date>().map_err(|_| {
            invalid(
                "appointment_date",
                "appointment_date is a date, such as 2026-12-08",
            )
        })?),
    };
    if kind == TrackingEventKind::AppointmentConfirmed && appointment_date.is_none() {
        return Err(invalid(
            "appointment_date",
            "an appointment_confirmed event carries its appointment_date",
        ));
    }
    let detail = json
        .detail
        .map(|d| {
            d.chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(MAX_DETAIL_CHARS)
                .collect::<String>()
                .trim()
                .to_owned()
        })
        .filter(|d| !d.is_empty());
    Ok(TrackingEvent {
        id: token("id", &json.id)?,
        tracking_number: token("tracking_number", &json.tracking_number)?,
        kind,
        occurred_at,
        appointment_date,
        detail,
    })
}

/// The body a carrier posts for an event (what the simulator sends).
pub fn event_body(
    id: &str,
    tracking_number: &str,
    kind: TrackingEventKind,
    occurred_at: Timestamp,
    appointment_date: Option<Date>,
    detail: Option<&str>,
) -> String {
    let mut json = serde_json::json!({
        "id": id,
        "tracking_number": tracking_number,
        "type": kind.as_str(),
        "occurred_at": occurred_at.to_string(),
    });
    if let Some(date) = appointment_date {
        json["appointment_date"] = date.to_string().into();
    }
    if let Some(detail) = detail {
        json["detail"] = detail.into();
    }
    json.to_string()
}

/// A carrier, seen from the maison.
pub trait CarrierGateway: Send + Sync {
    /// Which carrier this is.
    fn carrier(&self) -> Carrier;

    /// Takes a shipment and answers its tracking number; the same key
    /// answers the same shipment.
    fn create_shipment<'a>(
        &'a self,
        request: ShipmentRequest<'a>,
    ) -> BoxFuture<'a, Result<Label, CarrierError>>;

    /// Cancels a shipment not yet picked up.
    fn cancel_shipment<'a>(
        &'a self,
        tracking_number: &'a str,
    ) -> BoxFuture<'a, Result<(), CarrierError>>;

    /// Reads an event body whose signature was verified.
    fn parse_event(&self, body: &[u8]) -> Result<TrackingEvent, EventError> {
        parse_event(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_in_the_common_format_is_read() {
        let body =
            br#"{"id": "evt_1", "tracking_number": "794600000001", "type": "appointment_confirmed",
            "occurred_at": "2026-12-01T15:04:05Z", "appointment_date": "2026-12-08", "extra": 1}"#;
        let event = parse_event(body).expect("read");
        assert_eq!(event.kind, TrackingEventKind::AppointmentConfirmed);
        assert_eq!(event.appointment_date, Some(jiff::civil::date(2026, 12, 8)));
        assert_eq!(event.tracking_number, "794600000001");
        let again = parse_event(
            event_body(
                &event.id,
                &event.tracking_number,
                event.kind,
                event.occurred_at,
                event.appointment_date,
                None,
            )
            .as_bytes(),
        )
        .expect("round trip");
        assert_eq!(again, event);
    }

    #[test]
    fn bad_events_are_refused_by_field_without_panicking() {
        let cases: [(&[u8], Option<&str>); 7] = [
            (b"not json", None),
            (br#"{"id": "e"}"#, Some("body")),
            (
                br#"{"id": "e", "tracking_number": "t", "type": "lost", "occurred_at": "2026-12-01T15:04:05Z"}"#,
                Some("type"),
            ),
            (
                br#"{"id": "e", "tracking_number": "t", "type": "delivered", "occurred_at": "yesterday"}"#,
                Some("occurred_at"),
            ),
            (
                br#"{"id": "e", "tracking_number": "t", "type": "appointment_confirmed", "occurred_at": "2026-12-01T15:04:05Z"}"#,
                Some("appointment_date"),
            ),
            (
                br#"{"id": "", "tracking_number": "t", "type": "delivered", "occurred_at": "2026-12-01T15:04:05Z"}"#,
                Some("id"),
            ),
            (
                br#"{"id": "e", "tracking_number": "a b", "type": "delivered", "occurred_at": "2026-12-01T15:04:05Z"}"#,
                Some("tracking_number"),
            ),
        ];
        for (body, field) in cases {
            match (parse_event(body), field) {
                (Err(EventError::Malformed(_)), None) => {}
                (Err(EventError::Invalid { field: f, .. }), Some(expected)) => {
                    assert_eq!(f, expected)
                }
                (other, _) => panic!("{}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
    }
}
