//! Information requests and quotes (rule R16): a client asks about a creation
//! priced on request; Prestige Advisors work the request (new, assigned,
//! contacted, quoted, closed) and may issue a quote for one specific piece,
//! with its stone's carat, colour, clarity and cut, valid for a set time and
//! paid once. Every rule here is pure: the use cases read the clock.

use std::fmt;

use crate::Money;

/// Where an information request stands in the Prestige Advisors' queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    /// Received, with no advisor yet.
    New,
    /// An advisor has it.
    Assigned,
    /// The advisor has been in touch with the client.
    Contacted,
    /// A quote has been issued.
    Quoted,
    /// Done: nothing more happens to it.
    Closed,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 5] = [
        RequestStatus::New,
        RequestStatus::Assigned,
        RequestStatus::Contacted,
        RequestStatus::Quoted,
        RequestStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::New => "new",
            RequestStatus::Assigned => "assigned",
            RequestStatus::Contacted => "contacted",
            RequestStatus::Quoted => "quoted",
            RequestStatus::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        RequestStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The request is given to an advisor: a new one becomes `assigned`;
    /// one already under way keeps its status (it changes hands). A closed
    /// request is given to no one.
    pub fn on_assign(self) -> Result<RequestStatus, RequestRefused> {
        match self {
            RequestStatus::New => Ok(RequestStatus::Assigned),
            RequestStatus::Closed => Err(RequestRefused {
                from: self,
                to: RequestStatus::Assigned,
            }),
            other => Ok(other),
        }
    }

    /// Staff record where the request stands: `contacted` (before any
    /// quote; again after another call) or `closed` (from any open status).
    pub fn on_mark(self, to: StaffMark) -> Result<RequestStatus, RequestRefused> {
        let target = to.status();
        let allowed = match to {
            StaffMark::Contacted => matches!(
                self,
                RequestStatus::New | RequestStatus::Assigned | RequestStatus::Contacted
            ),
            StaffMark::Closed => self != RequestStatus::Closed,
        };
        if allowed {
            Ok(target)
        } else {
            Err(RequestRefused {
                from: self,
                to: target,
            })
        }
    }

    /// A quote is issued on the request: it becomes `quoted` (another quote
    /// on a quoted request keeps it so); never on a closed one.
    pub fn on_quote(self) -> Result<RequestStatus, RequestRefused> {
        match self {
            RequestStatus::Closed => Err(RequestRefused {
                from: self,
                to: RequestStatus::Quoted,
            }),
            _ => Ok(RequestStatus::Quoted),
        }
    }
}

/// What staff may set a request's status to by hand (`assigned` and
/// `quoted` follow from assigning and quoting).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffMark {
    Contacted,
    Closed,
}

impl StaffMark {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim() {
            "contacted" => Some(StaffMark::Contacted),
            "closed" => Some(StaffMark::Closed),
            _ => None,
        }
    }

    pub fn status(self) -> RequestStatus {
        match self {
            StaffMark::Contacted => RequestStatus::Contacted,
            StaffMark::Closed => RequestStatus::Closed,
        }
    }
}

/// A move the request's lifecycle does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an information request that is {} cannot become {}", from.as_str(), to.as_str())]
pub struct RequestRefused {
    pub from: RequestStatus,
    pub to: RequestStatus,
}

/// The longest message a client may leave with a request.
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// A client's message, trimmed: at most 2,000 characters, line breaks
/// allowed, no other control characters. Empty is allowed (the creation
/// itself says what the request is about).
pub fn request_message(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.chars().count() > MAX_MESSAGE_CHARS
        || text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(format!(
            "Write your message in at most {MAX_MESSAGE_CHARS} characters."
        ));
    }
    Ok(text.to_owned())
}

/// A diamond's clarity grade, from flawless to included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clarity {
    Fl,
    If,
    Vvs1,
    Vvs2,
    Vs1,
    Vs2,
    Si1,
    Si2,
    I1,
    I2,
    I3,
}

