//! Staff sign-in to the Client Relations console (issue 10): e-mail, password
//! (Argon2id) and a time-based one-time code (RFC 6238, 6 digits, 30-second
//! steps, one step of drift either way), each code accepted once.
//!
//! A member sets up their sign-in through a one-time link (24 hours, kept as
//! SHA-256 only) that shows the authenticator's secret as a QR code: the
//! password and the secret are kept only once one code from the
//! authenticator proves the enrolment. Sign-in is throttled per account and
//! per client address, and every refusal reads the same, whichever part was
//! wrong. Console sessions live server-side, by the SHA-256 of the cookie's
//! value: 30 minutes idle, 8 hours at most; a disabled member's sessions stop
//! at once.

use maison_domain::password::{MAX_BYTES, check_password};
use maison_domain::staff::StaffRole;
use maison_store::StoreError;
use maison_store::accounts::email_key;
use maison_store::audit;
use maison_store::console::{self as store_console, ConsoleSessionRow, SetupTokenRow};
use maison_store::staff::StaffRow;
use totp_rs::{Builder, Totp};

use crate::accounts::{Secret, hash, new_token, token_digest, verify};
use crate::actor::{Action, Actor, StaffMember};
use crate::input::invalid;
use crate::{Maison, ShopError};

const MINUTE: i64 = 60 * 1_000_000;

/// A console session ends after 30 minutes without a request...
pub const CONSOLE_IDLE_MICROS: i64 = 30 * MINUTE;
/// ...and 8 hours after sign-in, whatever the activity.
pub const CONSOLE_ABSOLUTE_MICROS: i64 = 8 * 60 * MINUTE;
/// How long a setup link works.
pub const SETUP_LINK_MICROS: i64 = 24 * 60 * MINUTE;
/// Activity is written at most once a minute per session.
const TOUCH_EVERY_MICROS: i64 = MINUTE;
/// Failed sign-ins per member, and per client address, in a window.
pub const CONSOLE_FAILURES_PER_ACCOUNT: u32 = 5;
pub const CONSOLE_FAILURES_PER_ADDRESS: u32 = 20;
/// Codes tried on one setup link in a window (a 6-digit code is not guessed).
const SETUP_ATTEMPTS_PER_LINK: u32 = 5;
/// Staff passwords are longer than clients' (ASVS advises 15).
pub const STAFF_PASSWORD_MIN_CHARS: usize = 12;
/// Digits of a code, seconds of a step.
const CODE_DIGITS: u8 = 6;

/// A member as the console shows them, with their sign-in state.
#[derive(Debug, Clone)]
pub struct SetupLink {
    pub member: StaffMember,
    /// `{public_url}/console/setup?token=...`, shown once.
    pub url: String,
    pub expires_at: i64,
}

/// What the setup page shows: whose link it is, and the authenticator's
/// secret (base32, and as an `otpauth://` URI for the QR code).
#[derive(Debug, Clone)]
pub struct Enrolment {
    pub member: StaffMember,
    pub secret_base32: String,
    pub otpauth_uri: String,
    /// The member had set up their sign-in before (this link replaces it).
    pub replaces_existing: bool,
}

/// A console session just opened: the token goes to the browser once.
#[derive(Debug)]
pub struct ConsoleSignedIn {
    pub token: Secret,
    pub csrf_token: String,
    pub member: StaffMember,
}

/// The console session behind a request.
#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub token_digest: String,
    pub csrf_token: String,
    pub member: StaffMember,
    /// When it ends unless used again (the earlier of the idle and absolute
    /// limits).
    pub ends_at: i64,
}

/// A demo member's sign-in details, printed once at the demo's first start.
#[derive(Debug)]
pub struct DemoCredentials {
    pub member: StaffMember,
    pub password: Secret,
    pub secret_base32: String,
    pub otpauth_uri: String,
}

