//! `maison-bench run`: starts Maison and the bare server, loads both, reports.

use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use hyper::StatusCode;
use serde_json::Value;
use tokio::time::{Instant, sleep, timeout};

use crate::RunArgs;
use crate::load::{Endpoint, Target, closed_loop, fetch, open_loop};
use crate::procs::{ChildGuard, RssSampler, TempDir, ensure_running, free_port, read_status_kb};
use crate::report::{Mode, Report, RunFigures, Scenario};
use crate::stats::median;

/// How long a server may take to answer its first 200 (Maison seeds its demo data).
pub(crate) const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Added to the duration to give each scenario run a hard upper bound.
pub(crate) const HARD_MARGIN: Duration = Duration::from_secs(30);
/// Pause between runs so TIME_WAIT sockets and the previous burst settle.
pub(crate) const SETTLE: Duration = Duration::from_millis(300);

/// The start of a body, for error messages.
pub(crate) fn snippet(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut s: String = text.chars().take(200).collect();
    if text.chars().count() > 200 {
        s.push('…');
    }
    s
}

/// Hides the password of a `scheme://user:password@host/…` URL.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// Polls `GET path` until it answers 200, failing early if the process dies.
pub(crate) async fn wait_ready(
    child: &mut ChildGuard,
    endpoint: &Endpoint,
    hint: &str,
) -> Result<()> {
    let start = Instant::now();
    let mut last = "no answer yet".to_owned();
    while start.elapsed() < READY_TIMEOUT {
        ensure_running(child, hint)?;
        match fetch(endpoint).await {
            Ok((StatusCode::OK, _)) => return Ok(()),
            Ok((status, body)) => last = format!("HTTP {status}: {}", snippet(&body)),
            Err(err) => last = format!("{err:#}"),
        }
        sleep(Duration::from_millis(100)).await;
    }
    bail!(
        "{} did not answer 200 to GET {} on {} within {} s (last: {last}); {hint}",
        child.name(),
        endpoint.path(),
        endpoint.addr(),
        READY_TIMEOUT.as_secs()
    )
}

/// Fails with a clear message unless `GET path` answers 2xx once.
async fn check_once(endpoint: &Endpoint) -> Result<()> {
    let (status, body) = fetch(endpoint)
        .await
        .with_context(|| format!("GET {} failed", endpoint.path()))?;
    if !status.is_success() {
        bail!(
            "GET {} answered {status}: {}",
            endpoint.path(),
            snippet(&body)
        );
    }
    Ok(())
}

/// The slug of the first product, from `GET /api/v1/products?limit=1`.
async fn first_product_slug(target: &Target) -> Result<String> {
    let endpoint = Endpoint::new(target, "/api/v1/products?limit=1")?;
    let (status, body) = fetch(&endpoint)
        .await
        .context("GET /api/v1/products?limit=1 failed")?;
    if !status.is_success() {
        bail!(
            "GET /api/v1/products?limit=1 answered {status}: {}",
            snippet(&body)
        );
    }
    slug_of_first_item(&body)
}

fn slug_of_first_item(body: &[u8]) -> Result<String> {
    let value: Value = serde_json::from_slice(body).with_context(|| {
        format!(
            "GET /api/v1/products?limit=1 did not return JSON: {}",
            snippet(body)
        )
    })?;
    let slug = value
        .get("items")
        .and_then(|items| items.get(0))
        .and_then(|item| item.get("slug"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            anyhow!(
                "GET /api/v1/products?limit=1 has no items[0].slug (empty catalogue?): {}",
                snippet(body)
            )
        })?;
    // The slug goes into a path: refuse anything that would need escaping.
    if slug.is_empty()
        || !slug
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        bail!("unexpected product slug {slug:?} from /api/v1/products");
    }
    Ok(slug.to_owned())
}

/// The settings every measured run shares.
struct Plan {
    duration: Duration,
    connections: u64,
}

