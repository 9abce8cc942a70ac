//! The catalogue (categories, collections, creations, sizes, stock,
//! personalisation) and the boutique directory.
//!
//! Every change to what the catalogue shows bumps `catalog_revision` in the same
//! transaction, so that each running instance notices it with one cheap read.

use sqlx::Row;
use sqlx::any::AnyRow;

use maison_domain::address::{Address, Country};
use maison_domain::boutique::{Boutique, Coordinates};
use maison_domain::catalog::{Creation, Grouping, PersonalisationOption, SaleMode, Variant};
use maison_domain::{Currency, Money, Sku, Slug};

use crate::{Result, Store, StoreError, Tx};

/// Everything the storefront shows of the catalogue, at one revision.
#[derive(Debug, Clone, Default)]
pub struct CatalogueData {
    pub revision: i64,
    pub categories: Vec<Grouping>,
    pub collections: Vec<Grouping>,
    pub creations: Vec<Creation>,
    pub boutiques: Vec<Boutique>,
}

/// What `seed` writes into an empty catalogue.
#[derive(Debug, Clone, Default)]
pub struct DemoContent {
    pub categories: Vec<Grouping>,
    pub collections: Vec<Grouping>,
    pub creations: Vec<Creation>,
    pub boutiques: Vec<Boutique>,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn sku(text: String) -> Result<Sku> {
    Sku::parse(&text).map_err(corrupt)
}

fn slug(text: String) -> Result<Slug> {
    Slug::parse(&text).map_err(corrupt)
}

fn count(value: i64, what: &str) -> Result<u32> {
    u32::try_from(value).map_err(|_| corrupt(format!("{what} = {value}")))
}

fn small(value: i64, what: &str) -> Result<u8> {
    u8::try_from(value).map_err(|_| corrupt(format!("{what} = {value}")))
}

impl Store {
    /// The revision of the catalogue: it changes whenever what it shows changes.
    pub async fn catalog_revision(&self) -> Result<i64> {
        let revision: i64 =
            sqlx::query_scalar("SELECT revision FROM catalog_revision WHERE id = 1")
                .fetch_one(self.pool())
                .await?;
        Ok(revision)
    }

    /// Whether no creation has been entered yet (a new maison).
    pub async fn catalogue_is_empty(&self) -> Result<bool> {
        let products: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products")
            .fetch_one(self.pool())
            .await?;
        Ok(products == 0)
    }

