//! The figures of a whole `run`, rendered as a Markdown table and as JSON.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::load::Outcome;
use crate::procs::kb_to_mb;
use crate::stats::{LatencySummary, median, min_max, summarize};

/// How a scenario drives its server.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// Each connection sends back-to-back: measures the throughput ceiling.
    Closed,
    /// Fixed total rate, latency from the scheduled send time.
    Open { target_rps: f64 },
}

/// One measured run of one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct RunFigures {
    /// 2xx responses per second.
    pub rps: f64,
    pub ok: u64,
    pub non_2xx: u64,
    pub transport_errors: u64,
    pub reconnects: u64,
    pub missed: u64,
    pub elapsed_s: f64,
    pub latency: Option<LatencySummary>,
    /// Open loop: from the actual send, for comparison with `latency`.
    pub service: Option<LatencySummary>,
    /// Open loop: how late the generator sent on idle connections (its own noise).
    pub send_lag: Option<LatencySummary>,
    pub rss_peak_kb: Option<u64>,
    pub mean_body_bytes: Option<f64>,
    pub first_error: Option<String>,
}

impl RunFigures {
    pub fn from_outcome(mut outcome: Outcome, rss_peak_kb: Option<u64>) -> Self {
        let t = &mut outcome.tally;
        let elapsed_s = outcome.elapsed.as_secs_f64();
        RunFigures {
            rps: if elapsed_s > 0.0 {
                t.ok as f64 / elapsed_s
            } else {
                0.0
            },
            ok: t.ok,
            non_2xx: t.non_2xx,
            transport_errors: t.transport_errors,
            reconnects: t.reconnects,
            missed: t.missed,
            elapsed_s,
            latency: summarize(&mut t.latencies_us),
            service: summarize(&mut t.service_us),
            send_lag: summarize(&mut t.lag_us),
            rss_peak_kb,
            mean_body_bytes: (t.ok > 0).then(|| t.body_bytes as f64 / t.ok as f64),
            first_error: t.first_error.take(),
        }
    }

    /// A one-line progress message for stderr.
    pub fn progress(&self) -> String {
        let mut line = format!("{:.0} req/s", self.rps);
        if let Some(l) = self.latency {
            let _ = write!(line, ", p50 {:.2} ms, p99 {:.2} ms", l.p50_ms, l.p99_ms);
        }
        let errors = self.non_2xx + self.transport_errors;
        if errors > 0 {
            let _ = write!(line, ", {errors} errors");
        }
        if let Some(e) = &self.first_error {
            let _ = write!(line, " (first: {e})");
        }
        line
    }
}

/// A scenario and all its runs.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    /// Which process is measured: `maison` or `bare-server`.
    pub server: &'static str,
    pub path: String,
    pub mode: Mode,
    pub runs: Vec<RunFigures>,
    /// Runs that failed as a whole (e.g. hit the hard timeout).
    pub failures: Vec<String>,
    /// Why the scenario did not run at all.
    pub skipped: Option<String>,
    pub planned_runs: u32,
}

/// Medians over a scenario's successful runs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Medians {
    pub rps: Option<f64>,
    pub rps_min_max: Option<(f64, f64)>,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub rss_peak_mb: Option<f64>,
}

impl Scenario {
    pub fn new(
        name: &str,
        server: &'static str,
        path: &str,
        mode: Mode,
        planned_runs: u32,
    ) -> Self {
        Scenario {
            name: name.to_owned(),
            server,
            path: path.to_owned(),
            mode,
            runs: Vec::new(),
            failures: Vec::new(),
            skipped: None,
            planned_runs,
        }
    }

    fn figure(&self, f: impl Fn(&RunFigures) -> Option<f64>) -> Vec<f64> {
        self.runs.iter().filter_map(f).collect()
    }

