//! The client's account pages: register (confirmed by e-mail), sign in and
//! out, forgotten password, My account (order history), an order's page with
//! its timeline and the "Request cancellation or change" form, saved
//! addresses, and changing the password.
//!
//! Links from e-mails open a page with a button: following a link never
//! changes anything by itself (mail scanners open links too).

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use maison_app::accounts::{SessionKind, SignedIn};
use maison_app::actor::Actor;
use maison_app::{Order, ShopError};

use maison_domain::address::address_errors;

use super::forms::{
    AddressForm, ConfirmForm, Faults, ForgotForm, OrderRequestForm, PasswordForm, RegisterForm,
    ResetForm, ReturnForm, SignInForm, StorefrontForm,
};
use super::pages::{message_page, render};
use super::shop::BAG_COOKIE;
use super::views::{self, Link, Site};
use crate::session::{Visitor, clear_session_cookie, cookie, session_cookie, set_cookie};
use crate::{AppState, Problem};

type Peer = ConnectInfo<std::net::SocketAddr>;

fn link(href: &str, name: &str) -> Link {
    Link {
        href: href.to_owned(),
        name: name.to_owned(),
    }
}

fn status_of(problem: &Problem) -> StatusCode {
    StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}

fn client_ip(state: &AppState, headers: &HeaderMap, peer: &Peer) -> String {
    state.client_key(headers, peer.0.ip())
}

fn to_sign_in(next: &str) -> Response {
    Redirect::to(&format!("/account/sign-in?next={next}")).into_response()
}

struct FormField {
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    value: String,
    hint: String,
    error: String,
}

#[derive(Template)]
#[template(path = "account_form.html")]
struct AccountForm {
    site: Site,
    form: FormSpec,
}

struct FormSpec {
    title: &'static str,
    intro: String,
    action: &'static str,
    hidden: Vec<(&'static str, String)>,
    fields: Vec<FormField>,
    submit: &'static str,
    error: String,
    links: Vec<Link>,
}

impl FormSpec {
    /// The summary's links: each faulty field (`#name`) and its fault.
    fn faulty(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .filter(|f| !f.error.is_empty())
            .map(|f| (format!("#{}", f.name), f.error.clone()))
            .collect()
    }

