//! The database's own limit for the writes of a checkout, measured in-process
//! through `maison-store` (no HTTP, no JSON, no application rules): each
//! order is the two write transactions of a checkout, each one commit.
//!
//! - like phase 1: `stock::reserve`, `orders::insert` (one line, one
//!   timeline event), `payments::insert_attempt`, commit;
//! - like phase 3: `payments::resolve_attempt`, `orders::set_card_token`,
//!   `orders::move_status` twice (each with its event), `outbox::enqueue`
//!   twice (small bodies), commit.
//!
//! The server makes more commits per order than these two (the bag, its line,
//! the idempotency key's claim and its link to the order), so its orders/s
//! cannot reach this figure when commits are what limits it.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use maison_domain::address::{Address, Country};
use maison_domain::card::CardBrand;
use maison_domain::catalog::{Creation, Grouping, SaleMode, Variant};
use maison_domain::delivery::{Carrier, Destination, OrderDelivery};
use maison_domain::order::OrderStatus;
use maison_domain::order::{Order, OrderEvent, OrderLine};
use maison_domain::payment::PaymentAttempt;
use maison_domain::payment::{CardOnFile, Payment};
use maison_domain::policy::Estimate;
use maison_domain::{Money, Sku, Slug};
use maison_store::orders;
use maison_store::outbox::{self, OutboxMessage};
use maison_store::payments;
use maison_store::{Backend, DemoContent, Store, StoreError, stock};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout};

use crate::load::REQUEST_TIMEOUT;
use crate::stats::micros;

/// Stock put on the SKU before measuring, so no order fails for lack of it.
pub const STOCK: u32 = 1_000_000;
/// The creation written into an empty database for the measurement.
pub const BENCH_SKU: &str = "BENCH-LIMIT-001";

/// The piece every order of the measurement takes one of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// The SKU whose stock is decremented (a size's SKU for sized creations).
    pub sku: String,
    pub product_sku: String,
    pub name: String,
    pub price: Money,
}

/// A prepared database: the store, the piece and its durability settings.
pub struct LimitDb {
    pub store: Store,
    pub piece: Piece,
    pub durability: String,
}

/// One small creation with one size-less variant, for an empty database.
pub fn bench_content() -> Result<DemoContent> {
    let sku = Sku::parse(BENCH_SKU).map_err(|e| anyhow!("{e}"))?;
    let category = Slug::parse("bench").map_err(|e| anyhow!("{e}"))?;
    Ok(DemoContent {
        categories: vec![Grouping {
            slug: category.clone(),
            name: "Bench".into(),
            description: "Written by maison-bench for the database limit.".into(),
        }],
        collections: Vec::new(),
        creations: vec![Creation {
            sku: sku.clone(),
            slug: Slug::parse("bench-limit-piece").map_err(|e| anyhow!("{e}"))?,
            name: "Bench piece".into(),
            category,
            collection: None,
            description: "A piece for measuring commits.".into(),
            materials: vec!["18k yellow gold".into()],
            sale_mode: SaleMode::Online,
            price: Some(Money::usd_dollars(1_250)),
            flagged_unavailable: false,
            variants: vec![Variant {
                sku,
                size: None,
                on_hand: STOCK,
            }],
            personalisation: Vec::new(),
        }],
        boutiques: Vec::new(),
    })
}

/// The bench piece of `bench_content`.
fn bench_piece() -> Piece {
    Piece {
        sku: BENCH_SKU.into(),
        product_sku: BENCH_SKU.into(),
        name: "Bench piece".into(),
        price: Money::usd_dollars(1_250),
    }
}

/// Opens `url`, migrates it unless it is the server's (which the server
/// migrated, perhaps to a version this build does not know), and gives
/// `preferred` (the piece the server sold, when this is the server's database)
/// or else the bench piece (written into an empty catalogue) `STOCK` pieces on
/// hand.
pub async fn prepare(url: &str, servers: bool, preferred: Option<&Piece>) -> Result<LimitDb> {
    let store = Store::connect(url)
        .await
        .with_context(|| format!("could not open {}", maison_store::redact_url(url)))?;
    if !servers {
        store
            .migrate()
            .await
            .context("could not migrate the database for the limit")?;
    }
    let piece = match preferred {
        Some(piece) if set_stock(&store, &piece.sku).await? => piece.clone(),
        _ => {
            store
                .seed(&bench_content()?)
                .await
                .context("could not write the bench piece")?;
            if !set_stock(&store, BENCH_SKU).await? {
                return Err(anyhow!(
                    "{} already has a catalogue without {BENCH_SKU}{}: pass an empty database \
                     with --db-limit-url",
                    maison_store::redact_url(url),
                    preferred.map_or(String::new(), |p| format!(" or {}", p.sku))
                ));
            }
            bench_piece()
        }
    };
    let durability = durability(&store).await;
    Ok(LimitDb {
        store,
        piece,
        durability,
    })
}

