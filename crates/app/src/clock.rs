//! Time and randomness for the use cases: the database never supplies either.
//! Calendar arithmetic and time zones come from `jiff`, never by hand.

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Where every use case and background job reads the time: the system's in
/// production, one a test sets (return windows, expiries and timeouts are
/// tested by moving it, never by waiting).
pub trait Clock: Send + Sync {
    /// Now, in microseconds since the Unix epoch (UTC), as stored.
    fn now_micros(&self) -> i64;
}

/// The machine's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_micros(&self) -> i64 {
        now_micros()
    }
}

/// A clock that stays where it is set: for tests.
#[derive(Debug, Default)]
pub struct FixedClock(std::sync::atomic::AtomicI64);

impl FixedClock {
    pub fn at(micros: i64) -> Self {
        FixedClock(std::sync::atomic::AtomicI64::new(micros))
    }

    pub fn set(&self, micros: i64) {
        self.0.store(micros, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn advance(&self, micros: i64) {
        self.0
            .fetch_add(micros, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_micros(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The system's time, in microseconds since the Unix epoch (UTC). Use cases
/// read [`crate::Maison::now`] instead, so that tests can set it.
pub fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A new random identifier (UUID v4: 122 random bits, unguessable).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Five random bytes for an order number.
pub fn random_bytes() -> [u8; 5] {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    [bytes[0], bytes[1], bytes[2], bytes[3], bytes[4]]
}

/// The instant of stored microseconds, clamped to what a calendar can show.
fn timestamp(micros: i64) -> Timestamp {
    let seconds = micros
        .div_euclid(1_000_000)
        .clamp(Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    Timestamp::from_second(seconds).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The current year and month (UTC), for card expiry.
pub fn year_month(now_micros: i64) -> (u32, u32) {
    let date = timestamp(now_micros).to_zoned(TimeZone::UTC).date();
    (
        u32::try_from(date.year()).unwrap_or(0),
        u32::try_from(date.month()).unwrap_or(1),
    )
}

/// `2026-11-29T09:15:04Z` from stored microseconds (API answers).
pub fn rfc3339(micros: i64) -> String {
    timestamp(micros).to_string()
}

/// The maison's time zone from its IANA name (`America/New_York`).
pub fn time_zone(name: &str) -> Option<TimeZone> {
    TimeZone::get(name).ok()
}

/// A time as clients read it, in the maison's time zone:
/// "December 2, 2026, 1:05 pm EST".
pub fn local_time(micros: i64, zone: &TimeZone) -> String {
    timestamp(micros)
        .to_zoned(zone.clone())
        .strftime("%B %-d, %Y, %-I:%M %P %Z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_are_right_at_month_edges() {
        // 2026-11-30T23:59:59Z and 2026-12-01T00:00:00Z
        assert_eq!(year_month(1_796_083_199_000_000), (2026, 11));
        assert_eq!(year_month(1_796_083_200_000_000), (2026, 12));
        assert_eq!(year_month(0), (1970, 1));
        // 2028-02-29T12:00:00Z, a leap day
        assert_eq!(year_month(1_835_438_400_000_000), (2028, 2));
    }

    #[test]
    fn times_are_written_in_rfc_3339_utc() {
        assert_eq!(rfc3339(1_796_083_199_000_000), "2026-11-30T23:59:59Z");
        assert_eq!(rfc3339(1_835_438_400_000_000), "2028-02-29T12:00:00Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339(i64::MAX),
            rfc3339(i64::MAX - 1),
            "no panic at the edges"
        );
    }

    #[test]
    fn clients_read_times_in_the_maison_s_time_zone_in_words() {
        let new_york = time_zone("America/New_York").expect("bundled");
        // 2026-12-02T18:05:00Z is 1:05 pm in New York (EST).
        let winter = 1_796_234_700_000_000;
        assert_eq!(
            local_time(winter, &new_york),
            "December 2, 2026, 1:05 pm EST"
        );
        // 2026-07-04T16:30:00Z is 12:30 pm in New York (EDT).
        assert_eq!(
            local_time(1_783_182_600_000_000, &new_york),
            "July 4, 2026, 12:30 pm EDT"
        );
        let los_angeles = time_zone("America/Los_Angeles").expect("bundled");
        assert_eq!(
            local_time(winter, &los_angeles),
            "December 2, 2026, 10:05 am PST"
        );
        assert!(time_zone("Mars/Olympus_Mons").is_none());
    }
}
