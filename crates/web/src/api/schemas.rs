//! How the domain's values look in JSON, for the OpenAPI document.
//!
//! `maison-domain` serialises its values (`Money` by hand, the others with
//! serde attributes) and knows nothing of OpenAPI, so they are described here:
//! a named schema per shared shape (`Money`, `Availability`, `Personalisation`,
//! `Problem`), and a `schema_with` function per closed list of words (carriers,
//! statuses, ...) whose values are the domain's own serialisation wherever the
//! domain has the list. The tests at the end serialise real values and check
//! them against these descriptions.

use std::borrow::Cow;

use serde::Serialize;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::{PartialSchema, ToSchema};

use maison_domain::Currency;
use maison_domain::address::Country;
use maison_domain::card::CardBrand;
use maison_domain::catalog::{Availability, SaleMode};
use maison_domain::delivery::{Carrier, DeliveryMethod};
use maison_domain::order::OrderStatus;
use maison_domain::personalisation::Personalisation;
use maison_domain::staff::StaffRole;

/// A string that is one of `values`, each as serde writes it.
fn serialised<T: Serialize>(values: impl IntoIterator<Item = T>) -> Vec<serde_json::Value> {
    values
        .into_iter()
        .filter_map(|v| serde_json::to_value(v).ok())
        .collect()
}

/// A string schema closed to `values`.
fn words(values: Vec<serde_json::Value>) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .build()
}

/// The same, or `null`.
fn words_or_null(mut values: Vec<serde_json::Value>) -> Object {
    values.push(serde_json::Value::Null);
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .enum_values(Some(values))
        .build()
}

fn literal(values: &[&str]) -> Object {
    words(values.iter().map(|v| (*v).into()).collect())
}

// The domain's closed lists. Each `match` fails to compile when a variant
// is added, next to the list to extend.

fn every_availability() -> [Availability; 2] {
    let _listed = |a: Availability| match a {
        Availability::Available | Availability::TemporarilyUnavailable => (),
    };
    [
        Availability::Available,
        Availability::TemporarilyUnavailable,
    ]
}

fn every_sale_mode() -> [SaleMode; 3] {
    let _listed = |m: SaleMode| match m {
        SaleMode::Online | SaleMode::PhoneOnly | SaleMode::PriceOnRequest => (),
    };
    [
        SaleMode::Online,
        SaleMode::PhoneOnly,
        SaleMode::PriceOnRequest,
    ]
}

fn every_carrier() -> [Carrier; 3] {
    let _listed = |c: Carrier| match c {
        Carrier::Fedex | Carrier::SecureCourier | Carrier::Boutique => (),
    };
    [Carrier::Fedex, Carrier::SecureCourier, Carrier::Boutique]
}

fn every_delivery_method() -> [DeliveryMethod; 3] {
    let _listed = |m: DeliveryMethod| match m {
        DeliveryMethod::Home | DeliveryMethod::Workplace | DeliveryMethod::Boutique => (),
    };
    [
        DeliveryMethod::Home,
        DeliveryMethod::Workplace,
        DeliveryMethod::Boutique,
    ]
}

fn every_country() -> [Country; 2] {
    let _listed = |c: Country| match c {
        Country::UnitedStates | Country::Canada => (),
    };
    [Country::UnitedStates, Country::Canada]
}

fn every_currency() -> [Currency; 1] {
    let _listed = |c: Currency| match c {
        Currency::Usd => (),
    };
    [Currency::Usd]
}

fn every_personalisation_kind() -> [&'static str; 2] {
    let _listed = |p: &Personalisation| match p {
        Personalisation::Engraving { .. } | Personalisation::Embossing { .. } => (),
    };
    [
        Personalisation::Engraving {
            text: String::new(),
        }
        .kind(),
        Personalisation::Embossing {
            text: String::new(),
        }
        .kind(),
    ]
}

// `schema_with` functions, for the fields the domain's words fill.

pub fn sale_mode() -> Object {
    words(serialised(every_sale_mode()))
}

pub fn carrier() -> Object {
    words(serialised(every_carrier()))
}

pub fn delivery_method() -> Object {
    words(serialised(every_delivery_method()))
}

pub fn country() -> Object {
    words(serialised(every_country()))
}

pub fn currency() -> Object {
    words(every_currency().iter().map(|c| c.code().into()).collect())
}

pub fn personalisation_kind() -> Object {
    words(every_personalisation_kind().map(Into::into).to_vec())
}

pub fn order_status() -> Object {
    words(serialised(OrderStatus::ALL))
}

pub fn staff_role_or_null() -> Object {
    words_or_null(serialised(StaffRole::ALL))
}

pub fn card_brand_or_null() -> Object {
    words_or_null(CardBrand::ALL.iter().map(|b| b.as_str().into()).collect())
}

