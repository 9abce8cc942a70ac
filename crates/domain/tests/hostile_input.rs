//! Hostile input for the parsers that read what clients type (card, address,
//! personalisation, contact and fax number): arbitrary text (unicode, control
//! characters, very long strings) and near-valid text never panics, and every
//! refusal carries the stable code and field the API answers with.

use maison_domain::address::{AddressInput, validate_address};
use maison_domain::bag::BagRefusal;
use maison_domain::card::{CardBrand, CardInput, YearMonth, check_card, normalise_number};
use maison_domain::cardholder::{names_match, normalise_name};
use maison_domain::catalog::{Creation, PersonalisationOption, SaleMode, Variant};
use maison_domain::contact::{ContactError, Email, FaxNumber, FaxNumberError, name_part, phone};
use maison_domain::personalisation::{Personalisation, personalise};
use maison_domain::{Money, Sku, Slug};
use proptest::prelude::*;

const TODAY: YearMonth = YearMonth {
    year: 2026,
    month: 6,
};
const ALL_BRANDS: [CardBrand; 6] = [
    CardBrand::Amex,
    CardBrand::Mastercard,
    CardBrand::Visa,
    CardBrand::Discover,
    CardBrand::Diners,
    CardBrand::Jcb,
];
const CARD_CODES: [&str; 3] = ["card_invalid", "card_expired", "card_brand_not_accepted"];
const CARD_FIELDS: [&str; 5] = ["number", "cvc", "exp_month", "exp_year", "holder_name"];
const ADDRESS_FIELDS: [&str; 7] = [
    "country",
    "line1",
    "line2",
    "city",
    "region",
    "postal_code",
    "company",
];

/// Any text: printable or not, any plane, empty to very long.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "\\PC{0,40}",
        2 => "[\\x00-\\x1f\\x7f\u{85}\u{200b}-\u{200f}\u{2028}\u{202e}\u{feff} a-zA-Z0-9-]{0,40}",
        1 => "[ -~]{0,40}",
        1 => ("\\PC{1,4}", 200usize..5_000).prop_map(|(unit, n)| unit.repeat(n)),
    ]
}

/// A Luhn-valid number: `prefix`, random digits, then the check digit.
fn luhn_number(prefix: &'static str, len: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(0u8..10, len - prefix.len() - 1).prop_map(move |body| {
        let mut digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
        digits.extend(body);
        // The check digit makes the doubled-every-second sum a multiple of 10.
        let sum: u32 = digits
            .iter()
            .rev()
            .enumerate()
            .map(|(i, d)| {
                let d = u32::from(*d);
                if i % 2 == 0 {
                    let doubled = d * 2;
                    if doubled > 9 { doubled - 9 } else { doubled }
                } else {
                    d
                }
            })
            .sum();
        digits.push(((10 - sum % 10) % 10) as u8);
        digits.iter().map(|d| char::from(b'0' + d)).collect()
    })
}

fn valid_number() -> impl Strategy<Value = (String, CardBrand)> {
    prop_oneof![
        luhn_number("4", 16).prop_map(|n| (n, CardBrand::Visa)),
        luhn_number("52", 16).prop_map(|n| (n, CardBrand::Mastercard)),
        luhn_number("37", 15).prop_map(|n| (n, CardBrand::Amex)),
    ]
}

/// `digits` with spaces and dashes put between them, as people type.
fn with_separators(digits: String) -> impl Strategy<Value = String> {
    let len = digits.len();
    proptest::collection::vec(
        prop_oneof![Just(""), Just(" "), Just("-"), Just(" - ")],
        len,
    )
    .prop_map(move |seps| {
        digits
            .chars()
            .zip(seps)
            .map(|(d, sep)| format!("{sep}{d}"))
            .collect()
    })
}

