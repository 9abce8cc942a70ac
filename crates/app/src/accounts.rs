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

use sha2::{Digest, Sha256};

pub use maison_domain::account::{Account, SavedAddress};
use maison_domain::contact::{Email, name_part, phone};
pub use maison_domain::order::{OrderRequest, OrderSummary};
use maison_domain::password::{MAX_BYTES, PasswordError, check_password};
use maison_notify::{Notice, notice};
use maison_store::StoreError;
use maison_store::accounts::{self, SessionRow, TokenRow, TokenUse, email_key};
use maison_store::outbox::{self, OutboxMessage};

use crate::clock::new_id;
use crate::documents::outbox_message;
pub(crate) use crate::input::invalid;
use crate::{Maison, ShopError, passwords};

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

pub(crate) fn hex(bytes: &[u8]) -> String {
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
    pub account: Account,
    pub expires_at: i64,
}

/// The session behind a request.
#[derive(Debug, Clone)]
pub struct ClientSession {
    pub token_digest: String,
    pub kind: SessionKind,
    pub csrf_token: String,
    pub account: Account,
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
    pub orders: Vec<OrderSummary>,
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

pub(crate) fn parse_email(text: &str) -> Result<Email, ShopError> {
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

pub(crate) async fn hash(password: Secret) -> Result<String, ShopError> {
    hashing(move || passwords::hash_password(password.expose()))
        .await?
        .map_err(|e| ShopError::Internal(e.to_string()))
}

/// Verifies against the stored hash, or spends the same time on a dummy one
/// when there is no account (the answer's timing tells nothing).
pub(crate) async fn verify(password: Secret, stored: Option<String>) -> Result<bool, ShopError> {
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

    pub(crate) async fn throttled(
        &self,
        key: &str,
        window: i64,
        limit: u32,
    ) -> Result<(), ShopError> {
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
    pub(crate) async fn may_write_to(
        &self,
        kind: &str,
        recipient: &str,
    ) -> Result<bool, ShopError> {
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
        let account = Account {
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
    pub(crate) async fn count_attempt(&self, key: &str, limit: u32) -> Result<(), ShopError> {
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
}

pub(crate) async fn open_session(
    tx: &mut maison_store::Tx,
    account: Account,
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