    pub fn medians(&self) -> Medians {
        let rps = self.figure(|r| Some(r.rps));
        Medians {
            rps: median(&rps),
            rps_min_max: min_max(&rps),
            p50_ms: median(&self.figure(|r| r.latency.map(|l| l.p50_ms))),
            p90_ms: median(&self.figure(|r| r.latency.map(|l| l.p90_ms))),
            p99_ms: median(&self.figure(|r| r.latency.map(|l| l.p99_ms))),
            max_ms: median(&self.figure(|r| r.latency.map(|l| l.max_ms))),
            rss_peak_mb: median(&self.figure(|r| r.rss_peak_kb.map(kb_to_mb))),
        }
    }

    fn sum(&self, f: impl Fn(&RunFigures) -> u64) -> u64 {
        self.runs.iter().map(f).sum()
    }

    /// Errors over all runs, for the table: empty when there were none.
    fn errors_cell(&self) -> String {
        let mut parts = Vec::new();
        let non_2xx = self.sum(|r| r.non_2xx);
        let transport = self.sum(|r| r.transport_errors);
        let missed = self.sum(|r| r.missed);
        if non_2xx > 0 {
            parts.push(format!("{non_2xx} non-2xx"));
        }
        if transport > 0 {
            parts.push(format!("{transport} transport"));
        }
        if missed > 0 {
            parts.push(format!("{missed} missed sends"));
        }
        if !self.failures.is_empty() {
            parts.push(format!("{} failed runs", self.failures.len()));
        }
        if parts.is_empty() {
            "0".to_owned()
        } else {
            parts.join(", ")
        }
    }

    fn label(&self) -> String {
        match self.mode {
            Mode::Closed => self.name.clone(),
            Mode::Open { target_rps } => format!("{} (target {target_rps:.0} req/s)", self.name),
        }
    }
}

/// Everything a `run` measured.
#[derive(Debug, Clone)]
pub struct Report {
    pub maison_path: String,
    pub database: String,
    pub runs: u32,
    pub duration_secs: u64,
    pub connections: u64,
    pub warmup_secs: u64,
    pub product_page: String,
    pub maison_idle_rss_kb: Option<u64>,
    pub maison_hwm_kb: Option<u64>,
    pub bare_idle_rss_kb: Option<u64>,
    pub bare_hwm_kb: Option<u64>,
    pub scenarios: Vec<Scenario>,
    /// Why the benchmark ended before all its runs (e.g. a server crashed).
    pub stopped_early: Option<String>,
}

fn cell(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.decimals$}"))
}

fn mb(kb: Option<u64>) -> String {
    cell(kb.map(kb_to_mb), 1)
}

/// Rounds for JSON: keeps µs resolution without float noise.
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

impl Report {
    fn scenario(&self, name: &str) -> Option<&Scenario> {
        self.scenarios.iter().find(|s| s.name == name)
    }