/// The demo's members, one per role.
const DEMO_STAFF: [(&str, &str, StaffRole); 4] = [
    ("elise.marchand", "Élise Marchand", StaffRole::Ambassador),
    ("julien.morel", "Julien Morel", StaffRole::PrestigeAdvisor),
    ("nadia.laurent", "Nadia Laurent", StaffRole::Fulfilment),
    ("victor.lemaire", "Victor Lemaire", StaffRole::Admin),
];

fn member(row: StaffRow) -> StaffMember {
    StaffMember {
        id: row.id,
        email: row.email,
        name: row.name,
        role: row.role,
    }
}

/// The one answer to a refused sign-in: it never says which part was wrong.
fn refused() -> ShopError {
    ShopError::StaffSignInRefused
}

/// 160 random bits (RFC 4226's recommended length), in base32.
fn new_totp_secret() -> Result<String, ShopError> {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes)
        .map_err(|e| ShopError::Internal(format!("no randomness from the OS: {e}")))?;
    Ok(totp_rs::Secret::new_stack(bytes).to_base32())
}

/// A label part of an `otpauth://` URI: no colon (it separates issuer and
/// account).
fn label(text: &str) -> String {
    text.replace(':', " ")
}

/// The TOTP of a member: SHA-1, 6 digits, 30 s, one step of drift.
fn totp(secret_base32: &str, issuer: &str, account: &str) -> Result<Totp, ShopError> {
    let secret = totp_rs::Secret::try_from_base32(secret_base32)
        .map_err(|_| ShopError::Internal("a stored TOTP secret is not base32".into()))?;
    Builder::new()
        .with_digits(CODE_DIGITS)
        .with_secret(secret)
        .with_account_name(label(account))
        .with_issuer(Some(label(issuer)))
        .build()
        .map_err(|e| ShopError::Internal(format!("TOTP: {e}")))
}

/// The step a code matches at `now_micros`, if it does. A code is six
/// digits; spaces a person types between groups are ignored.
fn code_step(totp: &Totp, code: &str, now_micros: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != usize::from(CODE_DIGITS) || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let secs = u64::try_from(now_micros.div_euclid(1_000_000)).ok()?;
    totp.check(&code, secs)
        .and_then(|step| i64::try_from(step).ok())
}

/// A random demo password: 20 letters and digits in four groups.
fn demo_password() -> Result<Secret, ShopError> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes)
        .map_err(|e| ShopError::Internal(format!("no randomness from the OS: {e}")))?;
    let mut text = String::with_capacity(24);
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            text.push('-');
        }
        text.push(char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]));
    }
    Ok(Secret::new(text))
}

impl Maison {
    fn issuer(&self) -> String {
        format!("{} Console", self.client_relations.maison_name)
    }

    /// The `otpauth://` URI of a secret for `account` (authenticators read
    /// it from the QR code).
    fn otpauth_uri(&self, secret_base32: &str, account: &str) -> Result<String, ShopError> {
        totp(secret_base32, &self.issuer(), account)?
            .to_url()
            .map_err(|e| ShopError::Internal(format!("TOTP URI: {e}")))
    }

    /// A one-time link for a member to set (or set again) their password and
    /// authenticator; only the newest link works. Operators (the CLI) and
    /// administrators.
    pub async fn issue_setup_link(
        &self,
        actor: &Actor,
        email: &str,
    ) -> Result<SetupLink, ShopError> {
        actor.may_operate(Action::ManageStaff)?;
        let row = self
            .store()
            .staff_by_email(&email_key(email))
            .await?
            .filter(|row| row.disabled_at.is_none())
            .ok_or(ShopError::StaffNotFound)?;
        let token = new_token()?;
        let now = self.now();
        let expires_at = now + SETUP_LINK_MICROS;
        let mut tx = self.store().begin_write().await?;
        store_console::insert_setup_token(
            &mut tx,
            &SetupTokenRow {
                token_hash: token_digest(token.expose()),
                staff_id: row.id.clone(),
                totp_secret: new_totp_secret()?,
                created_at: now,
                expires_at,
                used_at: None,
            },
        )
        .await?;
        let subject = format!("staff:{}", row.email);
        audit::record(
            &mut tx,
            &actor.audit(now, "staff.setup_link", &subject, serde_json::json!({})),
        )
        .await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(SetupLink {
            url: format!(
                "{}/console/setup?token={}",
                self.public_url.trim_end_matches('/'),
                token.expose()
            ),
            member: member(row),
            expires_at,
        })
    }

