//! The documents through a real SMTP conversation with the testkit's sink, and
//! through the spool folder.

use std::time::Duration;

use maison_domain::Money;
use maison_domain::policy::ClientRelations;
use maison_notify::{
    DocumentLine, Email, MailError, MailTransport, Mailer, OrderDocument, SmtpSecurity,
    acknowledgement, confirmation,
};
use maison_testkit::{ReceivedMail, SmtpSink};

const FROM: &str = "Maison Valoria <clientrelations@maison-valoria.example>";
const WAIT: Duration = Duration::from_secs(10);

fn smtp_mailer(port: u16) -> Mailer {
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
    .expect("a plain SMTP mailer to the loopback sink")
}

fn order() -> OrderDocument {
    OrderDocument {
        number: "MV-4HX2-QW7N".into(),
        client_name: "Amélie Laurent".into(),
        email: "amelie.laurent@example.com".into(),
        lines: vec![
            DocumentLine {
                name: "Clou Solitaire Ring, 18K white gold".into(),
                sku: "VR-CLOU-52".into(),
                size: Some("52".into()),
                quantity: 1,
                unit_price: Money::usd_dollars(6_900),
                line_total: Money::usd_dollars(6_900),
                personalisation: Some("Engraving: “For ever”".into()),
                final_sale: true,
            },
            DocumentLine {
                name: "Panthère Bracelet, yellow gold".into(),
                sku: "VR-PANT-17".into(),
                size: None,
                quantity: 2,
                unit_price: Money::usd_dollars(12_500),
                line_total: Money::usd_dollars(25_000),
                personalisation: None,
                final_sale: false,
            },
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

/// Over the high-value threshold: the secure courier, and Client Relations
/// instead of an estimate.
fn high_value_order(maison: &ClientRelations) -> OrderDocument {
    OrderDocument {
        carrier: "Secure courier".into(),
        delivery_message: format!(
            "Please contact {} for accurate delivery information.",
            maison.contact_sentence()
        ),
        ..order()
    }
}

/// A received message, headers unfolded, parts decoded.
struct Parsed {
    headers: Vec<(String, String)>,
    parts: Vec<(String, String)>,
}

impl Parsed {
    fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("no {name} header"))
    }

    fn part(&self, content_type: &str) -> &str {
        self.parts
            .iter()
            .find(|(t, _)| t.starts_with(content_type))
            .map(|(_, body)| body.as_str())
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

fn decode_quoted_printable(text: &str) -> String {
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
    // MIME text travels with CRLF line ends; the documents are written with LF.
    String::from_utf8(out)
        .expect("UTF-8 text once decoded")
        .replace("\r\n", "\n")
}

fn parse(raw: &str) -> Parsed {
    let (headers, body) = split_headers(raw);
    let content_type = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Type"))
        .map(|(_, v)| v.clone())
        .expect("a Content-Type header");
    assert!(
        content_type.starts_with("multipart/alternative"),
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
            let (h, b) = split_headers(p.trim_start_matches("\r\n"));
            let get = |name: &str| {
                h.iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default()
            };
            assert_eq!(get("Content-Transfer-Encoding"), "quoted-printable");
            (get("Content-Type"), decode_quoted_printable(b))
        })
        .collect();
    Parsed { headers, parts }
}

/// Decodes the RFC 2047 `=?utf-8?b?...?=` words of a header value.
fn decode_encoded_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("=?utf-8?b?") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "=?utf-8?b?".len()..];
        let end = after.find("?=").expect("a closed encoded word");
        out.push_str(&String::from_utf8(base64_decode(&after[..end])).expect("UTF-8"));
        rest = &after[end + 2..];
        // White space between two adjacent encoded words is not text.
        if rest.trim_start().starts_with("=?") {
            rest = rest.trim_start();
        }
    }
    out.push_str(rest);
    out
}

