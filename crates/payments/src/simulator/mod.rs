//! The built-in payment processor simulator: the default gateway of a demo and of tests.
//!
//! It answers the public test cards (docs.stripe.com/testing, and the test numbers
//! other processors publish for the accepted brands) as a processor in test mode
//! does, and declines every other number, so that no real card is typed into a
//! demo. It keeps an in-memory ledger: per idempotency key, the request's fingerprint
//! and the first answer (a replay returns it without a second charge, another request
//! under the same key is a conflict); per payment, the lifecycle Authorised →
//! Captured (→ refunds) or → Voided, and the hold's expiry. Knobs inject latency,
//! timeouts before or after processing, and unavailability, for the in-doubt paths.
//!
//! By default the ledger lives as long as the process; [`Simulator::open`] keeps
//! it in a journal file instead, which survives a crash and which several
//! processes may share, as several maisons share one processor. Faults can also
//! be drawn at random ([`FaultRates`]), for a demo or a load test of the
//! recovery paths.
//! The simulator never logs a card number or a CVC: only the last four and the key.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use maison_domain::Money;
use maison_domain::card::CardBrand;

use crate::{
    Authorisation, AuthoriseOutcome, AuthoriseRequest, BoxFuture, Decline, DeclineReason,
    GatewayError, OperationRecord, PaymentGateway, PaymentSnapshot, PaymentState, SyncedOperation,
    TokenAuthoriseRequest,
};

mod journal;

/// How long a hold lasts: 7 days, card-not-present, for every accepted brand.
pub const AUTHORISATION_VALIDITY_SECS: i64 = 7 * 24 * 60 * 60;

/// The largest amount the simulator accepts, in minor units (USD 999,999.99, as
/// Stripe's limit); beyond it, [`GatewayError::AmountTooLarge`].
pub const MAX_AMOUNT_MINOR: i64 = 99_999_999;

/// The longest idempotency key accepted.
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 255;

/// The success numbers of the public test cards of every brand the maison
/// accepts, as the processors publish them for their test modes: Stripe
/// (docs.stripe.com/testing, today's table and its earlier editions), Braintree
/// and PayPal, Authorize.net, Adyen and NMI. Each passes the maison's own card
/// checks (brand, length, Luhn) as the brand beside it. A number that only one
/// processor's network rules would take is not here: Authorize.net's JCB
/// 3088 0000 0000 0017 lies outside the JCB range the maison recognises.
const APPROVED_TEST_CARDS: &[(&str, CardBrand)] = &[
    // Visa: Stripe.
    ("4242424242424242", CardBrand::Visa),
    ("4000056655665556", CardBrand::Visa),
    // Mastercard: Stripe.
    ("5555555555554444", CardBrand::Mastercard),
    ("5200828282828210", CardBrand::Mastercard),
    ("5105105105105100", CardBrand::Mastercard),
    // Mastercard 2-series: Stripe; Braintree; Authorize.net; Adyen.
    ("2223003122003222", CardBrand::Mastercard),
    ("2223000048400011", CardBrand::Mastercard),
    ("2223000010309703", CardBrand::Mastercard),
    ("2223000010309711", CardBrand::Mastercard),
    ("2222400010000008", CardBrand::Mastercard),
    ("2222400030000004", CardBrand::Mastercard),
    ("2222400050000009", CardBrand::Mastercard),
    ("2222400060000007", CardBrand::Mastercard),
    ("2222400070000005", CardBrand::Mastercard),
    ("2222410740360010", CardBrand::Mastercard),
    ("2223000048410010", CardBrand::Mastercard),
    ("2223520443560010", CardBrand::Mastercard),
    // American Express: Stripe, Braintree and PayPal (with the Corporate card);
    // Authorize.net and Adyen; NMI.
    ("378282246310005", CardBrand::Amex),
    ("371449635398431", CardBrand::Amex),
    ("378734493671000", CardBrand::Amex),
    ("370000000000002", CardBrand::Amex),
    ("370000000100018", CardBrand::Amex),
    ("341111111111111", CardBrand::Amex),
    // Discover: Stripe (with the debit card); Braintree and NMI; Authorize.net;
    // Adyen.
    ("6011111111111117", CardBrand::Discover),
    ("6011000990139424", CardBrand::Discover),
    ("6011981111111113", CardBrand::Discover),
    ("6011000991300009", CardBrand::Discover),
    ("6011000000000012", CardBrand::Discover),
    ("6011601160116611", CardBrand::Discover),
    ("6445644564456445", CardBrand::Discover),
    // Diners Club: Stripe today (16 and 14 digits) and earlier, Braintree and
    // PayPal (30569309025904, 38520000023237); Braintree; Authorize.net; Adyen; NMI.
    ("3056930009020004", CardBrand::Diners),
    ("36227206271667", CardBrand::Diners),
    ("30569309025904", CardBrand::Diners),
    ("38520000023237", CardBrand::Diners),
    ("36259600000004", CardBrand::Diners),
    ("38000000000006", CardBrand::Diners),
    ("36006666333344", CardBrand::Diners),
    ("36070500001020", CardBrand::Diners),
    ("30205252489926", CardBrand::Diners),
    // JCB: Stripe, Braintree and PayPal; Adyen; NMI.
    ("3566002020360505", CardBrand::Jcb),
    ("3530111333300000", CardBrand::Jcb),
    ("3569990010095841", CardBrand::Jcb),
    ("3541963594572595", CardBrand::Jcb),
];

