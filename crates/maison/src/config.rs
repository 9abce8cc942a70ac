//! Configuration: defaults in code equal the seed's policies; `maison.toml`
//! (every key optional) and `MAISON_*` environment variables override them
//! (`MAISON_DATABASE_URL`, `MAISON_POLICIES__MAX_ITEMS_PER_ORDER`, ...). The
//! result is validated once, at start-up: a bad value names its key, the value
//! and what is allowed.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use maison_domain::card::CardBrand;
use maison_domain::policy::{AssistedPaymentMethod, ClientRelations, Estimate, Policies};
use maison_domain::{Currency, Money};

/// The configuration file as written: every key optional.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub database_url: Option<String>,
    /// Gathers the writes of concurrent requests (bag, checkout) into one
    /// durable transaction: one commit for many orders. Off unless set.
    pub group_commit: Option<bool>,
    pub listen: Option<String>,
    /// How often (milliseconds) to look for catalogue changes made elsewhere.
    pub catalogue_refresh_ms: Option<u64>,
    /// Set when a reverse proxy terminates TLS in front of the maison: then
    /// a non-loopback `listen` is allowed without TLS, and `X-Forwarded-For`
    /// is trusted from `trusted_proxies` only.
    pub behind_proxy: Option<bool>,
    pub trusted_proxies: Option<Vec<String>>,
    /// Where clients reach the storefront (for links in e-mails, and the
    /// HTTP→HTTPS redirect), such as https://boutique.example; default: the
    /// listen address.
    pub public_url: Option<String>,
    /// A separate plain-HTTP listener for the operations endpoints
    /// (`/healthz`, `/readyz`, `/metrics`), such as 10.0.0.7:9090; then the
    /// main listener does not serve `/metrics`.
    pub ops_listen: Option<String>,
    /// A bearer token that `/metrics` requires (`Authorization: Bearer ...`);
    /// without it and without `ops_listen`, `/metrics` answers this host only.
    pub metrics_token: Option<String>,
    #[serde(default)]
    pub tls: RawTls,
    #[serde(default)]
    pub maison: RawMaison,
    #[serde(default)]
    pub policies: RawPolicies,
    #[serde(default)]
    pub log: RawLog,
    #[serde(default)]
    pub mail: RawMail,
    #[serde(default)]
    pub fax: RawFax,
    #[serde(default)]
    pub carriers: RawCarriers,
    #[serde(default)]
    pub catalogue: RawCatalogue,
    #[serde(default)]
    pub payments: RawPayments,
}

/// The payment processor (the built-in simulator) and the recovery of
/// payments left in doubt.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPayments {
    /// The simulator's ledger file (default `simulator-ledger.jsonl`): it
    /// survives a crash or a restart, and every instance of one maison
    /// shares it, as they would share one processor.
    pub simulator_ledger: Option<PathBuf>,
    /// Every answer of the simulator waits this long (a slow processor).
    pub simulator_latency_ms: Option<u64>,
    /// The share (0 to 1) of operations lost before the processor sees them.
    pub simulator_timeout_before_processing: Option<f64>,
    /// The share of operations processed whose answer is lost.
    pub simulator_timeout_after_processing: Option<f64>,
    /// The share of operations answered 503 without processing.
    pub simulator_unavailable: Option<f64>,
    /// How long (seconds) a payment may stay in doubt before recovery asks
    /// the processor what became of it (default 30).
    pub recover_after_secs: Option<u64>,
}

/// The catalogue's presentation.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCatalogue {
    /// A folder of photographs named by SKU (`VAL-RNG-001.jpg`, and
    /// `VAL-RNG-001-2.jpg`, `-3` for the gallery's other views), each shown
    /// instead of its drawing (`MAISON_CATALOGUE__IMAGES_DIR`).
    pub images_dir: Option<PathBuf>,
}

/// The carriers' webhooks: each carrier signs its tracking events with its
/// own secret (`carriers.fedex.webhook_secret`, or
/// `MAISON_CARRIERS__FEDEX__WEBHOOK_SECRET`). A carrier without a secret has
/// its webhooks refused.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCarriers {
    pub fedex: Option<RawCarrier>,
    pub secure_courier: Option<RawCarrier>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCarrier {
    /// The secret shared with the carrier: 16 to 256 printable characters.
    pub webhook_secret: Option<String>,
}

