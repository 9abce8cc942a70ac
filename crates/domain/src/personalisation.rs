//! Personalisation (rule R9): engraved text and embossed initials, checked
//! against what the creation offers. A personalised line is final sale.

use serde::Serialize;

use crate::catalog::{Creation, PersonalisationOption};

/// A personalisation the client asked for, once checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Personalisation {
    /// Lines separated by `\n`, each trimmed.
    Engraving { text: String },
    /// Upper-case letters, such as `JMS`.
    Embossing { text: String },
}

impl Personalisation {
    pub fn kind(&self) -> &'static str {
        match self {
            Personalisation::Engraving { .. } => "engraving",
            Personalisation::Embossing { .. } => "embossing",
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Personalisation::Engraving { text } | Personalisation::Embossing { text } => text,
        }
    }

    /// `Engraving: “For ever”` for documents and pages.
    pub fn describe(&self) -> String {
        match self {
            Personalisation::Engraving { text } => {
                format!("Engraving: “{}”", text.replace('\n', " / "))
            }
            Personalisation::Embossing { text } => format!("Embossed initials: {text}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidPersonalisation(pub String);

/// Punctuation an engraver can cut besides letters, digits and spaces.
pub const ENGRAVING_MARKS: &str = ".,'’&-!?:♥+";

/// A refused character as a client reads it, as the subject of a sentence: the
/// character itself between quotation marks (`The character “😀”`), or, when it
/// would print as nothing, as a gap or on the letter before it (a tab, a control
/// or formatting character, an unusual space, a combining accent), its name and
/// code point (`A tab (U+0009)`).
fn refused_character(c: char) -> String {
    let name = match c {
        '\t' => "A tab",
        '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => "A line break",
        '\0' => "A null character",
        '\u{300}'..='\u{36f}'
        | '\u{1ab0}'..='\u{1aff}'
        | '\u{1dc0}'..='\u{1dff}'
        | '\u{20d0}'..='\u{20ff}' => "A combining accent",
        c if c.is_whitespace() && c != ' ' => "A space",
        c if c.is_control() || is_invisible(c) => "An invisible character",
        c => return format!("The character “{c}”"),
    };
    format!("{name} (U+{:04X})", u32::from(c))
}

/// Formatting characters, fillers and selectors that print as nothing.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}'
            | '\u{34f}'
            | '\u{61c}'
            | '\u{115f}'
            | '\u{1160}'
            | '\u{17b4}'
            | '\u{17b5}'
            | '\u{180b}'..='\u{180f}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{3164}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{feff}'
            | '\u{ffa0}'
            | '\u{fff0}'..='\u{fff8}'
            | '\u{1d173}'..='\u{1d17a}'
            | '\u{e0000}'..='\u{e0fff}'
    )
}

/// Checks `kind` and `text` against what `creation` offers.
pub fn personalise(
    creation: &Creation,
    kind: &str,
    text: &str,
) -> Result<Personalisation, InvalidPersonalisation> {
    let offered = creation.personalisation.iter().find(|o| o.kind() == kind);
    let Some(option) = offered else {
        let offers: Vec<&str> = creation.personalisation.iter().map(|o| o.kind()).collect();
        return Err(InvalidPersonalisation(if offers.is_empty() {
            format!("{} cannot be personalised.", creation.name)
        } else {
            format!("{} offers {} only.", creation.name, offers.join(" and "))
        }));
    };
    match *option {
        PersonalisationOption::Engraving {
            max_lines,
            max_characters_per_line,
        } => {
            let normalised = text.replace("\r\n", "\n");
            let lines: Vec<&str> = normalised.split('\n').map(str::trim).collect();
            if lines.iter().all(|l| l.is_empty()) {
                return Err(InvalidPersonalisation("Write the text to engrave.".into()));
            }
            if lines.len() > usize::from(max_lines) {
                return Err(InvalidPersonalisation(format!(
                    "The engraving holds at most {max_lines} line(s)."
                )));
            }
            for line in &lines {
                if line.chars().count() > usize::from(max_characters_per_line) {
                    return Err(InvalidPersonalisation(format!(
                        "Each engraved line holds at most {max_characters_per_line} characters."
                    )));
                }
                if let Some(bad) = line
                    .chars()
                    .find(|c| !(c.is_alphanumeric() || *c == ' ' || ENGRAVING_MARKS.contains(*c)))
                {
                    return Err(InvalidPersonalisation(format!(
                        "{} cannot be engraved: use letters, digits, spaces and {ENGRAVING_MARKS}",
                        refused_character(bad)
                    )));
                }
            }
            Ok(Personalisation::Engraving {
                text: lines.join("\n"),
            })
        }
        PersonalisationOption::Embossing { max_initials } => {
            let letters: String = text
                .chars()
                .filter(|c| !matches!(c, ' ' | '.'))
                .flat_map(char::to_uppercase)
                .collect();
            if letters.is_empty() {
                return Err(InvalidPersonalisation(
                    "Write the initials to emboss.".into(),
                ));
            }
            if !letters.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(InvalidPersonalisation(
                    "Embossing takes the letters A to Z only.".into(),
                ));
            }
            if letters.chars().count() > usize::from(max_initials) {
                return Err(InvalidPersonalisation(format!(
                    "Embossing takes at most {max_initials} initials."
                )));
            }
            Ok(Personalisation::Embossing { text: letters })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{SaleMode, Variant};
    use crate::{Money, Sku, Slug};

    fn creation(options: Vec<PersonalisationOption>) -> Creation {
        let sku = Sku::parse("VAL-RNG-002").expect("valid");
        Creation {
            sku: sku.clone(),
            slug: Slug::parse("band").expect("valid"),
            name: "Band".into(),
            category: Slug::parse("rings").expect("valid"),
            collection: None,
            description: String::new(),
            materials: vec![],
            sale_mode: SaleMode::Online,
            price: Some(Money::usd_dollars(1000)),
            flagged_unavailable: false,
            variants: vec![Variant {
                sku,
                size: None,
                on_hand: 1,
            }],
            personalisation: options,
        }
    }

    fn engraving(lines: u8, chars: u8) -> PersonalisationOption {
        PersonalisationOption::Engraving {
            max_lines: lines,
            max_characters_per_line: chars,
        }
    }

    #[test]
    fn an_engraving_within_the_rules_is_kept_trimmed() {
        let c = creation(vec![engraving(2, 22)]);
        assert_eq!(
            personalise(&c, "engraving", "  À toi, pour toujours ♥ \n 12.06.2026 "),
            Ok(Personalisation::Engraving {
                text: "À toi, pour toujours ♥\n12.06.2026".into()
            })
        );
    }

    #[test]
    fn an_engraving_too_long_or_on_too_many_lines_is_refused() {
        let c = creation(vec![engraving(1, 10)]);
        assert!(personalise(&c, "engraving", "Eleven char").is_err());
        assert!(personalise(&c, "engraving", "One\nTwo").is_err());
        assert!(personalise(&c, "engraving", "Ten chars!").is_ok());
        assert!(personalise(&c, "engraving", "   ").is_err());
    }

    #[test]
    fn characters_an_engraver_cannot_cut_are_refused() {
        let c = creation(vec![engraving(1, 20)]);
        for bad in ["<script>", "a\tb", "emoji 😀", "50%", "x\u{0}y"] {
            assert!(personalise(&c, "engraving", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_refusal_of_a_character_shows_the_character_itself_between_quotation_marks() {
        let c = creation(vec![engraving(1, 20)]);
        let err = personalise(&c, "engraving", "emoji 😀").expect_err("emoji");
        assert!(
            err.0.starts_with("The character “😀” cannot be engraved"),
            "{err}"
        );
        assert!(!err.0.contains("\\u{"), "{err}");
        let err = personalise(&c, "engraving", "50%").expect_err("percent");
        assert!(err.0.starts_with("The character “%” cannot"), "{err}");
        let err = personalise(&c, "engraving", "Ü<3").expect_err("less-than");
        assert!(err.0.starts_with("The character “<” cannot"), "{err}");
    }

    #[test]
    fn the_refusal_of_a_character_that_prints_as_nothing_names_it() {
        let c = creation(vec![engraving(1, 20)]);
        for (text, shown) in [
            ("a\tb", "A tab (U+0009) cannot be engraved"),
            ("x\u{0}y", "A null character (U+0000) cannot"),
            (
                "zero\u{200b}width",
                "An invisible character (U+200B) cannot",
            ),
            ("no\u{a0}break", "A space (U+00A0) cannot"),
            ("Ame\u{301}lie", "A combining accent (U+0301) cannot"),
        ] {
            let err = personalise(&c, "engraving", text).expect_err(text);
            assert!(err.0.starts_with(shown), "{err}");
        }
    }

    #[test]
    fn initials_are_upper_cased_letters_within_the_limit() {
        let c = creation(vec![PersonalisationOption::Embossing { max_initials: 3 }]);
        assert_eq!(
            personalise(&c, "embossing", "j.m.s."),
            Ok(Personalisation::Embossing { text: "JMS".into() })
        );
        assert!(personalise(&c, "embossing", "ABCD").is_err());
        assert!(personalise(&c, "embossing", "É").is_err());
        assert!(personalise(&c, "embossing", "A1").is_err());
        assert!(personalise(&c, "embossing", "").is_err());
    }

    #[test]
    fn a_personalisation_the_creation_does_not_offer_is_refused() {
        let c = creation(vec![engraving(1, 20)]);
        let err = personalise(&c, "embossing", "AB").expect_err("not offered");
        assert!(err.0.contains("engraving only"), "{err}");
        let plain = creation(vec![]);
        assert!(personalise(&plain, "engraving", "Hi").is_err());
        assert!(personalise(&c, "tattoo", "Hi").is_err());
    }
}
