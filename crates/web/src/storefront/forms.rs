//! The storefront's forms, one typed struct each, named for the form and
//! holding the fields its page sends (the names in the templates).
//!
//! A browser's form is text: every field is read as text (a missing one as
//! empty), and each struct turns what was typed into the use case's input
//! (numbers, ticked boxes, passwords as [`Secret`]), where the domain checks
//! it and says, in plain words and next to the field, what is wrong. So no
//! form post is refused for its fields before its page can answer: a missing
//! field, an unknown one, a field sent twice (its last value counts, as
//! before) or bytes that are not UTF-8 (read as U+FFFD) all reach the page,
//! which shows the form again with what was typed. Only a body that is not a
//! form at all is refused, by [`StorefrontForm`], with a readable page.

use std::collections::HashMap;

use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::{Deserialize, Deserializer};

use maison_app::accounts::{Registration, Secret};
use maison_app::bag::PersonalisationRequest;
use maison_app::checkout::{CardRequest, CheckoutRequest, ContactInput, DeliveryInput};
use maison_domain::address::AddressInput;

use crate::Problem;

/// A storefront form post, read into the form's struct `T` (see the module
/// documentation). A body that is not a form (another `Content-Type`, a body
/// that could not be read) is refused with a problem that
/// `security::readable_refusals` shows as a page, never with axum's text.
pub struct StorefrontForm<T>(pub T);

impl<T, S> FromRequest<S> for StorefrontForm<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let path = request.uri().path().to_owned();
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(|rejection| unreadable(&path, &rejection))?;
        read(pairs).map(StorefrontForm).map_err(|err| {
            tracing::info!(%path, error = %err, "a form post could not be read");
            not_read(StatusCode::BAD_REQUEST, "malformed_request")
        })
    }
}

/// The form's struct from its fields as sent: a field sent twice counts
/// once, with its last value.
pub(crate) fn read<T: DeserializeOwned>(
    pairs: Vec<(String, String)>,
) -> Result<T, de::value::Error> {
    let fields: HashMap<String, String> = pairs.into_iter().collect();
    T::deserialize(de::value::MapDeserializer::<_, de::value::Error>::new(
        fields.into_iter().map(|(name, value)| (name, Text(value))),
    ))
}

const NOT_READ: &str = "This form could not be read, so nothing was changed. Please go back, reload the page and try again.";

fn not_read(status: StatusCode, code: &'static str) -> Response {
    Problem::new(status, code, "This could not be read", NOT_READ).refusal()
}

/// A body that is not a form, as a readable refusal (the same status axum
/// gives it).
fn unreadable(path: &str, rejection: &FormRejection) -> Response {
    let status = rejection.status();
    tracing::info!(%path, %status, reason = %rejection.body_text(), "a form post could not be read");
    match status {
        StatusCode::PAYLOAD_TOO_LARGE => Problem::too_large().refusal(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => not_read(status, "unsupported_media_type"),
        _ => not_read(StatusCode::BAD_REQUEST, "malformed_request"),
    }
}

/// A field's value as sent: text, whatever the field's Rust type asks for
/// (an `Option` is `Some` when the field was sent).
struct Text(String);

impl<'de> IntoDeserializer<'de, de::value::Error> for Text {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> Deserializer<'de> for Text {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_string(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct newtype_struct seq tuple tuple_struct
        map struct enum identifier ignored_any
    }
}

/// A checkbox whose page sends `on` when ticked (`true` is accepted too).
fn on_or_true<'de, D: Deserializer<'de>>(value: D) -> Result<bool, D::Error> {
    String::deserialize(value).map(|v| v == "on" || v == "true")
}

/// A checkbox whose page sends `on` when ticked.
fn on<'de, D: Deserializer<'de>>(value: D) -> Result<bool, D::Error> {
    String::deserialize(value).map(|v| v == "on")
}

/// A submit button: pressed when its name is sent, whatever its value.
fn pressed<'de, D: Deserializer<'de>>(value: D) -> Result<bool, D::Error> {
    de::IgnoredAny::deserialize(value).map(|_| true)
}

/// A password as typed (never trimmed: spaces are part of it), kept as a
/// [`Secret`] from the moment it is read.
pub struct Password(Secret);

impl Password {
    pub fn secret(self) -> Secret {
        self.0
    }
}

