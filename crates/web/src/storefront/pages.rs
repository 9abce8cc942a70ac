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

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::views::{BoutiqueCard, Card, CreationView, Link, Offer, Site, creations};
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
    /// "12 creations", what the filters leave.
    count: String,
    /// Where the filter form and the page links lead (this page's path).
    action: String,
    filters: FilterForm,
    /// Whether any filter narrows the list (a "Show all" link then).
    narrowed: bool,
    pagination: Pagination,
}

/// How many creations one page of a listing shows: whole rows at 2, 3 and 4
/// columns.
const PAGE_SIZE: usize = 24;

/// A listing's query string, as typed: `?category=rings&price=under-2500&page=2`.
/// Every value is read leniently: one the catalogue does not know is ignored.
#[derive(Deserialize, Default)]
pub struct ListingQuery {
    category: Option<String>,
    collection: Option<String>,
    price: Option<String>,
    availability: Option<String>,
    page: Option<String>,
}

/// A price band of the catalogue filter (US dollars; bounds in cents).
#[derive(Clone, Copy, PartialEq, Eq)]
enum PriceBand {
    Under2500,
    From2500To5000,
    From5000To15000,
    From15000,
    OnRequest,
}

impl PriceBand {
    const ALL: [PriceBand; 5] = [
        PriceBand::Under2500,
        PriceBand::From2500To5000,
        PriceBand::From5000To15000,
        PriceBand::From15000,
        PriceBand::OnRequest,
    ];

    fn slug(self) -> &'static str {
        match self {
            PriceBand::Under2500 => "under-2500",
            PriceBand::From2500To5000 => "2500-5000",
            PriceBand::From5000To15000 => "5000-15000",
            PriceBand::From15000 => "15000-and-above",
            PriceBand::OnRequest => "on-request",
        }
    }

    fn label(self) -> &'static str {
        match self {
            PriceBand::Under2500 => "Under $2,500",
            PriceBand::From2500To5000 => "$2,500 to $5,000",
            PriceBand::From5000To15000 => "$5,000 to $15,000",
            PriceBand::From15000 => "$15,000 and above",
            PriceBand::OnRequest => "Price upon request",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.slug() == text)
    }

    fn holds(self, c: &Creation) -> bool {
        let Some(price) = c.price else {
            return self == PriceBand::OnRequest;
        };
        let cents = price.minor();
        match self {
            PriceBand::Under2500 => cents < 250_000,
            PriceBand::From2500To5000 => (250_000..500_000).contains(&cents),
            PriceBand::From5000To15000 => (500_000..1_500_000).contains(&cents),
            PriceBand::From15000 => cents >= 1_500_000,
            PriceBand::OnRequest => false,
        }
    }
}

/// What the filters hold once read: only values the catalogue knows.
#[derive(Default)]
struct Narrowing {
    category: Option<maison_domain::Slug>,
    collection: Option<maison_domain::Slug>,
    price: Option<PriceBand>,
    /// Only creations that can be bought online now.
    available_only: bool,
}

impl Narrowing {
    fn read(query: &ListingQuery, catalogue: &maison_app::Catalogue) -> Self {
        fn given(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        Narrowing {
            category: given(&query.category).and_then(|s| catalogue.category_filter(s).ok()),
            collection: given(&query.collection).and_then(|s| catalogue.collection_filter(s).ok()),
            price: given(&query.price).and_then(PriceBand::parse),
            available_only: given(&query.availability) == Some("available"),
        }
    }

    fn admits(&self, c: &Creation) -> bool {
        self.price.is_none_or(|band| band.holds(c))
            && (!self.available_only || Offer::of(c) == Offer::Purchase)
    }

    /// The query string that keeps these filters (the path's own group left
    /// out), for page links.
    fn query(&self, fixed: Fixed) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if fixed != Fixed::Category
            && let Some(s) = &self.category
        {
            pairs.push(("category", s.to_string()));
        }
        if fixed != Fixed::Collection
            && let Some(s) = &self.collection
        {
            pairs.push(("collection", s.to_string()));
        }
        if let Some(band) = self.price {
            pairs.push(("price", band.slug().to_owned()));
        }
        if self.available_only {
            pairs.push(("availability", "available".to_owned()));
        }
        pairs
    }
}

/// Which group the listing's path already sets (its filter is not offered).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fixed {
    Nothing,
    Category,
    Collection,
}

