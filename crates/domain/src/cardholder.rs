//! The cardholder-name rule (R4): the person who submits the order must be the
//! cardholder named on the card.
//!
//! The local rule compares the name printed on the card with the client's first
//! and last names after normalisation (case, accents, punctuation, spaces,
//! honorifics, suffixes); middle names and initials may be omitted. It is also
//! the simulator's answer to a processor's name verification.

/// Honorifics dropped at the start of a name.
const HONORIFICS: &[&str] = &[
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev",
];

/// Suffixes dropped at the end of a name.
const SUFFIXES: &[&str] = &["jr", "sr", "ii", "iii", "iv", "esq", "phd", "md"];

/// The ASCII spelling of a Latin letter with a diacritic or a ligature, in lower
/// case; `None` for any other character.
fn fold_latin(c: char) -> Option<&'static str> {
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å'
        | 'Ā' | 'Ă' | 'Ą' => "a",
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' | 'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "c",
        'ď' | 'đ' | 'Ď' | 'Đ' => "d",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' | 'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ'
        | 'Ė' | 'Ę' | 'Ě' => "e",
        'ĝ' | 'ğ' | 'ġ' | 'ģ' | 'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "g",
        'ĥ' | 'ħ' | 'Ĥ' | 'Ħ' => "h",
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' | 'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī'
        | 'Ĭ' | 'Į' | 'İ' => "i",
        'ĵ' | 'Ĵ' => "j",
        'ķ' | 'Ķ' => "k",
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' | 'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "l",
        'ñ' | 'ń' | 'ņ' | 'ň' | 'Ñ' | 'Ń' | 'Ņ' | 'Ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø'
        | 'Ō' | 'Ŏ' | 'Ő' => "o",
        'ŕ' | 'ŗ' | 'ř' | 'Ŕ' | 'Ŗ' | 'Ř' => "r",
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' | 'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "s",
        'ţ' | 'ť' | 'ŧ' | 'ț' | 'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "t",
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' | 'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ'
        | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "u",
        'ŵ' | 'Ŵ' => "w",
        'ý' | 'ÿ' | 'ŷ' | 'Ý' | 'Ÿ' | 'Ŷ' => "y",
        'ź' | 'ż' | 'ž' | 'Ź' | 'Ż' | 'Ž' => "z",
        'ß' | 'ẞ' => "ss",
        'æ' | 'Æ' => "ae",
        'œ' | 'Œ' => "oe",
        'þ' | 'Þ' => "th",
        'ð' | 'Ð' => "d",
        _ => return None,
    };
    Some(folded)
}

/// Combining diacritical marks, as left by a decomposed (NFD) spelling.
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// Characters deleted: apostrophes, full stops and commas.
fn is_deleted(c: char) -> bool {
    matches!(c, '\'' | '.' | ',' | '’' | '‘' | '`' | '´' | 'ʼ' | 'ʻ')
}

/// Characters that separate words: white space and dashes.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '‐' | '‑' | '‒' | '–' | '—')
}

/// A name folded for comparison: Latin accents and ligatures spelled in ASCII,
/// lower case, dashes as spaces, apostrophes, full stops and commas deleted,
/// single spaces between words, none at the ends.
///
/// `"  ÉLODIE  Dupont-Lefèvre "` becomes `"elodie dupont lefevre"`, `"O’Neil"`
/// becomes `"oneil"`. Honorifics and suffixes are kept (see [`names_match`]).
pub fn normalise_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars() {
        if is_separator(c) {
            pending_space = true;
            continue;
        }
        if is_deleted(c) || is_combining_mark(c) {
            continue;
        }
        let mut push = |piece: &str| {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push_str(piece);
        };
        if let Some(folded) = fold_latin(c) {
            push(folded);
            continue;
        }
        for lower in c.to_lowercase() {
            if is_combining_mark(lower) {
                continue;
            }
            let mut buf = [0; 4];
            push(fold_latin(lower).unwrap_or_else(|| lower.encode_utf8(&mut buf)));
        }
    }
    out
}

/// The longest cardholder name accepted, in characters: embossed cards carry at
/// most 26, and a client who types the full name rarely needs more than 80. The
/// limit is checked where the name enters ([`crate::card::check_card`]); the
/// comparison below is linear in any case.
pub const MAX_HOLDER_NAME_CHARS: usize = 80;

