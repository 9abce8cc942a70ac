//! The catalogue as the storefront and the API read it: an immutable snapshot
//! held in memory and replaced when the database's catalogue revision changes,
//! so that a page or an API listing costs no query.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use maison_domain::boutique::{self, Boutique, Coordinates};
use maison_domain::catalog::{Creation, Grouping};
use maison_domain::{Sku, Slug};
use maison_store::{CatalogueData, Store, StoreError};

/// Refusals of catalogue queries, each tied to the input at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("there is no category {0:?}")]
    UnknownCategory(String),
    #[error("there is no collection {0:?}")]
    UnknownCollection(String),
    #[error("the cursor is not one this catalogue gave: start again from the first page")]
    MalformedCursor,
}

/// Which creations a listing shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub category: Option<Slug>,
    pub collection: Option<Slug>,
}

/// Where the next page starts: after the creation with this SKU, which stood at
/// this index (used if the creation has since been removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    index: usize,
    sku: String,
}

impl Cursor {
    /// An opaque token: hex of `index:SKU`.
    pub fn encode(&self) -> String {
        format!("{}:{}", self.index, self.sku)
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn decode(token: &str) -> Result<Self, CatalogueError> {
        let bad = || CatalogueError::MalformedCursor;
        if !token.len().is_multiple_of(2) || token.len() > 200 {
            return Err(bad());
        }
        let bytes = (0..token.len())
            .step_by(2)
            .map(|i| {
                token
                    .get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()
            .ok_or_else(bad)?;
        let text = String::from_utf8(bytes).map_err(|_| bad())?;
        let (index, sku) = text.split_once(':').ok_or_else(bad)?;
        let index = index.parse().map_err(|_| bad())?;
        let sku = Sku::parse(sku).map_err(|_| bad())?;
        Ok(Cursor {
            index,
            sku: sku.as_str().to_owned(),
        })
    }
}

/// One page of a listing.
#[derive(Debug)]
pub struct Page<'a> {
    pub items: Vec<&'a Creation>,
    pub next: Option<Cursor>,
}

/// The catalogue and boutique directory at one revision.
#[derive(Debug, Default)]
pub struct Catalogue {
    pub revision: i64,
    pub categories: Vec<Grouping>,
    pub collections: Vec<Grouping>,
    pub creations: Vec<Creation>,
    pub boutiques: Vec<Boutique>,
    by_sku: HashMap<String, usize>,
    by_slug: HashMap<String, usize>,
}

impl Catalogue {
    pub fn new(data: CatalogueData) -> Self {
        let by_sku = data
            .creations
            .iter()
            .enumerate()
            .map(|(i, c)| (c.sku.as_str().to_owned(), i))
            .collect();
        let by_slug = data
            .creations
            .iter()
            .enumerate()
            .map(|(i, c)| (c.slug.as_str().to_owned(), i))
            .collect();
        Catalogue {
            revision: data.revision,
            categories: data.categories,
            collections: data.collections,
            creations: data.creations,
            boutiques: data.boutiques,
            by_sku,
            by_slug,
        }
    }

    /// A creation by its SKU (any case).
    pub fn creation(&self, sku: &str) -> Option<&Creation> {
        let sku = Sku::parse(sku).ok()?;
        self.by_sku.get(sku.as_str()).map(|&i| &self.creations[i])
    }

    pub fn creation_by_slug(&self, slug: &str) -> Option<&Creation> {
        self.by_slug.get(slug).map(|&i| &self.creations[i])
    }

    pub fn category(&self, slug: &str) -> Option<&Grouping> {
        self.categories.iter().find(|g| g.slug.as_str() == slug)
    }

    pub fn collection(&self, slug: &str) -> Option<&Grouping> {
        self.collections.iter().find(|g| g.slug.as_str() == slug)
    }

    /// Parses a category filter, refusing one the catalogue does not have.
    pub fn category_filter(&self, text: &str) -> Result<Slug, CatalogueError> {
        Slug::parse(text)
            .ok()
            .filter(|s| self.category(s.as_str()).is_some())
            .ok_or_else(|| CatalogueError::UnknownCategory(text.chars().take(80).collect()))
    }

    pub fn collection_filter(&self, text: &str) -> Result<Slug, CatalogueError> {
        Slug::parse(text)
            .ok()
            .filter(|s| self.collection(s.as_str()).is_some())
            .ok_or_else(|| CatalogueError::UnknownCollection(text.chars().take(80).collect()))
    }

    /// Creations matching `filter`, in catalogue order.
    pub fn matching<'s, 'f>(
        &'s self,
        filter: &'f Filter,
    ) -> impl Iterator<Item = (usize, &'s Creation)> + use<'s, 'f> {
        self.creations.iter().enumerate().filter(move |(_, c)| {
            filter.category.as_ref().is_none_or(|s| &c.category == s)
                && filter
                    .collection
                    .as_ref()
                    .is_none_or(|s| c.collection.as_ref() == Some(s))
        })
    }

    /// Up to `limit` creations matching `filter`, after `cursor`.
    pub fn page<'a>(&'a self, filter: &Filter, cursor: Option<&Cursor>, limit: usize) -> Page<'a> {
        let start = match cursor {
            None => 0,
            Some(c) => match self.by_sku.get(&c.sku) {
                Some(&i) => i + 1,
                // Removed since: what followed it has moved up into its place.
                None => c.index,
            },
        };
        let mut items: Vec<(usize, &Creation)> = self
            .matching(filter)
            .filter(|(i, _)| *i >= start)
            .take(limit + 1)
            .collect();
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|(i, c)| Cursor {
                index: *i,
                sku: c.sku.as_str().to_owned(),
            })
        } else {
            None
        };
        Page {
            items: items.into_iter().map(|(_, c)| c).collect(),
            next,
        }
    }

    pub fn boutique(&self, id: &str) -> Option<&Boutique> {
        self.boutiques.iter().find(|b| b.id == id)
    }

    /// Boutiques matching `query` (all when empty); nearest first, with their
    /// distance in kilometres, when `near` is given.
    pub fn find_boutiques(
        &self,
        query: &str,
        near: Option<Coordinates>,
    ) -> Vec<(&Boutique, Option<f64>)> {
        let matches = boutique::search(&self.boutiques, query);
        match near {
            None => matches.into_iter().map(|b| (b, None)).collect(),
            Some(point) => boutique::nearest(matches, point)
                .into_iter()
                .map(|(b, km)| (b, Some(km)))
                .collect(),
        }
    }
}

