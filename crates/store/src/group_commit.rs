//! Group commit: the writes of concurrent requests gathered into one durable
//! transaction by one writer task, the way databases batch their log flushes.
//! On SQLite every commit is an fsync and there is one writer anyway, so a
//! checkout's commits, not its work, set the rate; a batch pays one fsync for
//! many requests. Each request's writes run inside their own savepoint, so a
//! refused request undoes only itself, and each caller is answered only after
//! the batch's commit: an answered write is a durable write.
//!
//! A batch whose every job is [`Durability::Deferred`] (a quiet moment's bag
//! edit) commits without the wait for the disk; one immediate job makes the
//! whole batch immediate.
//!
//! Jobs own their data (`'static`): the writer runs them on its own task, so a
//! request that goes away while its job waits cannot leave a half-done job in
//! someone else's transaction.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::{Mutex, mpsc, oneshot};

use crate::{Durability, Store, StoreError, Tx};

/// The future of a job, borrowing the batch's transaction.
pub type JobFuture<'t, T> = Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// The most jobs one transaction takes: enough to amortise an fsync over a
/// burst, few enough that one batch's latency stays small.
pub const MAX_BATCH: usize = 64;

/// Answers a job's caller once the batch's fate is known.
type Deliver = Box<dyn FnOnce(Result<(), String>) + Send>;

/// A job with its types erased: runs on the transaction, says whether its
/// writes stand, and leaves the answer to deliver after the commit.
type ErasedJob = Box<dyn for<'t> FnOnce(&'t mut Tx) -> JobFuture<'t, (bool, Deliver)> + Send>;

/// A job in the writer's queue, with how durable its caller needs it.
struct Queued {
    durability: Durability,
    job: ErasedJob,
}

/// Where jobs are sent: the writer task's queue.
#[derive(Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Queued>,
    counts: Arc<Counts>,
}

/// How many jobs ran and in how many transactions (their ratio is the
/// batching achieved).
#[derive(Default)]
struct Counts {
    jobs: AtomicU64,
    transactions: AtomicU64,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

fn erase<F>(job: F) -> ErasedJob
where
    F: for<'t> FnOnce(&'t mut Tx) -> JobFuture<'t, (bool, Deliver)> + Send + 'static,
{
    Box::new(job)
}

impl Writer {
    /// Starts the writer: a thread of its own running a single-threaded
    /// runtime, on a connection of its own to `store`'s database. Its every
    /// statement is a round trip to the database driver, and it runs the
    /// batch's jobs one after another: on the server's busy runtime each of
    /// those resumptions would queue behind request tasks, so the writer
    /// (which every write waits for) gets a thread that does nothing else.
    /// If a job ever panicked, the writer is started again on the same
    /// queue: its batch is rolled back and its callers told, the next
    /// batches go on. The thread ends when the last `Store` is dropped.
    pub(crate) async fn start(store: &Store) -> Result<Writer, StoreError> {
        let (jobs, queue) = mpsc::channel::<Queued>(MAX_BATCH * 16);
        let counts = Arc::new(Counts::default());
        let writer_counts = Arc::clone(&counts);
        let (ready, connected) = oneshot::channel::<Result<(), StoreError>>();
        let store = store.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::NotCommitted(format!("no writer runtime: {e}")))?;
        std::thread::Builder::new()
            .name("maison-writer".into())
            .spawn(move || {
                runtime.block_on(async move {
                    // Opened here, so the connection belongs to this runtime.
                    let own = match store.single_connection().await {
                        Ok(own) => {
                            let _ = ready.send(Ok(()));
                            own
                        }
                        Err(e) => {
                            let _ = ready.send(Err(e));
                            return;
                        }
                    };
                    drop(store);
                    let queue = Arc::new(Mutex::new(queue));
                    loop {
                        let running = tokio::spawn(run(
                            own.clone(),
                            queue.clone(),
                            Arc::clone(&writer_counts),
                        ));
                        match running.await {
                            Ok(()) => break, // every sender is gone: the store was dropped
                            Err(e) => tracing::error!(error = %e, "group commit writer restarted"),
                        }
                    }
                    own.close().await;
                })
            })
            .map_err(|e| StoreError::NotCommitted(format!("no writer thread: {e}")))?;
        connected.await.unwrap_or_else(|_| {
            Err(StoreError::NotCommitted(
                "the writer stopped before it connected".into(),
            ))
        })?;
        Ok(Writer { jobs, counts })
    }

    /// The jobs run so far, and the transactions they shared.
    pub(crate) fn counts(&self) -> (u64, u64) {
        (
            self.counts.jobs.load(Ordering::Relaxed),
            self.counts.transactions.load(Ordering::Relaxed),
        )
    }

    pub(crate) async fn write<T, E, F>(&self, durability: Durability, job: F) -> Result<T, E>
    where
        F: for<'t> FnOnce(&'t mut Tx) -> JobFuture<'t, Result<T, E>> + Send + 'static,
        T: Send + 'static,
        E: From<StoreError> + Send + 'static,
    {
        let (answer, answered) = oneshot::channel::<Result<T, E>>();
        let erased = erase(move |tx: &mut Tx| -> JobFuture<'_, (bool, Deliver)> {
            Box::pin(async move {
                let outcome = job(tx).await;
                let stands = outcome.is_ok();
                let deliver: Deliver = Box::new(move |committed: Result<(), String>| {
                    let reply = match (outcome, committed) {
                        (Ok(value), Ok(())) => Ok(value),
                        (Ok(_), Err(why)) => Err(E::from(StoreError::NotCommitted(why))),
                        // A refused job wrote nothing: its own refusal is its answer.
                        (Err(refused), _) => Err(refused),
                    };
                    // The caller may have gone away; its write stands regardless.
                    let _ = answer.send(reply);
                });
                (stands, deliver)
            })
        });
        let queued = Queued {
            durability,
            job: erased,
        };
        if self.jobs.send(queued).await.is_err() {
            return Err(E::from(StoreError::NotCommitted(
                "the writer has stopped".into(),
            )));
        }
        answered.await.unwrap_or_else(|_| {
            Err(E::from(StoreError::NotCommitted(
                "the batch was abandoned".into(),
            )))
        })
    }
}