/// Letters by fax: each goes as a PDF attached to a message to
/// `<digits>@<gateway>` (`12125550100@fax.example.net`), through the mail
/// transport of `[mail]`. Without a gateway, fax letters wait in the outbox.
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawFax {
    /// The e-mail-to-fax service's domain, such as `fax.example.net`
    /// (`MAISON_FAX__GATEWAY`).
    pub gateway: Option<String>,
}

/// Outgoing mail: SMTP when `smtp_host` is set, otherwise `.eml` files in
/// `spool_dir` (the demo default).
#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawMail {
    pub from: Option<String>,
    pub spool_dir: Option<PathBuf>,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    /// `none`, `starttls` (default) or `tls`.
    pub smtp_security: Option<String>,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawTls {
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub self_signed: Option<bool>,
    /// A plain HTTP listener that only redirects to HTTPS, such as 0.0.0.0:80.
    pub redirect_http_from: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawMaison {
    pub name: Option<String>,
    pub client_relations_phone: Option<String>,
    pub client_relations_email: Option<String>,
    /// Where the maison is (an IANA name): clients read times in this zone.
    pub time_zone: Option<String>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawPolicies {
    pub max_items_per_order: Option<u32>,
    pub high_value_threshold: Option<AmountText>,
    pub accepted_card_brands: Option<Vec<String>>,
    pub assisted_payment_methods: Option<Vec<String>>,
    pub return_window_days: Option<u32>,
    pub out_of_delivery_areas: Option<Vec<String>>,
    pub standard_estimate: Option<[u8; 2]>,
    pub extended_estimate: Option<[u8; 2]>,
    pub standard_carrier: Option<String>,
    pub high_value_carrier: Option<String>,
    pub authorisation_valid_days: Option<u32>,
}

/// An amount written as `"30000.00"` or `30000`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum AmountText {
    Text(String),
    Whole(u64),
    /// `MAISON_POLICIES__HIGH_VALUE_THRESHOLD=25000.50` arrives as a number:
    /// read back through its shortest decimal text, never computed with.
    Decimal(f64),
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawLog {
    /// `text` (default) or `json`.
    pub format: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tls {
    Off,
    Files { cert: PathBuf, key: PathBuf },
    SelfSigned,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The validated configuration the maison runs with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: String,
    /// Whether concurrent requests' writes share one durable transaction.
    pub group_commit: bool,
    pub listen: SocketAddr,
    pub tls: Tls,
    pub redirect_http_from: Option<SocketAddr>,
    pub behind_proxy: bool,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub public_url: Option<String>,
    pub ops_listen: Option<SocketAddr>,
    pub metrics_token: Option<MetricsToken>,
    pub catalogue_refresh_ms: u64,
    pub client_relations: ClientRelations,
    /// An IANA time zone name, checked: America/New_York unless configured.
    pub time_zone: String,
    pub policies: Policies,
    pub log_format: LogFormat,
    pub mail: MailSettings,
    /// `None`: no fax sender, fax letters wait in the outbox.
    pub fax: Option<FaxSettings>,
    /// Each carrier's webhook secret; a carrier without one has its
    /// webhooks refused.
    pub carrier_webhooks: Vec<(maison_domain::delivery::Carrier, WebhookSecretText)>,
    /// The operator's photographs of the creations, if any (checked: a folder).
    pub images_dir: Option<PathBuf>,
    pub payments: PaymentSettings,
}

/// The simulator processor and payment recovery, validated.
#[derive(Debug, Clone)]
pub struct PaymentSettings {
    pub simulator_ledger: PathBuf,
    pub simulator_latency: std::time::Duration,
    pub simulator_faults: maison_app::FaultRates,
    pub recover_after: std::time::Duration,
}

pub const DEFAULT_SIMULATOR_LEDGER: &str = "simulator-ledger.jsonl";

/// A carrier's webhook secret, as configured; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecretText(String);

impl WebhookSecretText {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for WebhookSecretText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// The token that reads `/metrics`; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

/// The e-mail-to-fax gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaxSettings {
    /// A domain name, checked and lower-cased: `fax.example.net`.
    pub gateway: String,
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub from: String,
    pub transport: maison_notify::MailTransport,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://maison.db";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_CONFIG_FILE: &str = "maison.toml";

/// Reads the configuration: `file` if given (it must exist), otherwise
/// `maison.toml` in the working directory if there is one; then the
/// environment.
pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
    let mut figment = Figment::from(Serialized::defaults(RawConfig::default()));
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the configuration file {}", path.display())
            })?;
            figment = figment.merge(Toml::string(&text));
        }
        None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
            figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE));
        }
        None => {}
    }
    let figment = figment.merge(Env::prefixed("MAISON_").split("__"));
    let raw: RawConfig = figment.extract().map_err(|err| {
        let source = file.map_or_else(
            || DEFAULT_CONFIG_FILE.to_owned(),
            |p| p.display().to_string(),
        );
        // One line, whatever the parser printed (TOML errors come with a snippet).
        let cause = err
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        anyhow::anyhow!("invalid configuration ({source} or MAISON_* variables): {cause}")
    })?;
    resolve(raw)
}

