//! Information requests (rule R16): a client asks about a creation priced on
//! request, from its page or the API, and receives an acknowledgement by
//! e-mail; the request joins the queue that Client Relations work (new,
//! assigned, contacted, quoted, closed). Every staff action is audited in the
//! transaction of the change. Quotes are in [`crate::quotes`].

use maison_domain::contact::{Email, email_key, name_part, phone};
use maison_domain::quote::{InformationRequest, RequestStatus, StaffMark, request_message};
use maison_domain::staff::StaffRole;
use maison_store::information::{insert_request, request_in, update_request};
use maison_store::{StoreError, audit, idempotency, outbox};

use crate::actor::{Action, Actor};
use crate::bag::find_variant;
use crate::catalogue::Catalogue;
use crate::checkout::{checked_key, digest, earlier_answer};
use crate::clock::new_id;
use crate::input::{invalid, page_after};
use crate::{Maison, ShopError};

/// Requests allowed per client address in a window (a form anyone may send).
pub const REQUESTS_PER_ADDRESS: u32 = 10;
/// The window: one hour.
pub const REQUEST_WINDOW_MICROS: i64 = 60 * 60 * 1_000_000;
/// Requests per page of the queue, at most.
pub const MAX_PAGE: u32 = 50;
/// The longest note staff leave with a status.
const MAX_NOTE_CHARS: usize = 2000;

/// What the "Request information" form sends.
#[derive(Debug, Clone, Default)]
pub struct InformationRequestInput {
    /// The creation's SKU (or one of its sizes').
    pub sku: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// Optional: the client is contacted by e-mail.
    pub phone: String,
    pub message: String,
}

/// One page of the queue, oldest first.
pub struct RequestPage {
    pub items: Vec<InformationRequest>,
    pub next_cursor: Option<String>,
}

/// The creation a SKU names: the creation's own, or one of its sizes'.
pub(crate) fn creation_named<'a>(
    catalogue: &'a Catalogue,
    sku: &str,
) -> Option<&'a maison_domain::catalog::Creation> {
    catalogue
        .creation(sku)
        .or_else(|| find_variant(catalogue, sku).map(|(c, _)| c))
}

/// The SKU as stored: trimmed and upper-cased.
fn normalised_sku(text: &str) -> Result<String, ShopError> {
    maison_domain::Sku::parse(text)
        .map(|s| s.to_string())
        .map_err(|_| ShopError::UnknownSku(text.chars().take(64).collect()))
}

