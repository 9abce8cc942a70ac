//! The checks every way of placing an order shares (online checkout, an
//! assisted order, a quote paid through its link): who the client is, where
//! the order goes, and the card that pays it. Each refusal names the field.

use maison_domain::address::{Address, AddressInput, address_errors, validate_address};
use maison_domain::card::{CardInput, CheckedCard, YearMonth, card_errors, check_card};
use maison_domain::cardholder::names_match;
use maison_domain::contact::{ContactError, Email, name_part, phone};
use maison_domain::delivery::{DeliveryMethod, DeliveryPlan, Destination, OrderDelivery};
use maison_payments::{CardDetails, CardSecret, CvcSecret};

use crate::catalogue::Catalogue;
use crate::clock::year_month;
use crate::{Maison, ShopError};

pub struct ContactInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
}

pub struct DeliveryInput {
    pub method: String,
    pub address: Option<AddressInput>,
    pub boutique_id: Option<String>,
}

/// The card as typed. The number and CVC move into zeroised secrets as soon as
/// they are checked.
pub struct CardRequest {
    pub number: String,
    pub exp_month: u32,
    pub exp_year: u32,
    pub cvc: String,
    pub holder_name: String,
}

impl std::fmt::Debug for CardRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardRequest { .. }")
    }
}

/// The client as checked.
pub struct CheckedContact {
    pub email: Email,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
}

pub(crate) fn contact_error(e: ContactError) -> ShopError {
    ShopError::Invalid {
        code: "invalid_contact",
        field: format!("contact.{}", e.field),
        message: e.message,
    }
}

pub(crate) fn check_contact(c: &ContactInput) -> Result<CheckedContact, ShopError> {
    Ok(CheckedContact {
        first_name: name_part("first_name", "first name", &c.first_name).map_err(contact_error)?,
        last_name: name_part("last_name", "last name", &c.last_name).map_err(contact_error)?,
        email: Email::parse(&c.email).map_err(contact_error)?,
        phone: phone(&c.phone).map_err(contact_error)?,
    })
}

/// Every fault of the contact at once, in the order [`check_contact`] finds
/// them (its refusal is the first).
pub(crate) fn contact_faults(c: &ContactInput) -> Vec<ShopError> {
    [
        name_part("first_name", "first name", &c.first_name).err(),
        name_part("last_name", "last name", &c.last_name).err(),
        Email::parse(&c.email).err(),
        phone(&c.phone).err(),
    ]
    .into_iter()
    .flatten()
    .map(contact_error)
    .collect()
}

/// Every fault of the delivery at once, in the order [`check_delivery`]
/// finds them (its refusal is the first).
pub(crate) fn delivery_faults(delivery: &DeliveryInput, catalogue: &Catalogue) -> Vec<ShopError> {
    let method = DeliveryMethod::parse(&delivery.method);
    let Some(method @ (DeliveryMethod::Home | DeliveryMethod::Workplace)) = method else {
        return check_delivery(delivery, catalogue)
            .err()
            .into_iter()
            .collect();
    };
    let Some(input) = delivery.address.as_ref() else {
        return check_delivery(delivery, catalogue)
            .err()
            .into_iter()
            .collect();
    };
    let mut faults: Vec<ShopError> = address_errors(input)
        .into_iter()
        .map(|e| ShopError::Invalid {
            code: "invalid_address",
            field: format!("delivery.address.{}", e.field),
            message: e.message,
        })
        .collect();
    let company_given = input
        .company
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty());
    if method == DeliveryMethod::Workplace && !company_given {
        faults.push(ShopError::Invalid {
            code: "company_required",
            field: "delivery.address.company".into(),
            message: "For a delivery to your workplace, enter the company name.".into(),
        });
    }
    faults
}

/// Home (any address), workplace (with its company) or a boutique that
/// accepts pickups (its address).
pub(crate) fn check_delivery(
    delivery: &DeliveryInput,
    catalogue: &Catalogue,
) -> Result<(DeliveryMethod, Address, Option<String>), ShopError> {
    let method = DeliveryMethod::parse(&delivery.method).ok_or_else(|| ShopError::Invalid {
        code: "invalid_delivery",
        field: "delivery.method".into(),
        message: "Choose home, workplace or boutique delivery.".into(),
    })?;
    match method {
        DeliveryMethod::Home | DeliveryMethod::Workplace => {
            let input = delivery
                .address
                .as_ref()
                .ok_or_else(|| ShopError::Invalid {
                    code: "invalid_address",
                    field: "delivery.address".into(),
                    message: "Enter the delivery address.".into(),
                })?;
            let address = validate_address(input).map_err(|e| ShopError::Invalid {
                code: "invalid_address",
                field: format!("delivery.address.{}", e.field),
                message: e.message,
            })?;
            if method == DeliveryMethod::Workplace && address.company.is_none() {
                return Err(ShopError::Invalid {
                    code: "company_required",
                    field: "delivery.address.company".into(),
                    message: "For a delivery to your workplace, enter the company name.".into(),
                });
            }
            let address = if method == DeliveryMethod::Home {
                Address {
                    company: None,
                    ..address
                }
            } else {
                address
            };
            Ok((method, address, None))
        }
        DeliveryMethod::Boutique => {
            let id = delivery.boutique_id.as_deref().unwrap_or("").trim();
            let boutique = catalogue
                .boutique(id)
                .filter(|b| b.accepts_pickup)
                .ok_or_else(|| ShopError::Invalid {
                    code: "invalid_boutique",
                    field: "delivery.boutique_id".into(),
                    message: "Choose a boutique that accepts pickups (see Find a Boutique).".into(),
                })?;
            Ok((method, boutique.address.clone(), Some(boutique.id.clone())))
        }
    }
}

