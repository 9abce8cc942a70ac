//! The order acknowledgement and the order confirmation, in the maison's voice.
//!
//! Each document is rendered twice from askama templates: plain text
//! (`*.txt`, not escaped) and HTML (`*.html`, auto-escaped, inline styles, no
//! remote images or fonts, so that it reads the same in every mail client).

use askama::Template;
use maison_domain::Money;
use maison_domain::policy::ClientRelations;

/// What the documents say about one order. Built by the application from the
/// order; every value is shown as given (HTML-escaped in the HTML body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDocument {
    pub number: String,
    pub client_name: String,
    pub email: String,
    pub lines: Vec<DocumentLine>,
    pub subtotal: Money,
    pub total: Money,
    /// "Home delivery", "Delivery to your workplace (Company)",
    /// "Pickup at Maison Valoria Yorkville".
    pub delivery: String,
    pub address_lines: Vec<String>,
    /// "FedEx", "Secure courier", or "Boutique" for a pickup order.
    pub carrier: String,
    /// Shown under the delivery details: an estimate ("Expected in 2–5
    /// business days.") or, for an order over the high-value threshold (rule
    /// R7), the request to contact Client Relations for delivery information.
    /// A message that names "Client Relations" marks the order as delivered
    /// through Client Relations: the confirmation then asks the client to
    /// contact them instead of announcing the carrier's call.
    pub delivery_message: String,
    /// "Visa ending in 4242", never more: a longer run of digits is masked to
    /// its last four.
    pub payment: String,
    /// A signed link to the order's page, when there is one.
    pub status_url: Option<String>,
    /// Whether the payment is already secured when the acknowledgement is
    /// written (a card authorised at checkout), or still awaited (a wire
    /// transfer): the acknowledgement says which, never a promise that the
    /// letters' order contradicts.
    pub payment_secured: bool,
}

/// One line of the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentLine {
    pub name: String,
    pub sku: String,
    pub size: Option<String>,
    pub quantity: u32,
    pub unit_price: Money,
    pub line_total: Money,
    /// "Engraving: “For ever”".
    pub personalisation: Option<String>,
    /// Personalised creations are final sale (rule R9).
    pub final_sale: bool,
}

/// A rendered e-mail, ready for the [`crate::Mailer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// What makes this letter one message however often it is sent: its
    /// Message-ID is `<key@sender's domain>` (random when `None`).
    pub message_key: Option<String>,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The note printed under every final-sale line (rule R9).
pub const FINAL_SALE_NOTE: &str =
    "Final sale: personalised creations cannot be returned or exchanged.";

/// "We have received your order": sent when the order is placed, while payment
/// and stock are being confirmed.
pub fn acknowledgement(doc: &OrderDocument, maison: &ClientRelations) -> Email {
    let view = View::new(doc, maison);
    Email {
        message_key: None,
        to: doc.email.clone(),
        subject: format!(
            "We have received your {} order {}",
            maison.maison_name, doc.number
        ),
        text: render(&AcknowledgementText { v: &view }),
        html: render(&AcknowledgementHtml { v: &view }),
    }
}

/// "Your order is confirmed": payment secured, creations reserved; what
/// happens next with the delivery.
pub fn confirmation(doc: &OrderDocument, maison: &ClientRelations) -> Email {
    let view = View::new(doc, maison);
    Email {
        message_key: None,
        to: doc.email.clone(),
        subject: format!(
            "Your {} order {} is confirmed",
            maison.maison_name, doc.number
        ),
        text: render(&ConfirmationText { v: &view }),
        html: render(&ConfirmationHtml { v: &view }),
    }
}

/// The templates only read fields and format `Money` and strings, which
/// cannot fail; should askama ever report an error, the letter still goes out
/// with a plain apology rather than not at all.
fn render(template: &impl Template) -> String {
    template.render().unwrap_or_else(|err| {
        tracing::error!(error = %err, "mail template failed to render");
        String::from("We could not prepare this message. Please contact Client Relations.")
    })
}

/// How the creations reach the client, as the confirmation explains it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// The standard carrier calls the client to confirm the delivery date.
    Carrier,
    /// Over the high-value threshold: the client contacts Client Relations.
    ClientRelations,
    /// Collected at a boutique.
    Pickup,
}