/// The decline numbers of the public test cards.
const DECLINED_TEST_CARDS: [(&str, DeclineReason); 8] = [
    ("4000000000000002", DeclineReason::Generic),
    ("4000000000009995", DeclineReason::InsufficientFunds),
    ("4000000000009987", DeclineReason::LostOrStolen),
    ("4000000000009979", DeclineReason::LostOrStolen),
    ("4000000000000127", DeclineReason::IncorrectCvc),
    ("4000000000000069", DeclineReason::ExpiredCard),
    ("4000000000000119", DeclineReason::ProcessingError),
    // The CVC check fails: declined on the security code.
    ("4000000000000101", DeclineReason::IncorrectCvc),
];

/// The answer a processor in test mode gives for `number`: `None` approves.
fn test_card_decline(number: &str) -> Option<DeclineReason> {
    if APPROVED_TEST_CARDS.iter().any(|(card, _)| *card == number) {
        return None;
    }
    let reason = DECLINED_TEST_CARDS
        .iter()
        .find(|(card, _)| *card == number)
        .map_or(DeclineReason::Generic, |(_, reason)| *reason);
    Some(reason)
}

/// A fault to inject into the next operations (any of the five, in call order).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureMode {
    /// The request is lost on the way: nothing is recorded, the caller gets `Timeout`.
    TimeoutBeforeProcessing,
    /// The processor records the operation, the answer is lost: `Timeout`, in doubt
    /// until `sync` tells what happened.
    TimeoutAfterProcessing,
    /// The processor answers 503 without processing: `Unavailable`, nothing recorded.
    Unavailable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Authorised,
    Captured { captured: Money, refunded: Money },
    Voided,
}

#[derive(Debug, Clone)]
struct Payment {
    processor_ref: String,
    reference: String,
    card_last4: String,
    authorised: Money,
    expires_at_unix: i64,
    stage: Stage,
}

impl Payment {
    fn state(&self, now_unix: i64) -> PaymentState {
        match self.stage {
            Stage::Authorised if now_unix >= self.expires_at_unix => PaymentState::Expired,
            Stage::Authorised => PaymentState::Authorised,
            Stage::Captured { .. } => PaymentState::Captured,
            Stage::Voided => PaymentState::Voided,
        }
    }

    fn snapshot(&self, now_unix: i64) -> PaymentSnapshot {
        let (captured, refunded) = match self.stage {
            Stage::Captured { captured, refunded } => (Some(captured), refunded),
            Stage::Authorised | Stage::Voided => (None, Money::new(0, self.authorised.currency())),
        };
        PaymentSnapshot {
            processor_ref: self.processor_ref.clone(),
            reference: self.reference.clone(),
            card_last4: self.card_last4.clone(),
            authorised: self.authorised,
            captured,
            refunded,
            state: self.state(now_unix),
            expires_at_unix: self.expires_at_unix,
        }
    }
}

/// What makes two requests under one key the same request (never the card number).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fingerprint {
    Authorise {
        amount: Money,
        card_token: String,
        reference: String,
    },
    Capture {
        processor_ref: String,
        amount: Money,
    },
    Void {
        processor_ref: String,
    },
    Refund {
        processor_ref: String,
        amount: Money,
    },
}

#[derive(Debug)]
struct Recorded {
    fingerprint: Fingerprint,
    result: SyncedOperation,
}

