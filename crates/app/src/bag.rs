//! The bag: add, change a quantity, remove. Each change runs in a write
//! transaction that locks the bag, re-reads its lines and live stock, and asks
//! the one rule engine before writing.

use std::sync::Arc;

use maison_domain::Money;
use maison_domain::bag::{self, BagRefusal, ProposedLine};
use maison_domain::catalog::{Availability, Creation, Variant};
use maison_domain::personalisation::{self, Personalisation};
use maison_domain::policy::Policies;
use maison_store::bags::{self, BagLineRow, BagLock};
use maison_store::{Durability, JobFuture, StoreError, Tx, stock};

use maison_store::accounts as client_accounts;

use crate::accounts::BagMerge;
use crate::catalogue::Catalogue;
use crate::clock::new_id;
use crate::{Maison, ShopError};

/// A bag as clients and the API see it.
#[derive(Debug, Clone)]
pub struct BagView {
    pub id: String,
    pub lines: Vec<BagLineView>,
    pub item_count: u32,
    pub subtotal: Money,
}

#[derive(Debug, Clone)]
pub struct BagLineView {
    pub id: String,
    pub sku: String,
    pub product_sku: String,
    pub name: String,
    pub slug: String,
    pub size: Option<String>,
    pub quantity: u32,
    pub unit_price: Money,
    pub line_total: Money,
    pub personalisation: Option<Personalisation>,
    /// Whether the line can still be ordered (stock and the staff flag, now):
    /// an unavailable line is marked, to be removed before checkout.
    pub availability: Availability,
}

/// What the client asked to personalise, before it is checked.
#[derive(Debug, Clone)]
pub struct PersonalisationRequest {
    pub kind: String,
    pub text: String,
}

/// The creation and size a SKU names (a size's SKU, or a creation's without sizes).
pub fn find_variant<'a>(
    catalogue: &'a Catalogue,
    sku: &str,
) -> Option<(&'a Creation, &'a Variant)> {
    let sku = maison_domain::Sku::parse(sku).ok()?;
    catalogue
        .creations
        .iter()
        .find_map(|c| c.variant(&sku).map(|v| (c, v)))
}

pub(crate) fn view(id: &str, rows: &[BagLineRow], catalogue: &Catalogue) -> BagView {
    let lines: Vec<BagLineView> = rows
        .iter()
        .map(|r| {
            let found = find_variant(catalogue, &r.sku);
            BagLineView {
                id: r.id.clone(),
                sku: r.sku.clone(),
                product_sku: r.product_sku.clone(),
                name: found.map_or_else(|| r.sku.clone(), |(c, _)| c.name.clone()),
                slug: found.map_or_else(String::new, |(c, _)| c.slug.to_string()),
                size: found.and_then(|(_, v)| v.size.clone()),
                quantity: r.quantity,
                unit_price: r.unit_price,
                line_total: r.unit_price.checked_mul(r.quantity).unwrap_or(r.unit_price),
                personalisation: r.personalisation.clone(),
                availability: found.map_or(Availability::TemporarilyUnavailable, |(c, v)| {
                    c.variant_availability(v)
                }),
            }
        })
        .collect();
    BagView {
        id: id.to_owned(),
        item_count: lines.iter().map(|l| l.quantity).sum(),
        subtotal: bag::subtotal(lines.iter().map(|l| (l.unit_price, l.quantity)))
            .unwrap_or(Money::usd_cents(0)),
        lines,
    }
}