fn route(doc: &OrderDocument, maison: &ClientRelations) -> Route {
    let message = doc.delivery_message.to_lowercase();
    let names_client_relations = message.contains("client relations")
        || (!maison.phone.is_empty() && doc.delivery_message.contains(&maison.phone))
        || (!maison.email.is_empty() && message.contains(&maison.email.to_lowercase()));
    if names_client_relations {
        Route::ClientRelations
    } else if doc.carrier.trim().eq_ignore_ascii_case("boutique") {
        Route::Pickup
    } else {
        Route::Carrier
    }
}

/// Everything the four templates read, prepared once.
struct View<'a> {
    doc: &'a OrderDocument,
    maison: &'a ClientRelations,
    lines: Vec<LineView<'a>>,
    payment: String,
    /// What happens after the confirmation (confirmation only).
    next_steps: String,
    /// `tel:` link for the Client Relations telephone.
    tel_href: String,
    /// The status link, when it is an http(s) URL that may become a link.
    status_href: Option<&'a str>,
}

struct LineView<'a> {
    line: &'a DocumentLine,
    /// "Reference VR-CLOU-52 · Size 52 · Quantity 1".
    details: String,
    /// "2 × $1,250.00" when more than one, else empty.
    unit_note: String,
}

impl<'a> View<'a> {
    fn new(doc: &'a OrderDocument, maison: &'a ClientRelations) -> Self {
        let lines = doc
            .lines
            .iter()
            .map(|line| {
                let mut details = vec![format!("Reference {}", line.sku)];
                if let Some(size) = line.size.as_deref().filter(|s| !s.trim().is_empty()) {
                    details.push(format!("Size {size}"));
                }
                details.push(format!("Quantity {}", line.quantity));
                let unit_note = if line.quantity > 1 {
                    format!("{} × {}", line.quantity, line.unit_price)
                } else {
                    String::new()
                };
                LineView {
                    line,
                    details: details.join(" · "),
                    unit_note,
                }
            })
            .collect();
        let next_steps = match route(doc, maison) {
            Route::Carrier => format!(
                "{} will contact you to confirm the delivery date, and will keep you informed at each step of the dispatch of your order.",
                doc.carrier
            ),
            Route::ClientRelations => format!(
                "Given its value, your order will be entrusted to a secure courier rather than to our usual carrier. Please contact Client Relations at {} or {} for accurate delivery information.",
                maison.phone, maison.email
            ),
            Route::Pickup => String::from(
                "We will let you know as soon as your creations await you at the boutique. Please bring an identity document when you collect them.",
            ),
        };
        let tel_href = format!(
            "tel:{}",
            maison
                .phone
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect::<String>()
        );
        let status_href = doc
            .status_url
            .as_deref()
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"));
        View {
            doc,
            maison,
            lines,
            payment: mask_card_numbers(&doc.payment),
            next_steps,
            tel_href,
            status_href,
        }
    }
}

#[derive(Template)]
#[template(path = "acknowledgement.txt")]
struct AcknowledgementText<'a> {
    v: &'a View<'a>,
}

#[derive(Template)]
#[template(path = "acknowledgement.html")]
struct AcknowledgementHtml<'a> {
    v: &'a View<'a>,
}

#[derive(Template)]
#[template(path = "confirmation.txt")]
struct ConfirmationText<'a> {
    v: &'a View<'a>,
}

#[derive(Template)]
#[template(path = "confirmation.html")]
struct ConfirmationHtml<'a> {
    v: &'a View<'a>,
}

