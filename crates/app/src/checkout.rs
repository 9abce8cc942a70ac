//! Placing an order: validate everything first; reserve stock atomically with
//! the order and its payment attempt; authorise outside any transaction; then
//! record the outcome, the order's confirmation and its messages in one
//! transaction. An attempt left in doubt is resolved by asking the processor,
//! never by charging again.

use sha2::{Digest, Sha256};

use maison_domain::Money;
use maison_domain::address::Address;
use maison_domain::bag::{self, BagRefusal, Channel, ProposedLine};
use maison_domain::contact::Email;
use maison_domain::delivery::{DeliveryMethod, DeliveryPlan, plan_delivery};
use maison_domain::order::{Order, OrderLine};
use maison_domain::order::{OrderNumber, OrderStatus};
use maison_domain::payment::{CardOnFile, Payment, PaymentAttempt};
use maison_store::idempotency::{self, KeyState};
use maison_store::orders;
use maison_store::payments as attempts;
use maison_store::{Durability, JobFuture, StoreError, Tx, bags, stock};

use crate::bag::find_variant;
use crate::clock::{new_id, random_bytes};
pub use crate::order_input::{CardRequest, ContactInput, DeliveryInput};
use crate::order_input::{
    check_contact, check_delivery, contact_faults, delivery_faults, order_delivery,
};
use crate::{Maison, ShopError};

/// Idempotency keys are scoped by the bag being checked out: keys chosen by
/// different clients never collide (a bag's id is unguessable), and a retry
/// is recognised whether or not the client has signed in since.
fn key_scope(bag_id: &str) -> String {
    format!("checkout:{bag_id}")
}

pub struct CheckoutRequest {
    pub bag_id: String,
    /// The signed-in client placing the order (`None` for a guest).
    pub account_id: Option<String>,
    pub contact: ContactInput,
    pub delivery: DeliveryInput,
    pub accept_final_sale: bool,
}

/// Checked contact and delivery, ready for a preview or an order.
pub struct Prepared {
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub method: DeliveryMethod,
    pub destination: Address,
    pub boutique_id: Option<String>,
    pub lines: Vec<OrderLine>,
    pub subtotal: Money,
    pub total: Money,
    pub plan: DeliveryPlan,
}

impl Prepared {
    /// What the client is told before paying: the delivery plan's sentences,
    /// and the final-sale rule when a line is personalised (as checkout will
    /// ask them to acknowledge it).
    pub fn messages(&self) -> Vec<String> {
        let mut messages = self.plan.messages.clone();
        if self.lines.iter().any(|l| l.final_sale) {
            messages.push(maison_notify::documents::FINAL_SALE_NOTE.to_owned());
        }
        messages
    }
}

impl Maison {
    /// Checks the bag, the contact and the delivery; computes totals and the
    /// delivery plan. Used by the preview and by checkout.
    pub async fn prepare_checkout(&self, request: &CheckoutRequest) -> Result<Prepared, ShopError> {
        let catalogue = self.catalogue();
        let rows = self
            .store()
            .bag_lines(&request.bag_id)
            .await?
            .ok_or(ShopError::BagNotFound)?;
        if rows.is_empty() {
            // A bag emptied by its order says so. (A bag still being paid for
            // goes on: a retry with the same key is answered when its key is
            // claimed, any other checkout when the bag is.)
            return Err(match self.store().bag_order(&request.bag_id).await? {
                Some(_) => ShopError::BagCheckedOut,
                None => ShopError::BagEmpty,
            });
        }
        let contact = check_contact(&request.contact)?;
        let (method, destination, boutique_id) = check_delivery(&request.delivery, &catalogue)?;

        // The rule engine, with the stock on hand now.
        let mut resolved = Vec::with_capacity(rows.len());
        for row in &rows {
            let (creation, variant) = find_variant(&catalogue, &row.sku)
                .ok_or_else(|| ShopError::UnknownSku(row.sku.clone()))?;
            let on_hand = self.store().on_hand(&row.sku).await?;
            resolved.push((creation, variant, on_hand, row));
        }
        let proposed: Vec<ProposedLine<'_>> = resolved
            .iter()
            .map(|(creation, variant, on_hand, row)| ProposedLine {
                creation,
                variant,
                quantity: row.quantity,
                on_hand: *on_hand,
                personalisation: row.personalisation.as_ref(),
            })
            .collect();
        bag::check_order_contents(&proposed, &self.policies, Channel::Online)
            .map_err(ShopError::Refused)?;

        // Lines keep the price they were added at; a changed price is shown
        // to the client before anything is charged.
        let mut changed = Vec::new();
        for (creation, _, _, row) in &resolved {
            if let Some(price) = creation.price
                && price != row.unit_price
            {
                changed.push((row.id.clone(), creation.name.clone(), price));
            }
        }
        if !changed.is_empty() {
            let mut tx = self.store().begin_write().await?;
            for (line_id, _, price) in &changed {
                bags::set_line_price(&mut tx, &request.bag_id, line_id, *price).await?;
            }
            tx.commit().await.map_err(StoreError::from)?;
            let names: Vec<String> = changed
                .iter()
                .map(|(_, n, p)| format!("{n} is now {p}"))
                .collect();
            return Err(ShopError::PriceChanged(names.join("; ")));
        }

        let lines: Vec<OrderLine> = resolved
            .iter()
            .map(|(creation, variant, _, row)| OrderLine {
                sku: row.sku.clone(),
                product_sku: creation.sku.to_string(),
                name: creation.name.clone(),
                size: variant.size.clone(),
                quantity: row.quantity,
                unit_price: row.unit_price,
                personalisation: row.personalisation.clone(),
                final_sale: row.personalisation.is_some(),
            })
            .collect();
        let subtotal = bag::subtotal(lines.iter().map(|l| (l.unit_price, l.quantity))).ok_or(
            ShopError::Refused(BagRefusal::ItemLimit {
                max: self.policies.max_items_per_order,
            }),
        )?;
        // Delivery is complimentary; taxes are outside this version.
        let total = subtotal;
        let plan = plan_delivery(
            total,
            method,
            &destination,
            &self.policies,
            &self.client_relations,
        );
        Ok(Prepared {
            email: contact.email,
            first_name: contact.first_name,
            last_name: contact.last_name,
            phone: contact.phone,
            method,
            destination,
            boutique_id,
            lines,
            subtotal,
            total,
            plan,
        })
    }

