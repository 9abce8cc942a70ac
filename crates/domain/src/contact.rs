//! The client's contact details, as given at checkout.

use serde::Serialize;

/// An e-mail address, trimmed; the domain part lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ContactError {
    pub field: &'static str,
    pub message: String,
}

impl Email {
    pub fn parse(text: &str) -> Result<Self, ContactError> {
        let bad = || ContactError {
            field: "email",
            message: "Enter an e-mail address such as name@example.com.".into(),
        };
        let text = text.trim();
        if text.len() > 254 || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad());
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(bad)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
            return Err(bad());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `other` is this address, by [`email_key`].
    pub fn matches(&self, other: &str) -> bool {
        email_key(&self.0) == email_key(other)
    }
}

/// The one way the maison compares e-mail addresses (accounts, staff, the
/// guest look-up, guest orders joining an account): trimmed and lower-cased,
/// whole. Mail servers may treat the local part's case as significant; no
/// client expects `Claire@` and `claire@` to be two people.
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A person's name part: 1 to 80 printable characters.
pub fn name_part(field: &'static str, label: &str, text: &str) -> Result<String, ContactError> {
    let value = text.trim();
    if value.is_empty() {
        return Err(ContactError {
            field,
            message: format!("Enter your {label}."),
        });
    }
    if value.chars().count() > 80 || value.chars().any(char::is_control) {
        return Err(ContactError {
            field,
            message: format!("Enter your {label} in at most 80 characters."),
        });
    }
    Ok(value.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// A telephone number with 10 to 15 digits; `+`, spaces, dots, dashes and
/// parentheses are allowed around them.
pub fn phone(text: &str) -> Result<String, ContactError> {
    let value = text.trim();
    let digits = value.chars().filter(char::is_ascii_digit).count();
    let allowed = value
        .chars()
        .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
    if !(10..=15).contains(&digits) || !allowed || value.len() > 30 {
        return Err(ContactError {
            field: "phone",
            message:
                "Enter a telephone number where the carrier can reach you, such as 212-555-0147."
                    .into(),
        });
    }
    Ok(value.to_owned())
}

/// A fax number in the North American Numbering Plan (the United States,
/// Canada and the Caribbean countries sharing country code 1), as an e-mail-to-
/// fax gateway dials it.
///
/// Accepted: an optional `+1` or `1`, then ten digits `NXX NXX XXXX` whose area
/// code and exchange each start with 2 to 9 and are not an `N11` service code
/// (211, 411, 911...). Spaces, dots, dashes and one pair of parentheses around
/// the area code may separate the digits: `+1 (212) 555-0100`,
/// `212.555.0100`, `1-212-555-0100`. Anything else (letters, an extension,
/// another country code) is refused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FaxNumber {
    /// `+1` and the ten national digits: the E.164 form.
    e164: String,
}

/// Why a text is not a North American fax number. Every variant maps to the
/// API's 422 `invalid_fax_number` ([`FaxNumberError::CODE`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FaxNumberError {
    #[error("Enter a fax number, such as +1 212 555 0100.")]
    Empty,
    #[error("A fax number has at most {max} characters, such as +1 212 555 0100.", max = FaxNumber::MAX_INPUT)]
    TooLong,
    #[error(
        "A fax number has only digits, spaces, dots, dashes, parentheses around the area code and a leading +1, such as +1 (212) 555-0100."
    )]
    Character,
    #[error(
        "A North American fax number has 10 digits, or 11 starting with 1, such as +1 212 555 0100."
    )]
    Length,
    #[error("Only North American fax numbers (+1) can be reached, such as +1 212 555 0100.")]
    CountryCode,
    #[error(
        "The area code of a fax number starts with 2 to 9 and is not a service code such as 411 or 911."
    )]
    AreaCode,
    #[error(
        "The exchange of a fax number (the 3 digits after the area code) starts with 2 to 9 and is not a service code such as 411 or 911."
    )]
    Exchange,
}

impl FaxNumberError {
    /// The machine-readable code the API answers with (422).
    pub const CODE: &'static str = "invalid_fax_number";

