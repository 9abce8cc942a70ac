//! The simulator processor, through the `PaymentGateway` port, as the spec describes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use maison_domain::Money;
use maison_domain::card::CardBrand;
use maison_payments::simulator::AUTHORISATION_VALIDITY_SECS;
use maison_payments::{
    Authorisation, AuthoriseOutcome, AuthoriseRequest, CardDetails, CardSecret, CvcSecret, Decline,
    DeclineReason, FailureMode, GENERIC_DECLINE_MESSAGE, GatewayError, PaymentGateway,
    PaymentState, Simulator, SyncedOperation,
};

const SUCCESS_CARDS: [&str; 16] = [
    "4242424242424242",
    "4000056655665556",
    "5555555555554444",
    "2223003122003222",
    "5200828282828210",
    "5105105105105100",
    "378282246310005",
    "371449635398431",
    "6011111111111117",
    "6011000990139424",
    "6011981111111113",
    "3056930009020004",
    "36227206271667",
    "38520000023237",
    "3566002020360505",
    "3530111333300000",
];

const VISA: &str = "4242424242424242";
const NOW: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn brand_of(number: &str) -> CardBrand {
    match number.as_bytes().first() {
        Some(b'4') => CardBrand::Visa,
        Some(b'2' | b'5') => CardBrand::Mastercard,
        Some(b'6') => CardBrand::Discover,
        _ if number.starts_with("34") || number.starts_with("37") => CardBrand::Amex,
        _ if number.starts_with("35") => CardBrand::Jcb,
        _ => CardBrand::Diners,
    }
}

fn card(number: &str) -> CardDetails {
    let brand = brand_of(number);
    let cvc = if brand == CardBrand::Amex {
        "1234"
    } else {
        "123"
    };
    CardDetails {
        number: CardSecret::new(number.to_owned()),
        cvc: CvcSecret::new(cvc.to_owned()),
        exp_month: 12,
        exp_year: 2034,
        holder_name: "Ada Lovelace".to_owned(),
        brand,
    }
}

fn simulator() -> Simulator {
    Simulator::new().with_clock(|| NOW)
}

fn usd(dollars: i64) -> Money {
    Money::usd_dollars(dollars)
}

async fn authorise(
    gateway: &dyn PaymentGateway,
    key: &str,
    card: &CardDetails,
    amount: Money,
) -> Result<AuthoriseOutcome, GatewayError> {
    gateway
        .authorise(AuthoriseRequest {
            idempotency_key: key,
            amount,
            card,
            reference: "MA-7K2Q9X",
        })
        .await
}

async fn authorised(gateway: &dyn PaymentGateway, key: &str, amount: Money) -> Authorisation {
    match authorise(gateway, key, &card(VISA), amount)
        .await
        .expect("the simulator answers")
    {
        AuthoriseOutcome::Authorised(a) => a,
        AuthoriseOutcome::Declined(d) => panic!("the success card was declined: {d:?}"),
    }
}

async fn declined(gateway: &dyn PaymentGateway, number: &str) -> Decline {
    match authorise(
        gateway,
        &format!("attempt-{number}"),
        &card(number),
        usd(100),
    )
    .await
    .expect("the simulator answers")
    {
        AuthoriseOutcome::Declined(d) => d,
        AuthoriseOutcome::Authorised(a) => panic!("{number} was authorised: {a:?}"),
    }
}

#[tokio::test]
async fn every_success_test_card_is_authorised_with_a_reference_and_token_hiding_the_number() {
    let sim = simulator();
    for (i, number) in SUCCESS_CARDS.into_iter().enumerate() {
        let outcome = authorise(&sim, &format!("attempt-{i}"), &card(number), usd(30_000))
            .await
            .expect("the simulator answers");
        let AuthoriseOutcome::Authorised(auth) = outcome else {
            panic!("{number} was declined: {outcome:?}");
        };
        assert!(!auth.processor_ref.is_empty());
        assert!(!auth.auth_code.is_empty());
        assert!(auth.card_token.starts_with("tok_sim_"));
        assert!(!auth.processor_ref.contains(number));
        assert!(!auth.card_token.contains(number));
        assert!(!auth.card_token.contains(&number[..number.len() - 4]));
        assert_eq!(auth.amount, usd(30_000));
        assert_eq!(auth.expires_at_unix, NOW + 7 * 24 * 60 * 60);
    }
    assert_eq!(sim.authorisation_count(), SUCCESS_CARDS.len());
    let snapshot = sim.ledger_snapshot();
    assert!(snapshot.iter().all(|p| p.state == PaymentState::Authorised));
    assert_eq!(snapshot[0].card_last4, "4242");
    assert_eq!(snapshot[0].reference, "MA-7K2Q9X");
}

