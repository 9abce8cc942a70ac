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

#[derive(Serialize)]
pub struct BagLineJson<'a> {
    pub id: &'a str,
    pub sku: &'a str,
    pub product_sku: &'a str,
    pub name: &'a str,
    pub size: Option<&'a str>,
    pub quantity: u32,
    pub unit_price: Money,
    pub line_total: Money,
    pub personalisation: Option<&'a maison_domain::personalisation::Personalisation>,
    pub availability: Availability,
}

#[derive(Serialize)]
pub struct BagJson<'a> {
    pub id: &'a str,
    pub lines: Vec<BagLineJson<'a>>,
    pub item_count: u32,
    pub subtotal: Money,
}

impl<'a> BagJson<'a> {
    pub fn new(bag: &'a maison_app::bag::BagView) -> Self {
        BagJson {
            id: &bag.id,
            lines: bag
                .lines
                .iter()
                .map(|l| BagLineJson {
                    id: &l.id,
                    sku: &l.sku,
                    product_sku: &l.product_sku,
                    name: &l.name,
                    size: l.size.as_deref(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.line_total,
                    personalisation: l.personalisation.as_ref(),
                    availability: l.availability,
                })
                .collect(),
            item_count: bag.item_count,
            subtotal: bag.subtotal,
        }
    }
}

#[derive(Serialize)]
pub struct OrderLineJson<'a> {
    pub sku: &'a str,
    pub product_sku: &'a str,
    pub name: &'a str,
    pub size: Option<&'a str>,
    pub quantity: u32,
    pub unit_price: Money,
    pub line_total: Money,
    pub personalisation: Option<&'a maison_domain::personalisation::Personalisation>,
    pub final_sale: bool,
}

#[derive(Serialize)]
pub struct EstimateJson {
    pub min_business_days: u8,
    pub max_business_days: u8,
}

impl From<maison_domain::policy::Estimate> for EstimateJson {
    fn from(e: maison_domain::policy::Estimate) -> Self {
        EstimateJson {
            min_business_days: e.min_business_days,
            max_business_days: e.max_business_days,
        }
    }
}

#[derive(Serialize)]
pub struct OrderAddressJson<'a> {
    pub line1: Option<&'a str>,
    pub line2: Option<&'a str>,
    pub city: Option<&'a str>,
    pub region: Option<&'a str>,
    pub postal_code: Option<&'a str>,
    pub country: Option<&'a str>,
    pub company: Option<&'a str>,
}

#[derive(Serialize)]
pub struct DeliveryJson<'a> {
    pub method: &'a str,
    pub address: OrderAddressJson<'a>,
    pub boutique_id: Option<&'a str>,
}

#[derive(Serialize)]
pub struct PaymentJson<'a> {
    pub method: &'a str,
    pub brand: Option<&'a str>,
    pub last4: Option<&'a str>,
}

#[derive(Serialize)]
pub struct EventJson<'a> {
    pub at: String,
    pub status: &'a str,
    pub note: &'a str,
}

#[derive(Serialize)]
pub struct OrderJson<'a> {
    pub number: &'a str,
    pub status: &'a str,
    pub email: &'a str,
    pub lines: Vec<OrderLineJson<'a>>,
    pub subtotal: Money,
    pub total: Money,
    pub carrier: &'a str,
    pub estimate: Option<EstimateJson>,
    pub delivery: DeliveryJson<'a>,
    pub payment: PaymentJson<'a>,
    /// Left out only where a richer timeline replaces it (the staff's view).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<EventJson<'a>>,
    pub messages: Vec<String>,
}