// Words the web layer and the use cases write as text.

pub fn payment_method() -> Object {
    literal(&["card", "wire", "cash"])
}

pub fn channel() -> Object {
    literal(&["online", "assisted"])
}

pub fn request_kind() -> Object {
    literal(&["cancellation", "change"])
}

pub fn request_status() -> Object {
    literal(&["open", "resolved"])
}

pub fn payment_state() -> Object {
    literal(&[
        "authorised",
        "void_pending",
        "voided",
        "pending",
        "failed",
        "none",
    ])
}

pub fn payment_operation() -> Object {
    literal(&["authorise", "capture", "void", "refund"])
}

pub fn actor_kind() -> Object {
    literal(&["guest", "client", "staff", "system"])
}

pub fn token_type() -> Object {
    literal(&["Bearer"])
}

pub fn accepted_status() -> Object {
    literal(&["confirmation_sent", "reset_link_sent"])
}

/// Whether a creation can be ordered now (never a stock count): its schema
/// is named `Availability`.
pub struct AvailabilityJson;

/// An order status, as a query names it (inline: the name `OrderStatus` is
/// the guest's view of an order).
pub struct OrderStatusWord;

impl PartialSchema for OrderStatusWord {
    fn schema() -> RefOr<Schema> {
        order_status().into()
    }
}

impl ToSchema for OrderStatusWord {}

impl PartialSchema for AvailabilityJson {
    fn schema() -> RefOr<Schema> {
        words(serialised(every_availability())).into()
    }
}

impl ToSchema for AvailabilityJson {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Availability")
    }
}

// `maison_domain::Money`, serialised by hand there.
/// An exact amount: a decimal string with two decimals (never a float), and
/// its currency.
#[derive(ToSchema)]
#[schema(as = Money)]
#[allow(dead_code, reason = "describes maison_domain::Money, never built")]
pub struct MoneyJson {
    #[schema(pattern = r"^-?[0-9]+\.[0-9]{2}$", examples("1234.00"))]
    amount: String,
    #[schema(schema_with = currency)]
    currency: String,
}

/// A personalisation a creation offers, with its limits.
#[derive(ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[schema(as = Personalisation)]
#[allow(
    dead_code,
    reason = "describes maison_domain::catalog::PersonalisationOption, never built"
)]
pub enum PersonalisationOptionJson {
    /// Engraved text: up to `max_lines` lines of `max_characters_per_line`.
    Engraving {
        max_lines: u8,
        max_characters_per_line: u8,
    },
    /// Embossed initials, letters only.
    Embossing { max_initials: u8 },
}

// The body `crate::problem` writes.
/// A refusal, as RFC 9457 writes it, with the maison's stable `code`.
#[derive(ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code, reason = "describes crate::problem's body, never built")]
pub struct ProblemJson {
    /// `/api/v1/problems/{code}`.
    #[serde(rename = "type")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    /// Stable: integrators branch on it.
    #[schema(examples("product_not_found"))]
    code: String,
    /// The input at fault, where there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    field: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::document;
    use serde_json::{Value, json};

