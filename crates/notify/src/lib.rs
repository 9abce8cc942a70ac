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

pub mod channels;
pub mod documents;
pub mod mailer;
pub mod notices;

pub use channels::{Channel, LetterSender, Senders};
pub use documents::{DocumentLine, Email, OrderDocument, acknowledgement, confirmation};
pub use mailer::{MailError, MailTransport, Mailer, SmtpSecurity};
pub use notices::{Notice, notice};