#[tokio::test]
async fn each_decline_test_card_gives_its_reason_message_and_field() {
    let sim = simulator();
    let cases = [
        ("4000000000000002", DeclineReason::Generic, None),
        ("4000000000009995", DeclineReason::InsufficientFunds, None),
        ("4000000000000127", DeclineReason::IncorrectCvc, Some("cvc")),
        ("4000000000000101", DeclineReason::IncorrectCvc, Some("cvc")),
        (
            "4000000000000069",
            DeclineReason::ExpiredCard,
            Some("exp_month"),
        ),
        ("4000000000000119", DeclineReason::ProcessingError, None),
    ];
    for (number, reason, field) in cases {
        let decline = declined(&sim, number).await;
        assert_eq!(decline.reason, reason, "{number}");
        assert_eq!(decline.field, field, "{number}");
        assert_eq!(decline.message, reason.client_message(), "{number}");
    }
    let funds = declined(&sim, "4000000000009995").await;
    assert_eq!(
        funds.message, GENERIC_DECLINE_MESSAGE,
        "discreet about funds"
    );
    let processing = declined(&sim, "4000000000000119").await;
    assert!(processing.message.contains("nothing was charged"));
    assert!(processing.message.contains("try again"));
    assert_eq!(sim.authorisation_count(), 0, "a decline places no hold");
}

#[tokio::test]
async fn lost_and_stolen_cards_show_only_the_generic_decline() {
    let sim = simulator();
    for number in ["4000000000009987", "4000000000009979"] {
        let decline = declined(&sim, number).await;
        assert_eq!(decline.reason, DeclineReason::LostOrStolen);
        assert_eq!(decline.message, GENERIC_DECLINE_MESSAGE);
        assert_eq!(decline.field, None);
        assert_eq!(decline.reason.client_code(), "card_declined");
        let shown = decline.message.to_lowercase();
        assert!(!shown.contains("lost") && !shown.contains("stolen"));
    }
}

#[tokio::test]
async fn any_other_valid_number_is_declined_as_in_test_mode() {
    let sim = simulator();
    // Luhn-valid, but not a test card: a real card must never be charged by a demo.
    let decline = declined(&sim, "4111111111111111").await;
    assert_eq!(decline.reason, DeclineReason::Generic);
    assert_eq!(decline.message, GENERIC_DECLINE_MESSAGE);
}

#[tokio::test]
async fn the_same_card_gets_the_same_token_and_another_card_another() {
    let sim = simulator();
    let first = authorised(&sim, "a1", usd(10)).await;
    let second = authorised(&sim, "a2", usd(20)).await;
    let AuthoriseOutcome::Authorised(other) =
        authorise(&sim, "a3", &card("5555555555554444"), usd(10))
            .await
            .expect("the simulator answers")
    else {
        panic!("the Mastercard test card was declined");
    };
    assert_eq!(first.card_token, second.card_token);
    assert_ne!(first.card_token, other.card_token);
    assert_ne!(first.processor_ref, second.processor_ref);

    let keyed = |key| Simulator::new().with_token_key(key);
    let a = authorised(&keyed(7), "k", usd(10)).await;
    let b = authorised(&keyed(7), "k", usd(10)).await;
    assert_eq!(
        a.card_token, b.card_token,
        "a fixed key gives stable tokens"
    );
}

#[tokio::test]
async fn the_same_key_twice_authorises_once_and_answers_the_same() {
    let sim = simulator();
    let gateway: Arc<dyn PaymentGateway> = Arc::new(sim.clone());
    let card = card(VISA);
    let first = authorise(gateway.as_ref(), "attempt-1", &card, usd(30_000))
        .await
        .expect("first answer");
    let again = authorise(gateway.as_ref(), "attempt-1", &card, usd(30_000))
        .await
        .expect("replayed answer");
    assert_eq!(first, again);
    assert!(matches!(first, AuthoriseOutcome::Authorised(_)));
    assert_eq!(sim.authorisation_count(), 1);
    assert_eq!(sim.operations_for("attempt-1"), 1);
    assert_eq!(gateway.name(), "simulator");
}

