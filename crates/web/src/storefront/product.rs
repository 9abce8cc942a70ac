//! The product page's bag form, prepared from the creation: its sizes as
//! buttons, and each personalisation it offers with the rules the engraver
//! will apply (the same rules the domain checks, so the page cannot promise
//! what the bag refuses).

use maison_domain::catalog::{Availability, Creation, PersonalisationOption};
use maison_domain::personalisation::ENGRAVING_MARKS;

/// One size button.
pub struct SizeButton {
    /// The radio button's id.
    pub id: String,
    pub sku: String,
    pub size: String,
    pub available: bool,
}

/// One personalisation the creation offers.
pub struct PersonalisationChoice {
    /// `engraving` or `embossing`, as the bag form sends it.
    pub kind: &'static str,
    /// "Engraving", "Embossed initials".
    pub label: &'static str,
    /// What the text may hold, one rule a line.
    pub rules: Vec<String>,
}

/// The personalisation part of the bag form.
pub struct PersonalisationForm {
    pub choices: Vec<PersonalisationChoice>,
    /// "Text to engrave", "Initials", or both.
    pub field_label: String,
    /// More than one: a text box of that many lines.
    pub lines: u8,
    /// A generous bound for the browser; the rules are checked on the server.
    pub max_length: usize,
    /// The ids of the rules and the final-sale note, for `aria-describedby`.
    pub described_by: String,
}

/// What the bag form of a product page shows.
pub struct PurchaseForm {
    pub sizes: Vec<SizeButton>,
    pub personalisation: Option<PersonalisationForm>,
    /// What the client chose and typed, kept when the bag refused it.
    chosen_sku: String,
    chosen_kind: String,
    pub typed: String,
}

impl PurchaseForm {
    pub fn of(c: &Creation) -> Self {
        PurchaseForm {
            sizes: c
                .variants
                .iter()
                .filter_map(|v| {
                    Some(SizeButton {
                        id: format!("size-{}", v.sku),
                        sku: v.sku.to_string(),
                        size: v.size.clone()?,
                        available: c.variant_availability(v) == Availability::Available,
                    })
                })
                .collect(),
            personalisation: PersonalisationForm::of(c),
            chosen_sku: String::new(),
            chosen_kind: String::new(),
            typed: String::new(),
        }
    }

    /// The same form with the client's size, personalisation and text as
    /// submitted, so that a refusal never makes them choose and type again.
    pub fn keeping(mut self, sku: &str, kind: &str, text: &str) -> Self {
        self.chosen_sku = sku.to_owned();
        self.chosen_kind = kind.to_owned();
        self.typed = text.to_owned();
        self
    }

    pub fn size_is(&self, sku: &str) -> bool {
        self.chosen_sku == sku
    }

    /// Whether `kind` is the chosen personalisation (`none` when nothing was).
    pub fn kind_is(&self, kind: &str) -> bool {
        match self.chosen_kind.as_str() {
            "" => kind == "none",
            chosen => chosen == kind,
        }
    }
}

impl PersonalisationForm {
    fn of(c: &Creation) -> Option<Self> {
        if c.personalisation.is_empty() {
            return None;
        }
        let choices: Vec<PersonalisationChoice> = c
            .personalisation
            .iter()
            .map(|option| PersonalisationChoice {
                kind: option.kind(),
                label: match option {
                    PersonalisationOption::Engraving { .. } => "Engraving",
                    PersonalisationOption::Embossing { .. } => "Embossed initials",
                },
                rules: rules(*option),
            })
            .collect();
        let lines = c
            .personalisation
            .iter()
            .map(|o| match o {
                PersonalisationOption::Engraving { max_lines, .. } => *max_lines,
                PersonalisationOption::Embossing { .. } => 1,
            })
            .max()
            .unwrap_or(1);
        let max_length = c
            .personalisation
            .iter()
            .map(|o| match *o {
                // Each line, and the line breaks between them.
                PersonalisationOption::Engraving {
                    max_lines,
                    max_characters_per_line,
                } => usize::from(max_lines) * (usize::from(max_characters_per_line) + 1),
                // Room for "J. M. S.": dots and spaces are dropped.
                PersonalisationOption::Embossing { max_initials } => usize::from(max_initials) * 3,
            })
            .max()
            .unwrap_or(40);
        let field_label = match choices.as_slice() {
            [only] if only.kind == "engraving" => "Text to engrave".to_owned(),
            [only] if only.kind == "embossing" => "Initials to emboss".to_owned(),
            _ => "Text to engrave, or initials to emboss".to_owned(),
        };
        let mut described_by: Vec<String> = choices
            .iter()
            .map(|ch| format!("rules-{}", ch.kind))
            .collect();
        described_by.push("final-sale-note".to_owned());
        Some(PersonalisationForm {
            choices,
            field_label,
            lines,
            max_length,
            described_by: described_by.join(" "),
        })
    }
}

