use super::drawing::{Cut, EMERALD_GREEN, Form, Look, Metal, RUBY_RED, SAPPHIRE_BLUE, Stone};
use super::*;
use maison_domain::catalog::{SaleMode, Variant};
use maison_domain::{Money, Sku, Slug};

fn demo(slug: &str) -> Creation {
    maison_demo::creations()
        .into_iter()
        .find(|c| c.slug.as_str() == slug)
        .unwrap_or_else(|| panic!("the demo has {slug}"))
}

fn made_up(category: &str, name: &str, materials: &[&str]) -> Creation {
    let sku = Sku::parse("TST-001").expect("sku");
    Creation {
        sku: sku.clone(),
        slug: Slug::parse("made-up").expect("slug"),
        name: name.into(),
        category: Slug::parse(category).expect("slug"),
        collection: None,
        description: String::new(),
        materials: materials.iter().map(|m| (*m).to_owned()).collect(),
        sale_mode: SaleMode::Online,
        price: Some(Money::usd_dollars(100)),
        flagged_unavailable: false,
        variants: vec![Variant {
            sku,
            size: None,
            on_hand: 1,
        }],
        personalisation: vec![],
    }
}

/// The drawing without its title, which names the creation: what is drawn.
fn picture(c: &Creation, view: u8) -> String {
    let svg = drawing_view(c, view);
    let start = svg.find("<title>").expect("title");
    let end = svg.find("</title>").expect("title end");
    format!("{}{}", &svg[..start], &svg[end..])
}

/// A small well-formedness check: tags nest and close, attributes are
/// quoted, text holds no bare `<` or `&`, numbers are numbers.
fn assert_well_formed(svg: &str, what: &str) {
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{what}"
    );
    assert!(svg.ends_with("</svg>"), "{what}");
    assert!(
        !svg.contains("NaN") && !svg.contains("inf"),
        "{what}: {svg}"
    );
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(at) = rest.find('<') {
        let text = &rest[..at];
        assert!(
            !text.contains('&') || text.contains("&amp;"),
            "{what}: {text}"
        );
        let end = rest[at..].find('>').map(|e| at + e).expect("tag closes");
        let tag = &rest[at + 1..end];
        assert!(!tag.contains('<'), "{what}: {tag}");
        assert_eq!(tag.matches('"').count() % 2, 0, "{what}: {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name), "{what}: </{name}>");
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().expect("name"));
        }
        rest = &rest[end + 1..];
    }
    assert!(open.is_empty(), "{what}: unclosed {open:?}");
}

#[test]
fn a_sapphire_ring_shows_a_blue_stone_and_a_diamond_ring_does_not() {
    let sapphire = demo("nocturne-sapphire-cocktail-ring");
    let look = Look::of(&sapphire);
    assert_eq!(look.stone, Some(Stone::Sapphire));
    assert_eq!(look.cut, Cut::Cushion, "the description says cushion-cut");
    assert_eq!(look.form, Form::Cocktail);
    for view in 1..=VIEWS {
        assert!(
            drawing_view(&sapphire, view).contains(SAPPHIRE_BLUE),
            "view {view}"
        );
    }
    let diamond = demo("etoile-solitaire-ring-1ct");
    assert!(!drawing_view(&diamond, 1).contains(SAPPHIRE_BLUE));
    assert_eq!(Look::of(&diamond).stone, Some(Stone::Diamond));
    assert_eq!(Look::of(&diamond).form, Form::Solitaire);
}

#[test]
fn each_stone_has_its_colour() {
    let emerald = demo("aurore-emerald-and-diamond-necklace");
    assert!(drawing_view(&emerald, 1).contains(EMERALD_GREEN));
    assert_eq!(Look::of(&emerald).cut, Cut::Emerald);
    let ruby = made_up(
        "rings",
        "Ruby Ring",
        &["18k yellow gold", "Burmese ruby, 2.1 ct"],
    );
    assert!(drawing_view(&ruby, 1).contains(RUBY_RED));
    assert_eq!(
        Look::of(&demo("rivage-pearl-sautoir")).stone,
        Some(Stone::Pearl)
    );
    assert_eq!(
        Look::of(&demo("nocturne-onyx-pendant")).stone,
        Some(Stone::Onyx)
    );
    assert_eq!(
        Look::of(&demo("rivage-aquamarine-pendant")).cut,
        Cut::Emerald,
        "an emerald-cut aquamarine is not an emerald"
    );
    assert_eq!(
        Look::of(&demo("rivage-aquamarine-pendant")).stone,
        Some(Stone::Aquamarine)
    );
    // A mother-of-pearl dial is not a pearl.
    assert_eq!(
        Look::of(&demo("meridien-watch-28mm-mother-of-pearl")).stone,
        None
    );
}

