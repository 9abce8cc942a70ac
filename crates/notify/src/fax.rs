//! Letters by fax: the letter's plain text laid out as a PDF on US Letter
//! pages ([`letter_pdf`]), sent as the attachment of a message to an
//! e-mail-to-fax gateway ([`FaxGateway`]): `12125550100@fax.example.net`.
//!
//! The PDF uses the base-14 Helvetica fonts (no font file to embed) in the
//! WinAnsi encoding: the letters' typography (“ ” ’ – — … • and the accents of
//! Western European names) is kept as it is; any other character is written
//! as its closest ASCII equivalent (Ł as L, → as ->), or `?`, so that no text
//! is silently dropped.

use std::sync::Arc;

use maison_domain::contact::FaxNumber;
use maison_domain::policy::ClientRelations;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::channels::{BoxFuture, Channel, LetterSender};
use crate::{Email, MailAttachment, MailError, Mailer};

/// US Letter, in points.
const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
/// One inch left and right: fax machines lose a few millimetres at the edges.
const MARGIN: f32 = 72.0;
const RIGHT: f32 = PAGE_WIDTH - MARGIN;
const TEXT_WIDTH: f32 = RIGHT - MARGIN;

/// The header on every page: the maison's name, Client Relations' contact,
/// a rule.
const HEADER_BASELINE: f32 = 736.0;
const HEADER_RULE: f32 = 722.0;
/// The footer: a rule, the subject and "Page 1 of 2".
const FOOTER_RULE: f32 = 62.0;
const FOOTER_BASELINE: f32 = 48.0;

const BODY_SIZE: f32 = 11.0;
const BODY_LEADING: f32 = 15.0;
const HEADING_SIZE: f32 = 14.0;
const HEADING_LEADING: f32 = 18.0;
const SMALL_SIZE: f32 = 8.5;
/// Where the body starts on the pages after the first.
const BODY_TOP: f32 = 696.0;
/// The lowest baseline of a body line.
const BODY_BOTTOM: f32 = 84.0;
/// Indentation for each leading space of a line of the letter.
const INDENT_PER_SPACE: f32 = 6.0;
const MAX_INDENT: f32 = 72.0;

/// A letter longer than this is cut, with a note: a fax is not the way to
/// send a book, and the outbox must not build one by mistake.
pub const MAX_PAGES: usize = 40;

/// More rows than [`MAX_PAGES`] pages can hold: text past them is not laid out.
const MAX_ROWS: usize = MAX_PAGES * 60;

const CONTENT_TYPE: &str = "application/pdf";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Font {
    Regular,
    Bold,
}

impl Font {
    fn resource(self) -> Name<'static> {
        match self {
            Font::Regular => Name(b"F1"),
            Font::Bold => Name(b"F2"),
        }
    }

    fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::Regular => &HELVETICA,
            Font::Bold => &HELVETICA_BOLD,
        }
    }

    /// The width of WinAnsi `text` at `size`, in points.
    fn width(self, text: &[u8], size: f32) -> f32 {
        let widths = self.widths();
        let units: u32 = text
            .iter()
            .map(|&b| {
                b.checked_sub(32)
                    .and_then(|i| widths.get(usize::from(i)))
                    .copied()
                    .map_or(0, u32::from)
            })
            .sum();
        units as f32 * size / 1000.0
    }
}

/// One run of text placed on a page.
#[derive(Debug, Clone, PartialEq)]
struct Run {
    font: Font,
    size: f32,
    x: f32,
    y: f32,
    text: Vec<u8>,
}

/// A letter laid out: its pages' body runs (the header and the footer are
/// added when the PDF is written, once the page count is known).
#[derive(Debug, Default)]
struct Layout {
    pages: Vec<Vec<Run>>,
    truncated: bool,
}

/// The PDF of `letter` (its plain-text body) for the fax: US Letter pages with
/// the maison's header, the subject as a heading, the text wrapped to the
/// page, and "Page 1 of 2" in the footer. Never fails: any text gives a
/// readable document (cut at [`MAX_PAGES`] pages, with a note saying so).
pub fn letter_pdf(letter: &Email, maison: &ClientRelations) -> Vec<u8> {
    FaxDocument::of(letter, maison).pdf
}

/// A letter's PDF and its number of pages (for the cover note).
struct FaxDocument {
    pdf: Vec<u8>,
    pages: usize,
}

impl FaxDocument {
    fn of(letter: &Email, maison: &ClientRelations) -> Self {
        let fax = FaxNumber::parse(&letter.to).ok();
        let layout = layout(letter, fax.as_ref());
        let pages = layout.pages.len();
        FaxDocument {
            pdf: write_pdf(letter, maison, fax.as_ref(), &layout),
            pages,
        }
    }
}

