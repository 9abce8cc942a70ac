//! A minimal SMTP server on the loopback interface that keeps what it receives,
//! so that mail is tested through a real SMTP conversation.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;
use tokio::task::JoinHandle;

/// Longest command or text line accepted, and largest message.
const MAX_LINE: u64 = 8192;
const MAX_MESSAGE: usize = 10 * 1024 * 1024;

/// One message as the server received it: the envelope and the raw data
/// (headers and body, CRLF line ends, dot-stuffing undone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

#[derive(Default)]
struct Shared {
    mails: Mutex<Vec<ReceivedMail>>,
    /// (messages still to refuse, reply code).
    /// Codes to answer the next messages with, in order.
    reject: Mutex<std::collections::VecDeque<u16>>,
    arrived: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The server; it stops accepting connections when dropped.
pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
    acceptor: JoinHandle<()>,
}

impl SmtpSink {
    /// Starts the server on `127.0.0.1` and a free port.
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the SMTP sink");
        let port = listener.local_addr().expect("the sink's address").port();
        let shared = Arc::new(Shared::default());
        let state = Arc::clone(&shared);
        let acceptor = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let _ = session(stream, &state).await;
                });
            }
        });
        SmtpSink {
            port,
            shared,
            acceptor,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message accepted so far.
    pub async fn messages(&self) -> Vec<ReceivedMail> {
        lock(&self.shared.mails).clone()
    }

    /// Waits until `n` messages have arrived or `timeout` passes; returns what
    /// has arrived either way.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let arrived = self.shared.arrived.notified();
            let mails = self.messages().await;
            if mails.len() >= n || tokio::time::timeout_at(deadline, arrived).await.is_err() {
                return self.messages().await;
            }
        }
    }

    /// Answers the end of the next `n` messages' DATA with `code` (451 for a
    /// transient refusal, 550 for a permanent one) instead of keeping them;
    /// calls queue up in order.
    pub fn reject_next(&self, n: usize, code: u16) {
        lock(&self.shared.reject).extend(std::iter::repeat_n(code, n));
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

/// Reads one line of at most `MAX_LINE` bytes; `None` at end of input or for
/// a longer line.
async fn read_line<R: AsyncRead + Unpin>(reader: &mut BufReader<R>) -> Option<Vec<u8>> {
    let mut line = Vec::new();
    let n = reader
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)
        .await
        .ok()?;
    (n > 0 && line.ends_with(b"\n")).then_some(line)
}

/// The address inside `<...>` of `MAIL FROM:<a> ...` or `RCPT TO:<a>`.
fn address(argument: &str) -> String {
    let inner = argument
        .split_once('<')
        .and_then(|(_, rest)| rest.split_once('>'));
    inner.map_or_else(|| argument.trim().to_owned(), |(a, _)| a.to_owned())
}

async fn session(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    write
        .write_all(b"220 localhost maison-testkit SMTP sink\r\n")
        .await?;
    let (mut from, mut to) = (None::<String>, Vec::<String>::new());
    while let Some(raw) = read_line(&mut reader).await {
        let line = String::from_utf8_lossy(&raw);
        let line = line.trim_end_matches(['\r', '\n']);
        let verb = line.get(..4).unwrap_or(line).to_ascii_uppercase();
        let argument = line.get(4..).unwrap_or("");
        let reply: &[u8] = match verb.as_str() {
            "EHLO" => b"250-localhost greets you\r\n250-SIZE 10485760\r\n250 HELP\r\n",
            "HELO" => b"250 localhost\r\n",
            "MAIL" => {
                (from, to) = (Some(address(argument)), Vec::new());
                b"250 OK\r\n"
            }
            "RCPT" if from.is_some() => {
                to.push(address(argument));
                b"250 OK\r\n"
            }
            "DATA" if !to.is_empty() => {
                write
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut data = Vec::new();
                loop {
                    let Some(text) = read_line(&mut reader).await else {
                        return Ok(()); // cut off or an over-long line: drop the client
                    };
                    if text == b".\r\n" || text == b".\n" {
                        break;
                    }
                    data.extend_from_slice(text.strip_prefix(b".").unwrap_or(&text));
                    if data.len() > MAX_MESSAGE {
                        write.write_all(b"552 Message too large\r\n").await?;
                        return Ok(());
                    }
                }
                let refusal = lock(&shared.reject).pop_front();
                let mail = ReceivedMail {
                    from: from.take().unwrap_or_default(),
                    to: std::mem::take(&mut to),
                    data: String::from_utf8_lossy(&data).into_owned(),
                };
                if let Some(code) = refusal {
                    let text = format!("{code} Refused by the test sink\r\n");
                    write.write_all(text.as_bytes()).await?;
                    continue;
                }
                lock(&shared.mails).push(mail);
                shared.arrived.notify_waiters();
                b"250 OK: queued\r\n"
            }
            "RCPT" | "DATA" => b"503 Bad sequence of commands\r\n",
            "RSET" => {
                (from, to) = (None, Vec::new());
                b"250 OK\r\n"
            }
            "NOOP" => b"250 OK\r\n",
            "QUIT" => {
                write.write_all(b"221 Bye\r\n").await?;
                return Ok(());
            }
            _ => b"502 Command not implemented\r\n",
        };
        write.write_all(reply).await?;
    }
    Ok(())
}
