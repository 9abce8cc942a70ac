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

/// The armed forces "states" of military mail (APO, FPO, DPO): Americas, Europe
/// (with Africa, the Middle East and Canada), Pacific. The maison does not deliver there.
const MILITARY_REGIONS: &[&str] = &["AA", "AE", "AP"];

/// Each region's name in words, and whether a sentence puts "the" before it
/// ("not in the District of Columbia").
const US_REGION_NAMES: &[(&str, &str, bool)] = &[
    ("AL", "Alabama", false),
    ("AK", "Alaska", false),
    ("AZ", "Arizona", false),
    ("AR", "Arkansas", false),
    ("CA", "California", false),
    ("CO", "Colorado", false),
    ("CT", "Connecticut", false),
    ("DE", "Delaware", false),
    ("DC", "District of Columbia", true),
    ("FL", "Florida", false),
    ("GA", "Georgia", false),
    ("HI", "Hawaii", false),
    ("ID", "Idaho", false),
    ("IL", "Illinois", false),
    ("IN", "Indiana", false),
    ("IA", "Iowa", false),
    ("KS", "Kansas", false),
    ("KY", "Kentucky", false),
    ("LA", "Louisiana", false),
    ("ME", "Maine", false),
    ("MD", "Maryland", false),
    ("MA", "Massachusetts", false),
    ("MI", "Michigan", false),
    ("MN", "Minnesota", false),
    ("MS", "Mississippi", false),
    ("MO", "Missouri", false),
    ("MT", "Montana", false),
    ("NE", "Nebraska", false),
    ("NV", "Nevada", false),
    ("NH", "New Hampshire", false),
    ("NJ", "New Jersey", false),
    ("NM", "New Mexico", false),
    ("NY", "New York", false),
    ("NC", "North Carolina", false),
    ("ND", "North Dakota", false),
    ("OH", "Ohio", false),
    ("OK", "Oklahoma", false),
    ("OR", "Oregon", false),
    ("PA", "Pennsylvania", false),
    ("RI", "Rhode Island", false),
    ("SC", "South Carolina", false),
    ("SD", "South Dakota", false),
    ("TN", "Tennessee", false),
    ("TX", "Texas", false),
    ("UT", "Utah", false),
    ("VT", "Vermont", false),
    ("VA", "Virginia", false),
    ("WA", "Washington", false),
    ("WV", "West Virginia", false),
    ("WI", "Wisconsin", false),
    ("WY", "Wyoming", false),
    ("PR", "Puerto Rico", false),
    ("GU", "Guam", false),
    ("VI", "U.S. Virgin Islands", true),
    ("AS", "American Samoa", false),
    ("MP", "Northern Mariana Islands", true),
    ("AA", "Armed Forces Americas", false),
    ("AE", "Armed Forces Europe", false),
    ("AP", "Armed Forces Pacific", false),
];

const CA_REGION_NAMES: &[(&str, &str, bool)] = &[
    ("AB", "Alberta", false),
    ("BC", "British Columbia", false),
    ("MB", "Manitoba", false),
    ("NB", "New Brunswick", false),
    ("NL", "Newfoundland and Labrador", false),
    ("NS", "Nova Scotia", false),
    ("NT", "Northwest Territories", true),
    ("NU", "Nunavut", false),
    ("ON", "Ontario", false),
    ("PE", "Prince Edward Island", false),
    ("QC", "Quebec", false),
    ("SK", "Saskatchewan", false),
    ("YT", "Yukon", false),
];

