//! Group commit on SQLite and PostgreSQL: concurrent jobs share transactions,
//! a refused job (its own error, or a statement the database refuses) undoes
//! only itself, and every caller answered `Ok` finds its write committed.
//! Durability: only deferred writes (a bag's) commit without waiting for the
//! disk, with or without group commit, and one immediate job makes its whole
//! batch wait.

use std::sync::Arc;

use maison_store::{Backend as StoreBackend, Durability, JobFuture, Store, StoreError, Tx, bags};
use maison_testkit::{Backend, database, on_both_databases};

async fn migrated(backend: Backend) -> (Store, maison_testkit::TestDatabase) {
    let db = database(backend);
    let store = Store::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    (store, db)
}

/// What each job does: insert its bag and stand, insert it then refuse, or
/// insert a bag that already exists (the database refuses the statement).
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Stands,
    RefusesAfterWriting,
    BreaksAConstraint,
}

fn kind_of(i: usize) -> Kind {
    match i % 5 {
        3 => Kind::RefusesAfterWriting,
        4 => Kind::BreaksAConstraint,
        _ => Kind::Stands,
    }
}

on_both_databases! {
    async fn concurrent_jobs_share_commits_and_a_refused_job_undoes_only_itself(backend) {
        let (plain, _db) = migrated(backend).await;
        plain
            .write(Durability::Immediate, |tx| -> JobFuture<'_, Result<(), StoreError>> {
                Box::pin(async move { bags::insert_bag(tx, "existing", 1).await })
            })
            .await
            .expect("the first bag");
        let store = Arc::new(
            plain
                .clone()
                .with_group_commit()
                .await
                .expect("the writer's connection"),
        );
        assert!(store.group_commit());
        let mut jobs = tokio::task::JoinSet::new();
        for i in 0..60 {
            let store = Arc::clone(&store);
            jobs.spawn(async move {
                let kind = kind_of(i);
                let id = format!("bag-{i}");
                let answer = store
                    .write(Durability::Immediate, move |tx| -> JobFuture<'_, Result<(), StoreError>> {
                        Box::pin(async move {
                            bags::insert_bag(tx, &id, 1).await?;
                            if i == 0 {
                                // The first job holds the writer while the
                                // others queue behind it: they share what follows.
                                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                            }
                            match kind {
                                Kind::Stands => Ok(()),
                                Kind::RefusesAfterWriting => Err(StoreError::NotFound {
                                    what: "test refusal",
                                    key: id,
                                }),
                                Kind::BreaksAConstraint => bags::insert_bag(tx, "existing", 1).await,
                            }
                        })
                    })
                    .await;
                (i, kind, answer)
            });
        }
        while let Some(joined) = jobs.join_next().await {
            let (i, kind, answer) = joined.expect("job task");
            let kept = plain.bag_lines(&format!("bag-{i}")).await.expect("read").is_some();
            match kind {
                Kind::Stands => {
                    assert!(answer.is_ok(), "job {i}: {answer:?}");
                    assert!(kept, "job {i} was answered Ok: its bag is committed");
                }
                Kind::RefusesAfterWriting => {
                    assert!(matches!(answer, Err(StoreError::NotFound { .. })), "job {i}: {answer:?}");
                    assert!(!kept, "job {i} refused: its write is undone");
                }
                Kind::BreaksAConstraint => {
                    assert!(matches!(answer, Err(StoreError::Database(_))), "job {i}: {answer:?}");
                    assert!(!kept, "job {i} refused: its write is undone");
                }
            }
        }
        let (written, transactions) = store.group_commit_counts().expect("group commit on");
        assert_eq!(written, 60);
        assert!(transactions <= 10, "60 jobs in {transactions} transactions: nothing was gathered");
        // Without group commit, the same job is one transaction of its own.
        let answer = plain
            .write(Durability::Immediate, |tx| -> JobFuture<'_, Result<(), StoreError>> {
                Box::pin(async move {
                    bags::insert_bag(tx, "alone", 1).await?;
                    bags::insert_bag(tx, "existing", 1).await
                })
            })
            .await;
        assert!(answer.is_err());
        assert!(plain.bag_lines("alone").await.expect("read").is_none());
    }
}

/// Whether the commit of `tx` will wait for the disk, as the database itself
/// says: SQLite's `synchronous` (2 is FULL, 1 NORMAL), PostgreSQL's
/// `synchronous_commit`.
async fn waits_for_disk(tx: &mut Tx, backend: StoreBackend) -> Result<bool, StoreError> {
    Ok(match backend {
        StoreBackend::Sqlite => {
            let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut **tx)
                .await?;
            assert!(
                level == 1 || level == 2,
                "synchronous = {level}: neither NORMAL nor FULL"
            );
            level == 2
        }
        StoreBackend::Postgres => {
            let setting: String = sqlx::query_scalar("SHOW synchronous_commit")
                .fetch_one(&mut **tx)
                .await?;
            setting != "off"
        }
    })
}

