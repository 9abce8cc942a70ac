//! Who is asking: the client session behind a request (a cookie for
//! browsers, `Authorization: Bearer` for API clients), resolved once per
//! request, and the CSRF check on every state-changing request a cookie
//! session authenticates (the session's token) or a guest's form sends (a
//! signed token kept in a cookie, see `maison_app::form_tokens`).
//!
//! The resolved [`Visitor`] is a request extension (handlers take it as an
//! extractor) and, for the page frame only, a task-local read by
//! `storefront::views::Site`, so that every page's header and every form's
//! CSRF field follow the session without each handler threading it through.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use maison_app::accounts::{ClientSession, SessionKind, SignedIn};
use maison_app::actor::{Actor, StaffMember};

use crate::{AppState, Problem};

/// The session cookie. With TLS it carries the `__Host-` prefix: the browser
/// then only accepts it over HTTPS, for the whole host, from no subdomain.
const COOKIE: &str = "maison_session";
const SECURE_COOKIE: &str = "__Host-maison_session";
/// The cookie that holds a guest's form token (`__Host-` over HTTPS), and
/// how long it lasts.
const FORM_COOKIE: &str = "maison_form";
const SECURE_FORM_COOKIE: &str = "__Host-maison_form";
const FORM_COOKIE_AGE: u32 = 7 * 24 * 60 * 60;
/// The form field and the header that carry the CSRF token.
/// Whether `path` is the console's (its own cookie and sessions; the
/// storefront's session step leaves it alone).
pub(crate) fn is_console(path: &str) -> bool {
    path == "/console" || path.starts_with("/console/")
}

pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The client behind the request, if signed in.
#[derive(Clone, Default)]
pub struct Visitor {
    pub session: Option<Arc<ClientSession>>,
    /// A staff member, by their API token.
    pub staff: Option<Arc<StaffMember>>,
    /// A guest's form token (see `maison_app::form_tokens`).
    pub form_token: Option<String>,
}

impl Visitor {
    /// Who is acting, for the use cases.
    pub fn actor(&self) -> Actor {
        match (&self.staff, &self.session) {
            (Some(member), _) => Actor::Staff(StaffMember::clone(member)),
            (None, Some(session)) => Actor::Client {
                account_id: session.account.id.clone(),
            },
            (None, None) => Actor::Guest,
        }
    }

    pub fn account_id(&self) -> Option<&str> {
        self.session.as_deref().map(|s| s.account.id.as_str())
    }

    /// The session, or the API's 401 `authentication_required`.
    pub fn client(&self) -> Result<&ClientSession, Problem> {
        self.session.as_deref().ok_or_else(|| {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "authentication_required",
                "Sign-in required",
                "Sign in first: POST /api/v1/sessions with your e-mail and password, then send the token as Authorization: Bearer.",
            )
        })
    }

    /// The token every form sends back: the session's, or the guest's.
    pub fn csrf_token(&self) -> &str {
        match (&self.session, &self.form_token) {
            (Some(s), _) => s.csrf_token.as_str(),
            (None, Some(t)) => t.as_str(),
            (None, None) => "",
        }
    }

    pub fn first_name(&self) -> Option<&str> {
        self.session
            .as_deref()
            .map(|s| s.account.first_name.as_str())
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .unwrap_or_default())
    }
}

tokio::task_local! {
    static CURRENT: Visitor;
}

/// The visitor of the request being handled (for the page frame).
pub fn current() -> Visitor {
    CURRENT.try_with(Visitor::clone).unwrap_or_default()
}

/// A cookie's value from the request, when it looks like one of ours.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// `Set-Cookie` for one of our cookies: `HttpOnly`, `SameSite=Lax`, `Secure`
/// when the maison is reached over HTTPS; `max_age` `None` for a cookie that
/// ends with the browser.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<u32>) -> HeaderValue {
    HeaderValue::from_str(&cookie_header(name, value, max_age, state.secure_cookies))
        .unwrap_or(HeaderValue::from_static(""))
}

fn cookie_header(name: &str, value: &str, max_age: Option<u32>, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    let age = max_age.map_or(String::new(), |s| format!("; Max-Age={s}"));
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{age}{secure}")
}

pub fn cookie_name(state: &AppState) -> &'static str {
    session_cookie_name(state.secure_cookies)
}

fn form_cookie_name(state: &AppState) -> &'static str {
    if state.secure_cookies {
        SECURE_FORM_COOKIE
    } else {
        FORM_COOKIE
    }
}

fn session_cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_COOKIE } else { COOKIE }
}

/// The cookie that carries a new browser session.
pub fn session_cookie(state: &AppState, signed_in: &SignedIn) -> HeaderValue {
    set_cookie(state, cookie_name(state), signed_in.token.expose(), None)
}