/// The simulator's memory: idempotency records, payments, knobs and counters.
#[derive(Debug, Default)]
struct Ledger {
    by_key: HashMap<String, Recorded>,
    payments: Vec<Payment>,
    payment_index: HashMap<String, usize>,
    /// Every key the processor executed (not replayed), in order.
    executed: Vec<String>,
    refund_seq: u64,
    latency: Duration,
    failures: VecDeque<FailureMode>,
    /// The cards the processor has seen, by token: their last four and how
    /// the test card behaves.
    cards: HashMap<String, KnownCard>,
    /// Declines to answer to the next authorisations by token (a card that
    /// has since reached its limit, been blocked...).
    token_declines: VecDeque<DeclineReason>,
    /// Faults drawn at random, after the queued ones.
    fault_rates: FaultRates,
    draws: u64,
    /// The ledger's file, when it is kept on disk.
    journal: Option<journal::Journal>,
}

/// The share (0.0 to 1.0) of operations that meet each fault, drawn at random.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultRates {
    pub timeout_before_processing: f64,
    pub timeout_after_processing: f64,
    pub unavailable: f64,
}

#[derive(Debug, Clone)]
struct KnownCard {
    last4: String,
    decline: Option<DeclineReason>,
}

impl Ledger {
    /// A fault drawn at the configured rates, if any.
    fn draw_fault(&mut self) -> Option<FailureMode> {
        let rates = self.fault_rates;
        if rates == FaultRates::default() {
            return None;
        }
        self.draws += 1;
        let draw = RandomState::new().hash_one(self.draws) as f64 / u64::MAX as f64;
        let mut threshold = 0.0;
        for (rate, mode) in [
            (
                rates.timeout_before_processing,
                FailureMode::TimeoutBeforeProcessing,
            ),
            (
                rates.timeout_after_processing,
                FailureMode::TimeoutAfterProcessing,
            ),
            (rates.unavailable, FailureMode::Unavailable),
        ] {
            threshold += rate;
            if draw < threshold {
                return Some(mode);
            }
        }
        None
    }

    fn payment_mut(&mut self, processor_ref: &str) -> Result<&mut Payment, GatewayError> {
        let index = *self
            .payment_index
            .get(processor_ref)
            .ok_or_else(|| GatewayError::UnknownReference(processor_ref.to_owned()))?;
        self.payments
            .get_mut(index)
            .ok_or_else(|| GatewayError::UnknownReference(processor_ref.to_owned()))
    }
}

type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

fn system_now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The simulator processor: a cheap, clonable handle over one shared ledger.
#[derive(Clone)]
pub struct Simulator {
    ledger: Arc<Mutex<Ledger>>,
    clock: Clock,
    /// Keys the card tokens, so that a token cannot be reversed by hashing candidates.
    token_key: u64,
    /// Distinguishes this ledger's references from another instance's (a restart).
    instance: u32,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("instance", &format_args!("{:08x}", self.instance))
            .finish_non_exhaustive()
    }
}

impl Default for Simulator {
    fn default() -> Self {
        Simulator::new()
    }
}

impl Simulator {
    /// An empty ledger on the system clock, with a random token key.
    pub fn new() -> Self {
        let random = RandomState::new();
        let token_key = random.hash_one("token");
        let instance = (random.hash_one("instance") >> 32) as u32;
        Simulator {
            ledger: Arc::new(Mutex::new(Ledger::default())),
            clock: Arc::new(system_now_unix),
            token_key,
            instance,
        }
    }

