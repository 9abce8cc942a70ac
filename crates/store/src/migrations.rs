//! The migrations of each backend, embedded in the binary. Both folders hold the
//! same versions with the same meaning; a test checks the versions match.

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::Backend;

/// (version, description, SQLite, PostgreSQL). Portable SQL lives once in
/// `migrations/portable/`; a migration whose dialects differ has a file in
/// each of `migrations/sqlite/` and `migrations/postgres/`.
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "catalogue",
        include_str!("../migrations/sqlite/0001_catalogue.sql"),
        include_str!("../migrations/postgres/0001_catalogue.sql"),
    ),
    (
        2,
        "orders",
        include_str!("../migrations/portable/0002_orders.sql"),
        include_str!("../migrations/portable/0002_orders.sql"),
    ),
    (
        3,
        "throttle",
        include_str!("../migrations/portable/0003_throttle.sql"),
        include_str!("../migrations/portable/0003_throttle.sql"),
    ),
    (
        4,
        "secrets",
        include_str!("../migrations/portable/0004_secrets.sql"),
        include_str!("../migrations/portable/0004_secrets.sql"),
    ),
    (
        5,
        "accounts",
        include_str!("../migrations/portable/0005_accounts.sql"),
        include_str!("../migrations/portable/0005_accounts.sql"),
    ),
    (
        6,
        "bag claim",
        include_str!("../migrations/portable/0006_bag_claim.sql"),
        include_str!("../migrations/portable/0006_bag_claim.sql"),
    ),
    (
        7,
        "staff and audit",
        include_str!("../migrations/portable/0007_staff_audit.sql"),
        include_str!("../migrations/portable/0007_staff_audit.sql"),
    ),
    (
        8,
        "outbox channel",
        include_str!("../migrations/portable/0008_outbox_channel.sql"),
        include_str!("../migrations/portable/0008_outbox_channel.sql"),
    ),
    (
        9,
        "assisted orders and receipts",
        include_str!("../migrations/portable/0009_assisted_orders.sql"),
        include_str!("../migrations/portable/0009_assisted_orders.sql"),
    ),
    (
        10,
        "information requests and quotes",
        include_str!("../migrations/portable/0010_information_requests.sql"),
        include_str!("../migrations/portable/0010_information_requests.sql"),
    ),
    (
        11,
        "console sign-in",
        include_str!("../migrations/portable/0011_console_sign_in.sql"),
        include_str!("../migrations/portable/0011_console_sign_in.sql"),
    ),
    (
        12,
        "fulfilment",
        include_str!("../migrations/portable/0012_fulfilment.sql"),
        include_str!("../migrations/portable/0012_fulfilment.sql"),
    ),
    (
        13,
        "reauthorisations",
        include_str!("../migrations/sqlite/0013_reauthorisations.sql"),
        include_str!("../migrations/postgres/0013_reauthorisations.sql"),
    ),
    (
        14,
        "returns",
        include_str!("../migrations/portable/0014_returns.sql"),
        include_str!("../migrations/portable/0014_returns.sql"),
    ),
    (
        15,
        "webhooks",
        include_str!("../migrations/portable/0015_webhooks.sql"),
        include_str!("../migrations/portable/0015_webhooks.sql"),
    ),
    (
        16,
        "lookup indexes",
        include_str!("../migrations/portable/0016_lookup_indexes.sql"),
        include_str!("../migrations/portable/0016_lookup_indexes.sql"),
    ),
];

pub(crate) fn for_backend(backend: Backend) -> Migrator {
    let migrations = MIGRATIONS
        .iter()
        .map(|&(version, description, sqlite, postgres)| {
            let sql = match backend {
                Backend::Sqlite => sqlite,
                Backend::Postgres => postgres,
            };
            Migration::new(
                version,
                Cow::Borrowed(description),
                MigrationType::Simple,
                sql.into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// The files on disk, each folder's versions: they must be listed above and
    /// be the same for both backends.
    fn versions_in(folder: &str) -> BTreeSet<i64> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("migrations")
            .join(folder);
        std::fs::read_dir(&dir)
            .expect("migrations folder")
            .map(|entry| {
                let name = entry
                    .expect("entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned();
                name.split('_')
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("NNNN_name.sql")
            })
            .collect()
    }

    #[test]
    fn both_backends_have_the_same_migration_versions_and_all_are_embedded() {
        let portable = versions_in("portable");
        let sqlite = versions_in("sqlite");
        let postgres = versions_in("postgres");
        assert_eq!(
            sqlite, postgres,
            "a dialect-specific migration exists for both backends"
        );
        assert!(
            portable.is_disjoint(&sqlite),
            "a version is either portable or per backend"
        );
        let embedded: BTreeSet<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
        let on_disk: BTreeSet<i64> = portable.union(&sqlite).copied().collect();
        assert_eq!(embedded, on_disk);
        let versions: Vec<i64> = MIGRATIONS.iter().map(|m| m.0).collect();
        assert!(
            versions.windows(2).all(|w| w[1] == w[0] + 1),
            "versions follow each other"
        );
    }
}