impl Default for Password {
    fn default() -> Self {
        Password(Secret::new(String::new()))
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(value: D) -> Result<Self, D::Error> {
        String::deserialize(value).map(|v| Password(Secret::new(v)))
    }
}

/// What is wrong with a submitted form, as its page shows it: each fault
/// beside its field (by the form's name for it, with `aria-invalid` and
/// `aria-describedby`), all of them listed above the form with links to
/// their fields, and a fault of no field of the form above it in words.
#[derive(Default)]
pub struct Faults {
    /// (the form's field name, what is wrong), one per field, in the
    /// order the page shows its fields.
    pub fields: Vec<(String, String)>,
    /// What is wrong with the request as a whole.
    pub general: String,
}

impl Faults {
    /// The refusals `problems` placed on the form's fields `known` (the API's
    /// `contact.first_name` is the form's `first_name`, `card.number` its
    /// `card_number`); the others are said above the form.
    pub fn of(problems: &[Problem], known: &[&str]) -> Self {
        let mut faults = Faults::default();
        for problem in problems {
            let name = problem
                .field
                .as_deref()
                .map(|f| match f.rsplit('.').next().unwrap_or(f) {
                    "number" => "card_number",
                    "address" => "line1",
                    other => other,
                })
                .filter(|name| known.contains(name));
            match name {
                Some(name) if !faults.fields.iter().any(|(f, _)| f == name) => {
                    faults
                        .fields
                        .push((name.to_owned(), problem.detail.clone()));
                }
                Some(_) => {}
                None if faults.general.is_empty() => faults.general.clone_from(&problem.detail),
                None => {
                    faults.general.push(' ');
                    faults.general.push_str(&problem.detail);
                }
            }
        }
        // Listed as the page shows its fields, top to bottom.
        faults
            .fields
            .sort_by_key(|(name, _)| known.iter().position(|k| k == name));
        faults
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }

    /// What is wrong with the field `name` (empty when nothing is).
    pub fn error(&self, name: &str) -> String {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map_or_else(String::new, |(_, message)| message.clone())
    }

    /// The attributes that tie the field `name` to its fault, if it has one.
    /// (`name` is one of the page's own field names, never what was typed.)
    pub fn aria(&self, name: &str) -> String {
        if self.fields.iter().any(|(field, _)| field == name) {
            format!(r#" aria-invalid="true" aria-describedby="{name}-error""#)
        } else {
            String::new()
        }
    }

    /// The summary's links: the field's element (`#id`) and its fault.
    pub fn links(&self) -> Vec<(String, String)> {
        self.fields
            .iter()
            .map(|(name, message)| {
                let id = match name.as_str() {
                    // A group of radio buttons: its first.
                    "method" => "method-home",
                    other => other,
                };
                (format!("#{id}"), message.clone())
            })
            .collect()
    }
}

/// What was typed, without the spaces around it.
fn trimmed(text: &str) -> String {
    text.trim().to_owned()
}

/// "Details and Purchase" on a creation's page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddToBagForm {
    pub sku: String,
    pub quantity: String,
    pub personalisation_kind: String,
    pub personalisation_text: String,
}

impl AddToBagForm {
    pub fn sku(&self) -> String {
        trimmed(&self.sku)
    }

    /// One, unless a number is given.
    pub fn quantity(&self) -> i64 {
        self.quantity.trim().parse().unwrap_or(1)
    }

    /// The text as typed, when a kind other than "none" is chosen.
    pub fn personalisation(self) -> Option<PersonalisationRequest> {
        let kind = trimmed(&self.personalisation_kind);
        (!kind.is_empty() && kind != "none").then_some(PersonalisationRequest {
            kind,
            text: self.personalisation_text,
        })
    }
}

/// A line of the bag: its quantity, or its "Remove" button.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BagLineForm {
    pub quantity: String,
    #[serde(deserialize_with = "pressed")]
    pub remove: bool,
}

impl BagLineForm {
    /// Zero (refused by the bag) unless a number is given.
    pub fn quantity(&self) -> i64 {
        self.quantity.trim().parse().unwrap_or(0)
    }
}

/// The checkout form: contact, delivery, the card, the final-sale box. The
/// page shows it again as typed, except the card number and security code.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CheckoutForm {
    /// The idempotency key of this form's order (a second press replays it).
    pub key: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    /// `home`, `workplace` or `boutique` (the page starts at `home`).
    pub method: Option<String>,
    pub company: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    /// `US` or `CA` (the page starts at `US`).
    pub country: Option<String>,
    #[serde(deserialize_with = "on")]
    pub save_address: bool,
    pub boutique_id: String,
    pub holder_name: String,
    pub card_number: String,
    pub exp_month: String,
    pub exp_year: String,
    pub cvc: String,
    #[serde(deserialize_with = "on_or_true")]
    pub accept_final_sale: bool,
}