/// Writes bag `id` with `durability` and says whether its commit waited for
/// the disk; `hold` keeps the writer busy that long first.
async fn write_bag(
    store: &Store,
    durability: Durability,
    id: &str,
    hold: std::time::Duration,
) -> Result<bool, StoreError> {
    let (id, backend) = (id.to_owned(), store.backend());
    store
        .write(
            durability,
            move |tx| -> JobFuture<'_, Result<bool, StoreError>> {
                Box::pin(async move {
                    bags::insert_bag(tx, &id, 1).await?;
                    tokio::time::sleep(hold).await;
                    waits_for_disk(tx, backend).await
                })
            },
        )
        .await
}

on_both_databases! {
    async fn only_deferred_writes_commit_without_waiting_for_the_disk(backend) {
        let (store, _db) = migrated(backend).await;
        let now = std::time::Duration::ZERO;
        // Alternated, so a deferred write's setting is seen not to outlive
        // its transaction on a pooled connection.
        for round in 0..4 {
            let deferred = write_bag(&store, Durability::Deferred, &format!("d{round}"), now).await;
            assert!(!deferred.expect("deferred write"), "round {round}: a deferred commit waited");
            let immediate = write_bag(&store, Durability::Immediate, &format!("i{round}"), now).await;
            assert!(immediate.expect("immediate write"), "round {round}: an immediate commit did not wait");
            let mut tx = store.begin_write().await.expect("begin");
            assert!(waits_for_disk(&mut tx, store.backend()).await.expect("read"));
            tx.rollback().await.expect("rollback");
        }
        for id in ["d0", "d3", "i0", "i3"] {
            assert!(store.bag_lines(id).await.expect("read").is_some(), "bag {id} is committed");
        }
    }

    async fn with_group_commit_a_batch_waits_for_the_disk_unless_every_job_is_deferred(backend) {
        let (plain, _db) = migrated(backend).await;
        let store = Arc::new(plain.clone().with_group_commit().await.expect("the writer"));
        let now = std::time::Duration::ZERO;
        // Alone, each job is its own batch.
        assert_eq!(write_bag(&store, Durability::Deferred, "alone-d", now).await.ok(), Some(false));
        assert_eq!(write_bag(&store, Durability::Immediate, "alone-i", now).await.ok(), Some(true));

        // Queued together behind a job that holds the writer: one batch.
        let batch_of = |holder_id: &'static str, jobs: Vec<(Durability, &'static str)>| {
            let store = Arc::clone(&store);
            async move {
                let holder = {
                    let store = Arc::clone(&store);
                    tokio::spawn(async move {
                        let hold = std::time::Duration::from_millis(300);
                        write_bag(&store, Durability::Deferred, holder_id, hold).await
                    })
                };
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                let queued: Vec<_> = jobs
                    .into_iter()
                    .map(|(durability, id)| {
                        let store = Arc::clone(&store);
                        tokio::spawn(async move { write_bag(&store, durability, id, now).await })
                    })
                    .collect();
                holder.await.expect("holder").expect("holder's write");
                let mut waited = Vec::new();
                for job in queued {
                    waited.push(job.await.expect("job").expect("queued write"));
                }
                waited
            }
        };
        let (before_jobs, before_batches) = store.group_commit_counts().expect("on");
        let mixed = batch_of(
            "holder-1",
            vec![(Durability::Deferred, "mixed-d"), (Durability::Immediate, "mixed-i")],
        )
        .await;
        assert_eq!(mixed, vec![true, true], "one immediate job: the whole batch waits");
        let deferred = batch_of(
            "holder-2",
            vec![(Durability::Deferred, "all-d1"), (Durability::Deferred, "all-d2")],
        )
        .await;
        assert_eq!(deferred, vec![false, false], "every job deferred: no wait");
        let (jobs, batches) = store.group_commit_counts().expect("on");
        assert_eq!((jobs - before_jobs, batches - before_batches), (6, 4), "holder, then its queue, twice");
        for id in ["alone-d", "mixed-d", "mixed-i", "all-d1", "all-d2"] {
            assert!(plain.bag_lines(id).await.expect("read").is_some(), "bag {id} is committed");
        }
    }
}

/// On SQLite, the process's writers take turns in the order they asked:
/// none is refused for a lock another holds, and none overtakes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_writers_take_turns_in_the_order_they_asked() {
    let (store, _db) = migrated(Backend::Sqlite).await;
    let store = Arc::new(store);
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let first = store.begin_write().await.expect("the first writer");
    let mut writers = Vec::new();
    for i in 0..8 {
        let (store, order) = (Arc::clone(&store), Arc::clone(&order));
        writers.push(tokio::spawn(async move {
            let mut tx = store.begin_write().await.expect("a turn");
            order.lock().expect("order").push(i);
            bags::insert_bag(&mut tx, &format!("turn-{i}"), 1)
                .await
                .expect("insert");
            tx.commit().await.expect("commit");
        }));
        // Each asks after the previous one has started waiting.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(
        order.lock().expect("order").is_empty(),
        "nobody writes while the first holds its turn"
    );
    first.commit().await.expect("the first commit");
    for writer in writers {
        writer.await.expect("writer");
    }
    assert_eq!(*order.lock().expect("order"), (0..8).collect::<Vec<_>>());
    for i in 0..8 {
        assert!(
            store
                .bag_lines(&format!("turn-{i}"))
                .await
                .expect("read")
                .is_some()
        );
    }
}