fn invalid(key: &str, value: impl std::fmt::Display, allowed: &str) -> anyhow::Error {
    anyhow::anyhow!("invalid configuration: {key} = {value}: {allowed}")
}

fn resolve_payments(raw: RawPayments) -> anyhow::Result<PaymentSettings> {
    let share = |key: &str, value: Option<f64>| -> anyhow::Result<f64> {
        match value {
            None => Ok(0.0),
            Some(v) if (0.0..=1.0).contains(&v) => Ok(v),
            Some(v) => Err(invalid(key, v, "a share between 0 and 1, such as 0.05")),
        }
    };
    let faults = maison_app::FaultRates {
        timeout_before_processing: share(
            "payments.simulator_timeout_before_processing",
            raw.simulator_timeout_before_processing,
        )?,
        timeout_after_processing: share(
            "payments.simulator_timeout_after_processing",
            raw.simulator_timeout_after_processing,
        )?,
        unavailable: share("payments.simulator_unavailable", raw.simulator_unavailable)?,
    };
    let total =
        faults.timeout_before_processing + faults.timeout_after_processing + faults.unavailable;
    if total > 1.0 {
        return Err(invalid(
            "payments.simulator_*",
            total,
            "the three fault shares add up to at most 1",
        ));
    }
    let recover_after_secs = raw.recover_after_secs.unwrap_or(30);
    if !(1..=3600).contains(&recover_after_secs) {
        return Err(invalid(
            "payments.recover_after_secs",
            recover_after_secs,
            "1 to 3600 seconds",
        ));
    }
    let latency_ms = raw.simulator_latency_ms.unwrap_or(0);
    if latency_ms > 120_000 {
        return Err(invalid(
            "payments.simulator_latency_ms",
            latency_ms,
            "0 to 120000 milliseconds",
        ));
    }
    Ok(PaymentSettings {
        simulator_ledger: raw
            .simulator_ledger
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SIMULATOR_LEDGER)),
        simulator_latency: std::time::Duration::from_millis(latency_ms),
        simulator_faults: faults,
        recover_after: std::time::Duration::from_secs(recover_after_secs),
    })
}