impl CheckoutForm {
    /// The order this form asks for, from the bag `bag_id`.
    pub fn request(&self, bag_id: String, account_id: Option<String>) -> CheckoutRequest {
        let method = trimmed(self.method.as_deref().unwrap_or_default());
        CheckoutRequest {
            bag_id,
            account_id,
            contact: ContactInput {
                first_name: trimmed(&self.first_name),
                last_name: trimmed(&self.last_name),
                email: trimmed(&self.email),
                phone: trimmed(&self.phone),
            },
            delivery: DeliveryInput {
                address: (method != "boutique").then(|| AddressInput {
                    line1: trimmed(&self.line1),
                    line2: Some(trimmed(&self.line2)),
                    city: trimmed(&self.city),
                    region: trimmed(&self.region),
                    postal_code: trimmed(&self.postal_code),
                    country: trimmed(self.country.as_deref().unwrap_or_default()),
                    company: Some(trimmed(&self.company)),
                }),
                boutique_id: (method == "boutique").then(|| trimmed(&self.boutique_id)),
                method,
            },
            accept_final_sale: self.accept_final_sale,
        }
    }

    /// The card as typed; the number and security code leave the form (it
    /// is shown again without them).
    pub fn take_card(&mut self) -> CardRequest {
        let number = |text: &str| text.trim().parse::<u32>().unwrap_or(0);
        CardRequest {
            number: std::mem::take(&mut self.card_number),
            exp_month: number(&self.exp_month),
            exp_year: number(&self.exp_year),
            cvc: std::mem::take(&mut self.cvc),
            holder_name: trimmed(&self.holder_name),
        }
    }

    pub fn key(&self) -> String {
        trimmed(&self.key)
    }
}

/// Order Information: an order's number and the e-mail address it was
/// placed with.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LookUpForm {
    pub number: String,
    pub email: String,
}

/// An order number as typed, within the longest one could be.
fn order_number(text: &str) -> String {
    text.trim().chars().take(64).collect()
}

/// An e-mail address as typed, within the longest one could be.
fn email_address(text: &str) -> String {
    text.trim().chars().take(254).collect()
}

impl LookUpForm {
    pub fn number(&self) -> String {
        order_number(&self.number)
    }

    pub fn email(&self) -> String {
        email_address(&self.email)
    }
}

/// "Request cancellation or change" from a guest's order page: the number
/// and e-mail address prove the order, as for the look-up.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GuestRequestForm {
    pub number: String,
    pub email: String,
    /// `cancellation` or `change`.
    pub kind: String,
    pub message: String,
}

impl GuestRequestForm {
    pub fn number(&self) -> String {
        order_number(&self.number)
    }

    pub fn email(&self) -> String {
        email_address(&self.email)
    }

    pub fn kind(&self) -> String {
        trimmed(&self.kind)
    }
}

/// "Request cancellation or change" from a client's order page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OrderRequestForm {
    /// `cancellation` or `change`.
    pub kind: String,
    pub message: String,
}

impl OrderRequestForm {
    pub fn kind(&self) -> String {
        trimmed(&self.kind)
    }
}

/// "Return a creation" from a client's order page (Conditions of Sale).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReturnForm {
    /// The order line's id (its number).
    pub line_id: String,
    pub quantity: String,
    pub reason: String,
}

impl ReturnForm {
    /// The use case's request; a quantity that is not a whole number is 0,
    /// which the use case refuses next to the field.
    pub fn request(&self) -> maison_app::returns::ReturnRequest {
        maison_app::returns::ReturnRequest {
            lines: vec![maison_app::returns::ReturnLineRequest {
                line_id: trimmed(&self.line_id),
                quantity: self.quantity.trim().parse().unwrap_or(0),
            }],
            reason: self.reason.clone(),
        }
    }
}

/// Create an account.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RegisterForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub password: Password,
}

impl RegisterForm {
    /// The registration; the form keeps what is shown again (not the password).
    pub fn registration(&mut self) -> Registration {
        Registration {
            first_name: trimmed(&self.first_name),
            last_name: trimmed(&self.last_name),
            email: trimmed(&self.email),
            phone: trimmed(&self.phone),
            password: std::mem::take(&mut self.password).secret(),
        }
    }
}

/// The confirmation link's page: its token and the password chosen.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    pub token: String,
    pub password: Password,
}

/// Sign in, then go to `next` (a path of this site).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SignInForm {
    pub email: String,
    pub password: Password,
    pub next: Option<String>,
}

/// Forgotten password: the account's e-mail address.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    pub email: String,
}

/// The password reset link's page: its token and the new password.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    pub token: String,
    pub password: Password,
}

/// Change my password.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: Password,
    pub new_password: Password,
}

/// Add an address to My addresses.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AddressForm {
    pub label: String,
    pub company: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
}

impl AddressForm {
    pub fn label(&self) -> String {
        trimmed(&self.label)
    }

