//! The bag and checkout pages. The bag lives in an `HttpOnly`, `SameSite=Lax`
//! cookie holding its unguessable id; every refusal is shown next to its field
//! in plain words, and the form keeps what was typed (never the card number).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use maison_app::actor::Actor;
use maison_app::bag::{BagView, find_variant};
use maison_app::delivery::delivery_messages;
use maison_app::{Order, ShopError};
use maison_domain::address::Country;

use super::forms::{
    AddToBagForm, BagLineForm, CheckoutForm, Faults, GuestRequestForm, LookUpForm, StorefrontForm,
};
use super::pages::{creation_page_with_error, render};
use super::views::Site;
use crate::session::{Visitor, cookie, set_cookie};
use crate::{AppState, Problem};

pub(super) const BAG_COOKIE: &str = "maison_bag";
const ORDER_COOKIE: &str = "maison_order";
const BAG_COOKIE_AGE: Option<u32> = Some(60 * 60 * 24 * 30);

/// The bag this browser uses: its cookie's, when the visitor may use it; else
/// the signed-in client's own bag. The second value is a cookie to set when the
/// bag is not the cookie's.
pub(super) async fn current_bag(
    state: &AppState,
    headers: &HeaderMap,
    visitor: &Visitor,
) -> (Option<String>, Option<HeaderValue>) {
    if let Some(id) = cookie(headers, BAG_COOKIE)
        && state
            .maison
            .check_bag_access(&id, visitor.account_id())
            .await
            .is_ok()
        && matches!(state.maison.bag_checked_out(&id).await, Ok(false))
    {
        return (Some(id), None);
    }
    let own = match visitor.account_id() {
        Some(account) => state.maison.bag_of_account(account).await.ok().flatten(),
        None => None,
    };
    let cookie = own
        .as_deref()
        .map(|id| set_cookie(state, BAG_COOKIE, id, BAG_COOKIE_AGE));
    (own, cookie)
}

fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// "Details and Purchase" on a product page: into the bag (created on first use).
pub async fn add(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    StorefrontForm(form): StorefrontForm<AddToBagForm>,
) -> Response {
    let sku = form.sku();
    let quantity = form.quantity();
    // Kept for the page again, should the bag refuse.
    let chosen_kind = form.personalisation_kind.trim().to_owned();
    let typed = form.personalisation_text.clone();
    let personalisation = form.personalisation();
    let (bag_id, mut new_cookie) = current_bag(&state, &headers, &visitor).await;
    let bag_id = match bag_id {
        Some(id) => id,
        None => {
            let created = match visitor.account_id() {
                Some(account) => state.maison.create_account_bag(account).await,
                None => state.maison.create_bag().await.map(|bag| bag.id),
            };
            match created {
                Ok(id) => {
                    new_cookie = Some(set_cookie(&state, BAG_COOKIE, &id, BAG_COOKIE_AGE));
                    id
                }
                Err(err) => return super::pages::error_page(&state, state.problem(err)),
            }
        }
    };
    match state
        .maison
        .add_to_bag(&bag_id, &sku, quantity, personalisation)
        .await
    {
        Ok(_) => {
            let mut response = see_other("/bag");
            if let Some(cookie) = new_cookie {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
            }
            response
        }
        Err(err) => {
            let problem = state.problem(err);
            let catalogue = state.maison.catalogue();
            let mut response = match find_variant(&catalogue, &sku) {
                Some((creation, _)) => creation_page_with_error(
                    &state,
                    creation,
                    (&sku, &chosen_kind, &typed),
                    &problem.detail,
                ),
                None => super::pages::error_page(&state, problem.clone()),
            };
            *response.status_mut() =
                StatusCode::from_u16(problem.status).unwrap_or(StatusCode::CONFLICT);
            if let Some(cookie) = new_cookie {
                response.headers_mut().insert(header::SET_COOKIE, cookie);
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
    notes: Vec<String>,
    max_items: u32,
}

impl BagPage {
    /// "1 creation", "3 creations".
    fn count(&self) -> String {
        super::views::creations(self.bag.as_ref().map_or(0, |b| b.item_count))
    }
}

#[derive(serde::Deserialize, Default)]
pub struct BagQuery {
    /// SKUs that could not be carried over from the guest's bag at sign-in.
    left_out: Option<String>,
}

/// What the bag page says about creations left out at sign-in, from the
/// catalogue's own names (a link cannot put words on the page).
fn left_out_notes(state: &AppState, skus: &str) -> Vec<String> {
    let catalogue = state.maison.catalogue();
    skus.split(',')
        .take(5)
        .filter_map(|sku| find_variant(&catalogue, sku.trim()))
        .map(|(creation, _)| {
            format!(
                "{} from your earlier visit could not be added to your bag: an order holds up to {} creations, and only available creations can be added. {} can help.",
                creation.name,
                state.maison.policies.max_items_per_order,
                state.maison.client_relations.contact_sentence()
            )
        })
        .collect()
}

async fn bag_page(
    state: &AppState,
    headers: &HeaderMap,
    visitor: &Visitor,
    error: String,
    notes: Vec<String>,
    status: StatusCode,
) -> Response {
    let (bag_id, new_cookie) = current_bag(state, headers, visitor).await;
    let bag = match bag_id {
        Some(id) => state.maison.bag(&id).await.ok(),
        None => None,
    };
    let mut response = render(&BagPage {
        site: Site::new(&state.maison.client_relations, &state.maison.catalogue()),
        bag,
        error,
        notes,
        max_items: state.maison.policies.max_items_per_order,
    });
    *response.status_mut() = status;
    if let Some(cookie) = new_cookie {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    response
}

pub async fn show_bag(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    query: Result<axum::extract::Query<BagQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let notes = query
        .ok()
        .and_then(|q| q.0.left_out)
        .map(|skus| left_out_notes(&state, &skus))
        .unwrap_or_default();
    bag_page(
        &state,
        &headers,
        &visitor,
        String::new(),
        notes,
        StatusCode::OK,
    )
    .await
}

pub async fn change(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(line_id): Path<String>,
    StorefrontForm(form): StorefrontForm<BagLineForm>,
) -> Response {
    let Some(bag_id) = current_bag(&state, &headers, &visitor).await.0 else {
        return see_other("/bag");
    };
    let result = if form.remove {
        state.maison.remove_line(&bag_id, &line_id).await
    } else {
        state
            .maison
            .change_quantity(&bag_id, &line_id, form.quantity())
            .await
    };
    match result {
        Ok(_) => see_other("/bag"),
        Err(err) => {
            let problem = state.problem(err);
            let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::CONFLICT);
            bag_page(
                &state,
                &headers,
                &visitor,
                problem.detail,
                Vec::new(),
                status,
            )
            .await
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
    /// The form as typed (never the card number or security code).
    form: CheckoutForm,
    /// Every fault of the submission, beside its field and listed above.
    faults: Faults,
    boutiques: Vec<BoutiqueChoice>,
    needs_final_sale: bool,
    notices: Vec<String>,
    /// What each delivery method means for this order, before payment.
    estimates: Vec<String>,
    /// States, territories and provinces to choose from: (code, name).
    regions: Vec<(&'static str, &'static str)>,
    /// The signed-in client's saved addresses ("Use this address" links).
    saved: Vec<SavedChoice>,
    signed_in: bool,
    /// "We accept …", from the maison's policy.
    brands: String,
    /// "1 creation", "3 creations".
    count: String,
}

/// The checkout form's fields, top to bottom, as the page names them.
const CHECKOUT_FIELDS: [&str; 18] = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "method",
    "company",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
    "boutique_id",
    "holder_name",
    "card_number",
    "exp_month",
    "exp_year",
    "cvc",
];

struct SavedChoice {
    id: String,
    label: String,
    summary: String,
}

impl CheckoutPage {
    fn error(&self, name: &str) -> String {
        self.faults.error(name)
    }

    fn has(&self, name: &str) -> bool {
        !self.faults.error(name).is_empty()
    }

    fn aria(&self, name: &str) -> String {
        self.faults.aria(name)
    }

    fn method_is(&self, method: &str) -> bool {
        self.form.method.as_deref() == Some(method)
    }

    fn country_is(&self, country: &str) -> bool {
        self.form.country.as_deref() == Some(country)
    }

    fn region_is(&self, region: &str) -> bool {
        self.form.region == region
    }

    fn boutique_is(&self, boutique: &str) -> bool {
        self.form.boutique_id == boutique
    }
}

async fn checkout_page(
    state: &AppState,
    visitor: &Visitor,
    bag: BagView,
    mut form: CheckoutForm,
    problems: Vec<Problem>,
) -> Response {
    let saved = match visitor.account_id() {
        Some(account) => state
            .maison
            .saved_addresses(&Actor::client(account))
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    };
    let catalogue = state.maison.catalogue();
    // The card number and CVC are never sent back to the browser.
    form.card_number.clear();
    form.cvc.clear();
    form.method.get_or_insert_with(|| "home".into());
    form.country.get_or_insert_with(|| "US".into());
    let status = problems.first().map_or(StatusCode::OK, |p| {
        StatusCode::from_u16(p.status).unwrap_or(StatusCode::CONFLICT)
    });
    let mut known = CHECKOUT_FIELDS.to_vec();
    known.push("accept_final_sale");
    let faults = Faults::of(&problems, &known);
    let needs_final_sale = bag.lines.iter().any(|l| l.personalisation.is_some());
    let policies = &state.maison.policies;
    let mut notices = Vec::new();
    let mut estimates = Vec::new();
    if bag.subtotal > policies.high_value_threshold {
        notices.push(maison_domain::delivery::secure_courier_sentence(
            policies,
            &state.maison.client_relations,
        ));
    } else {
        estimates.push(format!(
            "To your home or workplace: after confirmation, {} contacts you to confirm the delivery date; expected in {} ({} to out-of-delivery areas: {}).",
            policies.standard_carrier,
            policies.standard_estimate.business_days(),
            policies.extended_estimate.business_days(),
            policies.out_of_delivery_areas.join(", ")
        ));
        estimates.push(format!(
            "Pickup at a boutique: ready in {}; the boutique lets you know when it has arrived.",
            policies.standard_estimate.business_days()
        ));
    }
    let regions = regions();
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
        key: Some(form.key.clone())
            .filter(|k| !k.is_empty())
            .unwrap_or_else(maison_app::clock::new_id),
        brands: maison_domain::card::accepted_brands_sentence(
            &state.maison.policies.accepted_card_brands,
        ),
        count: super::views::creations(bag.item_count),
        bag,
        form,
        faults,
        boutiques,
        needs_final_sale,
        notices,
        estimates,
        regions,
        saved: saved
            .iter()
            .map(|a| SavedChoice {
                id: a.id.clone(),
                label: a.label.clone(),
                summary: format!("{}, {}, {} {}", a.line1, a.city, a.region, a.postal_code),
            })
            .collect(),
        signed_in: visitor.session.is_some(),
    });
    *response.status_mut() = status;
    response
}

/// States, territories and provinces to choose from, as (code, name): a
/// select, so that a region is never cut to its first letters.
pub(super) fn regions() -> Vec<(&'static str, &'static str)> {
    [Country::UnitedStates, Country::Canada]
        .into_iter()
        .flat_map(|country| {
            country
                .regions()
                .iter()
                .map(move |&code| (code, country.region_name(code).unwrap_or(code)))
        })
        .collect()
}

/// A signed-in client's form starts from the account: contact details, and a
/// saved address (the one chosen, else the latest).
async fn prefill(state: &AppState, visitor: &Visitor, chosen: Option<&str>) -> CheckoutForm {
    let Some(session) = visitor.session.as_deref() else {
        return CheckoutForm::default();
    };
    let a = &session.account;
    let mut form = CheckoutForm {
        first_name: a.first_name.clone(),
        last_name: a.last_name.clone(),
        email: a.email.clone(),
        phone: a.phone.clone(),
        holder_name: format!("{} {}", a.first_name, a.last_name),
        ..CheckoutForm::default()
    };
    let saved = state
        .maison
        .saved_addresses(&Actor::client(&a.id))
        .await
        .unwrap_or_default();
    let address = match chosen {
        Some(id) => saved.iter().find(|s| s.id == id),
        None => saved.first(),
    };
    if let Some(addr) = address {
        form.line1.clone_from(&addr.line1);
        form.line2 = addr.line2.clone().unwrap_or_default();
        form.city.clone_from(&addr.city);
        form.region.clone_from(&addr.region);
        form.postal_code.clone_from(&addr.postal_code);
        form.country = Some(addr.country.clone());
        form.company = addr.company.clone().unwrap_or_default();
        if addr.company.is_some() {
            form.method = Some("workplace".to_owned());
        }
    }
    form
}

#[derive(serde::Deserialize)]
pub struct CheckoutQuery {
    address: Option<String>,
}

pub async fn show_checkout(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    query: Result<axum::extract::Query<CheckoutQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Some(bag_id) = current_bag(&state, &headers, &visitor).await.0 else {
        return see_other("/bag");
    };
    let chosen = query.ok().and_then(|q| q.0.address);
    match state.maison.bag(&bag_id).await {
        Ok(bag) if !bag.lines.is_empty() => {
            let form = prefill(&state, &visitor, chosen.as_deref()).await;
            checkout_page(&state, &visitor, bag, form, Vec::new()).await
        }
        _ => see_other("/bag"),
    }
}

pub async fn place(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    StorefrontForm(mut form): StorefrontForm<CheckoutForm>,
) -> Response {
    // The form's own bag, even if it has meanwhile become an order: a second
    // press of the same form replays its key (the completion page), another
    // tab's form is told the bag was ordered.
    let own_bag = match cookie(&headers, BAG_COOKIE) {
        Some(id)
            if state
                .maison
                .check_bag_access(&id, visitor.account_id())
                .await
                .is_ok() =>
        {
            Some(id)
        }
        _ => current_bag(&state, &headers, &visitor).await.0,
    };
    let Some(bag_id) = own_bag else {
        return see_other("/bag");
    };
    let request = form.request(bag_id.clone(), visitor.account_id().map(str::to_owned));
    let card = form.take_card();
    // Every fault of the form at once, before anything is attempted.
    let faults = state.maison.checkout_faults(&request, &card).await;
    if !faults.is_empty() {
        let Ok(bag) = state.maison.bag(&bag_id).await else {
            return see_other("/bag");
        };
        let problems = faults.into_iter().map(|f| state.problem(f)).collect();
        return checkout_page(&state, &visitor, bag, form, problems).await;
    }
    let key = form.key();
    let address_to_save = request.delivery.address.clone();
    match state.maison.checkout(&key, request, card).await {
        Ok(order) => {
            if let (Some(account), Some(address), true) =
                (visitor.account_id(), address_to_save, form.save_address)
                && let Err(err) = state
                    .maison
                    .save_address(&Actor::client(account), "", &address)
                    .await
            {
                tracing::info!(error = %err, "address not saved after checkout");
            }
            let mut response = see_other("/checkout/complete");
            response.headers_mut().insert(
                header::SET_COOKIE,
                set_cookie(&state, ORDER_COOKIE, &order.id, Some(60 * 60 * 24)),
            );
            response
        }
        Err(ShopError::BagCheckedOut) => {
            // Another tab (or a second press) already placed this bag's order.
            super::pages::error_page(&state, state.problem(ShopError::BagCheckedOut))
        }
        Err(err) => {
            let retry_with_new_key =
                matches!(err, ShopError::Recorded(_) | ShopError::Replayed { .. });
            let problem = state.problem(err);
            let Ok(bag) = state.maison.bag(&bag_id).await else {
                return see_other("/bag");
            };
            if retry_with_new_key {
                // That attempt is over (declined): another card is a new attempt.
                form.key.clear();
            }
            checkout_page(&state, &visitor, bag, form, vec![problem]).await
        }
    }
}

#[derive(Template)]
#[template(path = "complete.html")]
struct CompletePage {
    site: Site,
    order: Order,
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
pub async fn complete(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Response {
    let Some(order_id) = cookie(&headers, ORDER_COOKIE) else {
        return see_other("/");
    };
    match state
        .maison
        .order_placed_here(&order_id, &visitor.actor())
        .await
    {
        Ok(order) => {
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
    order: Option<Order>,
    messages: Vec<String>,
    /// "Your request has been sent", after a request.
    notice: String,
    /// Why a request was refused, beside its form.
    request_error: String,
    return_days: u32,
    time_zone: jiff::tz::TimeZone,
}

impl OrderInformationPage {
    fn new(state: &AppState) -> Self {
        OrderInformationPage {
            site: Site::new(&state.maison.client_relations, &state.maison.catalogue()),
            number: String::new(),
            email: String::new(),
            error: String::new(),
            order: None,
            messages: Vec::new(),
            notice: String::new(),
            request_error: String::new(),
            return_days: state.maison.policies.return_window_days,
            time_zone: state.maison.time_zone.clone(),
        }
    }

    fn when(&self, micros: &i64) -> String {
        super::views::moment(*micros, &self.time_zone)
    }

    fn request_action(&self) -> &'static str {
        "/order-information/requests"
    }

    fn timeline(&self) -> Vec<&maison_app::OrderEvent> {
        self.order.as_ref().map_or_else(Vec::new, |o| {
            maison_app::lookup::client_timeline(o).collect()
        })
    }

    /// A guest proves the order as the look-up does: its number and e-mail.
    fn request_proof(&self) -> Vec<(&'static str, String)> {
        self.order.as_ref().map_or_else(Vec::new, |o| {
            vec![("number", o.number.clone()), ("email", o.email.clone())]
        })
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
    order_information_page(OrderInformationPage::new(&state), StatusCode::OK)
}

pub async fn look_up(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    StorefrontForm(form): StorefrontForm<LookUpForm>,
) -> Response {
    let number = form.number();
    let email = form.email();
    let mut page = OrderInformationPage {
        number: number.clone(),
        email: email.clone(),
        ..OrderInformationPage::new(&state)
    };
    match state
        .maison
        .look_up_order(&number, &email, &state.client_key(&headers, peer.ip()))
        .await
    {
        // The order's own page (post-redirect-get): its signed link, which
        // carries the number but never the e-mail address.
        Ok(order) => see_other(&order_page_path(&state, &order)),
        Err(err) => {
            let problem = state.problem(err);
            page.error = problem.detail.clone();
            let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::NOT_FOUND);
            order_information_page(page, status)
        }
    }
}

/// The path of an order's signed link (as the acknowledgement's): the order's
/// page for a browser that proved it, without the e-mail address in the URL.
fn order_page_path(state: &AppState, order: &Order) -> String {
    let link = state
        .maison
        .order_link(order, state.maison.now() / 1_000_000);
    link.find("/order-information/").map_or_else(
        || "/order-information".to_owned(),
        |at| link[at..].to_owned(),
    )
}

#[derive(serde::Deserialize)]
pub struct LinkQuery {
    expires: Option<i64>,
    sig: Option<String>,
    /// Set after a request was sent from the page (post-redirect-get).
    requested: Option<String>,
}

const REQUEST_SENT: &str = "Your request has been sent to Client Relations, who will contact you shortly. A letter acknowledging it is on its way to your e-mail address.";

/// "Request cancellation or change" from a guest's order page: the number and
/// e-mail address prove it, as for the look-up. Then back to the order's page
/// (its signed link), so that reloading sends nothing again.
pub async fn guest_request(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    StorefrontForm(form): StorefrontForm<GuestRequestForm>,
) -> Response {
    let number = form.number();
    let email = form.email();
    let client = state.client_key(&headers, peer.ip());
    match state
        .maison
        .request_order_change_as_guest(&number, &email, &client, &form.kind(), &form.message)
        .await
    {
        Ok((order, _)) => see_other(&format!("{}&requested=1", order_page_path(&state, &order))),
        Err(err) => {
            let problem = state.problem(err);
            let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::CONFLICT);
            let mut page = OrderInformationPage {
                number: number.clone(),
                email: email.clone(),
                ..OrderInformationPage::new(&state)
            };
            // The order's page again, when the number and e-mail opened it
            // (not after a wrong guess: that would count twice).
            let proven = !matches!(problem.code, "order_not_found" | "too_many_attempts");
            let again = match proven {
                true => state.maison.look_up_order(&number, &email, &client).await,
                false => Err(ShopError::OrderNotFound),
            };
            match again {
                Ok(order) => {
                    page.messages = delivery_messages(&state.maison, &order);
                    page.order = Some(order);
                    page.request_error = problem.detail;
                }
                Err(_) => page.error = problem.detail,
            }
            order_information_page(page, status)
        }
    }
}

/// The signed link from the acknowledgement: the order's page without typing.
pub async fn order_from_link(
    State(state): State<AppState>,
    Path(number): Path<String>,
    query: Result<axum::extract::Query<LinkQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let (expires, sig, requested) = match query {
        Ok(axum::extract::Query(q)) => (
            q.expires.unwrap_or(0),
            q.sig.unwrap_or_default(),
            q.requested.is_some(),
        ),
        Err(_) => (0, String::new(), false),
    };
    let now_secs = state.maison.now() / 1_000_000;
    let mut page = OrderInformationPage::new(&state);
    if requested {
        page.notice = REQUEST_SENT.to_owned();
    }
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
