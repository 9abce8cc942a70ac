//! Product images. Each creation gets its own SVG drawings, made from what it
//! is (its form by category and name, its metal, its stone, colour and cut),
//! in three views for the product page's gallery: the piece, a close-up of
//! its stone, dial or clasp, and the piece on a plain stand. An operator may
//! replace any view with a photograph: `<images_dir>/<SKU>.jpg` (or .jpeg,
//! .png, .webp) for the first view, `<SKU>-2.jpg` and `<SKU>-3.jpg` for the
//! others. The path is built from the catalogue's SKU only, never from the
//! address asked for.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path as FilePath, PathBuf};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use maison_domain::catalog::Creation;

use crate::AppState;

mod drawing;

use drawing::drawing_view;

/// Views in each creation's gallery.
pub const VIEWS: u8 = 3;

/// What the gallery calls each view (alt text and thumbnail names).
const VIEW_NAMES: [&str; VIEWS as usize] = ["front view", "close-up", "on a stand"];

/// Photographs the operator may put in place of the drawings, by extension.
const PHOTO_TYPES: [(&str, &str); 8] = [
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("png", "image/png"),
    ("webp", "image/webp"),
    ("JPG", "image/jpeg"),
    ("JPEG", "image/jpeg"),
    ("PNG", "image/png"),
    ("WEBP", "image/webp"),
];

/// A creation's SKU and one of its views.
type DrawingKey = (String, u8);
/// A fingerprint of what the drawing was made from, and the drawing.
type Drawn = (u64, Arc<str>);

/// The operator's photographs folder, and the drawings already made.
#[derive(Default)]
pub struct ProductImages {
    photos: Option<PathBuf>,
    drawings: Mutex<HashMap<DrawingKey, Drawn>>,
}

impl ProductImages {
    pub fn new(photos: Option<PathBuf>) -> Self {
        ProductImages {
            photos,
            drawings: Mutex::default(),
        }
    }

    /// The drawing of `view`, made once per version of the creation.
    fn drawing(&self, c: &Creation, view: u8) -> Arc<str> {
        let fingerprint = fingerprint(c);
        let key = (c.sku.to_string(), view);
        if let Ok(cache) = self.drawings.lock()
            && let Some((seen, svg)) = cache.get(&key)
            && *seen == fingerprint
        {
            return Arc::clone(svg);
        }
        let svg: Arc<str> = drawing_view(c, view).into();
        if let Ok(mut cache) = self.drawings.lock() {
            cache.insert(key, (fingerprint, Arc::clone(&svg)));
        }
        svg
    }

    /// The operator's photograph of `view`, if there is one: its path and type.
    fn photo(&self, c: &Creation, view: u8) -> Option<(PathBuf, &'static str)> {
        photo_in(self.photos.as_deref()?, c.sku.as_str(), view)
    }

    /// The gallery of the product page: every drawn view, or, when the
    /// operator has photographed the creation, the photographs only (a
    /// drawing beside a photograph would look like a mistake).
    pub fn gallery(&self, c: &Creation) -> Vec<GalleryImage> {
        let photographed = self.photo(c, 1).is_some();
        (1..=VIEWS)
            .filter(|&view| !photographed || view == 1 || self.photo(c, view).is_some())
            .map(|view| GalleryImage {
                id: format!("view-{view}"),
                src: image_path(c, view),
                alt: format!("{}, {}", c.name, VIEW_NAMES[usize::from(view - 1)]),
                label: capitalised(VIEW_NAMES[usize::from(view - 1)]),
                first: view == 1,
            })
            .collect()
    }
}

/// One image of the product page's gallery.
pub struct GalleryImage {
    /// The id of the radio button that shows it.
    pub id: String,
    pub src: String,
    pub alt: String,
    /// "Close-up": the thumbnail's name.
    pub label: String,
    pub first: bool,
}

/// `/images/<slug>.svg`, `/images/<slug>-2.svg`, ...
fn image_path(c: &Creation, view: u8) -> String {
    if view <= 1 {
        format!("/images/{}.svg", c.slug)
    } else {
        format!("/images/{}-{view}.svg", c.slug)
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// `<dir>/<SKU>.<ext>` or `<dir>/<SKU>-<view>.<ext>`, when such a file exists.
/// The SKU is the catalogue's (letters, digits and dashes only), so the name
/// cannot leave the folder.
fn photo_in(dir: &FilePath, sku: &str, view: u8) -> Option<(PathBuf, &'static str)> {
    let stem = if view <= 1 {
        sku.to_owned()
    } else {
        format!("{sku}-{view}")
    };
    PHOTO_TYPES.iter().find_map(|(ext, content_type)| {
        let path = dir.join(format!("{stem}.{ext}"));
        path.is_file().then_some((path, *content_type))
    })
}

fn fingerprint(c: &Creation) -> u64 {
    let mut hasher = DefaultHasher::new();
    (
        &c.name,
        c.category.as_str(),
        &c.materials,
        &c.description,
        c.slug.as_str(),
    )
        .hash(&mut hasher);
    hasher.finish()
}

/// `GET /images/{file}`: `<slug>.svg` for the first view, `<slug>-<n>.svg`
/// for the others; the operator's photograph when there is one.
pub async fn image(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let catalogue = state.maison.catalogue();
    let Some((creation, view)) = file.strip_suffix(".svg").and_then(|stem| {
        if let Some(c) = catalogue.creation_by_slug(stem) {
            return Some((c, 1));
        }
        let (slug, view) = stem.rsplit_once('-')?;
        let view: u8 = view.parse().ok().filter(|v| (2..=VIEWS).contains(v))?;
        Some((catalogue.creation_by_slug(slug)?, view))
    }) else {
        return (StatusCode::NOT_FOUND, "no such image").into_response();
    };
    let images = &state.product_images;
    if let Some((path, content_type)) = images.photo(creation, view) {
        match tokio::fs::read(&path).await {
            Ok(bytes) => {
                return (
                    [
                        (header::CONTENT_TYPE, content_type),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    bytes,
                )
                    .into_response();
            }
            // Removed or unreadable since it was found: the drawing will do.
            Err(err) => {
                tracing::warn!(path = %path.display(), error = %err, "photograph unreadable")
            }
        }
    }
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        images.drawing(creation, view).to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests;