/// Puts `STOCK` on hand; false when the SKU does not exist in this database.
async fn set_stock(store: &Store, sku: &str) -> Result<bool> {
    let sku = Sku::parse(sku).map_err(|e| anyhow!("{e}"))?;
    match store.set_stock(&sku, STOCK).await {
        Ok(()) => Ok(true),
        Err(StoreError::NotFound { .. }) => Ok(false),
        Err(err) => Err(anyhow!("could not set the stock of {sku}: {err}")),
    }
}

/// What makes a commit durable here, as the database reports it.
async fn durability(store: &Store) -> String {
    let read = async {
        match store.backend() {
            Backend::Sqlite => {
                let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                    .fetch_one(store.pool())
                    .await?;
                let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                    .fetch_one(store.pool())
                    .await?;
                let sync = match sync {
                    0 => "OFF",
                    1 => "NORMAL",
                    2 => "FULL",
                    3 => "EXTRA",
                    _ => "?",
                };
                Ok::<_, sqlx::Error>(format!("SQLite journal_mode={mode}, synchronous={sync}"))
            }
            Backend::Postgres => {
                let commit: String = sqlx::query_scalar("SHOW synchronous_commit")
                    .fetch_one(store.pool())
                    .await?;
                let fsync: String = sqlx::query_scalar("SHOW fsync")
                    .fetch_one(store.pool())
                    .await?;
                Ok(format!(
                    "PostgreSQL synchronous_commit={commit}, fsync={fsync}"
                ))
            }
        }
    };
    match read.await {
        Ok(text) => text,
        Err(err) => format!("unknown ({err})"),
    }
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

fn event(at: i64, status: OrderStatus, note: &str) -> OrderEvent {
    OrderEvent {
        at,
        status,
        note: note.into(),
        actor: "system".into(),
    }
}

/// The order of phase 1, shaped like the server's for the checkout body of
/// the HTTP scenario: one line of `piece`, one timeline event.
pub fn order_row(id: &str, piece: &Piece, now: i64) -> Order {
    Order {
        id: id.to_owned(),
        number: id.to_ascii_uppercase(),
        status: OrderStatus::PendingPayment,
        channel: "online".into(),
        email: "claire@example.com".into(),
        first_name: "Claire".into(),
        last_name: "Dubois".into(),
        phone: "212-555-0147".into(),
        delivery: OrderDelivery {
            destination: Destination::Home(Address {
                line1: "10 Park Avenue".into(),
                line2: None,
                city: "New York".into(),
                region: "NY".into(),
                postal_code: "10016".into(),
                country: Country::UnitedStates,
                company: None,
            }),
            carrier: Carrier::Fedex,
            estimate: Some(Estimate {
                min_business_days: 2,
                max_business_days: 4,
            }),
        },
        subtotal: piece.price,
        total: piece.price,
        payment: Payment::Card(CardOnFile {
            brand: CardBrand::Visa,
            last4: "4242".into(),
            exp_month: 12,
            exp_year: 2031,
            holder_name: "CLAIRE DUBOIS".into(),
            token: None,
        }),
        final_sale_accepted: false,
        bag_id: None,
        account_id: None,
        created_at: now,
        lines: vec![OrderLine {
            sku: piece.sku.clone(),
            product_sku: piece.product_sku.clone(),
            name: piece.name.clone(),
            size: None,
            quantity: 1,
            unit_price: piece.price,
            personalisation: None,
            final_sale: false,
        }],
        timeline: vec![event(now, OrderStatus::PendingPayment, "Order received.")],
        assisted: None,
    }
}

/// One of the two messages of phase 3, with a small body.
pub fn message(order_id: &str, kind: &str) -> OutboxMessage {
    OutboxMessage {
        id: format!("{order_id}-{kind}"),
        kind: kind.into(),
        channel: "email".into(),
        order_id: Some(order_id.into()),
        recipient: "claire@example.com".into(),
        subject: format!("Your order {order_id}: {kind}"),
        text_body: format!("Dear Claire Dubois,\n\nthis is the {kind} of order {order_id}.\n"),
        html_body: format!(
            "<p>Dear Claire Dubois,</p><p>this is the {kind} of order {order_id}.</p>"
        ),
        status: "pending".into(),
        attempts: 0,
        last_error: None,
    }
}

/// Why an order of the measurement failed, and how many of its two
/// transactions had committed.
struct Failed {
    commits: u64,
    error: anyhow::Error,
}

fn failed(commits: u64) -> impl Fn(StoreError) -> Failed {
    move |err| Failed {
        commits,
        error: anyhow!("{err}"),
    }
}

/// The two transactions of one order.
async fn one_order(store: &Store, piece: &Piece, id: &str) -> Result<(), Failed> {
    let now = now_micros();
    let order = order_row(id, piece, now);
    let attempt_id = format!("{id}-auth");

    let mut tx = store.begin_write().await.map_err(failed(0))?;
    if stock::reserve(&mut tx, &piece.sku, 1)
        .await
        .map_err(failed(0))?
        .is_none()
    {
        return Err(Failed {
            commits: 0,
            error: anyhow!("{} is out of stock", piece.sku),
        });
    }
    orders::insert(&mut tx, &order).await.map_err(failed(0))?;
    payments::insert_attempt(
        &mut tx,
        &PaymentAttempt {
            id: attempt_id.clone(),
            order_id: id.to_owned(),
            operation: "authorise".into(),
            amount: order.total,
            status: "pending".into(),
            processor: "simulator".into(),
            processor_ref: None,
            decline_code: None,
            created_at: now,
        },
    )
    .await
    .map_err(failed(0))?;
    tx.commit()
        .await
        .map_err(|e| failed(0)(StoreError::from(e)))?;

    let now = now_micros();
    let mut tx = store.begin_write().await.map_err(failed(1))?;
    let resolved = payments::resolve_attempt(
        &mut tx,
        &attempt_id,
        "succeeded",
        Some("bench-ref"),
        None,
        now,
    )
    .await
    .map_err(failed(1))?;
    orders::set_card_token(&mut tx, id, "tok_bench")
        .await
        .map_err(failed(1))?;
    let placed = orders::move_status(
        &mut tx,
        id,
        OrderStatus::PendingPayment,
        OrderStatus::Placed,
        &event(now, OrderStatus::Placed, "We have received your order."),
    )
    .await
    .map_err(failed(1))?
    .is_some();
    let confirmed = orders::move_status(
        &mut tx,
        id,
        OrderStatus::Placed,
        OrderStatus::Confirmed,
        &event(
            now,
            OrderStatus::Confirmed,
            "Payment secured and creations reserved.",
        ),
    )
    .await
    .map_err(failed(1))?
    .is_some();
    if !(resolved && placed && confirmed) {
        return Err(Failed {
            commits: 1,
            error: anyhow!("order {id} did not move as expected"),
        });
    }
    for kind in ["acknowledgement", "confirmation"] {
        outbox::enqueue(&mut tx, &message(id, kind), now)
            .await
            .map_err(failed(1))?;
    }
    tx.commit()
        .await
        .map_err(|e| failed(1)(StoreError::from(e)))?;
    Ok(())
}

/// What one task (then, merged, one run) committed.
#[derive(Debug, Default)]
pub struct LimitTally {
    /// Per order, µs of its two transactions.
    pub order_us: Vec<u32>,
    pub orders: u64,
    /// Committed transactions (two per order, plus phase 1 of a failed phase 3).
    pub commits: u64,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl LimitTally {
    fn merge(&mut self, other: LimitTally) {
        self.order_us.extend_from_slice(&other.order_us);
        self.orders += other.orders;
        self.commits += other.commits;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

#[derive(Debug)]
pub struct LimitOutcome {
    pub tally: LimitTally,
    pub elapsed: Duration,
}

async fn limit_worker(
    store: Store,
    piece: Arc<Piece>,
    prefix: Arc<str>,
    task: u64,
    deadline: Instant,
) -> LimitTally {
    let mut tally = LimitTally::default();
    let mut n: u64 = 0;
    while Instant::now() < deadline {
        n += 1;
        let id = format!("{prefix}-{task}-{n}");
        let start = Instant::now();
        match timeout(REQUEST_TIMEOUT, one_order(&store, &piece, &id)).await {
            Ok(Ok(())) => {
                tally.order_us.push(micros(start.elapsed()));
                tally.orders += 1;
                tally.commits += 2;
            }
            Ok(Err(failed)) => {
                tally.commits += failed.commits;
                tally.errors += 1;
                if tally.first_error.is_none() {
                    tally.first_error = Some(format!("{:#}", failed.error));
                }
            }
            Err(_) => {
                tally.errors += 1;
                if tally.first_error.is_none() {
                    tally.first_error =
                        Some(format!("an order took longer than {REQUEST_TIMEOUT:?}"));
                }
            }
        }
    }
    tally
}

/// `tasks` tasks each placing orders back to back for `duration`. `label`
/// makes the order ids of this run unique in the database.
pub async fn measure(
    db: &LimitDb,
    tasks: u64,
    duration: Duration,
    label: &str,
) -> Result<LimitOutcome> {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let prefix: Arc<str> = format!("bench-{}-{nanos:x}-{label}", std::process::id()).into();
    let piece = Arc::new(db.piece.clone());
    let start = Instant::now();
    let deadline = start + duration;
    let mut set = JoinSet::new();
    for task in 0..tasks {
        set.spawn(limit_worker(
            db.store.clone(),
            Arc::clone(&piece),
            Arc::clone(&prefix),
            task,
            deadline,
        ));
    }
    let mut tally = LimitTally::default();
    while let Some(joined) = set.join_next().await {
        tally.merge(joined.context("a database task panicked")?);
    }
    Ok(LimitOutcome {
        tally,
        elapsed: start.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bench_content_is_one_online_piece_in_stock() {
        let content = bench_content().expect("content");
        assert_eq!(content.creations.len(), 1);
        let c = &content.creations[0];
        assert_eq!(c.sku.as_str(), BENCH_SKU);
        assert_eq!(c.sale_mode, SaleMode::Online);
        assert_eq!(c.variants.len(), 1);
        assert_eq!(c.variants[0].on_hand, STOCK);
        assert_eq!(c.category, content.categories[0].slug);
    }

    #[test]
    fn the_order_has_one_line_and_one_event() {
        let piece = bench_piece();
        let order = order_row("bench-1-0-7", &piece, 42);
        assert_eq!(order.status, OrderStatus::PendingPayment);
        assert_eq!(order.lines.len(), 1);
        assert_eq!(order.lines[0].sku, BENCH_SKU);
        assert_eq!(order.lines[0].quantity, 1);
        assert_eq!(order.timeline.len(), 1);
        assert_eq!(order.total, Money::usd_dollars(1_250));
        assert_eq!(order.number, "BENCH-1-0-7");
        let m = message("bench-1-0-7", "confirmation");
        assert_eq!(m.id, "bench-1-0-7-confirmation");
        assert!(m.html_body.len() < 200);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn orders_commit_twice_each_on_a_fresh_sqlite_file() {
        let tmp = crate::procs::TempDir::create().expect("temp dir");
        let url = format!("sqlite://{}", tmp.path().join("limit.db").display());
        let db = prepare(&url, false, None).await.expect("prepared");
        assert_eq!(db.piece.sku, BENCH_SKU);
        assert!(
            db.durability.contains("synchronous=FULL"),
            "{}",
            db.durability
        );
        assert!(db.durability.contains("wal"), "{}", db.durability);
        let out = measure(&db, 2, Duration::from_millis(300), "t")
            .await
            .expect("measured");
        let t = &out.tally;
        assert!(t.orders > 0);
        assert_eq!(
            (t.errors, t.commits),
            (0, 2 * t.orders),
            "{:?}",
            t.first_error
        );
        let left = db.store.on_hand(BENCH_SKU).await.expect("stock");
        assert_eq!(u64::from(STOCK - left), t.orders);
        // Preparing again keeps the piece and puts the stock back.
        let again = prepare(&url, true, Some(&db.piece)).await.expect("again");
        assert_eq!(again.piece, db.piece);
        assert_eq!(again.store.on_hand(BENCH_SKU).await.expect("stock"), STOCK);
        db.store.close().await;
        again.store.close().await;
    }
}