/// Turns what was written into validated settings.
pub fn resolve(raw: RawConfig) -> anyhow::Result<Settings> {
    let defaults = Policies::default();
    let p = raw.policies;

    let listen_text = raw.listen.unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    let listen: SocketAddr = listen_text.parse().map_err(|_| {
        invalid(
            "listen",
            &listen_text,
            "an address and port, such as 127.0.0.1:8080 or [::1]:8443",
        )
    })?;

    let database_url = raw
        .database_url
        .unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    maison_store::Backend::from_url(&database_url).map_err(|_| {
        invalid(
            "database_url",
            maison_store::redact_url(&database_url),
            "sqlite://FILE or postgres://USER@HOST/DATABASE",
        )
    })?;

    let tls = match (
        raw.tls.cert,
        raw.tls.key,
        raw.tls.self_signed.unwrap_or(false),
    ) {
        (Some(cert), Some(key), false) => Tls::Files { cert, key },
        (None, None, true) => Tls::SelfSigned,
        (None, None, false) => Tls::Off,
        (Some(_), Some(_), true) => bail!(
            "invalid configuration: tls.self_signed = true: use either tls.cert and tls.key, or a self-signed certificate, not both"
        ),
        _ => bail!(
            "invalid configuration: tls.cert and tls.key go together: give both files, or neither"
        ),
    };

    let redirect_http_from = match raw.tls.redirect_http_from {
        None => None,
        Some(text) => Some(text.parse::<SocketAddr>().map_err(|_| {
            invalid(
                "tls.redirect_http_from",
                &text,
                "an address and port, such as 0.0.0.0:80",
            )
        })?),
    };
    if redirect_http_from.is_some() && tls == Tls::Off {
        bail!(
            "invalid configuration: tls.redirect_http_from needs TLS (tls.cert and tls.key, or tls.self_signed)"
        );
    }
    let behind_proxy = raw.behind_proxy.unwrap_or(false);
    let public_url = raw
        .public_url
        .map(|u| u.trim().trim_end_matches('/').to_owned());
    if let Some(u) = &public_url
        && !(u.starts_with("https://") || u.starts_with("http://"))
    {
        return Err(invalid(
            "public_url",
            u,
            "an absolute URL, such as https://boutique.example",
        ));
    }
    if let Some(u) = &public_url
        && redirect_http_from.is_some()
        && !u.starts_with("https://")
    {
        return Err(invalid(
            "public_url",
            u,
            "an https:// URL when tls.redirect_http_from redirects there, such as https://boutique.example",
        ));
    }
    let ops_listen = match raw.ops_listen {
        None => None,
        Some(text) => {
            let addr = text.parse::<SocketAddr>().map_err(|_| {
                invalid(
                    "ops_listen",
                    &text,
                    "an address and port, such as 127.0.0.1:9090 or 10.0.0.7:9090",
                )
            })?;
            if addr.port() != 0 && (addr == listen || redirect_http_from == Some(addr)) {
                return Err(invalid(
                    "ops_listen",
                    &text,
                    "an address and port that no other listener uses",
                ));
            }
            Some(addr)
        }
    };
    let metrics_token = match raw.metrics_token.map(|t| t.trim().to_owned()) {
        None => None,
        Some(token)
            if token.len() < 16
                || token.len() > 256
                || !token.chars().all(|c| c.is_ascii_graphic()) =>
        {
            // Never echo the token itself.
            return Err(invalid(
                "metrics_token",
                "(hidden)",
                "16 to 256 printable characters without spaces, such as the output of `openssl rand -hex 32`",
            ));
        }
        Some(token) => Some(MetricsToken(token)),
    };
    let trusted_proxies = raw
        .trusted_proxies
        .unwrap_or_else(|| vec!["127.0.0.1".into(), "::1".into()])
        .iter()
        .map(|ip| {
            ip.parse::<std::net::IpAddr>()
                .map_err(|_| invalid("trusted_proxies", ip, "IP addresses, such as 10.0.0.5"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;

    let high_value_threshold = match p.high_value_threshold {
        None => defaults.high_value_threshold,
        Some(AmountText::Whole(dollars)) => i64::try_from(dollars)
            .ok()
            .and_then(|d| d.checked_mul(100))
            .map(Money::usd_cents)
            .ok_or_else(|| {
                invalid(
                    "policies.high_value_threshold",
                    dollars,
                    "an amount in USD, such as \"30000.00\"",
                )
            })?,
        Some(AmountText::Decimal(number)) => Money::parse(&number.to_string(), Currency::Usd)
            .map_err(|err| invalid("policies.high_value_threshold", number, &err.to_string()))?,
        Some(AmountText::Text(text)) => Money::parse(&text, Currency::Usd).map_err(|err| {
            invalid(
                "policies.high_value_threshold",
                format!("{text:?}"),
                &err.to_string(),
            )
        })?,
    };

    let accepted_card_brands = match p.accepted_card_brands {
        None => defaults.accepted_card_brands.clone(),
        Some(names) => names
            .iter()
            .map(|name| {
                CardBrand::parse(name).ok_or_else(|| {
                    invalid(
                        "policies.accepted_card_brands",
                        format!("{name:?}"),
                        "each one of amex, mastercard, visa, discover, diners, jcb",
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    };

    let assisted_payment_methods = match p.assisted_payment_methods {
        None => defaults.assisted_payment_methods.clone(),
        Some(names) => names
            .iter()
            .map(|name| {
                AssistedPaymentMethod::parse(name).ok_or_else(|| {
                    invalid(
                        "policies.assisted_payment_methods",
                        format!("{name:?}"),
                        "each one of card, cash, wire",
                    )
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?,
    };

    let estimate = |value: Option<[u8; 2]>, default: Estimate| {
        value.map_or(default, |[min, max]| Estimate {
            min_business_days: min,
            max_business_days: max,
        })
    };

    let policies = Policies {
        max_items_per_order: p
            .max_items_per_order
            .unwrap_or(defaults.max_items_per_order),
        high_value_threshold,
        accepted_card_brands,
        assisted_payment_methods,
        return_window_days: p.return_window_days.unwrap_or(defaults.return_window_days),
        out_of_delivery_areas: p
            .out_of_delivery_areas
            .map(|areas| {
                areas
                    .iter()
                    .map(|a| a.trim().to_ascii_uppercase())
                    .collect()
            })
            .unwrap_or_else(|| defaults.out_of_delivery_areas.clone()),
        standard_estimate: estimate(p.standard_estimate, defaults.standard_estimate),
        extended_estimate: estimate(p.extended_estimate, defaults.extended_estimate),
        standard_carrier: p
            .standard_carrier
            .unwrap_or_else(|| defaults.standard_carrier.clone()),
        high_value_carrier: p
            .high_value_carrier
            .unwrap_or_else(|| defaults.high_value_carrier.clone()),
        authorisation_valid_days: p
            .authorisation_valid_days
            .unwrap_or(defaults.authorisation_valid_days),
    };
    policies
        .validate()
        .map_err(|err| invalid(err.key, err.value, err.allowed))?;

    let cr_defaults = ClientRelations::default();
    let time_zone = non_empty("maison.time_zone", raw.maison.time_zone)?
        .unwrap_or_else(|| maison_app::DEFAULT_TIME_ZONE.to_owned());
    if maison_app::clock::time_zone(&time_zone).is_none() {
        return Err(invalid(
            "maison.time_zone",
            &time_zone,
            "a time zone name such as America/New_York or America/Toronto",
        ));
    }
    let client_relations = ClientRelations {
        maison_name: non_empty("maison.name", raw.maison.name)?.unwrap_or(cr_defaults.maison_name),
        phone: non_empty(
            "maison.client_relations_phone",
            raw.maison.client_relations_phone,
        )?
        .unwrap_or(cr_defaults.phone),
        email: non_empty(
            "maison.client_relations_email",
            raw.maison.client_relations_email,
        )?
        .unwrap_or(cr_defaults.email),
    };
    if !client_relations.email.contains('@') {
        return Err(invalid(
            "maison.client_relations_email",
            &client_relations.email,
            "an e-mail address",
        ));
    }
    if client_relations
        .phone
        .chars()
        .filter(char::is_ascii_digit)
        .count()
        < 10
    {
        return Err(invalid(
            "maison.client_relations_phone",
            &client_relations.phone,
            "a telephone number with at least 10 digits, such as 1-800-555-0142",
        ));
    }

    let log_format = match raw.log.format.as_deref() {
        None | Some("text") => LogFormat::Text,
        Some("json") => LogFormat::Json,
        Some(other) => return Err(invalid("log.format", other, "text or json")),
    };

    let images_dir = raw.catalogue.images_dir;
    if let Some(dir) = &images_dir
        && !dir.is_dir()
    {
        return Err(invalid(
            "catalogue.images_dir",
            dir.display(),
            "an existing folder of photographs named by SKU, such as photos/ holding VAL-RNG-001.jpg",
        ));
    }

    let catalogue_refresh_ms = raw.catalogue_refresh_ms.unwrap_or(500);
    if !(50..=60_000).contains(&catalogue_refresh_ms) {
        return Err(invalid(
            "catalogue_refresh_ms",
            catalogue_refresh_ms,
            "milliseconds from 50 to 60000",
        ));
    }

    let m = raw.mail;
    let from = m.from.unwrap_or_else(|| {
        format!(
            "{} <{}>",
            client_relations.maison_name, client_relations.email
        )
    });
    let transport = match m.smtp_host {
        Some(host) => {
            let security = match m.smtp_security.as_deref() {
                None | Some("starttls") => maison_notify::SmtpSecurity::StartTls,
                Some("tls") => maison_notify::SmtpSecurity::Tls,
                Some("none") => maison_notify::SmtpSecurity::None,
                Some(other) => {
                    return Err(invalid(
                        "mail.smtp_security",
                        other,
                        "none, starttls or tls",
                    ));
                }
            };
            let port = m.smtp_port.unwrap_or(match security {
                maison_notify::SmtpSecurity::Tls => 465,
                maison_notify::SmtpSecurity::StartTls => 587,
                maison_notify::SmtpSecurity::None => 25,
            });
            maison_notify::MailTransport::Smtp {
                host,
                port,
                security,
                username: m.smtp_username,
                password: m.smtp_password,
            }
        }
        None => maison_notify::MailTransport::Spool {
            dir: m.spool_dir.unwrap_or_else(|| PathBuf::from("spool")),
        },
    };

    let fax = match raw.fax.gateway {
        None => None,
        Some(text) => {
            let gateway = maison_notify::fax::gateway_domain(&text).ok_or_else(|| {
                invalid(
                    "fax.gateway",
                    format!("{text:?}"),
                    "the domain name of the e-mail-to-fax service, such as fax.example.net (a fax goes to 12125550100@fax.example.net)",
                )
            })?;
            Some(FaxSettings { gateway })
        }
    };

    let mut carrier_webhooks = Vec::new();
    for (carrier, raw_carrier, key) in [
        (
            maison_domain::delivery::Carrier::Fedex,
            raw.carriers.fedex,
            "carriers.fedex.webhook_secret",
        ),
        (
            maison_domain::delivery::Carrier::SecureCourier,
            raw.carriers.secure_courier,
            "carriers.secure_courier.webhook_secret",
        ),
    ] {
        let Some(secret) = raw_carrier.and_then(|c| c.webhook_secret) else {
            continue;
        };
        let secret = secret.trim().to_owned();
        if secret.len() < 16 || secret.len() > 256 || !secret.chars().all(|c| c.is_ascii_graphic())
        {
            // Never echo the secret itself.
            return Err(invalid(
                key,
                "(hidden)",
                "16 to 256 printable characters without spaces, such as the output of `openssl rand -hex 32`",
            ));
        }
        carrier_webhooks.push((carrier, WebhookSecretText(secret)));
    }

    let payments = resolve_payments(raw.payments)?;

    Ok(Settings {
        group_commit: raw.group_commit.unwrap_or(false),
        payments,
        mail: MailSettings { from, transport },
        fax,
        carrier_webhooks,
        images_dir,
        database_url,
        listen,
        tls,
        redirect_http_from,
        behind_proxy,
        trusted_proxies,
        public_url,
        ops_listen,
        metrics_token,
        catalogue_refresh_ms,
        client_relations,
        time_zone,
        policies,
        log_format,
    })
}

fn non_empty(key: &str, value: Option<String>) -> anyhow::Result<Option<String>> {
    match value.map(|v| v.trim().to_owned()) {
        Some(v) if v.is_empty() => Err(invalid(key, "\"\"", "a non-empty text")),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_toml(text: &str) -> anyhow::Result<Settings> {
        let raw: RawConfig = Figment::from(Serialized::defaults(RawConfig::default()))
            .merge(Toml::string(text))
            .extract()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        resolve(raw)
    }

    #[test]
    fn an_empty_file_runs_the_seeds_policies() {
        let s = from_toml("").expect("defaults are valid");
        assert_eq!(s.policies, Policies::default());
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.listen.to_string(), DEFAULT_LISTEN);
        assert_eq!(s.tls, Tls::Off);
        assert!(!s.group_commit, "group commit is chosen, not assumed");
        assert!(
            from_toml("group_commit = true")
                .expect("valid")
                .group_commit
        );
        assert!(from_toml("group_commit = \"yes\"").is_err());
    }

    #[test]
    fn the_processor_settings_default_to_a_durable_ledger_without_faults() {
        let s = from_toml("").expect("defaults are valid");
        assert_eq!(
            s.payments.simulator_ledger,
            PathBuf::from(DEFAULT_SIMULATOR_LEDGER)
        );
        assert_eq!(
            s.payments.simulator_faults,
            maison_app::FaultRates::default()
        );
        assert_eq!(s.payments.recover_after.as_secs(), 30);
        let s = from_toml(
            "[payments]\nsimulator_unavailable = 0.25\nsimulator_latency_ms = 150\nrecover_after_secs = 5",
        )
        .expect("valid");
        assert_eq!(s.payments.simulator_faults.unavailable, 0.25);
        assert_eq!(s.payments.simulator_latency.as_millis(), 150);
        assert_eq!(s.payments.recover_after.as_secs(), 5);
        for (text, key) in [
            (
                "simulator_unavailable = 1.5",
                "payments.simulator_unavailable",
            ),
            (
                "simulator_timeout_before_processing = -0.1",
                "payments.simulator_timeout_before_processing",
            ),
            (
                "simulator_unavailable = 0.6\nsimulator_timeout_after_processing = 0.6",
                "add up to at most 1",
            ),
            ("recover_after_secs = 0", "payments.recover_after_secs"),
        ] {
            let err = from_toml(&format!("[payments]\n{text}")).expect_err(text);
            assert!(err.to_string().contains(key), "{text}: {err}");
        }
    }

    #[test]
    fn policies_are_read_from_the_file() {
        let s = from_toml(
            r#"
            [policies]
            max_items_per_order = 3
            high_value_threshold = "25000.50"
            accepted_card_brands = ["visa", "amex"]
            standard_estimate = [1, 3]
            [maison]
            client_relations_phone = "1-800-555-0199"
            "#,
        )
        .expect("valid");
        assert_eq!(s.policies.max_items_per_order, 3);
        assert_eq!(s.policies.high_value_threshold, Money::usd_cents(2_500_050));
        assert_eq!(
            s.policies.accepted_card_brands,
            vec![CardBrand::Visa, CardBrand::Amex]
        );
        assert_eq!(s.policies.standard_estimate.max_business_days, 3);
        assert_eq!(s.client_relations.phone, "1-800-555-0199");
    }

    #[test]
    fn a_bad_value_names_the_key_the_value_and_what_is_allowed() {
        let err = from_toml("[policies]\naccepted_card_brands = [\"visa\", \"unionpay\"]")
            .expect_err("unionpay is not accepted");
        let message = err.to_string();
        assert!(
            message.contains("policies.accepted_card_brands"),
            "{message}"
        );
        assert!(message.contains("unionpay"), "{message}");
        assert!(message.contains("amex, mastercard"), "{message}");

        let message = from_toml("[policies]\nhigh_value_threshold = \"thirty thousand\"")
            .expect_err("not an amount")
            .to_string();
        assert!(
            message.contains("policies.high_value_threshold"),
            "{message}"
        );

        let message = from_toml("listen = \"localhost\"")
            .expect_err("no port")
            .to_string();
        assert!(
            message.contains("listen") && message.contains("127.0.0.1:8080"),
            "{message}"
        );

        let message = from_toml("[policies]\nmax_items_per_order = 0")
            .expect_err("zero")
            .to_string();
        assert!(
            message.contains("max_items_per_order") && message.contains("1 to 100"),
            "{message}"
        );

        let message = from_toml("database_url = \"mysql://x\"")
            .expect_err("mysql")
            .to_string();
        assert!(message.contains("database_url"), "{message}");
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_refused() {
        let message = from_toml("[policies]\nmax_items = 5")
            .expect_err("typo")
            .to_string();
        assert!(message.contains("max_items"), "{message}");
        let message = from_toml("[policies]\nmax_items_per_order = \"five\"")
            .expect_err("not a number")
            .to_string();
        assert!(message.contains("max_items_per_order"), "{message}");
    }

    #[test]
    fn metrics_access_is_validated_and_the_token_never_printed() {
        let s = from_toml("").expect("defaults");
        assert_eq!(s.ops_listen, None);
        assert_eq!(s.metrics_token, None);
        let s = from_toml(
            "ops_listen = \"127.0.0.1:9090\"\nmetrics_token = \"0123456789abcdef-secret\"",
        )
        .expect("valid");
        assert_eq!(s.ops_listen, Some("127.0.0.1:9090".parse().expect("addr")));
        let token = s.metrics_token.as_ref().expect("token");
        assert_eq!(token.expose(), "0123456789abcdef-secret");
        assert!(
            !format!("{s:?}").contains("secret"),
            "the token is never printed"
        );

        let message = from_toml("metrics_token = \"short-secret\"")
            .expect_err("too short")
            .to_string();
        assert!(
            message.contains("metrics_token") && message.contains("16 to 256"),
            "{message}"
        );
        assert!(!message.contains("short-secret"), "{message}");
        assert!(from_toml("metrics_token = \"0123456789abcdef 0123\"").is_err());
        let message = from_toml("ops_listen = \"nine\"")
            .expect_err("not an address")
            .to_string();
        assert!(
            message.contains("ops_listen") && message.contains("127.0.0.1:9090"),
            "{message}"
        );
        let message = from_toml("listen = \"127.0.0.1:8080\"\nops_listen = \"127.0.0.1:8080\"")
            .expect_err("the same address")
            .to_string();
        assert!(message.contains("ops_listen"), "{message}");
    }

    #[test]
    fn the_redirect_goes_to_an_https_public_url() {
        let message = from_toml(
            "public_url = \"http://boutique.example\"\n[tls]\nself_signed = true\nredirect_http_from = \"127.0.0.1:8081\"",
        )
        .expect_err("a redirect to plain HTTP")
        .to_string();
        assert!(
            message.contains("public_url") && message.contains("https://"),
            "{message}"
        );
        assert!(
            from_toml(
                "public_url = \"https://boutique.example/\"\n[tls]\nself_signed = true\nredirect_http_from = \"127.0.0.1:8081\"",
            )
            .is_ok()
        );
    }

    #[test]
    fn the_fax_gateway_is_optional_and_must_be_a_domain_name() {
        assert_eq!(from_toml("").expect("defaults").fax, None);
        let s = from_toml("[fax]\ngateway = \" Fax.Example.NET \"").expect("valid");
        assert_eq!(
            s.fax,
            Some(FaxSettings {
                gateway: "fax.example.net".into()
            })
        );
        for bad in [
            "\"\"",
            "\"fax\"",
            "\"12125550100@fax.example.net\"",
            "\"https://fax.example.net\"",
            "\"192.0.2.7\"",
        ] {
            let message = from_toml(&format!("[fax]\ngateway = {bad}"))
                .expect_err("not a domain")
                .to_string();
            assert!(
                message.contains("fax.gateway") && message.contains("fax.example.net"),
                "{bad}: {message}"
            );
        }
        let message = from_toml("[fax]\ngateway = \"fax.example.net\"\nnumber = 1")
            .expect_err("an unknown key")
            .to_string();
        assert!(message.contains("number"), "{message}");
    }

    #[test]
    fn the_photographs_folder_is_optional_and_must_exist() {
        assert_eq!(from_toml("").expect("defaults").images_dir, None);
        let folder = std::env::temp_dir();
        let s = from_toml(&format!(
            "[catalogue]\nimages_dir = {:?}",
            folder.display().to_string()
        ))
        .expect("an existing folder");
        assert_eq!(s.images_dir, Some(folder));
        let message = from_toml("[catalogue]\nimages_dir = \"/no/such/photos\"")
            .expect_err("missing")
            .to_string();
        assert!(
            message.contains("catalogue.images_dir") && message.contains("/no/such/photos"),
            "{message}"
        );
    }

    #[test]
    fn carrier_webhook_secrets_are_validated_per_carrier_and_never_printed() {
        let s = from_toml("").expect("defaults");
        assert!(s.carrier_webhooks.is_empty(), "no secret: webhooks refused");
        let s = from_toml(
            "[carriers.fedex]\nwebhook_secret = \"whsec_fedex_0123456789\"\n[carriers.secure_courier]\nwebhook_secret = \"whsec_courier_0123456789\"",
        )
        .expect("valid");
        assert_eq!(s.carrier_webhooks.len(), 2);
        assert_eq!(
            s.carrier_webhooks[0].0,
            maison_domain::delivery::Carrier::Fedex
        );
        assert_eq!(s.carrier_webhooks[0].1.expose(), "whsec_fedex_0123456789");
        assert_eq!(
            s.carrier_webhooks[1].0,
            maison_domain::delivery::Carrier::SecureCourier
        );
        assert!(
            !format!("{s:?}").contains("whsec_"),
            "secrets are never printed"
        );

        let message = from_toml("[carriers.fedex]\nwebhook_secret = \"short-secret\"")
            .expect_err("too short")
            .to_string();
        assert!(
            message.contains("carriers.fedex.webhook_secret") && message.contains("16 to 256"),
            "{message}"
        );
        assert!(!message.contains("short-secret"), "{message}");
        let message = from_toml("[carriers.ups]\nwebhook_secret = \"whsec_ups_0123456789\"")
            .expect_err("no such carrier")
            .to_string();
        assert!(message.contains("ups"), "{message}");
    }

    #[test]
    // figment's Jail dictates the closure's error type.
    #[allow(clippy::result_large_err)]
    fn a_carrier_secret_is_read_from_the_environment() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "MAISON_CARRIERS__FEDEX__WEBHOOK_SECRET",
                "whsec_env_0123456789",
            );
            jail.set_env(
                "MAISON_CARRIERS__SECURE_COURIER__WEBHOOK_SECRET",
                "whsec_env_courier_0123",
            );
            let s = load(None).map_err(|e| e.to_string())?;
            assert_eq!(s.carrier_webhooks.len(), 2);
            assert_eq!(s.carrier_webhooks[0].1.expose(), "whsec_env_0123456789");
            assert_eq!(s.carrier_webhooks[1].1.expose(), "whsec_env_courier_0123");
            Ok(())
        });
    }

    #[test]
    fn tls_needs_both_files_or_a_self_signed_certificate() {
        assert!(from_toml("[tls]\ncert = \"c.pem\"").is_err());
        assert_eq!(
            from_toml("[tls]\nself_signed = true").expect("valid").tls,
            Tls::SelfSigned
        );
        assert!(matches!(
            from_toml("[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"")
                .expect("valid")
                .tls,
            Tls::Files { .. }
        ));
    }
}
