//! The `maison` command line, run as a process: operators' tools on a running
//! server's database, start-up errors, TLS, and graceful shutdown.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{is_online_and, spawn_app};
use maison_testkit::on_both_databases;

fn maison(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_maison"))
        .args(args)
        .env_remove("RUST_LOG")
        .current_dir(std::env::temp_dir())
        .output()
        .expect("maison runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

on_both_databases! {
    async fn stock_and_availability_commands_change_a_running_boutique(backend) {
        let app = spawn_app(backend).await;
        let product = app.product_where(is_online_and("available")).await;
        let sku = product["sku"].as_str().expect("sku").to_owned();
        let path = format!("/api/v1/products/{sku}");

        let out = maison(&["product", "unavailable", &sku, "on", "--database-url", &app.database_url]);
        assert!(out.status.success(), "{}", stderr(&out));
        app.eventually_json(&path, |p| p["availability"] == "temporarily_unavailable").await;
        let out = maison(&["product", "unavailable", &sku, "off", "--database-url", &app.database_url]);
        assert!(out.status.success(), "{}", stderr(&out));
        app.eventually_json(&path, |p| p["availability"] == "available").await;

        for variant in product["variants"].as_array().expect("variants") {
            let variant = variant["sku"].as_str().expect("sku");
            let out = maison(&["stock", "set", variant, "0", "--database-url", &app.database_url]);
            assert!(out.status.success(), "{}", stderr(&out));
        }
        app.eventually_json(&path, |p| p["availability"] == "temporarily_unavailable").await;

        let out = maison(&["stock", "set", "VAL-NOPE-404", "3", "--database-url", &app.database_url]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("VAL-NOPE-404"), "{}", stderr(&out));
        let out = maison(&["stock", "set", &sku, "-2", "--database-url", &app.database_url]);
        assert!(!out.status.success());
        app.stop().await;
    }

    async fn staff_commands_add_list_give_a_token_and_disable_a_member(backend) {
        let app = spawn_app(backend).await;
        let db = app.database_url.clone();
        let out = maison(&["staff", "add", "Claire@Maison.example", "--name", "Claire Martin", "--role", "ambassador", "--database-url", &db]);
        assert!(out.status.success(), "{}", stderr(&out));
        let out = maison(&["staff", "add", "claire@maison.example", "--name", "Claire Again", "--role", "admin", "--database-url", &db]);
        assert!(!out.status.success(), "one member per address");
        let out = maison(&["staff", "add", "jean@maison.example", "--name", "Jean", "--role", "owner", "--database-url", &db]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("ambassador, prestige_advisor, fulfilment or admin"), "{}", stderr(&out));
        let out = maison(&["staff", "list", "--database-url", &db]);
        let listed = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(listed.contains("Claire@maison.example\tambassador\tClaire Martin"), "{listed}");
        // The token is alone on the last line, and works at once.
        let out = maison(&["staff", "token", "claire@maison.example", "--database-url", &db]);
        assert!(out.status.success(), "{}", stderr(&out));
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        let token = printed.lines().last().expect("a token").trim().to_owned();
        assert_eq!(token.len(), 64, "{printed}");
        let list = app.with_token(reqwest::Method::GET, "/api/v1/orders", &token).send().await.expect("sent");
        assert_eq!(list.status(), 200);
        // Only its hash is kept.
        let out = maison(&["staff", "disable", "claire@maison.example", "--database-url", &db]);
        assert!(out.status.success(), "{}", stderr(&out));
        let list = app.with_token(reqwest::Method::GET, "/api/v1/orders", &token).send().await.expect("sent");
        assert_eq!(list.status(), 401);
        let out = maison(&["staff", "list", "--database-url", &db]);
        assert!(String::from_utf8_lossy(&out.stdout).contains("disabled"));
        let out = maison(&["staff", "token", "claire@maison.example", "--database-url", &db]);
        assert!(!out.status.success(), "no token for a disabled member");
        app.stop().await;
    }
}

on_both_databases! {
    async fn staff_add_prints_a_one_time_console_setup_link(backend) {
        let app = spawn_app(backend).await;
        let db = app.database_url.clone();
        let out = maison(&["staff", "add", "julien@maison.example", "--name", "Julien Morel", "--role", "prestige_advisor", "--database-url", &db]);
        assert!(out.status.success(), "{}", stderr(&out));
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(printed.lines().next().expect("first line").contains("Julien Morel <julien@maison.example> is a staff member (prestige_advisor)"), "{printed}");
        // The link is alone on the last line.
        let link = printed.lines().last().expect("a link").trim().to_owned();
        assert!(link.starts_with("http") && link.contains("/console/setup?token="), "{printed}");
        let path = &link[link.find("/console/").expect("path")..];
        let (status, page) = app.get_text(path).await;
        assert_eq!(status, 200);
        assert!(page.contains("Julien Morel") && page.contains("<svg"), "the setup page with its QR code");
        // A new link replaces it.
        let out = maison(&["staff", "link", "julien@maison.example", "--database-url", &db]);
        assert!(out.status.success(), "{}", stderr(&out));
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        let new_link = printed.lines().last().expect("a link").trim().to_owned();
        let new_path = &new_link[new_link.find("/console/").expect("path")..];
        assert_ne!(new_path, path);
        assert_eq!(app.get_text(path).await.0, 404, "the old link stopped working");
        assert_eq!(app.get_text(new_path).await.0, 200);
        app.stop().await;
    }
}

on_both_databases! {
    async fn carrier_simulate_follows_a_shipped_order_to_delivery(backend) {
        let app = spawn_app(backend).await;
        let db = app.database_url.clone();
        let operator = maison_app::actor::Actor::System("test");
        app.maison().add_staff(&operator, "fulfilment@maison.example", "Sophie Martin", "fulfilment").await.expect("member added");
        let token = app.maison().new_staff_token(&operator, "fulfilment@maison.example").await.expect("token").expose().to_owned();
        let sku = common::plain_sku(&app).await;
        let bag = app.bag_with(&[(&sku, 1)]).await;
        let r = app.checkout("cli-carrier", &common::checkout_body(&bag)).await;
        assert_eq!(r.status(), 201);
        let order: serde_json::Value = r.json().await.expect("order");
        let number = order["number"].as_str().expect("number").to_owned();
        let r = app.with_token(reqwest::Method::POST, &format!("/api/v1/orders/{number}/process"), &token).send().await.expect("sent");
        assert_eq!(r.status(), 200);
        let r = app.with_token(reqwest::Method::POST, &format!("/api/v1/orders/{number}/shipments"), &token)
            .header("Idempotency-Key", "cli-ship").send().await.expect("sent");
        assert_eq!(r.status(), 201);
        let shipment: serde_json::Value = r.json().await.expect("shipment");
        let tracking = shipment["tracking_number"].as_str().expect("tracking").to_owned();

        // Refused: an event no carrier sends, a tracking number no shipment has.
        let out = maison(&["carrier", "simulate", &tracking, "teleported", "--database-url", &db]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains("appointment_confirmed"), "{}", stderr(&out));
        let out = maison(&["carrier", "simulate", "000000000000", "delivered", "--database-url", &db]);
        assert!(!out.status.success());

        for event in ["appointment_confirmed", "picked_up", "in_transit", "out_for_delivery", "delivered"] {
            let out = maison(&["carrier", "simulate", &tracking, event, "--database-url", &db]);
            assert!(out.status.success(), "{event}: {}", stderr(&out));
            let printed = String::from_utf8_lossy(&out.stdout).into_owned();
            assert!(printed.starts_with(&format!("{tracking}: {event} applied")), "{printed}");
        }
        let r = app.with_token(reqwest::Method::GET, &format!("/api/v1/orders/{number}"), &token).send().await.expect("sent");
        let view: serde_json::Value = r.json().await.expect("order");
        assert_eq!(view["status"], "delivered", "{view}");
        let notes = view["timeline"].to_string();
        for expected in ["Delivery appointment confirmed", "Picked up by", "In transit with", "Out for delivery", "Delivered."] {
            assert!(notes.contains(expected), "{expected}: {notes}");
        }
        app.stop().await;
    }
}

#[test]
fn the_demo_prints_its_staff_sign_in_details_once_and_they_work() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let port = maison_testkit::free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_maison"))
        .args(["serve", "--database-url", &url, "--addr", &addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("maison serve starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().expect("a line").expect("text");
    assert!(first.contains("is open at"), "{first}");
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("text");
        let done = line.contains("otpauth:")
            && printed
                .iter()
                .filter(|l: &&String| l.contains("otpauth:"))
                .count()
                == 3;
        printed.push(line);
        if done {
            break;
        }
    }
    let text = printed.join("\n");
    for role in ["ambassador", "prestige_advisor", "fulfilment", "admin"] {
        assert!(text.contains(&format!("({role})")), "{text}");
    }
    assert!(text.contains("/console"), "{text}");
    let field = |name: &str| -> Vec<String> {
        printed
            .iter()
            .filter_map(|l| l.trim().strip_prefix(name))
            .map(|v| v.trim().to_owned())
            .collect()
    };
    let (emails, passwords, keys) = (field("e-mail:"), field("password:"), field("TOTP key:"));
    assert_eq!(
        (emails.len(), passwords.len(), keys.len()),
        (4, 4, 4),
        "{text}"
    );
    assert!(
        field("otpauth:")
            .iter()
            .all(|u| u.starts_with("otpauth://totp/"))
    );

    // The administrator signs in with what was printed.
    let secret = totp_rs::Secret::try_from_base32(&keys[3]).expect("base32");
    let totp = totp_rs::Builder::new()
        .with_secret(secret)
        .with_account_name("t")
        .build()
        .expect("totp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("now")
        .as_secs();
    let base = format!("http://127.0.0.1:{port}");
    let page = Command::new("curl")
        .args(["-s", "-c", "-", &format!("{base}/console/sign-in")])
        .output()
        .expect("curl");
    let jar = String::from_utf8_lossy(&page.stdout).into_owned();
    let form_token = jar
        .lines()
        .find(|l| l.contains("maison_console_form"))
        .and_then(|l| l.split_whitespace().last())
        .expect("a form cookie")
        .to_owned();
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{redirect_url}",
            "-b",
            &format!("maison_console_form={form_token}"),
            "--data-urlencode",
            &format!("csrf_token={form_token}"),
            "--data-urlencode",
            &format!("email={}", emails[3]),
            "--data-urlencode",
            &format!("password={}", passwords[3]),
            "--data-urlencode",
            &format!("code={}", totp.generate(now)),
            &format!("{base}/console/sign-in"),
        ])
        .output()
        .expect("curl");
    let answer = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        answer.starts_with("303") && answer.ends_with("/console"),
        "{answer}"
    );
    let _ = child.kill();
    let _ = child.wait();

    // Never printed again.
    let out = maison(&["seed-demo", "--database-url", &url]);
    let again = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        again.contains("nothing seeded") && !again.contains("password:"),
        "{again}"
    );
}

