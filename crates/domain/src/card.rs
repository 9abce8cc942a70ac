//! Payment cards (rule R1). This module owns the card brands the maison knows,
//! the detection of a brand from the card number (IIN ranges), and the checks a
//! card must pass before it is sent to the processor.
//!
//! Nothing here keeps the full card number or the security code: [`check_card`]
//! reads them and returns a [`CheckedCard`] that holds only the last four digits.

use std::fmt;

use serde::Serialize;

use crate::cardholder::MAX_HOLDER_NAME_CHARS;

/// The six brands of the "Orders & Payment" page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBrand {
    Amex,
    Mastercard,
    Visa,
    Discover,
    Diners,
    Jcb,
}

impl CardBrand {
    pub const ALL: [CardBrand; 6] = [
        CardBrand::Amex,
        CardBrand::Mastercard,
        CardBrand::Visa,
        CardBrand::Discover,
        CardBrand::Diners,
        CardBrand::Jcb,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CardBrand::Amex => "amex",
            CardBrand::Mastercard => "mastercard",
            CardBrand::Visa => "visa",
            CardBrand::Discover => "discover",
            CardBrand::Diners => "diners",
            CardBrand::Jcb => "jcb",
        }
    }

    /// The brand as printed for a client.
    pub fn display_name(self) -> &'static str {
        match self {
            CardBrand::Amex => "American Express",
            CardBrand::Mastercard => "Mastercard",
            CardBrand::Visa => "Visa",
            CardBrand::Discover => "Discover",
            CardBrand::Diners => "Diners Club",
            CardBrand::Jcb => "JCB",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        CardBrand::ALL
            .into_iter()
            .find(|b| b.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

impl CardBrand {
    /// The card-number lengths this brand issues.
    pub fn lengths(self) -> &'static [usize] {
        match self {
            CardBrand::Visa => &[13, 16, 18, 19],
            CardBrand::Mastercard => &[16],
            CardBrand::Amex => &[15],
            CardBrand::Discover | CardBrand::Jcb => &[16, 17, 18, 19],
            CardBrand::Diners => &[14, 15, 16, 17, 18, 19],
        }
    }

    /// The number of digits of the security code: 4 on the front of an
    /// American Express card, 3 on the back of the others.
    pub fn cvc_len(self) -> usize {
        match self {
            CardBrand::Amex => 4,
            _ => 3,
        }
    }
}

/// A brand recognised from the number: one the maison knows, or another brand
/// that exists but is never accepted (UnionPay, Mir, Maestro, legacy JCB).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetectedBrand {
    Supported(CardBrand),
    Other(&'static str),
}

impl DetectedBrand {
    /// The brand as printed for a client, e.g. "Diners Club" or "UnionPay".
    pub fn display_name(self) -> &'static str {
        match self {
            DetectedBrand::Supported(brand) => brand.display_name(),
            DetectedBrand::Other(name) => name,
        }
    }

    /// The card-number lengths this brand issues.
    pub fn lengths(self) -> &'static [usize] {
        match self {
            DetectedBrand::Supported(brand) => brand.lengths(),
            DetectedBrand::Other(UNIONPAY) => &[14, 15, 16, 17, 18, 19],
            DetectedBrand::Other(MIR) => &[16, 17, 18, 19],
            DetectedBrand::Other(LEGACY_JCB) => &[15, 16],
            // Maestro, and any other brand: every length a card number can have.
            DetectedBrand::Other(_) => &[12, 13, 14, 15, 16, 17, 18, 19],
        }
    }
}

const UNIONPAY: &str = "UnionPay";
const MIR: &str = "Mir";
const MAESTRO: &str = "Maestro";
const LEGACY_JCB: &str = "legacy JCB";

/// One row of the IIN table: the numbers whose first `digits` digits, read as
/// a number, lie in `low..=high`.
#[derive(Debug, Clone, Copy)]
struct IinRange {
    digits: usize,
    low: u32,
    high: u32,
    brand: DetectedBrand,
}

const fn iin(digits: usize, low: u32, high: u32, brand: DetectedBrand) -> IinRange {
    IinRange {
        digits,
        low,
        high,
        brand,
    }
}

const VISA: DetectedBrand = DetectedBrand::Supported(CardBrand::Visa);
const MASTERCARD: DetectedBrand = DetectedBrand::Supported(CardBrand::Mastercard);
const AMEX: DetectedBrand = DetectedBrand::Supported(CardBrand::Amex);
const DISCOVER: DetectedBrand = DetectedBrand::Supported(CardBrand::Discover);
const DINERS: DetectedBrand = DetectedBrand::Supported(CardBrand::Diners);
const JCB: DetectedBrand = DetectedBrand::Supported(CardBrand::Jcb);

/// The IIN ranges, sorted by their first 6-digit prefix. Ranges may nest (UnionPay
/// 62 holds Discover 622126–622925): the longest matching prefix wins.
const IIN_TABLE: &[IinRange] = &[
    iin(4, 1800, 1800, DetectedBrand::Other(LEGACY_JCB)),
    iin(4, 2131, 2131, DetectedBrand::Other(LEGACY_JCB)),
    iin(4, 2200, 2204, DetectedBrand::Other(MIR)),
    iin(4, 2221, 2720, MASTERCARD),
    iin(3, 300, 305, DINERS),
    iin(4, 3095, 3095, DINERS),
    iin(2, 34, 34, AMEX),
    iin(4, 3528, 3589, JCB),
    iin(2, 36, 36, DINERS),
    iin(2, 37, 37, AMEX),
    iin(2, 38, 39, DINERS),
    iin(1, 4, 4, VISA),
    iin(2, 50, 50, DetectedBrand::Other(MAESTRO)),
    iin(2, 51, 55, MASTERCARD),
    iin(2, 56, 58, DetectedBrand::Other(MAESTRO)),
    iin(4, 6011, 6011, DISCOVER),
    iin(2, 62, 62, DetectedBrand::Other(UNIONPAY)),
    iin(6, 622126, 622925, DISCOVER),
    iin(2, 63, 63, DetectedBrand::Other(MAESTRO)),
    iin(3, 644, 649, DISCOVER),
    iin(2, 65, 65, DISCOVER),
    iin(2, 67, 67, DetectedBrand::Other(MAESTRO)),
    iin(2, 81, 81, DetectedBrand::Other(UNIONPAY)),
];

