//! "Find a Boutique" (rule R10): the directory of North American boutiques,
//! searched by text or by distance from a point.

use crate::address::{Address, Country};

#[derive(Debug, Clone, PartialEq)]
pub struct Boutique {
    pub id: String,
    pub name: String,
    pub address: Address,
    pub phone: String,
    /// Opening hours as a client reads them, one line per group of days.
    pub hours: Vec<String>,
    pub location: Coordinates,
    pub accepts_pickup: bool,
}

/// A point on Earth in decimal degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidCoordinates {
    #[error("write the point as latitude,longitude in decimal degrees, such as 43.65,-79.38")]
    Malformed,
    #[error("a latitude lies between -90 and 90, a longitude between -180 and 180")]
    OutOfRange,
}

impl Coordinates {
    pub fn new(latitude: f64, longitude: f64) -> Result<Self, InvalidCoordinates> {
        if !latitude.is_finite() || !longitude.is_finite() {
            return Err(InvalidCoordinates::Malformed);
        }
        if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
            return Err(InvalidCoordinates::OutOfRange);
        }
        Ok(Coordinates {
            latitude,
            longitude,
        })
    }

    /// Parses `LAT,LON`, as in `?near=43.65,-79.38`.
    pub fn parse(text: &str) -> Result<Self, InvalidCoordinates> {
        let (lat, lon) = text.split_once(',').ok_or(InvalidCoordinates::Malformed)?;
        let parse = |s: &str| {
            s.trim()
                .parse::<f64>()
                .map_err(|_| InvalidCoordinates::Malformed)
        };
        Coordinates::new(parse(lat)?, parse(lon)?)
    }

    /// Great-circle distance in kilometres (haversine, mean Earth radius).
    pub fn distance_km(self, other: Coordinates) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0088;
        let (lat1, lat2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.longitude - self.longitude).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
    }
}

/// Boutiques matching `query`, best matches first (in directory order within a
/// rank); every boutique when the query is empty.
///
/// A boutique is found by its city, its state or province (code, such as `ON`, or
/// name, such as "Ontario" or "Québec"), its country's name, its postal code (by
/// prefix, ignoring spaces, once the query holds a digit), its street address,
/// and what its name adds to the maison's: the words that begin the name of every
/// boutique of `boutiques` ("Maison Valoria" in "Maison Valoria Yorkville") are
/// the maison's own name and find nothing, or they would find every boutique
/// (the whole name, typed in full, finds its boutique). Case, accents and
/// punctuation do not matter. Words match from their start ("brit" finds
/// British Columbia, "york" New York), never from their middle, so that a short
/// query such as "on" finds nothing inside "Toronto", "Boston" or "Maison".
///
/// A query that is exactly the code of a state or province where the maison has
/// boutiques ("ON", "ca") finds those boutiques only.
pub fn search<'a>(boutiques: &'a [Boutique], query: &str) -> Vec<&'a Boutique> {
    let needle = fold(query);
    if needle.is_empty() {
        return boutiques.iter().collect();
    }
    let in_region: Vec<&Boutique> = boutiques
        .iter()
        .filter(|b| fold(&b.address.region) == needle)
        .collect();
    if !in_region.is_empty() {
        return in_region;
    }
    let compact_needle: String = needle.chars().filter(|c| *c != ' ').collect();
    let looks_postal = compact_needle.chars().any(|c| c.is_ascii_digit());
    let maison_words = maison_name_words(boutiques);
    let mut scored: Vec<(u8, &Boutique)> = boutiques
        .iter()
        .filter_map(|b| {
            let address = &b.address;
            let city = fold(&address.city);
            let code = fold(&address.region);
            let region = address
                .country
                .region_name(&address.region)
                .map(fold)
                .unwrap_or_default();
            let full_name = fold(&b.name);
            let own_name = full_name
                .split(' ')
                .skip(maison_words)
                .collect::<Vec<_>>()
                .join(" ");
            let postal: String = fold(&address.postal_code)
                .chars()
                .filter(|c| *c != ' ')
                .collect();
            let country = fold(match address.country {
                Country::UnitedStates => "United States",
                Country::Canada => "Canada",
            });
            // "Toronto ON", "Montréal, Québec", "Washington DC".
            let city_and_code = format!("{city} {code}");
            let city_and_region = format!("{city} {region}");
            let places = [&city, &region, &own_name, &city_and_code, &city_and_region];
            let streets = [
                address.line1.as_str(),
                address.line2.as_deref().unwrap_or(""),
            ]
            .map(fold);
            let rank = if places.iter().any(|field| **field == needle)
                || full_name == needle
                || (looks_postal && postal == compact_needle)
            {
                0
            } else if looks_postal && postal.starts_with(&compact_needle) {
                1
            } else if places.iter().any(|field| starts_a_word(field, &needle))
                || starts_a_word(&country, &needle)
            {
                2
            } else if streets.iter().any(|line| starts_a_word(line, &needle)) {
                3
            } else {
                return None;
            };
            Some((rank, b))
        })
        .collect();
    scored.sort_by_key(|(rank, _)| *rank);
    scored.into_iter().map(|(_, b)| b).collect()
}