/// One option of a filter's select.
struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// The filter form; an empty list is a filter not offered on this page.
struct FilterForm {
    categories: Vec<Choice>,
    collections: Vec<Choice>,
    prices: Vec<Choice>,
    availability: Vec<Choice>,
}

fn choices<'a>(
    any: &'a str,
    options: impl Iterator<Item = (&'a str, &'a str)>,
    chosen: Option<&str>,
) -> Vec<Choice> {
    std::iter::once(("", any))
        .chain(options)
        .map(|(value, label)| Choice {
            value: value.to_owned(),
            label: label.to_owned(),
            selected: chosen.unwrap_or_default() == value,
        })
        .collect()
}

impl FilterForm {
    fn new(narrowing: &Narrowing, fixed: Fixed, catalogue: &maison_app::Catalogue) -> Self {
        fn groups(list: &[maison_domain::catalog::Grouping]) -> Vec<(&str, &str)> {
            list.iter()
                .map(|g| (g.slug.as_str(), g.name.as_str()))
                .collect()
        }
        let categories = groups(&catalogue.categories);
        let collections = groups(&catalogue.collections);
        FilterForm {
            categories: if fixed == Fixed::Category {
                Vec::new()
            } else {
                choices(
                    "All categories",
                    categories.into_iter(),
                    narrowing.category.as_ref().map(|s| s.as_str()),
                )
            },
            collections: if fixed == Fixed::Collection {
                Vec::new()
            } else {
                choices(
                    "All collections",
                    collections.into_iter(),
                    narrowing.collection.as_ref().map(|s| s.as_str()),
                )
            },
            prices: choices(
                "All prices",
                PriceBand::ALL.iter().map(|b| (b.slug(), b.label())),
                narrowing.price.map(PriceBand::slug),
            ),
            availability: choices(
                "All creations",
                std::iter::once(("available", "Available online")),
                narrowing.available_only.then_some("available"),
            ),
        }
    }
}

/// Links to the pages of a listing.
struct Pagination {
    previous: Option<String>,
    next: Option<String>,
    pages: Vec<PageLink>,
}

struct PageLink {
    number: usize,
    href: String,
    current: bool,
}

fn page_href(path: &str, pairs: &[(&'static str, String)], page: usize) -> String {
    let mut pairs: Vec<(&str, String)> = pairs.to_vec();
    if page > 1 {
        pairs.push(("page", page.to_string()));
    }
    if pairs.is_empty() {
        return path.to_owned();
    }
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, NON_ALPHANUMERIC)))
        .collect();
    format!("{path}?{}", query.join("&"))
}

struct Listing<'a> {
    title: String,
    description: String,
    path: String,
    fixed: Fixed,
    narrowing: Narrowing,
    creations: Vec<&'a Creation>,
}

