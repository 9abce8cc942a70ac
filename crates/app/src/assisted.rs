//! Assisted orders (rules R2, R12, R15): Client Relations place an order for a
//! client on the telephone or in a boutique. The same checks as online
//! (stock, cardholder, delivery, carriers by value, final sale) plus what only
//! staff may do: phone-only creations, more than five creations with a
//! recorded reason, payment by wire or cash, documents by fax.
//!
//! A card order is authorised at once and confirmed; a wire or cash order is
//! `placed` with its stock reserved until it is paid ([`crate::receipts`]) or
//! cancelled. Every order is acknowledged by its documents channel.

use maison_domain::bag::{self, BagRefusal, Channel, ProposedLine};
use maison_domain::contact::FaxNumber;
use maison_domain::delivery::plan_delivery;
use maison_domain::order::{
    Assisted, AssistedVia, DocumentsChannel, Order, OrderCommand, OrderEvent, OrderLine,
    OrderNumber, OrderStatus,
};
use maison_domain::payment::{CardOnFile, Payment};
use maison_domain::personalisation;
use maison_domain::policy::AssistedPaymentMethod;
use maison_domain::quote::QuoteStatus;
use maison_store::information::claim_quote;
use maison_store::{StoreError, audit, idempotency, orders};

use crate::actor::{Action, Actor};
use crate::bag::{PersonalisationRequest, find_variant};
use crate::checkout::{
    CardRequest, ContactInput, DeliveryInput, checked_key, digest, reserve_stock,
};
use crate::clock::{new_id, random_bytes};
use crate::documents::acknowledgement_message;
use crate::input::invalid;
use crate::order_desk::advance_as;
use crate::order_input::{check_contact, check_delivery, order_delivery};
use crate::quotes::quote_refused;
use crate::{Maison, ShopError};

/// The longest reason for exceeding the creation limit.
const MAX_REASON_CHARS: usize = 500;

pub struct AssistedLineInput {
    pub sku: String,
    pub quantity: i64,
    pub personalisation: Option<PersonalisationRequest>,
}

pub enum AssistedPaymentInput {
    Card(CardRequest),
    Wire,
    /// Paid at this boutique.
    Cash {
        boutique_id: String,
    },
}

pub struct DocumentsInput {
    /// `email` or `fax`.
    pub channel: String,
    pub fax_number: Option<String>,
}

pub struct AssistedOrderRequest {
    /// `telephone` or `boutique`.
    pub via: String,
    pub contact: ContactInput,
    /// The creations; empty when the order pays a quote.
    pub lines: Vec<AssistedLineInput>,
    /// A quote paid by telephone (rule R16): its one piece at its price,
    /// instead of `lines`.
    pub quote_id: Option<String>,
    pub delivery: DeliveryInput,
    pub payment: AssistedPaymentInput,
    pub documents: DocumentsInput,
    pub limit_override_reason: Option<String>,
    pub accept_final_sale: bool,
}

fn check_documents(d: &DocumentsInput) -> Result<DocumentsChannel, ShopError> {
    match d.channel.trim() {
        "email" => Ok(DocumentsChannel::Email),
        "fax" => FaxNumber::parse(d.fax_number.as_deref().unwrap_or(""))
            .map(DocumentsChannel::Fax)
            .map_err(|e| invalid("invalid_fax_number", "documents.fax_number", e.to_string())),
        _ => Err(invalid(
            "invalid_documents",
            "documents.channel",
            "Choose how the documents are sent: email or fax.",
        )),
    }
}

impl Maison {
    /// Places an order for a client, exactly once per staff member and key.
    pub async fn place_assisted_order(
        &self,
        actor: &Actor,
        idempotency_key: &str,
        request: AssistedOrderRequest,
    ) -> Result<Order, ShopError> {
        let member = actor.may(Action::PlaceAssistedOrder)?.clone();
        let key = checked_key(idempotency_key)?;
        let fingerprint = fingerprint(&request);
        let scope = format!("assisted:{}", member.id);
        match self.store().idempotency_state(&scope, key).await? {
            idempotency::KeyState::New => {}
            state => return self.replay(&scope, key, &fingerprint, state).await,
        }

        let via = AssistedVia::parse(request.via.trim()).ok_or_else(|| {
            invalid(
                "invalid_channel",
                "channel",
                "Choose telephone or boutique.",
            )
        })?;
        let contact = check_contact(&request.contact)?;
        let (method, destination, pickup_boutique) =
            check_delivery(&request.delivery, &self.catalogue())?;
        let documents = check_documents(&request.documents)?;
        let reason = request
            .limit_override_reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty());
        if reason.is_some_and(|r| r.chars().count() > MAX_REASON_CHARS) {
            return Err(invalid(
                "invalid_reason",
                "limit_override_reason",
                format!("Write the reason in at most {MAX_REASON_CHARS} characters."),
            ));
        }

