//! The bag and checkout pages. The bag lives in an `HttpOnly`, `SameSite=Lax`
//! cookie holding its unguessable id; every refusal is shown next to its field
//! in plain words, and the form keeps what was typed (never the card number).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use maison_app::bag::{BagView, PersonalisationRequest, find_variant};
use maison_app::checkout::{
    CardRequest, CheckoutRequest, ContactInput, DeliveryInput, delivery_messages,
};
use maison_app::{OrderRow, ShopError};
use maison_domain::address::AddressInput;

use super::pages::{creation_page_with_error, render};
use super::views::Site;
use crate::{AppState, Problem};

const BAG_COOKIE: &str = "maison_bag";
const ORDER_COOKIE: &str = "maison_order";

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

fn set_cookie(state: &AppState, name: &str, value: &str, max_age: u32) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

fn field(form: &HashMap<String, String>, name: &str) -> String {
    form.get(name)
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// "Details and Purchase" on a product page: into the bag (created on first use).
pub async fn add(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let sku = field(&form, "sku");
    let quantity = field(&form, "quantity").parse::<i64>().unwrap_or(1);
    let kind = field(&form, "personalisation_kind");
    let text = form
        .get("personalisation_text")
        .cloned()
        .unwrap_or_default();
    let personalisation =
        (!kind.is_empty() && kind != "none").then_some(PersonalisationRequest { kind, text });
    let mut new_cookie = None;
    let bag_id = match cookie(&headers, BAG_COOKIE) {
        Some(id) if state.maison.bag(&id).await.is_ok() => id,
        _ => match state.maison.create_bag().await {
            Ok(bag) => {
                new_cookie = Some(bag.id.clone());
                bag.id
            }
            Err(err) => return super::pages::error_page(&state, state.problem(err)),
        },
    };
    match state
        .maison
        .add_to_bag(&bag_id, &sku, quantity, personalisation)
        .await
    {
        Ok(_) => {
            let mut response = see_other("/bag");
            if let Some(id) = new_cookie {
                response.headers_mut().insert(
                    header::SET_COOKIE,
                    set_cookie(&state, BAG_COOKIE, &id, 60 * 60 * 24 * 30),
                );
            }
            response
        }
        Err(err) => {
            let problem = state.problem(err);
            let catalogue = state.maison.catalogue();
            let mut response = match find_variant(&catalogue, &sku) {
                Some((creation, _)) => creation_page_with_error(&state, creation, &problem.detail),
                None => super::pages::error_page(&state, problem.clone()),
            };
            *response.status_mut() =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::CONFLICT);
            if let Some(id) = new_cookie {
                response.headers_mut().insert(
                    header::SET_COOKIE,
                    set_cookie(&state, BAG_COOKIE, &id, 60 * 60 * 24 * 30),
                );
            }
            response
        }
    }
}

#[derive(Template)]
#[template(path = "bag.html")]
struct BagPage {
    site: Site,
    bag: Option<BagView>,
    error: String,
    max_items: u32,
}

async fn bag_page(
    state: &AppState,
    headers: &HeaderMap,
    error: String,
    status: StatusCode,
) -> Response {
    let bag = match cookie(headers, BAG_COOKIE) {
        Some(id) => state.maison.bag(&id).await.ok(),
        None => None,
    };
    let mut response = render(&BagPage {
        site: Site::new(&state.maison.client_relations, &state.maison.catalogue()),
        bag,
        error,
        max_items: state.maison.policies.max_items_per_order,
    });
    *response.status_mut() = status;
    response
}

pub async fn show_bag(State(state): State<AppState>, headers: HeaderMap) -> Response {
    bag_page(&state, &headers, String::new(), StatusCode::OK).await
}

pub async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(line_id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(bag_id) = cookie(&headers, BAG_COOKIE) else {
        return see_other("/bag");
    };
    let result = if form.contains_key("remove") {
        state.maison.remove_line(&bag_id, &line_id).await
    } else {
        let quantity = field(&form, "quantity").parse::<i64>().unwrap_or(0);
        state
            .maison
            .change_quantity(&bag_id, &line_id, quantity)
            .await
    };
    match result {
        Ok(_) => see_other("/bag"),
        Err(err) => {
            let problem = state.problem(err);
            let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::CONFLICT);
            bag_page(&state, &headers, problem.detail, status).await
        }
    }
}

struct BoutiqueChoice {
    id: String,
    label: String,
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage {
    site: Site,
    bag: BagView,
    key: String,
    form: HashMap<String, String>,
    errors: HashMap<String, String>,
    summary: String,
    boutiques: Vec<BoutiqueChoice>,
    needs_final_sale: bool,
    notices: Vec<String>,
}

impl CheckoutPage {
    fn value(&self, name: &str) -> String {
        self.form.get(name).cloned().unwrap_or_default()
    }