/// The brand of a card number (ASCII digits, at least the prefix), by the
/// longest matching IIN prefix; `None` when no range matches.
pub fn detect_brand(digits: &str) -> Option<DetectedBrand> {
    IIN_TABLE
        .iter()
        .filter(|range| {
            digits
                .get(..range.digits)
                .filter(|prefix| prefix.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|prefix| prefix.parse::<u32>().ok())
                .is_some_and(|prefix| (range.low..=range.high).contains(&prefix))
        })
        .max_by_key(|range| range.digits)
        .map(|range| range.brand)
}

const MIN_DIGITS: usize = 12;
const MAX_DIGITS: usize = 19;

/// The digits of a card number as typed: ASCII spaces and `-` are dropped; any
/// other character that is not an ASCII digit is refused; 12 to 19 digits.
pub fn normalise_number(input: &str) -> Result<String, CardError> {
    let mut digits = String::with_capacity(MAX_DIGITS);
    for c in input.chars() {
        match c {
            ' ' | '-' => {}
            '0'..='9' => digits.push(c),
            _ => {
                return Err(CardError::invalid(
                    CardField::Number,
                    "The card number can contain only digits, spaces and dashes.",
                ));
            }
        }
    }
    if (MIN_DIGITS..=MAX_DIGITS).contains(&digits.len()) {
        Ok(digits)
    } else {
        Err(invalid_number())
    }
}

/// Whether `digits` (ASCII digits only, at least one) pass the Luhn check.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A calendar month, e.g. "today" as seen by the caller (the domain reads no clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct YearMonth {
    pub year: u32,
    pub month: u32,
}

/// The card as typed by the client. Its `Debug` never prints the number, the
/// security code or the name.
#[derive(Clone, Copy)]
pub struct CardInput<'a> {
    pub number: &'a str,
    pub exp_month: u32,
    /// Four digits, or two (`28` is 2028).
    pub exp_year: u32,
    pub cvc: &'a str,
    pub holder_name: &'a str,
}

impl fmt::Debug for CardInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardInput")
            .field("number", &"[redacted]")
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("cvc", &"[redacted]")
            .field("holder_name", &"[redacted]")
            .finish()
    }
}

/// A card that passed every local check: what may be stored. It holds neither
/// the full number nor the security code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckedCard {
    pub brand: CardBrand,
    pub last4: String,
    pub exp_month: u32,
    /// Always four digits.
    pub exp_year: u32,
    /// Trimmed.
    pub holder_name: String,
}

/// The input a card error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardField {
    Number,
    Cvc,
    ExpMonth,
    ExpYear,
    HolderName,
}

impl CardField {
    pub fn as_str(self) -> &'static str {
        match self {
            CardField::Number => "number",
            CardField::Cvc => "cvc",
            CardField::ExpMonth => "exp_month",
            CardField::ExpYear => "exp_year",
            CardField::HolderName => "holder_name",
        }
    }
}

/// Why a card is refused. The messages are for the client and never contain
/// the card number or the security code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("{message}")]
    Invalid { field: CardField, message: String },
    #[error("This card has expired.")]
    Expired,
    #[error("{brand} cards are not accepted. {}", accepted_brands_sentence(.accepted))]
    BrandNotAccepted {
        /// The brand as printed for a client, e.g. "UnionPay" or "Diners Club".
        brand: String,
        /// The brands accepted when the card was checked, for the message.
        accepted: Vec<CardBrand>,
    },
}

impl CardError {
    fn invalid(field: CardField, message: &str) -> Self {
        CardError::Invalid {
            field,
            message: message.to_owned(),
        }
    }

    /// The problem `code` of the API.
    pub fn code(&self) -> &'static str {
        match self {
            CardError::Invalid { .. } => "card_invalid",
            CardError::Expired => "card_expired",
            CardError::BrandNotAccepted { .. } => "card_brand_not_accepted",
        }
    }

    /// The input at fault: the expiry month for an expired card, the number for
    /// a brand that is not accepted.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            CardError::Invalid { field, .. } => Some(field.as_str()),
            CardError::Expired => Some(CardField::ExpMonth.as_str()),
            CardError::BrandNotAccepted { .. } => Some(CardField::Number.as_str()),
        }
    }
}

/// "We accept American Express, Mastercard, Visa, Discover, Diners Club and JCB.",
/// in the order of `accepted`.
pub fn accepted_brands_sentence(accepted: &[CardBrand]) -> String {
    let mut names: Vec<&str> = Vec::with_capacity(accepted.len());
    for brand in accepted {
        if !names.contains(&brand.display_name()) {
            names.push(brand.display_name());
        }
    }
    match names.split_last() {
        None => "Payment by card is not available at the moment.".to_owned(),
        Some((only, [])) => format!("We accept {only}."),
        Some((last, rest)) => format!("We accept {} and {last}.", rest.join(", ")),
    }
}

