//! The authenticator's enrolment as a QR code, drawn as inline SVG (no image
//! crate, no script, no request to anyone).

use qrcode::QrCode;
use qrcode::render::svg;

/// The SVG of `text` as a QR code (medium error correction), with a text
/// alternative for screen readers; `None` when the text cannot be encoded.
pub fn svg(text: &str, label: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .quiet_zone(true)
        .build();
    // Inline in HTML: no XML declaration; scalable, with a label.
    let start = image.find("<svg")?;
    let label = label
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;");
    Some(image[start..].replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{label}\" class=\"qr\" "),
        1,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_otpauth_uri_becomes_an_inline_svg() {
        let svg = svg(
            "otpauth://totp/Maison:a%40maison.example?secret=JBSWY3DPEHPK3PXP&issuer=Maison",
            "QR code <of> the key",
        )
        .expect("svg");
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"QR code &lt;of> the key\""));
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<?xml") && !svg.contains("script"));
    }
}
