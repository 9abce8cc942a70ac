//! Client accounts (rule R5, issue 4): registration confirmed by e-mail (the
//! account exists only once the address is proved, so registering never tells
//! whether an address is known), sign-in throttled per account and per client
//! address, server-side sessions with idle and absolute timeouts, password
//! reset by a single-use link, saved addresses, the order history and the
//! client's requests on an order.
//!
//! Secrets (session tokens, link tokens, passwords) are only ever held in
//! [`Secret`], which never prints itself; the database keeps SHA-256 digests
//! of tokens and Argon2id hashes of passwords.

use std::sync::Arc;

use sha2::{Digest, Sha256};

use maison_domain::address::{AddressInput, validate_address};
use maison_domain::contact::{Email, name_part, phone};
use maison_domain::order::OrderNumber;
use maison_domain::password::{MAX_BYTES, PasswordError, check_password};
use maison_notify::{Notice, notice};
use maison_store::StoreError;
use maison_store::accounts::{self, SessionRow, TokenRow, TokenUse, email_key};
pub use maison_store::accounts::{AccountRow, OrderRequestRow, OrderSummaryRow, SavedAddressRow};
use maison_store::outbox::{self, OutboxMessage};

use crate::bag::PersonalisationRequest;
use crate::clock::new_id;
use crate::documents::outbox_message;
pub(crate) use crate::input::{invalid, page_after};
use crate::{Maison, OrderRow, ShopError, passwords};

const MINUTE: i64 = 60 * 1_000_000;

/// A session ends after 30 minutes without a request...
pub const SESSION_IDLE_MICROS: i64 = 30 * MINUTE;
/// ...and 12 hours after sign-in, whatever the activity.
pub const SESSION_ABSOLUTE_MICROS: i64 = 12 * 60 * MINUTE;
/// Activity is written at most once a minute per session.
const TOUCH_EVERY_MICROS: i64 = MINUTE;
/// How long the link confirming a registration works.
pub const REGISTRATION_LINK_MICROS: i64 = 24 * 60 * MINUTE;
/// How long a password-reset link works.
pub const RESET_LINK_MICROS: i64 = 60 * MINUTE;

/// Failed sign-ins allowed per account in a window; then the account waits
/// for the window's end (no permanent lock an attacker could impose).
pub const SIGN_IN_FAILURES_PER_ACCOUNT: u32 = 5;
/// Failed sign-ins allowed per client address in a window (credential stuffing
/// tries many accounts from one place).
pub const SIGN_IN_FAILURES_PER_ADDRESS: u32 = 20;
pub const SIGN_IN_WINDOW_MICROS: i64 = 15 * MINUTE;
/// Registrations and reset requests per client address in a window.
pub const MAIL_REQUESTS_PER_ADDRESS: u32 = 20;
/// Letters of one kind to one address in a window: beyond, the answer is the
/// same but no letter leaves (nobody can flood a mailbox through us).
pub const MAIL_REQUESTS_PER_RECIPIENT: u32 = 3;
pub const MAIL_WINDOW_MICROS: i64 = 15 * MINUTE;
/// Addresses an account keeps.
pub const MAX_SAVED_ADDRESSES: usize = 10;
/// Orders per page of the history, at most.
pub const MAX_PAGE: u32 = 50;

/// A secret string (token or password) that never appears in logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// 256 random bits from the operating system, as 64 hex characters.
pub(crate) fn new_token() -> Result<Secret, ShopError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ShopError::Internal(format!("no randomness from the OS: {e}")))?;
    Ok(Secret(hex(&bytes)))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What the database keeps of a token.