impl Maison {
    /// Records a client's request for information and acknowledges it by
    /// e-mail, once per `Idempotency-Key` when one is given (the form of a
    /// creation's page sends none); `client` is the caller's address, for
    /// throttling.
    pub async fn request_information(
        &self,
        input: InformationRequestInput,
        client: &str,
        idempotency_key: Option<&str>,
    ) -> Result<InformationRequest, ShopError> {
        let key = idempotency_key.map(checked_key).transpose()?;
        // Keys chosen by one client's address never meet another's.
        let scope = format!("information_request:{}", email_key(&input.email));
        let fingerprint = digest([
            input.sku.trim(),
            input.first_name.trim(),
            input.last_name.trim(),
            input.email.trim(),
            input.phone.trim(),
            input.message.trim(),
        ]);
        if let Some(key) = key
            && let Some(id) = earlier_answer(
                self.store().idempotency_state(&scope, key).await?,
                &fingerprint,
            )?
        {
            return self
                .store()
                .information_request(&id)
                .await?
                .ok_or(ShopError::RequestNotFound);
        }
        self.throttled(
            &format!("information:address:{client}"),
            REQUEST_WINDOW_MICROS,
            REQUESTS_PER_ADDRESS,
        )
        .await?;
        let catalogue = self.catalogue();
        let sku = normalised_sku(&input.sku)?;
        let creation =
            creation_named(&catalogue, &sku).ok_or_else(|| ShopError::UnknownSku(sku.clone()))?;
        let first_name = name_part("first_name", "first name", &input.first_name)
            .map_err(|e| invalid("invalid_name", e.field, e.message))?;
        let last_name = name_part("last_name", "last name", &input.last_name)
            .map_err(|e| invalid("invalid_name", e.field, e.message))?;
        let email =
            Email::parse(&input.email).map_err(|e| invalid("invalid_email", "email", e.message))?;
        let phone = if input.phone.trim().is_empty() {
            String::new()
        } else {
            phone(&input.phone).map_err(|e| invalid("invalid_phone", "phone", e.message))?
        };
        let message = request_message(&input.message)
            .map_err(|m| invalid("invalid_message", "message", m))?;
        let now = self.now();
        let request = InformationRequest {
            id: new_id(),
            sku,
            first_name,
            last_name,
            email: email.as_str().to_owned(),
            phone,
            message,
            status: RequestStatus::New,
            assigned_to: None,
            created_at: now,
            updated_at: now,
        };
        // Nobody can flood a mailbox through this form: past a few letters
        // to one address, the request is recorded but no letter leaves.
        let write = self
            .may_write_to("information_request", email.as_str())
            .await?;
        let mut tx = self.store().begin_write().await?;
        if let Some(key) = key {
            if !idempotency::claim_key(&mut tx, &scope, key, &fingerprint, &request.id, now).await?
            {
                // The same request, sent twice at once: the first one answers.
                tx.rollback().await.map_err(StoreError::from)?;
                return Err(ShopError::KeyInUse);
            }
            idempotency::complete_key(&mut tx, &scope, key, 201, &request.id).await?;
        }
        insert_request(&mut tx, &request).await?;
        if write {
            let letter = self.letter(
                "information_request_received",
                email.as_str(),
                format!("Your request about the {}", creation.name),
                format!("Dear {} {},", request.first_name, request.last_name),
                vec![
                    format!(
                        "Thank you for your interest in the {} (reference {}). We have received your request, and a Prestige Advisor will contact you by e-mail shortly.",
                        creation.name, request.sku
                    ),
                    "The value of this creation depends on the unique characteristics of its stones: your advisor will present the pieces available and, should you wish, prepare a quote for you.".to_owned(),
                    format!(
                        "Should you wish to add anything, {} will be pleased to help.",
                        self.client_relations.contact_sentence()
                    ),
                ],
                None,
            );
            outbox::enqueue(&mut tx, &letter, now).await?;
        }
        tx.commit().await.map_err(StoreError::from)?;
        tracing::info!(request = %request.id, sku = %request.sku, "information request recorded");
        Ok(request)
    }

    /// The queue, oldest first; `status` is one of the request statuses.
    pub async fn information_requests(
        &self,
        actor: &Actor,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<RequestPage, ShopError> {
        actor.may(Action::ViewInformationRequests)?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => Some(RequestStatus::parse(text).ok_or_else(|| {
                invalid(
                    "invalid_status",
                    "status",
                    "Choose new, assigned, contacted, quoted or closed.",
                )
            })?),
        };
        let after = page_after(cursor, "information requests' list")?;
        let limit = limit.clamp(1, MAX_PAGE);
        let mut items = self
            .store()
            .information_requests(status, after, limit + 1)
            .await?;
        let more = items.len() > limit as usize;
        items.truncate(limit as usize);
        let next_cursor = more
            .then(|| items.last().map(|r| format!("{}_{}", r.created_at, r.id)))
            .flatten();
        Ok(RequestPage { items, next_cursor })
    }

