//! The Client Relations console at `/console`: server-rendered pages that
//! work without JavaScript, on a phone, a tablet and a desktop, for the
//! maison's staff. Its own session cookie (`maison_console`: HttpOnly,
//! SameSite=Strict, Path=/console, Secure over HTTPS), kept server-side with
//! a 30-minute idle and an 8-hour absolute limit; a CSRF token on every form.
//!
//! Handlers turn the session into `Actor::Staff` and call the use cases,
//! which decide who may do what: pages only hide the buttons a role cannot
//! use, and a refusal is shown in words.

mod admin;
mod auth;
mod fulfilment;
mod new_order;
mod orders;
mod qr;
mod requests;
mod returns;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use maison_app::actor::{Action, Actor, allowed};
use maison_app::console_auth::ConsoleSession;
use maison_domain::staff::StaffRole;

use crate::session::{constant_time_eq, cookie, csrf_presented};
use crate::{AppState, Problem};

/// The console session's cookie.
pub const COOKIE: &str = "maison_console";
/// The signed form token of a browser not signed in (sign-in and setup
/// forms), as the storefront's guests have.
const FORM_COOKIE: &str = "maison_console_form";
const FORM_COOKIE_AGE: u32 = 24 * 60 * 60;
/// The pages a browser without a console session may use.
const PUBLIC: [&str; 3] = ["/console/sign-in", "/console/setup", "/console/sign-out"];

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/console", get(orders::search))
        .route(
            "/console/sign-in",
            get(auth::sign_in_page).post(auth::sign_in),
        )
        .route("/console/setup", get(auth::setup_page).post(auth::setup))
        .route("/console/sign-out", post(auth::sign_out))
        .route("/console/orders/{number}", get(orders::detail))
        .route("/console/orders/{number}/cancel", post(orders::cancel))
        .route("/console/orders/{number}/process", post(orders::process))
        .route("/console/orders/{number}/receipts", post(orders::receipt))
        .route("/console/orders/{number}/change", post(orders::change))
        .route("/console/requests", get(requests::list))
        .route("/console/requests/{id}", get(requests::detail))
        .route("/console/requests/{id}/assign", post(requests::assign))
        .route("/console/requests/{id}/status", post(requests::set_status))
        .route("/console/requests/{id}/quotes", post(requests::issue_quote))
        .route("/console/quotes", get(requests::quotes))
        .route("/console/receipts", get(orders::awaiting_payment))
        .route(
            "/console/new-order",
            get(new_order::form).post(new_order::place),
        )
        .route("/console/outbox", get(admin::outbox))
        .route("/console/outbox/{id}/retry", post(admin::retry))
        .route("/console/audit", get(admin::audit))
        .route("/console/staff", get(admin::staff).post(admin::add_staff))
        .route("/console/staff/link", post(admin::setup_link))
        .route("/console/staff/disable", post(admin::disable))
        .merge(fulfilment::routes())
        .merge(returns::routes())
        .route_layer(from_fn_with_state(state, guard))
        // The stylesheet needs no session.
        .route("/console/assets/console.css", get(stylesheet))
}

const STYLESHEET: &str = include_str!("../../assets/console.css");

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
        .into_response()
}

/// The console's view of a request: the session, if any, and the token its
/// forms carry.
#[derive(Clone, Default)]
pub(crate) struct Ctx {
    pub session: Option<Arc<ConsoleSession>>,
    /// A browser without a session: its signed form token.
    pub form_token: String,
}

impl Ctx {
    /// The token every form of the page sends back.
    pub fn csrf(&self) -> &str {
        self.session
            .as_deref()
            .map_or(self.form_token.as_str(), |s| s.csrf_token.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<Ctx>().cloned().unwrap_or_default())
    }
}

/// A signed-in staff member (the extractor of every page but sign-in and
/// setup): without a session, the browser goes to the sign-in page.
pub(crate) struct Signed {
    pub session: Arc<ConsoleSession>,
}

impl Signed {
    pub fn actor(&self) -> Actor {
        Actor::Staff(self.session.member.clone())
    }

    /// Whether the role may take `action` (to show its button; the use case
    /// decides).
    pub fn may(&self, action: Action) -> bool {
        allowed(self.session.member.role, action)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match parts
            .extensions
            .get::<Ctx>()
            .and_then(|c| c.session.clone())
        {
            Some(session) => Ok(Signed { session }),
            None => {
                let ended = parts.method != Method::GET || cookie(&parts.headers, COOKIE).is_some();
                Err(Redirect::to(if ended {
                    "/console/sign-in?ended=1"
                } else {
                    "/console/sign-in"
                })
                .into_response())
            }
        }
    }
}

