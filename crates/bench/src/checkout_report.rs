//! The figures of `maison-bench checkout`, as a Markdown table and as JSON.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::dblimit::LimitOutcome;
use crate::flow::FlowOutcome;
use crate::procs::kb_to_mb;
use crate::report::Mode;
use crate::stats::{LatencySummary, median, min_max, summarize};

/// Write commits the server makes per order (this version of Maison): the
/// bag, its line, phase 1 (which also claims the idempotency key) and phase 3.
/// The database limit makes the last two kinds only.
pub const SERVER_COMMITS_PER_ORDER: u32 = 4;
/// Of those, the commits that wait for the disk: phase 1 and phase 3 (a bag's
/// edits are deferred, made durable by the next of these).
pub const SERVER_DURABLE_COMMITS_PER_ORDER: u32 = 2;
/// Write commits per order of the database limit (phase 1 and phase 3).
pub const LIMIT_COMMITS_PER_ORDER: u32 = 2;

/// `part / whole`, when both are known, finite and `whole` is positive.
pub fn ratio(part: Option<f64>, whole: Option<f64>) -> Option<f64> {
    let (part, whole) = (part?, whole?);
    (part.is_finite() && whole.is_finite() && whole > 0.0).then(|| part / whole)
}

/// A ratio as a percentage with one decimal, `n/a` when unknown.
pub fn percent(ratio: Option<f64>) -> String {
    ratio.map_or_else(|| "n/a".to_owned(), |r| format!("{:.1} %", r * 100.0))
}

fn rate(count: u64, elapsed_s: f64) -> f64 {
    if elapsed_s > 0.0 {
        count as f64 / elapsed_s
    } else {
        0.0
    }
}

/// One measured HTTP run.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowFigures {
    /// Checkouts answered 201 per second.
    pub orders_per_s: f64,
    pub orders: u64,
    pub elapsed_s: f64,
    /// The checkout POST (open loop: plus the wait of a held-back sequence).
    pub checkout: Option<LatencySummary>,
    /// Bag + line + checkout (open loop: from the scheduled start when held back).
    pub sequence: Option<LatencySummary>,
    /// Open loop: the checkout POST from its actual send.
    pub checkout_service: Option<LatencySummary>,
    /// Open loop: how late the generator started on idle connections.
    pub send_lag: Option<LatencySummary>,
    pub non_2xx: u64,
    pub bad_answers: u64,
    pub transport_errors: u64,
    pub reconnects: u64,
    pub missed: u64,
    pub rss_peak_kb: Option<u64>,
    pub first_error: Option<String>,
}

impl FlowFigures {
    pub fn from_outcome(mut outcome: FlowOutcome, rss_peak_kb: Option<u64>) -> Self {
        let t = &mut outcome.tally;
        let elapsed_s = outcome.elapsed.as_secs_f64();
        FlowFigures {
            orders_per_s: rate(t.orders, elapsed_s),
            orders: t.orders,
            elapsed_s,
            checkout: summarize(&mut t.checkout_us),
            sequence: summarize(&mut t.sequence_us),
            checkout_service: summarize(&mut t.checkout_service_us),
            send_lag: summarize(&mut t.lag_us),
            non_2xx: t.non_2xx,
            bad_answers: t.bad_answers,
            transport_errors: t.transport_errors,
            reconnects: t.reconnects,
            missed: t.missed,
            rss_peak_kb,
            first_error: t.first_error.take(),
        }
    }

    pub fn progress(&self) -> String {
        let mut line = format!("{:.0} orders/s", self.orders_per_s);
        if let Some(l) = self.checkout {
            let _ = write!(
                line,
                ", checkout p50 {:.2} ms p99 {:.2} ms",
                l.p50_ms, l.p99_ms
            );
        }
        if let Some(l) = self.sequence {
            let _ = write!(
                line,
                ", sequence p50 {:.2} ms p99 {:.2} ms",
                l.p50_ms, l.p99_ms
            );
        }
        let errors = self.non_2xx + self.bad_answers + self.transport_errors;
        if errors > 0 {
            let _ = write!(line, ", {errors} errors");
        }
        if let Some(e) = &self.first_error {
            let _ = write!(line, " (first: {e})");
        }
        line
    }
}

