//! Typed inputs shared by the API's handlers: the JSON body reader (and its
//! problems) and the address every form of the API sends.

use axum::Json;
use axum::extract::Query;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use serde::Deserialize;
use utoipa::ToSchema;

use maison_domain::address::AddressInput;

use super::schemas;
use crate::Problem;

/// Reads a JSON body: malformed JSON is a 400, a missing or mistyped field a
/// 422 naming it.
pub fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, Problem> {
    body.map(|Json(b)| b).map_err(|rejection| match rejection {
        JsonRejection::JsonDataError(e) => {
            Problem::invalid("invalid_request", "body", e.body_text())
        }
        JsonRejection::MissingJsonContentType(_) => Problem::malformed(
            "malformed_json",
            "Send the body as JSON with Content-Type: application/json.",
        ),
        other => Problem::malformed(
            "malformed_json",
            format!("The body is not valid JSON: {}", other.body_text()),
        ),
    })
}

/// A postal address in the United States or Canada.
#[derive(Deserialize, ToSchema)]
#[schema(as = Address)]
#[serde(deny_unknown_fields)]
pub struct AddressJson {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    /// The state or province code.
    #[schema(examples("NY"))]
    pub region: String,
    pub postal_code: String,
    #[schema(schema_with = schemas::country)]
    pub country: String,
    /// The company, for a delivery to a workplace.
    pub company: Option<String>,
}

impl From<AddressJson> for AddressInput {
    fn from(a: AddressJson) -> Self {
        AddressInput {
            line1: a.line1,
            line2: a.line2,
            city: a.city,
            region: a.region,
            postal_code: a.postal_code,
            country: a.country,
            company: a.company,
        }
    }
}

/// Reads a query string: one that cannot be read is a 400.
pub fn query<T>(query: Result<Query<T>, QueryRejection>) -> Result<T, Problem> {
    query.map(|Query(q)| q).map_err(|err| {
        Problem::malformed(
            "malformed_query",
            format!("The query string could not be read: {err}"),
        )
    })
}

/// Parses a page's `limit`: 1 to `max`, `default` when absent.
pub fn page_limit(text: Option<&str>, default: u32, max: u32) -> Result<u32, Problem> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(default);
    };
    text.parse::<u32>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            Problem::invalid(
                "invalid_limit",
                "limit",
                format!("limit must be a whole number from 1 to {max}."),
            )
        })
}
