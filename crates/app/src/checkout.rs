//! Placing an order: validate everything first; reserve stock atomically with
//! the order and its payment attempt; authorise outside any transaction; then
//! record the outcome, the order's confirmation and its messages in one
//! transaction. An attempt left in doubt is resolved by asking the processor,
//! never by charging again.

use sha2::{Digest, Sha256};

use maison_domain::Money;
use maison_domain::address::{Address, AddressInput, validate_address};
use maison_domain::bag::{self, BagRefusal, Channel, ProposedLine};
use maison_domain::card::{CardInput, YearMonth, check_card};
use maison_domain::cardholder::names_match;
use maison_domain::contact::{ContactError, Email, name_part, phone};
use maison_domain::delivery::{
    DeliveryMethod, DeliveryPlan, Destination, OrderDelivery, plan_delivery,
};
use maison_domain::order::{OrderNumber, OrderStatus};
use maison_domain::payment::{CardOnFile, Payment};
use maison_payments::{AuthoriseRequest, CardDetails, CardSecret, CvcSecret, SyncedOperation};
use maison_store::idempotency::{self, KeyState};
use maison_store::orders::{self, OrderLineRow, OrderRow};
use maison_store::payments::{self as attempts, AttemptRow};
use maison_store::{StoreError, bags, stock};

use crate::bag::find_variant;
use crate::clock::{new_id, random_bytes, year_month};
use crate::{Maison, ShopError};

/// Idempotency keys are scoped by the bag being checked out: keys chosen by
/// different clients never collide (a bag's id is unguessable), and a retry
/// is recognised whether or not the client has signed in since.
fn key_scope(bag_id: &str) -> String {
    format!("checkout:{bag_id}")
}

pub struct ContactInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
}

pub struct DeliveryInput {
    pub method: String,
    pub address: Option<AddressInput>,
    pub boutique_id: Option<String>,
}

/// The card as typed. The number and CVC move into zeroised secrets as soon as
/// they are checked.
pub struct CardRequest {
    pub number: String,
    pub exp_month: u32,
    pub exp_year: u32,
    pub cvc: String,
    pub holder_name: String,
}

impl std::fmt::Debug for CardRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardRequest { .. }")
    }
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
    pub lines: Vec<OrderLineRow>,
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

