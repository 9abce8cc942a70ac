//! The JSON shapes of PRODUCT.md §7, built from domain values. Stock counts are
//! never shown: only availability.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use maison_domain::address::Address;
use maison_domain::boutique::Boutique;
use maison_domain::catalog::{Availability, Creation, PersonalisationOption, SaleMode};
use maison_domain::{Money, Sku, Slug};

use super::input::AddressJson;
use super::schemas::{self, AvailabilityJson, MoneyJson, PersonalisationOptionJson};

#[derive(Deserialize, ToSchema)]
#[schema(as = PersonalisationChoice)]
#[serde(deny_unknown_fields)]
pub struct PersonalisationJson {
    #[schema(schema_with = schemas::personalisation_kind)]
    pub kind: String,
    /// Engraving: lines separated by `\n`. Embossing: initials.
    pub text: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Product)]
pub struct ProductView<'a> {
    #[schema(value_type = String)]
    pub sku: &'a Sku,
    pub name: &'a str,
    #[schema(value_type = String)]
    pub slug: &'a Slug,
    #[schema(value_type = String)]
    pub category: &'a Slug,
    #[schema(value_type = Option<String>, required = true)]
    pub collection: Option<&'a Slug>,
    pub description: &'a str,
    #[schema(value_type = Vec<String>)]
    pub materials: &'a [String],
    #[schema(schema_with = schemas::sale_mode)]
    pub sale_mode: SaleMode,
    /// `null` for price on request.
    #[schema(value_type = Option<MoneyJson>, required = true)]
    pub price: Option<Money>,
    #[schema(value_type = AvailabilityJson)]
    pub availability: Availability,
    #[schema(value_type = Vec<PersonalisationOptionJson>)]
    pub personalisation: &'a [PersonalisationOption],
    /// A creation without sizes has one variant whose `sku` is the creation's.
    pub variants: Vec<VariantView<'a>>,
    /// The storefront page.
    pub url: String,
    pub image: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Variant)]
pub struct VariantView<'a> {
    #[schema(value_type = String)]
    pub sku: &'a Sku,
    #[schema(required = true, examples("52"))]
    pub size: Option<&'a str>,
    #[schema(value_type = AvailabilityJson)]
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

#[derive(Serialize, ToSchema)]
#[schema(as = Boutique)]
pub struct BoutiqueView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    #[schema(value_type = AddressJson)]
    pub address: &'a Address,
    pub phone: &'a str,
    #[schema(value_type = Vec<String>)]
    pub hours: &'a [String],
    pub latitude: f64,
    pub longitude: f64,
    pub accepts_pickup: bool,
    /// Only with `near`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
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

#[derive(Serialize, ToSchema)]
#[schema(as = BagLine)]
pub struct BagLineJson<'a> {
    pub id: &'a str,
    pub sku: &'a str,
    pub product_sku: &'a str,
    pub name: &'a str,
    #[schema(required = true)]
    pub size: Option<&'a str>,
    pub quantity: u32,
    #[schema(value_type = MoneyJson)]
    pub unit_price: Money,
    #[schema(value_type = MoneyJson)]
    pub line_total: Money,
    #[schema(value_type = Option<PersonalisationJson>, required = true)]
    pub personalisation: Option<&'a maison_domain::personalisation::Personalisation>,
    /// Whether the line can still be ordered now (stock and the staff flag). An
    /// unavailable line blocks checkout (409 `temporarily_unavailable`) until it
    /// is removed; it never blocks a change to another line.
    #[schema(value_type = AvailabilityJson)]
    pub availability: Availability,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Bag)]
pub struct BagJson<'a> {
    pub id: &'a str,
    pub lines: Vec<BagLineJson<'a>>,
    pub item_count: u32,
    #[schema(value_type = MoneyJson)]
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

#[derive(Serialize, ToSchema)]
#[schema(as = OrderLine)]
pub struct OrderLineJson<'a> {
    /// The line's stable id in the order (its number, "1", "2", ...): what a
    /// return names.
    #[schema(examples("1"))]
    pub line_id: String,
    pub sku: &'a str,
    pub product_sku: &'a str,
    pub name: &'a str,
    #[schema(required = true)]
    pub size: Option<&'a str>,
    pub quantity: u32,
    #[schema(value_type = MoneyJson)]
    pub unit_price: Money,
    #[schema(value_type = MoneyJson)]
    pub line_total: Money,
    #[schema(value_type = Option<PersonalisationJson>, required = true)]
    pub personalisation: Option<&'a maison_domain::personalisation::Personalisation>,
    /// Personalised: cannot be returned or exchanged.
    pub final_sale: bool,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Estimate)]
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

#[derive(Serialize, ToSchema)]
#[schema(as = OrderAddress)]
pub struct OrderAddressJson<'a> {
    #[schema(required = true)]
    pub line1: Option<&'a str>,
    #[schema(required = true)]
    pub line2: Option<&'a str>,
    #[schema(required = true)]
    pub city: Option<&'a str>,
    #[schema(required = true)]
    pub region: Option<&'a str>,
    #[schema(required = true)]
    pub postal_code: Option<&'a str>,
    #[schema(required = true)]
    pub country: Option<&'a str>,
    #[schema(required = true)]
    pub company: Option<&'a str>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = OrderDelivery)]
