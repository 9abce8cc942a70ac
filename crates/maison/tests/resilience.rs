//! The maison as it runs in production: separate `maison serve` processes on
//! one database, killed without warning, beside a processor (the simulator,
//! its ledger in a journal file) that outlives them. Nothing answered is lost,
//! nothing is charged twice, every letter goes once.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use maison_domain::order::OrderStatus;
use maison_testkit::{Backend, SmtpSink, TestDatabase, database};
use serde_json::{Value, json};

/// One maison: its database, its processor's ledger and the mail server its
/// letters go to; any number of `maison serve` processes run on it.
struct Deployment {
    dir: tempfile::TempDir,
    db: TestDatabase,
    smtp: SmtpSink,
    http: reqwest::Client,
    /// Whether its instances gather concurrent writes into one transaction.
    group_commit: bool,
}

/// A running `maison serve`, killed (SIGKILL) when dropped.
struct Instance {
    child: Child,
    url: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Instance {
    /// `kill -9`: no graceful shutdown, no request finished.
    fn crash(mut self) {
        self.child.kill().expect("killed");
        self.child.wait().expect("reaped");
    }
}

impl Deployment {
    async fn new(backend: Backend) -> Self {
        // reqwest is built without a default TLS provider (the server picks ring).
        let _ = rustls::crypto::ring::default_provider().install_default();
        Deployment {
            dir: tempfile::tempdir().expect("temp dir"),
            db: database(backend),
            smtp: SmtpSink::start().await,
            http: reqwest::Client::new(),
            group_commit: false,
        }
    }

    fn ledger(&self) -> PathBuf {
        self.dir.path().join("simulator-ledger.jsonl")
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_maison"));
        command
            .current_dir(self.dir.path())
            .env_remove("RUST_LOG")
            .env("MAISON_DATABASE_URL", &self.db.url)
            .env("MAISON_PAYMENTS__SIMULATOR_LEDGER", self.ledger())
            .env("MAISON_PAYMENTS__RECOVER_AFTER_SECS", "1")
            .env("MAISON_CATALOGUE_REFRESH_MS", "200")
            .env("MAISON_MAIL__SMTP_HOST", "127.0.0.1")
            .env("MAISON_MAIL__SMTP_PORT", self.smtp.port().to_string())
            .env("MAISON_MAIL__SMTP_SECURITY", "none")
            .env("MAISON_GROUP_COMMIT", self.group_commit.to_string());
        command
    }

    /// Starts one more instance (`demo`: seed the demo maison if empty).
    fn start(&self, demo: bool) -> Instance {
        let addr = format!("127.0.0.1:{}", maison_testkit::free_port());
        let mut command = self.command();
        command.args(["serve", "--addr", &addr]);
        if !demo {
            command.arg("--no-demo");
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("maison serve starts");
        let mut first = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first)
            .expect("the storefront URL is printed");
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http"))
            .unwrap_or_else(|| panic!("no URL in {first:?}"))
            .trim_end_matches('/')
            .to_owned();
        Instance { child, url }
    }

    /// An operator's command on this maison.
    fn maison(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("maison runs")
    }

    async fn store(&self) -> maison_store::Store {
        maison::server::open_store(&self.db.url)
            .await
            .expect("the database opens")
    }