/// The current catalogue snapshot, shared by every request of this instance.
pub struct CatalogueCache {
    store: Store,
    current: RwLock<Arc<Catalogue>>,
}

impl CatalogueCache {
    pub async fn load(store: Store) -> Result<Self, StoreError> {
        let catalogue = Catalogue::new(store.load_catalogue().await?);
        Ok(CatalogueCache {
            store,
            current: RwLock::new(Arc::new(catalogue)),
        })
    }

    pub fn current(&self) -> Arc<Catalogue> {
        match self.current.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Reloads the snapshot if the database's revision moved (a change by this
    /// instance, another instance, or an operator's command). Returns whether it
    /// reloaded.
    pub async fn refresh(&self) -> Result<bool, StoreError> {
        let revision = self.store.catalog_revision().await?;
        if revision == self.current().revision {
            return Ok(false);
        }
        let catalogue = Arc::new(Catalogue::new(self.store.load_catalogue().await?));
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        *guard = catalogue;
        Ok(true)
    }
}

impl crate::Maison {
    /// Sets the quantity on hand of a SKU (a size's, or a creation's without
    /// sizes), audited; the catalogue snapshot follows at once.
    pub async fn set_stock(
        &self,
        actor: &crate::actor::Actor,
        sku: &Sku,
        on_hand: u32,
    ) -> Result<(), crate::ShopError> {
        actor.may_operate(crate::actor::Action::ManageCatalogue)?;
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        maison_store::set_stock_in(&mut tx, sku, on_hand).await?;
        let subject = format!("sku:{sku}");
        let details = serde_json::json!({"on_hand": on_hand});
        maison_store::audit::record(&mut tx, &actor.audit(now, "stock.set", &subject, details))
            .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.refresh_catalogue().await?;
        Ok(())
    }

