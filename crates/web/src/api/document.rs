//! The OpenAPI document, generated from the code: the top level (info, tags,
//! security schemes) here, each operation from its handler's
//! `#[utoipa::path]`, each shape from its type's `ToSchema`. Routes are
//! registered through [`DescribedRoutes`], which takes nothing but
//! `routes!(...)` of described handlers, so a route cannot exist without its
//! description.

use std::sync::LazyLock;

use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as Document, Ref, RefOr, Required};
use utoipa::{Modify, OpenApi};
use utoipa_axum::routes;

use super::described::DescribedRoutes;
use super::schemas::ProblemJson;

/// Where refusals are listed once for all operations.
const DESCRIPTION: &str = "The order and payment platform of a luxury maison. Money is a decimal string with its currency; errors are application/problem+json with a stable `code`; lists use cursor pagination. Refusals made before any operation runs are problem+json too: 403 `forbidden_origin` (a state-changing request sent by a browser page of another site), 405 `method_not_allowed` (with an `Allow` header; TRACE included), 408 `request_timeout`, 413 `payload_too_large` (a body over 64 KB), 404 `route_not_found`.";

#[derive(OpenApi)]
#[openapi(
    info(title = "Maison API", version = "1.0.0", description = DESCRIPTION),
    servers((url = "/")),
    tags(
        (name = "Catalogue", description = "The creations and their availability."),
        (name = "Boutiques", description = "The boutique directory."),
        (name = "Bag", description = "A client's selection, before checkout."),
        (name = "Checkout", description = "Totals, delivery and payment: placing the order."),
        (name = "Orders", description = "Order Information for guests, by number and e-mail address."),
        (name = "Accounts", description = "Client accounts: registration, sessions, addresses, the order history."),
        (name = "Staff", description = "The maison's staff, by bearer token: orders and the audit log."),
        (name = "Operations", description = "Liveness, readiness, metrics and this document."),
    ),
    components(schemas(ProblemJson)),
    modifiers(&SecuritySchemes)
)]
struct Maison;

/// The schemes operations name in their `security`.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, document: &mut Document) {
        let components = document.components.get_or_insert_with(Default::default);
        let bearer = |description: &str| {
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(description))
                    .build(),
            )
        };
        components.add_security_scheme(
            "metricsToken",
            bearer("The operations token (`metrics_token`), for GET /metrics only."),
        );
        components.add_security_scheme(
            "bearer",
            bearer("A token from POST /api/v1/sessions (or /api/v1/accounts/confirm)."),
        );
        components.add_security_scheme(
            "cookie",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                "maison_session",
                "The storefront's session cookie (`__Host-maison_session` over HTTPS). State-changing requests authenticated by the cookie must send the session's CSRF token in `X-CSRF-Token` (else 403 `csrf_token_invalid`).",
            ))),
        );
        components.add_security_scheme(
            "staffBearer",
            bearer("A staff member's API token (`maison staff token EMAIL`, shown once). No token, a wrong one, or a disabled member's: 401 `unauthenticated`; a role without the right, or a client's session: 403 `forbidden`."),
        );
    }
}

/// Every refusal is problem+json (PRODUCT.md §7): an error response of an
/// operation says its status and its codes, and gets this body here, once.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, document: &mut Document) {
        for item in document.paths.paths.values_mut() {
            for (_, operation) in operations_mut(item) {
                for (status, response) in operation.responses.responses.iter_mut() {
                    let refusal = status.starts_with('4') || status.starts_with('5');
                    if let (true, RefOr::T(response)) = (refusal, response)
                        && response.content.is_empty()
                    {
                        response.content.insert(
                            "application/problem+json".to_owned(),
                            RefOr::T(Content::new(Some(Ref::from_schema_name("Problem")))),
                        );
                    }
                }
            }
        }
    }
}

fn operations_mut(item: &mut PathItem) -> impl Iterator<Item = (&'static str, &mut Operation)> {
    [
        ("GET", &mut item.get),
        ("PUT", &mut item.put),
        ("POST", &mut item.post),
        ("DELETE", &mut item.delete),
        ("OPTIONS", &mut item.options),
        ("HEAD", &mut item.head),
        ("PATCH", &mut item.patch),
        ("TRACE", &mut item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_mut().map(|o| (method, o)))
}

/// `GET /api/v1/openapi.json`, served beside the reference.
pub fn reference_routes() -> DescribedRoutes<()> {
    DescribedRoutes::new().routes(routes!(openapi))
}

/// The whole document: the top level, then every described route.
pub fn document() -> Document {
    let mut document = Maison::openapi();
    // The package's licence and authors are not the API's.
    document.info.license = None;
    document.info.contact = None;
    document.merge(super::routes().into_parts().1);
    document.merge(crate::ops::routes().into_parts().1);
    document.merge(reference_routes().into_parts().1);
    ProblemResponses.modify(&mut document);
    OptionalBodies.modify(&mut document);
    JoinedLines.modify(&mut document);
    document
}

/// The operations whose body may be empty or left out (their handlers read it
/// with `optional_body`): utoipa marks every typed body required.
const OPTIONAL_BODIES: [&str; 4] = [
    "createShipment",
    "collectOrder",
    "receiveReturn",
    "refundReturn",
];

struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, document: &mut Document) {
        for item in document.paths.paths.values_mut() {
            for (_, operation) in operations_mut(item) {
                let optional = operation
                    .operation_id
                    .as_deref()
                    .is_some_and(|id| OPTIONAL_BODIES.contains(&id));
                if let Some(RefOr::T(body)) = operation.request_body.as_mut().filter(|_| optional) {
                    body.required = Some(Required::False);
                }
            }
        }
    }
}