fn base64_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in text.bytes().filter(|c| *c != b'=') {
        let value = ALPHABET
            .iter()
            .position(|a| *a == c)
            .expect("a base64 digit");
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

/// What lettre writes for `subject`: the sink must receive exactly that.
fn encoded_subject(subject: &str) -> String {
    let message = lettre::Message::builder()
        .from(FROM.parse().expect("mailbox"))
        .to("a@example.com".parse().expect("mailbox"))
        .subject(subject)
        .body(String::new())
        .expect("a message");
    let formatted = String::from_utf8(message.formatted()).expect("ASCII headers");
    let (headers, _) = split_headers(&formatted);
    headers
        .into_iter()
        .find(|(n, _)| n == "Subject")
        .map(|(_, v)| v)
        .expect("a Subject")
}

fn assert_carries(mail: &Parsed, email: &Email, doc: &OrderDocument, maison: &ClientRelations) {
    assert_eq!(mail.header("To"), doc.email);
    assert_eq!(mail.header("Subject"), email.subject);
    assert_eq!(
        mail.header("From"),
        "\"Maison Valoria\" <clientrelations@maison-valoria.example>"
    );
    assert_eq!(mail.header("MIME-Version"), "1.0");
    assert!(
        mail.header("Message-ID")
            .ends_with("@maison-valoria.example>")
    );
    let text = mail.part("text/plain");
    let html = mail.part("text/html");
    assert_eq!(text.trim_end(), email.text.trim_end());
    assert_eq!(html.trim_end(), email.html.trim_end());
    assert!(
        mail.header("Content-Type")
            .contains("multipart/alternative")
    );
    for body in [text, html] {
        for needle in [
            doc.number.as_str(),
            "Clou Solitaire Ring, 18K white gold",
            "Size 52",
            "Quantity 1",
            "$6,900.00",
            "Panthère Bracelet, yellow gold",
            "Quantity 2",
            "$25,000.00",
            "$12,500.00",
            "Engraving: “For ever”",
            "Final sale: personalised creations cannot be returned or exchanged.",
            "$31,900.00",
            "350 Fifth Avenue, Floor 21",
            "Visa ending in 4242",
            maison.phone.as_str(),
            maison.email.as_str(),
            "Maison Valoria",
        ] {
            assert!(body.contains(needle), "missing {needle:?} in:\n{body}");
        }
    }
    assert!(text.contains("Delivery to your workplace (Laurent & Associés)"));
    assert!(html.contains("Delivery to your workplace (Laurent &#38; Associés)"));
}

fn only(mails: &[ReceivedMail]) -> &ReceivedMail {
    assert_eq!(mails.len(), 1, "{mails:?}");
    &mails[0]
}

#[tokio::test]
async fn both_documents_travel_through_a_real_smtp_conversation() {
    let sink = SmtpSink::start().await;
    let mailer = smtp_mailer(sink.port());
    let (doc, maison) = (order(), ClientRelations::default());
    let ack = acknowledgement(&doc, &maison);
    let conf = confirmation(&doc, &maison);
    mailer.send(&ack).await.expect("acknowledgement sent");
    mailer.send(&conf).await.expect("confirmation sent");

    let mails = sink.wait_for(2, WAIT).await;
    assert_eq!(mails.len(), 2);
    for (received, email) in mails.iter().zip([&ack, &conf]) {
        assert_eq!(received.from, "clientrelations@maison-valoria.example");
        assert_eq!(received.to, vec!["amelie.laurent@example.com".to_owned()]);
        let parsed = parse(&received.data);
        assert_carries(&parsed, email, &doc, &maison);
        assert!(
            parsed
                .part("text/plain")
                .contains("Expected in 2–5 business days.")
        );
    }
    let ack_mail = parse(&mails[0].data);
    assert_eq!(
        ack_mail.header("Subject"),
        "We have received your Maison Valoria order MV-4HX2-QW7N"
    );
    assert!(
        ack_mail
            .part("text/plain")
            .contains("We have received your order")
    );
    let conf_mail = parse(&mails[1].data);
    assert_eq!(
        conf_mail.header("Subject"),
        "Your Maison Valoria order MV-4HX2-QW7N is confirmed"
    );
    let text = conf_mail.part("text/plain");
    assert!(text.contains("Your payment has been secured"));
    assert!(text.contains("FedEx will contact you to confirm the delivery date"));
    assert!(text.contains("at each step"));
}

#[tokio::test]
async fn a_high_value_order_names_client_relations_instead_of_an_estimate() {
    let sink = SmtpSink::start().await;
    let mailer = smtp_mailer(sink.port());
    let maison = ClientRelations::default();
    let doc = high_value_order(&maison);
    mailer
        .send(&confirmation(&doc, &maison))
        .await
        .expect("confirmation sent");
    let mails = sink.wait_for(1, WAIT).await;
    let parsed = parse(&only(&mails).data);
    for body in [parsed.part("text/plain"), parsed.part("text/html")] {
        assert!(body.contains("Please contact Client Relations at 1-800-555-0142"));
        assert!(body.contains("accurate delivery information"));
        assert!(body.contains("secure courier"));
        assert!(!body.contains("business days"), "{body}");
        assert!(!body.contains("will contact you to confirm the delivery date"));
    }
}

#[tokio::test]
async fn accents_in_the_subject_survive_the_header_encoding() {
    let sink = SmtpSink::start().await;
    let mailer = smtp_mailer(sink.port());
    let maison = ClientRelations {
        maison_name: "Maison Élodie".into(),
        ..ClientRelations::default()
    };
    let email = confirmation(&order(), &maison);
    assert_eq!(
        email.subject,
        "Your Maison Élodie order MV-4HX2-QW7N is confirmed"
    );
    mailer.send(&email).await.expect("sent");
    let mails = sink.wait_for(1, WAIT).await;
    let raw = &only(&mails).data;
    assert!(raw.is_ascii(), "headers and QP bodies are 7-bit");
    let (headers, _) = split_headers(raw);
    let subject = headers
        .iter()
        .find(|(n, _)| n == "Subject")
        .map(|(_, v)| v.as_str())
        .expect("a Subject");
    assert!(subject.contains("=?utf-8?b?"), "{subject}");
    assert_eq!(subject, encoded_subject(&email.subject));
    assert_eq!(decode_encoded_words(subject), email.subject);
    assert!(
        parse(raw)
            .part("text/plain")
            .contains("With our warmest regards,\nMaison Élodie")
    );
}

#[tokio::test]
async fn the_client_name_is_escaped_in_the_html_part() {
    let sink = SmtpSink::start().await;
    let mailer = smtp_mailer(sink.port());
    let doc = OrderDocument {
        client_name: "<script>alert('x')</script>".into(),
        ..order()
    };
    mailer
        .send(&acknowledgement(&doc, &ClientRelations::default()))
        .await
        .expect("sent");
    let mails = sink.wait_for(1, WAIT).await;
    let parsed = parse(&only(&mails).data);
    let html = parsed.part("text/html");
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("Dear &#60;script&#62;"));
    assert!(
        parsed
            .part("text/plain")
            .contains("Dear <script>alert('x')</script>,")
    );
}