impl Clarity {
    pub const ALL: [Clarity; 11] = [
        Clarity::Fl,
        Clarity::If,
        Clarity::Vvs1,
        Clarity::Vvs2,
        Clarity::Vs1,
        Clarity::Vs2,
        Clarity::Si1,
        Clarity::Si2,
        Clarity::I1,
        Clarity::I2,
        Clarity::I3,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Clarity::Fl => "FL",
            Clarity::If => "IF",
            Clarity::Vvs1 => "VVS1",
            Clarity::Vvs2 => "VVS2",
            Clarity::Vs1 => "VS1",
            Clarity::Vs2 => "VS2",
            Clarity::Si1 => "SI1",
            Clarity::Si2 => "SI2",
            Clarity::I1 => "I1",
            Clarity::I2 => "I2",
            Clarity::I3 => "I3",
        }
    }

    /// Any case: `vvs1` is `VVS1`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_uppercase();
        Clarity::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

/// The quality of a diamond's cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cut {
    Excellent,
    VeryGood,
    Good,
    Fair,
    Poor,
}

impl Cut {
    pub const ALL: [Cut; 5] = [
        Cut::Excellent,
        Cut::VeryGood,
        Cut::Good,
        Cut::Fair,
        Cut::Poor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Cut::Excellent => "excellent",
            Cut::VeryGood => "very_good",
            Cut::Good => "good",
            Cut::Fair => "fair",
            Cut::Poor => "poor",
        }
    }

    /// Any case; `very good` and `very-good` are `very_good`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Cut::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// As a client reads it: "very good".
    pub fn describe(self) -> &'static str {
        match self {
            Cut::VeryGood => "very good",
            other => other.as_str(),
        }
    }
}

/// The largest stone a quote describes, in hundredths of a carat (9,999.99 ct).
const MAX_CARAT_HUNDREDTHS: u32 = 999_999;

/// The stone of the quoted piece, as the grading describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Stone {
    /// The weight in hundredths of a carat (1.52 ct is 152): exact, never a float.
    pub carat_hundredths: u32,
    /// `D` (colourless) to `Z`.
    pub colour: char,
    pub clarity: Clarity,
    pub cut: Cut,
}

/// Why a stone's description is refused, naming the field (`stone.carat`...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StoneError {
    pub code: &'static str,
    pub field: &'static str,
    pub message: String,
}

impl Stone {
    /// Reads a stone as an advisor types it: carat `1.52` (positive, at most
    /// two decimals), colour `D` to `Z`, clarity `FL` ... `I3`, cut
    /// `excellent` ... `poor`. The first field at fault is named.
    pub fn parse(carat: &str, colour: &str, clarity: &str, cut: &str) -> Result<Stone, StoneError> {
        let carat_hundredths = parse_carat(carat).ok_or_else(|| StoneError {
            code: "invalid_carat",
            field: "stone.carat",
            message: "Write the carat weight as a positive number with at most two decimals, such as 1.52.".into(),
        })?;
        let colour = parse_colour(colour).ok_or_else(|| StoneError {
            code: "invalid_colour",
            field: "stone.colour",
            message: "Write the colour grade as one letter from D to Z.".into(),
        })?;
        let clarity = Clarity::parse(clarity).ok_or_else(|| StoneError {
            code: "invalid_clarity",
            field: "stone.clarity",
            message: "Write the clarity grade as one of FL, IF, VVS1, VVS2, VS1, VS2, SI1, SI2, I1, I2, I3.".into(),
        })?;
        let cut = Cut::parse(cut).ok_or_else(|| StoneError {
            code: "invalid_cut",
            field: "stone.cut",
            message: "Write the cut grade as excellent, very_good, good, fair or poor.".into(),
        })?;
        Ok(Stone {
            carat_hundredths,
            colour,
            clarity,
            cut,
        })
    }

