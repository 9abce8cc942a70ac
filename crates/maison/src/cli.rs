//! The command line: `serve`, `migrate`, `seed-demo`, and operators' tools that
//! work on the configured database while the server runs.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};

use maison_domain::Sku;

use crate::config::{self, LogFormat, Settings, Tls};
use crate::server;

#[derive(Debug, Parser)]
#[command(
    name = "maison",
    version,
    about = "The maison's order and payment platform"
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Configuration file (default: ./maison.toml if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://FILE (default sqlite://maison.db) or postgres://USER@HOST/DB.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the boutique (storefront, API, operations endpoints).
    Serve(ServeArgs),
    /// Apply the database migrations, then exit.
    Migrate,
    /// Seed the demo maison into an empty catalogue, then exit.
    SeedDemo,
    /// Stock of a creation or one of its sizes.
    #[command(subcommand)]
    Stock(StockCommand),
    /// A creation's flags.
    #[command(subcommand)]
    Product(ProductCommand),
    /// The maison's staff: members, roles and API tokens.
    #[command(subcommand)]
    Staff(StaffCommand),
    /// The carriers (simulated): drive a shipment's tracking events.
    #[command(subcommand)]
    Carrier(CarrierCommand),
    /// The payment processor's ledger against the orders.
    #[command(subcommand)]
    Payments(PaymentsCommand),
}

#[derive(Debug, Subcommand)]
pub enum PaymentsCommand {
    /// Print every mismatch between the processor's ledger and the orders
    /// (money held or taken for no order, orders without their hold,
    /// operations still in doubt); exit non-zero if there is any.
    Reconcile,
}

