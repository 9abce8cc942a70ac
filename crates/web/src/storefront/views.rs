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
    /// How many creations the visitor's bag holds, for the header.
    pub bag_count: u32,
}

tokio::task_local! {
    /// The bag count of the request being handled, set by
    /// `storefront::count_bag` so that every page's header shows it.
    static BAG_COUNT: u32;
}

/// Runs `page` with the visitor's bag count known to [`Site::new`].
pub async fn with_bag_count<F: Future>(count: u32, page: F) -> F::Output {
    BAG_COUNT.scope(count, page).await
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
            bag_count: BAG_COUNT.try_with(|n| *n).unwrap_or(0),
        }
    }

    /// What the bag's count says to a screen reader after the number.
    pub fn bag_count_word(&self) -> &'static str {
        if self.bag_count == 1 {
            "creation"
        } else {
            "creations"
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

/// The product page.
pub struct CreationView {
    pub name: String,
    pub sku: String,
    pub price: String,
    pub description: String,
    pub materials: Vec<String>,
    pub category: Link,
    pub collection: Option<Link>,
    pub offer: &'static str,
    pub has_sizes: bool,
    pub personalisation: Vec<String>,
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
            personalisation: c.personalisation.iter().map(|p| p.describe()).collect(),
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
    pub hours: Vec<OpeningHours>,
    pub accepts_pickup: bool,
    pub distance: String,
}

/// One line of a boutique's hours: "Monday–Saturday", "10 am – 7 pm".
pub struct OpeningHours {
    pub days: String,
    pub times: String,
}

impl OpeningHours {
    /// Splits "Monday–Saturday 10:00–19:00" into its days and its times, the
    /// times written as people say them; a line in another form is kept whole.
    pub fn parse(line: &str) -> Self {
        let line = line.trim();
        let Some((days, times)) = line.rsplit_once(' ') else {
            return OpeningHours {
                days: line.to_owned(),
                times: String::new(),
            };
        };
        let spoken = times
            .split_once(['–', '-'])
            .and_then(|(open, close)| Some(format!("{} – {}", clock(open)?, clock(close)?)));
        match spoken {
            Some(times) => OpeningHours {
                days: days.to_owned(),
                times,
            },
            None if times.eq_ignore_ascii_case("closed") => OpeningHours {
                days: days.to_owned(),
                times: "Closed".to_owned(),
            },
            None => OpeningHours {
                days: line.to_owned(),
                times: String::new(),
            },
        }
    }
}

/// "10 am" from "10:00", "7:30 pm" from "19:30", "noon" from "12:00".
fn clock(time: &str) -> Option<String> {
    let (hour, minute) = time.trim().split_once(':')?;
    let (hour, minute): (u32, u32) = (hour.parse().ok()?, minute.parse().ok()?);
    if hour > 24 || minute > 59 {
        return None;
    }
    let (hour, suffix) = match hour % 24 {
        0 if minute == 0 => return Some("midnight".to_owned()),
        12 if minute == 0 => return Some("noon".to_owned()),
        0 => (12, "am"),
        h @ 1..=11 => (h, "am"),
        12 => (12, "pm"),
        h => (h - 12, "pm"),
    };
    Some(if minute == 0 {
        format!("{hour} {suffix}")
    } else {
        format!("{hour}:{minute:02} {suffix}")
    })
}

/// "3 mi · 5 km away": clients in the United States count in miles, in
/// Canada in kilometres, so both are given.
fn distance_label(km: f64) -> String {
    let miles = km / 1.609_344;
    if miles < 1.0 {
        "Less than a mile away".to_owned()
    } else {
        format!("{miles:.0} mi · {km:.0} km away")
    }
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
            hours: b.hours.iter().map(|h| OpeningHours::parse(h)).collect(),
            accepts_pickup: b.accepts_pickup,
            distance: distance_km.map_or_else(String::new, distance_label),
        }
    }
}

/// A moment as clients write it, in the maison's time zone: "December 2,
/// 2026, 1:05 pm EST". Every storefront page writes moments this one way.
pub fn moment(micros: i64, zone: &jiff::tz::TimeZone) -> String {
    maison_app::clock::local_time(micros, zone)
}

/// The day of a moment, in the maison's time zone: "December 2, 2026".
pub fn day(micros: i64, zone: &jiff::tz::TimeZone) -> String {
    jiff::Timestamp::from_microsecond(micros)
        .map(|t| t.to_zoned(zone.clone()).strftime("%B %-d, %Y").to_string())
        .unwrap_or_default()
}

/// "1 creation", "3 creations".
pub fn creations(count: u32) -> String {
    match count {
        1 => "1 creation".to_owned(),
        n => format!("{n} creations"),
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

    #[test]
    fn moments_days_and_counts_are_written_as_people_write_them() {
        let zone = jiff::tz::TimeZone::get("America/New_York").expect("zone");
        // 2026-12-02T18:05:00Z
        let micros = 1_796_234_700_000_000;
        assert_eq!(moment(micros, &zone), "December 2, 2026, 1:05 pm EST");
        assert_eq!(day(micros, &zone), "December 2, 2026");
        assert_eq!(creations(1), "1 creation");
        assert_eq!(creations(3), "3 creations");
    }

    #[test]
    fn opening_hours_read_as_people_say_them() {
        let hours = |line: &str| {
            let h = OpeningHours::parse(line);
            (h.days, h.times)
        };
        assert_eq!(
            hours("Monday–Saturday 10:00–19:00"),
            ("Monday–Saturday".into(), "10 am – 7 pm".into())
        );
        assert_eq!(
            hours("Sunday 12:00–17:30"),
            ("Sunday".into(), "noon – 5:30 pm".into())
        );
        assert_eq!(hours("Sunday closed"), ("Sunday".into(), "Closed".into()));
        assert_eq!(
            hours("By appointment"),
            ("By appointment".into(), String::new())
        );
        assert_eq!(hours("Friday 25:00–26:00").1, "");
    }

    #[test]
    fn distances_are_in_miles_and_kilometres() {
        assert_eq!(distance_label(16.1), "10 mi · 16 km away");
        assert_eq!(distance_label(0.4), "Less than a mile away");
    }
}