    /// Median throughput of Maison's JSON API over the bare route's.
    pub fn api_over_bare(&self) -> Option<f64> {
        let api = self.scenario("api-products")?.medians().rps?;
        let bare = self.scenario("bare-route")?.medians().rps?;
        (bare > 0.0).then(|| api / bare)
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "## Maison load benchmark\n");
        let _ = writeln!(
            out,
            "{} runs × {} s per scenario (after {} s warm-up), {} keep-alive HTTP/1.1 connections, \
             database: {}. Figures are medians over runs; latency in ms; product page: `{}`.\n",
            self.runs,
            self.duration_secs,
            self.warmup_secs,
            self.connections,
            self.database,
            self.product_page
        );
        let _ = writeln!(
            out,
            "| scenario | runs | req/s (median) | req/s (min–max) | p50 | p90 | p99 | max | errors | server RSS peak (MB) |"
        );
        let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
        for s in &self.scenarios {
            if let Some(why) = &s.skipped {
                let _ = writeln!(
                    out,
                    "| {} | 0/{} | skipped: {why} | | | | | | | |",
                    s.name, s.planned_runs
                );
                continue;
            }
            let m = s.medians();
            let range = m
                .rps_min_max
                .map_or_else(|| "n/a".to_owned(), |(lo, hi)| format!("{lo:.0}–{hi:.0}"));
            let _ = writeln!(
                out,
                "| {} | {}/{} | {} | {} | {} | {} | {} | {} | {} | {} |",
                s.label(),
                s.runs.len(),
                s.planned_runs,
                cell(m.rps, 0),
                range,
                cell(m.p50_ms, 2),
                cell(m.p90_ms, 2),
                cell(m.p99_ms, 2),
                cell(m.max_ms, 2),
                s.errors_cell(),
                cell(m.rss_peak_mb, 1),
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "- Maison idle RSS: {} MB (VmHWM at the end: {} MB)",
            mb(self.maison_idle_rss_kb),
            mb(self.maison_hwm_kb)
        );
        let _ = writeln!(
            out,
            "- bare-server idle RSS: {} MB (VmHWM at the end: {} MB)",
            mb(self.bare_idle_rss_kb),
            mb(self.bare_hwm_kb)
        );
        match self.api_over_bare() {
            Some(r) => {
                let _ = writeln!(
                    out,
                    "- api-products / bare-route throughput: {r:.3} ({:.1} % of the bare axum ceiling)",
                    r * 100.0
                );
            }
            None => {
                let _ = writeln!(out, "- api-products / bare-route throughput: n/a");
            }
        }
        if let Some(why) = &self.stopped_early {
            let _ = writeln!(out, "- **stopped early**: {why}");
        }
        // Name what failed, so a table with errors can be acted upon.
        for s in &self.scenarios {
            for (i, r) in s.runs.iter().enumerate() {
                if let Some(e) = &r.first_error {
                    let _ = writeln!(out, "- {} run {}: first error: {e}", s.name, i + 1);
                }
            }
            for f in &s.failures {
                let _ = writeln!(out, "- {}: {f}", s.name);
            }
        }
        out
    }