fn assert_card_refusal_is_coded(err: &maison_domain::card::CardError, secrets: &[&str]) {
    assert!(CARD_CODES.contains(&err.code()), "{err:?}");
    assert!(
        err.field().is_some_and(|f| CARD_FIELDS.contains(&f)),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(!message.trim().is_empty(), "{err:?}");
    for secret in secrets {
        // The card number and the security code never reach a message.
        let digits: String = secret.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= 3 {
            assert!(!message.contains(&digits), "{message:?} shows {digits:?}");
        }
    }
}

fn creation(options: Vec<PersonalisationOption>) -> Creation {
    let sku = Sku::parse("VAL-RNG-002").expect("valid");
    Creation {
        sku: sku.clone(),
        slug: Slug::parse("band").expect("valid"),
        name: "Band".into(),
        category: Slug::parse("rings").expect("valid"),
        collection: None,
        description: String::new(),
        materials: vec![],
        sale_mode: SaleMode::Online,
        price: Some(Money::usd_dollars(1000)),
        flagged_unavailable: false,
        variants: vec![Variant {
            sku,
            size: None,
            on_hand: 1,
        }],
        personalisation: options,
    }
}

fn option() -> impl Strategy<Value = PersonalisationOption> {
    prop_oneof![
        (any::<u8>(), any::<u8>()).prop_map(|(max_lines, max_characters_per_line)| {
            PersonalisationOption::Engraving {
                max_lines,
                max_characters_per_line,
            }
        }),
        any::<u8>().prop_map(|max_initials| PersonalisationOption::Embossing { max_initials }),
    ]
}

fn near_valid_address() -> impl Strategy<Value = AddressInput> {
    let country = prop_oneof![
        Just("US"),
        Just("CA"),
        Just(" us "),
        Just("can"),
        Just("FR")
    ];
    let region = prop_oneof![Just("NY"), Just("on"), Just("AE"), Just("QC"), Just("ZZ")];
    let postal = prop_oneof![
        2 => Just("10022".to_owned()),
        2 => Just("10022-1234".to_owned()),
        2 => Just("M5R 2E8".to_owned()),
        2 => Just("h2x1y4".to_owned()),
        1 => Just("09001".to_owned()),
        1 => "[0-9A-Za-z -]{0,12}",
        1 => hostile_text(),
    ];
    // Mostly valid fields, so that accepted addresses are checked too.
    let line = prop_oneof![3 => Just("725 Fifth Avenue".to_owned()), 1 => hostile_text()];
    let optional = || proptest::option::weighted(0.3, hostile_text());
    (
        country,
        line,
        optional(),
        prop_oneof![
            Just("New York".to_owned()),
            Just("F.P.O".to_owned()),
            hostile_text()
        ],
        prop_oneof![region.prop_map(str::to_owned), hostile_text()],
        postal,
        optional(),
    )
        .prop_map(
            |(country, line1, line2, city, region, postal_code, company)| AddressInput {
                line1,
                line2,
                city,
                region,
                postal_code,
                country: country.to_owned(),
                company,
            },
        )
}

fn valid_fax() -> impl Strategy<Value = String> {
    ("[2-9][02-9][0-9]", "[2-9][02-9][0-9]", "[0-9]{4}").prop_map(|(a, e, l)| format!("{a}{e}{l}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn any_card_input_is_refused_with_a_code_and_a_field_or_accepted_whole(
        number in prop_oneof![hostile_text(), valid_number().prop_map(|(n, _)| n)],
        cvc in prop_oneof![hostile_text(), "[0-9]{3,4}"],
        holder_name in prop_oneof![hostile_text(), Just("Claire Dubois".to_owned())],
        exp_month in prop_oneof![any::<u32>(), 0u32..14],
        exp_year in prop_oneof![any::<u32>(), 0u32..100, 2020u32..2050],
        brands in proptest::sample::subsequence(ALL_BRANDS.to_vec(), 0..=6),
    ) {
        let input = CardInput { number: &number, exp_month, exp_year, cvc: &cvc, holder_name: &holder_name };
        match check_card(&input, TODAY, &brands) {
            Err(err) => assert_card_refusal_is_coded(&err, &[&number, &cvc]),
            Ok(card) => {
                prop_assert!(brands.contains(&card.brand));
                let digits = normalise_number(&number).expect("an accepted number normalises");
                prop_assert!(digits.ends_with(&card.last4) && card.last4.len() == 4);
                prop_assert!((1..=12).contains(&card.exp_month));
                prop_assert!((1000..=9999).contains(&card.exp_year));
                prop_assert_eq!(card.holder_name.trim(), &card.holder_name);
                prop_assert!(!card.holder_name.is_empty());
                prop_assert!(!card.holder_name.chars().any(char::is_control));
            }
        }
    }

    #[test]
    fn a_valid_number_typed_with_spaces_and_dashes_is_the_same_card(
        (typed, plain, brand) in valid_number()
            .prop_flat_map(|(n, brand)| (with_separators(n.clone()), Just(n), Just(brand))),
        exp_year in 2026u32..2046,
    ) {
        let cvc = if brand == CardBrand::Amex { "1234" } else { "123" };
        let card = |number: &str| {
            check_card(
                &CardInput { number, exp_month: 12, exp_year, cvc, holder_name: "Claire Dubois" },
                TODAY,
                &ALL_BRANDS,
            )
        };
        let plain_card = card(&plain).expect("a Luhn-valid number of a known brand is accepted");
        prop_assert_eq!(plain_card.brand, brand);
        prop_assert_eq!(card(&typed), Ok(plain_card));
        prop_assert_eq!(normalise_number(&typed), Ok(plain));
    }

    #[test]
    fn changing_one_digit_of_a_valid_number_is_refused_as_invalid(
        (plain, _) in valid_number(),
        at in any::<proptest::sample::Index>(),
        bump in 1u8..10,
    ) {
        let mut bytes = plain.into_bytes();
        let i = at.index(bytes.len());
        bytes[i] = b'0' + (bytes[i] - b'0' + bump) % 10;
        let changed = String::from_utf8(bytes).expect("ascii");
        let input = CardInput { number: &changed, exp_month: 12, exp_year: 2030, cvc: "1234", holder_name: "Claire Dubois" };
        // Luhn catches every single-digit change; the brand may change with the
        // prefix, but the number is never taken as it was.
        let err = check_card(&input, TODAY, &ALL_BRANDS).expect_err("one digit changed");
        assert_card_refusal_is_coded(&err, &[&changed]);
        prop_assert_eq!(err.field(), Some("number"));
    }

    #[test]
    fn cardholder_names_never_panic_and_normalise_idempotently(
        holder in hostile_text(), first in hostile_text(), last in hostile_text(),
    ) {
        let _ = names_match(&holder, &first, &last);
        let once = normalise_name(&holder);
        prop_assert_eq!(normalise_name(&once), once);
    }

    #[test]
    fn any_address_is_refused_on_a_known_field_or_accepted_clean(input in near_valid_address()) {
        match validate_address(&input) {
            Err(err) => {
                prop_assert!(ADDRESS_FIELDS.contains(&err.field), "{:?}", err);
                prop_assert!(!err.message.trim().is_empty());
            }
            Ok(address) => {
                prop_assert!(address.country.regions().contains(&address.region.as_str()));
                prop_assert!(address.country.accepts_postal_code(&address.postal_code));
                let printable = |s: &str| !s.is_empty() && !s.chars().any(char::is_control) && s.trim() == s;
                prop_assert!(printable(&address.line1) && printable(&address.city));
                prop_assert!(address.line1.chars().count() <= 100 && address.city.chars().count() <= 60);
                for optional in [&address.line2, &address.company].into_iter().flatten() {
                    prop_assert!(printable(optional) && optional.chars().count() <= 100);
                }
                // Checking what was accepted accepts it again, unchanged.
                let again = AddressInput {
                    line1: address.line1.clone(),
                    line2: address.line2.clone(),
                    city: address.city.clone(),
                    region: address.region.clone(),
                    postal_code: address.postal_code.clone(),
                    country: address.country.code().to_owned(),
                    company: address.company.clone(),
                };
                prop_assert_eq!(validate_address(&again), Ok(address));
            }
        }
    }

    #[test]
    fn any_personalisation_is_refused_with_a_message_or_kept_within_the_offer(
        offer in proptest::collection::vec(option(), 0..3),
        kind in prop_oneof![Just("engraving".to_owned()), Just("embossing".to_owned()), hostile_text()],
        text in prop_oneof![hostile_text(), "[a-zA-Z .\n\r]{0,30}"],
    ) {
        let creation = creation(offer.clone());
        match personalise(&creation, &kind, &text) {
            Err(err) => {
                prop_assert!(!err.0.trim().is_empty());
                // The API answers every refusal as 422 `invalid_personalisation`.
                prop_assert_eq!(BagRefusal::InvalidPersonalisation(err.0).code(), "invalid_personalisation");
            }
            Ok(chosen) => {
                let option = offer.iter().find(|o| o.kind() == kind).expect("an offered kind");
                match (chosen, option) {
                    (Personalisation::Engraving { text }, PersonalisationOption::Engraving { max_lines, max_characters_per_line }) => {
                        let lines: Vec<&str> = text.split('\n').collect();
                        prop_assert!(lines.len() <= usize::from(*max_lines));
                        for line in lines {
                            prop_assert!(line.chars().count() <= usize::from(*max_characters_per_line));
                            prop_assert!(!line.chars().any(char::is_control));
                            prop_assert_eq!(line.trim(), line);
                        }
                    }
                    (Personalisation::Embossing { text }, PersonalisationOption::Embossing { max_initials }) => {
                        prop_assert!(!text.is_empty() && text.len() <= usize::from(*max_initials));
                        prop_assert!(text.bytes().all(|b| b.is_ascii_uppercase()));
                    }
                    (chosen, option) => prop_assert!(false, "{chosen:?} for {option:?}"),
                }
            }
        }
    }

    #[test]
    fn any_contact_detail_is_refused_on_its_field(text in hostile_text()) {
        let fields = ["email", "first_name", "phone"];
        let check = |result: Result<String, ContactError>| -> Result<(), TestCaseError> {
            if let Err(err) = result {
                prop_assert!(fields.contains(&err.field), "{:?}", err);
                prop_assert!(!err.message.is_empty());
            }
            Ok(())
        };
        check(Email::parse(&text).map(|e| e.as_str().to_owned()))?;
        check(name_part("first_name", "first name", &text))?;
        check(phone(&text))?;
    }

    #[test]
    fn any_fax_number_is_refused_as_invalid_fax_number_or_dialable(text in hostile_text()) {
        match FaxNumber::parse(&text) {
            Err(err) => {
                prop_assert_eq!(err.code(), FaxNumberError::CODE);
                prop_assert!(!err.to_string().is_empty());
                prop_assert_eq!(ContactError::from(err).field, "fax");
            }
            Ok(fax) => {
                prop_assert_eq!(fax.digits().len(), 11);
                prop_assert!(fax.digits().bytes().all(|b| b.is_ascii_digit()));
                prop_assert_eq!(FaxNumber::parse(&fax.to_string()), Ok(fax));
            }
        }
    }

    #[test]
    fn a_valid_fax_number_with_one_character_inserted_never_panics(
        number in valid_fax(),
        at in any::<proptest::sample::Index>(),
        c in any::<char>(),
    ) {
        prop_assert!(FaxNumber::parse(&number).is_ok());
        let mut chars: Vec<char> = number.chars().collect();
        chars.insert(at.index(chars.len() + 1), c);
        let typed: String = chars.into_iter().collect();
        match FaxNumber::parse(&typed) {
            // A separator (space, dot, dash) or a leading 1 keeps the number.
            Ok(fax) => prop_assert!(fax.digits().ends_with(&number)),
            Err(err) => prop_assert_eq!(err.code(), FaxNumberError::CODE),
        }
    }
}
