//! A return against an order (Conditions of Sale): its lines and where it
//! stands. The rules of returns are decided in `app::returns` with the
//! order's dates; this is the record they read and write.

use crate::Money;

/// One of the order's lines coming back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReturnLine {
    /// The order line's number (1, 2, ...): its `line_id` in the API.
    pub line_no: u32,
    pub quantity: u32,
}

/// A return, as the maison keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Return {
    pub id: String,
    pub order_id: String,
    /// The order's number (read with the return).
    pub order_number: String,
    /// `requested`, `authorised`, `received`, `refunded` or `rejected`.
    pub status: String,
    pub reason: String,
    /// What the returned lines cost: the amount refunded.
    pub amount: Money,
    pub restocked: Option<bool>,
    pub rejection_reason: Option<String>,
    /// `card`, `wire` or `cash`, once refunded (or a card refund under way).
    pub refund_method: Option<String>,
    pub refund_reference: Option<String>,
    pub refund_attempt_id: Option<String>,
    pub requested_by: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub lines: Vec<ReturnLine>,
}
