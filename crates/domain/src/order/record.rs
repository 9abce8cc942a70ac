//! An order as the maison keeps it: parsed once from storage into these types,
//! read by every use case. Times are microseconds since the Unix epoch (UTC).

use crate::Money;
use crate::contact::FaxNumber;
use crate::delivery::OrderDelivery;
use crate::payment::Payment;
use crate::personalisation::Personalisation;

use super::OrderStatus;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: String,
    pub number: String,
    pub status: OrderStatus,
    /// `web`, `telephone` or `boutique`.
    pub channel: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub delivery: OrderDelivery,
    pub subtotal: Money,
    pub total: Money,
    pub payment: Payment,
    pub final_sale_accepted: bool,
    pub bag_id: Option<String>,
    /// The client account the order belongs to; `None` for a guest's order.
    pub account_id: Option<String>,
    pub created_at: i64,
    pub lines: Vec<OrderLine>,
    pub timeline: Vec<OrderEvent>,
    /// How Client Relations placed the order for the client; `None` for an
    /// order the client placed online.
    pub assisted: Option<Assisted>,
}

impl Order {
    /// `online`, `telephone` or `boutique`: how the order reached the maison.
    pub fn channel_name(&self) -> &'static str {
        self.assisted.as_ref().map_or("online", |a| a.via.as_str())
    }

    /// Where the order's acknowledgement and confirmation go.
    pub fn documents(&self) -> DocumentsChannel {
        self.assisted
            .as_ref()
            .map_or(DocumentsChannel::Email, |a| a.documents.clone())
    }
}

/// How an assisted order reached the maison (rule R15).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssistedVia {
    Telephone,
    Boutique,
}

impl AssistedVia {
    pub fn as_str(self) -> &'static str {
        match self {
            AssistedVia::Telephone => "telephone",
            AssistedVia::Boutique => "boutique",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "telephone" => Some(AssistedVia::Telephone),
            "boutique" => Some(AssistedVia::Boutique),
            _ => None,
        }
    }
}

/// Where an order's documents (acknowledgement, confirmation) are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentsChannel {
    Email,
    /// A PDF through the fax gateway.
    Fax(FaxNumber),
}

impl DocumentsChannel {
    /// `email` or `fax`, as the API and the outbox name the channel.
    pub fn as_str(&self) -> &'static str {
        match self {
            DocumentsChannel::Email => "email",
            DocumentsChannel::Fax(_) => "fax",
        }
    }
}

/// What an assisted order records beyond an online one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assisted {
    pub via: AssistedVia,
    /// The e-mail address of the staff member who placed it.
    pub placed_by: String,
    pub documents: DocumentsChannel,
    /// Why the order holds more creations than the limit (rule R12).
    pub limit_override_reason: Option<String>,
    /// The boutique where a cash payment is made.
    pub cash_boutique_id: Option<String>,
    /// Cash received on the order passed the reporting threshold.
    pub large_cash: bool,
}

/// One creation of the order, with the price it was sold at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub sku: String,
    pub product_sku: String,
    pub name: String,
    pub size: Option<String>,
    pub quantity: u32,
    pub unit_price: Money,
    pub personalisation: Option<Personalisation>,
    /// Personalised creations are final sale (rule R9).
    pub final_sale: bool,
}

/// One step of the order's timeline: the status it reached, who moved it
/// (`Actor::timeline_name`: `client`, `staff:claire@…`, `system:checkout`)
/// and a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEvent {
    pub at: i64,
    pub status: OrderStatus,
    pub note: String,
    pub actor: String,
}

/// One order in a staff listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderListItem {
    pub id: String,
    pub number: String,
    pub status: OrderStatus,
    pub channel: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub total: Money,
    pub created_at: i64,
}

/// A line of a client's order history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderSummary {
    pub id: String,
    pub number: String,
    pub status: OrderStatus,
    pub total: Money,
    pub item_count: u32,
    pub created_at: i64,
}

/// A client's request on an order (cancellation or change), for Client
/// Relations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub id: String,
    pub order_id: String,
    pub account_id: Option<String>,
    /// `cancellation` or `change`.
    pub kind: String,
    pub message: String,
    /// `open`, then `closed`.
    pub status: String,
    pub created_at: i64,
}