/// A link of the console's navigation.
pub(crate) struct Nav {
    pub href: &'static str,
    pub name: &'static str,
    pub current: bool,
}

/// The frame of every console page.
pub(crate) struct Frame {
    pub maison: String,
    pub signed_in: bool,
    pub member: String,
    pub role: &'static str,
    pub csrf: String,
    pub nav: Vec<Nav>,
}

pub(crate) fn role_name(role: StaffRole) -> &'static str {
    match role {
        StaffRole::Ambassador => "Ambassador",
        StaffRole::PrestigeAdvisor => "Prestige Advisor",
        StaffRole::Fulfilment => "Fulfilment",
        StaffRole::Admin => "Administrator",
    }
}

impl Frame {
    /// The frame of a page for a signed-in member; `current` is the
    /// navigation link of the page.
    pub fn new(state: &AppState, signed: &Signed, current: &str) -> Self {
        let links: [(&'static str, &'static str, Option<Action>); 10] = [
            ("/console", "Orders", None),
            (
                "/console/requests",
                "Requests",
                Some(Action::ViewInformationRequests),
            ),
            (
                "/console/quotes",
                "Quotes",
                Some(Action::ViewInformationRequests),
            ),
            (
                "/console/new-order",
                "New order",
                Some(Action::PlaceAssistedOrder),
            ),
            ("/console/receipts", "Receipts", Some(Action::RecordReceipt)),
            ("/console/fulfilment", "Fulfilment", Some(Action::Fulfil)),
            ("/console/returns", "Returns", Some(Action::ViewOrders)),
            ("/console/outbox", "Outbox", Some(Action::ManageOutbox)),
            ("/console/audit", "Audit log", Some(Action::ViewAuditLog)),
            ("/console/staff", "Staff", Some(Action::ManageStaff)),
        ];
        let member = &signed.session.member;
        Frame {
            maison: state.maison.client_relations.maison_name.clone(),
            signed_in: true,
            member: member.name.clone(),
            role: role_name(member.role),
            csrf: signed.session.csrf_token.clone(),
            nav: links
                .into_iter()
                .filter(|(href, _, action)| {
                    !href.is_empty() && action.is_none_or(|a| signed.may(a))
                })
                .map(|(href, name, _)| Nav {
                    href,
                    name,
                    current: href == current,
                })
                .collect(),
        }
    }

    /// The frame of the sign-in and setup pages.
    pub fn public(state: &AppState, ctx: &Ctx) -> Self {
        Frame {
            maison: state.maison.client_relations.maison_name.clone(),
            signed_in: false,
            member: String::new(),
            role: "",
            csrf: ctx.csrf().to_owned(),
            nav: Vec::new(),
        }
    }
}

/// Renders a template, or a plain apology if the template itself fails.
pub(crate) fn render(template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "console template failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Error</title><p>Something went wrong on our side. Please try again.</p>"),
            )
                .into_response()
        }
    }
}

pub(crate) fn with_status(mut response: Response, status: StatusCode) -> Response {
    *response.status_mut() = status;
    response
}

pub(crate) fn status_of(problem: &Problem) -> StatusCode {
    StatusCode::from_u16(problem.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}

#[derive(Template)]
#[template(path = "console/message.html")]
struct MessagePage<'a> {
    frame: Frame,
    title: &'a str,
    detail: &'a str,
    back: &'a str,
}

/// A page that says what happened, with the way back.
pub(crate) fn message(
    frame: Frame,
    title: &str,
    detail: &str,
    back: &str,
    status: StatusCode,
) -> Response {
    with_status(
        render(&MessagePage {
            frame,
            title,
            detail,
            back,
        }),
        status,
    )
}

/// A use case's refusal, in words, on a console page.
pub(crate) fn refusal(state: &AppState, signed: &Signed, problem: Problem, back: &str) -> Response {
    let status = status_of(&problem);
    let title = match status {
        StatusCode::FORBIDDEN => "Not for this role",
        StatusCode::NOT_FOUND => "Not found",
        _ => "Not done",
    };
    let detail = if status == StatusCode::FORBIDDEN {
        "Your role does not allow this, so nothing was changed. An administrator can help."
            .to_owned()
    } else if problem.code == "order_not_found" {
        "There is no order with this number. Check it with the client, or search by their name or e-mail address.".to_owned()
    } else {
        problem.detail
    };
    message(Frame::new(state, signed, ""), title, &detail, back, status)
}

