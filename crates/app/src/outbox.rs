//! The outbox worker: delivers pending messages with retries and exponential
//! back-off. A message that keeps failing, or fails permanently, is kept as
//! failed for staff to see; nothing is dropped.

use maison_domain::order::OrderNumber;
use maison_notify::{Email, MailError, Senders};
use maison_store::outbox::{self, OutboxEntry};
use maison_store::{StoreError, audit};

use crate::actor::{Action, Actor};
use crate::{Maison, ShopError};

/// A message of the outbox as staff read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub id: String,
    /// `acknowledgement`, `confirmation`, `order_cancelled`, ...
    pub kind: String,
    /// `email` or `fax`.
    pub channel: String,
    pub order_id: Option<String>,
    /// The e-mail address, or the fax number (E.164).
    pub to: String,
    pub subject: String,
    /// `queued` (waiting or being retried), `sent` or `failed` (kept for staff).
    pub status: &'static str,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

impl Letter {
    fn from_entry(e: OutboxEntry) -> Letter {
        let m = e.message;
        Letter {
            status: match m.status.as_str() {
                "sent" => "sent",
                "failed" => "failed",
                _ => "queued",
            },
            id: m.id,
            kind: m.kind,
            channel: m.channel,
            order_id: m.order_id,
            to: m.recipient,
            subject: m.subject,
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: e.created_at,
            sent_at: e.sent_at,
        }
    }
}

/// One page of the outbox, newest first.
pub struct LetterPage {
    pub items: Vec<Letter>,
    pub next_cursor: Option<String>,
}

/// The documents of an order: its acknowledgement and its confirmation.
const DOCUMENT_KINDS: [&str; 2] = ["acknowledgement", "confirmation"];

/// Messages claimed and sent per batch.
pub const BATCH: i64 = 50;

/// After this many attempts a message is kept as failed.
pub const MAX_ATTEMPTS: u32 = 10;

/// Waits 30 s after the first failure, doubling up to an hour.
pub fn retry_delay_micros(attempts_so_far: u32) -> i64 {
    let seconds = 30i64.saturating_mul(1 << attempts_so_far.min(7)).min(3600);
    seconds * 1_000_000
}

impl Maison {
    /// Delivers every due message, batch after batch, each by the sender of
    /// its channel; returns how many were sent.
    pub async fn deliver_outbox(&self, senders: &Senders) -> Result<usize, ShopError> {
        let mut total = 0;
        loop {
            let (claimed, sent) = self.deliver_batch(senders).await?;
            total += sent;
            if claimed < BATCH as usize {
                return Ok(total);
            }
        }
    }

    /// One batch: returns how many were claimed and how many sent.
    async fn deliver_batch(&self, senders: &Senders) -> Result<(usize, usize), ShopError> {
        let now = self.now();
        let due = self
            .store()
            .claim_due_messages(now, now + 120_000_000, BATCH)
            .await?;
        let claimed = due.len();
        let mut sent = Vec::new();
        for message in due {
            let email = Email {
                // The same letter sent again (a crash between the send and
                // its record) keeps its Message-ID: mail systems see one message.
                message_key: Some(format!("outbox.{}", message.id)),
                to: message.recipient.clone(),
                subject: message.subject.clone(),
                text: message.text_body.clone(),
                html: message.html_body.clone(),
            };
            // A channel without a sender here (a fax before its gateway is
            // configured) waits, retried like any delivery that may succeed.
            let outcome = match senders.for_channel(&message.channel) {
                Some(sender) => sender.send(&email).await,
                None => Err(MailError::Transient(format!(
                    "no sender for the {} channel is configured",
                    message.channel
                ))),
            };
            match outcome {
                Ok(()) => sent.push(message.id.clone()),
                Err(err) => {
                    let attempts = message.attempts + 1;
                    let give_up = err.is_permanent() || attempts >= MAX_ATTEMPTS;
                    tracing::warn!(message = %message.id, kind = %message.kind, attempts, give_up, error = %err, "delivery failed");
                    self.store()
                        .mark_delivery_failed(
                            &message.id,
                            &err.to_string(),
                            self.now() + retry_delay_micros(message.attempts),
                            give_up,
                        )
                        .await?;
                }
            }
        }
        // One commit for the batch; a crash before it may send a message twice
        // (at least once), never lose one.
        self.store().mark_sent(&sent, self.now()).await?;
        Ok((claimed, sent.len()))
    }
}

impl Maison {
    /// The order's documents (acknowledgement, confirmation), how they were
    /// sent and whether they have left.
    pub async fn order_documents(
        &self,
        actor: &Actor,
        number: &str,
    ) -> Result<Vec<Letter>, ShopError> {
        actor.may(Action::ViewOrders)?;
        let number = OrderNumber::parse(number).map_err(|_| ShopError::OrderNotFound)?;
        let order = self
            .store()
            .order_by_number(number.as_str())
            .await?
            .ok_or(ShopError::OrderNotFound)?;
        Ok(self
            .store()
            .entries_of_order(&order.id)
            .await?
            .into_iter()
            .filter(|e| DOCUMENT_KINDS.contains(&e.message.kind.as_str()))
            .map(Letter::from_entry)
            .collect())
    }

    /// The outbox, newest first; `status` is `queued`, `sent` or `failed`.
    pub async fn outbox(
        &self,
        actor: &Actor,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<LetterPage, ShopError> {
        actor.may(Action::ManageOutbox)?;
        let stored = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some("queued") => Some("pending"),
            Some("sent") => Some("sent"),
            Some("failed") => Some("failed"),
            Some(_) => {
                return Err(ShopError::Invalid {
                    code: "invalid_status",
                    field: "status".into(),
                    message: "Choose queued, sent or failed.".into(),
                });
            }
        };
        let after = crate::input::page_after(cursor, "outbox")?;
        let mut entries = self
            .store()
            .outbox_entries(stored, after, limit + 1)
            .await?;
        let more = entries.len() > limit as usize;
        entries.truncate(limit as usize);
        let next_cursor = more
            .then(|| {
                entries
                    .last()
                    .map(|e| format!("{}_{}", e.created_at, e.message.id))
            })
            .flatten();
        Ok(LetterPage {
            items: entries.into_iter().map(Letter::from_entry).collect(),
            next_cursor,
        })
    }

    /// Sends a failed message again (it is due at once), audited.
    pub async fn retry_letter(&self, actor: &Actor, id: &str) -> Result<Letter, ShopError> {
        actor.may(Action::ManageOutbox)?;
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        if !outbox::retry(&mut tx, id, now).await? {
            tx.rollback().await.map_err(StoreError::from)?;
            return Err(ShopError::MessageNotFound);
        }
        audit::record(
            &mut tx,
            &actor.audit(
                now,
                "outbox.retry",
                &format!("message:{id}"),
                serde_json::json!({}),
            ),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        let letter = self
            .store()
            .outbox_entry(id)
            .await?
            .map(Letter::from_entry)
            .ok_or(ShopError::MessageNotFound)?;
        Ok(letter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(retry_delay_micros(0), 30_000_000);
        assert_eq!(retry_delay_micros(1), 60_000_000);
        assert_eq!(retry_delay_micros(3), 240_000_000);
        assert_eq!(retry_delay_micros(9), 3_600_000_000);
    }
}
