//! `maison-bench checkout`: orders through HTTP (bag, line, checkout) in a
//! closed loop and at half that rate in an open loop, then the database's own
//! limit for the same writes, in-process, and the ratio of the two.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use maison_domain::{Currency, Money, Sku};
use serde_json::Value;
use tokio::time::{sleep, timeout};

use crate::CheckoutArgs;
use crate::checkout_report::{CheckoutReport, FlowFigures, LimitFigures, Runs};
use crate::dblimit::{self, LimitDb, Piece};
use crate::flow::{CheckoutFlow, check_one, closed_loop, open_loop};
use crate::load::{Endpoint, Target, fetch};
use crate::procs::{ChildGuard, RssSampler, TempDir, ensure_running, free_port, read_status_kb};
use crate::report::Mode;
use crate::run::{HARD_MARGIN, SETTLE, redact_url, snippet, wait_ready};
use crate::stats::median;

/// Only pieces under this price are ordered: above it, delivery goes by
/// secure courier and the order differs.
const MAX_PRICE_DOLLARS: i64 = 30_000;
/// Pages of `/api/v1/products?limit=100` looked through for a piece.
const MAX_PAGES: usize = 10;
/// How long `maison stock set` may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// A piece the catalogue API offers, with the SKU to put in the bag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    pub product_sku: String,
    /// The first available variant's SKU.
    pub sku: String,
    pub name: String,
    pub price: Money,
}

/// The first item of a `/api/v1/products` page that sells online, is
/// available, has no personalisation and costs under 30,000.00, with its first
/// available size; and the page's `next_cursor`.
pub fn choose_piece(body: &[u8]) -> Result<(Option<Chosen>, Option<String>)> {
    let value: Value = serde_json::from_slice(body)
        .with_context(|| format!("/api/v1/products did not return JSON: {}", snippet(body)))?;
    let items = value
        .get("items")
        .and_then(Value::as_array)
        .ok_or_else(|| anyhow!("/api/v1/products has no items: {}", snippet(body)))?;
    let next = value
        .get("next_cursor")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let limit = Money::usd_dollars(MAX_PRICE_DOLLARS);
    let chosen = items.iter().find_map(|item| {
        let text = |key: &str| item.get(key).and_then(Value::as_str);
        if text("sale_mode") != Some("online") || text("availability") != Some("available") {
            return None;
        }
        let personalised = match item.get("personalisation") {
            None | Some(Value::Null) => false,
            Some(Value::Array(options)) => !options.is_empty(),
            Some(_) => true,
        };
        if personalised {
            return None;
        }
        let amount = item.get("price")?.get("amount")?.as_str()?;
        let price = Money::parse(amount, Currency::Usd).ok()?;
        if price >= limit {
            return None;
        }
        let variant = item
            .get("variants")?
            .as_array()?
            .iter()
            .find(|v| v.get("availability").and_then(Value::as_str) == Some("available"))?;
        let sku = Sku::parse(variant.get("sku")?.as_str()?).ok()?;
        Some(Chosen {
            product_sku: text("sku")?.to_owned(),
            sku: sku.as_str().to_owned(),
            name: text("name").unwrap_or_default().to_owned(),
            price,
        })
    });
    Ok((chosen, next))
}

