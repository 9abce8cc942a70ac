//! Wiring: the database, the maison, background tasks and the HTTP(S) listener.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use maison_app::Maison;
use maison_store::Store;

use crate::config::{Settings, Tls};

/// Opens the database at `url`, applying migrations.
pub async fn open_store(url: &str) -> anyhow::Result<Store> {
    let store = Store::connect(url).await.with_context(|| {
        format!(
            "cannot open the database at {}",
            maison_store::redact_url(url)
        )
    })?;
    store
        .migrate()
        .await
        .context("cannot apply the database migrations")?;
    Ok(store)
}

/// A running maison: its address, and the means to stop it.
pub struct Server {
    pub addr: SocketAddr,
    pub url: String,
    /// The operations listener's address, when `ops_listen` is set.
    pub ops_addr: Option<SocketAddr>,
    pub maison: Arc<Maison>,
    /// The demo's staff, created at the demo's first start: their sign-in
    /// details, to print once.
    pub demo_staff: Vec<maison_app::console_auth::DemoCredentials>,
    stop: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Server {
    /// Stops accepting connections, lets requests in flight finish (up to 10 s),
    /// and stops the background tasks.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.task.await.context("the server task failed")??;
        self.maison.close().await;
        Ok(())
    }

    /// Waits until the server stops by itself (it does not, unless it fails).
    pub async fn wait_for_signal(self) -> anyhow::Result<()> {
        shutdown_signal().await;
        tracing::info!("stopping: finishing requests in flight");
        self.shutdown().await
    }
}

/// Starts the maison with `settings`; seeds the demo maison into an empty
/// catalogue when `seed_demo` is set.
pub async fn launch(settings: &Settings, seed_demo: bool) -> anyhow::Result<Server> {
    let store = open_store(&settings.database_url).await?;
    let seeded = seed_demo
        && maison_demo::seed(&store)
            .await
            .context("cannot seed the demo maison")?;
    if seeded {
        tracing::info!("seeded the demo maison into an empty catalogue");
    }
    let gateway: Arc<dyn maison_app::PaymentGateway> = Arc::new(simulator(settings)?);
    let mut server = launch_with(settings, store, gateway).await?;
    if seeded {
        // One member per role, whose sign-in details are printed once.
        server.demo_staff = server
            .maison
            .create_demo_staff()
            .await
            .map_err(|err| anyhow::anyhow!("cannot create the demo staff: {err}"))?;
    }
    Ok(server)
}

/// The demo staff's sign-in details, as printed once at the demo's first
/// start (never again: only hashes and secrets stay in the database).
pub fn demo_staff_text(
    staff: &[maison_app::console_auth::DemoCredentials],
    console_url: &str,
) -> String {
    if staff.is_empty() {
        return String::new();
    }
    let mut text = format!(
        "\nThe demo's staff sign in to the console at {console_url}\n\
         (shown once: add each key to an authenticator app, from the otpauth link or the key)\n"
    );
    for s in staff {
        text.push_str(&format!(
            "\n  {} ({})\n    e-mail:    {}\n    password:  {}\n    TOTP key:  {}\n    otpauth:   {}\n",
            s.member.name,
            s.member.role.as_str(),
            s.member.email,
            s.password.expose(),
            s.secret_base32,
            s.otpauth_uri
        ));
    }
    text
}

/// The simulator processor as configured: its ledger on disk, its faults.
pub fn simulator(settings: &Settings) -> anyhow::Result<maison_app::Simulator> {
    let p = &settings.payments;
    let simulator = maison_app::Simulator::open(&p.simulator_ledger).with_context(|| {
        format!(
            "cannot open the payment simulator's ledger {}",
            p.simulator_ledger.display()
        )
    })?;
    simulator.set_latency(p.simulator_latency);
    simulator.set_fault_rates(p.simulator_faults);
    if p.simulator_faults != maison_app::FaultRates::default() || !p.simulator_latency.is_zero() {
        tracing::warn!(faults = ?p.simulator_faults, latency = ?p.simulator_latency, "the payment simulator injects faults");
    }
    Ok(simulator)
}

