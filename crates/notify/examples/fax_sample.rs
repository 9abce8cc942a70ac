//! Writes a sample fax (an order acknowledgement as the gateway receives it)
//! to look at: `cargo run -p maison-notify --example fax_sample -- [PATH]`
//! (default `/tmp/maison-fax-sample.pdf`), then for instance
//! `pdftoppm -png -r 100 PATH page`.

use maison_domain::Money;
use maison_domain::policy::ClientRelations;
use maison_notify::{DocumentLine, Email, OrderDocument, acknowledgement, letter_pdf};

fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "/tmp/maison-fax-sample.pdf".to_owned());
    let maison = ClientRelations::default();
    let doc = OrderDocument {
        number: "MV-7K2Q-9HDX-4".into(),
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
        status_url: Some("https://boutique.example/orders/MV-7K2Q-9HDX-4?sig=7f3a".into()),
        payment_secured: true,
    };
    let letter = Email {
        message_key: None,
        to: "+12125550100".into(),
        ..acknowledgement(&doc, &maison)
    };
    let pdf = letter_pdf(&letter, &maison);
    std::fs::write(&path, &pdf)?;
    println!("{path}: {} bytes", pdf.len());
    Ok(())
}