pub fn token_digest(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A session that has just been opened: the token goes to the client once
/// (cookie or bearer), never to the database.
#[derive(Debug)]
pub struct SignedIn {
    pub token: Secret,
    pub csrf_token: String,
    pub account: AccountRow,
    pub expires_at: i64,
}

/// The session behind a request.
#[derive(Debug, Clone)]
pub struct ClientSession {
    pub token_digest: String,
    pub kind: SessionKind,
    pub csrf_token: String,
    pub account: AccountRow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A browser, by cookie: state-changing requests need the CSRF token.
    Browser,
    /// An API client, by `Authorization: Bearer`.
    Api,
}

impl SessionKind {
    fn as_str(self) -> &'static str {
        match self {
            SessionKind::Browser => "browser",
            SessionKind::Api => "api",
        }
    }
}

/// What a registration form sends.
pub struct Registration {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub password: Secret,
}

/// The bag the client continues with after signing in, and what could not be
/// carried over from the guest's bag.
#[derive(Debug, Default)]
pub struct BagMerge {
    pub bag_id: Option<String>,
    pub messages: Vec<String>,
    /// The SKUs of the guest's lines that could not be carried over.
    pub left_out: Vec<String>,
}

/// A page of the order history.
pub struct OrderPage {
    pub orders: Vec<OrderSummaryRow>,
    pub next_cursor: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PendingRegistration {
    email: String,
    first_name: String,
    last_name: String,
    phone: String,
    password_hash: String,
}

fn parse_email(text: &str) -> Result<Email, ShopError> {
    Email::parse(text).map_err(|e| invalid("invalid_email", "email", e.message))
}

/// Argon2id runs at most this many at once (19 MiB each): a flood of
/// sign-ins queues instead of exhausting memory; requests that wait too long
/// are cut by the server's request timeout.
const CONCURRENT_HASHES: usize = 4;
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_HASHES);

async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ShopError> {
    let permit = HASHING
        .acquire()
        .await
        .map_err(|e| ShopError::Internal(e.to_string()))?;
    // The permit goes with the work: a request dropped while its hash runs
    // does not free a slot before the hash ends.
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        work()
    })
    .await
    .map_err(|e| ShopError::Internal(e.to_string()))
}

async fn hash(password: Secret) -> Result<String, ShopError> {
    hashing(move || passwords::hash_password(password.expose()))
        .await?
        .map_err(|e| ShopError::Internal(e.to_string()))
}

/// Verifies against the stored hash, or spends the same time on a dummy one
/// when there is no account (the answer's timing tells nothing).
async fn verify(password: Secret, stored: Option<String>) -> Result<bool, ShopError> {
    hashing(move || match stored {
        Some(phc) => passwords::verify_password(password.expose(), &phc),
        None => {
            passwords::dummy_verify(password.expose());
            false
        }
    })
    .await
}

impl Maison {
    pub(crate) fn letter(
        &self,
        kind: &str,
        to: &str,
        subject: String,
        greeting: String,
        paragraphs: Vec<String>,
        link: Option<(String, String)>,
    ) -> OutboxMessage {
        let n = Notice {
            to: to.to_owned(),
            subject,
            greeting,
            paragraphs,
            link,
        };
        outbox_message(kind, None, notice(&n, &self.client_relations))
    }

    async fn throttled(&self, key: &str, window: i64, limit: u32) -> Result<(), ShopError> {
        match self
            .store()
            .throttle(key, self.now(), window, limit)
            .await?
        {
            Some(retry_after) => {
                tracing::warn!(
                    retry_after,
                    kind = key.split(':').next().unwrap_or(""),
                    "throttled"
                );
                Err(ShopError::TooManyAttempts { retry_after })
            }
            None => Ok(()),
        }
    }

    /// Whether one more letter of `kind` may go to `recipient` now.
    async fn may_write_to(&self, kind: &str, recipient: &str) -> Result<bool, ShopError> {
        let key = format!("mail:{kind}:{}", email_key(recipient));
        Ok(self
            .store()
            .throttle(
                &key,
                self.now(),
                MAIL_WINDOW_MICROS,
                MAIL_REQUESTS_PER_RECIPIENT,
            )
            .await?
            .is_none())
    }