/// Where the order goes, as the order records it.
pub(crate) fn order_delivery(
    method: DeliveryMethod,
    destination: &Address,
    boutique_id: Option<&str>,
    plan: &DeliveryPlan,
) -> OrderDelivery {
    let d = destination.clone();
    OrderDelivery {
        destination: match method {
            DeliveryMethod::Home => Destination::Home(d),
            DeliveryMethod::Workplace => Destination::Workplace(d),
            DeliveryMethod::Boutique => Destination::Boutique {
                boutique_id: boutique_id.unwrap_or_default().to_owned(),
                address: d,
            },
        },
        carrier: plan.carrier,
        estimate: plan.estimate,
    }
}

impl Maison {
    /// Every fault of the card as typed at once, in the order
    /// [`Maison::check_client_card`] finds them, with the cardholder's name
    /// compared with the contact's when both are right (the account holder's
    /// is compared at checkout).
    pub(crate) fn card_faults(&self, card: &CardRequest, contact: &ContactInput) -> Vec<ShopError> {
        let (year, month) = year_month(self.now());
        let faults: Vec<ShopError> = card_errors(
            &CardInput {
                number: &card.number,
                exp_month: card.exp_month,
                exp_year: card.exp_year,
                cvc: &card.cvc,
                holder_name: &card.holder_name,
            },
            YearMonth { year, month },
            &self.policies.accepted_card_brands,
        )
        .into_iter()
        .map(ShopError::Card)
        .collect();
        let holder_right = !faults
            .iter()
            .any(|f| matches!(f, ShopError::Card(e) if e.field() == Some("holder_name")));
        let first_name = name_part("first_name", "first name", &contact.first_name).ok();
        let last_name = name_part("last_name", "last name", &contact.last_name).ok();
        if let (true, Some(first_name), Some(last_name)) = (holder_right, first_name, last_name)
            && !names_match(card.holder_name.trim(), &first_name, &last_name)
        {
            return faults
                .into_iter()
                .chain([ShopError::CardholderMismatch])
                .collect();
        }
        faults
    }

    /// Checks the card (brand accepted, number, expiry, code) and that it is
    /// the client's (rule R4: the cardholder must be the client, and for a
    /// signed-in client the account holder, whatever name the contact form
    /// was given); returns what the order keeps and what the processor
    /// needs. The number and the code leave `card` only as zeroised secrets.
    pub(crate) async fn check_client_card(
        &self,
        card: CardRequest,
        first_name: &str,
        last_name: &str,
        account_id: Option<&str>,
    ) -> Result<(CheckedCard, CardDetails), ShopError> {
        let (year, month) = year_month(self.now());
        let checked = check_card(
            &CardInput {
                number: &card.number,
                exp_month: card.exp_month,
                exp_year: card.exp_year,
                cvc: &card.cvc,
                holder_name: &card.holder_name,
            },
            YearMonth { year, month },
            &self.policies.accepted_card_brands,
        )
        .map_err(ShopError::Card)?;
        if !names_match(&checked.holder_name, first_name, last_name) {
            return Err(ShopError::CardholderMismatch);
        }
        if let Some(account_id) = account_id {
            let holder = self
                .store()
                .account(account_id)
                .await?
                .ok_or(ShopError::Unauthenticated)?;
            if !names_match(&checked.holder_name, &holder.first_name, &holder.last_name) {
                return Err(ShopError::CardholderMismatch);
            }
        }
        let digits: String = card.number.chars().filter(char::is_ascii_digit).collect();
        let details = CardDetails {
            number: CardSecret::new(digits),
            cvc: CvcSecret::new(card.cvc.trim().to_owned()),
            exp_month: checked.exp_month,
            exp_year: checked.exp_year,
            holder_name: checked.holder_name.clone(),
            brand: checked.brand,
        };
        drop(card);
        Ok((checked, details))
    }
}