#[test]
fn migrate_and_seed_demo_work_on_a_new_database_and_seed_only_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let out = maison(&["migrate", "--database-url", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = maison(&["seed-demo", "--database-url", &url]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("seeded"));
    let out = maison(&["seed-demo", "--database-url", &url]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing seeded"));
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["seed-demo", "--help"],
        vec!["stock", "set", "--help"],
        vec!["product", "unavailable", "--help"],
        vec!["staff", "add", "--help"],
        vec!["staff", "token", "--help"],
        vec!["staff", "link", "--help"],
    ] {
        let out = maison(&args);
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("--database-url") && text.contains("--config"),
            "{args:?}: {text}"
        );
    }
}

#[test]
fn a_bad_configuration_is_refused_in_one_line_naming_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("maison.toml");
    std::fs::write(&file, "[policies]\nmax_items_per_order = 0\n").expect("write");
    let out = maison(&["migrate", "--config", file.to_str().expect("path")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("policies.max_items_per_order") && err.contains("1 to 100"),
        "{err}"
    );

    std::fs::write(&file, "this is [not toml").expect("write");
    let out = maison(&["migrate", "--config", file.to_str().expect("path")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("invalid configuration") && err.contains("line 1"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");

    let out = maison(&["migrate", "--config", "/nonexistent/maison.toml"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("cannot read the configuration file /nonexistent/maison.toml"));

    let out = Command::new(env!("CARGO_BIN_EXE_maison"))
        .args(["migrate", "--database-url", "sqlite://unused.db"])
        .env("MAISON_POLICIES__RETURN_WINDOW_DAYS", "400")
        .current_dir(tempfile::tempdir().expect("an empty folder").path())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("policies.return_window_days"),
        "{}",
        stderr(&out)
    );

    let out = Command::new(env!("CARGO_BIN_EXE_maison"))
        .args(["migrate", "--database-url", "sqlite://unused.db"])
        .env("MAISON_MAISON__TIME_ZONE", "Mars/Olympus_Mons")
        .current_dir(tempfile::tempdir().expect("an empty folder").path())
        .output()
        .expect("runs");
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("maison.time_zone") && stderr(&out).contains("America/New_York"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_unreachable_database_is_a_one_line_error_with_its_cause() {
    let port = maison_testkit::free_port();
    let url = format!("postgres://maison:hunter2@127.0.0.1:{port}/maison");
    let out = maison(&["serve", "--database-url", &url, "--addr", "127.0.0.1:0"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    let line = err
        .lines()
        .find(|l| l.starts_with("error:"))
        .expect("an error line");
    assert!(line.contains("cannot open the database"), "{line}");
    assert!(!err.contains("hunter2"), "the password is never printed");
    let out = maison(&["migrate", "--database-url", "mysql://x@y/z"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("sqlite://"));
}

/// Starts `maison serve` on a free port; returns the process and its URL.
fn serve(dir: &std::path::Path, extra: &[&str]) -> (Child, String) {
    let port = maison_testkit::free_port();
    let url = format!("sqlite://{}", dir.join("m.db").display());
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_maison"))
        .args(["serve", "--database-url", &url, "--addr", &addr])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("maison serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("the storefront URL is printed");
    assert!(first.contains(&format!("127.0.0.1:{port}/")), "{first}");
    let base = first
        .split_whitespace()
        .find(|w| w.starts_with("http"))
        .expect("a URL")
        .trim_end_matches('/')
        .to_owned();
    (child, base)
}

/// The status line and headers of a GET to `url` (`insecure`: accept the
/// self-signed certificate).
fn response_headers(url: &str, insecure: bool) -> String {
    let out = Command::new("curl")
        .args([
            if insecure { "-sk" } else { "-s" },
            "-D",
            "-",
            "-o",
            "/dev/null",
            url,
        ])
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn wait_for_exit(child: &mut Child, limit: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[test]
fn serve_prints_its_url_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut child, url) = serve(dir.path(), &[]);
    assert!(url.starts_with("http://"));
    let body = Command::new("curl")
        .args(["-sf", &format!("{url}/healthz")])
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&body.stdout), "ok");
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let status = wait_for_exit(&mut child, Duration::from_secs(15)).expect("stops within 15 s");
    assert!(status.success(), "{status}");
}

#[test]
fn a_self_signed_certificate_serves_https() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut child, url) = serve(dir.path(), &["--tls-self-signed"]);
    assert!(url.starts_with("https://"), "{url}");
    let out = Command::new("curl")
        .args([
            "-sk",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{ssl_verify_result}",
            &format!("{url}/api/v1/products"),
        ])
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.starts_with("200"), "{text}");
    // Plain HTTP on the TLS port gets no page.
    let plain = url.replace("https://", "http://");
    let out = Command::new("curl")
        .args([
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "--max-time",
            "5",
            &format!("{plain}/healthz"),
        ])
        .output()
        .expect("curl");
    assert_ne!(String::from_utf8_lossy(&out.stdout), "200");
    let _ = child.kill();
    let _ = child.wait();
}

/// Whether `needle` stands in `haystack` as a token of its own (not inside a
/// longer run of letters or digits, as in a UUID or a timestamp).
fn contains_token(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).enumerate().any(|(i, w)| {
        w == needle
            && (i == 0 || !haystack[i - 1].is_ascii_alphanumeric())
            && haystack
                .get(i + needle.len())
                .is_none_or(|b| !b.is_ascii_alphanumeric())
    })
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn card_numbers_and_security_codes_are_never_stored_nor_logged() {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = maison_testkit::free_port();
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let log = std::fs::File::create(dir.path().join("server.log")).expect("log file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_maison"))
        .args([
            "serve",
            "--database-url",
            &url,
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .env("RUST_LOG", "trace")
        .env("MAISON_MAIL__SPOOL_DIR", dir.path().join("spool"))
        .stdout(Stdio::piped())
        .stderr(log)
        .spawn()
        .expect("maison serve starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("started");
    let base = format!("http://127.0.0.1:{port}");
    // reqwest is built with rustls and no default provider (the server
    // installs ring; this test talks to a server in another process).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let products: serde_json::Value = http
        .get(format!("{base}/api/v1/products?limit=100"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let sku = products["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| {
            p["sale_mode"] == "online"
                && p["availability"] == "available"
                && p["personalisation"]
                    .as_array()
                    .is_some_and(|a| a.is_empty())
        })
        .and_then(|p| {
            p["variants"]
                .as_array()?
                .iter()
                .find(|v| v["availability"] == "available")
        })
        .and_then(|v| v["sku"].as_str())
        .expect("an available creation")
        .to_owned();
    let out = maison(&["stock", "set", &sku, "10", "--database-url", &url]);
    assert!(out.status.success(), "{}", stderr(&out));
    // A client signs up, confirms, signs in, and later resets the password:
    // every secret of that journey is kept for the search below.
    let password = "Velvet orchid at midnight";
    let new_password = "Quiet harbour lantern";
    let mut secrets: Vec<String> = vec![password.into(), new_password.into()];
    let status = http
        .post(format!("{base}/api/v1/accounts"))
        .json(&serde_json::json!({"first_name": "Claire", "last_name": "Dubois", "email": "claire@example.com", "password": password}))
        .send()
        .await
        .expect("sent")
        .status();
    assert_eq!(status, 202);
    let spool = dir.path().join("spool");
    let letter = |kind: &'static str| {
        let spool = spool.clone();
        async move {
            // The letter leaves the outbox within a second or two.
            for _ in 0..200 {
                if let Some(token) = common::spool_tokens(&spool, "claire@example.com", kind).pop()
                {
                    return token;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("no {kind} letter");
        }
    };
    let confirmation = letter("registration").await;
    // The client opens the link (the page only shows a button).
    let page = http
        .get(format!("{base}/account/confirm?token={confirmation}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    let session: serde_json::Value = http
        .post(format!("{base}/api/v1/accounts/confirm"))
        .json(&serde_json::json!({"token": confirmation, "password": password}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("session");
    let signed_in: serde_json::Value = http
        .post(format!("{base}/api/v1/sessions"))
        .json(&serde_json::json!({"email": "claire@example.com", "password": password}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("session");
    let bearer = signed_in["token"].as_str().expect("token").to_owned();
    secrets.push(confirmation);
    secrets.push(session["token"].as_str().expect("token").to_owned());
    secrets.push(bearer.clone());
    // A browser session too: the sign-in page's form token, then the form.
    let page = http
        .get(format!("{base}/account/sign-in"))
        .send()
        .await
        .expect("sent");
    let form_cookie = common::cookie_pair(&page, "maison_form").expect("form cookie");
    let form_token = common::csrf_field(&page.text().await.expect("page")).expect("token");
    secrets.push(form_token.clone());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let form = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .post(format!("{base}/account/sign-in"))
        .header("cookie", form_cookie)
        .form(&[
            ("email", "claire@example.com"),
            ("password", password),
            ("csrf_token", form_token.as_str()),
        ])
        .send()
        .await
        .expect("sent");
    let cookie = form
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("maison_session="))
        .and_then(|c| c.split(';').next())
        .expect("session cookie")
        .to_owned();
    secrets.push(cookie);
    // A confirmed order, and a declined attempt with another card.
    for (key, number) in [
        ("ok", "4242 4242 4242 4242"),
        ("declined", "4000000000000002"),
    ] {
        let bag: serde_json::Value = http
            .post(format!("{base}/api/v1/bags"))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("bag");
        let bag = bag["id"].as_str().expect("id");
        http.post(format!("{base}/api/v1/bags/{bag}/lines"))
            .json(&serde_json::json!({"sku": sku}))
            .send()
            .await
            .expect("sent");
        let mut body = common::checkout_body(bag);
        body["payment"]["card"]["number"] = serde_json::json!(number);
        let response = http
            .post(format!("{base}/api/v1/checkout"))
            .header("Idempotency-Key", key)
            .bearer_auth(&bearer)
            .json(&body)
            .send()
            .await
            .expect("sent");
        let status = response.status().as_u16();
        assert!(status == 201 || status == 402, "{key}: {status}");
        if status == 201 {
            let order: serde_json::Value = response.json().await.expect("order");
            let lookup = http
                .post(format!("{base}/api/v1/order-lookup"))
                .json(
                    &serde_json::json!({"number": order["number"], "email": "claire@example.com"}),
                )
                .send()
                .await
                .expect("sent");
            assert_eq!(lookup.status(), 200);
        }
    }
    // The forgotten password: a reset link, used once.
    http.post(format!("{base}/api/v1/password-resets"))
        .json(&serde_json::json!({"email": "claire@example.com"}))
        .send()
        .await
        .expect("sent");
    let reset = letter("password_reset").await;
    let page = http
        .get(format!("{base}/account/reset?token={reset}"))
        .send()
        .await
        .expect("sent");
    assert_eq!(page.status(), 200);
    let done = http
        .post(format!("{base}/api/v1/password-resets/complete"))
        .json(&serde_json::json!({"token": reset, "password": new_password}))
        .send()
        .await
        .expect("sent");
    assert_eq!(done.status(), 204);
    secrets.push(reset);
    // Let the outbox write its messages, then stop cleanly.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    wait_for_exit(&mut child, Duration::from_secs(15)).expect("stopped");

    let files = files_under(dir.path());
    assert!(
        files
            .iter()
            .any(|f| f.extension().is_some_and(|e| e == "eml")),
        "mail was written: {files:?}"
    );
    assert!(
        std::fs::metadata(dir.path().join("server.log"))
            .expect("log")
            .len()
            > 0
    );
    // Order links are bearer secrets: in the client's mail, never in the logs.
    let log = std::fs::read_to_string(dir.path().join("server.log")).expect("log");
    assert!(
        !log.contains("sig="),
        "an order link's signature was logged"
    );
    assert!(
        log.contains("signed in"),
        "the log is the trace of this journey"
    );
    // Passwords, session tokens, cookies and link tokens: never in the logs.
    for secret in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "a secret was logged: {secret}"
        );
    }
    // Passwords are nowhere on disk (only their Argon2id hashes).
    for file in files_under(dir.path()) {
        let bytes = std::fs::read(&file).expect("readable");
        for secret in [password, new_password] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "a password found in {}",
                file.display()
            );
        }
    }
    for file in files {
        let bytes = std::fs::read(&file).expect("readable");
        for secret in [
            "4242424242424242",
            "4242 4242 4242 4242",
            "4000000000000002",
        ] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} found in {}",
                file.display()
            );
        }
        assert!(
            !contains_token(&bytes, b"917"),
            "the CVC found in {}",
            file.display()
        );
    }
}

#[test]
fn the_token_search_finds_standalone_codes_only() {
    assert!(contains_token(b"cvc=917;", b"917"));
    assert!(contains_token(b"917", b"917"));
    assert!(!contains_token(b"a917b", b"917"));
    assert!(!contains_token(b"19170", b"917"));
}

#[test]
fn plain_http_on_a_public_address_is_refused_unless_a_proxy_is_declared() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let addr = format!("0.0.0.0:{}", maison_testkit::free_port());
    let out = maison(&["serve", "--database-url", &url, "--addr", &addr]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("refusing to serve plain HTTP") && err.contains("behind_proxy"),
        "{err}"
    );

    let mut child = Command::new(env!("CARGO_BIN_EXE_maison"))
        .args(["serve", "--database-url", &url, "--addr", &addr])
        .env("MAISON_BEHIND_PROXY", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("line");
    assert!(first.contains("is open at"), "{first}");
    let port = addr.rsplit(':').next().expect("port");
    let headers =
        response_headers(&format!("http://127.0.0.1:{port}/healthz"), false).to_lowercase();
    assert!(
        headers.contains("strict-transport-security"),
        "behind a TLS proxy: {headers}"
    );
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn with_tls_plain_http_only_redirects_and_responses_carry_hsts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let redirect_port = maison_testkit::free_port();
    let from = format!("127.0.0.1:{redirect_port}");
    let (mut child, url) = serve(
        dir.path(),
        &["--tls-self-signed", "--redirect-http-from", &from],
    );
    let headers = response_headers(&format!("{url}/healthz"), true).to_lowercase();
    assert!(
        headers.contains("strict-transport-security: max-age=31536000"),
        "{headers}"
    );
    let headers = response_headers(&format!("http://{from}/boutiques?q=Toronto"), false);
    assert!(headers.starts_with("HTTP/1.1 308"), "{headers}");
    let https_port = url.rsplit(':').next().expect("port");
    assert!(
        headers.contains(&format!(
            "location: https://127.0.0.1:{https_port}/boutiques?q=Toronto\r\n"
        )),
        "{headers}"
    );
    // Whatever Host a request names, the redirect goes to the maison itself.
    for host in ["evil.example", "evil.example:443", "[2001:db8::1]:80"] {
        let headers = redirect_with_host(&format!("http://{from}/account/sign-in?next=%2F"), host);
        assert!(
            headers.contains(&format!(
                "location: https://127.0.0.1:{https_port}/account/sign-in?next=%2F\r\n"
            )),
            "{host}: {headers}"
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// The headers of a GET to `url` sent with `Host: host`.
fn redirect_with_host(url: &str, host: &str) -> String {
    let out = Command::new("curl")
        .args([
            "-s",
            "-D",
            "-",
            "-o",
            "/dev/null",
            "-H",
            &format!("Host: {host}"),
            url,
        ])
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_http_redirect_goes_to_the_configured_public_url() {
    let dir = tempfile::tempdir().expect("temp dir");
    let redirect_port = maison_testkit::free_port();
    let from = format!("127.0.0.1:{redirect_port}");
    let port = maison_testkit::free_port();
    let url = format!("sqlite://{}", dir.path().join("m.db").display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_maison"))
        .args([
            "serve",
            "--database-url",
            &url,
            "--addr",
            &format!("127.0.0.1:{port}"),
        ])
        .args(["--tls-self-signed", "--redirect-http-from", &from])
        .env("MAISON_PUBLIC_URL", "https://boutique.example/shop/")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("line");
    assert!(first.contains("is open at"), "{first}");
    for host in [
        format!("127.0.0.1:{redirect_port}"),
        "evil.example".to_owned(),
    ] {
        let headers = redirect_with_host(&format!("http://{from}/boutiques?q=Toronto"), &host);
        assert!(headers.starts_with("HTTP/1.1 308"), "{headers}");
        // The public URL's origin, with the request's own path and query.
        assert!(
            headers.contains("location: https://boutique.example/boutiques?q=Toronto\r\n"),
            "{host}: {headers}"
        );
    }
    let _ = child.kill();
    let _ = child.wait();

    // Listening on every address, the redirect could only guess the host:
    // a public URL is required.
    let out = maison(&[
        "serve",
        "--database-url",
        &url,
        "--addr",
        &format!("0.0.0.0:{}", maison_testkit::free_port()),
        "--tls-self-signed",
        "--redirect-http-from",
        &format!("127.0.0.1:{}", maison_testkit::free_port()),
    ]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("redirect_http_from") && err.contains("public_url"),
        "{err}"
    );
}

#[test]
fn the_orders_and_payment_page_follows_the_configured_policies() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fetch = |extra_env: &[(&str, &str)]| {
        let port = maison_testkit::free_port();
        let url = format!("sqlite://{}", dir.path().join("m.db").display());
        let mut child = Command::new(env!("CARGO_BIN_EXE_maison"))
            .args([
                "serve",
                "--database-url",
                &url,
                "--addr",
                &format!("127.0.0.1:{port}"),
            ])
            .envs(extra_env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starts");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("line");
        let page = |path: &str| {
            let out = Command::new("curl")
                .args(["-sf", &format!("http://127.0.0.1:{port}{path}")])
                .output()
                .expect("curl");
            String::from_utf8_lossy(&out.stdout).into_owned()
        };
        let pages = page("/help/orders-and-payment") + &page("/help/conditions-of-sale");
        let _ = child.kill();
        let _ = child.wait();
        pages
    };
    let page = fetch(&[]);
    assert!(page.contains("up to 5 creations"), "{page}");
    assert!(page.contains("Orders over $30,000"));
    assert!(page.contains("American Express, Mastercard, Visa, Discover, Diners Club and JCB"));
    assert!(page.contains("within 30 days of delivery"));
    assert!(
        page.contains("within 30 days of its delivery or collection"),
        "{page}"
    );
    assert!(page.contains("Personalised creations are final sale"));
    // Client Relations take assisted orders (the console and the staff API):
    // cash, wire and fax are offered there.
    for promise in ["in cash", "wire transfer", "by fax"] {
        assert!(page.contains(promise), "{promise}: {page}");
    }
    let page = fetch(&[
        ("MAISON_POLICIES__MAX_ITEMS_PER_ORDER", "3"),
        ("MAISON_POLICIES__HIGH_VALUE_THRESHOLD", "25000.00"),
        ("MAISON_POLICIES__RETURN_WINDOW_DAYS", "14"),
    ]);
    assert!(
        page.contains("within 14 days of its delivery or collection"),
        "{page}"
    );
    assert!(page.contains("up to 3 creations"), "{page}");
    assert!(page.contains("Orders over $25,000"));
}