/// Runs the rule engine over a change to `rows[changed]`, with live stock read
/// in `tx`.
pub(crate) async fn check_rows(
    tx: &mut Tx,
    rows: &[BagLineRow],
    changed: usize,
    catalogue: &Catalogue,
    policies: &Policies,
) -> Result<(), ShopError> {
    let mut resolved = Vec::with_capacity(rows.len());
    for row in rows {
        let (creation, variant) = find_variant(catalogue, &row.sku)
            .ok_or_else(|| ShopError::UnknownSku(row.sku.clone()))?;
        let on_hand = stock::on_hand_in(tx, &row.sku).await?;
        resolved.push((creation, variant, on_hand, row));
    }
    // Several lines of one size share its stock.
    let proposed: Vec<ProposedLine<'_>> = resolved
        .iter()
        .map(|(creation, variant, on_hand, row)| {
            let same_size_elsewhere: u32 = rows
                .iter()
                .filter(|other| other.sku == row.sku && other.id != row.id)
                .map(|other| other.quantity)
                .sum();
            ProposedLine {
                creation,
                variant,
                quantity: row.quantity,
                on_hand: on_hand.saturating_sub(same_size_elsewhere),
                personalisation: row.personalisation.as_ref(),
            }
        })
        .collect();
    bag::check_bag_change(&proposed, changed, policies).map_err(ShopError::Refused)
}

/// Locks the bag for a change: refused once the bag has become an order.
async fn open_bag(tx: &mut Tx, bag_id: &str, now: i64) -> Result<(), ShopError> {
    match bags::lock_bag(tx, bag_id, now).await? {
        BagLock::Open => Ok(()),
        BagLock::CheckedOut => Err(ShopError::BagCheckedOut),
        BagLock::Missing => Err(ShopError::BagNotFound),
    }
}

