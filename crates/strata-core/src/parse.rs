//! Parsers for values people type, usable directly as clap value parsers
//! (`#[arg(value_parser = strata_core::parse::timestamp)]`). Their error strings name what was
//! expected, and clap prefixes the flag. Sizes, which are ZFS's, are in `strata_zfs::size`.

use jiff::Timestamp;

/// Parses an RFC 3339 timestamp (`2023-08-08T00:00:06Z`, `2023-08-08T02:00:06+02:00`).
pub fn timestamp(s: &str) -> Result<Timestamp, String> {
    s.trim()
        .parse::<Timestamp>()
        .map_err(|e| format!("invalid timestamp {s:?}: expected RFC 3339 like 2023-08-08T00:00:06Z ({e})"))
}

/// Parses a percentage, `80%` or `80` or `92.5%`, between 0 and 100.
pub fn percent(s: &str) -> Result<f64, String> {
    let t = s.trim().trim_end_matches('%');
    let v: f64 = t.parse().map_err(|_| format!("invalid percentage {s:?}: expected e.g. 80%"))?;
    if !(0.0..=100.0).contains(&v) {
        return Err(format!("invalid percentage {s:?}: must be between 0% and 100%"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    #[test]
    fn timestamps_and_percent() {
        assert_eq!(timestamp("2023-08-08T00:00:06Z").unwrap().as_second(), 1691452806);
        assert_eq!(timestamp("2023-08-08T02:00:06+02:00").unwrap().as_second(), 1691452806);
        assert!(timestamp("2023-08-08").is_err());
        assert_eq!(percent("80%").unwrap(), 80.0);
        assert_eq!(percent("92.5").unwrap(), 92.5);
        assert!(percent("101%").is_err());
    }

    #[test]
    fn percentages_at_the_bounds() {
        assert_eq!(percent("0%").unwrap(), 0.0);
        assert_eq!(percent("100%").unwrap(), 100.0);
        for bad in ["100.0000001%", "-0.5%", "NaN", "nan%", "inf", "-inf%", "1e400", "", "%"] {
            assert!(percent(bad).is_err(), "{bad}");
        }
    }

    proptest! {
        #[test]
        fn any_percentage_in_range_is_itself(v in 0.0f64..=100.0) {
            prop_assert_eq!(percent(&format!("{v}%")).unwrap(), v);
            prop_assert_eq!(percent(&v.to_string()).unwrap(), v);
        }

        #[test]
        fn percentages_out_of_range_are_refused(v in prop_oneof![-1e300f64..-1e-9, 100.000_000_1f64..1e300]) {
            let text = format!("{v}%");
            let e = percent(&text).unwrap_err();
            prop_assert!(e.contains(&format!("{text:?}")), "{}", e);
        }

    }
}