/// A console cookie: HttpOnly, SameSite=Strict, for `/console` only, Secure
/// when the maison is reached over HTTPS.
pub(crate) fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<u32>,
) -> HeaderValue {
    let secure = if state.secure_cookies { "; Secure" } else { "" };
    let age = max_age.map_or(String::new(), |s| format!("; Max-Age={s}"));
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/console; HttpOnly; SameSite=Strict{age}{secure}"
    ))
    .unwrap_or(HeaderValue::from_static(""))
}

/// Resolves the console session; refuses a state-changing request without
/// the expected CSRF token; gives a browser without a session its form
/// token; keeps every console page out of caches.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let presented_cookie = cookie(request.headers(), COOKIE);
    let session = match &presented_cookie {
        None => None,
        Some(token) => match state.maison.console_session(token).await {
            Ok(session) => session.map(Arc::new),
            Err(err) => {
                tracing::error!(error = %err, "console session could not be read");
                return message(
                    Frame::public(&state, &Ctx::default()),
                    "Please try again",
                    "The console could not check your session just now; nothing was changed.",
                    "/console",
                    StatusCode::SERVICE_UNAVAILABLE,
                );
            }
        },
    };
    let form_cookie =
        cookie(request.headers(), FORM_COOKIE).filter(|t| state.maison.is_form_token(t));
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let public = PUBLIC.contains(&request.uri().path());
    let mut request = request;
    if unsafe_method {
        // A signed-in member's forms carry the session's token; the sign-in
        // and setup forms may carry the browser's form token. Without a
        // session, other forms change nothing (they lead to the sign-in).
        let mut accepted: Vec<String> = Vec::new();
        if let Some(s) = &session {
            accepted.push(s.csrf_token.clone());
        }
        if public && let Some(t) = &form_cookie {
            accepted.push(t.clone());
        }
        let needs_check =
            session.is_some() || (public && request.uri().path() != "/console/sign-out");
        if needs_check {
            let (read, presented) = match csrf_presented(request).await {
                Ok(read) => read,
                Err(response) => return response,
            };
            request = read;
            let ok = presented.as_deref().is_some_and(|p| {
                accepted
                    .iter()
                    .any(|a| !a.is_empty() && constant_time_eq(p.as_bytes(), a.as_bytes()))
            });
            if !ok {
                tracing::warn!(path = %request.uri().path(), "console form without its CSRF token refused");
                let mut response = message(
                    Frame::public(&state, &Ctx::default()),
                    "Refused",
                    "This form did not carry its security token (the page may be old), so nothing was changed. Please go back, reload the page and try again.",
                    "/console",
                    StatusCode::FORBIDDEN,
                );
                if session.is_none()
                    && form_cookie.is_none()
                    && let Ok(token) = state.maison.new_form_token()
                {
                    response.headers_mut().append(
                        header::SET_COOKIE,
                        set_cookie(&state, FORM_COOKIE, &token, Some(FORM_COOKIE_AGE)),
                    );
                }
                return response;
            }
        }
    }
    let new_form_token = match (&session, &form_cookie) {
        (None, None) if !unsafe_method => state.maison.new_form_token().ok(),
        _ => None,
    };
    let ctx = Ctx {
        form_token: form_cookie
            .or_else(|| new_form_token.clone())
            .unwrap_or_default(),
        session: session.clone(),
    };
    request.extensions_mut().insert(ctx);
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if presented_cookie.is_some() && session.is_none() && !headers.contains_key(header::SET_COOKIE)
    {
        // The cookie of a session that ended: the browser may forget it.
        headers.append(header::SET_COOKIE, set_cookie(&state, COOKIE, "", Some(0)));
    }
    if let Some(token) = new_form_token {
        headers.append(
            header::SET_COOKIE,
            set_cookie(&state, FORM_COOKIE, &token, Some(FORM_COOKIE_AGE)),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use crate::session::is_console;

    #[test]
    fn only_console_paths_are_the_console_s() {
        assert!(is_console("/console"));
        assert!(is_console("/console/orders/MV-1"));
        assert!(!is_console("/consoles"));
        assert!(!is_console("/account"));
    }
}