/// How many words begin the (folded) name of every boutique: the maison's own
/// name. Each name keeps at least its last word, so that a directory of one
/// boutique, or of names that all begin alike, still has something to search.
fn maison_name_words(boutiques: &[Boutique]) -> usize {
    let names: Vec<String> = boutiques.iter().map(|b| fold(&b.name)).collect();
    let Some(first) = names.first() else {
        return 0;
    };
    let first: Vec<&str> = first.split(' ').collect();
    names
        .iter()
        .fold(first.len().saturating_sub(1), |shared, name| {
            let words: Vec<&str> = name.split(' ').collect();
            let common = first.iter().zip(&words).take_while(|(a, b)| a == b).count();
            shared.min(common).min(words.len().saturating_sub(1))
        })
}

/// Whether `needle` (folded words) begins `field` or one of its words.
fn starts_a_word(field: &str, needle: &str) -> bool {
    field.starts_with(needle)
        || field
            .match_indices(' ')
            .any(|(i, _)| field[i + 1..].starts_with(needle))
}

/// The boutiques with their distance from `point`, nearest first.
pub fn nearest<'a>(
    boutiques: impl IntoIterator<Item = &'a Boutique>,
    point: Coordinates,
) -> Vec<(&'a Boutique, f64)> {
    let mut with_distance: Vec<(&Boutique, f64)> = boutiques
        .into_iter()
        .map(|b| (b, point.distance_km(b.location)))
        .collect();
    with_distance.sort_by(|a, b| a.1.total_cmp(&b.1));
    with_distance
}