/// One measured run of `scenario` against `endpoint`, sampling `server`'s RSS.
async fn measure(
    plan: &Plan,
    scenario: &mut Scenario,
    endpoint: &Endpoint,
    server: &mut ChildGuard,
    run: u32,
    hint: &str,
) -> Result<()> {
    let sampler = RssSampler::start(server.pid());
    let mode = scenario.mode;
    let load = async {
        match mode {
            Mode::Closed => closed_loop(endpoint, plan.connections, plan.duration).await,
            Mode::Open { target_rps } => {
                open_loop(endpoint, plan.connections, target_rps, plan.duration).await
            }
        }
    };
    let bound = plan.duration + HARD_MARGIN;
    let result = timeout(bound, load).await;
    let peak = sampler.finish().await;
    match result {
        Ok(Ok(outcome)) => {
            let figures = RunFigures::from_outcome(outcome, peak);
            eprintln!("  {} run {run}: {}", scenario.name, figures.progress());
            scenario.runs.push(figures);
        }
        Ok(Err(err)) => {
            eprintln!("  {} run {run}: failed: {err:#}", scenario.name);
            scenario.failures.push(format!("run {run}: {err:#}"));
        }
        Err(_) => {
            let msg = format!(
                "run {run}: exceeded the hard timeout of {} s",
                bound.as_secs()
            );
            eprintln!("  {}: {msg}", scenario.name);
            scenario.failures.push(msg);
        }
    }
    // A crashed server would make every later figure meaningless.
    if let Some(status) = server.exited() {
        bail!(
            "{} exited during {} run {run} ({status}); {hint}",
            server.name(),
            scenario.name
        );
    }
    sleep(SETTLE).await;
    Ok(())
}

/// Unmeasured load, so caches, allocators and connection pools are warm.
async fn warm_up(args: &RunArgs, endpoint: &Endpoint) {
    if args.warmup_secs == 0 {
        return;
    }
    let duration = Duration::from_secs(args.warmup_secs);
    let _ = timeout(
        duration + HARD_MARGIN,
        closed_loop(endpoint, args.connections, duration),
    )
    .await;
    sleep(SETTLE).await;
}