/// Where US ZIP codes go, after the USPS's table of three-digit prefixes (each
/// row `low..=high` over the whole five digits). A few places are served from a
/// neighbour's prefix (Fishers Island, NY from 063; Texarkana, AR from 755;
/// Carter Lake, IA from 681; Alta, WY from 834...): they have rows of their own,
/// so a prefix may belong to two regions. Prefixes of no row (000–004, 099, 269,
/// 428–429, 529, 568, 578–579, 589, 694–699, 715, 732, 817–819, 839, 848–849,
/// 866–869, 886–888, 899, most of 969) belong to no state.
const ZIP_RANGES: &[(u32, u32, &str)] = &[
    zips(5, 5, "NY"), // Holtsville (IRS)
    zips(6, 7, "PR"),
    zips(8, 8, "VI"),
    zips(9, 9, "PR"),
    zips(10, 27, "MA"),
    zips(28, 29, "RI"),
    zips(30, 38, "NH"),
    zips(39, 49, "ME"),
    zips(50, 54, "VT"),
    zips(55, 55, "MA"), // Andover (IRS)
    zips(56, 59, "VT"),
    zips(60, 69, "CT"),
    (6_390, 6_390, "NY"), // Fishers Island
    zips(70, 89, "NJ"),
    zips(90, 98, "AE"),
    zips(100, 149, "NY"),
    zips(150, 196, "PA"),
    zips(197, 199, "DE"),
    zips(200, 200, "DC"),
    (20_040, 20_042, "VA"),
    zips(201, 201, "VA"), // Dulles
    zips(202, 205, "DC"),
    (20_331, 20_331, "MD"),
    (20_335, 20_599, "MD"),
    zips(206, 219, "MD"),
    (20_799, 20_799, "DC"),
    zips(220, 246, "VA"),
    zips(247, 268, "WV"),
    zips(270, 289, "NC"),
    zips(290, 299, "SC"),
    zips(300, 319, "GA"),
    zips(320, 339, "FL"),
    zips(340, 340, "AA"),
    zips(341, 349, "FL"),
    zips(350, 369, "AL"),
    zips(370, 385, "TN"),
    zips(386, 397, "MS"),
    zips(398, 399, "GA"),
    zips(400, 427, "KY"),
    zips(430, 459, "OH"),
    zips(460, 479, "IN"),
    zips(480, 499, "MI"),
    zips(500, 528, "IA"),
    zips(530, 549, "WI"),
    zips(550, 567, "MN"),
    zips(569, 569, "DC"),
    zips(570, 577, "SD"),
    zips(580, 588, "ND"),
    zips(590, 599, "MT"),
    zips(600, 629, "IL"),
    zips(630, 658, "MO"),
    zips(660, 679, "KS"),
    zips(680, 693, "NE"),
    (68_119, 68_120, "IA"), // Carter Lake
    zips(700, 714, "LA"),
    (71_233, 71_233, "MS"),
    zips(716, 729, "AR"),
    zips(730, 731, "OK"),
    zips(733, 733, "TX"), // Austin (IRS)
    zips(734, 749, "OK"),
    zips(750, 799, "TX"),
    (75_502, 75_502, "AR"), // Texarkana
    zips(800, 816, "CO"),
    zips(820, 831, "WY"),
    zips(832, 838, "ID"),
    (83_414, 83_414, "WY"), // Alta
    zips(840, 847, "UT"),
    zips(850, 865, "AZ"),
    zips(870, 884, "NM"),
    zips(885, 885, "TX"), // El Paso
    zips(889, 898, "NV"),
    zips(900, 961, "CA"),
    zips(962, 966, "AP"),
    (96_700, 96_798, "HI"),
    (96_799, 96_799, "AS"),
    zips(968, 968, "HI"),
    (96_910, 96_932, "GU"),
    (96_950, 96_952, "MP"),
    zips(970, 979, "OR"),
    zips(980, 994, "WA"),
    zips(995, 999, "AK"),
];

/// Every ZIP code that begins with a prefix from `low` to `high`.
const fn zips(low: u32, high: u32, region: &'static str) -> (u32, u32, &'static str) {
    (low * 100, high * 100 + 99, region)
}

/// The provinces and territories of a Canadian postal code's first letter.
fn canadian_regions(first: u8) -> &'static [&'static str] {
    match first {
        b'A' => &["NL"],
        b'B' => &["NS"],
        b'C' => &["PE"],
        b'E' => &["NB"],
        b'G' | b'H' | b'J' => &["QC"],
        b'K' | b'L' | b'M' | b'N' | b'P' => &["ON"],
        b'R' => &["MB"],
        b'S' => &["SK"],
        b'T' => &["AB"],
        b'V' => &["BC"],
        b'X' => &["NT", "NU"],
        b'Y' => &["YT"],
        _ => &[],
    }
}

