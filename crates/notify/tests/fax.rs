//! Letters by fax through a real SMTP conversation with the testkit's sink:
//! one message to `<digits>@<gateway>` whose attachment is a PDF that reads
//! back (with lopdf) as the letter.

use std::sync::Arc;
use std::time::Duration;

use maison_domain::Money;
use maison_domain::policy::ClientRelations;
use maison_notify::{
    Channel, DocumentLine, Email, FaxGateway, MailError, MailTransport, Mailer, OrderDocument,
    Senders, SmtpSecurity, acknowledgement, confirmation, letter_pdf,
};
use maison_testkit::{ReceivedMail, SmtpSink};

const FROM: &str = "Maison Valoria <clientrelations@maison-valoria.example>";
const WAIT: Duration = Duration::from_secs(10);
const GATEWAY: &str = "fax.example.net";

fn smtp_mailer(port: u16) -> Arc<Mailer> {
    Arc::new(
        Mailer::new(
            MailTransport::Smtp {
                host: "127.0.0.1".into(),
                port,
                security: SmtpSecurity::None,
                username: None,
                password: None,
            },
            FROM.into(),
        )
        .expect("a plain SMTP mailer to the loopback sink"),
    )
}

fn gateway(mailer: Arc<Mailer>) -> FaxGateway {
    FaxGateway::new(mailer, GATEWAY, ClientRelations::default()).expect("a valid gateway")
}

fn line(name: &str, sku: &str, quantity: u32, unit_dollars: i64) -> DocumentLine {
    DocumentLine {
        name: name.into(),
        sku: sku.into(),
        size: None,
        quantity,
        unit_price: Money::usd_dollars(unit_dollars),
        line_total: Money::usd_dollars(unit_dollars * i64::from(quantity)),
        personalisation: None,
        final_sale: false,
    }
}

fn order() -> OrderDocument {
    OrderDocument {
        number: "MV-4HX2-QW7N".into(),
        client_name: "Amélie Laurent".into(),
        email: "amelie.laurent@example.com".into(),
        lines: vec![
            DocumentLine {
                size: Some("52".into()),
                personalisation: Some("Engraving: “For ever”".into()),
                final_sale: true,
                ..line(
                    "Clou Solitaire Ring, 18K white gold",
                    "VR-CLOU-52",
                    1,
                    6_900,
                )
            },
            line("Panthère Bracelet, yellow gold", "VR-PANT-17", 2, 12_500),
        ],
        subtotal: Money::usd_dollars(31_900),
        total: Money::usd_dollars(31_900),
        delivery: "Delivery to your workplace (Laurent & Associés)".into(),
        address_lines: vec![
            "Laurent & Associés".into(),
            "350 Fifth Avenue, Floor 21".into(),
            "New York, NY 10118".into(),
        ],
        carrier: "FedEx".into(),
        delivery_message: "Expected in 2–5 business days.".into(),
        payment: "Visa ending in 4242".into(),
        status_url: Some("https://boutique.example/orders/MV-4HX2-QW7N?sig=7f3a".into()),
        payment_secured: true,
    }
}

/// The letter as the outbox holds it for a fax: `to` is the number.
fn fax_letter(email: Email, number: &str) -> Email {
    Email {
        message_key: None,
        to: number.into(),
        ..email
    }
}

/// A received message: headers unfolded, and its MIME parts with their own
/// headers and decoded bodies.
struct Parsed {
    headers: Vec<(String, String)>,
    parts: Vec<Part>,
}

struct Part {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

impl Parsed {
    fn header(&self, name: &str) -> &str {
        header(&self.headers, name).unwrap_or_else(|| panic!("no {name} header"))
    }