    /// Every fault of an online checkout's fields at once (contact, delivery,
    /// card, the final-sale acknowledgement), for the storefront's page that
    /// shows them all beside their fields. The API keeps answering
    /// [`Maison::checkout`]'s first refusal; a request without a fault here
    /// may still be refused there (the bag, stock, prices, the processor).
    pub async fn checkout_faults(
        &self,
        request: &CheckoutRequest,
        card: &CardRequest,
    ) -> Vec<ShopError> {
        let mut faults = contact_faults(&request.contact);
        faults.extend(delivery_faults(&request.delivery, &self.catalogue()));
        faults.extend(self.card_faults(card, &request.contact));
        // A bag that cannot be read is checkout's to refuse.
        let personalised = match self.store().bag_lines(&request.bag_id).await {
            Ok(Some(rows)) => rows.iter().any(|r| r.personalisation.is_some()),
            _ => false,
        };
        if personalised && !request.accept_final_sale {
            faults.push(ShopError::FinalSaleNotAcknowledged);
        }
        faults
    }

    /// Places the order and authorises the card, exactly once per key.
    pub async fn checkout(
        &self,
        idempotency_key: &str,
        request: CheckoutRequest,
        card: CardRequest,
    ) -> Result<Order, ShopError> {
        let key = checked_key(idempotency_key)?;
        let fingerprint = fingerprint(&request, &card);
        let scope = key_scope(&request.bag_id);
        // A retry of a request already under way or done is answered as that
        // one is. The key itself is claimed with the order, in phase 1: a
        // request refused before that leaves the key free for a corrected one.
        match self.store().idempotency_state(&scope, key).await? {
            KeyState::New => {}
            state => return self.replay(&scope, key, &fingerprint, state).await,
        }
        self.checkout_owned(&scope, key, &fingerprint, request, card)
            .await
    }