impl Country {
    /// A region's name in words ("New York", "Quebec"), from its code.
    pub fn region_name(self, code: &str) -> Option<&'static str> {
        self.region_names()
            .iter()
            .find(|(c, _, _)| c.eq_ignore_ascii_case(code.trim()))
            .map(|(_, name, _)| *name)
    }

    fn region_names(self) -> &'static [(&'static str, &'static str, bool)] {
        match self {
            Country::UnitedStates => US_REGION_NAMES,
            Country::Canada => CA_REGION_NAMES,
        }
    }

    /// "New York", "the District of Columbia": the region as a sentence names it.
    fn region_in_words(self, code: &str) -> String {
        match self.region_names().iter().find(|(c, _, _)| *c == code) {
            Some((_, name, true)) => format!("the {name}"),
            Some((_, name, false)) => (*name).to_owned(),
            None => code.to_owned(),
        }
    }

    /// The regions (codes) whose postal codes `postal_code` is one of: the
    /// state (or two) of a ZIP code's prefix, the province or territory of a
    /// Canadian postal code's first letter. Empty for a code of no region
    /// (`00000`) or of another format.
    pub fn regions_of_postal_code(self, postal_code: &str) -> Vec<&'static str> {
        let code = postal_code.trim().to_ascii_uppercase();
        match self {
            Country::UnitedStates => {
                let Some(zip) = code
                    .get(..5)
                    .filter(|z| z.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|z| z.parse::<u32>().ok())
                else {
                    return Vec::new();
                };
                ZIP_RANGES
                    .iter()
                    .filter(|(low, high, _)| (*low..=*high).contains(&zip))
                    .map(|(_, _, region)| *region)
                    .collect()
            }
            Country::Canada => code
                .bytes()
                .next()
                .map(|first| canadian_regions(first).to_vec())
                .unwrap_or_default(),
        }
    }
}

/// Whether `region` is a military "state" (AA, AE, AP).
fn is_military_region(region: &str) -> bool {
    MILITARY_REGIONS.contains(&region.trim().to_ascii_uppercase().as_str())
}

/// Whether `city` is the post office of military mail: APO, FPO or DPO.
fn is_military_post_office(city: &str) -> bool {
    let letters: String = city
        .chars()
        .filter(|c| !matches!(c, '.' | ' '))
        .collect::<String>()
        .to_ascii_uppercase();
    matches!(letters.as_str(), "APO" | "FPO" | "DPO")
}

/// Where the maison does not deliver, and what it offers instead.
const MILITARY_REFUSAL: &str = "We do not deliver to military addresses (APO, FPO or DPO): choose a pickup at one of our boutiques, or contact Client Relations to arrange the delivery.";

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
/// province code of the country, the ZIP or postal code format, and that the
/// postal code belongs to the state or province (a delivery zone follows from
/// it). Military addresses (AA, AE, AP; APO, FPO, DPO) and ZIP codes of no state
/// are refused: the maison does not deliver there.
pub fn validate_address(input: &AddressInput) -> Result<Address, AddressError> {
    check_address(input).map_err(|mut faults| faults.swap_remove(0))
}

/// Every fault of an address at once, in the order [`validate_address`]
/// checks them (its refusal is the first), for a form that shows them all.
/// A check that needs another field right (the postal code's region) is
/// left out while that field is wrong.
pub fn address_errors(input: &AddressInput) -> Vec<AddressError> {
    check_address(input).err().unwrap_or_default()
}

/// The value of a check that passed; else its fault, kept, and a default.
fn kept<T: Default>(faults: &mut Vec<AddressError>, checked: Result<T, AddressError>) -> T {
    checked.unwrap_or_else(|fault| {
        faults.push(fault);
        T::default()
    })
}