    /// The whole catalogue and directory, read in one transaction so that they
    /// belong to one revision.
    pub async fn load_catalogue(&self) -> Result<CatalogueData> {
        let mut tx = self.pool().begin().await?;
        let revision: i64 =
            sqlx::query_scalar("SELECT revision FROM catalog_revision WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
        let categories = groupings(
            sqlx::query("SELECT slug, name, description FROM categories ORDER BY position, slug")
                .fetch_all(&mut *tx)
                .await?,
        )?;
        let collections = groupings(
            sqlx::query("SELECT slug, name, description FROM collections ORDER BY position, slug")
                .fetch_all(&mut *tx)
                .await?,
        )?;

        let variant_rows = sqlx::query(
            "SELECT v.product_sku, v.sku, v.size, COALESCE(s.on_hand, 0) AS on_hand \
             FROM variants v LEFT JOIN stock_levels s ON s.sku = v.sku \
             ORDER BY v.product_sku, v.position, v.sku",
        )
        .fetch_all(&mut *tx)
        .await?;
        let option_rows = sqlx::query(
            "SELECT product_sku, kind, max_lines, max_characters FROM personalisation_options \
             ORDER BY product_sku, kind",
        )
        .fetch_all(&mut *tx)
        .await?;
        let product_rows = sqlx::query(
            "SELECT sku, slug, name, category, collection, description, materials, sale_mode, \
             price_minor, currency, flagged_unavailable FROM products ORDER BY position, sku",
        )
        .fetch_all(&mut *tx)
        .await?;
        let boutique_rows = sqlx::query(
            "SELECT id, name, line1, line2, city, region, postal_code, country, phone, hours, \
             latitude, longitude, accepts_pickup FROM boutiques ORDER BY position, id",
        )
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;

        let mut creations = Vec::with_capacity(product_rows.len());
        for row in product_rows {
            creations.push(creation_from_row(&row)?);
        }
        let index: std::collections::HashMap<String, usize> = creations
            .iter()
            .enumerate()
            .map(|(i, c)| (c.sku.as_str().to_owned(), i))
            .collect();
        for row in variant_rows {
            let product: String = row.try_get("product_sku")?;
            let Some(&i) = index.get(&product) else {
                continue;
            };
            creations[i].variants.push(Variant {
                sku: sku(row.try_get("sku")?)?,
                size: row.try_get("size")?,
                on_hand: count(row.try_get("on_hand")?, "on_hand")?,
            });
        }
        for row in option_rows {
            let product: String = row.try_get("product_sku")?;
            let Some(&i) = index.get(&product) else {
                continue;
            };
            let kind: String = row.try_get("kind")?;
            let max_lines = small(row.try_get("max_lines")?, "max_lines")?;
            let max_characters = small(row.try_get("max_characters")?, "max_characters")?;
            creations[i].personalisation.push(match kind.as_str() {
                "engraving" => PersonalisationOption::Engraving {
                    max_lines,
                    max_characters_per_line: max_characters,
                },
                "embossing" => PersonalisationOption::Embossing {
                    max_initials: max_characters,
                },
                other => return Err(corrupt(format!("personalisation kind {other:?}"))),
            });
        }
        let mut boutiques = Vec::with_capacity(boutique_rows.len());
        for row in boutique_rows {
            boutiques.push(boutique_from_row(&row)?);
        }
        Ok(CatalogueData {
            revision,
            categories,
            collections,
            creations,
            boutiques,
        })
    }

    /// Sets the quantity on hand of one size (an operator's count).
    pub async fn set_stock(&self, variant: &Sku, on_hand: u32) -> Result<()> {
        let mut tx = self.begin_write().await?;
        set_stock_in(&mut tx, variant, on_hand).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Flags a creation "temporarily unavailable" (or lifts the flag).
    pub async fn set_flagged_unavailable(&self, product: &Sku, flagged: bool) -> Result<()> {
        let mut tx = self.begin_write().await?;
        set_flagged_unavailable_in(&mut tx, product, flagged).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes `content` into the catalogue in one transaction, unless a creation
    /// already exists. Returns whether anything was written.
    pub async fn seed(&self, content: &DemoContent) -> Result<bool> {
        let mut tx = self.begin_write().await?;
        let products: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM products")
            .fetch_one(&mut *tx)
            .await?;
        if products > 0 {
            return Ok(false);
        }
        for (position, g) in content.categories.iter().enumerate() {
            sqlx::query(
                "INSERT INTO categories (slug, name, description, position) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (slug) DO NOTHING",
            )
            .bind(g.slug.as_str())
            .bind(g.name.as_str())
            .bind(g.description.as_str())
            .bind(position as i64)
            .execute(&mut *tx)
            .await?;
        }
        for (position, g) in content.collections.iter().enumerate() {
            sqlx::query(
                "INSERT INTO collections (slug, name, description, position) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (slug) DO NOTHING",
            )
            .bind(g.slug.as_str())
            .bind(g.name.as_str())
            .bind(g.description.as_str())
            .bind(position as i64)
            .execute(&mut *tx)
            .await?;
        }
        for (position, c) in content.creations.iter().enumerate() {
            insert_creation(&mut tx, c, position as i64).await?;
        }
        for (position, b) in content.boutiques.iter().enumerate() {
            insert_boutique(&mut tx, b, position as i64).await?;
        }
        bump_revision(&mut tx).await?;
        tx.commit().await?;
        Ok(true)
    }
}

async fn bump_revision(tx: &mut Tx) -> Result<()> {
    sqlx::query("UPDATE catalog_revision SET revision = revision + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

async fn insert_creation(tx: &mut Tx, c: &Creation, position: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO products (sku, slug, name, category, collection, description, materials, \
         sale_mode, price_minor, currency, flagged_unavailable, position) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(c.sku.as_str())
    .bind(c.slug.as_str())
    .bind(c.name.as_str())
    .bind(c.category.as_str())
    .bind(c.collection.as_ref().map(|s| s.as_str().to_owned()))
    .bind(c.description.as_str())
    .bind(c.materials.join("\n"))
    .bind(c.sale_mode.as_str())
    .bind(c.price.map(Money::minor))
    .bind(c.price.map_or(Currency::Usd, Money::currency).code())
    .bind(i64::from(c.flagged_unavailable))
    .bind(position)
    .execute(&mut **tx)
    .await?;
    for (position, v) in c.variants.iter().enumerate() {
        sqlx::query(
            "INSERT INTO variants (sku, product_sku, size, position) VALUES ($1, $2, $3, $4)",
        )
        .bind(v.sku.as_str())
        .bind(c.sku.as_str())
        .bind(v.size.clone())
        .bind(position as i64)
        .execute(&mut **tx)
        .await?;
        sqlx::query("INSERT INTO stock_levels (sku, on_hand) VALUES ($1, $2)")
            .bind(v.sku.as_str())
            .bind(i64::from(v.on_hand))
            .execute(&mut **tx)
            .await?;
    }
    for option in &c.personalisation {
        let (lines, characters) = match *option {
            PersonalisationOption::Engraving {
                max_lines,
                max_characters_per_line,
            } => (max_lines, max_characters_per_line),
            PersonalisationOption::Embossing { max_initials } => (1, max_initials),
        };
        sqlx::query(
            "INSERT INTO personalisation_options (product_sku, kind, max_lines, max_characters) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(c.sku.as_str())
        .bind(option.kind())
        .bind(i64::from(lines))
        .bind(i64::from(characters))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_boutique(tx: &mut Tx, b: &Boutique, position: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO boutiques (id, name, line1, line2, city, region, postal_code, country, phone, \
         hours, latitude, longitude, accepts_pickup, position) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(b.id.as_str())
    .bind(b.name.as_str())
    .bind(b.address.line1.as_str())
    .bind(b.address.line2.clone())
    .bind(b.address.city.as_str())
    .bind(b.address.region.as_str())
    .bind(b.address.postal_code.as_str())
    .bind(b.address.country.code())
    .bind(b.phone.as_str())
    .bind(b.hours.join("\n"))
    .bind(b.location.latitude)
    .bind(b.location.longitude)
    .bind(i64::from(b.accepts_pickup))
    .bind(position)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn groupings(rows: Vec<AnyRow>) -> Result<Vec<Grouping>> {
    rows.iter()
        .map(|row| {
            Ok(Grouping {
                slug: slug(row.try_get("slug")?)?,
                name: row.try_get("name")?,
                description: row.try_get("description")?,
            })
        })
        .collect()
}

fn creation_from_row(row: &AnyRow) -> Result<Creation> {
    let sale_mode: String = row.try_get("sale_mode")?;
    let sale_mode =
        SaleMode::parse(&sale_mode).ok_or_else(|| corrupt(format!("sale_mode {sale_mode:?}")))?;
    let currency = Currency::parse(&row.try_get::<String, _>("currency")?).map_err(corrupt)?;
    let price: Option<i64> = row.try_get("price_minor")?;
    let materials: String = row.try_get("materials")?;
    let collection: Option<String> = row.try_get("collection")?;
    Ok(Creation {
        sku: sku(row.try_get("sku")?)?,
        slug: slug(row.try_get("slug")?)?,
        name: row.try_get("name")?,
        category: slug(row.try_get("category")?)?,
        collection: collection.map(slug).transpose()?,
        description: row.try_get("description")?,
        materials: materials
            .lines()
            .map(str::to_owned)
            .filter(|m| !m.is_empty())
            .collect(),
        sale_mode,
        price: price.map(|minor| Money::new(minor, currency)),
        flagged_unavailable: row.try_get::<i64, _>("flagged_unavailable")? != 0,
        variants: Vec::new(),
        personalisation: Vec::new(),
    })
}

fn boutique_from_row(row: &AnyRow) -> Result<Boutique> {
    let country: String = row.try_get("country")?;
    let hours: String = row.try_get("hours")?;
    Ok(Boutique {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        address: Address {
            line1: row.try_get("line1")?,
            line2: row.try_get("line2")?,
            city: row.try_get("city")?,
            region: row.try_get("region")?,
            postal_code: row.try_get("postal_code")?,
            country: Country::parse(&country)
                .ok_or_else(|| corrupt(format!("country {country:?}")))?,
            company: None,
        },
        phone: row.try_get("phone")?,
        hours: hours.lines().map(str::to_owned).collect(),
        location: Coordinates::new(row.try_get("latitude")?, row.try_get("longitude")?)
            .map_err(corrupt)?,
        accepts_pickup: row.try_get::<i64, _>("accepts_pickup")? != 0,
    })
}

/// Sets the quantity on hand of one size, in `tx` (with the change's audit).
pub async fn set_stock_in(tx: &mut Tx, variant: &Sku, on_hand: u32) -> Result<()> {
    let updated = sqlx::query("UPDATE stock_levels SET on_hand = $1 WHERE sku = $2")
        .bind(i64::from(on_hand))
        .bind(variant.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if updated == 0 {
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM variants WHERE sku = $1")
            .bind(variant.as_str())
            .fetch_one(&mut **tx)
            .await?;
        if exists == 0 {
            return Err(StoreError::NotFound {
                what: "size or creation SKU",
                key: variant.to_string(),
            });
        }
        sqlx::query("INSERT INTO stock_levels (sku, on_hand) VALUES ($1, $2)")
            .bind(variant.as_str())
            .bind(i64::from(on_hand))
            .execute(&mut **tx)
            .await?;
    }
    bump_revision(tx).await
}

/// Flags a creation "temporarily unavailable" (or lifts the flag), in `tx`.
pub async fn set_flagged_unavailable_in(tx: &mut Tx, product: &Sku, flagged: bool) -> Result<()> {
    let updated = sqlx::query("UPDATE products SET flagged_unavailable = $1 WHERE sku = $2")
        .bind(i64::from(flagged))
        .bind(product.as_str())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    if updated == 0 {
        return Err(StoreError::NotFound {
            what: "creation SKU",
            key: product.to_string(),
        });
    }
    bump_revision(tx).await
}
