//! Signing in to the console (e-mail, password, code), setting up a sign-in
//! from a one-time link (password and authenticator, shown as a QR code),
//! and signing out.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use maison_app::console_auth::{ConsoleSignedIn, STAFF_PASSWORD_MIN_CHARS};

use super::{COOKIE, Ctx, Frame, message, qr, render, set_cookie, status_of, with_status};
use crate::AppState;
use crate::storefront::{Password, StorefrontForm};

type Peer = ConnectInfo<std::net::SocketAddr>;

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage {
    frame: Frame,
    email: String,
    notice: &'static str,
    error: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignInQuery {
    ended: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignInForm {
    email: String,
    password: Password,
    code: String,
}

/// Opens the console for the member just signed in.
fn enter(state: &AppState, signed_in: &ConsoleSignedIn) -> Response {
    let mut response = Redirect::to("/console").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(state, COOKIE, signed_in.token.expose(), None),
    );
    response
}

pub async fn sign_in_page(
    State(state): State<AppState>,
    ctx: Ctx,
    query: Result<Query<SignInQuery>, QueryRejection>,
) -> Response {
    if ctx.session.is_some() {
        return Redirect::to("/console").into_response();
    }
    let ended = query.is_ok_and(|Query(q)| q.ended.is_some());
    render(&SignInPage {
        frame: Frame::public(&state, &ctx),
        email: String::new(),
        notice: if ended {
            "Your session ended (30 minutes without activity, or 8 hours after signing in), so nothing was changed. Please sign in again."
        } else {
            ""
        },
        error: String::new(),
    })
}

pub async fn sign_in(
    State(state): State<AppState>,
    ctx: Ctx,
    peer: Peer,
    headers: HeaderMap,
    StorefrontForm(form): StorefrontForm<SignInForm>,
) -> Response {
    let client = state.client_key(&headers, peer.0.ip());
    match state
        .maison
        .console_sign_in(
            form.email.trim(),
            form.password.secret(),
            &form.code,
            &client,
        )
        .await
    {
        Ok(signed_in) => enter(&state, &signed_in),
        Err(err) => {
            let problem = state.problem(err);
            let status = status_of(&problem);
            let mut response = with_status(
                render(&SignInPage {
                    frame: Frame::public(&state, &ctx),
                    email: form.email.trim().to_owned(),
                    notice: "",
                    error: problem.detail,
                }),
                status,
            );
            if let Some(seconds) = problem.retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            response
        }
    }
}

pub async fn sign_out(State(state): State<AppState>, ctx: Ctx) -> Response {
    if let Some(session) = ctx.session.as_deref()
        && let Err(err) = state.maison.console_sign_out(session).await
    {
        let problem = state.problem(err);
        return message(
            Frame::public(&state, &ctx),
            "Please try again",
            &problem.detail,
            "/console",
            status_of(&problem),
        );
    }
    let mut response = Redirect::to("/console/sign-in").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, set_cookie(&state, COOKIE, "", Some(0)));
    response
}

#[derive(Template)]
#[template(path = "console/setup.html")]
struct SetupPage {
    frame: Frame,
    token: String,
    name: String,
    email: String,
    qr: String,
    secret: String,
    replaces: bool,
    min_chars: usize,
    error: String,
    error_field: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetupQuery {
    token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetupForm {
    token: String,
    password: Password,
    password_again: Password,
    code: String,
}

/// The base32 key in groups of four, as authenticators ask it typed.
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

async fn setup_form(
    state: &AppState,
    ctx: &Ctx,
    token: &str,
    error: String,
    error_field: String,
    status: StatusCode,
) -> Response {
    match state.maison.setup_enrolment(token).await {
        Ok(e) => with_status(
            render(&SetupPage {
                frame: Frame::public(state, ctx),
                token: token.trim().to_owned(),
                qr: qr::svg(
                    &e.otpauth_uri,
                    "QR code of the key to add to your authenticator",
                )
                .unwrap_or_default(),
                secret: grouped(&e.secret_base32),
                name: e.member.name,
                email: e.member.email,
                replaces: e.replaces_existing,
                min_chars: STAFF_PASSWORD_MIN_CHARS,
                error,
                error_field,
            }),
            status,
        ),
        Err(err) => {
            let problem = state.problem(err);
            message(
                Frame::public(state, ctx),
                "This link does not work",
                "This setup link has expired, has been used, or was replaced by a newer one. Ask an administrator for a new link.",
                "/console/sign-in",
                if problem.status == 410 {
                    StatusCode::GONE
                } else {
                    StatusCode::NOT_FOUND
                },
            )
        }
    }
}

pub async fn setup_page(
    State(state): State<AppState>,
    ctx: Ctx,
    query: Result<Query<SetupQuery>, QueryRejection>,
) -> Response {
    let token = query.map(|Query(q)| q.token).unwrap_or_default();
    setup_form(
        &state,
        &ctx,
        &token,
        String::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn setup(
    State(state): State<AppState>,
    ctx: Ctx,
    StorefrontForm(form): StorefrontForm<SetupForm>,
) -> Response {
    let password = form.password.secret();
    if password.expose() != form.password_again.secret().expose() {
        return setup_form(
            &state,
            &ctx,
            &form.token,
            "The two passwords are not the same: type the new password twice.".into(),
            "password".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match state
        .maison
        .complete_setup(&form.token, password, &form.code)
        .await
    {
        Ok(signed_in) => enter(&state, &signed_in),
        Err(err) => {
            let problem = state.problem(err);
            let status = status_of(&problem);
            let field = problem.field.clone().unwrap_or_default();
            setup_form(&state, &ctx, &form.token, problem.detail, field, status).await
        }
    }
}