    /// A simulator whose ledger is the journal file at `path` (created when
    /// missing), shared with every other process that opens the same file.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut simulator = Simulator::new();
        let (journal, token_key) = journal::Journal::open(path, simulator.token_key)?;
        simulator.token_key = token_key;
        simulator.lock().journal = Some(journal);
        simulator
            .with_ledger(|_| ())
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(simulator)
    }

    /// The same simulator reading the time (UTC seconds) from `now_unix`, for tests.
    pub fn with_clock(mut self, now_unix: impl Fn() -> i64 + Send + Sync + 'static) -> Self {
        self.clock = Arc::new(now_unix);
        self
    }

    /// The same simulator with a fixed token key: card tokens then stay the same
    /// across instances (and restarts) that share the key.
    pub fn with_token_key(mut self, key: u64) -> Self {
        self.token_key = key;
        self
    }

    /// Every operation waits `latency` before answering.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// The next `n` operations (any of the five, `sync` included, in call order) fail
    /// with `mode`; calls queue after failures already pending.
    pub fn fail_next(&self, mode: FailureMode, n: usize) {
        self.lock().failures.extend(std::iter::repeat_n(mode, n));
    }

    /// Every operation meets each fault with the given probability (after the
    /// faults queued by [`Simulator::fail_next`]).
    pub fn set_fault_rates(&self, rates: FaultRates) {
        self.lock().fault_rates = rates;
    }

    /// The next `n` authorisations by card token are declined with `reason`.
    pub fn decline_next_token_authorisations(&self, reason: DeclineReason, n: usize) {
        self.lock()
            .token_declines
            .extend(std::iter::repeat_n(reason, n));
    }

    /// How many authorisations (holds placed, whatever became of them) the ledger holds.
    pub fn authorisation_count(&self) -> usize {
        self.with_ledger(|l| l.payments.len()).unwrap_or(0)
    }

    /// How many times the processor executed an operation under `key`: replays of a
    /// recorded answer do not count, so this is never more than 1.
    pub fn operations_for(&self, key: &str) -> usize {
        self.with_ledger(|l| l.executed.iter().filter(|k| *k == key).count())
            .unwrap_or(0)
    }

    /// One payment, as the ledger holds it now.
    pub fn payment(&self, processor_ref: &str) -> Option<PaymentSnapshot> {
        let now = (self.clock)();
        self.with_ledger(|ledger| {
            let index = *ledger.payment_index.get(processor_ref)?;
            ledger.payments.get(index).map(|p| p.snapshot(now))
        })
        .ok()
        .flatten()
    }

    /// Every payment, in the order they were authorised.
    pub fn ledger_snapshot(&self) -> Vec<PaymentSnapshot> {
        self.list().unwrap_or_default()
    }

    fn list(&self) -> Result<Vec<PaymentSnapshot>, GatewayError> {
        let now = (self.clock)();
        self.with_ledger(|ledger| ledger.payments.iter().map(|p| p.snapshot(now)).collect())
    }

    /// Runs `work` on the ledger as every process sharing its journal sees
    /// it; an operation that `work` executes is on disk before this returns.
    /// The ledger's lock is not held across the fsync, which concurrent
    /// operations share (see `journal::Durable`). (Handing the wait to
    /// `tokio::task::block_in_place` was measured: it cost more throughput
    /// than it gave.)
    fn with_ledger<T>(&self, work: impl FnOnce(&mut Ledger) -> T) -> Result<T, GatewayError> {
        let mut guard = self.lock();
        let ledger = &mut *guard;
        let Some(mut journal) = ledger.journal.take() else {
            return Ok(work(ledger));
        };
        let durable = journal.durable();
        let done = journal.lock_and_catch_up(ledger).and_then(|()| {
            let before = ledger.executed.len();
            let out = work(ledger);
            let appended = match ledger.executed.get(before).cloned() {
                Some(key) => journal.append(ledger, &key).map(Some),
                None => Ok(None),
            };
            let unlocked = journal.unlock();
            appended.and_then(|end| unlocked.map(|()| (out, end)))
        });
        ledger.journal = Some(journal);
        drop(guard);
        // The fsync, shared with the operations appended meanwhile.
        let done = done.and_then(|(out, end)| match end {
            Some(end) => durable.wait(end).map(|()| out),
            None => Ok(out),
        });
        done.map_err(|e| {
            tracing::error!(error = %e, "simulator journal");
            GatewayError::Unavailable(format!("the simulator's ledger is unreadable: {e}"))
        })
    }

    /// The ledger stays consistent at every step (no update can panic half-way),
    /// so a poisoned lock is still usable.
    fn lock(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn keyed_hash(&self, domain: &str, data: &[u8]) -> u64 {
        let mut hasher = DefaultHasher::new();
        hasher.write_u64(self.token_key);
        hasher.write(domain.as_bytes());
        hasher.write_u8(0xff);
        hasher.write(data);
        hasher.finish()
    }

    /// The processor's opaque token of a card: the same card gives the same token,
    /// and the token tells nothing of the number.
    fn card_token(&self, number: &str) -> String {
        let high = self.keyed_hash("card-token-1", number.as_bytes());
        let low = self.keyed_hash("card-token-2", number.as_bytes());
        format!("tok_sim_{high:016x}{low:016x}")
    }

    /// The way to the processor: the latency, then the injected fault, if any.
    /// `Ok(true)` means the processor will process the request but its answer
    /// will be lost.
    async fn arrive(&self) -> Result<bool, GatewayError> {
        let latency = self.lock().latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let failure = {
            let mut ledger = self.lock();
            let queued = ledger.failures.pop_front();
            queued.or_else(|| ledger.draw_fault())
        };
        match failure {
            None => Ok(false),
            Some(FailureMode::TimeoutAfterProcessing) => Ok(true),
            Some(FailureMode::TimeoutBeforeProcessing) => Err(GatewayError::Timeout),
            Some(FailureMode::Unavailable) => Err(GatewayError::Unavailable(
                "simulated 503 Service Unavailable".to_owned(),
            )),
        }
    }

    /// Arrives, then does `work` under the ledger's lock (never held across an await).
    async fn answer(
        &self,
        work: impl FnOnce(&mut Ledger, i64) -> Result<SyncedOperation, GatewayError>,
    ) -> Result<SyncedOperation, GatewayError> {
        let lose_answer = self.arrive().await?;
        let now = (self.clock)();
        let result = self.with_ledger(|ledger| work(ledger, now))?;
        if lose_answer {
            tracing::info!("simulator: answer lost after processing (simulated timeout)");
            return Err(GatewayError::Timeout);
        }
        result
    }
}

