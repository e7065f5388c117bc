//! Parsers for values people type, usable directly as clap value parsers
//! (`#[arg(value_parser = strata_core::parse::duration)]`). Their error strings name what was
//! expected, and clap prefixes the flag.

use std::time::Duration;

use jiff::Timestamp;

/// A size as ZFS properties take it: bytes, or `none` (no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Size {
    None,
    Bytes(u64),
}

impl Size {
    pub fn bytes(self) -> Option<u64> {
        match self {
            Size::None => None,
            Size::Bytes(b) => Some(b),
        }
    }
}

/// Parses a duration: one or more `NUMBER UNIT` groups, e.g. `36h`, `7d`, `2w`, `1d12h`.
///
/// Units follow borg's `--keep-within`: `S` seconds, `M` minutes, `H`/`h` hours, `d` days,
/// `w` weeks, `m` months of 31 days, `y` years of 365 days.
pub fn duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration: expected e.g. 36h, 7d, 2w, 6m, 1y".into());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            'S' | 's' => 1,
            'M' => 60,
            'H' | 'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            'm' => 31 * 86_400,
            'y' => 365 * 86_400,
            _ => {
                return Err(format!(
                    "invalid duration {s:?}: unknown unit {c:?} (use S, M, h, d, w, m = 31 days, y = 365 days)"
                ));
            }
        };
        if digits.is_empty() {
            return Err(format!("invalid duration {s:?}: unit {c:?} without a number before it"));
        }
        let n: u64 = digits.parse().map_err(|_| format!("invalid duration {s:?}: number too large"))?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("invalid duration {s:?}: too large"))?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(format!("invalid duration {s:?}: a number needs a unit (e.g. {digits}d)"));
    }
    Ok(Duration::from_secs(total))
}

/// Parses a size the way `zfs set` does: bytes or a number with a binary unit (`10G`, `512M`,
/// `1.5T`, `64k`, `10GiB`, `10GB`), case-insensitive, or `none`.
pub fn size(s: &str) -> Result<Size, String> {
    let t = s.trim();
    if t.eq_ignore_ascii_case("none") {
        return Ok(Size::None);
    }
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if num.is_empty() || num.starts_with('.') && num.len() == 1 {
        return Err(format!("invalid size {s:?}: expected a number with an optional unit (10G, 512M, 1.5T) or none"));
    }
    let shift = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        "P" | "PB" | "PIB" => 50,
        "E" | "EB" | "EIB" => 60,
        _ => {
            return Err(format!("invalid size {s:?}: unknown unit {unit:?} (use B, K, M, G, T, P, E)"));
        }
    };
    let mult = 1u128 << shift;
    let bytes: u128 = if let Some((int, frac)) = num.split_once('.') {
        if frac.contains('.') {
            return Err(format!("invalid size {s:?}: more than one decimal point"));
        }
        if shift == 0 && !frac.chars().all(|c| c == '0') {
            return Err(format!("invalid size {s:?}: a byte count must be a whole number"));
        }
        let int: u128 = if int.is_empty() { 0 } else { int.parse().map_err(|_| format!("invalid size {s:?}"))? };
        let frac_digits = frac.len().min(18) as u32;
        let frac_val: u128 = if frac_digits == 0 {
            0
        } else {
            frac[..frac_digits as usize].parse().map_err(|_| format!("invalid size {s:?}"))?
        };
        int * mult + frac_val * mult / 10u128.pow(frac_digits)
    } else {
        let n: u128 = num.parse().map_err(|_| format!("invalid size {s:?}: number too large"))?;
        n * mult
    };
    u64::try_from(bytes).map(Size::Bytes).map_err(|_| format!("invalid size {s:?}: larger than 16 EiB"))
}