/// Replaces any run of 12 or more digits (spaces and dashes allowed between
/// them) by "•••• " and its last four digits: a document never shows a card
/// number, even if one slips into the payment description.
fn mask_card_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if !c.is_ascii_digit() {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        let mut end = i;
        let mut digits = String::new();
        let mut j = i;
        while let Some(&d) = chars.get(j) {
            if d.is_ascii_digit() {
                digits.push(d);
                j += 1;
                end = j;
            } else if matches!(d, ' ' | '-') && chars.get(j + 1).is_some_and(|n| n.is_ascii_digit())
            {
                j += 1;
            } else {
                break;
            }
        }
        if digits.len() >= 12 {
            out.push_str("•••• ");
            out.push_str(&digits[digits.len() - 4..]);
        } else {
            out.extend(chars.get(start..end).unwrap_or_default());
        }
        i = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maison() -> ClientRelations {
        ClientRelations::default()
    }

    fn ring() -> DocumentLine {
        DocumentLine {
            name: "Clou Solitaire Ring, 18K white gold".into(),
            sku: "VR-CLOU-52".into(),
            size: Some("52".into()),
            quantity: 1,
            unit_price: Money::usd_dollars(6_400),
            line_total: Money::usd_dollars(6_400),
            personalisation: Some("Engraving: “For ever”".into()),
            final_sale: true,
        }
    }

    fn bracelet() -> DocumentLine {
        DocumentLine {
            name: "Maillon Bracelet, rose gold".into(),
            sku: "VR-MAIL-17".into(),
            size: None,
            quantity: 2,
            unit_price: Money::usd_cents(1_250_050),
            line_total: Money::usd_cents(2_500_100),
            personalisation: None,
            final_sale: false,
        }
    }

    fn order() -> OrderDocument {
        OrderDocument {
            number: "MV-7K3Q-9XPA".into(),
            client_name: "Amélie Laurent".into(),
            email: "amelie@example.com".into(),
            lines: vec![ring(), bracelet()],
            subtotal: Money::usd_cents(3_140_100),
            total: Money::usd_cents(3_140_100),
            delivery: "Home delivery".into(),
            address_lines: vec![
                "Amélie Laurent".into(),
                "12 Elm Street".into(),
                "Boston, MA 02110".into(),
                "United States".into(),
            ],
            carrier: "FedEx".into(),
            delivery_message: "Expected in 2–5 business days.".into(),
            payment: "Visa ending in 4242".into(),
            status_url: Some("https://boutique.example/orders/MV-7K3Q-9XPA?sig=abc".into()),
            payment_secured: false,
        }
    }

    fn assert_lists_the_order(body: &str, doc: &OrderDocument, maison: &ClientRelations) {
        for needle in [
            doc.number.as_str(),
            "Clou Solitaire Ring, 18K white gold",
            "Size 52",
            "Quantity 1",
            "$6,400.00",
            "Maillon Bracelet, rose gold",
            "Quantity 2",
            "$25,001.00",
            "$12,500.50",
            "$31,401.00",
            "Home delivery",
            "12 Elm Street",
            "Boston, MA 02110",
            "FedEx",
            "Visa ending in 4242",
            maison.phone.as_str(),
            maison.email.as_str(),
            maison.maison_name.as_str(),
        ] {
            assert!(body.contains(needle), "missing {needle:?} in:\n{body}");
        }
    }

    #[test]
    fn the_acknowledgement_says_the_order_is_received_and_lists_it() {
        let (doc, maison) = (order(), maison());
        let mail = acknowledgement(&doc, &maison);
        assert_eq!(mail.to, "amelie@example.com");
        assert_eq!(
            mail.subject,
            "We have received your Maison Valoria order MV-7K3Q-9XPA"
        );
        for body in [&mail.text, &mail.html] {
            assert_lists_the_order(body, &doc, &maison);
            assert!(body.contains("Expected in 2–5 business days."));
            assert!(body.contains("confirming your payment"));
        }
        assert!(mail.text.contains("Dear Amélie Laurent,"));
        assert!(mail.text.contains("Engraving: “For ever”"));
        assert!(mail.text.contains(FINAL_SALE_NOTE));
        assert_eq!(mail.text.matches(FINAL_SALE_NOTE).count(), 1);
        assert!(
            mail.text
                .contains("https://boutique.example/orders/MV-7K3Q-9XPA?sig=abc")
        );
        assert!(mail.html.contains("Final sale"));
        assert!(mail.html.contains("Engraving: “For ever”"));
        assert!(mail.html.contains("href=\"tel:18005550142\""));
    }

    #[test]
    fn an_acknowledgement_written_once_the_card_is_authorised_says_so_and_promises_nothing_else() {
        let maison = maison();
        let doc = OrderDocument {
            payment_secured: true,
            ..order()
        };
        let mail = acknowledgement(&doc, &maison);
        for body in [&mail.text, &mail.html] {
            assert!(body.contains("Your payment has been secured"), "{body}");
            assert!(!body.contains("confirming your payment"));
            assert!(!body.contains("as soon as your order is confirmed"));
        }
    }

    #[test]
    fn the_confirmation_announces_the_carriers_call() {
        let (doc, maison) = (order(), maison());
        let mail = confirmation(&doc, &maison);
        assert_eq!(
            mail.subject,
            "Your Maison Valoria order MV-7K3Q-9XPA is confirmed"
        );
        for body in [&mail.text, &mail.html] {
            assert_lists_the_order(body, &doc, &maison);
            assert!(body.contains("payment has been secured"));
            assert!(body.contains("FedEx will contact you to confirm the delivery date"));
            assert!(body.contains("at each step"));
        }
        assert!(mail.text.contains(FINAL_SALE_NOTE));
    }

    #[test]
    fn a_high_value_order_asks_the_client_to_contact_client_relations() {
        let maison = maison();
        let doc = OrderDocument {
            carrier: "Secure courier".into(),
            delivery_message: format!(
                "Please contact {} for accurate delivery information.",
                maison.contact_sentence()
            ),
            ..order()
        };
        let mail = confirmation(&doc, &maison);
        for body in [&mail.text, &mail.html] {
            assert!(body.contains("secure courier"));
            assert!(body.contains("Please contact Client Relations at 1-800-555-0142"));
            assert!(!body.contains("will contact you to confirm the delivery date"));
            assert!(!body.contains("business days"));
        }
    }

    #[test]
    fn a_pickup_order_is_awaited_at_the_boutique() {
        let doc = OrderDocument {
            delivery: "Pickup at Maison Valoria Yorkville".into(),
            carrier: "Boutique".into(),
            delivery_message: "Ready for collection in 3–6 business days.".into(),
            ..order()
        };
        let mail = confirmation(&doc, &maison());
        assert!(mail.text.contains("Pickup at Maison Valoria Yorkville"));
        assert!(mail.text.contains("await you at the boutique"));
        assert!(!mail.text.contains("will contact you to confirm"));
    }

    #[test]
    fn payment_shows_only_the_last_four_digits() {
        let doc = OrderDocument {
            payment: "Visa 4242 4242 4242 4242".into(),
            ..order()
        };
        for mail in [
            acknowledgement(&doc, &maison()),
            confirmation(&doc, &maison()),
        ] {
            for body in [&mail.text, &mail.html] {
                assert!(body.contains("Visa •••• 4242"));
                assert!(!body.contains("4242 4242"));
            }
        }
        assert_eq!(
            mask_card_numbers("Visa ending in 4242"),
            "Visa ending in 4242"
        );
        assert_eq!(
            mask_card_numbers("Amex 3782-822463-10005, exp 12/29"),
            "Amex •••• 0005, exp 12/29"
        );
        assert_eq!(mask_card_numbers("4111111111111111"), "•••• 1111");
        assert_eq!(
            mask_card_numbers("Wire transfer 2024-05"),
            "Wire transfer 2024-05"
        );
    }

    #[test]
    fn the_html_escapes_what_the_client_typed() {
        let doc = OrderDocument {
            client_name: "<script>alert(1)</script>".into(),
            lines: vec![DocumentLine {
                personalisation: Some("Engraving: <b>A & B</b>".into()),
                ..ring()
            }],
            status_url: Some("javascript:alert(1)".into()),
            ..order()
        };
        let mail = acknowledgement(&doc, &maison());
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&#60;script&#62;"));
        assert!(!mail.html.contains("<b>A"));
        assert!(mail.html.contains("A &#38; B"));
        assert!(!mail.html.contains("href=\"javascript:"));
        assert!(mail.text.contains("Dear <script>alert(1)</script>,"));
    }

    #[test]
    fn no_line_without_a_personalisation_is_marked_final_sale() {
        let doc = OrderDocument {
            lines: vec![bracelet()],
            ..order()
        };
        let mail = confirmation(&doc, &maison());
        assert!(!mail.text.contains("Final sale"));
        assert!(!mail.html.contains("Final sale"));
    }
}