/// The cookie that ends the browser's session.
pub fn clear_session_cookie(state: &AppState) -> HeaderValue {
    set_cookie(state, cookie_name(state), "", Some(0))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
}

/// The staff routes of the API (bearer tokens of staff members).
fn is_staff_api(request: &Request) -> bool {
    let path = request.uri().path();
    ["/api/v1/orders", "/api/v1/audit-events"]
        .iter()
        .any(|prefix| path == *prefix || path.starts_with(&format!("{prefix}/")))
}

fn is_api(request: &Request) -> bool {
    request.uri().path().starts_with("/api/")
}

/// Resolves the session; checks the CSRF token of every state-changing
/// request that a cookie session authenticates or that a guest's storefront
/// form sends; gives a guest's first page its form token; runs the handler
/// with the visitor known.
pub async fn resolve(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // The console has its own session, cookie and CSRF check (`console`).
    if is_console(request.uri().path()) {
        return next.run(request).await;
    }
    let by_bearer = bearer(request.headers());
    let by_cookie = cookie(request.headers(), cookie_name(&state));
    let token = by_bearer.clone().or(by_cookie.clone());
    let session = match token {
        None => None,
        Some(token) => match state.maison.session(&token).await {
            Ok(session) => session,
            Err(err) => return state.problem(err).refusal(),
        },
    };
    // A bearer token is for API sessions, a cookie for browser sessions: a
    // token carried the other way is not honoured.
    let session = session.filter(|s| match s.kind {
        SessionKind::Api => by_bearer.is_some(),
        SessionKind::Browser => by_bearer.is_none(),
    });
    // A bearer token that opens no client session may be a staff member's.
    let staff = match (&by_bearer, &session) {
        (Some(token), None) => match state.maison.staff_by_token(token).await {
            Ok(member) => member.map(Arc::new),
            Err(err) => return state.problem(err).refusal(),
        },
        _ => None,
    };
    if by_bearer.is_some() && session.is_none() && staff.is_none() && is_api(&request) {
        let problem = if is_staff_api(&request) {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "Unauthenticated",
                "This token is not valid, or its staff member is disabled: ask an administrator for a new one (maison staff token EMAIL).",
            )
        } else {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                "Invalid token",
                "This token is not valid or has expired: sign in again with POST /api/v1/sessions.",
            )
        };
        return problem.refusal();
    }
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    // A guest's form token, when its cookie holds one the maison made.
    let guest_token = cookie(request.headers(), form_cookie_name(&state))
        .filter(|t| session.is_none() && state.maison.is_form_token(t));
    // Which token a state-changing request must carry: the session's, for a
    // browser session; the guest's cookie's, for a storefront form without
    // a session. A bearer token, or an API call without a cookie session,
    // carries no ambient authority to abuse.
    let expected = match &session {
        Some(s) if s.kind == SessionKind::Browser => Some(s.csrf_token.clone()),
        Some(_) => None,
        // Signing out without a session changes nothing: no token needed (a
        // page kept open past the session's end must still sign out).
        None if request.uri().path() == "/account/sign-out" => None,
        None if !is_api(&request) => Some(guest_token.clone().unwrap_or_default()),
        None => None,
    };
    // Checked once a route has matched (see [`check_csrf`]): a form posted
    // to a path that does not exist is a 404, not a missing token.
    let mut request = request;
    request.extensions_mut().insert(CsrfExpectation {
        expected: expected.filter(|_| unsafe_method),
        give_form_cookie: session.is_none() && guest_token.is_none(),
    });
    let stale_cookie = by_cookie.is_some() && session.is_none();
    let path = request.uri().path();
    let shared_asset = path.starts_with("/assets/") || path.starts_with("/images/");
    let private = (session.is_some() && !shared_asset) || path.starts_with("/account");
    // A guest's first page gives the browser its form token.
    let new_guest_token = match (&session, &guest_token) {
        (None, None) if !is_api(&request) && !shared_asset && !unsafe_method => {
            state.maison.new_form_token().ok()
        }
        _ => None,
    };
    let visitor = Visitor {
        session: session.map(Arc::new),
        staff,
        form_token: guest_token.or_else(|| new_guest_token.clone()),
    };
    request.extensions_mut().insert(visitor.clone());
    let mut response = CURRENT.scope(visitor, next.run(request)).await;
    if private {
        // A client's pages and answers stay out of shared and browser caches.
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if stale_cookie && !response.headers().contains_key(header::SET_COOKIE) {
        // A cookie of a session that ended: the browser may forget it.
        response
            .headers_mut()
            .append(header::SET_COOKIE, clear_session_cookie(&state));
    }
    if let Some(token) = new_guest_token {
        give_form_token(&state, &mut response, &token);
    }
    response
}