        let quote_id = request
            .quote_id
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty());
        let lines = match quote_id {
            Some(_) if !request.lines.is_empty() => {
                return Err(invalid(
                    "invalid_request",
                    "quote_id",
                    "Send either the order's lines or the quote it pays, not both.",
                ));
            }
            Some(id) => {
                let quote = self
                    .store()
                    .quote(id)
                    .await?
                    .ok_or(ShopError::QuoteNotFound)?;
                quote.status(self.now()).payable().map_err(quote_refused)?;
                vec![self.quoted_line(&quote).await?]
            }
            None => self.staff_lines(&request.lines, reason, &[]).await?,
        };
        if lines.iter().any(|l| l.final_sale) && !request.accept_final_sale {
            return Err(ShopError::FinalSaleNotAcknowledged);
        }
        let subtotal = bag::subtotal(lines.iter().map(|l| (l.unit_price, l.quantity))).ok_or(
            ShopError::Refused(BagRefusal::ItemLimit {
                max: self.policies.max_items_per_order,
            }),
        )?;
        let total = subtotal;
        let plan = plan_delivery(
            total,
            method,
            &destination,
            &self.policies,
            &self.client_relations,
        );

        let offered =
            |m: AssistedPaymentMethod| self.policies.assisted_payment_methods.contains(&m);
        let not_offered = || {
            invalid(
                "payment_method_not_accepted",
                "payment.method",
                "This maison does not take this means of payment on assisted orders.",
            )
        };
        let (payment, card_details, cash_boutique_id) = match request.payment {
            AssistedPaymentInput::Card(card) => {
                if !offered(AssistedPaymentMethod::Card) {
                    return Err(not_offered());
                }
                let (checked, details) = self
                    .check_client_card(card, &contact.first_name, &contact.last_name, None)
                    .await?;
                let payment = Payment::Card(CardOnFile {
                    brand: checked.brand,
                    last4: checked.last4.clone(),
                    exp_month: checked.exp_month,
                    exp_year: checked.exp_year,
                    holder_name: checked.holder_name.clone(),
                    token: None,
                });
                (payment, Some(details), None)
            }
            AssistedPaymentInput::Wire => {
                if !offered(AssistedPaymentMethod::Wire) {
                    return Err(not_offered());
                }
                (Payment::Wire, None, None)
            }
            AssistedPaymentInput::Cash { boutique_id } => {
                if !offered(AssistedPaymentMethod::Cash) {
                    return Err(not_offered());
                }
                let catalogue = self.catalogue();
                let boutique = catalogue.boutique(boutique_id.trim()).ok_or_else(|| {
                    invalid(
                        "invalid_boutique",
                        "payment.boutique_id",
                        "Choose the boutique where the client pays in cash.",
                    )
                })?;
                (Payment::Cash, None, Some(boutique.id.clone()))
            }
        };

        // The order belongs to the client's account when they have one.
        let account_id = self
            .store()
            .account_by_email(contact.email.as_str())
            .await?
            .map(|a| a.id);
        let now = self.now();
        let order_id = new_id();
        let number = OrderNumber::from_random(random_bytes());
        let by_card = card_details.is_some();
        let mut taken = format!(
            "Taken by {} by {} ({}).",
            via.as_str(),
            member.name,
            member.role.as_str()
        );
        if let Some(reason) = reason
            && lines.iter().map(|l| u64::from(l.quantity)).sum::<u64>()
                > u64::from(self.policies.max_items_per_order)
        {
            taken.push_str(&format!(
                " More than {} creations: {reason}",
                self.policies.max_items_per_order
            ));
        }
        // The first event is internal (clients never read it): who took the
        // order, and why it exceeds the limit if it does. The order starts,
        // like every order, `pending_payment`; the lifecycle then places it
        // (a wire or cash order, below) or its card's authorisation does.
        let timeline = vec![OrderEvent {
            at: now,
            status: OrderStatus::PendingPayment,
            note: taken,
            actor: actor.timeline_name(),
        }];
        let mut order = Order {
            id: order_id.clone(),
            number: number.to_string(),
            status: OrderStatus::PendingPayment,
            channel: "assisted".into(),
            email: contact.email.as_str().to_owned(),
            first_name: contact.first_name,
            last_name: contact.last_name,
            phone: contact.phone,
            delivery: order_delivery(method, &destination, pickup_boutique.as_deref(), &plan),
            subtotal,
            total,
            payment,
            final_sale_accepted: request.accept_final_sale,
            bag_id: None,
            account_id,
            created_at: now,
            lines,
            timeline,
            assisted: Some(Assisted {
                via,
                placed_by: member.email.clone(),
                documents,
                limit_override_reason: reason.map(str::to_owned),
                cash_boutique_id,
                large_cash: false,
            }),
        };

        // Phase 1: the key, the stock, the order, its audit entry and its
        // payment attempt or its acknowledgement, atomically.
        let mut tx = self.store().begin_write().await?;
        if !idempotency::claim_key(&mut tx, &scope, key, &fingerprint, &order_id, now).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            let state = self.store().idempotency_state(&scope, key).await?;
            return self.replay(&scope, key, &fingerprint, state).await;
        }
        let sold_out = match reserve_stock(&mut tx, &order.lines).await {
            Ok(sold_out) => sold_out,
            Err(refused) => {
                tx.rollback().await.map_err(StoreError::from)?;
                return Err(refused);
            }
        };
        orders::insert(&mut tx, &order).await?;
        // The order exists first: the quote then refers to it.
        if let Some(id) = quote_id
            && !claim_quote(&mut tx, id, &order_id, now).await?
        {
            tx.rollback().await.map_err(StoreError::from)?;
            let status = self
                .store()
                .quote(id)
                .await?
                .map_or(QuoteStatus::Used, |q| q.status(self.now()));
            return Err(status
                .payable()
                .err()
                .map_or(ShopError::QuoteUsed, quote_refused));
        }
        let details = serde_json::json!({
            "channel": via.as_str(),
            "payment": order.payment.method(),
            "total": order.total.amount_string(),
            "documents": order.documents().as_str(),
            "limit_override_reason": reason,
            "quote_id": quote_id,
        });
        audit::record(
            &mut tx,
            &actor.audit(
                now,
                "order.place_assisted",
                &format!("order:{number}"),
                details,
            ),
        )
        .await?;
        let attempt_id = new_id();
        if by_card {
            self.record_pending_authorisation(&mut tx, &attempt_id, &order, now)
                .await?;
        } else {
            // Placed through the lifecycle's one decision, which also
            // announces `order.placed` to integrators.
            let note = format!(
                "We have received your order; it is reserved for you until your {} is received.",
                if order.payment == Payment::Wire {
                    "wire transfer"
                } else {
                    "payment in the boutique"
                }
            );
            order.status = advance_as(
                &mut tx,
                actor,
                &order_id,
                OrderStatus::PendingPayment,
                OrderCommand::Place,
                &note,
                now,
            )
            .await?;
            maison_store::outbox::enqueue(&mut tx, &acknowledgement_message(self, &order), now)
                .await?;
            idempotency::complete_key(&mut tx, &scope, key, 201, &order_id).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        if sold_out {
            self.refresh_catalogue().await?;
        }
        tracing::info!(order = %order.number, by = %member.email, payment = order.payment.method(), "assisted order placed");
        match card_details {
            Some(details) => self.authorise_order(&order, &attempt_id, details).await,
            None => self
                .store()
                .order(&order_id)
                .await?
                .ok_or(ShopError::OrderNotFound),
        }
    }
}

