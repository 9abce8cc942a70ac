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

/// An address as typed, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct AddressInput {
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub company: Option<String>,
}

/// What is wrong with an address, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct AddressError {
    /// The field at fault, such as `postal_code`.
    pub field: &'static str,
    pub message: String,
}

fn required(
    field: &'static str,
    label: &str,
    value: &str,
    max: usize,
) -> Result<String, AddressError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AddressError {
            field,
            message: format!("Enter the {label}."),
        });
    }
    optional(field, label, Some(value), max).map(Option::unwrap_or_default)
}

fn optional(
    field: &'static str,
    label: &str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, AddressError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > max {
        return Err(AddressError {
            field,
            message: format!("The {label} is limited to {max} characters."),
        });
    }
    if value.chars().any(char::is_control) {
        return Err(AddressError {
            field,
            message: format!("The {label} contains characters that cannot be printed on a label."),
        });
    }
    Ok(Some(value.to_owned()))
}

/// Checks a United States or Canadian address: required lines, the state or
/// province code of the country, the ZIP or postal code format.
pub fn validate_address(input: &AddressInput) -> Result<Address, AddressError> {
    let country = Country::parse(&input.country).ok_or_else(|| AddressError {
        field: "country",
        message: "We deliver in the United States (US) and Canada (CA).".into(),
    })?;
    let line1 = required("line1", "street address", &input.line1, 100)?;
    let line2 = optional("line2", "second address line", input.line2.as_deref(), 100)?;
    let city = required("city", "city", &input.city, 60)?;
    let region = input.region.trim().to_ascii_uppercase();
    if !country.regions().contains(&region.as_str()) {
        let what = match country {
            Country::UnitedStates => "a two-letter state code, such as NY",
            Country::Canada => "a two-letter province or territory code, such as ON",
        };
        return Err(AddressError {
            field: "region",
            message: format!("Enter {what}."),
        });
    }
    if !country.accepts_postal_code(&input.postal_code) {
        let what = match country {
            Country::UnitedStates => "a ZIP code such as 10022 or 10022-1234",
            Country::Canada => "a postal code such as M5R 2E8",
        };
        return Err(AddressError {
            field: "postal_code",
            message: format!("Enter {what}."),
        });
    }
    let postal_code = match country {
        Country::UnitedStates => input.postal_code.trim().to_owned(),
        Country::Canada => {
            let compact: String = input
                .postal_code
                .trim()
                .to_ascii_uppercase()
                .replace(' ', "");
            format!("{} {}", &compact[..3], &compact[3..])
        }
    };
    let company = optional("company", "company name", input.company.as_deref(), 100)?;
    Ok(Address {
        line1,
        line2,
        city,
        region,
        postal_code,
        country,
        company,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> AddressInput {
        AddressInput {
            line1: " 10 Rue Imaginaire ".into(),
            line2: Some("  ".into()),
            city: "Montréal".into(),
            region: "qc".into(),
            postal_code: "h3g1p7".into(),
            country: "ca".into(),
            company: None,
        }
    }

    #[test]
    fn a_valid_address_is_normalised() {
        let a = validate_address(&input()).expect("valid");
        assert_eq!(a.line1, "10 Rue Imaginaire");
        assert_eq!(a.line2, None);
        assert_eq!(a.region, "QC");
        assert_eq!(a.postal_code, "H3G 1P7");
        assert_eq!(a.country, Country::Canada);
    }

    #[test]
    fn each_wrong_field_is_named() {
        type Change = fn(&mut AddressInput);
        let cases: [(Change, &str); 7] = [
            (|a| a.country = "FR".into(), "country"),
            (|a| a.line1 = " ".into(), "line1"),
            (|a| a.city = String::new(), "city"),
            (|a| a.region = "NY".into(), "region"),
            (|a| a.postal_code = "10022".into(), "postal_code"),
            (|a| a.line1 = "x".repeat(101), "line1"),
            (|a| a.company = Some("Bell\u{7}".into()), "company"),
        ];
        for (change, field) in cases {
            let mut a = input();
            change(&mut a);
            let err = validate_address(&a).expect_err(field);
            assert_eq!(err.field, field, "{err}");
        }
    }

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
