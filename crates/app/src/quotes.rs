//! Quotes (rule R16): a Prestige Advisor prices one specific piece (its
//! stone's carat, colour, clarity and cut) for the client of an information
//! request, valid for a set time, and the client pays it once through a
//! private link, by the rules of every checkout: the cardholder is the
//! client, delivery and carriers by value, stock reserved, the card
//! authorised, the acknowledgement and confirmation sent.
//!
//! The link's token is shown once, in the client's letter; the database
//! keeps its SHA-256. A quote is held by the order that pays it (claimed in
//! the order's first transaction, so it is never paid twice); an order whose
//! payment fails gives it back.

use maison_domain::Money;
use maison_domain::bag::{self, Channel, ProposedLine};
use maison_domain::delivery::plan_delivery;
use maison_domain::order::{Order, OrderEvent, OrderLine, OrderNumber, OrderStatus};
use maison_domain::payment::{CardOnFile, Payment};
use maison_domain::quote::{Quote, QuoteRefused, QuoteStatus, Stone, quote_terms};
use maison_store::idempotency::{self, KeyState};
use maison_store::information::{claim_quote, insert_quote, request_in, update_request};
use maison_store::{StoreError, audit, orders, outbox};

use crate::accounts::{new_token, token_digest};
use crate::actor::{Action, Actor};
use crate::bag::find_variant;
use crate::checkout::{
    CardRequest, ContactInput, DeliveryInput, checked_key, digest, earlier_answer, reserve_stock,
};
use crate::clock::{new_id, random_bytes};
use crate::input::invalid;
use crate::order_input::{check_contact, check_delivery, order_delivery};
use crate::{Maison, ShopError};

/// What an advisor sends to issue a quote.
#[derive(Debug, Clone)]
pub struct QuoteInput {
    /// The piece: a size's SKU, or the creation's when it has no sizes.
    pub sku: String,
    pub price: Money,
    pub carat: String,
    pub colour: String,
    pub clarity: String,
    pub cut: String,
    pub valid_days: i64,
}

/// A quote just issued, with its private link (shown once).
#[derive(Debug)]
pub struct IssuedQuote {
    pub quote: Quote,
    pub link: String,
}

/// A quote as its link shows it.
#[derive(Debug, Clone)]
pub struct QuoteView {
    pub quote: Quote,
    pub status: QuoteStatus,
    /// The creation's name.
    pub name: String,
    pub slug: String,
    pub size: Option<String>,
    /// The client the quote was prepared for.
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    /// The number of the order that paid it, once paid.
    pub order_number: Option<String>,
}

/// Paying a quote: the checkout's details without a bag.
pub struct QuoteCheckout {
    /// The signed-in client paying (`None` for a guest).
    pub account_id: Option<String>,
    pub contact: ContactInput,
    pub delivery: DeliveryInput,
    pub accept_final_sale: bool,
}

/// A quote that cannot be paid, as the API says it.
pub(crate) fn quote_refused(why: QuoteRefused) -> ShopError {
    match why {
        QuoteRefused::Used => ShopError::QuoteUsed,
        QuoteRefused::Expired => ShopError::QuoteExpired,
    }
}

