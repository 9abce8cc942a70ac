//! Fulfilment: shipments and their carriers' events (each applied once, by a
//! unique key), hand-overs at boutiques, and the capture of an order's card
//! payment at either (one capture at a time per order, the order's row taken
//! first so that two instances never send two).

use sqlx::Row;
use sqlx::any::AnyRow;

use maison_domain::Money;
use maison_domain::delivery::Carrier;
use maison_domain::fulfilment::{Shipment, ShipmentStatus};

use crate::{Result, Store, StoreError, Tx};

const SHIPMENT_COLUMNS: &str = "id, order_id, carrier, tracking_number, declared_value_minor, \
    signature_required, status, appointment_date, created_by, created_at";

fn shipment_from(row: &AnyRow) -> Result<Shipment> {
    let id: String = row.try_get("id")?;
    let corrupt = |what: String| StoreError::Corrupt(format!("shipment {id}: {what}"));
    let carrier: String = row.try_get("carrier")?;
    let status: String = row.try_get("status")?;
    Ok(Shipment {
        order_id: row.try_get("order_id")?,
        carrier: Carrier::parse(&carrier).ok_or_else(|| corrupt(format!("carrier {carrier:?}")))?,
        tracking_number: row.try_get("tracking_number")?,
        declared_value: Money::usd_cents(row.try_get("declared_value_minor")?),
        signature_required: row.try_get::<i64, _>("signature_required")? == 1,
        status: ShipmentStatus::parse(&status)
            .ok_or_else(|| corrupt(format!("status {status:?}")))?,
        appointment_date: row.try_get("appointment_date")?,
        created_by: row.try_get("created_by")?,
        created_at: row.try_get("created_at")?,
        id,
    })
}

/// Records a shipment, `requested`. Returns false when the order already has
/// a shipment that is not cancelled.
pub async fn insert_shipment(tx: &mut Tx, s: &Shipment) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO shipments (id, order_id, carrier, tracking_number, declared_value_minor, \
         signature_required, status, appointment_date, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) ON CONFLICT DO NOTHING",
    )
    .bind(s.id.as_str())
    .bind(s.order_id.as_str())
    .bind(s.carrier.as_str())
    .bind(s.tracking_number.clone())
    .bind(s.declared_value.minor())
    .bind(i64::from(s.signature_required))
    .bind(s.status.as_str())
    .bind(s.appointment_date.clone())
    .bind(s.created_by.as_str())
    .bind(s.created_at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Gives a requested shipment its tracking number (`label_created`).
/// Returns false when it is no longer requested (another request did it).
pub async fn label_shipment(
    tx: &mut Tx,
    id: &str,
    tracking_number: &str,
    now: i64,
) -> Result<bool> {
    let labelled = sqlx::query(
        "UPDATE shipments SET tracking_number = $1, status = 'label_created', updated_at = $2 \
         WHERE id = $3 AND status = 'requested'",
    )
    .bind(tracking_number)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(labelled == 1)
}

/// Cancels a shipment (its capture was declined, or its carrier refused it).
pub async fn cancel_shipment(tx: &mut Tx, id: &str, now: i64) -> Result<()> {
    sqlx::query("UPDATE shipments SET status = 'cancelled', updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// A tracking event, as the maison keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarrierEventRow {
    pub carrier: Carrier,
    pub event_id: String,
    pub shipment_id: String,
    pub kind: String,
    pub occurred_at: i64,
    pub appointment_date: Option<String>,
    pub detail: Option<String>,
    pub received_at: i64,
}

/// Records a carrier's event once. Returns false for an event id already
/// recorded (a carrier's retry): the unique key decides, on every instance.
pub async fn record_carrier_event(tx: &mut Tx, e: &CarrierEventRow) -> Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO carrier_events (carrier, event_id, shipment_id, kind, occurred_at, \
         appointment_date, detail, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (carrier, event_id) DO NOTHING",
    )
    .bind(e.carrier.as_str())
    .bind(e.event_id.as_str())
    .bind(e.shipment_id.as_str())
    .bind(e.kind.as_str())
    .bind(e.occurred_at)
    .bind(e.appointment_date.clone())
    .bind(e.detail.clone())
    .bind(e.received_at)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Moves a shipment to `status` unless it is delivered or cancelled; an
/// appointment date, when given, is kept.
pub async fn set_shipment_status(
    tx: &mut Tx,
    id: &str,
    status: ShipmentStatus,
    appointment_date: Option<&str>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE shipments SET status = $1, appointment_date = COALESCE($2, appointment_date), \
         updated_at = $3 WHERE id = $4 AND status NOT IN ('delivered', 'cancelled')",
    )
    .bind(status.as_str())
    .bind(appointment_date.map(str::to_owned))
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The capture of an order's card payment that is under way or done
/// (pending, in doubt or succeeded), as this transaction sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureAttempt {
    pub id: String,
    pub status: String,
    pub processor_ref: Option<String>,
    pub amount: Money,
}

/// The order's live capture: the latest not declined nor failed.
pub async fn live_capture(tx: &mut Tx, order_id: &str) -> Result<Option<CaptureAttempt>> {
    let row = sqlx::query(
        "SELECT id, status, processor_ref, amount_minor FROM payment_attempts \
         WHERE order_id = $1 AND operation = 'capture' AND status IN ('pending', 'in_doubt', 'succeeded') \
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(order_id)
    .fetch_optional(&mut **tx)
    .await?;
    row.map(|row| {
        Ok(CaptureAttempt {
            id: row.try_get("id")?,
            status: row.try_get("status")?,
            processor_ref: row.try_get("processor_ref")?,
            amount: Money::usd_cents(row.try_get("amount_minor")?),
        })
    })
    .transpose()
}

/// Records that an order's creations are at the boutique, ready.
pub async fn insert_pickup(
    tx: &mut Tx,
    order_id: &str,
    boutique_id: &str,
    ready_by: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO pickups (order_id, boutique_id, ready_at, ready_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (order_id) DO NOTHING",
    )
    .bind(order_id)
    .bind(boutique_id)
    .bind(now)
    .bind(ready_by)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records who collected an order's creations, and who handed them over.
pub async fn collect_pickup(
    tx: &mut Tx,
    order_id: &str,
    collected_by: &str,
    handed_over_by: &str,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE pickups SET collected_at = $1, collected_by = $2, handed_over_by = $3 \
         WHERE order_id = $4 AND collected_at IS NULL",
    )
    .bind(now)
    .bind(collected_by)
    .bind(handed_over_by)
    .bind(order_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    pub async fn shipment(&self, id: &str) -> Result<Option<Shipment>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(shipment_from).transpose()
    }

    /// The order's shipment that is not cancelled, if any.
    pub async fn live_shipment_of(&self, order_id: &str) -> Result<Option<Shipment>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE order_id = $1 AND status <> 'cancelled'"
        )))
        .bind(order_id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(shipment_from).transpose()
    }

    /// The shipment a carrier knows by `tracking_number`; any carrier's when
    /// `carrier` is `None` (an operator's command).
    pub async fn shipment_by_tracking(
        &self,
        carrier: Option<Carrier>,
        tracking_number: &str,
    ) -> Result<Option<Shipment>> {
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {SHIPMENT_COLUMNS} FROM shipments WHERE tracking_number = $1 \
             AND ($2 = '' OR carrier = $2) ORDER BY created_at LIMIT 1"
        )))
        .bind(tracking_number)
        .bind(carrier.map_or("", Carrier::as_str))
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(shipment_from).transpose()
    }

    /// How many events of a carrier were recorded for a shipment (tests).
    pub async fn count_carrier_events(&self, shipment_id: &str) -> Result<i64> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM carrier_events WHERE shipment_id = $1")
                .bind(shipment_id)
                .fetch_one(self.pool())
                .await?;
        Ok(n)
    }

    /// When the order's creations reached the client: delivered or collected
    /// (the first such move on its timeline).
    pub async fn received_at(&self, order_id: &str) -> Result<Option<i64>> {
        let at: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(at) FROM order_events WHERE order_id = $1 AND status IN ('delivered', 'collected')",
        )
        .bind(order_id)
        .fetch_one(self.pool())
        .await?;
        Ok(at)
    }
}

