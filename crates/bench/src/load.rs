//! Load generation with hyper's low-level HTTP/1.1 client: one task per
//! keep-alive connection, full bodies read, latencies kept as raw samples.
//!
//! Every target is built by `Target::loopback`, so traffic can only go to
//! 127.0.0.1, and every loop ends at its deadline.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Body;
use hyper::client::conn::http1::{SendRequest, handshake};
use hyper::header::{HOST, HeaderValue, USER_AGENT};
use hyper::{Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep, sleep_until, timeout};

use crate::stats::micros;

/// A request that takes longer is counted as a transport error and its
/// connection replaced, so one stuck response cannot stall a run forever.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Pause after a failed connect, so a dead server is not hammered in a hot loop.
pub(crate) const CONNECT_BACKOFF: Duration = Duration::from_millis(10);

type Sender = SendRequest<Empty<Bytes>>;

/// A server on the loopback interface (the only kind this tool talks to).
#[derive(Clone, Debug)]
pub struct Target {
    addr: SocketAddr,
    host: HeaderValue,
}

impl Target {
    pub fn loopback(port: u16) -> Result<Self> {
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let host = HeaderValue::try_from(addr.to_string()).context("invalid Host header")?;
        Ok(Target { addr, host })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `Host` header for requests to this target.
    pub fn host(&self) -> &HeaderValue {
        &self.host
    }
}

/// One `GET path` on a target, cheap to clone into each connection task.
#[derive(Clone, Debug)]
pub struct Endpoint {
    target: Target,
    uri: Uri,
}

impl Endpoint {
    pub fn new(target: &Target, path: &str) -> Result<Self> {
        let uri: Uri = path
            .parse()
            .with_context(|| format!("{path:?} is not a valid request path"))?;
        Ok(Endpoint {
            target: target.clone(),
            uri,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.target.addr
    }

    pub fn path(&self) -> &str {
        self.uri.path_and_query().map_or("/", |pq| pq.as_str())
    }

    fn request(&self) -> Result<Request<Empty<Bytes>>> {
        Request::get(self.uri.clone())
            .header(HOST, self.target.host.clone())
            .header(USER_AGENT, HeaderValue::from_static("maison-bench"))
            .body(Empty::new())
            .context("could not build the request")
    }
}

/// Opens a keep-alive HTTP/1.1 connection for requests with bodies of type
/// `B`; its driver task ends when the returned sender is dropped.
pub(crate) async fn connect<B>(target: &Target) -> Result<SendRequest<B>>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let stream = timeout(REQUEST_TIMEOUT, TcpStream::connect(target.addr))
        .await
        .map_err(|_| anyhow!("connecting to {} timed out", target.addr))?
        .with_context(|| format!("could not connect to {}", target.addr))?;
    // Requests are tiny: don't let Nagle's algorithm delay them.
    stream
        .set_nodelay(true)
        .context("could not set TCP_NODELAY")?;
    let (sender, conn) = handshake(TokioIo::new(stream))
        .await
        .context("HTTP/1.1 handshake failed")?;
    tokio::spawn(async move {
        // Its error, if any, surfaces on the sender as a failed request.
        let _ = conn.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole body (so the server does all its work).
async fn exchange(sender: &mut Sender, endpoint: &Endpoint) -> Result<(StatusCode, usize)> {
    let response = sender
        .send_request(endpoint.request()?)
        .await
        .context("request failed")?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .context("reading the response body failed")?
        .to_bytes();
    Ok((status, body.len()))
}

/// One request and its body, on a fresh connection: for health checks and
/// discovery, not for load.
pub async fn fetch(endpoint: &Endpoint) -> Result<(StatusCode, Bytes)> {
    let work = async {
        let mut sender = connect(&endpoint.target).await?;
        let response = sender
            .send_request(endpoint.request()?)
            .await
            .context("request failed")?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .context("reading the body failed")?;
        Ok((status, body.to_bytes()))
    };
    timeout(REQUEST_TIMEOUT, work).await.map_err(|_| {
        anyhow!(
            "GET {} got no answer within {REQUEST_TIMEOUT:?}",
            endpoint.path()
        )
    })?
}

/// What one connection (then, merged, one run) saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// Per 2xx response, µs: closed loop from the send; open loop from the
    /// scheduled time when the send was held back (see `open_worker`).
    pub latencies_us: Vec<u32>,
    /// Open loop only: per 2xx response, µs from the actual send (service time).
    pub service_us: Vec<u32>,
    /// Open loop only: µs the generator sent late on an idle connection.
    pub lag_us: Vec<u32>,
    pub ok: u64,
    pub non_2xx: u64,
    pub transport_errors: u64,
    /// Keep-alive connections the server closed between requests (no request lost).
    pub reconnects: u64,
    /// Open loop only: sends that were due before the deadline but never made.
    pub missed: u64,
    pub body_bytes: u64,
    /// The first problem seen, to name what failed.
    pub first_error: Option<String>,
}

impl Tally {
    fn transport_error(&mut self, err: &anyhow::Error) {
        self.transport_errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(format!("{err:#}"));
        }
    }

    fn status(&mut self, status: StatusCode) {
        self.non_2xx += 1;
        if self.first_error.is_none() {
            self.first_error = Some(format!("HTTP {status}"));
        }
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend_from_slice(&other.latencies_us);
        self.service_us.extend_from_slice(&other.service_us);
        self.lag_us.extend_from_slice(&other.lag_us);
        self.ok += other.ok;
        self.non_2xx += other.non_2xx;
        self.transport_errors += other.transport_errors;
        self.reconnects += other.reconnects;
        self.missed += other.missed;
        self.body_bytes += other.body_bytes;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

/// A finished load phase.
#[derive(Debug)]
pub struct Outcome {
    pub tally: Tally,
    /// From the start until the last connection task finished.
    pub elapsed: Duration,
}

/// Makes sure `slot` holds a connection (with the count of requests it has
/// served) that can take a request now, adding to `reconnects` when the server
/// had closed a used one. `Err` means a request could not even be attempted
/// (counted by the caller).
pub(crate) async fn ready_sender<'a, B>(
    slot: &'a mut Option<(SendRequest<B>, u64)>,
    target: &Target,
    reconnects: &mut u64,
) -> Result<&'a mut (SendRequest<B>, u64)>
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    if let Some((sender, served)) = slot.as_mut()
        && sender.ready().await.is_err()
    {
        // The server closed a keep-alive connection it had used: a normal
        // reconnect. On a connection that never served a request it's an error.
        let fresh = *served == 0;
        *slot = None;
        if fresh {
            return Err(anyhow!(
                "the server closed a new connection before any request"
            ));
        }
        *reconnects += 1;
    }
    if slot.is_none() {
        let mut sender = connect(target).await?;
        sender
            .ready()
            .await
            .context("a new connection was not ready")?;
        *slot = Some((sender, 0));
    }
    slot.as_mut().ok_or_else(|| anyhow!("no connection"))
}

/// Closed loop: each connection sends its next request as soon as the previous
/// response is fully read, until `deadline`.
async fn closed_worker(endpoint: Endpoint, deadline: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut slot: Option<(Sender, u64)> = None;
    while Instant::now() < deadline {
        let conn = match ready_sender(&mut slot, &endpoint.target, &mut tally.reconnects).await {
            Ok(conn) => conn,
            Err(err) => {
                tally.transport_error(&err);
                sleep(CONNECT_BACKOFF.min(deadline.saturating_duration_since(Instant::now())))
                    .await;
                continue;
            }
        };
        let sent = Instant::now();
        match timeout(REQUEST_TIMEOUT, exchange(&mut conn.0, &endpoint)).await {
            Ok(Ok((status, len))) => {
                conn.1 += 1;
                if status.is_success() {
                    tally.latencies_us.push(micros(sent.elapsed()));
                    tally.ok += 1;
                    tally.body_bytes += len as u64;
                } else {
                    tally.status(status);
                }
            }
            Ok(Err(err)) => {
                tally.transport_error(&err);
                slot = None;
            }
            Err(_) => {
                tally.transport_error(&anyhow!("no complete response within {REQUEST_TIMEOUT:?}"));
                slot = None;
            }
        }
    }
    tally
}

/// Open loop: this connection sends at `offset + k * interval` from `start`
/// whatever the previous response took. When a slow response holds a send back
/// past its scheduled time, latency is measured from the scheduled time, so the
/// wait is counted: that is what avoids coordinated omission. When the
/// connection was idle at the scheduled time, latency is measured from the
/// actual send, so the generator's own wake-up lag (tokio's timer ticks in
/// whole milliseconds) is not charged to the server; that lag is kept apart.
async fn open_worker(
    endpoint: Endpoint,
    start: Instant,
    offset: Duration,
    interval: Duration,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let mut slot: Option<(Sender, u64)> = None;
    let mut k: u32 = 0;
    // When the previous attempt of this connection ended.
    let mut prev_done = start;
    loop {
        let scheduled = start + offset + interval.saturating_mul(k);
        if scheduled >= deadline {
            break;
        }
        if Instant::now() >= deadline {
            // So far behind that the run is over: count what was never sent
            // rather than run past the duration.
            let left = deadline.saturating_duration_since(scheduled).as_secs_f64();
            tally.missed += (left / interval.as_secs_f64()).ceil() as u64;
            break;
        }
        k = k.saturating_add(1);
        sleep_until(scheduled).await;
        let conn = match ready_sender(&mut slot, &endpoint.target, &mut tally.reconnects).await {
            Ok(conn) => conn,
            Err(err) => {
                // This scheduled request is lost; the schedule paces retries.
                tally.transport_error(&err);
                prev_done = Instant::now();
                continue;
            }
        };
        let held_back = prev_done > scheduled;
        let sent = Instant::now();
        let result = timeout(REQUEST_TIMEOUT, exchange(&mut conn.0, &endpoint)).await;
        let done = Instant::now();
        prev_done = done;
        match result {
            Ok(Ok((status, len))) => {
                conn.1 += 1;
                if status.is_success() {
                    let from = if held_back { scheduled } else { sent };
                    tally
                        .latencies_us
                        .push(micros(done.saturating_duration_since(from)));
                    tally
                        .service_us
                        .push(micros(done.saturating_duration_since(sent)));
                    if !held_back {
                        tally
                            .lag_us
                            .push(micros(sent.saturating_duration_since(scheduled)));
                    }
                    tally.ok += 1;
                    tally.body_bytes += len as u64;
                } else {
                    tally.status(status);
                }
            }
            Ok(Err(err)) => {
                tally.transport_error(&err);
                slot = None;
            }
            Err(_) => {
                tally.transport_error(&anyhow!("no complete response within {REQUEST_TIMEOUT:?}"));
                slot = None;
            }
        }
    }
    tally
}

/// Runs the tasks to completion and merges their tallies. Dropping this future
/// (on the caller's hard timeout) aborts every task with the `JoinSet`.
async fn gather(mut tasks: JoinSet<Tally>, start: Instant) -> Result<Outcome> {
    let mut tally = Tally::default();
    while let Some(joined) = tasks.join_next().await {
        tally.merge(joined.context("a connection task panicked")?);
    }
    Ok(Outcome {
        tally,
        elapsed: start.elapsed(),
    })
}

/// `connections` closed-loop connections for `duration`.
pub async fn closed_loop(
    endpoint: &Endpoint,
    connections: u64,
    duration: Duration,
) -> Result<Outcome> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = JoinSet::new();
    for _ in 0..connections {
        tasks.spawn(closed_worker(endpoint.clone(), deadline));
    }
    gather(tasks, start).await
}

/// An open loop at `rate` requests/s in total, spread evenly over
/// `connections` whose schedules are staggered so sends don't bunch up.
pub async fn open_loop(
    endpoint: &Endpoint,
    connections: u64,
    rate: f64,
    duration: Duration,
) -> Result<Outcome> {
    if !(rate.is_finite() && rate > 0.0) {
        return Err(anyhow!("the open-loop rate must be positive (got {rate})"));
    }
    let interval = Duration::try_from_secs_f64(connections as f64 / rate)
        .context("the open-loop rate gives no valid send interval")?;
    let start = Instant::now();
    let deadline = start + duration;
    let mut tasks = JoinSet::new();
    for c in 0..connections {
        let offset = interval.mul_f64(c as f64 / connections as f64);
        tasks.spawn(open_worker(
            endpoint.clone(),
            start,
            offset,
            interval,
            deadline,
        ));
    }
    gather(tasks, start).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Starts the bare server in-process on a free loopback port.
    async fn bare_endpoint(path: &str) -> (Endpoint, tokio::task::JoinHandle<Result<()>>) {
        let port = crate::procs::free_port().expect("free port");
        let server = tokio::spawn(crate::bare::serve(port, Some(60)));
        let target = Target::loopback(port).expect("target");
        let probe = Endpoint::new(&target, "/products").expect("endpoint");
        let start = Instant::now();
        while fetch(&probe).await.is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "bare server did not start"
            );
            sleep(Duration::from_millis(20)).await;
        }
        (Endpoint::new(&target, path).expect("endpoint"), server)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_closed_loop_reads_whole_bodies_without_errors() {
        let (endpoint, server) = bare_endpoint("/products").await;
        let body_len = crate::bare::products_body().expect("body").len() as u64;
        let out = closed_loop(&endpoint, 4, Duration::from_millis(400))
            .await
            .expect("load");
        let t = &out.tally;
        assert!(t.ok > 0);
        assert_eq!(
            (t.non_2xx, t.transport_errors),
            (0, 0),
            "{:?}",
            t.first_error
        );
        assert_eq!(t.latencies_us.len() as u64, t.ok);
        assert_eq!(t.body_bytes, t.ok * body_len);
        assert!(out.elapsed >= Duration::from_millis(400));
        server.abort();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_open_loop_keeps_its_schedule() {
        let (endpoint, server) = bare_endpoint("/products").await;
        // 200 req/s over 4 connections for 0.5 s: 25 sends each, 100 in all.
        let out = open_loop(&endpoint, 4, 200.0, Duration::from_millis(500))
            .await
            .expect("load");
        let t = &out.tally;
        assert_eq!(
            t.ok + t.non_2xx + t.transport_errors + t.missed,
            100,
            "{t:?}"
        );
        assert!(t.ok >= 90, "{t:?}");
        assert_eq!(t.service_us.len(), t.latencies_us.len());
        // Latency from the scheduled time is never below the service time.
        let (mut from_schedule, mut service) = (t.latencies_us.clone(), t.service_us.clone());
        from_schedule.sort_unstable();
        service.sort_unstable();
        assert!(from_schedule.last() >= service.last());
        assert!(
            open_loop(&endpoint, 4, 0.0, Duration::from_millis(10))
                .await
                .is_err()
        );
        server.abort();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn errors_are_counted_not_hidden() {
        let (missing, server) = bare_endpoint("/nowhere").await;
        let out = closed_loop(&missing, 2, Duration::from_millis(200))
            .await
            .expect("load");
        assert_eq!(out.tally.ok, 0);
        assert!(out.tally.non_2xx > 0);
        assert_eq!(out.tally.first_error.as_deref(), Some("HTTP 404 Not Found"));
        server.abort();

        // Nothing listens on this port: connection errors, and the loop still ends.
        let port = crate::procs::free_port().expect("free port");
        let refused =
            Endpoint::new(&Target::loopback(port).expect("target"), "/").expect("endpoint");
        let out = timeout(
            Duration::from_secs(5),
            closed_loop(&refused, 2, Duration::from_millis(200)),
        )
        .await
        .expect("bounded")
        .expect("load");
        assert_eq!(out.tally.ok, 0);
        assert!(out.tally.transport_errors > 0);
        assert!(
            out.tally
                .first_error
                .as_deref()
                .is_some_and(|e| e.contains("could not connect"))
        );
    }
}