fn contact_error(e: ContactError) -> ShopError {
    ShopError::Invalid {
        code: "invalid_contact",
        field: format!("contact.{}", e.field),
        message: e.message,
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
        let c = &request.contact;
        let first_name =
            name_part("first_name", "first name", &c.first_name).map_err(contact_error)?;
        let last_name = name_part("last_name", "last name", &c.last_name).map_err(contact_error)?;
        let email = Email::parse(&c.email).map_err(contact_error)?;
        let phone = phone(&c.phone).map_err(contact_error)?;

        let method =
            DeliveryMethod::parse(&request.delivery.method).ok_or_else(|| ShopError::Invalid {
                code: "invalid_delivery",
                field: "delivery.method".into(),
                message: "Choose home, workplace or boutique delivery.".into(),
            })?;
        let (destination, boutique_id) = match method {
            DeliveryMethod::Home | DeliveryMethod::Workplace => {
                let input =
                    request
                        .delivery
                        .address
                        .as_ref()
                        .ok_or_else(|| ShopError::Invalid {
                            code: "invalid_address",
                            field: "delivery.address".into(),
                            message: "Enter the delivery address.".into(),
                        })?;
                let address = validate_address(input).map_err(|e| ShopError::Invalid {
                    code: "invalid_address",
                    field: format!("delivery.address.{}", e.field),
                    message: e.message,
                })?;
                if method == DeliveryMethod::Workplace && address.company.is_none() {
                    return Err(ShopError::Invalid {
                        code: "company_required",
                        field: "delivery.address.company".into(),
                        message: "For a delivery to your workplace, enter the company name.".into(),
                    });
                }
                let address = if method == DeliveryMethod::Home {
                    Address {
                        company: None,
                        ..address
                    }
                } else {
                    address
                };
                (address, None)
            }
            DeliveryMethod::Boutique => {
                let id = request.delivery.boutique_id.as_deref().unwrap_or("").trim();
                let boutique = catalogue
                    .boutique(id)
                    .filter(|b| b.accepts_pickup)
                    .ok_or_else(|| ShopError::Invalid {
                        code: "invalid_boutique",
                        field: "delivery.boutique_id".into(),
                        message: "Choose a boutique that accepts pickups (see Find a Boutique)."
                            .into(),
                    })?;
                (boutique.address.clone(), Some(boutique.id.clone()))
            }
        };

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

        let lines: Vec<OrderLineRow> = resolved
            .iter()
            .map(|(creation, variant, _, row)| OrderLineRow {
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
            email,
            first_name,
            last_name,
            phone,
            method,
            destination,
            boutique_id,
            lines,
            subtotal,
            total,
            plan,
        })
    }

    /// Places the order and authorises the card, exactly once per key.
    pub async fn checkout(
        &self,
        idempotency_key: &str,
        request: CheckoutRequest,
        card: CardRequest,
    ) -> Result<OrderRow, ShopError> {
        let key = idempotency_key.trim();
        if key.is_empty() || key.len() > 255 || key.chars().any(|c| c.is_control()) {
            return Err(ShopError::Invalid {
                code: "idempotency_key_required",
                field: "Idempotency-Key".into(),
                message: "Send an Idempotency-Key header of 1 to 255 characters (a UUID is ideal)."
                    .into(),
            });
        }
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
    async fn replay(
        &self,
        scope: &str,
        key: &str,
        fingerprint: &str,
        mut state: KeyState,
    ) -> Result<OrderRow, ShopError> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            match state {
                KeyState::New => return Err(ShopError::KeyInUse),
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

    async fn stored_outcome(&self, status: u16, body: &str) -> Result<OrderRow, ShopError> {
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
    ) -> Result<OrderRow, ShopError> {
        let prepared = self.prepare_checkout(&request).await?;
        if prepared.lines.iter().any(|l| l.final_sale) && !request.accept_final_sale {
            return Err(ShopError::FinalSaleNotAcknowledged);
        }
        let (year, month) = year_month(self.now());
        let checked = check_card(
            &CardInput {
                number: &card.number,
                exp_month: card.exp_month,
                exp_year: card.exp_year,
                cvc: &card.cvc,
                holder_name: &card.holder_name,
            },
            YearMonth { year, month },
            &self.policies.accepted_card_brands,
        )
        .map_err(ShopError::Card)?;
        if !names_match(
            &checked.holder_name,
            &prepared.first_name,
            &prepared.last_name,
        ) {
            return Err(ShopError::CardholderMismatch);
        }
        // A signed-in client's order is the account holder's: the card must
        // be theirs too, whatever name the contact form was given (R4).
        if let Some(account_id) = &request.account_id {
            let holder = self
                .store()
                .account(account_id)
                .await?
                .ok_or(ShopError::BagNotFound)?;
            if !names_match(&checked.holder_name, &holder.first_name, &holder.last_name) {
                return Err(ShopError::CardholderMismatch);
            }
        }
        let digits: String = card.number.chars().filter(char::is_ascii_digit).collect();
        let details = CardDetails {
            number: CardSecret::new(digits),
            cvc: CvcSecret::new(card.cvc.trim().to_owned()),
            exp_month: checked.exp_month,
            exp_year: checked.exp_year,
            holder_name: checked.holder_name.clone(),
            brand: checked.brand,
        };
        drop(card);

        // Phase 1: the order, its stock and its payment attempt, atomically.
        let now = self.now();
        let order_id = new_id();
        let attempt_id = new_id();
        let number = OrderNumber::from_random(random_bytes());
        let d = &prepared.destination;
        let order = OrderRow {
            id: order_id.clone(),
            number: number.to_string(),
            status: OrderStatus::PendingPayment,
            channel: "online".into(),
            email: prepared.email.as_str().to_owned(),
            first_name: prepared.first_name.clone(),
            last_name: prepared.last_name.clone(),
            phone: prepared.phone.clone(),
            delivery: OrderDelivery {
                destination: match prepared.method {
                    DeliveryMethod::Home => Destination::Home(d.clone()),
                    DeliveryMethod::Workplace => Destination::Workplace(d.clone()),
                    DeliveryMethod::Boutique => Destination::Boutique {
                        boutique_id: prepared.boutique_id.clone().unwrap_or_default(),
                        address: d.clone(),
                    },
                },
                carrier: prepared.plan.carrier,
                estimate: prepared.plan.estimate,
            },
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
        };
        let mut tx = self.store().begin_write().await?;
        if !idempotency::claim_key(&mut tx, scope, key, fingerprint, &order_id, now).await? {
            // Another request with this key got there first.
            tx.rollback().await.map_err(StoreError::from)?;
            let state = self.store().idempotency_state(scope, key).await?;
            return self.replay(scope, key, fingerprint, state).await;
        }
        // The bag becomes this order and no other, whatever the keys: a second
        // tab or a client's retry with a fresh key is refused before anything
        // is reserved or authorised.
        if !bags::claim_for_order(&mut tx, &request.bag_id, &order_id).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(ShopError::BagCheckedOut);
        }
        // The bag as claimed must be the bag as checked: a line changed in
        // another tab meanwhile is neither charged for nor lost.
        let claimed = bags::lines_in(&mut tx, &request.bag_id).await?;
        let same = claimed.len() == order.lines.len()
            && claimed.iter().zip(&order.lines).all(|(bag, line)| {
                bag.sku == line.sku
                    && bag.quantity == line.quantity
                    && bag.unit_price == line.unit_price
                    && bag.personalisation == line.personalisation
            });
        if !same {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(ShopError::BagChanged);
        }
        let mut sold_out = false;
        for line in lines_by_sku(&order.lines) {
            match stock::reserve(&mut tx, &line.sku, line.quantity).await? {
                Some(left) => sold_out |= left == 0,
                None => {
                    tx.rollback().await.map_err(StoreError::from)?;
                    return Err(ShopError::Refused(BagRefusal::TemporarilyUnavailable {
                        name: line.name.clone(),
                        sku: line.sku.clone(),
                    }));
                }
            }
        }
        if sold_out {
            stock::availability_changed(&mut tx).await?;
        }
        orders::insert(&mut tx, &order).await?;
        attempts::insert_attempt(
            &mut tx,
            &AttemptRow {
                id: attempt_id.clone(),
                order_id: order_id.clone(),
                operation: "authorise".into(),
                amount: order.total,
                status: "pending".into(),
                processor: self.gateway.name().into(),
                processor_ref: None,
                decline_code: None,
                created_at: now,
            },
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        if sold_out {
            self.refresh_catalogue().await?;
        }

        // Phase 2: the processor, outside any transaction.
        let outcome = self
            .gateway
            .authorise(AuthoriseRequest {
                idempotency_key: &attempt_id,
                amount: order.total,
                card: &details,
                reference: &order.number,
            })
            .await;
        drop(details);
        let outcome = match outcome {
            Ok(outcome) => Some(outcome),
            Err(err) if err.in_doubt() => {
                tracing::warn!(order = %order.number, error = %err, "authorisation in doubt: asking the processor");
                self.store()
                    .mark_attempt_in_doubt(&attempt_id, self.now())
                    .await?;
                match self.gateway.sync(&attempt_id).await {
                    Ok(Some(SyncedOperation::Authorise(outcome))) => Some(outcome),
                    Ok(_) => None,
                    Err(err) => {
                        tracing::warn!(order = %order.number, error = %err, "processor unreachable: recovery will resolve");
                        return Err(ShopError::PaymentInDoubt);
                    }
                }
            }
            Err(err) => {
                tracing::error!(order = %order.number, error = %err, "the processor refused the request");
                None
            }
        };

        // Phase 3: the outcome, in one transaction.
        self.finish_authorisation(&order_id, &attempt_id, outcome)
            .await
    }
}

/// An order's lines in SKU order: every transaction locks stock rows in this
/// one order, so two never wait on each other in a circle (PostgreSQL would
/// end one of them with a deadlock error).
pub(crate) fn lines_by_sku(lines: &[OrderLineRow]) -> Vec<&OrderLineRow> {
    let mut sorted: Vec<&OrderLineRow> = lines.iter().collect();
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
