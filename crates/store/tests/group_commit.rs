//! Group commit on SQLite and PostgreSQL: concurrent jobs share transactions,
//! a refused job (its own error, or a statement the database refuses) undoes
//! only itself, and every caller answered `Ok` finds its write committed.

use std::sync::Arc;

use maison_store::{JobFuture, Store, StoreError, bags};
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
            .write(|tx| -> JobFuture<'_, Result<(), StoreError>> {
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
                    .write(move |tx| -> JobFuture<'_, Result<(), StoreError>> {
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
            .write(|tx| -> JobFuture<'_, Result<(), StoreError>> {
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
