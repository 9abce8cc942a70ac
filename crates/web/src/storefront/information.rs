//! "Request information" on a creation priced on request (rule R16), and a
//! quote's private page: both work without JavaScript. A request is sent
//! then redirected to its thank-you notice (post-redirect-get); a refusal
//! shows the form again, as typed, with what is wrong next to its field. The
//! quote's page shows the piece, its stone, its price and until when it may
//! be paid, with the checkout's form to pay it by card.

use askama::Template;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Deserialize;

use maison_app::ShopError;
use maison_app::information::InformationRequestInput;
use maison_app::quotes::{QuoteCheckout, QuoteView};
use maison_domain::catalog::Creation;
use maison_domain::quote::QuoteStatus;

use super::forms::{CheckoutForm, Faults, StorefrontForm};
use super::pages::{not_found_page, render};
use super::views::Site;
use crate::session::Visitor;
use crate::{AppState, Problem};

/// The routes of this file, merged into the storefront's.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/creations/{slug}/request-information",
            get(request_page).post(send_request),
        )
        .route("/quotes/{token}", get(quote_page).post(pay_quote))
}

/// "Request information": who the client is and what they would like to know.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InformationForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub message: String,
}

impl InformationForm {
    fn input(&self, sku: String) -> InformationRequestInput {
        InformationRequestInput {
            sku,
            first_name: self.first_name.trim().to_owned(),
            last_name: self.last_name.trim().to_owned(),
            email: self.email.trim().to_owned(),
            phone: self.phone.trim().to_owned(),
            message: self.message.clone(),
        }
    }
}

/// The creation the request is about, as the page names it.
struct CreationSummary {
    name: String,
    sku: String,
    href: String,
}

impl CreationSummary {
    fn new(c: &Creation) -> Self {
        CreationSummary {
            name: c.name.clone(),
            sku: c.sku.to_string(),
            href: format!("/creations/{}", c.slug),
        }
    }
}

#[derive(Template)]
#[template(path = "information.html")]
struct InformationPage {
    site: Site,
    creation: CreationSummary,
    action: String,
    form: InformationForm,
    /// What is wrong with the request, beside its fields and listed above.
    faults: Faults,
    sent: bool,
}

impl InformationPage {
    fn error(&self, name: &str) -> String {
        self.faults.error(name)
    }

    fn has(&self, name: &str) -> bool {
        !self.faults.error(name).is_empty()
    }

    fn aria(&self, name: &str) -> String {
        self.faults.aria(name)
    }
}

/// The request form's fields, top to bottom.
const INFORMATION_FIELDS: [&str; 5] = ["first_name", "last_name", "email", "phone", "message"];

fn site(state: &AppState) -> Site {
    Site::new(&state.maison.client_relations, &state.maison.catalogue())
}

