//! Typed inputs shared by the API's handlers: the JSON body reader (and its
//! problems) and the address every form of the API sends.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use serde::Deserialize;

use maison_domain::address::AddressInput;

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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressJson {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
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