    pub fn code(&self) -> &'static str {
        Self::CODE
    }
}

impl From<FaxNumberError> for ContactError {
    fn from(err: FaxNumberError) -> Self {
        ContactError {
            field: "fax",
            message: err.to_string(),
        }
    }
}

impl FaxNumber {
    /// Longest number accepted, in bytes once trimmed (`+1 (212) 555-0100` is
    /// 17); an input of more than four times that, padding included, is
    /// refused without being read.
    pub const MAX_INPUT: usize = 32;

    pub fn parse(text: &str) -> Result<Self, FaxNumberError> {
        if text.len() > Self::MAX_INPUT * 4 {
            return Err(FaxNumberError::TooLong);
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(FaxNumberError::Empty);
        }
        if text.len() > Self::MAX_INPUT {
            return Err(FaxNumberError::TooLong);
        }
        let mut digits: Vec<u8> = Vec::with_capacity(11);
        let mut plus = false;
        // Digits seen when `(` and `)` were met.
        let (mut open, mut close) = (None::<usize>, None::<usize>);
        for (i, c) in text.char_indices() {
            match c {
                '0'..='9' => {
                    // `+` is the international prefix: the country code 1
                    // must follow.
                    if plus && digits.is_empty() && c != '1' {
                        return Err(FaxNumberError::CountryCode);
                    }
                    if digits.len() == 11 {
                        return Err(FaxNumberError::Length);
                    }
                    digits.push(c as u8 - b'0');
                }
                '+' if i == 0 => plus = true,
                ' ' | '.' | '-' => {}
                '(' if open.is_none() => open = Some(digits.len()),
                ')' if open.is_some() && close.is_none() => close = Some(digits.len()),
                _ => return Err(FaxNumberError::Character),
            }
        }
        let national: [u8; 10] = match digits.as_slice() {
            [1, rest @ ..] if rest.len() == 10 => {
                rest.try_into().map_err(|_| FaxNumberError::Length)?
            }
            [_, rest @ ..] if rest.len() == 10 => return Err(FaxNumberError::CountryCode),
            all if all.len() == 10 && !plus => {
                all.try_into().map_err(|_| FaxNumberError::Length)?
            }
            _ => return Err(FaxNumberError::Length),
        };
        // Parentheses, when present, hold exactly the area code.
        let prefix = digits.len() - 10;
        match (open, close) {
            (None, None) => {}
            (Some(o), Some(c)) if o == prefix && c == prefix + 3 => {}
            _ => return Err(FaxNumberError::Character),
        }
        let service_or_reserved = |code: &[u8]| match code {
            [first, 1, 1] => *first >= 2,
            [0 | 1, ..] => true,
            _ => false,
        };
        if service_or_reserved(&national[0..3]) {
            return Err(FaxNumberError::AreaCode);
        }
        if service_or_reserved(&national[3..6]) {
            return Err(FaxNumberError::Exchange);
        }
        let mut e164 = String::with_capacity(12);
        e164.push_str("+1");
        e164.extend(national.iter().map(|d| char::from(b'0' + d)));
        Ok(FaxNumber { e164 })
    }

    /// `+12125550100`.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// `12125550100`: what an e-mail-to-fax gateway dials (`<digits>@gateway`).
    pub fn digits(&self) -> &str {
        self.e164.strip_prefix('+').unwrap_or(&self.e164)
    }

    /// The ten digits after the country code: `2125550100`.
    fn national(&self) -> &str {
        self.e164.strip_prefix("+1").unwrap_or(&self.e164)
    }
}

/// `+1 212 555 0100`.
impl std::fmt::Display for FaxNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.national();
        match (n.get(0..3), n.get(3..6), n.get(6..)) {
            (Some(area), Some(exchange), Some(line)) => {
                write!(f, "+1 {area} {exchange} {line}")
            }
            _ => f.write_str(&self.e164),
        }
    }
}

impl std::str::FromStr for FaxNumber {
    type Err = FaxNumberError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        FaxNumber::parse(text)
    }
}

