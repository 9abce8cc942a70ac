//! Operations: liveness, readiness, Prometheus metrics.
//!
//! Who reads `/metrics`: with a `metrics_token`, whoever presents it as a
//! bearer token (compared in constant time), on whichever listener serves it;
//! without one, any caller of the separate operations listener
//! (`ops_listen`, an address the operator keeps private), or, on the main
//! listener, only this host (a loopback peer whose request no proxy
//! forwarded).

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use utoipa_axum::routes;

use crate::api::described::DescribedRoutes;
use crate::{AppState, Problem};

/// The operations routes, each with its description.
pub fn routes() -> DescribedRoutes<AppState> {
    DescribedRoutes::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
        .routes(routes!(metrics))
}

/// `/metrics` on the main listener when the operations listener serves it.
fn served_elsewhere() -> Response {
    Problem::not_found("route_not_found", "There is nothing at this address.").into_response()
}

/// The process is up
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "healthz",
    tag = "Operations",
    responses((status = 200, description = "ok", body = String, content_type = "text/plain"))
)]
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers
///
/// Route traffic here.
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "readyz",
    tag = "Operations",
    responses(
        (status = 200, description = "ready", body = String, content_type = "text/plain"),
        (status = 503, description = "`service_unavailable`: the database does not answer"),
    )
)]
async fn readyz(State(state): State<AppState>) -> Response {
    match state.maison.ready().await {
        Ok(()) => "ready".into_response(),
        Err(err) => {
            tracing::warn!(error = %err, "readiness check failed");
            Problem::unavailable("The database does not answer.").into_response()
        }
    }
}

/// Prometheus metrics: request counts and latency histograms per route
///
/// With `metrics_token` configured, the token is required as a bearer token
/// (401 `unauthenticated` without it or with another). Without it, served only
/// to the host itself (a loopback peer whose request no proxy forwarded; else
/// 403 `forbidden`), or, with `ops_listen` configured, only on that operations
/// address (404 here).
#[utoipa::path(
    get,
    path = "/metrics",
    operation_id = "metrics",
    tag = "Operations",
    security((), ("metricsToken" = [])),
    responses(
        (status = 200, description = "Prometheus text format", body = String, content_type = "text/plain"),
        (status = 401, description = "`unauthenticated`: the operations token is missing or wrong"),
        (status = 403, description = "`forbidden`: not from this host, and no token configured"),
        (status = 404, description = "`route_not_found` (served on the operations address instead), `metrics_not_recorded`"),
    )
)]
async fn metrics(State(state): State<AppState>, request: Request) -> Response {
    // With a separate operations listener, the main listener does not serve
    // the metrics (the operations listener's state never says so).
    if state.metrics_elsewhere {
        return served_elsewhere();
    }
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(peer)| *peer);
    if let Some(refusal) = metrics_refusal(&state, request.headers(), peer) {
        return refusal;
    }
    match &state.metrics {
        Some(handle) => {
            handle.run_upkeep();
            (
                [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                handle.render(),
            )
                .into_response()
        }
        None => Problem::not_found(
            "metrics_not_recorded",
            "Metrics are not recorded in this process.",
        )
        .into_response(),
    }
}

/// Why this caller may not read the metrics, if it may not (see the
/// module's rules).
fn metrics_refusal(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Option<Response> {
    if let Some(expected) = &state.metrics_token_digest {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| maison_app::accounts::token_digest(token.trim()));
        // Digests of equal length, compared without an early exit: the time
        // taken says nothing about the token.
        let ok = presented.is_some_and(|p| constant_time_eq(p.as_bytes(), expected.as_bytes()));
        if ok {
            return None;
        }
        tracing::warn!("metrics refused: no or wrong token");
        let mut refused = Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Unauthenticated",
            "The metrics need the operations token: send Authorization: Bearer <metrics_token>.",
        )
        .into_response();
        refused.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return Some(refused);
    }
    if state.operations_listener || is_local(headers, peer) {
        return None;
    }
    tracing::warn!(peer = ?peer, "metrics refused: not from this host");
    Some(Problem::new(
        StatusCode::FORBIDDEN,
        "forbidden",
        "Refused",
        "The metrics are served to this host only: set metrics_token (then send it as a bearer token) or ops_listen to read them from elsewhere.",
    )
    .into_response())
}

/// A request from this host itself: a loopback peer, and no proxy header (a
/// proxy on this host forwards other hosts' requests from a loopback peer).
fn is_local(headers: &HeaderMap, peer: Option<SocketAddr>) -> bool {
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|name| headers.contains_key(*name));
    !forwarded && peer.is_some_and(|p| p.ip().to_canonical().is_loopback())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Installs the Prometheus recorder once per process (several apps in one test
/// process share it).
pub fn install_metrics() -> Option<PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ];
            PrometheusBuilder::new()
                .set_buckets(&buckets)
                .and_then(|b| b.install_recorder())
                .map_err(|err| tracing::warn!(error = %err, "metrics recorder not installed"))
                .ok()
        })
        .clone()
}

/// Counts requests and times them per route template (not per URL, so that the
/// number of series stays bounded).
pub async fn record_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().as_str().to_owned();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let seconds = started.elapsed().as_secs_f64();
    metrics::counter!("http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "method" => method, "route" => route)
        .record(seconds);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(s: &str) -> Option<SocketAddr> {
        Some(s.parse().expect("address"))
    }

    #[test]
    fn only_this_host_is_local_and_never_through_a_proxy() {
        let none = HeaderMap::new();
        assert!(is_local(&none, peer("127.0.0.1:5000")));
        assert!(is_local(&none, peer("[::1]:5000")));
        assert!(is_local(&none, peer("[::ffff:127.0.0.1]:5000")));
        assert!(!is_local(&none, peer("203.0.113.9:5000")));
        assert!(!is_local(&none, peer("[2001:db8::1]:5000")));
        assert!(!is_local(&none, None));
        for name in ["x-forwarded-for", "forwarded", "x-real-ip"] {
            let mut proxied = HeaderMap::new();
            proxied.insert(name, HeaderValue::from_static("203.0.113.9"));
            assert!(!is_local(&proxied, peer("127.0.0.1:5000")), "{name}");
        }
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
