//! Errors as `application/problem+json` (RFC 9457) with a stable `code`: the
//! one place where refusals become HTTP responses for the API.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use maison_app::CatalogueError;

#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        code: &'static str,
        title: &str,
        detail: impl Into<String>,
    ) -> Self {
        Problem {
            kind: format!("/api/v1/problems/{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code,
            field: None,
        }
    }

    pub fn field(mut self, field: &'static str) -> Self {
        self.field = Some(field);
        self
    }

    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::NOT_FOUND, code, "Not found", detail)
    }

    pub fn invalid(code: &'static str, field: &'static str, detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "Invalid value",
            detail,
        )
        .field(field)
    }

    pub fn malformed(code: &'static str, detail: impl Into<String>) -> Self {
        Problem::new(StatusCode::BAD_REQUEST, code, "Malformed request", detail)
    }

    pub fn internal() -> Self {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal error",
            "Something went wrong on our side; nothing was changed. Please try again.",
        )
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Service unavailable",
            detail,
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/problem+json"),
            )],
            body,
        )
            .into_response()
    }
}

impl From<CatalogueError> for Problem {
    fn from(err: CatalogueError) -> Self {
        let detail = err.to_string();
        match err {
            CatalogueError::UnknownCategory(_) => {
                Problem::not_found("category_not_found", detail).field("category")
            }
            CatalogueError::UnknownCollection(_) => {
                Problem::not_found("collection_not_found", detail).field("collection")
            }
            CatalogueError::MalformedCursor => {
                Problem::malformed("invalid_cursor", detail).field("cursor")
            }
        }
    }
}
