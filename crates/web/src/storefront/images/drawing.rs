//! The drawings: what a creation looks like, read from its category, name
//! and materials, drawn on a 400 × 400 canvas in three views.

use maison_domain::catalog::Creation;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metal {
    Platinum,
    WhiteGold,
    YellowGold,
    RoseGold,
    Steel,
    /// Steel with yellow-gold accents (two-tone).
    SteelAndGold,
}

impl Metal {
    /// (body, shadow) colours.
    fn colours(self) -> (&'static str, &'static str) {
        match self {
            Metal::Platinum => ("#cdd2d8", "#858d96"),
            Metal::WhiteGold => ("#e0e2e5", "#979ea6"),
            Metal::YellowGold => ("#d8b25c", "#9a7529"),
            Metal::RoseGold => ("#dea18c", "#a5614f"),
            Metal::Steel | Metal::SteelAndGold => ("#b3b9bf", "#6c737a"),
        }
    }

    /// The accent metal of a two-tone piece (the same metal otherwise).
    fn accent(self) -> &'static str {
        match self {
            Metal::SteelAndGold => Metal::YellowGold.colours().0,
            other => other.colours().0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stone {
    Diamond,
    Sapphire,
    Emerald,
    Ruby,
    Aquamarine,
    Pearl,
    Onyx,
    Lacquer,
}

/// The sapphire's blue, as the drawings show it.
pub const SAPPHIRE_BLUE: &str = "#1f4fa8";
/// The emerald's green.
pub const EMERALD_GREEN: &str = "#1e7d4f";
/// The ruby's red.
pub const RUBY_RED: &str = "#a3122a";

impl Stone {
    /// (body, facet lines) colours.
    fn colours(self) -> (&'static str, &'static str) {
        match self {
            Stone::Diamond => ("#ffffff", "#7d94ab"),
            Stone::Sapphire => (SAPPHIRE_BLUE, "#0e2a63"),
            Stone::Emerald => (EMERALD_GREEN, "#0b4a2c"),
            Stone::Ruby => (RUBY_RED, "#5c0916"),
            Stone::Aquamarine => ("#8fd0dc", "#4b97a8"),
            Stone::Pearl => ("#fdfaf4", "#b3a289"),
            Stone::Onyx => ("#181616", "#000000"),
            Stone::Lacquer => ("#111010", "#000000"),
        }
    }

    /// Stones that are polished smooth rather than faceted.
    fn is_smooth(self) -> bool {
        matches!(self, Stone::Pearl | Stone::Onyx | Stone::Lacquer)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    Round,
    Princess,
    Emerald,
    Pear,
    Oval,
    Cushion,
    Marquise,
    Cabochon,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    Solitaire,
    ThreeStone,
    Band,
    CableBand,
    Cocktail,
    Signet,
    Dome,
    WaveRing,
    Tennis,
    Bangle,
    Cuff,
    LinkBracelet,
    ChainBracelet,
    PearlBracelet,
    Pendant,
    Medallion,
    Sautoir,
    Riviere,
    Studs,
    Hoops,
    Drops,
    Chandelier,
    Climbers,
    Watch,
    CardHolder,
    Wallet,
    TopHandleBag,
    Tote,
    Belt,
    KeyHolder,
    Briefcase,
    TravelCase,
    WatchRoll,
    PassportCover,
    Clutch,
    Weekender,
    Pouch,
    /// A category the drawings do not know: a jewellery box.
    Box,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dial {
    White,
    Silvered,
    MotherOfPearl,
    Blue,
    Aventurine,
    Enamel,
    Black,
    Skeleton,
    Pave,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Complication {
    None,
    Chronograph,
    MoonPhase,
    PerpetualCalendar,
}

/// A watch's face and how it is worn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchLook {
    pub dial: Dial,
    pub complication: Complication,
    /// Leather strap colour, or `None` for a metal bracelet.
    pub strap: Option<&'static str>,
    pub case_mm: u8,
    pub diamond_bezel: bool,
}

/// Everything a drawing is made from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Look {
    pub form: Form,
    pub metal: Metal,
    /// The main stone, if any.
    pub stone: Option<Stone>,
    pub cut: Cut,
    /// Small diamonds around or along the piece (pavé, halo, line).
    pub diamonds: bool,
    /// The main stone's weight in hundredths of a carat, when given.
    pub centicarats: Option<u32>,
    /// The leather's colour, for leather goods.
    pub leather: &'static str,
    pub watch: WatchLook,
}

fn has_word(words: &[String], word: &str) -> bool {
    words.iter().any(|w| w == word)
}

fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The first metal named, material by material (the body before the clasp).
fn metal_of(materials: &[String]) -> Metal {
    for m in materials.iter().map(|m| m.to_lowercase()) {
        let gold = m.contains("gold");
        if m.contains("steel") && gold {
            return Metal::SteelAndGold;
        }
        if m.contains("rose gold") || m.contains("pink gold") {
            return Metal::RoseGold;
        }
        if m.contains("white gold") {
            return Metal::WhiteGold;
        }
        if m.contains("platinum") || m.contains("palladium") || m.contains("silver") {
            return Metal::Platinum;
        }
        if gold {
            return Metal::YellowGold;
        }
        if m.contains("steel") {
            return Metal::Steel;
        }
    }
    Metal::YellowGold
}

/// The main stone: a coloured stone when there is one, otherwise a diamond.
fn stone_of(text: &str) -> Option<Stone> {
    // A watch's mother-of-pearl dial and an emerald-cut stone are not stones.
    let text = text
        .replace("mother-of-pearl", "")
        .replace("mother of pearl", "")
        .replace("emerald-cut", "")
        .replace("emerald cut", "");
    let coloured = [
        ("sapphire", Stone::Sapphire),
        ("emerald", Stone::Emerald),
        ("ruby", Stone::Ruby),
        ("rubies", Stone::Ruby),
        ("aquamarine", Stone::Aquamarine),
        ("pearl", Stone::Pearl),
        ("onyx", Stone::Onyx),
        ("lacquer", Stone::Lacquer),
    ];
    // The one named first, as the maison lists the main material first.
    coloured
        .iter()
        .filter_map(|(name, stone)| text.find(name).map(|at| (at, *stone)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, stone)| stone)
        .or_else(|| text.contains("diamond").then_some(Stone::Diamond))
}

fn cut_of(words: &[String], stone: Option<Stone>) -> Cut {
    let named = [
        ("princess", Cut::Princess),
        ("pear", Cut::Pear),
        ("oval", Cut::Oval),
        ("cushion", Cut::Cushion),
        ("marquise", Cut::Marquise),
        ("cabochon", Cut::Cabochon),
        ("baguette", Cut::Emerald),
    ];
    // "emerald-cut" splits into "emerald", "cut".
    let emerald_cut = words
        .windows(2)
        .any(|w| w[0] == "emerald" && (w[1] == "cut" || w[1] == "shaped"));
    if emerald_cut {
        return Cut::Emerald;
    }
    if let Some((_, cut)) = named.iter().find(|(w, _)| has_word(words, w)) {
        return *cut;
    }
    match stone {
        Some(Stone::Emerald) => Cut::Emerald,
        Some(s) if s.is_smooth() => Cut::Cabochon,
        _ => Cut::Round,
    }
}

/// Weight of the first stone given in carats: "2.0 ct" → 200.
fn centicarats_of(materials: &[String]) -> Option<u32> {
    materials.iter().find_map(|m| {
        let at = m.find(" ct")?;
        let number: String = m[..at]
            .chars()
            .rev()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let (whole, fraction) = number.split_once('.').unwrap_or((&number, "0"));
        let fraction = format!("{fraction:0<2}");
        Some(whole.parse::<u32>().ok()? * 100 + fraction.get(..2)?.parse::<u32>().ok()?)
    })
}

/// The leather's colour: one it is named by, else one its kind suggests.
fn leather_of(text: &str) -> &'static str {
    let words = words_of(text);
    let by_colour = [
        ("black", "#1d1a19"),
        ("navy", "#1f2a44"),
        ("blue", "#24406b"),
        ("green", "#2f4a35"),
        ("red", "#7f1d24"),
        ("burgundy", "#5a1a24"),
        ("ivory", "#e9dfcc"),
        ("white", "#ece6da"),
        ("cognac", "#8b4f27"),
        ("tan", "#a06b3f"),
        ("brown", "#4a2c1d"),
    ];
    let by_kind = [
        ("box calfskin", "#5a1a24"),
        ("full-grain", "#8b5a2b"),
        ("grained", "#6b5546"),
        ("alligator", "#4a2c1d"),
    ];
    by_colour
        .iter()
        .find(|(name, _)| has_word(&words, name))
        .or_else(|| by_kind.iter().find(|(name, _)| text.contains(name)))
        .map_or("#7c4a30", |(_, colour)| *colour)
}

fn watch_of(name: &str, text: &str) -> WatchLook {
    let dial = if text.contains("skeleton") {
        Dial::Skeleton
    } else if name.contains("pavé") || name.contains("pave") {
        Dial::Pave
    } else if text.contains("mother-of-pearl") || text.contains("mother of pearl") {
        Dial::MotherOfPearl
    } else if text.contains("aventurine") {
        Dial::Aventurine
    } else if text.contains("blue") && text.contains("dial") {
        Dial::Blue
    } else if text.contains("black") && text.contains("dial") {
        Dial::Black
    } else if text.contains("enamel") {
        Dial::Enamel
    } else if text.contains("silver") || text.contains("guilloch") {
        Dial::Silvered
    } else {
        Dial::White
    };
    let complication = if text.contains("perpetual") {
        Complication::PerpetualCalendar
    } else if text.contains("chronograph") {
        Complication::Chronograph
    } else if text.contains("moon") {
        Complication::MoonPhase
    } else {
        Complication::None
    };
    // A strap in the leather's colour; a metal bracelet otherwise.
    let strap = text
        .split(',')
        .find(|m| m.contains("strap"))
        .map(leather_of);
    // "33 mm" in the name or materials; 36 mm unless said.
    let case_mm = words_of(name)
        .windows(2)
        .find(|w| w[1] == "mm")
        .and_then(|w| w[0].parse::<u8>().ok())
        .filter(|mm| (20..=50).contains(mm))
        .unwrap_or(36);
    WatchLook {
        dial,
        complication,
        strap,
        case_mm,
        diamond_bezel: text.contains("diamond"),
    }
}

fn form_of(category: &str, words: &[String], text: &str, stone: Option<Stone>) -> Form {
    let says = |w: &str| has_word(words, w);
    match category {
        "rings" => {
            if says("cocktail") {
                Form::Cocktail
            } else if says("three") || text.contains("three-stone") || says("trilogy") {
                Form::ThreeStone
            } else if says("solitaire") || says("engagement") {
                Form::Solitaire
            } else if says("signet") {
                Form::Signet
            } else if says("dome") || says("dôme") {
                Form::Dome
            } else if says("wave") {
                Form::WaveRing
            } else if says("cable") || says("twisted") {
                Form::CableBand
            } else if says("band") || says("wedding") || says("eternity") {
                Form::Band
            } else if stone.is_some_and(|s| s != Stone::Diamond) || says("halo") {
                Form::Cocktail
            } else if stone.is_some() {
                Form::Solitaire
            } else {
                Form::Band
            }
        }
        "bracelets" => {
            if says("tennis") || says("line") {
                Form::Tennis
            } else if says("bangle") {
                Form::Bangle
            } else if says("cuff") {
                Form::Cuff
            } else if says("link") || says("links") {
                Form::LinkBracelet
            } else if stone == Some(Stone::Pearl) {
                Form::PearlBracelet
            } else if says("chain") || stone.is_none() {
                Form::ChainBracelet
            } else {
                Form::Tennis
            }
        }
        "necklaces" => {
            if says("sautoir") || says("rope") || stone == Some(Stone::Pearl) {
                Form::Sautoir
            } else if says("medallion") || says("locket") {
                Form::Medallion
            } else if says("pendant") {
                Form::Pendant
            } else if stone.is_some() {
                Form::Riviere
            } else {
                Form::Pendant
            }
        }
        "earrings" => {
            if says("chandelier") {
                Form::Chandelier
            } else if says("climbers") || says("climber") || says("crawlers") {
                Form::Climbers
            } else if says("hoop") || says("hoops") {
                Form::Hoops
            } else if says("drop") || says("drops") || says("pendants") {
                Form::Drops
            } else {
                Form::Studs
            }
        }
        "watches" => Form::Watch,
        "leather-goods" | "leather" => {
            if says("card") {
                Form::CardHolder
            } else if says("passport") {
                Form::PassportCover
            } else if says("wallet") || says("purse") {
                Form::Wallet
            } else if says("key") || says("keys") {
                Form::KeyHolder
            } else if says("belt") {
                Form::Belt
            } else if says("roll") {
                Form::WatchRoll
            } else if says("clutch") || says("pochette") {
                Form::Clutch
            } else if says("weekender")
                || says("duffle")
                || says("duffel")
                || (says("travel") && says("bag"))
            {
                Form::Weekender
            } else if says("case") && (says("jewellery") || says("jewelry") || says("travel")) {
                Form::TravelCase
            } else if says("briefcase") || says("document") {
                Form::Briefcase
            } else if says("tote") || says("shopper") {
                Form::Tote
            } else if says("handle") || says("bag") {
                Form::TopHandleBag
            } else {
                Form::Pouch
            }
        }
        _ => Form::Box,
    }
}

impl Look {
    pub fn of(c: &Creation) -> Look {
        let name = c.name.to_lowercase();
        let materials = c.materials.join(", ").to_lowercase();
        let all = format!("{name}, {materials}, {}", c.description.to_lowercase());
        let words = words_of(&all);
        let stone = stone_of(&format!("{materials}, {name}"));
        let form = form_of(c.category.as_str(), &words_of(&name), &name, stone);
        let pave = name.contains("pavé") || name.contains("pave");
        // Small diamonds beside a coloured stone, or many of them (a pavé,
        // a line); a single diamond is the main stone itself.
        let diamonds = pave
            || materials.contains("diamonds")
            || (materials.contains("diamond") && stone != Some(Stone::Diamond));
        Look {
            form,
            metal: metal_of(&c.materials),
            stone,
            cut: cut_of(&words, stone),
            diamonds,
            centicarats: centicarats_of(&c.materials),
            leather: leather_of(&materials),
            watch: watch_of(&name, &format!("{name}, {materials}")),
        }
    }
}

// ---------------------------------------------------------------------------
// Drawing: a 400 × 400 canvas, the piece centred.
// ---------------------------------------------------------------------------

const PAPER: &str = "#f6f1ea";
const STAND_PAPER: &str = "#ece4d8";
const STAND: &str = "#d9cdbd";
const STAND_SHADE: &str = "#c4b6a3";

/// A drawing of the piece, with where its detail is for the close-up.
struct Piece {
    svg: String,
    /// The close-up's centre.
    focus: (f32, f32),
    /// How much the close-up enlarges.
    zoom: f32,
}

/// View 1 (front), 2 (close-up) or 3 (on a stand).
pub fn drawing_view(c: &Creation, view: u8) -> String {
    let look = Look::of(c);
    let piece = piece(&look);
    let body = match view {
        2 => format!(
            r##"<rect width="400" height="400" fill="{PAPER}"/><g transform="translate(200 200) scale({zoom}) translate({x} {y})">{svg}</g><circle cx="200" cy="200" r="190" fill="none" stroke="#ffffff" stroke-opacity=".5" stroke-width="6"/>"##,
            zoom = piece.zoom,
            x = -piece.focus.0,
            y = -piece.focus.1,
            svg = piece.svg
        ),
        3 => format!(
            r##"<rect width="400" height="400" fill="{STAND_PAPER}"/>{stand}"##,
            stand = on_stand(&look, &piece.svg)
        ),
        _ => format!(
            r##"<rect width="400" height="400" fill="{PAPER}"/><ellipse cx="200" cy="372" rx="120" ry="10" fill="#000000" fill-opacity=".06"/><g transform="translate(200 205) scale(1.12) translate(-200 -205)">{}</g>"##,
            piece.svg
        ),
    };
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 400" width="400" height="400" role="img"><title>{}</title>{body}</svg>"##,
        escape(&c.name)
    )
}

/// The piece scaled down on a stand suited to it.
fn on_stand(look: &Look, piece: &str) -> String {
    let plinth = |y: f32| {
        format!(
            r##"<ellipse cx="200" cy="{shadow}" rx="150" ry="14" fill="#000000" fill-opacity=".08"/><rect x="70" y="{y}" width="260" height="{h}" fill="{STAND}"/><rect x="70" y="{y}" width="260" height="10" fill="{STAND_SHADE}"/>"##,
            shadow = 390,
            h = 385.0 - y
        )
    };
    let scaled = |scale: f32, x: f32, y: f32| {
        format!(r##"<g transform="translate({x} {y}) scale({scale})">{piece}</g>"##)
    };
    match look.form {
        Form::Solitaire
        | Form::ThreeStone
        | Form::Band
        | Form::CableBand
        | Form::Cocktail
        | Form::Signet
        | Form::Dome
        | Form::WaveRing => {
            // A ring cone.
            format!(
                r##"{}<path d="M170 330 L200 120 L230 330 Z" fill="{STAND}"/><path d="M200 120 L230 330 L214 330 Z" fill="{STAND_SHADE}"/>{}"##,
                plinth(330.0),
                scaled(0.5, 100.0, 105.0)
            )
        }
        Form::Tennis
        | Form::Bangle
        | Form::Cuff
        | Form::LinkBracelet
        | Form::ChainBracelet
        | Form::PearlBracelet => {
            // A bracelet bolster.
            format!(
                r##"{}<rect x="105" y="210" width="190" height="90" rx="45" fill="{STAND}"/><rect x="105" y="255" width="190" height="45" rx="22" fill="{STAND_SHADE}"/>{}"##,
                plinth(300.0),
                scaled(0.62, 76.0, 112.0)
            )
        }
        Form::Pendant | Form::Medallion | Form::Sautoir | Form::Riviere => {
            // A neck bust.
            format!(
                r##"<path d="M150 40 h100 v120 q90 25 120 110 v130 H30 V270 q30 -85 120 -110 Z" fill="{STAND}"/><path d="M150 40 h100 v120 q-50 25 -100 0 Z" fill="{STAND_SHADE}"/>{}"##,
                scaled(0.72, 56.0, 95.0)
            )
        }
        Form::Studs | Form::Hoops | Form::Drops | Form::Chandelier | Form::Climbers => {
            // An earring bar.
            format!(
                r##"{}<rect x="195" y="110" width="10" height="220" fill="{STAND_SHADE}"/><rect x="80" y="100" width="240" height="12" rx="6" fill="{STAND}"/>{}"##,
                plinth(330.0),
                scaled(0.7, 60.0, 30.0)
            )
        }
        Form::Watch => {
            // A watch cushion.
            format!(
                r##"{}<rect x="120" y="190" width="160" height="120" rx="40" fill="{STAND}"/><rect x="120" y="260" width="160" height="50" rx="25" fill="{STAND_SHADE}"/>{}"##,
                plinth(310.0),
                scaled(0.62, 76.0, 60.0)
            )
        }
        _ => format!("{}{}", plinth(320.0), scaled(0.7, 60.0, 62.0)),
    }
}

fn piece(look: &Look) -> Piece {
    match look.form {
        Form::Solitaire | Form::ThreeStone | Form::Cocktail => set_ring(look),
        Form::Band | Form::CableBand | Form::Signet | Form::Dome | Form::WaveRing => band(look),
        Form::Tennis
        | Form::Bangle
        | Form::Cuff
        | Form::LinkBracelet
        | Form::ChainBracelet
        | Form::PearlBracelet => bracelet(look),
        Form::Pendant | Form::Medallion | Form::Sautoir | Form::Riviere => necklace(look),
        Form::Studs | Form::Hoops | Form::Drops | Form::Chandelier | Form::Climbers => {
            earrings(look)
        }
        Form::Watch => watch(look),
        _ => leather(look),
    }
}

/// A stone of `cut` centred on (x, y), `r` its half-height.
fn gem(stone: Stone, cut: Cut, x: f32, y: f32, r: f32) -> String {
    let (fill, line) = stone.colours();
    let shine = r##"fill="#ffffff" fill-opacity=".55""##;
    if stone == Stone::Pearl {
        return format!(
            r##"<circle cx="{x}" cy="{y}" r="{r}" fill="{fill}" stroke="{line}" stroke-width="1"/><circle cx="{hx}" cy="{hy}" r="{hr}" {shine}/>"##,
            hx = x - r * 0.35,
            hy = y - r * 0.35,
            hr = r * 0.3
        );
    }
    let outline = match cut {
        Cut::Round => format!(r#"<circle cx="{x}" cy="{y}" r="{r}"/>"#),
        Cut::Cabochon => format!(r#"<ellipse cx="{x}" cy="{y}" rx="{}" ry="{r}"/>"#, r * 0.8),
        Cut::Oval => format!(r#"<ellipse cx="{x}" cy="{y}" rx="{}" ry="{r}"/>"#, r * 0.72),
        Cut::Princess => format!(
            r#"<rect x="{}" y="{}" width="{}" height="{}"/>"#,
            x - r * 0.9,
            y - r * 0.9,
            r * 1.8,
            r * 1.8
        ),
        Cut::Cushion => format!(
            r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{}"/>"#,
            x - r * 0.92,
            y - r * 0.92,
            r * 1.84,
            r * 1.84,
            r * 0.45
        ),
        Cut::Emerald => {
            let (w, h, k) = (r * 0.75, r, r * 0.3);
            format!(
                r#"<polygon points="{},{} {},{} {},{} {},{} {},{} {},{} {},{} {},{}"/>"#,
                x - w + k,
                y - h,
                x + w - k,
                y - h,
                x + w,
                y - h + k,
                x + w,
                y + h - k,
                x + w - k,
                y + h,
                x - w + k,
                y + h,
                x - w,
                y + h - k,
                x - w,
                y - h + k
            )
        }
        Cut::Pear => format!(
            r#"<path d="M{x} {} C{} {} {} {} {x} {} C{} {} {} {} {x} {} Z"/>"#,
            y - r,
            x + r * 0.2,
            y - r * 0.5,
            x + r * 0.8,
            y + r * 0.1,
            y + r,
            x - r * 0.8,
            y + r * 0.1,
            x - r * 0.2,
            y - r * 0.5,
            y - r
        ),
        Cut::Marquise => format!(
            r#"<path d="M{x} {} Q{} {y} {x} {} Q{} {y} {x} {} Z"/>"#,
            y - r,
            x + r * 0.9,
            y + r,
            x - r * 0.9,
            y - r
        ),
    };
    let facets = if stone.is_smooth() || cut == Cut::Cabochon {
        format!(
            r#"<ellipse cx="{}" cy="{}" rx="{}" ry="{}" {shine}/>"#,
            x - r * 0.25,
            y - r * 0.4,
            r * 0.3,
            r * 0.18
        )
    } else {
        // A table and the lines from it to the girdle.
        let t = r * 0.45;
        format!(
            r#"<g fill="none" stroke="{line}" stroke-width="{sw}"><rect x="{}" y="{}" width="{}" height="{}" transform="rotate(45 {x} {y})"/><path d="M{} {y} H{} M{x} {} V{}"/></g><circle cx="{}" cy="{}" r="{}" {shine}/>"#,
            x - t / 2.0,
            y - t / 2.0,
            t,
            t,
            x - r * 0.8,
            x + r * 0.8,
            y - r * 0.8,
            y + r * 0.8,
            x - r * 0.3,
            y - r * 0.35,
            r * 0.14,
            sw = (r / 14.0).clamp(0.5, 1.6)
        )
    };
    format!(
        r#"<g fill="{fill}" stroke="{line}" stroke-width="{}">{outline}</g>{facets}"#,
        (r / 10.0).clamp(0.6, 2.0)
    )
}

/// Small diamonds evenly spaced on points.
fn pave(points: &[(f32, f32)], r: f32) -> String {
    points
        .iter()
        .map(|&(x, y)| gem(Stone::Diamond, Cut::Round, x, y, r))
        .collect()
}

/// `n` points on an ellipse arc from `from` to `to` degrees (0 = right, 90 = bottom).
fn arc_points(cx: f32, cy: f32, rx: f32, ry: f32, from: f32, to: f32, n: usize) -> Vec<(f32, f32)> {
    (0..n)
        .map(|i| {
            let t = if n > 1 {
                i as f32 / (n - 1) as f32
            } else {
                0.5
            };
            let a = (from + (to - from) * t).to_radians();
            (round1(cx + rx * a.cos()), round1(cy + ry * a.sin()))
        })
        .collect()
}

fn round1(v: f32) -> f32 {
    (v * 10.0).round() / 10.0
}

/// The size of the main stone: a little larger for every carat.
fn stone_radius(look: &Look, base: f32) -> f32 {
    let carats = look.centicarats.unwrap_or(100).min(800) as f32 / 100.0;
    round1(base * (0.7 + 0.3 * carats.sqrt()))
}

/// A ring seen from the front: a band and its setting.
fn ring_band(look: &Look, width: f32) -> String {
    let (metal, shade) = look.metal.colours();
    format!(
        r##"<circle cx="200" cy="250" r="92" fill="none" stroke="{shade}" stroke-width="{width}"/><circle cx="200" cy="250" r="92" fill="none" stroke="{metal}" stroke-width="{}"/><path d="M135 315 A92 92 0 0 0 265 315" fill="none" stroke="#ffffff" stroke-opacity=".45" stroke-width="3"/>"##,
        width - 4.0
    )
}

fn set_ring(look: &Look) -> Piece {
    let (metal, shade) = look.metal.colours();
    let stone = look.stone.unwrap_or(Stone::Diamond);
    let r = stone_radius(
        look,
        if look.form == Form::Cocktail {
            34.0
        } else {
            28.0
        },
    );
    let cy = 158.0 - r * 0.4;
    let mut svg = ring_band(look, 14.0);
    // The claws or the collet under the stone.
    svg += &format!(
        r##"<path d="M{} 166 L200 {} L{} 166" fill="none" stroke="{shade}" stroke-width="5"/>"##,
        200.0 - r * 0.9,
        cy + r * 0.6,
        200.0 + r * 0.9
    );
    match look.form {
        Form::ThreeStone => {
            let side = round1(r * 0.68);
            svg += &gem(stone, look.cut, 200.0 - r - side * 0.9, cy + 10.0, side);
            svg += &gem(stone, look.cut, 200.0 + r + side * 0.9, cy + 10.0, side);
        }
        Form::Cocktail if look.diamonds || stone != Stone::Diamond => {
            svg += &format!(
                r##"<circle cx="200" cy="{cy}" r="{}" fill="{metal}"/>"##,
                r + 9.0
            );
            svg += &pave(
                &arc_points(200.0, cy, r + 6.0, r + 6.0, 0.0, 345.0, 16),
                3.6,
            );
        }
        _ => {}
    }
    svg += &gem(stone, look.cut, 200.0, cy, r);
    for dx in [-0.62f32, 0.62] {
        svg += &format!(
            r##"<circle cx="{}" cy="{}" r="3" fill="{metal}"/>"##,
            round1(200.0 + r * dx),
            round1(cy - r * 0.78)
        );
    }
    Piece {
        svg,
        focus: (200.0, cy),
        zoom: 2.6,
    }
}

fn band(look: &Look) -> Piece {
    let (metal, shade) = look.metal.colours();
    let accent = look.metal.accent();
    let (mut svg, focus) = match look.form {
        Form::CableBand => (
            format!(
                r##"{}<circle cx="200" cy="250" r="92" fill="none" stroke="{shade}" stroke-width="6" stroke-dasharray="9 7"/>"##,
                ring_band(look, 16.0)
            ),
            (200.0, 158.0),
        ),
        Form::Signet => (
            format!(
                r##"{}<rect x="150" y="122" width="100" height="74" rx="26" fill="{metal}" stroke="{shade}" stroke-width="4"/><rect x="164" y="134" width="72" height="50" rx="18" fill="none" stroke="{shade}" stroke-width="1.5"/>"##,
                ring_band(look, 18.0)
            ),
            (200.0, 159.0),
        ),
        Form::Dome => (
            format!(
                r##"{}<path d="M118 205 Q200 60 282 205 Z" fill="{metal}" stroke="{shade}" stroke-width="3"/>{}"##,
                ring_band(look, 18.0),
                (0..4)
                    .map(|row| {
                        let y = 190.0 - row as f32 * 18.0;
                        let half = 70.0 - row as f32 * 15.0;
                        pave(&arc_points(200.0, y, half, 0.0, 180.0, 360.0, 7 - row), 6.5)
                    })
                    .collect::<String>()
            ),
            (200.0, 160.0),
        ),
        Form::WaveRing => (
            format!(
                r##"<path d="M108 250 A92 92 0 0 0 292 250" fill="none" stroke="{shade}" stroke-width="16"/><path d="M108 250 A92 92 0 0 0 292 250" fill="none" stroke="{metal}" stroke-width="12"/><path d="M108 250 C110 150 160 190 200 160 C240 130 270 190 292 250" fill="none" stroke="{shade}" stroke-width="18"/><path d="M108 250 C110 150 160 190 200 160 C240 130 270 190 292 250" fill="none" stroke="{metal}" stroke-width="13"/>"##
            ),
            (200.0, 165.0),
        ),
        _ => (ring_band(look, 22.0), (200.0, 158.0)),
    };
    if look.diamonds && look.form != Form::Dome {
        svg += &pave(&arc_points(200.0, 250.0, 92.0, 92.0, 200.0, 340.0, 11), 6.0);
    }
    if look.metal == Metal::SteelAndGold {
        svg += &format!(
            r##"<circle cx="200" cy="250" r="92" fill="none" stroke="{accent}" stroke-width="3"/>"##
        );
    }
    Piece {
        svg,
        focus,
        zoom: 2.4,
    }
}

fn bracelet(look: &Look) -> Piece {
    let (metal, shade) = look.metal.colours();
    let (cx, cy, rx, ry) = (200.0, 200.0, 130.0, 78.0);
    let ellipse = |width: f32, colour: &str| {
        format!(
            r##"<ellipse cx="{cx}" cy="{cy}" rx="{rx}" ry="{ry}" fill="none" stroke="{colour}" stroke-width="{width}"/>"##
        )
    };
    let mut svg = String::new();
    let stone = look.stone.unwrap_or(Stone::Diamond);
    let focus = (cx, cy + ry);
    match look.form {
        Form::Tennis => {
            svg += &ellipse(10.0, shade);
            let points = arc_points(cx, cy, rx, ry, 0.0, 350.0, 30);
            for (i, &(x, y)) in points.iter().enumerate() {
                // Coloured stones alternate with diamonds when both are set.
                let s = if stone != Stone::Diamond && i % 2 == 0 {
                    stone
                } else {
                    Stone::Diamond
                };
                let cut = if s == Stone::Diamond {
                    Cut::Round
                } else {
                    look.cut
                };
                svg += &gem(s, cut, x, y, if s == Stone::Diamond { 8.0 } else { 10.0 });
            }
        }
        Form::Bangle => {
            svg += &ellipse(20.0, shade);
            svg += &ellipse(15.0, metal);
            svg += &pave(&arc_points(cx, cy, rx, ry, 30.0, 150.0, 7), 6.0);
        }
        Form::Cuff => {
            let inlay = look.stone.filter(|s| s.is_smooth()).map(|s| s.colours().0);
            // An open C, in metal or in a smooth inlay edged with metal.
            let arc = r#"d="M95 140 A130 78 0 1 0 305 140" fill="none""#;
            svg += &format!(
                r##"<path {arc} stroke="{shade}" stroke-width="46"/><path {arc} stroke="{}" stroke-width="40"/>"##,
                inlay.unwrap_or(metal)
            );
            if inlay.is_some() {
                for dy in [-20, 20] {
                    svg += &format!(
                        r##"<path {arc} stroke="{metal}" stroke-width="4" transform="translate(0 {dy})"/>"##
                    );
                }
            }
            if look.diamonds {
                let rows = if inlay.is_some() {
                    vec![-20.0]
                } else {
                    vec![-10.0, 10.0]
                };
                for dy in rows {
                    svg += &pave(&arc_points(cx, cy + dy, rx, ry, 10.0, 170.0, 15), 5.0);
                }
            }
        }
        Form::LinkBracelet => {
            for (i, (x, y)) in arc_points(cx, cy, rx, ry, 0.0, 345.0, 16)
                .into_iter()
                .enumerate()
            {
                let angle = 360.0 * i as f32 / 16.0 + 90.0;
                svg += &format!(
                    r##"<ellipse cx="{x}" cy="{y}" rx="22" ry="12" fill="none" stroke="{metal}" stroke-width="7" transform="rotate({angle} {x} {y})"/>"##
                );
            }
        }
        Form::PearlBracelet => {
            svg += &ellipse(2.0, "#e4dccd");
            for (x, y) in arc_points(cx, cy, rx, ry, 100.0, 440.0, 26) {
                svg += &gem(Stone::Pearl, Cut::Round, x, y, 11.0);
            }
            svg += &format!(
                r##"<rect x="{}" y="{}" width="22" height="14" rx="4" fill="{metal}" stroke="{shade}"/>"##,
                cx - 11.0,
                cy + ry - 7.0
            );
        }
        _ => {
            // A fine curb chain with an identity plate.
            svg += &ellipse(7.0, shade);
            svg += &format!(
                r##"<ellipse cx="{cx}" cy="{cy}" rx="{rx}" ry="{ry}" fill="none" stroke="{metal}" stroke-width="6" stroke-dasharray="7 3"/><rect x="150" y="{}" width="100" height="34" rx="10" fill="{metal}" stroke="{shade}" stroke-width="3"/>"##,
                cy + ry - 17.0
            );
        }
    }
    Piece {
        svg,
        focus,
        zoom: 2.4,
    }
}

/// A curve from (80, 60) to (320, 60) through (200, y_low): the necklace's chain.
fn chain_points(low: f32, n: usize, from: f32, to: f32) -> Vec<(f32, f32)> {
    (0..n)
        .map(|i| {
            let t = from
                + (to - from)
                    * if n > 1 {
                        i as f32 / (n - 1) as f32
                    } else {
                        0.5
                    };
            let control = 2.0 * low - 60.0;
            let x = (1.0 - t) * (1.0 - t) * 80.0 + 2.0 * (1.0 - t) * t * 200.0 + t * t * 320.0;
            let y = (1.0 - t) * (1.0 - t) * 60.0 + 2.0 * (1.0 - t) * t * control + t * t * 60.0;
            (round1(x), round1(y))
        })
        .collect()
}

fn necklace(look: &Look) -> Piece {
    let (metal, shade) = look.metal.colours();
    let stone = look.stone.unwrap_or(Stone::Diamond);
    let chain = |low: f32, width: f32| {
        format!(
            r##"<path d="M80 60 Q200 {} 320 60" fill="none" stroke="{metal}" stroke-width="{width}"/>"##,
            2.0 * low - 60.0
        )
    };
    match look.form {
        Form::Sautoir => {
            let mut svg = String::new();
            for (low, n) in [(250.0, 27), (330.0, 33)] {
                for (x, y) in chain_points(low, n, 0.0, 1.0) {
                    svg += &gem(Stone::Pearl, Cut::Round, x, y, 6.5);
                }
            }
            Piece {
                svg,
                focus: (200.0, 320.0),
                zoom: 3.0,
            }
        }
        Form::Riviere => {
            let mut svg = chain(230.0, 2.0);
            let points = chain_points(230.0, 23, 0.08, 0.92);
            for (i, &(x, y)) in points.iter().enumerate() {
                // Graduated: larger towards the centre.
                let from_centre = (i as f32 - 11.0).abs() / 11.0;
                svg += &gem(
                    Stone::Diamond,
                    Cut::Round,
                    x,
                    y,
                    round1(9.0 - 4.0 * from_centre),
                );
            }
            let centre = stone != Stone::Diamond || look.cut != Cut::Round;
            if centre {
                let r = stone_radius(look, 20.0).min(34.0);
                svg += &format!(
                    r##"<line x1="200" y1="238" x2="200" y2="256" stroke="{shade}" stroke-width="3"/>"##
                );
                svg += &gem(stone, look.cut, 200.0, 258.0 + r, r);
            }
            Piece {
                svg,
                focus: (200.0, if centre { 270.0 } else { 230.0 }),
                zoom: 2.6,
            }
        }
        Form::Medallion => {
            let svg = format!(
                r##"{}<circle cx="200" cy="232" r="9" fill="none" stroke="{metal}" stroke-width="4"/><circle cx="200" cy="285" r="46" fill="{metal}" stroke="{shade}" stroke-width="4"/><circle cx="200" cy="285" r="34" fill="none" stroke="{shade}" stroke-width="1.5"/><path d="M200 262 l7 15 l16 2 l-12 11 l3 16 l-14 -8 l-14 8 l3 -16 l-12 -11 l16 -2 Z" fill="{shade}" fill-opacity=".6"/>"##,
                chain(225.0, 3.0)
            );
            Piece {
                svg,
                focus: (200.0, 280.0),
                zoom: 2.6,
            }
        }
        _ => {
            // A pendant: a bail and the stone, framed when it has diamonds.
            let r = stone_radius(look, 22.0).min(36.0);
            let cy = 245.0 + r;
            let mut svg = format!(
                r##"{}<circle cx="200" cy="232" r="7" fill="none" stroke="{metal}" stroke-width="3"/>"##,
                chain(225.0, 2.0)
            );
            if stone.is_smooth() {
                // A disc of onyx (or a pearl) with a diamond at its heart.
                svg += &format!(
                    r##"<circle cx="200" cy="{cy}" r="{}" fill="{metal}"/>"##,
                    r + 4.0
                );
                svg += &gem(stone, Cut::Round, 200.0, cy, r);
                if look.diamonds {
                    svg += &gem(Stone::Diamond, Cut::Round, 200.0, cy, 6.0);
                }
            } else {
                if look.diamonds {
                    svg += &pave(
                        &arc_points(200.0, cy, r * 0.85 + 8.0, r + 8.0, 0.0, 345.0, 18),
                        3.6,
                    );
                }
                svg += &gem(stone, look.cut, 200.0, cy, r);
            }
            Piece {
                svg,
                focus: (200.0, cy),
                zoom: 2.6,
            }
        }
    }
}

fn earrings(look: &Look) -> Piece {
    let (metal, shade) = look.metal.colours();
    let stone = look.stone.unwrap_or(Stone::Diamond);
    let one = |x: f32| -> String {
        match look.form {
            Form::Hoops => {
                let mut s = format!(
                    r##"<circle cx="{x}" cy="210" r="58" fill="none" stroke="{shade}" stroke-width="14"/><circle cx="{x}" cy="210" r="58" fill="none" stroke="{metal}" stroke-width="10"/>"##
                );
                if look.diamonds {
                    s += &pave(&arc_points(x, 210.0, 58.0, 58.0, -60.0, 240.0, 14), 4.5);
                }
                s
            }
            Form::Drops => {
                let mut s = gem(Stone::Diamond, Cut::Round, x, 130.0, 9.0);
                s += &format!(
                    r##"<line x1="{x}" y1="139" x2="{x}" y2="175" stroke="{metal}" stroke-width="3"/>"##
                );
                if look.diamonds && stone != Stone::Diamond {
                    s += &pave(&arc_points(x, 157.0, 0.0, 14.0, -90.0, 90.0, 3), 3.5);
                }
                let r = if stone == Stone::Pearl { 30.0 } else { 36.0 };
                let cut = if stone == Stone::Pearl {
                    Cut::Round
                } else {
                    Cut::Pear
                };
                s += &gem(stone, cut, x, 175.0 + r, r);
                s
            }
            Form::Chandelier => {
                let mut s = gem(Stone::Diamond, Cut::Round, x, 110.0, 8.0);
                for (row, (count, r)) in [(2usize, 8.0f32), (3, 9.0), (4, 11.0)]
                    .into_iter()
                    .enumerate()
                {
                    let y = 150.0 + row as f32 * 55.0;
                    let width = (count as f32 - 1.0) * 22.0;
                    for i in 0..count {
                        let px = x - width / 2.0 + i as f32 * 22.0;
                        s += &format!(
                            r##"<line x1="{x}" y1="118" x2="{px}" y2="{}" stroke="{shade}" stroke-width="1.5"/>"##,
                            y - r
                        );
                        let cut = if row == 2 { Cut::Pear } else { Cut::Marquise };
                        s += &gem(Stone::Diamond, cut, px, y, r);
                    }
                }
                s
            }
            Form::Climbers => {
                let mut s = format!(
                    r##"<path d="M{x} 300 Q{} 200 {x} 100" fill="none" stroke="{metal}" stroke-width="6"/>"##,
                    x + 50.0
                );
                let points: Vec<(f32, f32)> = (0..7)
                    .map(|i| {
                        let t = i as f32 / 6.0;
                        let px = (1.0 - t) * (1.0 - t) * x
                            + 2.0 * (1.0 - t) * t * (x + 50.0)
                            + t * t * x;
                        (round1(px), round1(300.0 - 200.0 * t))
                    })
                    .collect();
                for (i, &(px, py)) in points.iter().enumerate() {
                    let r = 13.0 - i as f32 * 1.2;
                    let s_i = if i % 2 == 0 { stone } else { Stone::Diamond };
                    let cut = if s_i == Stone::Diamond {
                        Cut::Round
                    } else {
                        Cut::Oval
                    };
                    s += &gem(s_i, cut, px, py, round1(r));
                }
                s
            }
            _ => {
                let r = stone_radius(look, 30.0).min(38.0);
                let mut s = format!(
                    r##"<circle cx="{x}" cy="200" r="{}" fill="{shade}"/>"##,
                    r + 3.0
                );
                s += &gem(stone, look.cut, x, 200.0, r);
                for (dx, dy) in [(-0.7f32, -0.7f32), (0.7, -0.7), (-0.7, 0.7), (0.7, 0.7)] {
                    s += &format!(
                        r##"<circle cx="{}" cy="{}" r="3.5" fill="{metal}"/>"##,
                        round1(x + r * dx),
                        round1(200.0 + r * dy)
                    );
                }
                s
            }
        }
    };
    Piece {
        svg: format!("{}{}", one(130.0), one(270.0)),
        focus: (130.0, 200.0),
        zoom: 2.3,
    }
}

fn watch(look: &Look) -> Piece {
    let (metal, shade) = look.metal.colours();
    let w = look.watch;
    let r = round1(30.0 + f32::from(w.case_mm) * 1.3);
    let (cx, cy) = (200.0, 200.0);
    let band_w = round1(r * 0.9);
    let mut svg = match w.strap {
        Some(leather) => format!(
            r##"<rect x="{x}" y="20" width="{band_w}" height="360" rx="16" fill="{leather}"/><g stroke="#ffffff" stroke-opacity=".35" stroke-dasharray="4 4"><line x1="{l}" y1="30" x2="{l}" y2="370"/><line x1="{rr}" y1="30" x2="{rr}" y2="370"/></g>"##,
            x = cx - band_w / 2.0,
            l = cx - band_w / 2.0 + 6.0,
            rr = cx + band_w / 2.0 - 6.0
        ),
        None => {
            // A metal bracelet: rows of links, gold centre links on two-tone.
            let mut s = String::new();
            let mut y = 20.0;
            while y < 380.0 {
                s += &format!(
                    r##"<rect x="{}" y="{y}" width="{band_w}" height="16" rx="3" fill="{metal}" stroke="{shade}"/><rect x="{}" y="{y}" width="{}" height="16" fill="{}" stroke="{shade}"/>"##,
                    cx - band_w / 2.0,
                    cx - band_w / 6.0,
                    round1(band_w / 3.0),
                    look.metal.accent()
                );
                y += 18.0;
            }
            s
        }
    };
    svg += &format!(
        r##"<rect x="{}" y="{}" width="12" height="22" rx="3" fill="{metal}" stroke="{shade}"/><circle cx="{cx}" cy="{cy}" r="{}" fill="{shade}"/><circle cx="{cx}" cy="{cy}" r="{r}" fill="{}"/>"##,
        cx + r + 4.0,
        cy - 11.0,
        r + 6.0,
        look.metal.accent()
    );
    let face = round1(r - 10.0);
    let dial = match w.dial {
        Dial::White => "#fbf8f3",
        Dial::Silvered => "#e3e5e8",
        Dial::MotherOfPearl => "#f3eef0",
        Dial::Blue => "#23457d",
        Dial::Aventurine => "#1b2452",
        Dial::Enamel => "#fffdf7",
        Dial::Black | Dial::Skeleton => "#1c1a1a",
        Dial::Pave => "#ffffff",
    };
    let dark = matches!(
        w.dial,
        Dial::Blue | Dial::Aventurine | Dial::Black | Dial::Skeleton
    );
    let ink = if dark { "#f1e9dc" } else { "#2a2624" };
    svg += &format!(r##"<circle cx="{cx}" cy="{cy}" r="{face}" fill="{dial}"/>"##);
    match w.dial {
        Dial::Pave => {
            for ring in 1..=3 {
                let rr = face * ring as f32 / 3.4;
                svg += &pave(&arc_points(cx, cy, rr, rr, 0.0, 330.0, 4 + ring * 5), 3.2);
            }
        }
        Dial::Skeleton => {
            for (gx, gy, gr) in [
                (cx - 18.0, cy - 14.0, 20.0),
                (cx + 20.0, cy + 10.0, 16.0),
                (cx - 6.0, cy + 26.0, 11.0),
            ] {
                svg += &format!(
                    r##"<circle cx="{gx}" cy="{gy}" r="{gr}" fill="none" stroke="{metal}" stroke-width="5" stroke-dasharray="3 2"/><circle cx="{gx}" cy="{gy}" r="3" fill="{metal}"/>"##
                );
            }
        }
        Dial::Aventurine => {
            for (sx, sy) in [
                (-30.0f32, -20.0f32),
                (22.0, -34.0),
                (34.0, 12.0),
                (-12.0, 30.0),
                (8.0, -8.0),
            ] {
                svg += &format!(
                    r##"<circle cx="{}" cy="{}" r="1.4" fill="#f6e7b0"/>"##,
                    cx + sx,
                    cy + sy
                );
            }
        }
        Dial::Silvered => {
            for k in 1..5 {
                svg += &format!(
                    r##"<circle cx="{cx}" cy="{cy}" r="{}" fill="none" stroke="#c9cdd2" stroke-width="1"/>"##,
                    round1(face * k as f32 / 5.0)
                );
            }
        }
        _ => {}
    }
    match w.complication {
        Complication::Chronograph => {
            for dx in [-0.42f32, 0.42] {
                svg += &format!(
                    r##"<circle cx="{}" cy="{cy}" r="{}" fill="none" stroke="{ink}" stroke-width="1.5"/>"##,
                    round1(cx + face * dx),
                    round1(face * 0.22)
                );
            }
        }
        Complication::MoonPhase | Complication::PerpetualCalendar => {
            let my = round1(cy + face * 0.45);
            svg += &format!(
                r##"<path d="M{} {my} A{} {} 0 0 1 {} {my} Z" fill="#1b2452"/><circle cx="{cx}" cy="{}" r="{}" fill="#f3dfa2"/>"##,
                round1(cx - face * 0.3),
                round1(face * 0.3),
                round1(face * 0.3),
                round1(cx + face * 0.3),
                round1(my - face * 0.14),
                round1(face * 0.1)
            );
            if w.complication == Complication::PerpetualCalendar {
                for dx in [-0.45f32, 0.45] {
                    svg += &format!(
                        r##"<circle cx="{}" cy="{}" r="{}" fill="none" stroke="{ink}" stroke-width="1.5"/>"##,
                        round1(cx + face * dx),
                        round1(cy - face * 0.05),
                        round1(face * 0.2)
                    );
                }
            }
        }
        Complication::None => {}
    }
    // Hour markers and hands.
    for (x, y) in arc_points(cx, cy, face * 0.85, face * 0.85, 0.0, 330.0, 12) {
        svg += &format!(r##"<circle cx="{x}" cy="{y}" r="2" fill="{ink}"/>"##);
    }
    svg += &format!(
        r##"<g stroke="{ink}" stroke-linecap="round"><line x1="{cx}" y1="{cy}" x2="{cx}" y2="{}" stroke-width="4"/><line x1="{cx}" y1="{cy}" x2="{}" y2="{}" stroke-width="3"/></g><circle cx="{cx}" cy="{cy}" r="4" fill="{ink}"/>"##,
        round1(cy - face * 0.7),
        round1(cx + face * 0.45),
        round1(cy + face * 0.2)
    );
    if w.diamond_bezel {
        svg += &pave(&arc_points(cx, cy, r - 4.0, r - 4.0, 0.0, 350.0, 24), 3.6);
    }
    Piece {
        svg,
        focus: (cx, cy),
        zoom: 1.9,
    }
}

fn leather(look: &Look) -> Piece {
    let hide = look.leather;
    let hardware = look.metal.colours().0;
    let stitch = r##"fill="none" stroke="#ffffff" stroke-opacity=".45" stroke-width="1.5" stroke-dasharray="5 4""##;
    let (svg, focus) = match look.form {
        Form::CardHolder => (
            format!(
                r##"<rect x="110" y="130" width="180" height="130" rx="8" fill="{hide}"/><rect x="118" y="138" width="164" height="114" rx="5" {stitch}/><path d="M110 165 H290 M110 192 H290" stroke="#000000" stroke-opacity=".25" stroke-width="2"/><path d="M160 165 Q200 185 240 165" fill="none" stroke="#000000" stroke-opacity=".3" stroke-width="2"/>"##
            ),
            (200.0, 170.0),
        ),
        Form::Wallet => (
            format!(
                r##"<rect x="90" y="120" width="220" height="150" rx="10" fill="{hide}"/><path d="M90 185 H250 Q270 185 270 195 V270" fill="none" stroke="#000000" stroke-opacity=".25" stroke-width="2"/><rect x="98" y="128" width="204" height="134" rx="7" {stitch}/><circle cx="285" cy="200" r="11" fill="{hardware}" stroke="#00000040"/>"##
            ),
            (280.0, 200.0),
        ),
        Form::PassportCover => (
            format!(
                r##"<rect x="130" y="80" width="140" height="200" rx="8" fill="{hide}"/><rect x="138" y="88" width="124" height="184" rx="5" {stitch}/><circle cx="200" cy="160" r="26" fill="none" stroke="#000000" stroke-opacity=".3" stroke-width="3"/><path d="M180 225 H220" stroke="#000000" stroke-opacity=".3" stroke-width="3"/>"##
            ),
            (200.0, 160.0),
        ),
        Form::TopHandleBag => (
            format!(
                r##"<path d="M150 150 Q150 70 200 70 Q250 70 250 150" fill="none" stroke="{hide}" stroke-width="12"/><path d="M95 150 H305 L320 320 H80 Z" fill="{hide}"/><path d="M95 150 H305 L300 215 Q200 235 100 215 Z" fill="#000000" fill-opacity=".18"/><rect x="184" y="210" width="32" height="24" rx="4" fill="{hardware}"/><path d="M100 160 H300" {stitch}/>"##
            ),
            (200.0, 215.0),
        ),
        Form::Tote => (
            format!(
                r##"<path d="M140 150 Q140 50 175 50 M225 50 Q260 50 260 150" fill="none" stroke="{hide}" stroke-width="9"/><path d="M175 50 H225" stroke="{hide}" stroke-width="9"/><path d="M90 140 H310 L295 340 H105 Z" fill="{hide}"/><path d="M95 152 H305" {stitch}/>"##
            ),
            (200.0, 150.0),
        ),
        Form::Belt => (
            format!(
                r##"<circle cx="200" cy="210" r="110" fill="none" stroke="{hide}" stroke-width="34"/><circle cx="200" cy="210" r="76" fill="none" stroke="{hide}" stroke-width="30"/><rect x="270" y="180" width="56" height="62" rx="8" fill="none" stroke="{hardware}" stroke-width="9"/><circle cx="200" cy="210" r="110" {stitch}/>"##
            ),
            (298.0, 211.0),
        ),
        Form::KeyHolder => (
            format!(
                r##"<circle cx="200" cy="110" r="30" fill="none" stroke="{hardware}" stroke-width="7"/><rect x="160" y="140" width="80" height="140" rx="30" fill="{hide}"/><rect x="168" y="148" width="64" height="124" rx="24" {stitch}/><path d="M200 130 V200" stroke="{hardware}" stroke-width="5"/>"##
            ),
            (200.0, 125.0),
        ),
        Form::Briefcase => (
            format!(
                r##"<path d="M170 130 V105 H230 V130" fill="none" stroke="{hide}" stroke-width="12"/><rect x="70" y="130" width="260" height="190" rx="12" fill="{hide}"/><path d="M70 190 H330" stroke="#000000" stroke-opacity=".25" stroke-width="3"/><rect x="110" y="182" width="26" height="18" rx="3" fill="{hardware}"/><rect x="264" y="182" width="26" height="18" rx="3" fill="{hardware}"/>"##
            ),
            (200.0, 150.0),
        ),
        Form::TravelCase => (
            format!(
                r##"<rect x="90" y="120" width="220" height="180" rx="40" fill="{hide}"/><rect x="100" y="130" width="200" height="160" rx="32" fill="none" stroke="{hardware}" stroke-width="3"/><rect x="292" y="150" width="10" height="30" rx="3" fill="{hardware}"/><rect x="112" y="142" width="176" height="136" rx="26" {stitch}/>"##
            ),
            (290.0, 165.0),
        ),
        Form::WatchRoll => (
            format!(
                r##"<rect x="80" y="160" width="240" height="100" fill="{hide}"/><ellipse cx="80" cy="210" rx="24" ry="50" fill="{hide}"/><ellipse cx="320" cy="210" rx="24" ry="50" fill="#000000" fill-opacity=".25"/><ellipse cx="320" cy="210" rx="24" ry="50" fill="none" stroke="{hide}" stroke-width="3"/><rect x="185" y="160" width="30" height="100" fill="#000000" fill-opacity=".2"/><rect x="190" y="228" width="20" height="14" rx="3" fill="{hardware}"/>"##
            ),
            (200.0, 230.0),
        ),
        Form::Clutch => (
            format!(
                r##"<path d="M110 150 Q200 40 290 150" fill="none" stroke="{hardware}" stroke-width="3" stroke-dasharray="6 3"/><rect x="70" y="150" width="260" height="120" rx="8" fill="{hide}"/><path d="M70 150 L200 225 L330 150 Z" fill="#000000" fill-opacity=".25"/><circle cx="200" cy="222" r="10" fill="{hardware}"/>"##
            ),
            (200.0, 215.0),
        ),
        Form::Weekender => (
            format!(
                r##"<path d="M145 160 Q150 90 200 90 Q250 90 255 160" fill="none" stroke="{hide}" stroke-width="10"/><rect x="50" y="150" width="300" height="160" rx="70" fill="{hide}"/><path d="M80 165 H320" stroke="{hardware}" stroke-width="4"/><rect x="300" y="158" width="10" height="22" rx="3" fill="{hardware}"/><path d="M60 230 H340" {stitch}/>"##
            ),
            (290.0, 170.0),
        ),
        Form::Box => {
            let (metal, shade) = look.metal.colours();
            (
                format!(
                    r##"<rect x="100" y="150" width="200" height="150" rx="6" fill="#7a1f2b"/><rect x="92" y="120" width="216" height="50" rx="6" fill="#8e2733"/><rect x="188" y="165" width="24" height="20" rx="3" fill="{metal}" stroke="{shade}"/>"##
                ),
                (200.0, 170.0),
            )
        }
        _ => (
            format!(
                r##"<path d="M100 170 Q200 120 300 170 V290 Q200 320 100 290 Z" fill="{hide}"/><path d="M100 170 Q200 225 300 170" fill="none" stroke="#000000" stroke-opacity=".25" stroke-width="3"/><circle cx="200" cy="196" r="8" fill="{hardware}"/>"##
            ),
            (200.0, 196.0),
        ),
    };
    Piece {
        svg,
        focus,
        zoom: 2.2,
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