pub async fn run(args: RunArgs) -> Result<()> {
    if !args.maison.is_file() {
        bail!(
            "the Maison server binary {} was not found: build it first with \
             `cargo build --release -p maison -p maison-bench` (from the workspace root), \
             or pass --maison PATH",
            args.maison.display()
        );
    }
    // Declared before the children so it is removed after they are killed.
    let tmp = TempDir::create()?;
    let (database_url, database_label) = match &args.database_url {
        Some(url) => (url.clone(), redact_url(url)),
        None => (
            format!("sqlite://{}", tmp.path().join("bench.db").display()),
            "SQLite in a temp dir".to_owned(),
        ),
    };

    // Maison.
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let maison_hint = format!(
        "run it by hand to see its output: {} serve --addr {addr} --database-url {}",
        args.maison.display(),
        redact_url(&database_url)
    );
    let mut command = Command::new(&args.maison);
    command
        .args(["serve", "--addr", &addr, "--database-url", &database_url])
        .env("RUST_LOG", "warn");
    let mut maison = ChildGuard::spawn("maison", command)?;
    let maison_target = Target::loopback(port)?;
    eprintln!("starting maison on {addr} (database: {database_label})");
    wait_ready(
        &mut maison,
        &Endpoint::new(&maison_target, "/healthz")?,
        &maison_hint,
    )
    .await?;

    // The bare route, a second copy of this very program.
    let bare_port = free_port()?;
    let exe = std::env::current_exe()
        .context("could not find this program's path to start bare-server")?;
    let per_run = args.duration_secs + HARD_MARGIN.as_secs() + 1;
    let lifetime =
        u64::from(args.runs) * 4 * per_run + 4 * (args.warmup_secs + HARD_MARGIN.as_secs()) + 300;
    let bare_hint = format!(
        "run it by hand to see its output: {} bare-server --port {bare_port}",
        exe.display()
    );
    let mut command = Command::new(&exe);
    command
        .args(["bare-server", "--port", &bare_port.to_string()])
        .args(["--exit-after-secs", &lifetime.to_string()]);
    let mut bare = ChildGuard::spawn("bare-server", command)?;
    let bare_target = Target::loopback(bare_port)?;
    eprintln!("starting bare-server on 127.0.0.1:{bare_port}");
    wait_ready(
        &mut bare,
        &Endpoint::new(&bare_target, "/products")?,
        &bare_hint,
    )
    .await?;

    // Idle memory, once start-up allocations have settled.
    sleep(Duration::from_secs(1)).await;
    ensure_running(&mut maison, &maison_hint)?;
    let maison_idle_rss_kb = read_status_kb(maison.pid(), "VmRSS");
    let bare_idle_rss_kb = read_status_kb(bare.pid(), "VmRSS");

    let slug = first_product_slug(&maison_target).await?;
    let api = Endpoint::new(&maison_target, "/api/v1/products")?;
    let page = Endpoint::new(&maison_target, &format!("/creations/{slug}"))?;
    let bare_route = Endpoint::new(&bare_target, "/products")?;
    for endpoint in [&api, &page, &bare_route] {
        check_once(endpoint).await?;
    }

    let plan = Plan {
        duration: Duration::from_secs(args.duration_secs),
        connections: args.connections,
    };
    let runs = args.runs;
    let mut api_s = Scenario::new("api-products", "maison", api.path(), Mode::Closed, runs);
    let mut page_s = Scenario::new("product-page", "maison", page.path(), Mode::Closed, runs);
    let mut bare_s = Scenario::new(
        "bare-route",
        "bare-server",
        bare_route.path(),
        Mode::Closed,
        runs,
    );

    let half_name = "api-products @ half rate";
    let mut half_s = Scenario::new(half_name, "maison", api.path(), Mode::Closed, runs);
    half_s.skipped = Some("not run: the benchmark stopped early".to_owned());

    // Measured in a block so that, if a server crashes, what was measured
    // before is still reported.
    let measured: Result<()> = async {
        eprintln!("warming up ({} s per scenario)", args.warmup_secs);
        for endpoint in [&api, &page, &bare_route] {
            warm_up(&args, endpoint).await;
        }

        // Closed loops, interleaved run by run so slow drift of the shared
        // machine affects Maison and the bare route alike.
        for run in 1..=runs {
            eprintln!("run {run}/{runs}");
            measure(&plan, &mut api_s, &api, &mut maison, run, &maison_hint).await?;
            measure(&plan, &mut page_s, &page, &mut maison, run, &maison_hint).await?;
            measure(&plan, &mut bare_s, &bare_route, &mut bare, run, &bare_hint).await?;
        }

        // Open loop at half the closed-loop throughput: latency under a load
        // the server can sustain, which a closed loop cannot show.
        let api_median = median(&api_s.runs.iter().map(|r| r.rps).collect::<Vec<_>>());
        let Some(rps) = api_median.filter(|rps| *rps >= 2.0) else {
            half_s.skipped = Some("api-products had no throughput to halve".to_owned());
            return Ok(());
        };
        let target_rps = rps / 2.0;
        half_s.mode = Mode::Open { target_rps };
        half_s.skipped = None;
        eprintln!("open loop at {target_rps:.0} req/s");
        for run in 1..=runs {
            measure(&plan, &mut half_s, &api, &mut maison, run, &maison_hint).await?;
        }
        Ok(())
    }
    .await;

    if measured.is_err() {
        for s in [&mut api_s, &mut page_s, &mut bare_s] {
            if s.runs.is_empty() && s.failures.is_empty() {
                s.skipped = Some("not run: the benchmark stopped early".to_owned());
            }
        }
    }

    let maison_hwm_kb = read_status_kb(maison.pid(), "VmHWM");
    let bare_hwm_kb = read_status_kb(bare.pid(), "VmHWM");
    drop(bare);
    drop(maison);
    drop(tmp);

    let report = Report {
        maison_path: args.maison.display().to_string(),
        database: database_label,
        runs,
        duration_secs: args.duration_secs,
        connections: args.connections,
        warmup_secs: args.warmup_secs,
        product_page: page.path().to_owned(),
        maison_idle_rss_kb,
        maison_hwm_kb,
        bare_idle_rss_kb,
        bare_hwm_kb,
        scenarios: vec![api_s, page_s, half_s, bare_s],
        stopped_early: measured.as_ref().err().map(|err| format!("{err:#}")),
    };
    println!("{}", report.markdown());
    report.write_json(&args.out)?;
    eprintln!("figures written to {}", args.out.display());
    measured
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://maison:s3cret@127.0.0.1:5432/maison"),
            "postgres://maison:***@127.0.0.1:5432/maison"
        );
        assert_eq!(
            redact_url("postgres://maison@localhost/db"),
            "postgres://maison@localhost/db"
        );
        assert_eq!(
            redact_url("sqlite:///tmp/x/bench.db"),
            "sqlite:///tmp/x/bench.db"
        );
        assert_eq!(redact_url("not a url"), "not a url");
    }

    #[test]
    fn the_product_slug_is_read_from_the_first_item() {
        let body = br#"{"items":[{"sku":"VAL-RNG-001","slug":"etoile-ring"}],"next_cursor":"abc"}"#;
        assert_eq!(slug_of_first_item(body).expect("slug"), "etoile-ring");
        assert!(slug_of_first_item(br#"{"items":[],"next_cursor":null}"#).is_err());
        assert!(slug_of_first_item(b"<html>").is_err());
        assert!(slug_of_first_item(br#"{"items":[{"slug":"../x"}]}"#).is_err());
    }
}