/// One measured run of the database limit.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitFigures {
    pub orders_per_s: f64,
    /// Committed transactions per second, each one commit.
    pub commits_per_s: f64,
    pub orders: u64,
    pub commits: u64,
    pub errors: u64,
    pub elapsed_s: f64,
    /// Both transactions of an order.
    pub order: Option<LatencySummary>,
    pub first_error: Option<String>,
}

impl LimitFigures {
    pub fn from_outcome(mut outcome: LimitOutcome) -> Self {
        let t = &mut outcome.tally;
        let elapsed_s = outcome.elapsed.as_secs_f64();
        LimitFigures {
            orders_per_s: rate(t.orders, elapsed_s),
            commits_per_s: rate(t.commits, elapsed_s),
            orders: t.orders,
            commits: t.commits,
            errors: t.errors,
            elapsed_s,
            order: summarize(&mut t.order_us),
            first_error: t.first_error.take(),
        }
    }

    pub fn progress(&self) -> String {
        let mut line = format!(
            "{:.0} orders/s, {:.0} commits/s",
            self.orders_per_s, self.commits_per_s
        );
        if let Some(l) = self.order {
            let _ = write!(
                line,
                ", order p50 {:.2} ms p99 {:.2} ms",
                l.p50_ms, l.p99_ms
            );
        }
        if self.errors > 0 {
            let _ = write!(line, ", {} errors", self.errors);
        }
        if let Some(e) = &self.first_error {
            let _ = write!(line, " (first: {e})");
        }
        line
    }
}

/// Runs of one scenario, with what stopped it.
#[derive(Debug, Clone)]
pub struct Runs<F> {
    pub name: String,
    pub mode: Mode,
    pub runs: Vec<F>,
    /// Runs that failed as a whole (e.g. hit the hard timeout).
    pub failures: Vec<String>,
    /// Why the scenario did not run at all.
    pub skipped: Option<String>,
    pub planned_runs: u32,
}

impl<F> Runs<F> {
    pub fn new(name: &str, mode: Mode, planned_runs: u32) -> Self {
        Runs {
            name: name.to_owned(),
            mode,
            runs: Vec::new(),
            failures: Vec::new(),
            skipped: None,
            planned_runs,
        }
    }

    fn figure(&self, f: impl Fn(&F) -> Option<f64>) -> Vec<f64> {
        self.runs.iter().filter_map(f).collect()
    }

    fn sum(&self, f: impl Fn(&F) -> u64) -> u64 {
        self.runs.iter().map(f).sum()
    }

    fn label(&self) -> String {
        match self.mode {
            Mode::Closed => self.name.clone(),
            Mode::Open { target_rps } => {
                format!("{} (target {target_rps:.0} orders/s)", self.name)
            }
        }
    }
}

/// Medians (and the min–max of orders/s) over a scenario's runs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Medians {
    pub orders_per_s: Option<f64>,
    pub orders_min_max: Option<(f64, f64)>,
    pub checkout_p50: Option<f64>,
    pub checkout_p99: Option<f64>,
    pub sequence_p50: Option<f64>,
    pub sequence_p99: Option<f64>,
    pub rss_peak_mb: Option<f64>,
    /// Database limit only.
    pub commits_per_s: Option<f64>,
    pub commits_min_max: Option<(f64, f64)>,
}

impl Runs<FlowFigures> {
    pub fn medians(&self) -> Medians {
        let orders = self.figure(|r| Some(r.orders_per_s));
        Medians {
            orders_per_s: median(&orders),
            orders_min_max: min_max(&orders),
            checkout_p50: median(&self.figure(|r| r.checkout.map(|l| l.p50_ms))),
            checkout_p99: median(&self.figure(|r| r.checkout.map(|l| l.p99_ms))),
            sequence_p50: median(&self.figure(|r| r.sequence.map(|l| l.p50_ms))),
            sequence_p99: median(&self.figure(|r| r.sequence.map(|l| l.p99_ms))),
            rss_peak_mb: median(&self.figure(|r| r.rss_peak_kb.map(kb_to_mb))),
            ..Medians::default()
        }
    }

