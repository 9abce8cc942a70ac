//! Product images: quiet SVG drawings generated from the creation itself (its
//! category and materials), so the release needs no binary assets.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use maison_domain::catalog::Creation;

use crate::AppState;

pub async fn image(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let catalogue = state.maison.catalogue();
    let found = file
        .strip_suffix(".svg")
        .and_then(|slug| catalogue.creation_by_slug(slug));
    match found {
        Some(creation) => (
            [
                (header::CONTENT_TYPE, "image/svg+xml"),
                (header::CACHE_CONTROL, "public, max-age=3600"),
            ],
            drawing(creation),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such image").into_response(),
    }
}

/// The metal's colour, from the first material that names one.
fn metal(c: &Creation) -> &'static str {
    let text = c.materials.join(" ").to_ascii_lowercase();
    if text.contains("rose gold") {
        "#d9a28f"
    } else if text.contains("yellow gold") {
        "#d4b06a"
    } else if text.contains("leather") || text.contains("calfskin") {
        "#7a2e2e"
    } else {
        "#c9ced3"
    }
}

fn has_stones(c: &Creation) -> bool {
    let text = c.materials.join(" ").to_ascii_lowercase();
    [
        "diamond", "sapphire", "emerald", "ruby", "pearl", "onyx", "stone",
    ]
    .iter()
    .any(|s| text.contains(s))
}

/// A drawing on a 400 × 400 canvas.
pub fn drawing(c: &Creation) -> String {
    let metal = metal(c);
    let stone = if has_stones(c) {
        r##"<g fill="#ffffff" stroke="#b9c2cc" stroke-width="1.5"><polygon points="200,92 222,112 200,140 178,112"/><line x1="178" y1="112" x2="222" y2="112"/></g>"##
    } else {
        ""
    };
    let shape = match c.category.as_str() {
        "rings" => format!(
            r##"<ellipse cx="200" cy="225" rx="92" ry="96" fill="none" stroke="{metal}" stroke-width="18"/>{stone}"##
        ),
        "bracelets" => format!(
            r##"<ellipse cx="200" cy="210" rx="130" ry="82" fill="none" stroke="{metal}" stroke-width="16"/><ellipse cx="200" cy="210" rx="130" ry="82" fill="none" stroke="#ffffff" stroke-opacity=".35" stroke-width="3"/>"##
        ),
        "necklaces" => format!(
            r##"<path d="M80 90 Q200 330 320 90" fill="none" stroke="{metal}" stroke-width="5"/><circle cx="200" cy="262" r="24" fill="{metal}"/>{}"##,
            if stone.is_empty() {
                ""
            } else {
                r##"<circle cx="200" cy="262" r="12" fill="#ffffff" stroke="#b9c2cc"/>"##
            }
        ),
        "earrings" => format!(
            r##"<g fill="none" stroke="{metal}" stroke-width="6"><path d="M145 110 v70"/><path d="M255 110 v70"/></g><g fill="{metal}"><circle cx="145" cy="215" r="34"/><circle cx="255" cy="215" r="34"/></g><g fill="#ffffff" opacity=".7"><circle cx="135" cy="205" r="9"/><circle cx="245" cy="205" r="9"/></g>"##
        ),
        "watches" => format!(
            r##"<rect x="165" y="40" width="70" height="320" rx="14" fill="#2f2a28"/><circle cx="200" cy="200" r="82" fill="{metal}"/><circle cx="200" cy="200" r="66" fill="#fbf8f3"/><g stroke="#2f2a28" stroke-width="4" stroke-linecap="round"><line x1="200" y1="200" x2="200" y2="152"/><line x1="200" y1="200" x2="236" y2="214"/></g>"##
        ),
        _ => format!(
            r##"<rect x="90" y="120" width="220" height="170" rx="18" fill="{metal}"/><rect x="104" y="134" width="192" height="142" rx="10" fill="none" stroke="#f3e6d8" stroke-dasharray="6 5" stroke-width="2"/><rect x="170" y="104" width="60" height="28" rx="6" fill="none" stroke="{metal}" stroke-width="8"/>"##
        ),
    };
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" role="img"><title>{}</title><rect width="400" height="400" fill="#f6f1ea"/>{shape}</svg>"##,
        escape(&c.name)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