    /// An available creation without sizes or personalisation, given `stock` units.
    async fn creation_with_stock(&self, at: &Instance, stock: u32) -> String {
        let body: Value = self
            .http
            .get(format!("{}/api/v1/products?limit=100", at.url))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("products");
        let sku = body["items"]
            .as_array()
            .expect("items")
            .iter()
            .find(|p| {
                common::is_online_and("available")(p)
                    && p["personalisation"].as_array().is_some_and(Vec::is_empty)
                    && p["variants"].as_array().is_some_and(|v| v.len() == 1)
            })
            .and_then(|p| p["sku"].as_str())
            .expect("a plain creation")
            .to_owned();
        let out = self.maison(&["stock", "set", &sku, &stock.to_string()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        sku
    }

    /// A bag holding one `sku`, made through `at`.
    async fn bag(&self, at: &str, sku: &str) -> String {
        let bag: Value = self
            .http
            .post(format!("{at}/api/v1/bags"))
            .json(&json!({}))
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("bag");
        let id = bag["id"].as_str().expect("bag id").to_owned();
        let added = self
            .http
            .post(format!("{at}/api/v1/bags/{id}/lines"))
            .json(&json!({"sku": sku, "quantity": 1}))
            .send()
            .await
            .expect("sent");
        assert_eq!(added.status(), 200);
        id
    }

    /// Waits until `maison payments reconcile` finds nothing, and returns
    /// what it printed last.
    async fn reconciled(&self, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let out = self.maison(&["payments", "reconcile"]);
            let printed = String::from_utf8_lossy(&out.stdout).into_owned();
            if out.status.success() {
                return printed;
            }
            assert!(
                Instant::now() < deadline,
                "the processor and the orders still disagree:\n{printed}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// For each order number, how many distinct messages each of its letters
    /// (by subject) arrived as; waits until every number has `letters`
    /// subjects (letters a killed instance had claimed wait out its 120 s
    /// lease before another instance sends them).
    async fn letters_of(&self, numbers: &[String], letters: usize) -> BTreeMap<String, Vec<usize>> {
        let deadline = Instant::now() + Duration::from_secs(150);
        loop {
            let mails = self.smtp.messages().await;
            let mut ids: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
            for mail in &mails {
                let subject = header(&mail.data, "Subject").unwrap_or_default();
                let id = header(&mail.data, "Message-ID").unwrap_or_default();
                if let Some(number) = numbers.iter().find(|n| subject.contains(n.as_str())) {
                    ids.entry((number.clone(), subject)).or_default().insert(id);
                }
            }
            let mut found: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for ((number, _), messages) in ids {
                found.entry(number).or_default().push(messages.len());
            }
            if numbers
                .iter()
                .all(|n| found.get(n).is_some_and(|s| s.len() >= letters))
            {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "letters never arrived for every order: {found:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// A header of a received message (unfolded).
fn header(data: &str, name: &str) -> Option<String> {
    let unfolded = data.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

/// Checks out `bag` through `at` as Claire Dubois; `(status, order number)`.
async fn checkout(http: &reqwest::Client, at: &str, bag: &str, key: &str) -> (u16, Option<String>) {
    let Ok(response) = http
        .post(format!("{at}/api/v1/checkout"))
        .header("Idempotency-Key", key)
        .json(&common::checkout_body(bag))
        .send()
        .await
    else {
        return (0, None);
    };
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or_default();
    (status, body["number"].as_str().map(str::to_owned))
}

async fn status_of(store: &maison_store::Store, number: &str) -> Option<OrderStatus> {
    store
        .order_by_number(number)
        .await
        .expect("read")
        .map(|o| o.status)
}

maison_testkit::on_both_databases! {
    async fn a_crash_in_a_burst_of_checkouts_loses_no_answered_order_and_no_payment(backend) {
        crash_in_a_burst(Deployment::new(backend).await).await;
    }

    async fn with_group_commit_a_crash_in_a_burst_loses_no_answered_order_and_no_payment(backend) {
        let mut deployment = Deployment::new(backend).await;
        deployment.group_commit = true;
        crash_in_a_burst(deployment).await;
    }
}

/// Forty checkouts at once, `kill -9` after the first answers, a restart on
/// the same database and processor: every answered order is there, every
/// authorisation matched or voided, every letter sent once.
async fn crash_in_a_burst(deployment: Deployment) {
    let first = deployment.start(true);
    let sku = deployment.creation_with_stock(&first, 500).await;
    let url = first.url.clone();
    let mut bags = Vec::new();
    for _ in 0..40 {
        bags.push(deployment.bag(&url, &sku).await);
    }

    // Forty clients pay at once; the server dies after the first answers.
    let (answers, mut answered) = tokio::sync::mpsc::unbounded_channel();
    for (i, bag) in bags.iter().enumerate() {
        let (http, url, bag, answers) = (
            deployment.http.clone(),
            url.clone(),
            bag.clone(),
            answers.clone(),
        );
        tokio::spawn(async move {
            let _ = answers.send(checkout(&http, &url, &bag, &format!("burst-{i}")).await);
        });
    }
    drop(answers);
    let mut results = Vec::new();
    while results.len() < 5 {
        results.push(answered.recv().await.expect("an answer"));
    }
    first.crash();
    while let Some(result) = answered.recv().await {
        results.push(result);
    }
    let confirmed: Vec<String> = results
        .iter()
        .filter(|(status, _)| *status == 201)
        .filter_map(|(_, number)| number.clone())
        .collect();
    assert!(confirmed.len() >= 5, "{results:?}");
    assert!(
        results.iter().any(|(status, _)| *status != 201),
        "the crash came after every answer: the test proved nothing"
    );

    // The same maison starts again on the same database and processor.
    let again = deployment.start(false);
    let report = deployment.reconciled(Duration::from_secs(60)).await;
    assert!(report.contains(" 0 mismatches"), "{report}");

    let store = deployment.store().await;
    for number in &confirmed {
        assert_eq!(
            status_of(&store, number).await,
            Some(OrderStatus::Confirmed),
            "order {number} was answered 201"
        );
    }
    // Every order the recovery confirmed, answered or not, had its
    // letters, each once (a letter sent again keeps its Message-ID).
    let all = store
        .order_ids_in(OrderStatus::Confirmed)
        .await
        .expect("orders");
    let mut numbers = Vec::new();
    for id in all {
        numbers.push(store.order(&id).await.expect("read").expect("order").number);
    }
    assert!(numbers.len() >= confirmed.len());
    let letters = deployment.letters_of(&numbers, 2).await;
    for (number, counts) in &letters {
        assert!(counts.iter().all(|c| *c == 1), "order {number}: {counts:?}");
    }
    // Stock: what was sold is what left the shelf.
    let left = store.on_hand(&sku).await.expect("stock");
    assert_eq!(u64::from(500 - left), numbers.len() as u64);
    drop(again);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_one_postgresql_sell_the_last_units_once_and_share_their_work() {
    let deployment = Deployment::new(Backend::Postgres).await;
    let a = deployment.start(true);
    let b = deployment.start(false);
    let c = deployment.start(false);
    let instances = [&a, &b, &c];
    let sku = deployment.creation_with_stock(&a, 3).await;

    // Twelve clients, four on each instance, want the last three units.
    let mut bags = Vec::new();
    for i in 0..12 {
        let at = instances[i % 3].url.clone();
        bags.push((at.clone(), deployment.bag(&at, &sku).await));
    }
    let mut tasks = Vec::new();
    for (i, (at, bag)) in bags.into_iter().enumerate() {
        let http = deployment.http.clone();
        tasks.push(tokio::spawn(async move {
            checkout(&http, &at, &bag, &format!("last-{i}")).await
        }));
    }
    let mut sold = Vec::new();
    for task in tasks {
        let (status, number) = task.await.expect("task");
        assert!(matches!(status, 201 | 409), "{status}");
        sold.extend(number.filter(|_| status == 201));
    }
    assert_eq!(sold.len(), 3, "exactly the three units: {sold:?}");
    let store = deployment.store().await;
    assert_eq!(store.on_hand(&sku).await.expect("stock"), 0);

    // The sale, a catalogue change made through some of them, reaches all
    // three within the refresh interval.
    for instance in instances {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let body: Value = deployment
                .http
                .get(format!("{}/api/v1/products/{sku}", instance.url))
                .send()
                .await
                .expect("sent")
                .json()
                .await
                .expect("product");
            if body["availability"] != "available" {
                break;
            }
            assert!(Instant::now() < deadline, "{} still sells it", instance.url);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // The three outbox workers ran at once: each letter went exactly once.
    let letters = deployment.letters_of(&sold, 2).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mails = deployment.smtp.messages().await;
    for number in &sold {
        let copies = mails
            .iter()
            .filter(|m| header(&m.data, "Subject").is_some_and(|s| s.contains(number.as_str())))
            .count();
        assert_eq!(copies, letters[number].len(), "order {number}: {letters:?}");
    }

    // A guesser spread over the three instances is stopped as on one.
    let number = &sold[0];
    for i in 0..maison_app::lookup::PER_NUMBER {
        let response = deployment
            .http
            .post(format!(
                "{}/api/v1/order-lookup",
                instances[i as usize % 3].url
            ))
            .json(&json!({"number": number, "email": "guess@example.com"}))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 404);
    }
    for instance in instances {
        let response = deployment
            .http
            .post(format!("{}/api/v1/order-lookup", instance.url))
            .json(&json!({"number": number, "email": "guess@example.com"}))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 429, "{}", instance.url);
    }
    let report = deployment.reconciled(Duration::from_secs(10)).await;
    assert!(
        report.contains("3 processor payments"),
        "one processor for all three: {report}"
    );
}