    fn errors_cell(&self) -> String {
        let mut parts = Vec::new();
        for (n, what) in [
            (self.sum(|r| r.non_2xx), "non-2xx"),
            (self.sum(|r| r.bad_answers), "bad answers"),
            (self.sum(|r| r.transport_errors), "transport"),
            (self.sum(|r| r.missed), "missed sequences"),
        ] {
            if n > 0 {
                parts.push(format!("{n} {what}"));
            }
        }
        errors_text(parts, self.failures.len())
    }
}

impl Runs<LimitFigures> {
    pub fn medians(&self) -> Medians {
        let orders = self.figure(|r| Some(r.orders_per_s));
        let commits = self.figure(|r| Some(r.commits_per_s));
        Medians {
            orders_per_s: median(&orders),
            orders_min_max: min_max(&orders),
            checkout_p50: median(&self.figure(|r| r.order.map(|l| l.p50_ms))),
            checkout_p99: median(&self.figure(|r| r.order.map(|l| l.p99_ms))),
            commits_per_s: median(&commits),
            commits_min_max: min_max(&commits),
            ..Medians::default()
        }
    }

    fn errors_cell(&self) -> String {
        let errors = self.sum(|r| r.errors);
        let parts = if errors > 0 {
            vec![format!("{errors} failed orders")]
        } else {
            Vec::new()
        };
        errors_text(parts, self.failures.len())
    }
}

fn errors_text(mut parts: Vec<String>, failed_runs: usize) -> String {
    if failed_runs > 0 {
        parts.push(format!("{failed_runs} failed runs"));
    }
    if parts.is_empty() {
        "0".to_owned()
    } else {
        parts.join(", ")
    }
}

/// Everything a `checkout` benchmark measured.
#[derive(Debug, Clone)]
pub struct CheckoutReport {
    pub maison_path: String,
    pub database: String,
    pub limit_database: String,
    /// Whether the limit's run `i` was measured right after the server's
    /// closed-loop run `i` (the server frozen), so that the two pair up.
    pub limit_paired: bool,
    pub runs: u32,
    pub duration_secs: u64,
    pub concurrency: u64,
    pub warmup_secs: u64,
    /// The SKU ordered through HTTP, with its creation and price.
    pub sku: Option<String>,
    pub piece: Option<String>,
    /// The piece of the database limit and its durability settings.
    pub limit_sku: Option<String>,
    pub durability: Option<String>,
    pub maison_idle_rss_kb: Option<u64>,
    pub maison_hwm_kb: Option<u64>,
    pub closed: Runs<FlowFigures>,
    pub half: Runs<FlowFigures>,
    pub limit: Runs<LimitFigures>,
    pub stopped_early: Option<String>,
}

fn cell(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.decimals$}"))
}

