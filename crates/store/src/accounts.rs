//! Client accounts, their sessions, the single-use tokens sent by e-mail,
//! saved addresses, and the orders and requests that belong to an account.
//! Tokens are stored only as their SHA-256: the table alone opens nothing.

use sqlx::Row;
use sqlx::any::AnyRow;

use maison_domain::Money;
use maison_domain::order::OrderStatus;

use crate::{Result, Store, StoreError, Tx};
use maison_domain::account::{Account, SavedAddress};
use maison_domain::order::{OrderRequest, OrderSummary};

/// The key an e-mail address is unique under (the domain's one rule).
pub use maison_domain::contact::email_key;

const ACCOUNT_COLUMNS: &str = "id, email, first_name, last_name, phone, password_hash, created_at";

fn account_from(row: &AnyRow) -> Result<Account> {
    Ok(Account {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        phone: row.try_get("phone")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Creates the account; `false` when the e-mail address already has one.
pub async fn insert_account(tx: &mut Tx, a: &Account) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO accounts (id, email, email_key, first_name, last_name, phone, password_hash, \
         created_at, password_changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) \
         ON CONFLICT (email_key) DO NOTHING",
    )
    .bind(a.id.as_str())
    .bind(a.email.as_str())
    .bind(email_key(&a.email))
    .bind(a.first_name.as_str())
    .bind(a.last_name.as_str())
    .bind(a.phone.as_str())
    .bind(a.password_hash.as_str())
    .bind(a.created_at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

pub async fn set_password(tx: &mut Tx, account_id: &str, hash: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE accounts SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(account_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Orders placed as a guest with the account's (now confirmed) address join
/// the account's history.
pub async fn claim_guest_orders(tx: &mut Tx, account_id: &str, email: &str) -> Result<u64> {
    let claimed = sqlx::query(
        "UPDATE orders SET account_id = $1 WHERE account_id IS NULL AND email_key = $2",
    )
    .bind(account_id)
    .bind(email_key(email))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(claimed)
}

/// A signed-in browser or API client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: String,
    pub account_id: String,
    /// `browser` (cookie) or `api` (bearer token).
    pub kind: String,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// The absolute end, whatever the activity.
    pub expires_at: i64,
}

pub async fn insert_session(tx: &mut Tx, s: &SessionRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, account_id, kind, csrf_token, created_at, last_seen_at, \
         expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(s.token_hash.as_str())
    .bind(s.account_id.as_str())
    .bind(s.kind.as_str())
    .bind(s.csrf_token.as_str())
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .bind(s.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Ends every session of the account but `keep` (e.g. after a password change).
pub async fn delete_sessions_of(tx: &mut Tx, account_id: &str, keep: Option<&str>) -> Result<u64> {
    let deleted = sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND token_hash <> $2")
        .bind(account_id)
        .bind(keep.unwrap_or(""))
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(deleted)
}

/// A token sent by e-mail (registration to confirm, password reset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub token_hash: String,
    pub purpose: String,
    pub email_key: String,
    pub account_id: Option<String>,
    pub payload: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

pub async fn insert_token(tx: &mut Tx, t: &TokenRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO account_tokens (token_hash, purpose, email_key, account_id, payload, \
         created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(t.token_hash.as_str())
    .bind(t.purpose.as_str())
    .bind(t.email_key.as_str())
    .bind(t.account_id.clone())
    .bind(t.payload.clone())
    .bind(t.created_at)
    .bind(t.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const TOKEN_SELECT: &str = "SELECT token_hash, purpose, email_key, account_id, payload, \
     created_at, expires_at, used_at FROM account_tokens WHERE token_hash = $1 AND purpose = $2";

fn token_from(row: &AnyRow) -> Result<TokenRow> {
    Ok(TokenRow {
        token_hash: row.try_get("token_hash")?,
        purpose: row.try_get("purpose")?,
        email_key: row.try_get("email_key")?,
        account_id: row.try_get("account_id")?,
        payload: row.try_get("payload")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        used_at: row.try_get("used_at")?,
    })
}

/// What became of a token presented back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenUse {
    /// It was valid and is now spent.
    Spent(TokenRow),
    /// It was valid once: used already, or past its time.
    Expired,
    /// No such token (forged, mistyped, or for another purpose).
    Unknown,
}

/// Spends the token: only one caller ever gets [`TokenUse::Spent`].
pub async fn spend_token(
    tx: &mut Tx,
    token_hash: &str,
    purpose: &str,
    now: i64,
) -> Result<TokenUse> {
    let row = sqlx::query(TOKEN_SELECT)
        .bind(token_hash)
        .bind(purpose)
        .fetch_optional(&mut **tx)
        .await?;
    let Some(row) = row else {
        return Ok(TokenUse::Unknown);
    };
    let token = token_from(&row)?;
    if token.used_at.is_some() || token.expires_at <= now {
        return Ok(TokenUse::Expired);
    }
    let spent = sqlx::query(
        "UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(token_hash)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(if spent == 1 {
        TokenUse::Spent(token)
    } else {
        TokenUse::Expired
    })
}

/// Spends every other unused token of that purpose for the address (a newer
/// reset link replaces the older ones).
pub async fn expire_tokens(tx: &mut Tx, email_key: &str, purpose: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE account_tokens SET used_at = $1 WHERE email_key = $2 AND purpose = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(email_key)
    .bind(purpose)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records the request; `false` when the same kind is already open on the
/// order (a unique index decides, so two at once cannot both be recorded).
pub async fn insert_request(tx: &mut Tx, r: &OrderRequest) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO order_requests (id, order_id, account_id, kind, message, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
    )
    .bind(r.id.as_str())
    .bind(r.order_id.as_str())
    .bind(r.account_id.clone())
    .bind(r.kind.as_str())
    .bind(r.message.as_str())
    .bind(r.status.as_str())
    .bind(r.created_at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Gives a guest's bag to the account, unless someone took it first.
pub async fn claim_guest_bag(tx: &mut Tx, bag_id: &str, account_id: &str) -> Result<bool> {
    let claimed = sqlx::query(
        "UPDATE bags SET account_id = $1 WHERE id = $2 AND account_id IS NULL AND order_id IS NULL",
    )
    .bind(account_id)
    .bind(bag_id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(claimed == 1)
}

/// Gives the bag to the account (the guest's bag becomes the client's).
pub async fn set_bag_owner(tx: &mut Tx, bag_id: &str, account_id: &str) -> Result<()> {
    sqlx::query("UPDATE bags SET account_id = $1 WHERE id = $2")
        .bind(account_id)
        .bind(bag_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Store {
    /// Gives orders written before accounts existed their `email_key`.
    pub(crate) async fn backfill_order_email_keys(&self) -> Result<()> {
        loop {
            let rows =
                sqlx::query("SELECT id, email FROM orders WHERE email_key IS NULL LIMIT 500")
                    .fetch_all(self.pool())
                    .await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut tx = self.begin_write().await?;
            for row in &rows {
                let id: String = row.try_get("id")?;
                let email: String = row.try_get("email")?;
                sqlx::query("UPDATE orders SET email_key = $1 WHERE id = $2")
                    .bind(email_key(&email))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        }
    }

    pub async fn account(&self, id: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(account_from).transpose()
    }

    pub async fn account_by_email(&self, email: &str) -> Result<Option<Account>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE email_key = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email_key(email))
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(account_from).transpose()
    }

    /// A token as issued (spent or not), without spending it.
    pub async fn account_token(&self, token_hash: &str, purpose: &str) -> Result<Option<TokenRow>> {
        let row = sqlx::query(TOKEN_SELECT)
            .bind(token_hash)
            .bind(purpose)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(token_from).transpose()
    }

    /// The session with this token digest and its account, in one read (it
    /// runs on every request a signed-in client makes).
    pub async fn session(&self, token_hash: &str) -> Result<Option<(SessionRow, Account)>> {
        let row = sqlx::query(
            "SELECT s.token_hash, s.account_id, s.kind, s.csrf_token, s.created_at AS session_created_at, \
               s.last_seen_at, s.expires_at, a.id, a.email, a.first_name, a.last_name, a.phone, \
               a.password_hash, a.created_at \
             FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let session = SessionRow {
            token_hash: row.try_get("token_hash")?,
            account_id: row.try_get("account_id")?,
            kind: row.try_get("kind")?,
            csrf_token: row.try_get("csrf_token")?,
            created_at: row.try_get("session_created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            expires_at: row.try_get("expires_at")?,
        };
        Ok(Some((session, account_from(&row)?)))
    }

    /// Records activity on the session (for the idle timeout).
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Sessions past either timeout, expired tokens and old attempt counters go.
    pub async fn purge_expired_sessions(&self, now: i64, idle_before: i64) -> Result<u64> {
        let sessions =
            sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
                .bind(now)
                .bind(idle_before)
                .execute(self.pool())
                .await?
                .rows_affected();
        sqlx::query("DELETE FROM account_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(self.pool())
            .await?;
        // Attempt counters whose window ended a day ago count nothing now; the
        // marks of addresses that found an order last 30 days.
        let day = 24 * 60 * 60 * 1_000_000;
        sqlx::query(
            "DELETE FROM throttle WHERE (window_start < $1 AND key NOT LIKE 'lookup:known:%') \
             OR window_start < $2",
        )
        .bind(now - day)
        .bind(now - 31 * day)
        .execute(self.pool())
        .await?;
        Ok(sessions)
    }

    pub async fn saved_addresses(&self, account_id: &str) -> Result<Vec<SavedAddress>> {
        let rows = sqlx::query(
            "SELECT id, label, line1, line2, city, region, postal_code, country, company, created_at \
             FROM saved_addresses WHERE account_id = $1 ORDER BY created_at DESC, id",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(SavedAddress {
                    id: row.try_get("id")?,
                    label: row.try_get("label")?,
                    line1: row.try_get("line1")?,
                    line2: row.try_get("line2")?,
                    city: row.try_get("city")?,
                    region: row.try_get("region")?,
                    postal_code: row.try_get("postal_code")?,
                    country: row.try_get("country")?,
                    company: row.try_get("company")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    pub async fn insert_saved_address(&self, account_id: &str, a: &SavedAddress) -> Result<()> {
        sqlx::query(
            "INSERT INTO saved_addresses (id, account_id, label, line1, line2, city, region, \
             postal_code, country, company, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(a.id.as_str())
        .bind(account_id)
        .bind(a.label.as_str())
        .bind(a.line1.as_str())
        .bind(a.line2.clone())
        .bind(a.city.as_str())
        .bind(a.region.as_str())
        .bind(a.postal_code.as_str())
        .bind(a.country.as_str())
        .bind(a.company.clone())
        .bind(a.created_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Removes one of the account's addresses; `false` when it has no such one.
    pub async fn delete_saved_address(&self, account_id: &str, id: &str) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM saved_addresses WHERE id = $1 AND account_id = $2")
            .bind(id)
            .bind(account_id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(deleted == 1)
    }

    /// The account's orders, newest first, from the position `after` (the
    /// `(created_at, id)` of the last order of the previous page).
    pub async fn orders_of_account(
        &self,
        account_id: &str,
        after: Option<(i64, String)>,
        limit: u32,
    ) -> Result<Vec<OrderSummary>> {
        let (at, id) = after.unwrap_or((i64::MAX, String::new()));
        let rows = sqlx::query(
            "SELECT o.id, o.number, o.status, o.total_minor, o.created_at, \
               CAST((SELECT COALESCE(SUM(l.quantity), 0) FROM order_lines l WHERE l.order_id = o.id) AS BIGINT) AS item_count \
             FROM orders o \
             WHERE o.account_id = $1 AND o.status NOT IN ('pending_payment', 'payment_failed') \
               AND (o.created_at < $2 OR (o.created_at = $2 AND o.id < $3)) \
             ORDER BY o.created_at DESC, o.id DESC LIMIT $4",
        )
        .bind(account_id)
        .bind(at)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let status: String = row.try_get("status")?;
                Ok(OrderSummary {
                    id: row.try_get("id")?,
                    number: row.try_get("number")?,
                    status: OrderStatus::parse(&status)
                        .ok_or_else(|| StoreError::Corrupt(format!("status {status:?}")))?,
                    total: Money::usd_cents(row.try_get("total_minor")?),
                    item_count: u32::try_from(row.try_get::<i64, _>("item_count")?).unwrap_or(0),
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// The account an order belongs to, if any.
    pub async fn order_owner(&self, order_id: &str) -> Result<Option<String>> {
        let owner: Option<Option<String>> =
            sqlx::query_scalar("SELECT account_id FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(owner.flatten())
    }

    pub async fn requests_of_order(&self, order_id: &str) -> Result<Vec<OrderRequest>> {
        let rows = sqlx::query(
            "SELECT id, order_id, account_id, kind, message, status, created_at \
             FROM order_requests WHERE order_id = $1 ORDER BY created_at, id",
        )
        .bind(order_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(OrderRequest {
                    id: row.try_get("id")?,
                    order_id: row.try_get("order_id")?,
                    account_id: row.try_get("account_id")?,
                    kind: row.try_get("kind")?,
                    message: row.try_get("message")?,
                    status: row.try_get("status")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// The bag's owner: `None` when there is no such bag, `Some(None)` for a
    /// guest's bag.
    pub async fn bag_owner(&self, bag_id: &str) -> Result<Option<Option<String>>> {
        let owner: Option<Option<String>> =
            sqlx::query_scalar("SELECT account_id FROM bags WHERE id = $1")
                .bind(bag_id)
                .fetch_optional(self.pool())
                .await?;
        Ok(owner)
    }

    /// Deletes the bag if it has no line left.
    pub async fn delete_empty_bag(&self, bag_id: &str) -> Result<()> {
        sqlx::query(
            "DELETE FROM bags WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM bag_lines WHERE bag_id = $1)",
        )
        .bind(bag_id)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// The account's current bag: the open one touched last (a bag that
    /// became an order is done).
    pub async fn bag_of_account(&self, account_id: &str) -> Result<Option<String>> {
        let id: Option<String> = sqlx::query_scalar(
            "SELECT id FROM bags WHERE account_id = $1 AND order_id IS NULL \
             ORDER BY updated_at DESC, id LIMIT 1",
        )
        .bind(account_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(id)
    }
}
