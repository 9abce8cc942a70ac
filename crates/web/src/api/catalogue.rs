//! Catalogue and boutique directory endpoints.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use maison_app::{Cursor, Filter};
use maison_domain::boutique::Coordinates;

use super::cache;
use super::input::{page_limit, query};
use super::views::{BoutiqueView, ProductView};
use crate::{AppState, Problem};

const DEFAULT_LIMIT: usize = 24;
const MAX_LIMIT: usize = 100;

#[derive(Deserialize)]
pub struct ListProducts {
    category: Option<String>,
    collection: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
}

#[derive(Serialize)]
struct ProductList<'a> {
    items: Vec<ProductView<'a>>,
    next_cursor: Option<String>,
}

/// Parses `limit`: 1 to 100, 24 when absent.
fn limit(text: Option<&str>) -> Result<usize, Problem> {
    let max = u32::try_from(MAX_LIMIT).unwrap_or(u32::MAX);
    let default = u32::try_from(DEFAULT_LIMIT).unwrap_or(max);
    page_limit(text, default, max).map(|n| n as usize)
}

pub async fn list_products(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    params: Result<Query<ListProducts>, QueryRejection>,
) -> Result<Response, Problem> {
    let params = query(params)?;
    let catalogue = state.maison.catalogue();
    let filter = Filter {
        category: params
            .category
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| catalogue.category_filter(s))
            .transpose()?,
        collection: params
            .collection
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| catalogue.collection_filter(s))
            .transpose()?,
    };
    let cursor = params
        .cursor
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(Cursor::decode)
        .transpose()?;
    let limit = limit(params.limit.as_deref())?;
    let key = uri.query().unwrap_or("");
    let body = state
        .catalogue_responses
        .get_or_render(catalogue.revision, key, || {
            let page = catalogue.page(&filter, cursor.as_ref(), limit);
            serde_json::to_vec(&ProductList {
                items: page.items.into_iter().map(ProductView::new).collect(),
                next_cursor: page.next.map(|c| c.encode()),
            })
            .unwrap_or_default()
        });
    Ok(cache::json_response(&headers, catalogue.revision, body))
}

pub async fn get_product(
    State(state): State<AppState>,
    headers: HeaderMap,
    sku: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    // A path that is not even text names no creation.
    let sku = sku.map(|Path(sku)| sku).unwrap_or_default();
    let catalogue = state.maison.catalogue();
    match catalogue.creation(&sku) {
        Some(creation) => {
            let key = format!("sku:{}", creation.sku);
            let body = state
                .catalogue_responses
                .get_or_render(catalogue.revision, &key, || {
                    serde_json::to_vec(&ProductView::new(creation)).unwrap_or_default()
                });
            Ok(cache::json_response(&headers, catalogue.revision, body))
        }
        None => Err(Problem::not_found(
            "product_not_found",
            format!(
                "There is no creation with the SKU {:?}.",
                sku.chars().take(64).collect::<String>()
            ),
        )),
    }
}

#[derive(Deserialize)]
pub struct ListBoutiques {
    q: Option<String>,
    near: Option<String>,
    pickup: Option<String>,
}

#[derive(Serialize)]
struct BoutiqueList<'a> {
    items: Vec<BoutiqueView<'a>>,
}

/// `?q=Toronto` (city, state or province, postal code, name), `?near=LAT,LON`
/// (nearest first, with `distance_km`), both, or neither (every boutique);
/// `?pickup=true` keeps the boutiques that accept pickups.
pub async fn list_boutiques(
    State(state): State<AppState>,
    params: Result<Query<ListBoutiques>, QueryRejection>,
) -> Result<Response, Problem> {
    let params = query(params)?;
    let pickup_only = match params.pickup.as_deref().map(str::trim) {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(Problem::invalid(
                "invalid_pickup",
                "pickup",
                "pickup is true or false.",
            ));
        }
    };
    let near = params
        .near
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(|s| {
            Coordinates::parse(s)
                .map_err(|err| Problem::invalid("invalid_coordinates", "near", err.to_string()))
        })
        .transpose()?;
    let query_text = params.q.as_deref().map(str::trim).unwrap_or("");
    if query_text.chars().count() > 100 {
        return Err(Problem::invalid(
            "invalid_query",
            "q",
            "Search with at most 100 characters.",
        ));
    }
    let catalogue = state.maison.catalogue();
    let mut items: Vec<BoutiqueView> = catalogue
        .find_boutiques(query_text, near)
        .into_iter()
        .map(|(b, distance)| BoutiqueView::new(b, distance))
        .collect();
    if pickup_only {
        items.retain(|b| b.accepts_pickup);
    }
    Ok(Json(BoutiqueList { items }).into_response())
}

/// Any other path under `/api/`: a problem, not an HTML page.
pub async fn unknown_route() -> Problem {
    Problem::not_found(
        "route_not_found",
        "There is no such API route: see /api/v1/openapi.json.",
    )
}