/// Formats bytes the way `zfs list` does without `-p`: `512`, `1.50K`, `10G`, `2.25T`
/// (three significant digits, binary units).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["", "K", "M", "G", "T", "P", "E"];
    if bytes < 1024 {
        return bytes.to_string();
    }
    let mut i = 0;
    while i + 1 < UNITS.len() && bytes >= 1u64 << (10 * (i + 1)) {
        i += 1;
    }
    let v = bytes as f64 / (1u64 << (10 * i)) as f64;
    let u = UNITS[i];
    if bytes.is_multiple_of(1u64 << (10 * i)) {
        return format!("{}{u}", bytes >> (10 * i));
    }
    for prec in (0..=2).rev() {
        let s = format!("{v:.prec$}");
        if s.len() <= 4 {
            return format!("{s}{u}");
        }
    }
    format!("{v:.0}{u}")
}

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
    fn durations() {
        assert_eq!(duration("36h").unwrap(), Duration::from_secs(36 * 3600));
        assert_eq!(duration("7d").unwrap(), Duration::from_secs(7 * 86400));
        assert_eq!(duration("2w").unwrap(), Duration::from_secs(14 * 86400));
        assert_eq!(duration("1m").unwrap(), Duration::from_secs(31 * 86400));
        assert_eq!(duration("1y").unwrap(), Duration::from_secs(365 * 86400));
        assert_eq!(duration("1d12h").unwrap(), Duration::from_secs(36 * 3600));
        assert_eq!(duration("90M").unwrap(), Duration::from_secs(5400));
        for bad in ["", "7", "d", "7x", "-1d", "1.5d"] {
            assert!(duration(bad).is_err(), "{bad} should fail");
        }
        assert!(duration("7x").unwrap_err().contains("unknown unit"));
    }

    #[test]
    fn sizes() {
        assert_eq!(size("10G").unwrap(), Size::Bytes(10 << 30));
        assert_eq!(size("512M").unwrap(), Size::Bytes(512 << 20));
        assert_eq!(size("1.5T").unwrap(), Size::Bytes(3 << 39));
        assert_eq!(size("64k").unwrap(), Size::Bytes(64 << 10));
        assert_eq!(size("10GiB").unwrap(), Size::Bytes(10 << 30));
        assert_eq!(size("4096").unwrap(), Size::Bytes(4096));
        assert_eq!(size("none").unwrap(), Size::None);
        assert_eq!(size("NONE").unwrap(), Size::None);
        for bad in ["", "G", "10X", "1.2.3G", "-1G", "1.5", "99999999E"] {
            assert!(size(bad).is_err(), "{bad} should fail");
        }
    }

    #[test]
    fn human_sizes_like_zfs() {
        assert_eq!(human_size(0), "0");
        assert_eq!(human_size(1023), "1023");
        assert_eq!(human_size(1024), "1K");
        assert_eq!(human_size(1536), "1.50K");
        assert_eq!(human_size(10 << 30), "10G");
        assert_eq!(human_size(67206144), "64.1M");
        assert_eq!(human_size(123 << 20 | 1), "123M");
    }

    #[test]
    fn timestamps_and_percent() {
        assert_eq!(timestamp("2023-08-08T00:00:06Z").unwrap().as_second(), 1691452806);
        assert_eq!(timestamp("2023-08-08T02:00:06+02:00").unwrap().as_second(), 1691452806);
        assert!(timestamp("2023-08-08").is_err());
        assert_eq!(percent("80%").unwrap(), 80.0);
        assert_eq!(percent("92.5").unwrap(), 92.5);
        assert!(percent("101%").is_err());
    }

    proptest! {
        #[test]
        fn size_roundtrips_whole_units(n in 0u64..1_000_000, unit in 0usize..5) {
            let u = ["", "K", "M", "G", "T"][unit];
            prop_assert_eq!(size(&format!("{n}{u}")).unwrap(), Size::Bytes(n << (10 * unit)));
        }

        #[test]
        fn duration_sums_groups(d in 0u64..10_000, h in 0u64..10_000) {
            prop_assert_eq!(duration(&format!("{d}d{h}h")).unwrap(), Duration::from_secs(d * 86400 + h * 3600));
        }
    }
}