    /// Answers a retry: the same order, or the same refusal.
    pub(crate) async fn replay(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        mut state: KeyState,
    ) -> Result<Order, ShopError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            match state {
                // Another request's claim of the key is not committed yet (it
                // may share a group commit that has not ended): wait for it
                // like for a request in progress.
                KeyState::New if std::time::Instant::now() > deadline => {
                    return Err(ShopError::KeyInUse);
                }
                KeyState::New => {
                    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                    state = self.store().idempotency_state(scope, key).await?;
                }
                KeyState::InProgress { fingerprint: ref f }
                | KeyState::Completed {
                    fingerprint: ref f, ..
                } if f != fingerprint => {
                    return Err(ShopError::KeyReused);
                }
                KeyState::Completed { status, body, .. } => {
                    return self.stored_outcome(status, &body).await;
                }
                KeyState::InProgress { .. } => {
                    if std::time::Instant::now() > deadline {
                        return Err(ShopError::KeyInUse);
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(25)).await;
                    state = self.store().idempotency_state(scope, key).await?;
                }
            }
        }
    }

    async fn stored_outcome(&self, status: u16, body: &str) -> Result<Order, ShopError> {
        if status == 201 {
            return self
                .store()
                .order(body)
                .await?
                .ok_or(ShopError::OrderNotFound);
        }
        Err(ShopError::Replayed {
            status,
            body: body.to_owned(),
        })
    }

    async fn checkout_owned(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        request: CheckoutRequest,
        card: CardRequest,
    ) -> Result<Order, ShopError> {
        let prepared = self.prepare_checkout(&request).await?;
        if prepared.lines.iter().any(|l| l.final_sale) && !request.accept_final_sale {
            return Err(ShopError::FinalSaleNotAcknowledged);
        }
        let (checked, details) = self
            .check_client_card(
                card,
                &prepared.first_name,
                &prepared.last_name,
                request.account_id.as_deref(),
            )
            .await?;

        // Phase 1: the order, its stock and its payment attempt, atomically.
        let now = self.now();
        let order_id = new_id();
        let attempt_id = new_id();
        let number = OrderNumber::from_random(random_bytes());
        let order = Order {
            id: order_id.clone(),
            number: number.to_string(),
            status: OrderStatus::PendingPayment,
            channel: "online".into(),
            email: prepared.email.as_str().to_owned(),
            first_name: prepared.first_name.clone(),
            last_name: prepared.last_name.clone(),
            phone: prepared.phone.clone(),
            delivery: order_delivery(
                prepared.method,
                &prepared.destination,
                prepared.boutique_id.as_deref(),
                &prepared.plan,
            ),
            subtotal: prepared.subtotal,
            total: prepared.total,
            payment: Payment::Card(CardOnFile {
                brand: checked.brand,
                last4: checked.last4.clone(),
                exp_month: checked.exp_month,
                exp_year: checked.exp_year,
                holder_name: checked.holder_name.clone(),
                token: None,
            }),
            final_sale_accepted: request.accept_final_sale,
            bag_id: Some(request.bag_id.clone()),
            account_id: request.account_id.clone(),
            created_at: now,
            lines: prepared.lines.clone(),
            timeline: Vec::new(),
            assisted: None,
        };
        let job_order = order.clone();
        let (job_scope, job_key, job_fingerprint) =
            (scope.to_owned(), key.to_owned(), fingerprint.to_owned());
        let (bag_id, job_attempt) = (request.bag_id.clone(), attempt_id.clone());
        let processor = self.gateway.name().to_owned();
        let written = self
            .store()
            .write(
                Durability::Immediate,
                move |tx| -> JobFuture<'_, Result<Phase1, ShopError>> {
                    Box::pin(async move {
                        let order = job_order;
                        if !idempotency::claim_key(
                            tx,
                            &job_scope,
                            &job_key,
                            &job_fingerprint,
                            &order.id,
                            now,
                        )
                        .await?
                        {
                            return Ok(Phase1::KeyTaken);
                        }
                        // The bag becomes this order and no other, whatever the
                        // keys: a second tab or a client's retry with a fresh key
                        // is refused before anything is reserved or authorised.
                        if !bags::claim_for_order(tx, &bag_id, &order.id).await? {
                            return Err(ShopError::BagCheckedOut);
                        }
                        // The bag as claimed must be the bag as checked: a line
                        // changed in another tab meanwhile is neither charged for
                        // nor lost.
                        let claimed = bags::lines_in(tx, &bag_id).await?;
                        let same = claimed.len() == order.lines.len()
                            && claimed.iter().zip(&order.lines).all(|(bag, line)| {
                                bag.sku == line.sku
                                    && bag.quantity == line.quantity
                                    && bag.unit_price == line.unit_price
                                    && bag.personalisation == line.personalisation
                            });
                        if !same {
                            return Err(ShopError::BagChanged);
                        }
                        orders::insert(tx, &order).await?;
                        record_pending_authorisation(tx, &job_attempt, &order, &processor, now)
                            .await?;
                        // The stock last: its row is every checkout's of that
                        // creation, and on PostgreSQL its lock is held from here
                        // to the commit.
                        let sold_out = reserve_stock(tx, &order.lines).await?;
                        Ok(Phase1::Written { sold_out })
                    })
                },
            )
            .await?;
        let sold_out = match written {
            Phase1::Written { sold_out } => sold_out,
            Phase1::KeyTaken => {
                // Another request with this key got there first.
                let state = self.store().idempotency_state(scope, key).await?;
                return self.replay(scope, key, fingerprint, state).await;
            }
        };
        if sold_out {
            self.refresh_catalogue().await?;
        }

        // Phases 2 and 3: the processor, outside any transaction; then the
        // outcome.
        self.authorise_order(&order, &attempt_id, details).await
    }
}

