//! What the Client Relations console reads about information requests and
//! quotes (rule R16) beyond the queue's own use cases in
//! [`crate::information`] and [`crate::quotes`]: the queue newest first, a
//! request's history and quotes, every quote by where it stands, and the
//! advisors a request may be given to. Reads only: every change goes through
//! the use cases of those modules.

use maison_domain::audit::AuditEvent;
use maison_domain::quote::{InformationRequest, Quote, QuoteStatus, RequestStatus};
use maison_domain::staff::StaffRole;

use crate::actor::{Action, Actor};
use crate::information::MAX_PAGE;
use crate::input::{invalid, page_after};
use crate::{Maison, ShopError};

/// The most requests the console reads to list them newest first (the
/// store pages them oldest first); a queue longer than this shows its
/// newest requests only.
const MAX_SCAN: usize = 10_000;
/// Requests read per query while scanning.
const SCAN_PAGE: u32 = 500;
/// The most history entries shown for one request.
const MAX_HISTORY: u32 = 200;

/// One page of the queue, newest first.
pub struct NewestRequests {
    pub items: Vec<InformationRequest>,
    /// The cursor of the next (older) page.
    pub next_cursor: Option<String>,
}

/// A quote as the console lists it: where it stands, for whom, and the
/// order that paid it.
pub struct ConsoleQuote {
    pub quote: Quote,
    pub status: QuoteStatus,
    pub client: String,
    pub email: String,
    /// The number of the order that holds it, once paid.
    pub order_number: Option<String>,
}

/// A member an information request may be given to.
pub struct Advisor {
    pub email: String,
    pub name: String,
}

fn status_filter(status: Option<&str>) -> Result<Option<RequestStatus>, ShopError> {
    match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => RequestStatus::parse(text).map(Some).ok_or_else(|| {
            invalid(
                "invalid_status",
                "status",
                "Choose new, assigned, contacted, quoted or closed.",
            )
        }),
    }
}

impl Maison {
    /// Every request (in one status), oldest first, at most [`MAX_SCAN`]
    /// (the newest when there are more).
    async fn scan_requests(
        &self,
        status: Option<RequestStatus>,
    ) -> Result<Vec<InformationRequest>, ShopError> {
        let mut all: Vec<InformationRequest> = Vec::new();
        let mut after: Option<(i64, String)> = None;
        loop {
            let page = self
                .store()
                .information_requests(status, after.clone(), SCAN_PAGE)
                .await?;
            let full = page.len() == SCAN_PAGE as usize;
            after = page.last().map(|r| (r.created_at, r.id.clone()));
            all.extend(page);
            if all.len() > MAX_SCAN {
                let excess = all.len() - MAX_SCAN;
                all.drain(..excess);
            }
            if !full || after.is_none() {
                return Ok(all);
            }
        }
    }