    fn part(&self, content_type: &str) -> &Part {
        self.parts
            .iter()
            .find(|p| {
                header(&p.headers, "Content-Type").is_some_and(|t| t.starts_with(content_type))
            })
            .unwrap_or_else(|| panic!("no {content_type} part"))
    }
}

fn split_headers(raw: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .expect("headers, blank line, body");
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let headers = unfolded
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    (headers, body)
}

fn decode_quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.replace("=\r\n", "").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'=', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let value = ALPHABET
            .iter()
            .position(|a| *a == c)
            .unwrap_or_else(|| panic!("{:?} is not a base64 digit", c as char));
        acc = (acc << 6) | value as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn parse(raw: &str) -> Parsed {
    let (headers, body) = split_headers(raw);
    let content_type = header(&headers, "Content-Type").expect("a Content-Type header");
    assert!(
        content_type.starts_with("multipart/mixed"),
        "{content_type}"
    );
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .expect("a boundary")
        .trim_matches('"')
        .to_owned();
    let parts = body
        .split(&format!("--{boundary}"))
        .filter(|p| p.starts_with("\r\n") && p.len() > 2)
        .map(|p| {
            let (headers, body) = split_headers(p.trim_start_matches("\r\n"));
            let body = match header(&headers, "Content-Transfer-Encoding") {
                Some("base64") => decode_base64(body),
                Some("quoted-printable") => decode_quoted_printable(body),
                other => panic!("unexpected transfer encoding {other:?}"),
            };
            Part { headers, body }
        })
        .collect();
    Parsed { headers, parts }
}

/// The file name of a `Content-Disposition`: `filename="..."`, or the
/// RFC 2231 continuations `filename*0="..."; filename*1="..."` that lettre
/// writes for a name too long for one header line.
fn filename(disposition: &str) -> String {
    if let Some((_, rest)) = disposition.split_once("filename=\"") {
        return rest.split('"').next().unwrap_or_default().to_owned();
    }
    let mut pieces = Vec::new();
    for parameter in disposition.split(';').map(str::trim) {
        if let Some((key, value)) = parameter.split_once('=')
            && let Some(index) = key.strip_prefix("filename*")
        {
            let index: usize = index.parse().expect("a plain continuation, not *N*");
            pieces.push((index, value.trim_matches('"').to_owned()));
        }
    }
    pieces.sort();
    pieces.into_iter().map(|(_, piece)| piece).collect()
}

/// The text of every page, in order, as lopdf extracts it.
fn pdf_pages(pdf: &[u8]) -> Vec<String> {
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let document = lopdf::Document::load_mem(pdf).expect("lopdf reads the PDF");
    let pages = document.get_pages();
    pages
        .keys()
        .map(|n| document.extract_text(&[*n]).expect("the page's text"))
        .collect()
}

fn only(mails: &[ReceivedMail]) -> &ReceivedMail {
    assert_eq!(mails.len(), 1, "{mails:?}");
    &mails[0]
}

#[tokio::test]
async fn a_fax_leaves_as_one_message_to_the_gateway_with_a_readable_pdf() {
    let sink = SmtpSink::start().await;
    let fax = gateway(smtp_mailer(sink.port()));
    assert_eq!(fax.gateway(), GATEWAY);
    let (doc, maison) = (order(), ClientRelations::default());
    let letter = fax_letter(acknowledgement(&doc, &maison), "+12125550100");
    // As the outbox does: the sender of the letter's channel.
    let senders = Senders::new(vec![Arc::new(fax)]);
    let sender = senders.for_channel("fax").expect("a fax sender");
    assert_eq!(sender.channel(), Channel::Fax);
    assert!(senders.for_channel("email").is_none());
    sender.send(&letter).await.expect("the fax is handed over");

    let mails = sink.wait_for(1, WAIT).await;
    let mail = only(&mails);
    assert_eq!(mail.from, "clientrelations@maison-valoria.example");
    assert_eq!(mail.to, ["12125550100@fax.example.net"]);
    let parsed = parse(&mail.data);
    assert_eq!(parsed.header("To"), "12125550100@fax.example.net");
    assert_eq!(
        parsed.header("Subject"),
        "We have received your Maison Valoria order MV-4HX2-QW7N"
    );
    assert_eq!(parsed.parts.len(), 2, "a cover note and the PDF");

    let cover = String::from_utf8(parsed.part("text/plain").body.clone()).expect("UTF-8");
    assert!(
        cover.contains("Fax to +1 212 555 0100 from Maison Valoria"),
        "{cover}"
    );
    assert!(
        cover.contains("2 pages attached (MV-4HX2-QW7N-order-acknowledgement.pdf)"),
        "{cover}"
    );
    assert!(cover.contains("1-800-555-0142"), "{cover}");

    let attachment = parsed.part("application/pdf");
    assert_eq!(
        header(&attachment.headers, "Content-Transfer-Encoding"),
        Some("base64")
    );
    let disposition = header(&attachment.headers, "Content-Disposition").expect("a disposition");
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert_eq!(
        filename(disposition),
        "MV-4HX2-QW7N-order-acknowledgement.pdf",
        "{disposition}"
    );
    // What left is what the letter renders to, byte for byte.
    assert_eq!(attachment.body, letter_pdf(&letter, &maison));

    // The order and its total on the first page; the closing on the second.
    let pages = pdf_pages(&attachment.body);
    assert_eq!(pages.len(), 2, "{pages:#?}");
    let text = &pages[0];
    for needle in [
        "We have received your Maison Valoria order MV-4HX2-QW7N",
        "YOUR ORDER MV-4HX2-QW7N",
        "Total: $31,900.00",
        "Subtotal: $31,900.00",
        "$25,000.00 (2 × $12,500.00)",
        "Dear Amélie Laurent,",
        "Panthère Bracelet, yellow gold",
        "Engraving: “For ever”",
        "Expected in 2–5 business days.",
        "Delivery to your workplace (Laurent & Associés)",
        // "Fax to" and the number in bold: two runs, two lines for lopdf.
        "Fax to \n+1 212 555 0100",
        "Client Relations · 1-800-555-0142",
        "clientrelations@maison-valoria.example",
        "Page 1 of 2",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    for needle in ["With our warmest regards,", "Page 2 of 2"] {
        assert!(
            pages[1].contains(needle),
            "missing {needle:?} in:\n{}",
            pages[1]
        );
    }
}

#[tokio::test]
async fn a_long_letter_runs_over_numbered_pages_and_loses_no_line() {
    let sink = SmtpSink::start().await;
    let fax = gateway(smtp_mailer(sink.port()));
    let maison = ClientRelations::default();
    let doc = OrderDocument {
        lines: (1..=40)
            .map(|i| {
                line(
                    &format!("Creation number {i:02}"),
                    &format!("VR-LONG-{i:02}"),
                    1,
                    1_000,
                )
            })
            .collect(),
        subtotal: Money::usd_dollars(40_000),
        total: Money::usd_dollars(40_000),
        ..order()
    };
    let letter = fax_letter(confirmation(&doc, &maison), "(416) 555-0199");
    fax.send(&letter).await.expect("sent");

    let mails = sink.wait_for(1, WAIT).await;
    let mail = only(&mails);
    assert_eq!(mail.to, ["14165550199@fax.example.net"]);
    let parsed = parse(&mail.data);
    let pdf = &parsed.part("application/pdf").body;
    let pages = pdf_pages(pdf);
    let total = pages.len();
    assert!((3..=6).contains(&total), "{total} pages");
    let cover = String::from_utf8(parsed.part("text/plain").body.clone()).expect("UTF-8");
    assert!(
        cover.contains(&format!(
            "{total} pages attached (MV-4HX2-QW7N-order-confirmation.pdf)"
        )),
        "{cover}"
    );
    for (i, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("Page {} of {total}", i + 1)),
            "page {}:\n{page}",
            i + 1
        );
        assert!(page.contains("Maison Valoria"), "every page has the header");
    }
    assert!(pages[0].contains("Your Maison Valoria order MV-4HX2-QW7N is confirmed"));
    assert!(pages[total - 1].contains("Total: $40,000.00"));
    assert!(pages[total - 1].contains("With our warmest regards,"));
    // Every creation, once, in order, across the pages.
    let all = pages.concat();
    let mut from = 0;
    for i in 1..=40 {
        let needle = format!("Creation number {i:02}");
        let at = all[from..]
            .find(&needle)
            .unwrap_or_else(|| panic!("{needle} missing or out of order"));
        from += at + needle.len();
        assert_eq!(all.matches(&needle).count(), 1, "{needle}");
    }
}