fn listing(state: &AppState, listing: Listing<'_>, page: Option<&str>) -> Response {
    let catalogue = state.maison.catalogue();
    let admitted: Vec<&Creation> = listing
        .creations
        .into_iter()
        .filter(|c| listing.narrowing.admits(c))
        .collect();
    let page_count = admitted.len().div_ceil(PAGE_SIZE).max(1);
    // A page number out of range shows the nearest page, never an error.
    let page = page
        .and_then(|p| p.trim().parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, page_count);
    let pairs = listing.narrowing.query(listing.fixed);
    let href = |n: usize| page_href(&listing.path, &pairs, n);
    let pagination = Pagination {
        previous: (page > 1).then(|| href(page - 1)),
        next: (page < page_count).then(|| href(page + 1)),
        pages: if page_count > 1 {
            (1..=page_count)
                .map(|number| PageLink {
                    number,
                    href: href(number),
                    current: number == page,
                })
                .collect()
        } else {
            Vec::new()
        },
    };
    render(&ListingPage {
        site: site(state),
        title: listing.title,
        description: listing.description,
        count: creations(u32::try_from(admitted.len()).unwrap_or(u32::MAX)),
        cards: admitted
            .into_iter()
            .skip((page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .map(Card::new)
            .collect(),
        filters: FilterForm::new(&listing.narrowing, listing.fixed, &catalogue),
        narrowed: !pairs.is_empty(),
        action: listing.path,
        pagination,
    })
}

/// The listing's query, or no filter at all when it cannot be read.
fn listing_query(params: Result<Query<ListingQuery>, QueryRejection>) -> ListingQuery {
    params.map(|Query(q)| q).unwrap_or_default()
}

pub async fn all_creations(
    State(state): State<AppState>,
    params: Result<Query<ListingQuery>, QueryRejection>,
) -> Response {
    let catalogue = state.maison.catalogue();
    let query = listing_query(params);
    let narrowing = Narrowing::read(&query, &catalogue);
    let filter = Filter {
        category: narrowing.category.clone(),
        collection: narrowing.collection.clone(),
    };
    let creations = catalogue.matching(&filter).map(|(_, c)| c).collect();
    listing(
        &state,
        Listing {
            title: "All creations".into(),
            description: String::new(),
            path: "/creations".into(),
            fixed: Fixed::Nothing,
            narrowing,
            creations,
        },
        query.page.as_deref(),
    )
}

pub async fn category(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    params: Result<Query<ListingQuery>, QueryRejection>,
) -> Response {
    let catalogue = state.maison.catalogue();
    let Ok(slug) = catalogue.category_filter(&slug) else {
        return not_found_status(&state, "This category does not exist");
    };
    let group = catalogue.category(slug.as_str());
    let query = listing_query(params);
    let mut narrowing = Narrowing::read(&query, &catalogue);
    narrowing.category = Some(slug.clone());
    let filter = Filter {
        category: Some(slug.clone()),
        collection: narrowing.collection.clone(),
    };
    let creations = catalogue.matching(&filter).map(|(_, c)| c).collect();
    listing(
        &state,
        Listing {
            title: group.map_or_else(|| slug.to_string(), |g| g.name.clone()),
            description: group.map_or_else(String::new, |g| g.description.clone()),
            path: format!("/category/{slug}"),
            fixed: Fixed::Category,
            narrowing,
            creations,
        },
        query.page.as_deref(),
    )
}

pub async fn collection(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    params: Result<Query<ListingQuery>, QueryRejection>,
) -> Response {
    let catalogue = state.maison.catalogue();
    let Ok(slug) = catalogue.collection_filter(&slug) else {
        return not_found_status(&state, "This collection does not exist");
    };
    let group = catalogue.collection(slug.as_str());
    let query = listing_query(params);
    let mut narrowing = Narrowing::read(&query, &catalogue);
    narrowing.collection = Some(slug.clone());
    let filter = Filter {
        category: narrowing.category.clone(),
        collection: Some(slug.clone()),
    };
    let creations = catalogue.matching(&filter).map(|(_, c)| c).collect();
    listing(
        &state,
        Listing {
            title: group.map_or_else(|| slug.to_string(), |g| g.name.clone()),
            description: group.map_or_else(String::new, |g| g.description.clone()),
            path: format!("/collection/{slug}"),
            fixed: Fixed::Collection,
            narrowing,
            creations,
        },
        query.page.as_deref(),
    )
}

#[derive(Template)]
#[template(path = "creation.html")]
struct CreationPage {
    site: Site,
    creation: CreationView,
    /// The views of the gallery (drawings, or the operator's photographs).
    gallery: Vec<super::images::GalleryImage>,
    /// Sizes as buttons, personalisation with its rules.
    purchase: super::product::PurchaseForm,
    error: String,
}

impl CreationPage {
    fn new(
        state: &AppState,
        found: &Creation,
        purchase: super::product::PurchaseForm,
        error: &str,
    ) -> Self {
        let catalogue = state.maison.catalogue();
        CreationPage {
            site: site(state),
            creation: CreationView::new(found, &catalogue, &state.maison.client_relations),
            gallery: state.product_images.gallery(found),
            purchase,
            error: error.to_owned(),
        }
    }
}

/// The product page again, with why the creation could not go in the bag
/// and what the client had chosen and typed.
pub(super) fn creation_page_with_error(
    state: &AppState,
    found: &Creation,
    chosen: (&str, &str, &str),
    error: &str,
) -> Response {
    let (sku, kind, text) = chosen;
    let purchase = super::product::PurchaseForm::of(found).keeping(sku, kind, text);
    render(&CreationPage::new(state, found, purchase, error))
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
    let purchase = super::product::PurchaseForm::of(found);
    render(&CreationPage::new(&state, found, purchase, ""))
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
    /// "1 boutique", "4 boutiques".
    count: String,
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
    let results: Vec<BoutiqueCard> = catalogue
        .find_boutiques(&query, near)
        .into_iter()
        .map(|(b, km)| BoutiqueCard::new(b, km))
        .collect();
    render(&BoutiquesPage {
        count: match results.len() {
            1 => "1 boutique".to_owned(),
            n => format!("{n} boutiques"),
        },
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