fn invalid_number() -> CardError {
    CardError::invalid(
        CardField::Number,
        "The card number is not valid: check the digits.",
    )
}

/// How many years ahead an expiry year may be.
const MAX_YEARS_AHEAD: u32 = 20;

/// Checks a card as typed, first failure wins: number format, brand (an unknown
/// prefix is an invalid number), length for the brand and Luhn, brand accepted,
/// security code, expiry month, expiry year, not expired, cardholder name.
///
/// A card is valid through the end of its expiry month.
pub fn check_card(
    input: &CardInput<'_>,
    today: YearMonth,
    accepted: &[CardBrand],
) -> Result<CheckedCard, CardError> {
    checked_card(input, today, accepted).map_err(|mut faults| faults.swap_remove(0))
}

/// Every fault of a card as typed at once, in the order [`check_card`] checks
/// them (its refusal is the first), for a form that shows them all. Without
/// a brand, the security code is checked for 3 or 4 digits; the expiry date
/// is compared with today only when its month and year are right.
pub fn card_errors(
    input: &CardInput<'_>,
    today: YearMonth,
    accepted: &[CardBrand],
) -> Vec<CardError> {
    checked_card(input, today, accepted)
        .err()
        .unwrap_or_default()
}

fn card_number(
    input: &CardInput<'_>,
    accepted: &[CardBrand],
) -> Result<(String, CardBrand), CardError> {
    let digits = normalise_number(input.number)?;
    let detected = detect_brand(&digits).ok_or_else(invalid_number)?;
    if !detected.lengths().contains(&digits.len()) || !luhn_valid(&digits) {
        return Err(invalid_number());
    }
    match detected {
        DetectedBrand::Supported(brand) if accepted.contains(&brand) => Ok((digits, brand)),
        other => Err(CardError::BrandNotAccepted {
            brand: other.display_name().to_owned(),
            accepted: accepted.to_vec(),
        }),
    }
}

