//! The simulator's ledger on disk, so that it outlives a crash or a restart as
//! a processor's does: one JSON line per operation the processor executed (its
//! key, the request's fingerprint, the answer, and the payment and card as they
//! stand after it), written and synced before the answer leaves.
//!
//! Several processes may share one file, as several maisons share one
//! processor: each takes the file's exclusive lock, reads what the others
//! appended, executes, appends, and unlocks. A line torn by a crash (no final
//! newline) was never answered: the next writer cuts it off.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use maison_domain::{Currency, Money};
use serde::{Deserialize, Serialize};

use super::{Fingerprint, KnownCard, Ledger, Payment, Recorded, Stage};
use crate::{
    Authorisation, AuthoriseOutcome, Decline, DeclineReason, OperationRecord, SyncedOperation,
};

/// The first line of a journal: its format and the key of its card tokens, so
/// that a card keeps its token across restarts.
#[derive(Serialize, Deserialize)]
struct Header {
    simulator_journal: u32,
    token_key: u64,
}

/// One executed operation.
#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    currency: String,
    request: Request,
    answer: Answer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    payment: Option<PaymentLine>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    card: Option<CardLine>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Request {
    Authorise {
        amount: i64,
        card_token: String,
        reference: String,
    },
    Capture {
        processor_ref: String,
        amount: i64,
    },
    Void {
        processor_ref: String,
    },
    Refund {
        processor_ref: String,
        amount: i64,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "answer", rename_all = "snake_case")]
enum Answer {
    Authorised {
        processor_ref: String,
        auth_code: String,
        card_token: String,
        amount: i64,
        expires_at_unix: i64,
    },
    Declined {
        reason: String,
    },
    Captured {
        processor_ref: String,
        amount: i64,
    },
    Voided {
        processor_ref: String,
        amount: i64,
    },
    Refunded {
        processor_ref: String,
        amount: i64,
    },
}

#[derive(Serialize, Deserialize)]
struct PaymentLine {
    processor_ref: String,
    reference: String,
    card_last4: String,
    authorised: i64,
    expires_at_unix: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    captured: Option<i64>,
    #[serde(default)]
    refunded: i64,
    #[serde(default)]
    voided: bool,
}

#[derive(Serialize, Deserialize)]
struct CardLine {
    token: String,
    last4: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    decline: Option<String>,
}

/// The journal file and how far this process has applied it.
#[derive(Debug)]
pub(super) struct Journal {
    file: File,
    applied: u64,
    durable: Arc<Durable>,
}

/// Group sync of the journal: operations are appended one at a time under
/// the ledger's lock, but the lock is not held across the fsync. Each
/// operation then waits until the file is synced past its line; whoever
/// finds no sync under way syncs for everyone written so far, the others
/// wait for it. Concurrent payments share fsyncs, as a database's commits
/// share log flushes, and no answer leaves before its line is on disk.
#[derive(Debug)]
pub(super) struct Durable {
    file: File,
    state: Mutex<Synced>,
    done: Condvar,
}

#[derive(Debug, Default)]
struct Synced {
    /// The end of the last line this process appended.
    written: u64,
    /// How far the file is known to be on disk.
    synced: u64,
    syncing: bool,
}

impl Durable {
    fn appended(&self, end: u64) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.written = state.written.max(end);
    }

    /// Returns once the file is on disk up to `end`.
    pub(super) fn wait(&self, end: u64) -> io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if state.synced >= end {
                return Ok(());
            }
            if state.syncing {
                state = self
                    .done
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.syncing = true;
            let target = state.written;
            drop(state);
            let result = self.file.sync_data();
            state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.syncing = false;
            if result.is_ok() {
                state.synced = state.synced.max(target);
            }
            self.done.notify_all();
            result?;
        }
    }
}

fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl Journal {
    /// Opens the journal at `path`, creating it with `new_token_key` when it
    /// does not exist; returns it with the token key it keeps. The ledger is
    /// filled by the first [`Journal::catch_up`].
    pub(super) fn open(path: &Path, new_token_key: u64) -> io::Result<(Journal, u64)> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        file.lock()?;
        let opened = Self::read_header(&mut file, new_token_key);
        file.unlock()?;
        let (applied, token_key) = opened?;
        let durable = Arc::new(Durable {
            file: file.try_clone()?,
            state: Mutex::new(Synced {
                written: applied,
                synced: applied,
                syncing: false,
            }),
            done: Condvar::new(),
        });
        Ok((
            Journal {
                file,
                applied,
                durable,
            },
            token_key,
        ))
    }

    fn read_header(file: &mut File, new_token_key: u64) -> io::Result<(u64, u64)> {
        if file.metadata()?.len() == 0 {
            let mut line = serde_json::to_string(&Header {
                simulator_journal: 1,
                token_key: new_token_key,
            })
            .map_err(invalid)?;
            line.push('\n');
            file.write_all(line.as_bytes())?;
            file.sync_all()?;
            return Ok((line.len() as u64, new_token_key));
        }
        file.seek(SeekFrom::Start(0))?;
        let mut text = Vec::new();
        file.read_to_end(&mut text)?;
        let end = text
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| invalid("the simulator journal has no header line"))?;
        let header: Header = serde_json::from_slice(&text[..end])
            .map_err(|e| invalid(format!("the simulator journal's header: {e}")))?;
        if header.simulator_journal != 1 {
            return Err(invalid(format!(
                "simulator journal format {} is not known",
                header.simulator_journal
            )));
        }
        Ok((end as u64 + 1, header.token_key))
    }

    /// Takes the file's exclusive lock and applies to `ledger` what other
    /// processes appended since this one last looked. Call
    /// [`Journal::unlock`] after the work.
    pub(super) fn lock_and_catch_up(&mut self, ledger: &mut Ledger) -> io::Result<()> {
        self.file.lock()?;
        let caught_up = self.catch_up(ledger);
        if caught_up.is_err() {
            let _ = self.file.unlock();
        }
        caught_up
    }

    fn catch_up(&mut self, ledger: &mut Ledger) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(self.applied))?;
        let mut text = Vec::new();
        self.file.read_to_end(&mut text)?;
        let complete = text.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        for line in text[..complete].split(|b| *b == b'\n') {
            if line.is_empty() {
                continue;
            }
            let entry: Entry = serde_json::from_slice(line).map_err(|e| {
                invalid(format!(
                    "simulator journal line after byte {}: {e}",
                    self.applied
                ))
            })?;
            apply(ledger, entry)?;
        }
        self.applied += complete as u64;
        if complete < text.len() {
            // A writer died mid-line, before answering: that operation never
            // happened. Nobody else writes while the lock is held.
            tracing::warn!(
                bytes = text.len() - complete,
                "simulator journal: cutting off a torn last line"
            );
            self.file.set_len(self.applied)?;
        }
        Ok(())
    }

    /// Appends the operation executed under `key`; returns the end of its
    /// line, to [`Durable::wait`] for before answering.
    pub(super) fn append(&mut self, ledger: &Ledger, key: &str) -> io::Result<u64> {
        let entry = entry_for(ledger, key)
            .ok_or_else(|| invalid(format!("no executed operation under {key:?}")))?;
        let mut line = serde_json::to_string(&entry).map_err(invalid)?;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.applied += line.len() as u64;
        self.durable.appended(self.applied);
        Ok(self.applied)
    }

    /// What syncs this journal's file, to wait on without the ledger's lock.
    pub(super) fn durable(&self) -> Arc<Durable> {
        Arc::clone(&self.durable)
    }

    pub(super) fn unlock(&self) -> io::Result<()> {
        self.file.unlock()
    }
}

/// The journal line of the operation recorded under `key`.
fn entry_for(ledger: &Ledger, key: &str) -> Option<Entry> {
    let recorded = ledger.by_key.get(key)?;
    let (request, currency, touched, card) = match &recorded.fingerprint {
        Fingerprint::Authorise {
            amount,
            card_token,
            reference,
        } => (
            Request::Authorise {
                amount: amount.minor(),
                card_token: card_token.clone(),
                reference: reference.clone(),
            },
            amount.currency(),
            match &recorded.result {
                SyncedOperation::Authorise(AuthoriseOutcome::Authorised(a)) => {
                    Some(a.processor_ref.clone())
                }
                _ => None,
            },
            ledger.cards.get(card_token).map(|card| CardLine {
                token: card_token.clone(),
                last4: card.last4.clone(),
                decline: card.decline.map(|r| r.code().to_owned()),
            }),
        ),
        Fingerprint::Capture {
            processor_ref,
            amount,
        } => (
            Request::Capture {
                processor_ref: processor_ref.clone(),
                amount: amount.minor(),
            },
            amount.currency(),
            Some(processor_ref.clone()),
            None,
        ),
        Fingerprint::Void { processor_ref } => {
            let payment = ledger.payment_index.get(processor_ref)?;
            (
                Request::Void {
                    processor_ref: processor_ref.clone(),
                },
                ledger.payments.get(*payment)?.authorised.currency(),
                Some(processor_ref.clone()),
                None,
            )
        }
        Fingerprint::Refund {
            processor_ref,
            amount,
        } => (
            Request::Refund {
                processor_ref: processor_ref.clone(),
                amount: amount.minor(),
            },
            amount.currency(),
            Some(processor_ref.clone()),
            None,
        ),
    };
    let answer = match &recorded.result {
        SyncedOperation::Authorise(AuthoriseOutcome::Authorised(a)) => Answer::Authorised {
            processor_ref: a.processor_ref.clone(),
            auth_code: a.auth_code.clone(),
            card_token: a.card_token.clone(),
            amount: a.amount.minor(),
            expires_at_unix: a.expires_at_unix,
        },
        SyncedOperation::Authorise(AuthoriseOutcome::Declined(d)) => Answer::Declined {
            reason: d.reason.code().to_owned(),
        },
        SyncedOperation::Capture(r) => Answer::Captured {
            processor_ref: r.processor_ref.clone(),
            amount: r.amount.minor(),
        },
        SyncedOperation::Void(r) => Answer::Voided {
            processor_ref: r.processor_ref.clone(),
            amount: r.amount.minor(),
        },
        SyncedOperation::Refund(r) => Answer::Refunded {
            processor_ref: r.processor_ref.clone(),
            amount: r.amount.minor(),
        },
    };
    let payment = touched
        .and_then(|r| ledger.payment_index.get(&r))
        .and_then(|i| ledger.payments.get(*i))
        .map(|p| {
            let (captured, refunded, voided) = match p.stage {
                Stage::Authorised => (None, 0, false),
                Stage::Captured { captured, refunded } => {
                    (Some(captured.minor()), refunded.minor(), false)
                }
                Stage::Voided => (None, 0, true),
            };
            PaymentLine {
                processor_ref: p.processor_ref.clone(),
                reference: p.reference.clone(),
                card_last4: p.card_last4.clone(),
                authorised: p.authorised.minor(),
                expires_at_unix: p.expires_at_unix,
                captured,
                refunded,
                voided,
            }
        });
    Some(Entry {
        key: key.to_owned(),
        currency: currency.code().to_owned(),
        request,
        answer,
        payment,
        card,
    })
}

