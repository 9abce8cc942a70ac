//! Orders, their lines and their timeline.

use sqlx::Row;
use sqlx::any::AnyRow;

use maison_domain::address::{Address, Country};
use maison_domain::card::CardBrand;
use maison_domain::delivery::{Carrier, Destination, OrderDelivery};
use maison_domain::order::OrderStatus;
use maison_domain::payment::{CardOnFile, Payment};
use maison_domain::policy::Estimate;
use maison_domain::{Currency, Money};

use crate::bags::{personalisation_from, quantity_from};
use crate::{Result, Store, StoreError, Tx};
use maison_domain::contact::FaxNumber;
use maison_domain::order::{
    Assisted, AssistedVia, DocumentsChannel, Order, OrderEvent, OrderLine, OrderListItem,
};

const ORDER_COLUMNS: &str = "id, number, status, channel, email, first_name, last_name, phone, \
    delivery_method, line1, line2, city, region, postal_code, country, company, boutique_id, carrier, \
    estimate_min_days, estimate_max_days, subtotal_minor, total_minor, payment_method, card_brand, \
    card_last4, card_exp_month, card_exp_year, cardholder_name, card_token, final_sale_accepted, bag_id, account_id, created_at";

/// Writes a new order with its lines and its first timeline entry.
pub async fn insert(tx: &mut Tx, order: &Order) -> Result<()> {
    let d = &order.delivery;
    let a = d.destination.address();
    let card = order.payment.card();
    sqlx::query(
        "INSERT INTO orders (id, number, status, channel, email, first_name, last_name, phone, \
         delivery_method, line1, line2, city, region, postal_code, country, company, boutique_id, carrier, \
         estimate_min_days, estimate_max_days, subtotal_minor, total_minor, currency, payment_method, \
         card_brand, card_last4, card_exp_month, card_exp_year, cardholder_name, card_token, \
         final_sale_accepted, bag_id, created_at, updated_at, account_id, email_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, \
         $21, $22, $23, $24, $25, $26, $27, $28, $29, $30, $31, $32, $33, $33, $34, $35)",
    )
    .bind(order.id.as_str())
    .bind(order.number.as_str())
    .bind(order.status.as_str())
    .bind(order.channel.as_str())
    .bind(order.email.as_str())
    .bind(order.first_name.as_str())
    .bind(order.last_name.as_str())
    .bind(order.phone.as_str())
    .bind(d.destination.method().as_str())
    .bind(a.line1.as_str())
    .bind(a.line2.clone())
    .bind(a.city.as_str())
    .bind(a.region.as_str())
    .bind(a.postal_code.as_str())
    .bind(a.country.code())
    .bind(a.company.clone())
    .bind(d.destination.boutique_id().map(str::to_owned))
    .bind(d.carrier.as_str())
    .bind(d.estimate.map(|e| i64::from(e.min_business_days)))
    .bind(d.estimate.map(|e| i64::from(e.max_business_days)))
    .bind(order.subtotal.minor())
    .bind(order.total.minor())
    .bind(order.total.currency().code())
    .bind(order.payment.method())
    .bind(card.map(|c| c.brand.as_str().to_owned()))
    .bind(card.map(|c| c.last4.clone()))
    .bind(card.map(|c| i64::from(c.exp_month)))
    .bind(card.map(|c| i64::from(c.exp_year)))
    .bind(card.map(|c| c.holder_name.clone()))
    .bind(card.and_then(|c| c.token.clone()))
    .bind(i64::from(order.final_sale_accepted))
    .bind(order.bag_id.clone())
    .bind(order.created_at)
    .bind(order.account_id.clone())
    .bind(crate::accounts::email_key(&order.email))
    .execute(&mut **tx)
    .await?;
    insert_lines(tx, order).await?;
    if let Some(assisted) = &order.assisted {
        insert_assisted(tx, &order.id, assisted).await?;
    }
    for event in &order.timeline {
        add_event(tx, &order.id, event).await?;
    }
    Ok(())
}

