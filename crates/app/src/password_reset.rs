//! Forgotten and changed passwords: a reset link that works once within an
//! hour (a newer one replaces it), a change that ends every other session,
//! and a letter telling the client either way.

use std::sync::Arc;

use maison_domain::account::Account;
use maison_domain::contact::Email;
use maison_domain::password::check_password;
use maison_store::StoreError;
use maison_store::accounts::{self, TokenRow, TokenUse, email_key};
use maison_store::outbox::{self, OutboxMessage};

use crate::accounts::{
    ClientSession, MAIL_REQUESTS_PER_ADDRESS, MAIL_WINDOW_MICROS, RESET_LINK_MICROS,
    SIGN_IN_FAILURES_PER_ACCOUNT, Secret, SignedIn, hash, new_token, open_session, parse_email,
    token_digest, verify,
};
use crate::input::invalid;
use crate::{Maison, ShopError};

impl Maison {
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

    fn password_changed_letter(&self, account: &Account) -> OutboxMessage {
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
}
