//! The outbox worker: delivers pending messages with retries and exponential
//! back-off. A message that keeps failing, or fails permanently, is kept as
//! failed for staff to see; nothing is dropped.

use maison_notify::{Email, MailError, Senders};

use crate::{Maison, ShopError};

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