/// The first page's details under the header, then the subject as a heading.
fn first_page_heading(letter: &Email, fax: Option<&FaxNumber>) -> (Vec<Run>, f32) {
    let mut runs = Vec::new();
    let mut y = BODY_TOP + 4.0;
    if let Some(fax) = fax {
        let label = winansi("Fax to ");
        let x = MARGIN + Font::Regular.width(&label, 9.0);
        runs.push(Run {
            font: Font::Regular,
            size: 9.0,
            x: MARGIN,
            y,
            text: label,
        });
        runs.push(Run {
            font: Font::Bold,
            size: 9.0,
            x,
            y,
            text: winansi(&fax.to_string()),
        });
        y -= 26.0;
    }
    let subject = winansi(letter.subject.trim());
    // At most three lines of heading: a subject is a line, not a paragraph.
    let lines = wrap(&subject, Font::Bold, HEADING_SIZE, TEXT_WIDTH);
    let count = lines.len();
    for (i, mut line) in lines.into_iter().enumerate().take(3) {
        if i == 2 && count > 3 {
            line = ellipsize(&line, Font::Bold, HEADING_SIZE, TEXT_WIDTH);
        }
        runs.push(Run {
            font: Font::Bold,
            size: HEADING_SIZE,
            x: MARGIN,
            y,
            text: line,
        });
        y -= HEADING_LEADING;
    }
    // A blank line's worth between the heading and the text.
    (runs, y - (BODY_LEADING - HEADING_LEADING) - 12.0)
}

/// One line of the letter, wrapped: its rows share a font and an indent.
struct Row {
    font: Font,
    indent: f32,
    text: Vec<u8>,
}

/// The letter's text as blocks: runs of non-blank lines, each line wrapped
/// to the text width. A line in capitals after a blank line is a heading
/// (bold); leading spaces indent a line.
fn blocks(text: &str) -> Vec<Vec<Row>> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut blocks: Vec<Vec<Row>> = Vec::new();
    let mut block: Vec<Row> = Vec::new();
    let mut rows = 0;
    for line in text.split('\n') {
        let line = line.replace('\t', "    ");
        let content = line.trim_start_matches(' ').trim_end();
        if content.is_empty() {
            if !block.is_empty() {
                blocks.push(std::mem::take(&mut block));
            }
            continue;
        }
        let spaces = line.len() - line.trim_start_matches(' ').len();
        let indent = (spaces as f32 * INDENT_PER_SPACE).min(MAX_INDENT);
        let heading = spaces == 0 && block.is_empty() && is_heading(content);
        let font = if heading { Font::Bold } else { Font::Regular };
        for text in wrap(&winansi(content), font, BODY_SIZE, TEXT_WIDTH - indent) {
            block.push(Row { font, indent, text });
            rows += 1;
        }
        if rows > MAX_ROWS {
            // More than the pages can hold: the layout cuts it with a note.
            break;
        }
    }
    if !block.is_empty() {
        blocks.push(block);
    }
    blocks
}

/// Lays the body out, page after page, one blank line between blocks. A
/// block is never split so that one of its rows stands alone at the foot or
/// the head of a page: a block of up to 3 rows moves whole to the next page,
/// a longer one leaves at least 2 rows on each side.
fn layout(letter: &Email, fax: Option<&FaxNumber>) -> Layout {
    let (first, top) = first_page_heading(letter, fax);
    let mut out = Layout {
        pages: vec![first],
        truncated: false,
    };
    let mut y = top;
    let rows_left = |y: f32| {
        if y < BODY_BOTTOM {
            0
        } else {
            ((y - BODY_BOTTOM) / BODY_LEADING) as usize + 1
        }
    };
    'blocks: for (i, block) in blocks(&letter.text).into_iter().enumerate() {
        if i > 0 && y < BODY_TOP {
            y -= BODY_LEADING;
        }
        let mut rows = block.into_iter();
        let mut remaining = rows.len();
        while remaining > 0 {
            let room = rows_left(y);
            let take = if remaining <= room {
                remaining
            } else if remaining <= 3 || room < 2 {
                0
            } else {
                room.min(remaining - 2)
            };
            for row in rows.by_ref().take(take) {
                if let Some(page) = out.pages.last_mut() {
                    page.push(Run {
                        font: row.font,
                        size: BODY_SIZE,
                        x: MARGIN + row.indent,
                        y,
                        text: row.text,
                    });
                }
                y -= BODY_LEADING;
            }
            remaining -= take;
            if remaining > 0 {
                if out.pages.len() >= MAX_PAGES {
                    out.truncated = true;
                    break 'blocks;
                }
                out.pages.push(Vec::new());
                y = BODY_TOP;
            }
        }
    }
    if out.truncated
        && let Some(page) = out.pages.last_mut()
    {
        // The note goes below the last line, or takes its place.
        let y = if y >= BODY_BOTTOM {
            y
        } else {
            page.pop().map_or(BODY_BOTTOM, |run| run.y)
        };
        page.push(Run {
            font: Font::Bold,
            size: BODY_SIZE,
            x: MARGIN,
            y,
            text: winansi(&format!(
                "[This letter is longer than {MAX_PAGES} pages: the rest was not faxed.]"
            )),
        });
    }
    out
}