/// Descriptions come from doc comments, wrapped at 80 columns: their lines
/// are joined as Markdown reads them, paragraphs kept.
struct JoinedLines;

impl Modify for JoinedLines {
    fn modify(&self, document: &mut Document) {
        for item in document.paths.paths.values_mut() {
            for (_, operation) in operations_mut(item) {
                join_lines(&mut operation.summary);
                join_lines(&mut operation.description);
                for parameter in operation.parameters.iter_mut().flatten() {
                    if let RefOr::T(parameter) = parameter {
                        join_lines(&mut parameter.description);
                    }
                }
            }
        }
        for schema in document
            .components
            .iter_mut()
            .flat_map(|c| c.schemas.values_mut())
        {
            join_schema_lines(schema);
        }
    }
}

fn join_lines(text: &mut Option<String>) {
    if let Some(text) = text {
        *text = text
            .split("\n\n")
            .map(|paragraph| {
                paragraph
                    .lines()
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n\n");
    }
}

fn join_schema_lines(schema: &mut RefOr<Schema>) {
    match schema {
        RefOr::Ref(reference) => {
            let mut text = Some(std::mem::take(&mut reference.description));
            join_lines(&mut text);
            reference.description = text.unwrap_or_default();
        }
        RefOr::T(Schema::Object(object)) => {
            join_lines(&mut object.description);
            object.properties.values_mut().for_each(join_schema_lines);
        }
        RefOr::T(Schema::Array(array)) => {
            join_lines(&mut array.description);
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                join_schema_lines(items);
            }
        }
        RefOr::T(Schema::OneOf(one_of)) => {
            join_lines(&mut one_of.description);
            one_of.items.iter_mut().for_each(join_schema_lines);
        }
        RefOr::T(Schema::AllOf(all_of)) => {
            join_lines(&mut all_of.description);
            all_of.items.iter_mut().for_each(join_schema_lines);
        }
        RefOr::T(Schema::AnyOf(any_of)) => {
            join_lines(&mut any_of.description);
            any_of.items.iter_mut().for_each(join_schema_lines);
        }
        _ => {}
    }
}

/// Every (path, method) the API, the operations endpoints and the document
/// itself answer.
pub fn registered_routes() -> Vec<(String, String)> {
    let mut routes: Vec<(String, String)> = super::routes()
        .registered()
        .iter()
        .chain(crate::ops::routes().registered())
        .chain(reference_routes().registered())
        .map(|(path, method)| (path.clone(), (*method).to_owned()))
        .collect();
    routes.sort();
    routes.dedup();
    routes
}

/// The document as served, built once.
static SERVED: LazyLock<Bytes> =
    LazyLock::new(|| Bytes::from(serde_json::to_vec(&document()).unwrap_or_default()));

/// This document
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "openapi",
    tag = "Operations",
    responses((status = 200, description = "OpenAPI 3.1", body = Object))
)]
async fn openapi() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        SERVED.clone(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::Value;

    use super::*;

    /// The operations that refuse nothing of their own (a failure of the
    /// server aside): the rest must list their refusals.
    const NEVER_REFUSE: [&str; 3] = ["createBag", "healthz", "openapi"];

    fn json() -> Value {
        serde_json::to_value(document()).expect("JSON")
    }

    fn each_operation(doc: &Value) -> Vec<(String, String, Value)> {
        let mut all = Vec::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                all.push((path.clone(), method.to_uppercase(), operation.clone()));
            }
        }
        all
    }

    #[test]
    fn every_operation_says_what_it_does_and_how_it_refuses() {
        let doc = json();
        let schemes = doc["components"]["securitySchemes"]
            .as_object()
            .expect("security schemes");
        let mut ids = BTreeSet::new();
        for (path, method, operation) in each_operation(&doc) {
            let at = format!("{method} {path}");
            let summary = operation["summary"].as_str().unwrap_or_default();
            assert!(!summary.trim().is_empty(), "{at} has no summary");
            assert!(!summary.contains('\n'), "{at}: a summary is one line");
            assert!(
                operation["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{at} has no tag"
            );
            let id = operation["operationId"].as_str().expect("operationId");
            assert!(ids.insert(id.to_owned()), "{at}: operationId {id} twice");
            let responses = operation["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{at} has no success"
            );
            let mut refusals = 0;
            for (status, response) in responses {
                let description = response["description"].as_str().unwrap_or_default();
                assert!(
                    !description.trim().is_empty(),
                    "{at} {status} has no description"
                );
                if status.starts_with('4') || status.starts_with('5') {
                    refusals += 1;
                    assert!(
                        description.contains('`'),
                        "{at} {status} names no code: {description}"
                    );
                    assert_eq!(
                        response["content"]["application/problem+json"]["schema"]["$ref"],
                        "#/components/schemas/Problem",
                        "{at} {status} is not problem+json"
                    );
                }
            }
            assert!(
                refusals > 0 || NEVER_REFUSE.contains(&id),
                "{at} lists no refusal"
            );
            // Every {name} of the path is a described path parameter.
            for name in path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            {
                let described = operation["parameters"].as_array().is_some_and(|ps| {
                    ps.iter().any(|p| {
                        p["name"] == name
                            && p["in"] == "path"
                            && !p["description"].as_str().unwrap_or_default().is_empty()
                    })
                });
                assert!(described, "{at}: {{{name}}} is not described");
            }
            for requirement in operation["security"].as_array().into_iter().flatten() {
                for scheme in requirement.as_object().expect("requirement").keys() {
                    assert!(schemes.contains_key(scheme), "{at}: no scheme {scheme}");
                }
            }
        }
    }

    #[test]
    fn every_reference_leads_to_a_schema() {
        fn walk(doc: &Value, value: &Value, dangling: &mut Vec<String>) {
            match value {
                Value::Object(map) => {
                    if let Some(reference) = map.get("$ref").and_then(Value::as_str) {
                        let target = reference
                            .strip_prefix("#/")
                            .map(|p| p.split('/').fold(doc, |v, key| &v[key]));
                        if target.is_none_or(Value::is_null) {
                            dangling.push(reference.to_owned());
                        }
                    }
                    map.values().for_each(|v| walk(doc, v, dangling));
                }
                Value::Array(items) => items.iter().for_each(|v| walk(doc, v, dangling)),
                _ => {}
            }
        }
        let doc = json();
        let mut dangling = Vec::new();
        walk(&doc, &doc, &mut dangling);
        assert!(dangling.is_empty(), "dangling: {dangling:?}");
        // And every schema is used: none is left over from a removed route.
        let text = doc.to_string();
        for name in doc["components"]["schemas"]
            .as_object()
            .expect("schemas")
            .keys()
        {
            assert!(
                text.contains(&format!("\"#/components/schemas/{name}\"")),
                "{name} is never used"
            );
        }
    }

    #[test]
    fn no_two_shapes_share_a_name() {
        assert_eq!(super::super::routes().clashes(), &[] as &[String]);
        assert_eq!(crate::ops::routes().clashes(), &[] as &[String]);
        assert_eq!(reference_routes().clashes(), &[] as &[String]);
    }

    #[test]
    fn the_document_describes_exactly_the_registered_routes() {
        let doc = json();
        let mut documented: Vec<(String, String)> = each_operation(&doc)
            .into_iter()
            .map(|(path, method, _)| (path, method))
            .collect();
        documented.sort();
        assert_eq!(documented, registered_routes());
        assert!(registered_routes().contains(&("/healthz".into(), "GET".into())));
        assert!(registered_routes().contains(&("/api/v1/openapi.json".into(), "GET".into())));
    }

    #[test]
    fn only_the_bodies_that_may_be_left_out_are_optional() {
        let doc = json();
        let mut optional = Vec::new();
        for (_, _, operation) in each_operation(&doc) {
            let body = &operation["requestBody"];
            if body.is_object() && body["required"] != true {
                optional.push(
                    operation["operationId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                );
            }
        }
        optional.sort();
        let mut expected: Vec<String> = OPTIONAL_BODIES.iter().map(|id| (*id).to_owned()).collect();
        expected.sort();
        assert_eq!(optional, expected);
    }

    #[test]
    fn the_top_level_is_kept() {
        let doc = json();
        assert_eq!(doc["openapi"], "3.1.0");
        assert_eq!(doc["info"]["title"], "Maison API");
        assert_eq!(doc["info"]["version"], "1.0.0");
        assert_eq!(doc["servers"][0]["url"], "/");
        for scheme in ["bearer", "cookie", "staffBearer", "metricsToken"] {
            assert!(
                doc["components"]["securitySchemes"][scheme].is_object(),
                "{scheme}"
            );
        }
    }
}
