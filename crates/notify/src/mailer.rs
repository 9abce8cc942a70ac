//! Delivery of an [`Email`]: through an SMTP server when one is configured,
//! otherwise as an `.eml` file in a spool folder (development, demo).

use std::fmt;
use std::hash::{BuildHasher, Hasher, RandomState};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, Mailbox, MessageBuilder, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::Email;

/// How long an SMTP command may take before the attempt counts as failed
/// (transient: the outbox retries later).
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain text: only for a relay on the same machine or network (and tests).
    None,
    /// Plain connection upgraded with STARTTLS, required (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// Where mail goes.
#[derive(Clone, PartialEq, Eq)]
pub enum MailTransport {
    Smtp {
        host: String,
        port: u16,
        security: SmtpSecurity,
        username: Option<String>,
        password: Option<String>,
    },
    /// Each message written as `<id>.eml` into `dir` (created if missing).
    Spool { dir: PathBuf },
}

/// Never prints the password.
impl fmt::Debug for MailTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MailTransport::Smtp {
                host,
                port,
                security,
                username,
                password,
            } => f
                .debug_struct("Smtp")
                .field("host", host)
                .field("port", port)
                .field("security", security)
                .field("username", username)
                .field("password", &password.as_ref().map(|_| "<redacted>"))
                .finish(),
            MailTransport::Spool { dir } => f.debug_struct("Spool").field("dir", dir).finish(),
        }
    }
}

/// Why a message was not sent. Messages never contain a password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The mailer cannot be built from this configuration.
    #[error("mail configuration: {0}")]
    Config(String),
    /// Sending this message again will fail again: an invalid address, or a
    /// 5xx answer from the server.
    #[error("mail refused: {0}")]
    Permanent(String),
    /// Worth retrying later: connection refused, timeout, 4xx answer, a full
    /// disk.
    #[error("mail not sent, retry later: {0}")]
    Transient(String),
}

impl MailError {
    /// Whether a retry is pointless: the outbox marks the message failed.
    pub fn is_permanent(&self) -> bool {
        matches!(self, MailError::Permanent(_))
    }
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    /// The name the recipient sees, such as `MV-7K2Q-9HDX-4-order-confirmation.pdf`.
    pub filename: String,
    /// A MIME type, such as `application/pdf`.
    pub content_type: String,
    pub data: Vec<u8>,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Spool {
        dir: PathBuf,
        files: AsyncFileTransport<Tokio1Executor>,
    },
}

/// Sends e-mails from the maison's address. Cheap to share behind an `Arc`;
/// SMTP connections are pooled and reused.
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = match &self.transport {
            Transport::Smtp(_) => "smtp",
            Transport::Spool { .. } => "spool",
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &transport)
            .finish()
    }
}

impl Mailer {
    /// `from` is a mailbox such as `Maison Valoria <clientrelations@maison-valoria.example>`.
    pub fn new(transport: MailTransport, from: String) -> Result<Self, MailError> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| MailError::Config(format!("sender address {from:?}: {e}")))?;
        let transport = match transport {
            MailTransport::Smtp {
                host,
                port,
                security,
                username,
                password,
            } => Transport::Smtp(smtp_transport(&host, port, security, username, password)?),
            MailTransport::Spool { dir } => {
                std::fs::create_dir_all(&dir).map_err(|e| {
                    MailError::Config(format!("mail spool folder {}: {e}", dir.display()))
                })?;
                let files = AsyncFileTransport::new(&dir);
                Transport::Spool { dir, files }
            }
        };
        Ok(Mailer { from, transport })
    }

    /// Sends `email` as multipart/alternative (plain text, then HTML).
    pub async fn send(&self, email: &Email) -> Result<(), MailError> {
        let message = self.message(email)?;
        self.deliver(message, &email.subject).await
    }

    /// Sends a plain-text message with one attached file (a fax's PDF to an
    /// e-mail-to-fax gateway) as multipart/mixed, through the same transport
    /// as every other message.
    pub async fn send_with_attachment(
        &self,
        to: &str,
        subject: &str,
        text: &str,
        attachment: &MailAttachment,
    ) -> Result<(), MailError> {
        let content_type = ContentType::parse(&attachment.content_type).map_err(|e| {
            MailError::Permanent(format!(
                "invalid attachment type {:?}: {e}",
                attachment.content_type
            ))
        })?;
        let file = Attachment::new(attachment.filename.clone())
            .body(attachment.data.clone(), content_type);
        let message = self
            .builder(to, subject, None)?
            .multipart(
                MultiPart::mixed()
                    .singlepart(text_part(ContentType::TEXT_PLAIN, text))
                    .singlepart(file),
            )
            .map_err(|e| MailError::Permanent(format!("the message cannot be built: {e}")))?;
        self.deliver(message, subject).await
    }

    /// Hands a built message to the transport; says whether a retry can help.
    async fn deliver(&self, message: Message, subject: &str) -> Result<(), MailError> {
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.map_err(|e| {
                    if e.is_permanent() {
                        MailError::Permanent(format!("the mail server refused the message: {e}"))
                    } else if e.is_timeout() {
                        MailError::Transient(format!(
                            "the mail server did not answer within {} s: {e}",
                            SMTP_TIMEOUT.as_secs()
                        ))
                    } else {
                        MailError::Transient(format!("the mail server could not be reached: {e}"))
                    }
                })?;
                tracing::info!(subject = %subject, transport = "smtp", "mail sent");
            }
            Transport::Spool { dir, files } => {
                tokio::fs::create_dir_all(dir).await.map_err(|e| {
                    MailError::Transient(format!("mail spool folder {}: {e}", dir.display()))
                })?;
                let id = files.send(message).await.map_err(|e| {
                    MailError::Transient(format!(
                        "writing to the mail spool {}: {e}",
                        dir.display()
                    ))
                })?;
                tracing::info!(subject = %subject, file = %format!("{id}.eml"), "mail written to the spool");
            }
        }
        Ok(())
    }

    fn message(&self, email: &Email) -> Result<Message, MailError> {
        self.builder(&email.to, &email.subject, email.message_key.as_deref())?
            .multipart(
                MultiPart::alternative()
                    .singlepart(text_part(ContentType::TEXT_PLAIN, &email.text))
                    .singlepart(text_part(ContentType::TEXT_HTML, &email.html)),
            )
            .map_err(|e| MailError::Permanent(format!("the message cannot be built: {e}")))
    }

    /// The headers every message carries: from, to, subject, message id.
    fn builder(
        &self,
        to: &str,
        subject: &str,
        key: Option<&str>,
    ) -> Result<MessageBuilder, MailError> {
        let to: Mailbox = to
            .trim()
            .parse()
            .map_err(|e| MailError::Permanent(format!("invalid recipient address {to:?}: {e}")))?;
        let subject: String = subject
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Ok(Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(match key {
                Some(key) => format!("<{key}@{}>", self.from.email.domain()),
                None => message_id(self.from.email.domain()),
            })))
    }
}

