//! The demo maison: a fictional catalogue and boutique directory that `maison serve` seeds into an empty database.

use maison_domain::address::{Address, Country};
use maison_domain::boutique::{Boutique, Coordinates};
use maison_domain::catalog::{Creation, Grouping, PersonalisationOption, SaleMode, Variant};
use maison_domain::{Money, Sku, Slug};

// ---------------------------------------------------------------------------
// Small helpers that keep the data below compact.
// ---------------------------------------------------------------------------

fn sku(text: &str) -> Sku {
    Sku::parse(text).expect("demo SKUs are valid")
}

fn slug(text: &str) -> Slug {
    Slug::parse(text).expect("demo slugs are valid")
}

fn grouping(slug_text: &str, name: &str, description: &str) -> Grouping {
    Grouping {
        slug: slug(slug_text),
        name: name.to_owned(),
        description: description.to_owned(),
    }
}

/// One variant per size, each SKU being the creation's SKU followed by `-<size>`.
fn sized(base: &str, sizes_with_stock: &[(&str, u32)]) -> Vec<Variant> {
    sizes_with_stock
        .iter()
        .map(|&(size, on_hand)| Variant {
            sku: sku(&format!("{base}-{size}")),
            size: Some(size.to_owned()),
            on_hand,
        })
        .collect()
}

/// The one variant of a creation without sizes: the creation's own SKU.
fn single(base: &str, on_hand: u32) -> Vec<Variant> {
    vec![Variant {
        sku: sku(base),
        size: None,
        on_hand,
    }]
}

/// The stock of a creation: one piece without sizes, or a quantity per size.
enum Stock<'a> {
    One(u32),
    Sizes(&'a [(&'a str, u32)]),
}

fn online(dollars: i64) -> (SaleMode, Option<Money>) {
    (SaleMode::Online, Some(Money::usd_dollars(dollars)))
}

fn by_phone(dollars: i64) -> (SaleMode, Option<Money>) {
    (SaleMode::PhoneOnly, Some(Money::usd_dollars(dollars)))
}

fn on_request() -> (SaleMode, Option<Money>) {
    (SaleMode::PriceOnRequest, None)
}

const RINGS: &str = "rings";
const BRACELETS: &str = "bracelets";
const NECKLACES: &str = "necklaces";
const EARRINGS: &str = "earrings";
const WATCHES: &str = "watches";
const LEATHER_GOODS: &str = "leather-goods";

const ETOILE: Option<&str> = Some("etoile");
const NOCTURNE: Option<&str> = Some("nocturne");
const RIVAGE: Option<&str> = Some("rivage");
const HERITAGE: Option<&str> = Some("heritage");
const MERIDIEN: Option<&str> = Some("meridien");
const ATELIER: Option<&str> = Some("atelier");
const HAUTE_JOAILLERIE: Option<&str> = Some("haute-joaillerie");

/// A creation, not flagged and not personalisable; see [`Finishing`] for those.
#[allow(clippy::too_many_arguments)]
fn creation(
    sku_text: &str,
    slug_text: &str,
    name: &str,
    category: &str,
    collection: Option<&str>,
    sale: (SaleMode, Option<Money>),
    stock: Stock<'_>,
    materials: &[&str],
    description: &str,
) -> Creation {
    let (sale_mode, price) = sale;
    let variants = match stock {
        Stock::One(on_hand) => single(sku_text, on_hand),
        Stock::Sizes(sizes) => sized(sku_text, sizes),
    };
    Creation {
        sku: sku(sku_text),
        slug: slug(slug_text),
        name: name.to_owned(),
        category: slug(category),
        collection: collection.map(slug),
        description: description.to_owned(),
        materials: materials.iter().map(|m| (*m).to_owned()).collect(),
        sale_mode,
        price,
        flagged_unavailable: false,
        variants,
        personalisation: Vec::new(),
    }
}

/// Finishing touches on a demo creation: personalisation and the staff flag.
trait Finishing {
    fn engraving(self, max_lines: u8, max_characters_per_line: u8) -> Self;
    fn embossing(self, max_initials: u8) -> Self;
    fn flagged(self) -> Self;
}

impl Finishing for Creation {
    fn engraving(mut self, max_lines: u8, max_characters_per_line: u8) -> Self {
        self.personalisation.push(PersonalisationOption::Engraving {
            max_lines,
            max_characters_per_line,
        });
        self
    }

    fn embossing(mut self, max_initials: u8) -> Self {
        self.personalisation
            .push(PersonalisationOption::Embossing { max_initials });
        self
    }

    fn flagged(mut self) -> Self {
        self.flagged_unavailable = true;
        self
    }
}

// ---------------------------------------------------------------------------
// Categories and collections.
// ---------------------------------------------------------------------------

/// The six categories of the storefront, in menu order.
pub fn categories() -> Vec<Grouping> {
    vec![
        grouping(
            RINGS,
            "Rings",
            "Solitaires, bands and cocktail rings, each set by hand in our Paris workshops.",
        ),
        grouping(
            BRACELETS,
            "Bracelets",
            "Bangles, cuffs and supple chains that move with the wrist and keep their lustre for generations.",
        ),
        grouping(
            NECKLACES,
            "Necklaces",
            "Pendants, sautoirs and diamond lines composed to frame the neckline with quiet brilliance.",
        ),
        grouping(
            EARRINGS,
            "Earrings",
            "Studs, hoops and drops that catch the light with every turn of the head.",
        ),
        grouping(
            WATCHES,
            "Watches",
            "Timepieces in gold and steel, where Swiss movements meet the maison's jewellery craft.",
        ),
        grouping(
            LEATHER_GOODS,
            "Leather Goods",
            "Bags, wallets and travel cases cut from the finest calfskin and finished by hand.",
        ),
    ]
}

/// The maison's collections, each a family of creations across categories.
pub fn collections() -> Vec<Grouping> {
    vec![
        grouping(
            "etoile",
            "Étoile",
            "A constellation of brilliant-cut diamonds, from the maison's signature solitaires to luminous pavé.",
        ),
        grouping(
            "nocturne",
            "Nocturne",
            "Onyx, sapphire and black lacquer for the hours after dusk, when gold glows softest.",
        ),
        grouping(
            "rivage",
            "Rivage",
            "Fluid lines and lustrous pearls inspired by the shoreline of the Mediterranean at first light.",
        ),
        grouping(
            "heritage",
            "Heritage",
            "Chains, medallions and signets drawn from the maison's archives and crafted anew.",
        ),
        grouping(
            "meridien",
            "Méridien",
            "Timepieces of pure proportions, from everyday steel and gold to full diamond pavé.",
        ),
        grouping(
            "atelier",
            "Atelier",
            "Leather objects for travel and every day, cut, stitched and embossed in our own workshops.",
        ),
        grouping(
            "haute-joaillerie",
            "Haute Joaillerie",
            "One-of-a-kind high jewellery, with exceptional stones chosen and set by our master jewellers.",
        ),
    ]
}

