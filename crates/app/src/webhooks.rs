//! Outgoing webhooks for integrators (issue 11). Administrators register an
//! endpoint with the events it wants; each event is written, with one
//! delivery per subscribed endpoint, in the transaction of the change it
//! announces ([`enqueue_event`]); a background job posts it, signed like
//! the carriers' webhooks (`Maison-Signature: t=<unix>,v1=<hex HMAC-SHA256
//! of "<t>.<body>">`, under the endpoint's secret), and retries with
//! exponential back-off for a day before keeping it as failed.

use std::time::Duration;

use maison_carriers::signature;
use maison_domain::order::OrderStatus;
pub use maison_domain::webhooks::{Delivery, Endpoint};
use maison_store::{StoreError, Tx, audit};
use maison_store::{orders, webhooks};
use serde_json::{Value, json};

use crate::actor::{Action, Actor};
use crate::clock::new_id;
use crate::input::invalid;
use crate::{Maison, ShopError};

/// Every event an endpoint may subscribe to.
pub const EVENTS: [&str; 8] = [
    "order.placed",
    "order.confirmed",
    "order.cancelled",
    "order.shipped",
    "order.delivered",
    "order.collected",
    "return.requested",
    "return.refunded",
];

/// Deliveries claimed and sent (one after the other) per batch.
pub const BATCH: i64 = 10;
/// How long a claimed delivery is held by the instance sending it: longer
/// than a whole batch of endpoints that each take the full [`TIMEOUT`], so
/// that no other instance claims a delivery still being sent.
const LEASE_MICROS: i64 = 300_000_000;
/// Retries stop a day after the event: the delivery is kept as failed.
pub const RETRY_FOR_MICROS: i64 = 24 * 3600 * 1_000_000;
/// How long the maison waits for an endpoint's answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The longest URL accepted.
const MAX_URL_LEN: usize = 2000;
/// Deliveries listed per endpoint.
const DELIVERIES_LISTED: i64 = 100;

/// Waits 30 s after the first failure, doubling up to an hour.
pub fn retry_delay_micros(attempts_so_far: u32) -> i64 {
    let seconds = 30i64.saturating_mul(1 << attempts_so_far.min(7)).min(3600);
    seconds * 1_000_000
}

/// The event an order's move to `status` announces, if any.
pub fn order_event(status: OrderStatus) -> Option<&'static str> {
    match status {
        OrderStatus::Placed => Some("order.placed"),
        OrderStatus::Confirmed => Some("order.confirmed"),
        OrderStatus::Cancelled => Some("order.cancelled"),
        OrderStatus::Shipped => Some("order.shipped"),
        OrderStatus::Delivered => Some("order.delivered"),
        OrderStatus::Collected => Some("order.collected"),
        _ => None,
    }
}

/// Writes the event `kind` about `subject` (`order:MA-...`, `return:...`)
/// with `data`, and a delivery to each endpoint subscribed to it, in `tx`:
/// it leaves only if the change it announces is committed. The body posted
/// is `{"id", "type", "created_at", "data"}`.
pub async fn enqueue_event(
    tx: &mut Tx,
    kind: &str,
    subject: &str,
    data: Value,
    at: i64,
) -> Result<(), ShopError> {
    if !EVENTS.contains(&kind) {
        return Err(ShopError::Internal(format!("unknown webhook event {kind}")));
    }
    let id = new_id();
    let body = json!({
        "id": id,
        "type": kind,
        "created_at": crate::clock::rfc3339(at),
        "data": data,
    });
    webhooks::enqueue(tx, &id, kind, subject, &body.to_string(), at).await?;
    Ok(())
}

/// Announces the order's move to `to` (called by the one write path of
/// status changes, in its transaction, with what the move returned).
pub(crate) async fn announce_order(
    tx: &mut Tx,
    moved: &orders::Moved,
    to: OrderStatus,
    at: i64,
) -> Result<(), ShopError> {
    let Some(kind) = order_event(to) else {
        return Ok(());
    };
    let data = json!({"number": moved.number, "status": to.as_str(), "total": moved.total});
    enqueue_event(tx, kind, &format!("order:{}", moved.number), data, at).await
}

/// Whether `url` may receive webhooks: http or https, a host, no
/// credentials.
fn valid_url(url: &str) -> bool {
    if url.len() > MAX_URL_LEN {
        return false;
    }
    match reqwest::Url::parse(url) {
        Ok(parsed) => {
            matches!(parsed.scheme(), "http" | "https")
                && parsed.host_str().is_some_and(|h| !h.is_empty())
                && parsed.username().is_empty()
                && parsed.password().is_none()
        }
        Err(_) => false,
    }
}

/// An endpoint just created, with its secret (shown this once).
pub struct NewEndpoint {
    pub id: String,
    pub secret: String,
}

/// Posts deliveries: an HTTP client with a timeout that never follows
/// redirects.
#[derive(Clone)]
pub struct WebhookSender {
    client: reqwest::Client,
}

impl WebhookSender {
    pub fn new() -> Result<Self, ShopError> {
        // One crypto provider for the whole process (ring); "already set" is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Maison-Webhooks/1")
            .build()
            .map_err(|e| ShopError::Internal(format!("no HTTP client for webhooks: {e}")))?;
        Ok(WebhookSender { client })
    }

