//! The checkout sequence over HTTP, as a client does it: `POST /api/v1/bags`,
//! `POST /api/v1/bags/{id}/lines` with one piece, then `POST /api/v1/checkout`
//! with a fresh `Idempotency-Key`. Each client task keeps one keep-alive
//! HTTP/1.1 connection for its three requests, and every loop ends at its
//! deadline.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue, USER_AGENT};
use hyper::{Request, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until, timeout};

use crate::load::{CONNECT_BACKOFF, REQUEST_TIMEOUT, Target, connect, ready_sender};
use crate::run::snippet;
use crate::stats::micros;

type PostSender = SendRequest<Full<Bytes>>;

/// The checkout body of the crate `maison`'s tests (`tests/common/mod.rs`):
/// Claire Dubois, home delivery in New York, the Visa test card.
pub fn checkout_body(bag_id: &str) -> Value {
    json!({
        "bag_id": bag_id,
        "contact": {"first_name": "Claire", "last_name": "Dubois", "email": "claire@example.com", "phone": "212-555-0147"},
        "delivery": {"method": "home", "address": {
            "line1": "10 Park Avenue", "city": "New York", "region": "NY", "postal_code": "10016", "country": "US"}},
        "payment": {"card": {"number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2031, "cvc": "917", "holder_name": "CLAIRE DUBOIS"}},
        "accept_final_sale": false
    })
}

/// The body that puts one piece of `sku` in a bag.
pub fn line_body(sku: &str) -> Value {
    json!({"sku": sku, "quantity": 1})
}

/// The `id` of a bag from the body of `POST /api/v1/bags`, refused unless it
/// can go into a path as it is.
pub fn bag_id_of(body: &[u8]) -> Result<String> {
    let value: Value = serde_json::from_slice(body)
        .with_context(|| format!("the new bag is not JSON: {}", snippet(body)))?;
    let id = value
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| anyhow!("the new bag has no \"id\": {}", snippet(body)))?;
    if id.is_empty()
        || id.len() > 128
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(anyhow!("unexpected bag id {id:?}"));
    }
    Ok(id.to_owned())
}

/// What every client task shares: the server, the SKU and the source of
/// unique idempotency keys.
#[derive(Clone, Debug)]
pub struct CheckoutFlow {
    target: Target,
    line: Bytes,
    /// Unique to this process and its start time, so keys never repeat
    /// across runs, nor across benchmarks on one PostgreSQL database.
    key_prefix: Arc<str>,
    counter: Arc<AtomicU64>,
}

impl CheckoutFlow {
    pub fn new(target: &Target, sku: &str) -> Result<Self> {
        let line = serde_json::to_vec(&line_body(sku)).context("could not encode the line")?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        Ok(CheckoutFlow {
            target: target.clone(),
            line: Bytes::from(line),
            key_prefix: format!("maison-bench-{}-{nanos:x}", std::process::id()).into(),
            counter: Arc::new(AtomicU64::new(0)),
        })
    }

    /// A key no other request of this process has used.
    fn next_key(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n}", self.key_prefix)
    }

    fn post(&self, path: &str, body: Bytes, key: Option<&str>) -> Result<Request<Full<Bytes>>> {
        let mut request = Request::post(path)
            .header(HOST, self.target.host().clone())
            .header(USER_AGENT, HeaderValue::from_static("maison-bench"))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request
            .body(Full::new(body))
            .with_context(|| format!("could not build POST {path}"))
    }
}

/// Why a sequence did not end in an order.
#[derive(Debug)]
enum StepError {
    /// The server answered something other than the expected status.
    Status {
        step: &'static str,
        status: StatusCode,
        body: Bytes,
    },
    /// The answer itself was unusable (e.g. a bag without an id).
    Answer(anyhow::Error),
    /// Connect, send, read or timeout: the connection is dropped.
    Transport(anyhow::Error),
}

/// One request on `conn`, expecting `expected`; returns the body.
async fn step(
    conn: &mut (PostSender, u64),
    request: Request<Full<Bytes>>,
    step: &'static str,
    expected: StatusCode,
) -> Result<Bytes, StepError> {
    let exchange = async {
        conn.0.ready().await.context("the connection was closed")?;
        let response = conn
            .0
            .send_request(request)
            .await
            .context("request failed")?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .context("reading the response body failed")?
            .to_bytes();
        Ok::<_, anyhow::Error>((status, body))
    };
    let (status, body) = match timeout(REQUEST_TIMEOUT, exchange).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(err)) => return Err(StepError::Transport(err.context(step))),
        Err(_) => {
            return Err(StepError::Transport(anyhow!(
                "{step}: no complete response within {REQUEST_TIMEOUT:?}"
            )));
        }
    };
    conn.1 += 1;
    if status != expected {
        return Err(StepError::Status { step, status, body });
    }
    Ok(body)
}

