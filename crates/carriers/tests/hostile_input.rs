//! Hostile input for what carriers post: the `Maison-Signature` header (also
//! what the maison signs its own outgoing webhooks with) and the event body.
//! Arbitrary text never panics; a signature made with the secret verifies, and
//! any one-byte change of the body or of the signature is refused.

use maison_carriers::signature::{SignatureError, TOLERANCE_SECS, parse_header, sign, verify};
use maison_carriers::{EventError, parse_event};
use proptest::prelude::*;

const NOW: i64 = 1_800_000_000;
const EVENT_FIELDS: [&str; 6] = [
    "body",
    "id",
    "tracking_number",
    "type",
    "occurred_at",
    "appointment_date",
];

fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => any::<String>(),
        2 => "[tv01=, a-fA-F0-9+-]{0,160}",
        1 => ("\\PC{1,8}", 100usize..2_000).prop_map(|(unit, n)| unit.repeat(n)),
    ]
}

/// Headers close to valid: a real signature with a part dropped, doubled,
/// reordered or padded.
fn near_valid_header() -> impl Strategy<Value = String> {
    let good = sign(b"secret", NOW, b"{}");
    let tag = good[good.len() - 64..].to_owned();
    prop_oneof![
        Just(format!("t={NOW}")),
        Just(format!("v1={tag}")),
        Just(format!("v1={tag},t={NOW}")),
        Just(format!(" t = {NOW} , v1 = {tag} ")),
        Just(format!("t={NOW},v1={tag},v1=")),
        Just(format!("t={NOW},v1={}", &tag[..63])),
        Just(format!("t={NOW},v1={tag}0")),
        Just(format!("t=+{NOW},v1={tag}")),
        Just(format!("t={NOW},v1={}", tag.replace('0', "+"))),
        Just(format!("t={NOW},v1={}", tag.to_uppercase())),
        Just(format!("t={NOW},{}", format!("v1={tag},").repeat(40))),
        Just(format!("t={},v1={tag}", "9".repeat(13))),
    ]
}

fn assert_refusal(err: SignatureError) {
    // Every refusal is answered 400 `invalid_signature`; the reason is logged.
    assert!(!err.to_string().is_empty());
}

proptest! {
    // Many cases: the one-byte change that matters (a `+` for a `0`) is one
    // in about a thousand, and each case costs a few HMACs.
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn any_header_is_parsed_or_refused_as_malformed(
        header in prop_oneof![hostile_text(), near_valid_header()],
        body in proptest::collection::vec(any::<u8>(), 0..64),
        now in prop_oneof![Just(NOW), any::<i64>()],
    ) {
        if let Err(err) = parse_header(&header) {
            prop_assert_eq!(err, SignatureError::Malformed);
        }
        match verify(b"secret", Some(&header), &body, now) {
            Ok(()) => prop_assert!(false, "{header:?} verified a body it did not sign"),
            Err(err) => assert_refusal(err),
        }
    }

    #[test]
    fn a_signature_made_with_the_secret_verifies_within_the_tolerance(
        secret in proptest::collection::vec(any::<u8>(), 1..100),
        body in proptest::collection::vec(any::<u8>(), 0..2_000),
        timestamp in 0i64..100_000_000_000,
        skew in -TOLERANCE_SECS..=TOLERANCE_SECS,
    ) {
        let header = sign(&secret, timestamp, &body);
        prop_assert_eq!(verify(&secret, Some(&header), &body, timestamp + skew), Ok(()));
        prop_assert_eq!(
            verify(&secret, Some(&header), &body, timestamp + TOLERANCE_SECS + 1),
            Err(SignatureError::Stale)
        );
        prop_assert_eq!(verify(&secret, None, &body, timestamp), Err(SignatureError::Missing));
        prop_assert_eq!(verify(b"", Some(&header), &body, timestamp), Err(SignatureError::NoSecret));
    }

    #[test]
    fn any_one_byte_change_of_the_body_is_refused(
        secret in proptest::collection::vec(any::<u8>(), 1..64),
        body in proptest::collection::vec(any::<u8>(), 1..500),
        at in any::<proptest::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let header = sign(&secret, NOW, &body);
        let mut changed = body.clone();
        let i = at.index(changed.len());
        changed[i] ^= flip;
        prop_assert_eq!(verify(&secret, Some(&header), &changed, NOW), Err(SignatureError::Mismatch));
    }

    #[test]
    fn any_one_byte_change_of_the_signature_header_is_refused(
        secret in proptest::collection::vec(any::<u8>(), 1..64),
        body in proptest::collection::vec(any::<u8>(), 0..200),
        at in any::<proptest::sample::Index>(),
        // Bytes a parser could mistake for part of a number are tried often.
        replacement in prop_oneof![any::<u8>(), proptest::sample::select(b"+- 0aA,=tv".to_vec())],
    ) {
        let header = sign(&secret, NOW, &body);
        let mut bytes = header.clone().into_bytes();
        let i = at.index(bytes.len());
        prop_assume!(bytes[i] != replacement);
        // Upper-case hex is the same signature: only a change of value counts.
        prop_assume!(!bytes[i].eq_ignore_ascii_case(&replacement) || !bytes[i].is_ascii_hexdigit());
        bytes[i] = replacement;
        let Ok(changed) = String::from_utf8(bytes) else {
            // Header values are text: a byte that is not UTF-8 never reaches verify.
            return Ok(());
        };
        match verify(&secret, Some(&changed), &body, NOW) {
            Ok(()) => prop_assert!(false, "{changed:?} (from {header:?}) still verifies"),
            Err(err) => assert_refusal(err),
        }
    }

    #[test]
    fn any_event_body_is_read_or_refused_on_a_known_field(
        body in prop_oneof![
            hostile_text().prop_map(String::into_bytes),
            proptest::collection::vec(any::<u8>(), 0..300),
            near_valid_event(),
        ],
    ) {
        match parse_event(&body) {
            Ok(event) => {
                for token in [&event.id, &event.tracking_number] {
                    prop_assert!(!token.is_empty() && token.len() <= 128);
                    prop_assert!(token.bytes().all(|b| b.is_ascii_graphic()));
                }
                if let Some(detail) = &event.detail {
                    prop_assert!(!detail.chars().any(char::is_control));
                    prop_assert!(detail.chars().count() <= 500);
                }
            }
            Err(EventError::Malformed(message)) => prop_assert!(!message.is_empty()),
            Err(EventError::Invalid { field, message }) => {
                prop_assert!(EVENT_FIELDS.contains(&field), "{field}");
                prop_assert!(!message.is_empty());
            }
        }
    }
}

/// Event bodies with each field valid or hostile.
fn near_valid_event() -> impl Strategy<Value = Vec<u8>> {
    let field = |valid: &'static str| prop_oneof![Just(valid.to_owned()), hostile_text()];
    (
        field("evt_1"),
        field("FX123456789"),
        prop_oneof![
            Just("picked_up".to_owned()),
            Just("appointment_confirmed".to_owned()),
            hostile_text()
        ],
        field("2026-12-01T15:04:05Z"),
        proptest::option::of(field("2026-12-08")),
        proptest::option::of(hostile_text()),
    )
        .prop_map(
            |(id, tracking_number, kind, occurred_at, appointment_date, detail)| {
                serde_json::json!({
                    "id": id,
                    "tracking_number": tracking_number,
                    "type": kind,
                    "occurred_at": occurred_at,
                    "appointment_date": appointment_date,
                    "detail": detail,
                })
                .to_string()
                .into_bytes()
            },
        )
}
