//! Money: integer minor units (cents) with a currency. Never floats.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Currency {
    Usd,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
        }
    }

    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        match code.trim().to_ascii_uppercase().as_str() {
            "USD" => Ok(Currency::Usd),
            other => Err(MoneyError::UnknownCurrency(other.to_owned())),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency {0:?}: the maison trades in USD")]
    UnknownCurrency(String),
    #[error("{0:?} is not an amount: write dollars and cents, such as 30000.00")]
    Malformed(String),
    #[error("the amount is too large")]
    Overflow,
}

/// An amount in minor units (cents) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Money {
    minor: i64,
    currency: Currency,
}

impl Money {
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }

    pub const fn usd_cents(minor: i64) -> Self {
        Money::new(minor, Currency::Usd)
    }

    pub const fn usd_dollars(dollars: i64) -> Self {
        Money::new(dollars * 100, Currency::Usd)
    }

    pub fn minor(self) -> i64 {
        self.minor
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    /// Parses a decimal string such as `30000`, `30000.5` or `30,000.00` in `currency`.
    pub fn parse(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let malformed = || MoneyError::Malformed(text.to_owned());
        let cleaned: String = text.trim().chars().filter(|c| *c != ',').collect();
        let cleaned = cleaned.strip_prefix('$').unwrap_or(&cleaned);
        let (whole, fraction) = match cleaned.split_once('.') {
            Some((w, f)) => (w, f),
            None => (cleaned, ""),
        };
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || fraction.len() > 2
            || !fraction.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(malformed());
        }
        let whole: i64 = whole.parse().map_err(|_| MoneyError::Overflow)?;
        let cents: i64 = match fraction.len() {
            0 => 0,
            1 => fraction.parse::<i64>().map_err(|_| malformed())? * 10,
            _ => fraction.parse::<i64>().map_err(|_| malformed())?,
        };
        let minor = whole
            .checked_mul(100)
            .and_then(|m| m.checked_add(cents))
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(minor, currency))
    }

    /// The exact decimal amount, as in the API: `1234.00`.
    pub fn amount_string(self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// The amount as a client reads it: `$30,000.00`.
    pub fn display(self) -> String {
        let sign = if self.minor < 0 { "-" } else { "" };
        let abs = self.minor.unsigned_abs();
        let digits = (abs / 100).to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, ch) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        format!("{sign}${grouped}.{:02}", abs % 100)
    }

    /// Whole amounts without cents, as in "orders over $30,000".
    pub fn display_whole(self) -> String {
        let full = self.display();
        match full.strip_suffix(".00") {
            Some(whole) => whole.to_owned(),
            None => full,
        }
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        if self.currency != other.currency {
            return None;
        }
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money::new(minor, self.currency))
    }

    pub fn checked_mul(self, quantity: u32) -> Option<Money> {
        self.minor
            .checked_mul(i64::from(quantity))
            .map(|minor| Money::new(minor, self.currency))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// `{"amount": "1234.00", "currency": "USD"}`: a decimal string, exact.
impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Money", 2)?;
        s.serialize_field("amount", &self.amount_string())?;
        s.serialize_field("currency", self.currency.code())?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_with_two_decimals() {
        assert_eq!(Money::usd_cents(123_400).amount_string(), "1234.00");
        assert_eq!(Money::usd_cents(5).amount_string(), "0.05");
        assert_eq!(Money::usd_cents(-250).amount_string(), "-2.50");
    }

    #[test]
    fn display_groups_thousands() {
        assert_eq!(Money::usd_dollars(30_000).display(), "$30,000.00");
        assert_eq!(Money::usd_cents(99_95).display(), "$99.95");
        assert_eq!(Money::usd_dollars(1_250_000).display(), "$1,250,000.00");
        assert_eq!(Money::usd_dollars(100).display(), "$100.00");
    }

    #[test]
    fn parse_accepts_the_forms_an_operator_writes() {
        let usd = Currency::Usd;
        assert_eq!(
            Money::parse("30000.00", usd),
            Ok(Money::usd_dollars(30_000))
        );
        assert_eq!(Money::parse("30,000", usd), Ok(Money::usd_dollars(30_000)));
        assert_eq!(Money::parse("$12.5", usd), Ok(Money::usd_cents(1250)));
        assert!(Money::parse("12.345", usd).is_err());
        assert!(Money::parse("-5", usd).is_err());
        assert!(Money::parse("1e5", usd).is_err());
        assert!(Money::parse("", usd).is_err());
        assert_eq!(
            Money::parse("99999999999999999999", usd),
            Err(MoneyError::Overflow)
        );
    }

    #[test]
    fn serialises_as_an_exact_decimal_string() {
        let json = serde_json::to_string(&Money::usd_cents(123_400)).expect("serialisable");
        assert_eq!(json, r#"{"amount":"1234.00","currency":"USD"}"#);
    }

    #[test]
    fn adding_different_currencies_is_refused_and_overflow_is_caught() {
        assert_eq!(
            Money::usd_cents(1).checked_add(Money::usd_cents(2)),
            Some(Money::usd_cents(3))
        );
        assert_eq!(
            Money::usd_cents(i64::MAX).checked_add(Money::usd_cents(1)),
            None
        );
        assert_eq!(Money::usd_cents(i64::MAX).checked_mul(2), None);
    }
}