async fn insert_lines(tx: &mut Tx, order: &Order) -> Result<()> {
    for (line_no, line) in order.lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO order_lines (order_id, line_no, sku, product_sku, name, size, quantity, \
             unit_price_minor, personalisation_kind, personalisation_text, final_sale) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(order.id.as_str())
        .bind(line_no as i64 + 1)
        .bind(line.sku.as_str())
        .bind(line.product_sku.as_str())
        .bind(line.name.as_str())
        .bind(line.size.clone())
        .bind(i64::from(line.quantity))
        .bind(line.unit_price.minor())
        .bind(line.personalisation.as_ref().map(|p| p.kind().to_owned()))
        .bind(line.personalisation.as_ref().map(|p| p.text().to_owned()))
        .bind(i64::from(line.final_sale))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Writes a changed order's lines, delivery and totals (its status, payment
/// and timeline are changed by their own functions).
pub async fn change(tx: &mut Tx, order: &Order) -> Result<()> {
    let d = &order.delivery;
    let a = d.destination.address();
    sqlx::query(
        "UPDATE orders SET delivery_method = $1, line1 = $2, line2 = $3, city = $4, region = $5, \
         postal_code = $6, country = $7, company = $8, boutique_id = $9, carrier = $10, \
         estimate_min_days = $11, estimate_max_days = $12, subtotal_minor = $13, total_minor = $14 \
         WHERE id = $15",
    )
    .bind(d.destination.method().as_str())
    .bind(a.line1.as_str())
    .bind(a.line2.clone())
    .bind(a.city.as_str())
    .bind(a.region.as_str())
    .bind(a.postal_code.as_str())
    .bind(a.country.code())
    .bind(a.company.clone())
    .bind(d.destination.boutique_id().map(str::to_owned))
    .bind(d.carrier.as_str())
    .bind(d.estimate.map(|e| i64::from(e.min_business_days)))
    .bind(d.estimate.map(|e| i64::from(e.max_business_days)))
    .bind(order.subtotal.minor())
    .bind(order.total.minor())
    .bind(order.id.as_str())
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM order_lines WHERE order_id = $1")
        .bind(order.id.as_str())
        .execute(&mut **tx)
        .await?;
    insert_lines(tx, order).await
}

async fn insert_assisted(tx: &mut Tx, order_id: &str, a: &Assisted) -> Result<()> {
    let fax = match &a.documents {
        DocumentsChannel::Fax(number) => Some(number.e164().to_owned()),
        DocumentsChannel::Email => None,
    };
    sqlx::query(
        "INSERT INTO assisted_orders (order_id, via, placed_by, documents_channel, fax_number, \
         limit_override_reason, cash_boutique_id, large_cash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(order_id)
    .bind(a.via.as_str())
    .bind(a.placed_by.as_str())
    .bind(a.documents.as_str())
    .bind(fax)
    .bind(a.limit_override_reason.clone())
    .bind(a.cash_boutique_id.clone())
    .bind(i64::from(a.large_cash))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Flags an assisted order whose cash passed the reporting threshold.
pub async fn flag_large_cash(tx: &mut Tx, order_id: &str) -> Result<()> {
    sqlx::query("UPDATE assisted_orders SET large_cash = 1 WHERE order_id = $1")
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Takes the order's row for the rest of the transaction (a write lock on
/// PostgreSQL; SQLite's write transaction already holds the database), so
/// that two changes to one order are made one after the other. Returns
/// whether the order exists.
pub async fn lock(tx: &mut Tx, order_id: &str, now: i64) -> Result<bool> {
    let touched = sqlx::query("UPDATE orders SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(order_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(touched == 1)
}

/// The order's status as this transaction sees it.
pub async fn status_in(tx: &mut Tx, order_id: &str) -> Result<Option<OrderStatus>> {
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM orders WHERE id = $1")
        .bind(order_id)
        .fetch_optional(&mut **tx)
        .await?;
    status
        .map(|s| {
            OrderStatus::parse(&s)
                .ok_or_else(|| StoreError::Corrupt(format!("order {order_id}: status {s:?}")))
        })
        .transpose()
}

/// Appends to the order's timeline.
pub async fn add_event(tx: &mut Tx, order_id: &str, event: &OrderEvent) -> Result<()> {
    sqlx::query(
        "INSERT INTO order_events (order_id, seq, at, status, note, actor) \
         VALUES ($1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM order_events WHERE order_id = $1), $2, $3, $4, $5)",
    )
    .bind(order_id)
    .bind(event.at)
    .bind(event.status.as_str())
    .bind(event.note.as_str())
    .bind(event.actor.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What a status move returns of the order: what its announcement (the
/// webhook event) names, read by the move itself rather than by another
/// statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub number: String,
    pub total: Money,
}

/// Moves the order from `from` to `to` only if it is still `from` (another
/// instance may have moved it); records the event. `None` if it did not move.
pub async fn move_status(
    tx: &mut Tx,
    order_id: &str,
    from: OrderStatus,
    to: OrderStatus,
    event: &OrderEvent,
) -> Result<Option<Moved>> {
    let row = sqlx::query(
        "UPDATE orders SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4 \
         RETURNING number, total_minor, currency",
    )
    .bind(to.as_str())
    .bind(event.at)
    .bind(order_id)
    .bind(from.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    add_event(tx, order_id, event).await?;
    let number: String = row.try_get("number")?;
    let currency: String = row.try_get("currency")?;
    let currency = Currency::parse(&currency)
        .map_err(|_| StoreError::Corrupt(format!("order {number}: currency {currency:?}")))?;
    Ok(Some(Moved {
        total: Money::new(row.try_get("total_minor")?, currency),
        number,
    }))
}

/// Keeps the processor's token of the card (never the number).
pub async fn set_card_token(tx: &mut Tx, order_id: &str, token: &str) -> Result<()> {
    sqlx::query("UPDATE orders SET card_token = $1 WHERE id = $2")
        .bind(token)
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Parses an order's row once into the domain's types; a value the maison
/// cannot read is an error naming the order, never a panic.
fn order_from_row(row: &AnyRow) -> Result<Order> {
    let number: String = row.try_get("number")?;
    let corrupt = |what: String| StoreError::Corrupt(format!("order {number}: {what}"));
    let status: String = row.try_get("status")?;
    let status =
        OrderStatus::parse(&status).ok_or_else(|| corrupt(format!("status {status:?}")))?;
    let small = |v: Option<i64>| v.and_then(|n| u8::try_from(n).ok());
    let estimate = match (
        small(row.try_get("estimate_min_days")?),
        small(row.try_get("estimate_max_days")?),
    ) {
        (Some(min_business_days), Some(max_business_days)) => Some(Estimate {
            min_business_days,
            max_business_days,
        }),
        _ => None,
    };
    let text = |column: &str| -> Result<String> {
        Ok(row
            .try_get::<Option<String>, _>(column)?
            .unwrap_or_default())
    };
    let country_code = text("country")?;
    let address = Address {
        line1: text("line1")?,
        line2: row.try_get("line2")?,
        city: text("city")?,
        region: text("region")?,
        postal_code: text("postal_code")?,
        country: Country::parse(&country_code)
            .ok_or_else(|| corrupt(format!("country {country_code:?}")))?,
        company: row.try_get("company")?,
    };
    let method: String = row.try_get("delivery_method")?;
    let destination = match method.as_str() {
        "home" => Destination::Home(address),
        "workplace" => Destination::Workplace(address),
        "boutique" => Destination::Boutique {
            boutique_id: text("boutique_id")?,
            address,
        },
        other => return Err(corrupt(format!("delivery method {other:?}"))),
    };
    let carrier: String = row.try_get("carrier")?;
    let carrier =
        Carrier::parse(&carrier).ok_or_else(|| corrupt(format!("carrier {carrier:?}")))?;
    let method: String = row.try_get("payment_method")?;
    let payment = match method.as_str() {
        "card" => {
            let brand = text("card_brand")?;
            // A card order always has its expiry: a missing or impossible
            // one is refused, not read as month 0.
            let month_or_year =
                |column: &str, range: std::ops::RangeInclusive<u32>| -> Result<u32> {
                    let stored: Option<i64> = row.try_get(column)?;
                    stored
                        .and_then(|n| u32::try_from(n).ok())
                        .filter(|n| range.contains(n))
                        .ok_or_else(|| corrupt(format!("{column} {stored:?}")))
                };
            Payment::Card(CardOnFile {
                brand: CardBrand::parse(&brand)
                    .ok_or_else(|| corrupt(format!("card brand {brand:?}")))?,
                last4: text("card_last4")?,
                exp_month: month_or_year("card_exp_month", 1..=12)?,
                exp_year: month_or_year("card_exp_year", 2000..=9999)?,
                holder_name: text("cardholder_name")?,
                token: row.try_get("card_token")?,
            })
        }
        "wire" => Payment::Wire,
        "cash" => Payment::Cash,
        other => return Err(corrupt(format!("payment method {other:?}"))),
    };
    Ok(Order {
        id: row.try_get("id")?,
        status,
        channel: row.try_get("channel")?,
        email: row.try_get("email")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        phone: row.try_get("phone")?,
        delivery: OrderDelivery {
            destination,
            carrier,
            estimate,
        },
        subtotal: Money::usd_cents(row.try_get("subtotal_minor")?),
        total: Money::usd_cents(row.try_get("total_minor")?),
        payment,
        final_sale_accepted: row.try_get::<i64, _>("final_sale_accepted")? != 0,
        bag_id: row.try_get("bag_id")?,
        account_id: row.try_get("account_id")?,
        created_at: row.try_get("created_at")?,
        lines: Vec::new(),
        timeline: Vec::new(),
        assisted: None,
        number,
    })
}

fn assisted_from(row: &AnyRow, number: &str) -> Result<Assisted> {
    let corrupt = |what: String| StoreError::Corrupt(format!("order {number}: {what}"));
    let via: String = row.try_get("via")?;
    let via = AssistedVia::parse(&via).ok_or_else(|| corrupt(format!("assisted via {via:?}")))?;
    let channel: String = row.try_get("documents_channel")?;
    let documents = match channel.as_str() {
        "email" => DocumentsChannel::Email,
        "fax" => {
            let fax: Option<String> = row.try_get("fax_number")?;
            let fax = fax.unwrap_or_default();
            DocumentsChannel::Fax(
                FaxNumber::parse(&fax).map_err(|_| corrupt(format!("fax number {fax:?}")))?,
            )
        }
        other => return Err(corrupt(format!("documents channel {other:?}"))),
    };
    Ok(Assisted {
        via,
        placed_by: row.try_get("placed_by")?,
        documents,
        limit_override_reason: row.try_get("limit_override_reason")?,
        cash_boutique_id: row.try_get("cash_boutique_id")?,
        large_cash: row.try_get::<i64, _>("large_cash")? != 0,
    })
}

impl Store {
    /// An order with its lines and timeline, by id.
    pub async fn order(&self, id: &str) -> Result<Option<Order>> {
        self.order_where("id", id).await
    }

    /// An order by its number (exact, as stored).
    pub async fn order_by_number(&self, number: &str) -> Result<Option<Order>> {
        self.order_where("number", number).await
    }

    async fn order_where(&self, column: &'static str, value: &str) -> Result<Option<Order>> {
        let sql = match column {
            "id" => format!("SELECT {ORDER_COLUMNS} FROM orders WHERE id = $1"),
            _ => format!("SELECT {ORDER_COLUMNS} FROM orders WHERE number = $1"),
        };
        let mut conn = self.pool().acquire().await?;
        // The column list is a constant and the column name one of two literals.
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(value)
            .fetch_optional(&mut *conn)
            .await?
        else {
            return Ok(None);
        };
        let mut order = order_from_row(&row)?;
        let lines = sqlx::query(
            "SELECT sku, product_sku, name, size, quantity, unit_price_minor, personalisation_kind, \
             personalisation_text, final_sale FROM order_lines WHERE order_id = $1 ORDER BY line_no",
        )
        .bind(order.id.as_str())
        .fetch_all(&mut *conn)
        .await?;
        let corrupt = |what: String| StoreError::Corrupt(format!("order {}: {what}", order.number));
        for row in lines {
            order.lines.push(OrderLine {
                sku: row.try_get("sku")?,
                product_sku: row.try_get("product_sku")?,
                name: row.try_get("name")?,
                size: row.try_get("size")?,
                quantity: quantity_from(row.try_get("quantity")?).map_err(corrupt)?,
                unit_price: Money::usd_cents(row.try_get("unit_price_minor")?),
                personalisation: personalisation_from(
                    row.try_get("personalisation_kind")?,
                    row.try_get("personalisation_text")?,
                )
                .map_err(corrupt)?,
                final_sale: row.try_get::<i64, _>("final_sale")? != 0,
            });
        }
        if order.channel == "assisted" {
            let row = sqlx::query(
                "SELECT via, placed_by, documents_channel, fax_number, limit_override_reason, \
                 cash_boutique_id, large_cash FROM assisted_orders WHERE order_id = $1",
            )
            .bind(order.id.as_str())
            .fetch_optional(&mut *conn)
            .await?;
            order.assisted = row
                .map(|row| assisted_from(&row, &order.number))
                .transpose()?;
        }
        let events = sqlx::query(
            "SELECT at, status, note, actor FROM order_events WHERE order_id = $1 ORDER BY seq",
        )
        .bind(order.id.as_str())
        .fetch_all(&mut *conn)
        .await?;
        for row in events {
            let status: String = row.try_get("status")?;
            let status = OrderStatus::parse(&status).ok_or_else(|| {
                StoreError::Corrupt(format!("order {}: event status {status:?}", order.number))
            })?;
            order.timeline.push(OrderEvent {
                at: row.try_get("at")?,
                status,
                note: row.try_get("note")?,
                actor: row.try_get("actor")?,
            });
        }
        Ok(Some(order))
    }

    /// Orders for staff, newest first: optionally in one status, or placed
    /// with one e-mail address (its key); from the position `after` (the
    /// `(created_at, id)` of the last order of the previous page). Orders whose
    /// payment is still being authorised or failed are included only when
    /// their status is asked for.
    pub async fn orders_for_staff(
        &self,
        status: Option<OrderStatus>,
        email_key: Option<&str>,
        after: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<OrderListItem>> {
        let (at, id) = after.unwrap_or((i64::MAX, String::new()));
        let rows = sqlx::query(
            "SELECT o.id, o.number, o.status, COALESCE(a.via, o.channel) AS channel, o.email, o.first_name, o.last_name,                o.total_minor, o.created_at              FROM orders o LEFT JOIN assisted_orders a ON a.order_id = o.id              WHERE ($1 = '' OR o.status = $1)                AND ($1 <> '' OR o.status NOT IN ('pending_payment', 'payment_failed'))                AND ($2 = '' OR o.email_key = $2)                AND (o.created_at < $3 OR (o.created_at = $3 AND o.id < $4))              ORDER BY o.created_at DESC, o.id DESC LIMIT $5",
        )
        .bind(status.map_or("", OrderStatus::as_str))
        .bind(email_key.unwrap_or(""))
        .bind(at)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                Ok(OrderListItem {
                    id: row.try_get("id")?,
                    number: row.try_get("number")?,
                    status: OrderStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("status {status:?}")))?,
                    channel: row.try_get("channel")?,
                    email: row.try_get("email")?,
                    first_name: row.try_get("first_name")?,
                    last_name: row.try_get("last_name")?,
                    total: Money::usd_cents(row.try_get("total_minor")?),
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// Orders in `status` last changed before `before` (for recovery).
    pub async fn orders_stuck_in(&self, status: OrderStatus, before: i64) -> Result<Vec<String>> {
        let ids = sqlx::query_scalar("SELECT id FROM orders WHERE status = $1 AND updated_at < $2 ORDER BY updated_at LIMIT 100")
            .bind(status.as_str())
            .bind(before)
            .fetch_all(self.pool())
            .await?;
        Ok(ids)
    }

    /// Every order in `status`, oldest first (reconciliation).
    pub async fn order_ids_in(&self, status: OrderStatus) -> Result<Vec<String>> {
        let ids =
            sqlx::query_scalar("SELECT id FROM orders WHERE status = $1 ORDER BY created_at, id")
                .bind(status.as_str())
                .fetch_all(self.pool())
                .await?;
        Ok(ids)
    }

    /// How many orders exist in `status` (for tests and metrics).
    pub async fn count_orders(&self, status: OrderStatus) -> Result<i64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM orders WHERE status = $1")
            .bind(status.as_str())
            .fetch_one(self.pool())
            .await?;
        Ok(n)
    }
}
