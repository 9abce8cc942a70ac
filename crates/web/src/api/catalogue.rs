//! Catalogue and boutique directory endpoints.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use maison_app::{Cursor, Filter};
use maison_domain::boutique::Coordinates;

use super::cache;
use super::input::{page_limit, query};
use super::views::{BoutiqueView, ProductView};
use crate::{AppState, Problem};

const DEFAULT_LIMIT: usize = 24;
const MAX_LIMIT: usize = 100;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListProducts {
    /// A category slug, such as `rings`. Unknown: 404 `category_not_found`.
    category: Option<String>,
    /// A collection slug. Unknown: 404 `collection_not_found`.
    collection: Option<String>,
    /// The `next_cursor` of the previous page. Malformed: 400 `invalid_cursor`.
    cursor: Option<String>,
    /// Out of range: 422 `invalid_limit`.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, default = 24)]
    limit: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = ProductList)]
struct ProductList<'a> {
    items: Vec<ProductView<'a>>,
    #[schema(required = true)]
    next_cursor: Option<String>,
}

/// Parses `limit`: 1 to 100, 24 when absent.
fn limit(text: Option<&str>) -> Result<usize, Problem> {
    let max = u32::try_from(MAX_LIMIT).unwrap_or(u32::MAX);
    let default = u32::try_from(DEFAULT_LIMIT).unwrap_or(max);
    page_limit(text, default, max).map(|n| n as usize)
}

/// List creations
#[utoipa::path(
    get,
    path = "/api/v1/products",
    operation_id = "listProducts",
    tag = "Catalogue",
    params(ListProducts),
    responses(
        (status = 200, description = "A page of creations", body = ProductList,
            headers(("ETag" = String, description = "The catalogue's revision, `W/\"catalogue-N\"`"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current revision"),
        (status = 400, description = "`malformed_query` (the query string cannot be read), `invalid_cursor`"),
        (status = 404, description = "`category_not_found`, `collection_not_found`"),
        (status = 422, description = "`invalid_limit` (field `limit`)"),
    )
)]
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

/// One creation
#[utoipa::path(
    get,
    path = "/api/v1/products/{sku}",
    operation_id = "getProduct",
    tag = "Catalogue",
    params(("sku" = String, Path, description = "The creation's SKU (any case).")),
    responses(
        (status = 200, description = "The creation", body = ProductView,
            headers(("ETag" = String, description = "The catalogue's revision, `W/\"catalogue-N\"`"))),
        (status = 304, description = "Not modified: `If-None-Match` names the current revision"),
        (status = 404, description = "`product_not_found`"),
    )
)]
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListBoutiques {
    /// City, state or province code, postal code (prefix) or name.
    #[param(max_length = 100)]
    q: Option<String>,
    /// LAT,LON: nearest first, with `distance_km`. Invalid: 422 `invalid_coordinates`.
    #[param(example = "43.65,-79.38")]
    near: Option<String>,
    /// Only boutiques that accept pickups.
    #[param(value_type = Option<bool>)]
    pickup: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[schema(as = BoutiqueList)]
struct BoutiqueList<'a> {
    items: Vec<BoutiqueView<'a>>,
}

/// Find a Boutique
///
/// `?q=Toronto` (city, state or province, postal code, name), `?near=LAT,LON`
/// (nearest first, with `distance_km`), both, or neither (every boutique);
/// `?pickup=true` keeps the boutiques that accept pickups.
#[utoipa::path(
    get,
    path = "/api/v1/boutiques",
    operation_id = "listBoutiques",
    tag = "Boutiques",
    params(ListBoutiques),
    responses(
        (status = 200, description = "Matching boutiques", body = BoutiqueList),
        (status = 400, description = "`malformed_query` (the query string cannot be read)"),
        (status = 422, description = "`invalid_coordinates` (field `near`), `invalid_pickup` (field `pickup`), `invalid_query` (field `q`: over 100 characters)"),
    )
)]
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