    /// The link's row and member while it works.
    async fn live_setup_token(&self, token: &str) -> Result<(SetupTokenRow, StaffRow), ShopError> {
        let token = token.trim();
        if token.is_empty() || token.len() > 128 {
            return Err(ShopError::InvalidToken);
        }
        match self.store().setup_token(&token_digest(token)).await? {
            None => Err(ShopError::InvalidToken),
            Some((link, row))
                if link.used_at.is_some()
                    || link.expires_at <= self.now()
                    || row.disabled_at.is_some() =>
            {
                Err(ShopError::LinkExpired)
            }
            Some(found) => Ok(found),
        }
    }

    /// What the setup page shows for a link.
    pub async fn setup_enrolment(&self, token: &str) -> Result<Enrolment, ShopError> {
        let (link, row) = self.live_setup_token(token).await?;
        let replaces_existing = self.store().staff_enrolled(&row.id).await?;
        Ok(Enrolment {
            otpauth_uri: self.otpauth_uri(&link.totp_secret, &row.email)?,
            secret_base32: link.totp_secret,
            member: member(row),
            replaces_existing,
        })
    }

    /// Sets the member's password and authenticator from their link, once a
    /// code from the authenticator proves it, and signs them in.
    pub async fn complete_setup(
        &self,
        token: &str,
        password: Secret,
        code: &str,
    ) -> Result<ConsoleSignedIn, ShopError> {
        let (link, row) = self.live_setup_token(token).await?;
        let (first, last) = row.name.split_once(' ').unwrap_or((row.name.as_str(), ""));
        check_password(password.expose(), &row.email, first, last).map_err(ShopError::Password)?;
        if password.expose().chars().count() < STAFF_PASSWORD_MIN_CHARS {
            return Err(invalid(
                "password_too_short",
                "password",
                format!(
                    "A staff password has at least {STAFF_PASSWORD_MIN_CHARS} characters: a short sentence is easy to remember."
                ),
            ));
        }
        self.count_attempt(
            &format!("console:setup:{}", link.token_hash),
            SETUP_ATTEMPTS_PER_LINK,
        )
        .await?;
        let authenticator = totp(&link.totp_secret, &self.issuer(), &row.email)?;
        let now = self.now();
        let Some(step) = code_step(&authenticator, code, now) else {
            return Err(invalid(
                "invalid_code",
                "code",
                "This code is not the one the authenticator shows: add the key to the app, then type the 6 digits it shows now.",
            ));
        };
        let password_hash = hash(password).await?;
        let mut tx = self.store().begin_write().await?;
        if !store_console::spend_setup_token(&mut tx, &link.token_hash, now).await?
            || !store_console::set_credentials(
                &mut tx,
                &row.id,
                &password_hash,
                &link.totp_secret,
                Some(step),
                now,
            )
            .await?
        {
            return Err(ShopError::LinkExpired);
        }
        let member = member(row);
        let actor = Actor::Staff(member.clone());
        let subject = format!("staff:{}", member.email);
        audit::record(
            &mut tx,
            &actor.audit(now, "staff.enrol", &subject, serde_json::json!({})),
        )
        .await?;
        let signed_in = open_console_session(&mut tx, member, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(staff = %signed_in.member.id, "console sign-in set up");
        Ok(signed_in)
    }

    /// Signs a member in to the console with e-mail, password and code. Any
    /// refusal is [`ShopError::StaffSignInRefused`] (or too many attempts).
    pub async fn console_sign_in(
        &self,
        email: &str,
        password: Secret,
        code: &str,
        client: &str,
    ) -> Result<ConsoleSignedIn, ShopError> {
        let key = email_key(email);
        let account_key = format!("console:signin:account:{key}");
        let address_key = format!("console:signin:address:{client}");
        // Counted before anything is checked, so that attempts sent at once
        // are counted at once; a good one is given back.
        self.count_attempt(&account_key, CONSOLE_FAILURES_PER_ACCOUNT)
            .await?;
        self.count_attempt(&address_key, CONSOLE_FAILURES_PER_ADDRESS)
            .await?;
        if password.expose().len() > MAX_BYTES || key.is_empty() || key.len() > 254 {
            return Err(refused());
        }
        let store = self.store();
        let credentials = store
            .staff_credentials(&key)
            .await?
            .filter(|c| c.member.disabled_at.is_none());
        let stored_hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
        // Verified (or a dummy hash, same time) whatever the address.
        let password_ok = verify(password, stored_hash).await?;
        let Some(credentials) = credentials.filter(|_| password_ok) else {
            tracing::warn!("console sign-in refused");
            return Err(refused());
        };
        let Some(secret) = credentials.totp_secret.as_deref() else {
            return Err(refused());
        };
        let now = self.now();
        let authenticator = totp(secret, &self.issuer(), &credentials.member.email)?;
        let step = code_step(&authenticator, code, now);
        let fresh = match step {
            Some(step) if credentials.totp_last_step.is_none_or(|last| step > last) => {
                store.spend_totp_step(&credentials.member.id, step).await?
            }
            _ => false,
        };
        if !fresh {
            tracing::warn!(staff = %credentials.member.id, "console sign-in refused: code");
            return Err(refused());
        }
        store.clear_throttle(&account_key).await?;
        store.give_back_attempt(&address_key).await?;
        let member = member(credentials.member);
        let actor = Actor::Staff(member.clone());
        let mut tx = store.begin_write().await?;
        let subject = format!("staff:{}", member.email);
        audit::record(
            &mut tx,
            &actor.audit(now, "staff.sign_in", &subject, serde_json::json!({})),
        )
        .await?;
        let signed_in = open_console_session(&mut tx, member, now).await?;
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(staff = %signed_in.member.id, "signed in to the console");
        Ok(signed_in)
    }

    /// The live console session a cookie names, if any; one past its idle or
    /// absolute limit is removed, and a disabled member's is not found.
    pub async fn console_session(&self, token: &str) -> Result<Option<ConsoleSession>, ShopError> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let digest = token_digest(token);
        let Some((row, staff)) = self.store().console_session(&digest).await? else {
            return Ok(None);
        };
        let now = self.now();
        let absolute_end = row.created_at + CONSOLE_ABSOLUTE_MICROS;
        if absolute_end <= now || row.last_seen_at + CONSOLE_IDLE_MICROS <= now {
            self.store().delete_console_session(&digest).await?;
            return Ok(None);
        }
        let mut last_seen = row.last_seen_at;
        if now - row.last_seen_at >= TOUCH_EVERY_MICROS {
            self.store().touch_console_session(&digest, now).await?;
            last_seen = now;
        }
        Ok(Some(ConsoleSession {
            token_digest: digest,
            csrf_token: row.csrf_token,
            member: member(staff),
            ends_at: absolute_end.min(last_seen + CONSOLE_IDLE_MICROS),
        }))
    }