    /// Registers a client: checks the details, then e-mails a link that
    /// creates the account. The answer is the same whether or not the address
    /// already has an account (its owner is told by e-mail instead).
    pub async fn register(&self, r: Registration, client: &str) -> Result<(), ShopError> {
        self.throttled(
            &format!("mail:address:{client}"),
            MAIL_WINDOW_MICROS,
            MAIL_REQUESTS_PER_ADDRESS,
        )
        .await?;
        let first_name = name_part("first_name", "first name", &r.first_name)
            .map_err(|e| invalid("invalid_name", e.field, e.message))?;
        let last_name = name_part("last_name", "last name", &r.last_name)
            .map_err(|e| invalid("invalid_name", e.field, e.message))?;
        let email = parse_email(&r.email)?;
        let phone = if r.phone.trim().is_empty() {
            String::new()
        } else {
            phone(&r.phone).map_err(|e| invalid("invalid_phone", "phone", e.message))?
        };
        check_password(r.password.expose(), email.as_str(), &first_name, &last_name)
            .map_err(ShopError::Password)?;
        // Hashed in both cases, so both answers take the same time.
        let password_hash = hash(r.password).await?;
        let existing = self.store().account_by_email(email.as_str()).await?;
        if !self.may_write_to("registration", email.as_str()).await? {
            return Ok(());
        }
        let now = self.now();
        let greeting = format!("Dear {first_name} {last_name},");
        let mut tx = self.store().begin_write().await?;
        let letter = match existing {
            Some(_) => self.letter(
                "account_exists",
                email.as_str(),
                format!("Your {} account", self.client_relations.maison_name),
                greeting,
                vec![
                    "Someone, perhaps you, asked to open an account with this e-mail address, which already has one. Nothing was changed.".into(),
                    "If you have forgotten your password, you can choose a new one from the sign-in page.".into(),
                ],
                Some(("Sign in".into(), format!("{}/account/sign-in", self.public_url))),
            ),
            None => {
                let token = new_token()?;
                let payload = serde_json::to_string(&PendingRegistration {
                    email: email.as_str().to_owned(),
                    first_name,
                    last_name,
                    phone,
                    password_hash,
                })
                .map_err(|e| ShopError::Internal(e.to_string()))?;
                accounts::insert_token(
                    &mut tx,
                    &TokenRow {
                        token_hash: token_digest(token.expose()),
                        purpose: "registration".into(),
                        email_key: email_key(email.as_str()),
                        account_id: None,
                        payload: Some(payload),
                        created_at: now,
                        expires_at: now + REGISTRATION_LINK_MICROS,
                        used_at: None,
                    },
                )
                .await?;
                self.letter(
                    "registration",
                    email.as_str(),
                    format!("Confirm your {} account", self.client_relations.maison_name),
                    greeting,
                    vec![
                        "Thank you for opening an account. To confirm that this e-mail address is yours, please follow the link below within 24 hours.".into(),
                        "If you did not ask for an account, you can ignore this message: nothing will be created.".into(),
                    ],
                    Some((
                        "Confirm my account".into(),
                        format!("{}/account/confirm?token={}", self.public_url, token.expose()),
                    )),
                )
            }
        };
        outbox::enqueue(&mut tx, &letter, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Follows the link of a registration: creates the account, gathers the
    /// orders placed as a guest with that address, and signs the client in.
    ///
    /// The password chosen at registration must be typed again: whoever
    /// registered someone else's address cannot have the owner confirm an
    /// account whose password the registrant knows.
    pub async fn confirm_registration(
        &self,
        token: &str,
        password: Secret,
        kind: SessionKind,
    ) -> Result<SignedIn, ShopError> {
        let digest = token_digest(token.trim());
        let now = self.now();
        let row = match self.store().account_token(&digest, "registration").await? {
            None => return Err(ShopError::InvalidToken),
            Some(row) if row.used_at.is_some() || row.expires_at <= now => {
                return Err(ShopError::LinkExpired);
            }
            Some(row) => row,
        };
        let pending: PendingRegistration =
            serde_json::from_str(row.payload.as_deref().unwrap_or(""))
                .map_err(|e| ShopError::Internal(format!("registration payload: {e}")))?;
        let attempts = format!("signin:account:{}", row.email_key);
        self.count_attempt(&attempts, SIGN_IN_FAILURES_PER_ACCOUNT)
            .await?;
        if !verify(password, Some(pending.password_hash.clone())).await? {
            return Err(invalid(
                "invalid_credentials",
                "password",
                "This is not the password chosen for this registration: type the one you chose when you registered.",
            ));
        }
        self.store().clear_throttle(&attempts).await?;
        let mut tx = self.store().begin_write().await?;
        match accounts::spend_token(&mut tx, &digest, "registration", now).await? {
            TokenUse::Spent(_) => {}
            TokenUse::Expired => return Err(ShopError::LinkExpired),
            TokenUse::Unknown => return Err(ShopError::InvalidToken),
        }
        let account = AccountRow {
            id: new_id(),
            email: pending.email,
            first_name: pending.first_name,
            last_name: pending.last_name,
            phone: pending.phone,
            password_hash: pending.password_hash,
            created_at: now,
        };
        if !accounts::insert_account(&mut tx, &account).await? {
            // Confirmed twice through two registrations: the first one stands.
            return Err(ShopError::LinkExpired);
        }
        accounts::expire_tokens(&mut tx, &row.email_key, "registration", now).await?;
        accounts::claim_guest_orders(&mut tx, &account.id, &account.email).await?;
        let signed_in = open_session(&mut tx, account, kind, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(account = %signed_in.account.id, "account created");
        Ok(signed_in)
    }

    /// Signs a client in with e-mail and password.
    pub async fn sign_in(
        &self,
        email: &str,
        password: Secret,
        client: &str,
        kind: SessionKind,
    ) -> Result<SignedIn, ShopError> {
        if password.expose().len() > MAX_BYTES {
            return Err(ShopError::Password(PasswordError::TooLong));
        }
        let email = parse_email(email)?;
        let account_key = format!("signin:account:{}", email_key(email.as_str()));
        let address_key = format!("signin:address:{client}");
        let store = self.store();
        // Every attempt is counted before the password is checked, so that
        // attempts sent at once are counted at once; a good one is given back.
        self.count_attempt(&account_key, SIGN_IN_FAILURES_PER_ACCOUNT)
            .await?;
        self.count_attempt(&address_key, SIGN_IN_FAILURES_PER_ADDRESS)
            .await?;
        let account = store.account_by_email(email.as_str()).await?;
        let ok = verify(password, account.as_ref().map(|a| a.password_hash.clone())).await?;
        let Some(account) = account.filter(|_| ok) else {
            tracing::warn!("sign-in refused");
            return Err(ShopError::InvalidCredentials);
        };
        store.clear_throttle(&account_key).await?;
        store.give_back_attempt(&address_key).await?;
        let now = self.now();
        let mut tx = store.begin_write().await?;
        let signed_in = open_session(&mut tx, account, kind, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(account = %signed_in.account.id, kind = kind.as_str(), "signed in");
        Ok(signed_in)
    }

    /// Counts one sign-in attempt under `key`; refuses it past `limit` in the
    /// window.
    async fn count_attempt(&self, key: &str, limit: u32) -> Result<(), ShopError> {
        match self
            .store()
            .throttle(key, self.now(), SIGN_IN_WINDOW_MICROS, limit)
            .await?
        {
            Some(retry_after) => {
                tracing::warn!(retry_after, "sign-in throttled");
                Err(ShopError::TooManyAttempts { retry_after })
            }
            None => Ok(()),
        }
    }

    /// The live session a token names, if any; a session past its idle or
    /// absolute timeout is removed.
    pub async fn session(&self, token: &str) -> Result<Option<ClientSession>, ShopError> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let digest = token_digest(token);
        let Some((row, account)) = self.store().session(&digest).await? else {
            return Ok(None);
        };
        let now = self.now();
        if row.expires_at <= now || row.last_seen_at + SESSION_IDLE_MICROS <= now {
            self.store().delete_session(&digest).await?;
            return Ok(None);
        }
        if now - row.last_seen_at >= TOUCH_EVERY_MICROS {
            self.store().touch_session(&digest, now).await?;
        }
        Ok(Some(ClientSession {
            token_digest: digest,
            kind: if row.kind == "api" {
                SessionKind::Api
            } else {
                SessionKind::Browser
            },
            csrf_token: row.csrf_token,
            account,
        }))
    }

    /// Removes sessions past their timeouts and expired links.
    pub async fn purge_sessions(&self) -> Result<u64, ShopError> {
        let now = self.now();
        Ok(self
            .store()
            .purge_expired_sessions(now, now - SESSION_IDLE_MICROS)
            .await?)
    }

    /// Ends this session (the token stops working on every instance at once).
    pub async fn sign_out(&self, session: &ClientSession) -> Result<(), ShopError> {
        self.store().delete_session(&session.token_digest).await?;
        tracing::info!(account = %session.account.id, "signed out");
        Ok(())
    }

    /// E-mails a single-use link to choose a new password, when the address
    /// has an account. The answer is the same either way.
    ///
    /// The letter is prepared after the answer, so that the answer's timing
    /// does not depend on whether there is an account either.
    pub async fn request_password_reset(
        self: &Arc<Self>,
        email: &str,
        client: &str,
    ) -> Result<(), ShopError> {
        self.throttled(
            &format!("mail:address:{client}"),
            MAIL_WINDOW_MICROS,
            MAIL_REQUESTS_PER_ADDRESS,
        )
        .await?;
        let email = parse_email(email)?;
        let maison = Arc::clone(self);
        tokio::spawn(async move {
            if let Err(err) = maison.send_reset_link(&email).await {
                tracing::warn!(error = %err, "password reset link not sent");
            }
        });
        Ok(())
    }

    async fn send_reset_link(&self, email: &Email) -> Result<(), ShopError> {
        let Some(account) = self.store().account_by_email(email.as_str()).await? else {
            return Ok(());
        };
        if !self.may_write_to("password_reset", &account.email).await? {
            return Ok(());
        }
        let now = self.now();
        let token = new_token()?;
        let key = email_key(&account.email);
        let mut tx = self.store().begin_write().await?;
        accounts::expire_tokens(&mut tx, &key, "password_reset", now).await?;
        accounts::insert_token(
            &mut tx,
            &TokenRow {
                token_hash: token_digest(token.expose()),
                purpose: "password_reset".into(),
                email_key: key,
                account_id: Some(account.id.clone()),
                payload: None,
                created_at: now,
                expires_at: now + RESET_LINK_MICROS,
                used_at: None,
            },
        )
        .await?;
        let letter = self.letter(
            "password_reset",
            &account.email,
            format!("Choose a new password for your {} account", self.client_relations.maison_name),
            format!("Dear {} {},", account.first_name, account.last_name),
            vec![
                "We received a request to choose a new password for your account. The link below works once, within one hour.".into(),
                "If you did not ask for it, you can ignore this message: your password stays as it is.".into(),
            ],
            Some((
                "Choose a new password".into(),
                format!("{}/account/reset?token={}", self.public_url, token.expose()),
            )),
        );
        outbox::enqueue(&mut tx, &letter, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(())
    }

    /// Sets a new password through a reset link; every session of the account
    /// ends (whoever knew the old password is signed out).
    pub async fn reset_password(&self, token: &str, new_password: Secret) -> Result<(), ShopError> {
        let digest = token_digest(token.trim());
        let now = self.now();
        let row = match self
            .store()
            .account_token(&digest, "password_reset")
            .await?
        {
            None => return Err(ShopError::InvalidToken),
            Some(row) if row.used_at.is_some() || row.expires_at <= now => {
                return Err(ShopError::LinkExpired);
            }
            Some(row) => row,
        };
        let account_id = row.account_id.unwrap_or_default();
        let account = self
            .store()
            .account(&account_id)
            .await?
            .ok_or(ShopError::InvalidToken)?;
        check_password(
            new_password.expose(),
            &account.email,
            &account.first_name,
            &account.last_name,
        )
        .map_err(ShopError::Password)?;
        let password_hash = hash(new_password).await?;
        let mut tx = self.store().begin_write().await?;
        match accounts::spend_token(&mut tx, &digest, "password_reset", now).await? {
            TokenUse::Spent(_) => {}
            TokenUse::Expired => return Err(ShopError::LinkExpired),
            TokenUse::Unknown => return Err(ShopError::InvalidToken),
        }
        accounts::set_password(&mut tx, &account.id, &password_hash, now).await?;
        accounts::delete_sessions_of(&mut tx, &account.id, None).await?;
        accounts::expire_tokens(&mut tx, &email_key(&account.email), "password_reset", now).await?;
        outbox::enqueue(&mut tx, &self.password_changed_letter(&account), now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        self.store()
            .clear_throttle(&format!("signin:account:{}", email_key(&account.email)))
            .await?;
        tracing::info!(account = %account.id, "password reset");
        Ok(())
    }

    fn password_changed_letter(&self, account: &AccountRow) -> OutboxMessage {
        self.letter(
            "password_changed",
            &account.email,
            format!("Your {} password was changed", self.client_relations.maison_name),
            format!("Dear {} {},", account.first_name, account.last_name),
            vec![
                "The password of your account has just been changed, and every other session was signed out.".into(),
                format!(
                    "If you did not make this change, please contact {} at once.",
                    self.client_relations.contact_sentence()
                ),
            ],
            None,
        )
    }

    /// Changes the password of a signed-in client who proves the current one.
    /// Every session ends and a new one replaces the caller's.
    pub async fn change_password(
        &self,
        session: &ClientSession,
        current: Secret,
        new_password: Secret,
    ) -> Result<SignedIn, ShopError> {
        let account = &session.account;
        let key = format!("signin:account:{}", email_key(&account.email));
        self.count_attempt(&key, SIGN_IN_FAILURES_PER_ACCOUNT)
            .await?;
        if !verify(current, Some(account.password_hash.clone())).await? {
            return Err(invalid(
                "invalid_credentials",
                "current_password",
                "The current password is not right.",
            ));
        }
        self.store().clear_throttle(&key).await?;
        let now = self.now();
        check_password(
            new_password.expose(),
            &account.email,
            &account.first_name,
            &account.last_name,
        )
        .map_err(ShopError::Password)?;
        let password_hash = hash(new_password).await?;
        let mut tx = self.store().begin_write().await?;
        accounts::set_password(&mut tx, &account.id, &password_hash, now).await?;
        accounts::delete_sessions_of(&mut tx, &account.id, None).await?;
        accounts::expire_tokens(&mut tx, &email_key(&account.email), "password_reset", now).await?;
        let mut account = account.clone();
        account.password_hash = password_hash;
        outbox::enqueue(&mut tx, &self.password_changed_letter(&account), now).await?;
        let signed_in = open_session(&mut tx, account, session.kind, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(account = %signed_in.account.id, "password changed");
        Ok(signed_in)
    }

    pub async fn saved_addresses(
        &self,
        account_id: &str,
    ) -> Result<Vec<SavedAddressRow>, ShopError> {
        Ok(self.store().saved_addresses(account_id).await?)
    }

    /// Keeps a checked address in the account.
    pub async fn save_address(
        &self,
        account_id: &str,
        label: &str,
        input: &AddressInput,
    ) -> Result<SavedAddressRow, ShopError> {
        let address = validate_address(input).map_err(|e| {
            invalid(
                "invalid_address",
                &format!("address.{}", e.field),
                e.message,
            )
        })?;
        let label = label.trim();
        if label.chars().count() > 40 || label.chars().any(char::is_control) {
            return Err(invalid(
                "invalid_label",
                "label",
                "Name the address in 40 characters at most, such as Home.",
            ));
        }
        if self.store().saved_addresses(account_id).await?.len() >= MAX_SAVED_ADDRESSES {
            return Err(ShopError::TooManyAddresses(MAX_SAVED_ADDRESSES));
        }
        let row = SavedAddressRow {
            id: new_id(),
            label: if label.is_empty() {
                address.city.clone()
            } else {
                label.to_owned()
            },
            line1: address.line1,
            line2: address.line2,
            city: address.city,
            region: address.region,
            postal_code: address.postal_code,
            country: address.country.code().to_owned(),
            company: address.company,
            created_at: self.now(),
        };
        self.store().insert_saved_address(account_id, &row).await?;
        Ok(row)
    }

    pub async fn remove_address(&self, account_id: &str, id: &str) -> Result<(), ShopError> {
        if self.store().delete_saved_address(account_id, id).await? {
            Ok(())
        } else {
            Err(ShopError::AddressNotFound)
        }
    }

    /// The account's orders, newest first, `limit` at a time.
    pub async fn order_history(
        &self,
        account_id: &str,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<OrderPage, ShopError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let after = page_after(cursor, "history")?;
        let mut orders = self
            .store()
            .orders_of_account(account_id, after, limit + 1)
            .await?;
        let more = orders.len() > limit as usize;
        orders.truncate(limit as usize);
        let next_cursor = more
            .then(|| orders.last().map(|o| format!("{}_{}", o.created_at, o.id)))
            .flatten();
        Ok(OrderPage {
            orders,
            next_cursor,
        })
    }

    /// One of the account's orders, by number; any other order is "not found".
    pub async fn account_order(
        &self,
        account_id: &str,
        number: &str,
    ) -> Result<OrderRow, ShopError> {
        let Ok(number) = OrderNumber::parse(number) else {
            return Err(ShopError::OrderNotFound);
        };
        self.store()
            .order_by_number(number.as_str())
            .await?
            .filter(|order| {
                order.account_id.is_some() && crate::lookup::may_see(order, Some(account_id))
            })
            .ok_or(ShopError::OrderNotFound)
    }

    pub async fn order_requests(&self, order_id: &str) -> Result<Vec<OrderRequestRow>, ShopError> {
        Ok(self.store().requests_of_order(order_id).await?)
    }

    /// Whether the caller may use the bag: a guest's bag is anyone's who holds
    /// its unguessable id; a client's bag is only the client's.
    pub async fn check_bag_access(
        &self,
        bag_id: &str,
        account_id: Option<&str>,
    ) -> Result<(), ShopError> {
        match self.store().bag_owner(bag_id).await? {
            Some(None) => Ok(()),
            Some(Some(owner)) if Some(owner.as_str()) == account_id => Ok(()),
            _ => Err(ShopError::BagNotFound),
        }
    }

    /// At sign-in: the guest's bag becomes the client's bag, merged into the
    /// bag the client already had, within the rules of one order (five
    /// creations at most). What cannot be carried over is said.
    ///
    /// Never fails the sign-in: a merge that fails is logged, and the guest's
    /// bag stays as it was, to be sent again.
    pub async fn adopt_bag(&self, account_id: &str, guest_bag: Option<&str>) -> BagMerge {
        self.try_adopt_bag(account_id, guest_bag)
            .await
            .unwrap_or_else(|err| {
                tracing::warn!(error = %err, "the guest bag could not be carried over");
                BagMerge::default()
            })
    }

    async fn try_adopt_bag(
        &self,
        account_id: &str,
        guest_bag: Option<&str>,
    ) -> Result<BagMerge, ShopError> {
        let own = self.store().bag_of_account(account_id).await?;
        let guest = match guest_bag {
            Some(id) if self.store().bag_owner(id).await? == Some(None) => Some(id.to_owned()),
            _ => None,
        };
        let (guest, own) = match (guest, own) {
            (None, own) => {
                return Ok(BagMerge {
                    bag_id: own,
                    ..BagMerge::default()
                });
            }
            (Some(guest), own) => (guest, own),
        };
        // Claim the guest's bag first: a second sign-in carrying the same
        // bag at the same moment finds it taken and merges nothing.
        let mut tx = self.store().begin_write().await?;
        let claimed = accounts::claim_guest_bag(&mut tx, &guest, account_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        let own = match (claimed, own) {
            (true, Some(own)) => own,
            // No bag of the client's yet: the guest's bag becomes it.
            (true, None) => {
                return Ok(BagMerge {
                    bag_id: Some(guest),
                    ..BagMerge::default()
                });
            }
            (false, own) => {
                return Ok(BagMerge {
                    bag_id: own,
                    ..BagMerge::default()
                });
            }
        };
        // Each line moves on its own (added to the client's bag, then taken
        // from the claimed one): an interruption loses nothing.
        let lines = self.store().bag_lines(&guest).await?.unwrap_or_default();
        let catalogue = self.catalogue();
        let mut messages = Vec::new();
        let mut left_out = Vec::new();
        for line in &lines {
            let personalisation = line
                .personalisation
                .as_ref()
                .map(|p| PersonalisationRequest {
                    kind: p.kind().to_owned(),
                    text: p.text().to_owned(),
                });
            let result = self
                .add_to_bag(&own, &line.sku, i64::from(line.quantity), personalisation)
                .await;
            if let Err(err) = result {
                let name = crate::bag::find_variant(&catalogue, &line.sku)
                    .map_or_else(|| line.sku.clone(), |(c, _)| c.name.clone());
                let reason = match &err {
                    ShopError::Refused(refusal) => refusal.message(&self.client_relations),
                    other => other.to_string(),
                };
                messages.push(format!("{name} could not be added to your bag: {reason}"));
                left_out.push(line.sku.clone());
            }
            self.remove_line(&guest, &line.id).await?;
        }
        // Emptied, the guest's bag has served: only the client's remains.
        self.store().delete_empty_bag(&guest).await?;
        Ok(BagMerge {
            bag_id: Some(own),
            messages,
            left_out,
        })
    }

    /// A bag for a signed-in client who has none yet.
    pub async fn create_account_bag(&self, account_id: &str) -> Result<String, ShopError> {
        let bag = self.create_bag().await?;
        let mut tx = self.store().begin_write().await?;
        accounts::set_bag_owner(&mut tx, &bag.id, account_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(bag.id)
    }
}

async fn open_session(
    tx: &mut maison_store::Tx,
    account: AccountRow,
    kind: SessionKind,
    now: i64,
) -> Result<SignedIn, ShopError> {
    let token = new_token()?;
    let csrf_token = new_token()?.expose().to_owned();
    let expires_at = now + SESSION_ABSOLUTE_MICROS;
    accounts::insert_session(
        tx,
        &SessionRow {
            token_hash: token_digest(token.expose()),
            account_id: account.id.clone(),
            kind: kind.as_str().to_owned(),
            csrf_token: csrf_token.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at,
        },
    )
    .await?;
    Ok(SignedIn {
        token,
        csrf_token,
        account,
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_256_random_bits_and_only_their_digest_is_kept() {
        let a = new_token().expect("token");
        let b = new_token().expect("token");
        assert_eq!(a.expose().len(), 64);
        assert_ne!(a, b);
        let digest = token_digest(a.expose());
        assert_eq!(digest.len(), 64);
        assert_ne!(digest, a.expose());
        assert_eq!(digest, token_digest(a.expose()));
    }

    #[test]
    fn secrets_never_print_themselves() {
        let s = Secret::new("hunter2-correct-horse");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
