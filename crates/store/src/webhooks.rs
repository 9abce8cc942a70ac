//! Outgoing webhooks: integrators' endpoints, the events written in the
//! transaction of the change they announce, and their deliveries, claimed
//! by a background job with a lease (several instances never send the same
//! delivery at once) and retried with back-off.

use sqlx::Row;

pub use maison_domain::webhooks::{Delivery, Endpoint};

use crate::{Result, Store, Tx};

/// A delivery claimed for sending, with what it takes to send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueDelivery {
    pub id: String,
    pub url: String,
    pub secret: String,
    pub body: String,
    pub attempts: u32,
    pub created_at: i64,
}

fn events_text(events: &[String]) -> String {
    format!(",{},", events.join(","))
}

fn events_of(text: &str) -> Vec<String> {
    text.split(',')
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

fn count(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(0)
}

/// Records an endpoint.
pub async fn add_endpoint(tx: &mut Tx, endpoint: &Endpoint, secret: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, url, events, secret, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(endpoint.id.as_str())
    .bind(endpoint.url.as_str())
    .bind(events_text(&endpoint.events))
    .bind(secret)
    .bind(endpoint.created_by.as_str())
    .bind(endpoint.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes an event and one pending delivery to each endpoint subscribed to
/// `kind`, in the caller's transaction. `body` is the JSON document sent.
pub async fn enqueue(
    tx: &mut Tx,
    event_id: &str,
    kind: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<usize> {
    let endpoints: Vec<String> =
        sqlx::query("SELECT id FROM webhook_endpoints WHERE events LIKE $1 ORDER BY created_at")
            .bind(format!("%,{kind},%"))
            .fetch_all(&mut **tx)
            .await?
            .iter()
            .map(|row| row.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
    if endpoints.is_empty() {
        return Ok(0);
    }
    sqlx::query(
        "INSERT INTO webhook_events (id, kind, subject, body, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(event_id)
    .bind(kind)
    .bind(subject)
    .bind(body)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    for endpoint in &endpoints {
        sqlx::query(
            "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, status, attempts, next_attempt_at, \
             claimed_until, created_at) VALUES ($1, $2, $3, 'pending', 0, $4, 0, $4)",
        )
        .bind(uuid_like(event_id, endpoint))
        .bind(endpoint.as_str())
        .bind(event_id)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(endpoints.len())
}

/// A delivery's id: its event's and its endpoint's (unique together).
fn uuid_like(event_id: &str, endpoint_id: &str) -> String {
    format!("{event_id}.{endpoint_id}")
}

fn endpoint_from(row: &sqlx::any::AnyRow) -> Result<Endpoint> {
    let events: String = row.try_get("events")?;
    Ok(Endpoint {
        id: row.try_get("id")?,
        url: row.try_get("url")?,
        events: events_of(&events),
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
    })
}

fn delivery_from(row: &sqlx::any::AnyRow) -> Result<Delivery> {
    let last_status: Option<i64> = row.try_get("last_status")?;
    Ok(Delivery {
        id: row.try_get("id")?,
        event_id: row.try_get("event_id")?,
        kind: row.try_get("kind")?,
        subject: row.try_get("subject")?,
        status: row.try_get("status")?,
        attempts: count(row.try_get("attempts")?),
        next_attempt_at: row.try_get("next_attempt_at")?,
        last_status: last_status.and_then(|s| u16::try_from(s).ok()),
        last_error: row.try_get("last_error")?,
        created_at: row.try_get("created_at")?,
        delivered_at: row.try_get("delivered_at")?,
    })
}

impl Store {
    /// Every endpoint, oldest first.
    pub async fn webhook_endpoints(&self) -> Result<Vec<Endpoint>> {
        let rows = sqlx::query(
            "SELECT id, url, events, created_by, created_at FROM webhook_endpoints \
             ORDER BY created_at, id",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(endpoint_from).collect()
    }

    pub async fn webhook_endpoint(&self, id: &str) -> Result<Option<Endpoint>> {
        let row = sqlx::query(
            "SELECT id, url, events, created_by, created_at FROM webhook_endpoints WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(endpoint_from).transpose()
    }

    /// The deliveries to an endpoint, newest first, at most `limit`.
    pub async fn webhook_deliveries(&self, endpoint_id: &str, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(
            "SELECT d.id, d.event_id, e.kind, e.subject, d.status, d.attempts, d.next_attempt_at, \
             d.last_status, d.last_error, d.created_at, d.delivered_at \
             FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
             WHERE d.endpoint_id = $1 ORDER BY d.created_at DESC, d.id DESC LIMIT $2",
        )
        .bind(endpoint_id)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(delivery_from).collect()
    }

    /// Due deliveries no other worker holds, claimed until `claim_until` in
    /// one statement (the outer condition is checked again under the row
    /// lock, so two instances never claim the same delivery).
    pub async fn claim_due_deliveries(
        &self,
        now: i64,
        claim_until: i64,
        limit: i64,
    ) -> Result<Vec<DueDelivery>> {
        let claimed: Vec<String> = sqlx::query(
            "UPDATE webhook_deliveries SET claimed_until = $1 \
             WHERE status = 'pending' AND next_attempt_at <= $2 AND claimed_until < $2 AND id IN \
               (SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $2 \
                AND claimed_until < $2 ORDER BY next_attempt_at LIMIT $3) \
             RETURNING id",
        )
        .bind(claim_until)
        .bind(now)
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| row.try_get("id"))
        .collect::<std::result::Result<_, _>>()?;
        let mut due = Vec::with_capacity(claimed.len());
        for id in claimed {
            let row = sqlx::query(
                "SELECT d.id, p.url, p.secret, e.body, d.attempts, d.created_at \
                 FROM webhook_deliveries d JOIN webhook_endpoints p ON p.id = d.endpoint_id \
                 JOIN webhook_events e ON e.id = d.event_id WHERE d.id = $1",
            )
            .bind(id.as_str())
            .fetch_optional(self.pool())
            .await?;
            if let Some(row) = row {
                due.push(DueDelivery {
                    id: row.try_get("id")?,
                    url: row.try_get("url")?,
                    secret: row.try_get("secret")?,
                    body: row.try_get("body")?,
                    attempts: count(row.try_get("attempts")?),
                    created_at: row.try_get("created_at")?,
                });
            }
        }
        Ok(due)
    }

    /// Records an attempt: delivered, retried at `next_attempt_at`, or kept
    /// as failed when `give_up`.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_webhook_attempt(
        &self,
        id: &str,
        delivered: bool,
        answer: Option<u16>,
        error: Option<&str>,
        now: i64,
        next_attempt_at: i64,
        give_up: bool,
    ) -> Result<()> {
        let status = if delivered {
            "delivered"
        } else if give_up {
            "failed"
        } else {
            "pending"
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, status = $1, last_status = $2, \
             last_error = $3, next_attempt_at = $4, claimed_until = 0, \
             delivered_at = COALESCE($5, delivered_at) WHERE id = $6",
        )
        .bind(status)
        .bind(answer.map(i64::from))
        .bind(error)
        .bind(next_attempt_at)
        .bind(delivered.then_some(now))
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
