//! The "bare axum route": one handler returning a precomputed JSON body shaped
//! like Maison's `/api/v1/products` page. Its throughput is the ceiling that
//! axum + hyper + the kernel reach on this machine with no application work.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use axum::Router;
use axum::http::header;
use axum::routing::get;
use bytes::Bytes;
use serde_json::{Value, json};

/// Same page size as Maison's default `limit`, so bodies are comparable.
pub const PRODUCT_COUNT: usize = 24;

const COLLECTIONS: [(&str, &str); 6] = [
    ("etoile", "Étoile"),
    ("rivage", "Rivage"),
    ("serpentine", "Serpentine"),
    ("aurore", "Aurore"),
    ("lierre", "Lierre"),
    ("meridien", "Méridien"),
];

const CATEGORIES: [(&str, &str, &str); 4] = [
    ("rings", "RNG", "Ring"),
    ("necklaces", "NCK", "Pendant"),
    ("bracelets", "BRC", "Bracelet"),
    ("earrings", "EAR", "Earrings"),
];

const SIZES: [&str; 3] = ["50", "52", "54"];

/// One product, with the keys Maison's `ProductView` serialises.
fn product(i: usize) -> Value {
    let (collection, collection_name) = COLLECTIONS[i % COLLECTIONS.len()];
    let (category, code, kind) = CATEGORIES[i % CATEGORIES.len()];
    let number = i + 1;
    let sku = format!("VAL-{code}-{number:03}");
    let slug = format!("{collection}-{}-{number}", kind.to_ascii_lowercase());
    let name = format!("{collection_name} {kind} No. {number}");
    // ~150 characters, like the demo catalogue's descriptions.
    let description = format!(
        "A {} in 18k gold from the {collection_name} collection, set with brilliant-cut diamonds and finished by hand in our Paris ateliers, piece {number}.",
        kind.to_ascii_lowercase()
    );
    let sale_mode = ["online", "online", "phone_only", "price_on_request"][i % 4];
    let price = if sale_mode == "price_on_request" {
        Value::Null
    } else {
        json!({ "amount": format!("{}.00", 1_250 + i * 1_375), "currency": "USD" })
    };
    let availability = if i % 7 == 3 {
        "temporarily_unavailable"
    } else {
        "available"
    };
    // 1 to 3 variants; only rings come in sizes.
    let variant_count = 1 + i % 3;
    let variants: Vec<Value> = (0..variant_count)
        .map(|v| {
            let sized = category == "rings";
            json!({
                "sku": if sized { format!("{sku}-{}", SIZES[v]) } else { format!("{sku}-{}", v + 1) },
                "size": if sized { Value::from(SIZES[v]) } else { Value::Null },
                "availability": if v == 2 { "temporarily_unavailable" } else { availability },
            })
        })
        .collect();
    json!({
        "sku": sku,
        "name": name,
        "slug": slug,
        "category": category,
        "collection": collection,
        "description": description,
        "materials": ["18k yellow gold", "Diamonds"],
        "sale_mode": sale_mode,
        "price": price,
        "availability": availability,
        "personalisation": [],
        "variants": variants,
        "url": format!("/creations/{slug}"),
        "image": format!("/images/{slug}.svg"),
    })
}

/// The whole response body, built once at start.
pub fn products_body() -> Result<Bytes> {
    let items: Vec<Value> = (0..PRODUCT_COUNT).map(product).collect();
    let body = json!({ "items": items, "next_cursor": Value::Null });
    let text = serde_json::to_vec(&body).context("could not serialise the bare products")?;
    Ok(Bytes::from(text))
}

/// Serves `GET /products` on 127.0.0.1:`port` until killed, or for
/// `exit_after_secs` when given (so an orphan never lingers).
pub async fn serve(port: u16, exit_after_secs: Option<u64>) -> Result<()> {
    let body = products_body()?;
    // Cloning `Bytes` is a refcount bump: the handler does no work per request.
    let app = Router::new().route(
        "/products",
        get(move || {
            let body = body.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], body) }
        }),
    );
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("bare-server could not listen on {addr}"))?;
    let server = axum::serve(listener, app);
    match exit_after_secs {
        Some(secs) => {
            tokio::select! {
                res = server => res.context("bare-server failed")?,
                () = tokio::time::sleep(Duration::from_secs(secs)) => {}
            }
        }
        None => server.await.context("bare-server failed")?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bare_body_has_24_items_shaped_like_maisons() {
        let body = products_body().expect("body builds");
        let value: Value = serde_json::from_slice(&body).expect("valid JSON");
        let items = value["items"].as_array().expect("items is an array");
        assert_eq!(items.len(), 24);
        assert!(value.get("next_cursor").is_some());
        let keys = [
            "sku",
            "name",
            "slug",
            "category",
            "collection",
            "description",
            "sale_mode",
            "price",
            "availability",
            "personalisation",
            "variants",
        ];
        let mut slugs = std::collections::HashSet::new();
        for item in items {
            for key in keys {
                assert!(item.get(key).is_some(), "missing {key} in {item}");
            }
            assert!(slugs.insert(item["slug"].as_str().expect("slug").to_owned()));
            let description = item["description"].as_str().expect("description");
            assert!(
                (120..=190).contains(&description.chars().count()),
                "{description}"
            );
            let variants = item["variants"].as_array().expect("variants");
            assert!((1..=3).contains(&variants.len()));
            for v in variants {
                for key in ["sku", "size", "availability"] {
                    assert!(v.get(key).is_some(), "missing variant {key}");
                }
            }
            if !item["price"].is_null() {
                assert_eq!(item["price"]["currency"], "USD");
                assert!(
                    item["price"]["amount"]
                        .as_str()
                        .expect("amount")
                        .ends_with(".00")
                );
            }
        }
    }
}