/// Serialized in its E.164 form.
impl Serialize for FaxNumber {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.e164)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e_mail_addresses_are_checked_and_their_domain_lower_cased() {
        assert_eq!(
            Email::parse(" Claire.Dubois@Example.COM ").map(|e| e.0),
            Ok("Claire.Dubois@example.com".into())
        );
        for bad in [
            "",
            "claire",
            "claire@",
            "@example.com",
            "claire@example",
            "cl aire@example.com",
            "a@b@c.com",
            "claire@.com",
            "claire@example..com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(
            Email::parse("claire@example.com")
                .expect("valid")
                .matches("CLAIRE@example.com")
        );
    }

    #[test]
    fn names_and_telephones_are_checked() {
        assert_eq!(
            name_part("first_name", "first name", "  Jean   Paul "),
            Ok("Jean Paul".into())
        );
        assert!(name_part("first_name", "first name", " ").is_err());
        assert!(name_part("last_name", "last name", &"x".repeat(81)).is_err());
        assert!(phone("+1 (212) 555-0147").is_ok());
        assert!(phone("555-0147").is_err());
        assert!(phone("call me").is_err());
    }

    fn fax(text: &str) -> Result<String, FaxNumberError> {
        FaxNumber::parse(text).map(|n| n.e164().to_owned())
    }

    #[test]
    fn fax_numbers_are_read_in_every_usual_north_american_form() {
        for text in [
            "2125550100",
            "212 555 0100",
            "212-555-0100",
            "212.555.0100",
            "(212) 555-0100",
            "(212)555-0100",
            "1 212 555 0100",
            "1-212-555-0100",
            "12125550100",
            "+12125550100",
            "+1 212 555 0100",
            "+1 (212) 555-0100",
            "+1-212-555-0100",
            "+1.212.555.0100",
            "1 (212) 555 0100",
            "  +1 212 555 0100\t",
            "+1  212--555..0100",
        ] {
            assert_eq!(fax(text), Ok("+12125550100".into()), "{text:?}");
        }
        let n = FaxNumber::parse("(416) 555-0199").expect("Toronto");
        assert_eq!(n.e164(), "+14165550199");
        assert_eq!(n.digits(), "14165550199");
        assert_eq!(n.to_string(), "+1 416 555 0199");
        assert_eq!("416 555 0199".parse::<FaxNumber>(), Ok(n.clone()));
        assert_eq!(serde_json::to_string(&n).expect("json"), "\"+14165550199\"");
        // The lowest and highest codes that are allowed.
        assert_eq!(fax("200 200 0000"), Ok("+12002000000".into()));
        assert_eq!(fax("999 999 9999"), Ok("+19999999999".into()));
        assert_eq!(fax("210 210 0000"), Ok("+12102100000".into()));
        assert_eq!(fax("212 121 0000"), Err(FaxNumberError::Exchange));
    }

    #[test]
    fn fax_numbers_outside_the_plan_are_refused_with_the_reason() {
        use FaxNumberError::*;
        for (text, why) in [
            ("", Empty),
            ("   ", Empty),
            ("555-0100", Length),
            ("212 555 010", Length),
            ("212 555 01000", CountryCode),
            ("1 212 555 01000", Length),
            ("+1 212 555 010", Length),
            ("2125550100 1", CountryCode),
            ("+2125550100", CountryCode),
            ("+44 20 7946 0958", CountryCode),
            ("+33 1 42 68 53 00", CountryCode),
            ("0 212 555 0100", CountryCode),
            ("012 555 0100", AreaCode),
            ("112 555 0100", AreaCode),
            ("+1 012 555 0100", AreaCode),
            ("411 555 0100", AreaCode),
            ("911 555 0100", AreaCode),
            ("211 555 0100", AreaCode),
            ("212 055 0100", Exchange),
            ("212 155 0100", Exchange),
            ("212 911 0100", Exchange),
            ("212 411 0100", Exchange),
            ("1-800-FLOWERS", Character),
            ("212 555 0100 x12", Character),
            ("212 555 0100 ext. 12", Character),
            ("212/555/0100", Character),
            ("1+212 555 0100", Character),
            ("++1 212 555 0100", Character),
            ("(212 555-0100", Character),
            ("212) 555-0100", Character),
            ("(2125) 55-0100", Character),
            ("+(1) 212 555 0100", Character),
            ("(212) (555) 0100", Character),
            ("212_555_0100", Character),
            ("２１２５５５０１００", Character),
            ("212\n555 0100", Character),
            ("tel:+12125550100", Character),
        ] {
            assert_eq!(FaxNumber::parse(text), Err(why), "{text:?}");
        }
        // `+ 1 ...`: the country code follows `+` after a space; still a
        // North American number, read as such.
        assert_eq!(fax("+ 1 212 555 0100"), Ok("+12125550100".into()));
        assert_eq!(
            FaxNumber::parse(&"2".repeat(33)),
            Err(FaxNumberError::TooLong)
        );
        assert_eq!(
            FaxNumber::parse(&" ".repeat(10_000)),
            Err(FaxNumberError::TooLong)
        );
        // Padding is trimmed, within reason.
        assert!(FaxNumber::parse(&format!("{}212 555 0100", " ".repeat(40))).is_ok());
        assert_eq!(
            FaxNumber::parse(&format!("{}212 555 0100", " ".repeat(200))),
            Err(FaxNumberError::TooLong)
        );
    }

    #[test]
    fn a_fax_number_error_reads_as_a_contact_error_and_names_its_code() {
        let err = FaxNumber::parse("call me").expect_err("letters");
        assert_eq!(err.code(), "invalid_fax_number");
        let contact: ContactError = err.into();
        assert_eq!(contact.field, "fax");
        assert!(contact.message.contains("+1"), "{}", contact.message);
        for err in [
            FaxNumberError::Empty,
            FaxNumberError::TooLong,
            FaxNumberError::Character,
            FaxNumberError::Length,
            FaxNumberError::CountryCode,
            FaxNumberError::AreaCode,
            FaxNumberError::Exchange,
        ] {
            assert!(err.to_string().ends_with('.'), "{err}");
        }
    }

    fn nanp_digits() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let code = (2u8..=9, 0u8..=9, 0u8..=9)
            .prop_filter("not N11", |(_, b, c)| !(*b == 1 && *c == 1))
            .prop_map(|(a, b, c)| format!("{a}{b}{c}"));
        (code.clone(), code, 0u32..10_000)
            .prop_map(|(area, exchange, line)| format!("{area}{exchange}{line:04}"))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn parsing_any_text_never_panics(text in "\\PC{0,64}") {
            let _ = FaxNumber::parse(&text);
        }

        #[test]
        fn parsing_phone_like_text_never_panics_and_keeps_the_digits(
            text in "[0-9 ().+\\-]{0,40}"
        ) {
            if let Ok(n) = FaxNumber::parse(&text) {
                let typed: String = text.chars().filter(char::is_ascii_digit).collect();
                proptest::prop_assert!(n.digits().ends_with(&typed[typed.len() - 10..]));
                proptest::prop_assert_eq!(n.e164().len(), 12);
            }
        }

        #[test]
        fn every_plan_number_round_trips_in_every_form(
            national in nanp_digits(),
            form in 0usize..6,
        ) {
            let (a, e, l) = (&national[..3], &national[3..6], &national[6..]);
            let text = match form {
                0 => national.clone(),
                1 => format!("({a}) {e}-{l}"),
                2 => format!("+1 {a} {e} {l}"),
                3 => format!("1-{a}-{e}-{l}"),
                4 => format!("{a}.{e}.{l}"),
                _ => format!("+1({a}){e}{l}"),
            };
            let n = FaxNumber::parse(&text).map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{text:?}: {e}")))?;
            proptest::prop_assert_eq!(n.e164(), format!("+1{national}"));
            proptest::prop_assert_eq!(n.digits(), format!("1{national}"));
            for again in [n.to_string(), n.e164().to_owned(), n.digits().to_owned()] {
                proptest::prop_assert_eq!(FaxNumber::parse(&again), Ok(n.clone()));
            }
        }
    }
}