/// Whether a cursor can go into a query string as it is.
fn query_safe(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 512
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

/// Looks through the catalogue API for a piece to order.
pub(crate) async fn find_piece(target: &Target) -> Result<Chosen> {
    let mut path = "/api/v1/products?limit=100".to_owned();
    for _ in 0..MAX_PAGES {
        let endpoint = Endpoint::new(target, &path)?;
        let (status, body) = fetch(&endpoint)
            .await
            .with_context(|| format!("GET {path} failed"))?;
        if !status.is_success() {
            bail!("GET {path} answered {status}: {}", snippet(&body));
        }
        match choose_piece(&body)? {
            (Some(chosen), _) => return Ok(chosen),
            (None, Some(cursor)) if query_safe(&cursor) => {
                path = format!("/api/v1/products?limit=100&cursor={cursor}");
            }
            (None, _) => break,
        }
    }
    bail!(
        "the catalogue has no piece sold online, available, without personalisation and under \
         {MAX_PRICE_DOLLARS}.00 USD to order"
    )
}

/// `maison stock set SKU 1000000 --database-url URL`, the operators' command.
pub(crate) async fn raise_stock(maison: &Path, cwd: &Path, url: &str, sku: &str) -> Result<()> {
    let quantity = dblimit::STOCK.to_string();
    let mut command = tokio::process::Command::new(maison);
    command
        .args(["stock", "set", sku, &quantity, "--database-url", url])
        .current_dir(cwd)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    let shown = format!(
        "{} stock set {sku} {quantity} --database-url {}",
        maison.display(),
        redact_url(url)
    );
    let output = timeout(COMMAND_TIMEOUT, command.output())
        .await
        .map_err(|_| anyhow!("`{shown}` took more than {} s", COMMAND_TIMEOUT.as_secs()))?
        .with_context(|| format!("could not run `{shown}`"))?;
    if !output.status.success() {
        bail!(
            "`{shown}` failed ({}): {}",
            output.status,
            snippet(&output.stderr)
        );
    }
    Ok(())
}

/// The settings every measured run shares.
struct Plan {
    duration: Duration,
    concurrency: u64,
}

/// One measured HTTP run, sampling the server's RSS.
async fn measure_flow(
    plan: &Plan,
    scenario: &mut Runs<FlowFigures>,
    flow: &CheckoutFlow,
    server: &mut ChildGuard,
    run: u32,
    hint: &str,
) -> Result<()> {
    let sampler = RssSampler::start(server.pid());
    let mode = scenario.mode;
    let load = async {
        match mode {
            Mode::Closed => closed_loop(flow, plan.concurrency, plan.duration).await,
            Mode::Open { target_rps } => {
                open_loop(flow, plan.concurrency, target_rps, plan.duration).await
            }
        }
    };
    let bound = plan.duration + HARD_MARGIN;
    let result = timeout(bound, load).await;
    let peak = sampler.finish().await;
    match result {
        Ok(Ok(outcome)) => {
            let figures = FlowFigures::from_outcome(outcome, peak);
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

/// One measured run of the database limit.
async fn measure_limit(plan: &Plan, scenario: &mut Runs<LimitFigures>, db: &LimitDb, run: u32) {
    let bound = plan.duration + HARD_MARGIN;
    let label = format!("r{run}");
    match timeout(
        bound,
        dblimit::measure(db, plan.concurrency, plan.duration, &label),
    )
    .await
    {
        Ok(Ok(outcome)) => {
            let figures = LimitFigures::from_outcome(outcome);
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
    sleep(SETTLE).await;
}

/// Where the database limit is measured.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LimitDatabase {
    url: String,
    label: String,
    /// The server's own database (used once the server has stopped).
    servers: bool,
}

/// `--db-limit-url`, else a fresh SQLite file next to the server's, else the
/// server's own database.
fn limit_database(args: &CheckoutArgs, tmp: &Path) -> LimitDatabase {
    match (&args.db_limit_url, &args.database_url) {
        (Some(url), _) => LimitDatabase {
            url: url.clone(),
            label: redact_url(url),
            servers: args.database_url.as_ref() == Some(url),
        },
        (None, None) => LimitDatabase {
            url: format!("sqlite://{}", tmp.join("db-limit.db").display()),
            label: "a fresh SQLite file in the same temp dir".to_owned(),
            servers: false,
        },
        (None, Some(url)) => LimitDatabase {
            url: url.clone(),
            label: format!("{} (the server's, once stopped)", redact_url(url)),
            servers: true,
        },
    }
}

/// The server's phases: choose a piece, raise its stock, check one
/// sequence, warm up, then the closed and open loops. `piece` is filled in as
/// soon as it is known.
#[allow(clippy::too_many_arguments)]
async fn server_phases(
    args: &CheckoutArgs,
    plan: &Plan,
    maison_path: &Path,
    tmp: &Path,
    database_url: &str,
    target: &Target,
    maison: &mut ChildGuard,
    hint: &str,
    piece: &mut Option<Chosen>,
    closed: &mut Runs<FlowFigures>,
    half: &mut Runs<FlowFigures>,
    mut beside: Option<&mut Beside<'_>>,
) -> Result<()> {
    let chosen = find_piece(target).await?;
    eprintln!(
        "ordering {} ({}, {} USD); raising its stock to {}",
        chosen.sku,
        chosen.name,
        chosen.price.amount_string(),
        dblimit::STOCK
    );
    *piece = Some(chosen.clone());
    raise_stock(maison_path, tmp, database_url, &chosen.sku).await?;
    let limit_db = match beside.as_deref_mut() {
        Some(beside) => {
            let db = dblimit::prepare(&beside.database.url, false, Some(&piece_of(&chosen))).await;
            beside.prepared = Some(match &db {
                Ok(db) => Ok((db.piece.sku.clone(), db.durability.clone())),
                Err(err) => Err(format!("{err:#}")),
            });
            db.ok()
        }
        None => None,
    };
    ensure_running(maison, hint)?;
    let flow = CheckoutFlow::new(target, &chosen.sku)?;
    check_one(&flow)
        .await
        .context("one checkout sequence failed before the load")?;

    if args.warmup_secs > 0 {
        eprintln!("warming up ({} s)", args.warmup_secs);
        let duration = Duration::from_secs(args.warmup_secs);
        let _ = timeout(
            duration + HARD_MARGIN,
            closed_loop(&flow, args.concurrency, duration),
        )
        .await;
        sleep(SETTLE).await;
    }
    for run in 1..=args.runs {
        eprintln!("checkout run {run}/{}", args.runs);
        measure_flow(plan, closed, &flow, maison, run, hint).await?;
        if let (Some(db), Some(beside)) = (&limit_db, beside.as_deref_mut()) {
            // The limit right after, with the server frozen: both see the
            // disk as it is this minute (its fsync rate swings 2× from one
            // minute to the next).
            maison.pause()?;
            measure_limit(plan, &mut *beside.limit, db, run).await;
            maison.resume()?;
        }
    }
    if let Some(db) = limit_db {
        db.store.close().await;
    }
    let orders = median(
        &closed
            .runs
            .iter()
            .map(|r| r.orders_per_s)
            .collect::<Vec<_>>(),
    );
    let Some(rate) = orders.filter(|o| *o >= 2.0) else {
        half.skipped = Some("the closed loop had no throughput to halve".to_owned());
        return Ok(());
    };
    let target_rps = rate / 2.0;
    half.mode = Mode::Open { target_rps };
    half.skipped = None;
    eprintln!("open loop at {target_rps:.1} orders/s");
    for run in 1..=args.runs {
        measure_flow(plan, half, &flow, maison, run, hint).await?;
    }
    Ok(())
}

/// The database limit measured between the server's closed-loop runs, on a
/// database of its own (never the server's: a frozen server may hold a lock
/// on its own).
struct Beside<'a> {
    database: &'a LimitDatabase,
    limit: &'a mut Runs<LimitFigures>,
    /// The limit's piece and durability, or why its database could not be
    /// prepared.
    prepared: Option<Result<(String, String), String>>,
}

fn piece_of(chosen: &Chosen) -> Piece {
    Piece {
        sku: chosen.sku.clone(),
        product_sku: chosen.product_sku.clone(),
        name: chosen.name.clone(),
        price: chosen.price,
    }
}

/// Prepares the database limit's database and measures it.
async fn limit_phase(
    plan: &Plan,
    runs: u32,
    database: &LimitDatabase,
    preferred: Option<&Piece>,
    limit: &mut Runs<LimitFigures>,
) -> Result<(String, String)> {
    let db = dblimit::prepare(&database.url, database.servers, preferred).await?;
    eprintln!(
        "database limit on {} ({}), piece {}",
        database.label, db.durability, db.piece.sku
    );
    for run in 1..=runs {
        measure_limit(plan, limit, &db, run).await;
    }
    db.store.close().await;
    Ok((db.piece.sku.clone(), db.durability.clone()))
}

pub async fn run(args: CheckoutArgs) -> Result<()> {
    if !args.maison.is_file() {
        bail!(
            "the Maison server binary {} was not found: build it first with \
             `cargo build --release -p maison -p maison-bench` (from the workspace root), \
             or pass --maison PATH",
            args.maison.display()
        );
    }
    // The server runs in the temp dir (its mail spool goes there, and no
    // maison.toml of the current dir applies), so its path must be absolute.
    let maison_path: PathBuf = std::fs::canonicalize(&args.maison)
        .with_context(|| format!("could not resolve {}", args.maison.display()))?;
    // Declared before the child so it is removed after the child is killed.
    let tmp = TempDir::create()?;
    let (database_url, database_label) = match &args.database_url {
        Some(url) => (url.clone(), redact_url(url)),
        None => (
            format!("sqlite://{}", tmp.path().join("bench.db").display()),
            "SQLite in a temp dir".to_owned(),
        ),
    };
    let limit_db = limit_database(&args, tmp.path());

    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let hint = format!(
        "run it by hand to see its output: (cd {} && {} serve --addr {addr} --database-url {})",
        tmp.path().display(),
        maison_path.display(),
        redact_url(&database_url)
    );
    let mut command = Command::new(&maison_path);
    command
        .args(["serve", "--addr", &addr, "--database-url", &database_url])
        .current_dir(tmp.path())
        .env("RUST_LOG", "warn");
    let mut maison = ChildGuard::spawn("maison", command)?;
    let target = Target::loopback(port)?;
    eprintln!("starting maison on {addr} (database: {database_label})");
    wait_ready(&mut maison, &Endpoint::new(&target, "/healthz")?, &hint).await?;
    sleep(Duration::from_secs(1)).await;
    ensure_running(&mut maison, &hint)?;
    let maison_idle_rss_kb = read_status_kb(maison.pid(), "VmRSS");

    let plan = Plan {
        duration: Duration::from_secs(args.duration_secs),
        concurrency: args.concurrency,
    };
    let runs = args.runs;
    let mut closed = Runs::new("checkout", Mode::Closed, runs);
    let mut half = Runs::new("checkout @ half rate", Mode::Closed, runs);
    half.skipped = Some("not run: the benchmark stopped early".to_owned());
    let mut limit = Runs::new("database limit", Mode::Closed, runs);
    let mut chosen = None;
    let mut beside = (!limit_db.servers).then_some(Beside {
        database: &limit_db,
        limit: &mut limit,
        prepared: None,
    });

    let served = server_phases(
        &args,
        &plan,
        &maison_path,
        tmp.path(),
        &database_url,
        &target,
        &mut maison,
        &hint,
        &mut chosen,
        &mut closed,
        &mut half,
        beside.as_mut(),
    )
    .await;
    let interleaved = beside.and_then(|b| b.prepared);
    let interleaved_runs = matches!(interleaved, Some(Ok(_)));
    let limit_label = match &interleaved {
        Some(_) => format!(
            "{}, measured after each closed-loop run with the server frozen",
            limit_db.label
        ),
        None => limit_db.label.clone(),
    };
    if served.is_err() && closed.runs.is_empty() && closed.failures.is_empty() {
        closed.skipped = Some("not run: the benchmark stopped early".to_owned());
    }
    let maison_hwm_kb = read_status_kb(maison.pid(), "VmHWM");
    // The database limit runs alone: the server would compete for the disk.
    drop(maison);
    sleep(SETTLE).await;

    let preferred = chosen.as_ref().map(|c| Piece {
        sku: c.sku.clone(),
        product_sku: c.product_sku.clone(),
        name: c.name.clone(),
        price: c.price,
    });
    let limited = match interleaved {
        Some(prepared) => prepared.map_err(|err| anyhow::anyhow!(err)),
        None => {
            eprintln!("database limit ({runs} runs)");
            limit_phase(&plan, runs, &limit_db, preferred.as_ref(), &mut limit).await
        }
    };
    let (limit_sku, durability) = match &limited {
        Ok((sku, durability)) => (Some(sku.clone()), Some(durability.clone())),
        Err(err) => {
            limit.skipped = Some(format!("{err:#}"));
            (None, None)
        }
    };
    drop(tmp);

    let stopped_early = match (&served, &limited) {
        (Err(err), _) => Some(format!("{err:#}")),
        (Ok(()), Err(err)) => Some(format!("database limit: {err:#}")),
        _ => None,
    };
    let report = CheckoutReport {
        maison_path: args.maison.display().to_string(),
        database: database_label,
        limit_database: limit_label,
        limit_paired: interleaved_runs,
        runs,
        duration_secs: args.duration_secs,
        concurrency: args.concurrency,
        warmup_secs: args.warmup_secs,
        sku: chosen.as_ref().map(|c| c.sku.clone()),
        piece: chosen
            .as_ref()
            .map(|c| format!("{} ({}, {} USD)", c.sku, c.name, c.price.amount_string())),
        limit_sku,
        durability,
        maison_idle_rss_kb,
        maison_hwm_kb,
        closed,
        half,
        limit,
        stopped_early,
    };
    println!("{}", report.markdown());
    report.write_json(&args.out)?;
    eprintln!("figures written to {}", args.out.display());
    served?;
    limited.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &[u8] = br#"{"items":[
        {"sku":"VAL-PHN-001","name":"Phone","sale_mode":"phone_only","availability":"available","personalisation":[],
         "price":{"amount":"1000.00","currency":"USD"},"variants":[{"sku":"VAL-PHN-001","size":null,"availability":"available"}]},
        {"sku":"VAL-ENG-001","name":"Engraved","sale_mode":"online","availability":"available",
         "personalisation":[{"kind":"engraving","max_lines":2,"max_characters_per_line":20}],
         "price":{"amount":"900.00","currency":"USD"},"variants":[{"sku":"VAL-ENG-001","size":null,"availability":"available"}]},
        {"sku":"VAL-HIG-001","name":"High","sale_mode":"online","availability":"available","personalisation":[],
         "price":{"amount":"30000.00","currency":"USD"},"variants":[{"sku":"VAL-HIG-001","size":null,"availability":"available"}]},
        {"sku":"VAL-OUT-001","name":"Out","sale_mode":"online","availability":"temporarily_unavailable","personalisation":[],
         "price":{"amount":"500.00","currency":"USD"},"variants":[{"sku":"VAL-OUT-001","size":null,"availability":"temporarily_unavailable"}]},
        {"sku":"VAL-RNG-002","name":"Ring","sale_mode":"online","availability":"available","personalisation":[],
         "price":{"amount":"2,750.50","currency":"USD"},"variants":[
            {"sku":"VAL-RNG-002-50","size":"50","availability":"temporarily_unavailable"},
            {"sku":"VAL-RNG-002-52","size":"52","availability":"available"}]},
        {"sku":"VAL-LTH-001","name":"Later","sale_mode":"online","availability":"available","personalisation":[],
         "price":{"amount":"100.00","currency":"USD"},"variants":[{"sku":"VAL-LTH-001","size":null,"availability":"available"}]}
    ],"next_cursor":"abc_1"}"#;

    #[test]
    fn the_first_plain_online_piece_under_30000_is_chosen_with_its_available_size() {
        let (chosen, next) = choose_piece(PAGE).expect("page");
        assert_eq!(
            chosen,
            Some(Chosen {
                product_sku: "VAL-RNG-002".into(),
                sku: "VAL-RNG-002-52".into(),
                name: "Ring".into(),
                price: Money::usd_cents(275_050),
            })
        );
        assert_eq!(next.as_deref(), Some("abc_1"));
    }

    #[test]
    fn no_piece_and_bad_pages() {
        let (chosen, next) = choose_piece(br#"{"items":[],"next_cursor":null}"#).expect("page");
        assert_eq!((chosen, next), (None, None));
        assert!(choose_piece(b"<html>").is_err());
        assert!(choose_piece(br#"{"error":"x"}"#).is_err());
        assert!(query_safe("abc_1-x.y~"));
        assert!(!query_safe("a&b=c"));
        assert!(!query_safe(""));
    }

    #[test]
    fn the_limit_database_defaults_to_a_fresh_sqlite_file_or_the_servers() {
        use clap::Parser;
        let parse = |extra: &[&str]| {
            let cli =
                crate::Cli::try_parse_from(["maison-bench", "checkout"].iter().chain(extra.iter()))
                    .expect("valid arguments");
            match cli.command {
                crate::Command::Checkout(args) => args,
                _ => panic!("not checkout"),
            }
        };
        let tmp = Path::new("/tmp/x");
        let args = parse(&[]);
        assert_eq!(
            (args.runs, args.duration_secs, args.concurrency),
            (3, 5, 16)
        );
        assert_eq!(args.out, PathBuf::from("target/bench/checkout.json"));
        let fresh = limit_database(&args, tmp);
        assert_eq!(fresh.url, "sqlite:///tmp/x/db-limit.db");
        assert!(!fresh.servers);
        let pg = "postgres://postgres:pw@127.0.0.1:55432/bench";
        let args = parse(&["--database-url", pg]);
        let same = limit_database(&args, tmp);
        assert_eq!((same.url.as_str(), same.servers), (pg, true));
        assert!(
            same.label.contains(":***@") && same.label.contains("once stopped"),
            "{}",
            same.label
        );
        let other = "postgres://postgres@127.0.0.1:55432/bench_db_limit";
        let args = parse(&["--database-url", pg, "--db-limit-url", other]);
        assert_eq!(
            limit_database(&args, tmp),
            LimitDatabase {
                url: other.into(),
                label: other.into(),
                servers: false
            }
        );
    }
}