#[tokio::test]
async fn a_number_outside_north_america_is_a_permanent_failure_and_nothing_leaves() {
    let sink = SmtpSink::start().await;
    let fax = gateway(smtp_mailer(sink.port()));
    let letter = acknowledgement(&order(), &ClientRelations::default());
    for number in [
        "+44 20 7946 0958",
        "555-0100",
        "911 555 0100",
        "amelie.laurent@example.com",
        "",
    ] {
        let err = fax
            .send(&fax_letter(letter.clone(), number))
            .await
            .expect_err("not a North American fax number");
        assert!(
            matches!(err, MailError::Permanent(_)),
            "{number:?}: {err:?}"
        );
        assert!(err.is_permanent());
        assert!(err.to_string().contains("invalid fax number"), "{err}");
    }
    assert!(sink.messages().await.is_empty());
}

#[tokio::test]
async fn the_gateways_refusals_are_transient_or_permanent_like_mail() {
    let sink = SmtpSink::start().await;
    let fax = gateway(smtp_mailer(sink.port()));
    let letter = fax_letter(
        acknowledgement(&order(), &ClientRelations::default()),
        "212-555-0100",
    );
    sink.reject_next(1, 451);
    let err = fax.send(&letter).await.expect_err("451");
    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
    sink.reject_next(1, 554);
    let err = fax.send(&letter).await.expect_err("554");
    assert!(err.is_permanent(), "{err:?}");
    fax.send(&letter).await.expect("the retry goes through");
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);

    let unreachable = gateway(smtp_mailer(maison_testkit::free_port()));
    let err = unreachable.send(&letter).await.expect_err("nobody listens");
    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
}