    /// Shows a creation as "temporarily unavailable" whatever its stock, or
    /// lifts the flag; audited.
    pub async fn set_unavailable(
        &self,
        actor: &crate::actor::Actor,
        product: &Sku,
        flagged: bool,
    ) -> Result<(), crate::ShopError> {
        actor.may_operate(crate::actor::Action::ManageCatalogue)?;
        let now = self.now();
        let mut tx = self.store().begin_write().await?;
        maison_store::set_flagged_unavailable_in(&mut tx, product, flagged).await?;
        let subject = format!("product:{product}");
        let details = serde_json::json!({"temporarily_unavailable": flagged});
        maison_store::audit::record(
            &mut tx,
            &actor.audit(now, "product.unavailable", &subject, details),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.refresh_catalogue().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo() -> Catalogue {
        Catalogue::new(CatalogueData {
            revision: 1,
            categories: maison_demo::categories(),
            collections: maison_demo::collections(),
            creations: maison_demo::creations(),
            boutiques: maison_demo::boutiques(),
        })
    }

    #[test]
    fn pages_walk_the_whole_listing_once_in_order() {
        let catalogue = demo();
        let filter = Filter::default();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = catalogue.page(&filter, cursor.as_ref(), 7);
            assert!(page.items.len() <= 7);
            seen.extend(page.items.iter().map(|c| c.sku.clone()));
            match page.next {
                Some(next) => cursor = Some(Cursor::decode(&next.encode()).expect("round trip")),
                None => break,
            }
        }
        let all: Vec<_> = catalogue.creations.iter().map(|c| c.sku.clone()).collect();
        assert_eq!(seen, all);
    }

    #[test]
    fn a_category_filter_keeps_only_that_category() {
        let catalogue = demo();
        let rings = catalogue.category_filter("rings").expect("demo has rings");
        let filter = Filter {
            category: Some(rings.clone()),
            collection: None,
        };
        let page = catalogue.page(&filter, None, 100);
        assert!(!page.items.is_empty());
        assert!(page.items.iter().all(|c| c.category == rings));
        assert!(page.next.is_none());
    }

    #[test]
    fn unknown_filters_are_refused_by_name() {
        let catalogue = demo();
        assert_eq!(
            catalogue.category_filter("spaceships"),
            Err(CatalogueError::UnknownCategory("spaceships".into()))
        );
        assert!(catalogue.collection_filter("../etc").is_err());
    }

    #[test]
    fn malformed_cursors_are_refused() {
        for bad in ["", "zz", "abc", "00ff", &"41".repeat(150), "3a41"] {
            assert_eq!(
                Cursor::decode(bad),
                Err(CatalogueError::MalformedCursor),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_cursor_survives_the_removal_of_its_creation() {
        let mut catalogue = demo();
        let first = catalogue.page(&Filter::default(), None, 3);
        let cursor = first.next.expect("more than 3 creations");
        let expected_next = catalogue.creations[3].sku.clone();
        // The third creation is removed between two pages.
        let mut data_creations = std::mem::take(&mut catalogue.creations);
        data_creations.remove(2);
        let catalogue = Catalogue::new(CatalogueData {
            creations: data_creations,
            ..CatalogueData::default()
        });
        let page = catalogue.page(&Filter::default(), Some(&cursor), 3);
        // The next page starts where it would have: nothing skipped.
        assert_eq!(page.items[0].sku, expected_next);
    }

    #[test]
    fn creations_are_found_by_sku_in_any_case_and_by_slug() {
        let catalogue = demo();
        let first = &catalogue.creations[0];
        let lower = first.sku.as_str().to_ascii_lowercase();
        assert_eq!(catalogue.creation(&lower).map(|c| &c.sku), Some(&first.sku));
        assert_eq!(
            catalogue
                .creation_by_slug(first.slug.as_str())
                .map(|c| &c.sku),
            Some(&first.sku)
        );
        assert!(catalogue.creation("NOT A SKU").is_none());
    }
}