#[test]
fn cuts_are_read_from_the_words_and_pearl_is_not_pear() {
    let cut = |text: &str| Look::of(&made_up("rings", text, &["Platinum", "Diamond"])).cut;
    assert_eq!(cut("Pear Diamond Ring"), Cut::Pear);
    assert_eq!(cut("Oval Diamond Ring"), Cut::Oval);
    assert_eq!(cut("Princess Diamond Ring"), Cut::Princess);
    assert_eq!(cut("Emerald-Cut Diamond Ring"), Cut::Emerald);
    assert_eq!(cut("Marquise Diamond Ring"), Cut::Marquise);
    assert_eq!(cut("Diamond Ring"), Cut::Round);
    let pearl = made_up(
        "earrings",
        "Pearl Studs",
        &["18k yellow gold", "Akoya pearls"],
    );
    assert_eq!(Look::of(&pearl).cut, Cut::Cabochon);
}

#[test]
fn the_metal_colour_follows_the_materials() {
    let metal = |slug: &str| Look::of(&demo(slug)).metal;
    assert_eq!(metal("etoile-diamond-bangle"), Metal::RoseGold);
    assert_eq!(metal("heritage-hoop-earrings"), Metal::YellowGold);
    assert_eq!(metal("etoile-pave-band"), Metal::WhiteGold);
    assert_eq!(metal("heritage-cable-wedding-band"), Metal::Platinum);
    assert_eq!(metal("meridien-chronograph-41mm"), Metal::Steel);
    assert_eq!(
        metal("meridien-watch-36mm-steel-and-gold"),
        Metal::SteelAndGold
    );
    // The pearls come first; the clasp names the metal.
    assert_eq!(metal("rivage-pearl-sautoir"), Metal::YellowGold);
    let rose = drawing_view(&demo("etoile-diamond-bangle"), 1);
    let yellow = drawing_view(&demo("heritage-link-bracelet"), 1);
    assert!(rose.contains("#dea18c") && !rose.contains("#d8b25c"));
    assert!(yellow.contains("#d8b25c"));
}

#[test]
fn forms_follow_the_category_and_the_name() {
    let form = |slug: &str| Look::of(&demo(slug)).form;
    assert_eq!(form("etoile-three-stone-ring-3ct"), Form::ThreeStone);
    assert_eq!(form("etoile-pave-band"), Form::Band);
    assert_eq!(form("heritage-signet-ring"), Form::Signet);
    assert_eq!(form("etoile-dome-pave-ring"), Form::Dome);
    assert_eq!(form("nocturne-onyx-ring"), Form::Cocktail);
    assert_eq!(form("rivage-diamond-tennis-bracelet"), Form::Tennis);
    assert_eq!(form("etoile-diamond-bangle"), Form::Bangle);
    assert_eq!(form("nocturne-lacquer-cuff"), Form::Cuff);
    assert_eq!(form("heritage-medallion-pendant"), Form::Medallion);
    assert_eq!(form("etoile-graduated-diamond-necklace"), Form::Riviere);
    assert_eq!(form("etoile-diamond-stud-earrings"), Form::Studs);
    assert_eq!(form("heritage-hoop-earrings"), Form::Hoops);
    assert_eq!(form("nocturne-onyx-drop-earrings"), Form::Drops);
    assert_eq!(
        form("cascade-diamond-chandelier-earrings"),
        Form::Chandelier
    );
    assert_eq!(form("nocturne-sapphire-ear-climbers"), Form::Climbers);
}