impl Maison {
    pub async fn create_bag(&self) -> Result<BagView, ShopError> {
        let id = new_id();
        let (bag_id, now) = (id.clone(), self.now());
        self.store()
            .write(
                Durability::Deferred,
                move |tx| -> JobFuture<'_, Result<(), ShopError>> {
                    Box::pin(async move { Ok(bags::insert_bag(tx, &bag_id, now).await?) })
                },
            )
            .await?;
        Ok(view(&id, &[], &self.catalogue()))
    }

    /// The signed-in client's current bag, if they have one.
    pub async fn bag_of_account(&self, account_id: &str) -> Result<Option<String>, ShopError> {
        Ok(self.store().bag_of_account(account_id).await?)
    }

    /// Whether the bag has become an order (a browser then starts a new one).
    pub async fn bag_checked_out(&self, id: &str) -> Result<bool, ShopError> {
        Ok(self.store().bag_order(id).await?.is_some())
    }

    pub async fn bag(&self, id: &str) -> Result<BagView, ShopError> {
        let rows = self
            .store()
            .bag_lines(id)
            .await?
            .ok_or(ShopError::BagNotFound)?;
        Ok(view(id, &rows, &self.catalogue()))
    }

    fn check_quantity(&self, quantity: i64) -> Result<u32, ShopError> {
        let max = self.policies.max_items_per_order;
        u32::try_from(quantity)
            .ok()
            .filter(|q| *q >= 1)
            .ok_or(ShopError::Refused(BagRefusal::InvalidQuantity { max }))
    }

    /// Adds `quantity` of `sku` (a size's SKU, or a creation's without sizes),
    /// merging with a line of the same size and personalisation.
    pub async fn add_to_bag(
        &self,
        bag_id: &str,
        sku: &str,
        quantity: i64,
        personalisation: Option<PersonalisationRequest>,
    ) -> Result<BagView, ShopError> {
        let quantity = self.check_quantity(quantity)?;
        let catalogue = self.catalogue();
        let (creation, variant) = find_variant(&catalogue, sku).ok_or_else(|| {
            match catalogue.creation(sku).filter(|c| c.has_sizes()) {
                // The creation's own SKU, where each size has its own.
                Some(creation) => ShopError::Invalid {
                    code: "size_required",
                    field: "sku".into(),
                    message: format!(
                        "Choose a size of {}: add the SKU of one of its sizes (its variants).",
                        creation.name
                    ),
                },
                None => ShopError::UnknownSku(sku.to_owned()),
            }
        })?;
        let personalisation = personalisation
            .map(|p| personalisation::personalise(creation, &p.kind, &p.text))
            .transpose()
            .map_err(|e| ShopError::Refused(BagRefusal::InvalidPersonalisation(e.0)))?;
        let price = creation.price;
        let now = self.now();
        let (variant_sku, product_sku) = (variant.sku.to_string(), creation.sku.to_string());
        let (bag, job_catalogue, policies) = (
            bag_id.to_owned(),
            Arc::clone(&catalogue),
            self.policies.clone(),
        );
        // One job: concurrent adds (of this bag or others) may share a commit.
        let rows = self
            .store()
            .write(
                Durability::Deferred,
                move |tx| -> JobFuture<'_, Result<Vec<BagLineRow>, ShopError>> {
                    Box::pin(async move {
                        open_bag(tx, &bag, now).await?;
                        let mut rows = bags::lines_in(tx, &bag).await?;
                        let existing = rows.iter().position(|r| {
                            r.sku == variant_sku && r.personalisation == personalisation
                        });
                        let changed = match existing {
                            Some(i) => {
                                rows[i].quantity = rows[i].quantity.saturating_add(quantity);
                                i
                            }
                            None => {
                                rows.push(BagLineRow {
                                    id: new_id(),
                                    sku: variant_sku,
                                    product_sku,
                                    quantity,
                                    // Price on request has no price: the rule engine refuses it below.
                                    unit_price: price.unwrap_or(Money::usd_cents(1)),
                                    personalisation,
                                    added_at: now,
                                });
                                rows.len() - 1
                            }
                        };
                        check_rows(tx, &rows, changed, &job_catalogue, &policies).await?;
                        let row = &rows[changed];
                        if existing.is_some() {
                            bags::set_line_quantity(tx, &bag, &row.id, row.quantity).await?;
                        } else {
                            bags::insert_line(tx, &bag, row).await?;
                        }
                        Ok(rows)
                    })
                },
            )
            .await?;
        Ok(view(bag_id, &rows, &catalogue))
    }

    pub async fn change_quantity(
        &self,
        bag_id: &str,
        line_id: &str,
        quantity: i64,
    ) -> Result<BagView, ShopError> {
        let quantity = self.check_quantity(quantity)?;
        let catalogue = self.catalogue();
        let mut tx = self.store().begin_write_with(Durability::Deferred).await?;
        open_bag(&mut tx, bag_id, self.now()).await?;
        let mut rows = bags::lines_in(&mut tx, bag_id).await?;
        let changed = rows
            .iter()
            .position(|r| r.id == line_id)
            .ok_or(ShopError::LineNotFound)?;
        rows[changed].quantity = quantity;
        check_rows(&mut tx, &rows, changed, &catalogue, &self.policies).await?;
        bags::set_line_quantity(&mut tx, bag_id, line_id, quantity).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view(bag_id, &rows, &catalogue))
    }

    pub async fn remove_line(&self, bag_id: &str, line_id: &str) -> Result<BagView, ShopError> {
        let catalogue = self.catalogue();
        let mut tx = self.store().begin_write_with(Durability::Deferred).await?;
        open_bag(&mut tx, bag_id, self.now()).await?;
        if !bags::delete_line(&mut tx, bag_id, line_id).await? {
            return Err(ShopError::LineNotFound);
        }
        let rows = bags::lines_in(&mut tx, bag_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(view(bag_id, &rows, &catalogue))
    }
}

/// A client's bag: theirs alone, carried over from the guest's at sign-in.
impl Maison {
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
        let claimed = client_accounts::claim_guest_bag(&mut tx, &guest, account_id).await?;
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
            if matches!(result, Err(ShopError::BagCheckedOut)) {
                // The client's bag became an order meanwhile: the rest stays
                // in the guest's bag, to be carried over at the next sign-in.
                break;
            }
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
            match self.remove_line(&guest, &line.id).await {
                // The guest's bag is being ordered (another tab): stop here.
                Err(ShopError::BagCheckedOut) => break,
                other => other.map(|_| ())?,
            }
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
        client_accounts::set_bag_owner(&mut tx, &bag.id, account_id).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(bag.id)
    }
}
