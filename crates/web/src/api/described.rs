//! The one way to register an API route: [`DescribedRoutes`] takes nothing
//! but `routes!(...)` of handlers carrying `#[utoipa::path]`, so a route
//! cannot exist without its description (the document in `document.rs`
//! gathers them).

use std::collections::BTreeMap;

use axum::Router;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::schema::Schema;
use utoipa::openapi::{OpenApi as Document, RefOr};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};

/// The operations of a path, with their methods.
pub(crate) fn operations(item: &PathItem) -> impl Iterator<Item = (&'static str, &Operation)> {
    [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("DELETE", &item.delete),
        ("OPTIONS", &item.options),
        ("HEAD", &item.head),
        ("PATCH", &item.patch),
        ("TRACE", &item.trace),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|o| (method, o)))
}

/// Routes that exist only with their description: the one way to add a route
/// is [`DescribedRoutes::routes`] with `routes!(...)` of handlers that carry
/// `#[utoipa::path]` (one `routes!` per path: the handlers of a `routes!`
/// are answered on each of its paths).
pub struct DescribedRoutes<S> {
    router: OpenApiRouter<S>,
    /// What axum was given: each path with the methods answered there.
    registered: Vec<(String, &'static str)>,
    /// Every schema the routes use, by name.
    schemas: BTreeMap<String, RefOr<Schema>>,
    /// Names given to two different schemas (a test keeps this empty).
    clashes: Vec<String>,
}

impl<S: Clone + Send + Sync + 'static> DescribedRoutes<S> {
    pub fn new() -> Self {
        DescribedRoutes {
            router: OpenApiRouter::default(),
            registered: Vec::new(),
            schemas: BTreeMap::new(),
            clashes: Vec::new(),
        }
    }

    pub fn routes(mut self, routes: UtoipaMethodRouter<S>) -> Self {
        let (schemas, paths, _) = &routes;
        // `OpenApiRouter` gives axum the handlers of one `routes!` on each
        // of its paths.
        let methods: Vec<&'static str> = paths
            .paths
            .values()
            .flat_map(|item| operations(item).map(|(method, _)| method))
            .collect();
        for path in paths.paths.keys() {
            for method in &methods {
                self.registered.push((path.clone(), method));
            }
        }
        for (name, schema) in schemas {
            match self.schemas.get(name) {
                Some(known) if known != schema => self.clashes.push(name.clone()),
                Some(_) => {}
                None => {
                    self.schemas.insert(name.clone(), schema.clone());
                }
            }
        }
        self.router = self.router.routes(routes);
        self
    }

    /// The axum router and the description of its routes.
    pub fn into_parts(self) -> (Router<S>, Document) {
        self.router.split_for_parts()
    }

    pub fn registered(&self) -> &[(String, &'static str)] {
        &self.registered
    }

    #[cfg(test)]
    pub fn clashes(&self) -> &[String] {
        &self.clashes
    }
}
