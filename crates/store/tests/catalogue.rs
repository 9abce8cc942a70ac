//! The catalogue's storage, on SQLite and on PostgreSQL.

use maison_domain::address::{Address, Country};
use maison_domain::boutique::{Boutique, Coordinates};
use maison_domain::catalog::{Creation, Grouping, PersonalisationOption, SaleMode, Variant};
use maison_domain::{Money, Sku, Slug};
use maison_store::{DemoContent, Store, StoreError};
use maison_testkit::{Backend, database, on_both_databases};

fn sku(s: &str) -> Sku {
    Sku::parse(s).expect("valid sku")
}

fn slug(s: &str) -> Slug {
    Slug::parse(s).expect("valid slug")
}

fn content() -> DemoContent {
    let ring = Creation {
        sku: sku("VAL-RNG-001"),
        slug: slug("etoile-ring"),
        name: "Étoile ring".into(),
        category: slug("rings"),
        collection: Some(slug("etoile")),
        description: "A ring.".into(),
        materials: vec!["18k rose gold".into(), "Diamonds, 0.10 ct".into()],
        sale_mode: SaleMode::Online,
        price: Some(Money::usd_dollars(4_250)),
        flagged_unavailable: false,
        variants: vec![
            Variant {
                sku: sku("VAL-RNG-001-50"),
                size: Some("50".into()),
                on_hand: 2,
            },
            Variant {
                sku: sku("VAL-RNG-001-52"),
                size: Some("52".into()),
                on_hand: 0,
            },
        ],
        personalisation: vec![PersonalisationOption::Engraving {
            max_lines: 1,
            max_characters_per_line: 20,
        }],
    };
    let solitaire = Creation {
        sku: sku("VAL-RNG-100"),
        slug: slug("solitaire"),
        name: "Solitaire".into(),
        category: slug("rings"),
        collection: None,
        description: "On request.".into(),
        materials: vec!["Platinum".into()],
        sale_mode: SaleMode::PriceOnRequest,
        price: None,
        flagged_unavailable: false,
        variants: vec![Variant {
            sku: sku("VAL-RNG-100"),
            size: None,
            on_hand: 1,
        }],
        personalisation: vec![],
    };
    DemoContent {
        categories: vec![Grouping {
            slug: slug("rings"),
            name: "Rings".into(),
            description: "Rings.".into(),
        }],
        collections: vec![Grouping {
            slug: slug("etoile"),
            name: "Étoile".into(),
            description: "Stars.".into(),
        }],
        creations: vec![ring, solitaire],
        boutiques: vec![Boutique {
            id: "montreal".into(),
            name: "Maison Montréal".into(),
            address: Address {
                line1: "1 rue Imaginaire".into(),
                line2: None,
                city: "Montréal".into(),
                region: "QC".into(),
                postal_code: "H3G 1P7".into(),
                country: Country::Canada,
                company: None,
            },
            phone: "514-555-0100".into(),
            hours: vec!["Monday–Saturday 10:00–18:00".into(), "Sunday closed".into()],
            location: Coordinates::new(45.4985, -73.5794).expect("valid"),
            accepts_pickup: true,
        }],
    }
}

async fn migrated(backend: Backend) -> (Store, maison_testkit::TestDatabase) {
    let db = database(backend);
    let store = Store::connect(&db.url).await.expect("connect");
    store.migrate().await.expect("migrate");
    (store, db)
}

on_both_databases! {
    async fn migrations_can_run_again_without_harm(backend) {
        let (store, _db) = migrated(backend).await;
        store.migrate().await.expect("second migration run is a no-op");
        assert!(store.catalogue_is_empty().await.expect("count"));
    }

    async fn a_seeded_catalogue_reads_back_exactly(backend) {
        let (store, _db) = migrated(backend).await;
        let content = content();
        assert!(store.seed(&content).await.expect("seed"));
        let loaded = store.load_catalogue().await.expect("load");
        assert_eq!(loaded.creations, content.creations);
        assert_eq!(loaded.categories, content.categories);
        assert_eq!(loaded.collections, content.collections);
        assert_eq!(loaded.boutiques, content.boutiques);
    }

    async fn seeding_a_catalogue_that_has_creations_changes_nothing(backend) {
        let (store, _db) = migrated(backend).await;
        assert!(store.seed(&content()).await.expect("first seed"));
        let revision = store.catalog_revision().await.expect("revision");
        assert!(!store.seed(&content()).await.expect("second seed"));
        assert_eq!(store.catalog_revision().await.expect("revision"), revision);
    }

    async fn setting_stock_changes_the_size_and_the_revision(backend) {
        let (store, _db) = migrated(backend).await;
        store.seed(&content()).await.expect("seed");
        let before = store.catalog_revision().await.expect("revision");
        store.set_stock(&sku("VAL-RNG-001-52"), 7).await.expect("set stock");
        let loaded = store.load_catalogue().await.expect("load");
        let ring = &loaded.creations[0];
        assert_eq!(ring.variants[1].on_hand, 7);
        assert_eq!(ring.variants[0].on_hand, 2);
        assert!(loaded.revision > before);
    }

    async fn setting_stock_of_an_unknown_sku_is_refused(backend) {
        let (store, _db) = migrated(backend).await;
        store.seed(&content()).await.expect("seed");
        let err = store.set_stock(&sku("VAL-NOPE-999"), 1).await.expect_err("unknown");
        assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    }

    async fn flagging_a_creation_unavailable_is_stored(backend) {
        let (store, _db) = migrated(backend).await;
        store.seed(&content()).await.expect("seed");
        store.set_flagged_unavailable(&sku("VAL-RNG-001"), true).await.expect("flag");
        let loaded = store.load_catalogue().await.expect("load");
        assert!(loaded.creations[0].flagged_unavailable);
        store.set_flagged_unavailable(&sku("VAL-RNG-001"), false).await.expect("unflag");
        assert!(!store.load_catalogue().await.expect("load").creations[0].flagged_unavailable);
        let err = store.set_flagged_unavailable(&sku("VAL-NOPE-1"), true).await.expect_err("unknown");
        assert!(matches!(err, StoreError::NotFound { .. }));
    }

    async fn the_database_refuses_a_priced_creation_on_request(backend) {
        let (store, _db) = migrated(backend).await;
        let mut bad = content();
        bad.creations[1].price = Some(Money::usd_dollars(1));
        assert!(store.seed(&bad).await.is_err());
        assert!(store.catalogue_is_empty().await.expect("count"), "nothing half-written");
    }
}

#[tokio::test]
async fn an_unreachable_database_fails_fast_with_the_cause() {
    let port = maison_testkit::free_port();
    let url = format!("postgres://maison:secret@127.0.0.1:{port}/maison");
    let err = Store::connect(&url)
        .await
        .expect_err("nothing listens there");
    assert!(matches!(err, StoreError::Database(_)), "{err}");
}
