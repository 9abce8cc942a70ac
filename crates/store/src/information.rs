//! Information requests and quotes (rule R16): the Prestige Advisors' queue,
//! and the quotes paid once through their private link (kept as the SHA-256
//! of its token only). Status changes are compare-and-set, so two advisors
//! acting at once never overwrite each other.

use sqlx::Row;
use sqlx::any::AnyRow;

use maison_domain::contact::email_key;
use maison_domain::quote::{Clarity, Cut, InformationRequest, Quote, RequestStatus, Stone};
use maison_domain::{Currency, Money};

use crate::{Result, Store, StoreError, Tx};

const REQUEST_COLUMNS: &str = "id, sku, first_name, last_name, email, phone, message, status, \
    assigned_to, created_at, updated_at";

fn request_from(row: &AnyRow) -> Result<InformationRequest> {
    let status: String = row.try_get("status")?;
    Ok(InformationRequest {
        id: row.try_get("id")?,
        sku: row.try_get("sku")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        email: row.try_get("email")?,
        phone: row.try_get("phone")?,
        message: row.try_get("message")?,
        status: RequestStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("request status {status:?}")))?,
        assigned_to: row.try_get("assigned_to")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Writes a new request.
pub async fn insert_request(tx: &mut Tx, r: &InformationRequest) -> Result<()> {
    sqlx::query(
        "INSERT INTO information_requests (id, sku, first_name, last_name, email, email_key, phone, \
         message, status, assigned_to, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(r.id.as_str())
    .bind(r.sku.as_str())
    .bind(r.first_name.as_str())
    .bind(r.last_name.as_str())
    .bind(r.email.as_str())
    .bind(email_key(&r.email))
    .bind(r.phone.as_str())
    .bind(r.message.as_str())
    .bind(r.status.as_str())
    .bind(r.assigned_to.clone())
    .bind(r.created_at)
    .bind(r.updated_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The request, read inside `tx`.
pub async fn request_in(tx: &mut Tx, id: &str) -> Result<Option<InformationRequest>> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {REQUEST_COLUMNS} FROM information_requests WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?;
    row.as_ref().map(request_from).transpose()
}

/// Moves the request from `expected` to `status` and gives it to
/// `assigned_to` (unchanged when `None`); `false` when its status was no
/// longer `expected`.
pub async fn update_request(
    tx: &mut Tx,
    id: &str,
    expected: RequestStatus,
    status: RequestStatus,
    assigned_to: Option<&str>,
    now: i64,
) -> Result<bool> {
    let updated = sqlx::query(
        "UPDATE information_requests SET status = $1, assigned_to = COALESCE($2, assigned_to), \
         updated_at = $3 WHERE id = $4 AND status = $5",
    )
    .bind(status.as_str())
    .bind(assigned_to)
    .bind(now)
    .bind(id)
    .bind(expected.as_str())
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(updated == 1)
}

impl Store {
    pub async fn information_request(&self, id: &str) -> Result<Option<InformationRequest>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {REQUEST_COLUMNS} FROM information_requests WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(request_from).transpose()
    }

    /// The queue, oldest first, optionally in one status, after the position
    /// `(created_at, id)` of the previous page's last request.
    pub async fn information_requests(
        &self,
        status: Option<RequestStatus>,
        after: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<InformationRequest>> {
        let (at, id) = after.unwrap_or((i64::MIN, String::new()));
        let sql = format!(
            "SELECT {REQUEST_COLUMNS} FROM information_requests WHERE ($1 = '' OR status = $1) \
             AND (created_at > $2 OR (created_at = $2 AND id > $3)) \
             ORDER BY created_at, id LIMIT $4"
        );
        // The column list is a constant.
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(status.map_or("", RequestStatus::as_str))
            .bind(at)
            .bind(id)
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(request_from).collect()
    }
}

/// A quote's columns, with the order that holds it: none when it is open,
/// or when its order's payment failed (the quote may be paid again).
const QUOTE_SELECT: &str = "SELECT q.id, q.request_id, q.sku, q.price_minor, q.currency, \
    q.carat_hundredths, q.colour, q.clarity, q.cut, q.expires_at, q.created_by, q.created_at, \
    CASE WHEN q.status = 'used' AND (o.status IS NULL OR o.status <> 'payment_failed') \
    THEN q.order_id ELSE NULL END AS holding_order \
    FROM quotes q LEFT JOIN orders o ON o.id = q.order_id";

fn quote_from(row: &AnyRow) -> Result<Quote> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("quote {what}"));
    let currency: String = row.try_get("currency")?;
    let carat: i64 = row.try_get("carat_hundredths")?;
    let colour: String = row.try_get("colour")?;
    let clarity: String = row.try_get("clarity")?;
    let cut: String = row.try_get("cut")?;
    Ok(Quote {
        id: row.try_get("id")?,
        request_id: row.try_get("request_id")?,
        sku: row.try_get("sku")?,
        price: Money::new(
            row.try_get("price_minor")?,
            Currency::parse(&currency).map_err(|_| corrupt("currency"))?,
        ),
        stone: Stone {
            carat_hundredths: u32::try_from(carat).map_err(|_| corrupt("carat"))?,
            colour: colour.chars().next().ok_or_else(|| corrupt("colour"))?,
            clarity: Clarity::parse(&clarity).ok_or_else(|| corrupt("clarity"))?,
            cut: Cut::parse(&cut).ok_or_else(|| corrupt("cut"))?,
        },
        expires_at: row.try_get("expires_at")?,
        order_id: row.try_get("holding_order")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Writes a new quote, open, with the digest of its link's token.
pub async fn insert_quote(tx: &mut Tx, q: &Quote, token_hash: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO quotes (id, request_id, sku, price_minor, currency, carat_hundredths, colour, \
         clarity, cut, token_hash, status, expires_at, order_id, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'open', $11, NULL, $12, $13)",
    )
    .bind(q.id.as_str())
    .bind(q.request_id.as_str())
    .bind(q.sku.as_str())
    .bind(q.price.minor())
    .bind(q.price.currency().code())
    .bind(i64::from(q.stone.carat_hundredths))
    .bind(q.stone.colour.to_string())
    .bind(q.stone.clarity.as_str())
    .bind(q.stone.cut.as_str())
    .bind(token_hash)
    .bind(q.expires_at)
    .bind(q.created_by.as_str())
    .bind(q.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The quote becomes `order_id`'s, if it may still be paid at `now`: open
/// (or given back by an order whose payment failed) and not expired. `false`
/// otherwise: another order holds it, or it has expired.
pub async fn claim_quote(tx: &mut Tx, quote_id: &str, order_id: &str, now: i64) -> Result<bool> {
    let claimed = sqlx::query(
        "UPDATE quotes SET status = 'used', order_id = $1 WHERE id = $2 AND expires_at > $3 \
         AND (status = 'open' OR EXISTS (SELECT 1 FROM orders o WHERE o.id = quotes.order_id \
         AND o.status = 'payment_failed'))",
    )
    .bind(order_id)
    .bind(quote_id)
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(claimed == 1)
}

impl Store {
    /// The quote whose link's token has this digest.
    pub async fn quote_by_token(&self, token_hash: &str) -> Result<Option<Quote>> {
        let sql = format!("{QUOTE_SELECT} WHERE q.token_hash = $1");
        // The statement is a constant.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(quote_from).transpose()
    }

    pub async fn quote(&self, id: &str) -> Result<Option<Quote>> {
        let sql = format!("{QUOTE_SELECT} WHERE q.id = $1");
        // The statement is a constant.
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(quote_from).transpose()
    }

    /// The quotes issued on a request, oldest first.
    pub async fn quotes_of_request(&self, request_id: &str) -> Result<Vec<Quote>> {
        let sql = format!("{QUOTE_SELECT} WHERE q.request_id = $1 ORDER BY q.created_at, q.id");
        // The statement is a constant.
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(request_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(quote_from).collect()
    }
}
