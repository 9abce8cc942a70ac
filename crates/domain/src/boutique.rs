//! "Find a Boutique" (rule R10): the directory of North American boutiques,
//! searched by text or by distance from a point.

use crate::address::Address;

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

/// Boutiques whose name, city, state or province (code), or postal code match
/// `query`, best matches first. Postal codes match by prefix, ignoring spaces.
pub fn search<'a>(boutiques: &'a [Boutique], query: &str) -> Vec<&'a Boutique> {
    let needle = fold(query);
    if needle.is_empty() {
        return boutiques.iter().collect();
    }
    let compact_needle: String = needle.chars().filter(|c| !c.is_whitespace()).collect();
    let mut scored: Vec<(u8, &Boutique)> = boutiques
        .iter()
        .filter_map(|b| {
            let city = fold(&b.address.city);
            let region = fold(&b.address.region);
            let postal: String = fold(&b.address.postal_code)
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let score = if city == needle || region == needle {
                0
            } else if !compact_needle.is_empty() && postal.starts_with(&compact_needle) {
                1
            } else if city.starts_with(&needle) {
                2
            } else if fold(&b.name).contains(&needle) || city.contains(&needle) {
                3
            } else {
                return None;
            };
            Some((score, b))
        })
        .collect();
    scored.sort_by_key(|(score, _)| *score);
    scored.into_iter().map(|(_, b)| b).collect()
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

/// Lower-case, accents removed for the common Latin letters of North American
/// place names (Montréal, Québec), whitespace collapsed.
fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.trim().chars().flat_map(char::to_lowercase) {
        let plain = match ch {
            'à' | 'á' | 'â' | 'ä' | 'ã' => 'a',
            'ç' => 'c',
            'è' | 'é' | 'ê' | 'ë' => 'e',
            'ì' | 'í' | 'î' | 'ï' => 'i',
            'ñ' => 'n',
            'ò' | 'ó' | 'ô' | 'ö' => 'o',
            'ù' | 'ú' | 'û' | 'ü' => 'u',
            '.' | '\'' => continue,
            '-' => ' ',
            c => c,
        };
        if plain.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(plain);
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::Country;

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