    /// One request, for staff.
    pub async fn information_request(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<InformationRequest, ShopError> {
        actor.may(Action::ViewInformationRequests)?;
        self.store()
            .information_request(id)
            .await?
            .ok_or(ShopError::RequestNotFound)
    }

    /// Gives the request to an advisor (a Prestige Advisor or an
    /// administrator, by e-mail address): a new request becomes `assigned`.
    pub async fn assign_information_request(
        &self,
        actor: &Actor,
        id: &str,
        advisor: &str,
    ) -> Result<InformationRequest, ShopError> {
        actor.may(Action::HandleInformationRequest)?;
        let advisor = advisor.trim();
        let not_an_advisor = |message: &str| invalid("invalid_advisor", "advisor", message);
        if advisor.is_empty() || advisor.len() > 254 {
            return Err(not_an_advisor(
                "Enter the e-mail address of the Prestige Advisor who takes the request.",
            ));
        }
        let member = self
            .store()
            .staff_by_email(&maison_domain::contact::email_key(advisor))
            .await?
            .filter(|m| m.disabled_at.is_none())
            .ok_or_else(|| not_an_advisor("No active staff member has this e-mail address."))?;
        if !matches!(member.role, StaffRole::PrestigeAdvisor | StaffRole::Admin) {
            return Err(not_an_advisor(
                "Information requests are assigned to Prestige Advisors (or administrators).",
            ));
        }
        self.move_request(
            actor,
            id,
            "information_request.assign",
            |status| {
                status
                    .on_assign()
                    .map(|next| (next, Some(member.email.clone())))
            },
            serde_json::json!({"advisor": member.email}),
        )
        .await
    }

    /// Records where the request stands: `contacted` or `closed`, with a note
    /// for the audit log.
    pub async fn set_information_request_status(
        &self,
        actor: &Actor,
        id: &str,
        status: &str,
        note: &str,
    ) -> Result<InformationRequest, ShopError> {
        actor.may(Action::HandleInformationRequest)?;
        let mark = StaffMark::parse(status).ok_or_else(|| {
            invalid(
                "invalid_status",
                "status",
                "Choose contacted or closed (a request becomes assigned when it is assigned, and quoted when a quote is issued).",
            )
        })?;
        let note = note.trim();
        if note.chars().count() > MAX_NOTE_CHARS
            || note
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\r')
        {
            return Err(invalid(
                "invalid_note",
                "note",
                format!("Write the note in at most {MAX_NOTE_CHARS} characters."),
            ));
        }
        self.move_request(
            actor,
            id,
            "information_request.status",
            |current| current.on_mark(mark).map(|next| (next, None)),
            serde_json::json!({"status": mark.status().as_str(), "note": note}),
        )
        .await
    }

    /// Moves a request as `decide` says, compare-and-set, audited in the
    /// same transaction; a request changed meanwhile by someone else is
    /// decided again.
    pub(crate) async fn move_request(
        &self,
        actor: &Actor,
        id: &str,
        action: &str,
        decide: impl Fn(
            RequestStatus,
        )
            -> Result<(RequestStatus, Option<String>), maison_domain::quote::RequestRefused>,
        mut details: serde_json::Value,
    ) -> Result<InformationRequest, ShopError> {
        for _ in 0..3 {
            let now = self.now();
            let mut tx = self.store().begin_write().await?;
            let Some(current) = request_in(&mut tx, id).await? else {
                tx.rollback().await.map_err(StoreError::from)?;
                return Err(ShopError::RequestNotFound);
            };
            let (next, assigned_to) = match decide(current.status) {
                Ok(decided) => decided,
                Err(refused) => {
                    tx.rollback().await.map_err(StoreError::from)?;
                    return Err(ShopError::RequestRefused(refused));
                }
            };
            if !update_request(
                &mut tx,
                id,
                current.status,
                next,
                assigned_to.as_deref(),
                now,
            )
            .await?
            {
                tx.rollback().await.map_err(StoreError::from)?;
                continue;
            }
            if let Some(map) = details.as_object_mut() {
                map.insert("from".into(), current.status.as_str().into());
                map.insert("to".into(), next.as_str().into());
            }
            audit::record(
                &mut tx,
                &actor.audit(
                    now,
                    action,
                    &format!("information_request:{id}"),
                    details.clone(),
                ),
            )
            .await?;
            tx.commit().await.map_err(StoreError::from)?;
            tracing::info!(request = %id, action, to = next.as_str(), "information request moved");
            return self
                .store()
                .information_request(id)
                .await?
                .ok_or(ShopError::RequestNotFound);
        }
        Err(ShopError::Internal(format!(
            "information request {id} kept changing"
        )))
    }
}