pub struct DeliveryJson<'a> {
    #[schema(schema_with = schemas::delivery_method)]
    pub method: &'a str,
    pub address: OrderAddressJson<'a>,
    #[schema(required = true)]
    pub boutique_id: Option<&'a str>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = OrderPayment)]
pub struct PaymentJson<'a> {
    #[schema(schema_with = schemas::payment_method)]
    pub method: &'a str,
    #[schema(schema_with = schemas::card_brand_or_null, required = true)]
    pub brand: Option<&'a str>,
    #[schema(required = true)]
    pub last4: Option<&'a str>,
    /// Wire and cash orders (staff views): the total due.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<MoneyJson>)]
    pub amount_due: Option<Money>,
    /// Wire and cash orders (staff views): the receipts so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<MoneyJson>)]
    pub amount_received: Option<Money>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = TimelineEvent)]
pub struct EventJson<'a> {
    #[schema(format = DateTime)]
    pub at: String,
    #[schema(schema_with = schemas::order_status)]
    pub status: &'a str,
    pub note: &'a str,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Order)]
pub struct OrderJson<'a> {
    #[schema(examples("MV-7K2Q-9HDX-4"))]
    pub number: &'a str,
    #[schema(schema_with = schemas::order_status)]
    pub status: &'a str,
    pub email: &'a str,
    pub lines: Vec<OrderLineJson<'a>>,
    #[schema(value_type = MoneyJson)]
    pub subtotal: Money,
    #[schema(value_type = MoneyJson)]
    pub total: Money,
    #[schema(schema_with = schemas::carrier)]
    pub carrier: &'a str,
    #[schema(required = true)]
    pub estimate: Option<EstimateJson>,
    pub delivery: DeliveryJson<'a>,
    pub payment: PaymentJson<'a>,
    /// Left out only where a richer timeline replaces it (the staff's view).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<EventJson<'a>>,
    pub messages: Vec<String>,
}

impl<'a> OrderJson<'a> {
    pub fn new(maison: &maison_app::Maison, o: &'a maison_app::Order) -> Self {
        let d = &o.delivery;
        let a = d.destination.address();
        OrderJson {
            number: &o.number,
            status: o.status.as_str(),
            email: &o.email,
            lines: o
                .lines
                .iter()
                .enumerate()
                .map(|(i, l)| OrderLineJson {
                    line_id: (i + 1).to_string(),
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
                amount_due: None,
                amount_received: None,
            },
            timeline: maison_app::lookup::client_timeline(o)
                .map(|e| EventJson {
                    at: maison_app::clock::rfc3339(e.at),
                    status: e.status.as_str(),
                    note: &e.note,
                })
                .collect(),
            messages: maison_app::delivery::delivery_messages(maison, o),
        }
    }
}

#[derive(Serialize, ToSchema)]
#[schema(as = StatusLine)]
pub struct StatusLineJson<'a> {
    pub name: &'a str,
    #[schema(required = true)]
    pub size: Option<&'a str>,
    pub quantity: u32,
    #[schema(value_type = Option<PersonalisationJson>, required = true)]
    pub personalisation: Option<&'a maison_domain::personalisation::Personalisation>,
    pub final_sale: bool,
}

/// What a guest sees of an order: its status and timeline, not the address
/// nor the payment details.
#[derive(Serialize, ToSchema)]
#[schema(as = OrderStatus)]
pub struct OrderStatusJson<'a> {
    #[schema(examples("MV-7K2Q-9HDX-4"))]
    pub number: &'a str,
    #[schema(schema_with = schemas::order_status)]
    pub status: &'a str,
    #[schema(format = DateTime)]
    pub placed_at: String,
    pub lines: Vec<StatusLineJson<'a>>,
    #[schema(value_type = MoneyJson)]
    pub total: Money,
    #[schema(schema_with = schemas::delivery_method)]
    pub delivery_method: &'a str,
    #[schema(schema_with = schemas::carrier)]
    pub carrier: &'a str,
    #[schema(required = true)]
    pub estimate: Option<EstimateJson>,
    pub timeline: Vec<EventJson<'a>>,
    pub messages: Vec<String>,
}

impl<'a> OrderStatusJson<'a> {
    pub fn new(maison: &maison_app::Maison, o: &'a maison_app::Order) -> Self {
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
                    status: e.status.as_str(),
                    note: &e.note,
                })
                .collect(),
            messages: maison_app::delivery::delivery_messages(maison, o),
        }
    }
}

/// A client's request on an order (cancellation or change).
#[derive(Serialize, ToSchema)]
#[schema(as = OrderRequest)]
pub struct RequestJson<'a> {
    id: &'a str,
    #[schema(schema_with = schemas::request_kind)]
    kind: &'a str,
    message: &'a str,
    #[schema(schema_with = schemas::request_status)]
    status: &'a str,
    #[schema(format = DateTime)]
    created_at: String,
}

impl<'a> RequestJson<'a> {
    pub fn new(r: &'a maison_app::accounts::OrderRequest) -> Self {
        RequestJson {
            id: &r.id,
            kind: &r.kind,
            message: &r.message,
            status: &r.status,
            created_at: maison_app::clock::rfc3339(r.created_at),
        }
    }
}