    pub fn json(&self) -> Value {
        let scenarios: Vec<Value> = self
            .scenarios
            .iter()
            .map(|s| {
                let m = s.medians();
                let runs: Vec<Value> = s
                    .runs
                    .iter()
                    .map(|r| {
                        json!({
                            "rps": round3(r.rps),
                            "ok": r.ok,
                            "non_2xx": r.non_2xx,
                            "transport_errors": r.transport_errors,
                            "reconnects": r.reconnects,
                            "missed_sends": r.missed,
                            "elapsed_s": round3(r.elapsed_s),
                            "latency": latency_json(r.latency),
                            "service_time": latency_json(r.service),
                            "send_lag": latency_json(r.send_lag),
                            "rss_peak_mb": opt(r.rss_peak_kb.map(kb_to_mb)),
                            "mean_body_bytes": opt(r.mean_body_bytes),
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
                    "server": s.server,
                    "path": s.path,
                    "mode": mode,
                    "target_rps": opt(target),
                    "planned_runs": s.planned_runs,
                    "skipped": s.skipped,
                    "failures": s.failures,
                    "median": {
                        "rps": opt(m.rps),
                        "rps_min": opt(m.rps_min_max.map(|r| r.0)),
                        "rps_max": opt(m.rps_min_max.map(|r| r.1)),
                        "p50_ms": opt(m.p50_ms),
                        "p90_ms": opt(m.p90_ms),
                        "p99_ms": opt(m.p99_ms),
                        "max_ms": opt(m.max_ms),
                        "rss_peak_mb": opt(m.rss_peak_mb),
                    },
                    "errors": {
                        "non_2xx": s.sum(|r| r.non_2xx),
                        "transport": s.sum(|r| r.transport_errors),
                        "missed_sends": s.sum(|r| r.missed),
                        "failed_runs": s.failures.len(),
                    },
                    "runs": runs,
                })
            })
            .collect();
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        json!({
            "tool": "maison-bench",
            "version": env!("CARGO_PKG_VERSION"),
            "timestamp_unix": timestamp,
            "config": {
                "maison": self.maison_path,
                "database": self.database,
                "runs": self.runs,
                "duration_secs": self.duration_secs,
                "warmup_secs": self.warmup_secs,
                "connections": self.connections,
                "product_page": self.product_page,
            },
            "memory_mb": {
                "maison_idle_rss": opt(self.maison_idle_rss_kb.map(kb_to_mb)),
                "maison_vmhwm": opt(self.maison_hwm_kb.map(kb_to_mb)),
                "bare_idle_rss": opt(self.bare_idle_rss_kb.map(kb_to_mb)),
                "bare_vmhwm": opt(self.bare_hwm_kb.map(kb_to_mb)),
            },
            "api_products_over_bare_route": opt(self.api_over_bare()),
            "stopped_early": self.stopped_early,
            "scenarios": scenarios,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(rps: f64, p50: f64, non_2xx: u64) -> RunFigures {
        RunFigures {
            rps,
            ok: 100,
            non_2xx,
            transport_errors: 0,
            reconnects: 0,
            missed: 0,
            elapsed_s: 5.0,
            latency: Some(LatencySummary {
                p50_ms: p50,
                p90_ms: p50 * 2.0,
                p99_ms: p50 * 3.0,
                max_ms: p50 * 4.0,
            }),
            service: None,
            send_lag: None,
            rss_peak_kb: Some(10_240),
            mean_body_bytes: Some(1000.0),
            first_error: (non_2xx > 0).then(|| "HTTP 500 Internal Server Error".to_owned()),
        }
    }

    fn report() -> Report {
        let mut api = Scenario::new(
            "api-products",
            "maison",
            "/api/v1/products",
            Mode::Closed,
            3,
        );
        api.runs = vec![
            figures(900.0, 1.0, 0),
            figures(1000.0, 3.0, 2),
            figures(1100.0, 2.0, 0),
        ];
        let mut bare = Scenario::new("bare-route", "bare-server", "/products", Mode::Closed, 3);
        bare.runs = vec![figures(4000.0, 0.5, 0)];
        let mut half = Scenario::new(
            "api-products @ half rate",
            "maison",
            "/api/v1/products",
            Mode::Open { target_rps: 500.0 },
            3,
        );
        half.skipped = Some("no throughput".into());
        Report {
            maison_path: "target/release/maison".into(),
            database: "SQLite".into(),
            runs: 3,
            duration_secs: 5,
            connections: 32,
            warmup_secs: 1,
            product_page: "/creations/x".into(),
            maison_idle_rss_kb: Some(20_480),
            maison_hwm_kb: None,
            bare_idle_rss_kb: None,
            bare_hwm_kb: None,
            scenarios: vec![api, half, bare],
            stopped_early: None,
        }
    }

    #[test]
    fn medians_are_taken_per_figure_over_runs() {
        let r = report();
        let m = r.scenarios[0].medians();
        assert_eq!(m.rps, Some(1000.0));
        assert_eq!(m.rps_min_max, Some((900.0, 1100.0)));
        assert_eq!(m.p50_ms, Some(2.0));
        assert_eq!(m.p99_ms, Some(6.0));
        assert_eq!(m.rss_peak_mb, Some(10.0));
        assert_eq!(r.api_over_bare(), Some(0.25));
    }

    #[test]
    fn the_table_shows_errors_and_skips() {
        let text = report().markdown();
        assert!(
            text.contains("| api-products | 3/3 | 1000 | 900–1100 | 2.00 |"),
            "{text}"
        );
        assert!(text.contains("2 non-2xx"), "{text}");
        assert!(text.contains("skipped: no throughput"), "{text}");
        assert!(text.contains("Maison idle RSS: 20.0 MB"), "{text}");
        assert!(text.contains("0.250 (25.0 %"), "{text}");
        let json = report().json();
        assert_eq!(json["scenarios"][0]["errors"]["non_2xx"], 2);
        assert_eq!(json["scenarios"][0]["median"]["rps"], 1000.0);
        assert_eq!(json["api_products_over_bare_route"], 0.25);
    }
}
