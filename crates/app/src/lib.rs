//! Use cases: the only place where the domain, the store and (later) payments
//! and notifications meet. Handlers in `web` and commands in `maison` call these.

pub mod catalogue;
pub mod demo;

pub use catalogue::{Catalogue, CatalogueCache, CatalogueError, Cursor, Filter, Page};

use std::sync::Arc;

use maison_domain::policy::{ClientRelations, Policies};
use maison_store::DemoContent;
pub use maison_store::{Backend, Store, StoreError};

/// The running maison: its database, its catalogue snapshot, its policies and
/// how clients reach Client Relations. One per process, shared by all requests.
pub struct Maison {
    store: Store,
    catalogue: CatalogueCache,
    pub client_relations: ClientRelations,
    pub policies: Policies,
}

impl Maison {
    /// Opens the maison on a migrated database, loading the catalogue.
    pub async fn open(
        store: Store,
        client_relations: ClientRelations,
        policies: Policies,
    ) -> Result<Self, StoreError> {
        let catalogue = CatalogueCache::load(store.clone()).await?;
        Ok(Maison {
            store,
            catalogue,
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