// ---------------------------------------------------------------------------
// The catalogue.
// ---------------------------------------------------------------------------

/// The demo creations, in display order.
pub fn creations() -> Vec<Creation> {
    vec![
        creation(
            "VAL-RNG-001",
            "etoile-solitaire-ring-2ct",
            "Étoile Solitaire Ring, 2.0 ct",
            RINGS,
            ETOILE,
            on_request(),
            Stock::Sizes(&[("48", 1), ("50", 1), ("52", 2), ("54", 1), ("56", 1), ("58", 0)]),
            &[
                "Platinum",
                "Round brilliant-cut diamond, 2.0 ct, D colour, VVS1 clarity",
            ],
            "A single two-carat diamond, held aloft by six slender claws so that light enters from every side. Each stone is selected individually; our Client Relations advisors will present the diamonds currently available.",
        )
        .engraving(1, 20),
        creation(
            "VAL-BRC-001",
            "rivage-diamond-tennis-bracelet",
            "Rivage Diamond Tennis Bracelet",
            BRACELETS,
            RIVAGE,
            online(36_800),
            Stock::Sizes(&[("15", 0), ("16", 1), ("17", 2), ("18", 1)]),
            &["18k white gold", "Diamonds, 7.45 ct total"],
            "An unbroken line of brilliant-cut diamonds, each in its own articulated setting, flowing around the wrist like water over stone.",
        ),
        creation(
            "VAL-WCH-001",
            "meridien-joaillerie-watch-33mm-diamond-pave",
            "Méridien Joaillerie Watch, 33 mm, Diamond Pavé",
            WATCHES,
            MERIDIEN,
            online(42_500),
            Stock::One(1),
            &[
                "18k white gold case and bracelet",
                "Diamonds, 4.12 ct total",
                "Swiss automatic movement",
            ],
            "Case, dial and bracelet entirely paved with diamonds, a timepiece that is first of all a jewel. The sapphire caseback can be engraved with a private message.",
        )
        .engraving(2, 20),
        creation(
            "VAL-NCK-003",
            "heritage-medallion-pendant",
            "Heritage Medallion Pendant",
            NECKLACES,
            HERITAGE,
            online(2_950),
            Stock::One(5),
            &["18k yellow gold", "Chain length 42 cm, adjustable to 40 cm"],
            "A gold medallion drawn from a 1920s archive design, its reverse left smooth for two lines of engraving.",
        )
        .engraving(2, 20),
        creation(
            "VAL-EAR-001",
            "etoile-diamond-stud-earrings",
            "Étoile Diamond Stud Earrings",
            EARRINGS,
            ETOILE,
            online(7_800),
            Stock::One(4),
            &["Platinum", "Diamonds, 1.00 ct total"],
            "Two perfectly matched brilliant-cut diamonds in four-claw platinum settings: the purest expression of the Étoile line.",
        ),
        creation(
            "VAL-LTH-001",
            "atelier-card-holder",
            "Atelier Card Holder",
            LEATHER_GOODS,
            ATELIER,
            online(350),
            Stock::One(8),
            &["Grained calfskin leather", "Hand-painted edges"],
            "Four card slots and a central pocket in supple grained calfskin, finished by hand along every edge.",
        )
        .embossing(3),
        creation(
            "VAL-RNG-003",
            "etoile-pave-band",
            "Étoile Pavé Band",
            RINGS,
            ETOILE,
            online(4_950),
            Stock::Sizes(&[
                ("48", 3),
                ("50", 4),
                ("52", 5),
                ("54", 4),
                ("56", 2),
                ("58", 1),
                ("60", 0),
            ]),
            &["18k white gold", "Diamonds, 0.42 ct total"],
            "A slender band set halfway round with brilliant-cut diamonds, to be worn alone or beside a solitaire.",
        )
        .engraving(1, 20),
        creation(
            "VAL-NCK-002",
            "etoile-graduated-diamond-necklace",
            "Étoile Graduated Diamond Necklace",
            NECKLACES,
            ETOILE,
            online(31_900),
            Stock::One(1),
            &["Platinum", "Diamonds, 6.30 ct total"],
            "Brilliant-cut diamonds that grow gently in size towards the centre of the neckline, set in platinum so fine it all but disappears.",
        ),
        creation(
            "VAL-BRC-003",
            "etoile-diamond-bangle",
            "Étoile Diamond Bangle",
            BRACELETS,
            ETOILE,
            online(6_750),
            Stock::Sizes(&[("15", 2), ("16", 3), ("17", 3), ("18", 1)]),
            &["18k rose gold", "Diamonds, 0.21 ct total"],
            "A rigid bangle in rose gold punctuated by seven diamonds, its inner surface reserved for a personal inscription.",
        )
        .engraving(1, 20),
        creation(
            "VAL-WCH-002",
            "meridien-watch-36mm-steel-and-gold",
            "Méridien Watch, 36 mm, Steel and Gold",
            WATCHES,
            MERIDIEN,
            online(8_900),
            Stock::One(4),
            &[
                "Steel and 18k yellow gold case and bracelet",
                "Silvered guilloché dial",
                "Swiss automatic movement",
            ],
            "The everyday Méridien, in steel warmed with yellow gold, with a guilloché dial and a caseback ready for engraving.",
        )
        .engraving(2, 20),
        creation(
            "VAL-EAR-004",
            "heritage-hoop-earrings",
            "Heritage Hoop Earrings",
            EARRINGS,
            HERITAGE,
            online(2_200),
            Stock::One(8),
            &["18k yellow gold"],
            "Softly rounded gold hoops, polished by hand to a mirror finish, revived from the maison's earliest ledgers.",
        ),
        creation(
            "VAL-LTH-005",
            "atelier-top-handle-bag",
            "Atelier Top-Handle Bag",
            LEATHER_GOODS,
            ATELIER,
            online(4_800),
            Stock::One(2),
            &[
                "Box calfskin leather",
                "Lambskin lining",
                "Palladium-finish hardware",
            ],
            "A structured top-handle bag in box calfskin, its clasp inspired by the maison's jewellery boxes.",
        )
        .embossing(3),
        creation(
            "VAL-RNG-002",
            "etoile-solitaire-ring-1ct",
            "Étoile Solitaire Ring, 1.0 ct",
            RINGS,
            ETOILE,
            online(16_500),
            Stock::Sizes(&[("48", 1), ("50", 2), ("52", 2), ("54", 1), ("56", 0), ("58", 1)]),
            &[
                "Platinum",
                "Round brilliant-cut diamond, 1.0 ct, F colour, VS1 clarity",
            ],
            "The Étoile solitaire in its most classic proportion: a one-carat diamond, six claws and a band of platinum.",
        )
        .engraving(1, 20),
        creation(
            "VAL-NCK-006",
            "aurore-emerald-and-diamond-necklace",
            "Aurore Emerald and Diamond Necklace",
            NECKLACES,
            HAUTE_JOAILLERIE,
            on_request(),
            Stock::One(1),
            &[
                "Platinum",
                "Colombian emerald, 12.08 ct",
                "Diamonds, 18.40 ct total",
            ],
            "A Colombian emerald of rare depth, crowned by a cascade of diamonds: a unique piece from the Haute Joaillerie ateliers.",
        ),
        creation(
            "VAL-RNG-010",
            "etoile-dome-pave-ring",
            "Étoile Dôme Pavé Ring",
            RINGS,
            ETOILE,
            online(33_500),
            Stock::Sizes(&[("50", 1), ("52", 1), ("54", 2), ("56", 0)]),
            &["18k white gold", "Diamonds, 5.10 ct total"],
            "A generous dome entirely paved with brilliant-cut diamonds, set by hand so that no metal interrupts the light.",
        ),
        creation(
            "VAL-BRC-002",
            "heritage-link-bracelet",
            "Heritage Link Bracelet",
            BRACELETS,
            HERITAGE,
            online(8_600),
            Stock::One(4),
            &["18k yellow gold"],
            "Substantial oval links, each one assembled and polished by hand, fastened with a concealed clasp.",
        ),
        creation(
            "VAL-EAR-002",
            "nocturne-onyx-drop-earrings",
            "Nocturne Onyx Drop Earrings",
            EARRINGS,
            NOCTURNE,
            online(4_600),
            Stock::One(2),
            &["18k rose gold", "Black onyx", "Diamonds, 0.18 ct total"],
            "Polished onyx drops suspended from a line of diamonds, made for candlelight.",
        ),
        creation(
            "VAL-WCH-003",
            "meridien-watch-28mm-mother-of-pearl",
            "Méridien Watch, 28 mm, Mother-of-Pearl",
            WATCHES,
            MERIDIEN,
            online(6_400),
            Stock::One(3),
            &[
                "Steel case",
                "White mother-of-pearl dial",
                "Alligator leather strap",
                "Swiss quartz movement",
            ],
            "A small, luminous Méridien with a mother-of-pearl dial and a strap that changes in an instant.",
        ),
        creation(
            "VAL-LTH-002",
            "atelier-compact-wallet",
            "Atelier Compact Wallet",
            LEATHER_GOODS,
            ATELIER,
            online(690),
            Stock::One(5),
            &[
                "Grained calfskin leather",
                "Palladium-finish hardware",
            ],
            "A compact wallet with a coin pocket and six card slots, closing with the maison's signature clasp.",
        )
        .embossing(3),
        creation(
            "VAL-RNG-004",
            "heritage-signet-ring",
            "Heritage Signet Ring",
            RINGS,
            HERITAGE,
            online(3_200),
            Stock::Sizes(&[("50", 2), ("52", 3), ("54", 3), ("56", 2), ("58", 2), ("60", 1)]),
            &["18k yellow gold"],
            "A cushion-shaped signet in solid gold, its face awaiting initials or a family motif.",
        )
        .engraving(1, 20),
        creation(
            "VAL-NCK-004",
            "nocturne-onyx-pendant",
            "Nocturne Onyx Pendant",
            NECKLACES,
            NOCTURNE,
            online(3_400),
            Stock::One(3),
            &[
                "18k rose gold",
                "Black onyx",
                "Diamond, 0.05 ct",
                "Chain length 45 cm",
            ],
            "A disc of black onyx set with a single diamond, like a star in a clear night sky.",
        ),
        creation(
            "VAL-BRC-004",
            "nocturne-lacquer-cuff",
            "Nocturne Lacquer Cuff",
            BRACELETS,
            NOCTURNE,
            online(12_400),
            Stock::One(3),
            &["18k yellow gold", "Black lacquer", "Diamonds, 0.64 ct total"],
            "A wide cuff of deep black lacquer edged in gold and diamonds, lacquered by hand in twelve successive layers.",
        )
        .flagged(),
        creation(
            "VAL-RNG-005",
            "nocturne-onyx-ring",
            "Nocturne Onyx Ring",
            RINGS,
            NOCTURNE,
            online(2_850),
            Stock::Sizes(&[("48", 0), ("50", 0), ("52", 0), ("54", 0), ("56", 0)]),
            &["18k rose gold", "Black onyx", "Diamonds, 0.08 ct total"],
            "A cabochon of black onyx framed by a fine halo of diamonds, set on a band of rose gold.",
        ),
        creation(
            "VAL-EAR-006",
            "etoile-pave-hoop-earrings",
            "Étoile Pavé Hoop Earrings",
            EARRINGS,
            ETOILE,
            online(11_900),
            Stock::One(2),
            &["18k white gold", "Diamonds, 1.86 ct total"],
            "Hoops paved inside and out with diamonds, so that they shine from every angle.",
        )
        .flagged(),
        creation(
            "VAL-WCH-007",
            "rivage-moonphase-watch-36mm",
            "Rivage Moonphase Watch, 36 mm",
            WATCHES,
            RIVAGE,
            online(22_300),
            Stock::One(2),
            &[
                "18k rose gold case",
                "Aventurine dial",
                "Alligator leather strap",
                "Swiss automatic movement with moon phase",
            ],
            "A moon of mother-of-pearl drifts across an aventurine sky, keeping its phase for a hundred and twenty-two years.",
        ),
        creation(
            "VAL-NCK-005",
            "rivage-pearl-sautoir",
            "Rivage Pearl Sautoir",
            NECKLACES,
            RIVAGE,
            online(9_800),
            Stock::One(2),
            &[
                "Akoya cultured pearls, 7.5–8 mm",
                "18k yellow gold clasp",
                "Length 90 cm",
            ],
            "A long rope of Akoya pearls, hand-knotted on silk, to be worn once, twice or thrice around the neck.",
        ),
        creation(
            "VAL-LTH-003",
            "atelier-jewellery-travel-case",
            "Atelier Jewellery Travel Case",
            LEATHER_GOODS,
            ATELIER,
            online(1_450),
            Stock::One(3),
            &[
                "Calfskin leather",
                "Suede-lined compartments",
                "Palladium-finish hardware",
            ],
            "A travel case with ring rolls and suede compartments, so that every jewel arrives as it left.",
        )
        .embossing(3),
        creation(
            "VAL-RNG-006",
            "rivage-wave-ring",
            "Rivage Wave Ring",
            RINGS,
            RIVAGE,
            online(2_400),
            Stock::Sizes(&[("48", 2), ("50", 3), ("52", 0), ("54", 2), ("56", 1)]),
            &["18k yellow gold"],
            "A ring that rises and falls like a wave at rest, polished to the softness of sea glass.",
        ),
        creation(
            "VAL-BRC-005",
            "heritage-chain-bracelet",
            "Heritage Chain Bracelet",
            BRACELETS,
            HERITAGE,
            online(2_650),
            Stock::One(6),
            &["18k yellow gold", "Length 17 cm"],
            "A fine curb chain with an engraved identity plate, as it was first made in the maison's workshops.",
        )
        .engraving(1, 20),
        creation(
            "VAL-EAR-003",
            "rivage-pearl-drop-earrings",
            "Rivage Pearl Drop Earrings",
            EARRINGS,
            RIVAGE,
            online(3_250),
            Stock::One(0),
            &[
                "18k yellow gold",
                "South Sea cultured pearls, 11 mm",
                "Diamonds, 0.12 ct total",
            ],
            "Two South Sea pearls of satin lustre, each beneath a small diamond crest.",
        ),
        creation(
            "VAL-WCH-006",
            "meridien-chronograph-41mm",
            "Méridien Chronograph, 41 mm",
            WATCHES,
            MERIDIEN,
            online(14_750),
            Stock::One(0),
            &[
                "Steel case",
                "Blue sunray dial",
                "Steel bracelet",
                "Swiss automatic chronograph movement",
            ],
            "A column-wheel chronograph in a case of restrained elegance, with a blue dial that shifts with the light.",
        ),
        creation(
            "VAL-LTH-006",
            "nocturne-evening-clutch",
            "Nocturne Evening Clutch",
            LEATHER_GOODS,
            NOCTURNE,
            online(3_350),
            Stock::One(1),
            &[
                "Black satin-finish calfskin leather",
                "18k gold-plated clasp",
                "Detachable chain",
            ],
            "A slim clutch in black calfskin with a gold clasp, carried in the hand or on its detachable chain.",
        ),
        creation(
            "VAL-RNG-008",
            "heritage-cable-wedding-band",
            "Heritage Cable Wedding Band",
            RINGS,
            HERITAGE,
            online(1_850),
            Stock::Sizes(&[
                ("48", 4),
                ("50", 6),
                ("52", 8),
                ("54", 6),
                ("56", 5),
                ("58", 3),
                ("60", 2),
            ]),
            &["Platinum"],
            "Two strands of platinum twisted into a single band, a promise made visible.",
        )
        .engraving(1, 20),
        creation(
            "VAL-BRC-006",
            "rivage-pearl-bracelet",
            "Rivage Pearl Bracelet",
            BRACELETS,
            RIVAGE,
            online(3_900),
            Stock::One(0),
            &[
                "Akoya cultured pearls, 6.5–7 mm",
                "18k white gold clasp",
            ],
            "A single row of Akoya pearls, hand-knotted on silk and closed with a clasp of white gold.",
        ),
        creation(
            "VAL-LTH-008",
            "atelier-passport-cover",
            "Atelier Passport Cover",
            LEATHER_GOODS,
            ATELIER,
            online(520),
            Stock::One(6),
            &["Grained calfskin leather", "Hand-painted edges"],
            "A passport cover with two card slots, made to accompany every journey.",
        )
        .embossing(3),
        creation(
            "VAL-LTH-004",
            "atelier-watch-roll",
            "Atelier Watch Roll",
            LEATHER_GOODS,
            ATELIER,
            online(980),
            Stock::One(0),
            &[
                "Calfskin leather",
                "Suede lining",
                "Palladium-finish hardware",
            ],
            "A roll for two watches, each resting on its own suede cushion.",
        )
        .embossing(3),
        creation(
            "VAL-RNG-009",
            "etoile-three-stone-ring-3ct",
            "Étoile Three-Stone Ring, 3.0 ct",
            RINGS,
            ETOILE,
            on_request(),
            Stock::Sizes(&[("50", 1), ("52", 1), ("54", 1), ("56", 0)]),
            &[
                "Platinum",
                "Round brilliant-cut diamonds, 3.0 ct total, E colour, VVS2 clarity",
            ],
            "Three diamonds for past, present and future, the central stone flanked by two perfectly matched companions.",
        ),
        creation(
            "VAL-NCK-001",
            "etoile-solitaire-pendant-2ct",
            "Étoile Solitaire Pendant, 2.0 ct",
            NECKLACES,
            ETOILE,
            on_request(),
            Stock::One(1),
            &[
                "Platinum",
                "Round brilliant-cut diamond, 2.0 ct, E colour, VVS1 clarity",
                "Chain length 42 cm",
            ],
            "A two-carat diamond floating on the finest platinum chain; its bail may carry two lines of engraving.",
        )
        .engraving(2, 20),
        creation(
            "VAL-BRC-007",
            "lagune-sapphire-and-diamond-bracelet",
            "Lagune Sapphire and Diamond Bracelet",
            BRACELETS,
            HAUTE_JOAILLERIE,
            on_request(),
            Stock::One(1),
            &[
                "Platinum",
                "Ceylon sapphires, 14.20 ct total",
                "Diamonds, 9.75 ct total",
            ],
            "Cushion-cut Ceylon sapphires alternating with diamonds, a unique piece whose blues recall a lagoon at noon.",
        ),
        creation(
            "VAL-EAR-005",
            "cascade-diamond-chandelier-earrings",
            "Cascade Diamond Chandelier Earrings",
            EARRINGS,
            HAUTE_JOAILLERIE,
            on_request(),
            Stock::One(1),
            &["Platinum", "Diamonds, 11.36 ct total"],
            "Pear-shaped and marquise diamonds falling in three tiers, composed by our master jewellers over many months.",
        ),
        creation(
            "VAL-NCK-007",
            "voie-lactee-diamond-necklace",
            "Voie Lactée Diamond Necklace",
            NECKLACES,
            HAUTE_JOAILLERIE,
            on_request(),
            Stock::One(1),
            &[
                "Platinum",
                "Oval diamond, 5.02 ct",
                "Diamonds, 32.80 ct total",
            ],
            "A river of diamonds leading to a five-carat oval, the crowning piece of the Haute Joaillerie collection.",
        ),
        creation(
            "VAL-RNG-007",
            "nocturne-sapphire-cocktail-ring",
            "Nocturne Sapphire Cocktail Ring",
            RINGS,
            NOCTURNE,
            by_phone(27_500),
            Stock::Sizes(&[("50", 1), ("52", 1), ("54", 1)]),
            &[
                "18k white gold",
                "Blue sapphire, 4.15 ct",
                "Diamonds, 1.20 ct total",
            ],
            "A cushion-cut sapphire of midnight blue encircled by diamonds; our advisors will present it by telephone.",
        ),
        creation(
            "VAL-BRC-008",
            "etoile-pave-cuff",
            "Étoile Pavé Cuff",
            BRACELETS,
            ETOILE,
            by_phone(24_800),
            Stock::Sizes(&[("16", 1), ("17", 1), ("18", 0)]),
            &["18k white gold", "Diamonds, 3.85 ct total"],
            "An open cuff paved with diamonds from end to end, fitted to the wrist by our Client Relations advisors.",
        ),
        creation(
            "VAL-NCK-008",
            "rivage-aquamarine-pendant",
            "Rivage Aquamarine Pendant",
            NECKLACES,
            RIVAGE,
            by_phone(14_500),
            Stock::One(1),
            &[
                "18k white gold",
                "Aquamarine, 8.60 ct",
                "Diamonds, 0.74 ct total",
            ],
            "An emerald-cut aquamarine the colour of shallow water, framed by a fine line of diamonds.",
        ),
        creation(
            "VAL-EAR-007",
            "nocturne-sapphire-ear-climbers",
            "Nocturne Sapphire Ear Climbers",
            EARRINGS,
            NOCTURNE,
            by_phone(18_600),
            Stock::One(1),
            &[
                "18k white gold",
                "Blue sapphires, 2.40 ct total",
                "Diamonds, 0.96 ct total",
            ],
            "Sapphires and diamonds that climb the curve of the ear like a constellation rising.",
        ),
        creation(
            "VAL-WCH-004",
            "nocturne-skeleton-watch-40mm",
            "Nocturne Skeleton Watch, 40 mm",
            WATCHES,
            NOCTURNE,
            by_phone(29_800),
            Stock::One(1),
            &[
                "18k rose gold case",
                "Black alligator leather strap",
                "Swiss skeletonised automatic movement",
            ],
            "A movement opened to the eye, every bridge hand-bevelled and blackened, beating within a rose gold case.",
        ),
        creation(
            "VAL-WCH-005",
            "heritage-perpetual-calendar-watch-39mm",
            "Heritage Perpetual Calendar Watch, 39 mm",
            WATCHES,
            HERITAGE,
            by_phone(68_000),
            Stock::One(1),
            &[
                "Platinum case",
                "Grand feu enamel dial",
                "Alligator leather strap",
                "Swiss automatic perpetual calendar movement",
            ],
            "A perpetual calendar that will not need correcting until 2100, beneath a dial of grand feu enamel.",
        ),
        creation(
            "VAL-LTH-007",
            "atelier-weekender-bag",
            "Atelier Weekender Bag",
            LEATHER_GOODS,
            ATELIER,
            by_phone(7_900),
            Stock::One(2),
            &[
                "Full-grain calfskin leather",
                "Canvas lining",
                "Palladium-finish hardware",
            ],
            "A travel bag for two days away, cut from a single hide and stitched by one artisan from start to finish.",
        )
        .embossing(3),
    ]
}

