//! `maison-bench assisted`: how long Client Relations wait for an assisted
//! order placed through the API (`POST /api/v1/assisted-orders`), by wire
//! (no processor call) and by card (an authorisation by the simulator), one
//! order at a time as an ambassador on the telephone places them. Prints the
//! percentiles as a Markdown table.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue, USER_AGENT};
use serde_json::{Value, json};
use tokio::time::timeout;

use crate::AssistedArgs;
use crate::checkout::{find_piece, raise_stock};
use crate::load::{Endpoint, Target, connect};
use crate::procs::{ChildGuard, TempDir, free_port};
use crate::run::{redact_url, snippet, wait_ready};
use crate::stats::{micros, summarize};

const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
const STAFF_EMAIL: &str = "bench-ambassador@maison.example";

/// `maison staff ... --database-url URL`; returns its standard output.
fn staff_command(maison: &Path, cwd: &Path, url: &str, args: &[&str]) -> Result<String> {
    let shown = format!("maison staff {}", args.join(" "));
    let output = Command::new(maison)
        .arg("staff")
        .args(args)
        .args(["--database-url", url])
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("could not run `{shown}`"))?;
    if !output.status.success() {
        bail!(
            "`{shown}` failed ({}): {}",
            output.status,
            snippet(&output.stderr)
        );
    }
    String::from_utf8(output.stdout).with_context(|| format!("`{shown}` printed non-UTF-8"))
}

/// One assisted order for Claire Dubois, home delivery in New York.
fn order_body(sku: &str, card: bool) -> Value {
    let payment = if card {
        json!({"method": "card", "card": {"number": "4242 4242 4242 4242", "exp_month": 12,
            "exp_year": 2031, "cvc": "917", "holder_name": "CLAIRE DUBOIS"}})
    } else {
        json!({"method": "wire"})
    };
    json!({
        "channel": "telephone",
        "client": {"first_name": "Claire", "last_name": "Dubois", "email": "claire@example.com",
            "phone": "212-555-0147"},
        "lines": [{"sku": sku, "quantity": 1}],
        "delivery": {"method": "home", "address": {"line1": "10 Park Avenue", "city": "New York",
            "region": "NY", "postal_code": "10016", "country": "US"}},
        "payment": payment,
        "documents": {"channel": "email"},
    })
}

/// Places `count` orders one after the other on one keep-alive connection;
/// returns each answer's time in microseconds.
async fn place(
    target: &Target,
    token: &str,
    sku: &str,
    card: bool,
    count: u32,
) -> Result<Vec<u32>> {
    let body = Bytes::from(serde_json::to_vec(&order_body(sku, card))?);
    let mut sender = connect::<Full<Bytes>>(target).await?;
    let auth = HeaderValue::from_str(&format!("Bearer {token}")).context("token header")?;
    let mut samples = Vec::with_capacity(count as usize);
    let prefix = format!(
        "bench-{}-{}",
        std::process::id(),
        if card { "card" } else { "wire" }
    );
    for n in 0..count {
        let request = Request::post("/api/v1/assisted-orders")
            .header(HOST, target.host().clone())
            .header(USER_AGENT, HeaderValue::from_static("maison-bench"))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(AUTHORIZATION, auth.clone())
            .header("idempotency-key", format!("{prefix}-{n}"))
            .body(Full::new(body.clone()))
            .context("could not build the request")?;
        sender.ready().await.context("the connection was closed")?;
        let start = Instant::now();
        let response = timeout(Duration::from_secs(30), sender.send_request(request))
            .await
            .map_err(|_| anyhow!("no answer within 30 s"))?
            .context("request failed")?;
        let status = response.status();
        let answer = response.into_body().collect().await?.to_bytes();
        samples.push(micros(start.elapsed()));
        if status.as_u16() != 201 {
            bail!("order {n} answered {status}: {}", snippet(&answer));
        }
    }
    Ok(samples)
}

pub async fn run(args: AssistedArgs) -> Result<()> {
    if !args.maison.is_file() {
        bail!(
            "the Maison server binary {} was not found: build it first with \
             `cargo build --release -p maison -p maison-bench`, or pass --maison PATH",
            args.maison.display()
        );
    }
    let maison: PathBuf = std::fs::canonicalize(&args.maison)
        .with_context(|| format!("could not resolve {}", args.maison.display()))?;
    let tmp = TempDir::create()?;
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => format!("sqlite://{}", tmp.path().join("bench.db").display()),
    };
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let hint = format!(
        "run it by hand: (cd {} && {} serve --addr {addr} --database-url {})",
        tmp.path().display(),
        maison.display(),
        redact_url(&url)
    );
    let mut command = Command::new(&maison);
    command
        .args(["serve", "--addr", &addr, "--database-url", &url])
        .current_dir(tmp.path())
        .env("RUST_LOG", "warn");
    let mut server = ChildGuard::spawn("maison", command)?;
    let target = Target::loopback(port)?;
    wait_ready(&mut server, &Endpoint::new(&target, "/healthz")?, &hint).await?;
    let piece = find_piece(&target).await?;
    raise_stock(&maison, tmp.path(), &url, &piece.sku).await?;
    staff_command(
        &maison,
        tmp.path(),
        &url,
        &[
            "add",
            STAFF_EMAIL,
            "--name",
            "Bench Ambassador",
            "--role",
            "ambassador",
        ],
    )?;
    let printed = staff_command(&maison, tmp.path(), &url, &["token", STAFF_EMAIL])?;
    let token = printed
        .lines()
        .last()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| anyhow!("`maison staff token` printed no token"))?
        .to_owned();
    // Unmeasured: the first orders warm the connection pool and caches.
    place(&target, &token, &piece.sku, false, args.warmup).await?;

    println!(
        "Assisted orders through `POST /api/v1/assisted-orders`, one at a time, {} each \
         ({}, {}):\n",
        args.orders,
        piece.name,
        piece.price.display()
    );
    println!("| payment | orders | p50 ms | p90 ms | p99 ms | max ms |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for card in [false, true] {
        let mut samples = timeout(
            Duration::from_secs(COMMAND_TIMEOUT.as_secs() * 10),
            place(&target, &token, &piece.sku, card, args.orders),
        )
        .await
        .map_err(|_| anyhow!("the run took more than ten minutes"))??;
        let s = summarize(&mut samples).ok_or_else(|| anyhow!("no samples"))?;
        println!(
            "| {} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
            if card { "card (authorised)" } else { "wire" },
            samples.len(),
            s.p50_ms,
            s.p90_ms,
            s.p99_ms,
            s.max_ms
        );
    }
    Ok(())
}
