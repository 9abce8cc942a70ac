//! Storefront page handlers.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use maison_app::Filter;
use maison_domain::boutique::Coordinates;
use maison_domain::catalog::{Availability, Creation, SaleMode};

use super::views::{BoutiqueCard, Card, CreationView, Link, Site};
use crate::AppState;

/// Renders a template, or a plain apology if the template itself fails.
pub(super) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Error</title><p>Something went wrong on our side. Please try again.</p>"),
            )
                .into_response()
        }
    }
}

fn site(state: &AppState) -> Site {
    Site::new(&state.maison.client_relations, &state.maison.catalogue())
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    site: Site,
    categories: Vec<CategoryTile>,
    featured: Vec<Card>,
}

struct CategoryTile {
    href: String,
    name: String,
    description: String,
    image: String,
}

pub async fn home(State(state): State<AppState>) -> Response {
    let catalogue = state.maison.catalogue();
    let categories = catalogue
        .categories
        .iter()
        .map(|g| CategoryTile {
            href: format!("/category/{}", g.slug),
            name: g.name.clone(),
            description: g.description.clone(),
            image: catalogue
                .creations
                .iter()
                .find(|c| c.category == g.slug)
                .map_or_else(String::new, |c| format!("/images/{}.svg", c.slug)),
        })
        .collect();
    let featured = catalogue
        .creations
        .iter()
        .filter(|c| c.sale_mode == SaleMode::Online && c.availability() == Availability::Available)
        .take(8)
        .map(Card::new)
        .collect();
    render(&HomePage {
        site: site(&state),
        categories,
        featured,
    })
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage {
    site: Site,
    title: String,
    description: String,
    cards: Vec<Card>,
}

fn listing(
    state: &AppState,
    title: String,
    description: String,
    creations: Vec<&Creation>,
) -> Response {
    render(&ListingPage {
        site: site(state),
        title,
        description,
        cards: creations.into_iter().map(Card::new).collect(),
    })
}

pub async fn all_creations(State(state): State<AppState>) -> Response {
    let catalogue = state.maison.catalogue();
    listing(
        &state,
        "All creations".into(),
        String::new(),
        catalogue.creations.iter().collect(),
    )
}

pub async fn category(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let catalogue = state.maison.catalogue();
    let Ok(slug) = catalogue.category_filter(&slug) else {
        return not_found_status(&state, "This category does not exist");
    };
    let group = catalogue.category(slug.as_str());
    let filter = Filter {
        category: Some(slug.clone()),
        collection: None,
    };
    listing(
        &state,
        group.map_or_else(|| slug.to_string(), |g| g.name.clone()),
        group.map_or_else(String::new, |g| g.description.clone()),
        catalogue.matching(&filter).map(|(_, c)| c).collect(),
    )
}

pub async fn collection(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let catalogue = state.maison.catalogue();
    let Ok(slug) = catalogue.collection_filter(&slug) else {
        return not_found_status(&state, "This collection does not exist");
    };
    let group = catalogue.collection(slug.as_str());
    let filter = Filter {
        category: None,
        collection: Some(slug.clone()),
    };
    listing(
        &state,
        group.map_or_else(|| slug.to_string(), |g| g.name.clone()),
        group.map_or_else(String::new, |g| g.description.clone()),
        catalogue.matching(&filter).map(|(_, c)| c).collect(),
    )
}

#[derive(Template)]
#[template(path = "creation.html")]
struct CreationPage {
    site: Site,
    creation: CreationView,
    error: String,
}

/// The product page again, with why the creation could not go in the bag.
pub(super) fn creation_page_with_error(
    state: &AppState,
    found: &Creation,
    error: &str,
) -> Response {
    let catalogue = state.maison.catalogue();
    render(&CreationPage {
        site: site(state),
        creation: CreationView::new(found, &catalogue, &state.maison.client_relations),
        error: error.to_owned(),
    })
}

/// A refusal that belongs to no form, as a page.
pub(super) fn error_page(state: &AppState, problem: crate::Problem) -> Response {
    let mut response = render(&MessagePage {
        site: site(state),
        title: problem.title.to_owned(),
        message: problem.detail.clone(),
        links: vec![Link {
            href: "/bag".into(),
            name: "Return to your bag".into(),
        }],
    });
    *response.status_mut() =
        StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
}

pub async fn creation(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    let catalogue = state.maison.catalogue();
    let Some(found) = catalogue.creation_by_slug(&slug) else {
        return not_found_status(&state, "This creation does not exist");
    };
    render(&CreationPage {
        site: site(&state),
        creation: CreationView::new(found, &catalogue, &state.maison.client_relations),
        error: String::new(),
    })
}

#[derive(Deserialize)]
pub struct BoutiqueSearch {
    q: Option<String>,
    near: Option<String>,
}

#[derive(Template)]
#[template(path = "boutiques.html")]
struct BoutiquesPage {
    site: Site,
    query: String,
    error: String,
    results: Vec<BoutiqueCard>,
    searched: bool,
}

pub async fn boutiques(
    State(state): State<AppState>,
    params: Result<Query<BoutiqueSearch>, QueryRejection>,
) -> Response {
    let catalogue = state.maison.catalogue();
    let (query, near) = match params {
        Ok(Query(p)) => (p.q.unwrap_or_default(), p.near),
        Err(_) => (String::new(), None),
    };
    let query: String = query.trim().chars().take(100).collect();
    let mut error = String::new();
    let near = match near.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => match Coordinates::parse(text) {
            Ok(point) => Some(point),
            Err(err) => {
                error = format!("We could not read that location: {err}.");
                None
            }
        },
    };
    let results = catalogue
        .find_boutiques(&query, near)
        .into_iter()
        .map(|(b, km)| BoutiqueCard::new(b, km))
        .collect();
    render(&BoutiquesPage {
        site: site(&state),
        searched: !query.is_empty() || near.is_some(),
        query,
        error,
        results,
    })
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    site: Site,
    title: String,
    message: String,
    links: Vec<Link>,
}