/// Quoted-printable text: 7-bit safe for any server, and the spooled `.eml`
/// files stay readable.
fn text_part(content_type: ContentType, body: &str) -> SinglePart {
    SinglePart::builder()
        .header(content_type)
        .header(ContentTransferEncoding::QuotedPrintable)
        .body(body.to_owned())
}

fn smtp_transport(
    host: &str,
    port: u16,
    security: SmtpSecurity,
    username: Option<String>,
    password: Option<String>,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    if host.trim().is_empty() {
        return Err(MailError::Config("the SMTP host is empty".into()));
    }
    let builder = match security {
        SmtpSecurity::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
            .map_err(|e| MailError::Config(format!("STARTTLS to {host}: {e}")))?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
            .map_err(|e| MailError::Config(format!("TLS to {host}: {e}")))?,
    };
    let mut builder = builder.port(port).timeout(Some(SMTP_TIMEOUT));
    match (username, password) {
        (Some(user), Some(pass)) => {
            if security == SmtpSecurity::None && !is_loopback(host) {
                tracing::warn!(
                    host,
                    "SMTP credentials will cross the network unencrypted: choose starttls or tls"
                );
            }
            builder = builder.credentials(Credentials::new(user, pass));
        }
        (None, None) => {}
        (Some(_), None) => {
            return Err(MailError::Config(
                "an SMTP username is set without a password".into(),
            ));
        }
        (None, Some(_)) => {
            return Err(MailError::Config(
                "an SMTP password is set without a username".into(),
            ));
        }
    }
    Ok(builder.build())
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `<time.random@domain>`: unique without a random-number crate.
fn message_id(domain: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(count);
    hasher.write_u128(nanos);
    hasher.write_u32(std::process::id());
    format!("<{nanos:x}.{:016x}@{domain}>", hasher.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_the_password() {
        let transport = MailTransport::Smtp {
            host: "smtp.example".into(),
            port: 587,
            security: SmtpSecurity::StartTls,
            username: Some("maison".into()),
            password: Some("s3cret-pa55".into()),
        };
        let shown = format!("{transport:?}");
        assert!(!shown.contains("s3cret-pa55"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[test]
    fn a_bad_configuration_is_refused_without_echoing_the_password() {
        let err = Mailer::new(
            MailTransport::Smtp {
                host: "smtp.example".into(),
                port: 587,
                security: SmtpSecurity::StartTls,
                username: None,
                password: Some("s3cret-pa55".into()),
            },
            "Maison Valoria <clientrelations@maison-valoria.example>".into(),
        )
        .expect_err("a password without a username is a mistake");
        assert!(matches!(err, MailError::Config(_)));
        assert!(!err.to_string().contains("s3cret-pa55"));
        let err = Mailer::new(
            MailTransport::Smtp {
                host: "127.0.0.1".into(),
                port: 25,
                security: SmtpSecurity::None,
                username: None,
                password: None,
            },
            "not an address".into(),
        )
        .expect_err("the sender must be a mailbox");
        assert!(matches!(err, MailError::Config(_)));
        assert!(!err.is_permanent());
    }

    #[test]
    fn message_ids_are_unique_and_on_the_senders_domain() {
        let a = message_id("maison-valoria.example");
        let b = message_id("maison-valoria.example");
        assert_ne!(a, b);
        assert!(a.starts_with('<') && a.ends_with("@maison-valoria.example>"));
    }
}