    /// Shows a refusal next to its field, or above the form.
    fn with_problem(mut self, problem: &Problem) -> Self {
        let name = problem
            .field
            .as_deref()
            .map(|f| f.rsplit('.').next().unwrap_or(f));
        match self.fields.iter_mut().find(|f| Some(f.name) == name) {
            Some(f) => {
                f.error = problem.detail.clone();
                self.error = "Please check the form.".to_owned();
            }
            None => self.error = problem.detail.clone(),
        }
        self
    }
}

/// A field of the form, showing `value` (a password field shows nothing).
fn input(
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    value: &str,
) -> FormField {
    FormField {
        name,
        label,
        kind,
        autocomplete,
        value: value.trim().to_owned(),
        hint: String::new(),
        error: String::new(),
    }
}

fn show(state: &AppState, form: FormSpec, status: StatusCode) -> Response {
    let mut response = render(&AccountForm {
        site: Site::new(&state.maison.client_relations, &state.maison.catalogue()),
        form,
    });
    *response.status_mut() = status;
    response
}

const PASSWORD_HINT: &str = "At least 8 characters; a short sentence of your own is ideal. Very common passwords are refused.";

fn register_form(form: &RegisterForm) -> FormSpec {
    let mut new_password = input("password", "Password", "password", "new-password", "");
    new_password.hint = PASSWORD_HINT.to_owned();
    FormSpec {
        title: "Create an account",
        intro: "Follow your orders, keep your addresses, and check out faster.".to_owned(),
        action: "/account/register",
        hidden: Vec::new(),
        fields: vec![
            input(
                "first_name",
                "First name",
                "text",
                "given-name",
                &form.first_name,
            ),
            input(
                "last_name",
                "Last name",
                "text",
                "family-name",
                &form.last_name,
            ),
            input("email", "E-mail", "email", "email", &form.email),
            input("phone", "Telephone (optional)", "tel", "tel", &form.phone),
            new_password,
        ],
        submit: "Create my account",
        error: String::new(),
        links: vec![link("/account/sign-in", "I already have an account")],
    }
}

#[derive(serde::Deserialize)]
pub struct DoneQuery {
    /// Set by the redirect after a form was sent (post-redirect-get).
    sent: Option<String>,
    done: Option<String>,
}

/// Whether the page follows its own form's success.
fn done(query: Result<Query<DoneQuery>, QueryRejection>) -> bool {
    query.is_ok_and(|Query(q)| q.sent.is_some() || q.done.is_some())
}

pub async fn register_page(
    State(state): State<AppState>,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    if done(query) {
        return message_page(
            &state,
            "Please check your e-mail",
            "We have sent a message to the e-mail address you gave. Follow its link within 24 hours to confirm your account.",
            vec![link("/", "Return to the maison")],
            StatusCode::OK,
        );
    }
    show(
        &state,
        register_form(&RegisterForm::default()),
        StatusCode::OK,
    )
}

pub async fn register(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    StorefrontForm(mut form): StorefrontForm<RegisterForm>,
) -> Response {
    let registration = form.registration();
    match state
        .maison
        .register(registration, &client_ip(&state, &headers, &peer))
        .await
    {
        // A plain page next (post-redirect-get): reloading it sends nothing.
        Ok(()) => Redirect::to("/account/register?sent=1").into_response(),
        Err(err) => {
            let problem = state.problem(err);
            let status = status_of(&problem);
            show(&state, register_form(&form).with_problem(&problem), status)
        }
    }
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

fn token_of(query: Result<Query<TokenQuery>, QueryRejection>) -> String {
    query
        .ok()
        .and_then(|Query(q)| q.token)
        .unwrap_or_default()
        .chars()
        .take(128)
        .collect()
}

/// The confirmation link: a page with one button (a GET changes nothing).
fn confirm_form(token: String) -> FormSpec {
    FormSpec {
        title: "Confirm your account",
        intro: "One last step: type the password you chose when you registered, to confirm that this e-mail address and this account are yours.".to_owned(),
        action: "/account/confirm",
        hidden: vec![("token", token)],
        fields: vec![input(
            "password",
            "Password",
            "password",
            "current-password",
            "",
        )],
        submit: "Confirm my account",
        error: String::new(),
        links: Vec::new(),
    }
}

pub async fn confirm_page(
    State(state): State<AppState>,
    query: Result<Query<TokenQuery>, QueryRejection>,
) -> Response {
    show(&state, confirm_form(token_of(query)), StatusCode::OK)
}

/// Where a client goes once signed in: `next`, or the bag when something of
/// the guest's bag could not be carried over (the bag page says what).
fn after_sign_in(next: String, merge: &maison_app::accounts::BagMerge) -> String {
    if merge.left_out.is_empty() {
        return next;
    }
    let skus: Vec<String> = merge.left_out.iter().map(|m| percent(m)).collect();
    format!("/bag?left_out={}", skus.join(","))
}

/// Ends the session this browser held before a new one replaces it.
async fn end_previous(state: &AppState, visitor: &Visitor) {
    if let Some(previous) = visitor.session.as_deref()
        && let Err(err) = state.maison.sign_out(previous).await
    {
        tracing::warn!(error = %err, "the previous session could not be ended");
    }
}

/// A client just signed in (or confirmed): the browser's earlier session
/// ends, the guest's bag joins the client's, and the response sets the
/// session and bag cookies and goes to `next` (or to the bag, when something
/// could not be carried over).
async fn welcome(
    state: &AppState,
    visitor: &Visitor,
    headers: &HeaderMap,
    signed_in: &SignedIn,
    next: String,
) -> Response {
    end_previous(state, visitor).await;
    let merge = state
        .maison
        .adopt_bag(
            &signed_in.account.id,
            cookie(headers, BAG_COOKIE).as_deref(),
        )
        .await;
    let mut response = Redirect::to(&after_sign_in(next, &merge)).into_response();
    let cookies = response.headers_mut();
    cookies.append(header::SET_COOKIE, session_cookie(state, signed_in));
    if let Some(bag) = merge.bag_id.as_deref() {
        cookies.append(
            header::SET_COOKIE,
            set_cookie(state, BAG_COOKIE, bag, Some(60 * 60 * 24 * 30)),
        );
    }
    response
}

pub async fn confirm(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    StorefrontForm(form): StorefrontForm<ConfirmForm>,
) -> Response {
    let token = form.token.trim().to_owned();
    match state
        .maison
        .confirm_registration(&token, form.password.secret(), SessionKind::Browser)
        .await
    {
        Ok(signed_in) => {
            welcome(
                &state,
                &visitor,
                &headers,
                &signed_in,
                "/account?welcome=1".to_owned(),
            )
            .await
        }
        Err(err @ (ShopError::LinkExpired | ShopError::InvalidToken)) => {
            link_refused(&state, err, "/account/register", "Register again")
        }
        Err(err) => {
            let problem = state.problem(err);
            let status = status_of(&problem);
            show(&state, confirm_form(token).with_problem(&problem), status)
        }
    }
}

fn link_refused(state: &AppState, err: ShopError, again: &str, again_label: &str) -> Response {
    let problem = state.problem(err);
    let status = status_of(&problem);
    let message = match problem.code {
        "link_expired" => "This link has expired or has already been used.",
        "invalid_token" => "This link is not valid: copy it whole from the e-mail.",
        _ => problem.detail.as_str(),
    };
    message_page(
        state,
        "This link does not work",
        message,
        vec![
            link(again, again_label),
            link("/account/sign-in", "Sign in"),
        ],
        status,
    )
}

#[derive(serde::Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path of this site (never `//elsewhere` or `https://…`).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && n.len() <= 200
                && n.chars().all(|c| c.is_ascii_graphic()) =>
        {
            n.to_owned()
        }
        _ => "/account".to_owned(),
    }
}