    fn error(&self, name: &str) -> String {
        self.errors.get(name).cloned().unwrap_or_default()
    }

    fn is(&self, name: &str, value: &str) -> bool {
        self.form.get(name).map(String::as_str) == Some(value)
    }
}

async fn checkout_page(
    state: &AppState,
    bag: BagView,
    mut form: HashMap<String, String>,
    problem: Option<Problem>,
) -> Response {
    let catalogue = state.maison.catalogue();
    // The card number and CVC are never sent back to the browser.
    form.remove("card_number");
    form.remove("cvc");
    form.entry("method".into()).or_insert_with(|| "home".into());
    form.entry("country".into()).or_insert_with(|| "US".into());
    let mut errors = HashMap::new();
    let mut summary = String::new();
    let status = problem.as_ref().map_or(StatusCode::OK, |p| {
        StatusCode::from_u16(p.status).unwrap_or(StatusCode::CONFLICT)
    });
    if let Some(problem) = problem {
        let name = problem.field.as_deref().map(form_field).unwrap_or("");
        if name.is_empty() {
            summary = problem.detail;
        } else {
            errors.insert(name.to_owned(), problem.detail.clone());
            summary = format!("Please check the form: {}", problem.detail);
        }
    }
    let needs_final_sale = bag.lines.iter().any(|l| l.personalisation.is_some());
    let mut notices = Vec::new();
    if bag.subtotal > state.maison.policies.high_value_threshold {
        notices.push(format!(
            "Orders over {} are delivered by our secure courier: for accurate delivery information, please contact {}.",
            state.maison.policies.high_value_threshold.display_whole(),
            state.maison.client_relations.contact_sentence()
        ));
    }
    let boutiques = catalogue
        .boutiques
        .iter()
        .filter(|b| b.accepts_pickup)
        .map(|b| BoutiqueChoice {
            id: b.id.clone(),
            label: format!("{} — {}", b.name, b.address.locality()),
        })
        .collect();
    let mut response = render(&CheckoutPage {
        site: Site::new(&state.maison.client_relations, &catalogue),
        key: form
            .get("key")
            .cloned()
            .filter(|k| !k.is_empty())
            .unwrap_or_else(maison_app::clock::new_id),
        bag,
        form,
        errors,
        summary,
        boutiques,
        needs_final_sale,
        notices,
    });
    *response.status_mut() = status;
    response
}

/// The API's field names, as the checkout form names them.
fn form_field(api_field: &str) -> &str {
    let last = api_field.rsplit('.').next().unwrap_or(api_field);
    match last {
        "number" => "card_number",
        "address" => "line1",
        "body" => "",
        other => other,
    }
}

pub async fn show_checkout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(bag_id) = cookie(&headers, BAG_COOKIE) else {
        return see_other("/bag");
    };
    match state.maison.bag(&bag_id).await {
        Ok(bag) if !bag.lines.is_empty() => checkout_page(&state, bag, HashMap::new(), None).await,
        _ => see_other("/bag"),
    }
}

pub async fn place(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let Some(bag_id) = cookie(&headers, BAG_COOKIE) else {
        return see_other("/bag");
    };
    let method = field(&form, "method");
    let request = CheckoutRequest {
        bag_id: bag_id.clone(),
        contact: ContactInput {
            first_name: field(&form, "first_name"),
            last_name: field(&form, "last_name"),
            email: field(&form, "email"),
            phone: field(&form, "phone"),
        },
        delivery: DeliveryInput {
            address: (method != "boutique").then(|| AddressInput {
                line1: field(&form, "line1"),
                line2: Some(field(&form, "line2")),
                city: field(&form, "city"),
                region: field(&form, "region"),
                postal_code: field(&form, "postal_code"),
                country: field(&form, "country"),
                company: Some(field(&form, "company")),
            }),
            boutique_id: (method == "boutique").then(|| field(&form, "boutique_id")),
            method,
        },
        accept_final_sale: form
            .get("accept_final_sale")
            .is_some_and(|v| v == "on" || v == "true"),
    };
    let number_ok = |name: &str| field(&form, name).parse::<u32>().unwrap_or(0);
    let card = CardRequest {
        number: form.get("card_number").cloned().unwrap_or_default(),
        exp_month: number_ok("exp_month"),
        exp_year: number_ok("exp_year"),
        cvc: form.get("cvc").cloned().unwrap_or_default(),
        holder_name: field(&form, "holder_name"),
    };
    let key = field(&form, "key");
    match state.maison.checkout(&key, request, card).await {
        Ok(order) => {
            let mut response = see_other("/checkout/complete");
            response.headers_mut().insert(
                header::SET_COOKIE,
                set_cookie(&state, ORDER_COOKIE, &order.id, 60 * 60 * 24),
            );
            response
        }
        Err(err) => {
            let retry_with_new_key =
                matches!(err, ShopError::Recorded(_) | ShopError::Replayed { .. });
            let problem = state.problem(err);
            let Ok(bag) = state.maison.bag(&bag_id).await else {
                return see_other("/bag");
            };
            let mut form = form;
            if retry_with_new_key {
                // That attempt is over (declined): another card is a new attempt.
                form.remove("key");
            }
            checkout_page(&state, bag, form, Some(problem)).await
        }
    }
}

