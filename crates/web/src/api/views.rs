//! The JSON shapes of PRODUCT.md §7, built from domain values. Stock counts are
//! never shown: only availability.

use serde::Serialize;

use maison_domain::address::Address;
use maison_domain::boutique::Boutique;
use maison_domain::catalog::{Availability, Creation, PersonalisationOption, SaleMode};
use maison_domain::{Money, Sku, Slug};

#[derive(Serialize)]
pub struct ProductView<'a> {
    pub sku: &'a Sku,
    pub name: &'a str,
    pub slug: &'a Slug,
    pub category: &'a Slug,
    pub collection: Option<&'a Slug>,
    pub description: &'a str,
    pub materials: &'a [String],
    pub sale_mode: SaleMode,
    pub price: Option<Money>,
    pub availability: Availability,
    pub personalisation: &'a [PersonalisationOption],
    pub variants: Vec<VariantView<'a>>,
    pub url: String,
    pub image: String,
}

#[derive(Serialize)]
pub struct VariantView<'a> {
    pub sku: &'a Sku,
    pub size: Option<&'a str>,
    pub availability: Availability,
}

impl<'a> ProductView<'a> {
    pub fn new(c: &'a Creation) -> Self {
        ProductView {
            sku: &c.sku,
            name: &c.name,
            slug: &c.slug,
            category: &c.category,
            collection: c.collection.as_ref(),
            description: &c.description,
            materials: &c.materials,
            sale_mode: c.sale_mode,
            price: c.price,
            availability: c.availability(),
            personalisation: &c.personalisation,
            variants: c
                .variants
                .iter()
                .map(|v| VariantView {
                    sku: &v.sku,
                    size: v.size.as_deref(),
                    availability: c.variant_availability(v),
                })
                .collect(),
            url: format!("/creations/{}", c.slug),
            image: format!("/images/{}.svg", c.slug),
        }
    }
}

#[derive(Serialize)]
pub struct BoutiqueView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub address: &'a Address,
    pub phone: &'a str,
    pub hours: &'a [String],
    pub latitude: f64,
    pub longitude: f64,
    pub accepts_pickup: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

impl<'a> BoutiqueView<'a> {
    pub fn new(b: &'a Boutique, distance_km: Option<f64>) -> Self {
        BoutiqueView {
            id: &b.id,
            name: &b.name,
            address: &b.address,
            phone: &b.phone,
            hours: &b.hours,
            latitude: b.location.latitude,
            longitude: b.location.longitude,
            accepts_pickup: b.accepts_pickup,
            // One decimal is what a client needs; it also keeps output stable.
            distance_km: distance_km.map(|d| (d * 10.0).round() / 10.0),
        }
    }
}