fn range(r: Option<(f64, f64)>) -> String {
    r.map_or_else(|| "n/a".to_owned(), |(lo, hi)| format!("{lo:.0}–{hi:.0}"))
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

fn opt(v: Option<f64>) -> Value {
    v.map_or(Value::Null, |v| json!(round3(v)))
}

fn latency_json(l: Option<LatencySummary>) -> Value {
    l.map_or(Value::Null, |l| {
        json!({
            "p50_ms": round3(l.p50_ms),
            "p90_ms": round3(l.p90_ms),
            "p99_ms": round3(l.p99_ms),
            "max_ms": round3(l.max_ms),
        })
    })
}

fn medians_json(m: &Medians) -> Value {
    json!({
        "orders_per_s": opt(m.orders_per_s),
        "orders_per_s_min": opt(m.orders_min_max.map(|r| r.0)),
        "orders_per_s_max": opt(m.orders_min_max.map(|r| r.1)),
        "checkout_p50_ms": opt(m.checkout_p50),
        "checkout_p99_ms": opt(m.checkout_p99),
        "sequence_p50_ms": opt(m.sequence_p50),
        "sequence_p99_ms": opt(m.sequence_p99),
        "rss_peak_mb": opt(m.rss_peak_mb),
    })
}

fn flow_json(s: &Runs<FlowFigures>) -> Value {
    let runs: Vec<Value> = s
        .runs
        .iter()
        .map(|r| {
            json!({
                "orders_per_s": round3(r.orders_per_s),
                "orders": r.orders,
                "elapsed_s": round3(r.elapsed_s),
                "checkout": latency_json(r.checkout),
                "sequence": latency_json(r.sequence),
                "checkout_service_time": latency_json(r.checkout_service),
                "send_lag": latency_json(r.send_lag),
                "non_2xx": r.non_2xx,
                "bad_answers": r.bad_answers,
                "transport_errors": r.transport_errors,
                "reconnects": r.reconnects,
                "missed_sequences": r.missed,
                "rss_peak_mb": opt(r.rss_peak_kb.map(kb_to_mb)),
                "first_error": r.first_error,
            })
        })
        .collect();
    let (mode, target) = match s.mode {
        Mode::Closed => ("closed", None),
        Mode::Open { target_rps } => ("open", Some(target_rps)),
    };
    json!({
        "name": s.name,
        "mode": mode,
        "target_orders_per_s": opt(target),
        "planned_runs": s.planned_runs,
        "skipped": s.skipped,
        "failures": s.failures,
        "median": medians_json(&s.medians()),
        "errors": {
            "non_2xx": s.sum(|r| r.non_2xx),
            "bad_answers": s.sum(|r| r.bad_answers),
            "transport": s.sum(|r| r.transport_errors),
            "missed_sequences": s.sum(|r| r.missed),
            "failed_runs": s.failures.len(),
        },
        "runs": runs,
    })
}

impl CheckoutReport {
    /// Median server orders/s over median database-limit orders/s.
    pub fn server_over_limit(&self) -> Option<f64> {
        ratio(
            self.closed.medians().orders_per_s,
            self.limit.medians().orders_per_s,
        )
    }

    /// With paired runs: each closed-loop run's orders/s over those of the
    /// limit measured right after it (the disk as it was that minute).
    pub fn server_over_limit_by_run(&self) -> Option<Vec<f64>> {
        let (closed, limit) = (&self.closed, &self.limit);
        let whole = closed.failures.is_empty()
            && limit.failures.is_empty()
            && closed.runs.len() == limit.runs.len()
            && !closed.runs.is_empty();
        if !(self.limit_paired && whole) {
            return None;
        }
        closed
            .runs
            .iter()
            .zip(&limit.runs)
            .map(|(server, limit)| ratio(Some(server.orders_per_s), Some(limit.orders_per_s)))
            .collect()
    }

    fn flow_row(out: &mut String, s: &Runs<FlowFigures>) {
        if let Some(why) = &s.skipped {
            let _ = writeln!(
                out,
                "| {} | 0/{} | skipped: {why} | | | | | | | |",
                s.name, s.planned_runs
            );
            return;
        }
        let m = s.medians();
        let _ = writeln!(
            out,
            "| {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} |",
            s.label(),
            s.runs.len(),
            s.planned_runs,
            cell(m.orders_per_s, 0),
            range(m.orders_min_max),
            cell(m.checkout_p50, 2),
            cell(m.checkout_p99, 2),
            cell(m.sequence_p50, 2),
            cell(m.sequence_p99, 2),
            s.errors_cell(),
            cell(m.rss_peak_mb, 1),
        );
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## Maison checkout benchmark\n");
        let _ = writeln!(
            out,
            "{} runs × {} s per scenario (after {} s warm-up), {} client tasks (one keep-alive \
             HTTP/1.1 connection each), database: {}; database limit on: {}. Piece ordered: {}. \
             Figures are medians over runs; latency in ms.\n",
            self.runs,
            self.duration_secs,
            self.warmup_secs,
            self.concurrency,
            self.database,
            self.limit_database,
            self.piece.as_deref().unwrap_or("n/a"),
        );
        let _ = writeln!(
            out,
            "| scenario | runs | orders/s (median) | orders/s (min–max) | checkout p50 | checkout p99 | sequence p50 | sequence p99 | errors | server RSS peak (MB) |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        Self::flow_row(&mut out, &self.closed);
        Self::flow_row(&mut out, &self.half);
        let l = &self.limit;
        if let Some(why) = &l.skipped {
            let _ = writeln!(
                out,
                "| {} | 0/{} | skipped: {why} | | | | | | | |",
                l.name, l.planned_runs
            );
        } else {
            let m = l.medians();
            let _ = writeln!(
                out,
                "| {} ¹ | {}/{} | {} | {} | {} | {} | n/a | n/a | {} | n/a |",
                l.name,
                l.runs.len(),
                l.planned_runs,
                cell(m.orders_per_s, 0),
                range(m.orders_min_max),
                cell(m.checkout_p50, 2),
                cell(m.checkout_p99, 2),
                l.errors_cell(),
            );
        }
        let _ = writeln!(out);
        let lm = l.medians();
        let _ = writeln!(
            out,
            "¹ In-process through maison-store, no HTTP, same {} tasks: per order one transaction \
             like phase 1 (stock, order, line, event, payment attempt) and one like phase 3 \
             (attempt resolved, card token, two status moves with events, two outbox messages), \
             each one commit. Latency columns: both transactions of an order.\n",
            self.concurrency
        );
        let _ = writeln!(
            out,
            "- database limit: {} orders/s = {} single-commit transactions/s (min–max {}); \
             durability: {}",
            cell(lm.orders_per_s, 0),
            cell(lm.commits_per_s, 0),
            range(lm.commits_min_max),
            self.durability.as_deref().unwrap_or("n/a"),
        );
        let _ = writeln!(
            out,
            "- checkout orders/s ÷ database-limit orders/s: {}",
            percent(self.server_over_limit())
        );
        if let Some(by_run) = self.server_over_limit_by_run() {
            let each: Vec<String> = by_run.iter().map(|r| percent(Some(*r))).collect();
            let _ = writeln!(
                out,
                "- run by run (each closed-loop run ÷ the limit measured right after it): {} \
                 (median {})",
                each.join(", "),
                percent(median(&by_run))
            );
        }
        let server_commits = self
            .closed
            .medians()
            .orders_per_s
            .map(|o| o * f64::from(SERVER_COMMITS_PER_ORDER));
        let _ = writeln!(
            out,
            "- commits per order: the server makes {SERVER_COMMITS_PER_ORDER} (bag, line, \
             phase 1 with the idempotency key, phase 3), of which \
             {SERVER_DURABLE_COMMITS_PER_ORDER} wait for the disk (the bag's are deferred); \
             the database limit {LIMIT_COMMITS_PER_ORDER}, both durable; the server's outbox worker adds two commits per batch \
             of up to 50 messages (it drains the outbox every second). At the median orders/s the server committed ≈ {} times/s \
             ({} of the database limit's commits/s).",
            cell(server_commits, 0),
            percent(ratio(server_commits, lm.commits_per_s))
        );
        let _ = writeln!(
            out,
            "- open loop: sequences started on a fixed schedule at half the closed-loop median; \
             a sequence held back by the previous one is timed from its scheduled start, and \
             its checkout is charged the same wait."
        );
        let _ = writeln!(
            out,
            "- Maison idle RSS: {} MB (VmHWM at the end: {} MB)",
            cell(self.maison_idle_rss_kb.map(kb_to_mb), 1),
            cell(self.maison_hwm_kb.map(kb_to_mb), 1)
        );
        if let Some(why) = &self.stopped_early {
            let _ = writeln!(out, "- **stopped early**: {why}");
        }
        for (name, errors, failures) in [
            (
                &self.closed.name,
                first_errors(&self.closed.runs, |r| r.first_error.as_deref()),
                &self.closed.failures,
            ),
            (
                &self.half.name,
                first_errors(&self.half.runs, |r| r.first_error.as_deref()),
                &self.half.failures,
            ),
            (
                &l.name,
                first_errors(&l.runs, |r| r.first_error.as_deref()),
                &l.failures,
            ),
        ] {
            for (i, e) in errors {
                let _ = writeln!(out, "- {name} run {i}: first error: {e}");
            }
            for f in failures {
                let _ = writeln!(out, "- {name}: {f}");
            }
        }
        out
    }

    pub fn json(&self) -> Value {
        let l = &self.limit;
        let lm = l.medians();
        let limit_runs: Vec<Value> = l
            .runs
            .iter()
            .map(|r| {
                json!({
                    "orders_per_s": round3(r.orders_per_s),
                    "commits_per_s": round3(r.commits_per_s),
                    "orders": r.orders,
                    "commits": r.commits,
                    "errors": r.errors,
                    "elapsed_s": round3(r.elapsed_s),
                    "order": latency_json(r.order),
                    "first_error": r.first_error,
                })
            })
            .collect();
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        json!({
            "tool": "maison-bench",
            "scenario": "checkout",
            "version": env!("CARGO_PKG_VERSION"),
            "timestamp_unix": timestamp,
            "config": {
                "maison": self.maison_path,
                "database": self.database,
                "db_limit_database": self.limit_database,
                "runs": self.runs,
                "duration_secs": self.duration_secs,
                "warmup_secs": self.warmup_secs,
                "concurrency": self.concurrency,
                "sku": self.sku,
                "piece": self.piece,
                "db_limit_sku": self.limit_sku,
            },
            "memory_mb": {
                "maison_idle_rss": opt(self.maison_idle_rss_kb.map(kb_to_mb)),
                "maison_vmhwm": opt(self.maison_hwm_kb.map(kb_to_mb)),
            },
            "checkout": flow_json(&self.closed),
            "checkout_half_rate": flow_json(&self.half),
            "database_limit": {
                "planned_runs": l.planned_runs,
                "skipped": l.skipped,
                "failures": l.failures,
                "durability": self.durability,
                "commits_per_order": LIMIT_COMMITS_PER_ORDER,
                "median": {
                    "orders_per_s": opt(lm.orders_per_s),
                    "orders_per_s_min": opt(lm.orders_min_max.map(|r| r.0)),
                    "orders_per_s_max": opt(lm.orders_min_max.map(|r| r.1)),
                    "commits_per_s": opt(lm.commits_per_s),
                    "commits_per_s_min": opt(lm.commits_min_max.map(|r| r.0)),
                    "commits_per_s_max": opt(lm.commits_min_max.map(|r| r.1)),
                    "order_p50_ms": opt(lm.checkout_p50),
                    "order_p99_ms": opt(lm.checkout_p99),
                },
                "errors": l.sum(|r| r.errors),
                "runs": limit_runs,
            },
            "server_commits_per_order": SERVER_COMMITS_PER_ORDER,
            "server_durable_commits_per_order": SERVER_DURABLE_COMMITS_PER_ORDER,
            "server_commits_per_s_estimate": opt(self
                .closed
                .medians()
                .orders_per_s
                .map(|o| o * f64::from(SERVER_COMMITS_PER_ORDER))),
            "checkout_over_database_limit": opt(self.server_over_limit()),
            "checkout_over_database_limit_by_run": self.server_over_limit_by_run(),
            "stopped_early": self.stopped_early,
        })
    }

    /// Writes the JSON figures, creating the parent directories.
    pub fn write_json(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("could not create {}", dir.display()))?;
        }
        let text = serde_json::to_string_pretty(&self.json())
            .context("could not serialise the figures")?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("could not write {}", path.display()))
    }
}