fn check_address(input: &AddressInput) -> Result<Address, Vec<AddressError>> {
    let mut faults = Vec::new();
    let country = Country::parse(&input.country);
    if country.is_none() {
        faults.push(AddressError {
            field: "country",
            message: "We deliver in the United States (US) and Canada (CA).".into(),
        });
    }
    let line1 = kept(
        &mut faults,
        required("line1", "street address", &input.line1, 100),
    );
    let line2 = kept(
        &mut faults,
        optional("line2", "second address line", input.line2.as_deref(), 100),
    );
    let city = kept(&mut faults, required("city", "city", &input.city, 60));
    let Some(country) = country else {
        return Err(faults);
    };
    let region = input.region.trim().to_ascii_uppercase();
    let region_known = country.regions().contains(&region.as_str());
    if !region_known {
        let what = match country {
            Country::UnitedStates => "a two-letter state code, such as NY",
            Country::Canada => "a two-letter province or territory code, such as ON",
        };
        faults.push(AddressError {
            field: "region",
            message: format!("Enter {what}."),
        });
    } else if is_military_region(&region) {
        faults.push(AddressError {
            field: "region",
            message: MILITARY_REFUSAL.into(),
        });
    }
    if is_military_post_office(&city) {
        faults.push(AddressError {
            field: "city",
            message: MILITARY_REFUSAL.into(),
        });
    }
    let postal_code = if country.accepts_postal_code(&input.postal_code) {
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
        if region_known
            && !is_military_region(&region)
            && let Err(fault) = check_postal_code_region(country, &region, &postal_code)
        {
            faults.push(fault);
        }
        postal_code
    } else {
        let what = match country {
            Country::UnitedStates => "a ZIP code such as 10022 or 10022-1234",
            Country::Canada => "a postal code such as M5R 2E8",
        };
        faults.push(AddressError {
            field: "postal_code",
            message: format!("Enter {what}."),
        });
        String::new()
    };
    let company = kept(
        &mut faults,
        optional("company", "company name", input.company.as_deref(), 100),
    );
    if !faults.is_empty() {
        return Err(faults);
    }
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

/// Refuses a postal code of no region, of a military post office, or of another
/// region than `region` (already a code of `country`, not a military one).
fn check_postal_code_region(
    country: Country,
    region: &str,
    postal_code: &str,
) -> Result<(), AddressError> {
    let regions = country.regions_of_postal_code(postal_code);
    if regions.contains(&region) {
        return Ok(());
    }
    let refuse = |message: String| {
        Err(AddressError {
            field: "postal_code",
            message,
        })
    };
    if regions.is_empty() {
        // Only a ZIP code can belong to no region: every letter that may begin a
        // Canadian postal code is a province's or a territory's.
        return refuse(format!(
            "We do not deliver to the ZIP code {postal_code}: it belongs to no state or territory we serve. Check the ZIP code, or choose a pickup at one of our boutiques, or contact Client Relations."
        ));
    }
    if regions.iter().all(|r| is_military_region(r)) {
        return refuse(MILITARY_REFUSAL.into());
    }
    let (code, what) = match country {
        Country::UnitedStates => ("ZIP code", "state"),
        Country::Canada if matches!(region, "NT" | "NU" | "YT") => ("postal code", "territory"),
        Country::Canada => ("postal code", "province"),
    };
    refuse(format!(
        "The {code} {postal_code} is not in {}: check the {code} or the {what}.",
        country.region_in_words(region)
    ))
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
    fn every_fault_is_listed_and_the_first_is_the_refusal() {
        let wrong = AddressInput {
            line1: " ".into(),
            line2: None,
            city: String::new(),
            region: "NY".into(),
            postal_code: "02108".into(),
            country: "US".into(),
            company: None,
        };
        let faults = address_errors(&wrong);
        let fields: Vec<&str> = faults.iter().map(|f| f.field).collect();
        assert_eq!(fields, ["line1", "city", "postal_code"]);
        assert!(
            faults[2].message.contains("New York"),
            "{}",
            faults[2].message
        );
        assert_eq!(validate_address(&wrong).expect_err("wrong"), faults[0]);
        let unknown_region = AddressInput {
            region: "XX".into(),
            ..wrong
        };
        let fields: Vec<&str> = address_errors(&unknown_region)
            .iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(
            fields,
            ["line1", "city", "region"],
            "no region to match the ZIP to"
        );
        assert!(address_errors(&input()).is_empty());
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

    fn address(city: &str, region: &str, postal: &str, country: &str) -> AddressInput {
        AddressInput {
            line1: "1 Main Street".into(),
            city: city.into(),
            region: region.into(),
            postal_code: postal.into(),
            country: country.into(),
            ..AddressInput::default()
        }
    }

    #[test]
    fn a_zip_code_of_another_state_is_refused_naming_the_state_in_words() {
        let err = validate_address(&address("Juneau", "NY", "99801", "US")).expect_err("Juneau");
        assert_eq!(err.field, "postal_code");
        assert_eq!(
            err.message,
            "The ZIP code 99801 is not in New York: check the ZIP code or the state."
        );
        let err = validate_address(&address("Washington", "VA", "20001-1234", "US"))
            .expect_err("Washington");
        assert_eq!(err.field, "postal_code");
        assert!(err.message.contains("not in Virginia"), "{err}");
        let err = validate_address(&address("Honolulu", "DC", "96815", "US")).expect_err("HI");
        assert!(
            err.message.contains("not in the District of Columbia"),
            "{err}"
        );
        // Pago Pago's 96799 begins like Hawaii's codes, but is American Samoa's alone.
        let err = validate_address(&address("Pago Pago", "HI", "96799", "US")).expect_err("AS");
        assert!(err.message.contains("not in Hawaii"), "{err}");
    }

    #[test]
    fn a_canadian_postal_code_of_another_province_is_refused_naming_the_province_in_words() {
        let err =
            validate_address(&address("Toronto", "ON", "H3G 1K4", "CA")).expect_err("Montréal");
        assert_eq!(err.field, "postal_code");
        assert_eq!(
            err.message,
            "The postal code H3G 1K4 is not in Ontario: check the postal code or the province."
        );
        let err =
            validate_address(&address("Whitehorse", "NT", "y1a1a1", "CA")).expect_err("Whitehorse");
        assert_eq!(
            err.message,
            "The postal code Y1A 1A1 is not in the Northwest Territories: check the postal code or the territory."
        );
        let err = validate_address(&address("Québec", "ON", "G1R 4P5", "CA")).expect_err("QC");
        assert!(err.message.contains("not in Ontario"), "{err}");
    }

    #[test]
    fn an_address_of_every_state_territory_and_province_is_accepted_with_its_own_postal_code() {
        let places = [
            ("Juneau", "AK", "99801"),
            ("Anchorage", "AK", "99501"),
            ("Honolulu", "HI", "96815"),
            ("San Juan", "PR", "00901"),
            ("Mayagüez", "PR", "00680"),
            ("Charlotte Amalie", "VI", "00802"),
            ("Hagåtña", "GU", "96910"),
            ("Pago Pago", "AS", "96799"),
            ("Saipan", "MP", "96950"),
            ("Washington", "DC", "20001"),
            ("Holtsville", "NY", "00501"),
            ("Fishers Island", "NY", "06390"),
            ("Greenwich", "CT", "06830"),
            ("Andover", "MA", "05501"),
            ("Boston", "MA", "02116"),
            ("Burlington", "VT", "05401"),
            ("Texarkana", "AR", "75502"),
            ("Texarkana", "TX", "75501"),
            ("Austin", "TX", "73301"),
            ("El Paso", "TX", "88510"),
            ("Santa Fe", "NM", "87501"),
            ("Dulles", "VA", "20166"),
            ("Bethesda", "MD", "20814"),
            ("Las Vegas", "NV", "89109"),
            ("Beverly Hills", "CA", "90210"),
            ("Seattle", "WA", "98101"),
            ("Portland", "OR", "97201"),
            ("New York", "NY", "10022-1234"),
        ];
        for (city, region, zip) in places {
            let a = validate_address(&address(city, region, zip, "US"))
                .unwrap_or_else(|e| panic!("{city}, {region} {zip}: {e}"));
            assert_eq!(a.region, region);
        }
        let places = [
            ("St. John's", "NL", "A1C 5M2"),
            ("Halifax", "NS", "B3H 1A1"),
            ("Charlottetown", "PE", "C1A 4P3"),
            ("Fredericton", "NB", "E3B 1A1"),
            ("Québec", "QC", "G1R 4P5"),
            ("Montréal", "QC", "H3G 1K4"),
            ("Gatineau", "QC", "J8X 3X7"),
            ("Ottawa", "ON", "K1A 0A6"),
            ("Hamilton", "ON", "L8P 4R5"),
            ("Toronto", "ON", "M5R 1B9"),
            ("London", "ON", "N6A 3K7"),
            ("Sudbury", "ON", "P3A 5P4"),
            ("Winnipeg", "MB", "R3C 4T3"),
            ("Regina", "SK", "S4P 3Y2"),
            ("Calgary", "AB", "T2P 1C5"),
            ("Vancouver", "BC", "V6E 1A4"),
            ("Yellowknife", "NT", "X1A 2L9"),
            ("Iqaluit", "NU", "X0A 0H0"),
            ("Whitehorse", "YT", "Y1A 1A1"),
        ];
        for (city, region, postal) in places {
            validate_address(&address(city, region, postal, "CA"))
                .unwrap_or_else(|e| panic!("{city}, {region} {postal}: {e}"));
        }
    }

    #[test]
    fn every_state_territory_and_province_has_postal_codes_and_a_name() {
        for country in [Country::UnitedStates, Country::Canada] {
            for region in country.regions() {
                assert!(country.region_name(region).is_some(), "{region}");
            }
            assert_eq!(
                country.region_names().len(),
                country.regions().len(),
                "{country:?}"
            );
        }
        for region in US_REGIONS {
            assert!(
                ZIP_RANGES.iter().any(|(_, _, r)| r == region),
                "no ZIP code for {region}"
            );
        }
        for region in CA_REGIONS {
            assert!(
                (b'A'..=b'Z').any(|first| canadian_regions(first).contains(region)),
                "no postal code for {region}"
            );
        }
        assert_eq!(Country::Canada.region_name("qc"), Some("Quebec"));
        assert_eq!(Country::UnitedStates.region_name("ON"), None);
    }

    #[test]
    fn military_addresses_are_refused_with_a_pickup_or_client_relations_instead() {
        let cases = [
            (address("APO", "AE", "09001", "US"), "region"),
            (address("FPO", "AP", "96601", "US"), "region"),
            (address("Miami", "AA", "34001", "US"), "region"),
            (address("A.P.O.", "NY", "10022", "US"), "city"),
            (address("dpo", "NY", "10022", "US"), "city"),
            (address("New York", "NY", "09001", "US"), "postal_code"),
            (address("Miami", "FL", "34001", "US"), "postal_code"),
            (address("San Diego", "CA", "96601", "US"), "postal_code"),
        ];
        for (input, field) in cases {
            let err = validate_address(&input).expect_err(field);
            assert_eq!(err.field, field, "{input:?}");
            assert!(err.message.contains("do not deliver to military addresses"));
            assert!(err.message.contains("pickup at one of our boutiques"));
            assert!(err.message.contains("Client Relations"));
        }
    }

    #[test]
    fn a_zip_code_of_no_state_is_refused_with_a_pickup_or_client_relations_instead() {
        for zip in [
            "00000", "00123", "09901", "26901", "71501", "89901", "96940",
        ] {
            let err = validate_address(&address("Nowhere", "NY", zip, "US")).expect_err(zip);
            assert_eq!(err.field, "postal_code", "{zip}");
            assert!(
                err.message
                    .starts_with(&format!("We do not deliver to the ZIP code {zip}")),
                "{err}"
            );
            assert!(err.message.contains("pickup at one of our boutiques"));
            assert!(err.message.contains("Client Relations"));
        }
    }

    #[test]
    fn the_regions_of_a_postal_code_come_from_its_prefix_or_first_letter() {
        let us = Country::UnitedStates;
        assert_eq!(us.regions_of_postal_code("99801"), ["AK"]);
        assert_eq!(us.regions_of_postal_code("10022-1234"), ["NY"]);
        assert_eq!(us.regions_of_postal_code("06390"), ["CT", "NY"]);
        assert_eq!(us.regions_of_postal_code("00000"), [] as [&str; 0]);
        assert_eq!(us.regions_of_postal_code("ABCDE"), [] as [&str; 0]);
        let ca = Country::Canada;
        assert_eq!(ca.regions_of_postal_code("x0a 0h0"), ["NT", "NU"]);
        assert_eq!(ca.regions_of_postal_code("M5R 1B9"), ["ON"]);
        assert_eq!(ca.regions_of_postal_code(""), [] as [&str; 0]);
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
