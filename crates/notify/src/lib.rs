//! The maison's letters to its clients, and their delivery.
//!
//! - [`documents`]: the order **acknowledgement** (received) and the order
//!   **confirmation** (payment secured, creations reserved), each as an
//!   [`Email`] with a plain-text and an HTML body rendered from the askama
//!   templates in `templates/` (rules R7, R9, R10, R15).
//! - [`mailer`]: sends an [`Email`] as a multipart/alternative message through
//!   SMTP, or writes it as an `.eml` file into a spool folder when no SMTP
//!   server is configured. Failures say whether a retry can help
//!   ([`MailError::is_permanent`]).
//! - [`fax`]: a letter as a PDF on US Letter pages, sent as the attachment of
//!   a message to an e-mail-to-fax gateway (`12125550100@fax.example.net`).

pub mod channels;
pub mod documents;
pub mod fax;
pub mod mailer;
pub mod notices;

pub use channels::{Channel, LetterSender, Senders};
pub use documents::{DocumentLine, Email, OrderDocument, acknowledgement, confirmation};
pub use fax::{FaxGateway, letter_pdf};
pub use mailer::{MailAttachment, MailError, MailTransport, Mailer, SmtpSecurity};
pub use notices::{Notice, notice};
