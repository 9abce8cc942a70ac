//! "Order Information" for guests (rule R5): the order number and the e-mail
//! must both match; any mismatch gets the same answer; attempts are counted
//! per client address and per order number, across instances.

use maison_domain::contact::email_key;
use maison_domain::order::{OrderNumber, OrderStatus};

use maison_domain::order::OrderEvent;

use crate::actor::{Action, Actor, allowed};
use crate::{Maison, Order, ShopError};

/// Wrong guesses allowed per client address in a window, whatever the numbers.
pub const PER_ADDRESS: u32 = 20;
/// Wrong guesses allowed per order number from one client address in a window.
pub const PER_NUMBER: u32 = 5;
/// Wrong guesses allowed per order number from all addresses together in a
/// window (a guesser spread over many addresses).
pub const PER_NUMBER_EVERYWHERE: u32 = 50;
/// The window: 15 minutes.
pub const WINDOW_MICROS: i64 = 15 * 60 * 1_000_000;
/// How long an address that found an order stays known for that order.
const KNOWN_MICROS: i64 = 30 * 24 * 60 * 60 * 1_000_000;

// Why these counters, and not one per number:
//
// The secret is the pair (number, e-mail). Numbers are random (about 2^45), so
// guessing numbers for a known e-mail is hopeless under the per-address limit.
// The realistic guesser knows a number (a receipt, a parcel label) and tries
// e-mail addresses. A counter per number alone let that guesser lock the owner
// out with five wrong guesses, and counted the owner's own correct look-ups.
//
// So: a correct look-up never counts (each counter takes its attempt back).
// Wrong guesses count per client address (any number: 20), per number from
// that address (5), and per number from all addresses (50). The first two only
// ever stop the address that guesses. The third stops a guesser spread over
// many addresses; it could also stop the owner, so an address that has found
// the order before (within 30 days) is not held by it: the owner's devices keep
// their access while a distributed guess is under way. An owner on a new
// device during such an attack has the signed link in their e-mail, their
// account, and Client Relations. Attempts are counted before the comparison,
// so that guesses sent at once are limited too.

/// An order still being paid for, or whose payment failed, is no one's yet.
fn is_settled(order: &Order) -> bool {
    !matches!(
        order.status,
        OrderStatus::PendingPayment | OrderStatus::PaymentFailed
    )
}

/// Who may see an order, the one rule every order read follows: staff whose
/// role may view orders, and the maison's own jobs, see every order; for
/// clients and guests, an order still being paid for, or whose payment
/// failed, is no one's yet; a client's order is that client's alone; a
/// guest's order is anyone's who proves it (the number and e-mail, a signed
/// link, the browser that placed it).
pub fn may_see(order: &Order, actor: &Actor) -> bool {
    match actor {
        Actor::Staff(member) => allowed(member.role, Action::ViewOrders),
        Actor::System(_) => true,
        Actor::Guest | Actor::Client { .. } => {
            is_settled(order)
                && match order.account_id.as_deref() {
                    Some(owner) => actor.account_id() == Some(owner),
                    None => true,
                }
        }
    }
}

/// The steps of an order a client reads (the storefront, the API, the
/// look-up): every event but the internal "payment being authorised".
pub fn client_timeline(order: &Order) -> impl Iterator<Item = &OrderEvent> {
    order
        .timeline
        .iter()
        .filter(|e| e.status != OrderStatus::PendingPayment)
}

impl Maison {
    /// The order this browser has just placed (its acknowledgement page).
    pub async fn order_placed_here(
        &self,
        order_id: &str,
        actor: &Actor,
    ) -> Result<Order, ShopError> {
        self.store()
            .order(order_id)
            .await?
            .filter(|order| may_see(order, actor))
            .ok_or(ShopError::OrderNotFound)
    }

    /// The order with `number` placed with `email`, for a guest; `client` is
    /// the caller's address, for throttling.
    pub async fn look_up_order(
        &self,
        number: &str,
        email: &str,
        client: &str,
    ) -> Result<Order, ShopError> {
        let now = self.now();
        let parsed = OrderNumber::parse(number).ok();
        // A number that is not one (its check character fails) counts against
        // the address only: no counter is made of text a guesser chose.
        let mut counters = vec![(format!("lookup:address:{client}"), PER_ADDRESS)];
        let mut known_key = None;
        if let Some(number) = &parsed {
            let key = format!("lookup:known:{number}:{client}");
            let known = self
                .store()
                .recent_attempts(&key, now, KNOWN_MICROS)
                .await?
                > 0;
            counters.push((format!("lookup:number:{number}:{client}"), PER_NUMBER));
            if !known {
                counters.push((format!("lookup:number:{number}"), PER_NUMBER_EVERYWHERE));
            }
            known_key = Some(key);
        }
        let mut counted = Vec::with_capacity(counters.len());
        let mut wait = None;
        for (key, limit) in counters {
            let over = self
                .store()
                .throttle(&key, now, WINDOW_MICROS, limit)
                .await?;
            counted.push(key);
            wait = wait.max(over);
        }
        if let Some(retry_after) = wait {
            tracing::warn!(retry_after, "order look-up throttled");
            return Err(ShopError::TooManyAttempts { retry_after });
        }
        // Proven by its e-mail, a client's order is shown here too (its
        // status only; the account shows the rest), once it is settled.
        let found = match parsed {
            Some(number) => self
                .store()
                .order_by_number(number.as_str())
                .await?
                .filter(|order| email_key(&order.email) == email_key(email) && is_settled(order)),
            None => None,
        };
        let Some(order) = found else {
            return Err(ShopError::OrderNotFound);
        };
        for key in &counted {
            self.store().give_back_attempt(key).await?;
        }
        if let Some(key) = known_key {
            self.store()
                .throttle(&key, now, KNOWN_MICROS, u32::MAX)
                .await?;
        }
        Ok(order)
    }
}
