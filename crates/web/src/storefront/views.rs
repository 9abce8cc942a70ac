//! What the templates show, prepared from domain values: every label a client
//! reads is decided here, so templates only lay it out.

use maison_app::Catalogue;
use maison_domain::catalog::{Availability, Creation, SaleMode};
use maison_domain::policy::ClientRelations;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

pub struct Link {
    pub href: String,
    pub name: String,
}

/// The frame of every page: the maison, its navigation, Client Relations.
pub struct Site {
    pub name: String,
    pub phone: String,
    pub tel_href: String,
    pub email: String,
    pub categories: Vec<Link>,
    /// The signed-in client's first name, for the header.
    pub client: Option<String>,
    /// The session's CSRF token, sent back by every form (empty for guests).
    pub csrf: String,
}

impl Site {
    /// The frame for the request being handled: it knows who is signed in.
    pub fn new(client_relations: &ClientRelations, catalogue: &Catalogue) -> Self {
        let visitor = crate::session::current();
        Site {
            name: client_relations.maison_name.clone(),
            phone: client_relations.phone.clone(),
            tel_href: tel_href(&client_relations.phone),
            email: client_relations.email.clone(),
            categories: catalogue
                .categories
                .iter()
                .map(|c| Link {
                    href: format!("/category/{}", c.slug),
                    name: c.name.clone(),
                })
                .collect(),
            client: visitor.first_name().map(str::to_owned),
            csrf: visitor.csrf_token().to_owned(),
        }
    }
}

/// `tel:+18005550142` from `1-800-555-0142`.
pub fn tel_href(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    let digits = if digits.len() == 10 {
        format!("1{digits}")
    } else {
        digits
    };
    format!("tel:+{digits}")
}

/// How a creation is offered, which decides the product page's action.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// "Details and Purchase".
    Purchase,
    /// "Temporarily unavailable": Client Relations informs.
    Unavailable,
    /// "Price upon request": "Request information".
    OnRequest,
    /// "Available by telephone".
    Telephone,
}

impl Offer {
    pub fn of(c: &Creation) -> Self {
        match c.sale_mode {
            SaleMode::PriceOnRequest => Offer::OnRequest,
            SaleMode::PhoneOnly => Offer::Telephone,
            SaleMode::Online if c.availability() == Availability::Available => Offer::Purchase,
            SaleMode::Online => Offer::Unavailable,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Offer::Purchase => "purchase",
            Offer::Unavailable => "unavailable",
            Offer::OnRequest => "request",
            Offer::Telephone => "telephone",
        }
    }
}

/// A creation in a listing.
pub struct Card {
    pub href: String,
    pub image: String,
    pub name: String,
    pub price: String,
    pub note: &'static str,
}

impl Card {
    pub fn new(c: &Creation) -> Self {
        let note = match Offer::of(c) {
            Offer::Purchase => "",
            Offer::Unavailable => "Temporarily unavailable",
            Offer::OnRequest => "",
            Offer::Telephone => "Available by telephone",
        };
        Card {
            href: format!("/creations/{}", c.slug),
            image: format!("/images/{}.svg", c.slug),
            name: c.name.clone(),
            price: price_label(c),
            note,
        }
    }
}

pub fn price_label(c: &Creation) -> String {
    match c.price {
        Some(price) => price.display(),
        None => "Price upon request".to_owned(),
    }
}

/// One size in the size picker.
pub struct SizeChoice {
    pub sku: String,
    pub label: String,
    pub available: bool,
}

/// The product page.
pub struct CreationView {
    pub name: String,
    pub sku: String,
    pub image: String,
    pub price: String,
    pub description: String,
    pub materials: Vec<String>,
    pub category: Link,
    pub collection: Option<Link>,
    pub offer: &'static str,
    pub has_sizes: bool,
    pub sizes: Vec<SizeChoice>,
    pub personalisation: Vec<String>,
    /// (kind, label) of each personalisation offered, for the purchase form.
    pub personalisation_choices: Vec<(&'static str, String)>,
    /// Where the "Request information" form posts (rule R16).
    pub request_href: String,
    /// An e-mail to Client Relations about the creation, for those who prefer it.
    pub mail_href: String,
}

impl CreationView {
    pub fn new(c: &Creation, catalogue: &Catalogue, client_relations: &ClientRelations) -> Self {
        let group = |slug: &maison_domain::Slug, prefix: &str, name: Option<&str>| Link {
            href: format!("/{prefix}/{slug}"),
            name: name.unwrap_or(slug.as_str()).to_owned(),
        };
        CreationView {
            name: c.name.clone(),
            sku: c.sku.to_string(),
            image: format!("/images/{}.svg", c.slug),
            price: price_label(c),
            description: c.description.clone(),
            materials: c.materials.clone(),
            category: group(
                &c.category,
                "category",
                catalogue
                    .category(c.category.as_str())
                    .map(|g| g.name.as_str()),
            ),
            collection: c.collection.as_ref().map(|s| {
                group(
                    s,
                    "collection",
                    catalogue.collection(s.as_str()).map(|g| g.name.as_str()),
                )
            }),
            offer: Offer::of(c).as_str(),
            has_sizes: c.has_sizes(),
            sizes: c
                .variants
                .iter()
                .map(|v| {
                    let available = c.variant_availability(v) == Availability::Available;
                    let size = v.size.clone().unwrap_or_else(|| "One size".to_owned());
                    SizeChoice {
                        sku: v.sku.to_string(),
                        label: if available {
                            size
                        } else {
                            format!("{size} (temporarily unavailable)")
                        },
                        available,
                    }
                })
                .collect(),
            personalisation: c.personalisation.iter().map(|p| p.describe()).collect(),
            personalisation_choices: c
                .personalisation
                .iter()
                .map(|p| (p.kind(), p.describe()))
                .collect(),
            request_href: format!("/creations/{}/request-information", c.slug),
            mail_href: format!(
                "mailto:{}?subject={}",
                client_relations.email,
                utf8_percent_encode(
                    &format!("Information request: {} ({})", c.name, c.sku),
                    NON_ALPHANUMERIC
                )
            ),
        }
    }
}

/// A boutique in the directory page.
pub struct BoutiqueCard {
    pub name: String,
    pub lines: Vec<String>,
    pub phone: String,
    pub tel_href: String,
    pub hours: Vec<String>,
    pub accepts_pickup: bool,
    pub distance: String,
}

impl BoutiqueCard {
    pub fn new(b: &maison_domain::boutique::Boutique, distance_km: Option<f64>) -> Self {
        let mut lines = vec![b.address.line1.clone()];
        lines.extend(b.address.line2.clone());
        lines.push(b.address.locality());
        lines.push(
            match b.address.country {
                maison_domain::address::Country::UnitedStates => "United States",
                maison_domain::address::Country::Canada => "Canada",
            }
            .to_owned(),
        );
        BoutiqueCard {
            name: b.name.clone(),
            lines,
            phone: b.phone.clone(),
            tel_href: tel_href(&b.phone),
            hours: b.hours.clone(),
            accepts_pickup: b.accepts_pickup,
            distance: distance_km.map_or_else(String::new, |km| format!("{km:.0} km away")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telephone_links_carry_the_country_code() {
        assert_eq!(tel_href("1-800-555-0142"), "tel:+18005550142");
        assert_eq!(tel_href("(212) 555-0147"), "tel:+12125550147");
    }
}