impl Maison {
    /// Lines that staff put on an order, through the bag's rule engine with
    /// the staff's rights (phone-only creations; more than the limit with a
    /// reason). `current` are the order's lines when it is being changed:
    /// their stock counts as available to it, and a creation it already
    /// holds keeps the price it was sold at.
    pub(crate) async fn staff_lines(
        &self,
        inputs: &[AssistedLineInput],
        limit_override_reason: Option<&str>,
        current: &[OrderLine],
    ) -> Result<Vec<OrderLine>, ShopError> {
        if inputs.is_empty() {
            return Err(invalid(
                "lines_required",
                "lines",
                "Add at least one creation to the order.",
            ));
        }
        let catalogue = self.catalogue();
        let mut resolved = Vec::with_capacity(inputs.len());
        for (i, line) in inputs.iter().enumerate() {
            let (creation, variant) = find_variant(&catalogue, line.sku.trim())
                .ok_or_else(|| ShopError::UnknownSku(line.sku.clone()))?;
            let personalisation = line
                .personalisation
                .as_ref()
                .map(|p| personalisation::personalise(creation, &p.kind, &p.text))
                .transpose()
                .map_err(|e| {
                    invalid(
                        "invalid_personalisation",
                        &format!("lines[{i}].personalisation"),
                        e.0,
                    )
                })?;
            let quantity = u32::try_from(line.quantity).unwrap_or(0);
            let held: u32 = current
                .iter()
                .filter(|l| l.sku == variant.sku.as_str())
                .map(|l| l.quantity)
                .sum();
            let on_hand = self
                .store()
                .on_hand(variant.sku.as_str())
                .await?
                .saturating_add(held);
            resolved.push((creation, variant, quantity, on_hand, personalisation));
        }
        let proposed: Vec<ProposedLine<'_>> = resolved
            .iter()
            .map(|(creation, variant, quantity, on_hand, p)| ProposedLine {
                creation,
                variant,
                quantity: *quantity,
                on_hand: *on_hand,
                personalisation: p.as_ref(),
            })
            .collect();
        bag::check_order_contents(
            &proposed,
            &self.policies,
            Channel::Assisted {
                limit_override_reason,
            },
        )
        .map_err(ShopError::Refused)?;
        let mut lines = Vec::with_capacity(resolved.len());
        for (creation, variant, quantity, _, personalisation) in resolved {
            let sold_at = current
                .iter()
                .find(|l| l.sku == variant.sku.as_str() && l.personalisation == personalisation)
                .map(|l| l.unit_price);
            // The engine refused every creation priced on request.
            let unit_price = sold_at.or(creation.price).ok_or_else(|| {
                ShopError::Refused(BagRefusal::PriceOnRequest {
                    name: creation.name.clone(),
                    sku: variant.sku.to_string(),
                })
            })?;
            lines.push(OrderLine {
                sku: variant.sku.to_string(),
                product_sku: creation.sku.to_string(),
                name: creation.name.clone(),
                size: variant.size.clone(),
                quantity,
                unit_price,
                final_sale: personalisation.is_some(),
                personalisation,
            });
        }
        Ok(lines)
    }
}

