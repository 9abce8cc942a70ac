//! Security headers on every response (rule R3), the body limit, and
//! refusals made before any handler ran, in the caller's language.

use axum::body::{Body, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;

use crate::{AppState, Problem};

/// No inline script or style anywhere in the storefront.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// The API reference (Swagger UI, served from the binary): its scripts are
/// files of ours, but its bundle inserts `<style>` elements (Chromium blocks
/// them under `style-src 'self'`) and its icons are `data:` images; it fetches
/// the OpenAPI document and "Try it out" calls the API, both on this origin.
/// Still no inline or foreign script (`tests/reference.rs` checks both).
const DOCS_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
                        script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
                        frame-ancestors 'none'; form-action 'self'";

/// Where the API reference is served.
const DOCS_PREFIX: &str = "/api/docs";

pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let docs = request.uri().path().starts_with(DOCS_PREFIX);
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if state.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(if docs { DOCS_CSP } else { CSP }));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    response
}

/// Whether refusals on `path` are problem+json (the API, the operations
/// endpoints, everything on the operations listener) rather than a page.
fn answers_in_json(state: &AppState, path: &str) -> bool {
    state.operations_listener
        || path.starts_with("/api/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// A refusal as the caller reads it: problem+json for the API and the
/// operations endpoints, a readable page on the storefront.
pub(crate) fn refusal(state: &AppState, path: &str, problem: Problem) -> Response {
    if answers_in_json(state, path) {
        return problem.into_response();
    }
    if problem.status == StatusCode::NOT_FOUND.as_u16() {
        let mut response = crate::storefront::not_found_page(state, "This page does not exist");
        *response.status_mut() = StatusCode::NOT_FOUND;
        return response;
    }
    // In words a client uses.
    let page = match problem.code {
        "payload_too_large" => Problem {
            title: "Too much to send",
            ..problem
        },
        "method_not_allowed" => Problem {
            title: "This page cannot do that",
            detail: "This page cannot be used this way, so nothing was changed. Please return to the maison's pages.".into(),
            ..problem
        },
        "request_timeout" => Problem {
            title: "This took too long",
            ..problem
        },
        "malformed_request" => Problem {
            title: "This could not be read",
            ..problem
        },
        _ => problem,
    };
    crate::storefront::refusal_page(state, &page)
}

/// An address as the throttles count it: IPv4 whole; IPv6 by its /64, the
/// network one subscriber is given (else a single client could cycle through
/// 2^64 addresses past every per-address limit).
pub fn throttle_key(ip: std::net::IpAddr) -> String {
    match ip {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Refuses a state-changing request that a browser says comes from another
/// site (CSRF): 403 `forbidden_origin`. Browsers send `Sec-Fetch-Site` and
/// `Origin` on every form post; clients that send neither (API clients) carry
/// no ambient cookies to abuse. The session cookies are also `SameSite=Lax`.
pub async fn same_origin_forms(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method && !from_same_origin(&request) {
        let path = request.uri().path();
        tracing::warn!(%path, "cross-site request refused");
        let detail = if answers_in_json(&state, path) {
            "This request was sent by a page of another site and has been refused: a browser may call the API only from the maison's own pages. API clients send no Origin header, or the maison's own."
        } else {
            "This form was sent from another site and has been refused. Please use the maison's own pages."
        };
        return refusal(
            &state,
            path,
            Problem::new(StatusCode::FORBIDDEN, "forbidden_origin", "Refused", detail),
        );
    }
    next.run(request).await
}

fn from_same_origin(request: &Request) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            origin
                .split_once("://")
                .is_some_and(|(_, authority)| !host.is_empty() && authority == host)
        }
    }
}

/// Reads the request body whole, up to [`crate::MAX_BODY_BYTES`] (a declared
/// length over it is refused before anything is read, a longer chunked body
/// as soon as it passes it): 413 `payload_too_large`, in the caller's
/// language. Every body this maison accepts is a small form or JSON document.
pub async fn limit_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let path = request.uri().path().to_owned();
    if declared.is_some_and(|n| n > crate::MAX_BODY_BYTES as u64) {
        return refusal(&state, &path, Problem::too_large());
    }
    let (parts, mut body) = request.into_parts();
    let mut read = Vec::new();
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let Ok(frame) = frame else {
            // The client went away or sent a broken body: nothing to serve.
            return refusal(
                &state,
                &path,
                Problem::malformed(
                    "malformed_request",
                    "The request body could not be read whole; nothing was changed. Please try again.",
                ),
            );
        };
        if let Ok(data) = frame.into_data() {
            if read.len() + data.len() > crate::MAX_BODY_BYTES {
                return refusal(&state, &path, Problem::too_large());
            }
            read.extend_from_slice(&data);
        }
    }
    next.run(Request::from_parts(parts, Body::from(read))).await
}