#[tokio::test]
async fn in_development_a_fax_is_spooled_as_an_eml_file_with_its_pdf() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mailer = Arc::new(
        Mailer::new(
            MailTransport::Spool {
                dir: dir.path().to_path_buf(),
            },
            FROM.into(),
        )
        .expect("a spool mailer"),
    );
    let letter = fax_letter(
        confirmation(&order(), &ClientRelations::default()),
        "+1 212 555 0100",
    );
    gateway(mailer).send(&letter).await.expect("spooled");
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .expect("the spool")
        .map(|e| e.expect("an entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let raw = std::fs::read_to_string(&files[0]).expect("an .eml file");
    let parsed = parse(&raw);
    assert_eq!(parsed.header("To"), "12125550100@fax.example.net");
    let pages = pdf_pages(&parsed.part("application/pdf").body);
    assert!(pages[0].contains("MV-4HX2-QW7N"));
}

#[test]
fn a_gateway_must_be_a_domain_name() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mailer = Arc::new(
        Mailer::new(
            MailTransport::Spool {
                dir: dir.path().to_path_buf(),
            },
            FROM.into(),
        )
        .expect("a spool mailer"),
    );
    for bad in [
        "",
        "fax",
        "fax@example.net",
        "https://fax.example.net",
        "192.0.2.1",
        "-fax.example.net",
        "fax..example.net",
    ] {
        let err = FaxGateway::new(Arc::clone(&mailer), bad, ClientRelations::default())
            .expect_err("not a domain");
        assert!(matches!(err, MailError::Config(_)), "{bad:?}: {err:?}");
    }
    let fax = FaxGateway::new(mailer, " Fax.Example.NET. ", ClientRelations::default())
        .expect("a domain");
    assert_eq!(fax.gateway(), "fax.example.net");
}