    /// Whether `value` fits `schema` (resolving `$ref` in `doc`): the types,
    /// the closed lists, the required properties, and no property that is
    /// not described. Enough of JSON Schema for the shapes of this API.
    fn conforms(doc: &Value, schema: &Value, value: &Value) -> Result<(), String> {
        if let Some(reference) = schema["$ref"].as_str() {
            let name = reference
                .strip_prefix("#/components/schemas/")
                .ok_or_else(|| format!("{reference} is not a schema"))?;
            let target = &doc["components"]["schemas"][name];
            if target.is_null() {
                return Err(format!("{reference} dangles"));
            }
            return conforms(doc, target, value);
        }
        if let Some(all) = schema["allOf"].as_array() {
            // Each part describes some of the properties: check them
            // together.
            let mut merged = json!({"type": "object", "properties": {}, "required": []});
            for part in all {
                let part = resolve(doc, part);
                if let Some(props) = part["properties"].as_object() {
                    for (k, v) in props {
                        merged["properties"][k] = v.clone();
                    }
                }
                if let (Some(into), Some(required)) = (
                    merged["required"].as_array_mut(),
                    part["required"].as_array(),
                ) {
                    into.extend(required.iter().cloned());
                }
            }
            return conforms(doc, &merged, value);
        }
        if let Some(one_of) = schema["oneOf"].as_array() {
            let fits = one_of
                .iter()
                .filter(|s| conforms(doc, s, value).is_ok())
                .count();
            return if fits == 1 {
                Ok(())
            } else {
                Err(format!("{value} fits {fits} of {schema}"))
            };
        }
        if let Some(values) = schema["enum"].as_array()
            && !values.contains(value)
        {
            return Err(format!("{value} is not one of {values:?}"));
        }
        if let Some(constant) = schema.get("const")
            && constant != value
        {
            return Err(format!("{value} is not {constant}"));
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let kind = match value {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let fits_type = types.is_empty()
            || types.contains(&kind)
            || (kind == "integer" && types.contains(&"number"));
        if !fits_type {
            return Err(format!("{value} is not {types:?}"));
        }
        match value {
            Value::Object(fields) => {
                let properties = schema["properties"].as_object();
                for required in schema["required"].as_array().into_iter().flatten() {
                    let name = required.as_str().unwrap_or_default();
                    if !fields.contains_key(name) {
                        return Err(format!("{value} lacks {name}"));
                    }
                }
                for (name, field) in fields {
                    let described = properties
                        .and_then(|p| p.get(name))
                        .ok_or_else(|| format!("{name} in {value} is not described"))?;
                    conforms(doc, described, field).map_err(|e| format!("{name}: {e}"))?;
                }
                Ok(())
            }
            Value::Array(items) => items
                .iter()
                .try_for_each(|item| conforms(doc, &schema["items"], item)),
            _ => Ok(()),
        }
    }

    fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
        match schema["$ref"]
            .as_str()
            .and_then(|r| r.strip_prefix("#/components/schemas/"))
        {
            Some(name) => &doc["components"]["schemas"][name],
            None => schema,
        }
    }

    fn document_json() -> Value {
        serde_json::to_value(document::document()).expect("JSON")
    }

    fn check(doc: &Value, name: &str, value: impl Serialize) {
        let value = serde_json::to_value(value).expect("serialisable");
        let schema = json!({"$ref": format!("#/components/schemas/{name}")});
        if let Err(why) = conforms(doc, &schema, &value) {
            panic!("{name} does not describe {value}: {why}");
        }
    }

    #[test]
    fn the_domain_values_are_described_as_they_are_serialised() {
        let doc = document_json();
        check(&doc, "Money", maison_domain::Money::usd_cents(123_400));
        check(&doc, "Money", maison_domain::Money::usd_cents(5));
        for a in every_availability() {
            check(&doc, "Availability", a);
        }
        for option in [
            maison_domain::catalog::PersonalisationOption::Engraving {
                max_lines: 2,
                max_characters_per_line: 20,
            },
            maison_domain::catalog::PersonalisationOption::Embossing { max_initials: 3 },
        ] {
            check(&doc, "Personalisation", option);
        }
        for choice in [
            Personalisation::Engraving {
                text: "A\nB".into(),
            },
            Personalisation::Embossing { text: "JMS".into() },
        ] {
            check(&doc, "PersonalisationChoice", choice);
        }
        for company in [None, Some("Maison Inc.".to_owned())] {
            check(
                &doc,
                "Address",
                maison_domain::address::Address {
                    line1: "1 Fifth Avenue".into(),
                    line2: None,
                    city: "New York".into(),
                    region: "NY".into(),
                    postal_code: "10001".into(),
                    country: Country::UnitedStates,
                    company,
                },
            );
        }
    }

    #[tokio::test]
    async fn a_problem_is_described_as_it_is_sent() {
        use axum::response::IntoResponse;
        let doc = document_json();
        for problem in [
            crate::Problem::not_found("bag_not_found", "There is no such bag."),
            crate::Problem::invalid("invalid_limit", "limit", "From 1 to 50."),
        ] {
            let response = problem.into_response();
            assert_eq!(
                response.headers()["content-type"],
                "application/problem+json"
            );
            let body = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            let body: Value = serde_json::from_slice(&body).expect("JSON");
            check(&doc, "Problem", body);
        }
    }

    #[test]
    fn the_closed_lists_are_the_domains_words() {
        let values = |o: Object| serde_json::to_value(o).expect("JSON")["enum"].clone();
        assert_eq!(
            values(carrier()),
            json!(["fedex", "secure_courier", "boutique"])
        );
        assert_eq!(
            values(delivery_method()),
            json!(["home", "workplace", "boutique"])
        );
        assert_eq!(
            values(sale_mode()),
            json!(["online", "phone_only", "price_on_request"])
        );
        assert_eq!(values(country()), json!(["US", "CA"]));
        assert_eq!(values(currency()), json!(["USD"]));
        assert_eq!(
            values(personalisation_kind()),
            json!(["engraving", "embossing"])
        );
        let statuses = values(order_status());
        for status in OrderStatus::ALL {
            assert!(
                statuses
                    .as_array()
                    .is_some_and(|s| s.contains(&status.as_str().into())),
                "{status:?}"
            );
        }
    }
}