/// A short page that says one thing, with where to go next.
pub(super) fn message_page(
    state: &AppState,
    title: &str,
    message: &str,
    links: Vec<Link>,
    status: StatusCode,
) -> Response {
    let mut response = render(&MessagePage {
        site: site(state),
        title: title.to_owned(),
        message: message.to_owned(),
        links,
    });
    *response.status_mut() = status;
    response
}

/// A friendly page for something that does not exist (status set by caller).
pub fn not_found_page(state: &AppState, title: &str) -> Response {
    render(&MessagePage {
        site: site(state),
        title: title.to_owned(),
        message:
            "The page you asked for is not here. It may have moved, or the address may be mistyped."
                .into(),
        links: vec![
            Link {
                href: "/".into(),
                name: "Return to the home page".into(),
            },
            Link {
                href: "/creations".into(),
                name: "See all creations".into(),
            },
        ],
    })
}

fn not_found_status(state: &AppState, title: &str) -> Response {
    let mut response = not_found_page(state, title);
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

#[derive(Template)]
#[template(path = "orders_and_payment.html")]
struct OrdersAndPaymentPage {
    site: Site,
    cards: String,
    /// "in cash or by wire transfer", when Client Relations take orders.
    assisted: Option<String>,
    standard_carrier: String,
    high_value_carrier: String,
    threshold: String,
    areas: String,
    standard: String,
    extended: String,
    return_window_days: u32,
    max_items: u32,
}

/// "Orders & Payment", answered from the configured policies: a number changed
/// in the configuration changes here too.
pub async fn orders_and_payment(State(state): State<AppState>) -> Response {
    let p = &state.maison.policies;
    let names: Vec<&str> = p
        .accepted_card_brands
        .iter()
        .map(|b| b.display_name())
        .collect();
    let cards = match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => (*last).to_owned(),
        None => String::new(),
    };
    let assisted: Vec<&str> = p
        .assisted_payment_methods
        .iter()
        .filter_map(|m| match m {
            maison_domain::policy::AssistedPaymentMethod::Cash => Some("in cash"),
            maison_domain::policy::AssistedPaymentMethod::Wire => Some("by wire transfer"),
            maison_domain::policy::AssistedPaymentMethod::Card => None,
        })
        .collect();
    let range = |e: maison_domain::policy::Estimate| {
        format!("{}–{}", e.min_business_days, e.max_business_days)
    };
    render(&OrdersAndPaymentPage {
        site: site(&state),
        cards,
        assisted: state.maison.assisted_orders.then(|| {
            if assisted.is_empty() {
                "by card".into()
            } else {
                assisted.join(" or ")
            }
        }),
        standard_carrier: p.standard_carrier.clone(),
        high_value_carrier: p.high_value_carrier.to_lowercase(),
        threshold: p.high_value_threshold.display_whole(),
        areas: p.out_of_delivery_areas.join(", "),
        standard: range(p.standard_estimate),
        extended: range(p.extended_estimate),
        return_window_days: p.return_window_days,
        max_items: p.max_items_per_order,
    })
}

#[derive(Template)]
#[template(path = "conditions_of_sale.html")]
struct ConditionsOfSalePage {
    site: Site,
    max_items: u32,
    return_window_days: u32,
    threshold: String,
}

/// The Conditions of Sale, with the configured return window and limits.
pub async fn conditions_of_sale(State(state): State<AppState>) -> Response {
    let p = &state.maison.policies;
    render(&ConditionsOfSalePage {
        site: site(&state),
        max_items: p.max_items_per_order,
        return_window_days: p.return_window_days,
        threshold: p.high_value_threshold.display_whole(),
    })
}
