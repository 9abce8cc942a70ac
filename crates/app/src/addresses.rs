//! A client's saved addresses: checked as at checkout, ten at most, the
//! client's own only.

use maison_domain::account::SavedAddress;
use maison_domain::address::{AddressInput, validate_address};

use crate::accounts::MAX_SAVED_ADDRESSES;
use crate::actor::Actor;
use crate::clock::new_id;
use crate::input::invalid;
use crate::{Maison, ShopError};

/// The client acting; addresses are no one else's business.
fn client(actor: &Actor) -> Result<&str, ShopError> {
    actor.account_id().ok_or(ShopError::Unauthenticated)
}

impl Maison {
    /// The client's saved addresses.
    pub async fn saved_addresses(&self, actor: &Actor) -> Result<Vec<SavedAddress>, ShopError> {
        Ok(self.store().saved_addresses(client(actor)?).await?)
    }

    /// Keeps a checked address in the account.
    pub async fn save_address(
        &self,
        actor: &Actor,
        label: &str,
        input: &AddressInput,
    ) -> Result<SavedAddress, ShopError> {
        let account_id = client(actor)?;
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
        let row = SavedAddress {
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

    /// Removes one of the client's saved addresses.
    pub async fn remove_address(&self, actor: &Actor, id: &str) -> Result<(), ShopError> {
        if self
            .store()
            .delete_saved_address(client(actor)?, id)
            .await?
        {
            Ok(())
        } else {
            Err(ShopError::AddressNotFound)
        }
    }
}