impl Maison {
    /// Issues a quote on an information request and e-mails its private
    /// link to the client; the request becomes `quoted`. Prestige Advisors
    /// and administrators; once per staff member and `idempotency_key`
    /// (a retry answers the same quote, and the client gets one letter).
    pub async fn issue_quote(
        &self,
        actor: &Actor,
        request_id: &str,
        input: QuoteInput,
        idempotency_key: &str,
    ) -> Result<IssuedQuote, ShopError> {
        let member = actor.may(Action::IssueQuote)?.clone();
        let key = checked_key(idempotency_key)?;
        let scope = format!("issue_quote:{}", member.id);
        let fingerprint = digest([
            request_id.trim(),
            input.sku.trim(),
            &input.price.amount_string(),
            input.carat.trim(),
            input.colour.trim(),
            input.clarity.trim(),
            input.cut.trim(),
            &input.valid_days.to_string(),
        ]);
        if let Some(answer) = earlier_answer(
            self.store().idempotency_state(&scope, key).await?,
            &fingerprint,
        )? {
            return self.issued_again(&answer).await;
        }
        let catalogue = self.catalogue();
        let sku = maison_domain::Sku::parse(&input.sku)
            .map_err(|_| ShopError::UnknownSku(input.sku.chars().take(64).collect()))?;
        let (creation, variant) = match find_variant(&catalogue, sku.as_str()) {
            Some(found) => found,
            None if catalogue.creation(sku.as_str()).is_some() => {
                return Err(invalid(
                    "size_required",
                    "sku",
                    "A quote is for one specific piece: give the SKU of its size (such as VAL-RNG-001-52).",
                ));
            }
            None => return Err(ShopError::UnknownSku(sku.to_string())),
        };
        let stone =
            Stone::parse(&input.carat, &input.colour, &input.clarity, &input.cut).map_err(|e| {
                ShopError::Invalid {
                    code: e.code,
                    field: e.field.to_owned(),
                    message: e.message,
                }
            })?;
        let now = self.now();
        let expires_at = quote_terms(input.price, input.valid_days, now).map_err(|e| {
            invalid(
                e.code(),
                e.field(),
                match e {
                    maison_domain::quote::QuoteTermsError::Price => {
                        "The price of a quote is a positive amount, such as \"48500.00\"."
                            .to_owned()
                    }
                    maison_domain::quote::QuoteTermsError::Validity => format!(
                        "A quote is valid for 1 to {} days.",
                        maison_domain::quote::MAX_VALID_DAYS
                    ),
                },
            )
        })?;
        let token = new_token()?;
        let link = format!("{}/quotes/{}", self.public_url, token.expose());
        let quote = Quote {
            id: new_id(),
            request_id: request_id.to_owned(),
            sku: variant.sku.to_string(),
            price: input.price,
            stone,
            expires_at,
            order_id: None,
            created_by: member.email.clone(),
            created_at: now,
        };
        let piece = match &variant.size {
            Some(size) => format!("{}, size {size}", creation.name),
            None => creation.name.clone(),
        };
        // Compare-and-set on the request: one changed meanwhile (another
        // advisor) is read and decided again.
        let mut attempts_left = 3;
        let (mut tx, request, next) = loop {
            let mut tx = self.store().begin_write().await?;
            let Some(request) = request_in(&mut tx, request_id).await? else {
                tx.rollback().await.map_err(StoreError::from)?;
                return Err(ShopError::RequestNotFound);
            };
            let next = match request.status.on_quote() {
                Ok(next) => next,
                Err(why) => {
                    tx.rollback().await.map_err(StoreError::from)?;
                    return Err(ShopError::RequestRefused(why));
                }
            };
            if update_request(&mut tx, request_id, request.status, next, None, now).await? {
                break (tx, request, next);
            }
            tx.rollback().await.map_err(StoreError::from)?;
            attempts_left -= 1;
            if attempts_left == 0 {
                return Err(ShopError::Internal(format!(
                    "information request {request_id} kept changing"
                )));
            }
        };
        if !idempotency::claim_key(&mut tx, &scope, key, &fingerprint, &quote.id, now).await? {
            // The same quote, sent twice at once: the first one answers.
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(ShopError::KeyInUse);
        }
        // The link goes with the answer kept for a retry (the client's
        // letter in the outbox holds it too); the quote keeps its digest.
        let answer = serde_json::json!({"quote": quote.id, "link": link}).to_string();
        idempotency::complete_key(&mut tx, &scope, key, 201, &answer).await?;
        insert_quote(&mut tx, &quote, &token_digest(token.expose())).await?;
        audit::record(
            &mut tx,
            &actor.audit(
                now,
                "quote.issue",
                &format!("information_request:{request_id}"),
                serde_json::json!({
                    "quote": quote.id,
                    "sku": quote.sku,
                    "price": quote.price.amount_string(),
                    "stone": stone.describe(),
                    "expires_at": crate::clock::rfc3339(expires_at),
                    "from": request.status.as_str(),
                    "to": next.as_str(),
                }),
            ),
        )
        .await?;
        let letter = self.letter(
            "quote",
            &request.email,
            format!("Your quote for the {}", creation.name),
            format!("Dear {} {},", request.first_name, request.last_name),
            vec![
                format!(
                    "Further to your request, {} has prepared a quote for you: the {piece} (reference {}), set with a stone of {}.",
                    member.name, quote.sku, stone.describe()
                ),
                format!(
                    "Its price is {}. This quote is reserved for you and valid until {}; you may pay it online through the private link below, or by telephone with Client Relations.",
                    quote.price.display(),
                    self.local_time(expires_at)
                ),
                format!(
                    "Should you have any question, {} will be pleased to help.",
                    self.client_relations.contact_sentence()
                ),
            ],
            Some(("View and pay my quote".to_owned(), link.clone())),
        );
        outbox::enqueue(&mut tx, &letter, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(quote = %quote.id, request = %request_id, by = %member.email, "quote issued");
        Ok(IssuedQuote { quote, link })
    }

    /// The quote a retried request issued, from the answer kept with its key.
    async fn issued_again(&self, answer: &str) -> Result<IssuedQuote, ShopError> {
        let answer: serde_json::Value = serde_json::from_str(answer)
            .map_err(|e| ShopError::Internal(format!("a kept quote answer: {e}")))?;
        let (Some(id), Some(link)) = (answer["quote"].as_str(), answer["link"].as_str()) else {
            return Err(ShopError::Internal(
                "a kept quote answer without its quote".into(),
            ));
        };
        let quote = self
            .store()
            .quote(id)
            .await?
            .ok_or(ShopError::QuoteNotFound)?;
        Ok(IssuedQuote {
            quote,
            link: link.to_owned(),
        })
    }

    /// The quote behind a private link.
    async fn quote_of_link(&self, token: &str) -> Result<Quote, ShopError> {
        let token = token.trim();
        if token.is_empty() || token.len() > 128 {
            return Err(ShopError::QuoteNotFound);
        }
        self.store()
            .quote_by_token(&token_digest(token))
            .await?
            .ok_or(ShopError::QuoteNotFound)
    }

    /// The quote as its link shows it: the piece, its stone, its price,
    /// until when it may be paid, and where it stands.
    pub async fn quote_by_link(&self, token: &str) -> Result<QuoteView, ShopError> {
        let quote = self.quote_of_link(token).await?;
        let request = self
            .store()
            .information_request(&quote.request_id)
            .await?
            .ok_or(ShopError::QuoteNotFound)?;
        let order_number = match &quote.order_id {
            Some(id) => self.store().order(id).await?.map(|o| o.number),
            None => None,
        };
        let catalogue = self.catalogue();
        let found = find_variant(&catalogue, &quote.sku);
        Ok(QuoteView {
            order_number,
            status: quote.status(self.now()),
            name: found.map_or_else(|| quote.sku.clone(), |(c, _)| c.name.clone()),
            slug: found.map_or_else(String::new, |(c, _)| c.slug.to_string()),
            size: found.and_then(|(_, v)| v.size.clone()),
            first_name: request.first_name,
            last_name: request.last_name,
            email: request.email,
            phone: request.phone,
            quote,
        })
    }

    /// Pays a quote through its link, exactly once per key: the order holds
    /// the quoted piece at the quote's price. Expired: `QuoteExpired`; paid
    /// (or being paid) by another order: `QuoteUsed`.
    pub async fn pay_quote(
        &self,
        token: &str,
        idempotency_key: &str,
        request: QuoteCheckout,
        card: CardRequest,
    ) -> Result<Order, ShopError> {
        let quote = self.quote_of_link(token).await?;
        let key = checked_key(idempotency_key)?;
        let fingerprint = fingerprint(&quote.id, &request, &card);
        let scope = format!("quote:{}", quote.id);
        // A retry is answered as the first request was, even once the quote
        // is used by that very order.
        match self.store().idempotency_state(&scope, key).await? {
            KeyState::New => {}
            state => return self.replay(&scope, key, &fingerprint, state).await,
        }
        quote.status(self.now()).payable().map_err(quote_refused)?;

        let contact = check_contact(&request.contact)?;
        let catalogue = self.catalogue();
        let (method, destination, boutique_id) = check_delivery(&request.delivery, &catalogue)?;
        let line = self.quoted_line(&quote).await?;
        // Delivery is complimentary; taxes are outside this version.
        let total = quote.price;
        let plan = plan_delivery(
            total,
            method,
            &destination,
            &self.policies,
            &self.client_relations,
        );
        let (checked, details) = self
            .check_client_card(
                card,
                &contact.first_name,
                &contact.last_name,
                request.account_id.as_deref(),
            )
            .await?;

        // Phase 1: the key, the quote, the stock, the order and its payment
        // attempt, atomically.
        let now = self.now();
        let order_id = new_id();
        let attempt_id = new_id();
        let number = OrderNumber::from_random(random_bytes());
        let actor = match &request.account_id {
            Some(account) => Actor::client(account),
            None => Actor::Guest,
        };
        let order = Order {
            id: order_id.clone(),
            number: number.to_string(),
            status: OrderStatus::PendingPayment,
            channel: "online".into(),
            email: contact.email.as_str().to_owned(),
            first_name: contact.first_name,
            last_name: contact.last_name,
            phone: contact.phone,
            delivery: order_delivery(method, &destination, boutique_id.as_deref(), &plan),
            subtotal: total,
            total,
            payment: Payment::Card(CardOnFile {
                brand: checked.brand,
                last4: checked.last4.clone(),
                exp_month: checked.exp_month,
                exp_year: checked.exp_year,
                holder_name: checked.holder_name.clone(),
                token: None,
            }),
            final_sale_accepted: request.accept_final_sale,
            bag_id: None,
            account_id: request.account_id.clone(),
            created_at: now,
            lines: vec![line],
            // Internal (clients never read it): which quote the order pays.
            timeline: vec![OrderEvent {
                at: now,
                status: OrderStatus::PendingPayment,
                note: format!(
                    "Paying the quote {} of {}: {}.",
                    quote.id,
                    quote.created_by,
                    quote.stone.describe()
                ),
                actor: actor.timeline_name(),
            }],
            assisted: None,
        };
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
        if !claim_quote(&mut tx, &quote.id, &order_id, now).await? {
            // Paid meanwhile by another order, or expired since it was read.
            tx.rollback().await.map_err(StoreError::from)?;
            let now = self.now();
            let status = self
                .store()
                .quote(&quote.id)
                .await?
                .map_or(QuoteStatus::Used, |q| q.status(now));
            return Err(match status.payable() {
                Err(why) => quote_refused(why),
                Ok(()) => ShopError::QuoteUsed,
            });
        }
        self.record_pending_authorisation(&mut tx, &attempt_id, &order, now)
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        if sold_out {
            self.refresh_catalogue().await?;
        }
        tracing::info!(order = %order.number, quote = %quote.id, "quote being paid");

        // Phases 2 and 3: the processor, outside any transaction; then the
        // outcome (an order whose payment fails gives the quote back).
        self.authorise_order(&order, &attempt_id, details).await
    }
}

impl Maison {
    /// The one line of an order that pays `quote`: its piece, once, at the
    /// quote's price, through the rule engine with the quote's right to sell
    /// it (priced on request or by telephone), while it is in stock. Every
    /// way of paying a quote builds its line here; the order's first
    /// transaction then claims the quote
    /// ([`maison_store::information::claim_quote`]) so that it is never paid
    /// twice.
    pub(crate) async fn quoted_line(&self, quote: &Quote) -> Result<OrderLine, ShopError> {
        let catalogue = self.catalogue();
        let (creation, variant) = find_variant(&catalogue, &quote.sku)
            .ok_or_else(|| ShopError::UnknownSku(quote.sku.clone()))?;
        let on_hand = self.store().on_hand(variant.sku.as_str()).await?;
        bag::check_order_contents(
            &[ProposedLine {
                creation,
                variant,
                quantity: 1,
                on_hand,
                personalisation: None,
            }],
            &self.policies,
            Channel::Quote {
                sku: variant.sku.as_str(),
            },
        )
        .map_err(ShopError::Refused)?;
        Ok(OrderLine {
            sku: variant.sku.to_string(),
            product_sku: creation.sku.to_string(),
            name: creation.name.clone(),
            size: variant.size.clone(),
            quantity: 1,
            unit_price: quote.price,
            personalisation: None,
            final_sale: false,
        })
    }
}

/// What makes two payments of a quote the same, without the card's number
/// or code.
fn fingerprint(quote_id: &str, request: &QuoteCheckout, card: &CardRequest) -> String {
    let digits: String = card.number.chars().filter(char::is_ascii_digit).collect();
    let last4 = &digits[digits.len().saturating_sub(4)..];
    let a = request.delivery.address.as_ref();
    let exp_month = card.exp_month.to_string();
    let exp_year = card.exp_year.to_string();
    digest([
        quote_id,
        request.account_id.as_deref().unwrap_or(""),
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
        &exp_month,
        &exp_year,
        card.holder_name.trim(),
    ])
}