#[derive(Debug, Subcommand)]
pub enum CarrierCommand {
    /// Send a tracking event of the simulated carrier for a shipment, as the
    /// carrier would (signed, when the carrier has a webhook secret).
    Simulate {
        /// The shipment's tracking number.
        tracking: String,
        /// appointment_confirmed, picked_up, in_transit, out_for_delivery,
        /// delivered or exception.
        event: String,
        /// The agreed delivery date (appointment_confirmed), such as
        /// 2026-12-08; default: in three days.
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
        /// The carrier's words (an exception's reason).
        #[arg(long)]
        detail: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Add a staff member with a role.
    Add {
        /// Their e-mail address.
        email: String,
        /// Their name, as clients and colleagues read it.
        #[arg(long)]
        name: String,
        /// ambassador, prestige_advisor, fulfilment or admin.
        #[arg(long)]
        role: String,
    },
    /// List the staff members.
    List,
    /// Disable a member: their tokens stop working at once.
    Disable { email: String },
    /// Print a new API token for a member (shown once; only its hash is kept).
    Token { email: String },
    /// Print a new one-time link for a member to set up their console
    /// sign-in (password and authenticator); earlier links stop working.
    Link { email: String },
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (default 127.0.0.1:8080).
    #[arg(long, value_name = "ADDR")]
    pub addr: Option<SocketAddr>,
    /// TLS certificate chain (PEM); with --tls-key.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM); with --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve HTTPS with a certificate generated at start-up (development).
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    pub tls_self_signed: bool,
    /// Also listen for plain HTTP here, only to redirect to HTTPS (with TLS).
    #[arg(long, value_name = "ADDR")]
    pub redirect_http_from: Option<SocketAddr>,
    /// Do not seed the demo maison into an empty catalogue.
    #[arg(long)]
    pub no_demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum StockCommand {
    /// Set the quantity on hand of a SKU (a size's SKU for sized creations).
    Set {
        /// The SKU, such as VAL-LTH-001 or VAL-RNG-002-52.
        sku: String,
        /// The quantity on hand.
        quantity: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProductCommand {
    /// Show a creation as "temporarily unavailable" whatever its stock (on), or not (off).
    Unavailable {
        /// The creation's SKU.
        sku: String,
        state: OnOff,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum OnOff {
    On,
    Off,
}

fn settings(global: &GlobalArgs) -> anyhow::Result<Settings> {
    let mut settings = config::load(global.config.as_deref())?;
    if let Some(url) = &global.database_url {
        maison_store::Backend::from_url(url)
            .map_err(|err| anyhow::anyhow!("--database-url: {err}"))?;
        settings.database_url = url.clone();
    }
    Ok(settings)
}

fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The maison on the configured database, for operators' commands (audited
/// as the system's `cli`).
async fn open_maison(settings: &Settings) -> anyhow::Result<maison_app::Maison> {
    let store = server::open_store(&settings.database_url).await?;
    let gateway: std::sync::Arc<dyn maison_app::PaymentGateway> =
        std::sync::Arc::new(server::simulator(settings)?);
    let mut maison = maison_app::Maison::open(
        store,
        gateway,
        settings.client_relations.clone(),
        settings.policies.clone(),
    )
    .await
    .context("cannot open the maison")?;
    // Links (the console's setup links) name where the maison is reached.
    maison.public_url = settings.public_url.clone().unwrap_or_else(|| {
        let scheme = if settings.tls == Tls::Off {
            "http"
        } else {
            "https"
        };
        let listen = settings.listen;
        if listen.ip().is_unspecified() {
            format!("{scheme}://127.0.0.1:{}", listen.port())
        } else {
            format!("{scheme}://{listen}")
        }
    });
    Ok(maison)
}

/// Sends a simulated carrier event through the maison.
async fn carrier(settings: &Settings, command: CarrierCommand) -> anyhow::Result<()> {
    let mut maison = open_maison(settings).await?;
    maison.set_carriers(server::carriers(settings));
    match command {
        CarrierCommand::Simulate {
            tracking,
            event,
            date,
            detail,
        } => {
            let receipt = maison
                .simulate_carrier_event(
                    &operator(),
                    &tracking,
                    &event,
                    date.as_deref(),
                    detail.as_deref(),
                )
                .await
                .map_err(|err| anyhow::anyhow!("{err}"))?;
            println!(
                "{tracking}: {} {} (event {})",
                event.trim(),
                if receipt.applied {
                    "applied"
                } else {
                    "already applied"
                },
                receipt.id
            );
        }
    }
    Ok(())
}

/// Prints the mismatches between the processor's ledger and the orders.
async fn reconcile(settings: &Settings) -> anyhow::Result<()> {
    let maison = open_maison(settings).await?;
    let found = maison
        .reconcile()
        .await
        .map_err(|err| anyhow::anyhow!("cannot reconcile: {err}"))?;
    for mismatch in &found.mismatches {
        println!("{mismatch}");
    }
    println!(
        "{} processor payments and {} card orders awaiting capture compared: {} mismatches",
        found.payments,
        found.orders,
        found.mismatches.len()
    );
    anyhow::ensure!(
        found.mismatches.is_empty(),
        "{} mismatches between the processor and the orders",
        found.mismatches.len()
    );
    Ok(())
}

/// Operators' commands act as the system's `cli` in the audit log.
fn operator() -> maison_app::actor::Actor {
    maison_app::actor::Actor::System("cli")
}

async fn staff(settings: &Settings, command: StaffCommand) -> anyhow::Result<()> {
    let maison = open_maison(settings).await?;
    let operator = operator();
    let refused = |err: maison_app::ShopError| anyhow::anyhow!("{err}");
    match command {
        StaffCommand::Add { email, name, role } => {
            let member = maison
                .add_staff(&operator, &email, &name, &role)
                .await
                .map_err(refused)?;
            println!(
                "{} <{}> is a staff member ({})",
                member.name,
                member.email,
                member.role.as_str()
            );
            let link = maison
                .issue_setup_link(&operator, &member.email)
                .await
                .map_err(refused)?;
            println!(
                "Console sign-in: send them this one-time link (it works once, for 24 hours):"
            );
            println!("{}", link.url);
        }
        StaffCommand::List => {
            for listing in maison.list_staff(&operator).await.map_err(refused)? {
                let m = &listing.member;
                println!(
                    "{}\t{}\t{}{}",
                    m.email,
                    m.role.as_str(),
                    m.name,
                    if listing.disabled { "\tdisabled" } else { "" }
                );
            }
        }
        StaffCommand::Disable { email } => {
            maison
                .disable_staff(&operator, &email)
                .await
                .map_err(refused)?;
            println!("{} is disabled; their tokens no longer work", email.trim());
        }
        StaffCommand::Token { email } => {
            let token = maison
                .new_staff_token(&operator, &email)
                .await
                .map_err(refused)?;
            println!(
                "A new API token for {} (shown once: keep it safe):",
                email.trim()
            );
            println!("{}", token.expose());
        }
        StaffCommand::Link { email } => {
            let link = maison
                .issue_setup_link(&operator, &email)
                .await
                .map_err(refused)?;
            println!(
                "A console setup link for {} (it works once, for 24 hours):",
                link.member.email
            );
            println!("{}", link.url);
        }
    }
    Ok(())
}

fn parse_sku(text: &str) -> anyhow::Result<Sku> {
    Sku::parse(text).map_err(|err| anyhow::anyhow!("{err}"))
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = settings(&cli.global)?;
    init_logs(settings.log_format);
    match cli.command {
        Command::Serve(args) => {
            if let Some(addr) = args.addr {
                settings.listen = addr;
            }
            if let (Some(cert), Some(key)) = (args.tls_cert, args.tls_key) {
                settings.tls = Tls::Files { cert, key };
            } else if args.tls_self_signed {
                settings.tls = Tls::SelfSigned;
            }
            if let Some(from) = args.redirect_http_from {
                anyhow::ensure!(
                    settings.tls != Tls::Off,
                    "--redirect-http-from needs TLS: add --tls-cert/--tls-key or --tls-self-signed"
                );
                settings.redirect_http_from = Some(from);
            }
            let mut running = server::launch(&settings, !args.no_demo).await?;
            let demo_staff = std::mem::take(&mut running.demo_staff);
            // One write: the demo staff's details (first start only) follow
            // the URL line before anyone reading only that line goes away;
            // a reader gone already is no reason to stop serving.
            let opened = format!(
                "{} is open at {}/ (API reference at {}/api/docs)\n{}",
                settings.client_relations.maison_name,
                running.url,
                running.url,
                server::demo_staff_text(
                    &demo_staff,
                    &format!("{}/console", running.maison.public_url)
                )
            );
            {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(opened.as_bytes()).and_then(|()| out.flush());
            }
            tracing::info!(url = %running.url, database = %maison_store::redact_url(&settings.database_url), "serving");
            running.wait_for_signal().await
        }
        Command::Migrate => {
            server::open_store(&settings.database_url).await?;
            println!(
                "migrations applied to {}",
                maison_store::redact_url(&settings.database_url)
            );
            Ok(())
        }
        Command::SeedDemo => {
            let store = server::open_store(&settings.database_url).await?;
            if maison_demo::seed(&store)
                .await
                .context("cannot seed the demo maison")?
            {
                println!("the demo maison is seeded");
                let maison = open_maison(&settings).await?;
                let staff = maison
                    .create_demo_staff()
                    .await
                    .map_err(|err| anyhow::anyhow!("cannot create the demo staff: {err}"))?;
                print!(
                    "{}",
                    server::demo_staff_text(&staff, &format!("{}/console", maison.public_url))
                );
            } else {
                println!("the catalogue already has creations: nothing seeded");
            }
            Ok(())
        }
        Command::Stock(StockCommand::Set { sku, quantity }) => {
            let sku = parse_sku(&sku)?;
            let maison = open_maison(&settings).await?;
            maison
                .set_stock(&operator(), &sku, quantity)
                .await
                .map_err(|err| anyhow::anyhow!("{err}"))?;
            println!("{sku}: {quantity} on hand");
            Ok(())
        }
        Command::Staff(command) => staff(&settings, command).await,
        Command::Carrier(command) => carrier(&settings, command).await,
        Command::Payments(PaymentsCommand::Reconcile) => reconcile(&settings).await,
        Command::Product(ProductCommand::Unavailable { sku, state }) => {
            let sku = parse_sku(&sku)?;
            let maison = open_maison(&settings).await?;
            let flagged = matches!(state, OnOff::On);
            maison
                .set_unavailable(&operator(), &sku, flagged)
                .await
                .map_err(|err| anyhow::anyhow!("{err}"))?;
            println!(
                "{sku}: {}",
                if flagged {
                    "temporarily unavailable"
                } else {
                    "shown as its stock allows"
                }
            );
            Ok(())
        }
    }
}