/// Starts the maison on an open `store` with a payment `gateway` (tests pass
/// the simulator they drive).
pub async fn launch_with(
    settings: &Settings,
    store: Store,
    gateway: Arc<dyn maison_app::PaymentGateway>,
) -> anyhow::Result<Server> {
    launch_with_clock(
        settings,
        store,
        gateway,
        Arc::new(maison_app::clock::SystemClock),
    )
    .await
}

/// The same, reading the time from `clock` (tests set it instead of waiting).
pub async fn launch_with_clock(
    settings: &Settings,
    store: Store,
    gateway: Arc<dyn maison_app::PaymentGateway>,
    clock: Arc<dyn maison_app::clock::Clock>,
) -> anyhow::Result<Server> {
    let store = if settings.group_commit {
        tracing::info!("group commit on: concurrent writes share one transaction");
        store.with_group_commit().await?
    } else {
        store
    };
    if !settings.listen.ip().is_loopback() && settings.tls == Tls::Off && !settings.behind_proxy {
        anyhow::bail!(
            "refusing to serve plain HTTP on {}: clients' details would cross the network unencrypted. \
             Configure TLS (--tls-cert/--tls-key), or set behind_proxy = true when a TLS proxy is in front",
            settings.listen
        );
    }
    let listener = std::net::TcpListener::bind(settings.listen)
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let host = match addr {
        SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        SocketAddr::V4(a) => a.to_string(),
    };
    let url = format!(
        "{}://{host}",
        if settings.tls == Tls::Off {
            "http"
        } else {
            "https"
        }
    );
    // The HTTP→HTTPS redirect sends clients to the configured public URL,
    // never to whatever Host a request names.
    let redirect_to = match (&settings.public_url, settings.redirect_http_from) {
        (_, None) => None,
        (Some(public), Some(_)) if public.starts_with("https://") => {
            Some(origin(public).to_owned())
        }
        (Some(public), Some(_)) => anyhow::bail!(
            "invalid configuration: public_url = {public}: an https:// URL when tls.redirect_http_from redirects there"
        ),
        (None, Some(_)) if addr.ip().is_unspecified() => anyhow::bail!(
            "tls.redirect_http_from needs public_url (such as https://boutique.example) when listening on {}: \
             the redirect must name the maison's own address",
            settings.listen
        ),
        (None, Some(_)) => Some(url.clone()),
    };
    let ops_listener = match settings.ops_listen {
        None => None,
        Some(ops) => {
            let listener = std::net::TcpListener::bind(ops)
                .with_context(|| format!("cannot listen on {ops} for the operations endpoints"))?;
            listener.set_nonblocking(true)?;
            Some(listener)
        }
    };
    let ops_addr = ops_listener
        .as_ref()
        .map(std::net::TcpListener::local_addr)
        .transpose()?;

    let mut maison = Maison::open(
        store,
        gateway,
        settings.client_relations.clone(),
        settings.policies.clone(),
    )
    .await
    .context("cannot load the catalogue")?;
    // Links in e-mails point where clients reach the storefront.
    maison.public_url = settings.public_url.clone().unwrap_or_else(|| url.clone());
    if let Some(zone) = maison_app::clock::time_zone(&settings.time_zone) {
        maison.time_zone = zone;
    }
    maison.set_clock(clock);
    maison.set_carriers(carriers(settings));
    let maison = Arc::new(maison);
    let mailer = Arc::new(
        maison_notify::Mailer::new(settings.mail.transport.clone(), settings.mail.from.clone())
            .context("invalid mail settings")?,
    );
    // E-mail always; fax when a gateway is configured (otherwise fax letters
    // wait in the outbox).
    let mut senders: Vec<Arc<dyn maison_notify::LetterSender>> = vec![mailer.clone()];
    if let Some(fax) = &settings.fax {
        let gateway = maison_notify::FaxGateway::new(
            Arc::clone(&mailer),
            &fax.gateway,
            settings.client_relations.clone(),
        )
        .context("invalid fax settings")?;
        tracing::info!(gateway = %gateway.gateway(), "faxes go through the e-mail-to-fax gateway");
        senders.push(Arc::new(gateway));
    }
    let senders = maison_notify::Senders::new(senders);
    let (stop, stopped) = watch::channel(false);

    tokio::spawn(deliver_mail(Arc::clone(&maison), senders, stopped.clone()));
    tokio::spawn(recover_payments(
        Arc::clone(&maison),
        settings.payments.recover_after,
        stopped.clone(),
    ));
    let webhook_sender =
        maison_app::webhooks::WebhookSender::new().context("no HTTP client for webhooks")?;
    tokio::spawn(deliver_webhooks(
        Arc::clone(&maison),
        webhook_sender,
        stopped.clone(),
    ));
    tokio::spawn(purge_sessions(Arc::clone(&maison), stopped.clone()));
    tokio::spawn(refresh_catalogue(
        Arc::clone(&maison),
        Duration::from_millis(settings.catalogue_refresh_ms),
        stopped.clone(),
    ));

    let state = maison_web::AppState::new(Arc::clone(&maison))
        .with_transport(
            settings.tls != Tls::Off,
            settings.behind_proxy,
            settings.trusted_proxies.clone(),
        )
        .with_metrics_access(
            settings.metrics_token.as_ref().map(|t| t.expose()),
            ops_listener.is_some(),
        )
        .with_product_photos(settings.images_dir.clone());
    if let Some(listener) = ops_listener {
        let ops = maison_web::operations_router(state.clone());
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let served = axum::serve(
                listener,
                ops.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await;
            if let Err(err) = served {
                tracing::warn!(error = %err, "the operations listener stopped");
            }
        });
    }
    let app = maison_web::router(state);

    let task = match &settings.tls {
        Tls::Off => {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            let mut stopped = stopped;
            tokio::spawn(async move {
                axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .with_graceful_shutdown(async move {
                    let _ = stopped.wait_for(|s| *s).await;
                })
                .await
                .context("the HTTP server failed")
            })
        }
        tls => {
            if let (Some(from), Some(to)) = (settings.redirect_http_from, redirect_to) {
                spawn_https_redirect(from, to, stopped.clone()).await?;
            }
            let config = tls_config(tls).await?;
            let handle = axum_server::Handle::<SocketAddr>::new();
            let server = axum_server::from_tcp_rustls(listener, config)?.handle(handle.clone());
            let mut stopped = stopped;
            tokio::spawn(async move {
                let _ = stopped.wait_for(|s| *s).await;
                handle.graceful_shutdown(Some(Duration::from_secs(10)));
            });
            tokio::spawn(async move {
                server
                    .serve(app.into_make_service_with_connect_info::<SocketAddr>())
                    .await
                    .context("the HTTPS server failed")
            })
        }
    };
    Ok(Server {
        addr,
        url,
        ops_addr,
        maison,
        demo_staff: Vec::new(),
        stop,
        task,
    })
}