fn checked_card(
    input: &CardInput<'_>,
    today: YearMonth,
    accepted: &[CardBrand],
) -> Result<CheckedCard, Vec<CardError>> {
    let mut faults = Vec::new();
    let number = match card_number(input, accepted) {
        Ok(number) => Some(number),
        Err(fault) => {
            faults.push(fault);
            None
        }
    };

    let cvc = input.cvc.trim();
    let digits_only = !cvc.is_empty() && cvc.bytes().all(|b| b.is_ascii_digit());
    let cvc_fault = match number.as_ref().map(|(_, brand)| *brand) {
        Some(brand) if cvc.len() != brand.cvc_len() || !digits_only => Some(match brand {
            CardBrand::Amex => {
                "The security code must be the 4 digits printed on the front of the card."
            }
            _ => "The security code must be the 3 digits printed on the back of the card.",
        }),
        None if !(3..=4).contains(&cvc.len()) || !digits_only => {
            Some("The security code must be the 3 or 4 digits printed on the card.")
        }
        _ => None,
    };
    if let Some(message) = cvc_fault {
        faults.push(CardError::invalid(CardField::Cvc, message));
    }

    let month_right = (1..=12).contains(&input.exp_month);
    if !month_right {
        faults.push(CardError::invalid(
            CardField::ExpMonth,
            "The expiry month must be a number from 1 to 12.",
        ));
    }
    let exp_year = match input.exp_year {
        year @ 0..=99 => Some(2000 + year),
        year @ 1000..=9999 => Some(year),
        _ => {
            faults.push(CardError::invalid(
                CardField::ExpYear,
                "The expiry year is not valid: enter it as printed on the card.",
            ));
            None
        }
    };
    let exp_year = exp_year.filter(|&year| {
        let too_far = year > today.year.saturating_add(MAX_YEARS_AHEAD);
        if too_far {
            faults.push(CardError::invalid(
                CardField::ExpYear,
                "The expiry year is too far ahead: enter it as printed on the card.",
            ));
        }
        !too_far
    });
    if let Some(year) = exp_year
        && month_right
        && (year, input.exp_month) < (today.year, today.month)
    {
        faults.push(CardError::Expired);
    }

    let holder_name = input.holder_name.trim();
    if holder_name.is_empty() {
        faults.push(CardError::invalid(
            CardField::HolderName,
            "Enter the cardholder name as printed on the card.",
        ));
    } else if holder_name.chars().nth(MAX_HOLDER_NAME_CHARS).is_some()
        || holder_name.chars().any(char::is_control)
    {
        faults.push(CardError::invalid(
            CardField::HolderName,
            &format!(
                "Enter the cardholder name as printed on the card, in at most {MAX_HOLDER_NAME_CHARS} characters."
            ),
        ));
    }

    match (number, exp_year) {
        (Some((digits, brand)), Some(exp_year)) if faults.is_empty() => Ok(CheckedCard {
            brand,
            last4: digits[digits.len() - 4..].to_owned(),
            exp_month: input.exp_month,
            exp_year,
            holder_name: holder_name.to_owned(),
        }),
        _ => Err(faults),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brands_round_trip_through_their_policy_names() {
        for brand in CardBrand::ALL {
            assert_eq!(CardBrand::parse(brand.as_str()), Some(brand));
        }
        assert_eq!(CardBrand::parse("unionpay"), None);
    }

    const TODAY: YearMonth = YearMonth {
        year: 2026,
        month: 5,
    };

    /// Completes `prefix` with zeros and a Luhn check digit to `len` digits.
    fn luhn_complete(prefix: &str, len: usize) -> String {
        assert!(prefix.len() < len, "the prefix {prefix} leaves no room");
        let mut number = format!("{prefix:0<width$}", width = len - 1);
        let sum: u32 = number
            .bytes()
            .rev()
            .enumerate()
            .map(|(i, b)| {
                let d = u32::from(b - b'0');
                if i % 2 == 0 {
                    let doubled = d * 2;
                    if doubled > 9 { doubled - 9 } else { doubled }
                } else {
                    d
                }
            })
            .sum();
        let check = (10 - sum % 10) % 10;
        number.push(char::from_digit(check, 10).expect("a check digit is below 10"));
        number
    }

    fn card<'a>(number: &'a str, cvc: &'a str) -> CardInput<'a> {
        CardInput {
            number,
            exp_month: 12,
            exp_year: 2030,
            cvc,
            holder_name: "Jane Smith",
        }
    }

    fn cvc_for(number: &str) -> &'static str {
        if number.starts_with("34") || number.starts_with("37") {
            "1234"
        } else {
            "123"
        }
    }

    fn check(number: &str) -> Result<CheckedCard, CardError> {
        check_card(&card(number, cvc_for(number)), TODAY, &CardBrand::ALL)
    }

    fn invalid(field: CardField) -> impl Fn(&CardError) -> bool {
        move |e| matches!(e, CardError::Invalid { field: f, .. } if *f == field)
    }

    fn refused_brand(result: &Result<CheckedCard, CardError>) -> Option<&str> {
        match result {
            Err(CardError::BrandNotAccepted { brand, .. }) => Some(brand),
            _ => None,
        }
    }

    const TEST_CARDS: &[(&str, CardBrand)] = &[
        ("4242424242424242", CardBrand::Visa),
        ("4000056655665556", CardBrand::Visa),
        ("5555555555554444", CardBrand::Mastercard),
        ("2223003122003222", CardBrand::Mastercard),
        ("5200828282828210", CardBrand::Mastercard),
        ("5105105105105100", CardBrand::Mastercard),
        ("378282246310005", CardBrand::Amex),
        ("371449635398431", CardBrand::Amex),
        ("6011111111111117", CardBrand::Discover),
        ("6011000990139424", CardBrand::Discover),
        ("6011981111111113", CardBrand::Discover),
        ("3056930009020004", CardBrand::Diners),
        ("36227206271667", CardBrand::Diners),
        ("38520000023237", CardBrand::Diners),
        ("3566002020360505", CardBrand::Jcb),
        ("3530111333300000", CardBrand::Jcb),
    ];

    #[test]
    fn the_luhn_test_helper_completes_prefixes_to_valid_numbers() {
        for (prefix, len) in [("4", 16), ("622126", 16), ("37", 15), ("3", 12), ("81", 19)] {
            let number = luhn_complete(prefix, len);
            assert_eq!(number.len(), len);
            assert!(number.starts_with(prefix));
            assert!(luhn_valid(&number), "{number}");
        }
        assert_eq!(luhn_complete("424242424242424", 16), "4242424242424242");
    }

    #[test]
    fn every_public_test_card_is_detected_with_its_brand_and_accepted() {
        for &(number, brand) in TEST_CARDS {
            assert_eq!(
                detect_brand(number),
                Some(DetectedBrand::Supported(brand)),
                "{number}"
            );
            assert!(luhn_valid(number), "{number}");
            let checked = check(number).expect("a public test card is valid");
            assert_eq!(checked.brand, brand, "{number}");
            assert_eq!(checked.last4, number[number.len() - 4..], "{number}");
        }
    }

    #[test]
    fn the_unionpay_test_card_is_refused_as_a_brand_not_accepted() {
        let result = check("6200000000000005");
        assert_eq!(refused_brand(&result), Some("UnionPay"));
        let error = result.expect_err("UnionPay is refused");
        assert_eq!(error.code(), "card_brand_not_accepted");
        assert_eq!(error.field(), Some("number"));
        assert_eq!(
            error.to_string(),
            "UnionPay cards are not accepted. We accept American Express, Mastercard, Visa, \
             Discover, Diners Club and JCB."
        );
    }

    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Expect {
        Brand(CardBrand),
        Refused(&'static str),
        Invalid,
    }

    #[test]
    fn range_edges_and_their_neighbours_are_classified_by_the_longest_prefix() {
        use CardBrand::*;
        use Expect::*;
        let cases: &[(&str, usize, Expect)] = &[
            ("1799", 15, Invalid),
            ("1800", 15, Refused("legacy JCB")),
            ("1801", 15, Invalid),
            ("2131", 15, Refused("legacy JCB")),
            ("2199", 16, Invalid),
            ("2200", 16, Refused("Mir")),
            ("2204", 16, Refused("Mir")),
            ("2205", 16, Invalid),
            ("2220", 16, Invalid),
            ("2221", 16, Brand(Mastercard)),
            ("2720", 16, Brand(Mastercard)),
            ("2721", 16, Invalid),
            ("299", 14, Invalid),
            ("300", 14, Brand(Diners)),
            ("305", 14, Brand(Diners)),
            ("306", 14, Invalid),
            ("3094", 14, Invalid),
            ("3095", 14, Brand(Diners)),
            ("3096", 16, Invalid),
            ("33", 15, Invalid),
            ("34", 15, Brand(Amex)),
            ("35", 16, Invalid),
            ("3527", 16, Invalid),
            ("3528", 16, Brand(Jcb)),
            ("3589", 16, Brand(Jcb)),
            ("3590", 16, Invalid),
            ("36", 14, Brand(Diners)),
            ("37", 15, Brand(Amex)),
            ("38", 14, Brand(Diners)),
            ("39", 16, Brand(Diners)),
            ("4", 16, Brand(Visa)),
            ("49", 19, Brand(Visa)),
            ("50", 16, Refused("Maestro")),
            ("51", 16, Brand(Mastercard)),
            ("55", 16, Brand(Mastercard)),
            ("56", 16, Refused("Maestro")),
            ("58", 16, Refused("Maestro")),
            ("59", 16, Invalid),
            ("6010", 16, Invalid),
            ("6011", 16, Brand(Discover)),
            ("6012", 16, Invalid),
            ("62", 16, Refused("UnionPay")),
            ("622125", 16, Refused("UnionPay")),
            ("622126", 16, Brand(Discover)),
            ("622925", 16, Brand(Discover)),
            ("622926", 16, Refused("UnionPay")),
            ("63", 16, Refused("Maestro")),
            ("643", 16, Invalid),
            ("644", 16, Brand(Discover)),
            ("649", 16, Brand(Discover)),
            ("65", 16, Brand(Discover)),
            ("66", 16, Invalid),
            ("67", 16, Refused("Maestro")),
            ("68", 16, Invalid),
            ("80", 16, Invalid),
            ("81", 16, Refused("UnionPay")),
            ("82", 16, Invalid),
            ("9", 16, Invalid),
        ];
        for &(prefix, len, expect) in cases {
            let number = luhn_complete(prefix, len);
            let result = check(&number);
            let got = match &result {
                Ok(card) => Brand(card.brand),
                Err(CardError::BrandNotAccepted { brand, .. }) => {
                    let name = ["legacy JCB", "Mir", "Maestro", "UnionPay"]
                        .into_iter()
                        .find(|n| n == brand)
                        .expect("a known other brand");
                    Refused(name)
                }
                Err(e) if invalid(CardField::Number)(e) => Invalid,
                Err(e) => panic!("{prefix}: unexpected {e:?}"),
            };
            assert_eq!(got, expect, "prefix {prefix}, {len} digits");
        }
    }

    #[test]
    fn the_iin_table_is_sorted_and_its_overlapping_ranges_nest_with_longer_prefixes() {
        let span = |r: &IinRange| {
            let scale = 10u32.pow(6 - r.digits as u32);
            (r.low * scale, (r.high + 1) * scale - 1)
        };
        for pair in IIN_TABLE.windows(2) {
            assert!(span(&pair[0]).0 <= span(&pair[1]).0, "{pair:?}");
        }
        for (i, a) in IIN_TABLE.iter().enumerate() {
            for b in &IIN_TABLE[i + 1..] {
                let (a_lo, a_hi) = span(a);
                let (b_lo, b_hi) = span(b);
                if a_lo <= b_hi && b_lo <= a_hi {
                    assert_ne!(a.digits, b.digits, "{a:?} and {b:?} are ambiguous");
                    let (outer, inner) = if a.digits < b.digits { (a, b) } else { (b, a) };
                    let (o, n) = (span(outer), span(inner));
                    assert!(o.0 <= n.0 && n.1 <= o.1, "{a:?} and {b:?} cross");
                }
            }
        }
    }

    #[test]
    fn the_longest_prefix_wins_whatever_the_table_order() {
        assert_eq!(detect_brand("6221260000000000"), Some(DISCOVER));
        assert_eq!(
            detect_brand("6200000000000005"),
            Some(DetectedBrand::Other("UnionPay"))
        );
        assert_eq!(detect_brand("4"), Some(VISA));
        assert_eq!(detect_brand(""), None);
        assert_eq!(detect_brand("x4"), None);
    }

    #[test]
    fn a_bad_luhn_check_digit_is_an_invalid_number() {
        assert!(!luhn_valid("4242424242424241"));
        let error = check("4242424242424241").expect_err("bad Luhn");
        assert!(invalid(CardField::Number)(&error), "{error:?}");
        assert_eq!(error.code(), "card_invalid");
        assert_eq!(error.field(), Some("number"));
        assert_eq!(
            error.to_string(),
            "The card number is not valid: check the digits."
        );
    }

    #[test]
    fn luhn_refuses_empty_and_non_digit_input() {
        assert!(!luhn_valid(""));
        assert!(!luhn_valid("4242 4242 4242 4242"));
        assert!(luhn_valid("0"));
        assert!(luhn_valid("18"));
    }

    #[test]
    fn spaces_and_dashes_are_dropped_from_the_number() {
        assert_eq!(
            normalise_number("4242 4242-4242 4242").expect("spaces and dashes"),
            "4242424242424242"
        );
        assert_eq!(
            normalise_number(" 3782-822463-10005 ").expect("Amex grouping"),
            "378282246310005"
        );
        let checked = check("4242-4242-4242-4242").expect("dashes are fine");
        assert_eq!(checked.brand, CardBrand::Visa);
    }

    #[test]
    fn letters_and_other_separators_are_refused_in_the_number() {
        for bad in [
            "4242a24242424242",
            "4242.4242.4242.4242",
            "4242\t4242424242424242",
            "4242_4242_4242_4242",
            "４２４２４２４２４２４２４２４２",
            "+4242424242424242",
        ] {
            let error = normalise_number(bad).expect_err("refused");
            assert!(invalid(CardField::Number)(&error), "{bad:?}: {error:?}");
        }
    }

    #[test]
    fn a_number_has_twelve_to_nineteen_digits() {
        assert!(normalise_number(&"4".repeat(11)).is_err());
        assert!(normalise_number(&"4".repeat(12)).is_ok());
        assert!(normalise_number(&"4".repeat(19)).is_ok());
        assert!(normalise_number(&"4".repeat(20)).is_err());
        assert!(normalise_number("").is_err());
        assert!(normalise_number(" - ").is_err());
    }

    #[test]
    fn each_brand_has_its_own_lengths() {
        use CardBrand::*;
        let cases: &[(&str, CardBrand, &[usize], &[usize])] = &[
            ("4", Visa, &[13, 16, 18, 19], &[12, 14, 15, 17]),
            ("51", Mastercard, &[16], &[12, 13, 14, 15, 17, 18, 19]),
            ("2221", Mastercard, &[16], &[15, 17]),
            ("34", Amex, &[15], &[14, 16]),
            ("6011", Discover, &[16, 17, 18, 19], &[12, 13, 14, 15]),
            ("36", Diners, &[14, 15, 16, 17, 18, 19], &[12, 13]),
            ("3528", Jcb, &[16, 17, 18, 19], &[12, 13, 14, 15]),
        ];
        for &(prefix, brand, good, bad) in cases {
            for &len in good {
                let checked = check(&luhn_complete(prefix, len)).expect("a valid length");
                assert_eq!(checked.brand, brand, "{prefix} at {len}");
            }
            for &len in bad {
                let error = check(&luhn_complete(prefix, len)).expect_err("a bad length");
                assert!(invalid(CardField::Number)(&error), "{prefix} at {len}");
            }
        }
    }

    #[test]
    fn an_invalid_number_of_a_refused_brand_is_an_invalid_number_first() {
        // UnionPay with a bad check digit.
        let error = check("6200000000000006").expect_err("bad Luhn");
        assert!(invalid(CardField::Number)(&error), "{error:?}");
        // UnionPay at a length it never issues.
        let error = check(&luhn_complete("62", 13)).expect_err("bad length");
        assert!(invalid(CardField::Number)(&error), "{error:?}");
        // Mir at 15 digits.
        let error = check(&luhn_complete("2200", 15)).expect_err("bad length");
        assert!(invalid(CardField::Number)(&error), "{error:?}");
        // A Diners number with bad Luhn when Diners is not accepted.
        let no_diners = [CardBrand::Visa, CardBrand::Mastercard];
        let error =
            check_card(&card("36227206271668", "123"), TODAY, &no_diners).expect_err("bad Luhn");
        assert!(invalid(CardField::Number)(&error), "{error:?}");
    }

    #[test]
    fn a_brand_removed_from_the_accepted_list_is_refused_by_its_display_name() {
        let accepted = [
            CardBrand::Amex,
            CardBrand::Mastercard,
            CardBrand::Visa,
            CardBrand::Discover,
            CardBrand::Jcb,
        ];
        let error = check_card(&card("36227206271667", "123"), TODAY, &accepted)
            .expect_err("Diners is not accepted");
        assert_eq!(
            error,
            CardError::BrandNotAccepted {
                brand: "Diners Club".into(),
                accepted: accepted.to_vec(),
            }
        );
        assert_eq!(
            error.to_string(),
            "Diners Club cards are not accepted. We accept American Express, Mastercard, Visa, \
             Discover and JCB."
        );
        assert!(check_card(&card("4242424242424242", "123"), TODAY, &accepted).is_ok());
    }

    #[test]
    fn no_card_is_accepted_when_the_accepted_list_is_empty() {
        let error =
            check_card(&card("4242424242424242", "123"), TODAY, &[]).expect_err("nothing accepted");
        assert_eq!(error.code(), "card_brand_not_accepted");
        assert_eq!(
            error.to_string(),
            "Visa cards are not accepted. Payment by card is not available at the moment."
        );
    }

    #[test]
    fn the_accepted_brands_sentence_follows_the_policy_order() {
        assert_eq!(
            accepted_brands_sentence(&CardBrand::ALL),
            "We accept American Express, Mastercard, Visa, Discover, Diners Club and JCB."
        );
        assert_eq!(
            accepted_brands_sentence(&[CardBrand::Visa]),
            "We accept Visa."
        );
        assert_eq!(
            accepted_brands_sentence(&[CardBrand::Jcb, CardBrand::Visa, CardBrand::Jcb]),
            "We accept JCB and Visa."
        );
    }

    #[test]
    fn the_security_code_has_four_digits_for_amex_and_three_for_the_others() {
        let amex = "378282246310005";
        let visa = "4242424242424242";
        assert!(check_card(&card(amex, "1234"), TODAY, &CardBrand::ALL).is_ok());
        assert!(check_card(&card(amex, "0123"), TODAY, &CardBrand::ALL).is_ok());
        assert!(check_card(&card(visa, "123"), TODAY, &CardBrand::ALL).is_ok());
        for (number, cvc) in [
            (amex, "123"),
            (amex, "12345"),
            (visa, "1234"),
            (visa, "12"),
            (visa, ""),
            (visa, "12a"),
            (visa, "1 3"),
            (visa, "١٢٣"),
        ] {
            let error = check_card(&card(number, cvc), TODAY, &CardBrand::ALL)
                .expect_err("a bad security code");
            assert!(
                invalid(CardField::Cvc)(&error),
                "{number} {cvc:?}: {error:?}"
            );
            assert_eq!(error.field(), Some("cvc"));
        }
    }

    #[test]
    fn a_security_code_with_a_leading_zero_is_kept_as_three_digits() {
        let visa = "4242424242424242";
        assert!(check_card(&card(visa, "012"), TODAY, &CardBrand::ALL).is_ok());
        assert!(check_card(&card(visa, "000"), TODAY, &CardBrand::ALL).is_ok());
        // "012" read as the number 12 would be two digits: refused as such.
        assert!(check_card(&card(visa, "12"), TODAY, &CardBrand::ALL).is_err());
    }

    #[test]
    fn the_security_code_messages_name_where_to_find_it() {
        let amex = check_card(&card("378282246310005", "123"), TODAY, &CardBrand::ALL)
            .expect_err("3 digits for Amex");
        assert!(amex.to_string().contains("4 digits"), "{amex}");
        let visa = check_card(&card("4242424242424242", "1234"), TODAY, &CardBrand::ALL)
            .expect_err("4 digits for Visa");
        assert!(visa.to_string().contains("3 digits"), "{visa}");
    }

    fn expiring(exp_month: u32, exp_year: u32) -> Result<CheckedCard, CardError> {
        let input = CardInput {
            exp_month,
            exp_year,
            ..card("4242424242424242", "123")
        };
        check_card(&input, TODAY, &CardBrand::ALL)
    }

    #[test]
    fn a_card_is_valid_through_the_end_of_its_expiry_month() {
        assert!(expiring(5, 2026).is_ok(), "this month");
        assert!(expiring(6, 2026).is_ok(), "next month");
        assert!(expiring(1, 2027).is_ok(), "next January");
        assert_eq!(expiring(4, 2026), Err(CardError::Expired), "last month");
        assert_eq!(expiring(12, 2025), Err(CardError::Expired), "last December");
        assert_eq!(expiring(12, 1999), Err(CardError::Expired), "last century");
    }

    #[test]
    fn an_expired_card_has_its_own_code_and_points_at_the_month() {
        let error = expiring(4, 2026).expect_err("expired");
        assert_eq!(error.code(), "card_expired");
        assert_eq!(error.field(), Some("exp_month"));
        assert_eq!(error.to_string(), "This card has expired.");
    }

    #[test]
    fn the_expiry_month_is_from_one_to_twelve() {
        for month in [0, 13, 99] {
            let error = expiring(month, 2030).expect_err("no such month");
            assert!(invalid(CardField::ExpMonth)(&error), "{month}: {error:?}");
            assert_eq!(error.field(), Some("exp_month"));
        }
        assert!(expiring(1, 2030).is_ok());
        assert!(expiring(12, 2030).is_ok());
    }

    #[test]
    fn a_two_digit_year_is_in_this_century() {
        let checked = expiring(8, 28).expect("2028");
        assert_eq!(checked.exp_year, 2028);
        assert!(expiring(5, 26).is_ok(), "this month as 26");
        assert_eq!(expiring(4, 26), Err(CardError::Expired));
        assert_eq!(expiring(12, 0), Err(CardError::Expired), "00 is 2000");
    }

    #[test]
    fn a_year_of_three_or_five_digits_is_invalid() {
        for year in [100, 202, 999, 10000, 20260] {
            let error = expiring(1, year).expect_err("not a year");
            assert!(invalid(CardField::ExpYear)(&error), "{year}: {error:?}");
            assert_eq!(error.field(), Some("exp_year"));
        }
    }

    #[test]
    fn a_year_more_than_twenty_years_ahead_is_invalid() {
        assert!(expiring(12, 2046).is_ok(), "twenty years ahead");
        assert!(expiring(12, 46).is_ok(), "twenty years ahead, two digits");
        for year in [2047, 47, 2099, 9999] {
            let error = expiring(1, year).expect_err("too far ahead");
            assert!(invalid(CardField::ExpYear)(&error), "{year}: {error:?}");
        }
    }

    #[test]
    fn a_holder_name_longer_than_eighty_characters_or_with_control_characters_is_refused() {
        let mut input = card("4242424242424242", "123");
        let longest = format!("Jane {}", "x".repeat(75));
        input.holder_name = &longest;
        assert!(
            check_card(&input, TODAY, &CardBrand::ALL).is_ok(),
            "80 characters"
        );
        let too_long = format!("Jane {}", "é".repeat(30_000));
        let with_newline = "Jane\nSmith";
        for name in [too_long.as_str(), with_newline] {
            input.holder_name = name;
            let error = check_card(&input, TODAY, &CardBrand::ALL).expect_err("refused");
            assert!(invalid(CardField::HolderName)(&error), "{error:?}");
            assert_eq!(error.field(), Some("holder_name"));
        }
    }

    #[test]
    fn the_holder_name_is_required_and_trimmed() {
        let mut input = card("4242424242424242", "123");
        input.holder_name = "  Jane  Smith \n";
        let checked = check_card(&input, TODAY, &CardBrand::ALL).expect("a name");
        assert_eq!(checked.holder_name, "Jane  Smith");
        for empty in ["", "   ", "\t\n"] {
            input.holder_name = empty;
            let error = check_card(&input, TODAY, &CardBrand::ALL).expect_err("no name");
            assert!(
                invalid(CardField::HolderName)(&error),
                "{empty:?}: {error:?}"
            );
            assert_eq!(error.field(), Some("holder_name"));
            assert_eq!(error.code(), "card_invalid");
        }
    }

    #[test]
    fn the_first_failure_in_the_documented_order_wins() {
        let all_wrong = CardInput {
            number: "4242424242424241",
            exp_month: 13,
            exp_year: 2010,
            cvc: "1",
            holder_name: "",
        };
        let step = |input: &CardInput<'_>| {
            check_card(input, TODAY, &CardBrand::ALL).expect_err("still failing")
        };
        assert!(invalid(CardField::Number)(&step(&all_wrong)));

        let unknown_prefix = CardInput {
            number: "9999999999999995",
            ..all_wrong
        };
        assert!(invalid(CardField::Number)(&step(&unknown_prefix)));

        let unionpay = CardInput {
            number: "6200000000000005",
            ..all_wrong
        };
        assert_eq!(step(&unionpay).code(), "card_brand_not_accepted");

        let good_number = CardInput {
            number: "4242424242424242",
            ..all_wrong
        };
        assert!(invalid(CardField::Cvc)(&step(&good_number)));

        let good_cvc = CardInput {
            cvc: "123",
            ..good_number
        };
        assert!(invalid(CardField::ExpMonth)(&step(&good_cvc)));

        let good_month = CardInput {
            exp_month: 1,
            exp_year: 123,
            ..good_cvc
        };
        assert!(invalid(CardField::ExpYear)(&step(&good_month)));

        let good_year = CardInput {
            exp_year: 2010,
            ..good_month
        };
        assert_eq!(step(&good_year), CardError::Expired);

        let in_date = CardInput {
            exp_year: 2030,
            ..good_year
        };
        assert!(invalid(CardField::HolderName)(&step(&in_date)));

        let complete = CardInput {
            holder_name: "Jane Smith",
            ..in_date
        };
        assert!(check_card(&complete, TODAY, &CardBrand::ALL).is_ok());
    }

    #[test]
    fn every_fault_of_a_card_is_listed_and_the_first_is_the_refusal() {
        let today = YearMonth {
            year: 2026,
            month: 12,
        };
        let input = CardInput {
            number: "4242 4242 4242 4241",
            exp_month: 13,
            exp_year: 2031,
            cvc: "",
            holder_name: " ",
        };
        let faults = card_errors(&input, today, &CardBrand::ALL);
        let fields: Vec<_> = faults.iter().map(CardError::field).collect();
        assert_eq!(
            fields,
            [
                Some("number"),
                Some("cvc"),
                Some("exp_month"),
                Some("holder_name")
            ]
        );
        assert_eq!(
            check_card(&input, today, &CardBrand::ALL).expect_err("refused"),
            faults[0]
        );
        let expired = CardInput {
            number: "4242424242424242",
            exp_month: 1,
            exp_year: 2026,
            cvc: "917",
            holder_name: "Claire Dubois",
        };
        assert_eq!(
            card_errors(&expired, today, &CardBrand::ALL),
            [CardError::Expired]
        );
        let fine = CardInput {
            exp_year: 2031,
            ..expired
        };
        assert!(card_errors(&fine, today, &CardBrand::ALL).is_empty());
    }

    #[test]
    fn error_codes_and_fields_are_stable() {
        let cases = [
            (CardField::Number, "number"),
            (CardField::Cvc, "cvc"),
            (CardField::ExpMonth, "exp_month"),
            (CardField::ExpYear, "exp_year"),
            (CardField::HolderName, "holder_name"),
        ];
        for (field, name) in cases {
            assert_eq!(field.as_str(), name);
            assert_eq!(
                serde_json::to_value(field).expect("serialises"),
                serde_json::json!(name)
            );
            let error = CardError::invalid(field, "x");
            assert_eq!(error.code(), "card_invalid");
            assert_eq!(error.field(), Some(name));
        }
        assert_eq!(CardError::Expired.code(), "card_expired");
        assert_eq!(CardError::Expired.field(), Some("exp_month"));
    }

    #[test]
    fn the_checked_card_keeps_the_last_four_digits_only() {
        let input = CardInput {
            number: "5555 5555 5555 4444",
            exp_month: 3,
            exp_year: 29,
            cvc: "987",
            holder_name: " Jane Smith ",
        };
        let checked = check_card(&input, TODAY, &CardBrand::ALL).expect("valid");
        assert_eq!(
            checked,
            CheckedCard {
                brand: CardBrand::Mastercard,
                last4: "4444".into(),
                exp_month: 3,
                exp_year: 2029,
                holder_name: "Jane Smith".into(),
            }
        );
        let debug = format!("{checked:?}");
        let json = serde_json::to_string(&checked).expect("serialises");
        for shown in [&debug, &json] {
            assert!(!shown.contains("5555555555554444"), "{shown}");
            assert!(!shown.contains("555555"), "{shown}");
            assert!(!shown.contains("987"), "{shown}");
        }
    }

    #[test]
    fn the_debug_of_a_card_input_never_prints_the_number_or_the_code() {
        let input = CardInput {
            number: "4242 4242 4242 4242",
            exp_month: 3,
            exp_year: 2029,
            cvc: "987",
            holder_name: "Jane Smith",
        };
        let debug = format!("{input:?} {input:#?}");
        for secret in ["4242", "987", "Jane"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        assert!(debug.contains("[redacted]"));
    }

    #[test]
    fn error_messages_never_repeat_the_number_or_the_code() {
        let inputs = [
            card("4242424242424241", "123"),
            card("4242a42424242424", "123"),
            card("6200000000000005", "123"),
            card("4242424242424242", "98765"),
        ];
        for input in inputs {
            let error = check_card(&input, TODAY, &CardBrand::ALL).expect_err("refused");
            let shown = format!("{error} {error:?}");
            assert!(!shown.contains("4242"), "{shown}");
            assert!(!shown.contains("620000"), "{shown}");
            assert!(!shown.contains("98765"), "{shown}");
        }
    }
}