    /// `1.52`: the weight with two decimals, as the API writes it.
    pub fn carat(&self) -> String {
        format!(
            "{}.{:02}",
            self.carat_hundredths / 100,
            self.carat_hundredths % 100
        )
    }

    /// "1.52 ct, E colour, VVS1 clarity, excellent cut".
    pub fn describe(&self) -> String {
        format!(
            "{} ct, {} colour, {} clarity, {} cut",
            self.carat(),
            self.colour,
            self.clarity.as_str(),
            self.cut.describe()
        )
    }
}

fn parse_carat(text: &str) -> Option<u32> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || whole.len() > 4
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || (text.contains('.') && fraction.is_empty())
    {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let hundredths: u32 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<u32>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    let total = whole.checked_mul(100)?.checked_add(hundredths)?;
    (1..=MAX_CARAT_HUNDREDTHS).contains(&total).then_some(total)
}

fn parse_colour(text: &str) -> Option<char> {
    let mut chars = text.trim().chars();
    let first = chars.next()?.to_ascii_uppercase();
    (chars.next().is_none() && ('D'..='Z').contains(&first)).then_some(first)
}

/// How long a quote may be valid: 1 to 90 days.
pub const MAX_VALID_DAYS: i64 = 90;
const DAY_MICROS: i64 = 24 * 60 * 60 * 1_000_000;

/// Whether a quote's terms are acceptable: a positive price, a validity of
/// 1 to 90 days. Returns when the quote expires, from `now`.
pub fn quote_terms(price: Money, valid_days: i64, now: i64) -> Result<i64, QuoteTermsError> {
    if price.minor() <= 0 {
        return Err(QuoteTermsError::Price);
    }
    if !(1..=MAX_VALID_DAYS).contains(&valid_days) {
        return Err(QuoteTermsError::Validity);
    }
    now.checked_add(valid_days * DAY_MICROS)
        .ok_or(QuoteTermsError::Validity)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuoteTermsError {
    #[error("the price of a quote is a positive amount")]
    Price,
    #[error("a quote is valid for 1 to {MAX_VALID_DAYS} days")]
    Validity,
}

impl QuoteTermsError {
    pub fn code(self) -> &'static str {
        match self {
            QuoteTermsError::Price => "invalid_price",
            QuoteTermsError::Validity => "invalid_validity",
        }
    }

    pub fn field(self) -> &'static str {
        match self {
            QuoteTermsError::Price => "price",
            QuoteTermsError::Validity => "valid_days",
        }
    }
}

/// Where a quote stands, as the client and staff read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuoteStatus {
    /// May be paid, until it expires.
    Open,
    /// Paid (or being paid): never twice.
    Used,
    /// Its validity ran out before it was paid.
    Expired,
}

impl QuoteStatus {
    pub const ALL: [QuoteStatus; 3] = [QuoteStatus::Open, QuoteStatus::Used, QuoteStatus::Expired];

    pub fn as_str(self) -> &'static str {
        match self {
            QuoteStatus::Open => "open",
            QuoteStatus::Used => "used",
            QuoteStatus::Expired => "expired",
        }
    }

    /// The status of a quote that expires at `expires_at`, at `now`: used
    /// when an order holds it (one whose payment failed gives it back),
    /// else open until it expires.
    pub fn at(held_by_an_order: bool, expires_at: i64, now: i64) -> QuoteStatus {
        if held_by_an_order {
            QuoteStatus::Used
        } else if now >= expires_at {
            QuoteStatus::Expired
        } else {
            QuoteStatus::Open
        }
    }

    /// Whether the quote may be paid now, or why not.
    pub fn payable(self) -> Result<(), QuoteRefused> {
        match self {
            QuoteStatus::Open => Ok(()),
            QuoteStatus::Used => Err(QuoteRefused::Used),
            QuoteStatus::Expired => Err(QuoteRefused::Expired),
        }
    }
}