/// The methods some route answers, or that the security checks let through
/// (OPTIONS); any other (TRACE, CONNECT, extension methods) no route answers.
fn routed_method(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET
            | Method::HEAD
            | Method::OPTIONS
            | Method::POST
            | Method::PUT
            | Method::PATCH
            | Method::DELETE
    )
}

/// Headers of a bare refusal worth keeping on its readable version.
const KEPT: [HeaderName; 4] = [
    header::ALLOW,
    header::RETRY_AFTER,
    header::WWW_AUTHENTICATE,
    header::SET_COOKIE,
];

/// Gives every refusal that a layer or the router made bare (405 from the
/// router, 408 from the timeout, a plain-text 413, ...) a body of ours:
/// problem+json with a stable `code` for the API and the operations
/// endpoints, a readable page on the storefront. Also answers methods no route
/// serves (TRACE, ...) with 405 before any check on state-changing requests
/// could answer 403 for them.
pub async fn readable_refusals(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let response = if routed_method(request.method()) {
        next.run(request).await
    } else {
        // Ask the router what this path allows with OPTIONS, which no route
        // answers and which changes nothing: 405 with its `Allow`, or 404.
        let (mut parts, _) = request.into_parts();
        let method = std::mem::replace(&mut parts.method, Method::OPTIONS);
        tracing::info!(%path, %method, "method not allowed");
        let probe = next.run(Request::from_parts(parts, Body::empty())).await;
        if probe.status() == StatusCode::NOT_FOUND {
            probe
        } else {
            let mut refused = StatusCode::METHOD_NOT_ALLOWED.into_response();
            if let Some(allow) = probe.headers().get(header::ALLOW) {
                refused.headers_mut().insert(header::ALLOW, allow.clone());
            }
            refused
        }
    };
    if let Some(crate::problem::Refusal(problem)) = response.extensions().get().cloned() {
        // Refused before a handler: a page for the storefront, keeping the
        // cookies the refusal set (a guest's new form token).
        let mut readable = refusal(&state, &path, problem);
        for cookie in response.headers().get_all(header::SET_COOKIE) {
            readable
                .headers_mut()
                .append(header::SET_COOKIE, cookie.clone());
        }
        return readable;
    }
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    if content_type.starts_with("application/problem+json") || content_type.starts_with("text/html")
    {
        return response;
    }
    let (parts, body) = response.into_parts();
    // A short plain text says what went wrong (axum's rejections, ours).
    let text = if content_type.starts_with("text/plain") {
        axum::body::to_bytes(body, 1024)
            .await
            .ok()
            .and_then(|b| String::from_utf8(b.to_vec()).ok())
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
    } else {
        None
    };
    let mut readable = refusal(&state, &path, bare_refusal(status, text));
    for name in KEPT {
        for value in parts.headers.get_all(&name) {
            readable.headers_mut().append(name.clone(), value.clone());
        }
    }
    readable
}

