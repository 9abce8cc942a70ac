//! North American postal addresses: the United States and Canada (rule R10).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Country {
    #[serde(rename = "US")]
    UnitedStates,
    #[serde(rename = "CA")]
    Canada,
}

impl Country {
    pub fn code(self) -> &'static str {
        match self {
            Country::UnitedStates => "US",
            Country::Canada => "CA",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code.trim().to_ascii_uppercase().as_str() {
            "US" | "USA" => Some(Country::UnitedStates),
            "CA" | "CAN" => Some(Country::Canada),
            _ => None,
        }
    }

    /// The states, districts and territories (US) or provinces and territories (CA).
    pub fn regions(self) -> &'static [&'static str] {
        match self {
            Country::UnitedStates => US_REGIONS,
            Country::Canada => CA_REGIONS,
        }
    }

    /// Whether `postal_code` has this country's format: ZIP `12345` or `12345-6789`;
    /// Canadian `A1A 1A1` (the space optional).
    pub fn accepts_postal_code(self, postal_code: &str) -> bool {
        let code = postal_code.trim().to_ascii_uppercase();
        let b = code.as_bytes();
        match self {
            Country::UnitedStates => match b.len() {
                5 => b.iter().all(u8::is_ascii_digit),
                10 => {
                    b[..5].iter().all(u8::is_ascii_digit)
                        && b[5] == b'-'
                        && b[6..].iter().all(u8::is_ascii_digit)
                }
                _ => false,
            },
            Country::Canada => {
                let compact: Vec<u8> = b.iter().copied().filter(|c| *c != b' ').collect();
                compact.len() == 6
                    && (b.len() == 6 || (b.len() == 7 && b[3] == b' '))
                    && compact.iter().enumerate().all(|(i, c)| {
                        if i % 2 == 0 {
                            // D, F, I, O, Q and U are never used; W and Z never first.
                            c.is_ascii_uppercase()
                                && !b"DFIOQU".contains(c)
                                && !(i == 0 && b"WZ".contains(c))
                        } else {
                            c.is_ascii_digit()
                        }
                    })
            }
        }
    }
}

const US_REGIONS: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "PR", "GU", "VI", "AS", "MP", "AA", "AE", "AP",
];

const CA_REGIONS: &[&str] = &[
    "AB", "BC", "MB", "NB", "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
];

/// A postal address as the client or the directory gives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    /// State or province code, such as `NY` or `ON`.
    pub region: String,
    pub postal_code: String,
    pub country: Country,
    /// The company, for a delivery to a workplace.
    pub company: Option<String>,
}

impl Address {
    /// `New York, NY 10022` / `Toronto, ON M5R 2E8`.
    pub fn locality(&self) -> String {
        format!("{}, {} {}", self.city, self.region, self.postal_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_codes_have_five_or_nine_digits() {
        let us = Country::UnitedStates;
        assert!(us.accepts_postal_code("10022"));
        assert!(us.accepts_postal_code("10022-1234"));
        for bad in ["1002", "100221", "10022-12", "1002A", "10022 1234", ""] {
            assert!(!us.accepts_postal_code(bad), "{bad:?}");
        }
    }

    #[test]
    fn canadian_postal_codes_alternate_letters_and_digits() {
        let ca = Country::Canada;
        assert!(ca.accepts_postal_code("M5R 2E8"));
        assert!(ca.accepts_postal_code("m5r2e8"));
        for bad in [
            "M5R  2E8", "D5R 2E8", "W5R 2E8", "M5R 2E", "55R 2E8", "M5R-2E8",
        ] {
            assert!(!ca.accepts_postal_code(bad), "{bad:?}");
        }
    }

    #[test]
    fn regions_belong_to_their_country() {
        assert!(Country::UnitedStates.regions().contains(&"NY"));
        assert!(!Country::UnitedStates.regions().contains(&"ON"));
        assert!(Country::Canada.regions().contains(&"QC"));
        assert_eq!(Country::parse("ca"), Some(Country::Canada));
        assert_eq!(Country::parse("FR"), None);
    }
}