fn sign_in_form(email: &str, next: String) -> FormSpec {
    FormSpec {
        title: "Sign in",
        intro: String::new(),
        action: "/account/sign-in",
        hidden: vec![("next", next)],
        fields: vec![
            input("email", "E-mail", "email", "username", email),
            input("password", "Password", "password", "current-password", ""),
        ],
        submit: "Sign in",
        error: String::new(),
        links: vec![
            link("/account/forgot", "Forgotten your password?"),
            link("/account/register", "Create an account"),
            link("/order-information", "Follow an order placed as a guest"),
        ],
    }
}

pub async fn sign_in_page(
    State(state): State<AppState>,
    query: Result<Query<NextQuery>, QueryRejection>,
) -> Response {
    let next = safe_next(query.ok().and_then(|Query(q)| q.next).as_deref());
    show(&state, sign_in_form("", next), StatusCode::OK)
}

pub async fn sign_in(
    State(state): State<AppState>,
    visitor: Visitor,
    peer: Peer,
    headers: HeaderMap,
    StorefrontForm(form): StorefrontForm<SignInForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let result = state
        .maison
        .sign_in(
            form.email.trim(),
            form.password.secret(),
            &client_ip(&state, &headers, &peer),
            SessionKind::Browser,
        )
        .await;
    match result {
        Ok(signed_in) => welcome(&state, &visitor, &headers, &signed_in, next).await,
        Err(err) => {
            let problem = state.problem(err);
            let status = status_of(&problem);
            let mut spec = sign_in_form(&form.email, next);
            spec.error = problem.detail;
            let mut response = show(&state, spec, status);
            if let Some(seconds) = problem.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
    }
}

fn percent(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Ends the session here and on the server; the bag cookie goes too, so the
/// next person at this browser sees neither the account nor its bag.
pub async fn sign_out(State(state): State<AppState>, visitor: Visitor) -> Response {
    if let Some(session) = visitor.session.as_deref()
        && let Err(err) = state.maison.sign_out(session).await
    {
        return super::pages::error_page(&state, state.problem(err));
    }
    let mut response = Redirect::to("/").into_response();
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, clear_session_cookie(&state));
    headers.append(
        header::SET_COOKIE,
        set_cookie(&state, BAG_COOKIE, "", Some(0)),
    );
    response
}

fn forgot_form(email: &str) -> FormSpec {
    FormSpec {
        title: "Forgotten password",
        intro: "Enter the e-mail address of your account: we will send you a link to choose a new password.".to_owned(),
        action: "/account/forgot",
        hidden: Vec::new(),
        fields: vec![input("email", "E-mail", "email", "email", email)],
        submit: "Send me a link",
        error: String::new(),
        links: vec![link("/account/sign-in", "Sign in")],
    }
}

pub async fn forgot_page(
    State(state): State<AppState>,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    if done(query) {
        return message_page(
            &state,
            "Please check your e-mail",
            "If this address has an account, a link to choose a new password is on its way. It works once, within one hour.",
            vec![link("/account/sign-in", "Sign in")],
            StatusCode::OK,
        );
    }
    show(&state, forgot_form(""), StatusCode::OK)
}

pub async fn forgot(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    StorefrontForm(form): StorefrontForm<ForgotForm>,
) -> Response {
    match state
        .maison
        .request_password_reset(form.email.trim(), &client_ip(&state, &headers, &peer))
        .await
    {
        Ok(()) => Redirect::to("/account/forgot?sent=1").into_response(),
        Err(err) => {
            let problem = state.problem(err);
            let status = status_of(&problem);
            show(
                &state,
                forgot_form(&form.email).with_problem(&problem),
                status,
            )
        }
    }
}

fn reset_form(token: String) -> FormSpec {
    let mut new_password = input("password", "New password", "password", "new-password", "");
    new_password.hint = PASSWORD_HINT.to_owned();
    FormSpec {
        title: "Choose a new password",
        intro: String::new(),
        action: "/account/reset",
        hidden: vec![("token", token)],
        fields: vec![new_password],
        submit: "Save my new password",
        error: String::new(),
        links: Vec::new(),
    }
}

pub async fn reset_page(
    State(state): State<AppState>,
    query: Result<Query<TokenQuery>, QueryRejection>,
    done_query: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    if done(done_query) {
        return message_page(
            &state,
            "Your password was changed",
            "You can now sign in with your new password. Every other session of your account was signed out.",
            vec![link("/account/sign-in", "Sign in")],
            StatusCode::OK,
        );
    }
    show(&state, reset_form(token_of(query)), StatusCode::OK)
}

pub async fn reset(
    State(state): State<AppState>,
    StorefrontForm(form): StorefrontForm<ResetForm>,
) -> Response {
    let token = form.token.trim().to_owned();
    match state
        .maison
        .reset_password(&token, form.password.secret())
        .await
    {
        Ok(()) => Redirect::to("/account/reset?done=1").into_response(),
        Err(err @ (ShopError::LinkExpired | ShopError::InvalidToken)) => {
            link_refused(&state, err, "/account/forgot", "Ask for a new link")
        }
        Err(err) => {
            let problem = state.problem(err);
            let status = status_of(&problem);
            show(&state, reset_form(token).with_problem(&problem), status)
        }
    }
}

struct HistoryLine {
    number: String,
    placed: String,
    items: String,
    total: String,
    status: &'static str,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    site: Site,
    name: String,
    email: String,
    messages: Vec<String>,
    orders: Vec<HistoryLine>,
    next: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct AccountQuery {
    cursor: Option<String>,
    welcome: Option<String>,
}

/// Orders per page of My account.
const PAGE: u32 = 10;

pub async fn account(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<AccountQuery>, QueryRejection>,
) -> Response {
    let Some(session) = visitor.session.as_deref() else {
        return to_sign_in("/account");
    };
    let q = query.ok().map(|Query(q)| q);
    let cursor = q.as_ref().and_then(|q| q.cursor.clone());
    let welcome = q.as_ref().is_some_and(|q| q.welcome.is_some());
    let page = match state
        .maison
        .order_history(&Actor::client(&session.account.id), cursor.as_deref(), PAGE)
        .await
    {
        Ok(page) => page,
        Err(err) => return super::pages::error_page(&state, state.problem(err)),
    };
    let a = &session.account;
    render(&AccountPage {
        site: Site::new(&state.maison.client_relations, &state.maison.catalogue()),
        name: format!("{} {}", a.first_name, a.last_name),
        email: a.email.clone(),
        messages: if welcome {
            vec!["Welcome: your account is confirmed and you are signed in.".to_owned()]
        } else {
            Vec::new()
        },
        orders: page
            .orders
            .iter()
            .map(|o| HistoryLine {
                number: o.number.clone(),
                placed: views::day(o.created_at, &state.maison.time_zone),
                items: views::creations(o.item_count),
                total: o.total.display(),
                status: o.status.describe(),
            })
            .collect(),
        next: page.next_cursor,
    })
}

struct LineView {
    quantity: u32,
    name: String,
    details: String,
    total: String,
    final_sale: bool,
}

#[derive(Template)]
#[template(path = "account_order.html")]
struct OrderPage {
    site: Site,
    order: Order,
    status: &'static str,
    lines: Vec<LineView>,
    delivery: String,
    address: Vec<String>,
    messages: Vec<String>,
    payment: String,
    timeline: Vec<(String, String)>,
    requests: Vec<String>,
    modifiable: bool,
    return_days: u32,
    notice: String,
    /// Why a request was refused, beside its form.
    request_error: String,
    /// When the order was placed, as clients read it.
    placed: String,
    /// The lines that may be returned now: (line_id, what it is, at most).
    return_lines: Vec<(String, String, u32)>,
    /// Until when a return may be asked for, or why it may not.
    return_note: String,
    /// The order's returns, as the client reads them.
    returns: Vec<String>,
    /// Why a return was refused, beside its form.
    return_error: String,
}

impl OrderPage {
    fn request_action(&self) -> String {
        format!("/account/orders/{}/requests", self.order.number)
    }

    fn return_action(&self) -> String {
        format!("/account/orders/{}/returns", self.order.number)
    }

    /// A client's session proves the order: nothing more to send.
    fn request_proof(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// The same page for an order that does not exist and for one that is not
/// the visitor's: nothing tells them apart.
fn order_not_found(state: &AppState) -> Response {
    message_page(
        state,
        "Order not found",
        "There is no order with this number in your account. If you placed it as a guest, follow it through Order Information.",
        vec![
            link("/account", "My account"),
            link("/order-information", "Order Information"),
        ],
        StatusCode::NOT_FOUND,
    )
}

/// What the order page says about returns: the lines returnable now, why
/// not otherwise, and the returns asked for.
async fn return_view(
    state: &AppState,
    order: &Order,
) -> (Vec<(String, String, u32)>, String, Vec<String>) {
    use maison_app::returns::Returnability;
    let days = state.maison.policies.return_window_days;
    let (lines, note) = match state.maison.returnability(order).await {
        Ok(Returnability::Open { until, lines }) => (
            lines
                .iter()
                .filter_map(|l| {
                    let line = order.lines.get((l.line_no as usize).checked_sub(1)?)?;
                    Some((l.line_no.to_string(), line.name.clone(), l.quantity))
                })
                .collect(),
            format!(
                "Creations may be returned until {} under our Conditions of Sale; personalised creations are final sale.",
                views::moment(until, &state.maison.time_zone)
            ),
        ),
        Ok(Returnability::NotYet) => (
            Vec::new(),
            format!(
                "Once delivered or collected, creations may be returned within {days} days under our Conditions of Sale."
            ),
        ),
        Ok(Returnability::WindowClosed { closed }) => (
            Vec::new(),
            format!(
                "The return window closed on {}: creations are returned within {days} days of their delivery or collection.",
                views::moment(closed, &state.maison.time_zone)
            ),
        ),
        Ok(Returnability::Nothing) => (
            Vec::new(),
            if order.lines.iter().all(|l| l.final_sale) {
                "Personalised creations are final sale: they cannot be returned or exchanged."
                    .to_owned()
            } else {
                "Every creation that may be returned is already in a return; personalised creations are final sale.".to_owned()
            },
        ),
        Err(err) => {
            tracing::warn!(error = %err, "returnability not read");
            (Vec::new(), String::new())
        }
    };
    let returns = state
        .maison
        .returns_of(order)
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let status = match r.status.as_str() {
                "requested" => "requested; Client Relations will review it".to_owned(),
                "authorised" => "authorised; please send the creations back".to_owned(),
                "received" => "received; the refund follows".to_owned(),
                "refunded" => format!("refunded ({})", r.amount.display()),
                _ => format!(
                    "not accepted: {}",
                    r.rejection_reason.as_deref().unwrap_or("")
                ),
            };
            format!(
                "Return asked on {}: {status}.",
                views::moment(r.created_at, &state.maison.time_zone)
            )
        })
        .collect();
    (lines, note, returns)
}

async fn order_page(
    state: &AppState,
    visitor: &Visitor,
    number: &str,
    notice: String,
    error: String,
    status: StatusCode,
) -> Response {
    order_page_with(
        state,
        visitor,
        number,
        notice,
        (error, String::new()),
        status,
    )
    .await
}

async fn order_page_with(
    state: &AppState,
    visitor: &Visitor,
    number: &str,
    notice: String,
    (error, return_error): (String, String),
    status: StatusCode,
) -> Response {
    let Some(account) = visitor.account_id() else {
        return order_not_found(state);
    };
    let Ok(order) = state
        .maison
        .account_order(&Actor::client(account), number)
        .await
    else {
        return order_not_found(state);
    };
    let requests = state
        .maison
        .order_requests(&order.id)
        .await
        .unwrap_or_default();
    let doc = maison_app::documents::document(&state.maison, &order);
    let (return_lines, return_note, returns) = return_view(state, &order).await;
    let mut response = render(&OrderPage {
        site: Site::new(&state.maison.client_relations, &state.maison.catalogue()),
        status: order.status.describe(),
        lines: order
            .lines
            .iter()
            .map(|l| LineView {
                quantity: l.quantity,
                name: l.name.clone(),
                details: [
                    l.size.as_ref().map(|s| format!("size {s}")),
                    l.personalisation.as_ref().map(|p| p.describe()),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(", "),
                total: l
                    .unit_price
                    .checked_mul(l.quantity)
                    .unwrap_or(l.unit_price)
                    .display(),
                final_sale: l.final_sale,
            })
            .collect(),
        delivery: doc.delivery,
        address: doc.address_lines,
        messages: maison_app::delivery::delivery_messages(&state.maison, &order),
        payment: doc.payment,
        timeline: maison_app::lookup::client_timeline(&order)
            .map(|e| (views::moment(e.at, &state.maison.time_zone), e.note.clone()))
            .collect(),
        requests: requests
            .iter()
            .map(|r| {
                let what = if r.kind == "cancellation" {
                    "Cancellation requested"
                } else {
                    "Change requested"
                };
                let status = if r.status == "open" {
                    "Client Relations will contact you"
                } else {
                    "answered"
                };
                format!(
                    "{what} on {}: {status}.",
                    views::moment(r.created_at, &state.maison.time_zone)
                )
            })
            .collect(),
        modifiable: order.status.is_modifiable(),
        return_days: state.maison.policies.return_window_days,
        notice,
        request_error: error,
        placed: views::moment(order.created_at, &state.maison.time_zone),
        return_lines,
        return_note,
        returns,
        return_error,
        order,
    });
    *response.status_mut() = status;
    response
}

#[derive(serde::Deserialize)]
pub struct OrderQuery {
    requested: Option<String>,
    returned: Option<String>,
}

pub async fn order(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(number): Path<String>,
    query: Result<Query<OrderQuery>, QueryRejection>,
) -> Response {
    let query = query.ok().map(|Query(q)| q);
    let notice = match query {
        Some(OrderQuery {
            requested: Some(_), ..
        }) => "Your request has been sent to Client Relations, who will contact you shortly."
            .to_owned(),
        Some(OrderQuery {
            returned: Some(_), ..
        }) => "Your return has been requested: Client Relations will review it and write to you by e-mail."
            .to_owned(),
        _ => String::new(),
    };
    order_page(
        &state,
        &visitor,
        &number,
        notice,
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn request_change(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(number): Path<String>,
    StorefrontForm(form): StorefrontForm<OrderRequestForm>,
) -> Response {
    let Some(account) = visitor.account_id() else {
        return order_not_found(&state);
    };
    let kind = form.kind();
    match state
        .maison
        .request_order_change(&Actor::client(account), &number, &kind, &form.message)
        .await
    {
        // After the post, a plain page: reloading it sends nothing again.
        Ok(request) => Redirect::to(&format!(
            "/account/orders/{}?requested={}",
            percent(&number),
            request.kind
        ))
        .into_response(),
        Err(ShopError::OrderNotFound) => order_not_found(&state),
        Err(err) => {
            let problem = state.problem(err);
            let status = status_of(&problem);
            order_page(
                &state,
                &visitor,
                &number,
                String::new(),
                problem.detail,
                status,
            )
            .await
        }
    }
}

struct AddressLine {
    id: String,
    label: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "addresses.html")]
struct AddressesPage {
    site: Site,
    addresses: Vec<AddressLine>,
    /// The address being added, as typed.
    form: AddressForm,
    /// Every fault of the address, beside its field and listed above.
    faults: Faults,
    regions: Vec<(&'static str, &'static str)>,
    /// "Your address was saved", after the post.
    notice: &'static str,
}

impl AddressesPage {
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

/// The address form's fields, top to bottom.
const ADDRESS_FIELDS: [&str; 8] = [
    "label",
    "company",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "country",
];

async fn addresses_page(
    state: &AppState,
    account_id: &str,
    form: AddressForm,
    (problems, notice): (Vec<Problem>, &'static str),
    status: StatusCode,
) -> Response {
    let saved = state
        .maison
        .saved_addresses(&Actor::client(account_id))
        .await
        .unwrap_or_default();
    let mut response = render(&AddressesPage {
        site: Site::new(&state.maison.client_relations, &state.maison.catalogue()),
        addresses: saved
            .iter()
            .map(|a| AddressLine {
                id: a.id.clone(),
                label: a.label.clone(),
                summary: format!(
                    "{}{}, {}, {} {}, {}",
                    a.company
                        .as_ref()
                        .map_or(String::new(), |c| format!("{c}, ")),
                    a.line1,
                    a.city,
                    a.region,
                    a.postal_code,
                    a.country
                ),
            })
            .collect(),
        form,
        faults: Faults::of(&problems, &ADDRESS_FIELDS),
        regions: super::shop::regions(),
        notice,
    });
    *response.status_mut() = status;
    response
}

#[derive(serde::Deserialize)]
pub struct AddressesQuery {
    saved: Option<String>,
    removed: Option<String>,
}

pub async fn addresses(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<AddressesQuery>, QueryRejection>,
) -> Response {
    let Some(account) = visitor.account_id() else {
        return to_sign_in("/account/addresses");
    };
    let notice = match query {
        Ok(Query(AddressesQuery { saved: Some(_), .. })) => "Your address was saved.",
        Ok(Query(AddressesQuery {
            removed: Some(_), ..
        })) => "The address was removed.",
        _ => "",
    };
    addresses_page(
        &state,
        account,
        AddressForm::default(),
        (Vec::new(), notice),
        StatusCode::OK,
    )
    .await
}

pub async fn add_address(
    State(state): State<AppState>,
    visitor: Visitor,
    StorefrontForm(form): StorefrontForm<AddressForm>,
) -> Response {
    let Some(account) = visitor.account_id() else {
        return to_sign_in("/account/addresses");
    };
    // Every fault of the address at once (the use case names the first).
    let faults = address_errors(&form.address());
    if !faults.is_empty() {
        let problems = faults
            .into_iter()
            .map(|e| {
                let field = format!("address.{}", e.field);
                Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_address",
                    "Invalid address",
                    e.message,
                )
                .field(&field)
            })
            .collect();
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return addresses_page(&state, account, form, (problems, ""), status).await;
    }
    match state
        .maison
        .save_address(&Actor::client(account), &form.label(), &form.address())
        .await
    {
        Ok(_) => Redirect::to("/account/addresses?saved=1").into_response(),
        Err(err) => {
            let problem = state.problem(err);
            let status = status_of(&problem);
            addresses_page(&state, account, form, (vec![problem], ""), status).await
        }
    }
}

pub async fn remove_address(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    let Some(account) = visitor.account_id() else {
        return to_sign_in("/account/addresses");
    };
    match state
        .maison
        .remove_address(&Actor::client(account), &id)
        .await
    {
        Ok(()) => Redirect::to("/account/addresses?removed=1").into_response(),
        Err(err) => {
            let problem = state.problem(err);
            let status = status_of(&problem);
            addresses_page(
                &state,
                account,
                AddressForm::default(),
                (vec![problem], ""),
                status,
            )
            .await
        }
    }
}

fn password_form() -> FormSpec {
    let mut new_password = input(
        "new_password",
        "New password",
        "password",
        "new-password",
        "",
    );
    new_password.hint = PASSWORD_HINT.to_owned();
    FormSpec {
        title: "Change my password",
        intro: "Every other session of your account will be signed out.".to_owned(),
        action: "/account/password",
        hidden: Vec::new(),
        fields: vec![
            input(
                "current_password",
                "Current password",
                "password",
                "current-password",
                "",
            ),
            new_password,
        ],
        submit: "Change my password",
        error: String::new(),
        links: vec![link("/account", "Back to my account")],
    }
}

pub async fn password_page(
    State(state): State<AppState>,
    visitor: Visitor,
    query: Result<Query<DoneQuery>, QueryRejection>,
) -> Response {
    if visitor.session.is_none() {
        return to_sign_in("/account/password");
    }
    if done(query) {
        return message_page(
            &state,
            "Your password was changed",
            "Your new password is in place, and every other session of your account was signed out.",
            vec![link("/account", "My account")],
            StatusCode::OK,
        );
    }
    show(&state, password_form(), StatusCode::OK)
}

pub async fn change_password(
    State(state): State<AppState>,
    visitor: Visitor,
    StorefrontForm(form): StorefrontForm<PasswordForm>,
) -> Response {
    let Some(session) = visitor.session.as_deref() else {
        return to_sign_in("/account/password");
    };
    match state
        .maison
        .change_password(
            session,
            form.current_password.secret(),
            form.new_password.secret(),
        )
        .await
    {
        Ok(signed_in) => {
            let mut response = Redirect::to("/account/password?done=1").into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, session_cookie(&state, &signed_in));
            response
        }
        Err(err) => {
            let mut problem = state.problem(err);
            if problem.field.as_deref() == Some("password") {
                problem.field = Some("new_password".into());
            }
            let status = status_of(&problem);
            show(&state, password_form().with_problem(&problem), status)
        }
    }
}

/// "Return a creation" from the order page: asked, then a plain page
/// (post-redirect-get); refused, the page again with the reason beside the
/// form.
pub async fn request_return(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(number): Path<String>,
    StorefrontForm(form): StorefrontForm<ReturnForm>,
) -> Response {
    let Some(account) = visitor.account_id() else {
        return order_not_found(&state);
    };
    match state
        .maison
        .request_return(&Actor::client(account), &number, form.request())
        .await
    {
        Ok(_) => Redirect::to(&format!("/account/orders/{}?returned=1", percent(&number)))
            .into_response(),
        Err(ShopError::OrderNotFound) => order_not_found(&state),
        Err(err) => {
            let problem = state.problem(err);
            let status = status_of(&problem);
            order_page_with(
                &state,
                &visitor,
                &number,
                String::new(),
                (String::new(), problem.detail),
                status,
            )
            .await
        }
    }
}