/// When the checkout request of a completed sequence was sent and answered.
struct Completed {
    checkout_sent: Instant,
    done: Instant,
}

/// Bag, line, checkout on one connection.
async fn sequence(
    conn: &mut (PostSender, u64),
    flow: &CheckoutFlow,
) -> Result<Completed, StepError> {
    let request = flow
        .post("/api/v1/bags", Bytes::from_static(b"{}"), None)
        .map_err(StepError::Answer)?;
    let bag = step(conn, request, "POST /api/v1/bags", StatusCode::CREATED).await?;
    let bag_id = bag_id_of(&bag).map_err(StepError::Answer)?;
    let request = flow
        .post(
            &format!("/api/v1/bags/{bag_id}/lines"),
            flow.line.clone(),
            None,
        )
        .map_err(StepError::Answer)?;
    step(
        conn,
        request,
        "POST /api/v1/bags/{id}/lines",
        StatusCode::OK,
    )
    .await?;
    let body = serde_json::to_vec(&checkout_body(&bag_id))
        .context("could not encode the checkout")
        .map_err(StepError::Answer)?;
    let key = flow.next_key();
    let request = flow
        .post("/api/v1/checkout", Bytes::from(body), Some(&key))
        .map_err(StepError::Answer)?;
    let checkout_sent = Instant::now();
    step(conn, request, "POST /api/v1/checkout", StatusCode::CREATED).await?;
    Ok(Completed {
        checkout_sent,
        done: Instant::now(),
    })
}

/// One whole sequence on a fresh connection, to check that the flow works
/// before measuring it: the error names the step, the status and the body.
pub async fn check_one(flow: &CheckoutFlow) -> Result<()> {
    let sender = timeout(REQUEST_TIMEOUT, connect::<Full<Bytes>>(&flow.target))
        .await
        .map_err(|_| anyhow!("connecting to {} timed out", flow.target.addr()))??;
    let mut conn = (sender, 0);
    match sequence(&mut conn, flow).await {
        Ok(_) => Ok(()),
        Err(err) => Err(anyhow!("{}", describe(&err))),
    }
}

fn describe(err: &StepError) -> String {
    match err {
        StepError::Status { step, status, body } => {
            format!("{step} answered {status}: {}", snippet(body))
        }
        StepError::Answer(err) | StepError::Transport(err) => format!("{err:#}"),
    }
}

/// What one client task (then, merged, one run) saw.
#[derive(Debug, Default)]
pub struct FlowTally {
    /// Per order, µs of the checkout POST. Open loop: plus the time its
    /// sequence was held back past its scheduled start (see `worker`).
    pub checkout_us: Vec<u32>,
    /// Per order, µs of bag + line + checkout. Open loop: from the scheduled
    /// start when the sequence was held back.
    pub sequence_us: Vec<u32>,
    /// Open loop only: per order, µs of the checkout POST alone (service time).
    pub checkout_service_us: Vec<u32>,
    /// Open loop only: µs the generator started late on an idle connection.
    pub lag_us: Vec<u32>,
    /// Checkouts answered 201.
    pub orders: u64,
    /// Answers other than the expected 201 / 200 / 201 (in practice non-2xx).
    pub non_2xx: u64,
    /// Unusable answers (a bag without an id).
    pub bad_answers: u64,
    pub transport_errors: u64,
    pub reconnects: u64,
    /// Open loop only: sequences that were due before the deadline but never started.
    pub missed: u64,
    /// The first problem seen, with the answer's body.
    pub first_error: Option<String>,
}

impl FlowTally {
    fn error(&mut self, err: &StepError) {
        match err {
            StepError::Status { .. } => self.non_2xx += 1,
            StepError::Answer(_) => self.bad_answers += 1,
            StepError::Transport(_) => self.transport_errors += 1,
        }
        if self.first_error.is_none() {
            self.first_error = Some(describe(err));
        }
    }