/// The rules of one personalisation, as a client reads them.
fn rules(option: PersonalisationOption) -> Vec<String> {
    match option {
        PersonalisationOption::Engraving {
            max_lines: 1,
            max_characters_per_line,
        } => vec![
            format!("One line of up to {max_characters_per_line} characters."),
            engraving_characters(),
        ],
        PersonalisationOption::Engraving {
            max_lines,
            max_characters_per_line,
        } => vec![
            format!(
                "Up to {max_lines} lines of {max_characters_per_line} characters each; start a new line with Enter."
            ),
            engraving_characters(),
        ],
        PersonalisationOption::Embossing { max_initials } => vec![
            format!("Up to {max_initials} initials, letters A to Z."),
            "Dots and spaces are left out: “J. M. S.” is embossed JMS.".to_owned(),
        ],
    }
}

fn engraving_characters() -> String {
    let marks: Vec<String> = ENGRAVING_MARKS.chars().map(String::from).collect();
    format!(
        "Letters (accents welcome), digits, spaces and {}",
        marks.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demo(slug: &str) -> Creation {
        maison_demo::creations()
            .into_iter()
            .find(|c| c.slug.as_str() == slug)
            .unwrap_or_else(|| panic!("the demo has {slug}"))
    }

    #[test]
    fn sizes_are_buttons_and_the_sold_out_ones_say_so() {
        let form = PurchaseForm::of(&demo("etoile-pave-band"));
        let sizes: Vec<(&str, bool)> = form
            .sizes
            .iter()
            .map(|s| (s.size.as_str(), s.available))
            .collect();
        assert_eq!(sizes.first(), Some(&("48", true)));
        assert_eq!(sizes.last(), Some(&("60", false)), "out of stock");
        assert_eq!(form.sizes[0].id, "size-VAL-RNG-003-48");
        assert!(
            PurchaseForm::of(&demo("atelier-card-holder"))
                .sizes
                .is_empty()
        );
    }

    #[test]
    fn the_rules_beside_the_field_are_the_domains() {
        let ring = PurchaseForm::of(&demo("etoile-pave-band"))
            .personalisation
            .expect("engraving");
        assert_eq!(ring.field_label, "Text to engrave");
        assert_eq!(ring.lines, 1);
        assert_eq!(ring.max_length, 21);
        let rules = ring.choices[0].rules.join(" ");
        assert!(rules.contains("One line of up to 20 characters"), "{rules}");
        assert!(rules.contains("♥"), "{rules}");
        assert_eq!(ring.described_by, "rules-engraving final-sale-note");

        let watch = PurchaseForm::of(&demo("meridien-watch-36mm-steel-and-gold"))
            .personalisation
            .expect("engraving");
        assert_eq!(watch.lines, 2);
        assert!(watch.choices[0].rules[0].contains("Up to 2 lines of 20 characters"));

        let wallet = PurchaseForm::of(&demo("atelier-compact-wallet"))
            .personalisation
            .expect("embossing");
        assert_eq!(wallet.field_label, "Initials to emboss");
        assert_eq!(wallet.choices[0].label, "Embossed initials");
        assert!(wallet.choices[0].rules[0].contains("Up to 3 initials"));
        assert!(
            PurchaseForm::of(&demo("heritage-hoop-earrings"))
                .personalisation
                .is_none()
        );
    }
}
