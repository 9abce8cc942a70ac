//! Recovery of captures and refunds whose outcome is unknown (a processor
//! that timed out, a crash between its answer and the record): each is sent
//! again under its own key, so the processor executes it once, and its
//! outcome is recorded as if the staff member had retried. Safe on every
//! instance at once: each attempt is claimed first.

use crate::actor::Actor;
use crate::{Maison, ShopError};

impl Maison {
    /// Sends again the captures and refunds left pending or in doubt for
    /// longer than `older_than_micros`; returns how many were settled.
    pub async fn resend_pending_captures_and_refunds(
        &self,
        older_than_micros: i64,
    ) -> Result<usize, ShopError> {
        let now = self.now();
        let before = now - older_than_micros;
        let lease = now + 60_000_000;
        let mut settled = 0;
        for attempt in self
            .store()
            .claim_unresolved_attempts("capture", before, now, lease)
            .await?
        {
            let Some(order) = self.store().order(&attempt.order_id).await? else {
                continue;
            };
            match self.capture_payment(&order).await {
                Ok(_) | Err(ShopError::CaptureDeclined(_)) => settled += 1,
                Err(err) => {
                    tracing::warn!(order = %order.number, error = %err, "capture still in doubt")
                }
            }
        }
        let recovery = Actor::System("recovery");
        for attempt in self
            .store()
            .claim_unresolved_attempts("refund", before, now, lease)
            .await?
        {
            let Some(order) = self.store().order(&attempt.order_id).await? else {
                continue;
            };
            let record = self
                .store()
                .returns_of_order(&order.id)
                .await?
                .into_iter()
                .find(|r| r.refund_attempt_id.as_deref() == Some(attempt.id.as_str()));
            let Some(record) = record else {
                continue;
            };
            match self.refund_card(&recovery, &order, &record).await {
                Ok(_) | Err(ShopError::InvalidTransition(_)) => settled += 1,
                Err(err) => {
                    tracing::warn!(order = %order.number, error = %err, "refund still in doubt")
                }
            }
        }
        Ok(settled)
    }
}