/// Lower-case words separated by single spaces: accents removed from Latin
/// letters (Montréal, Québec, Waikīkī), `.` and apostrophes dropped (St. John's,
/// D.C.), any other punctuation a space.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut push = |plain: &str| {
        if plain == " " {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push_str(plain);
        }
    };
    let mut buf = [0u8; 4];
    for ch in text.chars().flat_map(char::to_lowercase) {
        let plain = match ch {
            'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'ç' | 'ć' | 'č' => "c",
            'ď' | 'đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ğ' => "g",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
            'ł' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'ö' | 'õ' | 'ø' | 'ō' | 'ő' => "o",
            'ř' => "r",
            'ś' | 'š' | 'ş' => "s",
            'ť' => "t",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            'æ' => "ae",
            'œ' => "oe",
            'ß' => "ss",
            // Dropped inside a word: St. → st, O'Hare → ohare, Hawaiʻi → hawaii.
            '.' | '\'' | '’' | 'ʻ' | 'ʼ' => continue,
            // Combining accents, as in a decomposed "é".
            '\u{300}'..='\u{36f}' => continue,
            c if c.is_alphanumeric() => c.encode_utf8(&mut buf),
            _ => " ",
        };
        push(plain);
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boutique(id: &str, city: &str, region: &str, postal: &str, lat: f64, lon: f64) -> Boutique {
        Boutique {
            id: id.into(),
            name: format!("Maison {city}"),
            address: Address {
                line1: "1 Main Street".into(),
                line2: None,
                city: city.into(),
                region: region.into(),
                postal_code: postal.into(),
                country: if postal.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                    Country::UnitedStates
                } else {
                    Country::Canada
                },
                company: None,
            },
            phone: "212-555-0100".into(),
            hours: vec![],
            location: Coordinates::new(lat, lon).expect("valid"),
            accepts_pickup: true,
        }
    }

    fn directory() -> Vec<Boutique> {
        vec![
            boutique("nyc", "New York", "NY", "10022", 40.7616, -73.9747),
            boutique("tor", "Toronto", "ON", "M5R 2E8", 43.6707, -79.3933),
            boutique("mtl", "Montréal", "QC", "H3G 1P7", 45.4985, -73.5794),
            boutique("la", "Beverly Hills", "CA", "90210", 34.0696, -118.4053),
        ]
    }

    #[test]
    fn search_finds_a_city_without_its_accents_or_case() {
        let d = directory();
        let found: Vec<_> = search(&d, "montreal")
            .iter()
            .map(|b| b.id.as_str())
            .collect();
        assert_eq!(found, ["mtl"]);
        let found: Vec<_> = search(&d, "  TORONTO ")
            .iter()
            .map(|b| b.id.as_str())
            .collect();
        assert_eq!(found, ["tor"]);
    }

    #[test]
    fn search_finds_a_state_or_province_code() {
        let d = directory();
        let found: Vec<_> = search(&d, "qc").iter().map(|b| b.id.as_str()).collect();
        assert_eq!(found, ["mtl"]);
    }

    #[test]
    fn search_finds_postal_codes_by_prefix_ignoring_spaces() {
        let d = directory();
        let found: Vec<_> = search(&d, "m5r2").iter().map(|b| b.id.as_str()).collect();
        assert_eq!(found, ["tor"]);
        let found: Vec<_> = search(&d, "902").iter().map(|b| b.id.as_str()).collect();
        assert_eq!(found, ["la"]);
    }

    #[test]
    fn search_for_an_unknown_place_finds_nothing() {
        assert!(search(&directory(), "Anchorage").is_empty());
    }

    fn named(
        id: &str,
        own_name: &str,
        line1: &str,
        (city, region, postal): (&str, &str, &str),
    ) -> Boutique {
        let mut b = boutique(id, city, region, postal, 40.0, -75.0);
        b.name = format!("Maison Valoria {own_name}");
        b.address.line1 = line1.into();
        b
    }

    /// Named as the demo names them: the maison's name, then the boutique's own.
    fn north_america() -> Vec<Boutique> {
        vec![
            named(
                "nyc",
                "Fifth Avenue",
                "731 Fifth Avenue",
                ("New York", "NY", "10022"),
            ),
            named(
                "bos",
                "Newbury Street",
                "143 Newbury Street",
                ("Boston", "MA", "02116"),
            ),
            named(
                "hou",
                "Post Oak",
                "5085 Post Oak Boulevard",
                ("Houston", "TX", "77056"),
            ),
            named(
                "dc",
                "Washington",
                "926 I Street NW",
                ("Washington", "DC", "20001"),
            ),
            named(
                "sea",
                "Seattle",
                "512 Pine Street",
                ("Seattle", "WA", "98101"),
            ),
            named(
                "la",
                "Rodeo Drive",
                "371 North Rodeo Drive",
                ("Beverly Hills", "CA", "90210"),
            ),
            named(
                "sf",
                "Union Square",
                "256 Post Street",
                ("San Francisco", "CA", "94108"),
            ),
            named(
                "hnl",
                "Waikīkī",
                "2174 Kalākaua Avenue",
                ("Honolulu", "HI", "96815"),
            ),
            named(
                "tor",
                "Yorkville",
                "118 Yorkville Avenue",
                ("Toronto", "ON", "M5R 1B9"),
            ),
            named(
                "mtl",
                "Montréal",
                "1312, rue Sherbrooke Ouest",
                ("Montréal", "QC", "H3G 1K4"),
            ),
            named(
                "van",
                "Vancouver",
                "1068 Alberni Street",
                ("Vancouver", "BC", "V6E 1A4"),
            ),
        ]
    }

    fn ids(found: Vec<&Boutique>) -> Vec<&str> {
        found.iter().map(|b| b.id.as_str()).collect()
    }

    #[test]
    fn a_state_or_province_code_finds_only_the_boutiques_of_that_state_or_province() {
        let d = north_america();
        assert_eq!(ids(search(&d, "ON")), ["tor"]);
        assert_eq!(ids(search(&d, " on ")), ["tor"]);
        assert_eq!(ids(search(&d, "qc")), ["mtl"]);
        assert_eq!(ids(search(&d, "CA")), ["la", "sf"]);
        assert_eq!(ids(search(&d, "D.C.")), ["dc"]);
    }

    #[test]
    fn the_full_name_of_a_state_or_province_finds_its_boutiques_accents_forgiven() {
        let d = north_america();
        for query in ["Quebec", "Québec", "QUÉBEC", "quebe"] {
            assert_eq!(ids(search(&d, query)), ["mtl"], "{query}");
        }
        assert_eq!(ids(search(&d, "California")), ["la", "sf"]);
        assert_eq!(ids(search(&d, "New York")), ["nyc"]);
        assert_eq!(ids(search(&d, "Ontario")), ["tor"]);
        assert_eq!(ids(search(&d, "British Columbia")), ["van"]);
        assert_eq!(ids(search(&d, "british")), ["van"]);
        assert_eq!(ids(search(&d, "Massachusetts")), ["bos"]);
        assert_eq!(ids(search(&d, "District of Columbia")), ["dc"]);
        assert_eq!(ids(search(&d, "Hawaii")), ["hnl"]);
        // The city of Washington and the state of Washington.
        assert_eq!(ids(search(&d, "Washington")), ["dc", "sea"]);
    }

    #[test]
    fn a_state_or_province_without_a_boutique_finds_none() {
        let d = north_america();
        for query in ["AK", "Alaska", "Nova Scotia", "NS", "Yukon"] {
            assert!(search(&d, query).is_empty(), "{query}");
        }
    }

    #[test]
    fn the_maison_s_own_name_is_not_searched() {
        let d = north_america();
        for query in ["Maison", "Valoria", "maison valoria", "Mais"] {
            assert!(search(&d, query).is_empty(), "{query}");
        }
        // What a boutique's name adds to the maison's is searched, and so is the
        // whole name typed in full.
        assert_eq!(ids(search(&d, "Yorkville")), ["tor"]);
        assert_eq!(ids(search(&d, "Union Square")), ["sf"]);
        assert_eq!(ids(search(&d, "waikiki")), ["hnl"]);
        assert_eq!(ids(search(&d, "Maison Valoria Post Oak")), ["hou"]);
    }

    #[test]
    fn the_maison_s_name_is_the_words_every_boutique_name_begins_with() {
        assert_eq!(maison_name_words(&north_america()), 2);
        assert_eq!(maison_name_words(&directory()), 1);
        // One boutique keeps at least the last word of its name.
        assert_eq!(maison_name_words(&north_america()[..1]), 3);
        assert_eq!(maison_name_words(&[]), 0);
        let lone = &north_america()[8..9];
        assert_eq!(ids(search(lone, "Yorkville")), ["tor"]);
        assert!(search(lone, "Valoria").is_empty());
    }

    #[test]
    fn words_match_from_their_start_never_from_their_middle() {
        let d = north_america();
        for query in ["ton", "ork", "ouver", "on street"] {
            assert!(search(&d, query).is_empty(), "{query}");
        }
        assert_eq!(ids(search(&d, "bos")), ["bos"]);
        assert_eq!(ids(search(&d, "van")), ["van"]);
    }

    #[test]
    fn the_street_address_is_searched_after_the_places() {
        let d = north_america();
        assert_eq!(ids(search(&d, "Newbury")), ["bos"]);
        assert_eq!(ids(search(&d, "Sherbrooke")), ["mtl"]);
        assert_eq!(ids(search(&d, "Kalakaua")), ["hnl"]);
        // Post Oak is a boutique's own name; 256 Post Street another's street.
        assert_eq!(ids(search(&d, "post")), ["hou", "sf"]);
    }

    #[test]
    fn a_city_with_its_state_or_province_finds_its_boutiques() {
        let d = north_america();
        assert_eq!(ids(search(&d, "Toronto, ON")), ["tor"]);
        assert_eq!(ids(search(&d, "Montreal Quebec")), ["mtl"]);
        assert_eq!(ids(search(&d, "Washington DC")), ["dc"]);
        assert_eq!(ids(search(&d, "Beverly Hills, California")), ["la"]);
    }

    #[test]
    fn a_country_finds_its_boutiques() {
        let d = north_america();
        assert_eq!(ids(search(&d, "Canada")), ["tor", "mtl", "van"]);
        assert_eq!(search(&d, "United States").len(), 8);
    }

    #[test]
    fn nearest_orders_by_distance() {
        let d = directory();
        let toronto = Coordinates::parse("43.65,-79.38").expect("valid");
        let ordered: Vec<_> = nearest(&d, toronto)
            .iter()
            .map(|(b, _)| b.id.as_str())
            .collect();
        assert_eq!(ordered, ["tor", "mtl", "nyc", "la"]);
    }

    #[test]
    fn distances_are_in_kilometres() {
        let nyc = Coordinates::new(40.7128, -74.0060).expect("valid");
        let la = Coordinates::new(34.0522, -118.2437).expect("valid");
        let km = nyc.distance_km(la);
        assert!((3930.0..3950.0).contains(&km), "{km}");
        assert_eq!(nyc.distance_km(nyc), 0.0);
    }

    #[test]
    fn malformed_or_impossible_points_are_refused() {
        assert_eq!(
            Coordinates::parse("43.65"),
            Err(InvalidCoordinates::Malformed)
        );
        assert_eq!(
            Coordinates::parse("north,west"),
            Err(InvalidCoordinates::Malformed)
        );
        assert_eq!(
            Coordinates::parse("NaN,1"),
            Err(InvalidCoordinates::Malformed)
        );
        assert_eq!(
            Coordinates::parse("91,0"),
            Err(InvalidCoordinates::OutOfRange)
        );
        assert_eq!(
            Coordinates::parse("0,-181"),
            Err(InvalidCoordinates::OutOfRange)
        );
        assert!(Coordinates::parse(" 43.65 , -79.38 ").is_ok());
    }
}