#[tokio::test]
async fn the_spool_writes_an_eml_file_with_the_same_message() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let spool = dir.path().join("mail").join("spool");
    let mailer = Mailer::new(MailTransport::Spool { dir: spool.clone() }, FROM.into())
        .expect("a spool mailer");
    let (doc, maison) = (order(), ClientRelations::default());
    let email = confirmation(&doc, &maison);
    mailer.send(&email).await.expect("written to the spool");

    let files: Vec<_> = std::fs::read_dir(&spool)
        .expect("the spool folder exists")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        files[0].extension().and_then(|e| e.to_str()),
        Some("eml"),
        "{files:?}"
    );
    let raw = std::fs::read_to_string(&files[0]).expect("a readable .eml file");
    assert_carries(&parse(&raw), &email, &doc, &maison);
}

#[tokio::test]
async fn refusals_are_transient_or_permanent_by_their_code() {
    let sink = SmtpSink::start().await;
    let mailer = smtp_mailer(sink.port());
    let email = acknowledgement(&order(), &ClientRelations::default());

    sink.reject_next(1, 451);
    let err = mailer
        .send(&email)
        .await
        .expect_err("451 refuses the message");
    assert!(matches!(err, MailError::Transient(_)), "{err:?}");
    assert!(!err.is_permanent());
    assert!(err.to_string().contains("451"), "{err}");

    sink.reject_next(1, 550);
    let err = mailer
        .send(&email)
        .await
        .expect_err("550 refuses the message");
    assert!(matches!(err, MailError::Permanent(_)), "{err:?}");
    assert!(err.is_permanent());

    assert!(sink.messages().await.is_empty());
    mailer.send(&email).await.expect("the retry goes through");
    assert_eq!(sink.wait_for(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn an_unreachable_server_is_transient_and_a_bad_address_permanent() {
    let mailer = smtp_mailer(maison_testkit::free_port());
    let email = acknowledgement(&order(), &ClientRelations::default());
    let err = mailer.send(&email).await.expect_err("nobody listens");
    assert!(matches!(err, MailError::Transient(_)), "{err:?}");

    let sink = SmtpSink::start().await;
    let mailer = smtp_mailer(sink.port());
    let bad = Email {
        message_key: None,
        to: "amelie at example dot com".into(),
        ..email
    };
    let err = mailer.send(&bad).await.expect_err("not an address");
    assert!(err.is_permanent(), "{err:?}");
    assert!(sink.messages().await.is_empty());
}

#[tokio::test]
async fn credentials_never_appear_in_errors() {
    let mailer = Mailer::new(
        MailTransport::Smtp {
            host: "127.0.0.1".into(),
            port: maison_testkit::free_port(),
            security: SmtpSecurity::None,
            username: Some("maison".into()),
            password: Some("s3cret-pa55".into()),
        },
        FROM.into(),
    )
    .expect("a mailer with credentials");
    let err = mailer
        .send(&acknowledgement(&order(), &ClientRelations::default()))
        .await
        .expect_err("nobody listens");
    assert!(!err.to_string().contains("s3cret-pa55"));
    assert!(!format!("{err:?}").contains("s3cret-pa55"));
    assert!(!format!("{mailer:?}").contains("s3cret-pa55"));
}

/// The sink itself: a raw conversation with dot-stuffing, a wrong sequence,
/// an unknown command, and an over-long line that ends the session.
#[tokio::test]
async fn the_sink_speaks_plain_smtp_and_survives_bad_input() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

    let sink = SmtpSink::start().await;
    let stream = tokio::net::TcpStream::connect(("127.0.0.1", sink.port()))
        .await
        .expect("the sink accepts connections");
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut expect = async |command: &str, code: &str| {
        if !command.is_empty() {
            write
                .write_all(command.as_bytes())
                .await
                .expect("the sink reads");
        }
        let mut reply = lines.next_line().await.expect("a reply").expect("a line");
        while reply.as_bytes().get(3) == Some(&b'-') {
            reply = lines.next_line().await.expect("a reply").expect("a line");
        }
        assert!(reply.starts_with(code), "{command:?} -> {reply:?}");
    };
    expect("", "220").await;
    expect("EHLO client.example\r\n", "250").await;
    expect("RCPT TO:<a@example.com>\r\n", "503").await;
    expect("VRFY someone\r\n", "502").await;
    expect("MAIL FROM:<shop@example.com> BODY=7BIT\r\n", "250").await;
    expect("RCPT TO:<a@example.com>\r\n", "250").await;
    expect("RCPT TO:<b@example.com>\r\n", "250").await;
    expect("DATA\r\n", "354").await;
    expect("Subject: hi\r\n\r\n..dotted\r\nplain\r\n.\r\n", "250").await;
    expect("NOOP\r\n", "250").await;
    let long = format!("NOOP {}\r\n", "x".repeat(10_000));
    write.write_all(long.as_bytes()).await.ok();
    assert!(
        matches!(lines.next_line().await, Ok(None) | Err(_)),
        "an over-long line closes the session"
    );

    let mails = sink.wait_for(1, WAIT).await;
    let mail = only(&mails);
    assert_eq!(mail.from, "shop@example.com");
    assert_eq!(mail.to, ["a@example.com", "b@example.com"]);
    assert_eq!(mail.data, "Subject: hi\r\n\r\n.dotted\r\nplain\r\n");
}