/// "DELIVERY", "YOUR ORDER MV-7K2Q-9HDX-4": a line in capitals.
fn is_heading(line: &str) -> bool {
    let letters = line.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 3 && !line.chars().any(char::is_lowercase) && line.chars().count() <= 60
}

/// Splits WinAnsi `text` into lines no wider than `width`, at spaces; a word
/// wider than a line is cut.
fn wrap(text: &[u8], font: Font, size: f32, width: f32) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut line: Vec<u8> = Vec::new();
    for word in text.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
        let candidate_width = if line.is_empty() {
            font.width(word, size)
        } else {
            font.width(&line, size) + font.width(b" ", size) + font.width(word, size)
        };
        if candidate_width <= width {
            if !line.is_empty() {
                line.push(b' ');
            }
            line.extend_from_slice(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if font.width(word, size) <= width {
            line.extend_from_slice(word);
            continue;
        }
        // A word wider than a line (a long link) is cut where the line ends;
        // its last piece starts the next line.
        let mut used = 0.0;
        for &b in word {
            let w = font.width(&[b], size);
            if !line.is_empty() && used + w > width {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            line.push(b);
            used += w;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` cut to `width` with an ellipsis when it is wider.
fn ellipsize(text: &[u8], font: Font, size: f32, width: f32) -> Vec<u8> {
    if font.width(text, size) <= width {
        return text.to_vec();
    }
    const ELLIPSIS: u8 = 0x85;
    let room = width - font.width(&[ELLIPSIS], size);
    let mut out = Vec::new();
    let mut used = 0.0;
    for &b in text {
        let w = font.width(&[b], size);
        if used + w > room {
            break;
        }
        used += w;
        out.push(b);
    }
    while out.last() == Some(&b' ') {
        out.pop();
    }
    out.push(ELLIPSIS);
    out
}

/// Writes the document: catalog, page tree, the two fonts, one content
/// stream per page.
fn write_pdf(
    letter: &Email,
    maison: &ClientRelations,
    fax: Option<&FaxNumber>,
    layout: &Layout,
) -> Vec<u8> {
    let catalog_id = Ref::new(1);
    let tree_id = Ref::new(2);
    let regular_id = Ref::new(3);
    let bold_id = Ref::new(4);
    let info_id = Ref::new(5);
    let first_page = 6;
    let total = layout.pages.len();
    let page_ids: Vec<Ref> = (0..total)
        .map(|i| Ref::new(first_page + 2 * i as i32))
        .collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog_id).pages(tree_id);
    pdf.pages(tree_id)
        .kids(page_ids.iter().copied())
        .count(total as i32);
    for (id, name) in [(regular_id, "Helvetica"), (bold_id, "Helvetica-Bold")] {
        pdf.type1_font(id)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    {
        let mut info = pdf.document_info(info_id);
        info.title(TextStr(letter.subject.trim()));
        info.author(TextStr(&maison.maison_name));
        let subject = match fax {
            Some(fax) => format!("Fax to {fax}"),
            None => String::from("Fax"),
        };
        info.subject(TextStr(&subject));
        info.creator(TextStr("maison-notify"));
        info.finish();
    }

    let footer_subject = ellipsize(
        &winansi(letter.subject.trim()),
        Font::Regular,
        SMALL_SIZE,
        TEXT_WIDTH - 90.0,
    );
    for (index, (runs, page_id)) in layout.pages.iter().zip(&page_ids).enumerate() {
        let content_id = Ref::new(page_id.get() + 1);
        let mut page = pdf.page(*page_id);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
        page.parent(tree_id);
        page.contents(content_id);
        page.resources()
            .fonts()
            .pair(Font::Regular.resource(), regular_id)
            .pair(Font::Bold.resource(), bold_id);
        page.finish();

        let mut content = Content::new();
        let mut frame = header(maison);
        let page_label = winansi(&format!("Page {} of {total}", index + 1));
        frame.push(Run {
            font: Font::Regular,
            size: SMALL_SIZE,
            x: RIGHT - Font::Regular.width(&page_label, SMALL_SIZE),
            y: FOOTER_BASELINE,
            text: page_label,
        });
        frame.push(Run {
            font: Font::Regular,
            size: SMALL_SIZE,
            x: MARGIN,
            y: FOOTER_BASELINE,
            text: footer_subject.clone(),
        });
        // Two hairlines: under the header, over the footer.
        content.set_line_width(0.75);
        for y in [HEADER_RULE, FOOTER_RULE] {
            content.move_to(MARGIN, y);
            content.line_to(RIGHT, y);
        }
        content.stroke();
        for run in frame.iter().chain(runs) {
            content.begin_text();
            content.set_font(run.font.resource(), run.size);
            content.next_line(run.x, run.y);
            content.show(Str(&run.text));
            content.end_text();
        }
        pdf.stream(content_id, &content.finish());
    }
    pdf.finish()
}

/// The maison's name on the left; Client Relations' telephone and address on
/// the right.
fn header(maison: &ClientRelations) -> Vec<Run> {
    let name = ellipsize(
        &winansi(&maison.maison_name),
        Font::Bold,
        16.0,
        TEXT_WIDTH / 2.0,
    );
    let mut runs = vec![Run {
        font: Font::Bold,
        size: 16.0,
        x: MARGIN,
        y: HEADER_BASELINE - 4.0,
        text: name,
    }];
    for (text, y) in [
        (
            format!("Client Relations {} {}", '\u{b7}', maison.phone),
            HEADER_BASELINE + 4.0,
        ),
        (maison.email.clone(), HEADER_BASELINE - 7.0),
    ] {
        let text = ellipsize(&winansi(&text), Font::Regular, 9.0, TEXT_WIDTH / 2.0);
        runs.push(Run {
            font: Font::Regular,
            size: 9.0,
            x: RIGHT - Font::Regular.width(&text, 9.0),
            y,
            text,
        });
    }
    runs
}

/// `text` in the WinAnsi encoding of the PDF fonts.
fn winansi(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        push_winansi(c, &mut out);
    }
    out
}

fn push_winansi(c: char, out: &mut Vec<u8>) {
    let code = u32::from(c);
    // Printable ASCII, and Latin-1's upper half (the same codes in WinAnsi);
    // a soft hyphen is invisible.
    if let Ok(byte) = u8::try_from(code)
        && (matches!(byte, 0x20..=0x7e) || (byte >= 0xa0 && byte != 0xad))
    {
        out.push(byte);
        return;
    }
    if let Some(byte) = windows_1252_extra(c) {
        out.push(byte);
        return;
    }
    let ascii: &str = match c {
        // Latin Extended-A: the letter without its accent.
        '\u{132}' => "IJ",
        '\u{133}' => "ij",
        '\u{149}' => "'n",
        '\u{100}'..='\u{17f}' => {
            let base = LATIN_EXTENDED_A
                .as_bytes()
                .get((code - 0x100) as usize)
                .copied()
                .unwrap_or(b'?');
            out.push(base);
            return;
        }
        '\u{218}' => "S",
        '\u{219}' => "s",
        '\u{21a}' => "T",
        '\u{21b}' => "t",
        '\u{2010}' | '\u{2011}' | '\u{2043}' | '\u{2212}' => "-",
        '\u{2012}' => "\u{96}",
        '\u{2015}' => "\u{97}",
        '\u{2000}'..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}' => " ",
        '\u{2032}' | '\u{201b}' => "'",
        '\u{2033}' | '\u{201f}' => "\"",
        '\u{2024}' => ".",
        '\u{2025}' => "..",
        '\u{2027}' => "\u{b7}",
        '\u{2023}' | '\u{25cf}' | '\u{25aa}' | '\u{25a0}' => "\u{95}",
        '\u{25e6}' => "o",
        '\u{2190}' => "<-",
        '\u{2192}' => "->",
        '\u{2194}' => "<->",
        '\u{21d2}' => "=>",
        '\u{2264}' => "<=",
        '\u{2265}' => ">=",
        '\u{2260}' => "!=",
        '\u{2248}' => "~",
        '\u{2215}' | '\u{2044}' => "/",
        '\u{2116}' => "No.",
        '\u{2120}' => "SM",
        '\u{2713}' | '\u{2714}' => "v",
        // Invisible: controls, zero-width characters, combining accents
        // (the letter they sit on is written).
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{ad}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2060}'
        | '\u{feff}'
        | '\u{300}'..='\u{36f}'
        | '\u{fe00}'..='\u{fe0f}' => "",
        _ => "?",
    };
    // The replacements above are ASCII, or one of the WinAnsi codes written
    // as a `\u{80}`..`\u{ff}` escape: one byte each.
    out.extend(
        ascii
            .chars()
            .filter_map(|c| u8::try_from(u32::from(c)).ok()),
    );
}

/// The characters Windows-1252 (WinAnsi) places at 0x80 to 0x9F.
fn windows_1252_extra(c: char) -> Option<u8> {
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        _ => return None,
    })
}

/// U+00C0 to U+00FF without their accents (`-` for × and ÷; Æ, ß, Þ and
/// their kin are spelled out by [`slug`]).
const LATIN_1_LETTERS: &str = concat!(
    "AAAAAAACEEEEIIII",
    "DNOOOOO-OUUUUYTs",
    "aaaaaaaceeeeiiii",
    "dnooooo-ouuuuyty",
);

/// U+0100 to U+017F without their accents (Ā→A ... ſ→s).
const LATIN_EXTENDED_A: &str = concat!(
    "AaAaAaCcCcCcCcDd",
    "DdEeEeEeEeEeGgGg",
    "GgGgHhHhIiIiIiIi",
    "IiJjJjKkkLlLlLlL",
    "lLlNnNnNnnNnOoOo",
    "OoOoRrRrRrSsSsSs",
    "SsTtTtTtUuUuUuUu",
    "UuUuWwYyYZzZzZzs",
);

/// The attachment's name: the order number and the kind of letter when the
/// subject names them (`MV-7K2Q-9HDX-4-order-confirmation.pdf`), else the
/// subject itself, in a form every mail and fax system keeps.
pub fn attachment_name(subject: &str) -> String {
    let order = subject
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | ',' | ':' | ';' | '(' | ')')))
        .find(|w| looks_like_order_number(w))
        .map(|w| {
            w.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
                .trim_matches('-')
                .to_owned()
        })
        .filter(|w| !w.is_empty());
    let lower = subject.to_lowercase();
    let kind = if lower.contains("confirmed") || lower.contains("confirmation") {
        Some("order-confirmation")
    } else if lower.contains("received") || lower.contains("acknowledg") {
        Some("order-acknowledgement")
    } else {
        None
    };
    let stem = match (order, kind) {
        (Some(order), Some(kind)) => format!("{order}-{kind}"),
        (Some(order), None) => format!("{order}-letter"),
        (None, _) => {
            let slug = slug(subject);
            if slug.is_empty() {
                String::from("letter")
            } else {
                slug
            }
        }
    };
    let stem: String = stem.chars().take(80).collect();
    format!("{}.pdf", stem.trim_end_matches('-'))
}

/// `MV-7K2Q-9HDX-4`: capitals and digits in dash-separated groups.
fn looks_like_order_number(word: &str) -> bool {
    word.len() >= 6
        && word.len() <= 32
        && word.contains('-')
        && word.starts_with(|c: char| c.is_ascii_uppercase())
        && word.chars().any(|c| c.is_ascii_digit())
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || "-*~$=".contains(c))
}

/// Lower-case ASCII letters and digits (accents removed), other runs as one
/// dash.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let mut ascii = Vec::new();
        match c {
            'Æ' | 'æ' => ascii.extend_from_slice(b"ae"),
            'Œ' | 'œ' => ascii.extend_from_slice(b"oe"),
            'ß' => ascii.extend_from_slice(b"ss"),
            'Þ' | 'þ' => ascii.extend_from_slice(b"th"),
            'Š' | 'š' => ascii.push(b's'),
            'Ž' | 'ž' => ascii.push(b'z'),
            'Ÿ' => ascii.push(b'y'),
            '\u{c0}'..='\u{ff}' => ascii.push(
                LATIN_1_LETTERS
                    .as_bytes()
                    .get((u32::from(c) - 0xc0) as usize)
                    .copied()
                    .unwrap_or(b'-'),
            ),
            _ => push_winansi(c, &mut ascii),
        }
        for b in ascii {
            let c = char::from(b);
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The gateway's domain as configured (`fax.example.net`), checked and
/// lower-cased; `None` for anything that is not a domain name (an address,
/// an IP address, a URL).
pub fn gateway_domain(text: &str) -> Option<String> {
    let domain = text.trim().trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() || domain.len() > 253 {
        return None;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let top_level_ok = labels
        .last()
        .is_some_and(|tld| tld.chars().any(|c| c.is_ascii_alphabetic()));
    (labels.len() >= 2 && labels.iter().all(label_ok) && top_level_ok).then_some(domain)
}

/// Sends letters by fax: each as a PDF attached to a message to
/// `<digits>@<gateway>`, through the maison's [`Mailer`] (its SMTP server, or
/// the spool folder in development).
pub struct FaxGateway {
    mailer: Arc<Mailer>,
    domain: String,
    maison: ClientRelations,
}

impl std::fmt::Debug for FaxGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaxGateway")
            .field("gateway", &self.domain)
            .field("mailer", &self.mailer)
            .finish()
    }
}

impl FaxGateway {
    /// `gateway` is the e-mail-to-fax service's domain, such as
    /// `fax.example.net`; `maison` signs the pages.
    pub fn new(
        mailer: Arc<Mailer>,
        gateway: &str,
        maison: ClientRelations,
    ) -> Result<Self, MailError> {
        let domain = gateway_domain(gateway).ok_or_else(|| {
            MailError::Config(format!(
                "fax gateway {gateway:?}: not a domain name, such as fax.example.net"
            ))
        })?;
        Ok(FaxGateway {
            mailer,
            domain,
            maison,
        })
    }

    /// The gateway's domain, lower-cased.
    pub fn gateway(&self) -> &str {
        &self.domain
    }

    /// Where the gateway takes a fax to `number`: `12125550100@fax.example.net`.
    pub fn address(&self, number: &FaxNumber) -> String {
        format!("{}@{}", number.digits(), self.domain)
    }

    /// Faxes `letter` (its `to` is the fax number). A number that is not a
    /// North American one is a permanent failure: no retry can send it.
    pub async fn send(&self, letter: &Email) -> Result<(), MailError> {
        let number = FaxNumber::parse(&letter.to).map_err(|err| {
            let shown: String = letter.to.chars().take(40).collect();
            MailError::Permanent(format!("invalid fax number {shown:?}: {err}"))
        })?;
        let document = FaxDocument::of(letter, &self.maison);
        let filename = attachment_name(&letter.subject);
        let cover = cover_note(letter, &number, document.pages, &filename, &self.maison);
        let attachment = MailAttachment {
            filename,
            content_type: CONTENT_TYPE.to_owned(),
            data: document.pdf,
        };
        self.mailer
            .send_with_attachment(&self.address(&number), &letter.subject, &cover, &attachment)
            .await?;
        tracing::info!(pages = document.pages, gateway = %self.domain, "fax handed to the gateway");
        Ok(())
    }
}

impl LetterSender for FaxGateway {
    fn channel(&self) -> Channel {
        Channel::Fax
    }

    fn send<'a>(&'a self, letter: &'a Email) -> BoxFuture<'a, Result<(), MailError>> {
        Box::pin(FaxGateway::send(self, letter))
    }
}

/// The message's body: what the gateway may print on its cover page.
fn cover_note(
    letter: &Email,
    number: &FaxNumber,
    pages: usize,
    filename: &str,
    maison: &ClientRelations,
) -> String {
    let plural = if pages == 1 { "page" } else { "pages" };
    format!(
        "Fax to {number} from {name}, Client Relations.\n\
         \n\
         Subject: {subject}\n\
         {pages} {plural} attached ({filename}).\n\
         \n\
         Should this fax reach you in error, please call Client Relations at {phone} or write to {email}.\n",
        name = maison.maison_name,
        subject = letter.subject.trim(),
        phone = maison.phone,
        email = maison.email,
    )
}

/// Advance widths of Helvetica (thousandths of the font size) for the
/// WinAnsi codes 32 to 255, from the font's AFM metrics.
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    350, 556, 350, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, 350,
    222, 222, 333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 350, 500, 667, 278, 333, 556,
    556, 556, 556, 260, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 556,
    537, 278, 333, 333, 365, 556, 834, 834, 834, 611, 667, 667, 667, 667, 667, 667, 1000, 722, 667,
    667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722,
    722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278,
    278, 556, 556, 556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];

/// The same for Helvetica-Bold.
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
    350, 556, 350, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 350, 611, 350, 350,
    278, 278, 500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 350, 500, 667, 278, 333, 556,
    556, 556, 556, 280, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 611,
    556, 278, 333, 333, 365, 556, 834, 834, 834, 611, 722, 722, 722, 722, 722, 722, 1000, 722, 667,
    667, 667, 667, 278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722,
    722, 667, 667, 611, 556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278,
    278, 611, 611, 611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(to: &str, subject: &str, text: &str) -> Email {
        Email {
            message_key: None,
            to: to.into(),
            subject: subject.into(),
            text: text.into(),
            html: String::new(),
        }
    }

    /// Every body run of a layout, page by page, as text.
    fn pages_text(layout: &Layout) -> Vec<Vec<String>> {
        layout
            .pages
            .iter()
            .map(|page| {
                page.iter()
                    .map(|run| run.text.iter().map(|&b| char::from(b)).collect())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn text_is_written_in_winansi_and_nothing_is_dropped_silently() {
        assert_eq!(winansi("Total: $31,900.00"), b"Total: $31,900.00");
        // Latin-1 keeps its codes.
        assert_eq!(winansi("Amélie ×"), b"Am\xe9lie \xd7");
        // The typography of the letters is in WinAnsi.
        assert_eq!(
            winansi("“For ever” ‘x’ 2–5 — … • € ™"),
            b"\x93For ever\x94 \x91x\x92 2\x965 \x97 \x85 \x95 \x80 \x99"
        );
        // Outside it: the closest ASCII, or `?`.
        assert_eq!(winansi("Łucja Wałęsa"), b"Lucja Walesa");
        assert_eq!(winansi("Ĳssel ő ș"), b"IJssel o s");
        assert_eq!(winansi("a → b ≤ c ≠ d"), b"a -> b <= c != d");
        assert_eq!(
            winansi("12\u{2009}000 \u{2212}5 \u{2011}x"),
            b"12 000 -5 -x"
        );
        assert_eq!(winansi("東京 ☃ 🙂"), b"?? ? ?");
        // Invisible characters stay invisible.
        assert_eq!(winansi("a\u{200b}b\u{feff}c\u{ad}d\u{7}e"), b"abcde");
        assert_eq!(winansi("e\u{301}cole"), b"ecole");
    }

    #[test]
    fn every_code_written_has_a_glyph_in_both_fonts() {
        let undefined = [0x81u8, 0x8d, 0x8f, 0x90, 0x9d, 0x7f];
        let chars = (0u32..0x3100)
            .chain(0x1f300..0x1f400)
            .filter_map(char::from_u32);
        for c in chars {
            for b in winansi(&c.to_string()) {
                assert!(b >= 0x20 && !undefined.contains(&b), "{c:?} -> {b:#x}");
                for font in [Font::Regular, Font::Bold] {
                    assert!(font.width(&[b], 10.0) > 0.0, "{c:?} -> {b:#x}");
                }
            }
        }
    }

    #[test]
    fn lines_wrap_within_the_width_and_keep_every_word() {
        let text = winansi(
            "Should you wish to change or cancel your order, please contact Client Relations as soon as possible: https://boutique.example/orders/MV-7K2Q-9HDX-4?sig=7f3a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0",
        );
        for width in [40.0, 120.0, TEXT_WIDTH] {
            let lines = wrap(&text, Font::Regular, BODY_SIZE, width);
            assert!(lines.len() > 1);
            for line in &lines {
                assert!(
                    Font::Regular.width(line, BODY_SIZE) <= width,
                    "{:?}",
                    String::from_utf8_lossy(line)
                );
            }
            let joined: Vec<u8> = lines.concat();
            let original: Vec<u8> = text.iter().copied().filter(|&b| b != b' ').collect();
            let rejoined: Vec<u8> = joined.into_iter().filter(|&b| b != b' ').collect();
            assert_eq!(rejoined, original, "width {width}");
        }
        // Narrower than one letter: one letter a line, never an endless loop.
        assert_eq!(
            wrap(b"WW", Font::Bold, 20.0, 1.0),
            vec![b"W".to_vec(), b"W".to_vec()]
        );
        assert_eq!(
            wrap(b"", Font::Regular, 11.0, 100.0),
            vec![Vec::<u8>::new()]
        );
        let cut = ellipsize(&text, Font::Regular, 9.0, 100.0);
        assert!(Font::Regular.width(&cut, 9.0) <= 100.0);
        assert_eq!(cut.last(), Some(&0x85));
    }

    #[test]
    fn a_short_block_never_splits_and_a_long_one_leaves_two_rows_each_side() {
        for fillers in 20..50 {
            let mut text = String::new();
            for i in 0..fillers {
                text.push_str(&format!("Filler paragraph {i}.\n\n"));
            }
            text.push_str("CLOSING\nWith our warmest regards,\nMaison Valoria\n\n");
            for i in 0..60 {
                text.push_str(&format!("Long block row {i}.\n"));
            }
            let layout = layout(&letter("+12125550100", "Subject", &text), None);
            let pages = pages_text(&layout);
            let closing: Vec<usize> = ["CLOSING", "With our warmest regards,", "Maison Valoria"]
                .iter()
                .map(|line| {
                    pages
                        .iter()
                        .position(|p| p.iter().any(|l| l == line))
                        .expect("placed")
                })
                .collect();
            assert!(
                closing.windows(2).all(|w| w[0] == w[1]),
                "{fillers} fillers: {closing:?}"
            );
            for (n, page) in pages.iter().enumerate() {
                let rows = page
                    .iter()
                    .filter(|l| l.starts_with("Long block row"))
                    .count();
                assert!(
                    rows == 0 || rows >= 2,
                    "{fillers} fillers: page {n} has {rows} rows"
                );
            }
            let rows: usize = pages
                .iter()
                .flatten()
                .filter(|l| l.starts_with("Long block"))
                .count();
            assert_eq!(rows, 60);
            // No page begins with a blank: the first body run is at the top.
            for page in layout.pages.iter().skip(1) {
                assert_eq!(page.first().map(|r| r.y), Some(BODY_TOP));
            }
        }
    }

    #[test]
    fn capitals_after_a_blank_line_are_headings_and_spaces_indent() {
        let layout = layout(
            &letter(
                "",
                "S",
                "Dear Claire,\n\nDELIVERY\nHome delivery\n  Reference VR-1\nNOT A HEADING\n",
            ),
            None,
        );
        let runs = &layout.pages[0];
        let find = |text: &str| {
            runs.iter()
                .find(|r| r.text == winansi(text))
                .unwrap_or_else(|| panic!("{text}"))
        };
        assert_eq!(find("DELIVERY").font, Font::Bold);
        assert_eq!(find("Home delivery").font, Font::Regular);
        assert_eq!(find("NOT A HEADING").font, Font::Regular);
        assert_eq!(find("Reference VR-1").x, MARGIN + 2.0 * INDENT_PER_SPACE);
        // The subject heads the first page, in bold; no fax line without a number.
        assert_eq!(runs[0].text, b"S");
        assert_eq!(runs[0].font, Font::Bold);
    }

    #[test]
    fn a_letter_too_long_to_fax_is_cut_with_a_note() {
        let text = "A line of a very long letter.\n".repeat(5_000);
        let layout = layout(&letter("+12125550100", "Long", &text), None);
        assert!(layout.truncated);
        assert_eq!(layout.pages.len(), MAX_PAGES);
        let last = pages_text(&layout).pop().expect("a page");
        assert!(
            last.last()
                .is_some_and(|l| l.contains("longer than 40 pages")),
            "{last:?}"
        );
        let pdf = letter_pdf(
            &letter("+12125550100", "Long", &text),
            &ClientRelations::default(),
        );
        let document = lopdf::Document::load_mem(&pdf).expect("a PDF");
        assert_eq!(document.get_pages().len(), MAX_PAGES);
        // One enormous word: cut into rows in linear time, then cut short.
        let word = "x".repeat(2_000_000);
        let started = std::time::Instant::now();
        let cut = super::layout(&letter("", "Word", &word), None);
        assert!(cut.truncated);
        assert_eq!(cut.pages.len(), MAX_PAGES);
        assert!(started.elapsed() < std::time::Duration::from_secs(20));
    }

    #[test]
    fn attachments_are_named_after_the_order_and_the_letter() {
        for (subject, name) in [
            (
                "We have received your Maison Valoria order MV-7K2Q-9HDX-4",
                "MV-7K2Q-9HDX-4-order-acknowledgement.pdf",
            ),
            (
                "Your Maison Valoria order MV-7K2Q-9HDX-4 is confirmed",
                "MV-7K2Q-9HDX-4-order-confirmation.pdf",
            ),
            ("Your order MV-7K2Q-9HDX-$.", "MV-7K2Q-9HDX-letter.pdf"),
            ("Reset your password", "reset-your-password.pdf"),
            ("Maison Élodie — “Bienvenue”", "maison-elodie-bienvenue.pdf"),
            ("Straße Œuvre Ñandú Łódź", "strasse-oeuvre-nandu-lodz.pdf"),
            ("東京", "letter.pdf"),
            ("", "letter.pdf"),
        ] {
            assert_eq!(attachment_name(subject), name, "{subject:?}");
        }
        let long = attachment_name(&"word ".repeat(100));
        assert!(
            long.len() <= 84 && long.ends_with(".pdf") && !long.contains("-.pdf"),
            "{long}"
        );
    }

    #[test]
    fn a_gateway_is_a_domain_name() {
        assert_eq!(
            gateway_domain("fax.example.net"),
            Some("fax.example.net".into())
        );
        assert_eq!(
            gateway_domain(" Fax.Example.NET. "),
            Some("fax.example.net".into())
        );
        assert_eq!(
            gateway_domain("rcfax-2.example.co.uk"),
            Some("rcfax-2.example.co.uk".into())
        );
        for bad in [
            "",
            ".",
            "fax",
            "fax@example.net",
            "12125550100@fax.example.net",
            "https://fax.example.net",
            "fax.example.net:25",
            "fax.example.net/path",
            "192.0.2.1",
            "fax..example.net",
            "-fax.example.net",
            "fax-.example.net",
            "fax .example.net",
            "fäx.example.net",
        ] {
            assert_eq!(gateway_domain(bad), None, "{bad:?}");
        }
        assert_eq!(gateway_domain(&format!("{}.net", "a".repeat(64))), None);
        assert_eq!(gateway_domain(&format!("{}net", "abc.".repeat(70))), None);
    }

    #[test]
    fn the_cover_note_names_the_number_the_pages_and_client_relations() {
        let maison = ClientRelations::default();
        let number = FaxNumber::parse("212-555-0100").expect("a number");
        let note = cover_note(
            &letter("212-555-0100", "Your order", "..."),
            &number,
            1,
            "x.pdf",
            &maison,
        );
        assert!(
            note.starts_with("Fax to +1 212 555 0100 from Maison Valoria"),
            "{note}"
        );
        assert!(note.contains("1 page attached (x.pdf)"), "{note}");
        assert!(note.contains(&maison.phone) && note.contains(&maison.email));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_letter_gives_a_pdf_that_reads_back(
            to in "\\PC{0,30}",
            subject in "\\PC{0,200}",
            text in "(?s).{0,3000}",
        ) {
            let pdf = letter_pdf(&letter(&to, &subject, &text), &ClientRelations::default());
            let document = lopdf::Document::load_mem(&pdf)
                .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let pages = document.get_pages().len();
            proptest::prop_assert!((1..=MAX_PAGES).contains(&pages));
            let last = u32::try_from(pages).unwrap_or(1);
            let footer = document.extract_text(&[last])
                .map_err(|e| proptest::test_runner::TestCaseError::fail(e.to_string()))?;
            let expected = format!("Page {pages} of {pages}");
            proptest::prop_assert!(footer.contains(&expected), "{}", footer);
        }
    }
}