/// The problem for a refusal that came without one.
fn bare_refusal(status: StatusCode, text: Option<String>) -> Problem {
    let (code, title, detail) = match status {
        StatusCode::BAD_REQUEST => (
            "malformed_request",
            "Malformed request",
            "The request could not be read; nothing was changed.",
        ),
        StatusCode::UNAUTHORIZED => (
            "unauthenticated",
            "Unauthenticated",
            "This needs credentials that were not given, or not valid.",
        ),
        StatusCode::FORBIDDEN => ("forbidden", "Refused", "This is not allowed."),
        StatusCode::NOT_FOUND => (
            "route_not_found",
            "Not found",
            "There is nothing at this address.",
        ),
        StatusCode::METHOD_NOT_ALLOWED => (
            "method_not_allowed",
            "Method not allowed",
            "This address does not answer this method (the Allow header lists those it does); nothing was changed.",
        ),
        StatusCode::REQUEST_TIMEOUT => (
            "request_timeout",
            "Request timeout",
            "The request took too long and was abandoned; nothing was changed. Please try again.",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => return Problem::too_large(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => (
            "unsupported_media_type",
            "Unsupported media type",
            "Send the body as JSON with Content-Type: application/json.",
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            "too_many_attempts",
            "Too many attempts",
            "Too many requests: please try again in a moment.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => {
            return Problem::unavailable(
                "The maison cannot answer this right now; nothing was changed. Please try again in a moment.",
            );
        }
        s if s.is_server_error() => {
            let mut problem = Problem::internal();
            problem.status = s.as_u16();
            return problem;
        }
        _ => (
            "refused",
            "Refused",
            "This request was refused; nothing was changed.",
        ),
    };
    let mut problem = Problem::new(status, code, title, detail);
    if let Some(text) = text
        && status.is_client_error()
    {
        problem.detail = text;
    }
    problem
}

/// The client's address: the peer's, or, when the peer is a trusted proxy,
/// the nearest address in `X-Forwarded-For` that is not a trusted proxy (the
/// left-most entries are whatever the client chose to send).
pub fn client_ip(
    headers: &axum::http::HeaderMap,
    peer: std::net::IpAddr,
    trusted: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|ip| ip.trim().parse::<std::net::IpAddr>().ok())
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_count_an_ipv6_client_by_its_network() {
        let a: std::net::IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let b: std::net::IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let other: std::net::IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        assert_eq!(throttle_key(a), throttle_key(b));
        assert_ne!(throttle_key(a), throttle_key(other));
        let v4: std::net::IpAddr = "203.0.113.9".parse().expect("ip");
        assert_eq!(throttle_key(v4), "203.0.113.9");
        let mapped: std::net::IpAddr = "::ffff:203.0.113.9".parse().expect("ip");
        assert_eq!(throttle_key(mapped), "203.0.113.9");
    }

    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn only_the_reference_allows_inline_styles_and_nothing_allows_inline_scripts() {
        assert!(!CSP.contains("unsafe"));
        assert!(DOCS_CSP.contains("style-src 'self' 'unsafe-inline';"));
        assert!(DOCS_CSP.contains("script-src 'self';"));
        for policy in [CSP, DOCS_CSP] {
            assert!(
                policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'")
            );
        }
    }

    #[test]
    fn methods_no_route_answers_are_told_apart() {
        for method in ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"] {
            assert!(routed_method(
                &Method::from_bytes(method.as_bytes()).expect("method")
            ));
        }
        for method in ["TRACE", "CONNECT", "PROPFIND", "BREW"] {
            assert!(!routed_method(
                &Method::from_bytes(method.as_bytes()).expect("method")
            ));
        }
    }

    #[test]
    fn bare_refusals_get_a_stable_code_and_keep_a_short_text() {
        for (status, code) in [
            (StatusCode::BAD_REQUEST, "malformed_request"),
            (StatusCode::UNAUTHORIZED, "unauthenticated"),
            (StatusCode::FORBIDDEN, "forbidden"),
            (StatusCode::NOT_FOUND, "route_not_found"),
            (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"),
            (StatusCode::IM_A_TEAPOT, "refused"),
            (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
            (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"),
            (StatusCode::BAD_GATEWAY, "internal_error"),
        ] {
            let problem = bare_refusal(status, None);
            assert_eq!((problem.status, problem.code), (status.as_u16(), code));
            assert!(!problem.detail.is_empty());
        }
        let said = bare_refusal(
            StatusCode::BAD_REQUEST,
            Some("Failed to parse the query".into()),
        );
        assert_eq!(said.detail, "Failed to parse the query");
        // A server's own text is never shown.
        let hidden = bare_refusal(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some("db password x".into()),
        );
        assert!(!hidden.detail.contains("password"));
    }

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "6.6.6.6, 203.0.113.9".parse().expect("header"),
        );
        let proxy = ip("10.0.0.5");
        assert_eq!(client_ip(&headers, proxy, &[proxy]), ip("203.0.113.9"));
        assert_eq!(
            client_ip(&headers, ip("198.51.100.7"), &[proxy]),
            ip("198.51.100.7")
        );
        assert_eq!(client_ip(&headers, proxy, &[]), proxy);
        let none = axum::http::HeaderMap::new();
        assert_eq!(client_ip(&none, proxy, &[proxy]), proxy);
    }
}