#[derive(Template)]
#[template(path = "complete.html")]
struct CompletePage {
    site: Site,
    order: OrderRow,
    messages: Vec<String>,
    payment: String,
}

impl CompletePage {
    fn line_total(&self, i: &usize) -> String {
        self.order.lines.get(*i).map_or_else(String::new, |l| {
            l.unit_price
                .checked_mul(l.quantity)
                .unwrap_or(l.unit_price)
                .display()
        })
    }
}

/// The acknowledgement page, for the browser that placed the order.
pub async fn complete(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(order_id) = cookie(&headers, ORDER_COOKIE) else {
        return see_other("/");
    };
    match state.maison.store().order(&order_id).await {
        Ok(Some(order)) => {
            let messages = delivery_messages(&state.maison, &order);
            let payment = maison_app::documents::payment_sentence(&order);
            render(&CompletePage {
                site: Site::new(&state.maison.client_relations, &state.maison.catalogue()),
                order,
                messages,
                payment,
            })
        }
        _ => see_other("/"),
    }
}

#[derive(Template)]
#[template(path = "order_information.html")]
struct OrderInformationPage {
    site: Site,
    number: String,
    email: String,
    error: String,
    order: Option<OrderRow>,
    messages: Vec<String>,
}

impl OrderInformationPage {
    fn when(&self, micros: &i64) -> String {
        maison_app::clock::rfc3339(*micros)
            .replace('T', " ")
            .replace('Z', " UTC")
    }

    fn status_label(&self) -> &'static str {
        self.order
            .as_ref()
            .and_then(|o| maison_domain::order::OrderStatus::parse(o.status.as_str()))
            .map_or("", |s| s.describe())
    }
}

fn order_information_page(page: OrderInformationPage, status: StatusCode) -> Response {
    let mut response = render(&page);
    *response.status_mut() = status;
    response
}

pub async fn order_information(State(state): State<AppState>) -> Response {
    let page = OrderInformationPage {
        site: Site::new(&state.maison.client_relations, &state.maison.catalogue()),
        number: String::new(),
        email: String::new(),
        error: String::new(),
        order: None,
        messages: Vec::new(),
    };
    order_information_page(page, StatusCode::OK)
}

pub async fn look_up(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let number: String = field(&form, "number").chars().take(64).collect();
    let email: String = field(&form, "email").chars().take(254).collect();
    let mut page = OrderInformationPage {
        site: Site::new(&state.maison.client_relations, &state.maison.catalogue()),
        number: number.clone(),
        email: email.clone(),
        error: String::new(),
        order: None,
        messages: Vec::new(),
    };
    match state
        .maison
        .look_up_order(
            &number,
            &email,
            &state.client_ip(&headers, peer.ip()).to_string(),
        )
        .await
    {
        Ok(order) => {
            page.messages = delivery_messages(&state.maison, &order);
            page.order = Some(order);
            order_information_page(page, StatusCode::OK)
        }
        Err(err) => {
            let problem = state.problem(err);
            page.error = problem.detail.clone();
            let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::NOT_FOUND);
            order_information_page(page, status)
        }
    }
}

#[derive(serde::Deserialize)]
pub struct LinkQuery {
    expires: Option<i64>,
    sig: Option<String>,
}

/// The signed link from the acknowledgement: the order's page without typing.
pub async fn order_from_link(
    State(state): State<AppState>,
    Path(number): Path<String>,
    query: Result<axum::extract::Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (expires, sig) = match query {
        Ok(axum::extract::Query(q)) => (q.expires.unwrap_or(0), q.sig.unwrap_or_default()),
        Err(_) => (0, String::new()),
    };
    let now_secs = maison_app::clock::now_micros() / 1_000_000;
    let mut page = OrderInformationPage {
        site: Site::new(&state.maison.client_relations, &state.maison.catalogue()),
        number: String::new(),
        email: String::new(),
        error: String::new(),
        order: None,
        messages: Vec::new(),
    };
    match state
        .maison
        .order_from_link(&number, expires, &sig, now_secs)
        .await
    {
        Ok(order) => {
            page.messages = delivery_messages(&state.maison, &order);
            page.number = order.number.clone();
            page.order = Some(order);
            order_information_page(page, StatusCode::OK)
        }
        Err(err) => {
            let problem = state.problem(err);
            page.error = if problem.code == "link_expired" {
                problem.detail
            } else {
                "This link does not open an order: enter your order number and e-mail address."
                    .to_owned()
            };
            order_information_page(
                page,
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::NOT_FOUND),
            )
        }
    }
}