fn missing(state: &AppState, title: &str) -> Response {
    let mut response = not_found_page(state, title);
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

fn status_of(problem: &Problem) -> StatusCode {
    StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}

#[derive(Deserialize)]
pub struct SentQuery {
    sent: Option<String>,
}

/// The form on its own page, or its thank-you notice once sent.
pub async fn request_page(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    query: Result<Query<SentQuery>, QueryRejection>,
) -> Response {
    let catalogue = state.maison.catalogue();
    let Some(creation) = catalogue.creation_by_slug(&slug) else {
        return missing(&state, "This creation does not exist");
    };
    render(&InformationPage {
        site: site(&state),
        creation: CreationSummary::new(creation),
        action: format!("/creations/{}/request-information", creation.slug),
        form: InformationForm::default(),
        faults: Faults::default(),
        sent: query.is_ok_and(|Query(q)| q.sent.is_some()),
    })
}

/// Sends the request, then shows its thank-you notice (post-redirect-get).
pub async fn send_request(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    StorefrontForm(form): StorefrontForm<InformationForm>,
) -> Response {
    let catalogue = state.maison.catalogue();
    let Some(creation) = catalogue.creation_by_slug(&slug) else {
        return missing(&state, "This creation does not exist");
    };
    let action = format!("/creations/{}/request-information", creation.slug);
    let client = state.client_key(&headers, peer.ip());
    match state
        .maison
        .request_information(form.input(creation.sku.to_string()), &client, None)
        .await
    {
        Ok(_) => Redirect::to(&format!("{action}?sent=1")).into_response(),
        Err(err) => {
            let problem = state.problem(err);
            let mut response = render(&InformationPage {
                site: site(&state),
                creation: CreationSummary::new(creation),
                action,
                form,
                faults: Faults::of(std::slice::from_ref(&problem), &INFORMATION_FIELDS),
                sent: false,
            });
            *response.status_mut() = status_of(&problem);
            response
        }
    }
}

#[derive(Template)]
#[template(path = "quote.html")]
struct QuotePage {
    site: Site,
    action: String,
    key: String,
    /// `open`, `used` or `expired`.
    status: &'static str,
    /// What the page says when the quote can no longer be paid.
    status_sentence: String,
    client: String,
    name: String,
    sku: String,
    size: Option<String>,
    href: String,
    image: String,
    stone: String,
    price: String,
    expiry: String,
    notices: Vec<String>,
    /// The pay form as typed (never the card number or security code).
    form: CheckoutForm,
    /// Every fault of the submission, beside its field and listed above.
    faults: Faults,
    regions: Vec<(&'static str, &'static str)>,
    /// (id, label) of each boutique that accepts pickups.
    boutiques: Vec<(String, String)>,
}

impl QuotePage {
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

/// The fields of the pay form, as the page names them.
const PAY_FIELDS: [&str; 18] = [
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

fn quote_view_page(
    state: &AppState,
    token: &str,
    view: &QuoteView,
    mut form: CheckoutForm,
    problems: &[Problem],
) -> Response {
    let maison = &state.maison;
    let catalogue = maison.catalogue();
    form.card_number.clear();
    form.cvc.clear();
    form.method.get_or_insert_with(|| "home".into());
    form.country.get_or_insert_with(|| "US".into());
    let faults = Faults::of(problems, &PAY_FIELDS);
    let policies = &maison.policies;
    let mut notices = Vec::new();
    if view.quote.price > policies.high_value_threshold {
        notices.push(maison_domain::delivery::secure_courier_sentence(
            policies,
            &maison.client_relations,
        ));
    }
    let status_sentence = match view.status {
        QuoteStatus::Open => String::new(),
        QuoteStatus::Used => match &view.order_number {
            Some(number) => format!(
                "This quote has been paid: your order {number} has been placed, and its acknowledgement and confirmation are on their way to your e-mail address. Follow it from Order Information with its number and your e-mail address."
            ),
            None => "This quote has been paid.".to_owned(),
        },
        QuoteStatus::Expired => format!(
            "This quote has expired. Your Prestige Advisor will be pleased to prepare a new one: contact {}.",
            maison.client_relations.contact_sentence()
        ),
    };
    let regions = super::shop::regions();
    let boutiques = catalogue
        .boutiques
        .iter()
        .filter(|b| b.accepts_pickup)
        .map(|b| {
            (
                b.id.clone(),
                format!("{} — {}", b.name, b.address.locality()),
            )
        })
        .collect();
    let mut response = render(&QuotePage {
        site: Site::new(&maison.client_relations, &catalogue),
        action: format!("/quotes/{token}"),
        key: Some(form.key.clone())
            .filter(|k| !k.is_empty())
            .unwrap_or_else(maison_app::clock::new_id),
        status: view.status.as_str(),
        status_sentence,
        client: format!("{} {}", view.first_name, view.last_name),
        name: view.name.clone(),
        sku: view.quote.sku.clone(),
        size: view.size.clone(),
        href: if view.slug.is_empty() {
            String::new()
        } else {
            format!("/creations/{}", view.slug)
        },
        image: format!("/images/{}.svg", view.slug),
        stone: format!("Stone: {}", view.quote.stone.describe()),
        price: view.quote.price.display(),
        expiry: match view.status {
            QuoteStatus::Expired => format!(
                "This quote was valid until {}.",
                super::views::moment(view.quote.expires_at, &maison.time_zone)
            ),
            _ => format!(
                "This quote is reserved for you until {}.",
                super::views::moment(view.quote.expires_at, &maison.time_zone)
            ),
        },
        notices,
        form,
        faults,
        regions,
        boutiques,
    });
    *response.status_mut() = problems.first().map_or(StatusCode::OK, status_of);
    response
}

/// The quote's private page: the piece, and the form to pay it.
pub async fn quote_page(State(state): State<AppState>, Path(token): Path<String>) -> Response {
    let view = match state.maison.quote_by_link(&token).await {
        Ok(view) => view,
        Err(ShopError::QuoteNotFound) => {
            return missing(&state, "This link does not open a quote");
        }
        Err(err) => return super::pages::error_page(&state, state.problem(err)),
    };
    // The form starts with the client the quote was prepared for.
    let form = CheckoutForm {
        first_name: view.first_name.clone(),
        last_name: view.last_name.clone(),
        email: view.email.clone(),
        phone: view.phone.clone(),
        ..CheckoutForm::default()
    };
    quote_view_page(&state, &token, &view, form, &[])
}

/// Pays the quote, then shows it paid (post-redirect-get); a refusal shows
/// the form again as typed, without the card's number and code.
pub async fn pay_quote(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(token): Path<String>,
    StorefrontForm(mut form): StorefrontForm<CheckoutForm>,
) -> Response {
    let request = form.request(String::new(), visitor.account_id().map(str::to_owned));
    let card = form.take_card();
    // Every fault of the form at once, before anything is attempted.
    let faults = state.maison.checkout_faults(&request, &card).await;
    if !faults.is_empty() {
        let view = match state.maison.quote_by_link(&token).await {
            Ok(view) => view,
            Err(ShopError::QuoteNotFound) => {
                return missing(&state, "This link does not open a quote");
            }
            Err(err) => return super::pages::error_page(&state, state.problem(err)),
        };
        let problems: Vec<Problem> = faults.into_iter().map(|f| state.problem(f)).collect();
        return quote_view_page(&state, &token, &view, form, &problems);
    }
    let key = form.key();
    let outcome = state
        .maison
        .pay_quote(
            &token,
            &key,
            QuoteCheckout {
                account_id: request.account_id,
                contact: request.contact,
                delivery: request.delivery,
                accept_final_sale: request.accept_final_sale,
            },
            card,
        )
        .await;
    match outcome {
        Ok(_) => Redirect::to(&format!("/quotes/{token}")).into_response(),
        Err(ShopError::QuoteNotFound) => missing(&state, "This link does not open a quote"),
        Err(err) => {
            let retry_with_new_key =
                matches!(err, ShopError::Recorded(_) | ShopError::Replayed { .. });
            let problem = state.problem(err);
            let view = match state.maison.quote_by_link(&token).await {
                Ok(view) => view,
                Err(err) => return super::pages::error_page(&state, state.problem(err)),
            };
            if retry_with_new_key {
                // That attempt is over (declined): another card is a new attempt.
                form.key.clear();
            }
            quote_view_page(&state, &token, &view, form, &[problem])
        }
    }
}