    /// The queue newest first, optionally in one status; `cursor` continues
    /// after the previous page's last (oldest) request.
    pub async fn console_requests(
        &self,
        actor: &Actor,
        status: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<NewestRequests, ShopError> {
        actor.may(Action::ViewInformationRequests)?;
        let status = status_filter(status)?;
        let before = page_after(cursor, "information requests' list")?;
        let limit = limit.clamp(1, MAX_PAGE) as usize;
        let mut all = self.scan_requests(status).await?;
        all.reverse();
        let mut items: Vec<InformationRequest> = all
            .into_iter()
            .filter(|r| {
                before
                    .as_ref()
                    .is_none_or(|(at, id)| (r.created_at, r.id.as_str()) < (*at, id.as_str()))
            })
            .take(limit + 1)
            .collect();
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = more
            .then(|| items.last().map(|r| format!("{}_{}", r.created_at, r.id)))
            .flatten();
        Ok(NewestRequests { items, next_cursor })
    }

    /// What happened to a request, oldest first: who assigned it, marked
    /// it, quoted it, and when (its audit events).
    pub async fn request_history(
        &self,
        actor: &Actor,
        request_id: &str,
    ) -> Result<Vec<AuditEvent>, ShopError> {
        actor.may(Action::ViewInformationRequests)?;
        Ok(self
            .store()
            .audit_events(
                Some(&format!("information_request:{request_id}")),
                None,
                MAX_HISTORY,
            )
            .await?)
    }

    async fn console_quote(
        &self,
        quote: Quote,
        request: &InformationRequest,
        now: i64,
    ) -> Result<ConsoleQuote, ShopError> {
        let order_number = match &quote.order_id {
            Some(id) => self.store().order(id).await?.map(|o| o.number),
            None => None,
        };
        Ok(ConsoleQuote {
            status: quote.status(now),
            client: format!("{} {}", request.first_name, request.last_name),
            email: request.email.clone(),
            order_number,
            quote,
        })
    }

    /// A quote and the request it answers (the client's details), for an
    /// assisted order that pays it by telephone.
    pub async fn quote_to_pay(
        &self,
        actor: &Actor,
        quote_id: &str,
    ) -> Result<(ConsoleQuote, InformationRequest), ShopError> {
        actor.may(Action::PlaceAssistedOrder)?;
        let quote = self
            .store()
            .quote(quote_id.trim())
            .await?
            .ok_or(ShopError::QuoteNotFound)?;
        let request = self
            .store()
            .information_request(&quote.request_id)
            .await?
            .ok_or(ShopError::QuoteNotFound)?;
        let quote = self.console_quote(quote, &request, self.now()).await?;
        Ok((quote, request))
    }

    /// The quotes issued on a request, newest first.
    pub async fn request_quotes(
        &self,
        actor: &Actor,
        request_id: &str,
    ) -> Result<Vec<ConsoleQuote>, ShopError> {
        actor.may(Action::ViewInformationRequests)?;
        let request = self
            .store()
            .information_request(request_id)
            .await?
            .ok_or(ShopError::RequestNotFound)?;
        let now = self.now();
        let mut quotes = Vec::new();
        for quote in self
            .store()
            .quotes_of_request(request_id)
            .await?
            .into_iter()
            .rev()
        {
            quotes.push(self.console_quote(quote, &request, now).await?);
        }
        Ok(quotes)
    }

    /// Every quote, newest first, optionally only those `open`, `used` or
    /// `expired`; at most `limit`. Quotes are only ever issued on requests
    /// now quoted or closed, so those are the requests read.
    pub async fn console_quotes(
        &self,
        actor: &Actor,
        status: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ConsoleQuote>, ShopError> {
        actor.may(Action::ViewInformationRequests)?;
        let wanted = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(text) => Some(
                QuoteStatus::ALL
                    .into_iter()
                    .find(|s| s.as_str() == text)
                    .ok_or_else(|| {
                        invalid("invalid_status", "status", "Choose open, used or expired.")
                    })?,
            ),
        };
        let now = self.now();
        let mut quotes = Vec::new();
        for request_status in [RequestStatus::Quoted, RequestStatus::Closed] {
            for request in self.scan_requests(Some(request_status)).await? {
                for quote in self.store().quotes_of_request(&request.id).await? {
                    if wanted.is_none_or(|w| quote.status(now) == w) {
                        quotes.push((quote, request.clone()));
                    }
                }
            }
        }
        quotes.sort_by(|(a, _), (b, _)| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        quotes.truncate(limit as usize);
        let mut listed = Vec::with_capacity(quotes.len());
        for (quote, request) in quotes {
            listed.push(self.console_quote(quote, &request, now).await?);
        }
        Ok(listed)
    }

    /// The active Prestige Advisors and administrators, by name: those a
    /// request may be assigned to.
    pub async fn request_advisors(&self, actor: &Actor) -> Result<Vec<Advisor>, ShopError> {
        actor.may(Action::HandleInformationRequest)?;
        Ok(self
            .store()
            .all_staff()
            .await?
            .into_iter()
            .filter(|m| {
                m.disabled_at.is_none()
                    && matches!(m.role, StaffRole::PrestigeAdvisor | StaffRole::Admin)
            })
            .map(|m| Advisor {
                email: m.email,
                name: m.name,
            })
            .collect())
    }
}