// ---------------------------------------------------------------------------
// The boutique directory.
// ---------------------------------------------------------------------------

const CITY_HOURS: &[&str] = &["Monday–Saturday 10:00–19:00", "Sunday 12:00–18:00"];
const MALL_HOURS: &[&str] = &["Monday–Saturday 10:00–21:00", "Sunday 11:00–19:00"];

#[allow(clippy::too_many_arguments)]
fn boutique(
    id: &str,
    name: &str,
    (line1, line2): (&str, Option<&str>),
    (city, region, postal_code): (&str, &str, &str),
    country: Country,
    phone: &str,
    hours: &[&str],
    (latitude, longitude): (f64, f64),
    accepts_pickup: bool,
) -> Boutique {
    Boutique {
        id: id.to_owned(),
        name: name.to_owned(),
        address: Address {
            line1: line1.to_owned(),
            line2: line2.map(str::to_owned),
            city: city.to_owned(),
            region: region.to_owned(),
            postal_code: postal_code.to_owned(),
            country,
            company: None,
        },
        phone: phone.to_owned(),
        hours: hours.iter().map(|h| (*h).to_owned()).collect(),
        location: Coordinates::new(latitude, longitude).expect("demo coordinates are valid"),
        accepts_pickup,
    }
}

/// The North American boutiques, United States first, then Canada.
pub fn boutiques() -> Vec<Boutique> {
    use Country::{Canada, UnitedStates};
    vec![
        boutique(
            "new-york-fifth-avenue",
            "Maison Valoria Fifth Avenue",
            ("731 Fifth Avenue", None),
            ("New York", "NY", "10022"),
            UnitedStates,
            "212-555-0147",
            &["Monday–Saturday 10:00–19:00", "Sunday 11:00–18:00"],
            (40.7626, -73.9737),
            true,
        ),
        boutique(
            "new-york-madison-avenue",
            "Maison Valoria Madison Avenue",
            ("818 Madison Avenue", None),
            ("New York", "NY", "10065"),
            UnitedStates,
            "212-555-0163",
            CITY_HOURS,
            (40.7677, -73.9683),
            true,
        ),
        boutique(
            "beverly-hills-rodeo-drive",
            "Maison Valoria Rodeo Drive",
            ("371 North Rodeo Drive", None),
            ("Beverly Hills", "CA", "90210"),
            UnitedStates,
            "310-555-0122",
            CITY_HOURS,
            (34.0694, -118.4029),
            true,
        ),
        boutique(
            "san-francisco-post-street",
            "Maison Valoria Union Square",
            ("256 Post Street", None),
            ("San Francisco", "CA", "94108"),
            UnitedStates,
            "415-555-0136",
            CITY_HOURS,
            (37.7887, -122.4060),
            true,
        ),
        boutique(
            "costa-mesa-bristol-street",
            "Maison Valoria Costa Mesa",
            ("3377 Bristol Street", Some("Suite 1180")),
            ("Costa Mesa", "CA", "92626"),
            UnitedStates,
            "714-555-0158",
            MALL_HOURS,
            (33.6908, -117.8887),
            true,
        ),
        boutique(
            "las-vegas-strip",
            "Maison Valoria Las Vegas",
            ("3545 Las Vegas Boulevard South", Some("Suite 112")),
            ("Las Vegas", "NV", "89109"),
            UnitedStates,
            "702-555-0171",
            &["Daily 10:00–23:00"],
            (36.1147, -115.1728),
            true,
        ),
        boutique(
            "scottsdale-camelback-road",
            "Maison Valoria Scottsdale",
            ("7036 East Camelback Road", Some("Suite 1065")),
            ("Scottsdale", "AZ", "85251"),
            UnitedStates,
            "480-555-0166",
            MALL_HOURS,
            (33.5030, -111.9290),
            true,
        ),
        boutique(
            "seattle-pine-street",
            "Maison Valoria Seattle",
            ("512 Pine Street", None),
            ("Seattle", "WA", "98101"),
            UnitedStates,
            "206-555-0114",
            CITY_HOURS,
            (47.6118, -122.3370),
            true,
        ),
        boutique(
            "honolulu-kalakaua-avenue",
            "Maison Valoria Waikīkī",
            ("2174 Kalākaua Avenue", None),
            ("Honolulu", "HI", "96815"),
            UnitedStates,
            "808-555-0129",
            &["Daily 10:00–22:00"],
            (21.2793, -157.8292),
            true,
        ),
        boutique(
            "dallas-highland-park",
            "Maison Valoria Highland Park",
            ("61 Preston Road", None),
            ("Dallas", "TX", "75205"),
            UnitedStates,
            "214-555-0133",
            CITY_HOURS,
            (32.8363, -96.8056),
            true,
        ),
        boutique(
            "houston-post-oak",
            "Maison Valoria Post Oak",
            ("5085 Post Oak Boulevard", None),
            ("Houston", "TX", "77056"),
            UnitedStates,
            "713-555-0148",
            MALL_HOURS,
            (29.7390, -95.4620),
            true,
        ),
        boutique(
            "chicago-michigan-avenue",
            "Maison Valoria Michigan Avenue",
            ("724 North Michigan Avenue", None),
            ("Chicago", "IL", "60611"),
            UnitedStates,
            "312-555-0158",
            CITY_HOURS,
            (41.8963, -87.6244),
            true,
        ),
        boutique(
            "atlanta-buckhead",
            "Maison Valoria Buckhead",
            ("3475 Peachtree Road NE", Some("Suite 140")),
            ("Atlanta", "GA", "30326"),
            UnitedStates,
            "404-555-0187",
            MALL_HOURS,
            (33.8486, -84.3628),
            true,
        ),
        boutique(
            "washington-citycenter",
            "Maison Valoria Washington",
            ("926 I Street NW", None),
            ("Washington", "DC", "20001"),
            UnitedStates,
            "202-555-0175",
            CITY_HOURS,
            (38.9008, -77.0249),
            true,
        ),
        boutique(
            "boston-newbury-street",
            "Maison Valoria Newbury Street",
            ("143 Newbury Street", None),
            ("Boston", "MA", "02116"),
            UnitedStates,
            "617-555-0174",
            CITY_HOURS,
            (42.3507, -71.0781),
            true,
        ),
        boutique(
            "miami-design-district",
            "Maison Valoria Design District",
            ("147 NE 40th Street", None),
            ("Miami", "FL", "33137"),
            UnitedStates,
            "305-555-0119",
            &["Monday–Saturday 11:00–20:00", "Sunday 12:00–18:00"],
            (25.8128, -80.1926),
            true,
        ),
        boutique(
            "bal-harbour-collins-avenue",
            "Maison Valoria Bal Harbour",
            ("9731 Collins Avenue", None),
            ("Bal Harbour", "FL", "33154"),
            UnitedStates,
            "305-555-0142",
            MALL_HOURS,
            (25.8886, -80.1256),
            true,
        ),
        boutique(
            "palm-beach-worth-avenue",
            "Maison Valoria Worth Avenue",
            ("228 Worth Avenue", None),
            ("Palm Beach", "FL", "33480"),
            UnitedStates,
            "561-555-0137",
            &["Monday–Saturday 10:00–18:00", "Sunday closed"],
            (26.7017, -80.0378),
            true,
        ),
        boutique(
            "toronto-yorkville",
            "Maison Valoria Yorkville",
            ("118 Yorkville Avenue", None),
            ("Toronto", "ON", "M5R 1B9"),
            Canada,
            "416-555-0182",
            &[
                "Monday–Wednesday 10:00–18:00",
                "Thursday–Friday 10:00–20:00",
                "Saturday 10:00–18:00",
                "Sunday 12:00–17:00",
            ],
            (43.6707, -79.3933),
            true,
        ),
        boutique(
            "montreal-sherbrooke-ouest",
            "Maison Valoria Montréal",
            ("1312, rue Sherbrooke Ouest", None),
            ("Montréal", "QC", "H3G 1K4"),
            Canada,
            "514-555-0128",
            &[
                "Monday–Wednesday 10:00–18:00",
                "Thursday–Friday 10:00–21:00",
                "Saturday 10:00–17:00",
                "Sunday 11:00–17:00",
            ],
            (45.4988, -73.5786),
            true,
        ),
        boutique(
            "vancouver-alberni-street",
            "Maison Valoria Vancouver",
            ("1068 Alberni Street", None),
            ("Vancouver", "BC", "V6E 1A4"),
            Canada,
            "604-555-0139",
            CITY_HOURS,
            (49.2858, -123.1233),
            true,
        ),
        boutique(
            "calgary-stephen-avenue",
            "Maison Valoria Calgary",
            ("317 8 Avenue SW", Some("Unit 210")),
            ("Calgary", "AB", "T2P 1C5"),
            Canada,
            "403-555-0151",
            &["Monday–Saturday 10:00–18:00", "Sunday 12:00–17:00"],
            (51.0459, -114.0690),
            true,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use maison_domain::catalog::Availability;

    use super::*;

    fn high_value_threshold() -> Money {
        Money::usd_dollars(30_000)
    }

    fn count_in(creations: &[Creation], category: &str) -> usize {
        creations
            .iter()
            .filter(|c| c.category.as_str() == category)
            .count()
    }

    #[test]
    fn the_demo_has_at_least_forty_creations_over_every_category() {
        let creations = creations();
        assert!(creations.len() >= 44, "only {} creations", creations.len());
        for (category, minimum) in [
            (RINGS, 8),
            (BRACELETS, 7),
            (NECKLACES, 7),
            (EARRINGS, 6),
            (WATCHES, 6),
            (LEATHER_GOODS, 6),
        ] {
            let count = count_in(&creations, category);
            assert!(count >= minimum, "{category}: {count} < {minimum}");
        }
    }

    #[test]
    fn the_six_categories_come_in_menu_order() {
        let slugs: Vec<String> = categories()
            .iter()
            .map(|g| g.slug.as_str().to_owned())
            .collect();
        assert_eq!(
            slugs,
            [
                "rings",
                "bracelets",
                "necklaces",
                "earrings",
                "watches",
                "leather-goods"
            ]
        );
    }

    #[test]
    fn skus_and_slugs_are_unique() {
        let creations = creations();

        let mut product_skus = HashSet::new();
        for c in &creations {
            assert!(
                product_skus.insert(c.sku.clone()),
                "duplicate SKU {}",
                c.sku
            );
        }

        let mut variant_skus = HashSet::new();
        for c in &creations {
            for v in &c.variants {
                assert!(
                    variant_skus.insert(v.sku.clone()),
                    "duplicate variant SKU {}",
                    v.sku
                );
                if v.sku != c.sku {
                    assert!(
                        !product_skus.contains(&v.sku),
                        "variant SKU {} is another creation's SKU",
                        v.sku
                    );
                }
            }
        }

        let mut slugs = HashSet::new();
        for c in &creations {
            assert!(slugs.insert(c.slug.clone()), "duplicate slug {}", c.slug);
        }

        let mut grouping_slugs = HashSet::new();
        for g in categories().iter().chain(collections().iter()) {
            assert!(
                grouping_slugs.insert(g.slug.clone()),
                "duplicate grouping {}",
                g.slug
            );
        }

        let mut boutique_ids = HashSet::new();
        for b in boutiques() {
            Slug::parse(&b.id).expect("boutique ids are slugs");
            assert!(
                boutique_ids.insert(b.id.clone()),
                "duplicate boutique {}",
                b.id
            );
        }
    }

    #[test]
    fn product_skus_follow_the_category_pattern() {
        for c in creations() {
            let code = match c.category.as_str() {
                RINGS => "RNG",
                BRACELETS => "BRC",
                NECKLACES => "NCK",
                EARRINGS => "EAR",
                WATCHES => "WCH",
                LEATHER_GOODS => "LTH",
                other => panic!("unknown category {other}"),
            };
            let prefix = format!("VAL-{code}-");
            let number = c
                .sku
                .as_str()
                .strip_prefix(&prefix)
                .expect("the SKU starts with VAL-<CAT>-");
            assert_eq!(number.len(), 3, "{}", c.sku);
            assert!(number.bytes().all(|b| b.is_ascii_digit()), "{}", c.sku);
        }
    }

    #[test]
    fn price_on_request_creations_have_no_price_and_the_others_do() {
        for c in creations() {
            match c.sale_mode {
                SaleMode::PriceOnRequest => assert_eq!(c.price, None, "{}", c.sku),
                SaleMode::Online | SaleMode::PhoneOnly => {
                    let price = c.price.expect("a creation not on request has a price");
                    assert!(price >= Money::usd_dollars(300), "{}", c.sku);
                }
            }
        }
    }

    #[test]
    fn every_sale_mode_is_represented() {
        let creations = creations();
        let count = |mode: SaleMode| creations.iter().filter(|c| c.sale_mode == mode).count();
        assert!(count(SaleMode::PhoneOnly) >= 5);
        assert!(count(SaleMode::PriceOnRequest) >= 6);
        assert!(count(SaleMode::Online) >= 30);
    }

    #[test]
    fn some_online_creations_are_above_the_high_value_threshold_and_in_stock() {
        let creations = creations();
        let high_value: Vec<&Creation> = creations
            .iter()
            .filter(|c| c.sale_mode == SaleMode::Online)
            .filter(|c| c.price.is_some_and(|p| p > high_value_threshold()))
            .collect();
        assert!(
            high_value.len() >= 3,
            "only {} high-value creations",
            high_value.len()
        );
        for c in high_value {
            assert_eq!(c.availability(), Availability::Available, "{}", c.sku);
        }

        let mid_range = creations
            .iter()
            .filter(|c| c.sale_mode == SaleMode::Online)
            .filter(|c| {
                c.price.is_some_and(|p| {
                    (Money::usd_dollars(2_000)..=Money::usd_dollars(29_000)).contains(&p)
                })
            })
            .count();
        assert!(
            mid_range >= 15,
            "only {mid_range} creations between $2,000 and $29,000"
        );
    }

    #[test]
    fn creations_without_sizes_have_one_variant_with_the_creations_sku() {
        for c in creations() {
            assert!(!c.variants.is_empty(), "{}", c.sku);
            if c.has_sizes() {
                for v in &c.variants {
                    let size = v
                        .size
                        .as_deref()
                        .expect("every variant of a sized creation has a size");
                    assert_eq!(v.sku.as_str(), format!("{}-{size}", c.sku), "{}", c.sku);
                    let n: u32 = size.parse().expect("sizes are numbers");
                    match c.category.as_str() {
                        RINGS => {
                            assert!((48..=60).contains(&n) && n.is_multiple_of(2), "{}", v.sku)
                        }
                        BRACELETS => assert!((15..=18).contains(&n), "{}", v.sku),
                        other => panic!("{other} creations have no sizes"),
                    }
                }
            } else {
                assert_eq!(c.variants.len(), 1, "{}", c.sku);
                assert_eq!(c.variants[0].sku, c.sku);
                assert_eq!(c.variants[0].size, None);
            }
        }
    }

    #[test]
    fn every_creation_belongs_to_a_demo_category_and_collection() {
        let categories: HashSet<Slug> = categories().into_iter().map(|g| g.slug).collect();
        let collections: HashSet<Slug> = collections().into_iter().map(|g| g.slug).collect();
        for c in creations() {
            assert!(
                categories.contains(&c.category),
                "{}: {}",
                c.sku,
                c.category
            );
            if let Some(collection) = &c.collection {
                assert!(collections.contains(collection), "{}: {collection}", c.sku);
            }
            assert!(!c.name.is_empty() && !c.description.is_empty(), "{}", c.sku);
            assert!(!c.materials.is_empty(), "{}", c.sku);
        }
    }

    #[test]
    fn some_creations_are_temporarily_unavailable() {
        let creations = creations();
        let out_of_stock = creations
            .iter()
            .filter(|c| c.sale_mode == SaleMode::Online && !c.flagged_unavailable)
            .filter(|c| c.variants.iter().all(|v| v.on_hand == 0))
            .inspect(|c| assert_eq!(c.availability(), Availability::TemporarilyUnavailable))
            .count();
        assert!(out_of_stock >= 4, "only {out_of_stock} out of stock");

        let flagged = creations
            .iter()
            .filter(|c| c.sale_mode == SaleMode::Online && c.flagged_unavailable)
            .filter(|c| c.variants.iter().any(|v| v.on_hand > 0))
            .inspect(|c| assert_eq!(c.availability(), Availability::TemporarilyUnavailable))
            .count();
        assert!(flagged >= 2, "only {flagged} flagged");

        let available = creations
            .iter()
            .filter(|c| c.availability() == Availability::Available)
            .count();
        assert!(available >= 25, "only {available} available");
    }

    #[test]
    fn some_creations_are_personalisable() {
        let creations = creations();
        let personalisable: Vec<&Creation> =
            creations.iter().filter(|c| c.is_personalisable()).collect();
        assert!(personalisable.len() >= 8, "only {}", personalisable.len());
        for c in personalisable {
            for option in &c.personalisation {
                match (c.category.as_str(), option) {
                    (LEATHER_GOODS, PersonalisationOption::Embossing { max_initials }) => {
                        assert!(*max_initials >= 1);
                    }
                    (
                        RINGS | BRACELETS | NECKLACES | WATCHES,
                        PersonalisationOption::Engraving {
                            max_lines,
                            max_characters_per_line,
                        },
                    ) => {
                        assert!((1..=2).contains(max_lines), "{}", c.sku);
                        assert!(*max_characters_per_line >= 10, "{}", c.sku);
                    }
                    (category, option) => {
                        panic!("{}: {category} offers {}", c.sku, option.describe())
                    }
                }
            }
        }
        assert!(
            creations
                .iter()
                .any(|c| c.category.as_str() == LEATHER_GOODS && c.is_personalisable())
        );
        assert!(
            creations
                .iter()
                .any(|c| c.category.as_str() == RINGS && c.is_personalisable())
        );
    }

    #[test]
    fn boutiques_have_valid_postal_codes_and_regions() {
        for b in boutiques() {
            let address = &b.address;
            assert!(
                address.country.accepts_postal_code(&address.postal_code),
                "{}: {}",
                b.id,
                address.postal_code
            );
            assert!(
                address.country.regions().contains(&address.region.as_str()),
                "{}: {}",
                b.id,
                address.region
            );
            assert_eq!(address.company, None);
            assert!(!b.hours.is_empty(), "{}", b.id);
            assert!(b.phone.contains("-555-01"), "{}: {}", b.id, b.phone);
            assert!(b.name.starts_with("Maison Valoria "), "{}", b.id);
            // North America, from Hawaii to Newfoundland.
            assert!((18.0..=62.0).contains(&b.location.latitude), "{}", b.id);
            assert!((-160.0..=-52.0).contains(&b.location.longitude), "{}", b.id);
        }
    }

    #[test]
    fn the_directory_spans_the_united_states_and_canada() {
        let directory = boutiques();
        assert!(directory.len() >= 18);
        assert!(
            directory
                .iter()
                .any(|b| b.address.country == Country::UnitedStates)
        );
        assert!(
            directory
                .iter()
                .any(|b| b.address.country == Country::Canada)
        );
        let cities: HashSet<&str> = directory.iter().map(|b| b.address.city.as_str()).collect();
        for city in [
            "New York",
            "Beverly Hills",
            "San Francisco",
            "Chicago",
            "Miami",
            "Boston",
            "Dallas",
            "Houston",
            "Las Vegas",
            "Seattle",
            "Atlanta",
            "Washington",
            "Honolulu",
            "Palm Beach",
            "Costa Mesa",
            "Toronto",
            "Vancouver",
            "Montréal",
            "Calgary",
        ] {
            assert!(cities.contains(city), "no boutique in {city}");
        }
    }

    #[test]
    fn every_boutique_takes_deliveries_for_pickup() {
        // The seed promises delivery "to any of our North American boutiques".
        for b in boutiques() {
            assert!(b.accepts_pickup, "{} does not take deliveries", b.id);
        }
    }

    #[test]
    fn every_boutique_address_is_one_a_client_could_type() {
        use maison_domain::address::{AddressInput, validate_address};
        for b in boutiques() {
            let a = &b.address;
            let checked = validate_address(&AddressInput {
                line1: a.line1.clone(),
                line2: a.line2.clone(),
                city: a.city.clone(),
                region: a.region.clone(),
                postal_code: a.postal_code.clone(),
                country: a.country.code().to_owned(),
                company: a.company.clone(),
            })
            .unwrap_or_else(|e| panic!("{}: {e}", b.id));
            assert_eq!(&checked, a, "{} is not written as checked", b.id);
        }
    }

    #[test]
    fn the_directory_is_found_by_province_code_or_name_but_not_by_the_maison_s_name() {
        use maison_domain::boutique::search;
        let directory = boutiques();
        let ids = |query: &str| -> Vec<String> {
            search(&directory, query)
                .iter()
                .map(|b| b.id.clone())
                .collect()
        };
        assert_eq!(ids("ON"), ["toronto-yorkville"]);
        assert_eq!(ids("Ontario"), ["toronto-yorkville"]);
        assert_eq!(ids("Québec"), ["montreal-sherbrooke-ouest"]);
        assert_eq!(ids("Quebec"), ["montreal-sherbrooke-ouest"]);
        assert_eq!(ids("British Columbia"), ["vancouver-alberni-street"]);
        assert_eq!(ids("New York"), ids("NY"));
        assert_eq!(ids("NY").len(), 2);
        let california = ids("California");
        assert_eq!(california.len(), 3, "{california:?}");
        assert_eq!(california, ids("CA"));
        assert!(ids("Maison").is_empty());
        assert!(ids("Valoria").is_empty());
        assert!(ids("Maison Valoria").is_empty());
        for b in &directory {
            let own_name = b
                .name
                .strip_prefix("Maison Valoria ")
                .expect("named after the maison");
            assert!(ids(own_name).contains(&b.id), "{own_name}");
            assert!(ids(&b.name).contains(&b.id), "{}", b.name);
        }
    }
}