/// What makes two assisted-order requests the same, without the card's
/// number or code.
fn fingerprint(r: &AssistedOrderRequest) -> String {
    let mut parts: Vec<String> = vec![
        r.via.trim().into(),
        r.contact.first_name.trim().into(),
        r.contact.last_name.trim().into(),
        r.contact.email.trim().into(),
        r.contact.phone.trim().into(),
        r.delivery.method.trim().into(),
        r.delivery.boutique_id.clone().unwrap_or_default(),
        r.documents.channel.trim().into(),
        r.documents.fax_number.clone().unwrap_or_default(),
        r.limit_override_reason.clone().unwrap_or_default(),
        r.quote_id.clone().unwrap_or_default(),
        u8::from(r.accept_final_sale).to_string(),
    ];
    if let Some(a) = &r.delivery.address {
        parts.extend([
            a.line1.clone(),
            a.line2.clone().unwrap_or_default(),
            a.city.clone(),
            a.region.clone(),
            a.postal_code.clone(),
            a.country.clone(),
            a.company.clone().unwrap_or_default(),
        ]);
    }
    for line in &r.lines {
        parts.push(format!("{}x{}", line.sku.trim(), line.quantity));
        if let Some(p) = &line.personalisation {
            parts.push(format!("{}:{}", p.kind, p.text));
        }
    }
    match &r.payment {
        AssistedPaymentInput::Card(card) => {
            let digits: String = card.number.chars().filter(char::is_ascii_digit).collect();
            parts.push(format!(
                "card:{}:{}/{}:{}",
                &digits[digits.len().saturating_sub(4)..],
                card.exp_month,
                card.exp_year,
                card.holder_name.trim()
            ));
        }
        AssistedPaymentInput::Wire => parts.push("wire".into()),
        AssistedPaymentInput::Cash { boutique_id } => parts.push(format!("cash:{boutique_id}")),
    }
    digest(parts.iter().map(String::as_str))
}
