//! Time and randomness for the use cases: the database never supplies either.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in microseconds since the Unix epoch (UTC), as stored.
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

/// The current year and month (UTC), for card expiry.
pub fn year_month(now_micros: i64) -> (u32, u32) {
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let days = now_micros.div_euclid(86_400_000_000);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        u32::try_from(year).unwrap_or(0),
        u32::try_from(month).unwrap_or(1),
    )
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
}

/// `2026-11-29T09:15:04Z` from stored microseconds.
pub fn rfc3339(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let (year, month) = year_month(micros);
    let days = secs.div_euclid(86_400);
    let first_of_month = days_from_civil(i64::from(year), i64::from(month), 1);
    let day = days - first_of_month + 1;
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod format_tests {
    use super::*;

    #[test]
    fn times_are_written_in_rfc_3339_utc() {
        assert_eq!(rfc3339(1_796_083_199_000_000), "2026-11-30T23:59:59Z");
        assert_eq!(rfc3339(1_835_438_400_000_000), "2028-02-29T12:00:00Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
