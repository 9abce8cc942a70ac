//! Use cases: the only place where the domain, the store and (later) payments
//! and notifications meet. Handlers in `web` and commands in `maison` call these.

pub mod catalogue;
pub mod demo;

pub use catalogue::{Catalogue, CatalogueCache, CatalogueError, Cursor, Filter, Page};

use maison_store::{DemoContent, Store, StoreError};

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