fn check_key(key: &str) -> Result<(), GatewayError> {
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(GatewayError::InvalidRequest(format!(
            "an idempotency key has 1 to {MAX_IDEMPOTENCY_KEY_LEN} characters"
        )));
    }
    Ok(())
}

fn check_amount(amount: Money) -> Result<(), GatewayError> {
    if amount.minor() <= 0 {
        return Err(GatewayError::InvalidRequest(
            "the amount must be positive".to_owned(),
        ));
    }
    if amount.minor() > MAX_AMOUNT_MINOR {
        return Err(GatewayError::AmountTooLarge);
    }
    Ok(())
}

fn check_currency(amount: Money, payment: &Payment) -> Result<(), GatewayError> {
    if amount.currency() != payment.authorised.currency() {
        return Err(GatewayError::InvalidRequest(format!(
            "the payment is in {}, not {}",
            payment.authorised.currency().code(),
            amount.currency().code()
        )));
    }
    Ok(())
}

/// The idempotency rule: a recorded key replays its answer if the request is the
/// same, conflicts otherwise; a new key executes once and records its answer.
/// Failures of `execute` record nothing and may be retried under the same key.
fn once(
    ledger: &mut Ledger,
    key: &str,
    fingerprint: Fingerprint,
    execute: impl FnOnce(&mut Ledger) -> Result<SyncedOperation, GatewayError>,
) -> Result<SyncedOperation, GatewayError> {
    if let Some(recorded) = ledger.by_key.get(key) {
        return if recorded.fingerprint == fingerprint {
            tracing::debug!(key, "simulator: replaying the recorded answer");
            Ok(recorded.result.clone())
        } else {
            Err(GatewayError::IdempotencyConflict(key.to_owned()))
        };
    }
    let result = execute(ledger)?;
    ledger.by_key.insert(
        key.to_owned(),
        Recorded {
            fingerprint,
            result: result.clone(),
        },
    );
    ledger.executed.push(key.to_owned());
    Ok(result)
}

/// A hold to place on a card the processor accepted.
struct Hold {
    instance: u32,
    auth_code: String,
    card_token: String,
    last4: String,
    amount: Money,
    reference: String,
    now: i64,
}

fn place_hold(ledger: &mut Ledger, h: Hold) -> AuthoriseOutcome {
    let processor_ref = format!("sim_pay_{:08x}_{:x}", h.instance, ledger.payments.len() + 1);
    let authorisation = Authorisation {
        processor_ref: processor_ref.clone(),
        auth_code: h.auth_code,
        card_token: h.card_token,
        amount: h.amount,
        expires_at_unix: h.now.saturating_add(AUTHORISATION_VALIDITY_SECS),
    };
    ledger
        .payment_index
        .insert(processor_ref.clone(), ledger.payments.len());
    ledger.payments.push(Payment {
        processor_ref,
        reference: h.reference,
        card_last4: h.last4,
        authorised: h.amount,
        expires_at_unix: authorisation.expires_at_unix,
        stage: Stage::Authorised,
    });
    AuthoriseOutcome::Authorised(authorisation)
}