    /// Posts `body` signed at `now_unix`: the answer's status, or why none came.
    async fn post(
        &self,
        url: &str,
        secret: &str,
        body: &str,
        now_unix: i64,
    ) -> Result<u16, String> {
        let header = signature::sign(secret.as_bytes(), now_unix, body.as_bytes());
        let response = self
            .client
            .post(url)
            .header("Content-Type", "application/json")
            .header(signature::HEADER, header)
            .body(body.to_owned())
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        Ok(response.status().as_u16())
    }
}

impl Maison {
    /// Registers an endpoint (administrators); returns its id and secret.
    pub async fn add_webhook_endpoint(
        &self,
        actor: &Actor,
        url: &str,
        events: &[String],
    ) -> Result<NewEndpoint, ShopError> {
        actor.may(Action::ManageWebhooks)?;
        let url = url.trim();
        if !valid_url(url) {
            return Err(invalid(
                "invalid_url",
                "url",
                "Enter an http or https URL without credentials.",
            ));
        }
        let mut chosen: Vec<String> = Vec::new();
        for event in events {
            let event = event.trim();
            if !EVENTS.contains(&event) {
                return Err(invalid(
                    "invalid_event",
                    "events",
                    "Choose events among order.placed, order.confirmed, order.cancelled, order.shipped, order.delivered, order.collected, return.requested and return.refunded.",
                ));
            }
            if !chosen.iter().any(|c| c == event) {
                chosen.push(event.to_owned());
            }
        }
        if chosen.is_empty() {
            return Err(invalid(
                "invalid_event",
                "events",
                "Choose at least one event.",
            ));
        }
        let secret = format!("whsec_{}", crate::accounts::new_token()?.expose());
        let now = self.now();
        let endpoint = Endpoint {
            id: new_id(),
            url: url.to_owned(),
            events: chosen,
            created_by: actor.timeline_name(),
            created_at: now,
        };
        let mut tx = self.store().begin_write().await?;
        webhooks::add_endpoint(&mut tx, &endpoint, &secret).await?;
        audit::record(
            &mut tx,
            &actor.audit(
                now,
                "webhook_endpoint.create",
                &format!("webhook_endpoint:{}", endpoint.id),
                json!({"url": endpoint.url, "events": endpoint.events}),
            ),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(NewEndpoint {
            id: endpoint.id,
            secret,
        })
    }

    /// Every endpoint, without secrets (administrators).
    pub async fn webhook_endpoints(&self, actor: &Actor) -> Result<Vec<Endpoint>, ShopError> {
        actor.may(Action::ManageWebhooks)?;
        Ok(self.store().webhook_endpoints().await?)
    }

    /// The latest deliveries to an endpoint, newest first (administrators).
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        endpoint_id: &str,
    ) -> Result<Vec<Delivery>, ShopError> {
        actor.may(Action::ManageWebhooks)?;
        if endpoint_id.len() > 100 {
            return Err(ShopError::EndpointNotFound);
        }
        self.store()
            .webhook_endpoint(endpoint_id)
            .await?
            .ok_or(ShopError::EndpointNotFound)?;
        Ok(self
            .store()
            .webhook_deliveries(endpoint_id, DELIVERIES_LISTED)
            .await?)
    }

    /// Sends every due delivery, batch after batch; returns how many were
    /// delivered.
    pub async fn deliver_webhooks(&self, sender: &WebhookSender) -> Result<usize, ShopError> {
        let mut total = 0;
        loop {
            let now = self.now();
            let due = self
                .store()
                .claim_due_deliveries(now, now + LEASE_MICROS, BATCH)
                .await?;
            let claimed = due.len();
            for delivery in due {
                let now = self.now();
                let outcome = sender
                    .post(
                        &delivery.url,
                        &delivery.secret,
                        &delivery.body,
                        now.div_euclid(1_000_000),
                    )
                    .await;
                let (delivered, answer, error) = match outcome {
                    Ok(status) if (200..300).contains(&status) => (true, Some(status), None),
                    Ok(status) => (false, Some(status), Some(format!("answered {status}"))),
                    Err(err) => (false, None, Some(err)),
                };
                let next = now + retry_delay_micros(delivery.attempts);
                let give_up = !delivered && next - delivery.created_at > RETRY_FOR_MICROS;
                if delivered {
                    total += 1;
                } else {
                    tracing::warn!(delivery = %delivery.id, attempts = delivery.attempts + 1, give_up, error = ?error, "webhook delivery failed");
                }
                self.store()
                    .record_webhook_attempt(
                        &delivery.id,
                        delivered,
                        answer,
                        error.as_deref(),
                        now,
                        next,
                        give_up,
                    )
                    .await?;
            }
            if claimed < BATCH as usize {
                return Ok(total);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_or_https_without_credentials() {
        assert!(valid_url("https://integrator.example/hooks"));
        assert!(valid_url("http://127.0.0.1:8080/x"));
        assert!(!valid_url("ftp://integrator.example/"));
        assert!(!valid_url("https://user:pass@integrator.example/"));
        assert!(!valid_url("https://user@integrator.example/"));
        assert!(!valid_url("not a url"));
        assert!(!valid_url("javascript:alert(1)"));
    }

    #[test]
    fn the_back_off_doubles_up_to_an_hour() {
        assert_eq!(retry_delay_micros(0), 30_000_000);
        assert_eq!(retry_delay_micros(1), 60_000_000);
        assert_eq!(retry_delay_micros(20), 3_600_000_000);
    }
}
