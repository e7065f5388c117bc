//! The calendar, in one place: proleptic Gregorian day numbers (Howard Hinnant's algorithms), ISO
//! weeks, and RFC 3339 in UTC read and written without a general parser on the hot paths (a
//! million snapshot records are read and a million `zfs diff` lines written in a second). Anything
//! the fast paths do not take goes to jiff.

/// (year, month 1-12, day 1-31) of a day number (days since 1970-01-01), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The day number of a civil date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// ISO 8601 (year, week) of a day number: strftime's `%G-%V`.
pub fn iso_week(days: i64) -> (i64, u32) {
    // 1970-01-01 was a Thursday; Monday = 0.
    let weekday = (days + 3).rem_euclid(7);
    let thursday = days - weekday + 3;
    let (y, _, _) = civil_from_days(thursday);
    let week = (thursday - days_from_civil(y, 1, 1)) / 7 + 1;
    (y, week as u32)
}

fn days_in_month(y: i64, m: i64) -> Option<i64> {
    Some(match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    })
}

/// `YYYY-MM-DDTHH:MM:SSZ`, the form strata writes, as seconds since the epoch, without a general
/// parser; `None` for any other form (use [`unix_seconds`] for every RFC 3339 form).
pub fn fast_rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
    };
    let (y, mo, d, h, mi, se) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
    if d < 1 || d > days_in_month(y, mo)? || h > 23 || mi > 59 || se > 59 {
        return None;
    }
    Some(days_from_civil(y, mo as u32, d as u32) * 86_400 + h * 3600 + mi * 60 + se)
}

/// Any RFC 3339 timestamp as seconds since the epoch: the fast path for strata's own form, jiff
/// for the others (offsets, fractions). The error is [`crate::parse::timestamp`]'s.
pub fn unix_seconds(s: &str) -> Result<i64, String> {
    match fast_rfc3339(s) {
        Some(t) => Ok(t),
        None => crate::parse::timestamp(s).map(|t| t.as_second()),
    }
}

/// `YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ` (RFC 3339, UTC, always nine fraction digits); `None` outside
/// the years 0000-9999.
pub fn rfc3339_nanos(seconds: i64, nanos: u32) -> Option<String> {
    if nanos >= 1_000_000_000 {
        return None;
    }
    let days = seconds.div_euclid(86_400);
    let secs_of_day = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    if !(0..=9999).contains(&y) {
        return None;
    }
    let (hh, mm, ss) = (secs_of_day / 3600, secs_of_day / 60 % 60, secs_of_day % 60);
    let mut out = String::with_capacity(30);
    write_padded(&mut out, y, 4);
    out.push('-');
    write_padded(&mut out, i64::from(m), 2);
    out.push('-');
    write_padded(&mut out, i64::from(d), 2);
    out.push('T');
    write_padded(&mut out, hh, 2);
    out.push(':');
    write_padded(&mut out, mm, 2);
    out.push(':');
    write_padded(&mut out, ss, 2);
    out.push('.');
    write_padded(&mut out, i64::from(nanos), 9);
    out.push('Z');
    Some(out)
}

fn write_padded(out: &mut String, v: i64, width: usize) {
    let mut buf = [b'0'; 12];
    let mut v = v;
    for i in (0..width).rev() {
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
    for &b in &buf[..width] {
        out.push(b as char);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn calendar_matches_jiff() {
        let mut d = days_from_civil(1899, 12, 20);
        while d < days_from_civil(2101, 1, 10) {
            let date = jiff::civil::Date::constant(1970, 1, 1) + jiff::Span::new().days(d);
            let (y, m, dd) = civil_from_days(d);
            assert_eq!((y, m, dd), (i64::from(date.year()), date.month() as u32, date.day() as u32));
            assert_eq!(days_from_civil(y, m, dd), d);
            let iso = date.iso_week_date();
            assert_eq!(iso_week(d), (i64::from(iso.year()), iso.week() as u32), "{date}");
            d += 1;
        }
    }

    #[test]
    fn fast_path_agrees_with_jiff() {
        for t in ["2023-08-08T00:00:06Z", "2024-02-29T23:59:59Z", "1970-01-01T00:00:00Z", "2000-12-31T12:30:00Z"] {
            assert_eq!(fast_rfc3339(t), Some(crate::parse::timestamp(t).unwrap().as_second()), "{t}");
            assert_eq!(unix_seconds(t), Ok(crate::parse::timestamp(t).unwrap().as_second()), "{t}");
        }
        for t in ["2023-02-29T00:00:00Z", "2023-08-08T24:00:00Z", "2023-08-08T00:00:06+02:00", "2023-08-08T00:00:06.5Z"]
        {
            assert_eq!(fast_rfc3339(t), None, "{t}");
        }
        // The forms the fast path leaves are still read, and a wrong one is an error.
        assert_eq!(unix_seconds("2023-08-08T02:00:06+02:00"), Ok(1_691_452_806));
        assert_eq!(unix_seconds("2023-08-08T00:00:06.5Z"), Ok(1_691_452_806));
        assert!(unix_seconds("2023-02-29T00:00:00Z").unwrap_err().contains("invalid timestamp"));
    }

    #[test]
    fn nanos_format() {
        assert_eq!(rfc3339_nanos(1_795_636_746, 204_000_000).unwrap(), "2026-11-25T19:59:06.204000000Z");
        assert_eq!(rfc3339_nanos(0, 0).unwrap(), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(rfc3339_nanos(-1, 5).unwrap(), "1969-12-31T23:59:59.000000005Z");
        assert_eq!(rfc3339_nanos(1_691_452_806, 123_456_789).unwrap(), "2023-08-08T00:00:06.123456789Z");
        assert!(rfc3339_nanos(i64::MAX / 2, 0).is_none());
        assert!(rfc3339_nanos(0, 1_000_000_000).is_none());
    }

    proptest! {
        #[test]
        fn times_agree_with_jiff(secs in -62_000_000_000i64..253_000_000_000, nanos in 0u32..1_000_000_000) {
            let ours = rfc3339_nanos(secs, nanos);
            let ts = jiff::Timestamp::new(secs, nanos as i32).unwrap();
            let theirs = ts.strftime("%Y-%m-%dT%H:%M:%S.%9fZ").to_string();
            prop_assert_eq!(ours, Some(theirs));
        }

        /// Every second of the years 0000-9999 reads back through the fast path as itself.
        #[test]
        fn fast_path_reads_what_jiff_writes(t in -62_167_219_200i64..253_402_300_800) {
            let ts = jiff::Timestamp::from_second(t).unwrap();
            prop_assert_eq!(fast_rfc3339(&ts.to_string()), Some(t));
            prop_assert_eq!(rfc3339_nanos(t, 0).map(|s| s.replace(".000000000", "")), Some(ts.to_string()));
        }
    }
}