/// (run number, first error) of the runs that had one.
fn first_errors<F>(runs: &[F], f: impl Fn(&F) -> Option<&str>) -> Vec<(usize, String)> {
    runs.iter()
        .enumerate()
        .filter_map(|(i, r)| f(r).map(|e| (i + 1, e.to_owned())))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latency(p50: f64) -> Option<LatencySummary> {
        Some(LatencySummary {
            p50_ms: p50,
            p90_ms: p50 * 2.0,
            p99_ms: p50 * 3.0,
            max_ms: p50 * 4.0,
        })
    }

    fn flow(orders_per_s: f64, p50: f64, non_2xx: u64) -> FlowFigures {
        FlowFigures {
            orders_per_s,
            orders: 100,
            elapsed_s: 5.0,
            checkout: latency(p50),
            sequence: latency(p50 * 2.0),
            checkout_service: None,
            send_lag: None,
            non_2xx,
            bad_answers: 0,
            transport_errors: 0,
            reconnects: 0,
            missed: 0,
            rss_peak_kb: Some(20_480),
            first_error: (non_2xx > 0)
                .then(|| "POST /api/v1/checkout answered 409 Conflict: {}".to_owned()),
        }
    }

    fn limit(orders_per_s: f64) -> LimitFigures {
        LimitFigures {
            orders_per_s,
            commits_per_s: orders_per_s * 2.0,
            orders: 1000,
            commits: 2000,
            errors: 0,
            elapsed_s: 5.0,
            order: latency(4.0),
            first_error: None,
        }
    }

    fn report() -> CheckoutReport {
        let mut closed = Runs::new("checkout", Mode::Closed, 3);
        closed.runs = vec![
            flow(90.0, 10.0, 0),
            flow(100.0, 12.0, 2),
            flow(110.0, 11.0, 0),
        ];
        let mut half = Runs::new("checkout @ half rate", Mode::Open { target_rps: 50.0 }, 3);
        half.skipped = Some("no throughput".into());
        let mut lim = Runs::new("database limit", Mode::Closed, 3);
        lim.runs = vec![limit(400.0), limit(500.0), limit(450.0)];
        CheckoutReport {
            maison_path: "target/release/maison".into(),
            database: "SQLite in a temp dir".into(),
            limit_database: "a fresh SQLite file".into(),
            limit_paired: true,
            runs: 3,
            duration_secs: 5,
            concurrency: 16,
            warmup_secs: 1,
            sku: Some("VAL-LTH-001".into()),
            piece: Some("VAL-LTH-001 (Étoile, 1250.00 USD)".into()),
            limit_sku: Some("BENCH-LIMIT-001".into()),
            durability: Some("SQLite journal_mode=wal, synchronous=FULL".into()),
            maison_idle_rss_kb: Some(20_480),
            maison_hwm_kb: None,
            closed,
            half,
            limit: lim,
            stopped_early: None,
        }
    }

    #[test]
    fn ratios_and_percentages() {
        assert_eq!(ratio(Some(1.0), Some(4.0)), Some(0.25));
        assert_eq!(ratio(Some(1.0), Some(0.0)), None);
        assert_eq!(ratio(None, Some(4.0)), None);
        assert_eq!(ratio(Some(f64::NAN), Some(4.0)), None);
        assert_eq!(percent(Some(0.25)), "25.0 %");
        assert_eq!(percent(Some(0.12345)), "12.3 %");
        assert_eq!(percent(Some(1.5)), "150.0 %");
        assert_eq!(percent(None), "n/a");
    }

    #[test]
    fn medians_are_taken_per_figure_over_runs() {
        let r = report();
        let m = r.closed.medians();
        assert_eq!(m.orders_per_s, Some(100.0));
        assert_eq!(m.orders_min_max, Some((90.0, 110.0)));
        assert_eq!(m.checkout_p50, Some(11.0));
        assert_eq!(m.sequence_p99, Some(66.0));
        assert_eq!(m.rss_peak_mb, Some(20.0));
        let l = r.limit.medians();
        assert_eq!(l.orders_per_s, Some(450.0));
        assert_eq!(l.commits_per_s, Some(900.0));
        assert_eq!(l.commits_min_max, Some((800.0, 1000.0)));
        assert_eq!(r.server_over_limit(), Some(100.0 / 450.0));
    }

    #[test]
    fn the_table_has_the_three_lines_and_the_ratio() {
        let text = report().markdown();
        assert!(
            text.contains("| checkout | 3/3 | 100 | 90–110 | 11.00 | 33.00 | 22.00 | 66.00 | 2 non-2xx | 20.0 |"),
            "{text}"
        );
        assert!(text.contains("skipped: no throughput"), "{text}");
        assert!(
            text.contains(
                "| database limit ¹ | 3/3 | 450 | 400–500 | 4.00 | 12.00 | n/a | n/a | 0 | n/a |"
            ),
            "{text}"
        );
        assert!(
            text.contains("900 single-commit transactions/s (min–max 800–1000)"),
            "{text}"
        );
        assert!(text.contains("database-limit orders/s: 22.2 %"), "{text}");
        // 90/400, 100/500, 110/450: each run over the limit measured after it.
        assert!(
            text.contains("run by run (each closed-loop run ÷ the limit measured right after it): 22.5 %, 20.0 %, 24.4 % (median 22.5 %)"),
            "{text}"
        );
        assert!(
            text.contains("committed ≈ 400 times/s (44.4 % of the database limit's"),
            "{text}"
        );
        assert!(
            text.contains("checkout run 2: first error: POST /api/v1/checkout answered 409"),
            "{text}"
        );
        let json = report().json();
        assert_eq!(json["checkout"]["median"]["orders_per_s"], 100.0);
        assert_eq!(json["checkout"]["errors"]["non_2xx"], 2);
        assert_eq!(json["database_limit"]["median"]["commits_per_s"], 900.0);
        assert_eq!(json["checkout_over_database_limit"], round3(100.0 / 450.0));
        assert_eq!(json["checkout_half_rate"]["skipped"], "no throughput");
    }
}