/// The writer: takes the first job waiting and every other one queued behind
/// it (up to [`MAX_BATCH`]), runs them in one transaction, commits, answers.
async fn run(store: Store, queue: Arc<Mutex<mpsc::Receiver<Queued>>>, counts: Arc<Counts>) {
    loop {
        let mut batch = Vec::new();
        {
            let mut queue = queue.lock().await;
            match queue.recv().await {
                Some(job) => batch.push(job),
                None => return,
            }
            while batch.len() < MAX_BATCH {
                match queue.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
        }
        counts.jobs.fetch_add(batch.len() as u64, Ordering::Relaxed);
        counts.transactions.fetch_add(1, Ordering::Relaxed);
        run_batch(&store, batch).await;
    }
}

async fn run_batch(store: &Store, batch: Vec<Queued>) {
    let durability = if batch.iter().all(|q| q.durability == Durability::Deferred) {
        Durability::Deferred
    } else {
        Durability::Immediate
    };
    let mut tx = match store.begin_write_with(durability).await {
        Ok(tx) => tx,
        // Dropping the jobs tells their callers the batch was abandoned.
        Err(e) => {
            tracing::error!(error = %e, "group commit could not begin");
            return;
        }
    };
    let mut answers = Vec::with_capacity(batch.len());
    let mut broken = sql(&mut tx, "SAVEPOINT job").await.err();
    let last = batch.len().saturating_sub(1);
    for (i, Queued { job, .. }) in batch.into_iter().enumerate() {
        if broken.is_some() {
            break; // dropping the rest tells their callers
        }
        let (stands, deliver) = job(&mut tx).await;
        answers.push(deliver);
        // Each boundary between two jobs is one round trip: the writer runs
        // jobs one after another, so its round trips are the batch's pace.
        // The last job's savepoint is released by the commit.
        let boundary = match (stands, i == last) {
            (true, true) => continue,
            (true, false) => "RELEASE SAVEPOINT job; SAVEPOINT job",
            (false, true) => "ROLLBACK TO SAVEPOINT job",
            (false, false) => "ROLLBACK TO SAVEPOINT job; RELEASE SAVEPOINT job; SAVEPOINT job",
        };
        broken = sql(&mut tx, boundary).await.err();
    }
    let committed = match broken {
        Some(e) => {
            let _ = tx.rollback().await;
            Err(e.to_string())
        }
        None => tx.commit().await.map_err(|e| e.to_string()),
    };
    if let Err(why) = &committed {
        tracing::error!(error = %why, jobs = answers.len(), "group commit failed");
    }
    for deliver in answers {
        deliver(committed.clone());
    }
}

/// Runs `statements` (one or several, without parameters) in one round trip.
async fn sql(tx: &mut Tx, statements: &'static str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(statements)
        .execute(&mut **tx)
        .await
        .map(|_| ())
}