fn tokens(s: &str) -> Vec<String> {
    normalise_name(s)
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The words left once honorifics are dropped at the start and suffixes at the
/// end, keeping at least `keep` words (so that a surname such as "Ii" survives
/// on its own). A slice, not a copy: dropping costs one step per word.
fn strip_titles(words: &[String], keep: usize, start: bool, end: bool) -> &[String] {
    let mut words = words;
    while start && words.len() > keep && HONORIFICS.contains(&words[0].as_str()) {
        words = &words[1..];
    }
    while end
        && words.len() > keep
        && words
            .last()
            .is_some_and(|last| SUFFIXES.contains(&last.as_str()))
    {
        words = &words[..words.len() - 1];
    }
    words
}

/// Whether two given names agree: equal, or one is the initial of the other.
fn agrees(a: &str, b: &str) -> bool {
    let is_initial_of = |initial: &str, name: &str| {
        let mut chars = initial.chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if name.starts_with(c))
    };
    a == b || is_initial_of(a, b) || is_initial_of(b, a)
}

/// Whether the shorter list of middle names can be found, in order, in the
/// longer one (the others being omitted), each agreeing with its counterpart.
/// One pass over the longer list: each of its words is compared once.
fn middles_agree(card: &[String], client: &[String], work: &mut usize) -> bool {
    let (short, long) = if card.len() <= client.len() {
        (card, client)
    } else {
        (client, card)
    };
    let mut rest = long.iter();
    short.iter().all(|name| {
        rest.by_ref().any(|other| {
            *work += 1 + name.len().min(other.len());
            agrees(name, other)
        })
    })
}

/// Where the client's last name starts among the card's words: the one index
/// `k` whose trailing words `card[k..]`, joined without spaces, are `last`
/// joined without spaces. Words are never empty, so only one `k` has the right
/// length: found by walking back once, then compared once (linear, never a
/// concatenation per candidate).
fn surname_start(card: &[String], last: &[String], work: &mut usize) -> Option<usize> {
    let wanted: usize = last.iter().map(String::len).sum();
    let mut length = 0;
    let mut k = card.len();
    while k > 1 && length < wanted {
        k -= 1;
        length += card[k].len();
        *work += 1;
    }
    if length != wanted || k == card.len() {
        return None;
    }
    let on_card = card[k..].iter().flat_map(|w| w.bytes());
    let client = last.iter().flat_map(|w| w.bytes());
    *work += wanted;
    on_card.eq(client).then_some(k)
}

/// Whether the name printed on the card is the client's name (rule R4).
///
/// After [`normalise_name`], honorifics (mr mrs ms miss mx dr prof sir dame rev)
/// are dropped at the start and suffixes (jr sr ii iii iv esq phd md) at the end.
/// The card matches iff (a) its trailing words, joined without spaces, are the
/// client's last name joined without spaces (`O'Neil` and `O Neil`); (b) its
/// first word is the client's first given name or its initial; (c) the middle
/// names in between and the client's other given names may each be omitted,
/// and where both sides have them they agree (equal or initial). Nicknames do
/// not match; an empty name never matches. The work is linear in the length of
/// the three names, whatever they hold.
pub fn names_match(holder_on_card: &str, first_name: &str, last_name: &str) -> bool {
    names_match_counting(holder_on_card, first_name, last_name, &mut 0)
}