/// The fingerprint matched, so the recorded answer is of the same kind; anything
/// else is a bug in the simulator, reported rather than panicking.
fn kind_mismatch() -> GatewayError {
    GatewayError::Unavailable("simulator ledger holds another kind of answer".to_owned())
}

impl PaymentGateway for Simulator {
    fn name(&self) -> &'static str {
        "simulator"
    }

    fn authorise<'a>(
        &'a self,
        req: AuthoriseRequest<'a>,
    ) -> BoxFuture<'a, Result<AuthoriseOutcome, GatewayError>> {
        Box::pin(async move {
            let key = req.idempotency_key;
            let last4 = req.card.number.last4();
            check_key(key)?;
            check_amount(req.amount)?;
            let card_token = self.card_token(req.card.number.expose());
            let decline = test_card_decline(req.card.number.expose());
            let fingerprint = Fingerprint::Authorise {
                amount: req.amount,
                card_token: card_token.clone(),
                reference: req.reference.to_owned(),
            };
            let instance = self.instance;
            let auth_code = format!(
                "{:06}",
                self.keyed_hash("auth-code", key.as_bytes()) % 1_000_000
            );
            let answer = self
                .answer(|ledger, now| {
                    ledger.cards.insert(
                        card_token.clone(),
                        KnownCard {
                            last4: last4.to_owned(),
                            decline,
                        },
                    );
                    once(ledger, key, fingerprint, |ledger| {
                        let outcome = match decline {
                            Some(reason) => AuthoriseOutcome::Declined(Decline::new(reason)),
                            None => place_hold(
                                ledger,
                                Hold {
                                    instance,
                                    auth_code,
                                    card_token,
                                    last4: last4.to_owned(),
                                    amount: req.amount,
                                    reference: req.reference.to_owned(),
                                    now,
                                },
                            ),
                        };
                        Ok(SyncedOperation::Authorise(outcome))
                    })
                })
                .await;
            let outcome = match answer? {
                SyncedOperation::Authorise(outcome) => outcome,
                _ => return Err(kind_mismatch()),
            };
            match &outcome {
                AuthoriseOutcome::Authorised(a) => tracing::info!(
                    key,
                    last4,
                    reference = req.reference,
                    processor_ref = %a.processor_ref,
                    amount = %req.amount,
                    "simulator: authorised"
                ),
                AuthoriseOutcome::Declined(d) => tracing::info!(
                    key,
                    last4,
                    reference = req.reference,
                    decline = d.reason.code(),
                    "simulator: declined"
                ),
            }
            Ok(outcome)
        })
    }

    fn authorise_token<'a>(
        &'a self,
        req: TokenAuthoriseRequest<'a>,
    ) -> BoxFuture<'a, Result<AuthoriseOutcome, GatewayError>> {
        Box::pin(async move {
            let key = req.idempotency_key;
            check_key(key)?;
            check_amount(req.amount)?;
            let fingerprint = Fingerprint::Authorise {
                amount: req.amount,
                card_token: req.card_token.to_owned(),
                reference: req.reference.to_owned(),
            };
            let instance = self.instance;
            let auth_code = format!(
                "{:06}",
                self.keyed_hash("auth-code", key.as_bytes()) % 1_000_000
            );
            let answer = self
                .answer(|ledger, now| {
                    let card = ledger.cards.get(req.card_token).cloned().ok_or_else(|| {
                        GatewayError::InvalidRequest("unknown card token".to_owned())
                    })?;
                    once(ledger, key, fingerprint, |ledger| {
                        let decline = card.decline.or_else(|| ledger.token_declines.pop_front());
                        let outcome = match decline {
                            Some(reason) => AuthoriseOutcome::Declined(Decline::new(reason)),
                            None => place_hold(
                                ledger,
                                Hold {
                                    instance,
                                    auth_code,
                                    card_token: req.card_token.to_owned(),
                                    last4: card.last4.clone(),
                                    amount: req.amount,
                                    reference: req.reference.to_owned(),
                                    now,
                                },
                            ),
                        };
                        Ok(SyncedOperation::Authorise(outcome))
                    })
                })
                .await;
            match answer? {
                SyncedOperation::Authorise(outcome) => {
                    tracing::info!(key, reference = req.reference, amount = %req.amount, authorised = matches!(outcome, AuthoriseOutcome::Authorised(_)), "simulator: authorised by token");
                    Ok(outcome)
                }
                _ => Err(kind_mismatch()),
            }
        })
    }

    fn capture<'a>(
        &'a self,
        idempotency_key: &'a str,
        processor_ref: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<OperationRecord, GatewayError>> {
        Box::pin(async move {
            let key = idempotency_key;
            check_key(key)?;
            check_amount(amount)?;
            let fingerprint = Fingerprint::Capture {
                processor_ref: processor_ref.to_owned(),
                amount,
            };
            let answer = self
                .answer(|ledger, now| {
                    once(ledger, key, fingerprint, |ledger| {
                        let payment = ledger.payment_mut(processor_ref)?;
                        check_currency(amount, payment)?;
                        match payment.state(now) {
                            PaymentState::Authorised => {}
                            PaymentState::Expired => {
                                return Err(GatewayError::InvalidState(
                                    "the authorisation expired before capture".to_owned(),
                                ));
                            }
                            PaymentState::Captured => {
                                return Err(GatewayError::InvalidState(
                                    "the payment was already captured".to_owned(),
                                ));
                            }
                            PaymentState::Voided => {
                                return Err(GatewayError::InvalidState(
                                    "the authorisation was voided".to_owned(),
                                ));
                            }
                        }
                        if amount.minor() > payment.authorised.minor() {
                            return Err(GatewayError::AmountTooLarge);
                        }
                        payment.stage = Stage::Captured {
                            captured: amount,
                            refunded: Money::new(0, amount.currency()),
                        };
                        Ok(SyncedOperation::Capture(OperationRecord {
                            processor_ref: payment.processor_ref.clone(),
                            amount,
                        }))
                    })
                })
                .await;
            let record = match answer? {
                SyncedOperation::Capture(record) => record,
                _ => return Err(kind_mismatch()),
            };
            tracing::info!(key, processor_ref, amount = %amount, "simulator: captured");
            Ok(record)
        })
    }

    fn void<'a>(
        &'a self,
        idempotency_key: &'a str,
        processor_ref: &'a str,
    ) -> BoxFuture<'a, Result<OperationRecord, GatewayError>> {
        Box::pin(async move {
            let key = idempotency_key;
            check_key(key)?;
            let fingerprint = Fingerprint::Void {
                processor_ref: processor_ref.to_owned(),
            };
            let answer = self
                .answer(|ledger, now| {
                    once(ledger, key, fingerprint, |ledger| {
                        let payment = ledger.payment_mut(processor_ref)?;
                        match payment.state(now) {
                            PaymentState::Authorised => {}
                            PaymentState::Expired => {
                                return Err(GatewayError::InvalidState(
                                    "the authorisation already expired: nothing is held".to_owned(),
                                ));
                            }
                            PaymentState::Captured => {
                                return Err(GatewayError::InvalidState(
                                    "the payment was captured: refund it instead".to_owned(),
                                ));
                            }
                            PaymentState::Voided => {
                                return Err(GatewayError::InvalidState(
                                    "the authorisation was already voided".to_owned(),
                                ));
                            }
                        }
                        payment.stage = Stage::Voided;
                        Ok(SyncedOperation::Void(OperationRecord {
                            processor_ref: payment.processor_ref.clone(),
                            amount: payment.authorised,
                        }))
                    })
                })
                .await;
            let record = match answer? {
                SyncedOperation::Void(record) => record,
                _ => return Err(kind_mismatch()),
            };
            tracing::info!(key, processor_ref, "simulator: voided");
            Ok(record)
        })
    }

    fn refund<'a>(
        &'a self,
        idempotency_key: &'a str,
        processor_ref: &'a str,
        amount: Money,
    ) -> BoxFuture<'a, Result<OperationRecord, GatewayError>> {
        Box::pin(async move {
            let key = idempotency_key;
            check_key(key)?;
            check_amount(amount)?;
            let fingerprint = Fingerprint::Refund {
                processor_ref: processor_ref.to_owned(),
                amount,
            };
            let instance = self.instance;
            let answer = self
                .answer(|ledger, _now| {
                    once(ledger, key, fingerprint, |ledger| {
                        let payment = ledger.payment_mut(processor_ref)?;
                        check_currency(amount, payment)?;
                        let Stage::Captured { captured, refunded } = payment.stage else {
                            return Err(GatewayError::InvalidState(
                                "only a captured payment can be refunded".to_owned(),
                            ));
                        };
                        let remaining = captured.minor() - refunded.minor();
                        if amount.minor() > remaining {
                            return Err(GatewayError::AmountTooLarge);
                        }
                        payment.stage = Stage::Captured {
                            captured,
                            refunded: Money::new(
                                refunded.minor() + amount.minor(),
                                amount.currency(),
                            ),
                        };
                        ledger.refund_seq += 1;
                        Ok(SyncedOperation::Refund(OperationRecord {
                            processor_ref: format!(
                                "sim_ref_{instance:08x}_{:x}",
                                ledger.refund_seq
                            ),
                            amount,
                        }))
                    })
                })
                .await;
            let record = match answer? {
                SyncedOperation::Refund(record) => record,
                _ => return Err(kind_mismatch()),
            };
            tracing::info!(
                key,
                processor_ref,
                refund_ref = %record.processor_ref,
                amount = %amount,
                "simulator: refunded"
            );
            Ok(record)
        })
    }

    fn list_payments(&self) -> BoxFuture<'_, Result<Vec<PaymentSnapshot>, GatewayError>> {
        Box::pin(async move {
            if self.arrive().await? {
                return Err(GatewayError::Timeout);
            }
            self.list()
        })
    }

    fn sync<'a>(
        &'a self,
        idempotency_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<SyncedOperation>, GatewayError>> {
        Box::pin(async move {
            if self.arrive().await? {
                return Err(GatewayError::Timeout);
            }
            let found = self.with_ledger(|ledger| {
                ledger
                    .by_key
                    .get(idempotency_key)
                    .map(|recorded| recorded.result.clone())
            })?;
            tracing::info!(
                key = idempotency_key,
                found = found.is_some(),
                "simulator: sync"
            );
            Ok(found)
        })
    }
}