    pub fn address(&self) -> AddressInput {
        let optional = |text: &str| Some(trimmed(text)).filter(|v| !v.is_empty());
        AddressInput {
            line1: trimmed(&self.line1),
            line2: optional(&self.line2),
            city: trimmed(&self.city),
            region: trimmed(&self.region),
            postal_code: trimmed(&self.postal_code),
            country: trimmed(&self.country),
            company: optional(&self.company),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use axum::body::Body;
    use axum::http::header::CONTENT_TYPE;

    async fn post<T: DeserializeOwned>(
        content_type: &str,
        body: &'static [u8],
    ) -> Result<T, Response> {
        let request = Request::post("/checkout")
            .header(CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .expect("a request");
        StorefrontForm::<T>::from_request(request, &())
            .await
            .map(|StorefrontForm(form)| form)
    }

    async fn form<T: DeserializeOwned>(body: &'static [u8]) -> T {
        match post("application/x-www-form-urlencoded", body).await {
            Ok(form) => form,
            Err(refused) => panic!("a form post refused: {}", refused.status()),
        }
    }

    #[tokio::test]
    async fn a_body_that_is_not_a_form_is_a_readable_refusal() {
        let Err(refused) = post::<CheckoutForm>("application/json", b"{}").await else {
            panic!("JSON is not a form");
        };
        assert_eq!(refused.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        let Some(crate::problem::Refusal(problem)) = refused.extensions().get() else {
            panic!("a refusal the storefront shows as a page");
        };
        assert_eq!(problem.code, "unsupported_media_type");
        assert_eq!(problem.detail, NOT_READ);
    }

    #[tokio::test]
    async fn missing_fields_are_empty_and_unknown_ones_ignored() {
        let f: CheckoutForm = form(b"first_name=Claire&colour=blue&csrf_token=x").await;
        assert_eq!(f.first_name, "Claire");
        assert_eq!((f.email.as_str(), f.method.as_deref()), ("", None));
        assert!(!f.accept_final_sale && !f.save_address);
        let empty: SignInForm = form(b"").await;
        assert_eq!((empty.email.as_str(), empty.next), ("", None));
        assert_eq!(empty.password.secret().expose(), "");
    }

    #[tokio::test]
    async fn a_field_sent_twice_counts_with_its_last_value() {
        let f: AddToBagForm = form(b"sku=A-1&sku=B-2&quantity=2&quantity=x").await;
        assert_eq!(f.sku(), "B-2");
        assert_eq!(f.quantity(), 1, "not a number: one, as before");
    }

    #[tokio::test]
    async fn bytes_that_are_not_utf8_are_read_as_replacement_characters() {
        let f: LookUpForm = form(b"number=%FF%FE1&email=a%C3@b\xff").await;
        assert_eq!(f.number(), "\u{fffd}\u{fffd}1");
        assert!(f.email().contains('\u{fffd}'));
    }

    #[tokio::test]
    async fn boxes_and_buttons_keep_their_meaning() {
        let f: CheckoutForm = form(b"accept_final_sale=true&save_address=true").await;
        assert!(f.accept_final_sale, "on or true");
        assert!(!f.save_address, "on only");
        let f: CheckoutForm = form(b"accept_final_sale=yes&save_address=on").await;
        assert!(!f.accept_final_sale && f.save_address);
        let line: BagLineForm = form(b"quantity=3&remove=").await;
        assert!(line.remove, "a pressed button, whatever its value");
        assert_eq!(line.quantity(), 3);
        let line: BagLineForm = form(b"quantity=three").await;
        assert!(!line.remove);
        assert_eq!(line.quantity(), 0);
    }

    #[tokio::test]
    async fn the_card_leaves_the_checkout_form_and_passwords_are_not_trimmed() {
        let mut f: CheckoutForm =
            form(b"card_number=4242+4242&cvc=917&exp_month=+12&exp_year=2031&holder_name=+C+D+")
                .await;
        let card = f.take_card();
        assert_eq!(
            (card.number.as_str(), card.cvc.as_str()),
            ("4242 4242", "917")
        );
        assert_eq!((card.exp_month, card.exp_year), (12, 2031));
        assert_eq!(card.holder_name, "C D");
        assert!(f.card_number.is_empty() && f.cvc.is_empty());
        let p: PasswordForm = form(b"new_password=+spaced+").await;
        assert_eq!(p.new_password.secret().expose(), " spaced ");
    }

    #[tokio::test]
    async fn a_pickup_sends_no_address_and_a_delivery_no_boutique() {
        let f: CheckoutForm = form(b"method=boutique&boutique_id=+b1+&line1=x").await;
        let r = f.request("bag".into(), None);
        assert!(r.delivery.address.is_none());
        assert_eq!(r.delivery.boutique_id.as_deref(), Some("b1"));
        let f: CheckoutForm = form(b"method=home&line1=+10+Park+Avenue&country=CA").await;
        let r = f.request("bag".into(), None);
        let address = r.delivery.address.expect("an address");
        assert_eq!(
            (address.line1.as_str(), address.country.as_str()),
            ("10 Park Avenue", "CA")
        );
        assert_eq!(address.line2.as_deref(), Some(""));
        assert!(r.delivery.boutique_id.is_none());
    }
}
