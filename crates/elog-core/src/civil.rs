//! Civil (proleptic Gregorian) date conversion for ABS timestamps, without
//! any date library: days since 1970-01-01 ↔ year/month/day (the algorithms
//! of H. Hinnant's "chrono-compatible low-level date algorithms").

/// A broken-down date and time with microseconds.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct DateTime {
    /// Year (proleptic Gregorian; may be outside 0..=9999).
    pub year: i64,
    /// Month 1..=12.
    pub month: u8,
    /// Day of month 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
    /// Second 0..=59.
    pub second: u8,
    /// Microseconds 0..=999_999.
    pub micros: u32,
}

/// Days since 1970-01-01 of a civil date.
pub fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl DateTime {
    /// Breaks down microseconds since 1970-01-01T00:00:00.
    pub fn from_unix_micros(micros: i64) -> Self {
        let secs = micros.div_euclid(1_000_000);
        let frac = micros.rem_euclid(1_000_000) as u32;
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        DateTime {
            year,
            month,
            day,
            hour: (sod / 3600) as u8,
            minute: (sod / 60 % 60) as u8,
            second: (sod % 60) as u8,
            micros: frac,
        }
    }

    /// Microseconds since 1970-01-01T00:00:00 (`None` on overflow or invalid fields).
    pub fn to_unix_micros(&self) -> Option<i64> {
        let dim = days_in_month(self.year, self.month)?;
        if self.day == 0
            || self.day > dim
            || self.hour > 23
            || self.minute > 59
            || self.second > 59
            || self.micros > 999_999
        {
            return None;
        }
        if self.year.unsigned_abs() > 290_000 {
            return None;
        }
        let days = days_from_civil(self.year, self.month, self.day);
        let secs = days * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second);
        secs.checked_mul(1_000_000)?
            .checked_add(i64::from(self.micros))
    }
}

/// Days in a month (`None` for a month outside 1..=12).
pub fn days_in_month(year: i64, month: u8) -> Option<u8> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    Some(match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        let dt = DateTime::from_unix_micros(1_709_210_096_123_456);
        assert_eq!(
            dt,
            DateTime {
                year: 2024,
                month: 2,
                day: 29,
                hour: 12,
                minute: 34,
                second: 56,
                micros: 123_456
            }
        );
        assert_eq!(dt.to_unix_micros(), Some(1_709_210_096_123_456));
        assert_eq!(DateTime { month: 13, ..dt }.to_unix_micros(), None);
        assert_eq!(DateTime { day: 30, ..dt }.to_unix_micros(), None);
    }

    proptest::proptest! {
        #[test]
        fn round_trip(us in -62_000_000_000_000_000i64..250_000_000_000_000_000) {
            let dt = DateTime::from_unix_micros(us);
            proptest::prop_assert_eq!(dt.to_unix_micros(), Some(us));
            proptest::prop_assert_eq!(days_from_civil(dt.year, dt.month, dt.day), us.div_euclid(86_400_000_000));
        }
    }
}