/// [`names_match`], adding to `work` one unit per word visited and per byte
/// compared after normalisation (which is itself one pass over each name).
fn names_match_counting(
    holder_on_card: &str,
    first_name: &str,
    last_name: &str,
    work: &mut usize,
) -> bool {
    let (card, given, last) = (
        tokens(holder_on_card),
        tokens(first_name),
        tokens(last_name),
    );
    *work += card.len() + given.len() + last.len();
    let card = strip_titles(&card, 2, true, true);
    let given = strip_titles(&given, 1, true, false);
    let last = strip_titles(&last, 1, false, true);
    if card.len() < 2 || given.is_empty() || last.is_empty() {
        return false;
    }
    let Some(split) = surname_start(card, last, work) else {
        return false;
    };
    *work += 1 + card[0].len().min(given[0].len());
    agrees(&card[0], &given[0]) && middles_agree(&card[1..split], &given[1..], work)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The work allowed for names of `bytes` bytes in all: a constant times
    /// their length (normalising can at most triple a name's bytes).
    fn linear_bound(bytes: usize) -> usize {
        8 * bytes + 16
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn comparing_any_names_takes_work_linear_in_their_length(
            card in "\\PC{0,400}",
            first in "\\PC{0,200}",
            last in "\\PC{0,200}",
        ) {
            let mut work = 0;
            let matched = names_match_counting(&card, &first, &last, &mut work);
            prop_assert_eq!(matched, names_match(&card, &first, &last));
            prop_assert!(work <= linear_bound(card.len() + first.len() + last.len()), "work {work}");
        }

        #[test]
        fn comparing_names_of_many_repeated_words_takes_linear_work(
            words in 1usize..3000,
            word in "(a|ab|mr|jr|j|[a-z]{1,3})",
        ) {
            // The shape that made the old comparison quadratic: many short
            // words on the card and in the surname, equal or nearly so.
            let card = vec![word.as_str(); words].join(" ");
            let last = vec![word.as_str(); words / 2 + 1].join("-");
            let mut work = 0;
            names_match_counting(&card, &word, &last, &mut work);
            prop_assert!(work <= linear_bound(card.len() + word.len() + last.len()), "work {work}");
        }
    }

    #[test]
    fn a_name_of_sixty_thousand_characters_is_compared_in_linear_work() {
        let card = format!("{} Smith", "a ".repeat(30_000));
        let mut work = 0;
        assert!(names_match_counting(&card, "A", "Smith", &mut work));
        assert!(work <= linear_bound(card.len() + 6), "work {work}");
    }

    #[test]
    fn names_are_folded_to_lower_case_ascii_words() {
        let cases = [
            ("  ÉLODIE  Dupont-Lefèvre ", "elodie dupont lefevre"),
            ("Sean O'Neil", "sean oneil"),
            ("Sean O’Neil", "sean oneil"),
            ("J. R. R. Tolkien", "j r r tolkien"),
            ("Smith, John", "smith john"),
            ("Straße", "strasse"),
            ("ÆSIR Œuvre", "aesir oeuvre"),
            ("Łukasz Żółć", "lukasz zolc"),
            ("Đorđe Ďurica", "dorde durica"),
            ("Søren Åberg", "soren aberg"),
            ("Ñuñez Çelik", "nunez celik"),
            ("Šťastný Řehoř", "stastny rehor"),
            ("Yÿes Ýves", "yyes yves"),
            ("Škoda Śmigły Źrebię", "skoda smigly zrebie"),
            ("Ąę Īį Ūů Āă Ėě Ōö", "ae ii uu aa ee oo"),
            ("Ćirić Čapek", "ciric capek"),
            ("e\u{0301}lodie", "elodie"),
            ("Anne\u{00A0}Marie\tLe  Blanc", "anne marie le blanc"),
            ("Jean–Luc", "jean luc"),
            ("", ""),
            (" - . , ' ", ""),
            ("Ἀλέξανδρος", "ἀλέξανδρος"),
        ];
        for (raw, folded) in cases {
            assert_eq!(normalise_name(raw), folded, "{raw:?}");
        }
    }

    #[test]
    fn every_letter_of_the_fold_table_is_folded_in_both_cases() {
        let table = [
            ("àáâãäåāăą", "a"),
            ("çćč", "c"),
            ("ďđ", "d"),
            ("èéêëēėęě", "e"),
            ("ìíîïīį", "i"),
            ("ñńň", "n"),
            ("òóôõöøō", "o"),
            ("ùúûüūů", "u"),
            ("ýÿ", "y"),
            ("žźż", "z"),
            ("šś", "s"),
            ("ř", "r"),
            ("ł", "l"),
            ("ß", "ss"),
            ("æ", "ae"),
            ("œ", "oe"),
        ];
        for (letters, ascii) in table {
            for c in letters.chars() {
                assert_eq!(normalise_name(&c.to_string()), ascii, "{c}");
                let upper: String = c.to_uppercase().collect();
                assert_eq!(normalise_name(&upper), ascii, "{upper}");
            }
        }
    }

    /// (why, card, first name, last name)
    const MATCHING: &[(&str, &str, &str, &str)] = &[
        ("exact", "John Smith", "John", "Smith"),
        ("upper case card", "JOHN SMITH", "John", "Smith"),
        ("lower case client", "John Smith", "john", "smith"),
        (
            "honorific and middle initial on the card",
            "MR JOHN A SMITH",
            "John",
            "Smith",
        ),
        ("first initial on the card", "J SMITH", "John", "Smith"),
        (
            "first initial with a full stop",
            "J. Smith",
            "John",
            "Smith",
        ),
        ("suffix on the card", "John Smith Jr", "John", "Smith"),
        (
            "suffix with full stop and comma",
            "John Smith, Jr.",
            "John",
            "Smith",
        ),
        ("honorific and suffix", "Dr John Smith PhD", "John", "Smith"),
        ("stacked honorifics", "Prof Dr Anna Weber", "Anna", "Weber"),
        ("roman numeral suffix", "Henry Ford III", "Henry", "Ford"),
        ("MD suffix with stops", "Jane Doe M.D.", "Jane", "Doe"),
        (
            "accents and a hyphenated surname",
            "ÉLODIE DUPONT-LEFÈVRE",
            "Élodie",
            "Dupont-Lefèvre",
        ),
        (
            "apostrophe on the card, space for the client",
            "Sean O'Neil",
            "Sean",
            "O Neil",
        ),
        (
            "space on the card, apostrophe for the client",
            "SEAN O NEIL",
            "Sean",
            "O'Neil",
        ),
        ("curly apostrophe", "Sean O’Neil", "Sean", "O'Neil"),
        (
            "compound surname without its hyphen",
            "Maria Garcia Marquez",
            "María",
            "García-Márquez",
        ),
        (
            "compound surname run together",
            "MARIA GARCIAMARQUEZ",
            "María",
            "García Márquez",
        ),
        (
            "particles in the surname",
            "Anna van der Berg",
            "Anna",
            "van der Berg",
        ),
        (
            "particles run together",
            "ANNA VANDERBERG",
            "Anna",
            "van der Berg",
        ),
        (
            "middle name omitted on the card",
            "John Smith",
            "John Albert",
            "Smith",
        ),
        (
            "middle name omitted by the client",
            "John Albert Smith",
            "John",
            "Smith",
        ),
        (
            "middle initial for a middle name",
            "John A Smith",
            "John Albert",
            "Smith",
        ),
        (
            "middle name for a middle initial",
            "John Albert Smith",
            "John A.",
            "Smith",
        ),
        (
            "both middle names",
            "John Albert Bernard Smith",
            "John Albert Bernard",
            "Smith",
        ),
        (
            "one of two middle names omitted",
            "John B Smith",
            "John Albert Bernard",
            "Smith",
        ),
        (
            "initials only",
            "J A B SMITH",
            "John Albert Bernard",
            "Smith",
        ),
        ("German sharp s", "Hans Strauss", "Hans", "Strauß"),
        (
            "Scandinavian o",
            "SOREN KIERKEGAARD",
            "Søren",
            "Kierkegaard",
        ),
        ("Polish l", "LECH WALESA", "Lech", "Wałęsa"),
        ("ligature", "AEMILIA OEHLER", "Æmilia", "Œhler"),
        ("extra spaces", "  John    Smith  ", " John ", " Smith "),
        (
            "hyphenated first name on the card",
            "JEAN-LUC PICARD",
            "Jean Luc",
            "Picard",
        ),
        (
            "hyphenated first name for the client",
            "JEAN LUC PICARD",
            "Jean-Luc",
            "Picard",
        ),
        (
            "surname that looks like a suffix",
            "Naoko Ii",
            "Naoko",
            "Ii",
        ),
        (
            "honorific typed in the client's first name",
            "John Smith",
            "Mr John",
            "Smith",
        ),
        (
            "suffix typed in the client's last name",
            "John Smith",
            "John",
            "Smith Jr",
        ),
        (
            "decomposed accents",
            "Ele\u{0301}onore Duval",
            "Éléonore",
            "Duval",
        ),
        ("non-Latin name as printed", "Иван Петров", "Иван", "Петров"),
    ];

    /// (why, card, first name, last name)
    const NOT_MATCHING: &[(&str, &str, &str, &str)] = &[
        ("another first name", "John Smith", "Jane", "Smith"),
        ("another surname", "John Smith", "John", "Smyth"),
        ("a nickname", "Bob Smith", "Robert", "Smith"),
        ("a nickname the other way", "Robert Smith", "Bob", "Smith"),
        (
            "middle names disagree",
            "John B Smith",
            "John Albert",
            "Smith",
        ),
        (
            "middle names disagree in full",
            "John Bernard Smith",
            "John Albert",
            "Smith",
        ),
        ("a wrong initial", "K SMITH", "John", "Smith"),
        (
            "part of a compound surname missing",
            "Maria Garcia",
            "María",
            "García-Márquez",
        ),
        ("particles missing", "Anna Berg", "Anna", "van der Berg"),
        ("surname first", "SMITH JOHN", "John", "Smith"),
        (
            "the middle name used as the first name",
            "Albert Smith",
            "John Albert",
            "Smith",
        ),
        ("surname only on the card", "SMITH", "John", "Smith"),
        ("honorific and surname only", "MR SMITH", "John", "Smith"),
        ("empty card name", "", "John", "Smith"),
        ("blank card name", "  . - ", "John", "Smith"),
        ("empty first name", "John Smith", "", "Smith"),
        ("empty last name", "John Smith", "John", ""),
        (
            "the surname inside a longer surname",
            "John Smithson",
            "John",
            "Smith",
        ),
        (
            "a longer surname on the card's side",
            "John Smith",
            "John",
            "Smithson",
        ),
        (
            "someone else in the family",
            "Mrs Jane Smith",
            "John",
            "Smith",
        ),
        (
            "a company on the card",
            "Smith Jewellers Ltd",
            "John",
            "Smith",
        ),
        (
            "first name as an initial that is wrong",
            "J Smith",
            "Kate",
            "Smith",
        ),
    ];

    #[test]
    fn matching_names_match() {
        assert!(MATCHING.len() >= 25);
        for (why, card, first, last) in MATCHING {
            assert!(
                names_match(card, first, last),
                "{why}: {card:?} vs {first:?} {last:?}"
            );
        }
    }

    #[test]
    fn names_that_differ_do_not_match() {
        assert!(NOT_MATCHING.len() >= 15);
        for (why, card, first, last) in NOT_MATCHING {
            assert!(
                !names_match(card, first, last),
                "{why}: {card:?} vs {first:?} {last:?}"
            );
        }
    }

    #[test]
    fn an_honorific_and_a_middle_initial_on_the_card_match_the_client() {
        assert!(names_match("MR JOHN A SMITH", "John", "Smith"));
    }

    #[test]
    fn an_initial_on_the_card_matches_the_first_name() {
        assert!(names_match("J SMITH", "John", "Smith"));
    }

    #[test]
    fn a_suffix_on_the_card_is_ignored() {
        assert!(names_match("John Smith Jr", "John", "Smith"));
    }

    #[test]
    fn accents_and_hyphens_are_ignored() {
        assert!(names_match(
            "ÉLODIE DUPONT-LEFÈVRE",
            "Élodie",
            "Dupont-Lefèvre"
        ));
        assert!(names_match(
            "Maria Garcia Marquez",
            "María",
            "García-Márquez"
        ));
    }

    #[test]
    fn a_surname_matches_whatever_its_apostrophes_and_spaces() {
        assert!(names_match("Sean O'Neil", "Sean", "O Neil"));
        assert!(names_match("Anna van der Berg", "Anna", "van der Berg"));
    }

    #[test]
    fn another_first_name_a_misspelt_surname_or_a_nickname_does_not_match() {
        assert!(!names_match("John Smith", "Jane", "Smith"));
        assert!(!names_match("John Smith", "John", "Smyth"));
        assert!(!names_match("Bob Smith", "Robert", "Smith"));
    }

    #[test]
    fn middle_names_on_both_sides_must_agree() {
        assert!(!names_match("John B Smith", "John Albert", "Smith"));
        assert!(names_match("John A Smith", "John Albert", "Smith"));
    }

    #[test]
    fn swapping_the_card_and_the_client_gives_the_same_answer() {
        // (given names, last name): names of one person, of relatives and of
        // strangers; the card of each is compared with every other's account.
        let people: &[(&str, &str)] = &[
            ("John", "Smith"),
            ("J", "Smith"),
            ("John Albert", "Smith"),
            ("John A", "Smith"),
            ("J A", "Smith"),
            ("John B", "Smith"),
            ("Jane", "Smith"),
            ("John", "Smyth"),
            ("Robert", "Smith"),
            ("Bob", "Smith"),
            ("John Albert Bernard", "Smith"),
            ("John Bernard", "Smith"),
            ("Sean", "O'Neil"),
            ("Sean", "O Neil"),
            ("María", "García-Márquez"),
            ("Maria", "Garcia Marquez"),
            ("Anna", "van der Berg"),
            ("Anna", "Vanderberg"),
            ("Élodie", "Dupont-Lefèvre"),
        ];
        for &(given_a, last_a) in people {
            for &(given_b, last_b) in people {
                let card_a = format!("{given_a} {last_a}");
                let card_b = format!("{given_b} {last_b}");
                assert_eq!(
                    names_match(&card_a, given_b, last_b),
                    names_match(&card_b, given_a, last_a),
                    "{card_a:?} / {card_b:?}"
                );
            }
            // Everyone matches their own card.
            assert!(names_match(&format!("{given_a} {last_a}"), given_a, last_a));
        }
    }
}
