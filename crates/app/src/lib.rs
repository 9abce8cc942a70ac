//! Use cases: the only place where the domain, the store and (later) payments
//! and notifications meet. Handlers in `web` and commands in `maison` call these.

pub mod accounts;
pub mod actor;
mod addresses;
pub mod assisted;
mod authorisation;
pub mod bag;
mod capture;
pub mod carriers;
pub mod catalogue;
pub mod checkout;
pub mod clock;
pub mod console_auth;
pub mod console_queries;
pub mod delivery;
pub mod documents;
pub mod error;
pub mod form_tokens;
mod history;
pub mod information;
mod input;
pub mod links;
pub mod lookup;
pub mod order_changes;
pub mod order_desk;
mod order_input;
pub mod order_search;
pub mod outbox;
mod password_reset;
pub mod passwords;
pub mod pickups;
pub mod quotes;
pub mod receipts;
pub mod reconcile;
mod recovery;
pub mod refunds;
mod renewal;
pub mod requests;
pub mod returns;
pub mod shipments;
pub mod staff;
pub mod tracking;
pub mod webhooks;

pub use catalogue::{Catalogue, CatalogueCache, CatalogueError, Cursor, Filter, Page};
pub use error::ShopError;
pub use maison_domain::order::{Order, OrderEvent};
pub use maison_payments::{FaultRates, PaymentGateway, Simulator};

use std::sync::Arc;

use maison_domain::policy::{ClientRelations, Policies};
use maison_store::{Store, StoreError};

/// The maison's time zone unless configured (`time_zone`).
pub const DEFAULT_TIME_ZONE: &str = "America/New_York";

/// The running maison: its database, its catalogue snapshot, its policies and
/// how clients reach Client Relations. One per process, shared by all requests.
pub struct Maison {
    store: Store,
    catalogue: CatalogueCache,
    gateway: Arc<dyn PaymentGateway>,
    /// Signs the order links in e-mails; the same in every instance.
    link_key: Vec<u8>,
    /// The address clients reach the storefront at, for links in e-mails.
    pub public_url: String,
    pub client_relations: ClientRelations,
    pub policies: Policies,
    /// Where the maison is: clients read every time in this zone.
    pub time_zone: jiff::tz::TimeZone,
    /// Whether Client Relations place orders for clients here (telephone and
    /// boutique orders, cash and wire, documents by fax or e-mail): the
    /// console and the staff API do, so the help page says so. A maison that
    /// does not take them sets this to false, and the page promises only what
    /// it really offers.
    pub assisted_orders: bool,
    /// The one clock of every use case and background job.
    clock: Arc<dyn clock::Clock>,
    /// The carriers orders ship with, and their webhook secrets.
    carriers: carriers::Carriers,
}

impl Maison {
    /// Opens the maison on a migrated database, loading the catalogue.
    pub async fn open(
        store: Store,
        gateway: Arc<dyn PaymentGateway>,
        client_relations: ClientRelations,
        policies: Policies,
    ) -> Result<Self, StoreError> {
        let catalogue = CatalogueCache::load(store.clone()).await?;
        let candidate = format!("{}{}", clock::new_id(), clock::new_id()).replace('-', "");
        let link_key = store
            .shared_secret("order_links", &candidate)
            .await?
            .into_bytes();
        Ok(Maison {
            store,
            catalogue,
            gateway,
            link_key,
            public_url: "http://127.0.0.1:8080".into(),
            client_relations,
            policies,
            time_zone: clock::time_zone(DEFAULT_TIME_ZONE).unwrap_or(jiff::tz::TimeZone::UTC),
            assisted_orders: true,
            clock: Arc::new(clock::SystemClock),
            carriers: carriers::Carriers::default(),
        })
    }

    /// Replaces the clock (tests set the time instead of waiting).
    pub fn set_clock(&mut self, clock: Arc<dyn clock::Clock>) {
        self.clock = clock;
    }

    /// Now, by the maison's clock, in microseconds since the Unix epoch.
    pub fn now(&self) -> i64 {
        self.clock.now_micros()
    }

    /// A stored time as clients read it: "December 2, 2026, 1:05 pm EST".
    pub fn local_time(&self, micros: i64) -> String {
        clock::local_time(micros, &self.time_zone)
    }

    /// The catalogue as it is now; cheap, and never waits on the database.
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.catalogue.current()
    }

    /// Picks up changes made by other instances or operators' commands.
    pub async fn refresh_catalogue(&self) -> Result<bool, StoreError> {
        self.catalogue.refresh().await
    }

    /// Whether the database answers.
    pub async fn ready(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }

    /// Closes the database pool (at shutdown, after the last request).
    pub async fn close(&self) {
        self.store.close().await;
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }
}