impl<'a> OrderJson<'a> {
    pub fn new(maison: &maison_app::Maison, o: &'a maison_app::OrderRow) -> Self {
        let d = &o.delivery;
        let a = d.destination.address();
        OrderJson {
            number: &o.number,
            status: o.status.as_str(),
            email: &o.email,
            lines: o
                .lines
                .iter()
                .map(|l| OrderLineJson {
                    sku: &l.sku,
                    product_sku: &l.product_sku,
                    name: &l.name,
                    size: l.size.as_deref(),
                    quantity: l.quantity,
                    unit_price: l.unit_price,
                    line_total: l.unit_price.checked_mul(l.quantity).unwrap_or(l.unit_price),
                    personalisation: l.personalisation.as_ref(),
                    final_sale: l.final_sale,
                })
                .collect(),
            subtotal: o.subtotal,
            total: o.total,
            carrier: d.carrier.as_str(),
            estimate: d.estimate.map(EstimateJson::from),
            delivery: DeliveryJson {
                method: d.destination.method().as_str(),
                address: OrderAddressJson {
                    line1: Some(&a.line1),
                    line2: a.line2.as_deref(),
                    city: Some(&a.city),
                    region: Some(&a.region),
                    postal_code: Some(&a.postal_code),
                    country: Some(a.country.code()),
                    company: a.company.as_deref(),
                },
                boutique_id: d.destination.boutique_id(),
            },
            payment: PaymentJson {
                method: o.payment.method(),
                brand: o.payment.card().map(|c| c.brand.as_str()),
                last4: o.payment.card().map(|c| c.last4.as_str()),
            },
            timeline: maison_app::lookup::client_timeline(o)
                .map(|e| EventJson {
                    at: maison_app::clock::rfc3339(e.at),
                    status: &e.status,
                    note: &e.note,
                })
                .collect(),
            messages: maison_app::delivery::delivery_messages(maison, o),
        }
    }
}

#[derive(Serialize)]
pub struct StatusLineJson<'a> {
    pub name: &'a str,
    pub size: Option<&'a str>,
    pub quantity: u32,
    pub personalisation: Option<&'a maison_domain::personalisation::Personalisation>,
    pub final_sale: bool,
}

/// What a guest sees of an order: its status and timeline, not the address
/// nor the payment details.
#[derive(Serialize)]
pub struct OrderStatusJson<'a> {
    pub number: &'a str,
    pub status: &'a str,
    pub placed_at: String,
    pub lines: Vec<StatusLineJson<'a>>,
    pub total: Money,
    pub delivery_method: &'a str,
    pub carrier: &'a str,
    pub estimate: Option<EstimateJson>,
    pub timeline: Vec<EventJson<'a>>,
    pub messages: Vec<String>,
}

impl<'a> OrderStatusJson<'a> {
    pub fn new(maison: &maison_app::Maison, o: &'a maison_app::OrderRow) -> Self {
        OrderStatusJson {
            number: &o.number,
            status: o.status.as_str(),
            placed_at: maison_app::clock::rfc3339(o.created_at),
            lines: o
                .lines
                .iter()
                .map(|l| StatusLineJson {
                    name: &l.name,
                    size: l.size.as_deref(),
                    quantity: l.quantity,
                    personalisation: l.personalisation.as_ref(),
                    final_sale: l.final_sale,
                })
                .collect(),
            total: o.total,
            delivery_method: o.delivery.destination.method().as_str(),
            carrier: o.delivery.carrier.as_str(),
            estimate: o.delivery.estimate.map(EstimateJson::from),
            timeline: maison_app::lookup::client_timeline(o)
                .map(|e| EventJson {
                    at: maison_app::clock::rfc3339(e.at),
                    status: &e.status,
                    note: &e.note,
                })
                .collect(),
            messages: maison_app::delivery::delivery_messages(maison, o),
        }
    }
}

/// A client's request on an order (cancellation or change).
#[derive(Serialize)]
pub struct RequestJson<'a> {
    id: &'a str,
    kind: &'a str,
    message: &'a str,
    status: &'a str,
    created_at: String,
}

impl<'a> RequestJson<'a> {
    pub fn new(r: &'a maison_app::accounts::OrderRequestRow) -> Self {
        RequestJson {
            id: &r.id,
            kind: &r.kind,
            message: &r.message,
            status: &r.status,
            created_at: maison_app::clock::rfc3339(r.created_at),
        }
    }
}
