//! Short letters about a client's account (confirm a registration, reset a
//! password, a password changed) and notes to Client Relations (a client's
//! request on an order): a greeting, a few paragraphs, at most one link.

use askama::Template;
use maison_domain::policy::ClientRelations;

use crate::Email;

/// What one notice says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub to: String,
    pub subject: String,
    /// "Dear Claire Dubois," (or "Dear Client Relations,").
    pub greeting: String,
    pub paragraphs: Vec<String>,
    /// The one action: (button label, absolute URL).
    pub link: Option<(String, String)>,
}

#[derive(Template)]
#[template(path = "notice.txt", escape = "none")]
struct NoticeText<'a> {
    n: &'a Notice,
    maison: &'a ClientRelations,
}

#[derive(Template)]
#[template(path = "notice.html")]
struct NoticeHtml<'a> {
    n: &'a Notice,
    maison: &'a ClientRelations,
}

/// The notice as an e-mail, in text and HTML.
pub fn notice(n: &Notice, maison: &ClientRelations) -> Email {
    let render = |t: &dyn askama::DynTemplate| {
        t.dyn_render().unwrap_or_else(|err| {
            tracing::error!(error = %err, "notice template failed to render");
            String::from("We could not prepare this message. Please contact Client Relations.")
        })
    };
    Email {
        message_key: None,
        to: n.to.clone(),
        subject: n.subject.clone(),
        text: render(&NoticeText { n, maison }),
        html: render(&NoticeHtml { n, maison }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_carries_its_link_in_both_bodies_and_escapes_html() {
        let maison = ClientRelations::default();
        let n = Notice {
            to: "claire@example.com".into(),
            subject: "Reset your password".into(),
            greeting: "Dear Claire <Dubois>,".into(),
            paragraphs: vec!["Someone asked to reset your password.".into()],
            link: Some((
                "Choose a new password".into(),
                "https://maison.example/account/reset?token=abc".into(),
            )),
        };
        let email = notice(&n, &maison);
        assert!(
            email
                .text
                .contains("https://maison.example/account/reset?token=abc")
        );
        assert!(email.text.contains("Dear Claire <Dubois>,"));
        assert!(
            email
                .html
                .contains("href=\"https://maison.example/account/reset?token&#x3d;abc\"")
                || email
                    .html
                    .contains("href=\"https://maison.example/account/reset?token=abc\"")
        );
        assert!(
            email.html.contains("Claire &#60;Dubois&#62;")
                || email.html.contains("Claire &lt;Dubois&gt;")
        );
        assert!(email.text.contains(&maison.phone));
    }
}