/// Records, in `tx` (the order's first transaction), the authorisation about
/// to be asked for of `processor`: if its answer is lost, recovery finds it
/// and asks the processor under the same key, never charging twice.
pub(crate) async fn record_pending_authorisation(
    tx: &mut Tx,
    attempt_id: &str,
    order: &Order,
    processor: &str,
    now: i64,
) -> Result<(), ShopError> {
    attempts::insert_attempt(
        tx,
        &PaymentAttempt::pending(
            attempt_id.to_owned(),
            &order.id,
            "authorise",
            order.total,
            processor,
            None,
            now,
        ),
    )
    .await?;
    Ok(())
}

/// What the first transaction of a checkout did.
enum Phase1 {
    /// The order, its stock and its pending authorisation are written.
    Written { sold_out: bool },
    /// Another request holds this idempotency key: nothing was written.
    KeyTaken,
}

/// Reserves the stock of an order's lines, in SKU order, in `tx`; the first
/// line that cannot be had refuses the order (the caller rolls back).
/// Returns whether a creation sold out: the catalogue snapshot is refreshed
/// once the transaction commits.
pub(crate) async fn reserve_stock(tx: &mut Tx, lines: &[OrderLine]) -> Result<bool, ShopError> {
    let mut sold_out = false;
    for line in lines_by_sku(lines) {
        match stock::reserve(tx, &line.sku, line.quantity).await? {
            Some(left) => sold_out |= left == 0,
            None => {
                return Err(ShopError::Refused(BagRefusal::TemporarilyUnavailable {
                    name: line.name.clone(),
                    sku: line.sku.clone(),
                }));
            }
        }
    }
    if sold_out {
        stock::availability_changed(tx).await?;
    }
    Ok(sold_out)
}

/// The `Idempotency-Key` of a creating or paying request, trimmed.
pub(crate) fn checked_key(key: &str) -> Result<&str, ShopError> {
    let key = key.trim();
    if key.is_empty() || key.len() > 255 || key.chars().any(|c| c.is_control()) {
        return Err(ShopError::Invalid {
            code: "idempotency_key_required",
            field: "Idempotency-Key".into(),
            message: "Send an Idempotency-Key header of 1 to 255 characters (a UUID is ideal)."
                .into(),
        });
    }
    Ok(key)
}

/// What an earlier request under the same key means for this one (whose
/// digest is `fingerprint`): `None` when the key is new, the body it was
/// answered with (to replay), or a refusal: another request under the key
/// (`idempotency_key_reused`), or this one still under way.
pub(crate) fn earlier_answer(
    state: KeyState,
    fingerprint: &str,
) -> Result<Option<String>, ShopError> {
    match state {
        KeyState::New => Ok(None),
        KeyState::InProgress { fingerprint: f } | KeyState::Completed { fingerprint: f, .. }
            if f != fingerprint =>
        {
            Err(ShopError::KeyReused)
        }
        KeyState::InProgress { .. } => Err(ShopError::KeyInUse),
        KeyState::Completed { body, .. } => Ok(Some(body)),
    }
}

/// A request's parts as one SHA-256 digest (what makes two requests with
/// one key the same).
pub(crate) fn digest<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An order's lines in SKU order: every transaction locks stock rows in this
/// one order, so two never wait on each other in a circle (PostgreSQL would
/// end one of them with a deadlock error).
pub(crate) fn lines_by_sku(lines: &[OrderLine]) -> Vec<&OrderLine> {
    let mut sorted: Vec<&OrderLine> = lines.iter().collect();
    sorted.sort_by(|a, b| a.sku.cmp(&b.sku));
    sorted
}

/// What makes two checkout requests the same, without the card number or CVC.
fn fingerprint(request: &CheckoutRequest, card: &CardRequest) -> String {
    let digits: String = card.number.chars().filter(char::is_ascii_digit).collect();
    let last4 = &digits[digits.len().saturating_sub(4)..];
    let a = request.delivery.address.as_ref();
    let parts = [
        request.bag_id.as_str(),
        request.contact.first_name.trim(),
        request.contact.last_name.trim(),
        request.contact.email.trim(),
        request.contact.phone.trim(),
        request.delivery.method.trim(),
        a.map_or("", |a| a.line1.as_str()),
        a.and_then(|a| a.line2.as_deref()).unwrap_or(""),
        a.map_or("", |a| a.city.as_str()),
        a.map_or("", |a| a.region.as_str()),
        a.map_or("", |a| a.postal_code.as_str()),
        a.map_or("", |a| a.country.as_str()),
        a.and_then(|a| a.company.as_deref()).unwrap_or(""),
        request.delivery.boutique_id.as_deref().unwrap_or(""),
        if request.accept_final_sale { "1" } else { "0" },
        last4,
        &card.exp_month.to_string(),
        &card.exp_year.to_string(),
        card.holder_name.trim(),
    ];
    digest(parts)
}