/// The carriers (simulated until real connectors are configured), with the
/// webhook secret of each carrier that has one.
pub fn carriers(settings: &Settings) -> maison_app::carriers::Carriers {
    settings.carrier_webhooks.iter().fold(
        maison_app::carriers::Carriers::default(),
        |carriers, (carrier, secret)| {
            carriers.with_webhook_secret(
                *carrier,
                maison_app::carriers::WebhookSecret::new(secret.expose().to_owned()),
            )
        },
    )
}

/// Delivers the outbox every second, each letter by the sender of its channel
/// (each instance claims its own messages).
async fn deliver_mail(
    maison: Arc<Maison>,
    senders: maison_notify::Senders,
    mut stopped: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(err) = maison.deliver_outbox(&senders).await {
                    tracing::warn!(error = %err, "outbox delivery failed");
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

/// Posts due webhook deliveries every second (each instance claims its own).
async fn deliver_webhooks(
    maison: Arc<Maison>,
    sender: maison_app::webhooks::WebhookSender,
    mut stopped: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(err) = maison.deliver_webhooks(&sender).await {
                    tracing::warn!(error = %err, "webhook delivery failed");
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

/// Resolves payments left in doubt for longer than `after` (30 s unless
/// configured: authorisations, voids, captures and refunds), and renews card authorisations that would lapse before
/// capture, every 10 s (or every `after`, when shorter).
async fn recover_payments(
    maison: Arc<Maison>,
    after: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let after_micros = i64::try_from(after.as_micros()).unwrap_or(i64::MAX);
    let mut tick = tokio::time::interval(after.min(Duration::from_secs(10)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match maison.resolve_stuck_payments(after_micros).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(resolved = n, "payments in doubt resolved"),
                    Err(err) => tracing::warn!(error = %err, "payment recovery failed"),
                }
                match maison.resend_pending_voids(after_micros).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(sent = n, "pending voids sent again"),
                    Err(err) => tracing::warn!(error = %err, "void recovery failed"),
                }
                match maison.resend_pending_captures_and_refunds(after_micros).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(settled = n, "captures and refunds in doubt settled"),
                    Err(err) => tracing::warn!(error = %err, "capture and refund recovery failed"),
                }
                match maison.renew_authorisations().await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(renewed = n, "card authorisations renewed"),
                    Err(err) => tracing::warn!(error = %err, "authorisation renewal failed"),
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

/// Removes ended sessions and spent links, every 5 minutes (a session past its
/// timeouts is already refused when presented; this keeps the tables small).
async fn purge_sessions(maison: Arc<Maison>, mut stopped: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(err) = maison.purge_sessions().await {
                    tracing::warn!(error = %err, "session purge failed");
                }
                if let Err(err) = maison.purge_console_sessions().await {
                    tracing::warn!(error = %err, "console session purge failed");
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

/// The scheme and authority of a URL (`https://boutique.example` of
/// `https://boutique.example/shop?x`).
fn origin(url: &str) -> &str {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    &url[..end]
}

/// A plain HTTP listener that sends every request to the same path and query
/// at `to` (the public URL's origin, or the HTTPS listener's own address),
/// whatever `Host` the request names.
async fn spawn_https_redirect(
    from: SocketAddr,
    to: String,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(from)
        .await
        .with_context(|| format!("cannot listen on {from} for the HTTP redirect"))?;
    let redirect = axum::Router::new().fallback(move |uri: axum::http::Uri| {
        let to = to.clone();
        async move {
            let path = uri
                .path_and_query()
                .map(|p| p.as_str())
                .filter(|p| p.starts_with('/'))
                .unwrap_or("/");
            axum::response::Redirect::permanent(&format!("{to}{path}"))
        }
    });
    tokio::spawn(async move {
        let served = axum::serve(listener, redirect)
            .with_graceful_shutdown(async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await;
        if let Err(err) = served {
            tracing::warn!(error = %err, "the HTTP redirect listener stopped");
        }
    });
    Ok(())
}

/// Keeps this instance's catalogue snapshot in step with the database.
async fn refresh_catalogue(
    maison: Arc<Maison>,
    every: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match maison.refresh_catalogue().await {
                    Ok(true) => tracing::info!("catalogue reloaded"),
                    Ok(false) => {}
                    Err(err) => tracing::warn!(error = %err, "cannot check the catalogue for changes"),
                }
            }
            _ = stopped.changed() => return,
        }
    }
}

async fn tls_config(tls: &Tls) -> anyhow::Result<axum_server::tls_rustls::RustlsConfig> {
    // One crypto provider for the whole process (ring); ignore "already set".
    let _ = rustls::crypto::ring::default_provider().install_default();
    match tls {
        Tls::Files { cert, key } => axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
            .await
            .with_context(|| {
                format!(
                    "cannot load the TLS certificate {} and key {}",
                    cert.display(),
                    key.display()
                )
            }),
        Tls::SelfSigned => {
            let certified = rcgen::generate_simple_self_signed(vec![
                "localhost".to_owned(),
                "127.0.0.1".to_owned(),
                "::1".to_owned(),
            ])
            .context("cannot generate a self-signed certificate")?;
            axum_server::tls_rustls::RustlsConfig::from_pem(
                certified.cert.pem().into_bytes(),
                certified.signing_key.serialize_pem().into_bytes(),
            )
            .await
            .context("cannot use the self-signed certificate")
        }
        Tls::Off => anyhow::bail!("TLS is off"),
    }
}

/// SIGTERM (service managers) or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

#[cfg(test)]
mod tests {
    use super::origin;

    #[test]
    fn the_origin_of_a_url_is_its_scheme_and_authority() {
        assert_eq!(
            origin("https://boutique.example"),
            "https://boutique.example"
        );
        assert_eq!(
            origin("https://boutique.example/shop?x=1"),
            "https://boutique.example"
        );
        assert_eq!(
            origin("https://boutique.example:8443/"),
            "https://boutique.example:8443"
        );
        assert_eq!(origin("https://[::1]:8443#top"), "https://[::1]:8443");
    }
}
