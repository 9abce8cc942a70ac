//! Use cases: the only place where the domain, the store and (later) payments
//! and notifications meet. Handlers in `web` and commands in `maison` call these.

pub mod accounts;
pub mod bag;
pub mod catalogue;
pub mod checkout;
pub mod clock;
pub mod demo;
pub mod documents;
pub mod error;
pub mod form_tokens;
pub mod links;
pub mod lookup;
pub mod outbox;
pub mod passwords;

pub use catalogue::{Catalogue, CatalogueCache, CatalogueError, Cursor, Filter, Page};
pub use error::ShopError;
pub use maison_payments::{PaymentGateway, Simulator};
pub use maison_store::orders::OrderRow;

use std::sync::Arc;

use maison_domain::policy::{ClientRelations, Policies};
use maison_store::DemoContent;
pub use maison_store::{Backend, Store, StoreError};

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
        })
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

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// Seeds the demo maison into an empty catalogue. Returns whether it wrote
/// anything (a catalogue that has creations is left as it is).
pub async fn seed_demo(store: &Store) -> Result<bool, StoreError> {
    store
        .seed(&DemoContent {
            categories: demo::categories(),
            collections: demo::collections(),
            creations: demo::creations(),
            boutiques: demo::boutiques(),
        })
        .await
}
