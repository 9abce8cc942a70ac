//! The demo maison that `maison serve` seeds into an empty database: content,
//! kept out of the use cases. Its own tests check that it exercises every rule
//! of the seed (sizes, stock, sale modes, personalisation, boutiques).

mod content;

pub use content::{boutiques, categories, collections, creations};

use maison_store::{DemoContent, Store, StoreError};

/// Seeds the demo maison into an empty catalogue. Returns whether it wrote
/// anything (a catalogue that has creations is left as it is).
pub async fn seed(store: &Store) -> Result<bool, StoreError> {
    store
        .seed(&DemoContent {
            categories: categories(),
            collections: collections(),
            creations: creations(),
            boutiques: boutiques(),
        })
        .await
}