#[cfg(test)]
mod tests {
    use maison_domain::card::{CardInput, YearMonth, check_card};

    use super::*;

    #[test]
    fn every_published_test_number_of_an_accepted_brand_is_approved() {
        for number in [
            // Diners Club: 14 digits, as Stripe, Braintree and PayPal published it.
            "30569309025904",
            "3056930009020004",
            "36227206271667",
            "38520000023237",
            "38000000000006",
            // The others of the issue: JCB, Discover, Amex, Mastercard 2-series.
            "3530111333300000",
            "3566002020360505",
            "6011000990139424",
            "6011000000000012",
            "378734493671000",
            "370000000000002",
            "2223003122003222",
            "2223000048400011",
        ] {
            assert_eq!(test_card_decline(number), None, "{number}");
        }
    }

    #[test]
    fn every_approved_test_card_passes_the_maison_s_card_checks_as_its_brand() {
        let today = YearMonth {
            year: 2026,
            month: 1,
        };
        for (number, brand) in APPROVED_TEST_CARDS {
            let cvc = if *brand == CardBrand::Amex {
                "1234"
            } else {
                "123"
            };
            let input = CardInput {
                number,
                exp_month: 12,
                exp_year: 2034,
                cvc,
                holder_name: "Ada Lovelace",
            };
            let checked = check_card(&input, today, &CardBrand::ALL)
                .unwrap_or_else(|e| panic!("{number}: {e}"));
            assert_eq!(checked.brand, *brand, "{number}");
        }
        for brand in CardBrand::ALL {
            assert!(
                APPROVED_TEST_CARDS.iter().any(|(_, b)| *b == brand),
                "no test card for {brand:?}"
            );
        }
    }

    #[test]
    fn test_numbers_are_listed_once_and_never_both_approved_and_declined() {
        for (i, (number, _)) in APPROVED_TEST_CARDS.iter().enumerate() {
            assert!(
                APPROVED_TEST_CARDS[i + 1..]
                    .iter()
                    .all(|(n, _)| n != number),
                "{number} twice"
            );
            assert!(
                DECLINED_TEST_CARDS.iter().all(|(n, _)| n != number),
                "{number} approved and declined"
            );
        }
    }

    #[test]
    fn a_valid_diners_number_that_is_not_a_test_card_is_still_declined() {
        // Luhn-valid, 14 digits, Diners Club: a real card must never be charged.
        assert_eq!(
            test_card_decline("30569309025912"),
            Some(DeclineReason::Generic)
        );
    }
}