impl fmt::Display for QuoteStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a quote cannot be paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QuoteRefused {
    #[error("this quote has already been paid")]
    Used,
    #[error("this quote has expired")]
    Expired,
}

/// A client's request for information on a creation, in the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationRequest {
    pub id: String,
    /// The creation (or one of its sizes) the client asks about.
    pub sku: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    /// Empty when the client left none (they are contacted by e-mail).
    pub phone: String,
    pub message: String,
    pub status: RequestStatus,
    /// The e-mail address of the advisor who has it.
    pub assigned_to: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A quote for one specific piece, at its own price, valid until
/// `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    pub id: String,
    pub request_id: String,
    /// The variant SKU of the piece (its size, for a ring).
    pub sku: String,
    pub price: Money,
    pub stone: Stone,
    pub expires_at: i64,
    /// The order that holds the quote (paid, or being paid); `None` while it
    /// may be paid (an order whose payment failed gives it back).
    pub order_id: Option<String>,
    /// The e-mail address of the advisor who issued it.
    pub created_by: String,
    pub created_at: i64,
}

impl Quote {
    /// Where the quote stands at `now`.
    pub fn status(&self, now: i64) -> QuoteStatus {
        QuoteStatus::at(self.order_id.is_some(), self.expires_at, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_moves_through_the_queue_as_advisors_work_it() {
        use RequestStatus::*;
        assert_eq!(New.on_assign(), Ok(Assigned));
        assert_eq!(
            Contacted.on_assign(),
            Ok(Contacted),
            "reassigned, not reset"
        );
        assert!(Closed.on_assign().is_err());
        assert_eq!(Assigned.on_mark(StaffMark::Contacted), Ok(Contacted));
        assert_eq!(New.on_mark(StaffMark::Contacted), Ok(Contacted));
        assert_eq!(Contacted.on_mark(StaffMark::Contacted), Ok(Contacted));
        assert!(Quoted.on_mark(StaffMark::Contacted).is_err());
        for open in [New, Assigned, Contacted, Quoted] {
            assert_eq!(open.on_mark(StaffMark::Closed), Ok(Closed));
            assert_eq!(open.on_quote(), Ok(Quoted));
        }
        let refused = Closed.on_mark(StaffMark::Closed).expect_err("closed twice");
        assert_eq!(
            refused.to_string(),
            "an information request that is closed cannot become closed"
        );
        assert!(Closed.on_quote().is_err());
    }

    #[test]
    fn request_statuses_and_staff_marks_round_trip_through_their_names() {
        for status in RequestStatus::ALL {
            assert_eq!(RequestStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(RequestStatus::parse("pending"), None);
        assert_eq!(StaffMark::parse("contacted"), Some(StaffMark::Contacted));
        assert_eq!(StaffMark::parse(" closed "), Some(StaffMark::Closed));
        assert_eq!(StaffMark::parse("quoted"), None, "quoting sets quoted");
        assert_eq!(
            StaffMark::parse("assigned"),
            None,
            "assigning sets assigned"
        );
    }

    #[test]
    fn a_stone_is_read_as_the_grading_writes_it() {
        let stone = Stone::parse("1.52", "e", "vvs1", "Very Good").expect("valid");
        assert_eq!(stone.carat_hundredths, 152);
        assert_eq!(stone.carat(), "1.52");
        assert_eq!(stone.colour, 'E');
        assert_eq!(stone.clarity, Clarity::Vvs1);
        assert_eq!(stone.cut, Cut::VeryGood);
        assert_eq!(
            stone.describe(),
            "1.52 ct, E colour, VVS1 clarity, very good cut"
        );
        assert_eq!(
            Stone::parse("2", "D", "FL", "excellent").map(|s| s.carat()),
            Ok("2.00".into())
        );
        assert_eq!(
            Stone::parse("0.5", "Z", "I3", "poor").map(|s| s.carat()),
            Ok("0.50".into())
        );
    }

    #[test]
    fn each_stone_field_is_refused_with_its_code_and_field() {
        for bad in [
            "0", "0.00", "-1", "1.523", "abc", "", ".5", "1.", "1e2", "99999", "1,5", " 1 .5",
        ] {
            let err = Stone::parse(bad, "E", "VVS1", "excellent").expect_err(bad);
            assert_eq!(
                (err.code, err.field),
                ("invalid_carat", "stone.carat"),
                "{bad}"
            );
        }
        for bad in ["A", "C", "", "EF", "5", "é"] {
            let err = Stone::parse("1.00", bad, "VVS1", "excellent").expect_err(bad);
            assert_eq!(
                (err.code, err.field),
                ("invalid_colour", "stone.colour"),
                "{bad}"
            );
        }
        for bad in ["VVS3", "", "I4", "flawless"] {
            let err = Stone::parse("1.00", "E", bad, "excellent").expect_err(bad);
            assert_eq!(
                (err.code, err.field),
                ("invalid_clarity", "stone.clarity"),
                "{bad}"
            );
        }
        for bad in ["ideal", "", "very"] {
            let err = Stone::parse("1.00", "E", "IF", bad).expect_err(bad);
            assert_eq!((err.code, err.field), ("invalid_cut", "stone.cut"), "{bad}");
        }
        for clarity in Clarity::ALL {
            assert_eq!(Clarity::parse(clarity.as_str()), Some(clarity));
        }
        for cut in Cut::ALL {
            assert_eq!(Cut::parse(cut.as_str()), Some(cut));
        }
    }

    #[test]
    fn quote_terms_need_a_positive_price_and_one_to_ninety_days() {
        let day = 24 * 60 * 60 * 1_000_000;
        assert_eq!(quote_terms(Money::usd_dollars(48_500), 14, 0), Ok(14 * day));
        assert_eq!(
            quote_terms(Money::usd_cents(0), 14, 0),
            Err(QuoteTermsError::Price)
        );
        assert_eq!(
            quote_terms(Money::usd_cents(-5), 14, 0).map_err(|e| (e.code(), e.field())),
            Err(("invalid_price", "price"))
        );
        for days in [0, -1, 91, i64::MAX] {
            assert_eq!(
                quote_terms(Money::usd_dollars(1), days, 0).map_err(|e| (e.code(), e.field())),
                Err(("invalid_validity", "valid_days")),
                "{days}"
            );
        }
        assert_eq!(
            quote_terms(Money::usd_dollars(1), 90, i64::MAX - 1),
            Err(QuoteTermsError::Validity),
            "no overflow"
        );
    }

    #[test]
    fn a_quote_is_open_until_it_expires_and_is_paid_once() {
        assert_eq!(QuoteStatus::at(false, 100, 99), QuoteStatus::Open);
        assert_eq!(QuoteStatus::at(false, 100, 100), QuoteStatus::Expired);
        assert_eq!(QuoteStatus::at(true, 100, 99), QuoteStatus::Used);
        assert_eq!(
            QuoteStatus::at(true, 100, 500),
            QuoteStatus::Used,
            "paid in time"
        );
        assert_eq!(QuoteStatus::Open.payable(), Ok(()));
        assert_eq!(QuoteStatus::Used.payable(), Err(QuoteRefused::Used));
        assert_eq!(QuoteStatus::Expired.payable(), Err(QuoteRefused::Expired));
    }

    #[test]
    fn messages_are_trimmed_and_bounded() {
        assert_eq!(
            request_message("  Hello\nthere  "),
            Ok("Hello\nthere".into())
        );
        assert_eq!(request_message(""), Ok(String::new()));
        assert!(request_message(&"x".repeat(2001)).is_err());
        assert!(request_message("bell\u{7}").is_err());
    }
}