#[tokio::test]
async fn a_declined_attempt_replays_its_decline_under_the_same_key() {
    let sim = simulator();
    let card = card("4000000000009995");
    let first = authorise(&sim, "attempt-1", &card, usd(100))
        .await
        .expect("first answer");
    let again = authorise(&sim, "attempt-1", &card, usd(100))
        .await
        .expect("replayed answer");
    assert_eq!(first, again);
    assert_eq!(sim.operations_for("attempt-1"), 1);
}

#[tokio::test]
async fn the_same_key_with_another_request_is_an_idempotency_conflict() {
    let sim = simulator();
    authorised(&sim, "attempt-1", usd(30_000)).await;
    let other_amount = authorise(&sim, "attempt-1", &card(VISA), usd(31_000)).await;
    assert_eq!(
        other_amount,
        Err(GatewayError::IdempotencyConflict("attempt-1".to_owned()))
    );
    let other_card = authorise(&sim, "attempt-1", &card("5555555555554444"), usd(30_000)).await;
    assert!(matches!(
        other_card,
        Err(GatewayError::IdempotencyConflict(_))
    ));
    let other_operation = sim.void("attempt-1", "sim_pay_anything").await;
    assert!(matches!(
        other_operation,
        Err(GatewayError::IdempotencyConflict(_))
    ));
    assert_eq!(sim.authorisation_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_authorisations_under_one_key_place_exactly_one_hold() {
    let sim = simulator();
    sim.set_latency(Duration::from_millis(5));
    let gateway: Arc<dyn PaymentGateway> = Arc::new(sim.clone());
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let gateway = Arc::clone(&gateway);
        tasks.spawn(async move {
            let card = card(VISA);
            authorise(gateway.as_ref(), "attempt-1", &card, usd(30_000)).await
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        answers.push(
            joined
                .expect("the task ran")
                .expect("the simulator answers"),
        );
    }
    assert_eq!(answers.len(), 20);
    assert!(answers.iter().all(|a| *a == answers[0]));
    assert_eq!(sim.authorisation_count(), 1);
    assert_eq!(sim.operations_for("attempt-1"), 1);
}

#[tokio::test]
async fn a_partial_capture_releases_the_rest_and_a_larger_capture_is_refused() {
    let sim = simulator();
    let auth = authorised(&sim, "auth-1", usd(30_000)).await;
    let over = sim
        .capture("capture-0", &auth.processor_ref, usd(30_001))
        .await;
    assert_eq!(over, Err(GatewayError::AmountTooLarge));
    assert_eq!(
        sim.operations_for("capture-0"),
        0,
        "a refusal records nothing"
    );

    let captured = sim
        .capture("capture-1", &auth.processor_ref, usd(25_000))
        .await
        .expect("a capture below the hold");
    assert_eq!(captured.amount, usd(25_000));
    assert_eq!(captured.processor_ref, auth.processor_ref);
    let replay = sim
        .capture("capture-1", &auth.processor_ref, usd(25_000))
        .await
        .expect("a replay");
    assert_eq!(replay, captured);

    let rest = sim
        .capture("capture-2", &auth.processor_ref, usd(5_000))
        .await;
    assert!(
        matches!(rest, Err(GatewayError::InvalidState(_))),
        "{rest:?}"
    );
    let payment = sim.payment(&auth.processor_ref).expect("in the ledger");
    assert_eq!(payment.state, PaymentState::Captured);
    assert_eq!(payment.captured, Some(usd(25_000)));
}

#[tokio::test]
async fn a_capture_of_the_full_amount_succeeds() {
    let sim = simulator();
    let auth = authorised(&sim, "auth-1", usd(30_000)).await;
    let captured = sim
        .capture("capture-1", &auth.processor_ref, usd(30_000))
        .await
        .expect("capture of the hold");
    assert_eq!(captured.amount, usd(30_000));
}

#[tokio::test]
async fn a_void_after_capture_is_an_invalid_state() {
    let sim = simulator();
    let auth = authorised(&sim, "auth-1", usd(1_000)).await;
    sim.capture("capture-1", &auth.processor_ref, usd(1_000))
        .await
        .expect("capture");
    let void = sim.void("void-1", &auth.processor_ref).await;
    assert!(
        matches!(void, Err(GatewayError::InvalidState(_))),
        "{void:?}"
    );
    assert!(!void.expect_err("refused").in_doubt());
}

#[tokio::test]
async fn a_void_releases_the_hold_and_nothing_can_be_captured_after() {
    let sim = simulator();
    let auth = authorised(&sim, "auth-1", usd(1_000)).await;
    let void = sim
        .void("void-1", &auth.processor_ref)
        .await
        .expect("void before capture");
    assert_eq!(void.amount, usd(1_000));
    assert_eq!(
        sim.void("void-1", &auth.processor_ref).await,
        Ok(void),
        "a replay answers the same"
    );
    let capture = sim
        .capture("capture-1", &auth.processor_ref, usd(1_000))
        .await;
    assert!(matches!(capture, Err(GatewayError::InvalidState(_))));
    let refund = sim.refund("refund-1", &auth.processor_ref, usd(1)).await;
    assert!(matches!(refund, Err(GatewayError::InvalidState(_))));
    let state = sim
        .payment(&auth.processor_ref)
        .expect("in the ledger")
        .state;
    assert_eq!(state, PaymentState::Voided);
}

#[tokio::test]
async fn refunds_add_up_to_at_most_the_captured_amount() {
    let sim = simulator();
    let auth = authorised(&sim, "auth-1", usd(30_000)).await;
    let early = sim.refund("refund-0", &auth.processor_ref, usd(1)).await;
    assert!(
        matches!(early, Err(GatewayError::InvalidState(_))),
        "no refund before capture"
    );
    sim.capture("capture-1", &auth.processor_ref, usd(20_000))
        .await
        .expect("capture");
    let first = sim
        .refund("refund-1", &auth.processor_ref, usd(12_000))
        .await
        .expect("a partial refund");
    let second = sim
        .refund("refund-2", &auth.processor_ref, usd(8_000))
        .await
        .expect("the rest");
    assert_ne!(first.processor_ref, second.processor_ref);
    assert_ne!(first.processor_ref, auth.processor_ref);
    assert_eq!(
        sim.refund("refund-1", &auth.processor_ref, usd(12_000))
            .await,
        Ok(first),
        "a replay refunds nothing more"
    );
    let beyond = sim
        .refund("refund-3", &auth.processor_ref, Money::usd_cents(1))
        .await;
    assert_eq!(beyond, Err(GatewayError::AmountTooLarge));
    let payment = sim.payment(&auth.processor_ref).expect("in the ledger");
    assert_eq!(payment.refunded, usd(20_000));
}

#[tokio::test]
async fn operations_on_an_unknown_payment_are_refused() {
    let sim = simulator();
    let missing = "sim_pay_unknown";
    let expected = Err(GatewayError::UnknownReference(missing.to_owned()));
    assert_eq!(sim.capture("c", missing, usd(1)).await, expected);
    assert_eq!(sim.void("v", missing).await, expected);
    assert_eq!(sim.refund("r", missing, usd(1)).await, expected);
}

#[tokio::test]
async fn invalid_amounts_and_keys_are_refused_before_anything_is_recorded() {
    let sim = simulator();
    let too_large = authorise(&sim, "a1", &card(VISA), usd(1_000_000)).await;
    assert_eq!(too_large, Err(GatewayError::AmountTooLarge));
    let zero = authorise(&sim, "a2", &card(VISA), usd(0)).await;
    assert!(matches!(zero, Err(GatewayError::InvalidRequest(_))));
    let no_key = authorise(&sim, "", &card(VISA), usd(10)).await;
    assert!(matches!(no_key, Err(GatewayError::InvalidRequest(_))));
    let long_key = "k".repeat(256);
    let long = authorise(&sim, &long_key, &card(VISA), usd(10)).await;
    assert!(matches!(long, Err(GatewayError::InvalidRequest(_))));
    assert_eq!(sim.authorisation_count(), 0);
    assert_eq!(sim.sync("a1").await, Ok(None));
}

#[tokio::test]
async fn a_timeout_after_processing_is_resolved_by_sync_to_the_recorded_authorisation() {
    let sim = simulator();
    sim.fail_next(FailureMode::TimeoutAfterProcessing, 1);
    let lost = authorise(&sim, "attempt-1", &card(VISA), usd(30_000)).await;
    let error = lost.expect_err("the answer is lost");
    assert_eq!(error, GatewayError::Timeout);
    assert!(error.in_doubt());
    assert_eq!(sim.authorisation_count(), 1, "the hold was placed");

    let synced = sim.sync("attempt-1").await.expect("sync answers");
    let Some(SyncedOperation::Authorise(AuthoriseOutcome::Authorised(auth))) = synced else {
        panic!("sync must return the recorded authorisation: {synced:?}");
    };
    assert_eq!(auth.amount, usd(30_000));
    let retried = authorise(&sim, "attempt-1", &card(VISA), usd(30_000))
        .await
        .expect("a retry under the same key");
    assert_eq!(retried, AuthoriseOutcome::Authorised(auth));
    assert_eq!(
        sim.authorisation_count(),
        1,
        "the retry charged nothing more"
    );
}

#[tokio::test]
async fn a_timeout_before_processing_syncs_to_nothing() {
    let sim = simulator();
    sim.fail_next(FailureMode::TimeoutBeforeProcessing, 1);
    let lost = authorise(&sim, "attempt-1", &card(VISA), usd(30_000)).await;
    assert_eq!(lost, Err(GatewayError::Timeout));
    assert_eq!(sim.sync("attempt-1").await, Ok(None));
    assert_eq!(sim.authorisation_count(), 0);
    assert_eq!(sim.operations_for("attempt-1"), 0);
}

#[tokio::test]
async fn an_unavailable_processor_is_in_doubt_and_records_nothing() {
    let sim = simulator();
    sim.fail_next(FailureMode::Unavailable, 2);
    let first = authorise(&sim, "attempt-1", &card(VISA), usd(10)).await;
    let error = first.expect_err("503");
    assert!(matches!(error, GatewayError::Unavailable(_)));
    assert!(error.in_doubt());
    assert!(matches!(
        sim.sync("attempt-1").await,
        Err(GatewayError::Unavailable(_))
    ));
    assert_eq!(
        sim.sync("attempt-1").await,
        Ok(None),
        "the faults are spent"
    );
}

#[tokio::test]
async fn a_capture_lost_after_processing_syncs_to_the_capture() {
    let sim = simulator();
    let auth = authorised(&sim, "auth-1", usd(500)).await;
    sim.fail_next(FailureMode::TimeoutAfterProcessing, 1);
    let lost = sim
        .capture("capture-1", &auth.processor_ref, usd(500))
        .await;
    assert_eq!(lost, Err(GatewayError::Timeout));
    let synced = sim.sync("capture-1").await.expect("sync answers");
    let Some(SyncedOperation::Capture(record)) = synced else {
        panic!("sync must return the capture: {synced:?}");
    };
    assert_eq!(record.amount, usd(500));
}

#[tokio::test(start_paused = true)]
async fn the_latency_knob_delays_every_answer() {
    let sim = simulator();
    sim.set_latency(Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    authorised(&sim, "attempt-1", usd(10)).await;
    assert!(started.elapsed() >= Duration::from_secs(3));
    let started = tokio::time::Instant::now();
    sim.sync("attempt-1").await.expect("sync answers");
    assert!(started.elapsed() >= Duration::from_secs(3));

    sim.set_latency(Duration::ZERO);
    let started = tokio::time::Instant::now();
    sim.sync("attempt-1").await.expect("sync answers");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_hold_lapses_after_seven_days_and_can_no_longer_be_captured() {
    let clock = Arc::new(AtomicI64::new(NOW));
    let reading = Arc::clone(&clock);
    let sim = Simulator::new().with_clock(move || reading.load(Ordering::SeqCst));
    let auth = authorised(&sim, "auth-1", usd(100)).await;
    assert_eq!(auth.expires_at_unix, NOW + AUTHORISATION_VALIDITY_SECS);

    clock.store(auth.expires_at_unix - 1, Ordering::SeqCst);
    let state = sim
        .payment(&auth.processor_ref)
        .expect("in the ledger")
        .state;
    assert_eq!(state, PaymentState::Authorised);

    clock.store(auth.expires_at_unix, Ordering::SeqCst);
    let state = sim
        .payment(&auth.processor_ref)
        .expect("in the ledger")
        .state;
    assert_eq!(state, PaymentState::Expired);
    let capture = sim
        .capture("capture-1", &auth.processor_ref, usd(100))
        .await;
    assert!(matches!(capture, Err(GatewayError::InvalidState(_))));
}

#[test]
fn the_card_secret_never_prints_its_digits() {
    let details = card(VISA);
    for shown in [
        format!("{:?}", details.number),
        format!("{}", details.number),
        format!("{details:?}"),
        format!("{details:#?}"),
    ] {
        assert!(!shown.contains(VISA), "{shown}");
        assert!(!shown.contains("42424242"), "{shown}");
    }
    assert_eq!(format!("{:?}", details.number), "CardSecret(••••4242)");
    assert_eq!(format!("{:?}", details.cvc), "CvcSecret(•••)");
}

// The ledger on disk: a processor does not forget a payment when the maison
// (or the simulator) restarts, and several maisons share one processor.

fn journaled(path: &std::path::Path) -> Simulator {
    Simulator::open(path)
        .expect("the journal opens")
        .with_clock(|| NOW)
}

#[tokio::test]
async fn a_journaled_ledger_survives_a_restart_with_its_payments_keys_and_tokens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.jsonl");
    let first = journaled(&path);
    let held = authorised(&first, "attempt-1", usd(30_500)).await;
    let captured = authorised(&first, "attempt-2", usd(4_950)).await;
    first
        .capture("capture-2", &captured.processor_ref, usd(4_950))
        .await
        .expect("captured");
    first
        .refund("refund-2", &captured.processor_ref, usd(950))
        .await
        .expect("refunded");
    let declined_before = declined(&first, "4000000000000002").await;
    drop(first);

    let again = journaled(&path);
    assert_eq!(again.authorisation_count(), 2);
    let payment = again
        .payment(&held.processor_ref)
        .expect("the hold is known");
    assert_eq!(payment.state, PaymentState::Authorised);
    assert_eq!(payment.authorised, usd(30_500));
    let payment = again
        .payment(&captured.processor_ref)
        .expect("the capture is known");
    assert_eq!(payment.state, PaymentState::Captured);
    assert_eq!(payment.captured, Some(usd(4_950)));
    assert_eq!(payment.refunded, usd(950));
    // What was answered before the restart is answered again, not redone.
    assert_eq!(
        again.sync("attempt-1").await.expect("synced"),
        Some(SyncedOperation::Authorise(AuthoriseOutcome::Authorised(
            held.clone()
        )))
    );
    assert_eq!(authorised(&again, "attempt-1", usd(30_500)).await, held);
    assert_eq!(declined(&again, "4000000000000002").await, declined_before);
    assert_eq!(again.operations_for("attempt-1"), 1);
    // The card keeps its token, and a hold by token works after the restart.
    let renewed = again
        .authorise_token(maison_payments::TokenAuthoriseRequest {
            idempotency_key: "renewal-1",
            amount: usd(30_500),
            card_token: &held.card_token,
            reference: "MA-7K2Q9X",
        })
        .await
        .expect("answered");
    assert!(
        matches!(renewed, AuthoriseOutcome::Authorised(_)),
        "{renewed:?}"
    );
    // A new payment never reuses a reference given before the restart.
    let third = authorised(&again, "attempt-3", usd(100)).await;
    assert_ne!(third.processor_ref, held.processor_ref);
    assert_ne!(third.processor_ref, captured.processor_ref);
}

#[tokio::test]
async fn two_simulators_on_one_journal_are_one_processor() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.jsonl");
    let a = journaled(&path);
    let b = journaled(&path);
    let held = authorised(&a, "attempt-a", usd(1_000)).await;
    // The other instance's recovery asks about the key: the processor knows it.
    assert!(matches!(
        b.sync("attempt-a").await.expect("synced"),
        Some(SyncedOperation::Authorise(AuthoriseOutcome::Authorised(_)))
    ));
    b.void("void-a", &held.processor_ref).await.expect("voided");
    assert_eq!(
        a.payment(&held.processor_ref).map(|p| p.state),
        Some(PaymentState::Voided)
    );
    // The same key through the other instance replays, never charges twice.
    assert_eq!(authorised(&b, "attempt-a", usd(1_000)).await, held);
    let (ours, theirs) = tokio::join!(
        authorised(&a, "attempt-c", usd(10)),
        authorised(&b, "attempt-d", usd(20))
    );
    assert_ne!(ours.processor_ref, theirs.processor_ref);
    assert_eq!(a.authorisation_count(), 3);
    assert_eq!(b.authorisation_count(), 3);
    assert_eq!(a.list_payments().await.expect("listed").len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_payments_through_two_instances_are_all_on_disk_when_answered() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.jsonl");
    let instances = [Arc::new(journaled(&path)), Arc::new(journaled(&path))];
    let mut payments = tokio::task::JoinSet::new();
    for i in 0..40 {
        let simulator = Arc::clone(&instances[i % 2]);
        payments.spawn(async move {
            let key = format!("attempt-{i}");
            let held = authorised(&*simulator, &key, usd(100 + i as i64)).await;
            (key, held)
        });
    }
    let answered = payments.join_all().await;
    drop(instances);

    // Every answer was on disk before it left: a restart finds each hold
    // once, and the same key replays it.
    let again = journaled(&path);
    assert_eq!(again.authorisation_count(), 40);
    for (key, held) in answered {
        assert_eq!(again.operations_for(&key), 1, "{key}");
        assert_eq!(
            again.payment(&held.processor_ref).map(|p| p.state),
            Some(PaymentState::Authorised),
            "{key}"
        );
        assert_eq!(authorised(&again, &key, held.amount).await, held);
    }
}

#[tokio::test]
async fn a_line_torn_by_a_crash_is_cut_off_and_the_rest_is_kept() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.jsonl");
    let first = journaled(&path);
    let held = authorised(&first, "attempt-1", usd(500)).await;
    drop(first);
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("journal");
    file.write_all(br#"{"key":"attempt-2","currency":"US"#)
        .expect("torn write");
    drop(file);
    let again = journaled(&path);
    assert_eq!(again.authorisation_count(), 1);
    assert_eq!(again.sync("attempt-2").await.expect("synced"), None);
    let second = authorised(&again, "attempt-2", usd(700)).await;
    assert_ne!(second.processor_ref, held.processor_ref);
    drop(again);
    assert_eq!(journaled(&path).authorisation_count(), 2);
    let text = std::fs::read_to_string(&path).expect("journal");
    for line in text.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "the torn line is gone: {line}"
        );
    }
    assert!(
        !text.contains("4242424242424242") && !text.contains("Lovelace"),
        "no card number nor name on disk"
    );
}

#[tokio::test]
async fn a_corrupt_journal_is_an_error_not_an_empty_ledger() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("ledger.jsonl");
    std::fs::write(&path, "not a journal\n").expect("written");
    assert!(Simulator::open(&path).is_err());
}

#[tokio::test]
async fn fault_rates_draw_each_fault_and_nothing_is_charged_twice() {
    let gateway = simulator();
    gateway.set_fault_rates(maison_payments::FaultRates {
        timeout_before_processing: 0.2,
        timeout_after_processing: 0.2,
        unavailable: 0.2,
    });
    let (mut timeouts, mut unavailable, mut answered) = (0, 0, 0);
    for i in 0..200 {
        let key = format!("attempt-{i}");
        match authorise(&gateway, &key, &card(VISA), usd(10)).await {
            Ok(_) => answered += 1,
            Err(GatewayError::Timeout) => timeouts += 1,
            Err(GatewayError::Unavailable(_)) => unavailable += 1,
            Err(other) => panic!("{other:?}"),
        }
        assert!(gateway.operations_for(&key) <= 1);
    }
    assert!(
        timeouts > 20 && unavailable > 5 && answered > 40,
        "{timeouts} {unavailable} {answered}"
    );
    // Holds were placed for the answered ones and for the answers lost after processing only.
    assert!(gateway.authorisation_count() > answered);
    assert!(gateway.authorisation_count() < answered + timeouts);
}