#[test]
fn leather_goods_are_each_their_own_piece() {
    let pieces: Vec<Creation> = maison_demo::creations()
        .into_iter()
        .filter(|c| c.category.as_str() == "leather-goods")
        .collect();
    assert!(pieces.len() >= 8);
    let mut forms: Vec<Form> = pieces.iter().map(|c| Look::of(c).form).collect();
    forms.sort_by_key(|f| format!("{f:?}"));
    forms.dedup();
    assert_eq!(forms.len(), pieces.len(), "one form each: {forms:?}");
    assert!(
        !forms.contains(&Form::Briefcase),
        "no briefcase in the demo"
    );
    let form = |name: &str| Look::of(&made_up("leather-goods", name, &["Calfskin leather"])).form;
    assert_eq!(form("Classic Belt"), Form::Belt);
    assert_eq!(form("Shopping Tote"), Form::Tote);
    assert_eq!(form("Key Holder"), Form::KeyHolder);
    assert_eq!(form("Document Briefcase"), Form::Briefcase);
    assert_ne!(
        picture(
            &made_up("leather-goods", "Classic Belt", &["Calfskin leather"]),
            1
        ),
        picture(
            &made_up("leather-goods", "Key Holder", &["Calfskin leather"]),
            1
        )
    );
    let black = Look::of(&demo("nocturne-evening-clutch")).leather;
    assert_eq!(black, "#1d1a19", "black calfskin");
}

#[test]
fn every_demo_drawing_is_well_formed_and_its_own_within_its_category() {
    let creations = maison_demo::creations();
    for c in &creations {
        for view in 1..=VIEWS {
            assert_well_formed(&drawing_view(c, view), &format!("{} view {view}", c.slug));
        }
        assert_ne!(picture(c, 1), picture(c, 2), "{}: a close-up", c.slug);
        assert_ne!(picture(c, 1), picture(c, 3), "{}: on a stand", c.slug);
    }
    for a in &creations {
        for b in &creations {
            if a.slug != b.slug && a.category == b.category {
                assert_ne!(picture(a, 1), picture(b, 1), "{} and {}", a.slug, b.slug);
            }
        }
    }
}

#[test]
fn a_name_with_markup_is_escaped_in_the_title() {
    let c = made_up("rings", "Ring <b>&</b>", &["Platinum"]);
    let svg = drawing_view(&c, 1);
    assert!(svg.contains("<title>Ring &lt;b&gt;&amp;&lt;/b&gt;</title>"));
    assert_well_formed(&svg, "escaped");
    // An unknown category still gets a drawing.
    assert_well_formed(
        &drawing_view(&made_up("scarves", "Silk Scarf", &[]), 1),
        "other",
    );
}

#[test]
fn a_photograph_is_found_by_sku_and_view_only() {
    let dir = std::env::temp_dir().join(format!("maison-photos-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("folder");
    std::fs::write(dir.join("TST-001.png"), b"png").expect("file");
    std::fs::write(dir.join("TST-001-3.webp"), b"webp").expect("file");
    std::fs::write(dir.join("TST-0011.jpg"), b"other").expect("file");
    let found = photo_in(&dir, "TST-001", 1).expect("front");
    assert_eq!(found, (dir.join("TST-001.png"), "image/png"));
    assert!(photo_in(&dir, "TST-001", 2).is_none());
    assert_eq!(photo_in(&dir, "TST-001", 3).expect("third").1, "image/webp");

    let c = made_up("rings", "Band", &["Platinum"]);
    let images = ProductImages::new(Some(dir.clone()));
    let gallery = images.gallery(&c);
    assert_eq!(
        gallery.iter().map(|g| g.src.as_str()).collect::<Vec<_>>(),
        ["/images/made-up.svg", "/images/made-up-3.svg"],
        "photographs only, never mixed with drawings"
    );
    let drawn = ProductImages::default().gallery(&c);
    assert_eq!(drawn.len(), usize::from(VIEWS));
    assert_eq!(drawn[1].alt, "Band, close-up");
    std::fs::remove_dir_all(&dir).expect("cleaned up");
}

#[test]
fn a_drawing_is_made_again_when_the_creation_changes() {
    let images = ProductImages::default();
    let mut c = made_up("rings", "Ring", &["18k yellow gold", "Blue sapphire"]);
    let first = images.drawing(&c, 1);
    assert!(Arc::ptr_eq(&first, &images.drawing(&c, 1)), "kept");
    c.materials = vec!["18k yellow gold".into(), "Ruby".into()];
    let second = images.drawing(&c, 1);
    assert!(second.contains(RUBY_RED) && !second.contains(SAPPHIRE_BLUE));
}