    /// Ends this console session on every instance at once.
    pub async fn console_sign_out(&self, session: &ConsoleSession) -> Result<(), ShopError> {
        self.store()
            .delete_console_session(&session.token_digest)
            .await?;
        tracing::info!(staff = %session.member.id, "signed out of the console");
        Ok(())
    }

    /// Removes console sessions past their limits and expired setup links.
    pub async fn purge_console_sessions(&self) -> Result<u64, ShopError> {
        let now = self.now();
        Ok(self
            .store()
            .purge_console_sessions(
                now - CONSOLE_ABSOLUTE_MICROS,
                now - CONSOLE_IDLE_MICROS,
                now,
            )
            .await?)
    }

    /// The demo's staff, one member per role, signed up with a random
    /// password and authenticator secret, returned once to be printed. A
    /// member whose address exists already is left as it is (and not
    /// returned).
    pub async fn create_demo_staff(&self) -> Result<Vec<DemoCredentials>, ShopError> {
        let operator = Actor::System("demo");
        let domain = self
            .client_relations
            .email
            .rsplit_once('@')
            .map_or("maison.example", |(_, d)| d)
            .to_owned();
        let mut created = Vec::new();
        for (local, name, role) in DEMO_STAFF {
            let email = format!("{local}@{domain}");
            let member = match self.add_staff(&operator, &email, name, role.as_str()).await {
                Ok(member) => member,
                Err(ShopError::StaffExists) => continue,
                Err(err) => return Err(err),
            };
            let password = demo_password()?;
            let secret_base32 = new_totp_secret()?;
            let password_hash = hash(password.clone()).await?;
            let now = self.now();
            let mut tx = self.store().begin_write().await?;
            store_console::set_credentials(
                &mut tx,
                &member.id,
                &password_hash,
                &secret_base32,
                None,
                now,
            )
            .await?;
            let subject = format!("staff:{}", member.email);
            audit::record(
                &mut tx,
                &operator.audit(now, "staff.enrol", &subject, serde_json::json!({})),
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            created.push(DemoCredentials {
                otpauth_uri: self.otpauth_uri(&secret_base32, &member.email)?,
                member,
                password,
                secret_base32,
            });
        }
        Ok(created)
    }
}

async fn open_console_session(
    tx: &mut maison_store::Tx,
    member: StaffMember,
    now: i64,
) -> Result<ConsoleSignedIn, ShopError> {
    let token = new_token()?;
    let csrf_token = new_token()?.expose().to_owned();
    store_console::insert_console_session(
        tx,
        &ConsoleSessionRow {
            token_hash: token_digest(token.expose()),
            staff_id: member.id.clone(),
            csrf_token: csrf_token.clone(),
            created_at: now,
            last_seen_at: now,
        },
    )
    .await?;
    Ok(ConsoleSignedIn {
        token,
        csrf_token,
        member,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    #[test]
    fn a_code_matches_its_step_and_one_step_of_drift_only() {
        let t = totp(SECRET, "Maison Console", "a@maison.example").expect("totp");
        let now: i64 = 1_796_083_200_000_000;
        let secs = u64::try_from(now / 1_000_000).expect("secs");
        let code = t.generate(secs).to_string();
        let step = code_step(&t, &code, now).expect("matches");
        assert_eq!(step, now / 1_000_000 / 30);
        let spaced = format!("{} {}", &code[..3], &code[3..]);
        assert_eq!(code_step(&t, &spaced, now), Some(step));
        assert!(
            code_step(&t, &code, now + 30_000_000).is_some(),
            "one step late"
        );
        assert!(code_step(&t, &code, now + 90_000_000).is_none(), "too late");
        assert!(code_step(&t, "12345", now).is_none());
        assert!(code_step(&t, "abcdef", now).is_none());
        assert!(code_step(&t, "", -5).is_none(), "no panic before 1970");
    }

    #[test]
    fn the_otpauth_uri_names_the_maison_and_the_member() {
        let t = totp(SECRET, "Maison: Console", "a@maison.example").expect("totp");
        let uri = t.to_url().expect("uri");
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&format!("secret={SECRET}")), "{uri}");
        assert!(uri.contains("issuer=Maison"), "{uri}");
    }

    #[test]
    fn demo_passwords_are_long_random_and_accepted() {
        let a = demo_password().expect("password");
        let b = demo_password().expect("password");
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 23);
        assert!(check_password(a.expose(), "x@maison.example", "Élise", "Marchand").is_ok());
        assert!(new_totp_secret().expect("secret").len() >= 32);
    }
}
