//! Security headers on every response (rule R3).

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;

/// No inline script or style anywhere in the storefront; the API reference
/// (Swagger UI, served from the binary) needs inline styles only.
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub async fn headers(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    if state.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(CSP));
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

/// Refuses a state-changing request that a browser says comes from another
/// site (CSRF). Browsers send `Sec-Fetch-Site` and `Origin` on every form
/// post; clients that send neither (API clients) carry no ambient cookies to
/// abuse. The session cookies are also `SameSite=Lax`.
pub async fn same_origin_forms(request: Request, next: Next) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if unsafe_method && !from_same_origin(&request) {
        tracing::warn!(path = %request.uri().path(), "cross-site request refused");
        return (
            StatusCode::FORBIDDEN,
            "This form was sent from another site and has been refused. Please use the maison's own pages.",
        )
            .into_response();
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
    use std::net::IpAddr;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
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
