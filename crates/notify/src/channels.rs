//! Letters go out by a channel: e-mail now, fax (a PDF through an
//! e-mail-to-fax gateway) with the Client Relations console. A letter is
//! queued once with its channel; the sender of that channel delivers it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::{Email, MailError, Mailer};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a letter reaches its recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Fax,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Fax => "fax",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "email" => Some(Channel::Email),
            "fax" => Some(Channel::Fax),
            _ => None,
        }
    }
}

/// Delivers letters of one channel. A failure says whether a retry can help.
pub trait LetterSender: Send + Sync {
    fn channel(&self) -> Channel;

    fn send<'a>(&'a self, letter: &'a Email) -> BoxFuture<'a, Result<(), MailError>>;
}

impl LetterSender for Mailer {
    fn channel(&self) -> Channel {
        Channel::Email
    }

    fn send<'a>(&'a self, letter: &'a Email) -> BoxFuture<'a, Result<(), MailError>> {
        Box::pin(Mailer::send(self, letter))
    }
}

/// The senders the outbox worker has, one per channel at most.
#[derive(Clone, Default)]
pub struct Senders(Vec<Arc<dyn LetterSender>>);

impl Senders {
    pub fn new(senders: Vec<Arc<dyn LetterSender>>) -> Self {
        Senders(senders)
    }

    /// The sender of `channel` (a stored name); `None` when this maison has
    /// none: such a letter waits, and goes once a sender is configured.
    pub fn for_channel(&self, channel: &str) -> Option<&dyn LetterSender> {
        let channel = Channel::parse(channel)?;
        self.0
            .iter()
            .find(|s| s.channel() == channel)
            .map(|s| s.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_round_trip_through_their_names() {
        for channel in [Channel::Email, Channel::Fax] {
            assert_eq!(Channel::parse(channel.as_str()), Some(channel));
        }
        assert_eq!(Channel::parse("pigeon"), None);
    }

    #[test]
    fn a_letter_finds_the_sender_of_its_channel_only() {
        let dir = tempfile::tempdir().expect("dir");
        let mailer = Mailer::new(
            crate::MailTransport::Spool {
                dir: dir.path().to_path_buf(),
            },
            "Maison <cr@maison.example>".into(),
        )
        .expect("mailer");
        let senders = Senders::new(vec![Arc::new(mailer)]);
        assert_eq!(
            senders.for_channel("email").map(|s| s.channel()),
            Some(Channel::Email)
        );
        assert!(senders.for_channel("fax").is_none());
        assert!(senders.for_channel("pigeon").is_none());
    }
}