impl Store {
    /// Card orders not yet captured whose every hold is older than `cutoff`
    /// (and that had no renewal tried since): their authorisation would
    /// lapse before capture.
    pub async fn holds_to_renew(&self, cutoff: i64, limit: i64) -> Result<Vec<String>> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT o.id FROM orders o \
             WHERE o.payment_method = 'card' AND o.status IN ('confirmed', 'processing', 'ready_for_pickup') \
               AND EXISTS (SELECT 1 FROM payment_attempts a WHERE a.order_id = o.id \
                   AND a.operation IN ('authorise', 'reauthorise') AND a.status = 'succeeded') \
               AND NOT EXISTS (SELECT 1 FROM payment_attempts c WHERE c.order_id = o.id \
                   AND c.operation = 'capture' AND c.status IN ('pending', 'in_doubt', 'succeeded')) \
               AND NOT EXISTS (SELECT 1 FROM payment_attempts h WHERE h.order_id = o.id \
                   AND h.operation IN ('authorise', 'reauthorise') AND h.created_at > $1 \
                   AND (h.operation = 'reauthorise' OR h.status IN ('pending', 'in_doubt', 'succeeded'))) \
             ORDER BY o.updated_at, o.id LIMIT $2",
        )
        .bind(cutoff)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(ids)
    }

    /// Takes the order's row for this transaction unless another worker
    /// holds it (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the write
    /// transaction already holds the database). False: skip it this time.
    pub async fn take_order_unless_busy(&self, tx: &mut Tx, order_id: &str) -> Result<bool> {
        let taken: Option<String> = match self.backend() {
            crate::Backend::Postgres => {
                sqlx::query_scalar("SELECT id FROM orders WHERE id = $1 FOR UPDATE SKIP LOCKED")
                    .bind(order_id)
                    .fetch_optional(&mut **tx)
                    .await?
            }
            crate::Backend::Sqlite => {
                sqlx::query_scalar("SELECT id FROM orders WHERE id = $1")
                    .bind(order_id)
                    .fetch_optional(&mut **tx)
                    .await?
            }
        };
        Ok(taken.is_some())
    }
}

/// Whether a renewal of the order's hold was tried since `cutoff`, or is
/// under way, as this transaction sees it.
pub async fn renewal_tried_since(tx: &mut Tx, order_id: &str, cutoff: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM payment_attempts WHERE order_id = $1 AND operation = 'reauthorise' \
         AND (created_at > $2 OR status IN ('pending', 'in_doubt'))",
    )
    .bind(order_id)
    .bind(cutoff)
    .fetch_one(&mut **tx)
    .await?;
    Ok(n > 0)
}