/// Gives a guest's browser its form token (the signed double-submit cookie).
fn give_form_token(state: &AppState, response: &mut Response, token: &str) {
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, form_cookie_name(state), token, Some(FORM_COOKIE_AGE)),
    );
}

/// The token a state-changing request must carry, as [`resolve`] found it.
#[derive(Clone)]
struct CsrfExpectation {
    /// `None` when no token is needed (a safe method, a bearer token, an API
    /// call without a cookie session).
    expected: Option<String>,
    /// A guest without a valid form cookie: a refusal gives one, so that the
    /// reloaded page's form goes through.
    give_form_cookie: bool,
}

/// Refuses a state-changing request to a matched route that does not carry
/// the expected CSRF token (a route layer: unknown paths answer 404 first).
pub async fn check_csrf(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // The operations endpoints change nothing and have no form: any other
    // method than theirs is answered 405 by the router, not as a CSRF refusal.
    if matches!(request.uri().path(), "/healthz" | "/readyz" | "/metrics") {
        return next.run(request).await;
    }
    let (expected, give_form_cookie) = match request.extensions().get::<CsrfExpectation>() {
        Some(CsrfExpectation {
            expected: Some(expected),
            give_form_cookie,
        }) => (expected.clone(), *give_form_cookie),
        Some(CsrfExpectation { expected: None, .. }) => return next.run(request).await,
        // A router composed without the session middleware fails safe: a
        // state-changing request is refused, a safe one goes through.
        None if matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        ) =>
        {
            return next.run(request).await;
        }
        None => (String::new(), false),
    };
    let (request, presented) = match csrf_presented(request).await {
        Ok(read) => read,
        Err(response) => return response,
    };
    let ok = !expected.is_empty()
        && presented
            .as_deref()
            .is_some_and(|t| constant_time_eq(t.as_bytes(), expected.as_bytes()));
    if ok {
        return next.run(request).await;
    }
    tracing::warn!(path = %request.uri().path(), "request without the form's CSRF token refused");
    let detail = if is_api(&request) {
        "This request did not carry the session's security token, so nothing was changed: send the X-CSRF-Token header, or use a bearer token."
    } else {
        "This form did not carry its security token (the page may be old), so nothing was changed. Please go back, reload the page and try again."
    };
    let mut response = Problem::new(
        StatusCode::FORBIDDEN,
        "csrf_token_invalid",
        "Refused",
        detail,
    )
    .refusal();
    if give_form_cookie && let Ok(token) = state.maison.new_form_token() {
        give_form_token(&state, &mut response, &token);
    }
    response
}

/// Reads the CSRF token from the header, or from the form body (which is put
/// back for the handler).
pub(crate) async fn csrf_presented(
    request: Request,
) -> Result<(Request, Option<String>), Response> {
    if let Some(token) = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
    {
        let token = token.to_owned();
        return Ok((request, Some(token)));
    }
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((request, None));
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                "This form is larger than the maison accepts.",
            )
                .into_response());
        }
    };
    let token = bytes
        .split(|b| *b == b'&')
        .filter_map(|pair| pair.strip_prefix(format!("{CSRF_FIELD}=").as_bytes()))
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .next();
    Ok((
        Request::from_parts(parts, axum::body::Body::from(bytes)),
        token,
    ))
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_cookies_are_read() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; maison_session=abc123; evil=<script>"
                .parse()
                .expect("header"),
        );
        assert_eq!(
            cookie(&headers, "maison_session").as_deref(),
            Some("abc123")
        );
        assert_eq!(cookie(&headers, "evil"), None);
        assert_eq!(cookie(&headers, "missing"), None);
    }

    #[test]
    fn over_https_the_session_cookie_is_host_only_secure_and_never_read_by_scripts() {
        let cookie = cookie_header(session_cookie_name(true), "abc", None, true);
        assert_eq!(
            cookie,
            "__Host-maison_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        // A browser session: it ends with the browser; the server ends it sooner.
        assert!(!cookie.contains("Max-Age") && !cookie.contains("Domain"));
        let plain = cookie_header(session_cookie_name(false), "abc", Some(0), false);
        assert_eq!(
            plain,
            "maison_session=abc; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
    }

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            "Bearer  abc ".parse().expect("header"),
        );
        assert_eq!(bearer(&headers).as_deref(), Some("abc"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().expect("header"));
        assert_eq!(bearer(&headers), None);
    }

    #[test]
    fn csrf_tokens_compare_in_constant_time_and_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