fn reason(code: &str) -> io::Result<DeclineReason> {
    DeclineReason::from_code(code)
        .ok_or_else(|| invalid(format!("unknown decline reason {code:?}")))
}

/// Applies one journal line to the ledger in memory.
fn apply(ledger: &mut Ledger, entry: Entry) -> io::Result<()> {
    let currency = Currency::parse(&entry.currency).map_err(invalid)?;
    let money = |minor: i64| Money::new(minor, currency);
    if let Some(card) = entry.card {
        let decline = card.decline.as_deref().map(reason).transpose()?;
        ledger.cards.insert(
            card.token,
            KnownCard {
                last4: card.last4,
                decline,
            },
        );
    }
    if let Some(p) = entry.payment {
        let stage = match (p.voided, p.captured) {
            (true, _) => Stage::Voided,
            (false, Some(captured)) => Stage::Captured {
                captured: money(captured),
                refunded: money(p.refunded),
            },
            (false, None) => Stage::Authorised,
        };
        let payment = Payment {
            processor_ref: p.processor_ref.clone(),
            reference: p.reference,
            card_last4: p.card_last4,
            authorised: money(p.authorised),
            expires_at_unix: p.expires_at_unix,
            stage,
        };
        match ledger.payment_index.get(&p.processor_ref) {
            Some(i) => {
                if let Some(slot) = ledger.payments.get_mut(*i) {
                    *slot = payment;
                }
            }
            None => {
                ledger
                    .payment_index
                    .insert(p.processor_ref, ledger.payments.len());
                ledger.payments.push(payment);
            }
        }
    }
    let fingerprint = match entry.request {
        Request::Authorise {
            amount,
            card_token,
            reference,
        } => Fingerprint::Authorise {
            amount: money(amount),
            card_token,
            reference,
        },
        Request::Capture {
            processor_ref,
            amount,
        } => Fingerprint::Capture {
            processor_ref,
            amount: money(amount),
        },
        Request::Void { processor_ref } => Fingerprint::Void { processor_ref },
        Request::Refund {
            processor_ref,
            amount,
        } => Fingerprint::Refund {
            processor_ref,
            amount: money(amount),
        },
    };
    let result = match entry.answer {
        Answer::Authorised {
            processor_ref,
            auth_code,
            card_token,
            amount,
            expires_at_unix,
        } => SyncedOperation::Authorise(AuthoriseOutcome::Authorised(Authorisation {
            processor_ref,
            auth_code,
            card_token,
            amount: money(amount),
            expires_at_unix,
        })),
        Answer::Declined { reason: code } => {
            SyncedOperation::Authorise(AuthoriseOutcome::Declined(Decline::new(reason(&code)?)))
        }
        Answer::Captured {
            processor_ref,
            amount,
        } => SyncedOperation::Capture(OperationRecord {
            processor_ref,
            amount: money(amount),
        }),
        Answer::Voided {
            processor_ref,
            amount,
        } => SyncedOperation::Void(OperationRecord {
            processor_ref,
            amount: money(amount),
        }),
        Answer::Refunded {
            processor_ref,
            amount,
        } => {
            ledger.refund_seq += 1;
            SyncedOperation::Refund(OperationRecord {
                processor_ref,
                amount: money(amount),
            })
        }
    };
    ledger.executed.push(entry.key.clone());
    ledger.by_key.insert(
        entry.key,
        Recorded {
            fingerprint,
            result,
        },
    );
    Ok(())
}