    fn merge(&mut self, other: FlowTally) {
        self.checkout_us.extend_from_slice(&other.checkout_us);
        self.sequence_us.extend_from_slice(&other.sequence_us);
        self.checkout_service_us
            .extend_from_slice(&other.checkout_service_us);
        self.lag_us.extend_from_slice(&other.lag_us);
        self.orders += other.orders;
        self.non_2xx += other.non_2xx;
        self.bad_answers += other.bad_answers;
        self.transport_errors += other.transport_errors;
        self.reconnects += other.reconnects;
        self.missed += other.missed;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// A finished load phase.
#[derive(Debug)]
pub struct FlowOutcome {
    pub tally: FlowTally,
    /// From the start until the last client task finished.
    pub elapsed: Duration,
}

/// How a task paces its sequences.
#[derive(Clone, Copy, Debug)]
enum Pace {
    /// The next sequence starts as soon as the previous one ended.
    Closed,
    /// Sequence k starts at `start + offset + k * interval`.
    Open {
        start: Instant,
        offset: Duration,
        interval: Duration,
    },
}

/// One client task until `deadline`. Open loop, as in `load::open_worker`:
/// when the previous sequence held this one back past its scheduled start,
/// the sequence is timed from the scheduled start and the checkout POST is
/// charged the same wait, so a stall is counted instead of omitted; when the
/// connection was idle, timing starts at the actual send and the generator's
/// own lateness is kept apart (`lag_us`).
async fn worker(flow: CheckoutFlow, pace: Pace, deadline: Instant) -> FlowTally {
    let mut tally = FlowTally::default();
    let mut slot: Option<(PostSender, u64)> = None;
    let mut k: u32 = 0;
    let mut prev_done = match pace {
        Pace::Closed => Instant::now(),
        Pace::Open { start, .. } => start,
    };
    loop {
        let scheduled = match pace {
            Pace::Closed => {
                if Instant::now() >= deadline {
                    break;
                }
                None
            }
            Pace::Open {
                start,
                offset,
                interval,
            } => {
                let scheduled = start + offset + interval.saturating_mul(k);
                if scheduled >= deadline {
                    break;
                }
                if Instant::now() >= deadline {
                    let left = deadline.saturating_duration_since(scheduled).as_secs_f64();
                    tally.missed += (left / interval.as_secs_f64()).ceil() as u64;
                    break;
                }
                k = k.saturating_add(1);
                sleep_until(scheduled).await;
                Some(scheduled)
            }
        };
        let conn = match ready_sender(&mut slot, &flow.target, &mut tally.reconnects).await {
            Ok(conn) => conn,
            Err(err) => {
                tally.error(&StepError::Transport(err));
                prev_done = Instant::now();
                if scheduled.is_none() {
                    // Closed loop: don't hammer a dead server in a hot loop.
                    sleep(CONNECT_BACKOFF.min(deadline.saturating_duration_since(Instant::now())))
                        .await;
                }
                continue;
            }
        };
        let held_back = scheduled.filter(|s| prev_done > *s);
        let sent = Instant::now();
        let result = sequence(conn, &flow).await;
        prev_done = Instant::now();
        match result {
            Ok(done) => {
                let from = held_back.unwrap_or(sent);
                let waited =
                    held_back.map_or(Duration::ZERO, |s| sent.saturating_duration_since(s));
                let service = done.done.saturating_duration_since(done.checkout_sent);
                tally
                    .sequence_us
                    .push(micros(done.done.saturating_duration_since(from)));
                tally.checkout_us.push(micros(service + waited));
                if let Some(s) = scheduled {
                    tally.checkout_service_us.push(micros(service));
                    if held_back.is_none() {
                        tally.lag_us.push(micros(sent.saturating_duration_since(s)));
                    }
                }
                tally.orders += 1;
            }
            Err(err) => {
                if matches!(err, StepError::Transport(_)) {
                    slot = None;
                }
                tally.error(&err);
            }
        }
    }
    tally
}

async fn gather(mut tasks: JoinSet<FlowTally>, start: Instant) -> Result<FlowOutcome> {
    let mut tally = FlowTally::default();
    while let Some(joined) = tasks.join_next().await {
        tally.merge(joined.context("a client task panicked")?);
    }
    Ok(FlowOutcome {
        tally,
        elapsed: start.elapsed(),
    })
}

/// `tasks` client tasks, each starting its next sequence as soon as the
/// previous one ended, for `duration`.
pub async fn closed_loop(
    flow: &CheckoutFlow,
    tasks: u64,
    duration: Duration,
) -> Result<FlowOutcome> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut set = JoinSet::new();
    for _ in 0..tasks {
        set.spawn(worker(flow.clone(), Pace::Closed, deadline));
    }
    gather(set, start).await
}

/// Sequences started at `rate` per second in total, spread evenly over
/// `tasks` whose schedules are staggered, for `duration`.
pub async fn open_loop(
    flow: &CheckoutFlow,
    tasks: u64,
    rate: f64,
    duration: Duration,
) -> Result<FlowOutcome> {
    if !(rate.is_finite() && rate > 0.0) {
        return Err(anyhow!("the open-loop rate must be positive (got {rate})"));
    }
    let interval = Duration::try_from_secs_f64(tasks as f64 / rate)
        .context("the open-loop rate gives no valid interval")?;
    let start = Instant::now();
    let deadline = start + duration;
    let mut set = JoinSet::new();
    for t in 0..tasks {
        let pace = Pace::Open {
            start,
            offset: interval.mul_f64(t as f64 / tasks as f64),
            interval,
        };
        set.spawn(worker(flow.clone(), pace, deadline));
    }
    gather(set, start).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checkout_body_is_the_one_of_the_tests() {
        let body = checkout_body("bag-1");
        assert_eq!(body["bag_id"], "bag-1");
        assert_eq!(body["contact"]["first_name"], "Claire");
        assert_eq!(body["contact"]["last_name"], "Dubois");
        assert_eq!(body["delivery"]["method"], "home");
        assert_eq!(body["delivery"]["address"]["city"], "New York");
        assert_eq!(body["delivery"]["address"]["region"], "NY");
        assert_eq!(body["delivery"]["address"]["postal_code"], "10016");
        assert_eq!(body["delivery"]["address"]["country"], "US");
        let card = &body["payment"]["card"];
        assert_eq!(card["number"], "4242 4242 4242 4242");
        assert_eq!(
            (card["exp_month"].as_u64(), card["exp_year"].as_u64()),
            (Some(12), Some(2031))
        );
        assert_eq!(card["cvc"], "917");
        assert_eq!(card["holder_name"], "CLAIRE DUBOIS");
        assert_eq!(body["accept_final_sale"], false);
        assert_eq!(
            line_body("VAL-LTH-001"),
            json!({"sku": "VAL-LTH-001", "quantity": 1})
        );
    }

    #[test]
    fn the_bag_id_must_be_path_safe() {
        assert_eq!(
            bag_id_of(br#"{"id":"0194-ab_c","lines":[]}"#).expect("id"),
            "0194-ab_c"
        );
        assert!(bag_id_of(br#"{"id":"../x"}"#).is_err());
        assert!(bag_id_of(br#"{"id":""}"#).is_err());
        assert!(bag_id_of(br#"{"lines":[]}"#).is_err());
        assert!(bag_id_of(b"<html>").is_err());
    }

    #[test]
    fn idempotency_keys_never_repeat() {
        let flow = CheckoutFlow::new(&Target::loopback(9).expect("target"), "X-1").expect("flow");
        let copy = flow.clone();
        let a = flow.next_key();
        let b = copy.next_key();
        assert_ne!(a, b);
        assert!(a.starts_with("maison-bench-") && a.len() <= 255, "{a}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dead_server_gives_transport_errors_and_the_loops_end() {
        let port = crate::procs::free_port().expect("free port");
        let flow =
            CheckoutFlow::new(&Target::loopback(port).expect("target"), "X-1").expect("flow");
        let out = timeout(
            Duration::from_secs(5),
            closed_loop(&flow, 2, Duration::from_millis(200)),
        )
        .await
        .expect("bounded")
        .expect("load");
        assert_eq!(out.tally.orders, 0);
        assert!(out.tally.transport_errors > 0);
        assert!(
            out.tally
                .first_error
                .as_deref()
                .is_some_and(|e| e.contains("could not connect")),
            "{:?}",
            out.tally.first_error
        );
        // 100 sequences/s over 2 tasks for 0.2 s: 20 scheduled, none made.
        let out = timeout(
            Duration::from_secs(5),
            open_loop(&flow, 2, 100.0, Duration::from_millis(200)),
        )
        .await
        .expect("bounded")
        .expect("load");
        assert_eq!(out.tally.orders, 0);
        assert_eq!(
            out.tally.transport_errors + out.tally.missed,
            20,
            "{:?}",
            out.tally
        );
        assert!(check_one(&flow).await.is_err());
    }
}
