//! Serialised catalogue responses, kept per catalogue revision: a listing or a
//! product is the same bytes for every client until the catalogue changes, so
//! it is serialised once. Responses carry an `ETag` of the revision, and a
//! client that has it gets `304 Not Modified`.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Past this many distinct queries the cache starts again (odd queries cannot
/// grow it without bound).
const MAX_ENTRIES: usize = 1024;

#[derive(Default)]
pub struct ResponseCache {
    entries: Mutex<(i64, HashMap<String, Bytes>)>,
}

impl ResponseCache {
    /// The bytes for `key` at `revision`, made by `render` if not cached.
    pub fn get_or_render(
        &self,
        revision: i64,
        key: &str,
        render: impl FnOnce() -> Vec<u8>,
    ) -> Bytes {
        if let Ok(guard) = self.entries.lock()
            && guard.0 == revision
            && let Some(bytes) = guard.1.get(key)
        {
            return bytes.clone();
        }
        let bytes = Bytes::from(render());
        if let Ok(mut guard) = self.entries.lock() {
            if guard.0 != revision || guard.1.len() >= MAX_ENTRIES {
                *guard = (revision, HashMap::new());
            }
            guard.1.insert(key.to_owned(), bytes.clone());
        }
        bytes
    }
}

/// `W/"catalogue-<revision>"`.
pub fn etag(revision: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("W/\"catalogue-{revision}\""))
        .unwrap_or(HeaderValue::from_static("W/\"catalogue\""))
}

/// 304 when the client already has this revision, else the JSON bytes.
pub fn json_response(request_headers: &HeaderMap, revision: i64, body: Bytes) -> Response {
    let tag = etag(revision);
    let fresh = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|t| t.trim() == tag.to_str().unwrap_or_default())
        });
    if fresh {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag)]).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::ETAG, tag),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_revision_renders_again() {
        let cache = ResponseCache::default();
        let first = cache.get_or_render(1, "/products", || b"one".to_vec());
        let cached = cache.get_or_render(1, "/products", || b"never".to_vec());
        assert_eq!(first, cached);
        let fresh = cache.get_or_render(2, "/products", || b"two".to_vec());
        assert_eq!(&fresh[..], b"two");
    }

    #[test]
    fn a_client_with_the_current_revision_gets_not_modified() {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, etag(7));
        assert_eq!(
            json_response(&headers, 7, Bytes::new()).status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(
            json_response(&headers, 8, Bytes::new()).status(),
            StatusCode::OK
        );
    }
}
